"""Plans over the API: the same services and checks as the plan pages.

A body is checked against the models declared here (strings are strings, lists are lists,
lengths, levels, no unknown fields); what the values mean (an indicator of the tenant's
catalogue, a level below the unit, a deadline after the plan date) is judged by
lhpn/plans/services.py, so the pages and the API refuse alike (422).
"""

from dataclasses import replace
from typing import Annotated, Literal

from flask import Response, jsonify, url_for
from pydantic import ConfigDict, Discriminator, Field, Tag
from sqlalchemy.orm import selectinload

from lhpn import authz
from lhpn.access import load_unit
from lhpn.api import bp
from lhpn.api.contract import (
    NOT_SENT,
    Answer,
    Body,
    Date,
    Id,
    Page,
    QueryId,
    QueryInt,
    Text,
    body,
    endpoint,
    nothing_sent,
    peek_id,
    query,
)
from lhpn.api.plumbing import ID, caller, created
from lhpn.api.signoff import KindApi, step_endpoints
from lhpn.authz.plans import may_mark_counted, may_read_plan
from lhpn.extensions import db
from lhpn.plans import services
from lhpn.plans.models import SECTION_KEYS, MeasuredKind
from lhpn.plans.models import Plan as PlanRow
from lhpn.plans.models import PlanRequest as RequestRow
from lhpn.plans.services import ActivityInput, ChildState, PlanInput, TargetInput, WhenKind
from lhpn.tenants.models import Level
from lhpn.workflow.models import Status

Version = Annotated[int, Field(ge=1, le=2**31 - 1)]
Markdown = Annotated[str, *Text(100_000, description=(
    "Markdown: tiêu đề, danh sách đánh số và gạch đầu dòng, chữ đậm."))]
# A target's value: ≥ 0, at most two decimals (plan_targets.value is NUMERIC(14, 2)).
Amount = Annotated[float, Field(ge=0, le=float(services.MAX_TARGET))]


# ---- what a client writes (and reads back) ---------------------------------------------------

class MeasuredTarget(Body):
    id: Id = Field(default=NOT_SENT, description="Trong câu trả lời; bỏ qua khi gửi lên.")
    indicator: Annotated[str, *Text(64, 1)] = Field(description=(
        "Mã chỉ tiêu trong danh mục của tỉnh (422 nếu không có)."), examples=["GIAM_SAT"])
    level: Level = Field(description="Cấp áp dụng: cấp của đơn vị hoặc cấp dưới (422).")
    kind: MeasuredKind = Field(description=(
        "count: mỗi đơn vị đạt ≥ value; share: value % đơn vị đạt ≥ threshold; rate: tỷ lệ ≥ "
        "value % (chỉ với chỉ số dạng tỷ lệ). share, rate: value ≤ 100; count của chỉ số đếm: "
        "số nguyên (422)."))
    value: Amount
    threshold: Amount | None = Field(default=None, description="Chỉ với share (mặc định 1).")
    note: Annotated[str, *Text(500)] = ""


class TextTarget(Body):
    id: Id = Field(default=NOT_SENT, description="Trong câu trả lời; bỏ qua khi gửi lên.")
    kind: Literal["text"] = Field(description=(
        "Chỉ tiêu định tính: mỗi đơn vị thuộc cấp áp dụng báo đã thực hiện hay chưa."))
    level: Level = Field(description="Cấp áp dụng: cấp của đơn vị hoặc cấp dưới (422).")
    text: Annotated[str, *Text(2000, 1)] = Field(
        examples=["100% Hội LHPN cơ sở góp ý ít nhất 01 dự thảo văn bản"])
    deadline: Date | None = None


def _target_kind(value: object) -> str:
    kind = value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)
    # The tag names start with "tagged": lhpn.api.contract leaves them out of a field's name.
    return "tagged-text" if kind == "text" else "tagged-measured"


Target = Annotated[Annotated[MeasuredTarget, Tag("tagged-measured")]
                   | Annotated[TextTarget, Tag("tagged-text")], Discriminator(_target_kind)]


