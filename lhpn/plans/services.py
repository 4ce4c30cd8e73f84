"""Plans: writing, the sign-off workflow, and the cascade down the tree.

Every operation starts with its access check, flushes, and leaves the commit to the caller.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import select

from lhpn import authz
from lhpn.audit.services import record
from lhpn.clock import utcnow
from lhpn.errors import Conflict, DomainError, NotFound, as_id
from lhpn.extensions import db
from lhpn.indicators.services import indicator_by_code
from lhpn.labels import level_label
from lhpn.notifications.services import notify, users_who_can
from lhpn.plans.models import TARGET_KINDS, Plan, PlanActivity, PlanRequest, PlanTarget
from lhpn.richtext import clean_source
from lhpn.text import nfc
from lhpn.units.models import Unit
from lhpn.workflow.engine import Transition, Workflow, is_current

WORKFLOW = Workflow("plan", {
    "submit": Transition(frozenset({"draft", "returned"}), "submitted"),
    "approve": Transition(frozenset({"submitted"}), "approved"),
    "return": Transition(frozenset({"submitted"}), "returned", needs_comment=True),
})
WHEN_KINDS = ("year", "quarter", "month", "range")


@dataclass
class TargetInput:
    indicator: object
    level: object
    kind: object
    value: object
    threshold: object = None
    note: object = ""


@dataclass
class ActivityInput:
    title: object
    when: object = "year"
    when_number: object = None
    start_date: object = None
    end_date: object = None
    lead: object = ""
    coordinators: object = ""
    budget_source: object = ""


@dataclass
class PlanInput:
    title: object
    year: object
    number: object = ""
    place: object = ""
    plan_date: object = None
    parent_plan_id: object = None
    basis: object = ""
    purpose: object = ""
    content: object = ""
    organisation: object = ""
    recipients: object = ""
    signer_title: object = "CHỦ TỊCH"
    signer_name: object = ""
    child_levels: object = ()
    child_deadline: object = None
    targets: list[TargetInput] = field(default_factory=list)
    activities: list[ActivityInput] = field(default_factory=list)


# ---- look-ups -------------------------------------------------------------------------------

def get_plan(tenant_id: int | None, plan_id: object) -> Plan:
    key = as_id(plan_id)
    plan = db.session.get(Plan, key) if key is not None else None
    if plan is None or plan.tenant_id != tenant_id:
        raise NotFound(_("Không tìm thấy kế hoạch."))
    return plan


def visible_plans(user, *, unit_id: int | None = None, year: int | None = None,
                  status: str | None = None):
    stmt = select(Plan).where(Plan.unit_id.in_(authz.reachable_unit_ids(user, "view")))
    if unit_id is not None:
        stmt = stmt.where(Plan.unit_id == unit_id)
    if year is not None:
        stmt = stmt.where(Plan.year == year)
    if status:
        stmt = stmt.where(Plan.status == status)
    return stmt.order_by(Plan.year.desc(), Plan.created_at.desc(), Plan.id.desc())


def approval_unit(plan: Plan) -> Unit:
    """Plans go up to the parent's approver; the root's own plan is issued by its approver."""
    return plan.unit.parent or plan.unit


def can_approve(user, plan: Plan) -> bool:
    return authz.can(user, "approve", approval_unit(plan)) and plan.submitted_by_id != user.id


# ---- validation -------------------------------------------------------------------------------

def _text(value: object, name: str, limit: int, *, required: bool = False, label: str = "") -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise DomainError(_("Trường %(f)s phải là văn bản.", f=label or name), name)
    value = nfc(value.replace("\x00", ""))
    if required and not value:
        raise DomainError(_("Hãy nhập %(f)s.", f=label or name), name)
    if len(value) > limit:
        raise DomainError(_("%(f)s dài quá %(n)d ký tự.", f=label or name, n=limit), name)
    return value


def _date(value: object, name: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise DomainError(_("Ngày không hợp lệ (định dạng yyyy-mm-dd)."), name)


def _decimal(value: object, name: str) -> Decimal:
    if isinstance(value, bool):
        raise DomainError(_("Giá trị chỉ tiêu phải là số."), name)
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise DomainError(_("Giá trị chỉ tiêu phải là số."), name) from None
    if not number.is_finite() or number < 0 or number >= Decimal("1e12"):
        raise DomainError(_("Giá trị chỉ tiêu phải là số không âm."), name)
    return number.quantize(Decimal("0.01"))


def _year(value: object) -> int:
    try:
        year = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise DomainError(_("Năm kế hoạch không hợp lệ."), "year") from None
    if isinstance(value, bool) or not 2000 <= year <= 2100:
        raise DomainError(_("Năm kế hoạch không hợp lệ."), "year")
    return year


def _levels_below(unit: Unit) -> list[str]:
    levels = unit.tenant.levels
    return levels[levels.index(unit.level) + 1:]


def _target(unit: Unit, data: TargetInput, index: int) -> PlanTarget:
    where = f"targets[{index}]"
    indicator = indicator_by_code(unit.tenant_id, data.indicator)
    levels = unit.tenant.levels
    if data.level not in levels or levels.index(data.level) < levels.index(unit.level):
        raise DomainError(_("Chỉ tiêu thứ %(i)d: cấp áp dụng phải là cấp của đơn vị hoặc cấp dưới.",
                            i=index + 1), f"{where}.level")
    if data.kind not in TARGET_KINDS:
        raise DomainError(
            _("Chỉ tiêu thứ %(i)d: loại phải là count, share hoặc rate.", i=index + 1),
            f"{where}.kind")
    value = _decimal(data.value, f"{where}.value")
    if data.kind in ("share", "rate") and value > 100:
        raise DomainError(_("Chỉ tiêu thứ %(i)d: tỷ lệ không vượt quá 100%%.", i=index + 1),
                          f"{where}.value")
    if data.kind == "rate" and indicator.kind != "rate":
        raise DomainError(_("Chỉ tiêu thứ %(i)d: chỉ tiêu loại tỷ lệ cần một chỉ số dạng tỷ lệ.",
                            i=index + 1), f"{where}.kind")
    threshold = None
    if data.kind == "share":
        threshold = (_decimal(data.threshold, f"{where}.threshold")
                     if data.threshold not in (None, "") else Decimal("1.00"))
    return PlanTarget(position=index, indicator=indicator, indicator_id=indicator.id,
                      level=data.level, kind=data.kind, value=value, threshold=threshold,
                      note=_text(data.note, f"{where}.note", 500))


def _activity(year: int, data: ActivityInput, index: int) -> PlanActivity:
    where = f"activities[{index}]"
    title = _text(data.title, f"{where}.title", 500, required=True,
                  label=_("nội dung hoạt động thứ %(i)d", i=index + 1))
    kind = data.when or "year"
    if kind not in WHEN_KINDS:
        raise DomainError(_("Thời gian của hoạt động thứ %(i)d không hợp lệ.", i=index + 1),
                          f"{where}.when")
    number, start, end = None, None, None
    if kind in ("month", "quarter"):
        top = 12 if kind == "month" else 4
        try:
            number = int(data.when_number)  # type: ignore[call-overload]
        except (TypeError, ValueError):
            number = 0
        if not 1 <= number <= top:
            raise DomainError(_("Hoạt động thứ %(i)d: tháng (1–12) hoặc quý (1–4) không hợp lệ.",
                                i=index + 1), f"{where}.when_number")
    if kind == "range":
        start, end = _date(data.start_date, f"{where}.start_date"), _date(data.end_date,
                                                                          f"{where}.end_date")
        if start is None or end is None or end < start:
            raise DomainError(_("Hoạt động thứ %(i)d: hãy nhập ngày bắt đầu và ngày kết thúc "
                                "(không trước ngày bắt đầu).", i=index + 1), f"{where}.end_date")
    return PlanActivity(
        position=index, title=title, when_kind=kind, when_number=number, start_date=start,
        end_date=end, lead=_text(data.lead, f"{where}.lead", 200),
        coordinators=_text(data.coordinators, f"{where}.coordinators", 300),
        budget_source=_text(data.budget_source, f"{where}.budget_source", 200),
    )


def _apply(plan: Plan, unit: Unit, data: PlanInput) -> None:
    """Validate everything first, then write: a refused input changes nothing."""
    title = _text(data.title, "title", 500, required=True, label=_("tên kế hoạch"))
    year = _year(data.year)
    plan_date = _date(data.plan_date, "plan_date")
    deadline = _date(data.child_deadline, "child_deadline")
    child_levels = list(data.child_levels or [])
    allowed = _levels_below(unit)
    if any(level not in allowed for level in child_levels):
        raise DomainError(_("Chỉ yêu cầu được kế hoạch của các cấp dưới: %(l)s.",
                            l=", ".join(level_label(lv) for lv in allowed) or "—"),
                          "child_levels")
    if child_levels and deadline is None:
        raise DomainError(_("Hãy đặt hạn gửi kế hoạch cho cấp dưới."), "child_deadline")
    if deadline and plan_date and deadline < plan_date:
        raise DomainError(_("Hạn gửi kế hoạch của cấp dưới không được trước ngày kế hoạch."),
                          "child_deadline")
    parent_plan = None
    if data.parent_plan_id not in (None, ""):
        parent_plan = get_plan(unit.tenant_id, data.parent_plan_id)
        if parent_plan.unit_id not in unit.ancestor_ids[:-1] or parent_plan.status != "approved":
            raise DomainError(_("Kế hoạch căn cứ phải là kế hoạch đã ban hành của cấp trên."),
                              "parent_plan_id")
    targets = [_target(unit, t, i) for i, t in enumerate(data.targets)]
    activities = [_activity(year, a, i) for i, a in enumerate(data.activities)]
    values = {
        "title": title, "year": year, "plan_date": plan_date,
        "number": _text(data.number, "number", 60),
        "place": _text(data.place, "place", 120),
        "basis": clean_source(_text(data.basis, "basis", 100_000)),
        "purpose": clean_source(_text(data.purpose, "purpose", 100_000)),
        "content": clean_source(_text(data.content, "content", 100_000)),
        "organisation": clean_source(_text(data.organisation, "organisation", 100_000)),
        "recipients": _text(data.recipients, "recipients", 5_000),
        "signer_title": _text(data.signer_title, "signer_title", 80) or "CHỦ TỊCH",
        "signer_name": _text(data.signer_name, "signer_name", 120),
        "child_levels": ",".join(child_levels), "child_deadline": deadline,
        "parent_plan_id": parent_plan.id if parent_plan else None,
    }
    for key, value in values.items():
        if getattr(plan, key, None) != value:
            setattr(plan, key, value)
    plan.targets = targets
    plan.activities = activities
    # Touch the row so its version moves even when only targets or activities changed.
    plan.updated_at = utcnow()


# ---- writing --------------------------------------------------------------------------------

def create_plan(actor, unit: Unit, data: PlanInput) -> Plan:
    authz.require(actor, "plan", unit)
    plan = Plan(tenant_id=unit.tenant_id, unit_id=unit.id, unit=unit, status="draft",
                created_by_id=actor.id)
    _apply(plan, unit, data)
    db.session.add(plan)
    db.session.flush()
    record("plan.create", "plan", plan.id, actor=actor, tenant_id=plan.tenant_id,
           summary=plan.title[:200])
    return plan


def update_plan(actor, plan: Plan, data: PlanInput, version: object) -> Plan:
    authz.require(actor, "plan", plan.unit)
    if not plan.editable:
        raise Conflict(_("Chỉ sửa được kế hoạch dự thảo hoặc bị trả lại."), "status")
    check_version(plan, version)
    _apply(plan, plan.unit, data)
    db.session.flush()
    return plan


def check_version(plan: Plan, version: object) -> None:
    if not is_current(plan, version):
        raise Conflict(_("Kế hoạch vừa được người khác thay đổi. Hãy tải lại trang và nhập lại "
                         "thay đổi của bạn."), "version")


# ---- sign-off ---------------------------------------------------------------------------------

def submit_plan(actor, plan: Plan, version: object | None = None) -> Plan:
    authz.require(actor, "submit", plan.unit)
    WORKFLOW.require(plan, "submit")
    if version is not None:
        check_version(plan, version)
    # Set before the transition so the plan row is written (and its version moves) once.
    plan.submitted_by_id, plan.submitted_at = actor.id, utcnow()
    WORKFLOW.apply(plan, "submit", actor)
    approvers = [u for u in users_who_can("approve", approval_unit(plan)) if u.id != actor.id]
    notify(approvers, _("%(unit)s gửi kế hoạch “%(title)s” chờ phê duyệt.",
                        unit=plan.unit.name, title=plan.title), f"/plans/{plan.id}")
    return plan


def _require_approver(actor, plan: Plan) -> None:
    authz.require(actor, "approve", approval_unit(plan))
    if plan.submitted_by_id == actor.id:
        raise DomainError(_("Bạn không thể tự phê duyệt hoặc trả lại kế hoạch do chính mình gửi."))


def approve_plan(actor, plan: Plan, version: object | None = None) -> Plan:
    _require_approver(actor, plan)
    WORKFLOW.require(plan, "approve")
    if version is not None:
        check_version(plan, version)
    plan.approved_by_id, plan.approved_at = actor.id, utcnow()
    WORKFLOW.apply(plan, "approve", actor)
    _notify_submitter(plan, _("Kế hoạch “%(title)s” đã được phê duyệt.", title=plan.title))
    _cascade(plan)
    return plan


def return_plan(actor, plan: Plan, comment: object, version: object | None = None) -> Plan:
    _require_approver(actor, plan)
    WORKFLOW.require(plan, "return")
    if version is not None:
        check_version(plan, version)
    if not isinstance(comment, str):
        comment = ""
    WORKFLOW.apply(plan, "return", actor, comment)
    _notify_submitter(plan, _("Kế hoạch “%(title)s” bị trả lại: %(c)s", title=plan.title,
                              c=nfc(comment)[:200]))
    return plan


def _notify_submitter(plan: Plan, message: str) -> None:
    if plan.submitted_by is not None:
        notify([plan.submitted_by], message, f"/plans/{plan.id}")


def history(plan: Plan):
    return WORKFLOW.history(plan)


# ---- cascade --------------------------------------------------------------------------------

def _cascade(plan: Plan) -> None:
    """An issued plan asks every open unit of the named levels below it for its own plan."""
    if not plan.child_level_list or plan.child_deadline is None:
        return
    units = db.session.scalars(
        select(Unit).where(Unit.tenant_id == plan.tenant_id,
                           Unit.path.startswith(plan.unit.path, autoescape=True),
                           Unit.id != plan.unit_id, Unit.level.in_(plan.child_level_list),
                           ~Unit.closed)
    ).all()
    have = set(db.session.scalars(select(PlanRequest.unit_id)
                                  .where(PlanRequest.parent_plan_id == plan.id)))
    deadline = plan.child_deadline.strftime("%d/%m/%Y")
    for unit in units:
        if unit.id in have:
            continue
        db.session.add(PlanRequest(tenant_id=plan.tenant_id, parent_plan_id=plan.id,
                                   unit_id=unit.id, deadline=plan.child_deadline))
        notify(users_who_can("plan", unit),
               _("%(unit)s yêu cầu xây dựng kế hoạch thực hiện “%(title)s” trước ngày %(d)s.",
                 unit=plan.unit.name, title=plan.title, d=deadline),
               f"/plans/requests/{plan.id}/{unit.id}")
    db.session.flush()


def requests_for(user, unit_ids=None):
    """Open requests addressed to units where ``user`` may plan."""
    stmt = (select(PlanRequest)
            .where(PlanRequest.unit_id.in_(authz.reachable_unit_ids(user, "plan")))
            .order_by(PlanRequest.deadline))
    return stmt


def get_request(tenant_id: int | None, parent_plan_id: object, unit_id: object) -> PlanRequest:
    request = db.session.scalar(select(PlanRequest).where(
        PlanRequest.parent_plan_id == as_id(parent_plan_id),
        PlanRequest.unit_id == as_id(unit_id)))
    if request is None or request.tenant_id != tenant_id:
        raise NotFound(_("Không tìm thấy yêu cầu xây dựng kế hoạch."))
    return request


def child_plan(request: PlanRequest) -> Plan | None:
    return db.session.scalar(
        select(Plan).where(Plan.parent_plan_id == request.parent_plan_id,
                           Plan.unit_id == request.unit_id)
        .order_by(Plan.id.desc()).limit(1)
    )


def prefill_from(parent: Plan, unit: Unit) -> PlanInput:
    """The child's new plan: the parent as its basis, the targets that apply at or below it."""
    levels = unit.tenant.levels
    rank = levels.index(unit.level)
    date_text = parent.plan_date.strftime("%d/%m/%Y") if parent.plan_date else ""
    reference = _("Thực hiện Kế hoạch số %(n)s ngày %(d)s của %(u)s về %(t)s.",
                  n=parent.number or "…", d=date_text or "…", u=parent.unit.name,
                  t=parent.title)
    return PlanInput(
        title=parent.title, year=parent.year, parent_plan_id=parent.id,
        basis=f"{reference}\n\n{parent.basis}".strip(),
        purpose=parent.purpose, signer_title=parent.signer_title,
        child_levels=[lv for lv in parent.child_level_list if levels.index(lv) > rank],
        child_deadline=None,
        targets=[TargetInput(t.indicator.code, t.level, t.kind, t.value, t.threshold, t.note)
                 for t in parent.targets if levels.index(t.level) >= rank],
    )


