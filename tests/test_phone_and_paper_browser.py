"""Phones and paper (issue 12, item 12), in a real browser.

At 390 × 844 the top bar keeps the approval inbox, the notices and log-out in sight and
clickable for every role, while the main menu folds behind "Menu" (with and without script);
at 1366 px the whole menu shows. Printed (print media, and a PDF), the consolidation, a plan and
a report show their content without the menu, filters, buttons or form controls.
Screenshots go to test-artifacts/menu-*.png and paper-*.png."""

import re

import pytest

from tests.browser import ARTIFACTS, PHONE, log_in, shot
from tests.test_accessibility import _world_for_every_page

pytestmark = pytest.mark.browser

WIDE = {"width": 1366, "height": 768}
# Who logs in, and whether the approval inbox is theirs.
ROLES = [
    ("tenant_admin.tb", False),
    ("approver.tb", True),
    ("approver.d1", True),
    ("staff.c11", False),
    ("viewer.tb", False),
    ("ops", False),
]
MAIN_MENU = ["Trang chủ", "Đơn vị", "Kế hoạch", "Tổng hợp", "Báo cáo"]


@pytest.fixture
def data(app, world):
    return _world_for_every_page(app, world)


def in_viewport(page, locator) -> None:
    """Shown, wholly inside the window without scrolling, and the topmost thing at its centre
    (nothing covers it)."""
    from playwright.sync_api import expect

    expect(locator).to_be_visible()
    box = locator.bounding_box()
    size = page.viewport_size
    assert box["x"] >= 0 and box["y"] >= 0, box
    assert box["x"] + box["width"] <= size["width"], (box, size)
    assert box["y"] + box["height"] <= size["height"], (box, size)
    on_top = locator.evaluate(
        "el => { const r = el.getBoundingClientRect();"
        " const hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);"
        " return el === hit || el.contains(hit); }")
    assert on_top, "something covers it"


def quick_links(page, inbox: bool) -> list:
    bar = page.locator("header.topbar")
    links = [bar.get_by_role("link", name="Thông báo"),
             bar.get_by_role("button", name="Đăng xuất")]
    if inbox:
        links.append(bar.get_by_role("link", name="Hộp duyệt"))
    return links


