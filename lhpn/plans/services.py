"""Plans: writing, the sign-off workflow, and the cascade down the tree.

Every operation starts with its access check, flushes, and leaves the commit to the caller.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_CEILING, Decimal
from typing import Any, Literal, cast, get_args

from flask_babel import gettext as _
from sqlalchemy import CursorResult, func, or_, select, update

from lhpn import authz
from lhpn.audit.services import record
from lhpn.authz.follow_up import require_remind
from lhpn.authz.plans import may_mark_counted, readable_plans
from lhpn.clock import local_date, local_day_start, local_today, utcnow
from lhpn.errors import Conflict, DomainError, NotFound, as_id, to_int
from lhpn.extensions import db
from lhpn.indicators.services import indicator_by_code
from lhpn.labels import capital, level_label, plan_named
from lhpn.notifications.reminders import Reminded
from lhpn.notifications.services import notify, users_who_can
from lhpn.numbers import parse_number
from lhpn.plans import wording
from lhpn.plans.models import (
    SECTION_KEYS,
    TARGET_KINDS,
    Plan,
    PlanActivity,
    PlanRequest,
    PlanTarget,
    TargetCheck,
)
from lhpn.richtext import clean_source
from lhpn.text import clean_line, clean_text
from lhpn.units.models import Unit
from lhpn.workflow.engine import Transition, Workflow
from lhpn.workflow.models import Status
from lhpn.workflow.signoff import SignOff

WORKFLOW = Workflow("plan", {
    "submit": Transition(frozenset({"draft", "returned"}), "submitted"),
    "approve": Transition(frozenset({"submitted"}), "approved"),
    "return": Transition(frozenset({"submitted"}), "returned", needs_comment=True),
})
WhenKind = Literal["year", "quarter", "month", "range"]
WHEN_KINDS: tuple[WhenKind, ...] = get_args(WhenKind)
MAX_TARGET = Decimal("999999999999.99")  # plan_targets.value is NUMERIC(14, 2)


@dataclass
class TargetInput:
    """A measured target names an indicator and a value; a qualitative one (kind "text") its
    ``text`` and, optionally, a ``deadline``."""

    indicator: object
    level: object
    kind: object
    value: object
    threshold: object = None
    note: object = ""
    text: object = ""
    deadline: object = None


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
    budget: object = ""
    headings: object = None
    counted: object = False
    recipients: object = ""
    signer_title: object = "CHỦ TỊCH"
    signer_name: object = ""
    child_levels: Iterable[str] = ()  # each checked against the levels below the unit
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
    """The plans ``user`` may read (lhpn/authz/plans.py), newest first."""
    stmt = select(Plan).where(readable_plans(user))
    if unit_id is not None:
        stmt = stmt.where(Plan.unit_id == unit_id)
    if year is not None:
        stmt = stmt.where(Plan.year == year)
    if status:
        stmt = stmt.where(Plan.status == status)
    return stmt.order_by(Plan.year.desc(), Plan.created_at.desc(), Plan.id.desc())


# ---- validation -------------------------------------------------------------------------------

def _text(value: object, name: str, limit: int, *, required: bool = False, label: str = "",
          multiline: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise DomainError(_("Trường %(f)s phải là văn bản.", f=label or name), name)
    value = (clean_text if multiline else clean_line)(value, label or name, name)
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


def _decimal(value: object, name: str, label: str, whole: bool = False) -> Decimal:
    """A target's value or threshold: typed on the page (Vietnamese: 1.500; 90,5) or a JSON
    number; ≥ 0, two decimals at most (plan_targets.value is NUMERIC(14, 2)); whole for a
    count indicator."""
    return parse_number(value, label=label, field=name, whole=whole, places=2,
                        maximum=MAX_TARGET).quantize(Decimal("0.01"))


def _year(value: object) -> int:
    try:
        year = to_int(value)
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
    levels = unit.tenant.levels
    if data.level not in levels or levels.index(data.level) < levels.index(unit.level):
        raise DomainError(_("Chỉ tiêu thứ %(i)d: cấp áp dụng phải là cấp của đơn vị hoặc cấp dưới.",
                            i=index + 1), f"{where}.level")
    if data.kind not in TARGET_KINDS:
        raise DomainError(
            _("Chỉ tiêu thứ %(i)d: loại phải là count, share, rate hoặc text.", i=index + 1),
            f"{where}.kind")
    if data.kind == "text":
        return _text_target(data, index)
    indicator = indicator_by_code(unit.tenant_id, data.indicator)
    counted = indicator.kind == "count"  # a count indicator's values are whole numbers
    value = _decimal(data.value, f"{where}.value",
                     _("Chỉ tiêu thứ %(i)d, giá trị", i=index + 1),
                     whole=counted and data.kind == "count")
    if data.kind in ("share", "rate") and value > 100:
        raise DomainError(_("Chỉ tiêu thứ %(i)d: tỷ lệ không vượt quá 100%%.", i=index + 1),
                          f"{where}.value")
    if data.kind == "rate" and indicator.kind != "rate":
        raise DomainError(_("Chỉ tiêu thứ %(i)d: chỉ tiêu loại tỷ lệ cần một chỉ số dạng tỷ lệ.",
                            i=index + 1), f"{where}.kind")
    threshold = None
    if data.kind == "share":
        threshold = (_decimal(data.threshold, f"{where}.threshold",
                              _("Chỉ tiêu thứ %(i)d, ngưỡng", i=index + 1), whole=counted)
                     if data.threshold not in (None, "") else Decimal("1.00"))
    return PlanTarget(position=index, indicator=indicator, indicator_id=indicator.id,
                      level=data.level, kind=data.kind, value=value, threshold=threshold,
                      note=_text(data.note, f"{where}.note", 500,
                                 label=_("ghi chú của chỉ tiêu thứ %(i)d", i=index + 1)))


def _text_target(data: TargetInput, index: int) -> PlanTarget:
    """A qualitative target: its words, the level it applies to, an optional deadline."""
    where = f"targets[{index}]"
    text = _text(data.text, f"{where}.text", 2_000, required=True,
                 label=_("nội dung chỉ tiêu thứ %(i)d", i=index + 1))
    return PlanTarget(position=index, indicator=None, indicator_id=None, level=data.level,
                      kind="text", value=None, threshold=None, note="", text=text,
                      deadline=_date(data.deadline, f"{where}.deadline"))


def _headings(value: object) -> dict | None:
    """The unit's own section headings: {key: words}; empty words mean the default."""
    if value in (None, ""):
        return None
    if not isinstance(value, dict):
        raise DomainError(_("Tiêu đề các phần phải là một đối tượng."), "headings")
    unknown = sorted(set(value) - set(SECTION_KEYS))
    if unknown:
        raise DomainError(_("Không có phần “%(k)s” (các phần: %(all)s).", k=unknown[0],
                            all=", ".join(SECTION_KEYS)), f"headings.{unknown[0]}")
    out = {}
    for key in SECTION_KEYS:
        words = _text(value.get(key), f"headings.{key}", 200, label=_("tiêu đề phần"))
        words = wording.NUMERAL_RE.sub("", words).strip().rstrip(":").strip()
        if words and words.upper() != wording.DEFAULT_HEADINGS[key]:
            out[key] = words
    return out or None


