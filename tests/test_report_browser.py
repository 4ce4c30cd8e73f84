"""A monthly report in a real browser, by two people: the commune's officer (legacy tenant,
commune C11 under district D1) fills and submits it, the district's approver on a phone returns
it with a comment, the officer fixes and resubmits it, the approver approves it, and the report
is locked. Screenshots go to test-artifacts/report-*.png."""

import re

import pytest

from lhpn.accounts.models import User
from lhpn.extensions import db
from lhpn.reports import services as reports
from lhpn.units.models import Unit
from tests.browser import PHONE, assert_fits_width, confirming, log_in, shot
from tests.test_plan_pages import add_user

pytestmark = pytest.mark.browser

FORM = "Báo cáo kết quả hoạt động tháng"
COMMUNE = "Hội LHPN xã Tân Lễ"
COMMENT = "Đề nghị bổ sung số cuộc đối thoại với chính quyền xã."
LOCKED = "Báo cáo đã gửi hoặc đã duyệt thì không sửa được."


def _approved_september(app, world) -> None:
    """The month before, signed off: what October is compared with."""
    with app.app_context():
        staff = db.session.get(User, world.users["staff.c11"])
        report = reports.open_report(staff, db.session.get(Unit, world.units["C11"]),
                                     reports.get_template(world.tenants["TB"], "BC_THANG"),
                                     "2026-09")
        reports.save_report(staff, report, {"TUYEN_TRUYEN": 2, "DOI_THOAI": 1},
                            report.version, reasons={"DOI_THOAI": "Chưa ghi hồ sơ đối thoại."})
        reports.submit_report(staff, report)
        reports.approve_report(db.session.get(User, world.users["approver.d1"]), report)
        db.session.commit()


def _calendar_row(page, label: str):
    return (page.locator("table.calendar tbody tr").filter(has_text=FORM)
            .filter(has_text=label))