class Activity(Body):
    title: Annotated[str, *Text(500, 1)]
    when: WhenKind = "year"
    when_number: Annotated[int, Field(ge=1, le=12)] | None = Field(default=None, description=(
        "Tháng (1–12) với when = month, quý (1–4) với when = quarter (422)."))
    start_date: Date | None = Field(default=None, description="Bắt buộc với when = range.")
    end_date: Date | None = Field(default=None, description=(
        "Bắt buộc với when = range, không trước start_date (422)."))
    lead: Annotated[str, *Text(200)] = ""
    coordinators: Annotated[str, *Text(300)] = ""
    budget_source: Annotated[str, *Text(200)] = ""


class Headings(Body):
    """Each section's own heading (no number: numbering is automatic); a section not named
    here keeps the default heading."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"content": "NHIỆM VỤ TRỌNG TÂM"}]})

    purpose: Annotated[str, *Text(200)] = NOT_SENT
    targets: Annotated[str, *Text(200)] = NOT_SENT
    content: Annotated[str, *Text(200)] = NOT_SENT
    budget: Annotated[str, *Text(200)] = NOT_SENT
    organisation: Annotated[str, *Text(200)] = NOT_SENT


assert tuple(Headings.model_fields) == SECTION_KEYS


class PlanWritable(Body):
    """The fields a client writes; a plan in an answer carries them and the server's own."""

    number: Annotated[str, *Text(60)] = Field(default=NOT_SENT, examples=["68/KH-BTV"])
    place: Annotated[str, *Text(120)] = NOT_SENT
    plan_date: Date | None = None
    parent_plan_id: Id | None = Field(default=None, description=(
        "Kế hoạch đã ban hành của cấp trên mà kế hoạch này thực hiện (422 nếu không phải)."))
    basis: Markdown = NOT_SENT
    purpose: Markdown = NOT_SENT
    content: Markdown = NOT_SENT
    organisation: Markdown = NOT_SENT
    budget: Markdown = Field(default=NOT_SENT, description=(
        "Phần kinh phí; chỉ có trong văn bản khi được điền."))
    headings: Headings = NOT_SENT
    counted: bool = Field(default=NOT_SENT, description=(
        "Thuộc chương trình công tác năm của đơn vị: khi đã ban hành, các chỉ tiêu được theo "
        "dõi mức đạt (trang tổng hợp, bảng điều khiển)."))
    recipients: list[Annotated[str, *Text(500)]] = Field(default=NOT_SENT, description=(
        "Nơi nhận, mỗi mục một dòng."))
    signer_title: Annotated[str, *Text(80)] = Field(default=NOT_SENT, examples=["CHỦ TỊCH"])
    signer_name: Annotated[str, *Text(120)] = NOT_SENT
    child_levels: list[Level] = Field(default=NOT_SENT, description=(
        "Các cấp dưới (của đơn vị) phải xây dựng kế hoạch thực hiện khi kế hoạch được ban hành "
        "(422 nếu không phải cấp dưới)."))
    child_deadline: Date | None = Field(default=None, description=(
        "Hạn gửi kế hoạch của cấp dưới; bắt buộc khi có child_levels, không trước plan_date "
        "(422)."))
    targets: list[Target] = NOT_SENT
    activities: list[Activity] = NOT_SENT


Year = Annotated[int, Field(ge=2000, le=2100)]
Title = Annotated[str, *Text(500, 1)]


class NewPlan(PlanWritable):
    unit_id: Id
    year: Year
    title: Title


class PlanChanges(PlanWritable):
    model_config = ConfigDict(json_schema_extra={"minProperties": 2})

    version: Version = Field(description="Phiên bản đã xem; 409 nếu kế hoạch đã thay đổi.")
    year: Year = NOT_SENT
    title: Title = NOT_SENT


class PlanStep(Body):
    version: Version = Field(default=NOT_SENT, description="Nếu gửi: 409 khi kế hoạch đã thay đổi.")


class PlanReturn(Body):
    comment: Annotated[str, *Text(5000, 1)]
    version: Version = Field(default=NOT_SENT, description="Nếu gửi: 409 khi kế hoạch đã thay đổi.")


class PlanCounted(Body):
    counted: bool
    version: Version = Field(default=NOT_SENT, description="Nếu gửi: 409 khi kế hoạch đã thay đổi.")


class NewTargetCheck(Body):
    done: bool
    note: Annotated[str, *Text(1000)] = Field(default="", description=(
        "Bắt buộc khi done = false (422)."))


