"""Files attached to records (lhpn/files): the page routes, the API endpoints and the
services, on a kind that exists only here ("test_report", over real reports), with the same
checks as the reports' own attachments (lhpn/files/storage.py)."""

import io
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import Blueprint, render_template_string, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from lhpn import authz, create_app
from lhpn.accounts.models import User
from lhpn.api import plumbing
from lhpn.api.contract import spec
from lhpn.api.files import file_endpoints
from lhpn.audit.models import AuditEntry
from lhpn.errors import DomainError, NotFound
from lhpn.extensions import csrf, db
from lhpn.files import services as files
from lhpn.files.models import RecordFile
from lhpn.files.pages import file_routes
from lhpn.reports import services as reports
from lhpn.reports.models import Report
from lhpn.tenants.models import Tenant
from lhpn.units.models import Unit
from tests import factories
from tests.conftest import api_token, csrf_token, login

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
KIND = "test_report"
PAGE = """{% from "_files.html" import files %}
{% for category, message in get_flashed_messages(with_categories=true) %}
<p class="flash {{ category }}">{{ message }}</p>{% endfor %}
{{ files(panel) }}"""


def _load(report_id: int) -> Report:
    """The test kind: a report, read by who may view its unit."""
    report = reports.get_report(current_user.tenant_id, report_id)
    authz.require(current_user, "view", report.unit)
    return report


def _may_edit(user, report: Report) -> bool:
    return report.editable and authz.may_enter_for(user, report.unit)


@pytest.fixture
def files_app(app):
    """The application with a page blueprint and an API blueprint of this module's own."""
    keep = ("TESTING", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "LHPN_ARGON2_TIME_COST",
            "LHPN_ARGON2_MEMORY_KIB", "LHPN_UPLOAD_DIR", "LHPN_FAIL_ON_UNCOMMITTED")
    made = create_app({name: app.config[name] for name in keep})
    pages_bp = Blueprint("test_reports", __name__, url_prefix="/test-reports")
    routes = file_routes(pages_bp, KIND, id_name="report_id", load=_load, may_edit=_may_edit,
                         done=lambda report: url_for("test_reports.view", report_id=report.id))

    @pages_bp.get("/<int:report_id>")
    def view(report_id: int):
        return render_template_string(PAGE, panel=routes.panel(current_user, _load(report_id)))

    # The API's own guard and error answers, as lhpn.api's blueprint has them.
    api_bp = Blueprint("test_reports_api", __name__, url_prefix="/api/v1/test")
    api_bp.before_request(plumbing._require_token)
    api_bp.register_error_handler(DomainError, plumbing._domain_error)
    csrf.exempt(api_bp)
    file_endpoints("reports", KIND, id_name="report_id", load=_load, may_edit=_may_edit,
                   noun="báo cáo thử", bp=api_bp)
    made.register_blueprint(pages_bp)
    made.register_blueprint(api_bp)
    yield made
    with made.app_context():
        db.session.remove()
        db.engine.dispose()


def _open_report(world, period: str) -> int:
    tb = db.session.get(Tenant, world.tenants["TB"])
    c11 = db.session.get(Unit, world.units["C11"])
    staff = db.session.scalar(select(User).where(User.username == "staff.c11")) \
        or factories.user(tb, "staff.c11", "staff", c11)
    report = reports.open_report(staff, c11, reports.get_template(tb.id, "BC_THANG"), period)
    db.session.commit()
    return report.id


@pytest.fixture
def two_reports(files_app, world) -> tuple[int, int]:
    """Two draft reports of commune C11, entered by its own staff (staff.c11)."""
    with files_app.app_context():
        return _open_report(world, "2026-03"), _open_report(world, "2026-04")


@pytest.fixture
def theirs(files_app, world) -> int:
    """A file of the other tenant's "test_report" number 1."""
    with files_app.app_context():
        hy_staff = db.session.get(User, world.users["staff.hy"])
        hc1 = db.session.get(Unit, world.units["HC1"])
        record = SimpleNamespace(id=1, tenant_id=hc1.tenant_id)
        made = files.attach(hy_staff, KIND, record, hc1,
                            FileStorage(io.BytesIO(PDF), filename="cua-ho.pdf"))
        db.session.commit()
        return made.id


def _stored(app) -> set[str]:
    folder = Path(app.config["LHPN_UPLOAD_DIR"])
    return {p.name for p in folder.iterdir() if not p.name.startswith(".")} \
        if folder.exists() else set()


