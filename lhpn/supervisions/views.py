"""The supervision pages: the list (by status, overdue recommendations, year, unit), proposing
one on a phone, its page (the dossier, the team, the timeline, the steps the reader may take,
the recommendations and their follow-up)."""


from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from lhpn import authz, records
from lhpn.errors import DomainError, as_id
from lhpn.extensions import db
from lhpn.files.pages import file_routes
from lhpn.followups.models import FollowUp
from lhpn.followups.pages import follow_up_routes
from lhpn.supervisions import record_kind, services
from lhpn.supervisions.models import (
    DOCUMENT_KINDS,
    METHODS,
    SUBJECT_KINDS,
    SUPERVISION_STATUSES,
    Supervision,
)
from lhpn.units.models import Unit
from lhpn.units.picker import picker
from lhpn.workflow.engine import ACTION_LABELS, status_label

bp = Blueprint("supervisions", __name__, url_prefix="/supervisions")
# The files attached to each dossier document (lhpn/files, object type
# "supervision_document"): /supervisions/documents/<document_id>/files…
documents_bp = Blueprint("supervision_documents", __name__,
                         url_prefix="/supervisions/documents")
records.register(record_kind.KIND)  # the search, the deadlines, the calendar (lhpn/records.py)
PER_PAGE = 50
STALE = _l("Cuộc giám sát vừa được người khác thay đổi. Hãy tải lại trang rồi làm lại.")


@bp.context_processor
def _labels() -> dict:
    return {"status_label": status_label, "action_label": lambda a: str(ACTION_LABELS[a]),
            "subject_kind_label": lambda k: str(services.SUBJECT_KIND_LABELS.get(k, k)),
            "method_label": lambda m: str(services.METHOD_LABELS.get(m, m)),
            "document_label": lambda k: str(services.DOCUMENT_LABELS.get(k, k)),
            "SUBJECT_KINDS": SUBJECT_KINDS, "METHODS": METHODS,
            "DOCUMENT_KINDS": DOCUMENT_KINDS, "STATUSES": SUPERVISION_STATUSES}


def _tenant_id() -> int:
    if current_user.tenant_id is None:
        raise authz.Forbidden("view")
    return current_user.tenant_id


