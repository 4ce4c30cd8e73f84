"""The deadlines, the calendar and the search in a real browser, on a phone: a district viewer
sees the commune's overdue follow-up on the dashboard, opens the calendar and finds the case
by its kind, without anyone's name, each page fitting 390 px and without a serious
accessibility fault. Screenshots go to test-artifacts/agenda-*.png."""

from datetime import date, datetime

import pytest

from lhpn import clock
from tests.browser import PHONE, assert_fits_width, log_in, shot
from tests.incident_world import SECRETS
from tests.test_accessibility import axe_script, describe, run_axe  # noqa: F401
from tests.test_agenda import follow
from tests.test_incidents import record_case

pytestmark = pytest.mark.browser


def test_deadlines_calendar_and_search_on_a_phone(
        open_page, app, client, people, monkeypatch, axe_script):  # noqa: F811
    from playwright.sync_api import expect

    monkeypatch.setattr(clock, "utcnow", lambda: datetime(2026, 12, 3, 3, 0))
    incident_id = record_case(app, client, people)
    follow(app, people, incident_id, date(2026, 11, 25))
    follow(app, people, incident_id, date(2026, 12, 10), "Tòa án huyện")
    # axe is added as a script of its own, which the pages' policy would refuse.
    page, problems = open_page(PHONE, is_mobile=True, has_touch=True, bypass_csp=True)
    log_in(page, "viewer.d1", "agenda")
    faults: list[str] = []

    panel = page.locator("section.dash-deadlines")
    expect(panel).to_contain_text(f"Vụ việc số {incident_id} — Công an xã Tân Lễ")
    expect(panel).to_contain_text("Quá hạn 8 ngày")
    assert_fits_width(page)
    shot(page, "agenda-dashboard-phone")
    faults += describe("/", run_axe(page, axe_script))

    panel.get_by_role("link", name="Xem lịch hạn").click()
    main = page.locator("main")
    expect(main).to_contain_text("Lịch hạn tháng 12/2026")
    expect(main).to_contain_text("10/12/2026")
    expect(main).to_contain_text(f"Vụ việc số {incident_id} — Tòa án huyện")
    assert_fits_width(page)
    shot(page, "agenda-calendar-phone")
    faults += describe("/calendar", run_axe(page, axe_script))

    page.get_by_role("link", name="Tìm hồ sơ", exact=True).first.click()
    page.get_by_label("Từ khóa").fill("bạo lực")
    page.get_by_role("button", name="Tìm", exact=True).last.click()
    expect(main).to_contain_text(f"Vụ việc số {incident_id} · Bạo lực gia đình")
    text = main.inner_text()
    assert not any(secret in text for secret in SECRETS)
    assert_fits_width(page)
    shot(page, "agenda-search-phone")
    faults += describe("/records/search", run_axe(page, axe_script))
    assert not faults, "\n".join(faults)
    problems.assert_none()
