"""Pages for importing units: communes from the packages, branches from CSV/XLSX uploads."""

import csv
import io
import time

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from wtforms import SelectField, StringField
from wtforms.validators import Length

from lhpn import authz
from lhpn.access import load_unit
from lhpn.clock import local_today
from lhpn.errors import DomainError
from lhpn.extensions import db, login_manager
from lhpn.units import admin_import, branch_list
from lhpn.units.imports_models import ImportBatch
from lhpn.units.models import Unit
from lhpn.units.services import root_of

bp = Blueprint("imports", __name__, url_prefix="/units/import")

PREVIEW_ROWS = 20
NO_SCRIPT_SECONDS = 20


class CommuneImportForm(FlaskForm):
    province = SelectField(_l("Tỉnh, thành phố trong danh mục"))
    opened_on = StringField(_l("Ngày bắt đầu hoạt động"), validators=[Length(max=10)])


class UploadForm(FlaskForm):
    file = FileField(_l("Tệp danh sách (.csv hoặc .xlsx)"),
                     validators=[FileRequired(_l("Hãy chọn tệp .csv hoặc .xlsx."))])


class RunForm(FlaskForm):
    """Only the CSRF token: confirming an import."""


@bp.before_request
def _importers_only():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not authz.reaches_any(current_user, "manage"):
        raise authz.Forbidden("manage")
    return None


def _render_index(commune_form: CommuneImportForm, upload_form: UploadForm, status: int = 200):
    root = root_of(current_user.tenant_id)
    manages_root = authz.manages_tenant(current_user)
    if manages_root:
        commune_form.province.choices = admin_import.province_choices(root.tenant)
        if not commune_form.province.data:
            commune_form.province.data = admin_import.guess_province(root.tenant)
        if not commune_form.opened_on.data:
            commune_form.opened_on.data = local_today().isoformat()
    batches = db.session.execute(
        branch_list.recent_batches(current_user, everyone=manages_root)
    ).all()
    return render_template(
        "imports/index.html", root=root, manages_root=manages_root,
        legacy=admin_import.is_legacy(root.tenant), commune_form=commune_form,
        upload_form=upload_form, batches=batches, columns=branch_list.COLUMNS,
        max_rows=f"{branch_list.MAX_ROWS:,}".replace(",", "."),
    ), status


@bp.route("/")
def index():
    return _render_index(CommuneImportForm(), UploadForm())


@bp.route("/communes", methods=["POST"])
def communes():
    root = load_unit(root_of(current_user.tenant_id).id, "manage")
    form = CommuneImportForm()
    form.province.choices = admin_import.province_choices(root.tenant)
    if not form.validate_on_submit():
        flash(_("Hãy chọn một tỉnh, thành phố trong danh sách."), "error")
        return _render_index(form, UploadForm(), 422)
    try:
        result = admin_import.import_communes(current_user, root, form.province.data,
                                           form.opened_on.data or None)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _render_index(form, UploadForm(), 422)
    db.session.commit()
    flash(_("Đã tạo %(created)d đơn vị; bỏ qua %(skipped)d đơn vị đã có.",
            created=result.created, skipped=result.skipped), "success")
    for message in result.failed[:20]:
        flash(message, "error")
    return redirect(url_for("imports.index"))


@bp.route("/upload", methods=["POST"])
def upload():
    form = UploadForm()
    if not form.validate_on_submit():
        for message in form.file.errors:
            flash(message, "error")
        return _render_index(CommuneImportForm(), form, 422)
    storage = form.file.data
    try:
        batch = branch_list.create_batch(current_user, storage.filename, storage.read())
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _render_index(CommuneImportForm(), form, 422)
    db.session.commit()
    return redirect(url_for("imports.batch", batch_id=batch.id))


@bp.route("/template.csv")
def template_csv():
    """A sample list to fill in: UTF-8 with BOM, so Excel shows the diacritics."""
    example = db.session.scalar(
        select(Unit.code)
        .where(authz.reachable(current_user, "manage"), Unit.level == "commune", ~Unit.closed)
        .order_by(Unit.path)
        .limit(1)
    ) or "X00001"
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["ma_don_vi_cap_tren", "ten", "ma", "cap", "ngay_bat_dau"])
    writer.writerow([example, "Chi hội thôn Đông", "", "branch", ""])
    writer.writerow([example, "Chi hội thôn Đoài", "", "branch", ""])
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=chi-hoi-mau.csv"})


def _load_batch(batch_id: int) -> ImportBatch:
    batch = branch_list.get_batch(current_user.tenant_id, batch_id)
    branch_list.require_batch_access(current_user, batch)
    return batch


@bp.route("/batches/<int:batch_id>", endpoint="batch")
def show_batch(batch_id: int):
    batch = _load_batch(batch_id)
    valid = batch.valid_rows
    sample = valid[:PREVIEW_ROWS]
    codes = {row["parent_code"] for row in sample}
    parent_names = dict(db.session.execute(
        select(Unit.code, Unit.name).where(Unit.tenant_id == batch.tenant_id,
                                           Unit.code.in_(codes))
    ).all()) if codes else {}
    return render_template(
        "imports/batch.html", batch=batch, valid_count=len(valid), sample=sample,
        parent_names=parent_names, error_rows=batch.error_rows,
        failed_rows=branch_list.failed_rows(batch), progress=branch_list.progress(batch),
        form=RunForm(),
    )


def _run_one_chunk(batch_id: int) -> bool:
    """One chunk in its own transaction."""
    batch = _load_batch(batch_id)
    if branch_list.run_chunk(current_user, batch):
        db.session.commit()
        return True
    db.session.rollback()
    return False


@bp.route("/batches/<int:batch_id>/run", methods=["POST"])
def run(batch_id: int):
    wants_json = request.accept_mimetypes.best_match(
        ["text/html", "application/json"]) == "application/json"
    if wants_json:
        _run_one_chunk(batch_id)
        return jsonify(branch_list.progress(_load_batch(batch_id)))
    # Without the page script: every chunk in this request, each committed on its own; a very
    # large list stops after a time budget (before a worker timeout) and offers to continue.
    deadline = time.monotonic() + NO_SCRIPT_SECONDS
    worked = False
    while time.monotonic() < deadline and _run_one_chunk(batch_id):
        worked = True
    state = branch_list.progress(_load_batch(batch_id))
    if state["done"]:
        flash(_("Đã nhập xong: tạo %(created)d đơn vị.", created=state["created"]), "success")
    elif worked:
        flash(_("Đã xử lý %(p)d/%(t)d dòng. Bấm “Tiếp tục nhập” để nhập phần còn lại.",
                p=state["processed"], t=state["total"]), "info")
    else:
        flash(_("Lần nhập đang được xử lý ở một phiên khác; hãy xem lại sau ít phút."), "info")
    return redirect(url_for("imports.batch", batch_id=batch_id))
