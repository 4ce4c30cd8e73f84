"""Suspected breaches of personal data (issue 15 item 9): recorded by the tenant's admin, the
72-hour deadline shown in Vietnam time, the notification to A05 as a .docx with the period's
read counts (never a victim), bad input refused with nothing saved; one breach's pages walked
by role (BREACH_PAGES of tests/test_authz_matrix.py)."""

from datetime import datetime
from io import BytesIO

import pytest
from docx import Document
from sqlalchemy import func, select

from lhpn import clock
from lhpn.audit.models import AuditEntry
from lhpn.extensions import db
from lhpn.privacy.models import Breach
from tests.conftest import csrf_token
from tests.test_authz_matrix import BREACH_PAGES
from tests.test_incidents import NAME, PHONE, as_user, record_case

DESCRIPTION = "Máy tính của văn phòng bị nhiễm mã độc, có thể đã lộ tệp tải về."


def _record(admin, **values):
    form = {"detected_at": "2026-12-01T09:30", "description": DESCRIPTION,
            "data_kinds": "Họ tên, số điện thoại nạn nhân", "subjects_estimate": "1.500",
            "measures": "Ngắt mạng máy tính, đổi mật khẩu"} | values
    return admin.post("/privacy/breaches/new",
                      data=form | {"csrf_token": csrf_token(admin, "/privacy/breaches/new")})


def _breach_id(response) -> int:
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def test_a_breach_shows_its_deadline_in_vietnam_time(app, people, monkeypatch):
    monkeypatch.setattr(clock, "utcnow", lambda: datetime(2026, 12, 2, 3, 0))  # 10:00 in VN
    admin = as_user(app, "tenant_admin.tb")
    answer = _record(admin)
    assert answer.status_code == 302
    breach_id = _breach_id(answer)
    with app.app_context():
        breach = db.session.get(Breach, breach_id)
        # 09:30 in Vietnam is 02:30 UTC; the estimate is read the Vietnamese way.
        assert (breach.detected_at, breach.subjects_estimate, breach.description) == (
            datetime(2026, 12, 1, 2, 30), 1500, DESCRIPTION)
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "breach.create"))
        assert DESCRIPTION not in entry.summary + str(entry.data)
    page = admin.get(f"/privacy/breaches/{breach_id}").get_data(as_text=True)
    assert "09:30 01/12/2026" in page and "09:30 04/12/2026" in page
    assert "còn 47 giờ" in page
    monkeypatch.setattr(clock, "utcnow", lambda: datetime(2026, 12, 4, 5, 30))
    assert "quá hạn 3 giờ" in admin.get(f"/privacy/breaches/{breach_id}").get_data(as_text=True)
    assert "Sự cố số" in admin.get("/privacy/breaches").get_data(as_text=True)
    token = csrf_token(admin, "/account")
    assert admin.post(f"/privacy/breaches/{breach_id}/status",
                      data={"csrf_token": token, "status": "notified"}).status_code == 302
    back = admin.post(f"/privacy/breaches/{breach_id}/status",
                      data={"csrf_token": token, "status": "open"})
    assert back.status_code == 422
    with app.app_context():
        breach = db.session.get(Breach, breach_id)
        assert (breach.status, breach.notified_at) == ("notified", datetime(2026, 12, 4, 5, 30))


def test_the_notification_counts_the_reads_and_names_no_victim(app, client, people):
    incident_id = record_case(app, client, people)
    for username in ("approver.c11", "approver.c11", "protection.tb"):
        assert as_user(app, username).get(
            f"/incidents/{incident_id}?purpose=handling").status_code == 200
    admin = as_user(app, "tenant_admin.tb")
    now = clock.local_date(clock.utcnow())
    breach_id = _breach_id(_record(admin, detected_at=f"{now:%d/%m/%Y} 00:01"))
    answer = admin.get(f"/privacy/breaches/{breach_id}/notification.docx"
                       f"?from={now:%Y-%m-%d}&to={now:%Y-%m-%d}")
    assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
    document = Document(BytesIO(answer.data))
    paragraphs = "\n".join(p.text for p in document.paragraphs)
    cells = [[c.text for c in r.cells] for t in document.tables for r in t.rows]
    everything = paragraphs + "\n".join("|".join(row) for row in cells)
    assert "Kính gửi: Cục An ninh mạng và phòng, chống tội phạm sử dụng công nghệ cao (A05)" \
        in paragraphs
    assert "356/2025/NĐ-CP" in paragraphs and "3 lượt truy cập" in paragraphs
    counts = {(row[1], row[2]): row[3] for row in cells if len(row) == 4}
    assert counts[("approver.c11", "Trang web")] == "2"
    assert counts[("protection.tb", "Trang web")] == "1"
    assert NAME not in everything and PHONE not in everything
    assert DESCRIPTION in paragraphs
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                                 .where(AuditEntry.action == "breach.notification")) == 1
    # A period that cannot be one: the page with the message, no document.
    bad = admin.get(f"/privacy/breaches/{breach_id}/notification.docx?from=31/02/2026")
    assert bad.status_code == 422 and "docx" not in bad.mimetype


@pytest.mark.parametrize("values, message", [
    ({"detected_at": ""}, "Hãy nhập thời điểm phát hiện"),
    ({"detected_at": "hôm qua"}, "ngày/tháng/năm giờ:phút"),
    ({"detected_at": "2099-01-01T00:00"}, "không được sau lúc này"),
    ({"description": "  "}, "Hãy nhập mô tả sự cố"),
    ({"data_kinds": ""}, "Hãy nhập loại dữ liệu liên quan"),
    ({"subjects_estimate": "khoảng trăm"}, "Số người có thể bị ảnh hưởng"),
])
def test_bad_input_is_refused_and_nothing_is_saved(app, people, values, message):
    admin = as_user(app, "tenant_admin.tb")
    answer = _record(admin, **values)
    assert answer.status_code == 422
    assert message in answer.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Breach)) == 0


# Who opens one breach of TB's: its root admin; a district's admin, a viewer and the chair get
# 403; the other tenant's admin 404.
BREACH_ACTORS = {"tenant_admin.tb": "allow", "tenant_admin.d1": "403", "viewer.tb": "403",
                 "approver.tb": "403", "tenant_admin.hy": "404"}


@pytest.mark.parametrize("actor", sorted(BREACH_ACTORS))
def test_one_breach_is_for_the_tenant_admin_only(app, people, actor):
    breach_id = _breach_id(_record(as_user(app, "tenant_admin.tb")))
    reader = as_user(app, actor)
    token = csrf_token(reader, "/account")
    for method, template in BREACH_PAGES:
        path = template.replace("{breach}", str(breach_id))
        answer = (reader.get(path) if method == "GET"
                  else reader.post(path, data={"csrf_token": token, "status": "bogus"}))
        want = BREACH_ACTORS[actor]
        if want == "allow":
            assert answer.status_code in (200, 422), (actor, path)
        else:
            assert answer.status_code == int(want), (actor, path)
    with app.app_context():
        assert db.session.get(Breach, breach_id).status == "open"
