import io
import os
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm.attributes import set_committed_value

from lhpn.accounts.models import User
from lhpn.audit.models import AuditEntry
from lhpn.errors import DomainError
from lhpn.extensions import db
from lhpn.units import admin_import, branch_list
from lhpn.units import services as unit_services
from lhpn.units.imports_models import ImportBatch
from lhpn.units.models import Unit
from tests import factories
from tests.conftest import csrf_token, login

# The real-browser fixtures (Chromium on a live server) of the browser journeys.

FIXTURES = Path(__file__).parent / "fixtures"
INDEX = "/units/import/"


def count(model, *where) -> int:
    stmt = select(func.count()).select_from(model)
    return db.session.scalar(stmt.where(*where))


def unit_by_code(tenant_id: int, code: str) -> Unit | None:
    return db.session.scalar(select(Unit).where(Unit.tenant_id == tenant_id, Unit.code == code))


def user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def upload(client, filename: str, data: bytes):
    token = csrf_token(client, INDEX)
    return client.post(INDEX + "upload", data={"csrf_token": token,
                                               "file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def batch_id_of(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[-1])


def run_json(client, batch_id: int, token: str):
    return client.post(f"{INDEX}batches/{batch_id}/run",
                       headers={"X-CSRFToken": token, "Accept": "application/json"})


def csv_bytes(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def xlsx_bytes(rows: list[list]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# ---- communes from the packages -----------------------------------------------------------

def test_province_lists_come_from_the_packages(ctx, world):
    from lhpn.tenants.models import Tenant

    hy = db.session.get(Tenant, world.tenants["HY"])
    tb = db.session.get(Tenant, world.tenants["TB"])
    assert len(admin_import.province_choices(hy)) == 34
    assert len(admin_import.province_choices(tb)) == 63
    assert admin_import.guess_province(hy) == "33"
    assert admin_import.guess_province(tb) == "34"
    assert dict(admin_import.province_choices(hy))["33"] == "Tỉnh Hưng Yên"
    assert dict(admin_import.province_choices(tb))["34"] == "Tỉnh Thái Bình"


@pytest.mark.parametrize(("admin_name", "kind", "expected"), [
    ("Phường Phố Hiến", "phường", "Hội LHPN phường Phố Hiến"),
    ("Xã  Bắc Đông Quan", "xã", "Hội LHPN xã Bắc Đông Quan"),
    ("Đặc khu Vân Đồn", "đặc khu", "Hội LHPN đặc khu Vân Đồn"),
    ("Thị trấn Hưng Hà", "Thị trấn", "Hội LHPN thị trấn Hưng Hà"),
    ("Thành phố Thái Bình", "Thành phố", "Hội LHPN thành phố Thái Bình"),
    ("Quận 1", "Quận", "Hội LHPN quận 1"),
])
def test_union_names(admin_name, kind, expected):
    assert admin_import.union_name(admin_name, kind) == expected


def test_import_communes_2025_hung_yen(ctx):
    tenant = factories.tenant("HYX", "Hội LHPN tỉnh Hưng Yên", "province,commune,branch")
    root = unit_services.root_of(tenant.id)
    result = admin_import.import_communes(None, root, "33")
    db.session.commit()
    assert (result.created, result.skipped, result.failed) == (104, 0, [])
    communes = db.session.scalars(
        select(Unit).where(Unit.tenant_id == tenant.id, Unit.level == "commune")).all()
    assert len(communes) == 104
    assert all(u.parent_id == root.id and u.path == f"{root.path}{u.id}/" for u in communes)
    pho_hien = unit_by_code(tenant.id, "X11953")
    assert (pho_hien.name, pho_hien.admin_code) == ("Hội LHPN phường Phố Hiến", "11953")
    assert unit_by_code(tenant.id, "X12745").name == "Hội LHPN xã Bắc Đông Quan"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "unit.import"))
    assert entry.data["created"] == 104 and entry.tenant_id == tenant.id
    assert count(AuditEntry, AuditEntry.action == "unit.create",
                 AuditEntry.tenant_id == tenant.id) == 104

    again = admin_import.import_communes(None, root, "33")
    db.session.commit()
    assert (again.created, again.skipped) == (0, 104)
    assert count(Unit, Unit.tenant_id == tenant.id) == 105


def test_import_legacy_thai_binh_districts_and_communes(ctx):
    tenant = factories.tenant("TBX", "Hội LHPN tỉnh Thái Bình",
                              "province,district,commune,branch")
    root = unit_services.root_of(tenant.id)
    result = admin_import.import_communes(None, root, "34")
    db.session.commit()
    assert (result.created, result.skipped, result.failed) == (250, 0, [])
    districts = db.session.scalars(
        select(Unit).where(Unit.tenant_id == tenant.id, Unit.level == "district")).all()
    assert len(districts) == 8
    assert {d.parent_id for d in districts} == {root.id}
    by_id = {d.id: d for d in districts}
    communes = db.session.scalars(
        select(Unit).where(Unit.tenant_id == tenant.id, Unit.level == "commune")).all()
    assert len(communes) == 242
    assert all(c.parent_id in by_id for c in communes)
    hung_ha = unit_by_code(tenant.id, "H339")
    assert (hung_ha.name, hung_ha.admin_code) == ("Hội LHPN huyện Hưng Hà", "339")
    town = unit_by_code(tenant.id, "X12586")
    assert town.name == "Hội LHPN thị trấn Hưng Hà"
    assert town.ancestor_ids == [root.id, hung_ha.id, town.id]
    assert sum(1 for c in communes if c.parent_id == hung_ha.id) == 33
    assert unit_by_code(tenant.id, "H336").name == "Hội LHPN thành phố Thái Bình"

    again = admin_import.import_communes(None, root, "34")
    assert (again.created, again.skipped) == (0, 250)


def test_legacy_import_reuses_units_of_the_same_name(ctx, world):
    root = db.session.get(Unit, world.units["TB"])
    admin = user("tenant_admin.tb")
    admin_import.import_communes(admin, root, "34")
    db.session.commit()
    assert count(Unit, Unit.tenant_id == root.tenant_id, Unit.level == "district") == 8
    assert count(Unit, Unit.tenant_id == root.tenant_id, Unit.level == "commune") == 242
    # "Hội LHPN xã Tân Lễ" (C11) stays the one commune of that name, with its branch.
    assert count(Unit, Unit.tenant_id == root.tenant_id,
                 Unit.name == "Hội LHPN xã Tân Lễ") == 1


def test_import_communes_checks_rights_and_input(ctx, world):
    root = db.session.get(Unit, world.units["TB"])
    from lhpn.authz import Forbidden

    with pytest.raises(Forbidden):
        admin_import.import_communes(user("tenant_admin.d1"), root, "34")
    with pytest.raises(DomainError):
        admin_import.import_communes(user("tenant_admin.tb"), root, "99")
    with pytest.raises(DomainError):
        admin_import.import_communes(user("tenant_admin.tb"), root, "34' OR '1'='1")
    d1 = db.session.get(Unit, world.units["D1"])
    with pytest.raises(DomainError):
        admin_import.import_communes(None, d1, "34")


def test_commune_import_page(client, world, app):
    login(client, "tenant_admin.hy")
    page = client.get(INDEX)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<option selected value="33">Tỉnh Hưng Yên</option>' in html
    token = csrf_token(client, INDEX)
    response = client.post(INDEX + "communes", data={"csrf_token": token, "province": "33"})
    assert response.status_code == 302
    assert "tạo 103" in client.get(INDEX).get_data(as_text=True).replace("Đã tạo", "tạo")
    with app.app_context():
        # HC1 "Hội LHPN phường Phố Hiến" was already there: 103 new communes.
        assert count(Unit, Unit.tenant_id == world.tenants["HY"], Unit.level == "commune") == 104
    bad = client.post(INDEX + "communes", data={"csrf_token": token, "province": "nope"})
    assert bad.status_code == 422


def test_district_admin_cannot_import_communes(client, world, app):
    login(client, "tenant_admin.d1")
    page = client.get(INDEX)
    assert page.status_code == 200
    assert "communes" not in page.get_data(as_text=True)
    token = csrf_token(client, INDEX)
    response = client.post(INDEX + "communes", data={"csrf_token": token, "province": "34"})
    assert response.status_code == 403
    with app.app_context():
        assert count(Unit, Unit.tenant_id == world.tenants["TB"]) == 7


# ---- branches from CSV / XLSX ------------------------------------------------------------

def test_csv_happy_path_through_the_pages(client, world, app):
    login(client, "tenant_admin.tb")
    response = upload(client, "chi_hoi_mau.csv", (FIXTURES / "chi_hoi_mau.csv").read_bytes())
    batch_id = batch_id_of(response)
    preview = client.get(f"{INDEX}batches/{batch_id}").get_data(as_text=True)
    assert "chi_hoi_mau.csv" in preview
    assert "Chi hội thôn Đông" in preview and "Hội LHPN xã Tân Lễ" in preview
    assert "Nhập 5 đơn vị" in preview
    assert 'src="/static/import.js"' in preview
    with app.app_context():
        assert count(Unit, Unit.code == "B112") == 0  # nothing before the confirmation

    token = csrf_token(client, f"{INDEX}batches/{batch_id}")
    done = client.post(f"{INDEX}batches/{batch_id}/run", data={"csrf_token": token})
    assert done.status_code == 302
    result = client.get(f"{INDEX}batches/{batch_id}").get_data(as_text=True)
    assert "Đã nhập xong" in result and "Đã tạo 5 đơn vị" in result

    with app.app_context():
        tb = world.tenants["TB"]
        assert unit_by_code(tb, "B112").parent_id == world.units["C11"]
        assert unit_by_code(tb, "B121").parent_id == world.units["C12"]
        new_commune = unit_by_code(tb, "C13")
        assert (new_commune.level, new_commune.parent_id) == ("commune", world.units["D1"])
        child = db.session.scalar(select(Unit).where(Unit.name == "Chi hội thôn 1"))
        assert child.parent_id == new_commune.id and child.level == "branch"
        doai = db.session.scalar(select(Unit).where(Unit.name == "Chi hội thôn Đoài"))
        assert doai.parent_id == world.units["C11"] and doai.code.startswith("TB-")
        batch = db.session.get(ImportBatch, batch_id)
        assert (batch.status, batch.processed, batch.created) == ("done", 5, 5)
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "unit.import"))
        assert entry.data["created"] == 5 and entry.object_id == str(batch_id)

    # Running a finished batch again does nothing more.
    client.post(f"{INDEX}batches/{batch_id}/run", data={"csrf_token": token})
    with app.app_context():
        assert count(Unit, Unit.tenant_id == world.tenants["TB"]) == 7 + 5