def start_from_request(actor, request: PlanRequest) -> Plan:
    authz.require(actor, "plan", request.unit)
    existing = child_plan(request)
    if existing is not None:
        return existing
    data = prefill_from(request.parent_plan, request.unit)
    if data.child_levels:
        data.child_deadline = request.deadline
    return create_plan(actor, request.unit, data)


@dataclass
class Weaker:
    target: PlanTarget
    required: PlanTarget


def weaker_targets(plan: Plan) -> list[Weaker]:
    """Targets below what the parent plan requires for the same indicator, level and kind."""
    if plan.parent_plan is None:
        return []
    required = {(t.indicator_id, t.level, t.kind): t for t in plan.parent_plan.targets}
    out = []
    for target in plan.targets:
        parent = required.get((target.indicator_id, target.level, target.kind))
        if parent is None:
            continue
        if target.value < parent.value or (
                target.kind == "share" and (target.threshold or 0) < (parent.threshold or 0)):
            out.append(Weaker(target, parent))
    return out


CHILD_STATES = ("not_started", "draft", "submitted", "approved", "returned")


@dataclass
class ChildStatus:
    request: PlanRequest
    plan: Plan | None
    state: str
    late: bool


def cascade_status(plan: Plan, today: date | None = None) -> list[ChildStatus]:
    today = today or utcnow().date()
    requests = db.session.scalars(
        select(PlanRequest).join(Unit, Unit.id == PlanRequest.unit_id)
        .where(PlanRequest.parent_plan_id == plan.id).order_by(Unit.path)
    ).all()
    plans = {p.unit_id: p for p in db.session.scalars(
        select(Plan).where(Plan.parent_plan_id == plan.id).order_by(Plan.id))}
    rows = []
    for request in requests:
        child = plans.get(request.unit_id)
        state = child.status if child else "not_started"
        late = today > request.deadline and state not in ("submitted", "approved")
        rows.append(ChildStatus(request, child, state, late))
    return rows


def remind_late(actor, plan: Plan, today: date | None = None) -> int:
    """Remind the units that are late with their implementing plan; returns how many."""
    if not (authz.can(actor, "plan", plan.unit) or authz.can(actor, "approve", plan.unit)):
        raise authz.Forbidden("plan")
    reminded = 0
    now = utcnow()
    for row in cascade_status(plan, today):
        if not row.late:
            continue
        notify(users_who_can("plan", row.request.unit),
               _("Nhắc: kế hoạch thực hiện “%(title)s” đã quá hạn %(d)s.", title=plan.title,
                 d=row.request.deadline.strftime("%d/%m/%Y")),
               f"/plans/requests/{plan.id}/{row.request.unit_id}")
        row.request.reminded_at = now
        reminded += 1
    record("plan.remind", "plan", plan.id, actor=actor, tenant_id=plan.tenant_id,
           summary=f"{reminded}", count=reminded)
    db.session.flush()
    return reminded
