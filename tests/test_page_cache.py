"""Whole dashboard and consolidation pages served from the cache (lhpn/consolidation/freshness.py):
a second look runs a few statements, every change the page shows is there on the next request,
the CSRF token always belongs to the browser session, and rights are never skipped."""

import re

import pytest
from sqlalchemy import event, select

from lhpn.accounts import services as accounts
from lhpn.accounts.models import RoleAssignment
from lhpn.extensions import db
from lhpn.notifications import services as notifications
from lhpn.reports import services as reports
from lhpn.tenants.models import Tenant
from tests import consolidation_world as kw
from tests.conftest import login

QUERY = f"template=BC_KT&period={kw.JAN}"


@pytest.fixture
def kt(app):
    with app.app_context():
        built = kw.build()
        kw.file_january(built)
        return built


@pytest.fixture
def statements(app):
    """``statements()`` starts recording the SQL sent from then on; the listener goes with the
    test (a listener left behind would record, and slow, every later test)."""
    seen: list[str] = []

    def record(_c, _cur, sql, *_a) -> None:
        seen.append(sql)

    with app.app_context():
        engine = db.engine

    def start() -> list[str]:
        event.listen(engine, "before_cursor_execute", record)
        return seen

    yield start
    if event.contains(engine, "before_cursor_execute", record):
        event.remove(engine, "before_cursor_execute", record)


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _counters(app, tenant_id: int) -> tuple[int, int]:
    with app.app_context():
        return tuple(db.session.execute(
            select(Tenant.figures_version, Tenant.activity_version)
            .where(Tenant.id == tenant_id)).one())


@pytest.mark.parametrize("path", ["/", "/units/{KT}/consolidation?" + QUERY])
def test_a_second_look_is_a_few_statements_and_the_same_page(client, kt, app, path,
                                                               statements):
    path = path.format(KT=kt.units["KT"])
    login(client, "kt.approver.kt")
    first = client.get(path).get_data(as_text=True)
    seen = statements()
    second = client.get(path)
    assert second.status_code == 200
    # The session and its user, the tenant's counters; nothing of the page itself.
    assert len(seen) <= 5, seen
    assert any("activity_version" in sql for sql in seen)
    html = second.get_data(as_text=True)
    # The same page but for the CSRF token, which is signed anew with the time of each request.
    assert html.replace(_token(html), "T") == first.replace(_token(first), "T")
    assert "Chờ bạn duyệt" in html or "Tổng hợp" in html


def test_the_csrf_token_of_a_cached_page_is_the_sessions_own(client, kt, app, statements):
    login(client, "kt.approver.kt")
    client.get("/")
    other = app.test_client()
    login(other, "kt.approver.kt")  # the same user in another browser
    seen = statements()
    html = other.get("/").get_data(as_text=True)
    assert len(seen) <= 5  # served from the cache the first browser filled
    assert "\x00" not in html and "lhpn-csrf" not in html
    # The logout form of the cached page works for the second browser and only for it.
    token = _token(html)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 400
    assert other.post("/logout", data={"csrf_token": token}).status_code == 302
    assert other.get("/").status_code == 302  # logged out
    assert client.get("/").status_code == 200  # the first browser is still in


def test_a_submission_shows_in_the_approvers_inbox_at_once(client, kt, app):
    login(client, "kt.approver.x1")
    before = client.get("/").get_data(as_text=True)
    with app.app_context():
        staff = kt.user("kt.staff.x1b")
        report = reports.open_report(staff, kt.unit("X1B"), kt.template, "2027-02")
        reports.save_report(staff, report, {"SO_LUOT": 1}, report.version)
        figures, activity = _counters(app, kt.tenant_id)
        db.session.commit()
        assert _counters(app, kt.tenant_id)[1] > activity  # a new report is activity
        saved = _counters(app, kt.tenant_id)
        reports.save_report(staff, report, {"SO_LUOT": 2}, report.version)
        db.session.commit()
        # Typing into a draft shows on no dashboard: the cached pages stay.
        assert _counters(app, kt.tenant_id) == saved
        reports.submit_report(staff, report)
        db.session.commit()
        report_id = report.id
        assert _counters(app, kt.tenant_id)[0] == figures  # not a figure yet
    after = client.get("/").get_data(as_text=True)
    assert f'href="/reports/{report_id}"' not in before
    assert f'href="/reports/{report_id}"' in after


