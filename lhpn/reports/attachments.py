"""Files attached to reports: checked by size, extension and content, stored outside the web
root under a random name, served only through an authorized route (lhpn/files/storage.py, the
same checks every record kind's files go through).

Operations flush and leave the commit to the caller. The file itself follows the transaction:
a new file is removed if the transaction rolls back, a deleted one only after it commits.
"""

from pathlib import Path
from typing import IO

from flask_babel import gettext as _
from sqlalchemy import func, select

from lhpn import authz
from lhpn.audit.services import record
from lhpn.errors import Conflict, DomainError, NotFound, as_id
from lhpn.extensions import db
from lhpn.files import storage
from lhpn.files.storage import display_name, upload_dir  # noqa: F401 (their old home)
from lhpn.reports.models import Attachment, Report

MAX_PER_REPORT = 20


def stored_path(attachment: Attachment) -> Path:
    return storage.path_of(attachment.stored_name)


def _require_editable(actor, report: Report) -> None:
    authz.require_enter_for(actor, report.unit)
    if not report.editable:
        raise Conflict(_("Báo cáo đã gửi hoặc đã duyệt: không thêm hay xóa tệp đính kèm được."),
                       "status")


def attachments_of(report: Report):
    return (select(Attachment).where(Attachment.report_id == report.id,
                                     Attachment.tenant_id == report.tenant_id)
            .order_by(Attachment.created_at, Attachment.id))


def get_attachment(report: Report, attachment_id: object) -> Attachment:
    key = as_id(attachment_id)
    attachment = db.session.get(Attachment, key) if key is not None else None
    if attachment is None or attachment.report_id != report.id \
            or attachment.tenant_id != report.tenant_id:
        raise NotFound(_("Không tìm thấy tệp đính kèm."))
    return attachment


def add_attachment(actor, report: Report, stream: IO[bytes] | None, filename: object
                   ) -> Attachment:
    _require_editable(actor, report)
    if stream is None:
        raise DomainError(_("Hãy chọn tệp cần đính kèm."), "file")
    count = db.session.scalar(select(func.count()).select_from(Attachment)
                              .where(Attachment.report_id == report.id)) or 0
    if count >= MAX_PER_REPORT:
        raise DomainError(_("Mỗi báo cáo có tối đa %(n)d tệp đính kèm.", n=MAX_PER_REPORT),
                          "file")
    saved = storage.save(stream, filename)
    try:
        attachment = Attachment(tenant_id=report.tenant_id, report_id=report.id,
                                filename=saved.name, stored_name=saved.stored_name,
                                content_type=saved.content_type, size=saved.size,
                                sha256=saved.sha256, uploaded_by_id=actor.id)
        db.session.add(attachment)
        db.session.flush()
    except BaseException:
        storage.discard(saved)
        raise
    name, size, sha256 = saved.name, saved.size, saved.sha256
    record("report.attachment.add", "report", report.id, actor=actor,
           tenant_id=report.tenant_id, summary=f"{name} ({size} B)", attachment=attachment.id,
           sha256=sha256)
    return attachment


def delete_attachment(actor, report: Report, attachment: Attachment) -> None:
    _require_editable(actor, report)
    stored_name = attachment.stored_name
    record("report.attachment.delete", "report", report.id, actor=actor,
           tenant_id=report.tenant_id, summary=attachment.filename, attachment=attachment.id)
    db.session.delete(attachment)
    db.session.flush()
    storage.remove_after_commit(stored_name)


def open_attachment(actor, report: Report, attachment: Attachment) -> Path:
    """The stored file for download; reading a report's file is audited."""
    authz.require(actor, "view", report.unit)
    path = storage.existing(attachment.stored_name)
    record("report.attachment.download", "report", report.id, actor=actor,
           tenant_id=report.tenant_id, summary=attachment.filename, attachment=attachment.id)
    return path
