"""E-mail copies of notifications, delivered to a real SMTP server (aiosmtpd) on localhost."""

import email
import socket
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from lhpn.accounts import services as accounts
from lhpn.accounts.models import User
from lhpn.extensions import db
from lhpn.notifications.models import Notification
from lhpn.notifications.services import notify
from lhpn.reports import services as reports
from lhpn.tenants.models import Tenant
from lhpn.units.models import Unit
from tests import factories
from tests.conftest import api_token, csrf_token, login

APPROVER_MAIL = "lanh.dao@hungha.example.vn"


class Inbox:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def inbox(app, monkeypatch):
    handler = Inbox()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setitem(app.config, "LHPN_SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "LHPN_SMTP_PORT", port)
    monkeypatch.setitem(app.config, "LHPN_MAIL_FROM", "lhpn@hoi.example.vn")
    monkeypatch.setitem(app.config, "LHPN_BASE_URL", "https://lhpn.example.vn/")
    yield handler
    controller.stop()


def _submitted_report(world):
    """Commune C11's staff submits the monthly report; D1's approver has an address."""
    tb = db.session.get(Tenant, world.tenants["TB"])
    c11 = db.session.get(Unit, world.units["C11"])
    approver = db.session.get(User, world.users["approver.d1"])
    accounts.set_email(None, approver, APPROVER_MAIL)
    staff = factories.user(tb, "staff.c11", "staff", c11)
    staff.email = "can.bo@tanle.example.vn"
    report = reports.open_report(staff, c11, reports.get_template(tb.id, "BC_THANG"), "2026-03")
    reports.save_report(staff, report, {"TUYEN_TRUYEN": 3}, report.version)
    reports.submit_report(staff, report)
    return report


def _notices(user_id: int) -> list[Notification]:
    return db.session.scalars(select(Notification).where(Notification.user_id == user_id)).all()


def test_a_submission_mails_the_approver_after_commit(app, world, inbox):
    with app.app_context():
        report = _submitted_report(world)
        assert inbox.messages == []  # nothing leaves before the commit
        db.session.commit()
        report_id = report.id
    assert len(inbox.messages) == 1
    recipients, message = inbox.messages[0]
    assert recipients == [APPROVER_MAIL]
    assert message["To"] == APPROVER_MAIL and message["From"] == "lhpn@hoi.example.vn"
    assert message["Subject"] == ("[LHPN] Hội LHPN xã Tân Lễ gửi “Báo cáo kết quả "
                                  "hoạt động tháng” kỳ tháng 03/2026 chờ duyệt.")
    body = message.get_content()
    assert "Hội LHPN xã Tân Lễ gửi “Báo cáo kết quả hoạt động tháng”" in body
    assert f"https://lhpn.example.vn/reports/{report_id}" in body


def test_a_rolled_back_transaction_sends_nothing(app, world, inbox):
    with app.app_context():
        _submitted_report(world)
        db.session.rollback()
        # The next transaction commits something else: the discarded mail stays discarded.
        db.session.get(User, world.users["viewer.d1"]).full_name = "Người xem"
        db.session.commit()
        assert _notices(world.users["approver.d1"]) == []
    assert inbox.messages == []


def test_without_smtp_only_the_in_app_notice(app, world, monkeypatch):
    monkeypatch.setitem(app.config, "LHPN_SMTP_HOST", "")
    with app.app_context():
        _submitted_report(world)
        db.session.commit()
        (notice,) = _notices(world.users["approver.d1"])
        assert "gửi “Báo cáo kết quả hoạt động tháng” kỳ tháng 03/2026" in notice.message


def test_an_unreachable_server_is_logged_not_raised(app, world, monkeypatch, caplog):
    monkeypatch.setitem(app.config, "LHPN_SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "LHPN_SMTP_PORT", _free_port())  # nobody listens there
    with app.app_context():
        _submitted_report(world)
        db.session.commit()
        assert len(_notices(world.users["approver.d1"])) == 1
    assert "could not send notification e-mail" in caplog.text


def test_users_without_an_address_get_no_mail(app, world, inbox):
    with app.app_context():
        _submitted_report(world)
        db.session.get(User, world.users["approver.d1"]).email = None
        db.session.flush()
        notify([db.session.get(User, world.users["approver.d1"])], "Nhắc việc")
        db.session.commit()
    assert [m["To"] for _rcpt, m in inbox.messages] == [APPROVER_MAIL]


# ---- the address on the admin pages and in the API --------------------------------------------

@pytest.mark.parametrize(("given", "stored"), [
    ("lan@hoi.example.vn", "lan@hoi.example.vn"),
    ("  lan@hoi.example.vn ", "lan@hoi.example.vn"),
    ("", None),
])
def test_admin_sets_and_clears_an_address(app, client, world, given, stored):
    login(client, "tenant_admin.d1")
    response = client.post(f"/users/{world.users['member.c11']}/email",
                           data={"csrf_token": csrf_token(client, "/account"), "email": given})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, world.users["member.c11"]).email == stored


@pytest.mark.parametrize("bad", ["khong-phai-email", "a@b", "a b@c.vn", "a@b..vn",
                                 "x" * 250 + "@a.vn", "a@b.vn\nBcc: x@y.vn"])
def test_bad_addresses_are_refused_everywhere(app, client, world, bad):
    login(client, "tenant_admin.d1")
    token = csrf_token(client, "/account")
    client.post(f"/users/{world.users['member.c11']}/email",
                data={"csrf_token": token, "email": bad}, follow_redirects=False)
    response = client.post("/users/new", data={
        "csrf_token": token, "username": "moi.nguoi", "password": factories.PASSWORD,
        "full_name": "Mới", "unit_id": world.units["D1"], "email": bad})
    # Refused by the service (422) or already by the form's length check (page shown again).
    assert response.status_code in (200, 422)
    assert 'name="email"' in response.get_data(as_text=True)
    api = app.test_client()
    headers = {"Authorization": f"Bearer {api_token(api, 'tenant_admin.d1')}"}
    answer = api.patch(f"/api/v1/users/{world.users['member.c11']}", json={"email": bad},
                       headers=headers)
    assert answer.status_code == 422 and answer.get_json()["error"]["field"] == "email"
    with app.app_context():
        assert db.session.get(User, world.users["member.c11"]).email is None
        assert db.session.scalar(select(User).where(User.username == "moi.nguoi")) is None


def test_api_create_and_patch_with_an_address(app, client, world):
    headers = {"Authorization": f"Bearer {api_token(client, 'tenant_admin.d1')}"}
    created = client.post("/api/v1/users", headers=headers, json={
        "username": "co.email", "password": factories.PASSWORD, "email": "co@hoi.example.vn"})
    assert created.status_code == 201 and created.get_json()["email"] == "co@hoi.example.vn"
    user_id = created.get_json()["id"]
    changed = client.patch(f"/api/v1/users/{user_id}", headers=headers, json={"email": None})
    assert changed.status_code == 200 and changed.get_json()["email"] is None
    page = app.test_client()
    login(page, "tenant_admin.d1")
    html = page.get(f"/users/{user_id}").get_data(as_text=True)
    assert 'name="email"' in html


def test_a_new_incident_mails_the_chain_without_the_victim(app, client, people, inbox):
    """The rapid report reaches the chain's inboxes at once; no name, phone or fact in it."""
    from tests.incident_world import SECRETS
    from tests.test_incidents import record_case

    with app.app_context():
        for username, address in (("approver.d1", APPROVER_MAIL),
                                  ("protection.tb", "bao.ve@thaibinh.example.vn")):
            accounts.set_email(None, db.session.get(User, people.users[username]), address)
        db.session.commit()
    incident_id = record_case(app, client, people)
    delivered = {recipients[0]: message for recipients, message in inbox.messages}
    assert set(delivered) == {APPROVER_MAIL, "bao.ve@thaibinh.example.vn"}
    for message in delivered.values():
        text = message["Subject"] + message.get_content()
        assert f"Vụ việc số {incident_id}" in text
        assert f"https://lhpn.example.vn/incidents/{incident_id}" in text
        assert not any(secret in text for secret in SECRETS)
