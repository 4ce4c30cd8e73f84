"""Incident statistics: how many cases and victims a unit's subtree counted in a period, by
child unit × kind, and by victim sex, age band and status. Counts only: no name, address,
phone, place or fact is ever read here, so building them writes no sensitive read.

The cases counted are those ``services.visible`` gives the reader, and only them.

A count below the province of 1 or 2 could point at a person (lhpn/consolidation/small_cells.py):
a reader who may not read identities (``read_protected``) on a row's unit reads "< 3" in that
row's cells. The breakdowns by sex, age band and status describe the people of the scope, so
when the scope is below the province they follow the same rule on the scope's unit. The totals
(cases and victims of the scope, and per kind) stay exact.
"""

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import load_only

from lhpn import authz
from lhpn.consolidation.small_cells import SMALL, SMALL_VALUES
from lhpn.errors import DomainError, as_id
from lhpn.extensions import db
from lhpn.incidents import services
from lhpn.incidents.models import INCIDENT_STATUSES, SEXES, Incident, IncidentKind, Victim
from lhpn.units.models import Unit

Cell = int | str  # a count, or SMALL for a count of 1 or 2 hidden from the reader
FIRST_YEAR, LAST_YEAR = 1990, 2100
MAX_DAYS = 366 * 10


@dataclass(frozen=True)
class Period:
    """Days of ``occurred_on`` counted, both ends included; ``query`` names it in a URL."""

    start: date
    end: date
    label: str
    query: dict[str, str]


def _year(value: object, name: str) -> int:
    key = as_id(value) if isinstance(value, str | int) else None
    if key is None or not FIRST_YEAR <= key <= LAST_YEAR:
        raise DomainError(_("Năm phải là một số từ %(a)d đến %(b)d, ví dụ 2026.",
                            a=FIRST_YEAR, b=LAST_YEAR), name)
    return key


def _day(value: object, label: str, name: str) -> date:
    """A day typed dd/mm/yyyy or yyyy-mm-dd (a future day is allowed: a period may run on)."""
    if isinstance(value, str):
        for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
            try:
                day = datetime.strptime(value.strip(), pattern).date()
            except ValueError:
                continue
            if FIRST_YEAR <= day.year <= LAST_YEAR:
                return day
    raise DomainError(_("%(f)s viết theo dạng ngày/tháng/năm, ví dụ 05/03/2026.", f=label), name)


def parse_period(args: Mapping[str, object], today: date) -> Period:
    """The period asked for: ``from`` and ``to`` (days), else ``year`` (this year when not
    given) with an optional ``month``. Bad input raises with a message naming the field."""
    given = {key: args.get(key) for key in ("year", "month", "from", "to")
             if args.get(key) not in (None, "")}
    if "from" in given or "to" in given:
        if "year" in given or "month" in given:
            raise DomainError(_("Chọn năm (và tháng), hoặc khoảng từ ngày đến ngày, không "
                                "chọn cả hai."), "from")
        if "from" not in given or "to" not in given:
            missing = "from" if "from" not in given else "to"
            raise DomainError(_("Hãy nhập cả ngày bắt đầu và ngày kết thúc."), missing)
        start = _day(given["from"], _("Từ ngày"), "from")
        end = _day(given["to"], _("Đến ngày"), "to")
        if end < start:
            raise DomainError(_("Ngày kết thúc phải từ ngày bắt đầu trở đi."), "to")
        if (end - start).days > MAX_DAYS:
            raise DomainError(_("Khoảng thời gian dài quá 10 năm."), "to")
        label = _("Từ %(a)s đến %(b)s", a=start.strftime("%d/%m/%Y"), b=end.strftime("%d/%m/%Y"))
        return Period(start, end, label, {"from": start.isoformat(), "to": end.isoformat()})
    year = _year(given["year"], "year") if "year" in given else today.year
    if "month" not in given:
        return Period(date(year, 1, 1), date(year, 12, 31), _("Năm %(y)d", y=year),
                      {"year": str(year)})
    month = as_id(given["month"]) if isinstance(given["month"], str | int) else None
    if month is None or not 1 <= month <= 12:
        raise DomainError(_("Tháng phải là một số từ 1 đến 12."), "month")
    start = date(year, month, 1)
    end = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return Period(start, end, _("Tháng %(m)02d/%(y)d", m=month, y=year),
                  {"year": str(year), "month": str(month)})


@dataclass
class Row:
    """One line of the breakdown: a child unit of the scope (its whole subtree), or the cases
    recorded at the scope's unit itself (``own``)."""

    unit: Unit
    own: bool
    by_kind: dict[int, Cell]
    incidents: Cell
    victims: Cell

    @property
    def hidden(self) -> bool:
        return SMALL in (self.incidents, self.victims, *self.by_kind.values())


