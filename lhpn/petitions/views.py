"""The petition pages: the register list of the units a user views (masked for everyone),
receiving a petition on a phone, the petition's page (in clear for the unit that handles it;
for the chain above after a purpose is chosen, which is logged; masked for the rest),
handling it, the follow-up of a forwarding, the register as .xlsx, and the tenant's legal
deadlines (admins).

Like the incident forms, the intake form is left out of the two safety nets that keep typed
input (no ``@keeps_input``, no ``data-draft``): a petitioner's name must not wait in clear in
the database nor in a shared phone's storage. Every page says ``Cache-Control: no-store``.
"""

from datetime import date

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
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import func, select

from lhpn import authz, records
from lhpn.clock import local_today
from lhpn.errors import DomainError, as_id
from lhpn.extensions import db
from lhpn.followups.pages import follow_up_routes
from lhpn.petitions import deadlines, register, services
from lhpn.petitions.models import CATEGORIES, CHANNELS, PENDING, PETITION_STATUSES, Petition
from lhpn.privacy.access_log import PURPOSES
from lhpn.text import search_key
from lhpn.throttle import export_limit
from lhpn.units.models import Unit
from lhpn.units.picker import picker
from lhpn.units.services import root_of
from lhpn.workflow.engine import ACTION_LABELS, status_label

bp = Blueprint("petitions", __name__, url_prefix="/petitions")
PER_PAGE = 50
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HANDLING_ACTIONS = ("handle", "resolve", "guide", "forward", "close", "reopen")


@bp.after_request
def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.context_processor
def _labels() -> dict:
    return {"status_label": status_label, "action_label": lambda a: str(ACTION_LABELS[a]),
            "category_label": services.category_label,
            "channel_label": services.channel_label, "purposes": PURPOSES,
            "CATEGORIES": CATEGORIES, "CHANNELS": CHANNELS, "STATUSES": PETITION_STATUSES,
            "today": local_today()}


def _tenant_id() -> int:
    if current_user.tenant_id is None:
        raise authz.Forbidden("view")
    return current_user.tenant_id


def _year(value: object) -> int | None:
    year = as_id(value)
    return year if year is not None and 1990 <= year <= 2100 else None


