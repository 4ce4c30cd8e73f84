"""Files attached to a record of any kind: attach, list, find, remove, open.

The kind decides who may see and change its record (the pages and the API ask its ``load``
and ``may_edit``); these services also require that the actor may view the record's unit, in
the record's tenant. Operations flush and leave the commit to the caller; the stored file
follows the transaction (lhpn/files/storage.py). The audit names the file, never its content.
"""

import re
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from lhpn import authz
from lhpn.audit.services import record as audit
from lhpn.errors import DomainError, NotFound, as_id
from lhpn.extensions import db
from lhpn.files import storage
from lhpn.files.models import RecordFile
from lhpn.units.models import Unit

MAX_PER_RECORD = 20
_OBJECT_TYPE = re.compile(r"[a-z][a-z0-9_]{0,31}")


def _require_reach(actor, tenant_id: int, unit: Unit) -> None:
    if actor is None or getattr(actor, "tenant_id", None) != tenant_id \
            or unit.tenant_id != tenant_id:
        raise authz.Forbidden("view")
    authz.require(actor, "view", unit)


def attach(actor, object_type: str, record: Any, unit: Unit,
           storage_file: FileStorage | None) -> RecordFile:
    """Attach the uploaded file to ``record`` (of ``unit``): 422 with no file, too many files,
    a type not taken, an empty file or content not of its type; 413 when too large. Nothing
    is kept on a refusal."""
    if not isinstance(object_type, str) or not _OBJECT_TYPE.fullmatch(object_type):
        raise ValueError(f"object_type {object_type!r}: a lower-case code such as 'supervision'")
    if as_id(getattr(record, "id", None)) is None:
        raise ValueError("files belong to a saved record")
    _require_reach(actor, record.tenant_id, unit)
    if storage_file is None or not storage_file.filename:
        raise DomainError(_("Hãy chọn tệp cần đính kèm."), "file")
    count = db.session.scalar(
        select(func.count()).select_from(RecordFile)
        .where(RecordFile.tenant_id == record.tenant_id, RecordFile.object_type == object_type,
               RecordFile.object_id == record.id)) or 0
    if count >= MAX_PER_RECORD:
        raise DomainError(_("Mỗi hồ sơ có tối đa %(n)d tệp đính kèm.", n=MAX_PER_RECORD),
                          "file")
    saved = storage.save(storage_file.stream, storage_file.filename)
    try:
        made = RecordFile(tenant_id=record.tenant_id, object_type=object_type,
                          object_id=record.id, unit_id=unit.id, name=saved.name,
                          stored_name=saved.stored_name, content_type=saved.content_type,
                          size=saved.size, sha256=saved.sha256, created_by_id=actor.id)
        db.session.add(made)
        db.session.flush()
    except BaseException:
        storage.discard(saved)
        raise
    audit("file.add", object_type, record.id, actor=actor, tenant_id=record.tenant_id,
          summary=f"{saved.name} ({saved.size} B)", file=made.id, sha256=saved.sha256)
    return made


def files_of(object_type: str, object_id: int) -> list[RecordFile]:
    """The files of one record, oldest first."""
    return list(db.session.scalars(
        select(RecordFile)
        .where(RecordFile.object_type == object_type, RecordFile.object_id == object_id)
        .order_by(RecordFile.created_at, RecordFile.id)))


def get_file(tenant_id: int | None, file_id: object) -> RecordFile:
    key = as_id(file_id)
    found = db.session.get(RecordFile, key) if key is not None else None
    if found is None or found.tenant_id != tenant_id:
        raise NotFound(_("Không tìm thấy tệp đính kèm."))
    return found


def remove(actor, record_file: RecordFile) -> None:
    """Remove the file's row now and its bytes once that is committed."""
    unit = db.session.get(Unit, record_file.unit_id)
    if unit is None:
        raise NotFound(_("Không tìm thấy tệp đính kèm."))
    _require_reach(actor, record_file.tenant_id, unit)
    stored_name = record_file.stored_name
    audit("file.delete", record_file.object_type, record_file.object_id, actor=actor,
          tenant_id=record_file.tenant_id, summary=record_file.name, file=record_file.id)
    db.session.delete(record_file)
    db.session.flush()
    storage.remove_after_commit(stored_name)


def open_file(record_file: RecordFile, actor=None) -> Path:
    """The stored file, to send (404 when it is gone from the server); with ``actor``, the
    read is audited (the caller commits)."""
    path = storage.existing(record_file.stored_name)
    if actor is not None:
        audit("file.download", record_file.object_type, record_file.object_id, actor=actor,
              tenant_id=record_file.tenant_id, summary=record_file.name, file=record_file.id)
    return path
