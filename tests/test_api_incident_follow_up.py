"""Following a case with the authorities over the API (lhpn/api/follow_ups.py, the same services
as the page's panel), the chasing and referral letters as Word files parsed back, the overdue
filter, and a case's access log for its reviewers only."""

from datetime import timedelta
from io import BytesIO

import pytest
from docx import Document
from sqlalchemy import func, select

from lhpn.clock import local_today
from lhpn.extensions import db
from lhpn.followups.models import FollowUp
from lhpn.incidents.models import Incident, Referral
from lhpn.privacy.models import SensitiveRead
from tests.test_api_incidents import ALL_SECRETS, caller, no_secret, valid
from tests.test_incidents import ADDRESS, NAME, PHONE, record_case

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
AGENCY = "Công an xã Tân Lễ"
ANSWER = "Đã khởi tố vụ án, tạm giữ Trần Văn Nam"


@pytest.fixture
def document(client):
    return client.get("/api/v1/openapi.json").get_json()


def _text(data: bytes) -> str:
    doc = Document(BytesIO(data))
    return "\n".join(p.text for p in doc.paragraphs) + "\n".join(
        cell.text for table in doc.tables for row in table.rows for cell in row.cells)


def _follow_ups(app) -> list[FollowUp]:
    with app.app_context():
        return list(db.session.scalars(select(FollowUp).order_by(FollowUp.id)))


def test_a_case_is_followed_answered_and_closed_over_the_api(app, client, people, document):
    incident_id = record_case(app, client, people)
    chair = caller(client, "approver.c11")
    base = f"/incidents/{incident_id}/follow-ups"
    today = local_today()
    started = chair.post(base, {"agency": AGENCY, "agency_superior": "Công an huyện Hưng Hà",
                                "letter_number": "12/CV-HPN",
                                "written_on": (today - timedelta(days=3)).isoformat(),
                                "due_on": (today + timedelta(days=27)).isoformat()})
    assert started.status_code == 201, started.get_json()
    valid(document, "POST", "/incidents/{incident_id}/follow-ups", started)
    fu = started.get_json()
    assert (fu["agency"], fu["status"], fu["overdue"], fu["version"]) == (
        AGENCY, "open", False, 1)
    one = f"{base}/{fu['id']}"
    # Not overdue yet: no chasing letter, no chase recorded.
    letter = chair.get(f"{one}/chasing-letter")
    assert letter.status_code == 422, letter.get_data(as_text=True)[:300]
    assert chair.post(f"{one}/chased", {"version": 1}).status_code == 422
    # An extension, then the answer, then nothing more to follow.
    moved = chair.call("PATCH", one, {"version": 1,
                                      "due_on": (today + timedelta(days=40)).isoformat()})
    assert moved.status_code == 200, moved.get_json()
    valid(document, "PATCH", "/incidents/{incident_id}/follow-ups/{follow_up_id}", moved)
    assert moved.get_json()["due_on"] == (today + timedelta(days=40)).isoformat()
    assert chair.call("PATCH", one, {"version": 2}).status_code == 422
    stale = chair.post(f"{one}/answer", {"version": 1, "answered_on": today.isoformat(),
                                         "answer": ANSWER})
    assert stale.status_code == 409
    early = chair.post(f"{one}/answer", {"version": 2, "answered_on": (
        today - timedelta(days=5)).isoformat(), "answer": ANSWER})
    assert early.status_code == 422 and early.get_json()["error"]["field"] == "answered_on"
    answered = chair.post(f"{one}/answer", {"version": 2, "answered_on": today.isoformat(),
                                            "answer": ANSWER})
    assert answered.status_code == 200, answered.get_json()
    assert ANSWER not in answered.get_data(as_text=True)  # the answer is read with the case
    assert answered.get_json()["status"] == "answered"
    closed = chair.post(f"{one}/close", {"version": 3})
    assert closed.status_code == 200 and closed.get_json()["status"] == "closed"
    assert chair.post(f"{one}/close", {"version": 4}).status_code == 422
    [row] = _follow_ups(app)
    assert (row.status, row.answer, row.version) == ("closed", ANSWER, 4)
    # The answer comes back in the case read in clear (logged), never in the masked one.
    seen = chair.get(f"/incidents/{incident_id}?purpose=handling").get_json()
    assert [f["status"] for f in seen["follow_ups"]] == ["closed"]
    assert seen["follow_ups"][0]["answer"] == ANSWER
    masked = caller(client, "viewer.d1").get(f"/incidents/{incident_id}")
    assert masked.get_json()["follow_ups"] is None
    assert ANSWER not in masked.get_data(as_text=True) and AGENCY not in masked.get_data(
        as_text=True)