class PlanQuery(Page):
    unit_id: QueryId = Field(default=NOT_SENT, description="Chỉ kế hoạch của đơn vị này.")
    year: Annotated[int, *QueryInt(2000, 2100)] = NOT_SENT
    status: Status = NOT_SENT


# ---- answers ----------------------------------------------------------------------------------

class TargetWarning(Answer):
    indicator: str
    level: Level
    kind: MeasuredKind
    value: float
    required: float = Field(description="Mức của kế hoạch cấp trên.")
    threshold: float | None = None
    required_threshold: float | None = None


class Plan(Answer):
    id: Id
    unit_id: Id
    year: int
    title: str
    number: str
    status: Status
    parent_plan_id: Id | None
    targets: list[Target]
    version: int = Field(description="Gửi lại khi sửa; 409 nếu kế hoạch đã bị người khác "
                                     "thay đổi.")
    place: str
    plan_date: str | None = Field(json_schema_extra={"format": "date"})
    basis: str
    purpose: str
    content: str
    organisation: str
    budget: str
    headings: Headings
    counted: bool
    recipients: list[str]
    signer_title: str
    signer_name: str
    child_levels: list[Level]
    child_deadline: str | None = Field(json_schema_extra={"format": "date"})
    activities: list[Activity]
    warnings: list[TargetWarning] = Field(description=(
        "Chỉ tiêu thấp hơn yêu cầu của kế hoạch cấp trên."))


class PlanList(Answer):
    items: list[Plan]


class TargetCheck(Answer):
    target_id: Id
    unit_id: Id
    done: bool
    note: str
    checked_at: str | None = Field(json_schema_extra={"format": "date-time"})


class TargetCheckList(Answer):
    items: list[TargetCheck]


class CascadeRow(Answer):
    unit_id: Id
    unit_name: str
    state: ChildState
    late: bool
    plan_id: Id | None
    deadline: str = Field(json_schema_extra={"format": "date"})


class CascadeList(Answer):
    items: list[CascadeRow]


class PlanRequest(Answer):
    parent_plan_id: Id
    parent_unit_id: Id
    parent_title: str
    parent_number: str
    unit_id: Id
    deadline: str = Field(json_schema_extra={"format": "date"})
    plan_id: Id | None = Field(description="Kế hoạch thực hiện, khi đã bắt đầu.")


class PlanRequestList(Answer):
    items: list[PlanRequest]


# ---- building answers -------------------------------------------------------------------------

def plan_dict(plan: PlanRow) -> dict:
    return {
        "id": plan.id,
        "unit_id": plan.unit_id,
        "year": plan.year,
        "title": plan.title,
        "number": plan.number,
        "status": plan.status,
        "parent_plan_id": plan.parent_plan_id,
        "targets": [target.to_dict() for target in plan.targets],
        "version": plan.version,
        "place": plan.place,
        "plan_date": _iso(plan.plan_date),
        "basis": plan.basis,
        "purpose": plan.purpose,
        "content": plan.content,
        "organisation": plan.organisation,
        "budget": plan.budget,
        "headings": {key: plan.heading(key) for key in SECTION_KEYS if plan.heading(key)},
        "counted": plan.counted,
        "recipients": plan.recipient_list,
        "signer_title": plan.signer_title,
        "signer_name": plan.signer_name,
        "child_levels": plan.child_level_list,
        "child_deadline": _iso(plan.child_deadline),
        "activities": [activity.to_dict() for activity in plan.activities],
        "warnings": [_warning(weak) for weak in services.weaker_targets(plan)],
    }


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _warning(weak: services.Weaker) -> dict:
    have, need = weak.target.to_dict(), weak.required.to_dict()
    warning = {key: have[key] for key in ("indicator", "level", "kind", "value")}
    warning["required"] = need["value"]
    if weak.target.kind == "share":
        warning["threshold"] = have.get("threshold")
        warning["required_threshold"] = need.get("threshold")
    return warning


def _cascade_row(row: services.ChildStatus) -> dict:
    return {"unit_id": row.request.unit_id, "unit_name": row.request.unit.name,
            "state": row.state, "late": row.late, "plan_id": row.plan.id if row.plan else None,
            "deadline": row.request.deadline.isoformat()}