def _rows(app) -> list[RecordFile]:
    with app.app_context():
        return db.session.scalars(select(RecordFile).order_by(RecordFile.id)).all()


def _post_file(client, url: str, data: bytes, name: str, **fields: str):
    boundary, body = encode_multipart({**fields, "file": FileStorage(io.BytesIO(data),
                                                                     filename=name)})
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def _get(client, url: str, **kwargs):
    """GET and close a streamed response (so its file handle is released)."""
    with client.get(url, **kwargs) as response:
        response.get_data()
    return response


# ---- the pages ---------------------------------------------------------------------------------

def test_the_pages_upload_list_download_and_delete(files_app, world, two_reports):
    report_id, _other = two_reports
    client = files_app.test_client()
    login(client, "staff.c11")
    page = client.get(f"/test-reports/{report_id}").get_data(as_text=True)
    assert "Chưa có tệp đính kèm." in page
    assert f'action="/test-reports/{report_id}/files"' in page and 'name="file"' in page
    token = csrf_token(client, f"/test-reports/{report_id}")
    before = _stored(files_app)

    sent = _post_file(client, f"/test-reports/{report_id}/files", PDF, "Biên bản giám sát.pdf",
                      csrf_token=token)
    assert sent.status_code == 303
    assert sent.headers["Location"].endswith(f"/test-reports/{report_id}")
    (row,) = _rows(files_app)
    assert (row.object_type, row.object_id, row.unit_id, row.name, row.size) == (
        KIND, report_id, world.units["C11"], "Biên bản giám sát.pdf", len(PDF))
    assert _stored(files_app) - before == {row.stored_name}
    page = client.get(f"/test-reports/{report_id}").get_data(as_text=True)
    assert "Đã đính kèm tệp Biên bản giám sát.pdf." in page
    download = f"/test-reports/{report_id}/files/{row.id}"
    assert f'href="{download}"' in page and f'action="{download}/delete"' in page

    # Who may read the record downloads it: its staff, and the district's approver.
    for username in ("staff.c11", "approver.d1"):
        reader = files_app.test_client()
        login(reader, username)
        got = _get(reader, download)
        assert got.status_code == 200 and got.data == PDF
        assert got.headers["Content-Type"] == "application/pdf"
        assert got.headers["X-Content-Type-Options"] == "nosniff"
        assert got.headers["Content-Disposition"].startswith(
            'attachment; filename="Bien_ban_giam_sat.pdf"')

    deleted = client.post(f"{download}/delete", data={"csrf_token": token})
    assert deleted.status_code == 303
    assert _rows(files_app) == [] and _stored(files_app) == before
    with files_app.app_context():
        actions = db.session.scalars(select(AuditEntry.action).where(
            AuditEntry.object_type == KIND).order_by(AuditEntry.id)).all()
    assert actions == ["file.add", "file.download", "file.download", "file.delete"]


def test_the_pages_refuse_a_bad_file_and_keep_nothing(files_app, world, two_reports):
    report_id, _other = two_reports
    client = files_app.test_client()
    login(client, "staff.c11")
    token = csrf_token(client, f"/test-reports/{report_id}")
    before = _stored(files_app)
    files_app.config["LHPN_MAX_ATTACHMENT_MB"] = 1
    cases = ((b"MZ\x90\x00", "chay-ngay.exe", "Loại tệp không được phép"),
             (PDF, "anh.png", "Nội dung tệp không đúng loại PNG"),
             (b"", "trong.pdf", "Tệp rỗng"),
             (b"%PDF-" + b"0" * (1024 * 1024), "lon.pdf", "Tệp quá lớn: tối đa 1 MB"))
    for data, name, message in cases:
        refused = _post_file(client, f"/test-reports/{report_id}/files", data, name,
                             csrf_token=token)
        assert refused.status_code == 303, name
        assert message in client.get(f"/test-reports/{report_id}").get_data(as_text=True)
    missing = client.post(f"/test-reports/{report_id}/files", data={"csrf_token": token})
    assert missing.status_code == 303
    assert "Hãy chọn tệp cần đính kèm." in client.get(
        f"/test-reports/{report_id}").get_data(as_text=True)
    assert _rows(files_app) == [] and _stored(files_app) == before
    # Without the form's CSRF token nothing is read at all.
    assert _post_file(client, f"/test-reports/{report_id}/files", PDF, "a.pdf"
                      ).status_code == 400
    assert _rows(files_app) == []


