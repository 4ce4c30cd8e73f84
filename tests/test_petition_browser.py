"""A petition in a real browser: the commune's officer enters a mass petition in the register
on a phone (the page fits 390 px); the district's chair, told at once, sees the notice without
the petitioner's name, opens the petition masked, chooses a purpose and reads it in clear; a
viewer of the district sees it masked only. Screenshots go to test-artifacts/petition-*.png."""

import pytest

from tests.browser import PHONE, assert_fits_width, log_in, shot
from tests.test_petitions import NAME, SUMMARY
from tests.test_petitions import PHONE as PETITIONER_PHONE

pytestmark = pytest.mark.browser


def test_a_mass_petition_on_a_phone_then_the_level_above_reads_it(open_page, people, app):
    from playwright.sync_api import expect

    officer, officer_problems = open_page(PHONE, is_mobile=True, has_touch=True)
    log_in(officer, "staff.c11", "petition-phone")
    officer.goto("/petitions/")
    officer.get_by_role("link", name="Tiếp nhận đơn").click()
    expect(officer.get_by_role("heading", level=1)).to_have_text("Tiếp nhận đơn")
    officer.get_by_label("Loại đơn").select_option("complaint")
    officer.get_by_label("Hình thức tiếp nhận").select_option("in_person")
    officer.get_by_label("Họ và tên").fill(NAME)
    officer.get_by_label("Điện thoại").fill(PETITIONER_PHONE)
    officer.get_by_label("Tóm tắt nội dung đơn").fill(SUMMARY)
    officer.get_by_label("Khiếu kiện đông người").check()
    assert_fits_width(officer)
    shot(officer, "petition-phone-form")
    officer.get_by_role("button", name="Vào sổ").click()
    expect(officer.locator(".flash-success")).to_contain_text("Đã vào sổ Đơn số 1/")
    expect(officer.locator("main")).to_contain_text(NAME)  # its own unit reads it in clear
    assert_fits_width(officer)
    shot(officer, "petition-phone-received")

    chair, chair_problems = open_page()
    log_in(chair, "approver.d1", "petition-desktop")
    chair.goto("/notifications/")
    expect(chair.locator("main")).to_contain_text("Khiếu kiện đông người")
    expect(chair.locator("main")).not_to_contain_text(NAME)
    chair.goto("/petitions/")
    chair.locator("table a").first.click()
    expect(chair.locator("main")).not_to_contain_text(NAME)
    chair.get_by_label("Mục đích", exact=True).select_option("supervision")
    chair.get_by_role("button", name="Xem", exact=True).click()
    expect(chair.locator("main")).to_contain_text(NAME)
    expect(chair.locator("main")).to_contain_text(PETITIONER_PHONE)
    shot(chair, "petition-desktop-clear")
    path = "/petitions/" + chair.url.split("/petitions/")[1].split("?")[0]

    viewer, viewer_problems = open_page(PHONE, is_mobile=True, has_touch=True)
    log_in(viewer, "viewer.d1", "petition-viewer")
    viewer.goto(path)
    expect(viewer.locator("main")).to_contain_text("chỉ xem được thông tin đã ẩn")
    expect(viewer.locator("main")).not_to_contain_text(NAME)
    assert_fits_width(viewer)
    shot(viewer, "petition-phone-masked")

    for problems in (officer_problems, chair_problems, viewer_problems):
        problems.assert_none()
