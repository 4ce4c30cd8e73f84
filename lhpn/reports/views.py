"""Report pages: the list and the reporting calendar, the form to fill, the report with the
previous period beside it and its timeline, sign-off, and the approver's inbox.

Views load through the tenant-scoped getters (404); the services check who may do what (403);
one commit per request. A refused input rolls back and shows the message with the input kept.
"""

from dataclasses import dataclass, field
from itertools import groupby

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from lhpn import authz
from lhpn.access import load_unit
from lhpn.accounts.models import User
from lhpn.clock import local_date, local_today, utcnow
from lhpn.errors import MAX_ID, Conflict, DomainError
from lhpn.extensions import db
from lhpn.labels import lower_first, report_named
from lhpn.numbers import format_number
from lhpn.params import page_number, query_int
from lhpn.reports import batch, forms, reminders
from lhpn.reports import periods as P
from lhpn.reports import services as reports
from lhpn.reports.models import Report
from lhpn.units.models import Unit
from lhpn.units.picker import picker
from lhpn.unsaved import web as unsaved
from lhpn.workflow.engine import ACTION_LABELS, status_label
from lhpn.workflow.models import STATUSES
from lhpn.workflow.pages import form_version, step_routes

bp = Blueprint("reports", __name__, url_prefix="/reports")
PAGE_SIZE = 50
INBOX_SIZE = 500
ENTRY_UNITS = 700  # a commune's officer with its branches, rarely more
NOT_STARTED = _l("Chưa lập")
LOCKED = _l("Báo cáo đã gửi hoặc đã duyệt thì không sửa được.")
NARRATIVE_LABELS = (("results", _l("Kết quả")), ("shortcomings", _l("Tồn tại, hạn chế")),
                    ("proposals", _l("Đề xuất, kiến nghị")))


# ---- presentation helpers ---------------------------------------------------------------------

def state_label(state: str) -> str:
    return str(NOT_STARTED) if state == "not_started" else status_label(state)


def show_value(value: object, kind: str) -> str:
    """A stored value as a person reads it; "" when there is none."""
    if value is None:
        return ""
    if kind == "boolean":
        return _("Có") if value else _("Không")
    if kind == "rate" and isinstance(value, dict):
        numerator, denominator = value.get("numerator"), value.get("denominator")
        if not denominator or numerator is None:
            return f"{numerator}/{denominator}"
        share = format_decimal(round(100 * numerator / denominator, 1))
        return f"{format_decimal(numerator)}/{format_decimal(denominator)} ({share}%)"
    if isinstance(value, int | float):
        return format_number(value)  # what the form reads back: 12.500,5
    return str(value)


def is_late(report: Report | None, due_date) -> bool:
    """Past the due date and not yet sent up."""
    if report is not None and report.status in ("submitted", "approved"):
        return False
    return due_date is not None and local_today() > due_date


@bp.context_processor
def _helpers() -> dict:
    return {"status_label": status_label, "state_label": state_label,
            "period_label": P.period_label, "show_value": show_value,
            "action_label": lambda a: str(ACTION_LABELS.get(a, a)), "statuses": STATUSES}


@bp.app_context_processor
def _inbox_count() -> dict:
    def report_inbox_count() -> int | None:
        """Submissions waiting for the user, or None for who approves nothing."""
        if not current_user.is_authenticated or not current_user.tenant_id:
            return None
        if "report_inbox_count" in g:  # the dashboard counted it already
            return g.report_inbox_count
        if not authz.reaches_any(current_user, "approve"):
            return None
        return db.session.scalar(
            select(func.count()).select_from(reports.inbox(current_user).subquery()))

    return {"report_inbox_count": report_inbox_count}


# ---- loading ----------------------------------------------------------------------------------

def _load(report_id: int) -> Report:
    """404 for another tenant's report; the services (or the page) decide 403."""
    return reports.get_report(current_user.tenant_id, report_id)


# ---- the list and the calendar -----------------------------------------------------------------

def _entry_units() -> list[Unit]:
    """Open units the user may fill in reports for (``authz.enterable_units``): its own, and
    branches of its communes where the tenant allows entry on their behalf."""
    return list(db.session.scalars(select(Unit).where(authz.enterable_units(current_user),
                                                      ~Unit.closed)
                                   .order_by(Unit.path).limit(ENTRY_UNITS)))


