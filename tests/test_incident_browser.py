"""An incident in a real browser: the commune's officer records it on a phone; the district's
chair, told at once, sees the notice without the victim's name, opens the case masked, chooses
a purpose and reads it in clear; a viewer of the district sees it masked only. Screenshots go
to test-artifacts/incident-*.png."""

import pytest

from tests.browser import PHONE, assert_fits_width, log_in, shot
from tests.incident_world import NAME
from tests.incident_world import PHONE as VICTIM_PHONE

pytestmark = pytest.mark.browser


def test_record_on_a_phone_then_the_chain_reads_it(open_page, people, app):
    from playwright.sync_api import expect

    officer, officer_problems = open_page(PHONE, is_mobile=True, has_touch=True)
    log_in(officer, "staff.c11", "incident-phone")
    officer.goto("/incidents/")
    officer.get_by_role("link", name="Ghi nhận vụ việc").click()
    expect(officer.get_by_role("heading", level=1)).to_have_text("Ghi nhận vụ việc")
    officer.get_by_label("Loại vụ việc").select_option(label="Bạo lực gia đình")
    officer.get_by_label("Ngày xảy ra").fill("2026-11-20")
    officer.get_by_label("Nơi xảy ra").fill("Nhà riêng, thôn Tân Hòa")
    officer.get_by_label("Nguồn thông tin").fill("Chi hội trưởng báo qua điện thoại")
    officer.get_by_label("Diễn biến vụ việc").fill("Bị chồng đánh gây thương tích ở tay.")
    officer.get_by_label("Họ và tên nạn nhân").fill(NAME)
    officer.get_by_label("Năm sinh hoặc tuổi").fill("1990")
    officer.get_by_label("Số điện thoại nạn nhân").fill(VICTIM_PHONE)
    assert_fits_width(officer)
    shot(officer, "incident-phone-form")
    officer.get_by_role("button", name="Lưu và báo cáo nhanh").click()
    expect(officer.locator(".flash-success")).to_contain_text("báo ngay lên cấp trên")
    expect(officer.locator("body")).not_to_contain_text(NAME)  # masked until a purpose
    assert_fits_width(officer)
    shot(officer, "incident-phone-recorded")

    chair, chair_problems = open_page()
    log_in(chair, "approver.d1", "incident-desktop")
    expect(chair.locator(".notices-link .count")).to_have_text("1")
    chair.goto("/notifications/")
    expect(chair.locator("main")).to_contain_text("Vụ việc mới cần theo dõi")
    expect(chair.locator("main")).not_to_contain_text(NAME)
    chair.goto("/incidents/")
    expect(chair.locator("table")).to_contain_text("Bạo lực gia đình")
    expect(chair.locator("table")).to_contain_text("30–44 tuổi")
    chair.locator("table a").first.click()
    expect(chair.get_by_role("heading", name="Xem thông tin đầy đủ")).to_be_visible()
    chair.get_by_label("Mục đích", exact=True).select_option("supervision")
    chair.get_by_role("button", name="Xem", exact=True).click()
    expect(chair.locator("main")).to_contain_text(NAME)
    expect(chair.locator("main")).to_contain_text(VICTIM_PHONE)
    shot(chair, "incident-desktop-clear")

    # The victim agreed to the police being told: recorded, then the referral letter drafted.
    chair.get_by_text("Ghi nhận sự đồng ý", exact=True).click()
    chair.get_by_label("Đồng ý cho").select_option("police")
    chair.get_by_role("button", name="Ghi nhận", exact=True).click()
    expect(chair.locator(".flash-success")).to_have_text("Đã ghi nhận sự đồng ý.")
    chair.get_by_text("Lập văn bản chuyển gửi", exact=True).click()
    chair.get_by_label("Tên cơ quan nhận").fill("Công an xã Tân Lễ")
    with chair.expect_download() as download:
        chair.get_by_role("button", name="Lập văn bản chuyển gửi (.docx)").click()
    assert download.value.suggested_filename.startswith("van-ban-chuyen-gui-vu-viec-")
    shot(chair, "incident-desktop-consent")

    viewer, viewer_problems = open_page(PHONE, is_mobile=True, has_touch=True)
    log_in(viewer, "viewer.d1", "incident-viewer")
    viewer.goto(chair.url.split("?")[0].replace(chair.url.split("/incidents")[0], ""))
    expect(viewer.locator("main")).to_contain_text("Bạo lực gia đình")
    expect(viewer.locator("main")).to_contain_text("chỉ xem được thông tin đã ẩn danh")
    expect(viewer.locator("main")).not_to_contain_text(NAME)
    assert_fits_width(viewer)
    shot(viewer, "incident-phone-masked")

    for problems in (officer_problems, chair_problems, viewer_problems):
        problems.assert_none()


