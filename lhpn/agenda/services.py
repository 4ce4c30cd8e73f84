"""What the shared pages read, for any record kind registered in lhpn/records.py.

- ``search``: the records of the units a user views (or of one unit's subtree among them)
  whose kind finds them for the words typed; each kind searches only what it keeps in clear.
- ``deadlines``: what falls due between two days, and what is overdue: each kind's own
  deadlines, and every open follow-up (lhpn/followups) of any object type, so that an overdue
  recommendation shows on the dashboards of its unit and of the units above it (whoever views
  the unit), linked through ``records.url_of``.
- ``month``: a month's days with their deadlines and the reports' due dates
  (lhpn/dashboard/services.py ``report_due_dates``).

Nothing here reads personal data: titles are the kinds' (a record's number, its kind, the
agency followed), and a follow-up's title is its kind, number and agency.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from lhpn import authz, records
from lhpn.clock import local_today
from lhpn.dashboard.services import ReportDue, report_due_dates
from lhpn.errors import DomainError
from lhpn.extensions import db
from lhpn.followups.models import FollowUp
from lhpn.followups.services import is_overdue
from lhpn.text import clean_line, search_key
from lhpn.units.models import Unit

MAX_QUERY = 100          # characters of the words searched
UPCOMING_DAYS = 14       # the dashboard's "Hạn sắp tới"
MAX_SPAN_DAYS = 366      # the longest stretch of days asked at once
SHOWN_ON_DASHBOARD = 20  # each group; the calendar lists the rest


# ---- search -------------------------------------------------------------------------------------

@dataclass
class Found:
    """The hits of one kind."""

    kind: records.RecordKind
    hits: list[records.Hit]


def search_words(value: object) -> str:
    """The words typed, as a search key; too long or with control characters: refused."""
    if value is not None and not isinstance(value, str):
        raise DomainError(_("Từ khóa tìm kiếm phải là văn bản."), "q")
    text = clean_line(value, _("Từ khóa tìm kiếm"), "q").strip()
    if len(text) > MAX_QUERY:
        raise DomainError(_("Từ khóa tìm kiếm dài quá %(n)d ký tự.", n=MAX_QUERY), "q")
    return " ".join(search_key(text).split())


def kind_of(code: object) -> records.RecordKind | None:
    """The kind asked for ("" or None: every kind); an unknown one is refused."""
    if code in (None, ""):
        return None
    kind = records.KINDS.get(code) if isinstance(code, str) else None
    if kind is None:
        raise DomainError(_("Không có loại hồ sơ này."), "kind")
    return kind


def scope(user, unit: Unit | None = None):
    """A SELECT of the ids of the units searched: those ``user`` views, under ``unit`` when
    one is chosen (the caller has checked that ``user`` views it)."""
    stmt = select(Unit.id).where(authz.reachable(user, "view"))
    if unit is not None:
        stmt = stmt.where(Unit.path.startswith(unit.path, autoescape=True))
    return stmt


def search(user, words: str, unit: Unit | None = None,
           kind: records.RecordKind | None = None) -> list[Found]:
    """The hits of every searchable kind (or of ``kind``), kinds in the order they were
    registered; kinds with no hit are left out."""
    if user.tenant_id is None:
        return []
    unit_ids = scope(user, unit)
    found = []
    for each in ([kind] if kind is not None else list(records.KINDS.values())):
        if each.search is None:
            continue
        hits = each.search(user, words, unit_ids)
        if hits:
            found.append(Found(each, hits))
    return found


# ---- deadlines ----------------------------------------------------------------------------------

def label_of(object_type: str) -> str:
    kind = records.KINDS.get(object_type)
    return str(kind.label) if kind is not None else object_type


def _follow_up_deadlines(user, start: date | None, end: date) -> list[records.Deadline]:
    """Every open follow-up of the units ``user`` views due by ``end`` (from ``start``)."""
    stmt = (select(FollowUp).options(joinedload(FollowUp.unit))
            .where(FollowUp.tenant_id == user.tenant_id, FollowUp.status == "open",
                   FollowUp.due_on <= end,
                   FollowUp.unit_id.in_(authz.reachable_unit_ids(user, "view")))
            .order_by(FollowUp.due_on, FollowUp.id))
    if start is not None:
        stmt = stmt.where(FollowUp.due_on >= start)
    found = list(db.session.scalars(stmt))
    return [records.Deadline(
        fu.object_type, fu.object_id,
        _("%(record)s — %(agency)s", record=name, agency=fu.agency), fu.unit.name, fu.due_on,
        is_overdue(fu), records.url_of(fu.object_type, fu.object_id) or "")
        for fu, name in zip(found, _names(found), strict=True)]


def _names(follow_ups: list[FollowUp]) -> list[str]:
    """The name of each follow-up's record: its kind's ``names`` (one call a kind), or
    "<label> số <id>"."""
    ids: dict[str, set[int]] = {}
    for fu in follow_ups:
        ids.setdefault(fu.object_type, set()).add(fu.object_id)
    named: dict[str, dict[int, str]] = {}
    for object_type, wanted in ids.items():
        kind = records.KINDS.get(object_type)
        named[object_type] = kind.names(sorted(wanted)) if kind and kind.names else {}
    return [named[fu.object_type].get(fu.object_id)
            or _("%(kind)s số %(id)d", kind=label_of(fu.object_type), id=fu.object_id)
            for fu in follow_ups]


def deadlines(user, start: date, end: date, *, overdue: bool = True) -> list[records.Deadline]:
    """What falls due from ``start`` to ``end`` for ``user`` and, with ``overdue``, whatever
    is overdue before ``start``: overdue first, then by day. A follow-up the record's kind
    already gave (same record, same day) is not given twice."""
    if user.tenant_id is None:
        return []
    since = None if overdue else start
    found: list[records.Deadline] = []
    for kind in records.KINDS.values():
        if kind.deadlines is not None:
            found += kind.deadlines(user, since, end)
    given = {(d.object_type, d.object_id, d.due_on) for d in found}
    found += [d for d in _follow_up_deadlines(user, since, end)
              if (d.object_type, d.object_id, d.due_on) not in given]
    kept = [d for d in found if d.due_on >= start or (overdue and d.overdue)]
    return sorted(kept, key=lambda d: (not d.overdue, d.due_on, d.object_type, d.object_id,
                                       search_key(d.title)))


@dataclass
class Upcoming:
    """The dashboard's panel: overdue, then due in the next days."""

    overdue: list[records.Deadline]
    coming: list[records.Deadline]
    until: date

    def __bool__(self) -> bool:
        return bool(self.overdue or self.coming)


