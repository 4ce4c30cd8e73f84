"""How an uploaded file is checked and kept, for every kind that takes files: by size,
extension and content (its first bytes, and an Office Open XML package's content-types
part), stored outside the web root under a random name, and served only by an authorized
route with a safe Content-Disposition.

The file follows the database transaction (lhpn/transaction): ``save`` removes the new file if
the transaction rolls back, ``remove_after_commit`` deletes an old one only once the row's
removal is committed.
"""

import hashlib
import os
import re
import secrets
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import quote

from flask import Response, current_app, send_file
from flask_babel import gettext as _

from lhpn.errors import DomainError, NotFound
from lhpn.transaction import after_commit, after_rollback

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
# The file chooser's filter (the server checks anyway).
ACCEPT = ",".join(f".{ext}" for ext in TYPES)


class TooLarge(DomainError):
    status = 413
    code = "too_large"


@dataclass(frozen=True)
class Saved:
    """A checked file in its final place, waiting for its row."""

    name: str  # the user's name, for display only
    stored_name: str  # our random hex: the name on disk
    content_type: str
    size: int
    sha256: str


def max_bytes() -> int:
    return int(current_app.config["LHPN_MAX_ATTACHMENT_MB"]) * 1024 * 1024


def upload_dir() -> Path:
    path = Path(current_app.config["LHPN_UPLOAD_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def path_of(stored_name: str) -> Path:
    # stored_name is our own random hex, never the user's: it cannot leave the directory.
    if not re.fullmatch(r"[0-9a-f]{32}", stored_name or ""):
        raise NotFound(_("Tệp đính kèm không còn trên máy chủ."))
    return upload_dir() / stored_name


def existing(stored_name: str) -> Path:
    """The stored file, for download (404 when it is gone from the server)."""
    path = path_of(stored_name)
    if not path.is_file():
        raise NotFound(_("Tệp đính kèm không còn trên máy chủ."))
    return path


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


def allowed_list() -> str:
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


def check_name(filename: object) -> tuple[str, str]:
    """The display name and the extension of an upload, or a 422 for a type not taken."""
    name = display_name(filename)
    ext = _extension(name)
    if ext not in TYPES:
        raise DomainError(_("Loại tệp không được phép. Chỉ nhận: %(types)s.",
                            types=allowed_list()), "file")
    return name, ext


def save(stream: IO[bytes] | None, filename: object) -> Saved:
    """Check an upload and put it in its final place under a random name; it is removed again
    if the transaction does not commit. 422 (no file, wrong type, empty, content not of its
    type) or 413 (too large) with nothing left on disk."""
    if stream is None:
        raise DomainError(_("Hãy chọn tệp cần đính kèm."), "file")
    name, ext = check_name(filename)
    directory = upload_dir()
    temp, size, sha256 = _write_temp(stream, directory, max_bytes())
    final = directory / secrets.token_hex(16)
    try:
        if size == 0:
            raise DomainError(_("Tệp rỗng, không có nội dung."), "file")
        if not _content_matches(ext, temp):
            raise DomainError(_("Nội dung tệp không đúng loại %(ext)s. Chỉ nhận: %(types)s.",
                                ext=ext.upper(), types=allowed_list()), "file")
        os.replace(temp, final)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    after_rollback(lambda: final.unlink(missing_ok=True))
    return Saved(name, final.name, TYPES[ext][0], size, sha256)


def discard(saved: Saved) -> None:
    """Remove a saved file at once (its row could not be written)."""
    path_of(saved.stored_name).unlink(missing_ok=True)


def remove_after_commit(stored_name: str) -> None:
    path = path_of(stored_name)
    after_commit(lambda: path.unlink(missing_ok=True))


def content_disposition(name: str) -> str:
    """attachment; an ASCII fallback name and the real one per RFC 5987."""
    ascii_name = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    ascii_name = ascii_name.encode("ascii", "ignore").decode()
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "_", ascii_name).strip("._") or "tep-dinh-kem"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def download(path: Path, name: str, content_type: str, *, buffered: bool = False) -> Response:
    """The answer that sends a stored file: always as a download, never sniffed or cached.
    ``buffered``: read into memory (the API's answers are read again after the view)."""
    if buffered:
        response = Response(path.read_bytes(), mimetype=content_type)
    else:
        response = send_file(path, mimetype=content_type, conditional=False, max_age=0)
    response.headers["Content-Disposition"] = content_disposition(name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
