"""The incident pages: the list (masked for everyone), recording a case on a phone, the case
page (masked, or in clear after the reader chose a purpose, which is logged), handling it.

The forms holding victims' data are deliberately left out of the two safety nets that keep
typed input (lhpn/unsaved: no ``@keeps_input`` on the server, no ``data-draft`` in the
browser): a victim's name must not wait in the database in clear nor in a shared phone's
storage. Every page that shows a case says ``Cache-Control: no-store``.
"""

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import extract, func, select

from lhpn import authz, records
from lhpn.clock import local_today
from lhpn.errors import DomainError, as_id
from lhpn.extensions import db
from lhpn.followups.pages import DOCX_MIMETYPE, follow_up_routes
from lhpn.incidents import record_kind, services, sharing
from lhpn.incidents.models import INCIDENT_STATUSES, INTERVENTION_KINDS, SEXES, Incident
from lhpn.privacy.access_log import PURPOSES
from lhpn.units.models import Unit
from lhpn.units.picker import picker
from lhpn.workflow.engine import ACTION_LABELS, status_label

bp = Blueprint("incidents", __name__, url_prefix="/incidents")
records.register(record_kind.KIND)  # the search, the deadlines, the calendar (lhpn/records.py)
PER_PAGE = 50


@bp.after_request
def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.context_processor
def _labels() -> dict:
    return {"status_label": status_label, "action_label": lambda a: str(ACTION_LABELS[a]),
            "sex_label": lambda s: str(services.SEX_LABELS.get(s, s)),
            "intervention_label": lambda k: str(services.INTERVENTION_LABELS.get(k, k)),
            "purposes": PURPOSES, "SEXES": SEXES, "INTERVENTION_KINDS": INTERVENTION_KINDS,
            "today": local_today(), "sharing": sharing}


def _tenant_id() -> int:
    if current_user.tenant_id is None:
        raise authz.Forbidden("view")
    return current_user.tenant_id


