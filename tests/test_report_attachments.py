"""Report attachments: checks on upload, storage outside the web root, authorized download."""

import io
import re
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from lhpn.accounts.models import User
from lhpn.audit.models import AuditEntry
from lhpn.extensions import db
from lhpn.reports import attachments
from lhpn.reports import services as reports
from lhpn.reports.models import Attachment, Report
from lhpn.tenants.models import Tenant
from lhpn.units.models import Unit
from tests import factories
from tests.conftest import csrf_token, login

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
RANDOM_NAME = re.compile(r"^[0-9a-f]{32}$")


def _docx(with_content_types: bool = True) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        if with_content_types:
            package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.fixture
def report_id(app, world) -> int:
    """A draft monthly report of commune C11, entered by its own staff (staff.c11)."""
    with app.app_context():
        tb = db.session.get(Tenant, world.tenants["TB"])
        c11 = db.session.get(Unit, world.units["C11"])
        staff = factories.user(tb, "staff.c11", "staff", c11)
        template = reports.get_template(tb.id, "BC_THANG")
        report = reports.open_report(staff, c11, template, "2026-03")
        db.session.commit()
        return report.id


def _upload(client, report_id: int, data: bytes, name: str):
    # Encoded in memory: the test client would spool a large body to a file it never closes.
    boundary, body = encode_multipart({"csrf_token": csrf_token(client, "/account"),
                                       "file": FileStorage(io.BytesIO(data), filename=name)})
    return client.post(f"/reports/{report_id}/attachments", data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


def _download(client, report_id: int, attachment_id: int):
    """GET a file and close the streamed response (so its file handle is released)."""
    with client.get(f"/reports/{report_id}/attachments/{attachment_id}") as response:
        response.get_data()
    return response


def _stored(app) -> set[str]:
    folder = Path(app.config["LHPN_UPLOAD_DIR"])
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def _rows(app, report_id: int) -> list[Attachment]:
    with app.app_context():
        return db.session.scalars(select(Attachment).where(Attachment.report_id == report_id)
                                  ).all()


def test_upload_download_round_trip(app, client, world, report_id):
    login(client, "staff.c11")
    before = _stored(app)
    response = _upload(client, report_id, PDF, "Biên bản họp.pdf")
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    (row,) = _rows(app, report_id)
    assert (row.filename, row.size, row.content_type) == ("Biên bản họp.pdf", len(PDF),
                                                           "application/pdf")
    assert _stored(app) - before == {row.stored_name}

    # The district's approver reads it too (view on the commune).
    for username in ("staff.c11", "approver.d1"):
        reader = app.test_client()
        login(reader, username)
        got = _download(reader, report_id, row.id)
        assert got.status_code == 200
        assert got.data == PDF
        assert got.headers["X-Content-Type-Options"] == "nosniff"
        disposition = got.headers["Content-Disposition"]
        assert disposition.startswith('attachment; filename="Bien_ban_hop.pdf"')
        assert "filename*=UTF-8''Bi%C3%AAn%20b%E1%BA%A3n%20h%E1%BB%8Dp.pdf" in disposition
    with app.app_context():
        reads = db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "report.attachment.download")).all()
        assert len(reads) == 2 and reads[0].object_id == str(report_id)


def test_other_office_files_and_images_are_accepted(app, client, world, report_id):
    login(client, "staff.c11")
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64
    for data, name in ((_docx(), "ke-hoach.docx"), (_docx(), "so-lieu.xlsx"), (ole, "cu.doc"),
                       (ole, "cu.xls"), (PNG, "anh.png"), (b"\xff\xd8\xff\xe0" + b"\0" * 8,
                                                           "anh.JPG")):
        assert _upload(client, report_id, data, name).status_code == 302, name
    assert len(_rows(app, report_id)) == 6


def test_a_path_traversal_name_is_harmless(app, client, world, report_id):
    login(client, "staff.c11")
    folder = Path(app.config["LHPN_UPLOAD_DIR"])
    for name in ("../../etc/passwd.pdf", "/abs/x\x00y\u202e.pdf"):
        assert _upload(client, report_id, PDF, name).status_code == 302, name
    names = sorted(row.filename for row in _rows(app, report_id))
    assert names == ["passwd.pdf", "xy.pdf"]
    for row in _rows(app, report_id):
        assert RANDOM_NAME.match(row.stored_name)
        assert (folder / row.stored_name).read_bytes() == PDF
    assert not (folder.parent / "etc").exists() and not (folder.parent.parent / "etc").exists()
    # A name without a usable extension (what "../../etc/passwd" leaves) is refused.
    assert _upload(client, report_id, PDF, "../../etc/passwd").status_code == 422


@pytest.mark.parametrize(("given", "shown"), [
    ("../../etc/passwd", "passwd"),
    ("..\\..\\windows\\win.ini.pdf", "win.ini.pdf"),
    ("C:\\Users\\a\\Bi\u00ea\u0300n ba\u0309n.pdf", "Biền bản.pdf"),
    ("tab\there\r\n.pdf", "tabhere.pdf"),
    ("...", "tep-dinh-kem"),
    ("a" * 300 + ".docx", "a" * 195 + ".docx"),
])
def test_display_names_are_cleaned(given, shown):
    assert attachments.display_name(given) == shown


