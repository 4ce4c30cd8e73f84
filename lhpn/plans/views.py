"""Plan pages: the list, the one-page form, the plan with its timeline and sign-off buttons,
the cascade to the units below, and the requests a unit receives from above.

Views load through the tenant-scoped getters (404), ask authz (403), call one service, commit
once. A refused input rolls back and shows the service's message with the user's input kept.
"""

from collections import Counter
from collections.abc import Sequence

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from lhpn import authz
from lhpn.access import load_unit
from lhpn.accounts.models import User
from lhpn.authz.follow_up import may_remind as may_remind_below
from lhpn.authz.plans import may_mark_counted, may_read_plan
from lhpn.clock import local_today
from lhpn.errors import MAX_ID, Conflict, DomainError
from lhpn.extensions import db
from lhpn.indicators.models import Indicator
from lhpn.indicators.services import catalogue
from lhpn.labels import level_label, plan_named
from lhpn.numbers import format_number
from lhpn.params import page_number, query_int
from lhpn.plans import services as plans
from lhpn.plans import wording
from lhpn.plans.forms import (
    MEASURED,
    SECTION_LABELS,
    ActivityRowForm,
    PlanForm,
    TargetRowForm,
    plan_data,
)
from lhpn.plans.models import Plan, PlanRequest
from lhpn.richtext import to_html
from lhpn.units.models import Unit
from lhpn.units.picker import picker
from lhpn.unsaved import web as unsaved
from lhpn.workflow.engine import ACTION_LABELS, status_label
from lhpn.workflow.models import STATUSES
from lhpn.workflow.pages import act, form_version, step_routes

bp = Blueprint("plans", __name__, url_prefix="/plans")
PAGE_SIZE = 50
MAX_FOLLOW_UP_SHOWN = 50  # units named per qualitative target; the consolidation lists all

# How a target names the units it applies to ("100% Hội LHPN xã đạt ≥ 2 …").
LEVEL_NOUNS = {
    "province": _l("Hội LHPN tỉnh"),
    "district": _l("Hội LHPN huyện"),
    "commune": _l("Hội LHPN xã"),
    "branch": _l("Chi hội phụ nữ"),
    "group": _l("Tổ phụ nữ"),
}
NOT_STARTED = _l("Chưa bắt đầu")


# ---- presentation helpers (also used by the templates) ----------------------------------------

def number(value) -> str:
    return format_number(value, places=2)  # what the plan's form reads back


def target_sentence(target) -> str:
    if not target.measured:
        text = target.text
        if target.deadline:
            text = _("%(text)s (thời hạn %(d)s)", text=text, d=target.deadline.strftime("%d/%m/%Y"))
        return text
    indicator = target.indicator
    noun = str(LEVEL_NOUNS.get(target.level, level_label(target.level)))
    label = f" {indicator.unit_label}" if indicator.unit_label not in ("", "%") else ""
    if target.kind == "share":
        text = _("%(v)s%% %(unit)s đạt ≥ %(t)s%(label)s — %(name)s", v=number(target.value),
                 unit=noun, t=number(target.threshold or 1), label=label, name=indicator.name)
    elif target.kind == "rate":
        text = _("Tỷ lệ ≥ %(v)s%% ở mỗi %(unit)s — %(name)s", v=number(target.value), unit=noun,
                 name=indicator.name)
    else:
        text = _("Mỗi %(unit)s đạt ≥ %(v)s%(label)s — %(name)s", unit=noun,
                 v=number(target.value), label=label, name=indicator.name)
    return f"{text} ({target.note})" if target.note else text


def child_state_label(state: str) -> str:
    """A child unit's implementing plan: not started yet, or its plan's status."""
    return str(NOT_STARTED) if state == "not_started" else status_label(state)


