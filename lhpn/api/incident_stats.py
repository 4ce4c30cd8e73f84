"""Incident statistics over the API: the figures of the page /incidents/stats
(lhpn/incidents/stats.py), counts only.

A count hidden from the caller (1 or 2, in a row below the province where the caller may not
read identities) is ``null`` with the row's ``small_hidden`` true (the breakdowns':
``breakdowns_hidden``); a zero is always 0. Totals are always numbers. Like the case list, the
answer says ``Cache-Control: no-store`` (lhpn/api/incidents.py) and writes no sensitive read.
"""

from typing import Annotated

from flask import Response, jsonify
from pydantic import Field

from lhpn import authz
from lhpn.api import bp
from lhpn.api.contract import (
    NOT_SENT,
    Answer,
    Id,
    Query,
    QueryDate,
    QueryId,
    QueryInt,
    endpoint,
    query,
)
from lhpn.api.plumbing import caller
from lhpn.clock import local_today
from lhpn.incidents import stats
from lhpn.incidents.models import IncidentStatus, Sex
from lhpn.tenants.models import Level
from lhpn.units.models import Unit
from lhpn.units.services import get_unit

Count = Annotated[int, Field(ge=0)]
Shown = Annotated[int, Field(ge=0)] | None


class IncidentStatsQuery(Query):
    unit_id: QueryId = Field(default=NOT_SENT, description=(
        "Đơn vị thống kê (cả cây bên dưới); không gửi: đơn vị cao nhất người gọi được xem."))
    year: Annotated[int, *QueryInt(stats.FIRST_YEAR, stats.LAST_YEAR)] = Field(
        default=NOT_SENT, description="Năm xảy ra; không gửi: năm nay.")
    month: Annotated[int, *QueryInt(1, 12)] = Field(default=NOT_SENT, description=(
        "Tháng của năm (1–12)."))
    from_: QueryDate = Field(default=NOT_SENT, alias="from", description=(
        "Từ ngày xảy ra (cùng với to; không gửi cùng year, month)."))
    to: QueryDate = Field(default=NOT_SENT, description="Đến ngày xảy ra, tính cả ngày này.")


class StatsPeriod(Answer):
    start: str = Field(alias="from", json_schema_extra={"format": "date"})
    end: str = Field(alias="to", json_schema_extra={"format": "date"})
    label: str = Field(examples=["Tháng 11/2026"])


class StatsKind(Answer):
    code: str
    name: str


class IncidentStatsRow(Answer):
    unit_id: Id
    name: str
    level: Level
    closed: bool
    own: bool = Field(description=(
        "true: các vụ việc ghi nhận tại chính đơn vị thống kê; false: một đơn vị trực thuộc "
        "và cả cây bên dưới."))
    incidents: Shown
    victims: Shown
    by_kind: dict[str, Shown] = Field(description="Mã loại vụ việc → số vụ việc.")
    small_hidden: bool = Field(description=(
        "true: các ô null của dòng là 1 hoặc 2 (\"< 3\"), không hiện với người không được đọc "
        "danh tính ở đơn vị đó."))


class AgeBandCount(Answer):
    band: str = Field(examples=["30–44 tuổi"])
    count: Shown


class IncidentStats(Answer):
    unit_id: Id
    name: str
    period: StatsPeriod
    kinds: list[StatsKind]
    incidents: Count = Field(description="Tổng số vụ việc (luôn chính xác).")
    victims: Count = Field(description="Tổng số nạn nhân (luôn chính xác).")
    by_kind: dict[str, Count] = Field(description="Mã loại → tổng số vụ việc (chính xác).")
    rows: list[IncidentStatsRow]
    by_sex: dict[Sex, Shown]
    by_age_band: list[AgeBandCount]
    by_status: dict[IncidentStatus, Shown]
    breakdowns_hidden: bool = Field(description=(
        "true: trong by_sex, by_age_band, by_status có ô null (1 hoặc 2) vì đơn vị thống kê "
        "dưới cấp tỉnh và người gọi không được đọc danh tính ở đó."))


def _shown(cell: stats.Cell) -> int | None:
    return None if cell == stats.SMALL else int(cell)


def stats_dict(result: stats.IncidentStats) -> dict:
    codes = {kind.id: kind.code for kind in result.kinds}
    return {
        "unit_id": result.scope.id, "name": result.scope.name,
        "period": {"from": result.period.start.isoformat(),
                   "to": result.period.end.isoformat(), "label": result.period.label},
        "kinds": [{"code": kind.code, "name": kind.name} for kind in result.kinds],
        "incidents": result.incidents, "victims": result.victims,
        "by_kind": {codes[kind_id]: count for kind_id, count in result.by_kind.items()},
        "rows": [{"unit_id": row.unit.id, "name": row.unit.name, "level": row.unit.level,
                  "closed": row.unit.closed, "own": row.own,
                  "incidents": _shown(row.incidents), "victims": _shown(row.victims),
                  "by_kind": {codes[k]: _shown(cell) for k, cell in row.by_kind.items()},
                  "small_hidden": row.hidden} for row in result.rows],
        "by_sex": {sex: _shown(cell) for sex, cell in result.by_sex.items()},
        "by_age_band": [{"band": band, "count": _shown(cell)}
                        for band, cell in result.by_age.items()],
        "by_status": {status: _shown(cell) for status, cell in result.by_status.items()},
        "breakdowns_hidden": result.breakdowns_hidden,
    }


def _scope(unit_id: int | None) -> Unit:
    if unit_id is None:
        unit = stats.default_scope(caller())
        if unit is None:
            raise authz.Forbidden("view")
        return unit
    unit = get_unit(caller().tenant_id, unit_id)
    authz.require(caller(), "view", unit)
    return unit


@bp.get("/incidents/stats")
@endpoint("Thống kê vụ việc của một đơn vị và cả cây bên dưới trong một năm (year), một tháng "
          "(year, month) hoặc một khoảng ngày (from, to) theo ngày xảy ra: số vụ việc theo "
          "từng đơn vị trực thuộc × loại vụ việc; số nạn nhân theo giới tính, nhóm tuổi; số vụ "
          "việc theo trạng thái. Chỉ có số lượng, không có thông tin nhận diện; chỉ tính các vụ "
          "việc người gọi được xem.\n\n"
          "Ô nhỏ: ở dòng của một đơn vị dưới cấp tỉnh mà người gọi không được đọc danh tính, "
          "số 1 hoặc 2 trả về null và small_hidden = true (tức \"< 3\"); số 0 vẫn là 0. Khi "
          "đơn vị thống kê dưới cấp tỉnh, by_sex, by_age_band, by_status theo cùng quy tắc "
          "(breakdowns_hidden). Các số tổng (incidents, victims, by_kind) luôn chính xác.\n\n"
          "Đơn vị tỉnh khác hoặc không có: 404; không được xem: 403. Gửi cả year/month và "
          "from/to, thiếu from hoặc to, to trước from, khoảng quá 10 năm: 422.",
          ok={200: IncidentStats}, query=IncidentStatsQuery, errors="403 404")
def incident_stats() -> Response:
    if caller().tenant_id is None:
        raise authz.Forbidden("view")
    args = query(IncidentStatsQuery)
    scope = _scope(args.unit_id)
    sent = {"year": args.year, "month": args.month, "from": args.from_, "to": args.to}
    period = stats.parse_period({key: value for key, value in sent.items() if value is not None},
                                local_today())
    return jsonify(stats_dict(stats.incident_stats(caller(), scope, period)))

