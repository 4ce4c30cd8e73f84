"""Personal data protection over the API (lhpn/api/data_requests.py, lhpn/api/breaches.py): a
data subject's requests about a case, suspected breaches with their 72-hour deadline and
notification, and the tenant's retention setting, through the same services as the pages.
Each operation end to end against the database; bad input refused in Vietnamese with nothing
changed; another tenant's object 404; a role without the right 403."""

from datetime import timedelta
from io import BytesIO

import pytest
from docx import Document
from sqlalchemy import func, select

from lhpn.audit.models import AuditEntry
from lhpn.clock import VIETNAM_OFFSET, utcnow
from lhpn.extensions import db
from lhpn.incidents.models import Incident, Victim
from lhpn.privacy.models import Breach, DataRequest, SensitiveRead
from lhpn.tenants.models import Tenant
from tests.test_api_incidents import caller, valid
from tests.test_incidents import NAME, PHONE, record_case

NOTE = "Bà Hoa gọi điện, muốn sửa số điện thoại."
REASON = "Người yêu cầu không chứng minh được là người đại diện."
DESCRIPTION = "Máy tính của văn phòng bị nhiễm mã độc, có thể đã lộ tệp tải về."
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture
def document(client):
    return client.get("/api/v1/openapi.json").get_json()


def _victim_id(app, incident_id: int) -> int:
    with app.app_context():
        return db.session.get(Incident, incident_id).victims[0].id


def _count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _request_body(**overrides) -> dict:
    return {"kind": "correction", "requester": "self", "received_on": "2026-12-01",
            "note": NOTE} | overrides


