"""Files attached to reports: checked by size, extension and content, stored outside the web
root under a random name, served only through an authorized route.

Operations flush and leave the commit to the caller. The file itself follows the transaction:
a new file is removed if the transaction rolls back, a deleted one only after it commits.
"""

import hashlib
import os
import secrets
import tempfile
import unicodedata
import zipfile
from pathlib import Path
from typing import IO

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from lhpn import authz
from lhpn.audit.services import record
from lhpn.errors import Conflict, DomainError, NotFound, as_id
from lhpn.extensions import db
from lhpn.reports.models import Attachment, Report
from lhpn.transaction import after_commit, after_rollback

MAX_PER_REPORT = 20
MAX_NAME = 200
CHUNK = 64 * 1024
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# extension → (content type it is served as, what its first bytes must be)
TYPES = {
    "pdf": ("application/pdf", b"%PDF-"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             b"PK\x03\x04"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             b"PK\x03\x04"),
    "doc": ("application/msword", OLE),
    "xls": ("application/vnd.ms-excel", OLE),
    "jpg": ("image/jpeg", b"\xff\xd8\xff"),
    "jpeg": ("image/jpeg", b"\xff\xd8\xff"),
    "png": ("image/png", b"\x89PNG\r\n\x1a\n"),
}


class TooLarge(DomainError):
    status = 413
    code = "too_large"


def upload_dir() -> Path:
    path = Path(current_app.config["LHPN_UPLOAD_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def stored_path(attachment: Attachment) -> Path:
    # stored_name is our own random hex, never the user's: it cannot leave the directory.
    return upload_dir() / attachment.stored_name


def display_name(name: object) -> str:
    """The user's file name, for display only: base name, NFC, no control characters or path
    separators, at most MAX_NAME characters (keeping the extension)."""
    text = unicodedata.normalize("NFC", str(name or ""))
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C").strip(" .")
    if len(text) > MAX_NAME:
        stem, dot, ext = text.rpartition(".")
        text = (stem[: MAX_NAME - len(ext) - 1] + dot + ext) if dot and len(ext) <= 10 \
            else text[:MAX_NAME]
    return text or "tep-dinh-kem"


def _extension(name: str) -> str:
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem else ""


def _allowed_list() -> str:
    return "PDF, DOC, DOCX, XLS, XLSX, JPG, PNG"


def _content_matches(ext: str, path: Path) -> bool:
    with path.open("rb") as fh:
        head = fh.read(16)
    if not head.startswith(TYPES[ext][1]):
        return False
    if ext in ("docx", "xlsx"):
        # An Office Open XML file is a zip package with a content-types part.
        try:
            with zipfile.ZipFile(path) as package:
                return "[Content_Types].xml" in package.namelist()
        except (zipfile.BadZipFile, OSError):
            return False
    return True


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


def _write_temp(stream: IO[bytes], directory: Path, limit: int) -> tuple[Path, int, str]:
    """Copy the upload into a temporary file beside its final place; stop past the limit."""
    fd, name = tempfile.mkstemp(prefix=".upload-", dir=directory)
    temp = Path(name)
    digest, size = hashlib.sha256(), 0
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise TooLarge(_("Tệp quá lớn: tối đa %(mb)d MB mỗi tệp.",
                                     mb=limit // (1024 * 1024)), "file")
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return temp, size, digest.hexdigest()


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
    name = display_name(filename)
    ext = _extension(name)
    if ext not in TYPES:
        raise DomainError(_("Loại tệp không được phép. Chỉ nhận: %(types)s.",
                            types=_allowed_list()), "file")
    directory = upload_dir()
    limit = current_app.config["LHPN_MAX_ATTACHMENT_MB"] * 1024 * 1024
    temp, size, sha256 = _write_temp(stream, directory, limit)
    final = directory / secrets.token_hex(16)
    try:
        if size == 0:
            raise DomainError(_("Tệp rỗng, không có nội dung."), "file")
        if not _content_matches(ext, temp):
            raise DomainError(_("Nội dung tệp không đúng loại %(ext)s. Chỉ nhận: %(types)s.",
                                ext=ext.upper(), types=_allowed_list()), "file")
        os.replace(temp, final)
        attachment = Attachment(tenant_id=report.tenant_id, report_id=report.id,
                                filename=name, stored_name=final.name,
                                content_type=TYPES[ext][0], size=size, sha256=sha256,
                                uploaded_by_id=actor.id)
        db.session.add(attachment)
        db.session.flush()
    except BaseException:
        temp.unlink(missing_ok=True)
        final.unlink(missing_ok=True)
        raise
    after_rollback(lambda: final.unlink(missing_ok=True))
    record("report.attachment.add", "report", report.id, actor=actor,
           tenant_id=report.tenant_id, summary=f"{name} ({size} B)", attachment=attachment.id,
           sha256=sha256)
    return attachment


def delete_attachment(actor, report: Report, attachment: Attachment) -> None:
    _require_editable(actor, report)
    path = stored_path(attachment)
    record("report.attachment.delete", "report", report.id, actor=actor,
           tenant_id=report.tenant_id, summary=attachment.filename, attachment=attachment.id)
    db.session.delete(attachment)
    db.session.flush()
    after_commit(lambda: path.unlink(missing_ok=True))


def open_attachment(actor, report: Report, attachment: Attachment) -> Path:
    """The stored file for download; reading a report's file is audited."""
    authz.require(actor, "view", report.unit)
    path = stored_path(attachment)
    if not path.is_file():
        raise NotFound(_("Tệp đính kèm không còn trên máy chủ."))
    record("report.attachment.download", "report", report.id, actor=actor,
           tenant_id=report.tenant_id, summary=attachment.filename, attachment=attachment.id)
    return path
