"""Forms, the reporting calendar and reports over the API: the same services and checks as the
report pages.

Each endpoint loads its object through the tenant-scoped getter (404), asks for the right the
service will ask for (403), and only then judges the body against the models declared here
(400, 422): a caller learns nothing from a body about a report they may not touch. What the
values mean (the JSON type each indicator's kind needs, a rate's numerator not above its
denominator) is judged by lhpn/reports/services.py and ``_values`` below (422).
"""

import re
from typing import Annotated, Literal

from flask import Response, jsonify, request, url_for
from flask_babel import gettext as _
from pydantic import Field, ValidatorFunctionWrapHandler, field_validator
from pydantic import ValidationError as PydanticError

from lhpn import authz
from lhpn.access import load_unit
from lhpn.accounts.models import User
from lhpn.api import bp
from lhpn.api.contract import (
    NOT_SENT,
    Answer,
    Body,
    Id,
    Key,
    Page,
    Query,
    QueryId,
    QueryInt,
    Text,
    body,
    endpoint,
    peek_id,
    query,
    refused,
    storable,
)
from lhpn.api.plans import Version
from lhpn.api.plumbing import ID, caller, created
from lhpn.api.signoff import KindApi, step_endpoints
from lhpn.clock import local_date, local_today, utcnow
from lhpn.errors import DomainError, NotFound
from lhpn.extensions import db
from lhpn.indicators.models import Aggregation, Kind
from lhpn.numbers import format_number
from lhpn.reports import batch, services
from lhpn.reports import periods as P
from lhpn.reports.models import Report as ReportRow
from lhpn.reports.models import ReportTemplate
from lhpn.reports.periods import PeriodType
from lhpn.tenants.models import Level
from lhpn.units.models import Unit
from lhpn.units.services import get_unit
from lhpn.workflow.models import Status

NARRATIVE = ("results", "shortcomings", "proposals")
MAX_CODE = 40
# The JSON type a value of each indicator kind must have (null clears a value).
VALUE_TYPES = {"count": (int, float), "decimal": (int, float), "boolean": (bool,),
               "rate": (dict,), "text": (str,)}
Code = Annotated[str, *Text(MAX_CODE, 1)]
# The characters the database's CHECK on reports.period allows (lhpn/reports/periods.py).
PERIOD_PATTERN = r"^[A-Za-z0-9._-]+$"
PeriodCode = Annotated[str, Field(min_length=1, max_length=MAX_CODE, pattern=PERIOD_PATTERN)]
Period = Annotated[PeriodCode, Field(description=(
    "Mã kỳ: 2026-03 (tháng), 2026-Q1, 2026-H1, 2026 (năm), hoặc mã riêng của kỳ chuyên đề, đột "
    "xuất; phải là một kỳ của biểu mẫu (422)."), examples=["2026-03", "2026-Q1", "2026"])]
RatePart = Annotated[int, Field(ge=0, le=services.MAX_RATE_PART)]


# ---- the models -------------------------------------------------------------------------------

class TemplateIndicator(Answer):
    code: str
    name: str
    kind: Kind
    aggregation: Aggregation
    group: str
    required: bool


class TemplatePeriod(Answer):
    code: str
    label: str
    due_date: str = Field(json_schema_extra={"format": "date"})


class Template(Answer):
    id: Id
    code: str = Field(examples=["BC_THANG"])
    name: str
    period_type: PeriodType
    indicators: list[TemplateIndicator]
    levels: list[Level] = Field(description="Các cấp lập báo cáo theo biểu mẫu.")
    due_day: int = Field(description="Hạn: ngày due_day của tháng thứ due_months_after sau kỳ.")
    due_months_after: int
    periods: list[TemplatePeriod] = Field(description="Các kỳ chuyên đề, với hạn riêng.")


class TemplateList(Answer):
    items: list[Template]


class CalendarQuery(Query):
    unit_id: QueryId = Field(default=NOT_SENT, description=(
        "Mặc định: đơn vị của vai trò đầu tiên của người gọi."))
    year: Annotated[int, *QueryInt(2000, 2100)] = Field(default=NOT_SENT, description=(
        "Mặc định: năm nay."))


