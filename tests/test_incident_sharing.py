"""Consent and referral letters (lhpn/incidents/sharing.py): a referral letter only with the
consent its agency needs (a child of 7 or older and the representative both), or on a legal
ground explained; withdrawn consent stops sharing; each letter is logged as a clear read on
channel "docx" and parsed back here; nothing is saved on a refusal."""

import io

from docx import Document
from sqlalchemy import func, select

from lhpn.audit.models import AuditEntry
from lhpn.extensions import db
from lhpn.incidents.models import Consent, Incident, Referral
from lhpn.privacy.models import SensitiveRead
from tests.conftest import csrf_token
from tests.incident_world import NAME, PHONE
from tests.test_incidents import as_user, record_case

POLICE = "Công an xã Tân Lễ"


def _post(client, path: str, data: dict):
    return client.post(path, data=data | {"csrf_token": csrf_token(client, "/account")})


def _victim(app, incident_id: int) -> int:
    with app.app_context():
        return db.session.get(Incident, incident_id).victims[0].id


def _counts(app) -> tuple[int, int]:
    with app.app_context():
        return (db.session.scalar(select(func.count()).select_from(Referral)),
                db.session.scalar(select(func.count()).select_from(SensitiveRead)))


def _refer(client, incident_id, victim_id, **overrides):
    return _post(client, f"/incidents/{incident_id}/referrals", {
        "victim_id": str(victim_id), "scope": "police", "agency": POLICE,
        "ground": "consent"} | overrides)


def _consent(client, incident_id, victim_id, **overrides):
    return _post(client, f"/incidents/{incident_id}/consents", {
        "victim_id": str(victim_id), "scope": "police", "given_by": "victim", "form": "written",
        "given_on": "2026-11-22"} | overrides)


def test_a_referral_needs_consent_and_is_logged(app, client, people):
    incident_id = record_case(app, client, people)
    victim_id = _victim(app, incident_id)
    chair = as_user(app, "approver.c11")
    refused = _refer(chair, incident_id, victim_id)
    assert refused.status_code == 422 and "Chưa có sự đồng ý" in refused.get_data(as_text=True)
    assert _counts(app) == (0, 1)  # only the page shown again, in clear, for handling

    assert _consent(chair, incident_id, victim_id).status_code == 302
    letter = _refer(chair, incident_id, victim_id)
    assert letter.status_code == 200
    assert letter.headers["Content-Disposition"].startswith("attachment")
    words = "\n".join(p.text for p in Document(io.BytesIO(letter.data)).paragraphs)
    assert f"Kính gửi: {POLICE}" in words and NAME in words and PHONE in words
    assert f"V/v chuyển thông tin vụ việc số {incident_id}" in "\n".join(
        cell.text for table in Document(io.BytesIO(letter.data)).tables
        for row in table.rows for cell in row.cells)
    assert "sự đồng ý của nạn nhân" in words
    with app.app_context():
        read = db.session.scalars(select(SensitiveRead).where(
            SensitiveRead.channel == "docx")).one()
        assert (read.purpose, read.user_id, read.object_id) == (
            "referral", people.users["approver.c11"], incident_id)
        assert "victim_name" in read.field_names
        referral = db.session.scalars(select(Referral)).one()
        assert (referral.agency, referral.ground, referral.scope) == (POLICE, "consent",
                                                                       "police")
        texts = [e.summary + str(e.data) for e in db.session.scalars(
            select(AuditEntry).where(AuditEntry.action.like("incident.%")))]
        assert any("văn bản chuyển gửi" in t for t in texts)
        assert not any(NAME in t or PHONE in t for t in texts)


def test_withdrawn_consent_stops_sharing_unless_a_legal_ground_is_explained(app, client,
                                                                            people):
    incident_id = record_case(app, client, people)
    victim_id = _victim(app, incident_id)
    officer = as_user(app, "staff.c11")
    assert _consent(officer, incident_id, victim_id).status_code == 302
    with app.app_context():
        consent_id = db.session.scalars(select(Consent.id)).one()
    assert _post(officer, f"/incidents/{incident_id}/consents/{consent_id}/withdraw",
                 {}).status_code == 302
    again = _post(officer, f"/incidents/{incident_id}/consents/{consent_id}/withdraw", {})
    assert again.status_code == 422 and "đã được rút lại" in again.get_data(as_text=True)
    assert _refer(officer, incident_id, victim_id).status_code == 422
    unexplained = _refer(officer, incident_id, victim_id, ground="life_health")
    assert unexplained.status_code == 422
    assert "giải thích căn cứ pháp lý" in unexplained.get_data(as_text=True)
    before = _counts(app)[0]
    letter = _refer(officer, incident_id, victim_id, ground="life_health",
                    ground_note="Nạn nhân đang bị đe dọa, cần công an can thiệp ngay")
    assert letter.status_code == 200 and _counts(app)[0] == before + 1
    words = "\n".join(p.text for p in Document(io.BytesIO(letter.data)).paragraphs)
    assert "bảo vệ tính mạng, sức khỏe" in words and "đe dọa" in words


def test_a_child_of_seven_or_more_consents_with_the_representative(app, client, people):
    incident_id = record_case(app, client, people, victim_age_or_year="9", victim_child="")
    victim_id = _victim(app, incident_id)
    chair = as_user(app, "approver.d1")
    missing_name = _consent(chair, incident_id, victim_id, given_by="representative")
    assert missing_name.status_code == 422
    assert _consent(chair, incident_id, victim_id, given_by="representative",
                    representative="Nguyễn Văn Bình, bố").status_code == 302
    assert _refer(chair, incident_id, victim_id).status_code == 422  # the child's is missing
    assert _consent(chair, incident_id, victim_id).status_code == 302
    assert _refer(chair, incident_id, victim_id).status_code == 200


def test_an_adult_consents_herself_and_a_viewer_shares_nothing(app, client, people):
    incident_id = record_case(app, client, people)
    victim_id = _victim(app, incident_id)
    chair = as_user(app, "approver.c11")
    refused = _consent(chair, incident_id, victim_id, given_by="representative",
                       representative="Trần Văn Nam, chồng")
    assert refused.status_code == 422 and "chính nạn nhân" in refused.get_data(as_text=True)
    assert _consent(chair, incident_id, victim_id, given_on="2026-11-01").status_code == 422
    viewer = as_user(app, "viewer.d1")
    assert _consent(viewer, incident_id, victim_id).status_code == 403
    assert _refer(viewer, incident_id, victim_id, ground="legal_duty",
                  ground_note="x").status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Consent)) == 0
