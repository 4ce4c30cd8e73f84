"""Plan pages: the list, the one-page form, the plan with its timeline and sign-off buttons,
the cascade to the units below, and the requests a unit receives from above.

Views load through the tenant-scoped getters (404), ask authz (403), call one service, commit
once. A refused input rolls back and shows the service's message with the user's input kept.
"""

from collections import Counter

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from lhpn import authz
from lhpn.access import load_unit
from lhpn.accounts.models import User
from lhpn.clock import utcnow
from lhpn.errors import Conflict, DomainError
from lhpn.extensions import db
from lhpn.indicators.models import Indicator
from lhpn.indicators.services import catalogue
from lhpn.labels import level_label
from lhpn.plans import services as plans
from lhpn.plans.forms import (
    WHEN_LABELS,
    ActivityRowForm,
    PlanForm,
    TargetRowForm,
    plan_data,
)
from lhpn.plans.models import STATUSES, Plan, PlanRequest
from lhpn.richtext import to_html
from lhpn.units.models import Unit
from lhpn.workflow.engine import ACTION_LABELS, status_label
from lhpn.workflow.models import WorkflowEvent

bp = Blueprint("plans", __name__, url_prefix="/plans")
PAGE_SIZE = 50

# How a target names the units it applies to ("100% Hội LHPN xã đạt ≥ 2 …").
LEVEL_NOUNS = {
    "province": _l("Hội LHPN tỉnh"),
    "district": _l("Hội LHPN huyện"),
    "commune": _l("Hội LHPN xã"),
    "branch": _l("Chi hội phụ nữ"),
    "group": _l("Tổ phụ nữ"),
}
NOT_STARTED = _l("Chưa bắt đầu")
STALE = _l("Kế hoạch vừa được người khác thay đổi. Hãy tải lại trang và nhập lại thay đổi của "
           "bạn.")


# ---- presentation helpers (also used by the templates) ----------------------------------------

def number(value) -> str:
    return format_decimal(value) if value is not None else ""


def target_sentence(target) -> str:
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


def when_text(activity) -> str:
    if activity.when_kind == "month":
        return _("Tháng %(n)d", n=activity.when_number or 0)
    if activity.when_kind == "quarter":
        return _("Quý %(n)d", n=activity.when_number or 0)
    if activity.when_kind == "range" and activity.start_date and activity.end_date:
        return f"{activity.start_date:%d/%m/%Y} – {activity.end_date:%d/%m/%Y}"
    return str(WHEN_LABELS["year"])


@bp.context_processor
def _helpers() -> dict:
    return {"status_label": status_label, "target_sentence": target_sentence,
            "when_text": when_text, "number": number, "to_html": to_html,
            "child_state_label": child_state_label,
            "action_label": lambda a: str(ACTION_LABELS.get(a, a)),
            "levels_text": lambda levels: ", ".join(str(LEVEL_NOUNS.get(lv, lv)) for lv in levels),
            "statuses": STATUSES}


# ---- loading ----------------------------------------------------------------------------------

def _load_plan(plan_id: int, action: str | None = None) -> Plan:
    """404 for another tenant's plan; then, when the page itself decides, 403."""
    plan = plans.get_plan(current_user.tenant_id, plan_id)
    if action is not None:
        authz.require(current_user, action, plan.unit)
    return plan


def _load_request(plan_id: int, unit_id: int, action: str) -> PlanRequest:
    plan_request = plans.get_request(current_user.tenant_id, plan_id, unit_id)
    authz.require(current_user, action, plan_request.unit)
    return plan_request


def _version() -> str:
    # A page always sends the version it showed; a missing one is stale, never "skip the check".
    return request.form.get("version", "")


# ---- the list ---------------------------------------------------------------------------------

