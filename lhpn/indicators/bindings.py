"""Indicators bound to records: a report's value of a bound indicator is prefilled from the
unit's own records of the report's period (issue 15 item 10).

A binding is data the province admin sets on the indicator (``Indicator.binding``); what each
binding counts is code, here. A new kind of record (supervisions, petitions) adds one entry.
Each count is of the unit's OWN records: consolidation sums the subtree upward already.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from lhpn.extensions import db
from lhpn.units.models import Unit

Count = Callable[[Unit, date, date], int]
Records = Callable[[Unit, date, date, datetime | None], list[int]]


@dataclass(frozen=True)
class Binding:
    code: str
    label: object  # a lazy string: shown on the indicator page
    count: Count
    # The ids of the records counted (for a count of people, the records they are in), those
    # recorded by ``before`` if given: ids only, so a report's reader can find them where she
    # may, never what they hold.
    records: Records
    # Counts of people harmed: a small cell below the province could point at a person, so a
    # reader who may not see identities reads "< 3" there (lhpn/consolidation/views.py).
    sensitive: bool = False


def _incidents(unit: Unit, start: date, end: date):
    from lhpn.incidents.models import Incident

    return (Incident.unit_id == unit.id, Incident.occurred_on >= start,
            Incident.occurred_on <= end)


def count_cases(unit: Unit, start: date, end: date) -> int:
    from lhpn.incidents.models import Incident

    return db.session.scalar(select(func.count(Incident.id))
                             .where(*_incidents(unit, start, end))) or 0


def count_victims(unit: Unit, start: date, end: date) -> int:
    from lhpn.incidents.models import Incident, Victim

    return db.session.scalar(select(func.count(Victim.id))
                             .join(Incident, Incident.id == Victim.incident_id)
                             .where(*_incidents(unit, start, end))) or 0


def _recorded(unit: Unit, start: date, end: date, before: datetime | None):
    from lhpn.incidents.models import Incident

    where = _incidents(unit, start, end)
    return (*where, Incident.created_at <= before) if before is not None else where


def case_ids(unit: Unit, start: date, end: date, before: datetime | None = None) -> list[int]:
    from lhpn.incidents.models import Incident

    return list(db.session.scalars(select(Incident.id)
                                   .where(*_recorded(unit, start, end, before))
                                   .order_by(Incident.id)))


def victim_case_ids(unit: Unit, start: date, end: date,
                    before: datetime | None = None) -> list[int]:
    from lhpn.incidents.models import Incident, Victim

    return list(db.session.scalars(select(Incident.id).distinct()
                                   .join(Victim, Victim.incident_id == Incident.id)
                                   .where(*_recorded(unit, start, end, before))
                                   .order_by(Incident.id)))


def _reported(unit: Unit, start: date, end: date, before: datetime | None = None):
    """The unit's own supervisions whose final report is dated in the period (reported, or
    closed after it): a report dated 31/03 counts in March, in Q1 and in H1."""
    from lhpn.supervisions.models import Supervision

    where = (Supervision.unit_id == unit.id, Supervision.status.in_(("reported", "closed")),
             Supervision.reported_on >= start, Supervision.reported_on <= end)
    return (*where, Supervision.reported_at <= before) if before is not None else where


def count_supervisions(unit: Unit, start: date, end: date) -> int:
    from lhpn.supervisions.models import Supervision

    return db.session.scalar(select(func.count(Supervision.id))
                             .where(*_reported(unit, start, end))) or 0


def supervision_ids(unit: Unit, start: date, end: date,
                    before: datetime | None = None) -> list[int]:
    from lhpn.supervisions.models import Supervision

    return list(db.session.scalars(select(Supervision.id)
                                   .where(*_reported(unit, start, end, before))
                                   .order_by(Supervision.id)))
def _petitions(unit: Unit, start: date, end: date, before: datetime | None = None):
    """The unit's OWN petitions RECEIVED in the period (lhpn/petitions): the catalogue's
    DON_THU counts petitions "received, resolved"; receipt is the day every petition has, so
    a petition counts once, in the period it came in, whatever became of it."""
    from lhpn.petitions.models import Petition

    where = (Petition.unit_id == unit.id, Petition.received_on >= start,
             Petition.received_on <= end)
    return (*where, Petition.created_at <= before) if before is not None else where


def count_petitions(unit: Unit, start: date, end: date) -> int:
    from lhpn.petitions.models import Petition

    return db.session.scalar(select(func.count(Petition.id))
                             .where(*_petitions(unit, start, end))) or 0


def petition_ids(unit: Unit, start: date, end: date, before: datetime | None = None) -> list[int]:
    from lhpn.petitions.models import Petition

    return list(db.session.scalars(select(Petition.id)
                                   .where(*_petitions(unit, start, end, before))
                                   .order_by(Petition.id)))
def _critiques(kind: str, unit: Unit, start: date, end: date, before: datetime | None):
    """The unit's own critiques (or comments) whose comments were sent in the period."""
    from lhpn.critiques.models import Critique

    where = (Critique.unit_id == unit.id, Critique.kind == kind,
             Critique.status.in_(("sent", "concluded")), Critique.sent_on >= start,
             Critique.sent_on <= end)
    return (*where, Critique.created_at <= before) if before is not None else where


