"""A day of real work in a real browser, on a 390 px phone (issue 12, items 5, 7, 8, 9):
typed work survives the idle time-out; confirmations say the consequence with the count;
reminders clicked twice are sent once; three reports approved together, one failing.
Screenshots go to test-artifacts/flow-*.png."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from lhpn.accounts.models import UserSession
from lhpn.extensions import db
from lhpn.reports.models import Report
from tests.factories import PASSWORD
from tests.test_browser import (  # noqa: F401  (fixtures)
    PHONE,
    assert_fits_width,
    browser,
    live_server,
    log_in,
    open_page,
    playwright_api,
    shot,
)
from tests.test_plan_pages import add_user

pytestmark = pytest.mark.browser

NARRATIVE = "Tổ chức 14 buổi tuyên truyền Luật Phòng, chống bạo lực gia đình tại các chi hội."
SHORTCOMINGS = "Một số chi hội sinh hoạt chưa đều."


def _phone(open_page):  # noqa: F811
    return open_page(PHONE, is_mobile=True, has_touch=True)


def _idle(app) -> None:
    with app.app_context():
        minutes = app.config["LHPN_SESSION_IDLE_MINUTES"] + 1
        for row in db.session.scalars(select(UserSession)):
            row.last_seen_at -= timedelta(minutes=minutes)
        db.session.commit()


def _expected(problems, status: int) -> None:
    """Answers this journey provokes on purpose are not problems of the page."""
    problems.failed[:] = [f for f in problems.failed if not f.startswith(f"{status} ")]
    problems.console[:] = [m for m in problems.console
                           if f"status of {status}" not in m]


def _drafts(page) -> dict:
    return page.evaluate("""() => Object.fromEntries(Object.keys(localStorage)
        .filter(k => k.startsWith('lhpn-draft:')).map(k => [k, localStorage.getItem(k)]))""")


def test_a_report_typed_on_a_phone_survives_the_idle_time_out(open_page, app, world):  # noqa: F811
    from playwright.sync_api import expect

    add_user(app, world, "staff.c11", "staff", "C11")
    page, problems = _phone(open_page)
    log_in(page, "staff.c11", "flow-phone-draft")
    page.goto("/reports/?year=2026")
    (page.locator("table.calendar tbody tr").filter(has_text="Tháng 10/2026")
     .get_by_role("button", name="Lập báo cáo").click())
    expect(page.get_by_role("heading", level=1)).to_contain_text("Nhập báo cáo")
    form_url = page.url

    page.locator("#v-TUYEN_TRUYEN").fill("14")
    page.locator("#v-KINH_PHI").fill("3,5")
    page.get_by_label("Kết quả").fill(NARRATIVE)
    page.get_by_label("Tồn tại, hạn chế").fill(SHORTCOMINGS)
    page.wait_for_function("() => Object.keys(localStorage).some(k => k.startsWith("
                           "'lhpn-draft:') && localStorage.getItem(k).includes('chi hội sinh'))")
    drafts = _drafts(page)
    assert len(drafts) == 1 and "csrf_token" not in next(iter(drafts.values()))

    # The tab reloads (or is closed and opened again): the draft is offered back.
    page.reload()
    expect(page.locator("#v-TUYEN_TRUYEN")).to_have_value("")
    offer = page.locator("[data-draft-offer]")
    expect(offer).to_be_visible()
    expect(offer).to_contain_text("chưa được lưu vào hệ thống")
    assert_fits_width(page)
    shot(page, "flow-phone-draft-offer")
    offer.get_by_role("button", name="Khôi phục nội dung đang soạn").click()
    expect(offer).to_be_hidden()
    expect(page.locator("#v-TUYEN_TRUYEN")).to_have_value("14")
    expect(page.get_by_label("Kết quả")).to_have_value(NARRATIVE)

    # Thirty idle minutes later, "Lưu nháp": a page that says what happened, input kept.
    _idle(app)
    page.get_by_role("button", name="Lưu nháp").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Phiên làm việc đã hết hạn")
    expect(page.locator(".kept-note")).to_contain_text("Nội dung bạn nhập không bị mất")
    assert_fits_width(page)
    shot(page, "flow-phone-draft-expired")
    with app.app_context():
        assert db.session.scalars(select(Report)).one().results == ""  # nothing saved yet

    # Log in right there: back on the form, filled in, with a message; not saved yet.
    page.get_by_label("Tên đăng nhập").fill("staff.c11")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(form_url)
    expect(page.locator(".flash-warn").first).to_contain_text("đã được điền lại dưới đây")
    expect(page.locator("#v-TUYEN_TRUYEN")).to_have_value("14")
    expect(page.locator("#v-KINH_PHI")).to_have_value("3,5")
    expect(page.get_by_label("Kết quả")).to_have_value(NARRATIVE)
    expect(page.locator("[data-draft-offer]")).to_be_hidden()
    assert_fits_width(page)
    shot(page, "flow-phone-draft-restored")

    page.get_by_role("button", name="Lưu nháp").click()
    expect(page.locator(".flash-success")).to_have_text("Đã lưu báo cáo.")
    assert _drafts(page) == {}  # saved: the browser's draft is gone
    with app.app_context():
        report = db.session.scalars(select(Report)).one()
        assert (report.results, report.shortcomings) == (NARRATIVE, SHORTCOMINGS)
    page.goto(form_url)
    expect(page.locator("#v-TUYEN_TRUYEN")).to_have_value("14")
    expect(page.locator("[data-draft-offer]")).to_be_hidden()
    _expected(problems, 401)  # the answer to the post after the time-out
    problems.assert_none()
