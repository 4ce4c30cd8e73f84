"""Consolidations over the API: what the approved reports of a unit's subtree add up to, with
completeness, timeliness, plan attainment and one line per child unit (the drill-down).

Same order as every endpoint: 401, then 404 for a unit of another tenant, 403 without the right
to view it, then the query (422 for a bad period, 404 for an unknown form)."""

from typing import Annotated, Literal

from flask import Response, jsonify
from flask_babel import gettext as _
from pydantic import Field

from lhpn import authz
from lhpn.access import load_unit
from lhpn.api import bp
from lhpn.api.contract import NOT_SENT, Answer, Id, Query, Text, endpoint, query
from lhpn.api.plumbing import ID, caller
from lhpn.api.reports import MAX_CODE
from lhpn.authz.engine import SYSTEM
from lhpn.consolidation import services
from lhpn.consolidation.small_cells import hide_small_cells
from lhpn.errors import DomainError
from lhpn.plans.models import TargetKind
from lhpn.tenants.models import Level
from lhpn.throttle import range_limit

FormCode = Annotated[str, Field(min_length=1, max_length=MAX_CODE, description="Mã biểu mẫu.",
                                pattern=r"^[^\u0000]*\S[^\u0000]*$")]
# A month, quarter, half-year or year of 2000–2100 (the country view adds up standard periods).
STANDARD_PERIOD = r"^(20[0-9]{2}|2100)(-(0[1-9]|1[0-2]|Q[1-4]|H[12]))?$"
Count = Annotated[int, Field(ge=0)]
Percent = Annotated[float, Field(ge=0)] | None
Figures = Annotated[dict[str, float | None], Field(description=(
    "Mã chỉ tiêu → giá trị tổng hợp (null: chưa có số liệu hoặc chỉ tiêu văn bản). Tỷ lệ tính "
    "bằng Σ tử số / Σ mẫu số × 100; cách tổng hợp share cho % báo cáo trả lời có (hoặc số > "
    "0)."))]


class ConsolidationQuery(Query):
    template: FormCode
    period: Annotated[str, *Text(MAX_CODE)] = Field(default=NOT_SENT, description=(
        "Một kỳ của biểu mẫu (hoặc from và to). Kỳ không phải của biểu mẫu: 422."))
    from_: Annotated[str, *Text(MAX_CODE)] = Field(default=NOT_SENT, alias="from", description=(
        "Kỳ đầu của một khoảng (cùng với to; thay cho period)."))
    to: Annotated[str, *Text(MAX_CODE)] = Field(default=NOT_SENT, description=(
        "Kỳ cuối của khoảng, tính cả kỳ này."))
    attainment: Literal["year", "periods"] = Field(default="year", description=(
        "So chỉ tiêu năm với số liệu lũy kế từ đầu năm (year) hay với các kỳ đang xem "
        "(periods)."))


class CountryQuery(Query):
    template: FormCode
    period: Annotated[str, Field(pattern=STANDARD_PERIOD, description=(
        "Tháng (2027-01), quý (2027-Q1), nửa năm (2027-H1) hoặc năm (2027)."))]


class CountedPlan(Answer):
    id: Id
    unit_id: Id
    number: str
    title: str


ChildFigures = Annotated[dict[str, float | Literal["< 3"] | None], Field(description=(
    "Như values của đơn vị đang xem; số vụ việc, nạn nhân bằng 1 hoặc 2 ghi \"< 3\" với "
    "người không được đọc danh tính ở đơn vị con đó (tổng vẫn chính xác)."))]


class ConsolidationChild(Answer):
    unit_id: Id
    name: str
    level: Level
    closed: bool
    values: ChildFigures
    expected: Count
    approved: Count
    on_time: Count


class NotDone(Answer):
    unit_id: Id
    note: str


class Attainment(Answer):
    plan_id: Id
    target_id: Id
    indicator: str | None = Field(description="null: chỉ tiêu định tính.")
    level: Level
    kind: TargetKind
    value: float | None
    threshold: float | None
    text: str = Field(default=NOT_SENT, description="Chỉ tiêu định tính: lời văn.")
    deadline: str | None = Field(default=None, json_schema_extra={"format": "date"})
    units: Count = Field(description="Số đơn vị của cấp đó trong cây.")
    met: Count = Field(description="Số đơn vị đạt (định tính: đã báo thực hiện).")
    attained: bool
    in_form: bool = Field(description=(
        "Chỉ tiêu có trong biểu mẫu này (nếu không, không đo được ở đây)."))
    not_met: list[Id] = Field(description=(
        "Các đơn vị chưa đạt (định tính: chưa thực hiện hoặc chưa báo)."))
    not_done: list[NotDone] = Field(default=NOT_SENT, description=(
        "Định tính: đơn vị báo chưa thực hiện."))


