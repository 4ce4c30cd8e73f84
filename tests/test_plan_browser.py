"""A plan in a real browser, by two people: the district's officer writes and submits it, the
province's approver returns it with a comment, the officer corrects and resubmits it, the
approver approves it. Screenshots at desktop and phone widths go to test-artifacts/."""

import re
from datetime import timedelta

import pytest

from lhpn.clock import utcnow
from tests.test_browser import (  # noqa: F401  (fixtures)
    DESKTOP,
    PHONE,
    assert_fits_width,
    browser,
    confirming,
    live_server,
    log_in,
    open_page,
    playwright_api,
    shot,
)

pytestmark = pytest.mark.browser

TITLE = "Kế hoạch tuyên truyền, giám sát năm 2026 của huyện Hưng Hà"
COMMENT = "Đề nghị nâng chỉ tiêu tuyên truyền lên 3 hoạt động mỗi xã."


def test_write_submit_return_resubmit_approve(open_page, world):  # noqa: F811
    from playwright.sync_api import expect

    staff, staff_problems = open_page()
    log_in(staff, "staff.d1", "plan-desktop")
    staff.get_by_role("link", name="Kế hoạch", exact=True).click()
    expect(staff.get_by_role("heading", level=1)).to_contain_text("Kế hoạch")
    staff.get_by_role("link", name="Kế hoạch mới").click()
    expect(staff.get_by_role("heading", level=1)).to_contain_text("Kế hoạch mới")

    staff.get_by_label("Số, ký hiệu").fill("21/KH-BTV")
    staff.get_by_label("Địa danh").fill("Hưng Hà")
    staff.get_by_label("Tên kế hoạch").fill(TITLE)
    staff.get_by_label("I. Mục đích, yêu cầu").fill(
        "1. Nâng cao chất lượng **tuyên truyền**.\n2. Bám sát thực tiễn cơ sở.")
    staff.get_by_label("III. Nội dung").fill("## 1. Tuyên truyền\n\n- Hội nghị báo cáo viên")
    # One target: a share of the communes; its threshold appears once the kind asks for it.
    threshold = staff.locator("#targets-0-threshold")
    expect(threshold).to_be_hidden()
    staff.locator("#targets-0-indicator").select_option("TUYEN_TRUYEN")
    staff.locator("#targets-0-level").select_option("commune")
    staff.locator("#targets-0-kind").select_option("share")
    expect(threshold).to_be_visible()
    staff.locator("#targets-0-value").fill("100")
    threshold.fill("2")
    # "Thêm dòng" adds a blank row from the template.
    rows = staff.locator("#target-rows .target-row")
    expect(rows).to_have_count(3)
    staff.locator("[data-add-row=target-rows]").click()
    expect(rows).to_have_count(4)
    expect(staff.locator("#targets-3-indicator")).to_be_focused()
    # One activity, in the first quarter.
    staff.locator("#activities-0-title").fill("Hội nghị tập huấn báo cáo viên cấp xã")
    staff.locator("#activities-0-when").select_option("quarter")
    staff.locator("#activities-0-when_number").fill("1")
    staff.locator("#activities-0-lead").fill("Ban Tuyên giáo")
    staff.locator("#activities-0-budget_source").fill("Ngân sách Hội")
    staff.get_by_label("Nơi nhận (mỗi dòng một nơi)").fill("BTV Hội LHPN tỉnh;\nLưu: VP.")
    staff.get_by_label("Họ tên người ký").fill("Trần Thị Lan")
    # The communes are asked for their implementing plans once this one is issued.
    staff.get_by_label("Xã", exact=True).check()
    staff.get_by_label("Hạn gửi kế hoạch của cấp dưới").fill(
        (utcnow().date() + timedelta(days=30)).isoformat())
    shot(staff, "plan-desktop-form")
    staff.get_by_role("button", name="Lưu kế hoạch").click()

    expect(staff.locator(".flash-success")).to_have_text("Đã tạo kế hoạch dự thảo.")
    expect(staff.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(staff.locator(".targets")).to_contain_text(
        "100% Hội LHPN xã đạt ≥ 2 hoạt động — Số hoạt động tuyên truyền")
    plan_url = staff.url
    shot(staff, "plan-desktop-draft")
    asked = confirming(staff)
    staff.get_by_role("button", name="Gửi duyệt").click()
    expect(staff.locator(".flash-success")).to_have_text("Đã gửi kế hoạch chờ phê duyệt.")
    assert "để Hội LHPN tỉnh Thái Bình phê duyệt?" in asked[0]
    expect(staff.locator(".plan-head .badge")).to_have_class(re.compile("status-submitted"))

    # The province's approver, on a phone, returns it with a comment.
    approver, approver_problems = open_page(PHONE, is_mobile=True, has_touch=True)
    log_in(approver, "approver.tb", "plan-phone")
    approver.goto(plan_url)
    expect(approver.get_by_role("button", name="Phê duyệt")).to_be_visible()
    assert_fits_width(approver)
    shot(approver, "plan-phone-to-approve")
    approver.get_by_label("Ý kiến khi trả lại (bắt buộc)").fill(COMMENT)
    approver.get_by_role("button", name="Trả lại với ý kiến").click()
    expect(approver.locator(".flash-success")).to_have_text("Đã trả lại kế hoạch kèm ý kiến.")
    expect(approver.locator(".plan-head .badge")).to_have_class(re.compile("status-returned"))

    # The officer sees the comment in the timeline, corrects the target and resubmits.
    staff.reload()
    expect(staff.locator(".timeline .comment")).to_have_text(COMMENT)
    expect(staff.locator(".plan-head .badge")).to_have_class(re.compile("status-returned"))
    shot(staff, "plan-desktop-returned")
    staff.get_by_role("link", name="Sửa", exact=True).click()
    expect(staff.locator("#targets-0-threshold")).to_have_value("2")
    staff.locator("#targets-0-threshold").fill("3")
    staff.get_by_role("button", name="Lưu kế hoạch").click()
    expect(staff.locator(".flash-success")).to_have_text("Đã lưu kế hoạch.")
    expect(staff.locator(".targets")).to_contain_text("100% Hội LHPN xã đạt ≥ 3 hoạt động")
    confirming(staff)
    staff.get_by_role("button", name="Gửi duyệt").click()
    expect(staff.locator(".plan-head .badge")).to_have_class(re.compile("status-submitted"))

    approver.reload()
    expect(approver.locator(".targets")).to_contain_text("≥ 3 hoạt động")
    asked = confirming(approver)
    approver.get_by_role("button", name="Phê duyệt").click()
    expect(approver.locator(".flash-success")).to_have_text("Đã phê duyệt kế hoạch.")
    assert "sẽ gửi yêu cầu tới 2 đơn vị" in asked[0]  # D1's communes C11 and C12
    expect(approver.locator(".plan-head .badge")).to_have_text("Đã duyệt")
    assert_fits_width(approver)
    shot(approver, "plan-phone-approved")

    staff.reload()
    expect(staff.locator(".plan-head .badge")).to_have_text("Đã duyệt")
    steps = staff.locator(".timeline li strong").all_inner_texts()
    assert steps == ["Gửi duyệt", "Trả lại", "Gửi duyệt", "Phê duyệt"]
    expect(staff.get_by_role("link", name="Sửa", exact=True)).to_have_count(0)
    shot(staff, "plan-desktop-approved")
    staff.get_by_role("link", name="Tiến độ cấp dưới (2)").click()
    expect(staff.locator("table.cascade")).to_contain_text("Hội LHPN xã Tân Lễ")
    expect(staff.locator("table.cascade .state-not_started")).to_have_count(2)
    shot(staff, "plan-desktop-cascade")

    # The officer's pages on a phone: the list, the notices and the form fit the screen.
    phone, phone_problems = open_page(PHONE, is_mobile=True, has_touch=True)
    log_in(phone, "staff.d1", "plan-phone-staff")
    phone.goto("/plans/")
    expect(phone.get_by_role("link", name=TITLE)).to_be_visible()
    assert_fits_width(phone)
    shot(phone, "plan-phone-list")
    phone.goto("/notifications/")
    expect(phone.locator(".notices")).to_contain_text("đã được phê duyệt")
    assert_fits_width(phone)
    shot(phone, "plan-phone-notifications")
    phone.goto("/plans/new")
    phone.locator("#targets-0-kind").select_option("share")
    phone.locator("#activities-0-when").select_option("range")
    assert_fits_width(phone)
    shot(phone, "plan-phone-form")
    phone.goto(plan_url)
    assert_fits_width(phone)
    assert re.search(r"\d\d/\d\d/\d{4} \d\d:\d\d", phone.locator(".timeline").inner_text())
    shot(phone, "plan-phone-plan")

    for problems in (staff_problems, approver_problems, phone_problems):
        problems.assert_none()