def _critique_binding(kind: str) -> tuple[Count, Records]:
    from lhpn.critiques.models import Critique

    def count(unit: Unit, start: date, end: date) -> int:
        return db.session.scalar(select(func.count(Critique.id))
                                 .where(*_critiques(kind, unit, start, end, None))) or 0

    def ids(unit: Unit, start: date, end: date, before: datetime | None = None) -> list[int]:
        return list(db.session.scalars(select(Critique.id)
                                       .where(*_critiques(kind, unit, start, end, before))
                                       .order_by(Critique.id)))

    return count, ids


def _dialogues(unit: Unit, start: date, end: date, before: datetime | None):
    """The unit's own dialogues held in the period."""
    from lhpn.dialogues.models import Dialogue

    where = (Dialogue.unit_id == unit.id, Dialogue.status.in_(("held", "closed")),
             Dialogue.held_on >= start, Dialogue.held_on <= end)
    return (*where, Dialogue.created_at <= before) if before is not None else where


def count_dialogues(unit: Unit, start: date, end: date) -> int:
    from lhpn.dialogues.models import Dialogue

    return db.session.scalar(select(func.count(Dialogue.id))
                             .where(*_dialogues(unit, start, end, None))) or 0


def dialogue_ids(unit: Unit, start: date, end: date,
                 before: datetime | None = None) -> list[int]:
    from lhpn.dialogues.models import Dialogue

    return list(db.session.scalars(select(Dialogue.id)
                                   .where(*_dialogues(unit, start, end, before))
                                   .order_by(Dialogue.id)))


BINDINGS: dict[str, Binding] = {b.code: b for b in (
    Binding("incidents.cases", _l("Số vụ việc bạo lực, xâm hại đã ghi nhận trong kỳ"),
            count_cases, case_ids, sensitive=True),
    Binding("incidents.victims", _l("Số nạn nhân của các vụ việc ghi nhận trong kỳ"),
            count_victims, victim_case_ids, sensitive=True),
    Binding("supervisions.reported", _l("Số cuộc giám sát có báo cáo kết quả trong kỳ"),
            count_supervisions, supervision_ids),
    Binding("petitions.received", _l("Số đơn thư đơn vị tiếp nhận trong kỳ"),
            count_petitions, petition_ids),
    Binding("critiques.sent", _l("Số dự thảo đã gửi ý kiến phản biện xã hội trong kỳ"),
            *_critique_binding("critique")),
    Binding("comments.sent", _l("Số dự thảo đã gửi ý kiến góp ý trong kỳ"),
            *_critique_binding("comment")),
    Binding("dialogues.held", _l("Số cuộc đối thoại đã tổ chức trong kỳ"),
            count_dialogues, dialogue_ids),
)}

# Free text that may name a victim: kept where it was written, read only by the chain of
# command (``read_protected`` on the report's unit), never consolidated
# (lhpn/reports/services.py readable_values).
PROTECTED_CODES = frozenset({"TOM_TAT_VU_VIEC"})


def binding_of(indicator) -> Binding | None:
    return BINDINGS.get(indicator.binding) if indicator.binding else None


def is_sensitive(indicator) -> bool:
    binding = binding_of(indicator)
    return binding is not None and binding.sensitive


def is_protected(indicator) -> bool:
    return indicator.code in PROTECTED_CODES
