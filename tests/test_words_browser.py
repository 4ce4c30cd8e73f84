"""The words of the union in a real browser: a commune's officer opens, fills and submits a
monthly report, and neither the form, the report page nor the approver's notice shows a code
(indicator codes, the form's code, "2026-03"); the branch's report says who entered it for whom.
Screenshots go to test-artifacts/words-*.png."""

import re

import pytest

from tests.browser import DESKTOP, confirming, log_in, shot
from tests.test_plan_pages import add_user

pytestmark = pytest.mark.browser

CODES = re.compile(r"\b(TUYEN_TRUYEN|DOI_THOAI|HOA_GIAI|KINH_PHI|DON_THU|BC_THANG|2026-03)\b")


def test_a_report_page_shows_names_and_periods_not_codes(open_page, world, app):  # noqa: F811
    from playwright.sync_api import expect

    add_user(app, world, "staff.c11", "staff", "C11")
    page, _problems = open_page(DESKTOP)
    log_in(page, "staff.c11", "words")
    page.goto("/reports/?year=2026")
    row = (page.locator("table.calendar tbody tr").filter(has_text="Tháng 03/2026")
           .filter(has_text="Báo cáo kết quả hoạt động tháng"))
    row.get_by_role("button", name="Lập báo cáo").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Nhập báo cáo")
    shown = page.locator("main").inner_text()
    assert "Số hoạt động tuyên truyền" in shown and not CODES.search(shown), CODES.search(shown)
    shot(page, "words-form")
    page.locator("#v-TUYEN_TRUYEN").fill("3")
    page.locator("#v-HOA_GIAI").fill("1")
    asked = confirming(page)
    page.get_by_role("button", name="Gửi duyệt").click()
    expect(page.locator(".flash-success")).to_have_text("Đã gửi báo cáo chờ duyệt.")
    assert asked and asked[0].startswith("Gửi “Báo cáo kết quả hoạt động tháng” kỳ tháng "
                                         "03/2026 của Hội LHPN xã Tân Lễ")
    shown = page.locator("main").inner_text()
    assert "Tháng 03/2026" in shown and not CODES.search(shown), CODES.search(shown)
    shot(page, "words-report")

    approver, _ = open_page(DESKTOP)
    log_in(approver, "approver.d1", "words-approver")
    approver.goto("/notifications/")
    notice = approver.locator("main").inner_text()
    assert ("Hội LHPN xã Tân Lễ gửi “Báo cáo kết quả hoạt động tháng” kỳ tháng 03/2026 "
            "chờ duyệt.") in notice
    assert not CODES.search(notice) and not re.search(r"báo cáo\W+báo cáo", notice, re.I)
    shot(approver, "words-notice")
