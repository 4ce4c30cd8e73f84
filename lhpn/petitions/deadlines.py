"""The legal deadline of a petition, per category: the tenant's own table (admins correct it),
seeded with these defaults when a tenant is created (and by the migration for the tenants
that already exist). A petition's ``due_on`` is its day of receipt plus its category's days,
fixed at intake: a later correction of the table changes new petitions only.

The defaults (README "Petitions" cites them) count calendar days from the day the unit
RECEIVED the petition; the laws count from the day the competent body accepted it (thụ lý),
which comes up to 10 days later. Counting from receipt is this app's choice: the union is
rarely the body that decides, and an earlier deadline makes it chase sooner.
"""

from flask_babel import gettext as _
from sqlalchemy import select

from lhpn.audit.services import record
from lhpn.clock import utcnow
from lhpn.errors import DomainError
from lhpn.extensions import db
from lhpn.petitions.models import CATEGORIES, PetitionDeadline

DEFAULT_DAYS = {
    "complaint": 30,       # Luật Khiếu nại 2011, Điều 28: first resolution within 30 days
    "denunciation": 30,    # Luật Tố cáo 2018, Điều 30: within 30 days
    "recommendation": 10,  # Luật Tiếp công dân 2013, Điều 28: answered within 10 days
    "reflection": 10,      # the same article
}
assert tuple(DEFAULT_DAYS) == CATEGORIES
MAX_DAYS = 365


def seed_deadlines(tenant_id: int) -> int:
    """The default days for the categories the tenant has none for; returns how many added."""
    have = set(db.session.scalars(select(PetitionDeadline.category)
                                  .where(PetitionDeadline.tenant_id == tenant_id)))
    added = 0
    for category, days in DEFAULT_DAYS.items():
        if category not in have:
            db.session.add(PetitionDeadline(tenant_id=tenant_id, category=category, days=days))
            added += 1
    db.session.flush()
    return added


def deadlines(tenant_id: int) -> dict[str, PetitionDeadline]:
    """The tenant's table, every category present (seeded lazily if one is missing)."""
    rows = {row.category: row for row in db.session.scalars(
        select(PetitionDeadline).where(PetitionDeadline.tenant_id == tenant_id))}
    if len(rows) < len(CATEGORIES):
        seed_deadlines(tenant_id)
        return deadlines(tenant_id)
    return {category: rows[category] for category in CATEGORIES}


def days_for(tenant_id: int, category: str) -> int:
    return deadlines(tenant_id)[category].days


def set_days(actor, tenant_id: int, values: dict) -> dict[str, PetitionDeadline]:
    """Correct the days of some categories (``{"complaint": 30, …}``): every value checked
    before any is written. The caller checked that ``actor`` may manage the tenant."""
    if not isinstance(values, dict) or not values:
        raise DomainError(_("Hãy nhập số ngày cho ít nhất một loại đơn."), "days")
    parsed: dict[str, int] = {}
    for category, value in values.items():
        if category not in CATEGORIES:
            raise DomainError(_("Loại đơn không hợp lệ."), "category")
        number = value if isinstance(value, int) and not isinstance(value, bool) else None
        if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
            number = int(value.strip())
        if number is None or not 1 <= number <= MAX_DAYS:
            raise DomainError(_("Số ngày phải là số nguyên từ 1 đến %(n)d.", n=MAX_DAYS),
                              category)
        parsed[category] = number
    rows = deadlines(tenant_id)
    changed = {c: (rows[c].days, n) for c, n in parsed.items() if rows[c].days != n}
    for category, (_old, new) in changed.items():
        rows[category].days = new
        rows[category].updated_by_id = actor.id
        rows[category].updated_at = utcnow()
    db.session.flush()
    if changed:
        record("petition.deadlines", "tenant", tenant_id, actor=actor, tenant_id=tenant_id,
               summary=", ".join(f"{c}: {o}→{n}" for c, (o, n) in changed.items()),
               changed={c: n for c, (_o, n) in changed.items()})
    return rows
