"""The pages of critiques and dialogues through the test client: a commune officer records a
draft, sends the union's comments and records what came of them; records a dialogue held, its
commitment goes overdue on a fixed clock and the chasing letter downloads (read back with
python-docx); lists filtered; refusals keep what was typed; another tenant's record is 404."""

import io
from datetime import datetime

import docx
import pytest
from sqlalchemy import func, select

from lhpn import clock
from lhpn.critiques.models import Critique
from lhpn.dialogues.models import Dialogue
from lhpn.extensions import db
from lhpn.followups.models import FollowUp
from tests.conftest import csrf_token, login


@pytest.fixture
def officer(app, people):
    client = app.test_client()
    assert login(client, "staff.c11").status_code == 302
    client.token = csrf_token(client, "/critiques/new")
    return client


def _post(client, path: str, data: dict):
    return client.post(path, data={"csrf_token": client.token, **data})


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_a_draft_received_commented_and_concluded(app, officer, monkeypatch):
    monkeypatch.setattr(clock, "utcnow", lambda: datetime(2026, 12, 1, 3, 0))
    refused = _post(officer, "/critiques/new", {
        "kind": "comment", "draft_title": "Dự thảo Kế hoạch xây dựng nông thôn mới",
        "issuing_body": "UBND xã Tân Lễ", "received_on": "2026-11-20",
        "comments_due": "2026-11-10"})
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "không được trước ngày nhận dự thảo" in page
    assert "Dự thảo Kế hoạch xây dựng nông thôn mới" in page  # what was typed stays
    assert _count(app, Critique) == 0
    made = _post(officer, "/critiques/new", {
        "kind": "comment", "draft_title": "Dự thảo Kế hoạch xây dựng nông thôn mới",
        "issuing_body": "UBND xã Tân Lễ", "received_on": "2026-11-20",
        "comments_due": "2026-11-28"})
    assert made.status_code == 302
    path = made.headers["Location"]
    overdue = officer.get("/critiques/?overdue=1").get_data(as_text=True)
    assert "Dự thảo Kế hoạch xây dựng nông thôn mới" in overdue
    assert _post(officer, f"{path}/status", {
        "action": "send", "version": "1", "sent_number": "12/CV-HPN", "sent_on": "2026-11-27",
        "sent_summary": "Bổ sung chỉ tiêu nhà vệ sinh hợp vệ sinh."}).status_code == 302
    assert "nông thôn mới" not in officer.get("/critiques/?overdue=1").get_data(as_text=True)
    assert _post(officer, f"{path}/status", {"action": "conclude", "version": "2",
                                             "accepted": "yes"}).status_code == 302
    shown = officer.get(path).get_data(as_text=True)
    assert "Được tiếp thu" in shown and "Số 12/CV-HPN, ngày 27/11/2026" in shown
    assert "Gửi ý kiến" in shown and "Ghi kết quả tiếp thu" in shown  # the timeline
    stale = _post(officer, f"{path}/edit", {"version": "1", "draft_title": "Khác"})
    assert stale.status_code == 409
    listed = officer.get("/critiques/?status=concluded&year=2026&kind=comment")
    assert "nông thôn mới" in listed.get_data(as_text=True)
    assert "nông thôn mới" not in officer.get("/critiques/?year=2025").get_data(as_text=True)


