"""The pages of personal data protection for whoever manages the tenant (``authz.manages_tenant``):
the retention of closed incidents (a tenant setting, like entry on behalf on the forms page) and
the suspected breaches with their 72-hour notification (lhpn/privacy/breaches.py)."""

from urllib.parse import quote

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import StringField

from lhpn import authz, clock
from lhpn.errors import DomainError
from lhpn.extensions import db
from lhpn.plans.export_views import ascii_name
from lhpn.privacy import breaches
from lhpn.privacy.models import Breach
from lhpn.privacy.retention import MAX_MONTHS, MIN_MONTHS, set_retention
from lhpn.tenants.models import Tenant

bp = Blueprint("breaches", __name__, url_prefix="/privacy")
DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class RetentionForm(FlaskForm):
    incident_retention_months = StringField(
        _l("Thời hạn lưu giữ thông tin định danh của vụ việc đã đóng (tháng)"),
        render_kw={"inputmode": "numeric", "autocomplete": "off"})


@bp.after_request
def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.app_context_processor
def _navigation() -> dict:
    return {"manages_tenant": lambda: authz.manages_tenant(current_user)}


@bp.context_processor
def _helpers() -> dict:
    return {"breach_status_label": lambda s: str(breaches.STATUS_LABELS.get(s, s)),
            "local_moment": breaches.local_moment, "deadline": breaches.deadline,
            "hours_left": breaches.hours_left, "MIN_MONTHS": MIN_MONTHS,
            "MAX_MONTHS": MAX_MONTHS}


def _index(settings: RetentionForm | None = None, status: int = 200):
    tenant = db.session.get_one(Tenant, current_user.tenant_id)
    if settings is None:
        settings = RetentionForm(incident_retention_months=str(tenant.incident_retention_months))
    found = db.session.scalars(breaches.all_breaches()).all()
    return render_template("privacy/breaches.html", breaches=found, settings=settings,
                           tenant=tenant), status


@bp.get("/breaches")
@login_required
def index():
    authz.require_manage_tenant(current_user)
    return _index()


@bp.post("/retention")
@login_required
def retention():
    authz.require_manage_tenant(current_user)
    form = RetentionForm()
    tenant = db.session.get_one(Tenant, current_user.tenant_id)
    try:
        if not form.validate_on_submit():
            raise DomainError(_("Phiên làm việc đã hết hạn. Hãy gửi lại."), "csrf_token")
        set_retention(current_user, tenant, form.incident_retention_months.data)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        form.incident_retention_months.errors = [exc.message]
        return _index(form, exc.status)
    db.session.commit()
    flash(_("Đã lưu thời hạn lưu giữ thông tin vụ việc."), "success")
    return redirect(url_for("breaches.index"))


@bp.route("/breaches/new", methods=["GET", "POST"])
@login_required
def new():
    authz.require_manage_tenant(current_user)
    if request.method == "POST":
        try:
            breach = breaches.record_breach(current_user, request.form.to_dict())
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return render_template("privacy/breach_new.html", values=request.form,
                                   error_field=exc.field), exc.status
        breach_id = breach.id
        db.session.commit()
        flash(_("Đã ghi nhận sự cố số %(id)d. Hạn thông báo là 72 giờ kể từ khi phát hiện.",
                id=breach_id), "success")
        return redirect(url_for("breaches.show", breach_id=breach_id))
    return render_template("privacy/breach_new.html", values={}, error_field=None)


def _show(breach: Breach, *, status: int = 200, error: str | None = None):
    return render_template("privacy/breach.html", breach=breach, now=clock.utcnow(), error=error,
                           values=request.args), status


@bp.get("/breaches/<int:breach_id>")
@login_required
def show(breach_id: int):
    return _show(breaches.get_breach(current_user, breach_id))


@bp.post("/breaches/<int:breach_id>/status")
@login_required
def change_status(breach_id: int):
    breach = breaches.get_breach(current_user, breach_id)
    try:
        breaches.set_status(current_user, breach, request.form.get("status"))
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _show(breaches.get_breach(current_user, breach_id), status=exc.status)
    db.session.commit()
    flash(_("Đã cập nhật trạng thái sự cố."), "success")
    return redirect(url_for("breaches.show", breach_id=breach_id))


@bp.get("/breaches/<int:breach_id>/notification.docx")
@login_required
def notification(breach_id: int):
    breach = breaches.get_breach(current_user, breach_id)
    try:
        made = breaches.notification(current_user, breach, request.args.get("from", "").strip(),
                                     request.args.get("to", "").strip())
    except DomainError as exc:
        db.session.rollback()
        return _show(breach, status=422, error=exc.message)
    db.session.commit()
    name = f"Thông báo sự cố dữ liệu cá nhân số {breach.id}.docx"
    response = Response(made.document, mimetype=DOCX_MIMETYPE)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{ascii_name(name)}"; filename*=UTF-8\'\'{quote(name, safe="")}')
    return response