def _request_dict(plan_request: RequestRow) -> dict:
    parent = plan_request.parent_plan
    child = services.child_plan(plan_request)
    return {"parent_plan_id": parent.id, "parent_unit_id": parent.unit_id,
            "parent_title": parent.title, "parent_number": parent.number,
            "unit_id": plan_request.unit_id, "deadline": plan_request.deadline.isoformat(),
            "plan_id": child.id if child else None}



# ---- reading bodies ---------------------------------------------------------------------------

def _target_input(target: MeasuredTarget | TextTarget) -> TargetInput:
    if isinstance(target, TextTarget):
        return TargetInput(indicator=None, level=target.level, kind="text", value=None,
                           text=target.text, deadline=target.deadline)
    return TargetInput(indicator=target.indicator, level=target.level, kind=target.kind,
                       value=target.value, threshold=target.threshold, note=target.note)


def _activity_input(activity: Activity) -> ActivityInput:
    return ActivityInput(title=activity.title, when=activity.when,
                         when_number=activity.when_number, start_date=activity.start_date,
                         end_date=activity.end_date, lead=activity.lead,
                         coordinators=activity.coordinators,
                         budget_source=activity.budget_source)


def _plan_values(data: PlanWritable) -> dict:
    """The PlanInput fields sent in ``data`` (a field sent as null means "none")."""
    values: dict = {}
    for name in data.model_fields_set - {"version", "unit_id"}:
        value = getattr(data, name)
        if name == "recipients":
            value = "\n".join(value or ())
        elif name == "headings":
            value = value.model_dump(exclude_none=True) if value is not None else None
        elif name == "targets":
            value = [_target_input(target) for target in value or ()]
        elif name == "activities":
            value = [_activity_input(activity) for activity in value or ()]
        values[name] = value
    return values


def _as_input(plan: PlanRow) -> PlanInput:
    """The plan as it is now, for an update that changes only some of it."""
    return PlanInput(
        title=plan.title, year=plan.year, number=plan.number, place=plan.place,
        plan_date=plan.plan_date, parent_plan_id=plan.parent_plan_id, basis=plan.basis,
        purpose=plan.purpose, content=plan.content, organisation=plan.organisation,
        budget=plan.budget, headings=dict(plan.headings or {}), counted=plan.counted,
        recipients=plan.recipients, signer_title=plan.signer_title,
        signer_name=plan.signer_name, child_levels=plan.child_level_list,
        child_deadline=plan.child_deadline,
        targets=[TargetInput(t.measured_indicator.code, t.level, t.kind, t.value, t.threshold,
                             t.note)
                 if t.measured else TargetInput(None, t.level, "text", None, text=t.text,
                                                deadline=t.deadline)
                 for t in plan.targets],
        activities=[ActivityInput(a.title, a.when_kind, a.when_number, a.start_date,
                                  a.end_date, a.lead, a.coordinators, a.budget_source)
                    for a in plan.activities],
    )


# ---- loading ----------------------------------------------------------------------------------

def _load_plan(plan_id: int, action: str) -> PlanRow:
    """404 for another tenant's plan, then 403 without ``action`` at the plan's unit; "read"
    is the plan-reading rule (lhpn/authz/plans.py). The sign-off steps load their own
    (lhpn/api/signoff.py)."""
    plan = services.get_plan(caller().tenant_id, plan_id)
    if action == "read":
        if not may_read_plan(caller(), plan):
            raise authz.Forbidden("view")
        return plan
    authz.require(caller(), action, plan.unit)
    return plan


# ---- endpoints --------------------------------------------------------------------------------

STEP = "Nếu gửi version: 409 khi kế hoạch đã thay đổi; 409 khi kế hoạch không ở trạng thái " \
       "cho phép bước này."


@bp.get("/plans")
@endpoint("Các kế hoạch người gọi được xem, mới nhất trước.", ok={200: PlanList},
          query=PlanQuery)
def list_plans() -> Response:
    args = query(PlanQuery)
    # Filtered in SQL by the same reach as single reads.
    stmt = (services.visible_plans(caller(), unit_id=args.unit_id, year=args.year,
                                   status=args.status)
            .options(selectinload(PlanRow.parent_plan)))
    plans = db.session.scalars(stmt.limit(args.limit).offset(args.offset))
    return jsonify(items=[plan_dict(plan) for plan in plans])


