"""Files attached to a record over the API, once for every kind: list, upload (multipart),
download and delete. The API's twin of lhpn/files/pages.py, over the same services
(lhpn/files/services.py) and the same checks (lhpn/files/storage.py).

A kind adds them under its own path::

    file_endpoints("supervisions", "supervision", id_name="supervision_id", load=…,
                   may_edit=…, noun="cuộc giám sát")

``load(id)`` answers the record its caller may see (404 otherwise), whose ``unit`` is the
record's unit; who may list and download is whoever ``load`` lets through. ``may_edit(user,
record)`` is the kind's rule for adding and removing files (403 otherwise), asked before the
file is read. A file that is not the record's answers 404.
"""

from collections.abc import Callable
from typing import Annotated, Any

from flask import Blueprint, Response, jsonify, request
from flask_babel import gettext as _
from pydantic import BaseModel, ConfigDict, Field

from lhpn import authz
from lhpn.api import bp as api_bp
from lhpn.api.contract import Answer, Id, endpoint
from lhpn.api.plumbing import ID, caller, created, no_content
from lhpn.errors import NotFound
from lhpn.extensions import db
from lhpn.files import services, storage
from lhpn.files.models import RecordFile


class RecordFileUpload(BaseModel):
    """multipart/form-data: one part named ``file``."""

    model_config = ConfigDict(extra="forbid")
    file: Annotated[str, Field(json_schema_extra={"format": "binary"}, description=(
        "Tệp PDF, DOC, DOCX, XLS, XLSX, JPG hoặc PNG; nội dung phải đúng loại."))]


class RecordFileAnswer(Answer):
    id: Id
    name: str = Field(description="Tên tệp người tải lên đặt (chỉ để hiển thị).")
    content_type: str
    size: int = Field(ge=1, description="Số byte.")
    sha256: str = Field(description="Mã băm SHA-256 của nội dung, dạng hex.")
    created_at: str = Field(json_schema_extra={"format": "date-time"})


class RecordFileList(Answer):
    items: list[RecordFileAnswer]


def file_dict(found: RecordFile) -> dict:
    return {"id": found.id, "name": found.name, "content_type": found.content_type,
            "size": found.size, "sha256": found.sha256,
            "created_at": found.created_at.isoformat() if found.created_at else ""}


def file_endpoints(collection: str, object_type: str, *, id_name: str,
                   load: Callable[[int], Any], may_edit: Callable[[Any, Any], bool],
                   noun: str, bp: Blueprint | None = None) -> None:
    """Add ``GET`` and ``POST /<collection>/<id>/files`` and, for one file, ``GET`` (its
    bytes) and ``DELETE …/files/<file_id>``. The views are named
    ``<action>_<object_type>_file`` (list_…_files for the list)."""
    target = bp if bp is not None else api_bp
    base = f"/{collection}/<{ID}:{id_name}>/files"
    who = f"{noun.capitalize()} không xem được, hoặc tệp không thuộc {noun}: 404."
    may = f"Người gọi phải được sửa {noun} này (403)."

    def one(record_id: int, file_id: int) -> tuple[Any, RecordFile]:
        record = load(record_id)
        found = services.get_file(caller().tenant_id, file_id)
        if found.object_type != object_type or found.object_id != record.id:
            raise NotFound(_("Không tìm thấy tệp đính kèm."))
        return record, found

    def listed(**ids: int) -> Response:
        record = load(ids[id_name])
        items = [file_dict(found) for found in services.files_of(object_type, record.id)
                 if found.tenant_id == record.tenant_id]
        return jsonify(items=items)

    def upload(**ids: int) -> Response:
        record = load(ids[id_name])
        if not may_edit(caller(), record):
            raise authz.Forbidden("file")
        made = services.attach(caller(), object_type, record, record.unit,
                               request.files.get("file"))
        db.session.commit()
        return created(file_dict(made))

    def download(file_id: int, **ids: int) -> Response:
        _record, found = one(ids[id_name], file_id)
        path = services.open_file(found, actor=caller())
        name, content_type = found.name, found.content_type
        db.session.commit()  # the audit entry of the read
        return storage.download(path, name, content_type, buffered=True)

    def delete(file_id: int, **ids: int) -> Response:
        record, found = one(ids[id_name], file_id)
        if not may_edit(caller(), record):
            raise authz.Forbidden("file")
        services.remove(caller(), found)
        db.session.commit()
        return no_content()

    declared = (
        ("GET", base, listed, f"list_{object_type}_files", endpoint(
            f"Các tệp đính kèm của {noun}, cũ trước. {who}", ok={200: RecordFileList},
            errors="404")),
        ("POST", base, upload, f"upload_{object_type}_file", endpoint(
            f"Đính kèm một tệp (multipart/form-data, phần tên file) vào {noun}: PDF, DOC, DOCX, "
            f"XLS, XLSX, JPG hoặc PNG, nội dung đúng loại, không rỗng, tối đa "
            f"{services.MAX_PER_RECORD} tệp; quá dung lượng: 413; tệp không nhận: 422 (không "
            f"lưu gì). {may} {who}", ok={201: RecordFileAnswer}, form=RecordFileUpload,
            errors="403 404")),
        ("GET", f"{base}/<{ID}:file_id>", download, f"download_{object_type}_file", endpoint(
            f"Nội dung tệp (Content-Type của tệp, tải về dạng attachment). {who}",
            ok={200: None}, errors="404")),
        ("DELETE", f"{base}/<{ID}:file_id>", delete, f"delete_{object_type}_file", endpoint(
            f"Xóa tệp khỏi {noun}. {may} {who}", ok={204: None}, errors="403 404")),
    )
    for method, rule, view, name, declare in declared:
        view.__name__ = name
        target.add_url_rule(rule, name, declare(view), methods=[method])