@bp.context_processor
def _helpers() -> dict:
    return {"status_label": status_label, "target_sentence": target_sentence,
            "number": number, "to_html": to_html,
            "child_state_label": child_state_label,
            "action_label": lambda a: str(ACTION_LABELS.get(a, a)),
            "levels_text": lambda levels: ", ".join(str(LEVEL_NOUNS.get(lv, lv)) for lv in levels),
            "statuses": STATUSES, "activity_columns": wording.ACTIVITY_COLUMNS,
            "max_shown": MAX_FOLLOW_UP_SHOWN}


# ---- loading ----------------------------------------------------------------------------------

def _load_plan(plan_id: int, action: str | None = None) -> Plan:
    """404 for another tenant's plan; then, when the page itself decides, 403. "read" is the
    plan-reading rule (lhpn/authz/plans.py), the other actions are asked of the plan's unit."""
    plan = plans.get_plan(current_user.tenant_id, plan_id)
    if action == "read":
        if not may_read_plan(current_user, plan):
            raise authz.Forbidden("view")
    elif action is not None:
        authz.require(current_user, action, plan.unit)
    return plan


def _load_request(plan_id: int, unit_id: int, action: str) -> PlanRequest:
    plan_request = plans.get_request(current_user.tenant_id, plan_id, unit_id)
    authz.require(current_user, action, plan_request.unit)
    return plan_request


# ---- the list ---------------------------------------------------------------------------------

@bp.route("/")
@login_required
def index():
    year = query_int("year", 2000, 2100)
    status = request.args.get("status") if request.args.get("status") in STATUSES else None
    unit_id = query_int("unit", 1, MAX_ID)
    page = page_number()
    stmt = plans.visible_plans(current_user, unit_id=unit_id, year=year, status=status)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = db.session.scalars(stmt.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    visible = plans.visible_plans(current_user).subquery()
    years = db.session.scalars(select(visible.c.year).distinct().order_by(visible.c.year.desc()))
    filter_unit = picker("unit", "view", request.args, chosen_id=unit_id)
    plan_units = db.session.scalars(
        select(Unit).where(authz.reachable(current_user, "plan"), ~Unit.closed)
        .order_by(Unit.path).limit(200)
    ).all()
    return render_template(
        "plans/index.html", plans=rows, total=total, page=page,
        pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1), years=list(years),
        filter_unit=filter_unit, plan_units=plan_units, year=year, status=status,
        unit_id=unit_id, requests=_open_requests())


def _open_requests() -> list[plans.OpenRequest]:
    return plans.open_requests(current_user, local_today())


# ---- the form ---------------------------------------------------------------------------------

@bp.route("/new", methods=["GET", "POST"])
@unsaved.keeps_input
@login_required
def new():
    unit = _unit_to_plan()
    today = local_today()
    action = url_for("plans.new", unit=unit.id)
    kept = unsaved.take(action) if request.method == "GET" else None
    if kept is not None:
        db.session.commit()
        return _restored(PlanForm(formdata=kept.fields), unit)
    form = PlanForm() if request.method == "POST" else PlanForm(data={
        "year": str(today.year), "plan_date": today.isoformat(), "signer_title": "CHỦ TỊCH"})
    if form.validate_on_submit():
        try:
            plan = plans.create_plan(current_user, unit, form.to_input())
        except DomainError as exc:
            return _refused(form, unit, exc)
        unsaved.saved(action)
        db.session.commit()
        flash(_("Đã tạo kế hoạch dự thảo."), "success")
        return _after_save(plan)
    form.add_blank_rows()
    return _render_form(form, unit)


def _unit_to_plan() -> Unit:
    if request.args.get("unit"):
        return load_unit(request.args.get("unit"), "plan")
    unit = db.session.scalars(select(Unit).where(authz.reachable(current_user, "plan"),
                                                 ~Unit.closed).order_by(Unit.path).limit(1)).first()
    if unit is None:
        raise authz.Forbidden("plan")
    return unit


