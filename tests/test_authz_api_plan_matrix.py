"""The authorization matrix for the plan endpoints: every endpoint × role × relation.

Roles are held at district D1; the world gets a draft plan and an approved one at each
relation's unit (and an issued root plan whose requests reach D1, C11, B111 and D2). The
expected decisions are written out below by hand, not derived from policies/. Bodies make an
allowed call that would change something fail validation (version 0 is below the first
version, an empty comment, a "done" that is neither true nor false: 422) rather than change
anything; each row says whether its allowed call answers SUCCESS (2xx) or VALIDATION
(tests/authz_outcomes.py), and a 422 where SUCCESS is expected fails.
"""

import pytest

from lhpn.accounts.models import User
from lhpn.extensions import db
from lhpn.plans import services as plans
from lhpn.plans.services import PlanInput, TargetInput
from lhpn.tenants.models import Tenant
from lhpn.units.models import Unit
from tests import factories
from tests.authz_outcomes import SUCCESS, VALIDATION, api_outcome, want
from tests.conftest import api_token
from tests.test_authz_api_matrix import _call
from tests.test_authz_matrix import RELATIONS, ROLES, TARGET_UNIT

# (method, path, action, JSON body, what an allowed call answers); {plan} is the draft plan at
# the relation's unit, {approved} the approved one, {text} its qualitative target at the unit's
# own level.
PLAN_ROUTES = [
    # A draft is read only by whoever views its unit; an approved plan also from below.
    ("GET", "/api/v1/plans/{plan}", "view", None, SUCCESS),
    ("GET", "/api/v1/plans/{approved}", "read", None, SUCCESS),
    ("POST", "/api/v1/plans/{approved}/counted", "count", {"counted": True, "version": 0},
     VALIDATION),
    ("PUT", "/api/v1/plans/{approved}/targets/{text}/checks/{unit}", "submit",
     {"done": "có lẽ"}, VALIDATION),
    ("GET", "/api/v1/plans/{plan}/checks", "view", None, SUCCESS),
    ("PATCH", "/api/v1/plans/{plan}", "plan", {"version": 0, "title": "Tên mới"}, VALIDATION),
    ("POST", "/api/v1/plans/{plan}/submit", "submit", {"version": 0}, VALIDATION),
    ("POST", "/api/v1/plans/{plan}/approve", "approve", {"version": 0}, VALIDATION),
    ("POST", "/api/v1/plans/{plan}/return", "approve", {"comment": ""}, VALIDATION),
    ("GET", "/api/v1/plans/{plan}/history", "view", None, SUCCESS),
    ("GET", "/api/v1/plans/{plan}/cascade", "view", None, SUCCESS),
]
# {issued}/{unit}: the issued root plan's request to the relation's unit (the root itself gets
# none, so the "parent" relation has nothing to try). Starting makes D1's draft (201); nobody's
# permissions change.
REQUEST_ROUTES = [
    ("POST", "/api/v1/plans/requests/{issued}/{unit}/start", "plan", None, SUCCESS),
]
PLAN_API_COVERED = {(m, p.replace("{approved}", "{plan}"))
                    for m, p, *_ in PLAN_ROUTES + REQUEST_ROUTES}

# Y = allowed, N = 403, for the plan at own (D1), child (C11), grandchild (B111), parent (TB),
# sibling (D2). Another tenant's plan is always 404.
PLAN_EXPECTED = {
    "view": {"tenant_admin": "YYYNN", "approver": "YYYNN", "staff": "YYNNN",
             "viewer": "YYYNN", "norole": "NNNNN"},
    # Reading an approved plan: view on its unit, or any role at a unit below it (D1 reads
    # the province's; not a sibling's, nor, for staff, a grandchild's).
    "read": {"tenant_admin": "YYYYN", "approver": "YYYYN", "staff": "YYNYN",
             "viewer": "YYYYN", "norole": "NNNNN"},
    # Marking a plan as its unit's programme of work: the unit's officers or its own chair.
    "count": {"tenant_admin": "NNNNN", "approver": "YNNNN", "staff": "YNNNN",
              "viewer": "NNNNN", "norole": "NNNNN"},
    "plan": {"tenant_admin": "NNNNN", "approver": "NNNNN", "staff": "YNNNN",
             "viewer": "NNNNN", "norole": "NNNNN"},
    "submit": {"tenant_admin": "NNNNN", "approver": "NNNNN", "staff": "YNNNN",
               "viewer": "NNNNN", "norole": "NNNNN"},
    # Approving and returning are asked of the unit above the plan's: D1's approver decides on
    # C11's plan, not on D1's own (the root's approver does) nor on B111's (C11's does). The
    # root's own plan is issued by the root's approver.
    "approve": {"tenant_admin": "NNNNN", "approver": "NYNNN", "staff": "NNNNN",
                "viewer": "NNNNN", "norole": "NNNNN"},
}


def plan_expected(action: str, role: str, relation: str) -> str:
    if relation == "other_tenant":
        return "404"
    return "allow" if PLAN_EXPECTED[action][role][RELATIONS.index(relation)] == "Y" else "403"


