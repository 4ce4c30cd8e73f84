"""Accessibility (issue 12, item 13): axe-core, the official engine from npm (package.json at the
repository's root, `npm ci`), is injected by the test into every page type, as the roles that
reach them, at desktop and phone widths; no serious or critical WCAG 2 A/AA violation may
remain. The app never serves axe: the script is added to the page by Playwright only.

Without node_modules/axe-core the test skips with the reason, except under CI=true, where a
missing axe fails the run."""

import os
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.browser import DESKTOP, PHONE, log_in
from tests.factories import PASSWORD
from tests.test_plan_browser import _province_asks_the_communes

pytestmark = [
    pytest.mark.browser,
    # What axe checks is the markup and the stylesheet, which do not depend on the database:
    # .ci/run's SQLite pass runs it, and its PostgreSQL pass does not spend five minutes again.
    pytest.mark.skipif(bool(os.environ.get("LHPN_TEST_DATABASE_URL")),
                       reason="accessibility runs in the SQLite pass (markup does not depend on "
                              "the database)"),
]

AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.0 and 2.1, levels A and AA (axe's own tags).
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}


@pytest.fixture(scope="module")
def axe_script() -> Path:
    if not AXE.exists():
        reason = f"axe-core is not installed at {AXE} (npm ci, or make install-dev)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return AXE


def run_axe(page, axe_script: Path) -> list[dict]:
    """axe on the page as it stands, every <details> opened first so that what a click
    would show is checked too; returns the serious and critical violations."""
    page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(axe_script))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']})",
        WCAG_TAGS,
    )
    return [v for v in result["violations"] if v["impact"] in BLOCKING]


def describe(path: str, violations: list[dict]) -> list[str]:
    lines = []
    for v in violations:
        targets = [" ".join(map(str, node["target"])) for node in v["nodes"]]
        shown = ", ".join(targets[:6]) + (f" … (+{len(targets) - 6})" if len(targets) > 6 else "")
        lines.append(f"{path}: {v['id']} [{v['impact']}] {len(targets)}× {shown}")
    return lines


def _world_for_every_page(app, world) -> dict:
    """An issued province plan asking the communes (officer and approver at C11), the
    commune's draft plan started from it, and the commune's reports: July returned, August a
    draft, September approved, October waiting for the district."""
    from lhpn.accounts import services as accounts
    from lhpn.accounts.models import User
    from lhpn.extensions import db
    from lhpn.indicators.models import Indicator
    from lhpn.plans import services as plans
    from lhpn.plans.models import PlanRequest
    from lhpn.reports import services as reports
    from lhpn.units.models import Unit

    plan_id = _province_asks_the_communes(app, world)
    with app.app_context():
        tb = world.tenants["TB"]
        staff = db.session.scalars(select(User).where(User.username == "staff.c11")).one()
        c11 = db.session.get(Unit, world.units["C11"])
        template = reports.get_template(tb, "BC_THANG")
        filed = {}
        district = db.session.get(User, world.users["approver.d1"])
        for period in ("2026-07", "2026-08", "2026-09", "2026-10"):
            report = reports.open_report(staff, c11, template, period)
            reports.save_report(staff, report, {"TUYEN_TRUYEN": 4, "DOI_THOAI": 1},
                                report.version,
                                reasons={"DOI_THOAI": "Chưa ghi hồ sơ đối thoại."})
            if period != "2026-08":
                reports.submit_report(staff, report)
            if period == "2026-09":
                reports.approve_report(district, report)
            if period == "2026-07":
                reports.return_report(district, report, "Bổ sung số cuộc đối thoại.")
            filed[period] = report
        ask = db.session.scalars(select(PlanRequest).where(
            PlanRequest.parent_plan_id == plan_id, PlanRequest.unit_id == c11.id)).one()
        draft_plan = plans.start_from_request(staff, ask)
        accounts.create_user(None, tenant_id=None, username="ops", password=PASSWORD,
                             is_system_admin=True)
        indicator = db.session.scalars(select(Indicator).where(
            Indicator.tenant_id == tb).order_by(Indicator.id)).first()
        db.session.commit()
        return {"plan": plan_id, "draft_plan": draft_plan.id, "template": template.id,
                "indicator": indicator.id, "draft": filed["2026-08"].id,
                "returned": filed["2026-07"].id,
                "approved": filed["2026-09"].id, "waiting": filed["2026-10"].id,
                "staff_c11": staff.id}


def _pages(world, ids: dict) -> dict[str, list[str]]:
    """Every page type, under the role that reaches it."""
    u = world.units
    return {
        "tenant_admin.tb": [
            "/", "/units/", f"/units/{u['D1']}", f"/units/{u['D1']}/new",
            f"/units/{u['C11']}/move", "/units/?q=tan", "/units/import/",
            "/users/", f"/users/{world.users['staff.d1']}", "/users/new",
            "/forms/", f"/forms/{ids['template']}/edit", "/forms/new",
            "/indicators/", "/indicators/new", f"/indicators/{ids['indicator']}/edit",
            "/audit/", "/account", "/account/password", "/notifications/",
        ],
        "approver.tb": [
            "/", f"/units/{u['TB']}/consolidation?template=BC_THANG&period=2026-09",
            "/plans/", f"/plans/{ids['plan']}", f"/plans/{ids['plan']}/print",
            f"/plans/{ids['plan']}/cascade",
        ],
        "approver.d1": [
            "/", "/reports/inbox", f"/reports/inbox/review?id={ids['waiting']}",
            f"/reports/{ids['waiting']}", f"/units/{u['D1']}/consolidation",
            f"/units/{u['D1']}/consolidation?template=BC_THANG&period=2026-07",
            "/reports/?year=2026",
        ],
        "staff.c11": [
            "/", "/reports/?year=2026", f"/reports/{ids['approved']}",
            f"/reports/{ids['returned']}",
            f"/reports/{ids['draft']}/edit", "/plans/", f"/plans/{ids['draft_plan']}/edit",
            f"/plans/new?unit={u['C11']}", f"/plans/requests/{ids['plan']}/{u['C11']}",
            "/notifications/", "/account",
        ],
        "viewer.tb": ["/", "/plans/", "/units/", "/reports/?year=2026"],
        "ops": ["/system/tenants", "/account"],
    }


# At phone width the pages whose layout changes there (lists become cards, the menu folds);
# the admin forms are the same column at both widths and are checked on the desktop run.
DESKTOP_ONLY = ("/new", "/edit", "/move", "/password", "/forms/", "/indicators/", "/audit/")


@pytest.fixture
def every_page(app, world):
    return _pages(world, _world_for_every_page(app, world))


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_no_serious_or_critical_wcag_violation_on_any_page(
        axe_script, open_page, every_page, viewport):  # noqa: F811
    found: list[str] = []
    checked = 0

    page, problems = open_page(viewport, bypass_csp=True)
    page.goto("/login")
    found += describe("/login", run_axe(page, axe_script))
    checked += 1
    for username, paths in every_page.items():
        context = page.context
        context.clear_cookies()
        log_in(page, username, f"a11y-{username}")
        for path in paths:
            if viewport is PHONE and any(part in path for part in DESKTOP_ONLY):
                continue
            response = page.goto(path)
            assert response.ok, f"{username} {path}: {response.status}"
            found += describe(f"{username} {path}", run_axe(page, axe_script))
            checked += 1
    assert checked > (40 if viewport is DESKTOP else 25)
    assert not found, "\n".join(found)
    problems.assert_none()
