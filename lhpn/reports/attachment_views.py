"""Report attachments: upload, download (the only way a stored file leaves the server) and
delete. The report page (lhpn/reports/views.py, at /reports/<id>) shows them through
templates/reports/_attachments.html."""

import re
import unicodedata
from urllib.parse import quote

from flask import Blueprint, flash, redirect, request, send_file
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lhpn import authz
from lhpn.extensions import db
from lhpn.reports import attachments
from lhpn.reports.services import get_report

bp = Blueprint("report_files", __name__, url_prefix="/reports")


def _report_page(report_id: int):
    # Same address the notifications link to.
    return redirect(f"/reports/{report_id}#attachments")


def content_disposition(name: str) -> str:
    """attachment; an ASCII fallback name and the real one per RFC 5987."""
    ascii_name = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    ascii_name = ascii_name.encode("ascii", "ignore").decode()
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "_", ascii_name).strip("._") or "tep-dinh-kem"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


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
    response = send_file(path, mimetype=attachment.content_type, conditional=False,
                         max_age=0)
    response.headers["Content-Disposition"] = content_disposition(attachment.filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


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