@dataclass
class IncidentStats:
    scope: Unit
    period: Period
    kinds: list[IncidentKind]
    rows: list[Row]
    by_kind: dict[int, int]                 # exact
    incidents: int                          # exact
    victims: int                            # exact
    by_sex: dict[str, Cell] = field(default_factory=dict)
    by_age: dict[str, Cell] = field(default_factory=dict)
    by_status: dict[str, Cell] = field(default_factory=dict)

    @property
    def hidden(self) -> bool:
        return any(row.hidden for row in self.rows) or self.breakdowns_hidden

    @property
    def breakdowns_hidden(self) -> bool:
        return SMALL in (*self.by_sex.values(), *self.by_age.values(), *self.by_status.values())


def default_scope(user) -> Unit | None:
    """The highest unit ``user`` may view (the first of them, when several)."""
    return db.session.scalars(select(Unit).where(authz.reachable(user, "view"))
                              .order_by(Unit.depth, Unit.path).limit(1)).first()


def _may_see_small(user, unit: Unit) -> bool:
    return unit.parent_id is None or authz.can(user, "read_protected", unit)


def _cell(count: int, exact: bool) -> Cell:
    return SMALL if count in SMALL_VALUES and not exact else count


def incident_stats(user, scope: Unit, period: Period) -> IncidentStats:
    """The counts of the cases ``user`` sees in ``scope``'s subtree that occurred in
    ``period``. The caller has checked that ``user`` may view ``scope``."""
    seen = services.visible(user).order_by(None).with_only_columns(Incident.id)
    counted = (select(Incident.id, Incident.kind_id, Incident.status, Incident.occurred_on,
                      Unit.path)
               .join(Unit, Unit.id == Incident.unit_id)
               .where(Incident.id.in_(seen.scalar_subquery()),
                      Incident.tenant_id == scope.tenant_id,
                      Unit.path.startswith(scope.path, autoescape=True),
                      Incident.occurred_on >= period.start, Incident.occurred_on <= period.end))
    cases = db.session.execute(counted).all()
    ids = counted.with_only_columns(Incident.id).scalar_subquery()
    victims = list(db.session.scalars(
        select(Victim).options(load_only(Victim.incident_id, Victim.sex, Victim.birth_year))
        .where(Victim.incident_id.in_(ids)))) if cases else []
    children = list(db.session.scalars(
        select(Unit).where(Unit.parent_id == scope.id, authz.reachable(user, "view"))
        .order_by(Unit.name, Unit.id)))
    # Which row a case falls in: the child whose subtree holds its unit, else the scope itself.
    by_child_path = {child.path: child.id for child in children}
    in_row: dict[int, list] = defaultdict(list)
    for case in cases:
        below = case.path[len(scope.path):].strip("/").split("/")[0]
        in_row[by_child_path.get(f"{scope.path}{below}/", scope.id) if below else scope.id
               ].append(case)
    victims_of = Counter(victim.incident_id for victim in victims)
    per_kind = Counter(case.kind_id for case in cases)
    # The tenant's kinds in use, and a retired kind only where it was counted.
    kinds = [kind for kind in services.kinds(scope.tenant_id, active_only=False)
             if kind.active or per_kind[kind.id]]
    rows = []
    for unit, own in [(scope, True), *((child, False) for child in children)]:
        mine = in_row[unit.id]
        if own and not mine:
            continue
        exact = _may_see_small(user, unit)
        mine_by_kind = Counter(case.kind_id for case in mine)
        rows.append(Row(unit, own,
                        {kind.id: _cell(mine_by_kind[kind.id], exact) for kind in kinds},
                        _cell(len(mine), exact),
                        _cell(sum(victims_of[case.id] for case in mine), exact)))
    occurred = {case.id: case.occurred_on for case in cases}
    exact = _may_see_small(user, scope)
    sexes = Counter(victim.sex for victim in victims)
    ages = Counter(services.age_band(victim, occurred[victim.incident_id]) for victim in victims)
    statuses = Counter(case.status for case in cases)
    return IncidentStats(
        scope=scope, period=period, kinds=kinds, rows=rows,
        by_kind={kind.id: per_kind[kind.id] for kind in kinds},
        incidents=len(cases), victims=len(victims),
        by_sex={sex: _cell(sexes[sex], exact) for sex in SEXES},
        by_age={band: _cell(ages[band], exact) for band in services.age_band_labels()},
        by_status={status: _cell(statuses[status], exact) for status in INCIDENT_STATUSES})


def row_name(row: Row) -> str:
    if row.own:
        return _("%(unit)s (vụ việc ghi nhận tại đơn vị này)", unit=row.unit.name)
    return row.unit.name + (_(" (đã giải thể)") if row.unit.closed else "")


SMALL_NOTE = _l("“< 3”: 1 hoặc 2 trường hợp, không hiện số chính xác với người không được đọc "
              "thông tin nhận diện ở đơn vị đó; các số tổng cộng vẫn chính xác.")