class CalendarEntry(Answer):
    template: str = Field(description="Mã biểu mẫu.")
    period: str
    label: str = Field(examples=["Tháng 03/2026"])
    due_date: str = Field(json_schema_extra={"format": "date"})
    status: Literal["not_started", Status]
    report_id: Id | None


class CalendarList(Answer):
    items: list[CalendarEntry]


class RateValue(Body):
    """A rate: its numerator is not above its denominator (422)."""

    numerator: RatePart | None = None
    denominator: RatePart | None = None


# int before float: a count stays whole as sent.
Value = int | float | bool | Annotated[str, *Text(services.MAX_TEXT)] | RateValue | None
ReportValues = Annotated[dict[Annotated[str, *Key(MAX_CODE)], Value], Field(description=(
    "Mã chỉ tiêu của biểu mẫu → giá trị theo loại của chỉ tiêu: count số nguyên ≥ 0, decimal "
    "số, boolean true/false, rate {numerator, denominator}, text chuỗi; null để xóa. Mã không "
    "có trong biểu mẫu, giá trị sai loại hoặc ngoài giới hạn: 422."))]


class Narrative(Body):
    results: Annotated[str, *Text(services.MAX_TEXT)] = NOT_SENT
    shortcomings: Annotated[str, *Text(services.MAX_TEXT)] = NOT_SENT
    proposals: Annotated[str, *Text(services.MAX_TEXT)] = NOT_SENT


assert tuple(Narrative.model_fields) == NARRATIVE


class NarrativeAnswer(Answer):
    results: str
    shortcomings: str
    proposals: str


class FromRecords(Answer):
    count: int = Field(ge=0, description=(
        "Số hồ sơ của chính đơn vị trong kỳ (dự thảo: đếm lúc đọc; đã gửi: số lúc gửi)."))
    overridden: bool = Field(description="Số liệu gửi khác số hồ sơ.")
    reason: str = Field(description="Lý do cán bộ nhập số khác hồ sơ; rỗng nếu không khác.")
    value: int | None = Field(description=(
        "Số báo cáo mang: số đã nhập, hoặc (dự thảo chưa nhập) số hồ sơ sẽ lấy khi gửi."))
    record_ids: list[Id] = Field(description=(
        "Số hiệu các hồ sơ của đơn vị trong kỳ mà chỉ tiêu đếm (dự thảo: hiện nay; đã gửi: "
        "các hồ sơ đã ghi lúc gửi). Chỉ số hiệu, không nội dung; xem hồ sơ theo quyền của "
        "người gọi."))


class Report(Answer):
    id: Id
    unit_id: Id
    template: str = Field(description="Mã biểu mẫu.", examples=["BC_THANG"])
    period: str
    status: Status
    values: ReportValues
    version: int = Field(description=(
        "Gửi lại khi nhập số liệu; 409 nếu báo cáo đã bị người khác thay đổi."))
    submitted_at: str | None = Field(json_schema_extra={"format": "date-time"}, description=(
        "Lần gửi gần nhất (UTC, kết thúc bằng Z)."))
    due_date: str | None = Field(json_schema_extra={"format": "date"})
    on_behalf: bool = Field(description="Hội cơ sở nhập thay cho chi hội.")
    nothing_to_report: bool = Field(description=(
        "Đơn vị xác nhận không có số liệu để báo cáo."))
    narrative: NarrativeAnswer
    late: bool = Field(description="Gửi sau hạn, hoặc chưa gửi mà đã quá hạn.")
    from_records: dict[str, FromRecords] = Field(description=(
        "Chỉ tiêu lấy số từ hồ sơ (mã → số hồ sơ, có nhập khác không, lý do). Dự thảo: số hồ "
        "sơ đếm lúc đọc; chỉ tiêu không có trong values sẽ lấy số này khi gửi. Số nhập khác "
        "số hồ sơ cần lý do (override_reasons)."))


class Warning(Answer):  # noqa: A001 (the name of the schema in the document)
    indicator: str
    message: str


class SavedReport(Report):
    warnings: list[Warning] = Field(description="Cảnh báo, không chặn việc lưu.")


class ReportList(Answer):
    items: list[Report]