def _calendar_unit(choices: list[Unit], unit_id: object) -> Unit | None:
    if unit_id:
        return load_unit(unit_id, "view")
    if choices:
        return choices[0]
    return db.session.scalars(select(Unit).where(authz.reachable(current_user, "view"))
                              .order_by(Unit.path).limit(1)).first()


@bp.route("/")
@login_required
def index():
    return _render_index(request.args.get("unit"), request.args.get("year", type=int))


def _render_index(calendar_unit_id: object, year: int | None, status_code: int = 200,
                  opening: dict | None = None):
    args = request.args
    status = args.get("status") if args.get("status") in STATUSES else None
    unit_id = query_int("filter_unit", 1, MAX_ID)
    template_id = query_int("form", 1, MAX_ID)
    period = (args.get("period") or "").strip()[:40] or None
    page = page_number()
    stmt = reports.visible_reports(current_user, unit_id=unit_id, template_id=template_id,
                                   period=period, status=status)
    total = db.session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = db.session.scalars(stmt.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    filter_unit = picker("filter_unit", "view", args)
    templates = db.session.scalars(reports.templates_of(current_user.tenant_id)).all()

    choices = _entry_units()
    unit = _calendar_unit(choices, calendar_unit_id)
    year = year if year and 2000 <= year <= 2100 else utcnow().year
    calendar = reports.calendar_for(unit, year) if unit is not None else []
    calendar_unit = picker("unit", "view", args, chosen_id=unit.id if unit else None)
    may_enter = unit is not None and authz.may_enter_for(current_user, unit)
    unit_templates = [t for t in templates if unit is not None and unit.level in t.level_list]
    return render_template(
        "reports/index.html", reports=rows, total=total, page=page,
        pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1), filter_unit=filter_unit,
        calendar_unit=calendar_unit,
        templates=templates, status=status, unit_id=unit_id, template_id=template_id,
        period=period or "", unit=unit,
        year=year, calendar=calendar, may_enter=may_enter, unit_templates=unit_templates,
        on_behalf=unit is not None and authz.enters_on_behalf(current_user, unit),
        is_late=is_late, opening=opening or {}), status_code


@bp.route("/open", methods=["POST"])
@login_required
def open_():
    unit = load_unit(request.form.get("unit"), "view")
    template = reports.get_template(current_user.tenant_id, request.form.get("template", ""))
    # Not stripped: a code is taken exactly as sent (the service refuses other spellings).
    period = request.form.get("period") or ""
    try:
        report = reports.open_report(current_user, unit, template, period)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _render_index(unit.id, None, exc.status,
                             {"template": template.code, "period": period})
    if report.editable and authz.may_enter_for(current_user, report.unit):
        return redirect(url_for("reports.edit", report_id=report.id))
    return redirect(url_for("reports.view", report_id=report.id))


# ---- filling in -------------------------------------------------------------------------------

@bp.route("/<int:report_id>/edit", methods=["GET", "POST"])
@unsaved.keeps_input
@login_required
def edit(report_id: int):
    report = _load(report_id)
    authz.require_enter_for(current_user, report.unit)
    action = url_for("reports.edit", report_id=report.id)
    if request.method == "GET":
        if not report.editable:
            flash(str(LOCKED), "error")
            return redirect(url_for("reports.view", report_id=report.id))
        kept = unsaved.take(action)
        if kept is not None:
            db.session.commit()
            return _render_form(report, forms.typed(report.template, kept.fields),
                                unsaved.over_current(kept, report.version), restored=True)
        return _render_form(report, forms.stored(report, reports.from_records(report)),
                            str(report.version))

    entered = forms.typed(report.template, request.form)
    version = form_version()
    try:
        found = reports.save_report(
            current_user, report, forms.values_of(report.template, entered), version,
            narrative={field: entered[field] for field in forms.NARRATIVE},
            nothing_to_report=bool(entered["nothing_to_report"]),
            reasons=forms.reasons_of(report.template, entered))
        sending = request.form.get("then") == "submit"
        if sending:
            reports.submit_report(current_user, report)
        unsaved.saved(action)
        db.session.commit()
    except DomainError as exc:
        return _refused(report_id, entered, version, exc)
    except StaleDataError:
        # Two saves raced past the version check: the database kept the first.
        return _refused(report_id, entered, version,
                        Conflict(reports.SIGN_OFF.stale_message(), "version"))
    for problem in found:
        flash(problem.message, "warn")
    flash(_("Đã gửi báo cáo chờ duyệt.") if sending else _("Đã lưu báo cáo."), "success")
    return redirect(url_for("reports.view", report_id=report.id))


