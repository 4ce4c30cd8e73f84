"""The authorization matrix for the report pages.

Every report page × every role held at district D1 × a report at each relation to D1 is
compared with the decisions written by hand below, like test_authz_plan_matrix.py.

The "parent" relation is absent: the parent of D1 is the province (the tenant's root), and no
starter form is filled by the root (every form's levels are the levels below it), so the root
has no report to open. Sign-off by the root's approver is covered through the "own" column:
D1's own report is approved at the root, which the D1 roles cannot do.

Each route row says what its allowed call answers (tests/authz_outcomes.py): SUCCESS (2xx/3xx)
or VALIDATION (the stale version or the period that does not exist refused, 409/422).
"""

import pytest

from lhpn.accounts.models import User
from lhpn.extensions import db
from lhpn.reports import services as reports
from lhpn.tenants.models import Tenant
from lhpn.units.models import Unit
from tests import factories
from tests.authz_outcomes import SELF_DECIDE, SUCCESS, VALIDATION, page_outcome, want
from tests.conftest import csrf_token, login
from tests.test_authz_matrix import ROLES, TARGET_UNIT, _page

RELATIONS = ("own", "child", "grandchild", "sibling", "other_tenant")

# Y = allowed, N = forbidden (403), for a report of own (D1), child (C11), grandchild (B111)
# and sibling (D2) units. Another tenant's report is "not found" (404).
REPORT_EXPECTED = {
    # view on the report's unit (staff see their unit and the units just below)
    "view": {"tenant_admin": "YYYN", "approver": "YYYN", "staff": "YYNN",
             "viewer": "YYYN", "norole": "NNNN"},
    # staff of the report's unit; a commune's staff for its branches (none held at D1 here:
    # B111's commune is C11, so D1's staff may not enter for it)
    "enter": {"tenant_admin": "NNNN", "approver": "NNNN", "staff": "YNNN",
              "viewer": "NNNN", "norole": "NNNN"},
    # approve on the unit above the report's: D1's approver signs off its communes' reports,
    # not its own (the province does), nor a branch's (its commune does)
    "approve": {"tenant_admin": "NNNN", "approver": "NYNN", "staff": "NNNN",
                "viewer": "NNNN", "norole": "NNNN"},
    # reminding the children of the unit late with a report: the unit's approver or its staff
    # (lhpn/authz/follow_up.py), never another unit's
    "remind": {"tenant_admin": "NNNN", "approver": "YNNN", "staff": "YNNN",
               "viewer": "NNNN", "norole": "NNNN"},
}

# (method, path, rule, form data, what an allowed call answers). {report}: the report at the
# relation; {unit}: the unit. Every report is submitted, and the form data is refused on purpose
# (stale version 409, a period that does not exist 422), so an allowed call that would change
# something answers VALIDATION and changes nothing.
REPORT_PAGES = [
    ("GET", "/reports/?unit={unit}", "view", None, SUCCESS),
    ("POST", "/reports/open", "enter", {"unit": "{unit}", "template": "BC_THANG",
                                        "period": "2026-13"}, VALIDATION),
    ("GET", "/reports/{report}", "view", None, SUCCESS),
    # A submitted report is not edited: the page redirects to the report (302).
    ("GET", "/reports/{report}/edit", "enter", None, SUCCESS),
    ("POST", "/reports/{report}/edit", "enter", {"version": "0", "v-TUYEN_TRUYEN": "1"},
     VALIDATION),
    ("POST", "/reports/{report}/submit", "enter", {"version": "0"}, VALIDATION),
    ("POST", "/reports/{report}/approve", "approve", {"version": "0"}, VALIDATION),
    ("POST", "/reports/{report}/return", "approve", {"version": "0", "comment": "Chưa đạt."},
     VALIDATION),
    ("POST", "/reports/{report}/reopen", "approve", {"version": "0", "comment": "Sai số."},
     VALIDATION),
    # The period that does not exist: a redirect that flashes the reason (302), nobody reminded.
    ("POST", "/reports/remind", "remind", {"unit": "{unit}", "template": "BC_THANG",
                                           "period": "2026-13"}, SUCCESS),
]
# Pages about no one report: anyone signed in (the inbox lists only what waits for them).
REPORT_GLOBAL = {("GET", "/reports/"): "everyone", ("GET", "/reports/inbox"): "everyone"}