def _flag(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise DomainError(_("Trường %(f)s phải là true hoặc false.", f=name), name)
    return value


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
            number = to_int(data.when_number)
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
        end_date=end,
        lead=_text(data.lead, f"{where}.lead", 200,
                   label=_("đơn vị chủ trì của hoạt động thứ %(i)d", i=index + 1)),
        coordinators=_text(data.coordinators, f"{where}.coordinators", 300,
                           label=_("đơn vị phối hợp của hoạt động thứ %(i)d", i=index + 1)),
        budget_source=_text(data.budget_source, f"{where}.budget_source", 200,
                            label=_("nguồn kinh phí của hoạt động thứ %(i)d", i=index + 1)),
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
        raise DomainError(_("Hãy đặt hạn nộp kế hoạch cho cấp dưới."), "child_deadline")
    if deadline and plan_date and deadline < plan_date:
        raise DomainError(_("Hạn nộp kế hoạch của cấp dưới không được trước ngày kế hoạch."),
                          "child_deadline")
    parent_plan = None
    if data.parent_plan_id not in (None, ""):
        parent_plan = get_plan(unit.tenant_id, data.parent_plan_id)
        if parent_plan.unit_id not in unit.ancestor_ids[:-1] or parent_plan.status != "approved":
            raise DomainError(_("Kế hoạch căn cứ phải là kế hoạch đã ban hành của cấp trên."),
                              "parent_plan_id")
    targets = [_target(unit, t, i) for i, t in enumerate(data.targets)]
    activities = [_activity(year, a, i) for i, a in enumerate(data.activities)]
    headings = _headings(data.headings)
    counted = _flag(data.counted, "counted")
    values = {
        "title": title, "year": year, "plan_date": plan_date,
        "number": _text(data.number, "number", 60, label=_("số, ký hiệu")),
        "place": _text(data.place, "place", 120, label=_("địa danh")),
        "basis": clean_source(_text(data.basis, "basis", 100_000, label=_("căn cứ"),
                                    multiline=True)),
        "purpose": clean_source(_text(data.purpose, "purpose", 100_000,
                                      label=_("mục đích, yêu cầu"), multiline=True)),
        "content": clean_source(_text(data.content, "content", 100_000, label=_("nội dung"),
                                      multiline=True)),
        "organisation": clean_source(_text(data.organisation, "organisation", 100_000,
                                           label=_("tổ chức thực hiện"), multiline=True)),
        "budget": clean_source(_text(data.budget, "budget", 100_000, label=_("kinh phí"),
                                     multiline=True)),
        "headings": headings, "counted": counted,
        "recipients": _text(data.recipients, "recipients", 5_000, label=_("nơi nhận"),
                            multiline=True),
        "signer_title": _text(data.signer_title, "signer_title", 80,
                              label=_("chức danh người ký")) or "CHỦ TỊCH",
        "signer_name": _text(data.signer_name, "signer_name", 120,
                             label=_("họ tên người ký")),
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


# ---- sign-off ---------------------------------------------------------------------------------

def empty_sections(plan: Plan) -> list[str]:
    """The required sections still empty (a content may be its activities alone)."""
    return [key for key in wording.REQUIRED_SECTIONS
            if not (getattr(plan, key).strip() or (key == "content" and plan.activities))]


class PlanSignOff(SignOff[Plan]):
    """A plan goes up to the level above, which issues it (approve) or returns it with
    comments; issuing asks the units below for their implementing plans (the cascade)."""

    workflow = WORKFLOW
    url_prefix = "/plans/"

    def stale_message(self) -> str:
        return _("Kế hoạch vừa được người khác thay đổi. Hãy tải lại trang và nhập lại "
                 "thay đổi của bạn.")

    def own_decision_message(self) -> str:
        return _("Bạn không thể tự duyệt hoặc trả lại kế hoạch do chính mình gửi.")

    def notice(self, record: Plan, action: str, comment: str = "") -> str:
        named = plan_named(record.title)
        if action == "submit":
            return _("%(unit)s gửi %(plan)s chờ duyệt.", unit=record.unit.name, plan=named)
        if action == "approve":
            return _("%(plan)s đã được duyệt.", plan=capital(named))
        return _("%(plan)s bị trả lại: %(c)s", plan=capital(named), c=comment)

    def check_ready(self, record: Plan) -> None:
        missing = empty_sections(record)
        if missing:
            names = ", ".join(wording.section_heading(record, key) for key in missing)
            raise DomainError(_("Chưa gửi duyệt được: phần %(names)s còn trống.", names=names),
                              missing[0])

    def after(self, record: Plan, action: str) -> None:
        if action == "approve":
            _cascade(record)


def check_version(plan: Plan, version: object) -> None:
    """409 unless ``version`` is the plan's current one (asked by edits and by every step)."""
    SIGN_OFF.check_version(plan, version)


SIGN_OFF = PlanSignOff()
submit_plan = SIGN_OFF.submit
approve_plan = SIGN_OFF.approve
return_plan = SIGN_OFF.return_
history = SIGN_OFF.history


# ---- the programme of work: which plans count ------------------------------------------------

def set_counted(actor, plan: Plan, counted: object, version: object | None = None) -> Plan:
    """Mark a plan as part of (or no longer part of) its unit's programme of work for the
    year; once approved, only such plans count for target attainment."""
    if not may_mark_counted(actor, plan):
        raise authz.Forbidden("plan")
    counted = _flag(counted, "counted")
    if version is not None:
        check_version(plan, version)
    if plan.counted != counted:
        plan.counted = counted
        plan.updated_at = utcnow()
        db.session.flush()
        record("plan.counted" if counted else "plan.uncounted", "plan", plan.id, actor=actor,
               tenant_id=plan.tenant_id, summary=f"{plan.number} {plan.title}"[:200])
    return plan


def counted_plans(unit: Unit, year: int) -> list[Plan]:
    """The plans attainment follows for ``unit`` in ``year``: the unit's own approved plans
    marked as its programme of work, else those of the nearest unit above that has some; in
    the order they were issued."""
    plans = db.session.scalars(
        select(Plan).where(Plan.unit_id.in_(unit.ancestor_ids), Plan.year == year,
                           Plan.status == "approved", Plan.counted)
        .order_by(Plan.plan_date, Plan.approved_at, Plan.id)).all()
    for unit_id in reversed(unit.ancestor_ids):
        found = [plan for plan in plans if plan.unit_id == unit_id]
        if found:
            return found
    return []


# ---- qualitative targets: each unit's "done / not done" -------------------------------------

def units_of_target(target: PlanTarget, below: Unit | None = None):
    """The open units a target applies to: those of its level in the plan's subtree (or in
    ``below``'s, when it is inside it), the plan's own unit included when its level matches."""
    top = below or target.plan.unit
    return (select(Unit).where(Unit.tenant_id == top.tenant_id, Unit.level == target.level,
                               ~Unit.closed, Unit.path.startswith(top.path, autoescape=True))
            .order_by(Unit.path))


def check_target(actor, target: PlanTarget, unit: Unit, done: object, note: object = "",
                 ) -> TargetCheck:
    """A unit says whether it did a qualitative target of an issued plan (its officers, who
    report for it: ``submit`` on the unit); saying it again replaces the answer."""
    authz.require(actor, "submit", unit)
    plan = target.plan
    if unit.tenant_id != plan.tenant_id:
        raise NotFound(_("Không tìm thấy đơn vị."))
    if target.measured:
        raise DomainError(_("Chỉ tiêu này được đo bằng số liệu báo cáo, không đánh dấu."),
                          "target")
    if plan.status != "approved":
        raise DomainError(_("Chỉ theo dõi thực hiện chỉ tiêu của kế hoạch đã ban hành."),
                          "target")
    if (unit.level != target.level or plan.unit_id not in unit.ancestor_ids or unit.closed):
        raise DomainError(_("Chỉ tiêu này không giao cho %(unit)s.", unit=unit.name), "unit_id")
    done = _flag(done, "done")
    note = _text(note, "note", 1_000, label=_("ghi chú"))
    if not done and not note:
        raise DomainError(_("Hãy ghi rõ lý do chưa thực hiện."), "note")
    check = db.session.scalar(select(TargetCheck).where(TargetCheck.target_id == target.id,
                                                        TargetCheck.unit_id == unit.id))
    if check is None:
        check = TargetCheck(tenant_id=unit.tenant_id, target_id=target.id, unit_id=unit.id,
                            unit=unit, done=done)
        db.session.add(check)
    check.done, check.note = done, note
    check.checked_by_id, check.checked_at = actor.id, utcnow()
    db.session.flush()
    record("plan.target_check", "plan", plan.id, actor=actor, tenant_id=plan.tenant_id,
           summary=f"{unit.name}: {'done' if done else 'not done'}"[:200],
           target=target.id, unit=unit.id, done=done)
    return check


def get_target(plan: Plan, target_id: object) -> PlanTarget:
    key = as_id(target_id)
    for target in plan.targets:
        if target.id == key:
            return target
    raise NotFound(_("Không tìm thấy chỉ tiêu."))


def checks_of(targets: list[PlanTarget], unit_ids=None) -> dict[tuple[int, int], TargetCheck]:
    """(target id, unit id) → the unit's answer, for the given targets (and units)."""
    ids = [t.id for t in targets if not t.measured]
    if not ids:
        return {}
    stmt = select(TargetCheck).where(TargetCheck.target_id.in_(ids))
    if unit_ids is not None:
        stmt = stmt.where(TargetCheck.unit_id.in_(unit_ids))
    return {(c.target_id, c.unit_id): c for c in db.session.scalars(stmt)}


@dataclass
class ToCheck:
    """A qualitative target of an issued plan that one of the user's units answers for."""

    target: PlanTarget
    unit: Unit
    check: TargetCheck | None


MAX_CHECK_UNITS = 20


def targets_to_check(user, plan: Plan) -> list[ToCheck]:
    """The qualitative targets of an issued plan that the user's own units answer for."""
    targets = [t for t in plan.targets if not t.measured]
    if plan.status != "approved" or not targets:
        return []
    levels = {t.level for t in targets}
    units = db.session.scalars(
        select(Unit).where(authz.reachable(user, "submit"), ~Unit.closed,
                           Unit.level.in_(levels),
                           Unit.path.startswith(plan.unit.path, autoescape=True))
        .order_by(Unit.path).limit(MAX_CHECK_UNITS)).all()
    if not units:
        return []
    checks = checks_of(targets, [u.id for u in units])
    return [ToCheck(t, u, checks.get((t.id, u.id))) for u in units for t in targets
            if t.level == u.level]


# ---- cascade --------------------------------------------------------------------------------

def _units_to_ask(plan: Plan):
    """The open units of the named levels below the plan not asked yet (a SELECT of Unit)."""
    asked = select(PlanRequest.unit_id).where(PlanRequest.parent_plan_id == plan.id)
    return select(Unit).where(Unit.tenant_id == plan.tenant_id,
                              Unit.path.startswith(plan.unit.path, autoescape=True),
                              Unit.id != plan.unit_id, Unit.level.in_(plan.child_level_list),
                              ~Unit.closed, Unit.id.not_in(asked))


def cascade_count(plan: Plan) -> int:
    """How many units approving the plan would ask for an implementing plan now: the count a
    person confirms before approving (0 when the plan asks nobody)."""
    if not plan.child_level_list or plan.child_deadline is None:
        return 0
    return db.session.execute(
        select(func.count()).select_from(_units_to_ask(plan).subquery())).scalar_one()


def _cascade(plan: Plan) -> None:
    """An issued plan asks every open unit of the named levels below it for its own plan."""
    if not plan.child_level_list or plan.child_deadline is None:
        return
    units = db.session.scalars(_units_to_ask(plan)).all()
    deadline = plan.child_deadline.strftime("%d/%m/%Y")
    for unit in units:
        db.session.add(PlanRequest(tenant_id=plan.tenant_id, parent_plan_id=plan.id,
                                   unit_id=unit.id, deadline=plan.child_deadline))
        notify(users_who_can("plan", unit),
               _("%(unit)s yêu cầu xây dựng kế hoạch thực hiện %(plan)s trước ngày %(d)s.",
                 unit=plan.unit.name, plan=plan_named(plan.title), d=deadline),
               f"/plans/requests/{plan.id}/{unit.id}")
    db.session.flush()


def requests_for(user, unit_ids=None):
    """Open requests addressed to units where ``user`` may plan."""
    stmt = (select(PlanRequest)
            .where(PlanRequest.unit_id.in_(authz.reachable_unit_ids(user, "plan")))
            .order_by(PlanRequest.deadline))
    return stmt


@dataclass
class OpenRequest:
    """A request addressed to one of the user's units, not yet answered by a plan sent up."""

    request: PlanRequest
    plan: Plan | None
    state: str
    days_late: int  # > 0: overdue by that many days

    @property
    def late(self) -> bool:
        return self.days_late > 0


def open_requests(user, today: date, limit: int = 200) -> list[OpenRequest]:
    """Requests to the units where ``user`` may plan whose implementing plan is not submitted
    or approved yet, soonest deadline first (two statements)."""
    requests = db.session.scalars(requests_for(user).limit(limit)).all()
    if not requests:
        return []
    children = {}
    for child in db.session.scalars(
            select(Plan).where(Plan.parent_plan_id.in_({r.parent_plan_id for r in requests}),
                               Plan.unit_id.in_({r.unit_id for r in requests}))
            .order_by(Plan.id)):
        children[(child.parent_plan_id, child.unit_id)] = child
    out = []
    for plan_request in requests:
        found = children.get((plan_request.parent_plan_id, plan_request.unit_id))
        state = found.status if found else "not_started"
        if state not in ("submitted", "approved"):
            out.append(OpenRequest(plan_request, found, state,
                                   (today - plan_request.deadline).days))
    return out


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
    """The child's new plan: a basis naming the parent's plan in the child's own voice (not
    the parent's own basis), and the parent's targets that apply at or below the child.

    A share target at the child's own level ("100% of communes reach ≥ 2") means nothing for
    one commune: it becomes the commune's own count target (it reaches ≥ 2), with a note
    saying where it comes from. Shares of a lower level ("70% of the branches") stay shares of
    the child's own units below it."""
    levels = unit.tenant.levels
    rank = levels.index(unit.level)
    targets = []
    for t in parent.targets:
        if levels.index(t.level) < rank:
            continue
        if not t.measured:
            targets.append(TargetInput(None, t.level, "text", None, text=t.text,
                                       deadline=t.deadline))
        elif t.kind == "share" and t.level == unit.level:
            note = "; ".join(part for part in (t.note, wording.share_as_own(t, parent)) if part)
            targets.append(TargetInput(t.measured_indicator.code, t.level, "count",
                                       _whole_up(t, t.threshold if t.threshold is not None
                                                 else 1), None, note[:500]))
        else:
            targets.append(TargetInput(
                t.measured_indicator.code, t.level, t.kind,
                _whole_up(t, t.value) if t.kind == "count" else t.value,
                _whole_up(t, t.threshold), t.note))
    return PlanInput(
        title=parent.title, year=parent.year, parent_plan_id=parent.id,
        basis=wording.child_basis(parent, unit),
        purpose=parent.purpose, signer_title=parent.signer_title,
        child_levels=[lv for lv in parent.child_level_list if levels.index(lv) > rank],
        child_deadline=None, targets=targets,
    )


def _whole_up(target: PlanTarget, value):
    """A count indicator's target stored as 1,5 (typed before targets of counts had to be
    whole) asks for the same as 2, which is what a new plan may hold."""
    if value is None or target.measured_indicator.kind != "count":
        return value
    return Decimal(value).to_integral_value(rounding=ROUND_CEILING)


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
    """Targets below what the parent plan requires for the same indicator, level and kind; a
    count of the plan's own level is held to the threshold of the parent's share of that
    level (the share as one unit's part, see ``prefill_from``)."""
    if plan.parent_plan is None:
        return []
    measured = [t for t in plan.parent_plan.targets if t.measured]
    required = {(t.indicator_id, t.level, t.kind): t for t in measured}
    shares = {(t.indicator_id, t.level): t for t in measured if t.kind == "share"}
    out = []
    for target in plan.targets:
        if not target.measured:
            continue
        parent = required.get((target.indicator_id, target.level, target.kind))
        if parent is None:
            share = shares.get((target.indicator_id, target.level))
            floor = share.threshold if share and share.threshold is not None else 1
            if (target.kind == "count" and target.level == plan.unit.level and share
                    and target.measured_value < floor):
                out.append(Weaker(target, share))
            continue
        if target.measured_value < parent.measured_value or (
                target.kind == "share" and (target.threshold or 0) < (parent.threshold or 0)):
            out.append(Weaker(target, parent))
    return out


ChildState = Literal["not_started", Status]
CHILD_STATES: tuple[ChildState, ...] = get_args(ChildState)


@dataclass
class ChildStatus:
    request: PlanRequest
    plan: Plan | None
    state: str
    late: bool


def cascade_status(plan: Plan, today: date | None = None) -> list[ChildStatus]:
    today = today or local_today()
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


def remind_late(actor, plan: Plan, today: date | None = None) -> Reminded:
    """Remind the units that are late with their implementing plan, once a day each (Vietnam
    date): a request reminded today is skipped. Each request is claimed by one conditional
    UPDATE, so two clicks racing in two requests remind a unit once — the second waits for the
    first's row lock, then finds it reminded."""
    require_remind(actor, plan.unit)
    now = utcnow()
    since = local_day_start(local_date(now))
    answer = Reminded()
    for row in cascade_status(plan, today):
        if not row.late:
            continue
        # An UPDATE answers a CursorResult, which Session.execute() is not typed to promise.
        claimed = cast(CursorResult[Any], db.session.execute(
            update(PlanRequest)
            .where(PlanRequest.id == row.request.id,
                   or_(PlanRequest.reminded_at.is_(None), PlanRequest.reminded_at < since))
            .values(reminded_at=now).execution_options(synchronize_session=False))).rowcount
        if not claimed:
            answer.skipped += 1
            continue
        notify(users_who_can("plan", row.request.unit),
               _("Nhắc: kế hoạch thực hiện %(plan)s đã quá hạn nộp %(d)s.",
                 plan=plan_named(plan.title), d=row.request.deadline.strftime("%d/%m/%Y")),
               f"/plans/requests/{plan.id}/{row.request.unit_id}")
        answer.reminded += 1
    record("plan.remind", "plan", plan.id, actor=actor, tenant_id=plan.tenant_id,
           summary=f"{answer.reminded}", count=answer.reminded, skipped=answer.skipped)
    db.session.flush()
    return answer


def to_remind(plan: Plan, today: date | None = None) -> int:
    """How many late units a reminder would reach now (those not reminded today)."""
    since = local_day_start(local_today())
    return sum(1 for row in cascade_status(plan, today) if row.late and (
        row.request.reminded_at is None or row.request.reminded_at < since))