def _text(data: bytes) -> str:
    doc = Document(BytesIO(data))
    cells = [cell.text for table in doc.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


# ---- a data subject's requests ------------------------------------------------------------------

def test_requests_are_recorded_listed_masked_and_carried_out(app, client, people, document):
    incident_id = record_case(app, client, people)
    victim_id = _victim_id(app, incident_id)
    chair = caller(client, "approver.c11")
    base = f"/incidents/{incident_id}/data-requests"
    template = "/incidents/{incident_id}/data-requests"

    made = chair.post(base, _request_body(victim_id=victim_id))
    assert made.status_code == 201, made.get_json()
    valid(document, "POST", template, made)
    entry = made.get_json()
    assert (entry["kind"], entry["status"], entry["clear"], entry["note"]) == (
        "correction", "received", False, None)
    assert NOTE not in made.get_data(as_text=True)

    reads = _count(app, SensitiveRead)
    masked = chair.get(base)
    assert masked.status_code == 200
    valid(document, "GET", template, masked)
    assert masked.headers["Cache-Control"] == "no-store"
    assert [(i["id"], i["victim_id"], i["note"]) for i in masked.get_json()["items"]] == [
        (entry["id"], None, None)]
    assert _count(app, SensitiveRead) == reads  # nothing in clear, nothing logged

    clear = chair.get(f"{base}?purpose=handling")
    assert clear.status_code == 200
    valid(document, "GET", template, clear)
    [shown] = clear.get_json()["items"]
    assert (shown["clear"], shown["victim_id"], shown["note"]) == (True, victim_id, NOTE)
    with app.app_context():
        logged = db.session.scalars(select(SensitiveRead).order_by(SensitiveRead.id.desc())).first()
        assert (logged.channel, logged.purpose, logged.field_names[0]) == (
            "api", "handling", "data_request_victim")
    assert chair.get(f"{base}?purpose=other").status_code == 422  # other needs its note

    done = chair.post(f"{base}/{entry['id']}/carry-out")
    assert done.status_code == 200, done.get_json()
    valid(document, "POST", template + "/{request_id}/carry-out", done)
    assert (done.get_json()["status"], done.get_json()["done_by"]) == ("done", "approver.c11")
    again = chair.post(f"{base}/{entry['id']}/carry-out")
    assert again.status_code == 422
    assert again.get_json()["error"]["message"] == "Yêu cầu này đã được giải quyết."
    valid(document, "POST", template + "/{request_id}/carry-out", again)
    with app.app_context():
        actions = db.session.scalars(select(AuditEntry.action).where(
            AuditEntry.action.like("data_request.%")).order_by(AuditEntry.id)).all()
        assert actions == ["data_request.create", "data_request.done"]


def test_an_access_request_gives_the_victims_record_as_a_word_file(app, client, people,
                                                                  document):
    incident_id = record_case(app, client, people)
    victim_id = _victim_id(app, incident_id)
    chair = caller(client, "approver.c11")
    base = f"/incidents/{incident_id}/data-requests"
    entry = chair.post(base, _request_body(kind="access", victim_id=victim_id)).get_json()

    wrong = chair.post(f"{base}/{entry['id']}/carry-out")
    assert wrong.status_code == 409
    assert "victim-record.docx" in wrong.get_json()["error"]["message"]
    valid(document, "POST", "/incidents/{incident_id}/data-requests/{request_id}/carry-out", wrong)

    answer = chair.post(f"{base}/{entry['id']}/victim-record.docx")
    assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
    assert answer.mimetype == DOCX
    assert answer.headers["Cache-Control"] == "no-store"
    text = _text(answer.data)
    assert "PHIẾU CUNG CẤP THÔNG TIN" in text and NAME in text and PHONE in text
    with app.app_context():
        assert db.session.get(DataRequest, entry["id"]).status == "done"
        assert db.session.scalar(select(SensitiveRead.channel).order_by(
            SensitiveRead.id.desc()).limit(1)) == "docx"
    # A correction is not carried out by the Word file.
    other = chair.post(base, _request_body()).get_json()
    assert chair.post(f"{base}/{other['id']}/victim-record.docx").status_code == 409
    done = chair.post(f"{base}/{entry['id']}/victim-record.docx")
    assert done.status_code == 422
    valid(document, "POST", "/incidents/{incident_id}/data-requests/{request_id}"
          "/victim-record.docx", done)


def test_an_erasure_pseudonymises_the_victim_and_a_refusal_keeps_its_reason(
        app, client, people, document):
    incident_id = record_case(app, client, people)
    victim_id = _victim_id(app, incident_id)
    chair = caller(client, "approver.c11")
    base = f"/incidents/{incident_id}/data-requests"
    refused = chair.post(base, _request_body(kind="erasure", requester="representative"))
    assert refused.get_json()["whole_case"] is True
    rid = refused.get_json()["id"]
    empty = chair.post(f"{base}/{rid}/refuse", {"refusal_reason": "  "})
    assert empty.status_code == 422
    assert empty.get_json()["error"]["field"] == "refusal_reason"
    answer = chair.post(f"{base}/{rid}/refuse", {"refusal_reason": REASON})
    assert answer.status_code == 200
    valid(document, "POST", "/incidents/{incident_id}/data-requests/{request_id}/refuse", answer)
    assert (answer.get_json()["status"], answer.get_json()["refusal_reason"]) == ("refused",
                                                                                  None)
    shown = chair.get(f"{base}?purpose=handling").get_json()["items"]
    assert [i["refusal_reason"] for i in shown] == [REASON]

    erase = chair.post(base, _request_body(kind="erasure", victim_id=victim_id)).get_json()
    assert chair.post(f"{base}/{erase['id']}/carry-out").status_code == 200
    with app.app_context():
        victim = db.session.get(Victim, victim_id)
        assert (victim.full_name, victim.phone) == ("Nạn nhân 1", None)


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"kind": "copy"}, "kind", "Trường kind phải là một trong"),
    ({"kind": "access"}, "victim_id", "Yêu cầu xem dữ liệu phải nêu nạn nhân nào."),
    ({"victim_id": 999999}, "victim_id", "Hãy chọn nạn nhân của vụ việc này."),
    ({"received_on": "2099-01-01"}, "received_on", "sau hôm nay"),
    ({"received_on": "01/12/2026"}, "received_on", "Ngày không hợp lệ"),
    ({"note": "x" * 2001}, "note", "dài quá 2000 ký tự"),
    ({"urgent": True}, "urgent", "Trường không được hỗ trợ"),
])
def test_a_bad_request_is_refused_in_vietnamese_and_saves_nothing(app, client, people, data,
                                                                  field, message):
    incident_id = record_case(app, client, people)
    answer = caller(client, "approver.c11").post(f"/incidents/{incident_id}/data-requests",
                                                 _request_body(**data))
    assert answer.status_code == 422, answer.get_json()
    error = answer.get_json()["error"]
    assert (error["field"], message in error["message"]) == (field, True), error
    assert _count(app, DataRequest) == 0
    assert _count(app, AuditEntry, AuditEntry.action.like("data_request.%")) == 0