def test_an_overdue_case_is_listed_and_chased_with_a_letter(app, client, people):
    incident_id = record_case(app, client, people)
    other_id = record_case(app, app.test_client(), people)
    chair = caller(client, "approver.c11")
    today = local_today()
    fu = chair.post(f"/incidents/{incident_id}/follow-ups", {
        "agency": AGENCY, "written_on": (today - timedelta(days=40)).isoformat(),
        "due_on": (today - timedelta(days=10)).isoformat()}).get_json()
    assert (fu["overdue"], fu["days_overdue"]) == (True, 10)
    # The list, for anyone who views the unit, says which cases are overdue (masked).
    viewer = caller(client, "viewer.d1")
    late = viewer.get("/incidents?overdue=true").get_json()["items"]
    on_time = viewer.get("/incidents?overdue=false").get_json()["items"]
    assert [item["id"] for item in late] == [incident_id] and late[0]["overdue"] is True
    assert [item["id"] for item in on_time] == [other_id] and on_time[0]["overdue"] is False
    bad = viewer.get("/incidents?overdue=yes")
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "overdue"
    # The chasing letter, to the agency; the superior is not named, so not to it.
    one = f"/incidents/{incident_id}/follow-ups/{fu['id']}"
    letter = chair.get(f"{one}/chasing-letter")
    assert letter.status_code == 200, letter.get_data(as_text=True)[:300]
    assert letter.mimetype == DOCX and letter.headers["Cache-Control"] == "no-store"
    text = _text(letter.data)
    assert f"Kính gửi: {AGENCY}" in text and f"vụ việc số {incident_id}" in text
    assert not any(secret in text for secret in ALL_SECRETS)
    assert chair.get(f"{one}/chasing-letter?to=superior").status_code == 422
    assert chair.get(f"{one}/chasing-letter?to=boss").status_code == 422
    chased = chair.post(f"{one}/chased", {"version": 1})
    assert chased.status_code == 200 and chased.get_json()["chase_count"] == 1


def test_who_follows_a_case_over_the_api(app, client, people):
    incident_id = record_case(app, client, people)
    today = local_today().isoformat()
    body = {"agency": AGENCY, "written_on": today, "due_on": today}
    base = f"/incidents/{incident_id}/follow-ups"
    # The chain and the protection officers follow it; a viewer may not (403, before the
    # body is judged); another tenant's officer and a sibling commune's do not find it.
    for username, status in (("viewer.d1", 403), ("staff.d1", 403), ("approver.hy", 404),
                             ("protection.c12", 404)):
        response = caller(client, username).post(base, {})
        assert response.status_code == status, username
    assert _follow_ups(app) == []
    made = caller(client, "protection.tb").post(base, body)
    assert made.status_code == 201
    fu_id = made.get_json()["id"]
    for username, status in (("viewer.d1", 403), ("approver.hy", 404)):
        other = caller(client, username)
        assert other.post(f"{base}/{fu_id}/close", {"version": 1}).status_code == status
        assert other.get(f"{base}/{fu_id}/chasing-letter").status_code == status
    # A follow-up of another case is not this case's.
    second = record_case(app, app.test_client(), people)
    assert caller(client, "approver.c11").post(
        f"/incidents/{second}/follow-ups/{fu_id}/close", {"version": 1}).status_code == 404
    # Bad input changes nothing.
    for wrong, field in (({"written_on": today, "due_on": "2020-01-01"}, "due_on"),
                         ({"due_on": today}, "agency"),
                         ({"agency": AGENCY, "written_on": "2999-01-01", "due_on": "2999-02-01"},
                          "written_on")):
        data = {"agency": AGENCY, "written_on": today} | wrong
        if "agency" not in wrong and field == "agency":
            data.pop("agency")
        response = caller(client, "approver.c11").post(base, data)
        assert response.status_code == 422 and response.get_json()["error"]["field"] == field
    assert len(_follow_ups(app)) == 1