def _attachment_routes() -> set[tuple[str, str]]:
    """The attachment routes (lhpn/reports/attachment_views.py), walked by their own matrix in
    tests/test_report_attachments.py."""
    try:
        from tests.test_report_attachments import ATTACHMENT_ROUTES
    except ImportError:
        return set()
    return {(method, path) for method, path, _rule in ATTACHMENT_ROUTES}


# Approving several at once: open to anyone signed in, decided per report by the same rule as
# one by one ("approve" above); test_approving_several_decides_per_report walks it.
REPORT_BATCH = {("GET", "/reports/inbox/review"), ("POST", "/reports/approve")}

REPORT_COVERED = ({(m, p.split("?")[0]) for m, p, *_ in REPORT_PAGES} | set(REPORT_GLOBAL)
                  | REPORT_BATCH | _attachment_routes())


def expected(rule: str, role: str, relation: str) -> str:
    if relation == "other_tenant":
        return "404"
    return "allow" if REPORT_EXPECTED[rule][role][RELATIONS.index(relation)] == "Y" else "403"


@pytest.fixture
def report_world(app, world) -> dict:
    """relation → id of a submitted monthly report of the unit at that relation to D1."""
    with app.app_context():
        def unit(code):
            return db.session.get(Unit, world.units[code])

        def staff_at(code, tenant):
            return factories.user(db.session.get(Tenant, world.tenants[tenant]),
                                  f"staff.{code.lower()}", "staff", unit(code))

        c11_staff = staff_at("C11", "TB")
        writers = {"own": db.session.get(User, world.users["staff.d1"]), "child": c11_staff,
                   "grandchild": c11_staff,  # entered by the commune for its branch
                   "sibling": staff_at("D2", "TB"), "other_tenant": staff_at("HC1", "HY")}
        ids = {}
        for relation, writer in writers.items():
            target = unit(TARGET_UNIT[relation])
            template = reports.get_template(target.tenant_id, "BC_THANG")
            report = reports.open_report(writer, target, template, "2026-03")
            reports.save_report(writer, report, {"TUYEN_TRUYEN": 1}, report.version)
            reports.submit_report(writer, report)
            ids[relation] = report.id
        db.session.commit()
        return ids


def _fill(template: str, world, report_world: dict, relation: str) -> str:
    return (template.replace("{report}", str(report_world[relation]))
            .replace("{unit}", str(world.units[TARGET_UNIT[relation]])))


@pytest.mark.parametrize("role", ROLES)
def test_report_pages(app, client, world, report_world, role):
    assert login(client, f"{role}.d1").status_code == 302
    token = csrf_token(client, "/account")
    for method, template, rule, data, allowed in REPORT_PAGES:
        for relation in RELATIONS:
            path = _fill(template, world, report_world, relation)
            form = {k: _fill(v, world, report_world, relation) for k, v in (data or {}).items()}
            got = page_outcome(_page(client, method, path, form if data is not None else None,
                                     token))
            assert got == want(expected(rule, role, relation), allowed), (
                role, method, path, relation)
    # Nothing above changed a report: each is still waiting for sign-off.
    with app.app_context():
        from lhpn.reports.models import Report

        assert {db.session.get(Report, i).status for i in report_world.values()} == {
            "submitted"}


def test_report_pages_send_anonymous_users_to_login(client, world, report_world):
    token = csrf_token(client, "/login")
    for method, template, _rule, data, _allowed in REPORT_PAGES:
        path = _fill(template, world, report_world, "own")
        response = _page(client, method, path, data, token)
        assert response.status_code == 302, (method, path)
        assert "/login" in response.headers["Location"], (method, path)