def test_xlsx_happy_path_and_json_progress(client, world, app, monkeypatch):
    monkeypatch.setattr(branch_list, "CHUNK_SIZE", 2)
    data = xlsx_bytes([
        ["parent_code", "name", "code", "level"],
        ["C11", "Chi hội thôn Một", 101, "branch"],
        ["C11", "Chi hội thôn Hai", None, None],
        [None, None, None, None],
        ["c12", "Chi hội thôn Ba", "b-3", "Chi hội"],
        ["C21", "Chi hội thôn Bốn", None, "branch"],
        ["C21", "Chi hội thôn Năm", None, "branch"],
    ])
    login(client, "tenant_admin.tb")
    batch_id = batch_id_of(upload(client, "danh sach.xlsx", data))
    token = csrf_token(client, f"{INDEX}batches/{batch_id}")
    states = [run_json(client, batch_id, token).get_json() for _ in range(4)]
    assert [s["processed"] for s in states] == [2, 4, 5, 5]
    assert [s["done"] for s in states] == [False, False, True, True]
    assert {s["total"] for s in states} == {5}
    assert states[-1]["created"] == 5 and states[-1]["failed"] == 0
    with app.app_context():
        tb = world.tenants["TB"]
        assert unit_by_code(tb, "101").parent_id == world.units["C11"]
        assert unit_by_code(tb, "B-3").parent_id == world.units["C12"]
        assert count(Unit, Unit.tenant_id == tb, Unit.parent_id == world.units["C21"]) == 2
        rows = db.session.get(ImportBatch, batch_id).rows
        assert [r["line"] for r in rows] == [2, 3, 5, 6, 7]


