"""Reviewing the log of sensitive reads (lhpn/privacy/review.py): the page, its Excel export and
the API endpoint. Who may (review_reads at the tenant's root: its admin and its protection
officer, nobody held lower, never another tenant), what the filters keep, the workbook read back,
and bad filter values answered with a message."""

from datetime import datetime
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from lhpn import authz
from lhpn.accounts.models import User
from lhpn.audit.models import AuditEntry
from lhpn.extensions import db
from lhpn.privacy import access_log
from lhpn.privacy.access_log import record_read
from lhpn.units.models import Unit
from tests import factories
from tests.conftest import api_token, login

PAGE, XLSX, API = "/privacy/reads", "/privacy/reads.xlsx", "/api/v1/privacy/reads"

# Besides the world's users: protection officers at TB's root, at commune C11, at HY's root.
OFFICERS = {"protection.tb": "TB", "protection.c11": "C11", "protection.hy": "HY"}
# Who may review their own tenant's log; everyone else of a tenant gets 403.
REVIEWERS = ("tenant_admin.tb", "protection.tb", "tenant_admin.hy", "protection.hy")
REFUSED = ("tenant_admin.d1", "approver.tb", "approver.d1", "staff.tb", "staff.d1",
           "viewer.tb", "viewer.d1", "norole.d1", "protection.c11")


@pytest.fixture
def people(app, world):
    from lhpn.accounts import services as accounts

    with app.app_context():
        for name, code in OFFICERS.items():
            tenant_code = "HY" if code == "HY" else "TB"
            unit = db.session.get(Unit, world.units[code])
            user = accounts.create_user(None, tenant_id=world.tenants[tenant_code],
                                        username=name, password=factories.PASSWORD,
                                        full_name=f"Cán bộ {code}", unit=unit)
            accounts.assign_role(None, user, "protection_officer", unit)
            world.users[name] = user.id
        db.session.commit()
    return world


def _read(world, username: str, tenant: str = "TB", at: datetime | None = None,
          monkeypatch=None, **overrides):
    if at is not None:
        monkeypatch.setattr(access_log, "utcnow", lambda: at)
    arguments = {"object_type": "incident", "object_id": 7, "tenant_id": world.tenants[tenant],
                 "fields": ["victim_name", "victim_phone"], "purpose": "handling",
                 "purpose_note": "", "channel": "page"} | overrides
    return record_read(db.session.get(User, world.users[username]), **arguments)


def _api(client, username: str, query: str = ""):
    token = api_token(client, username)
    return client.get(API + query, headers={"Authorization": f"Bearer {token}"})


# ---- who may ------------------------------------------------------------------------------

@pytest.mark.parametrize("actor", REVIEWERS + REFUSED)
def test_only_the_roots_admin_and_protection_officer_review(app, client, people, actor):
    allowed = actor in REVIEWERS
    with app.app_context():
        user = db.session.get(User, people.users[actor])
        assert authz.may_review_reads(user) is allowed
    assert login(client, actor).status_code == 302
    status = 200 if allowed else 403
    assert client.get(PAGE).status_code == status
    assert client.get(XLSX).status_code == status
    link = 'href="/privacy/reads"' in client.get("/").get_data(as_text=True)
    assert link is allowed, "the menu offers the log only to those who may review it"
    assert _api(app.test_client(), actor).status_code == status


def test_the_system_administrator_and_anonymous_visitors_do_not_review(app, client, world):
    with app.app_context():
        from lhpn.accounts.services import create_user

        create_user(None, tenant_id=None, username="sysadmin", password=factories.PASSWORD,
                    is_system_admin=True)
        db.session.commit()
        assert authz.may_review_reads(None) is False
    for path in (PAGE, XLSX):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get(API).status_code == 401
    login(client, "sysadmin")
    assert client.get(PAGE).status_code == 403
    assert client.get(XLSX).status_code == 403


def test_another_tenants_entries_are_never_shown(app, client, people):
    with app.app_context():
        _read(people, "staff.d1", object_id=11)
        _read(people, "staff.hy", tenant="HY", object_id=22)
        db.session.commit()
        hy_user = people.users["staff.hy"]
    login(client, "tenant_admin.tb")
    html = client.get(PAGE).get_data(as_text=True)
    assert "staff.d1" in html and "#11" in html
    assert "staff.hy" not in html and "#22" not in html
    # Naming another tenant's user is refused like a user that does not exist.
    response = client.get(f"{PAGE}?user_id={hy_user}")
    assert response.status_code == 422
    assert "Không có người dùng này trong tỉnh." in response.get_data(as_text=True)
    items = _api(app.test_client(), "protection.hy").get_json()["items"]
    assert [(i["user"]["username"], i["object_id"]) for i in items] == [("staff.hy", 22)]
    hy_admin = app.test_client()
    login(hy_admin, "tenant_admin.hy")
    rows = _sheet(hy_admin, "")
    assert [row[2] for row in rows] == ["staff.hy"]