@pytest.mark.parametrize("actor", [f"{r}.d1" for r in ROLES] + ["approver.tb", "staff.hy"])
def test_global_report_pages(client, world, actor):
    assert login(client, actor).status_code == 302
    for (method, path), _who in REPORT_GLOBAL.items():
        assert page_outcome(_page(client, method, path, None, None)) == SUCCESS.value, (
            actor, path)


@pytest.mark.parametrize("role", ROLES)
def test_approving_several_decides_per_report(app, client, world, report_world, role):
    """Every report at every relation, ticked together: the review page and the approval
    answer for each one what approving it alone would (a stale version makes an allowed
    approval fail without changing anything); another tenant's report is not found."""
    import html

    assert login(client, f"{role}.d1").status_code == 302
    token = csrf_token(client, "/account")
    ids = [report_world[relation] for relation in RELATIONS]
    review = html.unescape(client.get("/reports/inbox/review?" + "&".join(
        f"id={i}" for i in ids)).get_data(as_text=True))
    answer = client.post("/reports/approve", data={
        "csrf_token": token, "id": ids, **{f"version-{i}": "0" for i in ids}})
    assert answer.status_code == 200
    page = html.unescape(answer.get_data(as_text=True))
    for relation in RELATIONS:
        report_id = report_world[relation]
        verdict = expected("approve", role, relation)
        if verdict == "allow":
            assert f'name="version-{report_id}"' in review, (role, relation)
            assert "vừa được người khác thay đổi" in page, (role, relation)
        else:
            assert f'name="version-{report_id}"' not in review, (role, relation)
    if role != "approver":
        assert "Bạn không có quyền duyệt báo cáo này." in page
    assert "Không tìm thấy báo cáo." in page  # the other tenant's
    assert "Đã duyệt" not in page
    with app.app_context():
        from lhpn.reports.models import Report

        assert {db.session.get(Report, i).status for i in report_world.values()} == {
            "submitted"}


# ---- nobody decides on what they submitted (the self-decide rule, lhpn/authz/signoff.py) ------
#
# "both.d1" approves at D1 and is also staff at C11, where they work: as D1's approver they decide
# on C11's reports, except on the one they submitted themselves. Each of C11's two reports is
# submitted, and the stale version sent makes an allowed decision fail (VALIDATION, 409): the
# rule is asked first, so one's own report answers the rule's 422 whatever the version.
SUBMITTED_BY = {"someone_else": "allow", "themselves": SELF_DECIDE}
DECIDING_PAGES = [route for route in REPORT_PAGES if route[2] == "approve"]


@pytest.fixture
def both_ways(app, world) -> dict[str, int]:
    """submitter ("someone_else", "themselves") → id of a submitted report of C11."""
    from lhpn.accounts import services as accounts

    with app.app_context():
        tenant = db.session.get(Tenant, world.tenants["TB"])
        c11 = db.session.get(Unit, world.units["C11"])
        both = factories.user(tenant, "both.d1", "approver",
                              db.session.get(Unit, world.units["D1"]), home_unit=c11)
        accounts.assign_role(None, both, "staff", c11)
        writers = {"someone_else": factories.user(tenant, "staff.c11", "staff", c11),
                   "themselves": both}
        ids = {}
        for (key, writer), period in zip(writers.items(), ("2026-02", "2026-03"), strict=True):
            report = reports.open_report(writer, c11, reports.get_template(tenant.id, "BC_THANG"),
                                         period)
            reports.save_report(writer, report, {"TUYEN_TRUYEN": 1}, report.version)
            reports.submit_report(writer, report)
            ids[key] = report.id
        db.session.commit()
        return ids


def test_nobody_decides_on_what_they_submitted(app, client, world, both_ways):
    assert login(client, "both.d1").status_code == 302
    token = csrf_token(client, "/account")
    for method, template, _rule, data, allowed in DECIDING_PAGES:
        for submitter, decision in SUBMITTED_BY.items():
            path = template.replace("{report}", str(both_ways[submitter]))
            got = page_outcome(_page(client, method, path, data, token))
            assert got == want(decision, allowed), (method, template, submitter)
    with app.app_context():
        from lhpn.reports.models import Report

        assert {db.session.get(Report, i).status for i in both_ways.values()} == {"submitted"}