def _planner(world, code: str, tenant: str) -> User:
    """Staff of the unit: the world's own at D1 and the roots, a new one elsewhere."""
    for name in (f"staff.{code.lower()}", f"planner.{code.lower()}"):
        if name in world.users:
            return db.session.get(User, world.users[name])
    tenant_obj = db.session.get(Tenant, world.tenants[tenant])
    user = factories.user(tenant_obj, f"planner.{code.lower()}", "staff",
                          db.session.get(Unit, world.units[code]))
    world.users[user.username] = user.id
    return user


def _approver(world, code: str, tenant: str) -> User:
    name = f"approver.{code.lower()}"
    if name not in world.users:
        world.users[name] = factories.user(db.session.get(Tenant, world.tenants[tenant]), name,
                                           "approver",
                                           db.session.get(Unit, world.units[code])).id
    return db.session.get(User, world.users[name])


def _issue(world, code: str, tenant: str, levels: list[str], above: str | None = None):
    """A plan of the unit, submitted and approved (by the approver of ``above``, the root's
    own by the root's), with a qualitative target at its own level; it asks ``levels`` below
    for plans."""
    staff = _planner(world, code, tenant)
    approver = _approver(world, above or code, tenant)
    unit = db.session.get(Unit, world.units[code])
    plan = plans.create_plan(staff, unit, PlanInput(
        title="Kế hoạch ban hành", year=2026, plan_date="2026-01-15", child_levels=levels,
        purpose="Mục đích.", content="Nội dung.", child_deadline="2026-02-20" if levels else None,
        targets=[TargetInput(None, unit.level, "text", None, text="Góp ý 01 dự thảo.")]))
    plans.submit_plan(staff, plan)
    plans.approve_plan(approver, plan)
    return plan


@pytest.fixture
def plan_ids(app, world) -> dict[str, dict[str, str]]:
    """relation → {"plan": draft plan id, "issued": the root plan asking the relation's unit
    for a plan (None for the root itself), "unit": that unit}."""
    with app.app_context():
        roots = {"TB": _issue(world, "TB", "TB", ["district", "commune", "branch"]),
                 "HY": _issue(world, "HY", "HY", ["commune"])}
        above = {"D1": "TB", "C11": "D1", "B111": "C11", "D2": "TB", "HC1": "HY"}
        ids = {}
        for relation in RELATIONS:
            code = TARGET_UNIT[relation]
            tenant = "HY" if relation == "other_tenant" else "TB"
            plan = plans.create_plan(_planner(world, code, tenant),
                                     db.session.get(Unit, world.units[code]),
                                     PlanInput(title=f"Kế hoạch của {code}", year=2026))
            approved = roots["TB"] if code == "TB" else _issue(world, code, tenant, [],
                                                               above[code])
            ids[relation] = {"plan": str(plan.id), "unit": str(world.units[code]),
                             "approved": str(approved.id),
                             "text": str(approved.targets[0].id),
                             "issued": None if relation == "parent" else str(roots[tenant].id)}
        db.session.commit()
        return ids


def _fill(template: str, ids: dict[str, str]) -> str:
    for key, value in ids.items():
        if value is not None:
            template = template.replace("{" + key + "}", value)
    return template


@pytest.mark.parametrize("route", PLAN_ROUTES + REQUEST_ROUTES, ids=lambda r: f"{r[0]} {r[1]}")
@pytest.mark.parametrize("role", ROLES)
def test_plan_endpoints(app, client, world, plan_ids, role, route):
    method, template, action, body, allowed = route
    token = api_token(client, f"{role}.d1")
    for relation in RELATIONS:
        ids = plan_ids[relation]
        if "{issued}" in template and ids["issued"] is None:
            continue
        got = api_outcome(_call(client, method, _fill(template, ids), body, token))
        assert got == want(plan_expected(action, role, relation), allowed), (
            role, method, template, relation)


@pytest.mark.parametrize("route", PLAN_ROUTES + REQUEST_ROUTES, ids=lambda r: f"{r[0]} {r[1]}")
def test_plan_endpoints_need_a_token(client, world, plan_ids, route):
    method, template, _action, body, _allowed = route
    for token in (None, "not-a-real-token"):
        response = _call(client, method, _fill(template, plan_ids["own"]), body, token)
        assert response.status_code == 401


@pytest.mark.parametrize("role", ROLES)
def test_the_plan_list_is_what_single_reads_allow(client, world, plan_ids, role):
    """One rule for lists and single objects: the list holds exactly the plans GET allows."""
    token = api_token(client, f"{role}.d1")
    listed = {item["id"] for item in _call(client, "GET", "/api/v1/plans", None,
                                           token).get_json()["items"]}
    readable = {int(plan_ids[r]["plan"]) for r in RELATIONS
                if plan_expected("view", role, r) == "allow"}
    readable |= {int(plan_ids[r]["approved"]) for r in RELATIONS
                 if plan_expected("read", role, r) == "allow"}
    assert listed == readable
    requests = _call(client, "GET", "/api/v1/plans/requests", None, token).get_json()["items"]
    assert {item["unit_id"] for item in requests} == (
        {world.units["D1"]} if role == "staff" else set())
