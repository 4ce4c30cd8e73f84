"""Tenant scoping of reads, failing closed.

Scoped tables: the models with the :class:`TenantScoped` mixin, listed in ``SCOPED_TABLES``
(units, role assignments, indicators, forms, reports, attachments, report reminders, plans,
target checks, plan requests, workflow events, notifications, import batches, sensitive reads,
follow-ups, incidents and their kinds, victims and interventions).
While a tenant is set (a tenant user's request, :func:`acting_for`), every ORM SELECT, UPDATE
and DELETE is limited to that tenant (SQLAlchemy's global-criteria recipe), and
``session.get()`` never returns another tenant's object, even one already in the identity
map. With no tenant set, a statement that names a scoped table raises :class:`TenantNotSet`,
unless the code runs inside a named crossing (:func:`crossing_tenants`), each a deliberate
choice listed in ``CROSSINGS``.

Not scoped, and why:

- ``tenants``: the tenants themselves; a user's own is read by the id on their account, the
  list is the system administrator's.
- ``users``, ``user_sessions``, ``api_tokens``: a log-in, a session cookie or a bearer token
  finds its account before any tenant is known (usernames are unique across the deployment),
  and the system administrator belongs to no tenant. A user is loaded by id only through
  ``accounts.services.get_user``, which checks the tenant; user lists filter by tenant and by
  reach (``authz.manageable_users``).
- ``audit_entries``: written by every action, including the system administrator's; read only
  on the audit page, which filters by the reader's tenant explicitly.
- ``report_values``, ``template_items``, ``template_periods``, ``plan_targets``,
  ``plan_activities``: rows of a scoped parent (a report, a form, a plan), always reached
  through it (a relationship or a join on the parent, which is scoped).
- ``rollups``, ``rollup_counts``, ``rollup_years``: the consolidation's running totals, read and
  written by Core statements that filter by tenant and unit explicitly
  (``lhpn/consolidation``), covered by the isolation tests (tests/test_tenant_scoping.py).
- ``unsaved_inputs``: a visitor's typed input kept for its author only, found by its key.

Core statements (``Model.__table__``, ``session.connection().execute``) are not filtered
automatically: when the session executes them, naming a scoped table with no tenant set still
raises, but with a tenant set the statement carries its own condition, written next to it:
``tenant_id ==`` the tenant of the unit, form or plan it was given (loaded through the scoped
getters), as in lhpn/consolidation/services.py and rollups.py. Statements run on
``session.connection()`` bypass the listener entirely: call :func:`require_scope` first.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token

from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import ForeignKey, Table, event
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column, with_loader_criteria
from sqlalchemy.sql import visitors

_current_tenant: ContextVar[int | None] = ContextVar("lhpn_tenant", default=None)
_crossing: ContextVar[str | None] = ContextVar("lhpn_crossing", default=None)

# Every place that may read several tenants (or none) at once, by name. A new one is a
# deliberate choice: add it here with its reason.
CROSSINGS = {
    "cli": "the operator's command line: tenants, first users, demo data, the generator",
    "whole_country": "the system administrator's pages: the tenant list, whole-country figures",
    "login": "finding the account behind a log-in, before its tenant is known",
    "bench": "the benchmark suite, which builds and reads every tenant's data",
    "tests": "the tests' own set-up and checks, acting as the operator (requests stay strict)",
    "purge": "the daily retention purge (flask privacy purge): every tenant's closed incidents, "
             "each tenant's own read inside acting_for",
}


class TenantNotSet(RuntimeError):
    """A tenant-scoped read with no tenant set, outside any named crossing: a bug (a page, job
    or command that forgot whose data it reads), refused instead of reading every tenant."""


class TenantScoped:
    """Mixin: rows that belong to one tenant."""

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)


def scoped_tables() -> frozenset[str]:
    """The names of the tenant-scoped tables (every mapped subclass of TenantScoped)."""
    from lhpn.extensions import Model

    tables = [mapper.local_table for mapper in Model.registry.mappers
              if issubclass(mapper.class_, TenantScoped)]
    # Each is a Table (every model names its own); a FromClause in general has no name.
    return frozenset(table.name for table in tables if isinstance(table, Table))


def current_tenant_id() -> int | None:
    return _current_tenant.get()


def current_crossing() -> str | None:
    return _crossing.get()


def set_current_tenant(tenant_id: int | None) -> None:
    _current_tenant.set(tenant_id)


@contextmanager
def acting_for(tenant_id: int | None) -> Iterator[None]:
    token = _current_tenant.set(tenant_id)
    try:
        yield
    finally:
        _current_tenant.reset(token)


@contextmanager
def crossing_tenants(name: str) -> Iterator[None]:
    """Code that reads across tenants says so, by one of the names in ``CROSSINGS``: inside,
    no tenant is set and reads see every tenant. A tenant set inside (``acting_for``) scopes
    again."""
    if name not in CROSSINGS:
        raise ValueError(f"unknown tenant crossing {name!r}: add it to lhpn.tenancy.CROSSINGS")
    crossing, tenant = _crossing.set(name), _current_tenant.set(None)
    try:
        yield
    finally:
        _current_tenant.reset(tenant)
        _crossing.reset(crossing)


# The tenant a signed-in user of no tenant (the system administrator) acts for: none exists
# with this id, so every scoped read finds nothing (an empty list, a 404), and what the system
# administrator does see is read inside the named crossing "whole_country".
NO_TENANT = 0


def enter_request() -> tuple[Token, Token]:
    """A request starts with no tenant and outside any crossing, whatever the thread did
    before (the test client runs requests inside the test's own context)."""
    return _current_tenant.set(None), _crossing.set(None)


def leave_request(tokens: tuple[Token, Token] | None) -> None:
    if tokens is None:
        _current_tenant.set(None)
        return
    try:
        _current_tenant.reset(tokens[0])
        _crossing.reset(tokens[1])
    except ValueError:  # not the context the request began in
        _current_tenant.set(None)
        _crossing.set(None)


def require_scope(what: str) -> None:
    """For code that runs statements the session's listener never sees
    (``session.connection().execute``): refuse when no tenant is set outside any crossing."""
    if _current_tenant.get() is None:
        _require_crossing(what)


def _require_crossing(what: str) -> None:
    if _crossing.get() is None:
        raise TenantNotSet(f"{what} with no tenant set and outside any named crossing "
                           "(lhpn.tenancy.crossing_tenants)")


_SCOPED: frozenset[str] | None = None


def _names_scoped_table(statement) -> str | None:
    global _SCOPED
    if _SCOPED is None:
        _SCOPED = scoped_tables()
    for element in visitors.iterate(statement):
        if isinstance(element, Table) and element.name in _SCOPED:
            return element.name
    return None


@event.listens_for(Session, "do_orm_execute")
def _scope_to_tenant(state: ORMExecuteState) -> None:
    if not (state.is_select or state.is_update or state.is_delete):
        return
    tenant_id = _current_tenant.get()
    if tenant_id is None:
        # Refreshing an object already loaded, or loading what hangs from it, reads no new
        # tenant's rows: whoever loaded it had a tenant or a crossing. A new query does.
        if state.is_column_load or state.is_relationship_load:
            return
        if _crossing.get() is None:
            table = _names_scoped_table(state.statement)
            if table is not None:
                _require_crossing(f"a statement on {table}")
        return
    state.statement = state.statement.options(
        with_loader_criteria(
            TenantScoped,
            lambda cls: cls.tenant_id == tenant_id,
            include_aliases=True,
        )
    )


class TenantSession(FlaskSession):
    """``get()`` answers from the identity map without a query, so the criteria above never
    see it: check the tenant here too. Another tenant's object is not found (None)."""

    def get(self, entity, ident, **kwargs):
        found = super().get(entity, ident, **kwargs)
        if isinstance(found, TenantScoped):
            tenant_id = _current_tenant.get()
            if tenant_id is None:
                _require_crossing(f"session.get({type(found).__name__})")
            elif found.tenant_id != tenant_id:
                return None
        return found
