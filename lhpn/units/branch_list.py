"""Importing branches (and other units) from an uploaded CSV or XLSX list: checked row by row
into typed rows (:class:`UploadRow`), kept as an ImportBatch for the preview, then created in
chunks. Operations flush; the caller commits (one transaction per chunk). Communes come from
the administrative-unit packages instead (lhpn/units/admin_import.py).
"""

import csv
import io
import warnings
import zipfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Any, cast

from flask_babel import gettext as _
from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm.attributes import flag_modified

from lhpn import authz
from lhpn.accounts.models import User
from lhpn.audit.services import record
from lhpn.errors import DomainError, NotFound, as_id
from lhpn.extensions import db
from lhpn.labels import level_label
from lhpn.tenants.models import LEVELS, Tenant
from lhpn.text import has_control, nfc, one_line, same_name, search_key
from lhpn.units.imports_models import ImportBatch, UploadRow
from lhpn.units.models import Unit
from lhpn.units.services import (
    MAX_CODE,
    MAX_NAME,
    create_unit,
    opening_date,
    set_official_name,
)

MAX_ROWS = 20_000
CHUNK_SIZE = 200
# An XLSX is a zip: refuse archives that would inflate far beyond any real branch list.
MAX_XLSX_UNZIPPED = 100 * 1024 * 1024
MAX_XLSX_MEMBERS = 2_000
# Longest text kept per cell in a batch (longer names are errors anyway).
STORED_CELL = 250
_IN_CHUNK = 500


# ==== branches from an uploaded list ============================================================

def _chunks(values: Iterable, size: int = _IN_CHUNK) -> Iterator[list]:
    items = list(values)
    for start in range(0, len(items), size):
        yield items[start:start + size]



COLUMNS = {
    "parent_code": ("ma_don_vi_cap_tren", "parent_code", "ma_cap_tren"),
    "name": ("ten", "name", "ten_don_vi"),
    "code": ("ma", "code", "ma_don_vi"),
    "level": ("cap", "level"),
    "opened_on": ("ngay_bat_dau", "opened_on", "ngay_bat_dau_hoat_dong"),
    "official_name": ("ten_chinh_thuc", "official_name"),
}
REQUIRED_COLUMNS = ("parent_code", "name")
LEVEL_WORDS: dict[str, str] = {
    **{level: level for level in LEVELS},
    "tinh": "province", "thanh_pho": "province",
    "huyen": "district", "quan": "district", "thi_xa": "district",
    "xa": "commune", "phuong": "commune", "thi_tran": "commune", "dac_khu": "commune",
    "co_so": "commune",
    "chi_hoi": "branch", "chi_hoi_phu_nu": "branch",
    "to": "group", "to_phu_nu": "group",
}


def _key(text: str) -> str:
    """Header and level words compare without case, diacritics or separators."""
    return "_".join(search_key(text).replace("-", " ").replace("_", " ").split())


def display_filename(filename: str | None) -> str:
    """The name to show: last path component only, printable characters, at most 255."""
    name = nfc(filename).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[-255:] or "tep-tai-len"


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def _not_csv() -> DomainError:
    return DomainError(_("Tệp không phải là tệp CSV dạng văn bản. Hãy lưu danh sách dưới dạng "
                         "“CSV UTF-8” hoặc tệp Excel .xlsx."), "file")


def _not_xlsx() -> DomainError:
    return DomainError(_("Tệp không phải là tệp Excel .xlsx hợp lệ (tệp .xls cũ, tệp hỏng hoặc "
                         "tệp khác được đổi tên). Hãy mở bằng Excel và lưu lại dạng .xlsx."),
                       "file")


def _table(records: Iterable[list[str]]) -> list[tuple[int, list[str]]]:
    """(line number, cells) of the non-blank rows; the first one is the header."""
    table: list[tuple[int, list[str]]] = []
    for line, cells in enumerate(records, start=1):
        cells = [nfc(cell) for cell in cells]
        if not any(cells):
            continue
        if len(table) > MAX_ROWS:  # the header and MAX_ROWS data rows are already kept
            raise DomainError(_("Tệp có hơn %(n)s dòng. Hãy chia thành nhiều tệp nhỏ hơn.",
                                n=f"{MAX_ROWS:,}".replace(",", ".")), "file")
        table.append((line, cells))
    return table