@bp.route("/")
@login_required
def index():
    year = request.args.get("year", type=int)
    status = request.args.get("status") if request.args.get("status") in STATUSES else None
    unit_id = request.args.get("unit", type=int)
    page = max(request.args.get("page", 1, type=int), 1)
    stmt = plans.visible_plans(current_user, unit_id=unit_id, year=year, status=status)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = db.session.scalars(stmt.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    visible = plans.visible_plans(current_user).subquery()
    years = db.session.scalars(select(visible.c.year).distinct().order_by(visible.c.year.desc()))
    filter_units = db.session.execute(
        select(Unit.id, Unit.name, Unit.level)
        .where(authz.reachable(current_user, "view"), Unit.id.in_(select(visible.c.unit_id)))
        .order_by(Unit.path).limit(1000)
    ).all()
    plan_units = db.session.scalars(
        select(Unit).where(authz.reachable(current_user, "plan"), ~Unit.closed)
        .order_by(Unit.path).limit(200)
    ).all()
    return render_template(
        "plans/index.html", plans=rows, total=total, page=page,
        pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1), years=list(years),
        filter_units=filter_units, plan_units=plan_units, year=year, status=status,
        unit_id=unit_id, requests=_open_requests())


def _open_requests() -> list[dict]:
    """Requests addressed to the user's units whose implementing plan is not yet sent up."""
    requests = db.session.scalars(plans.requests_for(current_user).limit(200)).all()
    if not requests:
        return []
    children = {}
    for child in db.session.scalars(
            select(Plan).where(Plan.parent_plan_id.in_({r.parent_plan_id for r in requests}),
                               Plan.unit_id.in_({r.unit_id for r in requests}))
            .order_by(Plan.id)):
        children[(child.parent_plan_id, child.unit_id)] = child
    today = utcnow().date()
    out = []
    for plan_request in requests:
        child = children.get((plan_request.parent_plan_id, plan_request.unit_id))
        state = child.status if child else "not_started"
        if state in ("submitted", "approved"):
            continue
        out.append({"request": plan_request, "plan": child, "state": state,
                    "late": today > plan_request.deadline})
    return out


# ---- the form ---------------------------------------------------------------------------------

@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    unit = _unit_to_plan()
    today = utcnow().date()
    form = PlanForm() if request.method == "POST" else PlanForm(data={
        "year": str(today.year), "plan_date": today.isoformat(), "signer_title": "CHỦ TỊCH"})
    if form.validate_on_submit():
        try:
            plan = plans.create_plan(current_user, unit, form.to_input())
        except DomainError as exc:
            return _refused(form, unit, exc)
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
@login_required
def edit(plan_id: int):
    plan = _load_plan(plan_id, "plan")
    if request.method == "GET" and not plan.editable:
        flash(_("Chỉ sửa được kế hoạch dự thảo hoặc bị trả lại."), "error")
        return redirect(url_for("plans.view", plan_id=plan.id))
    form = PlanForm() if request.method == "POST" else PlanForm(data=plan_data(plan))
    if form.validate_on_submit():
        try:
            plans.update_plan(current_user, plan, form.to_input(), form.version.data)
            db.session.commit()
        except DomainError as exc:
            return _refused(form, plan.unit, exc, plan)
        except StaleDataError:
            # Two saves raced past the version check: the database kept the first.
            return _refused(form, plan.unit, Conflict(str(STALE), "version"), plan)
        flash(_("Đã lưu kế hoạch."), "success")
        return _after_save(plan)
    form.add_blank_rows()
    return _render_form(form, plan.unit, plan)


def _after_save(plan: Plan):
    if request.form.get("then") == "edit":
        return redirect(url_for("plans.edit", plan_id=plan.id))
    return redirect(url_for("plans.view", plan_id=plan.id))


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


def _render_form(form: PlanForm, unit: Unit, plan: Plan | None = None, status: int = 200):
    levels = unit.tenant.levels
    rank = levels.index(unit.level)
    used = {entry.form.indicator.data for entry in form.targets if entry.form.indicator.data}
    indicator_choices = _indicator_choices(unit.tenant_id, used)
    level_choices = [(lv, level_label(lv)) for lv in levels[rank:]]
    prototypes = {"targets": TargetRowForm(prefix="targets-__INDEX__-"),
                  "activities": ActivityRowForm(prefix="activities-__INDEX__-")}
    for row in [entry.form for entry in form.targets] + [prototypes["targets"]]:
        row.indicator.choices = indicator_choices
        row.level.choices = level_choices
    form.child_levels.choices = [(lv, level_label(lv)) for lv in levels[rank + 1:]]
    form.parent_plan_id.choices = [("", _("— Không chọn —"))] + [
        (str(p.id), _parent_label(p)) for p in _parent_plans(unit)]
    weaker = plans.weaker_targets(plan) if plan is not None else []
    last_return = _last_return(plan, plans.history(plan)) if plan is not None else None
    return render_template("plans/form.html", form=form, unit=unit, plan=plan,
                           prototypes=prototypes, weaker=weaker,
                           last_return=last_return), status


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


