"""Numbers typed the Vietnamese way in a real browser on a phone (390 px): the commune's
officer types "12.500,5" and "1.500" into the report form; the browser sends what was typed
(type=number would refuse it, or read it by the phone's locale), the page shows what it stored,
and an ambiguous "1,500" is refused next to its field with both readings.
Screenshots go to test-artifacts/numbers-*.png."""

import pytest

from lhpn.accounts.models import User
from lhpn.extensions import db
from lhpn.reports import services as reports
from lhpn.reports.models import Report
from lhpn.units.models import Unit
from tests.browser import PHONE, assert_fits_width, log_in, shot
from tests.test_plan_pages import add_user

pytestmark = pytest.mark.browser

KINH_PHI = "Kinh phí vận động, hỗ trợ hội viên"
TUYEN_TRUYEN = "Số hoạt động tuyên truyền chủ trương, chính sách, pháp luật"
# The monthly form's indicators bound to records (lhpn/indicators/bindings.py): none here, 0.
BOUND = dict.fromkeys(("BAO_LUC", "NAN_NHAN", "DON_THU", "DOI_THOAI", "GIAM_SAT", "PHAN_BIEN",
                       "GOP_Y"), 0)


def _draft(app, world) -> int:
    with app.app_context():
        staff = db.session.get(User, world.users["staff.c11"])
        report = reports.open_report(staff, db.session.get(Unit, world.units["C11"]),
                                     reports.get_template(world.tenants["TB"], "BC_THANG"),
                                     "2026-10")
        db.session.commit()
        return report.id


def _stored(app, report_id: int) -> dict:
    with app.app_context():
        return reports.values_dict(db.session.get(Report, report_id))


def test_vietnamese_numbers_on_a_phone(open_page, world, app):  # noqa: F811
    from playwright.sync_api import expect

    add_user(app, world, "staff.c11", "staff", "C11")
    report_id = _draft(app, world)
    page, problems = open_page(PHONE, is_mobile=True, has_touch=True)
    log_in(page, "staff.c11", "numbers-phone")
    page.goto(f"/reports/{report_id}/edit")
    kinh_phi, count = page.locator("#v-KINH_PHI"), page.locator("#v-TUYEN_TRUYEN")
    expect(kinh_phi).to_have_attribute("inputmode", "decimal")
    expect(count).to_have_attribute("inputmode", "numeric")
    expect(page.locator(".number-hint")).to_contain_text("1.500 là một nghìn năm trăm")

    # Ambiguous: refused next to the field, both readings shown, the typed text kept.
    count.fill("1.500")
    kinh_phi.fill("1,500")
    page.get_by_role("button", name="Lưu nháp").click()
    error = page.locator("#field-KINH_PHI .error")
    expect(error).to_contain_text("“1,500” có thể đọc là 1,5 hoặc 1.500")
    expect(kinh_phi).to_have_value("1,500")
    expect(count).to_have_value("1.500")
    assert_fits_width(page)
    shot(page, "numbers-phone-refused")
    assert _stored(app, report_id) == {}
    # The refusal answers 422, which the browser logs: expected here, nothing else is.
    assert [f.split(" ", 1)[0] for f in problems.failed] == ["422"]
    assert len(problems.console) == 1 and "422" in problems.console[0]
    problems.failed.clear()
    problems.console.clear()

    # What the app itself shows: twelve thousand five hundred and a half.
    kinh_phi.fill("12.500,5")
    page.get_by_role("button", name="Lưu nháp").click()
    expect(page.locator(".flash-success")).to_have_text("Đã lưu báo cáo.")
    rows = page.locator(".report-values tr")
    expect(rows.filter(has_text=KINH_PHI).locator(".value-now")).to_have_text("12.500,5")
    expect(rows.filter(has_text=TUYEN_TRUYEN).locator(".value-now")).to_have_text("1.500")
    # The month's counts bound to records come prefilled (none: 0) and are saved too.
    assert _stored(app, report_id) == {"KINH_PHI": 12500.5, "TUYEN_TRUYEN": 1500} | BOUND
    assert_fits_width(page)
    shot(page, "numbers-phone-saved")

    # The form shows the stored number as the page does; "1.500" is one thousand five hundred.
    page.goto(f"/reports/{report_id}/edit")
    expect(kinh_phi).to_have_value("12.500,5")
    kinh_phi.fill("1.500")
    page.get_by_role("button", name="Lưu nháp").click()
    expect(page.locator(".flash-success")).to_have_text("Đã lưu báo cáo.")
    expect(rows.filter(has_text=KINH_PHI).locator(".value-now")).to_have_text("1.500")
    assert _stored(app, report_id) == {"KINH_PHI": 1500, "TUYEN_TRUYEN": 1500} | BOUND
    problems.assert_none()