def test_submit_return_resubmit_approve_locked(open_page, world, app):  # noqa: F811
    from playwright.sync_api import expect

    add_user(app, world, "staff.c11", "staff", "C11")
    _approved_september(app, world)

    staff, staff_problems = open_page()
    log_in(staff, "staff.c11", "report-desktop")
    staff.get_by_role("link", name="Báo cáo", exact=True).click()
    expect(staff.get_by_role("heading", level=1)).to_have_text("Báo cáo")
    staff.goto("/reports/?year=2026")
    row = _calendar_row(staff, "Tháng 10/2026")
    expect(row).to_contain_text("20/11/2026")
    expect(row.locator(".late")).to_have_text("Quá hạn")
    expect(_calendar_row(staff, "Tháng 09/2026")).to_contain_text("Đã duyệt")
    shot(staff, "report-desktop-calendar")
    row.get_by_role("button", name="Lập báo cáo").click()
    expect(staff.get_by_role("heading", level=1)).to_contain_text("Nhập báo cáo")
    expect(staff.locator(".report-facts")).to_contain_text("Tháng 10/2026")
    expect(staff.locator("#field-TUYEN_TRUYEN .previous-value")).to_have_text("Kỳ trước: 2")

    staff.locator("#v-TUYEN_TRUYEN").fill("14")
    staff.locator("#v-HOA_GIAI").fill("1")
    staff.locator("#v-KINH_PHI").fill("3,5")
    staff.get_by_label("Kết quả").fill("Tổ chức 14 buổi tuyên truyền Luật Phòng, chống bạo lực "
                                      "gia đình tại các chi hội.")
    staff.get_by_label("Tồn tại, hạn chế").fill("Một số chi hội sinh hoạt chưa đều.")
    shot(staff, "report-desktop-form")
    staff.get_by_role("button", name="Lưu nháp").click()
    expect(staff.locator(".flash-success")).to_have_text("Đã lưu báo cáo.")
    unusual = staff.locator(".report-values tr.unusual")
    expect(unusual).to_have_count(1)
    expect(unusual).to_contain_text("Thay đổi bất thường so với kỳ trước")
    report_url = staff.url
    shot(staff, "report-desktop-draft")
    asked = confirming(staff)
    staff.get_by_role("button", name="Gửi duyệt").click()
    expect(staff.locator(".flash-success")).to_have_text("Đã gửi báo cáo chờ duyệt.")
    expect(staff.locator(".report-head .badge").first).to_have_class(
        re.compile("status-submitted"))
    assert "để Hội LHPN huyện Hưng Hà duyệt? Sau khi gửi, báo cáo không sửa được" in asked[0]

    # The district's approver, on a phone: the inbox, then the report; returns it.
    approver, approver_problems = open_page(PHONE, is_mobile=True, has_touch=True)
    log_in(approver, "approver.d1", "report-phone")
    expect(approver.locator(".inbox-link .count")).to_have_text("1")
    approver.goto("/reports/inbox")
    expect(approver.locator("table.inbox")).to_contain_text(COMMUNE)
    expect(approver.locator("table.inbox")).to_contain_text("Tháng 10/2026")
    assert_fits_width(approver)
    shot(approver, "report-phone-inbox")
    approver.get_by_role("link", name="Mở để duyệt").click()
    expect(approver.get_by_role("button", name="Duyệt", exact=True)).to_be_visible()
    expect(approver.locator(".report-values thead")).to_be_hidden()  # cards on a phone
    expect(approver.locator(".report-values tr.unusual")).to_contain_text("bất thường")
    assert_fits_width(approver)
    shot(approver, "report-phone-to-approve")
    approver.get_by_label("Ý kiến khi trả lại (bắt buộc)").fill(COMMENT)
    approver.get_by_role("button", name="Trả lại", exact=True).click()
    expect(approver.locator(".flash-success")).to_have_text("Đã trả lại báo cáo kèm ý kiến.")
    expect(approver.locator(".report-status .badge")).to_have_text("Bị trả lại")

    # The officer sees the comment, fixes the report and sends it again from the form.
    staff.reload()
    expect(staff.locator(".timeline .comment")).to_have_text(COMMENT)
    expect(staff.locator(".returned-note")).to_contain_text(COMMENT)
    shot(staff, "report-desktop-returned")
    staff.get_by_role("link", name="Sửa", exact=True).click()
    expect(staff.locator("#v-TUYEN_TRUYEN")).to_have_value("14")
    expect(staff.locator("#v-KINH_PHI")).to_have_value("3,5")
    staff.locator("#v-DOI_THOAI").fill("2")
    # DOI_THOAI counts the unit's dialogues (none recorded): another number needs its reason.
    staff.locator("#r-DOI_THOAI").fill("Hai cuộc đối thoại chưa ghi hồ sơ.")
    confirming(staff)
    staff.get_by_role("button", name="Gửi duyệt").click()
    expect(staff.locator(".flash-success")).to_have_text("Đã gửi báo cáo chờ duyệt.")
    expect(staff.locator(".report-status .badge")).to_have_text("Đã gửi")

    approver.reload()
    approver.get_by_role("button", name="Duyệt", exact=True).click()
    expect(approver.locator(".flash-success")).to_have_text("Đã duyệt báo cáo.")
    expect(approver.locator(".report-status .badge")).to_have_text("Đã duyệt")
    expect(approver.locator(".inbox-link .count")).to_have_count(0)
    assert_fits_width(approver)
    shot(approver, "report-phone-approved")

    # Locked: no edit button, and the edit address sends the officer back with the reason.
    staff.reload()
    expect(staff.locator(".report-head")).to_contain_text("Đã khóa")
    expect(staff.get_by_role("link", name="Sửa", exact=True)).to_have_count(0)
    expect(staff.get_by_role("button", name="Gửi duyệt")).to_have_count(0)
    steps = staff.locator(".timeline li strong").all_inner_texts()
    assert steps == ["Gửi duyệt", "Trả lại", "Gửi duyệt", "Duyệt"]
    staff.goto(report_url + "/edit")
    expect(staff.locator(".flash-error")).to_have_text(LOCKED)
    assert staff.url == report_url
    expect(staff.locator("form.report-form")).to_have_count(0)
    shot(staff, "report-desktop-locked")

    # The officer's pages on a phone: the calendar and the form fit the screen.
    phone, phone_problems = open_page(PHONE, is_mobile=True, has_touch=True)
    log_in(phone, "staff.c11", "report-phone-staff")
    phone.goto("/reports/?year=2026")
    assert_fits_width(phone)
    shot(phone, "report-phone-calendar")
    _calendar_row(phone, "Tháng 11/2026").get_by_role("button", name="Lập báo cáo").click()
    expect(phone.get_by_role("heading", level=1)).to_contain_text("Nhập báo cáo")
    assert_fits_width(phone)
    shot(phone, "report-phone-form")

    for problems in (staff_problems, approver_problems, phone_problems):
        problems.assert_none()
