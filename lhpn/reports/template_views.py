"""Form (biểu mẫu) admin pages: for whoever manages the tenant's root, like the indicator
catalogue (lhpn/indicators/views.py)."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import Length

from lhpn.errors import DomainError
from lhpn.extensions import db
from lhpn.labels import level_label
from lhpn.reports import template_admin as admin
from lhpn.reports.models import ReportTemplate
from lhpn.reports.periods import PERIOD_TYPES
from lhpn.tenants.models import Tenant

bp = Blueprint("templates_admin", __name__, url_prefix="/forms")
NUMERIC = {"inputmode": "numeric", "autocomplete": "off"}


class TemplateForm(FlaskForm):
    # Everything is checked by lhpn/reports/template_admin.py; the form only carries text.
    code = StringField(_l("Mã biểu mẫu"), validators=[Length(max=40)])
    name = StringField(_l("Tên biểu mẫu"), validators=[Length(max=300)])
    period_type = SelectField(_l("Loại kỳ"), validate_choice=False)
    levels = SelectMultipleField(_l("Cấp lập báo cáo"), validate_choice=False)
    # Text, not type=number: the server reads what was typed (lhpn/numbers.py) and says how.
    due_day = StringField(_l("Hạn nộp: ngày"), default="20", render_kw=NUMERIC)
    due_months_after = StringField(_l("của tháng thứ … sau kỳ (0 = tháng cuối kỳ)"), default="1",
                                   render_kw=NUMERIC)
    cutoff_day = StringField(_l("Ngày chốt số liệu tháng (tùy chọn, 1–28)"), render_kw=NUMERIC)
    active = BooleanField(_l("Đang dùng"), default=True)
    items = TextAreaField(_l("Chỉ tiêu, mỗi dòng một chỉ tiêu: MÃ | nhóm | x (bắt buộc)"))
    periods = TextAreaField(_l("Kỳ chuyên đề, mỗi dòng: MÃ | tên kỳ | hạn nộp dd/mm/yyyy"))


def _form(template: ReportTemplate | None = None) -> TemplateForm:
    form = TemplateForm()
    form.period_type.choices = [(p, admin.period_type_label(p)) for p in PERIOD_TYPES]
    tenant = db.session.get_one(Tenant, current_user.tenant_id)
    form.levels.choices = [(lv, level_label(lv)) for lv in tenant.levels]
    if template is not None and not form.is_submitted():
        form.name.data, form.period_type.data = template.name, template.period_type
        form.levels.data = template.level_list
        form.due_day.data = str(template.due_day)
        form.due_months_after.data = str(template.due_months_after)
        form.cutoff_day.data = str(template.cutoff_day or "")
        form.active.data = template.active
        form.items.data = admin.items_text(template)
        form.periods.data = admin.periods_text(template)
    return form


def _input(form: TemplateForm) -> admin.TemplateInput:
    return admin.TemplateInput(
        name=form.name.data, period_type=form.period_type.data, levels=form.levels.data or [],
        due_day=form.due_day.data, due_months_after=form.due_months_after.data,
        cutoff_day=form.cutoff_day.data, active=bool(form.active.data),
        items=form.items.data or "", periods=form.periods.data or "")


@bp.context_processor
def _helpers() -> dict:
    return {"period_type_label": admin.period_type_label, "due_rule": admin.due_rule}


class OnBehalfForm(FlaskForm):
    allow_on_behalf = BooleanField(_l("Cho phép cán bộ xã nhập báo cáo thay chi hội"))


def _refused(form, exc: DomainError) -> None:
    """Nothing is kept; the message goes on top and next to the field it is about."""
    db.session.rollback()
    flash(exc.message, "error")
    field = form._fields.get(exc.field or "")
    if field is not None:
        field.errors = [*field.errors, exc.message]


@bp.route("/")
@login_required
def index():
    admin.require_define(current_user)
    templates = db.session.scalars(admin.all_templates(current_user.tenant_id)).all()
    tenant = db.session.get(Tenant, current_user.tenant_id)
    settings = OnBehalfForm(allow_on_behalf=tenant.allow_on_behalf)
    return render_template("forms/index.html", templates=templates, settings=settings)


@bp.route("/settings", methods=["POST"])
@login_required
def settings():
    admin.require_define(current_user)
    form = OnBehalfForm()
    tenant = db.session.get(Tenant, current_user.tenant_id)
    admin.set_on_behalf(current_user, tenant, bool(form.validate_on_submit()
                                                   and form.allow_on_behalf.data))
    db.session.commit()
    flash(_("Đã lưu cài đặt nhập báo cáo thay chi hội."), "success")
    return redirect(url_for("templates_admin.index"))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    admin.require_define(current_user)
    form = _form()
    if form.validate_on_submit():
        try:
            template = admin.create_template(current_user, current_user.tenant_id,
                                             form.code.data, _input(form))
        except DomainError as exc:
            _refused(form, exc)
            return render_template("forms/form.html", form=form, template=None), exc.status
        db.session.commit()
        flash(_("Đã tạo biểu mẫu %(code)s.", code=template.code), "success")
        return redirect(url_for("templates_admin.index"))
    return render_template("forms/form.html", form=form, template=None)


@bp.route("/<int:template_id>/edit", methods=["GET", "POST"])
@login_required
def edit(template_id: int):
    template = admin.template_by_id(current_user.tenant_id, template_id)
    admin.require_define(current_user)
    form = _form(template)
    if form.validate_on_submit():
        code = template.code
        try:
            admin.update_template(current_user, template, _input(form))
        except DomainError as exc:
            _refused(form, exc)
            template = admin.template_by_id(current_user.tenant_id, template_id)
            return render_template("forms/form.html", form=form, template=template), exc.status
        db.session.commit()
        flash(_("Đã lưu biểu mẫu %(code)s.", code=code), "success")
        return redirect(url_for("templates_admin.index"))
    return render_template("forms/form.html", form=form, template=template)