def upcoming(user, today: date | None = None) -> Upcoming:
    today = local_today() if today is None else today
    until = today + timedelta(days=UPCOMING_DAYS)
    found = deadlines(user, today, until)
    return Upcoming([d for d in found if d.overdue], [d for d in found if not d.overdue],
                    until)


def span(start: date, end: date) -> None:
    """Refuse a stretch of days backwards or longer than ``MAX_SPAN_DAYS``."""
    if end < start:
        raise DomainError(_("Ngày cuối (to) không được trước ngày đầu (from)."), "to")
    if (end - start).days > MAX_SPAN_DAYS:
        raise DomainError(_("Khoảng ngày dài quá %(n)d ngày.", n=MAX_SPAN_DAYS), "to")


# ---- the calendar -------------------------------------------------------------------------------

@dataclass
class Day:
    day: date
    deadlines: list[records.Deadline] = field(default_factory=list)
    reports: list[ReportDue] = field(default_factory=list)


@dataclass
class Month:
    first: date
    last: date
    days: list[Day]  # only the days with something due

    @property
    def previous(self) -> date:
        return (self.first - timedelta(days=1)).replace(day=1)

    @property
    def next(self) -> date:
        return self.last + timedelta(days=1)


def parse_month(value: object, today: date | None = None) -> date:
    """"2026-12" → 1 December 2026; nothing sent: this month."""
    if value in (None, ""):
        return (local_today() if today is None else today).replace(day=1)
    text = value if isinstance(value, str) else ""
    year, dash, month = text.partition("-")
    if (dash and len(year) == 4 and len(month) == 2 and year.isascii() and year.isdigit()
            and month.isascii() and month.isdigit() and 1 <= int(month) <= 12
            and 1990 <= int(year) <= 2100):
        return date(int(year), int(month), 1)
    raise DomainError(_("Tháng không hợp lệ: hãy chọn theo dạng năm-tháng, ví dụ 2026-12."),
                      "month")


def month(user, first: date) -> Month:
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    days: dict[date, Day] = {}
    for d in deadlines(user, first, last, overdue=False):
        days.setdefault(d.due_on, Day(d.due_on)).deadlines.append(d)
    if user.tenant_id is not None:
        for r in report_due_dates(user, first, last):
            days.setdefault(r.due_date, Day(r.due_date)).reports.append(r)
    for day in days.values():
        day.deadlines.sort(key=lambda d: (d.object_type, d.object_id, search_key(d.title)))
    return Month(first, last, [days[key] for key in sorted(days)])
