"""The authorization matrix for the plan, indicator catalogue and notification pages.

Every plan page × every role held at district D1 × a plan (or a request from above) at each
relation to D1 is compared with the decisions written by hand below, the way test_pages in
test_authz_matrix.py does it for units and users. Each relation's unit has a plan waiting for
approval ({plan}: never readable from below, not even the province's) and an issued one
({issued}: readable by every role of the units below it, lhpn/authz/plans.py).

Each route row says what its allowed call answers (tests/authz_outcomes.py): SUCCESS (2xx/3xx)
or VALIDATION (the stale version or the empty title refused, 409/422).
"""

from datetime import date

import pytest

from lhpn.accounts.models import User
from lhpn.extensions import db
from lhpn.plans import services as plans
from lhpn.plans.models import PlanRequest
from lhpn.plans.services import PlanInput, TargetInput
from lhpn.tenants.models import Tenant
from lhpn.units.models import Unit
from tests import factories
from tests.authz_outcomes import SUCCESS, VALIDATION, Allowed, page_outcome, want
from tests.conftest import csrf_token, login
from tests.test_authz_matrix import GLOBAL_ACTORS, RELATIONS, ROLES, TARGET_UNIT, _page

# Y = allowed, N = forbidden (403), for a plan of own (D1), child (C11), grandchild (B111),
# parent (TB, the root) and sibling (D2) units. Another tenant's plan is "not found" (404).
PLAN_EXPECTED = {
    # view on the plan's unit
    "view": {"tenant_admin": "YYYNN", "approver": "YYYNN", "staff": "YYNNN",
             "viewer": "YYYNN", "norole": "NNNNN"},
    # Reading an issued plan: view on its unit, or any role at a unit below it (a district
    # reads the province's issued plan; never a sibling's, nor, for staff, a grandchild's).
    "read": {"tenant_admin": "YYYYN", "approver": "YYYYN", "staff": "YYNYN",
             "viewer": "YYYYN", "norole": "NNNNN"},
    # Marking a plan as the unit's programme of work: its officers or its own chair.
    "count": {"tenant_admin": "NNNNN", "approver": "YNNNN", "staff": "YNNNN",
              "viewer": "NNNNN", "norole": "NNNNN"},
    # plan on the plan's unit (writing, starting from a request)
    "plan": {"tenant_admin": "NNNNN", "approver": "NNNNN", "staff": "YNNNN",
             "viewer": "NNNNN", "norole": "NNNNN"},
    "submit": {"tenant_admin": "NNNNN", "approver": "NNNNN", "staff": "YNNNN",
               "viewer": "NNNNN", "norole": "NNNNN"},
    # approve on the unit above the plan's (the root's own plan: on the root). D1's approver
    # signs off its communes' plans, not its own, nor a branch's (that is the commune's job).
    "approve": {"tenant_admin": "NNNNN", "approver": "NYNNN", "staff": "NNNNN",
                "viewer": "NNNNN", "norole": "NNNNN"},
    # plan or approve on the plan's unit
    "remind": {"tenant_admin": "NNNNN", "approver": "YNNNN", "staff": "YNNNN",
               "viewer": "NNNNN", "norole": "NNNNN"},
}

# (method, path, rule, form data, what an allowed call answers). {plan}: the plan at the
# relation; {unit}: the unit at the relation; {asking}: the plan above that asked {unit} for its
# implementing plan. Form data is refused on purpose (stale version, empty title), so an allowed
# call that would change something answers 409/422 (VALIDATION) and changes nothing.
PLAN_PAGES = [
    ("GET", "/plans/new?unit={unit}", "plan", None, SUCCESS),
    ("POST", "/plans/new?unit={unit}", "plan", {"title": "", "year": "2026"}, VALIDATION),
    # A plan waiting for approval is read only by whoever views its unit...
    ("GET", "/plans/{plan}", "view", None, SUCCESS),
    # ...an issued one also from below.
    ("GET", "/plans/{issued}", "read", None, SUCCESS),
    ("POST", "/plans/{issued}/counted", "count", {"counted": "1", "version": "0"}, VALIDATION),
    # A unit's "done / not done" for a qualitative target ({text}, at the unit's own level):
    # submit on that unit. An answer that is neither is refused (422) when allowed.
    ("POST", "/plans/{issued}/targets/{text}/check", "submit",
     {"unit": "{unit}", "done": "có lẽ"}, VALIDATION),
    # A plan waiting for approval is not edited: the page redirects to the plan (302).
    ("GET", "/plans/{plan}/edit", "plan", None, SUCCESS),
    ("POST", "/plans/{plan}/edit", "plan", {"title": "", "year": "2026", "version": "0"},
     VALIDATION),
    ("POST", "/plans/{plan}/submit", "submit", {"version": "0"}, VALIDATION),
    ("POST", "/plans/{plan}/approve", "approve", {"version": "0"}, VALIDATION),
    ("POST", "/plans/{plan}/return", "approve", {"version": "0", "comment": "Chưa đạt."},
     VALIDATION),
    ("GET", "/plans/{plan}/cascade", "view", None, SUCCESS),
    # Reminding sends the notices (no one's permissions change), then redirects (302).
    ("POST", "/plans/{plan}/remind", "remind", {}, SUCCESS),
    ("GET", "/plans/requests/{asking}/{unit}", "view", None, SUCCESS),
    # Starting from the request makes the unit's draft and redirects to it (302).
    ("POST", "/plans/requests/{asking}/{unit}/start", "plan", {}, SUCCESS),
    # The printable page and the Word file (lhpn/plans/export_views.py).
    ("GET", "/plans/{plan}/print", "view", None, SUCCESS),
    ("GET", "/plans/{plan}/export.docx", "view", None, SUCCESS),
    ("GET", "/plans/{issued}/print", "read", None, SUCCESS),
    ("GET", "/plans/{issued}/export.docx", "read", None, SUCCESS),
]
EXPORT_ENDPOINTS = {"/plans/{plan}/print": "plan_export.print_view",
                    "/plans/{plan}/export.docx": "plan_export.docx",
                    "/plans/{issued}/print": "plan_export.print_view",
                    "/plans/{issued}/export.docx": "plan_export.docx"}