def test_oversized_file_is_refused_and_leaves_nothing(app, client, world, report_id,
                                                     monkeypatch):
    monkeypatch.setitem(app.config, "LHPN_MAX_ATTACHMENT_MB", 1)
    login(client, "staff.c11")
    before = _stored(app)
    response = _upload(client, report_id, PDF + b"0" * (1024 * 1024), "lon.pdf")
    assert response.status_code == 413
    assert "Tệp quá lớn: tối đa 1 MB" in response.get_data(as_text=True)
    assert _rows(app, report_id) == [] and _stored(app) == before
    assert _upload(client, report_id, PDF + b"0" * (1000 * 1024), "vua.pdf").status_code == 302


@pytest.mark.parametrize(("data", "name", "message"), [
    (b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64, "bao-cao.pdf", "Nội dung tệp không đúng"),
    (b"just some text\n", "bao-cao.pdf", "Nội dung tệp không đúng"),
    (PDF, "bao-cao.png", "Nội dung tệp không đúng"),
    (_docx(with_content_types=False), "ke-hoach.docx", "Nội dung tệp không đúng"),
    (b"PK\x03\x04 not a zip at all", "so-lieu.xlsx", "Nội dung tệp không đúng"),
    (b"MZ\x90\x00", "setup.exe", "Loại tệp không được phép"),
    (b"<script>alert(1)</script>", "trang.html", "Loại tệp không được phép"),
    (b"", "rong.pdf", "Tệp rỗng"),
])
def test_wrong_types_and_empty_files_are_refused(app, client, world, report_id, data, name,
                                                 message):
    login(client, "staff.c11")
    before = _stored(app)
    response = _upload(client, report_id, data, name)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _rows(app, report_id) == [] and _stored(app) == before


def test_no_file_and_too_many_files(app, client, world, report_id, monkeypatch):
    login(client, "staff.c11")
    response = client.post(f"/reports/{report_id}/attachments",
                           data={"csrf_token": csrf_token(client, "/account")})
    assert response.status_code == 422
    monkeypatch.setattr(attachments, "MAX_PER_REPORT", 2)
    assert _upload(client, report_id, PDF, "1.pdf").status_code == 302
    assert _upload(client, report_id, PDF, "2.pdf").status_code == 302
    response = _upload(client, report_id, PDF, "3.pdf")
    assert response.status_code == 422 and "tối đa 2 tệp" in response.get_data(as_text=True)


def test_delete_removes_row_and_file(app, client, world, report_id):
    login(client, "staff.c11")
    _upload(client, report_id, PDF, "xoa.pdf")
    (row,) = _rows(app, report_id)
    path = Path(app.config["LHPN_UPLOAD_DIR"]) / row.stored_name
    assert path.exists()
    response = client.post(f"/reports/{report_id}/attachments/{row.id}/delete",
                           data={"csrf_token": csrf_token(client, "/account")})
    assert response.status_code == 302
    assert _rows(app, report_id) == [] and not path.exists()
    assert client.get(f"/reports/{report_id}/attachments/{row.id}").status_code == 404


def test_a_rolled_back_upload_leaves_no_file(app, world, report_id):
    with app.app_context():
        staff = db.session.scalar(select(User).where(User.username == "staff.c11"))
        report = db.session.get(Report, report_id)
        attachment = attachments.add_attachment(staff, report, io.BytesIO(PDF), "a.pdf")
        path = attachments.stored_path(attachment)
        assert path.exists()
        db.session.rollback()
        assert not path.exists()
        # A deletion that rolls back keeps the file.
        attachment = attachments.add_attachment(staff, report, io.BytesIO(PDF), "b.pdf")
        db.session.commit()
        path = attachments.stored_path(attachment)
        attachments.delete_attachment(staff, report, attachment)
        db.session.rollback()
        assert path.exists()


def test_another_tenant_gets_404(app, client, world, report_id):
    login(client, "staff.c11")
    _upload(client, report_id, PDF, "a.pdf")
    (row,) = _rows(app, report_id)
    for username in ("tenant_admin.hy", "viewer.hy"):
        other = app.test_client()
        login(other, username)
        assert other.get(f"/reports/{report_id}/attachments/{row.id}").status_code == 404
        assert _upload(other, report_id, PDF, "b.pdf").status_code == 404
        token = csrf_token(other, "/account")
        assert other.post(f"/reports/{report_id}/attachments/{row.id}/delete",
                          data={"csrf_token": token}).status_code == 404
    assert len(_rows(app, report_id)) == 1