class ReportQuery(Page):
    unit_id: QueryId = Field(default=NOT_SENT, description="Chỉ báo cáo của đơn vị này.")
    template: Annotated[str, *Text(MAX_CODE)] = Field(default=NOT_SENT, description=(
        "Mã biểu mẫu (422 nếu không có)."))
    period: Annotated[str, *Text(MAX_CODE)] = NOT_SENT
    status: Status = NOT_SENT


class NewReport(Body):
    unit_id: Id
    template: Code = Field(description="Mã biểu mẫu (404 nếu không có).", examples=["BC_THANG"])
    period: Period

    @field_validator("period", mode="wrap")
    @classmethod
    def _say_how_to_write_it(cls, value: object, handler: ValidatorFunctionWrapHandler) -> str:
        """A period typed with other digits or a trailing line break is refused with its ASCII
        spelling, as the pages do: one period has one code."""
        try:
            return handler(value)
        except PydanticError:
            if not isinstance(value, str) or not value:
                raise
            spelling = P.canonical_spelling(value)
            if spelling != value and re.fullmatch(PERIOD_PATTERN, spelling):
                raise refused(_("Mã kỳ “%(code)s” có chữ số hoặc ký tự không chuẩn; hãy viết "
                                "“%(spelling)s” (chữ số thường, không dấu cách).", code=value,
                                spelling=spelling), "period") from None
            raise refused(_("Mã kỳ gồm chữ cái không dấu, chữ số, dấu gạch ngang, gạch dưới, "
                            "dấu chấm (tối đa 40 ký tự)."), "period") from None


class ReportValuesUpdate(Body):
    values: ReportValues = Field(description="Thay toàn bộ số liệu: chỉ tiêu không gửi bị xóa.")
    version: Version
    narrative: Narrative = Field(default=NOT_SENT, description="Các phần gửi thay phần hiện có.")
    nothing_to_report: bool | None = None
    override_reasons: dict[Annotated[str, *Key(MAX_CODE)],
                           Annotated[str, *Text(services.MAX_REASON)]] = Field(
        default=NOT_SENT, description=(
            "Mã chỉ tiêu lấy số từ hồ sơ → lý do nhập số khác hồ sơ. Số khác hồ sơ mà không có "
            "lý do: 422."))

    @field_validator("values", mode="wrap")
    @classmethod
    def _name_the_indicator(cls, value: object, handler: ValidatorFunctionWrapHandler) -> dict:
        """A bad value names its indicator's code, as the service's own refusals do."""
        try:
            return handler(value)
        except PydanticError as exc:
            loc = exc.errors()[0]["loc"]
            if len(loc) < 2 or loc[1] == "[key]":
                if not isinstance(value, dict):
                    raise
                raise refused(_("Mã chỉ tiêu không hợp lệ."), "values") from None
            code = str(loc[0])
            bound = next((e["ctx"]["le"] for e in exc.errors() if "le" in (e.get("ctx") or {})),
                         None)
            if bound is not None:  # a rate's part beyond what the column holds
                raise refused(_("%(c)s: giá trị tối đa %(n)s.", c=code,
                                n=format_number(bound)), code) from None
            raise refused(_("%(c)s: giá trị không hợp lệ (số, true/false, chuỗi, {numerator, "
                            "denominator} hoặc null).", c=code), code) from None


class ReportStep(Body):
    version: Version = Field(default=NOT_SENT, description="Nếu gửi: 409 khi báo cáo đã thay đổi.")


class ReportComment(Body):
    comment: Annotated[str, *Text(5000, 1)]
    version: Version = Field(default=NOT_SENT, description="Nếu gửi: 409 khi báo cáo đã thay đổi.")


class BatchItem(Body):
    id: Id
    version: Version = Field(description="Phiên bản người gọi đã xem: khác là không duyệt.")


class ReportBatch(Body):
    items: list[BatchItem] = Field(min_length=1, max_length=batch.MAX_BATCH)


class BatchError(Answer):
    code: str = Field(examples=["conflict", "forbidden", "not_found", "invalid"])
    message: str


class BatchResult(Answer):
    id: int
    ok: bool
    status: Status = NOT_SENT
    version: int = NOT_SENT
    error: BatchError = NOT_SENT


class ReportBatchResult(Answer):
    results: list[BatchResult] = Field(description="Cùng thứ tự với items.")
    approved: int = Field(ge=0)
    failed: int = Field(ge=0)