# ---- what the page shows, and the filters ---------------------------------------------------

def test_the_page_lists_the_log_newest_first(app, client, people, monkeypatch):
    with app.app_context():
        _read(people, "staff.d1", at=datetime(2026, 12, 1, 2, 0), monkeypatch=monkeypatch)
        _read(people, "approver.d1", at=datetime(2026, 12, 2, 2, 0), monkeypatch=monkeypatch,
              object_id=8, purpose="other", purpose_note="Đối chiếu với Công an xã",
              channel="docx", fields="victim_address")
        db.session.commit()
    login(client, "protection.tb")
    html = client.get(PAGE).get_data(as_text=True)
    assert html.index("(approver.d1)</span>") < html.index("(staff.d1)</span>")  # newest first
    assert "02/12/2026 09:00" in html  # Vietnam time (UTC+7)
    assert "Vụ việc #8" in html and "địa chỉ nạn nhân" in html
    assert "họ tên nạn nhân, điện thoại nạn nhân" in html
    assert "Mục đích khác (ghi rõ): Đối chiếu với Công an xã" in html
    assert "Tệp Word" in html and "Xử lý vụ việc" in html


def test_the_filters_keep_what_they_name(app, client, people, monkeypatch):
    with app.app_context():
        # 14/12 17:30 UTC is already 15/12 in Vietnam.
        _read(people, "staff.d1", at=datetime(2026, 12, 14, 17, 30), monkeypatch=monkeypatch,
              object_id=1)
        _read(people, "approver.d1", at=datetime(2026, 12, 14, 16, 30),
              monkeypatch=monkeypatch, object_id=2, purpose="support")
        _read(people, "staff.d1", at=datetime(2026, 12, 20, 3, 0), monkeypatch=monkeypatch,
              object_id=2, object_type="case_note", purpose="referral")
        db.session.commit()
        staff = people.users["staff.d1"]

    def ids(query: str) -> list[int]:
        response = _api(app.test_client(), "tenant_admin.tb", query)
        assert response.status_code == 200, response.get_json()
        return [item["object_id"] for item in response.get_json()["items"]]

    assert ids("") == [2, 1, 2]
    assert ids(f"?user_id={staff}") == [2, 1]
    assert ids("?object_type=incident") == [1, 2]
    assert ids("?object_type=incident&object_id=2") == [2]
    assert ids("?from=2026-12-15") == [2, 1]
    assert ids("?to=2026-12-14") == [2]
    assert ids("?from=2026-12-15&to=2026-12-15") == [1]
    assert ids("?purpose=referral") == [2]
    assert ids("?limit=1&offset=1") == [1]
    assert _api(app.test_client(), "tenant_admin.tb", "?limit=1").get_json()["total"] == 3

    # The page reads the same filters, and dates as people type them too.
    login(client, "tenant_admin.tb")
    html = client.get(f"{PAGE}?from=15/12/2026&to=15/12/2026").get_data(as_text=True)
    assert "Vụ việc #1" in html and "#2" not in html
    html = client.get(f"{PAGE}?user_id={staff}&purpose=referral").get_data(as_text=True)
    assert "case_note #2" in html and "#1<" not in html and "(approver.d1)</span>" not in html


def test_the_page_is_paged_like_the_audit_log(app, client, people):
    with app.app_context():
        for number in range(1, 52):
            _read(people, "staff.d1", object_id=number)
        db.session.commit()
    login(client, "tenant_admin.tb")
    first = client.get(PAGE).get_data(as_text=True)
    assert "(51)" in first and "Trang 1/2" in first
    assert "Vụ việc #51<" in first and "Vụ việc #1<" not in first
    second = client.get(f"{PAGE}?object_type=incident&page=2").get_data(as_text=True)
    assert "Vụ việc #1<" in second and "Vụ việc #2<" not in second
    # The pager keeps the filter.
    assert "page=1&amp;object_type=incident" in second