def _csv_table(data: bytes) -> list[tuple[int, list[str]]]:
    if b"\x00" in data:
        raise _not_csv()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DomainError(_("Tệp CSV phải dùng bảng mã UTF-8. Trong Excel, chọn Lưu thành → "
                            "“CSV UTF-8 (Comma delimited)”."), "file") from None
    header_line = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return _table(reader)
    except csv.Error:
        raise DomainError(_("Không đọc được tệp CSV (dòng %(line)d có định dạng sai).",
                            line=reader.line_num), "file") from None


def _xlsx_table(data: bytes) -> list[tuple[int, list[str]]]:
    import openpyxl

    if not data.startswith(b"PK\x03\x04"):
        raise _not_xlsx()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise _not_xlsx() from None
    if len(members) > MAX_XLSX_MEMBERS or sum(m.file_size for m in members) > MAX_XLSX_UNZIPPED:
        raise DomainError(_("Tệp Excel quá lớn sau khi giải nén."), "file")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # style and extension notes of foreign workbooks
        try:
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:  # openpyxl raises many kinds on a broken file: all mean "not xlsx"
            raise _not_xlsx() from None
        try:
            if not workbook.worksheets:
                raise DomainError(_("Tệp Excel không có trang tính nào."), "file")
            sheet = workbook.worksheets[0]
            return _table([_cell(value) for value in values]
                          for values in sheet.iter_rows(values_only=True))
        except DomainError:
            raise
        except Exception:
            raise _not_xlsx() from None
        finally:
            workbook.close()