def test_requests_answer_404_to_another_tenant_and_403_without_the_clear_case(
        app, client, people):
    incident_id = record_case(app, client, people)
    chair = caller(client, "approver.c11")
    base = f"/incidents/{incident_id}/data-requests"
    rid = chair.post(base, _request_body()).get_json()["id"]
    calls = [("GET", base, None), ("POST", base, _request_body()),
             ("POST", f"{base}/{rid}/carry-out", None),
             ("POST", f"{base}/{rid}/victim-record.docx", None),
             ("POST", f"{base}/{rid}/refuse", {"refusal_reason": REASON})]
    for username, status in (("tenant_admin.hy", 404), ("protection.hy", 404),
                             ("protection.c12", 404), ("staff.d1", 403),
                             ("tenant_admin.tb", 403)):
        other = caller(client, username)
        for method, path, data in calls:
            answer = other.call(method, path, data)
            assert answer.status_code == status, (username, method, path)
            assert NOTE not in answer.get_data(as_text=True)
    with app.app_context():
        entry = db.session.get(DataRequest, rid)
        assert (entry.status, _count(app, DataRequest)) == ("received", 1)
    # A request of another case is not found through this one.
    second = record_case(app, app.test_client(), people)
    assert chair.post(f"/incidents/{second}/data-requests/{rid}/carry-out").status_code == 404


# ---- breaches -----------------------------------------------------------------------------------

def _vietnam(moment) -> str:
    return (moment + VIETNAM_OFFSET).strftime("%Y-%m-%dT%H:%M")


def _breach_body(**overrides) -> dict:
    return {"detected_at": _vietnam(utcnow() - timedelta(hours=2)), "description": DESCRIPTION,
            "data_kinds": "Họ tên, số điện thoại nạn nhân", "subjects_estimate": 1500,
            "measures": "Ngắt mạng máy tính, đổi mật khẩu"} | overrides


def test_a_breach_is_recorded_followed_and_notified(app, client, people, document):
    admin = caller(client, "tenant_admin.tb")
    made = admin.post("/privacy/breaches", _breach_body())
    assert made.status_code == 201, made.get_json()
    valid(document, "POST", "/privacy/breaches", made)
    breach = made.get_json()
    assert made.headers["Location"].endswith(f"/api/v1/privacy/breaches/{breach['id']}")
    assert (breach["status"], breach["subjects_estimate"], breach["description"]) == (
        "open", 1500, DESCRIPTION)
    assert breach["hours_left"] in (69, 70)
    assert breach["deadline"].endswith("Z")

    one = admin.get(f"/privacy/breaches/{breach['id']}")
    valid(document, "GET", "/privacy/breaches/{breach_id}", one)
    assert one.headers["Cache-Control"] == "no-store"
    assert one.get_json()["deadline"] == breach["deadline"]
    listed = admin.get("/privacy/breaches")
    valid(document, "GET", "/privacy/breaches", listed)
    assert [item["id"] for item in listed.get_json()["items"]] == [breach["id"]]

    letter = admin.get(f"/privacy/breaches/{breach['id']}/notification.docx")
    assert letter.status_code == 200, letter.get_data(as_text=True)[:500]
    assert letter.mimetype == DOCX
    text = _text(letter.data)
    assert "Kính gửi: Cục An ninh mạng" in text and DESCRIPTION in text
    assert NAME not in text
    bad = admin.get(f"/privacy/breaches/{breach['id']}/notification.docx"
                    "?from=2026-12-05&to=2026-11-01")
    assert bad.status_code == 422
    assert bad.get_json()["error"]["message"].startswith("Ngày bắt đầu (05/12/2026) sau")
    assert _count(app, AuditEntry, AuditEntry.action == "breach.notification") == 1

    status = f"/privacy/breaches/{breach['id']}/status"
    notified = admin.post(status, {"status": "notified"})
    assert notified.status_code == 200
    valid(document, "POST", "/privacy/breaches/{breach_id}/status", notified)
    assert notified.get_json()["notified_at"].endswith("Z")
    assert admin.post(status, {"status": "notified"}).status_code == 422
    assert admin.post(status, {"status": "closed"}).get_json()["status"] == "closed"
    refused = admin.post(status, {"status": "closed"})
    assert refused.status_code == 422
    assert refused.get_json()["error"]["message"] == (
        "Không chuyển được sự cố sang trạng thái này.")


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"detected_at": "hôm qua"}, "detected_at", "viết theo dạng ngày/tháng/năm giờ:phút"),
    ({"detected_at": "2099-01-01T10:00"}, "detected_at", "không được sau lúc này"),
    ({"description": ""}, "description", "không được để trống"),
    ({"subjects_estimate": -1}, "subjects_estimate", "nằm ngoài giới hạn"),
    ({"subjects_estimate": "1.500"}, "subjects_estimate", "phải là số nguyên"),
    ({"status": "open"}, "status", "Trường không được hỗ trợ"),
])
def test_a_bad_breach_is_refused_in_vietnamese_and_saves_nothing(app, client, people, data,
                                                                field, message):
    answer = caller(client, "tenant_admin.tb").post("/privacy/breaches", _breach_body(**data))
    assert answer.status_code == 422, answer.get_json()
    error = answer.get_json()["error"]
    assert (error["field"], message in error["message"]) == (field, True), error
    assert _count(app, Breach) == 0
    assert _count(app, AuditEntry, AuditEntry.action.like("breach.%")) == 0