@bp.route("/")
@login_required
def index():
    _tenant_id()
    status = request.args.get("status", "")
    year = as_id(request.args.get("year", ""))
    year = year if year is not None and 1990 <= year <= 2100 else None
    unit_id = as_id(request.args.get("unit", ""))
    overdue = request.args.get("overdue") == "1"
    stmt = services.filtered(services.visible(current_user),
                             status=status if status in SUPERVISION_STATUSES else None,
                             year=year, unit_id=unit_id, overdue=True if overdue else None)
    page = max(as_id(request.args.get("page", "1")) or 1, 1)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = db.session.scalars(stmt.limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    late = set(db.session.scalars(services.overdue_ids().where(
        FollowUp.object_id.in_([row.id for row in rows])))) if rows else set()
    return render_template(
        "supervisions/index.html", rows=rows, late=late, status=status, year=year,
        unit_id=unit_id or "", overdue=overdue, page=page, total=total,
        pages=max((total + PER_PAGE - 1) // PER_PAGE, 1),
        may_record=authz.reaches_any(current_user, "plan"))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    _tenant_id()
    units = services.writable_units(current_user, limit=2)
    if not units:
        raise authz.Forbidden("plan")
    unit_field = picker("unit_id", "plan", request.values) if len(units) > 1 else None
    page = {"only_unit": units[0] if unit_field is None else None, "unit_field": unit_field}
    if request.method == "POST" and not (unit_field is not None and unit_field.searched):
        try:
            unit = units[0] if unit_field is None else _chosen_unit(request.form.get("unit_id"))
            made = services.record_supervision(current_user, unit, request.form.to_dict())
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return render_template("supervisions/new.html", values=request.form,
                                   error_field=exc.field, **page), exc.status
        made_id = made.id
        db.session.commit()
        flash(_("Đã ghi đề xuất giám sát; kế hoạch chờ Chủ tịch duyệt."), "success")
        return redirect(url_for("supervisions.view", supervision_id=made_id))
    return render_template("supervisions/new.html", values=request.form, error_field=None,
                           **page)


def _chosen_unit(value: object) -> Unit:
    key = as_id(value)
    unit = db.session.get(Unit, key) if key is not None else None
    if unit is None or not services.may_record_at(current_user, unit):
        raise DomainError(_("Hãy chọn đơn vị tổ chức giám sát."), "unit_id")
    return unit


def _load(supervision_id: int) -> Supervision:
    return services.get_visible(current_user, supervision_id)


def _render(supervision: Supervision, status: int = 200, values=None, error_field=None):
    return render_template(
        "supervisions/show.html", s=supervision, history=services.history(supervision),
        steps=services.steps_for(current_user, supervision),
        may_write=services.may_write(current_user, supervision)
        and supervision.status != "closed",
        may_recommend=services.may_recommend(current_user, supervision),
        panel=FOLLOW_UPS.panel(current_user, supervision),
        document_files={d.id: DOCUMENT_FILES.panel(current_user, d)
                        for d in supervision.documents},
        values=values or {}, error_field=error_field), status


FOLLOW_UPS = follow_up_routes(
    bp, services.OBJECT_TYPE, id_name="supervision_id", load=_load,
    may_edit=services.may_follow,
    done=lambda s: url_for("supervisions.view", supervision_id=s.id),
    subject=lambda s: _("kiến nghị sau giám sát “%(t)s”", t=s.title),
    render=lambda s, status: _render(s, status),
    # Recommendations are made with their text (the form of the page), not the generic start;
    # settled (implemented, not accepted) or reopened at /<id>/recommendations/<fu>/settle|reopen.
    start=False, outcomes=True, outcomes_under="recommendations")


DOCUMENT_FILES = file_routes(
    documents_bp, "supervision_document", id_name="document_id",
    load=lambda document_id: services.get_document(current_user, document_id),
    may_edit=services.may_attach,
    done=lambda d: url_for("supervisions.view", supervision_id=d.supervision_id))


@bp.route("/<int:supervision_id>")
@login_required
def view(supervision_id: int):
    return _render(_load(supervision_id))


def _changed(supervision_id: int, change, done: str):
    supervision = _load(supervision_id)
    try:
        change(supervision)
        db.session.commit()
    except (DomainError, StaleDataError) as exc:
        db.session.rollback()
        message, code, field = (exc.message, exc.status, exc.field) \
            if isinstance(exc, DomainError) else (str(STALE), 409, "version")
        flash(message, "error")
        return _render(_load(supervision_id), code, request.form, field)
    flash(done, "success")
    return redirect(url_for("supervisions.view", supervision_id=supervision_id), 303)


@bp.route("/<int:supervision_id>/edit", methods=["POST"])
@login_required
def edit(supervision_id: int):
    return _changed(supervision_id, lambda s: services.update_supervision(
        current_user, s, request.form.to_dict(), request.form.get("version")),
        _("Đã lưu cuộc giám sát."))


@bp.route("/<int:supervision_id>/step", methods=["POST"])
@login_required
def step(supervision_id: int):
    return _changed(supervision_id, lambda s: services.take_step(
        current_user, s, request.form.get("action"), request.form.get("version"),
        request.form.get("on"), request.form.get("comment", "")),
        _("Đã cập nhật cuộc giám sát."))


@bp.route("/<int:supervision_id>/documents", methods=["POST"])
@login_required
def add_document(supervision_id: int):
    return _changed(supervision_id, lambda s: services.add_document(
        current_user, s, request.form.to_dict(), request.form.get("version")),
        _("Đã thêm văn bản vào hồ sơ."))


@bp.route("/<int:supervision_id>/recommendations", methods=["POST"])
@login_required
def recommend(supervision_id: int):
    return _changed(supervision_id, lambda s: services.recommend(
        current_user, s, text=request.form.get("text"), agency=request.form.get("agency"),
        due_on=request.form.get("due_on"), letter_number=request.form.get("letter_number", "")),
        _("Đã ghi kiến nghị."))