def read_table(filename: str, data: bytes) -> list[tuple[int, list[str]]]:
    """(line number, cells) of the non-blank rows of an upload; the first one is the header."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in ("csv", "xlsx"):
        raise DomainError(_("Chỉ nhận tệp .csv hoặc .xlsx."), "file")
    if not data.strip():
        raise DomainError(_("Tệp rỗng."), "file")
    table = _csv_table(data) if extension == "csv" else _xlsx_table(data)
    if not table:
        raise DomainError(_("Tệp rỗng."), "file")
    return table


def header_columns(header: list[str]) -> dict[str, int]:
    """Column index of each known field; Vietnamese or English headers."""
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        key = _key(cell)
        for name, aliases in COLUMNS.items():
            if key in aliases and name not in found:
                found[name] = index
    missing = [name for name in REQUIRED_COLUMNS if name not in found]
    if missing:
        raise DomainError(
            _("Thiếu cột bắt buộc: %(cols)s. Dòng đầu tiên của tệp phải là dòng tiêu đề.",
              cols=", ".join(f"{COLUMNS[n][0]} ({COLUMNS[n][1]})" for n in missing)),
            "file",
        )
    return found


def _units_by_code(tenant_id: int, codes: Iterable[str]) -> dict[str, Unit]:
    found: dict[str, Unit] = {}
    for part in _chunks({c for c in codes if c}):
        for unit in db.session.scalars(
            select(Unit).where(Unit.tenant_id == tenant_id, Unit.code.in_(part))
        ):
            found[unit.code] = unit
    return found


def _taken_codes(tenant_id: int, codes: Iterable[str]) -> set[str]:
    taken: set[str] = set()
    for part in _chunks({c for c in codes if c}):
        taken.update(db.session.scalars(
            select(Unit.code).where(Unit.tenant_id == tenant_id, Unit.code.in_(part))
        ))
    return taken


def _child_names(parents: Iterable[Unit]) -> set[tuple[str, str]]:
    """(parent code, name key) of the open children of ``parents``."""
    code_of = {unit.id: unit.code for unit in parents}
    names: set[tuple[str, str]] = set()
    for part in _chunks(code_of):
        for parent_id, name in db.session.execute(
            select(Unit.parent_id, Unit.name).where(Unit.parent_id.in_(part), ~Unit.closed)
        ):
            assert parent_id is not None  # a child of one of ``parents``
            names.add((code_of[parent_id], same_name(name)))
    return names


def _level_error(tenant: Tenant, level: str, parent_level: str) -> str | None:
    if level not in tenant.levels:
        return _("Cấp %(level)s không có trong tổ chức của tỉnh này.", level=level_label(level))
    if parent_level not in tenant.levels or \
            tenant.level_rank(level) <= tenant.level_rank(parent_level):
        return _("Đơn vị cấp %(level)s không thể trực thuộc đơn vị cấp %(parent)s.",
                 level=level_label(level), parent=level_label(parent_level))
    return None


def check_rows(actor: User, tenant: Tenant,
               records: list[tuple[int, list[str]]], columns: dict[str, int]) -> list[UploadRow]:
    """One typed row per data row with its Vietnamese error messages (empty list: valid)."""

    def cell(cells: list[str], name: str) -> str:
        index = columns.get(name)
        return cells[index] if index is not None and index < len(cells) else ""

    rows: list[UploadRow] = [
        UploadRow(line=line, parent_code=nfc(cell(cells, "parent_code")).upper(),
                  name=one_line(cell(cells, "name")), code=nfc(cell(cells, "code")).upper(),
                  level="", opened_on=one_line(cell(cells, "opened_on")),
                  official_name=one_line(cell(cells, "official_name")), errors=[])
        for line, cells in records
    ]
    level_texts = {row["line"]: one_line(cell(cells, "level"))
                   for row, (_line, cells) in zip(rows, records, strict=True)}
    parents = _units_by_code(tenant.id, (r["parent_code"] for r in rows))
    taken = _taken_codes(tenant.id, (r["code"] for r in rows))
    names = _child_names(parents.values())
    first_line_of_code: dict[str, int] = {}
    for row in rows:
        if row["code"]:
            first_line_of_code.setdefault(row["code"], row["line"])
    manageable: dict[int, bool] = {}
    file_units: dict[str, UploadRow] = {}  # code → earlier row (a parent created by it)
    name_lines: dict[tuple[str, str], int] = {}

    for row in rows:
        errors: list[str] = []
        name, code, parent_code = row["name"], row["code"], row["parent_code"]
        if not name:
            errors.append(_("Thiếu tên đơn vị."))
        elif len(name) > MAX_NAME:
            errors.append(_("Tên đơn vị dài quá %(n)d ký tự.", n=MAX_NAME))
        elif has_control(name):
            errors.append(_("Tên đơn vị chứa ký tự điều khiển không hợp lệ."))
        if len(row["official_name"]) > MAX_NAME:
            errors.append(_("Tên chính thức dài quá %(n)d ký tự.", n=MAX_NAME))
        elif has_control(row["official_name"]):
            errors.append(_("Tên chính thức chứa ký tự điều khiển không hợp lệ."))

        level = LEVEL_WORDS.get(_key(level_texts[row["line"]]) or "branch")
        if level is None:
            errors.append(_("Cấp không hợp lệ; dùng: chi hội (branch), tổ phụ nữ (group), "
                            "xã (commune), huyện (district)."))

        if code:
            if len(code) > MAX_CODE or any(ch.isspace() for ch in code) or has_control(code):
                errors.append(_("Mã đơn vị không hợp lệ (không dấu cách, tối đa %(n)d ký tự).",
                                n=MAX_CODE))
            elif first_line_of_code[code] != row["line"]:
                errors.append(_("Mã %(code)s trùng với mã ở dòng %(line)d.",
                                code=code, line=first_line_of_code[code]))
            elif code in taken:
                errors.append(_("Mã %(code)s đã được dùng cho một đơn vị khác của tỉnh.",
                                code=code))

        if row["opened_on"]:
            try:
                row["opened_on"] = opening_date(row["opened_on"]).isoformat()
            except DomainError as exc:
                errors.append(exc.message)
                row["opened_on"] = row["opened_on"][:STORED_CELL]

        parent_level = None
        if not parent_code:
            errors.append(_("Thiếu mã đơn vị cấp trên."))
        elif parent_code in parents:
            parent = parents[parent_code]
            if parent.id not in manageable:
                manageable[parent.id] = authz.can(actor, "manage", parent)
            if not manageable[parent.id]:
                errors.append(_("Bạn không có quyền quản trị đơn vị cấp trên %(code)s.",
                                code=parent_code))
            elif parent.closed:
                errors.append(_("Đơn vị cấp trên %(code)s đã giải thể.", code=parent_code))
            else:
                parent_level = parent.level
        elif parent_code in file_units:
            parent_row = file_units[parent_code]
            if parent_row["errors"]:
                errors.append(_("Đơn vị cấp trên %(code)s (dòng %(line)d) có lỗi nên không nhập "
                                "được dòng này.", code=parent_code, line=parent_row["line"]))
            else:
                parent_level = parent_row["level"]
        elif parent_code in first_line_of_code:
            errors.append(_("Đơn vị cấp trên %(code)s nằm ở dòng %(line)d phía dưới; hãy đặt "
                            "đơn vị cấp trên trước đơn vị trực thuộc.",
                            code=parent_code, line=first_line_of_code[parent_code]))
        else:
            errors.append(_("Không có đơn vị cấp trên mã %(code)s.", code=parent_code))

        if level is not None and parent_level is not None:
            problem = _level_error(tenant, level, parent_level)
            if problem:
                errors.append(problem)

        if name and parent_code:
            key = (parent_code, same_name(name))
            if key in names:
                errors.append(_("Đơn vị cấp trên %(code)s đã có đơn vị trực thuộc tên "
                                "“%(name)s”.", code=parent_code, name=name))
            elif key in name_lines:
                errors.append(_("Trùng tên với dòng %(line)d (cùng đơn vị cấp trên).",
                                line=name_lines[key]))
            else:
                name_lines[key] = row["line"]

        row["level"], row["errors"] = level or "", errors
        row["parent_code"] = row["parent_code"][:STORED_CELL]
        row["name"], row["code"] = row["name"][:STORED_CELL], row["code"][:STORED_CELL]
        row["official_name"] = row["official_name"][:STORED_CELL]
        if code and code not in file_units and first_line_of_code.get(code) == row["line"]:
            file_units[code] = row
    return rows


def create_batch(actor: User, filename: str | None, data: bytes) -> ImportBatch:
    """Read and check an uploaded branch list; nothing but the checked rows is kept."""
    shown = display_filename(filename)
    table = read_table(shown, data)
    columns = header_columns(table[0][1])
    if len(table) < 2:
        raise DomainError(_("Tệp chỉ có dòng tiêu đề, không có dòng dữ liệu nào."), "file")
    tenant = db.session.get(Tenant, actor.tenant_id)
    if tenant is None:
        raise NotFound(_("Không tìm thấy tỉnh."))
    rows = check_rows(actor, tenant, table[1:], columns)
    batch = ImportBatch(tenant_id=tenant.id, created_by=actor.id, filename=shown, rows=rows,
                        status="preview", processed=0, created=0)
    db.session.add(batch)
    db.session.flush()
    errors = sum(1 for row in rows if row["errors"])
    record("unit.import_check", "import_batch", batch.id, actor=actor, tenant_id=tenant.id,
           summary=_("Tải lên %(file)s: %(rows)d dòng, %(errors)d dòng lỗi.",
                     file=shown, rows=len(rows), errors=errors),
           rows=len(rows), errors=errors)
    return batch


def get_batch(tenant_id: int | None, batch_id: object) -> ImportBatch:
    """Tenant-scoped getter: another tenant's batch is not found."""
    key = as_id(batch_id)
    batch = db.session.get(ImportBatch, key) if key is not None else None
    if batch is None or tenant_id is None or batch.tenant_id != tenant_id:
        raise NotFound(_("Không tìm thấy lần nhập."))
    return batch