def test_a_dialogue_commitment_goes_overdue_and_its_letter_downloads(app, officer,
                                                                     monkeypatch):
    monkeypatch.setattr(clock, "utcnow", lambda: datetime(2026, 11, 10, 3, 0))
    made = _post(officer, "/dialogues/new", {
        "held_on": "2026-11-06", "held": "1", "leader_name": "Trần Văn Bình",
        "leader_title": "Chủ tịch UBND xã", "body": "UBND xã Tân Lễ", "women_count": "95",
        "issues": "Đèn đường thôn Tân Hòa."})
    assert made.status_code == 302
    path = made.headers["Location"]
    assert _post(officer, f"{path}/commitments", {
        "text": "Lắp đèn đường thôn Tân Hòa", "agency": "UBND xã Tân Lễ",
        "due_on": "2026-11-20"}).status_code == 302
    assert "Tân Hòa" not in officer.get("/dialogues/?overdue=1").get_data(as_text=True)
    monkeypatch.setattr(clock, "utcnow", lambda: datetime(2026, 11, 25, 3, 0))
    assert "Trần Văn Bình" in officer.get("/dialogues/?overdue=1").get_data(as_text=True)
    page = officer.get(path).get_data(as_text=True)
    assert "Quá hạn 5 ngày" in page
    with app.app_context():
        fu = db.session.scalars(select(FollowUp)).one()
        fu_id, version = fu.id, fu.version
    letter = officer.get(f"{path}/follow-ups/{fu_id}/chasing-letter.docx")
    assert letter.status_code == 200
    words = "\n".join(p.text for p in docx.Document(io.BytesIO(letter.data)).paragraphs)
    assert "UBND xã Tân Lễ" in words and "06/11/2026" in words
    assert _post(officer, f"{path}/follow-ups/{fu_id}/chased",
                 {f"fu{fu_id}-chase-version": str(version)}).status_code == 303
    assert _post(officer, f"{path}/commitments/{fu_id}/settle",
                 {"status": "implemented", "version": str(version + 1)}).status_code == 303
    with app.app_context():
        assert db.session.get(FollowUp, fu_id).status == "implemented"


def test_refusals_and_other_tenants(app, officer, monkeypatch):
    monkeypatch.setattr(clock, "utcnow", lambda: datetime(2026, 12, 1, 3, 0))
    refused = _post(officer, "/dialogues/new", {
        "held_on": "2026-11-06", "leader_name": "", "leader_title": "Bí thư",
        "body": "Đảng ủy xã", "women_count": "40"})
    assert refused.status_code == 422 and _count(app, Dialogue) == 0
    made = _post(officer, "/dialogues/new", {
        "held_on": "2026-12-15", "leader_name": "Lê Văn Nam", "leader_title": "Bí thư",
        "body": "Đảng ủy xã Tân Lễ"})
    path = made.headers["Location"]
    no_commitment = _post(officer, f"{path}/commitments", {
        "text": "x", "agency": "UBND", "due_on": "2026-12-30", "section": "commitment"})
    assert no_commitment.status_code == 422 and _count(app, FollowUp) == 0
    other = app.test_client()
    login(other, "approver.hy")
    assert other.get(path).status_code == 404
    reader = app.test_client()
    login(reader, "viewer.d1")
    page = reader.get(path)
    assert page.status_code == 200 and "Thêm cam kết" not in page.get_data(as_text=True)
    assert reader.get("/dialogues/new").status_code == 403


def test_the_comments_sent_attached_to_a_critique(app, people, officer):
    """The union's letter of comments, attached on the critique's page (lhpn/files): listed,
    downloaded by a reader above, deleted only by the unit; another tenant does not find it."""
    from lhpn.files.models import RecordFile
    from tests.oversight_world import oversight_records
    from tests.test_record_files import PDF, _get, _post_file

    ids = oversight_records(app, people)
    path = f"/critiques/{ids['critique']}"
    sent = _post_file(officer, f"{path}/files", PDF, "Công văn góp ý số 15.pdf",
                      csrf_token=officer.token)
    assert sent.status_code in (302, 303)
    page = officer.get(path).get_data(as_text=True)
    assert "Công văn góp ý số 15.pdf" in page
    with app.app_context():
        (row,) = db.session.scalars(select(RecordFile).where(
            RecordFile.name == "Công văn góp ý số 15.pdf")).all()
        assert (row.object_type, row.object_id) == ("critique", ids["critique"])
        file_id = row.id
    district = app.test_client()
    login(district, "staff.d1")
    got = _get(district, f"{path}/files/{file_id}")
    assert got.status_code == 200 and got.data == PDF
    assert "Xóa tệp này?" not in district.get(path).get_data(as_text=True)
    token = csrf_token(district, "/account")
    assert district.post(f"{path}/files/{file_id}/delete",
                         data={"csrf_token": token}).status_code == 403
    other = app.test_client()
    login(other, "approver.hy")
    assert _get(other, f"{path}/files/{file_id}").status_code == 404
    assert _post(officer, f"{path}/files/{file_id}/delete", {}).status_code in (302, 303)
    assert _count(app, RecordFile) == 1  # the world's own letter stays