def test_the_statistics_fit_a_phone(open_page, app, people):
    from playwright.sync_api import expect

    from lhpn.extensions import db
    from tests.test_incident_stats import _record

    with app.app_context():
        _record(people, "staff.c11", "C11", "2026-11-20")
        db.session.commit()
    page, problems = open_page(PHONE, is_mobile=True, has_touch=True)
    log_in(page, "viewer.tb", "incident-stats")
    page.goto("/incidents/")
    page.get_by_role("link", name="Thống kê", exact=True).click()
    page.get_by_label("Năm").fill("2026")
    page.get_by_role("button", name="Xem").click()
    main = page.locator("main")
    expect(main).to_contain_text("Hội LHPN huyện Hưng Hà")
    expect(main).to_contain_text("< 3")
    expect(main).not_to_contain_text(NAME)
    assert_fits_width(page)
    shot(page, "incident-stats-phone")
    problems.assert_none()


def test_the_issues_journey_from_a_branch_to_the_access_log(open_page, people, app):
    """Issue 15's journey: a branch officer records a case on a 390 px phone; the commune's
    chair and the province's protection officer are told; the province's viewer sees it
    masked; the protection officer reads it in clear, and the tenant admin finds that read in
    the log of sensitive reads (the log, never the data)."""
    from playwright.sync_api import expect

    from lhpn.extensions import db
    from lhpn.tenants.models import Tenant
    from lhpn.units.models import Unit
    from tests.factories import user

    with app.app_context():
        user(db.session.get(Tenant, people.tenants["TB"]), "staff.b111", "staff",
             db.session.get(Unit, people.units["B111"]))
        db.session.commit()

    officer, officer_problems = open_page(PHONE, is_mobile=True, has_touch=True)
    log_in(officer, "staff.b111", "journey-branch")
    officer.goto("/incidents/new")
    officer.get_by_label("Loại vụ việc").select_option(label="Bạo lực gia đình")
    officer.get_by_label("Ngày xảy ra").fill("2026-11-21")
    officer.get_by_label("Nguồn thông tin").fill("Hội viên báo trực tiếp")
    officer.get_by_label("Diễn biến vụ việc").fill("Bị chồng đánh, hàng xóm can ngăn.")
    officer.get_by_label("Họ và tên nạn nhân").fill(NAME)
    officer.get_by_label("Năm sinh hoặc tuổi").fill("34")
    officer.get_by_label("Số điện thoại nạn nhân").fill(VICTIM_PHONE)
    assert_fits_width(officer)
    officer.get_by_role("button", name="Lưu và báo cáo nhanh").click()
    expect(officer.locator(".flash-success")).to_contain_text("báo ngay lên cấp trên")
    case_path = "/incidents/" + officer.url.split("/incidents/")[1].split("?")[0]
    shot(officer, "journey-branch-recorded")

    for username, prefix in (("approver.c11", "journey-commune-chair"),
                             ("protection.tb", "journey-protection")):
        told, problems = open_page()
        log_in(told, username, prefix)
        expect(told.locator(".notices-link .count")).to_have_text("1")
        told.goto("/notifications/")
        expect(told.locator("main")).to_contain_text("Vụ việc mới cần theo dõi")
        expect(told.locator("main")).not_to_contain_text(NAME)
        problems.assert_none()
        if username == "protection.tb":
            protection = told

    viewer, viewer_problems = open_page(PHONE, is_mobile=True, has_touch=True)
    log_in(viewer, "viewer.tb", "journey-viewer")
    viewer.goto(case_path)
    expect(viewer.locator("main")).to_contain_text("chỉ xem được thông tin đã ẩn danh")
    expect(viewer.locator("main")).to_contain_text("Bạo lực gia đình")
    expect(viewer.locator("main")).not_to_contain_text(NAME)
    expect(viewer.locator("main")).not_to_contain_text(VICTIM_PHONE)
    assert_fits_width(viewer)
    shot(viewer, "journey-viewer-masked")

    protection.goto(case_path)
    protection.get_by_label("Mục đích", exact=True).select_option("support")
    protection.get_by_role("button", name="Xem", exact=True).click()
    expect(protection.locator("main")).to_contain_text(NAME)
    shot(protection, "journey-protection-clear")

    admin, admin_problems = open_page()
    log_in(admin, "tenant_admin.tb", "journey-admin")
    admin.goto("/privacy/reads")
    row = admin.locator("tbody tr", has_text="protection.tb")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("#" + case_path.rsplit("/", 1)[1])
    expect(row).to_contain_text("họ tên nạn nhân")
    expect(admin.locator("main")).not_to_contain_text(NAME)
    expect(admin.locator("main")).not_to_contain_text(VICTIM_PHONE)
    shot(admin, "journey-admin-log")

    for problems in (officer_problems, viewer_problems, admin_problems):
        problems.assert_none()
