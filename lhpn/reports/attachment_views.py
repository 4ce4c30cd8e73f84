"""Report attachments: upload, download (the only way a stored file leaves the server) and
delete. The report page (lhpn/reports/views.py, at /reports/<id>) shows them through
templates/reports/_attachments.html."""

from flask import Blueprint, flash, redirect, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lhpn import authz
from lhpn.extensions import db
from lhpn.files import storage
from lhpn.reports import attachments
from lhpn.reports.services import get_report

bp = Blueprint("report_files", __name__, url_prefix="/reports")


def _report_page(report_id: int):
    # Same address the notifications link to.
    return redirect(f"/reports/{report_id}#attachments")


@bp.route("/<int:report_id>/attachments", methods=["POST"])
@login_required
def upload(report_id: int):
    report = get_report(current_user.tenant_id, report_id)
    upload_file = request.files.get("file")
    # A refused file (type, size, locked report) answers with the error page and its status;
    # the error handler rolls back, which also removes a file already written.
    attachment = attachments.add_attachment(
        current_user, report, upload_file.stream if upload_file else None,
        upload_file.filename if upload_file else "")
    db.session.commit()
    flash(_("Đã đính kèm tệp %(name)s.", name=attachment.filename), "success")
    return _report_page(report_id)


@bp.route("/<int:report_id>/attachments/<int:attachment_id>")
@login_required
def download(report_id: int, attachment_id: int):
    report = get_report(current_user.tenant_id, report_id)
    authz.require(current_user, "view", report.unit)
    attachment = attachments.get_attachment(report, attachment_id)
    path = attachments.open_attachment(current_user, report, attachment)
    db.session.commit()  # the audit entry of a sensitive read
    return storage.download(path, attachment.filename, attachment.content_type)


@bp.route("/<int:report_id>/attachments/<int:attachment_id>/delete", methods=["POST"])
@login_required
def delete(report_id: int, attachment_id: int):
    report = get_report(current_user.tenant_id, report_id)
    attachment = attachments.get_attachment(report, attachment_id)
    name = attachment.filename
    attachments.delete_attachment(current_user, report, attachment)
    db.session.commit()
    flash(_("Đã xóa tệp %(name)s.", name=name), "success")
    return _report_page(report_id)
