"""The tenant's indicator catalogue: everyone in the tenant reads it; who manages the tenant's
root unit edits it."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from lhpn import authz
from lhpn.errors import DomainError
from lhpn.extensions import db
from lhpn.indicators import services
from lhpn.indicators.bindings import BINDINGS
from lhpn.indicators.forms import IndicatorForm
from lhpn.indicators.models import AGGREGATIONS, KINDS, Indicator
from lhpn.labels import AGGREGATION_LABELS

bp = Blueprint("indicators", __name__, url_prefix="/indicators")

KIND_LABELS = {
    "count": _l("Số đếm"),
    "decimal": _l("Số thập phân"),
    "boolean": _l("Có/Không"),
    "rate": _l("Tỷ lệ (tử số/mẫu số)"),
    "text": _l("Văn bản"),
}


def _tenant_id() -> int:
    if current_user.tenant_id is None:
        raise authz.Forbidden("view")
    return current_user.tenant_id


def _may_edit() -> bool:
    return authz.manages_tenant(current_user)


def _require_editor() -> None:
    authz.require_manage_tenant(current_user)


def _choices(form: IndicatorForm) -> IndicatorForm:
    form.kind.choices = [(k, str(KIND_LABELS[k])) for k in KINDS]
    form.aggregation.choices = [(a, str(AGGREGATION_LABELS[a])) for a in AGGREGATIONS]
    form.binding.choices = [("", _("Không — cán bộ tự nhập")), *(
        (code, str(b.label)) for code, b in BINDINGS.items())]
    return form


@bp.context_processor
def _labels() -> dict:
    return {"kind_label": lambda k: str(KIND_LABELS.get(k, k)),
            "binding_label": lambda b: str(BINDINGS[b].label) if b in BINDINGS else (b or ""),
            "aggregation_label": lambda a: str(AGGREGATION_LABELS.get(a, a))}


@bp.route("/")
@login_required
def index():
    indicators = db.session.scalars(services.catalogue(_tenant_id())).all()
    return render_template("indicators/index.html", indicators=indicators, may_edit=_may_edit())


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    _require_editor()
    form = _choices(IndicatorForm())
    if form.validate_on_submit():
        try:
            indicator = services.create_indicator(
                current_user, current_user.tenant_id, code=form.code.data or "",
                name=form.name.data or "", kind=form.kind.data, aggregation=form.aggregation.data,
                unit_label=form.unit_label.data or "", description=form.description.data or "",
                binding=form.binding.data or None)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return render_template("indicators/form.html", form=form, indicator=None), exc.status
        db.session.commit()
        flash(_("Đã thêm chỉ tiêu %(code)s.", code=indicator.code), "success")
        return redirect(url_for("indicators.index"))
    return render_template("indicators/form.html", form=form, indicator=None)


@bp.route("/<int:indicator_id>/edit", methods=["GET", "POST"])
@login_required
def edit(indicator_id: int):
    indicator = services.get_indicator(current_user.tenant_id, indicator_id)
    _require_editor()
    form = _choices(IndicatorForm(obj=indicator))
    if form.validate_on_submit():
        try:
            services.update_indicator(
                current_user, indicator, name=form.name.data or "", kind=form.kind.data,
                aggregation=form.aggregation.data, unit_label=form.unit_label.data or "",
                description=form.description.data or "", active=bool(form.active.data),
                binding=form.binding.data or None)
            db.session.flush()
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return _edit_page(form, indicator_id), exc.status
        db.session.commit()
        flash(_("Đã lưu chỉ tiêu %(code)s.", code=indicator.code), "success")
        return redirect(url_for("indicators.index"))
    return _edit_page(form, indicator_id)


def _edit_page(form: IndicatorForm, indicator_id: int):
    indicator = db.session.get(Indicator, indicator_id)
    return render_template("indicators/form.html", form=form, indicator=indicator)
