"""The dashboard in a real browser: the province's approver (desktop) picks the test form and
reads X1/X2 completeness for the latest due period; the commune X1's approver (phone) opens a
branch report from the dashboard's "waiting for you" list and approves it; the province's
dashboard, reloaded, shows X1 complete. Screenshots go to test-artifacts/dashboard-*.png."""

import pytest

from lhpn.consolidation import services as consolidation
from tests import consolidation_world as kw
from tests.browser import ARTIFACTS, PHONE, assert_fits_width, log_in, shot

pytestmark = pytest.mark.browser

X1_NAME, X2_NAME = "Hội LHPN xã An Bình", "Hội LHPN xã Bình Minh"
FORM = "Báo cáo kiểm thử"


def _latest_period_half_done(app) -> str:
    """The latest due period: X1, X1A, X2A approved; X1B and X2 sent, waiting; the year's
    plan issued."""
    with app.app_context():
        kt = kw.build()
        period = consolidation.default_period(kt.template)
        for code, values in kw.VALUES.items():
            kw.file(kt, code, period, values, approve=code != "X1B")
        kw.file(kt, "X2", period, kw.PENDING["X2"], approve=False)
        kw.issue_plan(kt, int(period[:4]))
        return period


def _completeness_row(page, name: str):
    return page.locator("#chart-completeness .chart-row").filter(has_text=name)


def test_an_approval_shows_on_the_province_dashboard(open_page, app):  # noqa: F811
    from playwright.sync_api import expect

    _latest_period_half_done(app)

    chair, chair_problems = open_page()
    log_in(chair, "kt.approver.kt", "dashboard-desktop")
    expect(chair.get_by_role("heading", name="Việc cần làm")).to_be_visible()
    chair.get_by_label("Biểu mẫu").select_option(label=FORM)
    chair.get_by_role("button", name="Xem", exact=True).click()
    expect(chair.get_by_role("heading", level=2, name="Tình hình báo cáo")).to_contain_text(
        "Hội LHPN tỉnh Kiểm Thử")
    expect(_completeness_row(chair, X1_NAME)).to_contain_text("66,7%")
    expect(_completeness_row(chair, X1_NAME)).to_contain_text("2/3")
    expect(_completeness_row(chair, X2_NAME)).to_contain_text("50%")
    expect(_completeness_row(chair, X2_NAME)).to_contain_text("1/2")
    rows = chair.locator("#chart-completeness .chart-row .label").all_text_contents()
    assert rows == [X2_NAME, X1_NAME]  # worst first
    expect(chair.locator(".dash-todo")).to_contain_text("Chờ bạn duyệt")
    expect(chair.locator(".dash-todo")).to_contain_text(X2_NAME)
    chair.locator(".chart-data").first.locator("summary").click()
    expect(chair.locator(".chart-data table").first).to_be_visible()
    expect(chair.locator(".dash-summary")).to_contain_text("3/5")
    shot(chair, "dashboard-desktop-before")

    # The commune's approver, on a phone: the dashboard lists the branch's report; approve it.
    commune, commune_problems = open_page(PHONE, is_mobile=True, has_touch=True)
    log_in(commune, "kt.approver.x1", "dashboard-phone")
    waiting = commune.locator(".dash-todo .waiting li").filter(has_text="Chi hội thôn Tây")
    expect(waiting).to_have_count(1)
    assert_fits_width(commune)
    shot(commune, "dashboard-phone-commune")
    waiting.get_by_role("link", name="Mở để duyệt").click()
    commune.get_by_role("button", name="Duyệt", exact=True).click()
    expect(commune.locator(".flash-success")).to_have_text("Đã duyệt báo cáo.")
    commune.goto("/")
    expect(commune.locator(".dash-todo .waiting")).to_have_count(0)

    # The province's dashboard, reloaded: X1 is complete now, X2 the only one behind.
    chair.reload()
    expect(_completeness_row(chair, X1_NAME)).to_contain_text("100%")
    expect(_completeness_row(chair, X1_NAME)).to_contain_text("3/3")
    expect(_completeness_row(chair, X2_NAME)).to_contain_text("50%")
    expect(chair.locator(".dash-summary")).to_contain_text("4/5")
    shot(chair, "dashboard-desktop-after")

    # The same page on the chair's phone fits the screen; a bar leads to the consolidation.
    phone, phone_problems = open_page(PHONE, is_mobile=True, has_touch=True)
    log_in(phone, "kt.approver.kt", "dashboard-phone-chair")
    phone.goto(chair.url)
    expect(_completeness_row(phone, X1_NAME)).to_contain_text("100%")
    assert_fits_width(phone)
    shot(phone, "dashboard-phone-chair")
    phone.locator(".chart-grid").screenshot(path=str(ARTIFACTS / "dashboard-phone-charts.png"))
    href = _completeness_row(phone, X2_NAME).get_attribute("href")
    assert "/consolidation?template=BC_KT&period=" in href

    # A branch officer's phone: the reports still to send, the overdue ones said in words.
    staff, staff_problems = open_page(PHONE, is_mobile=True, has_touch=True)
    log_in(staff, "kt.staff.x1a", "dashboard-phone-staff")
    tasks = staff.locator(".dash-todo .tasks li")
    expect(tasks.filter(has_text=FORM)).to_have_count(1)  # this period's; the last one is sent
    expect(tasks.filter(has_text="Quá hạn").first).to_contain_text("ngày")
    expect(staff.locator(".dash-charts")).not_to_contain_text(X2_NAME)
    assert_fits_width(staff)
    shot(staff, "dashboard-phone-staff")
    staff.locator(".dash-todo").screenshot(path=str(ARTIFACTS / "dashboard-phone-staff-todo.png"))

    for problems in (chair_problems, commune_problems, phone_problems, staff_problems):
        problems.assert_none()