# ---- building answers -------------------------------------------------------------------------

def template_dict(template: ReportTemplate) -> dict:
    return {
        "id": template.id,
        "code": template.code,
        "name": template.name,
        "period_type": template.period_type,
        "indicators": [{"code": item.indicator.code, "name": item.indicator.name,
                        "kind": item.indicator.kind, "aggregation": item.indicator.aggregation,
                        "group": item.group, "required": item.required}
                       for item in template.items],
        "levels": template.level_list,
        "due_day": template.due_day,
        "due_months_after": template.due_months_after,
        "periods": [{"code": tp.code, "label": tp.label, "due_date": tp.due_date.isoformat()}
                    for tp in template.periods],
    }


def _late(report: ReportRow) -> bool:
    """Submitted after its due date, or not submitted and past it."""
    if report.due_date is None:
        return False
    day = local_date(report.submitted_at) if report.submitted_at and not report.editable \
        else local_today()
    return day > report.due_date


def report_dict(report: ReportRow) -> dict:
    return {
        "id": report.id,
        "unit_id": report.unit_id,
        "template": report.template.code,
        "period": report.period,
        "status": report.status,
        "values": services.values_for(caller(), report),
        "version": report.version,
        "submitted_at": report.submitted_at.isoformat() + "Z" if report.submitted_at else None,
        "due_date": report.due_date.isoformat() if report.due_date else None,
        "on_behalf": report.on_behalf,
        "nothing_to_report": report.nothing_to_report,
        "narrative": {field: getattr(report, field) for field in NARRATIVE},
        "late": _late(report),
        "from_records": _from_records(report),
    }


def _from_records(report: ReportRow) -> dict:
    """The bound indicators: the records' count, the value carried, and the records' ids."""
    found = services.from_records(report)
    if not found:
        return {}
    ids = services.record_ids(report)
    numbers = {row.indicator_id: row.number for row in report.values}
    out = {}
    for item in report.template.items:
        one = found.get(item.indicator.code)
        if one is None:
            continue
        number = numbers.get(item.indicator_id)
        value = int(number) if number is not None else (one.count if report.editable else None)
        out[item.indicator.code] = {"count": one.count, "overridden": one.overridden,
                                    "reason": one.reason, "value": value,
                                    "record_ids": ids.get(item.indicator_id, [])}
    return out


def _calendar_entry(due: services.Due) -> dict:
    return {"template": due.template.code, "period": due.period, "label": due.label,
            "due_date": due.due_date.isoformat(), "status": due.state,
            "report_id": due.report.id if due.report else None}


# ---- reading bodies ---------------------------------------------------------------------------

def _values(report: ReportRow, values: dict) -> dict:
    """The "values" sent (as sent: a count stays whole), each of the JSON type its indicator's
    kind needs; the service names an unknown code and judges the numbers."""
    kinds = {item.indicator.code: item.indicator.kind for item in report.template.items}
    for code, raw in values.items():
        kind = kinds.get(code)
        if kind is None or raw is None:
            continue  # the service names the unknown code; null clears a value
        wanted = VALUE_TYPES[kind]
        if kind != "boolean" and isinstance(raw, bool) or not isinstance(raw, wanted):
            raise DomainError(_("%(c)s: giá trị không đúng kiểu của chỉ tiêu (%(kind)s).",
                                c=code, kind=kind), code)
    return values


# ---- loading ----------------------------------------------------------------------------------

def _template(key: str, field: str | None = None) -> ReportTemplate:
    """The caller's tenant's form by code (or id); another tenant's is not found."""
    try:
        if not storable(key) or len(key) > MAX_CODE:
            raise NotFound(_("Không tìm thấy biểu mẫu."))
        return services.get_template(caller().tenant_id, key)
    except NotFound as exc:  # name the field at fault when the form came in a body
        raise NotFound(exc.message, field) from None


def _load_report(report_id: int, action: str) -> ReportRow:
    """404 for another tenant's report, then 403 without the right ``action`` needs: entering
    values is for staff of the unit (or of its commune, for a branch); reading for who may
    view the unit. The sign-off steps load their own (lhpn/api/signoff.py)."""
    report = services.get_report(caller().tenant_id, report_id)
    if action == "enter":
        authz.require_enter_for(caller(), report.unit)
    else:
        authz.require(caller(), "view", report.unit)
    return report