class Consolidation(Answer):
    unit_id: Id
    template: str
    periods: list[str]
    label: str = Field(examples=["Tháng 01/2027 – Tháng 12/2027"])
    values: Figures
    expected: Count = Field(description="Số báo cáo phải nộp của cả cây đơn vị.")
    approved: Count = Field(description="Số báo cáo đã duyệt.")
    on_time: Count = Field(description=(
        "Số báo cáo đã duyệt được gửi lần đầu trước hết ngày hạn nộp."))
    completeness: Percent = Field(description="approved / expected × 100.")
    timeliness: Percent = Field(description="on_time / expected × 100.")
    plans: list[CountedPlan] = Field(description=(
        "Các kế hoạch đã ban hành thuộc chương trình công tác năm dùng để so chỉ tiêu: của đơn "
        "vị, hoặc của cấp trên gần nhất có kế hoạch được đánh dấu."))
    attainment_periods: list[str] = Field(description=(
        "Các kỳ có số liệu được so với chỉ tiêu: mặc định lũy kế từ đầu năm đến kỳ cuối đang "
        "xem (attainment=periods: các kỳ đang xem)."))
    attainment: list[Attainment]
    children: list[ConsolidationChild]


class CountryConsolidation(Answer):
    template: str
    period: str
    values: Figures
    reports: dict[str, Count]


def _row(result: services.Consolidation, row: services.Row) -> dict:
    counts = row.counts
    return {"unit_id": row.unit.id, "name": row.unit.name, "level": row.unit.level,
            "closed": row.unit.closed,
            "values": {item.indicator.code: row.cell(item.indicator_id) for item in result.items},
            "expected": counts.expected, "approved": counts.approved,
            "on_time": counts.on_time}


def _target(line: services.Attainment) -> dict:
    target = line.target
    data = {"plan_id": target.plan_id, "target_id": target.id, "level": target.level,
            "kind": target.kind, "units": line.units, "met": line.met,
            "attained": line.attained, "in_form": line.in_form,
            "not_met": [miss.unit.id for miss in line.misses]}
    if not target.measured:
        return {**data, "indicator": None, "value": None, "threshold": None,
                "text": target.text,
                "deadline": target.deadline.isoformat() if target.deadline else None,
                "not_done": [{"unit_id": m.unit.id, "note": m.note} for m in line.misses
                             if m.done is False]}
    return {**data, "indicator": target.measured_indicator.code,
            "value": float(target.measured_value),
            "threshold": None if target.threshold is None else float(target.threshold)}


def _plan(plan) -> dict:
    return {"id": plan.id, "unit_id": plan.unit_id, "number": plan.number,
            "title": plan.title}


def consolidation_dict(result: services.Consolidation) -> dict:
    counts = result.counts
    return {
        "unit_id": result.unit.id,
        "template": result.template.code,
        "periods": result.periods,
        "label": result.label,
        "values": result.values_by_code(),
        "expected": counts.expected,
        "approved": counts.approved,
        "on_time": counts.on_time,
        "completeness": counts.completeness,
        "timeliness": counts.timeliness,
        "plans": [_plan(plan) for plan in result.plans],
        "attainment_periods": result.attainment_periods if result.plans else [],
        "attainment": [_target(line) for line in result.attainment],
        "children": [_row(result, row) for row in result.children],
    }


def _args(args: ConsolidationQuery | CountryQuery) -> dict:
    return {"template": args.template, "period": args.period,
            "from": getattr(args, "from_", None), "to": getattr(args, "to", None),
            "attainment": getattr(args, "attainment", None)}


@bp.get(f"/units/<{ID}:unit_id>/consolidation")
@endpoint("Tổng hợp số liệu các báo cáo đã duyệt của đơn vị và cấp dưới cho một kỳ (period) "
          "hoặc một khoảng kỳ (from, to): giá trị theo cách tổng hợp của từng chỉ tiêu, tỷ lệ "
          "đủ và đúng hạn, mức đạt chỉ tiêu kế hoạch, từng đơn vị trực thuộc.\n\n"
          "Gửi period, hoặc from và to (422 nếu không có). Biểu mẫu không có: 404; kỳ không "
          "phải của biểu mẫu, from sau to, khoảng quá dài: 422. Khoảng kỳ có giới hạn số lần "
          "mỗi phút cho mỗi người (429).",
          ok={200: Consolidation}, query=ConsolidationQuery, errors="403 404 429")
@range_limit
def unit_consolidation(unit_id: int) -> Response:
    unit = load_unit(unit_id, "view")
    args = query(ConsolidationQuery)
    if not (args.period or args.from_ or args.to):
        raise DomainError(_("Hãy chọn kỳ báo cáo (hoặc cả kỳ đầu và kỳ cuối)."), "period")
    return jsonify(consolidation_dict(hide_small_cells(services.from_request(unit, _args(args)),
                                                       caller())))


@bp.get("/consolidation")
@endpoint("Tổng hợp toàn quốc một biểu mẫu (cùng mã ở mọi tỉnh) cho một kỳ: chỉ quản trị hệ "
          "thống.\n\nMã biểu mẫu không có ở tỉnh nào: các giá trị rỗng.",
          ok={200: CountryConsolidation}, query=CountryQuery, errors="403")
def country_consolidation() -> Response:
    """The whole platform (every tenant's root) for one form code: system administrator only."""
    authz.require(caller(), "manage", SYSTEM)
    args = query(CountryQuery)
    period = args.period  # a standard period: the pattern of CountryQuery says which
    figures = services.country(args.template, [period])
    return jsonify(template=args.template, period=period,
                   values={code: f["value"] for code, f in sorted(figures.items())},
                   reports={code: f["reports"] for code, f in sorted(figures.items())})