def may_run(actor: User, batch: ImportBatch) -> bool:
    return batch.created_by == actor.id or (batch.tenant_id == actor.tenant_id
                                            and authz.manages_tenant(actor))


def require_batch_access(actor: User, batch: ImportBatch) -> None:
    if not may_run(actor, batch):
        raise authz.Forbidden("manage")


def recent_batches(actor: User, *, everyone: bool, limit: int = 20):
    """A SELECT of the latest batches (without their rows) of the actor, or of the tenant."""
    stmt = (
        select(ImportBatch.id, ImportBatch.filename, ImportBatch.status, ImportBatch.created,
               ImportBatch.created_at, User.username)
        .join(User, User.id == ImportBatch.created_by)
        .where(ImportBatch.tenant_id == actor.tenant_id)
        .order_by(ImportBatch.id.desc())
        .limit(limit)
    )
    return stmt if everyone else stmt.where(ImportBatch.created_by == actor.id)


def progress(batch: ImportBatch) -> dict:
    return {"processed": batch.processed, "total": len(batch.valid_rows),
            "created": batch.created, "failed": batch.processed - batch.created,
            "done": batch.status == "done"}


def run_chunk(actor: User, batch: ImportBatch, size: int | None = None) -> bool:
    """Create the next chunk of valid rows of ``batch``; False if there was nothing to do.

    The chunk is claimed first with a conditional UPDATE, so two requests running the same
    batch never create a row twice: the second one finds the counter moved and does nothing
    (on PostgreSQL it waits for the first one's commit).
    """
    if batch.status == "done":
        return False
    valid = batch.valid_rows
    start = batch.processed
    end = min(start + (size or CHUNK_SIZE), len(valid))
    # An UPDATE answers a CursorResult, which Session.execute() is not typed to promise.
    claimed = cast(CursorResult[Any], db.session.execute(
        update(ImportBatch)
        .where(ImportBatch.id == batch.id, ImportBatch.processed == start,
               ImportBatch.status != "done")
        .values(processed=end, status="done" if end >= len(valid) else "running")
        .execution_options(synchronize_session=False)
    )).rowcount
    if not claimed:
        return False
    batch.processed = end
    batch.status = "done" if end >= len(valid) else "running"

    chunk = valid[start:end]
    parents = _units_by_code(batch.tenant_id, (row["parent_code"] for row in chunk))
    manageable: dict[int, bool] = {}
    created = 0
    for row in chunk:
        parent = parents.get(row["parent_code"])
        try:
            if parent is None:
                raise DomainError(_("Không có đơn vị cấp trên mã %(code)s.",
                                    code=row["parent_code"]))
            if parent.id not in manageable:
                manageable[parent.id] = authz.can(actor, "manage", parent)
            if not manageable[parent.id]:
                raise DomainError(_("Bạn không có quyền quản trị đơn vị cấp trên %(code)s.",
                                    code=row["parent_code"]))
            unit = create_unit(actor, parent, row["name"], row["level"], row["code"] or None,
                               opened_on=row.get("opened_on") or None)
            if row.get("official_name"):
                set_official_name(actor, unit, row["official_name"])
        except DomainError as exc:
            row["run_error"] = exc.message  # the row dict lives in batch.rows
            flag_modified(batch, "rows")
            continue
        parents[unit.code] = unit
        manageable[unit.id] = True
        created += 1
    batch.created += created

    if batch.status == "done":
        failed = len(valid) - batch.created
        record("unit.import", "import_batch", batch.id, actor=actor, tenant_id=batch.tenant_id,
               summary=_("Nhập %(file)s: tạo %(created)d đơn vị, %(failed)d dòng không nhập "
                         "được, %(errors)d dòng lỗi bị bỏ qua.", file=batch.filename,
                         created=batch.created, failed=failed, errors=len(batch.error_rows)),
               rows=len(batch.rows), created=batch.created, failed=failed,
               errors=len(batch.error_rows))
    return True


def failed_rows(batch: ImportBatch) -> list[UploadRow]:
    return [row for row in batch.valid_rows if row.get("run_error")]