def test_notices_and_names_show_on_the_next_request(client, kt, app):
    login(client, "kt.viewer")
    assert 'class="notices-link">Thông báo</a>' in client.get("/").get_data(as_text=True)
    with app.app_context():
        viewer = kt.user("kt.viewer")
        notifications.notify([viewer], "Có báo cáo mới")
        db.session.commit()
    assert re.search(r'Thông báo <span class="count"[^>]*>1</span>',
                     client.get("/").get_data(as_text=True))
    with app.app_context():
        notifications.mark_all_read(kt.user("kt.viewer"))  # one bulk UPDATE, no flush
        db.session.commit()
    assert 'class="notices-link">Thông báo</a>' in client.get("/").get_data(as_text=True)
    with app.app_context():
        accounts.set_full_name(None, kt.user("kt.viewer"), "Nguyễn Thị Xem")
        db.session.commit()
    assert "Xin chào, Nguyễn Thị Xem" in client.get("/").get_data(as_text=True)


def test_a_revoked_role_is_refused_not_served_from_the_cache(client, kt, app):
    path = f"/units/{kt.units['X1']}/consolidation?{QUERY}"
    login(client, "kt.approver.x1")
    assert client.get(path).status_code == 200
    with app.app_context():
        user = kt.user("kt.approver.x1")
        assignment = db.session.scalars(
            select(RoleAssignment).where(RoleAssignment.user_id == user.id)).one()
        accounts.revoke_role(None, assignment)
        db.session.commit()
    assert client.get(path).status_code == 403


def test_logging_in_right_or_wrong_leaves_the_cache_alone(client, kt, app):
    login(client, "kt.viewer")
    client.get("/")
    before = _counters(app, kt.tenant_id)
    assert login(app.test_client(), "kt.viewer", "wrong-password").status_code == 401
    login(app.test_client(), "kt.viewer")
    client.get("/")
    assert _counters(app, kt.tenant_id) == before


def test_a_message_to_flash_is_shown_once(client, kt, app):
    login(client, "kt.viewer")
    client.get("/")
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "Đã lưu thay đổi.")]
    assert "Đã lưu thay đổi." in client.get("/").get_data(as_text=True)
    assert "Đã lưu thay đổi." not in client.get("/").get_data(as_text=True)


def test_each_language_has_its_own_page(client, kt):
    login(client, "kt.viewer")
    assert "Trang chủ" in client.get("/").get_data(as_text=True)
    token = _token(client.get("/").get_data(as_text=True))
    client.post("/lang/en", data={"csrf_token": token, "next": "/"})
    html = client.get("/").get_data(as_text=True)
    assert "Trang chủ" not in html and "Home" in html


def test_every_tenant_scoped_model_is_watched_or_exempt(app):
    """A new tenant-scoped model must say whether its changes move the page-cache counters
    (lhpn/tenant_versions.py): watched, activity, or exempt with a reason."""
    from lhpn import tenant_versions
    from lhpn.tenancy import TenantScoped

    scoped = {mapper.class_ for mapper in db.Model.registry.mappers
              if issubclass(mapper.class_, TenantScoped)}
    told = {*tenant_versions.WATCHED, *tenant_versions.ACTIVITY, *tenant_versions.EXEMPT}
    assert scoped - told == set(), "say whether these move the counters"
    assert not set(tenant_versions.EXEMPT) & {*tenant_versions.WATCHED,
                                              *tenant_versions.ACTIVITY}
    assert all(reason.strip() for reason in tenant_versions.EXEMPT.values())