@bp.route("/<int:plan_id>/edit", methods=["GET", "POST"])
@unsaved.keeps_input
@login_required
def edit(plan_id: int):
    plan = _load_plan(plan_id, "plan")
    if request.method == "GET" and not plan.editable:
        flash(_("Chỉ sửa được kế hoạch dự thảo hoặc bị trả lại."), "error")
        return redirect(url_for("plans.view", plan_id=plan.id))
    action = url_for("plans.edit", plan_id=plan.id)
    kept = unsaved.take(action) if request.method == "GET" else None
    if kept is not None:
        db.session.commit()
        form = PlanForm(formdata=kept.fields)
        form.version.data = unsaved.over_current(kept, plan.version)
        return _restored(form, plan.unit, plan)
    form = PlanForm() if request.method == "POST" else PlanForm(data=plan_data(plan))
    if form.validate_on_submit():
        try:
            plans.update_plan(current_user, plan, form.to_input(), form.version.data)
            unsaved.saved(action)
            db.session.commit()
        except DomainError as exc:
            return _refused(form, plan.unit, exc, plan)
        except StaleDataError:
            # Two saves raced past the version check: the database kept the first.
            return _refused(form, plan.unit,
                            Conflict(plans.SIGN_OFF.stale_message(), "version"), plan)
        flash(_("Đã lưu kế hoạch."), "success")
        return _after_save(plan)
    form.add_blank_rows()
    return _render_form(form, plan.unit, plan)


def _after_save(plan: Plan):
    if request.form.get("then") == "edit":
        return redirect(url_for("plans.edit", plan_id=plan.id))
    return redirect(url_for("plans.view", plan_id=plan.id))


def _restored(form: PlanForm, unit: Unit, plan: Plan | None = None):
    """The form filled with input kept when the session ended (lhpn/unsaved), not saved."""
    form.keep_filled_rows()
    form.add_blank_rows()
    return _render_form(form, unit, plan, restored=True)


def _refused(form: PlanForm, unit: Unit, exc: DomainError, plan: Plan | None = None):
    """Nothing is kept; the form shows what the user typed, and where the problem is."""
    db.session.rollback()
    flash(exc.message, "error")
    form.keep_filled_rows()
    _mark_error(form, exc)
    form.add_blank_rows()
    return _render_form(form, unit, plan, status=exc.status)


def _mark_error(form: PlanForm, exc: DomainError) -> None:
    name = exc.field or ""
    for rows_name in ("targets", "activities"):
        prefix = f"{rows_name}["
        if name.startswith(prefix) and "]." in name:
            index, _sep, field_name = name[len(prefix):].partition("].")
            rows = getattr(form, rows_name)
            if index.isdigit() and int(index) < len(rows.entries):
                field = getattr(rows.entries[int(index)].form, field_name, None)
                if field is not None:
                    field.errors = [*field.errors, exc.message]
            return
    field = getattr(form, name, None) if name and name in form._fields else None
    if field is not None:
        field.errors = [*field.errors, exc.message]


def _render_form(form: PlanForm, unit: Unit, plan: Plan | None = None, status: int = 200,
                 restored: bool = False):
    levels = unit.tenant.levels
    rank = levels.index(unit.level)
    used = {entry.form.indicator.data for entry in form.targets if entry.form.indicator.data}
    indicator_choices = _indicator_choices(unit.tenant_id, used)
    level_choices = [(lv, level_label(lv)) for lv in levels[rank:]]
    target_prototype = TargetRowForm(prefix="targets-__INDEX__-")
    prototypes = {"targets": target_prototype,
                  "activities": ActivityRowForm(prefix="activities-__INDEX__-")}
    for row in [entry.form for entry in form.targets] + [target_prototype]:
        row.indicator.choices = indicator_choices
        row.level.choices = level_choices
    form.child_levels.choices = [(lv, level_label(lv)) for lv in levels[rank + 1:]]
    for key in SECTION_LABELS:
        getattr(form, f"heading_{key}").render_kw = {
            "placeholder": wording.DEFAULT_HEADINGS[key], "maxlength": 200}
    form.parent_plan_id.choices = [("", _("— Không chọn —"))] + [
        (str(p.id), _parent_label(p)) for p in _parent_plans(unit)]
    weaker = plans.weaker_targets(plan) if plan is not None else []
    last_return = (plans.SIGN_OFF.last_return(plan, plans.history(plan))
                   if plan is not None else None)
    return render_template("plans/form.html", form=form, unit=unit, plan=plan,
                           prototypes=prototypes, weaker=weaker, measured=MEASURED,
                           last_return=last_return, restored=restored,
                           may_count=plan is None or may_mark_counted(current_user, plan)
                           ), status


