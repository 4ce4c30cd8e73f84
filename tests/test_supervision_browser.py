"""The issue's journey in a real browser, on a fixed clock: a commune officer proposes a
supervision on a phone, the commune's own chair approves its plan, the officer runs it and the
chair signs the report, the officer records the final report with two recommendations; the
MONTHLY report of the month of that final report opens with GIAM_SAT prefilled (1, counted
from that supervision); one recommendation goes overdue and its chasing letter downloads.
Screenshots go to test-artifacts/supervision-*.png."""

import io
from datetime import datetime

import pytest
from docx import Document

from lhpn import clock
from tests.browser import PHONE, assert_fits_width, log_in, shot

pytestmark = pytest.mark.browser

TITLE = "Giám sát chính sách hỗ trợ phụ nữ khởi nghiệp"


def step(page, action: str, button: str, on: str) -> None:
    page.locator(f"#on-{action}").fill(on)
    page.get_by_role("button", name=button, exact=True).click()


def test_from_proposal_to_the_chasing_letter(open_page, people, app, monkeypatch):
    from playwright.sync_api import expect

    monkeypatch.setattr(clock, "utcnow", lambda: datetime(2026, 11, 15, 2, 0))
    officer, officer_problems = open_page(PHONE, is_mobile=True, has_touch=True)
    log_in(officer, "staff.c11", "supervision-phone")
    officer.goto("/supervisions/")
    officer.get_by_role("link", name="Đề xuất giám sát").click()
    officer.get_by_label("Tên cuộc giám sát").fill(TITLE)
    officer.get_by_label("Giám sát về").select_option("policy")
    officer.get_by_label("Nội dung giám sát (chính sách, chương trình, việc thực hiện)").fill(
        "Đề án hỗ trợ phụ nữ khởi nghiệp giai đoạn 2026–2030")
    officer.get_by_label("Cơ quan, tổ chức được giám sát").fill("UBND xã Tân Lễ")
    officer.get_by_label("Hình thức giám sát").select_option("team")
    officer.get_by_label("Thành viên đoàn giám sát (mỗi người một dòng)").fill(
        "Nguyễn Thị An\nTrần Thị Bình")
    officer.get_by_label("Ngày đề xuất").fill("2026-10-01")
    assert_fits_width(officer)
    officer.get_by_role("button", name="Lưu đề xuất").click()
    expect(officer.locator(".flash-success")).to_contain_text("kế hoạch chờ Chủ tịch duyệt")
    supervision_url = officer.url
    assert_fits_width(officer)
    shot(officer, "supervision-phone-proposed")

    chair, chair_problems = open_page()
    log_in(chair, "approver.c11", "supervision-chair")
    chair.goto(supervision_url)
    step(chair, "approve_plan", "Duyệt kế hoạch giám sát", "2026-10-03")
    expect(chair.locator(".flash-success")).to_be_visible()
    expect(chair.locator(".badge.status-approved")).to_be_visible()

    officer.goto(supervision_url)
    step(officer, "start", "Bắt đầu giám sát", "2026-10-05")
    step(officer, "submit_report", "Trình dự thảo báo cáo", "2026-10-28")
    chair.goto(supervision_url)
    step(chair, "approve_report", "Ký báo cáo kết quả giám sát", "2026-10-30")
    expect(chair.locator(".badge.status-reported")).to_be_visible()

    officer.goto(supervision_url)
    officer.get_by_text("Thêm văn bản vào hồ sơ", exact=True).click()
    officer.get_by_label("Loại văn bản").select_option("final_report")
    officer.get_by_label("Số văn bản", exact=True).fill("21/BC-HPN")
    officer.get_by_label("Ngày văn bản").fill("2026-10-30")
    officer.get_by_role("button", name="Thêm văn bản", exact=True).click()
    expect(officer.locator(".dossier")).to_contain_text("21/BC-HPN")
    for text, due in (("Công khai tiêu chí hỗ trợ tại nhà văn hóa thôn", "2026-11-20"),
                      ("Bố trí vốn vay cho phụ nữ khởi nghiệp", "2026-12-31")):
        officer.get_by_text("Thêm kiến nghị", exact=True).click()
        officer.get_by_label("Nội dung kiến nghị").fill(text)
        officer.get_by_label("Thời hạn trả lời").fill(due)
        officer.get_by_role("button", name="Ghi kiến nghị").click()
        expect(officer.locator(".recommendations")).to_contain_text(text)
    assert_fits_width(officer)
    shot(officer, "supervision-phone-recommendations")

    # The monthly report of October (the final report's month) opens from the officer's
    # calendar with GIAM_SAT prefilled from the records: this one supervision.
    officer.goto("/reports/?year=2026")
    (officer.locator("table.calendar tbody tr").filter(has_text="Tháng 10/2026")
     .get_by_role("button", name="Lập báo cáo").click())
    expect(officer.get_by_role("heading", level=1)).to_contain_text("Nhập báo cáo")
    expect(officer.locator("#v-GIAM_SAT")).to_have_value("1")
    expect(officer.locator("#field-GIAM_SAT .from-records")).to_contain_text(
        "Theo hồ sơ của đơn vị trong kỳ: 1")
    assert_fits_width(officer)
    shot(officer, "supervision-phone-monthly")
    report_id = int(officer.url.split("/reports/")[1].split("/")[0])
    supervision_id = int(supervision_url.rstrip("/").rsplit("/", 1)[1])
    from tests.conftest import api_token

    client = app.test_client()
    token = api_token(client, "staff.c11")
    answer = client.get(f"/api/v1/reports/{report_id}",
                        headers={"Authorization": f"Bearer {token}"}).get_json()
    assert answer["template"] == "BC_THANG" and answer["period"] == "2026-10"
    assert answer["from_records"]["GIAM_SAT"] == {
        "count": 1, "overridden": False, "reason": "", "value": 1,
        "record_ids": [supervision_id]}
    # Saved as shown, the draft carries the count.
    officer.get_by_role("button", name="Lưu nháp").click()
    expect(officer.locator(".flash-success")).to_have_text("Đã lưu báo cáo.")
    answer = client.get(f"/api/v1/reports/{report_id}",
                        headers={"Authorization": f"Bearer {token}"}).get_json()
    assert answer["values"]["GIAM_SAT"] == 1

    # Ten days later the first recommendation is overdue: the chasing letter downloads.
    monkeypatch.setattr(clock, "utcnow", lambda: datetime(2026, 11, 25, 2, 0))
    officer.goto("/supervisions/?overdue=1")
    expect(officer.locator("table")).to_contain_text(TITLE)
    officer.get_by_role("link", name=TITLE).click()
    expect(officer.locator(".recommendations")).to_contain_text("Quá hạn 5 ngày")
    with officer.expect_download() as info:
        officer.get_by_role("link", name="Tải công văn đôn đốc (.docx)").click()
    with open(info.value.path(), "rb") as downloaded:
        letter = Document(io.BytesIO(downloaded.read()))
    text = "\n".join(p.text for p in letter.paragraphs)
    assert "UBND xã Tân Lễ" in text and "20/11/2026" in text
    shot(officer, "supervision-phone-overdue")
    officer_problems.assert_none()
    chair_problems.assert_none()