def _parent_plans(unit: Unit) -> list[Plan]:
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
    return _render_plan(_load_plan(plan_id, "view"))


def _last_return(plan: Plan, events) -> WorkflowEvent | None:
    """While a plan is returned, the comment it came back with is what matters most."""
    if plan.status != "returned":
        return None
    returns = [event for event in events if event.action == "return"]
    return returns[-1] if returns else None


def _render_plan(plan: Plan, status: int = 200, comment: str = ""):
    creator = db.session.get(User, plan.created_by_id) if plan.created_by_id else None
    events = plans.history(plan)
    asked = db.session.scalar(select(func.count()).select_from(PlanRequest)
                              .where(PlanRequest.parent_plan_id == plan.id))
    may = {
        "edit": plan.editable and authz.can(current_user, "plan", plan.unit),
        "submit": plans.WORKFLOW.allowed(plan.status, "submit")
        and authz.can(current_user, "submit", plan.unit),
        "approve": plan.status == "submitted" and plans.can_approve(current_user, plan),
        "view_parent": plan.parent_plan is not None
        and authz.can(current_user, "view", plan.parent_plan.unit),
    }
    return render_template(
        "plans/view.html", plan=plan, history=events, creator=creator,
        last_return=_last_return(plan, events),
        weaker=plans.weaker_targets(plan), asked=asked, may=may, comment=comment,
        has_export="plan_export.docx" in current_app.view_functions), status


def _act(plan: Plan, operation, done: str):
    # Nothing is read after the commit: the way back is known before it.
    plan_id = plan.id
    try:
        operation()
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _render_plan(plan, exc.status, request.form.get("comment", ""))
    except StaleDataError:
        db.session.rollback()
        flash(str(STALE), "error")
        return _render_plan(plan, 409, request.form.get("comment", ""))
    flash(done, "success")
    return redirect(url_for("plans.view", plan_id=plan_id))


@bp.route("/<int:plan_id>/submit", methods=["POST"])
@login_required
def submit(plan_id: int):
    plan = _load_plan(plan_id)
    return _act(plan, lambda: plans.submit_plan(current_user, plan, _version()),
                _("Đã gửi kế hoạch chờ phê duyệt."))


@bp.route("/<int:plan_id>/approve", methods=["POST"])
@login_required
def approve(plan_id: int):
    plan = _load_plan(plan_id)
    return _act(plan, lambda: plans.approve_plan(current_user, plan, _version()),
                _("Đã phê duyệt kế hoạch."))


@bp.route("/<int:plan_id>/return", methods=["POST"])
@login_required
def return_(plan_id: int):
    plan = _load_plan(plan_id)
    return _act(plan, lambda: plans.return_plan(current_user, plan,
                                                request.form.get("comment", ""), _version()),
                _("Đã trả lại kế hoạch kèm ý kiến."))


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
    may_remind = late > 0 and (authz.can(current_user, "plan", plan.unit)
                               or authz.can(current_user, "approve", plan.unit))
    return render_template("plans/cascade.html", plan=plan, rows=rows, counts=counts, late=late,
                           show=show, viewable=viewable, may_remind=may_remind,
                           states=plans.CHILD_STATES)


@bp.route("/<int:plan_id>/remind", methods=["POST"])
@login_required
def remind(plan_id: int):
    plan = _load_plan(plan_id)
    reminded = plans.remind_late(current_user, plan)
    db.session.commit()
    flash(_("Đã nhắc %(n)d đơn vị.", n=reminded), "success")
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
    late = utcnow().date() > asked.deadline and state not in ("submitted", "approved")
    return render_template(
        "plans/request.html", asked=asked, parent=parent, child=child, targets=targets,
        state=state, late=late, may_plan=authz.can(current_user, "plan", asked.unit),
        may_view_parent=authz.can(current_user, "view", parent.unit)), status


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