def _indicator_choices(tenant_id: int, used: set[str]) -> list[tuple[str, str]]:
    active = db.session.scalars(catalogue(tenant_id, active_only=True)).all()
    choices = [("", _("— Chọn chỉ tiêu —"))] + [(i.code, i.name) for i in active]
    have = {i.code for i in active}
    missing = used - have
    if missing:
        for indicator in db.session.scalars(select(Indicator).where(
                Indicator.tenant_id == tenant_id, Indicator.code.in_(missing))):
            choices.append((indicator.code, _("%(name)s (ngừng dùng)", name=indicator.name)))
    return choices


def _parent_plans(unit: Unit) -> Sequence[Plan]:
    """Issued plans of the units above: what a plan may name as its basis."""
    return db.session.scalars(
        select(Plan).where(Plan.unit_id.in_(unit.ancestor_ids[:-1]), Plan.status == "approved")
        .order_by(Plan.year.desc(), Plan.id.desc()).limit(200)
    ).all()


def _parent_label(plan: Plan) -> str:
    number = f"{plan.number} — " if plan.number else ""
    return f"{number}{plan.title} ({plan.unit.name}, {plan.year})"


# ---- the plan and its sign-off ------------------------------------------------------------

@bp.route("/<int:plan_id>")
@login_required
def view(plan_id: int):
    return _render_plan(_load_plan(plan_id, "read"))


def _render_plan(plan: Plan, status: int = 200, comment: str = "", note_errors=None):
    """The plan as its document (the words of lhpn/plans/wording.py, as in the .docx), with
    what the user may do. Someone who reads an issued plan from below (lhpn/authz/plans.py)
    sees the document and their own units' follow-up, not the plan's history nor the other
    units' progress."""
    viewer = authz.can(current_user, "view", plan.unit)
    creator = db.session.get(User, plan.created_by_id) if plan.created_by_id else None
    events = plans.history(plan) if viewer else []
    asked = db.session.scalar(select(func.count()).select_from(PlanRequest)
                              .where(PlanRequest.parent_plan_id == plan.id)) if viewer else 0
    may = {
        "edit": plan.editable and authz.can(current_user, "plan", plan.unit),
        "submit": plans.SIGN_OFF.may_submit(current_user, plan),
        "approve": plans.SIGN_OFF.may_decide(current_user, plan, "approve"),
        "view_parent": plan.parent_plan is not None
        and may_read_plan(current_user, plan.parent_plan),
        "count": may_mark_counted(current_user, plan),
        "history": viewer,
    }
    weaker = plans.weaker_targets(plan)
    return render_template(
        "plans/view.html", plan=plan, history=events, creator=creator,
        last_return=plans.SIGN_OFF.last_return(plan, events), words=wording.wording(plan),
        weaker=weaker, asked=asked, may=may, comment=comment,
        confirm=_consequences(plan, weaker, may),
        to_check=plans.targets_to_check(current_user, plan),
        follow_up=_follow_up(plan) if viewer else [], note_errors=note_errors or {},
        missing=[wording.section_heading(plan, key) for key in plans.empty_sections(plan)]
        if may["submit"] else [],
        has_export="plan_export.docx" in current_app.view_functions), status