# Pages about no one plan: who may open them, by actor, and what an allowed call answers (the
# indicator forms are sent empty: the form again with its errors, 422).
PLAN_GLOBAL: dict[tuple[str, str], tuple[str, Allowed]] = {
    ("GET", "/plans/"): ("everyone", SUCCESS),
    ("GET", "/notifications/"): ("everyone", SUCCESS),
    ("POST", "/notifications/read-all"): ("everyone", SUCCESS),
    ("GET", "/indicators/"): ("tenant", SUCCESS),
    ("GET", "/indicators/new"): ("root_admin", SUCCESS),
    ("POST", "/indicators/new"): ("root_admin", VALIDATION),
    ("GET", "/indicators/{indicator}/edit"): ("root_admin", SUCCESS),
    ("POST", "/indicators/{indicator}/edit"): ("root_admin", VALIDATION),
}
GLOBAL_FORMS = {"/indicators/new": {"code": "", "name": ""},
                "/indicators/{indicator}/edit": {"name": ""}}

PLAN_COVERED = {(m, p.split("?")[0].replace("{issued}", "{plan}"))
                for m, p, *_ in PLAN_PAGES} | set(PLAN_GLOBAL)


def expected(rule: str, role: str, relation: str) -> str:
    if relation == "other_tenant":
        return "404"
    return "allow" if PLAN_EXPECTED[rule][role][RELATIONS.index(relation)] == "Y" else "403"


# ---- the plans: one at every relation to D1, and the requests that cascaded down -------------

DEADLINE = date(2026, 2, 20)


def _plan_input(title: str, child_levels=(), targets=()) -> PlanInput:
    return PlanInput(title=title, year=2026, plan_date=date(2026, 1, 10),
                     purpose="Mục đích, yêu cầu.", content="Nội dung hoạt động.",
                     child_levels=list(child_levels),
                     child_deadline=DEADLINE if child_levels else None, targets=list(targets))


def _own_text(level: str) -> TargetInput:
    """A qualitative target for the plan's own level: the unit itself answers for it."""
    return TargetInput(None, level, "text", None, text="Góp ý ít nhất 01 dự thảo văn bản.")


@pytest.fixture
def plan_world(app, world) -> dict:
    """relation → id: "plan" (waiting for approval), "issued" (approved, with a qualitative
    target "text" at its unit's level), "asking" (the plan that asked the unit)."""
    with app.app_context():
        def user(name):
            return db.session.get(User, world.users[name])

        def unit(code):
            return db.session.get(Unit, world.units[code])

        def person(role, code, tenant):
            name = f"{role}.{code.lower()}"
            if name not in world.users:
                world.users[name] = factories.user(
                    db.session.get(Tenant, world.tenants[tenant]), name, role, unit(code)).id
            return user(name)

        province = plans.create_plan(user("staff.tb"), unit("TB"), _plan_input(
            "Kế hoạch của tỉnh", ("district", "commune", "branch"),
            [TargetInput("GIAM_SAT", "commune", "count", 1), _own_text("province")]))
        plans.submit_plan(user("staff.tb"), province)
        plans.approve_plan(user("approver.tb"), province)
        hy = plans.create_plan(user("staff.hy"), unit("HY"), _plan_input(
            "Kế hoạch của Hưng Yên", ("commune",)))
        plans.submit_plan(user("staff.hy"), hy)
        plans.approve_plan(user("approver.hy"), hy)
        # No plan above the root can ask it; a request to the root's own unit stands in for
        # "a request addressed to a unit above the role", which only deeper trees have.
        db.session.add(PlanRequest(tenant_id=province.tenant_id, parent_plan_id=province.id,
                                   unit_id=province.unit_id, deadline=DEADLINE))
        waiting = plans.create_plan(user("staff.tb"), unit("TB"), _plan_input("Dự thảo của tỉnh"))
        plans.submit_plan(user("staff.tb"), waiting)
        ids = {"parent": waiting.id}
        issued = {"parent": province.id}
        text = {"parent": province.targets[1].id}
        for relation, code, tenant, above in [
            ("own", "D1", "TB", "TB"),
            ("child", "C11", "TB", "D1"),
            ("grandchild", "B111", "TB", "C11"),
            ("sibling", "D2", "TB", "TB"),
            ("other_tenant", "HC1", "HY", "HY"),
        ]:
            writer = person("staff", code, tenant)
            approver = person("approver", above, tenant)
            level = unit(code).level
            for key in ("plan", "issued"):
                plan = plans.create_plan(writer, unit(code), _plan_input(
                    f"Kế hoạch {code}", targets=[_own_text(level)]))
                plans.submit_plan(writer, plan)
                if key == "issued":
                    plans.approve_plan(approver, plan)
                    issued[relation], text[relation] = plan.id, plan.targets[0].id
                else:
                    ids[relation] = plan.id
        db.session.commit()
        asking = {relation: province.id for relation in RELATIONS}
        asking["other_tenant"] = hy.id
        return {"plan": ids, "issued": issued, "text": text, "asking": asking}


