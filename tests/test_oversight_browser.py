"""Critiques and dialogues in a real browser on a phone (390 px, nothing scrolls sideways): the
commune's officer records a draft and the comments sent, records a dialogue held and a
commitment; the overdue commitment's chasing letter downloads. Screenshots go to
test-artifacts/oversight-*.png."""

from datetime import timedelta

import pytest

from tests.browser import PHONE, assert_fits_width, log_in, shot
from tests.oversight_world import oversight_records
from tests.test_accessibility import axe_script, describe, run_axe  # noqa: F401

pytestmark = pytest.mark.browser


def test_a_commune_officer_on_a_phone(open_page, people, app, axe_script):  # noqa: F811
    from playwright.sync_api import expect

    from lhpn.clock import local_today

    today = local_today()
    ids = oversight_records(app, people)
    # axe is added as a script of its own, which the pages' policy would refuse.
    page, problems = open_page(PHONE, is_mobile=True, has_touch=True, bypass_csp=True)
    log_in(page, "staff.c11", "oversight-phone")
    faults: list[str] = []
    page.goto("/critiques/")
    faults += describe("/critiques/", run_axe(page, axe_script))
    page.get_by_role("link", name="Ghi nhận dự thảo").click()
    page.get_by_label("Loại").select_option("comment")
    page.get_by_label("Tên dự thảo").fill("Dự thảo Kế hoạch phòng chống thiên tai năm 2027")
    page.get_by_label("Cơ quan ban hành").fill("UBND xã Tân Lễ")
    page.get_by_label("Ngày nhận dự thảo").fill((today - timedelta(days=3)).isoformat())
    page.get_by_label("Hạn gửi ý kiến").fill((today + timedelta(days=4)).isoformat())
    assert_fits_width(page)
    shot(page, "oversight-phone-draft")
    faults += describe("/critiques/new", run_axe(page, axe_script))
    page.get_by_role("button", name="Lưu").click()
    expect(page.locator(".flash-success")).to_contain_text("Đã ghi nhận dự thảo")
    page.get_by_label("Ngày gửi ý kiến").fill(today.isoformat())
    page.get_by_label("Tóm tắt ý kiến").fill("Bổ sung nhiệm vụ của Hội ở các thôn ven sông.")
    page.get_by_role("button", name="Gửi ý kiến").click()
    expect(page.locator(".page-head .badge").first).to_have_text("Đã gửi ý kiến")
    expect(page.locator(".timeline")).to_contain_text("Gửi ý kiến")
    assert_fits_width(page)
    shot(page, "oversight-phone-critique")
    faults += describe("/critiques/ID", run_axe(page, axe_script))

    page.goto("/dialogues/?overdue=1")
    expect(page.locator("table")).to_contain_text("Trần Văn Bình")
    assert_fits_width(page)
    faults += describe("/dialogues/", run_axe(page, axe_script))
    page.goto(f"/dialogues/{ids['dialogue']}")
    expect(page.locator(".follow-up .late")).to_contain_text("Quá hạn 2 ngày")
    with page.expect_download() as download:
        page.get_by_role("link", name="Tải công văn đôn đốc (.docx)").click()
    name = download.value.suggested_filename
    assert name == f"Công văn đôn đốc - dialogue {ids['dialogue']}.docx"
    page.locator("summary", has_text="Thêm cam kết").click()
    page.get_by_label("Nội dung cam kết").fill("Hỗ trợ xây nhà vệ sinh cho 5 hộ nghèo")
    page.get_by_label("Cơ quan cam kết").fill("UBND xã Tân Lễ")
    page.locator("#c_due").fill((today + timedelta(days=30)).isoformat())
    page.get_by_role("button", name="Thêm cam kết").click()
    expect(page.locator(".flash-success")).to_have_text("Đã ghi cam kết.")
    expect(page.locator(".follow-ups")).to_contain_text("Hỗ trợ xây nhà vệ sinh")
    assert_fits_width(page)
    shot(page, "oversight-phone-dialogue")
    faults += describe("/dialogues/ID", run_axe(page, axe_script))
    page.goto("/dialogues/new")
    assert_fits_width(page)
    faults += describe("/dialogues/new", run_axe(page, axe_script))
    assert not faults, "\n".join(faults)
    problems.assert_none()