def _follow_up(plan: Plan) -> list[dict]:
    """Per qualitative target of an issued plan: how many units of its level did it."""
    targets = [t for t in plan.targets if not t.measured]
    if plan.status != "approved" or not targets:
        return []
    checks = plans.checks_of(targets)
    out = []
    for target in targets:
        units = db.session.scalars(plans.units_of_target(target)).all()
        answers = [(u, checks.get((target.id, u.id))) for u in units]
        done = sum(1 for _u, c in answers if c is not None and c.done)
        out.append({"target": target, "units": len(units), "done": done,
                    "not_done": [(u, c) for u, c in answers if c is not None and not c.done],
                    "no_answer": [u for u, c in answers if c is None]})
    return out


def _consequences(plan: Plan, weaker: list, may: dict) -> dict:
    """What the sign-off buttons will do, said before the click (data-confirm, and on the
    page): sending up locks the plan; approving may ask many units for a plan of their own."""
    out = {}
    if may["submit"]:
        text = _("Gửi %(plan)s để %(unit)s duyệt? Sau khi gửi, kế hoạch không "
                 "sửa được nữa, trừ khi bị trả lại.", plan=plan_named(plan.title),
                 unit=authz.approval_unit(plan).name)
        out["submit"] = (_("Có chỉ tiêu thấp hơn yêu cầu của cấp trên.") + " " + text
                         if weaker else text)
    if may["approve"]:
        count = plans.cascade_count(plan)
        out["asked"] = count
        if count and plan.child_deadline is not None:  # no deadline: no count either
            out["cascade"] = _(
                "Khi được duyệt, kế hoạch được ban hành và gửi yêu cầu tới %(n)d đơn vị "
                "(%(levels)s) xây dựng kế hoạch thực hiện trước ngày %(d)s.", n=count,
                levels=", ".join(str(LEVEL_NOUNS.get(lv, lv)) for lv in plan.child_level_list),
                d=plan.child_deadline.strftime("%d/%m/%Y"))
            out["approve"] = _("Duyệt %(plan)s? Việc này sẽ gửi yêu cầu tới %(n)d đơn vị và "
                               "không hoàn tác được.", plan=plan_named(plan.title), n=count)
    return out


def _again(plan_id: int, status: int, comment: str):
    """The plan's page once more after a refused step, with the comment that was typed."""
    return _render_plan(_load_plan(plan_id), status, comment)


@bp.route("/<int:plan_id>/counted", methods=["POST"])
@login_required
def counted(plan_id: int):
    plan = _load_plan(plan_id)
    wanted = request.form.get("counted") == "1"
    return act(plans.SIGN_OFF, plan.id,
               lambda: plans.set_counted(current_user, plan, wanted, form_version()),
               _("Kế hoạch được tính vào chương trình công tác năm.") if wanted
               else _("Kế hoạch không còn được tính vào chương trình công tác năm."),
               _again, "plans.view", "plan_id")


@bp.route("/<int:plan_id>/targets/<int:target_id>/check", methods=["POST"])
@login_required
def check(plan_id: int, target_id: int):
    """A unit's "done / not done" for a qualitative target of an issued plan."""
    plan = _load_plan(plan_id)
    target = plans.get_target(plan, target_id)
    unit = load_unit(request.form.get("unit"), "submit")
    answer = request.form.get("done")
    done = {"1": True, "0": False}.get(answer, answer) if answer is not None else None
    try:
        plans.check_target(current_user, target, unit, done, request.form.get("note", ""))
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _render_plan(plan, exc.status,
                            note_errors={(target.id, unit.id): request.form.get("note", "")})
    flash(_("Đã lưu kết quả thực hiện của %(unit)s.", unit=unit.name), "success")
    return redirect(url_for("plans.view", plan_id=plan.id, _anchor="follow-up"))