# ---- the export -----------------------------------------------------------------------------

def _sheet(client, query: str) -> list[tuple]:
    response = client.get(XLSX + query)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    sheet = load_workbook(BytesIO(response.data)).active
    assert sheet["A2"].value == "Thời gian (giờ Việt Nam)"
    return [row for row in sheet.iter_rows(min_row=3, values_only=True)]


def test_the_export_is_the_filtered_log_and_is_audited(app, client, people, monkeypatch):
    with app.app_context():
        _read(people, "staff.d1", at=datetime(2026, 12, 14, 17, 30), monkeypatch=monkeypatch,
              object_id=5, purpose="other", purpose_note="=HYPERLINK(\"x\")", channel="api")
        _read(people, "approver.d1", at=datetime(2026, 12, 10, 1, 0), monkeypatch=monkeypatch,
              object_id=6)
        db.session.commit()
        staff = people.users["staff.d1"]
    login(client, "protection.tb")
    rows = _sheet(client, f"?user_id={staff}")
    assert rows == [(datetime(2026, 12, 15, 0, 30), "Staff.D1", "staff.d1", "Vụ việc", 5,
                     "họ tên nạn nhân, điện thoại nạn nhân", "Mục đích khác (ghi rõ)",
                     "=HYPERLINK(\"x\")", "API")]
    assert len(_sheet(client, "")) == 2
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "privacy.reads_export").order_by(AuditEntry.id)).all()
        assert [e.actor_id for e in entries] == [people.users["protection.tb"]] * 2
        assert entries[0].data["filters"] == {"user_id": str(staff)}
        assert entries[0].data["rows"] == 1
        assert entries[0].tenant_id == people.tenants["TB"]


# ---- bad filter values ----------------------------------------------------------------------

BAD = {
    "?user_id=abc": "Không có người dùng này trong tỉnh.",
    "?user_id=999999": "Không có người dùng này trong tỉnh.",
    "?object_type=INCIDENT": "Loại hồ sơ không hợp lệ",
    "?object_type=incident&object_id=-3": "Số hồ sơ phải là số nguyên dương.",
    "?object_id=3": "Lọc theo số hồ sơ thì hãy chọn cả loại hồ sơ.",
    "?from=31/02/2026": "Ngày không hợp lệ: “31/02/2026”",
    "?from=yesterday": "Ngày không hợp lệ",
    "?from=0001-01-01": "nằm ngoài khoảng cho phép",
    "?from=2026-12-15&to=2026-12-01": "Ngày bắt đầu (15/12/2026) sau ngày kết thúc (01/12/2026).",
    "?purpose=curiosity": "Hãy chọn mục đích truy cập trong danh sách.",
    "?page=0": "Tham số page phải là số nguyên",
}


def test_bad_filters_are_answered_with_a_message(app, client, people):
    login(client, "tenant_admin.tb")
    for query, message in BAD.items():
        for path in (PAGE, XLSX):
            if path == XLSX and query.startswith("?page"):
                continue
            response = client.get(path + query)
            assert response.status_code == 422, (path, query)
            html = response.get_data(as_text=True)
            assert message in html, (path, query)
            assert 'name="user_id"' in html, "the form again, to correct"
    with app.app_context():
        assert not db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "privacy.reads_export")).all()


API_BAD = {
    "?user_id=abc": "user_id",
    "?user_id=999999": "user_id",
    "?object_id=3": "object_type",
    "?object_type=incident&object_id=0": "object_id",
    "?from=15/12/2026": "from",
    "?from=2026-12-15&to=2026-12-01": "from",
    "?purpose=curiosity": "purpose",
}


def test_the_api_refuses_bad_filters_with_the_field(app, people):
    for query, field in API_BAD.items():
        response = _api(app.test_client(), "protection.tb", query)
        assert response.status_code == 422, query
        error = response.get_json()["error"]
        assert error["field"] == field and error["message"], (query, error)


def test_every_field_a_read_opens_has_a_name_for_the_reviewer():
    from lhpn.incidents import data_requests
    from lhpn.incidents import services as incidents
    from lhpn.privacy.review import FIELD_LABELS, fields_label

    logged = (*incidents.CLEAR_FIELDS, *data_requests.CLEAR_FIELDS)
    assert set(logged) <= set(FIELD_LABELS)
    assert fields_label(["victim_name", "unknown_code"]) == "họ tên nạn nhân, unknown_code"