@bp.post("/plans")
@endpoint("Tạo kế hoạch dự thảo (cần quyền lập kế hoạch của đơn vị).\n\n"
          "Quy tắc nghiệp vụ (422): tên không chỉ gồm khoảng trắng, không ký tự điều khiển; chỉ "
          "tiêu nêu mã trong danh mục của tỉnh, cấp áp dụng là cấp của đơn vị hoặc cấp dưới; "
          "child_levels là cấp dưới của đơn vị và khi có thì cần child_deadline không trước "
          "plan_date; parent_plan_id là kế hoạch đã ban hành của cấp trên.",
          ok={201: Plan}, body=NewPlan, errors="403 404")
def create_plan() -> Response:
    # The right to plan for the unit named is asked before the rest of the body is judged.
    unit_id = peek_id("unit_id")
    if unit_id is not None:
        load_unit(unit_id, "plan")
    data = body(NewPlan)
    unit = load_unit(data.unit_id, "plan")
    plan = services.create_plan(caller(), unit, PlanInput(**_plan_values(data)))
    db.session.commit()
    return created(plan_dict(plan), url_for(".get_plan", plan_id=plan.id))


@bp.get(f"/plans/<{ID}:plan_id>")
@endpoint("Một kế hoạch: của đơn vị người gọi được xem, hoặc kế hoạch đã ban hành của cấp trên "
          "đơn vị người gọi (hay đã yêu cầu đơn vị đó xây dựng kế hoạch thực hiện).",
          ok={200: Plan}, errors="403 404")
def get_plan(plan_id: int) -> Response:
    return jsonify(plan_dict(_load_plan(plan_id, "read")))


@bp.patch(f"/plans/<{ID}:plan_id>")
@endpoint("Sửa kế hoạch dự thảo hoặc bị trả lại.\n\n"
          "Các trường gửi thay cho trường hiện có (targets, activities: thay cả danh sách); gửi "
          "version và ít nhất một trường khác. Kế hoạch đã gửi hoặc đã ban hành, hoặc version "
          "cũ: 409. Các quy tắc nghiệp vụ như khi tạo: 422.",
          ok={200: Plan}, body=PlanChanges, errors="403 404 409")
def update_plan(plan_id: int) -> Response:
    """The fields sent replace those of the plan (a list sent replaces the whole list); the
    "version" says which state of the plan the change was made on."""
    plan = _load_plan(plan_id, "plan")
    data = body(PlanChanges)
    values = _plan_values(data)
    if not values:
        nothing_sent(PlanChanges, but="version")
    services.update_plan(caller(), plan, replace(_as_input(plan), **values), data.version)
    db.session.commit()
    return jsonify(plan_dict(plan))


@bp.post(f"/plans/<{ID}:plan_id>/counted")
@endpoint("Đánh dấu (hoặc bỏ đánh dấu) kế hoạch thuộc chương trình công tác năm của đơn vị: "
          "chỉ kế hoạch đã ban hành và được đánh dấu mới được tính mức đạt chỉ tiêu. Cán bộ "
          "hoặc chủ tịch của đơn vị.\n\nNếu gửi version: 409 khi kế hoạch đã thay đổi.",
          ok={200: Plan}, body=PlanCounted, errors="403 404 409")
def count_plan(plan_id: int) -> Response:
    """Mark (or unmark) the plan as part of its unit's programme of work for the year."""
    plan = services.get_plan(caller().tenant_id, plan_id)
    if not may_mark_counted(caller(), plan):
        raise authz.Forbidden("plan")
    data = body(PlanCounted)
    services.set_counted(caller(), plan, data.counted, data.version)
    db.session.commit()
    return jsonify(plan_dict(plan))


@bp.put(f"/plans/<{ID}:plan_id>/targets/<{ID}:target_id>/checks/<{ID}:unit_id>")
@endpoint("Đơn vị báo đã thực hiện hay chưa một chỉ tiêu định tính của kế hoạch đã ban hành "
          "(cần quyền nhập báo cáo của đơn vị).\n\n"
          "422 khi: chỉ tiêu đo bằng số liệu (không định tính), kế hoạch chưa ban hành, chỉ "
          "tiêu không giao cho đơn vị (cấp khác, ngoài cây của kế hoạch, đơn vị đã giải thể), "
          "hoặc done = false mà không ghi lý do.", ok={200: TargetCheck}, body=NewTargetCheck,
          errors="403 404")