def test_a_viewer_of_another_district_gets_403(app, client, world, report_id):
    login(client, "staff.c11")
    _upload(client, report_id, PDF, "a.pdf")
    (row,) = _rows(app, report_id)
    other = app.test_client()
    login(other, "member.d2")  # a viewer at district D2; C11 is under D1
    assert other.get(f"/reports/{report_id}/attachments/{row.id}").status_code == 403
    # Viewing is not entering: the D1 viewer may read but not add or delete.
    viewer = app.test_client()
    login(viewer, "viewer.d1")
    assert _download(viewer, report_id, row.id).status_code == 200
    assert _upload(viewer, report_id, PDF, "b.pdf").status_code == 403
    assert viewer.post(f"/reports/{report_id}/attachments/{row.id}/delete",
                       data={"csrf_token": csrf_token(viewer, "/account")}).status_code == 403


def test_staff_cannot_change_files_after_approval(app, client, world, report_id):
    login(client, "staff.c11")
    _upload(client, report_id, PDF, "a.pdf")
    (row,) = _rows(app, report_id)
    with app.app_context():
        staff = db.session.scalar(select(User).where(User.username == "staff.c11"))
        report = db.session.get(Report, report_id)
        reports.save_report(staff, report, {"TUYEN_TRUYEN": 3}, report.version)
        reports.submit_report(staff, report)
        reports.approve_report(db.session.get(User, world.users["approver.d1"]), report)
        db.session.commit()
    assert _upload(client, report_id, PDF, "b.pdf").status_code == 409
    token = csrf_token(client, "/account")
    response = client.post(f"/reports/{report_id}/attachments/{row.id}/delete",
                           data={"csrf_token": token})
    assert response.status_code == 409
    assert len(_rows(app, report_id)) == 1
    assert _download(client, report_id, row.id).data == PDF


def test_files_live_only_in_the_upload_dir_outside_the_web_root(app, client, world, report_id):
    login(client, "staff.c11")
    _upload(client, report_id, PDF, "a.pdf")
    (row,) = _rows(app, report_id)
    folder = Path(app.config["LHPN_UPLOAD_DIR"]).resolve()
    assert Path(app.static_folder).resolve() not in (folder, *folder.parents)
    assert {p.name for p in folder.iterdir()} >= {row.stored_name}
    assert all(RANDOM_NAME.match(p.name) for p in folder.iterdir())
    assert client.get(f"/static/{row.stored_name}").status_code == 404


# ---- the authorization matrix for these routes ---------------------------------------------

# (method, path, action): download follows `view`; upload and delete follow `submit`
# (entering the unit's report).
ATTACHMENT_ROUTES = [
    ("GET", "/reports/{report}/attachments/{attachment}", "view"),
    ("POST", "/reports/{report}/attachments", "submit"),
    ("POST", "/reports/{report}/attachments/{attachment}/delete", "submit"),
]


def _report_with_file(app, unit_id: int) -> tuple[int, int]:
    """A draft report with one stored file at any unit (the root's too, for the matrix)."""
    with app.app_context():
        unit = db.session.get(Unit, unit_id)
        template = reports.get_template(unit.tenant_id, "BC_THANG")
        report = Report(tenant_id=unit.tenant_id, unit_id=unit.id, template_id=template.id,
                        period="2026-03")
        db.session.add(report)
        db.session.flush()
        stored = "0" * 24 + f"{report.id:08x}"
        (attachments.upload_dir() / stored).write_bytes(PDF)
        attachment = Attachment(tenant_id=unit.tenant_id, report_id=report.id,
                                filename="a.pdf", stored_name=stored,
                                content_type="application/pdf", size=len(PDF), sha256="0" * 64)
        db.session.add(attachment)
        db.session.commit()
        return report.id, attachment.id


@pytest.mark.parametrize("role", ["tenant_admin", "approver", "staff", "viewer", "norole"])
def test_attachment_routes_follow_the_matrix(app, client, world, role):
    from tests.test_authz_matrix import RELATIONS, TARGET_UNIT, _verdict, expected

    targets = {rel: _report_with_file(app, world.units[TARGET_UNIT[rel]]) for rel in RELATIONS}
    login(client, f"{role}.d1")
    token = csrf_token(client, "/account")
    for method, template, action in ATTACHMENT_ROUTES:
        for relation in RELATIONS:
            report, attachment = targets[relation]
            path = template.replace("{report}", str(report)).replace("{attachment}",
                                                                     str(attachment))
            response = client.get(path) if method == "GET" else client.post(
                path, data={"csrf_token": token})
            response.close()
            assert _verdict(response) == expected(action, role, relation), (role, path, relation)


def test_the_partial_lists_files_and_offers_upload_and_delete_only_when_editable(
        app, client, world, report_id):
    from flask import render_template

    login(client, "staff.c11")
    _upload(client, report_id, PDF, "Kế hoạch.pdf")
    (row,) = _rows(app, report_id)
    with app.test_request_context():
        report = db.session.get(Report, report_id)
        html = render_template("reports/_attachments.html", report=report, can_edit=True)
        assert "Kế hoạch.pdf" in html and f"/reports/{report_id}/attachments/{row.id}" in html
        assert 'enctype="multipart/form-data"' in html and 'name="csrf_token"' in html
        assert f"/attachments/{row.id}/delete" in html
        html = render_template("reports/_attachments.html", report=report, can_edit=False)
        assert "Kế hoạch.pdf" in html
        assert "multipart" not in html and "/delete" not in html