def _calendar_unit(user: User, unit_id: int | None) -> Unit:
    """The unit asked for, or the unit of the caller's first role (else their own unit)."""
    if unit_id is None:
        first = min(user.assignments, key=lambda a: a.id, default=None)
        unit_id = first.unit_id if first else user.unit_id
    return load_unit(unit_id, "view")


# ---- forms and the calendar --------------------------------------------------------------------

@bp.get("/templates")
@endpoint("Các biểu mẫu báo cáo của tỉnh.", ok={200: TemplateList})
def list_templates() -> Response:
    # Everyone of the tenant may read them, like the indicator catalogue they draw on.
    templates = db.session.scalars(services.templates_of(caller().tenant_id))
    return jsonify(items=[template_dict(template) for template in templates])


@bp.get(f"/templates/<string(maxlength={MAX_CODE}):code>")
@endpoint("Một biểu mẫu, theo mã (hoặc mã số).", ok={200: Template}, errors="404")
def get_template(code: str) -> Response:
    return jsonify(template_dict(_template(code)))


@bp.get("/calendar")
@endpoint("Lịch báo cáo của một đơn vị trong năm: kỳ, hạn, tình trạng.", ok={200: CalendarList},
          query=CalendarQuery, errors="403 404")
def calendar() -> Response:
    args = query(CalendarQuery)
    unit = _calendar_unit(caller(), args.unit_id)
    year = args.year or utcnow().year
    return jsonify(items=[_calendar_entry(due) for due in services.calendar_for(unit, year)])


# ---- reports ----------------------------------------------------------------------------------

@bp.get("/reports")
@endpoint("Các báo cáo người gọi được xem, kỳ mới nhất trước.\n\nMã biểu mẫu (template) không "
          "có: 422.", ok={200: ReportList}, query=ReportQuery)
def list_reports() -> Response:
    args = query(ReportQuery)
    template_id = None
    if args.template is not None:
        try:
            template_id = _template(args.template).id
        except NotFound as exc:  # a filter naming no form is a mistake, not an empty list
            raise DomainError(exc.message, "template") from None
    # Filtered in SQL by the same reach as single reads.
    stmt = services.visible_reports(caller(), unit_id=args.unit_id, template_id=template_id,
                                    period=args.period, status=args.status)
    reports = db.session.scalars(stmt.limit(args.limit).offset(args.offset))
    return jsonify(items=[report_dict(report) for report in reports])


@bp.post("/reports")
@endpoint("Mở báo cáo của đơn vị cho một kỳ: tạo dự thảo (201), hoặc trả lại báo cáo đã có "
          "(200).\n\nCần quyền nhập báo cáo của đơn vị (403); biểu mẫu không có: 404; kỳ "
          "không phải một kỳ của biểu mẫu, hoặc đơn vị không thuộc cấp lập biểu mẫu: 422.",
          ok={201: Report, 200: Report}, body=NewReport, errors="403 404")
def open_report() -> Response:
    """The unit's report for the period: created as a draft (201), or the one already there
    (200)."""
    # The unit and the form named are looked up, and the right asked, before the rest of the
    # body is judged. A form that is not the tenant's is "not found" before the right to the
    # unit is asked.
    unit_id = peek_id("unit_id")
    if unit_id is not None:
        unit = get_unit(caller().tenant_id, unit_id)
        sent = request.get_json(silent=True)  # an object: peek_id found an id in it
        key = sent.get("template") if isinstance(sent, dict) else None
        if isinstance(key, str):
            _template(key, "template")
        authz.require_enter_for(caller(), unit)
    data = body(NewReport)
    unit = get_unit(caller().tenant_id, data.unit_id)
    template = _template(data.template, "template")
    authz.require_enter_for(caller(), unit)
    existing = services.find_report(unit, template, data.period)
    report = services.open_report(caller(), unit, template, data.period)
    db.session.commit()
    if existing is not None:
        return jsonify(report_dict(report))
    return created(report_dict(report), url_for(".get_report", report_id=report.id))