def test_without_script_a_huge_list_stops_after_the_time_budget(client, world, app,
                                                               monkeypatch):
    from types import SimpleNamespace

    from lhpn.units import import_views

    monkeypatch.setattr(branch_list, "CHUNK_SIZE", 2)
    clock = iter([0.0, 0.0, 1000.0])  # deadline, first check, second check
    monkeypatch.setattr(import_views, "time", SimpleNamespace(monotonic=lambda: next(clock)))
    login(client, "tenant_admin.tb")
    rows = [f"C11,Chi hội {n}" for n in range(5)]
    batch_id = batch_id_of(upload(client, "b.csv", csv_bytes("ma_don_vi_cap_tren,ten", *rows)))
    token = csrf_token(client, f"{INDEX}batches/{batch_id}")
    first = client.post(f"{INDEX}batches/{batch_id}/run", data={"csrf_token": token},
                        follow_redirects=True)
    html = first.get_data(as_text=True)
    assert "Đã xử lý 2/5 dòng" in html and "Tiếp tục nhập" in html
    monkeypatch.setattr(import_views, "time", __import__("time"))
    client.post(f"{INDEX}batches/{batch_id}/run", data={"csrf_token": token})
    with app.app_context():
        batch = db.session.get(ImportBatch, batch_id)
        assert (batch.status, batch.processed, batch.created) == ("done", 5, 5)