def _refused(report_id: int, entered: dict, version: str, exc: DomainError):
    """Nothing is kept; the form shows what the user typed, and where the problem is."""
    db.session.rollback()
    report = _load(report_id)
    flash(exc.message, "error")
    return _render_form(report, entered, version, exc, status=exc.status)


def _render_form(report: Report, entered: dict, version: str, error: DomainError | None = None,
                 status: int = 200, restored: bool = False):
    previous = reports.previous_report(report)
    before = ({row.indicator.code: reports.value_of(row)
               for row in reports.readable_values(current_user, previous)}
              if previous is not None else {})
    groups = [(group, list(items)) for group, items in
              groupby(report.template.items, key=lambda item: item.group)]
    return render_template(
        "reports/form.html", report=report, entered=entered, version=version, groups=groups,
        error_field=error.field if error is not None else None,
        error=error.message if error is not None else "", previous=previous, before=before,
        input_name=forms.input_name, reason_name=forms.reason_name,
        from_records=reports.from_records(report),
        last_return=reports.SIGN_OFF.last_return(report, reports.history(report)),
        narrative=NARRATIVE_LABELS, restored=restored,
        submit_confirm=submit_consequence(report)), status


def submit_consequence(report: Report) -> str:
    """Said before sending a report up (data-confirm): where it goes, and that it locks."""
    return _("Gửi %(report)s kỳ %(p)s của %(unit)s để %(parent)s duyệt? Sau khi gửi, báo "
             "cáo không sửa được nữa, trừ khi bị trả lại.",
             report=report_named(report.template.name),
             p=lower_first(P.period_label(report.template, report.period)),
             unit=report.unit.name,
             parent=authz.approval_unit(report).name)



# ---- the report and its sign-off --------------------------------------------------------------

@bp.route("/<int:report_id>")
@login_required
def view(report_id: int):
    report = _load(report_id)
    authz.require(current_user, "view", report.unit)
    return _render_report(report)


def _render_report(report: Report, status: int = 200, comment: str = ""):
    events = reports.history(report)
    previous = reports.previous_report(report)
    changes = reports.compare(current_user, report, previous)
    creator = db.session.get(User, report.created_by_id) if report.created_by_id else None
    enter = reports.SIGN_OFF.may_submit(current_user, report)
    may = {"edit": enter, "submit": enter,
           "approve": reports.SIGN_OFF.may_decide(current_user, report, "approve"),
           "reopen": reports.SIGN_OFF.may_decide(current_user, report, "reopen")}
    return render_template(
        "reports/view.html", report=report, history=events, creator=creator,
        previous=previous, changes=changes, may=may, can_edit=enter, comment=comment,
        last_return=reports.SIGN_OFF.last_return(report, events), narrative=NARRATIVE_LABELS,
        late=is_late(report, report.due_date), submit_confirm=submit_consequence(report),
        from_records=reports.from_records(report),
        missing=reports.missing_required(report) if enter else []), status


def _again(report_id: int, status: int, comment: str):
    """The report's page once more after a refused step, with the comment that was typed."""
    return _render_report(_load(report_id), status, comment)


DONE = {"submit": _l("Đã gửi báo cáo chờ duyệt."), "approve": _l("Đã duyệt báo cáo."),
        "return": _l("Đã trả lại báo cáo kèm ý kiến."), "reopen": _l("Đã mở lại báo cáo để sửa.")}
# POST /<id>/submit, /approve, /return, /reopen (lhpn/workflow/pages.py).
step_routes(bp, reports.SIGN_OFF, id_name="report_id", load=_load, render=_again,
            done=lambda step: str(DONE[step]))


# ---- the approver's inbox -----------------------------------------------------------------------

def _sent_late(report: Report) -> bool:
    return bool(report.due_date and report.submitted_at
                and local_date(report.submitted_at) > report.due_date)