def _fill(template: str, world, plan_world: dict, relation: str) -> str:
    return (template.replace("{plan}", str(plan_world["plan"][relation]))
            .replace("{issued}", str(plan_world["issued"][relation]))
            .replace("{text}", str(plan_world["text"][relation]))
            .replace("{asking}", str(plan_world["asking"][relation]))
            .replace("{unit}", str(world.units[TARGET_UNIT[relation]])))


def _routes(app) -> list[tuple]:
    """PLAN_PAGES without the export routes while lhpn/plans/export_views.py is absent."""
    return [route for route in PLAN_PAGES
            if EXPORT_ENDPOINTS.get(route[1], "plans.view") in app.view_functions]


# One test per role walks every route: the plans fixture is the slow part, and the calls that
# do change data (starting from a request, reminding) change no one's permissions.
@pytest.mark.parametrize("role", ROLES)
def test_plan_pages(app, client, world, plan_world, role):
    assert login(client, f"{role}.d1").status_code == 302
    token = csrf_token(client, "/account")
    for method, template, rule, data, allowed in _routes(app):
        for relation in RELATIONS:
            path = _fill(template, world, plan_world, relation)
            form = None if data is None else {
                k: _fill(v, world, plan_world, relation) for k, v in data.items()}
            got = page_outcome(_page(client, method, path, form, token))
            assert got == want(expected(rule, role, relation), allowed), (
                role, method, path, relation)


def test_plan_pages_send_anonymous_users_to_login(app, client, world, plan_world):
    token = csrf_token(client, "/login")
    for method, template, _rule, data, _allowed in _routes(app):
        path = _fill(template, world, plan_world, "own")
        form = None if data is None else {
            k: _fill(v, world, plan_world, "own") for k, v in data.items()}
        response = _page(client, method, path, form, token)
        assert response.status_code == 302, (method, path)
        assert "/login" in response.headers["Location"], (method, path)


# ---- pages about no one plan --------------------------------------------------------------------

def _global_expected(who: str, actor: str) -> str:
    role, _sep, where = actor.partition(".")
    if who == "everyone":
        return "allow"
    if who == "tenant":
        return "403" if actor == "sysadmin" else "allow"
    # root_admin: who manages a tenant's root unit (D1's admin manages only its district).
    return "allow" if role == "tenant_admin" and where in ("tb", "hy") else "403"


def _indicator_expected(who: str, actor: str) -> str:
    """A TB indicator: another tenant's user (and the platform's admin) cannot find it."""
    if actor == "sysadmin" or actor.endswith(".hy"):
        return "404"
    return _global_expected(who, actor)


@pytest.mark.parametrize("actor", [*GLOBAL_ACTORS, "tenant_admin.hy"])
def test_global_plan_pages(app, client, world, actor):
    from lhpn.indicators.models import Indicator

    if actor == "sysadmin":
        with app.app_context():
            from lhpn.accounts.services import create_user

            create_user(None, tenant_id=None, username="sysadmin", password=factories.PASSWORD,
                        is_system_admin=True)
            db.session.commit()
    with app.app_context():
        indicator = db.session.scalar(db.select(Indicator.id).where(
            Indicator.tenant_id == world.tenants["TB"], Indicator.code == "GIAM_SAT"))
    assert login(client, actor).status_code == 302
    token = csrf_token(client, "/account")
    for (method, template), (who, allowed) in PLAN_GLOBAL.items():
        path = template.replace("{indicator}", str(indicator))
        got = page_outcome(_page(client, method, path, GLOBAL_FORMS.get(template, {}), token))
        decision = (_indicator_expected(who, actor) if "{indicator}" in template
                    else _global_expected(who, actor))
        assert got == want(decision, allowed), (actor, method, path)