def _confirm_cascade(step: str, plan: Plan):
    """Approving asks the units below for their plans: the page said how many; if that is not
    the number now (or the page said nothing), nothing is done and the page says it again."""
    if step != "approve" or plan.status != "submitted" \
            or not authz.may_decide(current_user, plan):
        return None
    count = plans.cascade_count(plan)
    if count and request.form.get("asked") != str(count):
        flash(_("Duyệt kế hoạch này sẽ gửi yêu cầu tới %(n)d đơn vị. Hãy xem lại rồi "
                "bấm duyệt lần nữa để xác nhận.", n=count), "warn")
        return _render_plan(plan, 409)
    return None


DONE = {"submit": _l("Đã gửi kế hoạch chờ duyệt."), "approve": _l("Đã duyệt kế hoạch."),
        "return": _l("Đã trả lại kế hoạch kèm ý kiến.")}
# POST /<id>/submit, /approve, /return (lhpn/workflow/pages.py).
step_routes(bp, plans.SIGN_OFF, id_name="plan_id", load=_load_plan, render=_again,
            done=lambda step: str(DONE[step]), guard=_confirm_cascade)


# ---- the cascade ------------------------------------------------------------------------------

@bp.route("/<int:plan_id>/cascade")
@login_required
def cascade(plan_id: int):
    plan = _load_plan(plan_id, "view")
    rows = plans.cascade_status(plan)
    counts = Counter(row.state for row in rows)
    late = sum(1 for row in rows if row.late)
    show = request.args.get("state", "")
    if show == "late":
        rows = [row for row in rows if row.late]
    elif show in plans.CHILD_STATES:
        rows = [row for row in rows if row.state == show]
    viewable = set(db.session.scalars(authz.reachable_unit_ids(current_user, "view"))) \
        if rows else set()
    may_remind = late > 0 and may_remind_below(current_user, plan.unit)
    to_remind = plans.to_remind(plan) if may_remind else 0
    return render_template("plans/cascade.html", plan=plan, rows=rows, counts=counts, late=late,
                           show=show, viewable=viewable, may_remind=may_remind,
                           to_remind=to_remind, states=plans.CHILD_STATES)


@bp.route("/<int:plan_id>/remind", methods=["POST"])
@login_required
def remind(plan_id: int):
    plan = _load_plan(plan_id)
    answer = plans.remind_late(current_user, plan)
    db.session.commit()
    flash(answer.message, "success")
    return redirect(url_for("plans.cascade", plan_id=plan.id))


# ---- requests from above ----------------------------------------------------------------------

@bp.route("/requests/<int:plan_id>/<int:unit_id>")
@login_required
def plan_request(plan_id: int, unit_id: int):
    return _render_request(_load_request(plan_id, unit_id, "view"))


def _render_request(asked: PlanRequest, status: int = 200):
    child = plans.child_plan(asked)
    parent = asked.parent_plan
    levels = asked.unit.tenant.levels
    rank = levels.index(asked.unit.level)
    targets = [t for t in parent.targets if levels.index(t.level) >= rank]
    state = child.status if child else "not_started"
    late = local_today() > asked.deadline and state not in ("submitted", "approved")
    return render_template(
        "plans/request.html", asked=asked, parent=parent, child=child, targets=targets,
        state=state, late=late, may_plan=authz.can(current_user, "plan", asked.unit),
        may_read_parent=may_read_plan(current_user, parent),
        has_export="plan_export.docx" in current_app.view_functions), status


@bp.route("/requests/<int:plan_id>/<int:unit_id>/start", methods=["POST"])
@login_required
def start(plan_id: int, unit_id: int):
    asked = plans.get_request(current_user.tenant_id, plan_id, unit_id)
    try:
        plan = plans.start_from_request(current_user, asked)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _render_request(asked, exc.status)
    if plan.editable:
        flash(_("Kế hoạch thực hiện đã được điền sẵn từ kế hoạch cấp trên; hãy hoàn thiện."),
              "success")
        return redirect(url_for("plans.edit", plan_id=plan.id))
    return redirect(url_for("plans.view", plan_id=plan.id))
