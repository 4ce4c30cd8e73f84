"""The unit picker in a real browser on a phone (390 px): an admin gives a role at one of four
"Chi hội thôn Đông" by typing part of the name and picking the right one by its parents, with
the script and without it. Screenshots in test-artifacts/picker-*.png."""

import pytest
from sqlalchemy import select

from lhpn.accounts.models import RoleAssignment
from lhpn.extensions import db
from tests.browser import DESKTOP, PHONE, assert_fits_width, log_in, shot
from tests.test_unit_picker import dong  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser
MINH_TAN = "xã Minh Tân — huyện Hưng Hà"


def _roles(app, world) -> set[tuple[str, int]]:
    with app.app_context():
        return set(db.session.execute(select(RoleAssignment.role, RoleAssignment.unit_id).where(
            RoleAssignment.user_id == world.users["member.c11"])).all())


def test_a_role_at_the_right_thon_dong_on_a_phone(open_page, world, dong, app):  # noqa: F811
    from playwright.sync_api import expect

    page, problems = open_page(PHONE, is_mobile=True, has_touch=True)
    log_in(page, "tenant_admin.tb", "picker-phone")
    page.goto(f"/users/{world.users['member.c11']}")
    role = page.get_by_label("Vai trò", exact=True)
    expect(role).to_have_value("")  # nothing chosen: one tap must not make an admin
    shot(page, "picker-phone-user")
    assert_fits_width(page)

    role.select_option("staff")
    box = page.get_by_role("combobox", name="Tại đơn vị")
    expect(page.get_by_role("button", name="Tìm")).to_be_hidden()
    box.press_sequentially("thôn đông", delay=40)
    options = page.get_by_role("listbox").get_by_role("option")
    expect(options).to_have_count(4)
    expect(options.nth(2)).to_contain_text(MINH_TAN)
    expect(page.locator(".picker-status")).to_contain_text("4 đơn vị")
    shot(page, "picker-phone-options")
    assert_fits_width(page)

    # The keyboard: down to the third, Enter chooses it (and does not send the form).
    for _ in range(3):
        box.press("ArrowDown")
    expect(box).to_have_attribute("aria-activedescendant", options.nth(2).get_attribute("id"))
    expect(options.nth(2)).to_have_attribute("aria-selected", "true")
    box.press("Enter")
    expect(box).to_have_value(f"Chi hội thôn Đông — {MINH_TAN}")
    expect(page.get_by_role("listbox")).to_be_hidden()
    assert _roles(app, world) == {("viewer", world.units["C11"])}

    # Typing again forgets the choice; a tap on an option chooses.
    box.fill("")
    box.press_sequentially("dong tan le", delay=40)
    expect(options).to_have_count(1)
    options.first.tap()
    expect(box).to_have_value("Chi hội thôn Đông — xã Tân Lễ — huyện Hưng Hà")
    box.fill("")
    box.press_sequentially("dong minh", delay=40)
    expect(options).to_have_count(1)
    options.first.tap()
    shot(page, "picker-phone-chosen")

    page.get_by_role("button", name="Phân vai trò").click()
    expect(page.locator(".flash-success")).to_have_text("Đã phân vai trò.")
    expect(page.locator("table")).to_contain_text("Cán bộ")
    assert _roles(app, world) == {("viewer", world.units["C11"]),
                                  ("staff", dong["DONG-C13"])}
    shot(page, "picker-phone-done")
    assert_fits_width(page)
    problems.assert_none()


def test_without_script_the_search_comes_back_as_choices(open_page, world, dong, app):  # noqa: F811
    from playwright.sync_api import expect

    page, problems = open_page(PHONE, is_mobile=True, has_touch=True,
                               java_script_enabled=False)
    log_in(page, "tenant_admin.tb", "picker-noscript")
    page.goto(f"/users/{world.users['member.c11']}")
    page.get_by_label("Vai trò", exact=True).select_option("approver")
    page.get_by_role("searchbox").fill("thôn Đông")
    page.get_by_role("button", name="Tìm").click()
    choices = page.get_by_role("radio")
    expect(choices).to_have_count(4)
    expect(page.get_by_label("Vai trò", exact=True)).to_have_value("approver")  # kept
    shot(page, "picker-noscript-choices")
    assert_fits_width(page)
    page.get_by_role("radio", name=f"Chi hội thôn Đông {MINH_TAN}").check()
    page.get_by_role("button", name="Phân vai trò").click()
    expect(page.locator(".flash-success")).to_have_text("Đã phân vai trò.")
    assert ("approver", dong["DONG-C13"]) in _roles(app, world)
    problems.assert_none()


def test_the_move_page_on_a_desktop(open_page, world, dong, app):  # noqa: F811
    from playwright.sync_api import expect

    page, problems = open_page(DESKTOP)
    log_in(page, "tenant_admin.tb", "picker-desktop")
    page.goto(f"/units/{dong['DONG-C11']}/move")
    box = page.get_by_role("combobox", name="Chuyển về trực thuộc")
    box.press_sequentially("minh tan", delay=40)
    options = page.get_by_role("listbox").get_by_role("option")
    expect(options).to_have_count(1)
    expect(options.first).to_contain_text("Hội LHPN xã Minh Tân")
    shot(page, "picker-desktop-move")
    options.first.click()
    page.get_by_role("button", name="Chuyển", exact=True).click()
    expect(page.locator(".flash-success")).to_have_text("Đã chuyển đơn vị.")
    with app.app_context():
        from lhpn.units.models import Unit

        assert db.session.get(Unit, dong["DONG-C11"]).parent_id == dong["C13"]
    problems.assert_none()


def test_filters_pick_a_unit_on_a_phone(open_page, world, dong):  # noqa: F811
    """The consolidation page and the report list choose their unit with the same picker."""
    from playwright.sync_api import expect

    page, problems = open_page(PHONE, is_mobile=True, has_touch=True)
    log_in(page, "viewer.tb", "picker-filters")
    page.goto(f"/units/{world.units['TB']}/consolidation")
    box = page.get_by_role("combobox", name="Đơn vị")
    expect(box).to_have_value("Hội LHPN tỉnh Thái Bình")
    box.fill("")
    box.press_sequentially("tan le", delay=40)
    options = page.get_by_role("listbox").get_by_role("option")
    expect(options.first).to_contain_text("Hội LHPN xã Tân Lễ")
    expect(options.first).to_contain_text("huyện Hưng Hà")
    shot(page, "picker-phone-consolidation")
    assert_fits_width(page)
    options.first.tap()
    page.get_by_role("button", name="Xem", exact=True).click()
    page.wait_for_url(f"**/units/{world.units['C11']}/consolidation?**")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hội LHPN xã Tân Lễ")

    page.goto("/reports/")
    filter_box = page.locator(".filters").get_by_role("combobox", name="Đơn vị")
    filter_box.press_sequentially("dong minh", delay=40)
    expect(page.locator(".filters").get_by_role("listbox").get_by_role("option")).to_have_count(1)
    shot(page, "picker-phone-reports")
    assert_fits_width(page)
    problems.assert_none()
