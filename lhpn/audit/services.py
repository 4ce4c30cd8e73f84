from contextvars import ContextVar

from sqlalchemy import func, select

from lhpn.audit.models import AuditEntry
from lhpn.extensions import db

client_ip: ContextVar[str | None] = ContextVar("lhpn_client_ip", default=None)


def record(
    action: str,
    obj_type: str,
    obj_id: object = None,
    *,
    actor=None,
    tenant_id: int | None = None,
    summary: str = "",
    **data: object,
) -> AuditEntry:
    """Add an audit entry to the current transaction (it commits with the change)."""
    if tenant_id is None and actor is not None:
        tenant_id = actor.tenant_id
    entry = AuditEntry(
        tenant_id=tenant_id,
        actor_id=actor.id if actor is not None else None,
        action=action,
        object_type=obj_type,
        object_id=None if obj_id is None else str(obj_id),
        summary=summary[:500],
        data={k: v for k, v in data.items() if v is not None},
        ip=client_ip.get(),
    )
    db.session.add(entry)
    return entry


def entries_for_tenant(tenant_id: int, *, action: str | None = None, q: str | None = None):
    stmt = select(AuditEntry).where(AuditEntry.tenant_id == tenant_id)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    if q:
        stmt = stmt.where(func.lower(AuditEntry.summary).contains(q.lower(), autoescape=True))
    return stmt.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
