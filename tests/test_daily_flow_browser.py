"""A day of real work in a real browser, on a 390 px phone (issue 12, items 5, 7, 8, 9):
typed work survives the idle time-out; confirmations say the consequence with the count;
reminders clicked twice are sent once; three reports approved together, one failing.
Screenshots go to test-artifacts/flow-*.png."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from lhpn.accounts.models import UserSession
from lhpn.extensions import db
from lhpn.notifications.models import Notification
from lhpn.plans.models import Plan, PlanRequest
from lhpn.reports.models import Report, ReportReminder
from tests.browser import PHONE, assert_fits_width, confirming, log_in, shot
from tests.factories import PASSWORD
from tests.test_plan_pages import Browser, add_user, count, create, text, version_on

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
    # The page's script (deferred) runs once the document is parsed: read after it has.
    page.wait_for_load_state("load")
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
    version = page.locator("input[name=version]").input_value()
    offer.get_by_role("button", name="Khôi phục nội dung đang soạn").click()
    expect(offer).to_be_hidden()
    expect(page.locator("#v-TUYEN_TRUYEN")).to_have_value("14")
    expect(page.get_by_label("Kết quả")).to_have_value(NARRATIVE)
    expect(page.locator("input[name=version]")).to_have_value(version)  # typing only

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


def _reminders_of(app, user_id: int) -> int:
    return count(app, Notification, Notification.user_id == user_id,
                 Notification.message.startswith("Nhắc:"))


def test_report_reminders_clicked_twice_send_once(open_page, app, world):  # noqa: F811
    from playwright.sync_api import expect

    staff = [add_user(app, world, f"staff.{c}", "staff", c.upper()) for c in ("c11", "c12")]
    chair, problems = _phone(open_page)
    log_in(chair, "approver.d1", "flow-phone-remind")
    address = (f"/units/{world.units['D1']}/consolidation?template=BC_THANG&period=2026-03")
    chair.goto(address)
    box = chair.locator(".remind-box")
    expect(box).to_contain_text("2 đơn vị trực thuộc chưa gửi")
    button = box.get_by_role("button", name="Nhắc 2 đơn vị chậm nộp")
    expect(button).to_be_visible()
    assert_fits_width(chair)
    shot(chair, "flow-phone-remind-before")

    # The same page open in a second tab: two clicks, two requests.
    second = chair.context.new_page()
    second.goto(address)
    asked = confirming(chair)
    button.click()
    expect(chair.locator(".flash-success")).to_have_text("Đã nhắc 2 đơn vị.")
    assert "Gửi thông báo nhắc tới 2 đơn vị chưa gửi" in asked[0]
    assert "chỉ được nhắc một lần mỗi ngày" in asked[0]
    expect(chair.locator(".late-units")).to_contain_text("đã nhắc hôm nay")
    expect(chair.locator(".remind-box button")).to_have_count(0)
    shot(chair, "flow-phone-remind-done")

    confirming(second)
    second.locator(".remind-box").get_by_role("button", name="Nhắc 2 đơn vị chậm nộp").click()
    expect(second.locator(".flash-success")).to_have_text(
        "Đã nhắc 0 đơn vị; 2 đơn vị đã được nhắc hôm nay nên không nhắc lại.")
    assert_fits_width(second)
    shot(second, "flow-phone-remind-twice")
    assert [_reminders_of(app, user_id) for user_id in staff] == [1, 1]
    assert count(app, ReportReminder) == 2
    problems.assert_none()


def test_approving_a_plan_says_the_count_and_its_reminders_go_once(open_page, app,  # noqa: F811
                                                                   world):
    from playwright.sync_api import expect

    staff = [add_user(app, world, f"staff.{c}", "staff", c.upper()) for c in ("c11", "c12")]
    officer = Browser(app, "staff.d1")
    plan_id = create(officer, world.units["D1"])  # asks D1's communes, by yesterday
    officer.post(f"/plans/{plan_id}/submit",
                 {"version": version_on(text(officer.get(f"/plans/{plan_id}")))})

    chair, problems = _phone(open_page)
    log_in(chair, "approver.tb", "flow-phone-approve-plan")
    chair.goto(f"/plans/{plan_id}#approve")
    expect(chair.locator(".approve-consequence")).to_contain_text(
        "gửi yêu cầu tới 2 đơn vị (Hội LHPN xã) xây dựng kế hoạch thực hiện")
    approve = chair.get_by_role("button", name="Duyệt và gửi yêu cầu tới 2 đơn vị")
    expect(approve).to_be_visible()
    assert_fits_width(chair)
    shot(chair, "flow-phone-approve-plan")

    # "Cancel" in the confirmation: nothing happens.
    cancelled: list[str] = []
    chair.once("dialog", lambda d: (cancelled.append(d.message), d.dismiss()))
    approve.click()
    chair.wait_for_timeout(300)
    assert "sẽ gửi yêu cầu tới 2 đơn vị và không hoàn tác được" in cancelled[0]
    with app.app_context():
        assert db.session.get(Plan, plan_id).status == "submitted"
    assert count(app, PlanRequest) == 0

    confirming(chair)
    approve.click()
    expect(chair.locator(".flash-success")).to_have_text("Đã duyệt kế hoạch.")
    assert count(app, PlanRequest) == 2

    # The district's officer reminds the two late communes, twice: once each.
    district, district_problems = _phone(open_page)
    log_in(district, "staff.d1", "flow-phone-cascade")
    district.goto(f"/plans/{plan_id}/cascade")
    again = district.context.new_page()
    again.goto(f"/plans/{plan_id}/cascade")
    asked = confirming(district)
    district.get_by_role("button", name="Nhắc 2 đơn vị quá hạn").click()
    expect(district.locator(".flash-success")).to_have_text("Đã nhắc 2 đơn vị.")
    assert "Gửi thông báo nhắc tới 2 đơn vị quá hạn nộp kế hoạch thực hiện" in asked[0]
    expect(district.locator(".remind-box")).to_contain_text(
        "2 đơn vị quá hạn đã được nhắc hôm nay.")
    assert_fits_width(district)
    shot(district, "flow-phone-cascade-reminded")
    confirming(again)
    again.get_by_role("button", name="Nhắc 2 đơn vị quá hạn").click()
    expect(again.locator(".flash-success")).to_contain_text(
        "2 đơn vị đã được nhắc hôm nay nên không nhắc lại.")
    assert [_reminders_of(app, user_id) for user_id in staff] == [1, 1]
    problems.assert_none()
    district_problems.assert_none()


def test_a_chair_approves_three_reports_on_a_phone_one_failing(open_page, app,  # noqa: F811
                                                                world):
    from playwright.sync_api import expect

    from tests.test_bulk_approval import _three_communes_sent

    ids = _three_communes_sent(app, world)
    add_user(app, world, "approver2.d1", "approver", "D1")
    chair, problems = _phone(open_page)
    log_in(chair, "approver.d1", "flow-phone-bulk")
    chair.goto("/reports/inbox")
    for report_id in ids.values():
        chair.locator(f"#pick-{report_id}").check()
    assert_fits_width(chair)
    shot(chair, "flow-phone-bulk-inbox")
    chair.get_by_role("button", name="Xem lại để duyệt các báo cáo đã chọn").first.click()

    expect(chair.get_by_role("heading", level=1)).to_have_text("Xem lại trước khi duyệt")
    expect(chair.locator(".review-item")).to_have_count(3)
    c11 = chair.locator(f"#review-{ids['C11']}")
    expect(c11).to_contain_text("1 thay đổi bất thường so với kỳ trước")
    expect(c11.locator("tr.unusual")).to_contain_text("Thay đổi bất thường")  # open: unusual
    expect(chair.locator(f"#review-{ids['C12']} tr.unusual")).to_have_count(0)
    approve = chair.get_by_role("button", name="Duyệt 3 báo cáo")
    expect(approve).to_be_visible()
    assert_fits_width(chair)
    shot(chair, "flow-phone-bulk-review")

    # Meanwhile another approver of the district returns C12's report.
    other = Browser(app, "approver2.d1")
    page = text(other.get(f"/reports/{ids['C12']}"))
    assert other.post(f"/reports/{ids['C12']}/return", {
        "version": version_on(page), "comment": "Thiếu số liệu hòa giải."}).status_code == 302

    asked = confirming(chair)
    approve.click()
    expect(chair.get_by_role("heading", level=1)).to_have_text("Kết quả duyệt")
    assert asked and asked[0].startswith("Duyệt 3 báo cáo?")
    expect(chair.locator(".approved-list")).to_contain_text("Đã duyệt 2 báo cáo.")
    failed = chair.locator(".failed-list")
    expect(failed).to_contain_text("1 báo cáo chưa được duyệt:")
    expect(failed).to_contain_text("Hội LHPN xã Canh Tân")
    expect(failed).to_contain_text("không còn chờ duyệt (đang ở trạng thái “Bị trả lại”)")
    assert_fits_width(chair)
    shot(chair, "flow-phone-bulk-done")
    with app.app_context():
        assert [db.session.get(Report, ids[c]).status for c in ("C11", "C12", "C13")] == [
            "approved", "returned", "approved"]

    chair.get_by_role("link", name="Về hộp duyệt").click()
    expect(chair.locator("table.inbox")).to_contain_text("Không có báo cáo nào chờ duyệt.")
    problems.assert_none()


def test_a_plan_draft_warns_when_someone_saved_the_plan_meanwhile(open_page, app,  # noqa: F811
                                                                  world):
    from playwright.sync_api import expect

    officer = Browser(app, "staff.d1")
    plan_id = create(officer, world.units["D1"])
    page, problems = _phone(open_page)
    log_in(page, "staff.d1", "flow-phone-plan-draft")
    page.goto(f"/plans/{plan_id}/edit")
    page.get_by_label("Tên kế hoạch").fill("Kế hoạch giám sát năm 2026 (bản đang soạn)")
    page.wait_for_function("() => Object.keys(localStorage).some(k => "
                           "localStorage.getItem(k).includes('bản đang soạn'))")

    # A colleague saves the plan from another computer; this tab keeps typing.
    from tests.test_plan_pages import plan_form

    edit = text(officer.get(f"/plans/{plan_id}/edit"))
    assert officer.post(f"/plans/{plan_id}/edit", plan_form(
        number="99/KH-BTV", version=version_on(edit))).status_code == 302
    page.wait_for_timeout(1100)  # the colleague's save and the next keystroke: apart in time
    page.get_by_label("Địa danh").fill("Hưng Hà, Thái Bình")
    page.wait_for_function("() => Object.keys(localStorage).some(k => "
                           "localStorage.getItem(k).includes('Thái Bình'))")

    page.reload()
    offer = page.locator("[data-draft-offer]")
    expect(offer).to_contain_text("người khác đã lưu nội dung này")
    expect(page.get_by_label("Số, ký hiệu")).to_have_value("99/KH-BTV")
    current = page.locator("input[name=version]").input_value()
    assert_fits_width(page)
    shot(page, "flow-phone-plan-draft-changed")
    offer.get_by_role("button", name="Khôi phục nội dung đang soạn").click()
    expect(page.get_by_label("Tên kế hoạch")).to_have_value(
        "Kế hoạch giám sát năm 2026 (bản đang soạn)")
    expect(page.locator("input[name=version]")).to_have_value(current)
    page.get_by_role("button", name="Lưu kế hoạch").first.click()
    expect(page.locator(".flash-success")).to_have_text("Đã lưu kế hoạch.")
    with app.app_context():
        plan = db.session.get(Plan, plan_id)
        assert (plan.title, plan.place) == ("Kế hoạch giám sát năm 2026 (bản đang soạn)",
                                            "Hưng Hà, Thái Bình")
    assert _drafts(page) == {}
    problems.assert_none()