def test_rows_with_errors_are_reported_and_skipped(client, world, app):
    with app.app_context():
        d1 = db.session.get(Unit, world.units["D1"])
        closed = factories.unit(d1, "Hội LHPN xã Đã Giải Thể", "commune", "C19")
        unit_services.close_unit(None, closed)
        db.session.commit()
    lines = [
        "ma_don_vi_cap_tren,ten,ma,cap",
        "C11,Chi hội thôn Đông,B112,",          # 2 valid
        "ZZZ,Chi hội thôn Lạ,,",                # 3 unknown parent
        "C11,Chi hội thôn Nam,b112,",           # 4 duplicate code in the file
        "C11,Chi hội thôn Bắc,B111,",           # 5 code taken in the tenant
        "C12,,,",                               # 6 empty name
        "HC1,Chi hội của tỉnh khác,,",          # 7 another tenant's unit: unknown
        "C21,Chi hội huyện khác,,",             # 8 not manageable by a D1 admin
        "C12,Chi hội thôn Trung,,",             # 9 valid
        "C11," + "A" * 201 + ",,",              # 10 name too long
        "B111,Chi hội con,,branch",             # 11 branch under a branch
        "C11,Chi hội thôn Tân Hòa,,",           # 12 same name as B111 under C11
        "C12,chi hội  thôn trung,,",            # 13 same name as line 9
        "C11,Chi hội thôn Hạ,,huyện xã",        # 14 unknown level
        "C19,Chi hội thôn Cũ,,",                # 15 closed parent
        "C11,Chi hội thôn Đoài,,chi hội",       # 16 valid
        "C11,Chi hội mã sai,MA SAI,",           # 17 code with a space
    ]
    login(client, "tenant_admin.d1")
    batch_id = batch_id_of(upload(client, "loi.csv", csv_bytes(*lines)))
    html = client.get(f"{INDEX}batches/{batch_id}").get_data(as_text=True)
    with app.app_context():
        batch = db.session.get(ImportBatch, batch_id)
        errors = {row["line"]: " ".join(row["errors"]) for row in batch.rows}
    assert [line for line, text in errors.items() if not text] == [2, 9, 16]
    expected = {
        3: "Không có đơn vị cấp trên mã ZZZ",
        4: "trùng với mã ở dòng 2",
        5: "Mã B111 đã được dùng",
        6: "Thiếu tên đơn vị",
        7: "Không có đơn vị cấp trên mã HC1",
        8: "không có quyền quản trị đơn vị cấp trên C21",
        10: "dài quá 200 ký tự",
        11: "không thể trực thuộc đơn vị cấp Chi hội",
        12: "đã có đơn vị trực thuộc tên",
        13: "Trùng tên với dòng 9",
        14: "Cấp không hợp lệ",
        15: "C19 đã giải thể",
        17: "Mã đơn vị không hợp lệ",
    }
    for line, message in expected.items():
        assert message in errors[line], (line, errors[line])
        assert f'data-label="Dòng">{line}</td>' in html
        assert message.replace("“", "&ldquo;") in html or message in html
    assert "13</strong> dòng có lỗi" in html and "3</strong> dòng hợp lệ" in html

    token = csrf_token(client, f"{INDEX}batches/{batch_id}")
    client.post(f"{INDEX}batches/{batch_id}/run", data={"csrf_token": token})
    with app.app_context():
        tb = world.tenants["TB"]
        names = set(db.session.scalars(select(Unit.name).where(
            Unit.tenant_id == tb, Unit.level == "branch")))
        assert names == {"Chi hội thôn Tân Hòa", "Chi hội thôn Đông", "Chi hội thôn Trung",
                         "Chi hội thôn Đoài"}
        assert count(Unit, Unit.parent_id == world.units["C21"]) == 0


