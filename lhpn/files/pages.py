"""The files part of a record's page, once for every kind: upload, download and delete, and
the data of the partial lhpn/templates/_files.html.

A kind adds them to its blueprint::

    FILES = file_routes(bp, "supervision", id_name="supervision_id", load=_load,
                        may_edit=may_handle, done=lambda s: url_for(...))

and its page shows ``{{ files(FILES.panel(current_user, supervision)) }}``
(``{% from "_files.html" import files %}``).

``load(id)`` returns the record its reader may see (404 for another tenant's or an
unreachable one), whose ``unit`` is the record's unit and which decides who may download;
``may_edit(user, record)`` is the kind's rule for who adds and removes files (403 otherwise);
``done(record)`` is the URL of the record's page, where every action goes back. A file that
is not the record's answers 404. A refused upload flashes its reason (nothing is kept); each
action commits once.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lhpn import authz
from lhpn.errors import DomainError, NotFound
from lhpn.extensions import db
from lhpn.files import services, storage
from lhpn.files.models import RecordFile


@dataclass(frozen=True)
class FileItem:
    file: RecordFile
    download_url: str
    delete_url: str


@dataclass(frozen=True)
class FilePanel:
    items: list[FileItem]
    may_edit: bool
    upload_url: str
    accept: str
    max_mb: int
    max_files: int


@dataclass(frozen=True)
class FilePages:
    bp_name: str
    object_type: str
    id_name: str
    may_edit: Callable[[Any, Any], bool]

    def url(self, action: str, record: Any, record_file: RecordFile | None = None) -> str:
        values: dict[str, Any] = {self.id_name: record.id}
        if record_file is not None:
            values["file_id"] = record_file.id
        return url_for(f"{self.bp_name}.file_{action}", **values)

    def panel(self, user, record) -> FilePanel:
        """What the partial shows of ``record``'s files to ``user``."""
        items = [FileItem(found, self.url("download", record, found),
                          self.url("delete", record, found))
                 for found in services.files_of(self.object_type, record.id)
                 if found.tenant_id == record.tenant_id]
        return FilePanel(items=items, may_edit=bool(self.may_edit(user, record)),
                         upload_url=self.url("upload", record), accept=storage.ACCEPT,
                         max_mb=int(current_app.config["LHPN_MAX_ATTACHMENT_MB"]),
                         max_files=services.MAX_PER_RECORD)


def file_routes(bp: Blueprint, object_type: str, *, id_name: str,
                load: Callable[[int], Any], may_edit: Callable[[Any, Any], bool],
                done: Callable[[Any], str]) -> FilePages:
    """Add to ``bp``: ``POST /<id>/files`` (field ``file``), ``GET /<id>/files/<file_id>``
    (download) and ``POST /<id>/files/<file_id>/delete``; the views are named
    ``file_upload``, ``file_download`` and ``file_delete``."""
    pages = FilePages(bp.name, object_type, id_name, may_edit)
    base = f"/<int:{id_name}>/files"

    def one(record_id: int, file_id: int) -> tuple[Any, RecordFile]:
        """The record, then its file (404 before 403, as everywhere)."""
        record = load(record_id)
        found = services.get_file(current_user.tenant_id, file_id)
        if found.object_type != object_type or found.object_id != record.id:
            raise NotFound(_("Không tìm thấy tệp đính kèm."))
        return record, found

    def refused(record: Any, message: str) -> Any:
        db.session.rollback()  # also removes a file already written
        flash(message, "error")
        return redirect(done(record), 303)

    def upload(**ids: int):
        record = load(ids[id_name])
        if not may_edit(current_user, record):
            raise authz.Forbidden("file")
        try:
            made = services.attach(current_user, object_type, record, record.unit,
                                   request.files.get("file"))
            name = made.name
            db.session.commit()
        except DomainError as exc:
            return refused(record, exc.message)
        flash(_("Đã đính kèm tệp %(name)s.", name=name), "success")
        return redirect(done(record), 303)

    def download(file_id: int, **ids: int):
        _record, found = one(ids[id_name], file_id)
        path = services.open_file(found, actor=current_user)
        name, content_type = found.name, found.content_type
        db.session.commit()  # the audit entry of the read
        return storage.download(path, name, content_type)

    def delete(file_id: int, **ids: int):
        record, found = one(ids[id_name], file_id)
        if not may_edit(current_user, record):
            raise authz.Forbidden("file")
        name = found.name
        try:
            services.remove(current_user, found)
            db.session.commit()
        except DomainError as exc:
            return refused(record, exc.message)
        flash(_("Đã xóa tệp %(name)s.", name=name), "success")
        return redirect(done(record), 303)

    for view, rule, methods in ((upload, base, ["POST"]),
                                (download, f"{base}/<int:file_id>", ["GET"]),
                                (delete, f"{base}/<int:file_id>/delete", ["POST"])):
        view.__name__ = f"file_{view.__name__}"
        bp.add_url_rule(rule, view.__name__, login_required(view), methods=methods)
    return pages
