"""How long a closed incident keeps its victims' identities, and removing them.

Each tenant sets the months (``Tenant.incident_retention_months``, 60 by default: the README
says why). ``flask privacy purge`` (lhpn/privacy/cli.py), run daily, takes every incident closed
more than that many months before today (Vietnam's calendar) and not purged yet, and
pseudonymises it (``purge_incident``):

* each victim's name becomes "Nạn nhân 1", "Nạn nhân 2", … (their order in the case), their
  address and phone are emptied; sex, year of birth and child-or-adult stay, so the case still
  counts;
* the place, the source, the person responsible and their relation, the victim's state and the
  interventions' "by whom" and notes are emptied; the facts and the outcome, free text that
  names people as a matter of course, are replaced by a neutral sentence;
* the notes and refusal reasons of the data subjects' requests about the case are emptied;
* the follow-ups' answers (an agency's words, which may name the victim) are emptied;
* the kind, the dates, the unit, the status, the interventions' kinds and dates and the
  follow-ups' agencies, letters, dates and statuses stay.

The incident is marked ``purged_at``: a second run finds nothing to do. Each purged incident
writes an audit entry ``incident.purge`` with its number and the victims' count, nothing else.
An erasure requested by a data subject (lhpn/incidents/data_requests.py) uses the same
pseudonymisation for one victim, or the whole case.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import Select, select

from lhpn import authz
from lhpn.audit.services import record
from lhpn.clock import local_date, local_today, utcnow
from lhpn.errors import DomainError
from lhpn.extensions import db
from lhpn.followups.models import FollowUp
from lhpn.incidents.models import Incident, Victim
from lhpn.incidents.services import OBJECT_TYPE
from lhpn.privacy.models import DataRequest
from lhpn.tenancy import acting_for
from lhpn.tenants.models import Tenant

# Stored data, not the interface: written in Vietnamese whatever the language of the run.
PSEUDONYM = "Nạn nhân {n}"
REMOVED = "Đã xóa thông tin định danh ngày {day:%d/%m/%Y}."
DEFAULT_MONTHS, MIN_MONTHS, MAX_MONTHS = 60, 12, 240
BATCH_SIZE = 200


def add_months(day: date, months: int) -> date:
    """``day`` moved by ``months`` (negative: back), the 31st kept inside a shorter month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)  # unreachable: the 28th exists in every month


def purge_due_on(closed_on: date, months: int) -> date:
    """The first day a case closed on ``closed_on`` is purged: the day after closed_on +
    months."""
    return date.fromordinal(add_months(closed_on, months).toordinal() + 1)


def due(months: int, today: date) -> Select:
    """The incidents of the current tenant whose identities are kept longer than ``months``
    after closing: closed_on + months < today, not purged yet."""
    return (select(Incident)
            .where(Incident.status == "closed", Incident.closed_on.is_not(None),
                   Incident.closed_on < add_months(today, -months), Incident.purged_at.is_(None))
            .order_by(Incident.id))


# --- Pseudonymising ------------------------------------------------------------------------

def pseudonymise_victim(victim: Victim) -> None:
    """The victim's name becomes "Nạn nhân N" (their place in the case), no address, no phone."""
    number = next((index for index, other in enumerate(victim.incident.victims, start=1)
                   if other is victim), 1)
    victim.full_name = PSEUDONYM.format(n=number)
    victim.address = victim.phone = None


def purge_incident(incident: Incident, now: datetime, *, reason: str, actor=None) -> int:
    """Pseudonymise the whole case (see the module's docstring); returns the victims' count.
    Flushed; the caller commits."""
    removed = REMOVED.format(day=local_date(now))
    for victim in incident.victims:
        pseudonymise_victim(victim)
    incident.place = incident.source = None
    incident.responsible = incident.responsible_relation = None
    incident.victim_state = None
    incident.facts = removed
    incident.outcome = removed if incident.outcome else None
    for intervention in incident.interventions:
        intervention.by_whom = intervention.note = None
    requests = db.session.scalars(select(DataRequest)
                                  .where(DataRequest.incident_id == incident.id)).all()
    for request in requests:
        request.note = request.refusal_reason = None
    follow_ups = db.session.scalars(select(FollowUp).where(
        FollowUp.object_type == OBJECT_TYPE, FollowUp.object_id == incident.id,
        FollowUp.tenant_id == incident.tenant_id)).all()
    for follow_up in follow_ups:
        if follow_up.answer:
            follow_up.answer, follow_up.updated_at = "", now
    incident.purged_at = now
    incident.updated_at = now
    db.session.flush()
    record("incident.purge", "incident", incident.id, actor=actor, tenant_id=incident.tenant_id,
           summary=f"Vụ việc số {incident.id}: đã xóa thông tin định danh", reason=reason,
           victims=len(incident.victims))
    return len(incident.victims)


@dataclass
class PurgeBatch:
    tenant_id: int
    tenant_code: str
    incidents: int
    victims: int


def purge_batches(today: date | None = None, *,
                  batch_size: int = BATCH_SIZE) -> Iterator[PurgeBatch]:
    """Every tenant's incidents due for the purge, ``batch_size`` at a time, each tenant read
    inside its own scope (``acting_for``); each batch is flushed before it is yielded, for the
    caller to commit (the command commits each batch, so an interrupted run keeps its work and
    the next run finishes the rest). Runs inside the named crossing "purge"."""
    today = local_today() if today is None else today
    tenants = db.session.execute(select(Tenant.id, Tenant.code, Tenant.incident_retention_months)
                                 .order_by(Tenant.id)).all()
    for tenant_id, code, months in tenants:
        while True:
            with acting_for(tenant_id):
                incidents = db.session.scalars(due(months, today).limit(batch_size)).unique().all()
                now = utcnow()
                victims = sum(purge_incident(incident, now, reason="retention")
                              for incident in incidents)
            if not incidents:
                break
            yield PurgeBatch(tenant_id, code, len(incidents), victims)


# --- The tenant's setting ---------------------------------------------------------------------

def parse_months(value: object) -> int:
    text = value.strip() if isinstance(value, str) else value
    number = text if isinstance(text, int) and not isinstance(text, bool) else None
    if isinstance(text, str) and text.isascii() and text.isdigit():
        number = int(text)
    if number is None or not MIN_MONTHS <= number <= MAX_MONTHS:
        raise DomainError(_("Thời hạn lưu giữ là số tháng từ %(a)d đến %(b)d, ví dụ 60 (5 năm).",
                            a=MIN_MONTHS, b=MAX_MONTHS), "incident_retention_months")
    return number


def set_retention(actor, tenant: Tenant, value: object) -> Tenant:
    """The months a closed incident keeps its identities; for whoever manages the tenant."""
    authz.require_manage_tenant(actor)
    months = parse_months(value)
    if tenant.incident_retention_months != months:
        before = tenant.incident_retention_months
        tenant.incident_retention_months = months
        db.session.flush()
        record("tenant.retention", "tenant", tenant.id, actor=actor, tenant_id=tenant.id,
               summary=f"{before} → {months}", before=before, months=months)
    return tenant