@pytest.mark.parametrize(("filename", "data", "message"), [
    ("rac.xlsx", os.urandom(2048), "không phải là tệp Excel .xlsx hợp lệ"),
    ("zip.xlsx", b"PK\x03\x04" + b"\x00" * 200, "không phải là tệp Excel .xlsx hợp lệ"),
    ("anh.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
     "không phải là tệp CSV dạng văn bản"),
    ("latin1.csv", "ma_don_vi_cap_tren,ten\nC11,thôn Đông\n".encode("cp1258"), "UTF-8"),
    ("rong.csv", b"", "Tệp rỗng"),
    ("trang.csv", b"\n \n\r\n", "Tệp rỗng"),
    ("tieude.csv", b"ma_don_vi_cap_tren,ten\n", "chỉ có dòng tiêu đề"),
    ("thieu.csv", b"ma,cap\nC11,branch\n", "Thiếu cột bắt buộc: ma_don_vi_cap_tren"),
    ("thieu-ten.csv", b"parent_code;code\nC11;X\n", "ten (name)"),
    ("danh-sach.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "Chỉ nhận tệp"),
    ("danh-sach.txt", b"ma_don_vi_cap_tren,ten\nC11,A\n", "Chỉ nhận tệp"),
    ("khong-duoi", b"ma_don_vi_cap_tren,ten\nC11,A\n", "Chỉ nhận tệp"),
])
def test_bad_files_are_refused_with_a_message(client, world, app, filename, data, message):
    login(client, "tenant_admin.tb")
    response = upload(client, filename, data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert count(ImportBatch) == 0


def test_real_xlsx_named_csv_is_refused(client, world, app):
    login(client, "tenant_admin.tb")
    response = upload(client, "that-ra-la-excel.csv",
                      xlsx_bytes([["parent_code", "name"], ["C11", "A"]]))
    assert response.status_code == 422
    assert "không phải là tệp CSV dạng văn bản" in response.get_data(as_text=True)


def test_xlsx_that_inflates_too_much_is_refused(client, world, app, monkeypatch):
    monkeypatch.setattr(branch_list, "MAX_XLSX_UNZIPPED", 1000)  # a real limit is 100 MB
    login(client, "tenant_admin.tb")
    response = upload(client, "bom.xlsx", xlsx_bytes([["parent_code", "name"], ["C11", "A"]]))
    assert response.status_code == 422
    assert "quá lớn sau khi giải nén" in response.get_data(as_text=True)
    with app.app_context():
        assert count(ImportBatch) == 0


def test_no_file_chosen(client, world):
    login(client, "tenant_admin.tb")
    token = csrf_token(client, INDEX)
    response = client.post(INDEX + "upload", data={"csrf_token": token},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Hãy chọn tệp .csv hoặc .xlsx." in response.get_data(as_text=True)


def test_too_many_rows(client, world, app):
    rows = ["ma_don_vi_cap_tren,ten"] + [f"C11,Chi hội {n}" for n in range(20_001)]
    login(client, "tenant_admin.tb")
    response = upload(client, "lon.csv", csv_bytes(*rows))
    assert response.status_code == 422
    assert "Tệp có hơn 20.000 dòng" in response.get_data(as_text=True)
    with app.app_context():
        assert count(ImportBatch) == 0


def test_oversized_upload_is_413_and_stores_nothing(client, world, app):
    login(client, "tenant_admin.tb")
    token = csrf_token(client, INDEX)
    big = b"ma_don_vi_cap_tren,ten\n" + b"C11,x\n" * (app.config["MAX_CONTENT_LENGTH"] // 6 + 10)
    # A hand-made multipart body: the test client would spool a big one to an unclosed file.
    boundary = "lhpn-test-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n"
            f"{token}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"lon.csv\"\r\nContent-Type: text/csv\r\n\r\n").encode()
    body += big + f"\r\n--{boundary}--\r\n".encode()
    response = client.post(INDEX + "upload", data=body,
                           content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 413
    assert "quá lớn" in response.get_data(as_text=True)
    with app.app_context():
        assert count(ImportBatch) == 0


def test_filenames_are_only_displayed_escaped(client, world, app):
    upload_dir = Path(app.config["LHPN_UPLOAD_DIR"])
    before = sorted(upload_dir.rglob("*")) if upload_dir.exists() else []
    login(client, "tenant_admin.tb")
    data = csv_bytes("ma_don_vi_cap_tren,ten", "C11,Chi hội thôn Đông")
    first = batch_id_of(upload(client, "../../../../etc/passwd.csv", data))
    second = batch_id_of(upload(client, "..\\..\\<img src=x onerror=alert(1)>.csv", data))
    html = client.get(f"{INDEX}batches/{second}").get_data(as_text=True)
    assert "&lt;img src=x onerror=alert(1)&gt;.csv" in html
    assert "<img src=x" not in html
    with app.app_context():
        assert db.session.get(ImportBatch, first).filename == "passwd.csv"
    after = sorted(upload_dir.rglob("*")) if upload_dir.exists() else []
    assert before == after
    assert "&lt;img" in client.get(INDEX).get_data(as_text=True)


def test_template_round_trips(client, world, app):
    login(client, "tenant_admin.d1")
    response = client.get(INDEX + "template.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    batch_id = batch_id_of(upload(client, "mau.csv", response.data))
    with app.app_context():
        batch = db.session.get(ImportBatch, batch_id)
        assert len(batch.valid_rows) == 2
        assert {r["parent_code"] for r in batch.rows} == {"C11"}


# ---- access --------------------------------------------------------------------------------

@pytest.fixture
def tb_batch(app, world) -> int:
    """A batch of the TB tenant created by the TB root admin."""
    with app.app_context():
        admin = user("tenant_admin.tb")
        batch = branch_list.create_batch(admin, "b.csv",
                                       csv_bytes("ma_don_vi_cap_tren,ten", "C11,Chi hội A"))
        db.session.commit()
        return batch.id


def _routes(batch_id: int):
    return [
        ("get", INDEX, None),
        ("get", INDEX + "template.csv", None),
        ("post", INDEX + "communes", {"province": "34"}),
        ("post", INDEX + "upload", {"file": (io.BytesIO(b"parent_code,name\nC11,A\n"), "a.csv")}),
        ("get", f"{INDEX}batches/{batch_id}", None),
        ("post", f"{INDEX}batches/{batch_id}/run", {}),
    ]


@pytest.mark.parametrize("username", ["staff.d1", "viewer.tb", "approver.tb", "staff.tb",
                                      "norole.d1"])
def test_non_admins_get_403_everywhere(client, app, world, tb_batch, username):
    login(client, username)
    token = csrf_token(client, "/")
    for method, path, data in _routes(tb_batch):
        if method == "get":
            response = client.get(path)
        else:
            response = client.post(path, data={**data, "csrf_token": token},
                                   content_type="multipart/form-data")
        assert response.status_code == 403, (username, path)
    json_run = run_json(client, tb_batch, token)
    assert json_run.status_code == 403
    with app.app_context():
        assert count(ImportBatch) == 1 and db.session.get(ImportBatch, tb_batch).processed == 0


def test_anonymous_is_sent_to_login(client, world, tb_batch):
    for path in (INDEX, f"{INDEX}batches/{tb_batch}"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_other_tenant_batch_is_404(client, app, world, tb_batch):
    login(client, "tenant_admin.hy")
    token = csrf_token(client, INDEX)
    assert client.get(f"{INDEX}batches/{tb_batch}").status_code == 404
    assert client.post(f"{INDEX}batches/{tb_batch}/run",
                       data={"csrf_token": token}).status_code == 404
    assert run_json(client, tb_batch, token).status_code == 404
    assert client.get(f"{INDEX}batches/99999").status_code == 404
    assert "b.csv" not in client.get(INDEX).get_data(as_text=True)
    with app.app_context():
        assert db.session.get(ImportBatch, tb_batch).processed == 0


def test_only_creator_or_root_admin_may_use_a_batch(client, app, world, tb_batch):
    login(client, "tenant_admin.d1")  # manages D1, did not create the batch
    assert client.get(f"{INDEX}batches/{tb_batch}").status_code == 403
    assert "b.csv" not in client.get(INDEX).get_data(as_text=True)
    data = csv_bytes("ma_don_vi_cap_tren,ten", "C12,Chi hội B")
    own = batch_id_of(upload(client, "cua-huyen.csv", data))
    assert client.get(f"{INDEX}batches/{own}").status_code == 200

    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, "tenant_admin.tb")  # the root admin sees and may run every batch
    assert "cua-huyen.csv" in client.get(INDEX).get_data(as_text=True)
    token = csrf_token(client, f"{INDEX}batches/{own}")
    state = run_json(client, own, token).get_json()
    assert state == {"processed": 1, "total": 1, "created": 1, "failed": 0, "done": True}


def test_a_stale_runner_creates_nothing(ctx, world):
    admin = user("tenant_admin.tb")
    batch = branch_list.create_batch(admin, "b.csv", csv_bytes(
        "ma_don_vi_cap_tren,ten", "C11,Chi hội A", "C11,Chi hội B", "C11,Chi hội C"))
    db.session.commit()
    assert branch_list.run_chunk(admin, batch, size=2)
    db.session.commit()
    # A second request that read the batch before the first chunk committed.
    set_committed_value(batch, "processed", 0)
    set_committed_value(batch, "status", "preview")
    assert not branch_list.run_chunk(admin, batch, size=2)
    db.session.rollback()
    assert count(Unit, Unit.parent_id == world.units["C11"]) == 3  # B111 + A + B
    assert branch_list.run_chunk(admin, batch, size=2)
    db.session.commit()
    assert (batch.status, batch.processed, batch.created) == ("done", 3, 3)
    assert not branch_list.run_chunk(admin, batch, size=2)


def test_rows_that_break_after_the_preview_are_reported(client, app, world):
    login(client, "tenant_admin.tb")
    batch_id = batch_id_of(upload(client, "b.csv", csv_bytes(
        "ma_don_vi_cap_tren,ten,ma", "C12,Chi hội A,", "C12,Chi hội B,BX")))
    with app.app_context():  # between preview and run: the parent closes, the code is taken
        c11 = db.session.get(Unit, world.units["C11"])
        factories.unit(c11, "Chi hội khác", "branch", "BX")
        unit_services.close_unit(None, db.session.get(Unit, world.units["C12"]))
        db.session.commit()
    token = csrf_token(client, f"{INDEX}batches/{batch_id}")
    state = run_json(client, batch_id, token).get_json()
    assert state == {"processed": 2, "total": 2, "created": 0, "failed": 2, "done": True}
    html = client.get(f"{INDEX}batches/{batch_id}").get_data(as_text=True)
    assert "đã giải thể" in html


# ---- in a real browser: the progress script under the Content-Security-Policy ---------------

@pytest.mark.browser
def test_browser_upload_preview_and_progress(request, world, monkeypatch):
    from playwright.sync_api import expect

    from tests.browser import PHONE, assert_fits_width, log_in, shot

    monkeypatch.setattr(branch_list, "CHUNK_SIZE", 2)
    page, problems = request.getfixturevalue("open_page")(PHONE)
    log_in(page, "tenant_admin.tb", "imports")
    page.goto(INDEX)
    page.get_by_label("Tệp danh sách (.csv hoặc .xlsx)").set_input_files(
        str(FIXTURES / "chi_hoi_mau.csv"))
    page.get_by_role("button", name="Tải lên và kiểm tra").click()
    expect(page.get_by_role("heading", name="Tệp chi_hoi_mau.csv")).to_be_visible()
    shot(page, "phone-import-preview")
    chunk_requests = []
    page.on("request", lambda r: chunk_requests.append(r.url) if r.url.endswith("/run") else None)
    page.get_by_role("button", name="Nhập 5 đơn vị").click()
    expect(page.get_by_role("heading", name="Đã nhập xong")).to_be_visible()
    expect(page.locator("p.ok")).to_have_text("Đã tạo 5 đơn vị từ 5 dòng hợp lệ.")
    shot(page, "phone-import-done")
    assert len(chunk_requests) == 3  # 2 + 2 + 1 rows, one request each
    assert_fits_width(page)
    problems.assert_none()