@bp.route("/")
@login_required
def index():
    _tenant_id()
    stmt = services.visible(current_user)
    status = request.args.get("status", "")
    if status in INCIDENT_STATUSES:
        stmt = stmt.where(Incident.status == status)
    overdue = request.args.get("overdue") == "1"
    if overdue:
        stmt = stmt.where(Incident.id.in_(services.overdue_ids()))
    year = as_id(request.args.get("year", ""))
    if year is not None and 1990 <= year <= 2100:
        stmt = stmt.where(extract("year", Incident.occurred_on) == year)
    page = max(as_id(request.args.get("page", "1")) or 1, 1)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = db.session.scalars(stmt.limit(PER_PAGE).offset((page - 1) * PER_PAGE)).unique().all()
    return render_template(
        "incidents/index.html", cases=[services.masked(row) for row in rows],
        status=status, year=year, overdue=overdue, page=page,
        pages=max((total + PER_PAGE - 1) // PER_PAGE, 1), total=total,
        may_record=authz.reaches_any(current_user, "record_incident"))


def _form_victim(form, prefix: str = "victim") -> dict:
    return {name: form.get(f"{prefix}_{name}", "")
            for name in ("full_name", "age_or_year", "sex", "child", "address", "phone")}


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """One form on a phone. An officer recording at one unit sees it named; a protection
    officer, who records anywhere below, picks the unit with the unit search (lhpn/units/picker)."""
    tenant_id = _tenant_id()
    units = services.recordable_units(current_user, limit=2)
    if not units:
        raise authz.Forbidden("record_incident")
    kinds = services.kinds(tenant_id)
    unit_field = picker("unit_id", "record_incident", request.values) if len(units) > 1 \
        else None
    page = {"only_unit": units[0] if unit_field is None else None, "unit_field": unit_field,
            "kinds": kinds}
    if request.method == "POST" and not (unit_field is not None and unit_field.searched):
        try:
            unit = units[0] if unit_field is None else _chosen_unit(request.form.get("unit_id"))
            incident = services.record_incident(current_user, unit, request.form.to_dict(),
                                                [_form_victim(request.form)])
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return render_template("incidents/new.html", values=request.form,
                                   error_field=exc.field, **page), exc.status
        incident_id = incident.id
        db.session.commit()
        flash(_("Đã ghi nhận vụ việc số %(id)d và báo ngay lên cấp trên.", id=incident_id),
              "success")
        return redirect(url_for("incidents.show", incident_id=incident_id))
    # GET, or "Tìm" pressed in the unit search without script: the form again, as typed.
    return render_template("incidents/new.html", values=request.form, error_field=None, **page)


def _chosen_unit(value: object):
    """The unit chosen in the picker, if the user may record a case there."""
    key = as_id(value)
    unit = db.session.get(Unit, key) if key is not None else None
    if unit is None or not services.may_record(current_user, unit):
        raise DomainError(_("Hãy chọn đơn vị ghi nhận vụ việc."), "unit_id")
    return unit


def _render_case(incident: Incident, *, clear: bool, status: int = 200, values=None,
                 error_field=None):
    body = render_template(
        "incidents/show.html", case=services.masked(incident), incident=incident, clear=clear,
        may_read_clear=services.may_read_clear(current_user, incident),
        kinds=services.kinds_for(incident) if clear else [],
        history=services.history(incident) if clear else [],
        actions=[a for a in services.INCIDENT_FLOW.transitions
                 if services.INCIDENT_FLOW.allowed(incident.status, a)],
        values=values or {}, error_field=error_field,
        follow_ups=FOLLOW_UPS.panel(current_user, incident) if clear else None,
        consents=sharing.consents_of(incident) if clear else [],
        referrals=_referrals(incident) if clear else [])
    return body, status


def _handled_again(incident: Incident, status: int, values=None, error_field=None):
    """A refused form: the case in clear again (a read for handling it, logged), with what was
    typed in the form that was sent."""
    services.open_clear(current_user, incident, purpose="handling", channel="page")
    page = _render_case(incident, clear=True, status=status, values=values,
                        error_field=error_field)
    db.session.commit()
    return page


FOLLOW_UPS = follow_up_routes(
    bp, services.OBJECT_TYPE, id_name="incident_id",
    load=lambda incident_id: services.get_visible(current_user, incident_id),
    may_edit=services.may_read_clear,
    done=lambda incident: url_for("incidents.show", incident_id=incident.id,
                                  purpose="handling"),
    subject=lambda incident: _("vụ việc số %(id)d", id=incident.id),
    render=_handled_again)


@bp.route("/<int:incident_id>", methods=["GET", "POST"])
@login_required
def show(incident_id: int):
    """Masked; in clear when a purpose is given by someone who may read the case in clear
    (the read is logged before the page is built, and committed with it).

    The page's form posts the purpose and its note (CSRF-checked, and a note typed by the
    reader never lands in a URL, hence in no access log); a GET may name a purpose code only
    (the page's own redirects after a change), and never when the navigation came from
    another site (``Sec-Fetch-Site: cross-site``), so a link elsewhere cannot write reads in
    a user's name."""
    incident = services.get_visible(current_user, incident_id)
    purpose: str | None
    if request.method == "POST":
        purpose, note = request.form.get("purpose", ""), request.form.get("purpose_note", "")
    else:
        purpose, note = request.args.get("purpose"), ""
        if request.headers.get("Sec-Fetch-Site") == "cross-site":
            purpose = None
    if purpose is None:
        return _render_case(incident, clear=False)
    if not services.may_read_clear(current_user, incident):
        abort(403)
    try:
        services.open_clear(current_user, incident, purpose=purpose, note=note, channel="page")
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _render_case(incident, clear=False, status=exc.status)
    page = _render_case(incident, clear=True)
    db.session.commit()
    return page


def _handled(incident_id: int, change, done: str):
    """A change to a case by someone who reads it in clear: the page is built in clear again,
    which is a read for handling the case, logged with the change."""
    incident = services.get_visible(current_user, incident_id)
    if not services.may_read_clear(current_user, incident):
        abort(403)
    try:
        change(incident)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        incident = services.get_visible(current_user, incident_id)
        services.open_clear(current_user, incident, purpose="handling", channel="page")
        page = _render_case(incident, clear=True, status=exc.status, values=request.form,
                            error_field=exc.field)
        db.session.commit()
        return page
    db.session.commit()
    flash(done, "success")
    return redirect(url_for("incidents.show", incident_id=incident_id, purpose="handling"))


@bp.route("/<int:incident_id>/edit", methods=["POST"])
@login_required
def edit(incident_id: int):
    return _handled(incident_id, lambda incident: services.update_incident(
        current_user, incident, request.form.to_dict(), request.form.get("version")),
        _("Đã lưu vụ việc."))


@bp.route("/<int:incident_id>/victims", methods=["POST"])
@login_required
def add_victim(incident_id: int):
    return _handled(incident_id, lambda incident: services.add_victim(
        current_user, incident, _form_victim(request.form), request.form.get("version")),
        _("Đã thêm nạn nhân."))


@bp.route("/<int:incident_id>/interventions", methods=["POST"])
@login_required
def add_intervention(incident_id: int):
    return _handled(incident_id, lambda incident: services.add_intervention(
        current_user, incident, request.form.to_dict(), request.form.get("version")),
        _("Đã ghi thêm hoạt động hỗ trợ, can thiệp."))


def _referrals(incident: Incident) -> list:
    from sqlalchemy import select

    from lhpn.incidents.models import Referral

    return list(db.session.scalars(select(Referral).where(Referral.incident_id == incident.id)
                                   .order_by(Referral.created_at.desc())))


@bp.route("/<int:incident_id>/consents", methods=["POST"])
@login_required
def add_consent(incident_id: int):
    return _handled(incident_id, lambda incident: sharing.record_consent(
        current_user, incident, request.form.to_dict()), _("Đã ghi nhận sự đồng ý."))


@bp.route("/<int:incident_id>/consents/<int:consent_id>/withdraw", methods=["POST"])
@login_required
def withdraw_consent(incident_id: int, consent_id: int):
    return _handled(incident_id, lambda incident: sharing.withdraw_consent(
        current_user, incident, consent_id, request.form.get("withdrawn_on")),
        _("Đã ghi nhận việc rút lại sự đồng ý: không chia sẻ thêm từ ngày đó."))


@bp.route("/<int:incident_id>/referrals", methods=["POST"])
@login_required
def referral(incident_id: int):
    """The referral letter, downloaded at once; its read and its row commit with it."""
    incident = services.get_visible(current_user, incident_id)
    if not services.may_read_clear(current_user, incident):
        abort(403)
    try:
        made, data = sharing.referral_letter(current_user, incident, request.form.to_dict())
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _handled_again(services.get_visible(current_user, incident_id), exc.status,
                              request.form, exc.field)
    db.session.commit()
    name = f"van-ban-chuyen-gui-vu-viec-{incident_id}-{made.id}.docx"
    response = Response(data, mimetype=DOCX_MIMETYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.route("/<int:incident_id>/status", methods=["POST"])
@login_required
def change_status(incident_id: int):
    return _handled(incident_id, lambda incident: services.change_status(
        current_user, incident, request.form.get("action"), request.form.get("version"),
        request.form.get("outcome")), _("Đã cập nhật trạng thái vụ việc."))