def test_the_pages_answer_404_for_another_record_or_tenant_and_403_to_readers(
        files_app, world, two_reports, theirs):
    report_id, other_id = two_reports
    client = files_app.test_client()
    login(client, "staff.c11")
    token = csrf_token(client, f"/test-reports/{report_id}")
    assert _post_file(client, f"/test-reports/{report_id}/files", PDF, "a.pdf",
                      csrf_token=token).status_code == 303
    mine = next(row.id for row in _rows(files_app) if row.object_id == report_id
                and row.id != theirs)
    # The file under another record, another tenant's file, a record of another tenant.
    assert _get(client, f"/test-reports/{other_id}/files/{mine}").status_code == 404
    assert _get(client, f"/test-reports/{report_id}/files/{theirs}").status_code == 404
    assert client.post(f"/test-reports/{other_id}/files/{mine}/delete",
                       data={"csrf_token": token}).status_code == 404
    hy = files_app.test_client()
    login(hy, "staff.hy")
    assert _get(hy, f"/test-reports/{report_id}/files/{mine}").status_code == 404
    assert _post_file(hy, f"/test-reports/{report_id}/files", PDF, "b.pdf",
                      csrf_token=csrf_token(hy, "/account")).status_code == 404

    # The district's approver reads the report but may not change its files.
    reader = files_app.test_client()
    login(reader, "approver.d1")
    page = reader.get(f"/test-reports/{report_id}").get_data(as_text=True)
    assert "a.pdf" in page and 'name="file"' not in page and "/delete" not in page
    reader_token = csrf_token(reader, "/account")
    before = _stored(files_app)
    assert _post_file(reader, f"/test-reports/{report_id}/files", PDF, "c.pdf",
                      csrf_token=reader_token).status_code == 403
    assert reader.post(f"/test-reports/{report_id}/files/{mine}/delete",
                       data={"csrf_token": reader_token}).status_code == 403
    assert _stored(files_app) == before and len(_rows(files_app)) == 2


# ---- the API -----------------------------------------------------------------------------------

def test_the_api_uploads_lists_downloads_and_deletes(files_app, world, two_reports):
    report_id, _other = two_reports
    client = files_app.test_client()
    auth = {"Authorization": f"Bearer {api_token(client, 'staff.c11')}"}
    base = f"/api/v1/test/reports/{report_id}/files"
    before = _stored(files_app)
    assert client.get(base, headers=auth).get_json() == {"items": []}
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(PDF),
                                                           filename="Báo cáo.pdf")})
    made = client.post(base, data=body, headers=auth,
                       content_type=f"multipart/form-data; boundary={boundary}")
    assert made.status_code == 201, made.get_data(as_text=True)
    answer = made.get_json()
    assert (answer["name"], answer["size"], answer["content_type"]) == (
        "Báo cáo.pdf", len(PDF), "application/pdf")
    assert set(answer) == {"id", "name", "content_type", "size", "sha256", "created_at"}
    assert client.get(base, headers=auth).get_json()["items"] == [answer]
    got = _get(client, f"{base}/{answer['id']}", headers=auth)
    assert got.status_code == 200 and got.data == PDF
    assert client.get(base).status_code == 401
    gone = client.delete(f"{base}/{answer['id']}", headers=auth)
    assert gone.status_code == 204
    assert client.get(base, headers=auth).get_json() == {"items": []}
    assert _rows(files_app) == [] and _stored(files_app) == before