def check_target(plan_id: int, target_id: int, unit_id: int) -> Response:
    """A unit's "done / not done" (with a note) for a qualitative target of an issued plan."""
    plan = services.get_plan(caller().tenant_id, plan_id)
    unit = load_unit(unit_id, "submit")
    target = services.get_target(plan, target_id)
    data = body(NewTargetCheck)
    check = services.check_target(caller(), target, unit, data.done, data.note)
    db.session.commit()
    return jsonify(check.to_dict())


@bp.get(f"/plans/<{ID}:plan_id>/checks")
@endpoint("Kết quả thực hiện các chỉ tiêu định tính của từng đơn vị (cho người xem được đơn "
          "vị của kế hoạch).", ok={200: TargetCheckList}, errors="403 404")
def list_target_checks(plan_id: int) -> Response:
    plan = _load_plan(plan_id, "view")
    checks = services.checks_of(list(plan.targets))
    ordered = sorted(checks.values(), key=lambda c: (c.target_id, c.unit.path))
    return jsonify(items=[check.to_dict() for check in ordered])


@bp.get(f"/plans/<{ID}:plan_id>/cascade")
@endpoint("Tình hình xây dựng kế hoạch thực hiện của từng đơn vị cấp dưới.",
          ok={200: CascadeList}, errors="403 404")
def plan_cascade(plan_id: int) -> Response:
    plan = _load_plan(plan_id, "view")
    return jsonify(items=[_cascade_row(row) for row in services.cascade_status(plan)])


@bp.get("/plans/requests")
@endpoint("Yêu cầu xây dựng kế hoạch gửi tới các đơn vị người gọi lập kế hoạch.",
          ok={200: PlanRequestList}, query=Page)
def list_plan_requests() -> Response:
    """Requests for an implementing plan addressed to units where the caller may plan."""
    args = query(Page)
    stmt = services.requests_for(caller()).order_by(RequestRow.id)  # stable pages
    requests = db.session.scalars(stmt.limit(args.limit).offset(args.offset))
    return jsonify(items=[_request_dict(plan_request) for plan_request in requests])


@bp.post(f"/plans/requests/<{ID}:plan_id>/<{ID}:unit_id>/start")
@endpoint("Bắt đầu kế hoạch thực hiện, điền sẵn từ kế hoạch cấp trên (201); nếu đã bắt đầu, "
          "trả lại kế hoạch đó (200).", ok={201: Plan, 200: Plan}, errors="403 404 422")
def start_plan_from_request(plan_id: int, unit_id: int) -> Response:
    """The unit's implementing plan, prefilled from the parent's; started once."""
    plan_request = services.get_request(caller().tenant_id, plan_id, unit_id)
    authz.require(caller(), "plan", plan_request.unit)
    existing = services.child_plan(plan_request)
    plan = services.start_from_request(caller(), plan_request)
    db.session.commit()
    if existing is not None:
        return jsonify(plan_dict(plan))
    return created(plan_dict(plan), url_for(".get_plan", plan_id=plan.id))


# POST /plans/ID/submit, /approve, /return and GET /plans/ID/history (lhpn/api/signoff.py).
step_endpoints(KindApi(
    services.SIGN_OFF, path="plans", id_name="plan_id", noun="plan", get=services.get_plan,
    answer=plan_dict, schema=Plan, step_body=PlanStep, comment_body=PlanReturn,
    summaries={
        "submit": f"Gửi duyệt.\n\n{STEP} Phần bắt buộc còn trống: 422.",
        "approve": "Phê duyệt (ban hành); yêu cầu cấp dưới xây dựng kế hoạch thực hiện.\n\n"
                   f"Không ai tự duyệt kế hoạch mình gửi (422). {STEP}",
        "return": "Trả lại kèm ý kiến.\n\nKhông ai tự trả lại kế hoạch mình gửi (422); ý kiến "
                  f"không chỉ gồm khoảng trắng (422). {STEP}",
    }))