@pytest.mark.parametrize(("username", "inbox"), ROLES)
def test_on_a_phone_the_inbox_notices_and_log_out_stay_in_sight(
        open_page, data, username, inbox):  # noqa: F811
    from playwright.sync_api import expect

    page, problems = open_page(PHONE, is_mobile=True, has_touch=True)
    log_in(page, username, f"menu-{username}")
    bar = page.locator("header.topbar")
    for path in ("/", "/plans/", "/notifications/"):
        page.goto(path)
        for link in quick_links(page, inbox):  # noqa: F811
            in_viewport(page, link)
    if not inbox:
        expect(bar.get_by_role("link", name="Hộp duyệt")).to_have_count(0)

    # The main menu is folded; "Menu" opens it, and its links work.
    page.goto("/")
    toggle = bar.locator("summary", has_text="Menu")
    in_viewport(page, toggle)
    home = bar.get_by_role("link", name="Trang chủ")
    expect(home).to_be_hidden()
    shot(page, f"menu-phone-{username}")
    toggle.click()
    expect(home).to_be_visible()
    for link in quick_links(page, inbox):  # noqa: F811
        in_viewport(page, link)
    shot(page, f"menu-phone-{username}-open")
    if username != "ops":
        bar.get_by_role("link", name="Kế hoạch", exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Kế hoạch")

    # Each of them answers a tap.
    bar.get_by_role("link", name="Thông báo").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Thông báo")
    if inbox:
        bar.get_by_role("link", name="Hộp duyệt").click()
        page.wait_for_url("**/reports/inbox")
    bar.get_by_role("button", name="Đăng xuất").click()
    expect(page.get_by_label("Tên đăng nhập")).to_be_visible()
    problems.assert_none()


def test_the_phone_menu_works_without_script(open_page, data):  # noqa: F811
    from playwright.sync_api import expect

    page, problems = open_page(PHONE, is_mobile=True, has_touch=True,
                               java_script_enabled=False)
    log_in(page, "approver.d1", "menu-noscript")
    bar = page.locator("header.topbar")
    for link in quick_links(page, True):
        in_viewport(page, link)
    plans_link = bar.get_by_role("link", name="Kế hoạch", exact=True)
    expect(plans_link).to_be_hidden()
    bar.locator("summary", has_text="Menu").click()
    expect(plans_link).to_be_visible()
    plans_link.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Kế hoạch")
    problems.assert_none()


def test_on_a_wide_screen_the_whole_menu_shows(open_page, data):  # noqa: F811
    from playwright.sync_api import expect

    page, problems = open_page(WIDE)
    log_in(page, "tenant_admin.tb", "menu-wide")
    bar = page.locator("header.topbar")
    expect(bar.locator("summary", has_text="Menu")).to_be_hidden()
    for name in [*MAIN_MENU, "Danh mục chỉ tiêu", "Biểu mẫu", "Người dùng", "Nhật ký",
                 "Tenant_Admin.Tb"]:
        in_viewport(page, bar.get_by_role("link", name=name, exact=True))
    for link in quick_links(page, False):
        in_viewport(page, link)
    tops = {round(bar.get_by_role("link", name=name, exact=True).bounding_box()["y"])
            for name in MAIN_MENU}
    assert len(tops) == 1, f"the menu is on one line at 1366 px: {tops}"
    shot(page, "menu-wide")
    problems.assert_none()



@pytest.mark.parametrize("size", [WIDE, PHONE], ids=["wide", "phone"])
def test_filter_lists_are_one_line_high(open_page, data, size):  # noqa: F811
    """A filter's drop-down list is as high as a text field, not stretched down its column
    (the inbox's filters were 160 px high once, a flex basis applied to the wrong axis)."""
    page, problems = open_page(size)
    log_in(page, "approver.d1", "filters")
    measured = 0
    # A chosen period shows the inbox's filters even when one form and one period wait.
    for path in ("/reports/inbox?period=2026-03", "/reports/", "/plans/"):
        page.goto(path)
        for select in page.locator("form.filters select").all():
            if select.is_visible():
                height = select.bounding_box()["height"]
                assert height < 60, f"{path}: a filter list is {height:.0f} px high"
                measured += 1
    assert measured >= 3, measured
    problems.assert_none()

# ---- paper ------------------------------------------------------------------------------------

def _printed(page, name: str) -> bytes:
    page.emulate_media(media="print")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    pdf = page.pdf(format="A4")
    (ARTIFACTS / f"{name}.pdf").write_bytes(pdf)
    return pdf


def assert_paper(page, content: list[str], pdf: bytes) -> None:
    """On paper: the content shows, the menu, filters, buttons and controls do not; links are
    plain text; table headers repeat on each sheet; the PDF has pages with text (fonts)."""
    from playwright.sync_api import expect

    expect(page.locator("header.topbar")).to_be_hidden()
    for selector in content:
        expect(page.locator(selector).first).to_be_visible()
    shown = page.evaluate("""() => {
        const visible = el => el.getClientRects().length > 0
            && getComputedStyle(el).visibility !== 'hidden';
        const controls = [...document.querySelectorAll(
            'button, .button, input:not([type=hidden]), select, textarea, nav, summary.menu')]
            .filter(visible).map(el => el.outerHTML.slice(0, 120));
        const links = [...document.querySelectorAll('main a')].filter(visible).map(a => {
            const s = getComputedStyle(a), body = getComputedStyle(document.body);
            return [a.textContent.trim(), s.color === body.color, s.textDecorationLine];
        });
        const heads = [...document.querySelectorAll('main table thead')]
            .map(t => getComputedStyle(t).display);
        return {controls, links, heads};
    }""")
    assert shown["controls"] == [], shown["controls"]
    assert all(same and line == "none" for _, same, line in shown["links"]), shown["links"]
    assert set(shown["heads"]) <= {"table-header-group"}, shown["heads"]
    assert pdf.startswith(b"%PDF-")
    assert re.search(rb"/Type\s*/Page(?!s)", pdf), "the PDF has no page"
    assert b"/FontFile" in pdf, "the PDF draws no text"


def test_the_consolidation_a_plan_and_a_report_on_paper(open_page, data, world):  # noqa: F811
    from playwright.sync_api import expect

    page, problems = open_page(WIDE)
    log_in(page, "approver.d1", "paper")
    d1 = world.units["D1"]
    page.goto(f"/units/{d1}/consolidation?template=BC_THANG&period=2026-09")
    expect(page.locator(".consolidation-pick")).to_be_visible()
    assert_paper(page, ["h1", ".summary-cards", "table.figures"],
                 _printed(page, "paper-consolidation"))
    expect(page.locator(".consolidation-pick")).to_be_hidden()

    page.emulate_media(media="screen")
    page.goto(f"/reports/{data['waiting']}")
    expect(page.locator(".report-actions")).to_be_visible()
    assert_paper(page, ["h1", "table.report-values", ".narrative"],
                 _printed(page, "paper-report"))
    expect(page.locator("#decide")).to_be_hidden()

    page.emulate_media(media="screen")
    page.context.clear_cookies()
    log_in(page, "approver.tb", "paper-plan")
    page.goto(f"/plans/{data['plan']}")
    expect(page.locator(".plan-actions")).to_be_visible()
    assert_paper(page, ["h1", "article.document", ".doc-title", ".signature"],
                 _printed(page, "paper-plan"))
    expect(page.locator(".plan-actions")).to_be_hidden()
    problems.assert_none()
