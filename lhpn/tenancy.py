"""Automatic tenant scoping of ORM queries.

While a request acts for a tenant, every ORM SELECT of a tenant-scoped model is limited to
that tenant (SQLAlchemy's global-criteria recipe). The only escape hatch is the
``all_tenants`` execution option, used by the CLI and the system administrator.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import ForeignKey, event
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column, with_loader_criteria

_current_tenant: ContextVar[int | None] = ContextVar("lhpn_tenant", default=None)


class TenantScoped:
    """Mixin: rows that belong to one tenant."""

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)


def current_tenant_id() -> int | None:
    return _current_tenant.get()


def set_current_tenant(tenant_id: int | None) -> None:
    _current_tenant.set(tenant_id)


@contextmanager
def acting_for(tenant_id: int | None) -> Iterator[None]:
    token = _current_tenant.set(tenant_id)
    try:
        yield
    finally:
        _current_tenant.reset(token)


@event.listens_for(Session, "do_orm_execute")
def _scope_to_tenant(state: ORMExecuteState) -> None:
    tenant_id = _current_tenant.get()
    if tenant_id is None or state.execution_options.get("all_tenants"):
        return
    if state.is_select or state.is_update or state.is_delete:
        state.statement = state.statement.options(
            with_loader_criteria(
                TenantScoped,
                lambda cls: cls.tenant_id == tenant_id,
                include_aliases=True,
            )
        )
