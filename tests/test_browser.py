"""Real-browser journeys of the administration pages (tests/browser.py serves the app and
drives Chromium)."""

import pytest
from sqlalchemy import select

from lhpn.extensions import db
from lhpn.tenancy import acting_for
from lhpn.units.models import Unit
from tests.browser import PHONE, assert_fits_width, log_in, shot

pytestmark = pytest.mark.browser

ADMIN = "tenant_admin.tb"
DISTRICT = "Hội LHPN huyện Hưng Hà"
NEW_UNIT = "Hội LHPN xã Thử Nghiệm"


def test_admin_adds_a_commune_under_a_district(open_page, world, app):
    from playwright.sync_api import expect

    page, problems = open_page()
    log_in(page, ADMIN, "desktop")

    page.goto("/units/")
    expect(page.get_by_role("heading", name="Cây đơn vị")).to_be_visible()
    shot(page, "desktop-tree")
    page.locator(".tree").get_by_role("link", name=DISTRICT, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(DISTRICT)
    shot(page, "desktop-unit")

    page.get_by_role("link", name="Thêm đơn vị trực thuộc").click()
    page.get_by_label("Tên đơn vị").fill(NEW_UNIT)
    page.get_by_label("Cấp").select_option("commune")
    shot(page, "desktop-unit-new")
    page.get_by_role("button", name="Tạo đơn vị").click()

    expect(page.locator(".flash-success")).to_have_text(f"Đã tạo đơn vị {NEW_UNIT}.")
    expect(page.get_by_role("heading", level=1)).to_have_text(NEW_UNIT)
    expect(page.locator("dl.facts")).to_contain_text("Xã")
    expect(page.locator(".crumbs")).to_contain_text(DISTRICT)
    shot(page, "desktop-unit-created")

    # In the tree: the district is collapsed; open it the way a user does (its disclosure
    # triangle beside its link, named for screen readers).
    page.goto("/units/")
    district = page.locator(".tree summary").filter(has_text=f"Đơn vị trực thuộc {DISTRICT}")
    new_link = page.locator(".tree").get_by_role("link", name=NEW_UNIT)
    expect(new_link).to_be_hidden()
    district.click()
    expect(new_link).to_be_visible()

    # And by the diacritic-free search.
    page.get_by_role("searchbox").fill("thu nghiem")
    page.get_by_role("searchbox").press("Enter")
    expect(page.locator(".results").get_by_role("link", name=NEW_UNIT)).to_be_visible()
    expect(page.locator(".results li")).to_have_count(1)

    with app.app_context(), acting_for(world.tenants["TB"]):
        unit = db.session.scalars(select(Unit).where(Unit.name == NEW_UNIT)).one()
        assert unit.parent_id == world.units["D1"]
        assert unit.level == "commune"
        assert unit.ancestor_ids == [world.units["TB"], world.units["D1"], unit.id]
        assert not unit.closed

    problems.assert_none()


def test_admin_pages_fit_a_phone(open_page, world):
    from playwright.sync_api import expect

    page, problems = open_page(PHONE, is_mobile=True, has_touch=True)
    log_in(page, ADMIN, "phone")
    assert_fits_width(page)

    page.goto("/units/")
    expect(page.get_by_role("heading", name="Cây đơn vị")).to_be_visible()
    assert_fits_width(page)
    shot(page, "phone-tree")

    page.goto(f"/units/{world.units['D1']}")
    expect(page.get_by_role("heading", level=1)).to_have_text(DISTRICT)
    assert_fits_width(page)
    shot(page, "phone-unit")

    page.goto("/users/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Người dùng")
    expect(page.get_by_role("link", name="tenant_admin.d1")).to_be_visible()
    assert_fits_width(page)
    shot(page, "phone-users")

    problems.assert_none()


def test_desktop_users_page(open_page, world):
    from playwright.sync_api import expect

    page, problems = open_page()
    log_in(page, ADMIN, "desktop")
    page.goto("/users/")
    expect(page.get_by_role("link", name="viewer.d1")).to_be_visible()
    shot(page, "desktop-users")
    problems.assert_none()


def test_a_csp_violation_is_caught(open_page):
    """The detector itself: an inline style is refused by the policy and reported."""
    page, problems = open_page()
    page.goto("/login")
    with page.expect_console_message(lambda m: "Content Security Policy" in m.text):
        page.evaluate(
            "() => { const s = document.createElement('style');"
            " s.textContent = 'body { background: red }'; document.head.appendChild(s); }"
        )
    assert problems.csp_violations, problems.console