def test_breaches_are_the_tenant_admins_only(app, client, people):
    breach_id = caller(client, "tenant_admin.tb").post("/privacy/breaches",
                                                       _breach_body()).get_json()["id"]
    one = f"/privacy/breaches/{breach_id}"
    calls = [("GET", "/privacy/breaches", None), ("POST", "/privacy/breaches", _breach_body()),
             ("GET", one, None), ("POST", f"{one}/status", {"status": "closed"}),
             ("GET", f"{one}/notification.docx", None)]
    for username in ("approver.tb", "protection.tb", "tenant_admin.d1"):
        for method, path, data in calls:
            answer = caller(client, username).call(method, path, data)
            assert answer.status_code == 403, (username, method, path)
    # Another tenant's admin: their own list is empty, this breach is not found.
    other = caller(client, "tenant_admin.hy")
    assert other.get("/privacy/breaches").get_json()["items"] == []
    for method, path, data in calls[2:]:
        assert other.call(method, path, data).status_code == 404, (method, path)
    with app.app_context():
        assert (db.session.get(Breach, breach_id).status, _count(app, Breach)) == ("open", 1)


# ---- retention ----------------------------------------------------------------------------------

def test_retention_is_read_and_set_by_the_tenant_admin(app, client, people, document):
    admin = caller(client, "tenant_admin.tb")
    shown = admin.get("/privacy/retention")
    assert shown.status_code == 200
    valid(document, "GET", "/privacy/retention", shown)
    assert shown.get_json() == {"incident_retention_months": 60, "minimum": 12, "maximum": 240}
    changed = admin.call("PUT", "/privacy/retention", {"incident_retention_months": 24})
    assert changed.status_code == 200
    valid(document, "PUT", "/privacy/retention", changed)
    for value, message in ((5, "Thời hạn lưu giữ là số tháng từ 12 đến 240"),
                           ("24", "phải là số nguyên")):
        refused = admin.call("PUT", "/privacy/retention", {"incident_retention_months": value})
        assert refused.status_code == 422
        assert message in refused.get_json()["error"]["message"]
    with app.app_context():
        tenants = {t.code: t.incident_retention_months
                   for t in db.session.execute(select(Tenant)).scalars()}
        assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "tenant.retention")) == 1
    assert sorted(tenants.values()) == [24, 60]  # the other tenant's setting is its own
    for username in ("approver.tb", "tenant_admin.d1"):
        assert caller(client, username).get("/privacy/retention").status_code == 403
        assert caller(client, username).call(
            "PUT", "/privacy/retention", {"incident_retention_months": 36}).status_code == 403
    assert admin.get("/privacy/retention").get_json()["incident_retention_months"] == 24