@bp.route("/")
@login_required
def index():
    _tenant_id()
    stmt = services.visible(current_user)
    unit_id = as_id(request.args.get("unit_id", ""))
    unit = db.session.get(Unit, unit_id) if unit_id is not None else None
    if unit is not None and (unit.tenant_id != current_user.tenant_id
                             or not authz.can(current_user, "view", unit)):
        unit = None
    if unit is not None:
        stmt = stmt.where(Petition.unit_id == unit.id)
    status = request.args.get("status", "")
    if status in PETITION_STATUSES:
        stmt = stmt.where(Petition.status == status)
    category = request.args.get("category", "")
    if category in CATEGORIES:
        stmt = stmt.where(Petition.category == category)
    overdue = request.args.get("overdue") == "1"
    if overdue:
        stmt = stmt.where(services.overdue())
    year = _year(request.args.get("year", ""))
    if year is not None:
        stmt = stmt.where(Petition.year == year)
    page = max(as_id(request.args.get("page", "1")) or 1, 1)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = db.session.scalars(stmt.limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    return render_template(
        "petitions/index.html", petitions=[services.masked(row) for row in rows],
        unit=unit, status=status, category=category, year=year, overdue=overdue, page=page,
        pages=max((total + PER_PAGE - 1) // PER_PAGE, 1), total=total,
        may_receive=authz.reaches_any(current_user, "handle_petition"),
        may_export_clear=unit is not None and services.may_handle_at(current_user, unit),
        may_manage=_may_manage_deadlines(), own_unit=_own_unit())


def _own_unit() -> Unit | None:
    """The user's work unit, for the link to its register (even while it holds no petition)."""
    unit = db.session.get(Unit, current_user.unit_id) if current_user.unit_id else None
    return unit if unit is not None and authz.can(current_user, "view", unit) else None


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """One form on a phone; the unit named, or picked when the user handles several."""
    _tenant_id()
    units = services.handling_units(current_user, limit=2)
    if not units:
        raise authz.Forbidden("handle_petition")
    unit_field = picker("unit_id", "handle_petition", request.values) if len(units) > 1 \
        else None
    page = {"only_unit": units[0] if unit_field is None else None, "unit_field": unit_field,
            "days": {c: row.days for c, row in deadlines.deadlines(_tenant_id()).items()}}
    if request.method == "POST" and not (unit_field is not None and unit_field.searched):
        try:
            unit = units[0] if unit_field is None else _chosen_unit(request.form.get("unit_id"))
            petition = services.receive(current_user, unit, request.form.to_dict())
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return render_template("petitions/new.html", values=request.form,
                                   error_field=exc.field, **page), exc.status
        petition_id, name = petition.id, services.title(petition)
        due = petition.due_on
        db.session.commit()
        flash(_("Đã vào sổ %(name)s, hạn giải quyết %(due)s.", name=name,
                due=f"{due:%d/%m/%Y}"), "success")
        return redirect(url_for("petitions.show", petition_id=petition_id))
    return render_template("petitions/new.html", values=request.form, error_field=None, **page)


def _chosen_unit(value: object) -> Unit:
    key = as_id(value)
    unit = db.session.get(Unit, key) if key is not None else None
    if unit is None or not services.may_handle_at(current_user, unit):
        raise DomainError(_("Hãy chọn đơn vị tiếp nhận đơn."), "unit_id")
    return unit


def _render(petition: Petition, *, clear: bool, status: int = 200, values=None,
            error_field=None):
    body = render_template(
        "petitions/show.html", case=services.masked(petition), petition=petition, clear=clear,
        may_handle=services.may_handle(current_user, petition),
        logged=services.logged_read(current_user, petition),
        history=services.history(petition) if clear else [],
        actions=[a for a in HANDLING_ACTIONS
                 if services.PETITION_FLOW.allowed(petition.status, a)],
        values=values or {}, error_field=error_field,
        follow_ups=FOLLOW_UPS.panel(current_user, petition) if clear else None)
    return body, status


def _handled_again(petition: Petition, status: int, values=None, error_field=None):
    services.open_clear(current_user, petition, purpose="handling", channel="page")
    page = _render(petition, clear=True, status=status, values=values, error_field=error_field)
    db.session.commit()
    return page


FOLLOW_UPS = follow_up_routes(
    bp, services.OBJECT_TYPE, id_name="petition_id",
    load=lambda petition_id: services.get_visible(current_user, petition_id),
    may_edit=services.may_handle,
    done=lambda petition: url_for("petitions.show", petition_id=petition.id,
                                  purpose="handling"),
    subject=services.title, render=_handled_again)


@bp.route("/<int:petition_id>", methods=["GET", "POST"])
@login_required
def show(petition_id: int):
    """In clear for the unit that handles the petition; for the chain above, in clear once a
    purpose is given (POSTed, or a purpose code on the page's own redirects, never from
    another site), the read logged before the page is built; masked for everyone else."""
    petition = services.get_visible(current_user, petition_id)
    purpose: str | None
    if request.method == "POST":
        purpose, note = request.form.get("purpose", ""), request.form.get("purpose_note", "")
    else:
        purpose, note = request.args.get("purpose"), ""
        if request.headers.get("Sec-Fetch-Site") == "cross-site":
            purpose = None
    may_handle = services.may_handle(current_user, petition)
    if purpose is None and not (may_handle and not services.logged_read(current_user,
                                                                         petition)):
        return _render(petition, clear=False)
    if not may_handle:
        abort(403)
    try:
        services.open_clear(current_user, petition, purpose=purpose, note=note, channel="page")
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _render(petition, clear=False, status=exc.status)
    page = _render(petition, clear=True)
    db.session.commit()
    return page


def _handled(petition_id: int, change, done: str):
    petition = services.get_visible(current_user, petition_id)
    if not services.may_handle(current_user, petition):
        abort(403)
    try:
        change(petition)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _handled_again(services.get_visible(current_user, petition_id), exc.status,
                              request.form, exc.field)
    db.session.commit()
    flash(done, "success")
    return redirect(url_for("petitions.show", petition_id=petition_id, purpose="handling"))


@bp.route("/<int:petition_id>/edit", methods=["POST"])
@login_required
def edit(petition_id: int):
    return _handled(petition_id, lambda p: services.update(
        current_user, p, request.form.to_dict(), request.form.get("version")),
        _("Đã lưu đơn thư."))


@bp.route("/<int:petition_id>/mass", methods=["POST"])
@login_required
def mass(petition_id: int):
    return _handled(petition_id, lambda p: services.flag_mass(
        current_user, p, request.form.get("version")),
        _("Đã đánh dấu khiếu kiện đông người và báo ngay lên cấp trên."))


@bp.route("/<int:petition_id>/tell", methods=["POST"])
@login_required
def tell(petition_id: int):
    return _handled(petition_id, lambda p: services.tell(
        current_user, p, request.form.get("version"), request.form.get("told_on")),
        _("Đã ghi ngày thông báo cho người gửi đơn."))


def apply_action(user, petition: Petition, action: object, version: object, data) -> None:
    """One handling step by its name (the page's forms and the API share it)."""
    if action == "handle":
        services.start_handling(user, petition, version)
    elif action in ("resolve", "guide"):
        services.conclude(user, petition, str(action), version, outcome=data.get("outcome"),
                          on=data.get("on"))
    elif action == "forward":
        services.forward(user, petition, version, agency=data.get("agency"),
                         letter_number=data.get("letter_number", ""),
                         written_on=data.get("written_on"), due_on=data.get("due_on"))
    elif action == "close":
        services.close(user, petition, version)
    elif action == "reopen":
        services.reopen(user, petition, version)
    else:
        raise DomainError(_("Thao tác không hợp lệ."), "action")


@bp.route("/<int:petition_id>/status", methods=["POST"])
@login_required
def change_status(petition_id: int):
    return _handled(petition_id, lambda p: apply_action(
        current_user, p, request.form.get("action"), request.form.get("version"),
        request.form), _("Đã cập nhật việc xử lý đơn."))


# --- The register ------------------------------------------------------------------------

def _period(values) -> tuple[date, date]:
    """``start``/``end`` (yyyy-mm-dd), or the whole ``year`` (default: this year)."""
    year = _year(values.get("year", "")) or local_today().year
    start, end = date(year, 1, 1), date(year, 12, 31)
    try:
        if values.get("start"):
            start = date.fromisoformat(values["start"])
        if values.get("end"):
            end = date.fromisoformat(values["end"])
    except ValueError:
        raise DomainError(_("Ngày không hợp lệ (định dạng yyyy-mm-dd)."), "start") from None
    if end < start:
        raise DomainError(_("Ngày cuối kỳ không được trước ngày đầu kỳ."), "end")
    return start, end


@bp.route("/register.xlsx", methods=["POST"])
@login_required
@export_limit
def register_export():
    """The register of one unit and period. Posted (CSRF-checked): a register in clear is a
    read of each petition in it, logged with its purpose before the file is sent."""
    _tenant_id()
    key = as_id(request.form.get("unit_id"))
    unit = db.session.get(Unit, key) if key is not None else None
    if unit is None or unit.tenant_id != current_user.tenant_id \
            or not authz.can(current_user, "view", unit):
        abort(404)
    try:
        start, end = _period(request.form)
        clear = request.form.get("clear") == "1"
        if clear and not services.may_handle_at(current_user, unit):
            abort(403)
        petitions = db.session.scalars(register.of_unit(unit, start, end)).all()
        if clear:
            for petition in petitions:
                services.record_export_read(current_user, petition,
                                            purpose=request.form.get("purpose") or "handling",
                                            note=request.form.get("purpose_note", ""))
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("petitions.index", unit_id=unit.id))
    data = register.register_xlsx(unit, start, end, petitions, clear=clear)
    db.session.commit()
    name = f"so-don-thu-{unit.id}-{start:%Y%m%d}-{end:%Y%m%d}.xlsx"
    response = Response(data, mimetype=XLSX_MIMETYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- The tenant's deadlines ----------------------------------------------------------------

def _may_manage_deadlines() -> bool:
    tenant_id = current_user.tenant_id
    return tenant_id is not None and authz.can(current_user, "manage", root_of(tenant_id))


@bp.route("/deadlines", methods=["GET", "POST"])
@login_required
def deadlines_page():
    tenant_id = _tenant_id()
    if not _may_manage_deadlines():
        raise authz.Forbidden("manage")
    if request.method == "POST":
        try:
            deadlines.set_days(current_user, tenant_id,
                               {c: request.form.get(c, "") for c in CATEGORIES})
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return render_template("petitions/deadlines.html", values=request.form,
                                   rows=deadlines.deadlines(tenant_id),
                                   defaults=deadlines.DEFAULT_DAYS), exc.status
        db.session.commit()
        flash(_("Đã lưu thời hạn giải quyết đơn. Đơn nhận từ nay tính theo thời hạn mới."),
              "success")
        return redirect(url_for("petitions.deadlines_page"))
    return render_template("petitions/deadlines.html", values={},
                           rows=deadlines.deadlines(tenant_id), defaults=deadlines.DEFAULT_DAYS)


# --- The record kind (shared search, dashboard deadlines, calendar) ----------------------

def _hit(petition: Petition) -> records.Hit:
    return records.Hit(services.OBJECT_TYPE, petition.id, services.title(petition),
                       petition.unit.name, petition.received_on, status_label(petition.status),
                       url_for("petitions.show", petition_id=petition.id))


def _search(user, words: str, unit_ids) -> list[records.Hit]:
    """Over what is in clear only: the register number, category, channel, unit."""
    found = []
    stmt = services.visible(user).where(Petition.unit_id.in_(unit_ids)).limit(500)
    for petition in db.session.scalars(stmt):
        text = search_key(" ".join((services.title(petition), f"{petition.number}",
                                    services.channel_label(petition.channel),
                                    petition.unit.name)))
        if all(word in text for word in words.split()):
            found.append(_hit(petition))
    return found[:50]


def _deadlines(user, start: date | None, end: date) -> list[records.Deadline]:
    """The petitions still held by their unit, due from ``start`` (any day when None) to
    ``end``. A forwarded petition's deadline is its follow-up's, which the shared pages list
    with every open follow-up."""
    today = local_today()
    stmt = services.visible(user).where(Petition.status.in_(PENDING), Petition.due_on <= end)
    if start is not None:
        stmt = stmt.where(Petition.due_on >= start)
    return [records.Deadline(services.OBJECT_TYPE, p.id, services.title(p), p.unit.name,
                             p.due_on, today > p.due_on,
                             url_for("petitions.show", petition_id=p.id))
            for p in db.session.scalars(stmt.limit(200))]


records.register(records.RecordKind(
    services.OBJECT_TYPE, _l("Đơn thư"),
    url=lambda petition_id: url_for("petitions.show", petition_id=petition_id),
    search=_search, deadlines=_deadlines))