@bp.get(f"/reports/<{ID}:report_id>")
@endpoint("Một báo cáo.", ok={200: Report}, errors="403 404")
def get_report(report_id: int) -> Response:
    return jsonify(report_dict(_load_report(report_id, "view")))


@bp.put(f"/reports/<{ID}:report_id>/values")
@endpoint("Nhập số liệu và phần tường thuật khi báo cáo là dự thảo hoặc bị trả lại.\n\n"
          "Báo cáo đã gửi hoặc đã duyệt, hoặc version cũ: 409. Mã chỉ tiêu không có trong biểu "
          "mẫu, giá trị sai loại của chỉ tiêu, số âm hoặc quá lớn, tử số lớn hơn mẫu số: 422.",
          ok={200: SavedReport}, body=ReportValuesUpdate, errors="403 404 409")
def save_values(report_id: int) -> Response:
    """The values sent replace the report's (an indicator left out is cleared); the narrative
    fields sent replace theirs; "version" says which state of the report they were made on."""
    report = _load_report(report_id, "enter")
    data = body(ReportValuesUpdate)
    # The values as sent (the model has checked their shape): 1 stays 1, not 1.0.
    values = _values(report, request.get_json()["values"])
    narrative = (data.narrative.model_dump(exclude_unset=True)
                 if data.narrative is not None else None)
    warnings = services.save_report(caller(), report, values, data.version,
                                    narrative=narrative,
                                    nothing_to_report=data.nothing_to_report,
                                    reasons=data.override_reasons)
    db.session.commit()
    return jsonify(report_dict(report) | {"warnings": [
        {"indicator": w.indicator, "message": w.message} for w in warnings]})


STEP = ("Nếu gửi version: 409 khi báo cáo đã thay đổi; 409 khi báo cáo không ở trạng thái cho "
        "phép bước này.")


# POST /reports/ID/submit, /approve, /return, /reopen and GET /reports/ID/history
# (lhpn/api/signoff.py).
step_endpoints(KindApi(
    services.SIGN_OFF, path="reports", id_name="report_id", noun="report",
    get=services.get_report, answer=report_dict, schema=Report, step_body=ReportStep,
    comment_body=ReportComment,
    summaries={
        "submit": f"Gửi báo cáo (cần quyền nhập báo cáo của đơn vị).\n\n{STEP} Thiếu chỉ tiêu "
                  "bắt buộc: 422.",
        "approve": "Duyệt và khóa báo cáo (cần quyền duyệt của đơn vị cấp trên).\n\nKhông ai "
                   f"tự duyệt báo cáo mình gửi (422). {STEP}",
        "return": "Trả lại kèm ý kiến.\n\nKhông ai tự trả lại báo cáo mình gửi (422); ý kiến "
                  f"không chỉ gồm khoảng trắng (422). {STEP}",
        "reopen": "Mở lại báo cáo đã duyệt, kèm lý do.\n\nLý do không chỉ gồm khoảng trắng "
                  f"(422). {STEP}",
    }))


# ---- approving several at once -------------------------------------------------------------------

@bp.post("/reports/approve")
@endpoint("Duyệt nhiều báo cáo: mỗi báo cáo được duyệt như khi duyệt riêng (quyền, phiên bản đã "
          "xem, không tự duyệt) và trong giao dịch riêng; báo cáo không duyệt được không ảnh "
          "hưởng các báo cáo khác. Trả 200 với kết quả từng báo cáo.",
          ok={200: ReportBatchResult}, body=ReportBatch)
def approve_reports() -> Response:
    """Approve several reports, each as if approved alone and in its own transaction
    (lhpn/reports/batch.py): 200 with one result per item, in order."""
    items = [(item.id, item.version) for item in body(ReportBatch).items]
    outcomes = batch.approve_many(caller(), items)
    results = []
    for (key, _version), outcome in zip(items, outcomes, strict=True):
        result: dict = {"id": key, "ok": outcome.ok}
        if outcome.ok:
            assert outcome.report is not None  # an approval comes with its report
            result.update(status=outcome.report.status, version=outcome.report.version)
        else:
            result["error"] = {"code": outcome.code, "message": outcome.message}
        results.append(result)
    approved = sum(1 for outcome in outcomes if outcome.ok)
    return jsonify(results=results, approved=approved, failed=len(outcomes) - approved)
