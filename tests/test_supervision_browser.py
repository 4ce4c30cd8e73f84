"""A supervision in a real browser, on a fixed clock: the commune's officer proposes it on a
phone, the commune's own chair approves its plan, the officer runs it and sends the draft
report, the chair signs it, the officer records two recommendations; the six-month report
opens with GIAM_SAT prefilled; one recommendation goes overdue and its chasing letter
downloads. Screenshots go to test-artifacts/supervision-*.png."""

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

    # The six-month report of the commune opens with GIAM_SAT from the records.
    from lhpn.accounts.models import User
    from lhpn.extensions import db
    from lhpn.reports import services as reports
    from lhpn.units.models import Unit

    with app.app_context():
        report = reports.open_report(
            db.session.get(User, people.users["staff.c11"]),
            db.session.get(Unit, people.units["C11"]),
            reports.get_template(people.tenants["TB"], "BC_GSPB_6T"), "2026-H2")
        db.session.commit()
        report_id = report.id
    officer.goto(f"/reports/{report_id}/edit")
    expect(officer.locator('input[name="v-GIAM_SAT"]')).to_have_value("1")

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