def test_a_referral_letter_needs_consent_or_an_explained_ground(app, client, people):
    incident_id = record_case(app, client, people)
    with app.app_context():
        victim_id = db.session.get(Incident, incident_id).victims[0].id
    chair = caller(client, "approver.c11")
    base = f"/incidents/{incident_id}/referrals"
    ask = {"victim_id": victim_id, "scope": "police", "agency": AGENCY, "ground": "consent"}
    refused = chair.post(base, ask)
    assert refused.status_code == 422 and refused.get_json()["error"]["field"] == "ground"
    no_secret(refused)
    unexplained = chair.post(base, ask | {"ground": "authority_request"})
    assert unexplained.status_code == 422
    assert caller(client, "viewer.d1").post(base, ask).status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Referral)) == 0
        assert db.session.scalar(select(func.count()).select_from(SensitiveRead)) == 0
    assert chair.post(f"/incidents/{incident_id}/consents", {
        "victim_id": victim_id, "scope": "police", "given_by": "victim", "form": "written",
        "given_on": local_today().isoformat()}).status_code == 201
    letter = chair.post(base, ask)
    assert letter.status_code == 200, letter.get_data(as_text=True)[:300]
    assert letter.mimetype == DOCX and letter.headers["Cache-Control"] == "no-store"
    text = _text(letter.data)
    assert NAME in text and ADDRESS in text and PHONE in text and AGENCY in text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Referral)) == 1
        [read] = db.session.scalars(select(SensitiveRead)).all()
        assert (read.channel, read.purpose, read.object_id) == ("docx", "referral", incident_id)


def test_a_case_s_access_log_for_its_reviewers_only(app, client, people, document):
    incident_id = record_case(app, client, people)
    other_id = record_case(app, app.test_client(), people)
    assert caller(client, "approver.d1").get(
        f"/incidents/{incident_id}?purpose=support").status_code == 200
    assert caller(client, "protection.tb").get(
        f"/incidents/{other_id}?purpose=handling").status_code == 200
    path = f"/incidents/{incident_id}/access-log"
    for username in ("tenant_admin.tb", "protection.tb"):
        response = caller(client, username).get(path)
        assert response.status_code == 200, response.get_json()
        valid(document, "GET", "/incidents/{incident_id}/access-log", response)
        no_secret(response)
        answer = response.get_json()
        assert answer["total"] == 1
        [entry] = answer["items"]
        assert (entry["user"]["username"], entry["purpose"], entry["object_id"],
                entry["channel"]) == ("approver.d1", "support", incident_id, "api")
    # The reader themself, the case's own chair and a viewer may not review; another
    # tenant's reviewer does not find the case.
    for username, status in (("approver.d1", 403), ("approver.c11", 403), ("viewer.d1", 403),
                             ("protection.hy", 404), ("tenant_admin.hy", 404)):
        response = caller(client, username).get(path)
        assert response.status_code == status, username
    bad = caller(client, "protection.tb").get(f"{path}?from=2026-12-01&to=2026-11-01")
    assert bad.status_code == 422
    # Reviewing the log is not a read of the case: nothing more is logged.
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SensitiveRead)) == 2