def test_the_api_refuses_bad_files_strangers_and_readers(files_app, world, two_reports,
                                                         theirs):
    report_id, other_id = two_reports
    client = files_app.test_client()
    auth = {"Authorization": f"Bearer {api_token(client, 'staff.c11')}"}
    base = f"/api/v1/test/reports/{report_id}/files"
    before = _stored(files_app)
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(PDF), filename="x.png")})
    refused = client.post(base, data=body, headers=auth,
                          content_type=f"multipart/form-data; boundary={boundary}")
    assert refused.status_code == 422
    assert refused.get_json()["error"]["field"] == "file"
    assert "Nội dung tệp không đúng loại PNG" in refused.get_json()["error"]["message"]
    nothing = client.post(base, headers=auth)
    assert nothing.status_code == 422 and nothing.get_json()["error"]["field"] == "file"
    assert _stored(files_app) == before and len(_rows(files_app)) == 1  # theirs only

    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(PDF), filename="a.pdf")})
    mine = client.post(base, data=body, headers=auth,
                       content_type=f"multipart/form-data; boundary={boundary}").get_json()["id"]
    other = f"/api/v1/test/reports/{other_id}/files"
    assert client.get(f"{other}/{mine}", headers=auth).status_code == 404
    assert client.delete(f"{other}/{mine}", headers=auth).status_code == 404
    assert client.get(f"{base}/{theirs}", headers=auth).status_code == 404
    hy = {"Authorization": f"Bearer {api_token(client, 'staff.hy')}"}
    assert client.get(base, headers=hy).status_code == 404
    assert client.get(f"{base}/{mine}", headers=hy).status_code == 404

    reader = {"Authorization": f"Bearer {api_token(client, 'approver.d1')}"}
    assert [item["id"] for item in client.get(base, headers=reader).get_json()["items"]] == [
        mine]
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(PDF), filename="b.pdf")})
    assert client.post(base, data=body, headers=reader,
                       content_type=f"multipart/form-data; boundary={boundary}"
                       ).status_code == 403
    assert client.delete(f"{base}/{mine}", headers=reader).status_code == 403
    assert len(_rows(files_app)) == 2


def test_the_endpoints_are_declared_with_a_multipart_body(files_app):
    with files_app.test_request_context():
        document = spec._generate_spec()
    item = document["paths"]["/api/v1/test/reports/{report_id}/files"]
    content = item["post"]["requestBody"]["content"]
    (schema_ref,) = [value["schema"]["$ref"] for value in content.values()]
    assert list(content) == ["multipart/form-data"]
    schema = document["components"]["schemas"][schema_ref.rsplit("/", 1)[1]]
    assert schema["properties"]["file"]["format"] == "binary"
    assert set(item["post"]["responses"]) >= {"201", "403", "404", "413", "422"}
    one = document["paths"]["/api/v1/test/reports/{report_id}/files/{file_id}"]
    assert set(one) >= {"get", "delete"} and "204" in one["delete"]["responses"]
    assert {item["get"]["operationId"], item["post"]["operationId"]} == {
        "list_test_report_files", "upload_test_report_file"}


# ---- the services ------------------------------------------------------------------------------

def test_a_file_follows_the_transaction(files_app, world, two_reports):
    report_id, _other = two_reports
    with files_app.test_request_context():
        staff = db.session.scalar(select(User).where(User.username == "staff.c11"))
        report = db.session.get(Report, report_id)
        before = _stored(files_app)
        files.attach(staff, KIND, report, report.unit,
                     FileStorage(io.BytesIO(PDF), filename="a.pdf"))
        assert len(_stored(files_app) - before) == 1
        db.session.rollback()
        assert _stored(files_app) == before  # a rolled-back upload leaves no file

        made = files.attach(staff, KIND, report, report.unit,
                            FileStorage(io.BytesIO(PDF), filename="a.pdf"))
        db.session.commit()
        path = files.open_file(made)
        assert path.read_bytes() == PDF
        files.remove(staff, made)
        db.session.rollback()
        assert path.exists()  # the removal did not commit: the file stays
        made = files.get_file(report.tenant_id, made.id)
        files.remove(staff, made)
        db.session.commit()
        assert not path.exists()
        with pytest.raises(NotFound):
            files.get_file(report.tenant_id, made.id)


def test_a_record_holds_at_most_max_files(files_app, world, two_reports, monkeypatch):
    report_id, _other = two_reports
    monkeypatch.setattr(files, "MAX_PER_RECORD", 2)
    with files_app.test_request_context():
        staff = db.session.scalar(select(User).where(User.username == "staff.c11"))
        report = db.session.get(Report, report_id)
        for name in ("a.pdf", "b.pdf"):
            files.attach(staff, KIND, report, report.unit,
                         FileStorage(io.BytesIO(PDF), filename=name))
        with pytest.raises(DomainError, match="tối đa 2 tệp"):
            files.attach(staff, KIND, report, report.unit,
                         FileStorage(io.BytesIO(PDF), filename="c.pdf"))
        assert [found.name for found in files.files_of(KIND, report_id)] == ["a.pdf", "b.pdf"]
        # Someone of another tenant cannot attach to this record.
        hy = db.session.get(User, world.users["staff.hy"])
        with pytest.raises(authz.Forbidden):
            files.attach(hy, KIND, report, report.unit,
                         FileStorage(io.BytesIO(PDF), filename="d.pdf"))
        db.session.rollback()