@bp.route("/inbox")
@login_required
def inbox():
    """The submissions waiting for the user, to open one by one or to tick and approve
    together (after the review page)."""
    waiting = reports.inbox(current_user)
    groups = db.session.execute(
        select(Report.template_id, Report.period).where(Report.id.in_(
            select(waiting.subquery().c.id))).distinct()).all()
    template_id = request.args.get("form", type=int)
    period = (request.args.get("period") or "").strip()[:40]
    if template_id:
        waiting = waiting.where(Report.template_id == template_id)
    if period:
        waiting = waiting.where(Report.period == period)
    rows = db.session.scalars(waiting.limit(INBOX_SIZE)).all()
    templates = {t.id: t for t in db.session.scalars(reports.templates_of(
        current_user.tenant_id, active_only=False))}
    chosen = set(request.args.getlist("id", type=int))
    if request.args.get("all"):
        chosen = {r.id for r in rows if not authz.is_own_submission(current_user, r)}
    return render_template(
        "reports/inbox.html", reports=rows, late={r.id for r in rows if _sent_late(r)},
        chosen=chosen, template_id=template_id, period=period,
        forms=sorted({templates[t] for t, _p in groups if t in templates},
                     key=lambda t: t.name),
        periods=sorted({p: P.period_label(templates[t], p) for t, p in groups
                        if t in templates}.items(), reverse=True),
        max_batch=batch.MAX_BATCH)


@dataclass
class Reviewed:
    """One ticked report on the review page: its figures beside last period's, or why it
    cannot be approved."""

    key: object
    report: Report | None = None
    problem: str = ""
    changes: list = field(default_factory=list)
    previous: Report | None = None

    @property
    def unusual(self) -> int:
        return sum(1 for _item, change in self.changes if change.unusual)


def _review(key: object) -> Reviewed:
    try:
        report = reports.get_report(current_user.tenant_id, key)
    except DomainError as exc:
        return Reviewed(key, problem=exc.message)
    if not authz.is_approver_of(current_user, report):
        return Reviewed(key, problem=_("Bạn không có quyền duyệt báo cáo này."))
    reviewed = Reviewed(report.id, report)
    if report.status != "submitted":
        reviewed.problem = _("Báo cáo không còn chờ duyệt (đang ở trạng thái “%(s)s”).",
                             s=status_label(report.status))
    elif authz.is_own_submission(current_user, report):
        reviewed.problem = _("Bạn đã gửi báo cáo này nên không thể tự duyệt.")
    reviewed.previous = reports.previous_report(report)
    reviewed.changes = reports.compare(current_user, report, reviewed.previous)
    return reviewed


@bp.route("/inbox/review")
@login_required
def review():
    """Before approving together: each ticked report with its figures and unusual changes."""
    keys = list(dict.fromkeys(request.args.getlist("id")))
    if not keys:
        flash(_("Hãy đánh dấu ít nhất một báo cáo để duyệt."), "error")
        return redirect(url_for("reports.inbox"))
    if len(keys) > batch.MAX_BATCH:
        flash(_("Mỗi lần duyệt tối đa %(n)d báo cáo.", n=batch.MAX_BATCH), "error")
        return redirect(url_for("reports.inbox"))
    reviewed = [_review(key) for key in keys]
    ready = [r for r in reviewed if not r.problem]
    return render_template("reports/review.html", ready=ready,
                           refused=[r for r in reviewed if r.problem],
                           late={r.report.id for r in ready if _sent_late(r.report)},
                           chosen=[r.report.id for r in reviewed if r.report is not None])


@bp.route("/approve", methods=["POST"])
@login_required
def approve_many():
    """Approve the reviewed reports, each in its own transaction (lhpn/reports/batch.py)."""
    keys = list(dict.fromkeys(request.form.getlist("id")))
    if not keys or len(keys) > batch.MAX_BATCH:
        flash(_("Hãy chọn từ 1 đến %(n)d báo cáo để duyệt.", n=batch.MAX_BATCH), "error")
        return redirect(url_for("reports.inbox"))
    outcomes = batch.approve_many(current_user, [
        (key, request.form.get(f"version-{key}", "")) for key in keys])
    approved = [o for o in outcomes if o.ok]
    return render_template("reports/approved.html", approved=approved,
                           failed=[o for o in outcomes if not o.ok])



# ---- reminding the late units -------------------------------------------------------------------

@bp.route("/remind", methods=["POST"])
@login_required
def remind():
    """Remind the children of a unit late with a form's report for a period (once a day)."""
    unit = load_unit(request.form.get("unit"), "view")
    template = reports.get_template(current_user.tenant_id, request.form.get("template", ""))
    period = (request.form.get("period") or "").strip()
    try:
        answer = reminders.remind_late(current_user, unit, template, period)
        db.session.commit()
        flash(answer.message, "success")
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    if request.form.get("back") == "dashboard":
        return redirect(url_for("home.index", unit=unit.id, template=template.code))
    return redirect(url_for("consolidation.page", unit_id=unit.id, template=template.code,
                            period=period))
