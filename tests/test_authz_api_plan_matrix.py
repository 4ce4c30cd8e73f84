"""The authorization matrix for the plan endpoints: every endpoint × role × relation.

Roles are held at district D1; the world gets a draft plan at each relation's unit (and an
issued root plan whose requests reach D1, C11, B111 and D2). The expected decisions are written
out below by hand, not derived from policies/. Bodies make an allowed call fail a version or
state check (409) rather than change anything, so "allowed" means: not 401, 403 or 404.
"""

import pytest

from lhpn.accounts.models import User
from lhpn.extensions import db
from lhpn.plans import services as plans
from lhpn.plans.services import PlanInput
from lhpn.tenants.models import Tenant
from lhpn.units.models import Unit
from tests import factories
from tests.conftest import api_token
from tests.test_authz_api_matrix import _call, _verdict
from tests.test_authz_matrix import RELATIONS, ROLES, TARGET_UNIT

# (method, path, action, JSON body); {plan} is the draft plan at the relation's unit.
PLAN_ROUTES = [
    ("GET", "/api/v1/plans/{plan}", "view", None),
    ("PATCH", "/api/v1/plans/{plan}", "plan", {"version": 0, "title": "Tên mới"}),
    ("POST", "/api/v1/plans/{plan}/submit", "submit", {"version": 0}),
    ("POST", "/api/v1/plans/{plan}/approve", "approve", {"version": 0}),
    ("POST", "/api/v1/plans/{plan}/return", "approve", {"comment": ""}),
    ("GET", "/api/v1/plans/{plan}/history", "view", None),
    ("GET", "/api/v1/plans/{plan}/cascade", "view", None),
]
# {issued}/{unit}: the issued root plan's request to the relation's unit (the root itself gets
# none, so the "parent" relation has nothing to try).
REQUEST_ROUTES = [
    ("POST", "/api/v1/plans/requests/{issued}/{unit}/start", "plan", None),
]
PLAN_API_COVERED = {(m, p) for m, p, *_ in PLAN_ROUTES + REQUEST_ROUTES}

# Y = allowed, N = 403, for the plan at own (D1), child (C11), grandchild (B111), parent (TB),
# sibling (D2). Another tenant's plan is always 404.
PLAN_EXPECTED = {
    "view": {"tenant_admin": "YYYNN", "approver": "YYYNN", "staff": "YYNNN",
             "viewer": "YYYNN", "norole": "NNNNN"},
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
    name = f"staff.{code.lower()}"
    if name in world.users:
        return db.session.get(User, world.users[name])
    tenant_obj = db.session.get(Tenant, world.tenants[tenant])
    user = factories.user(tenant_obj, f"planner.{code.lower()}", "staff",
                          db.session.get(Unit, world.units[code]))
    world.users[user.username] = user.id
    return user


def _issue(world, code: str, tenant: str, levels: list[str]) -> int:
    """A plan of the root, submitted and approved: it asks ``levels`` below for plans."""
    staff = _planner(world, code, tenant)
    approver = db.session.get(User, world.users[f"approver.{code.lower()}"])
    plan = plans.create_plan(staff, db.session.get(Unit, world.units[code]), PlanInput(
        title="Kế hoạch ban hành", year=2026, plan_date="2026-01-15", child_levels=levels,
        child_deadline="2026-02-20"))
    plans.submit_plan(staff, plan)
    plans.approve_plan(approver, plan)
    return plan.id


@pytest.fixture
def plan_ids(app, world) -> dict[str, dict[str, str]]:
    """relation → {"plan": draft plan id, "issued": the root plan asking the relation's unit
    for a plan (None for the root itself), "unit": that unit}."""
    with app.app_context():
        issued = {"TB": _issue(world, "TB", "TB", ["district", "commune", "branch"]),
                  "HY": _issue(world, "HY", "HY", ["commune"])}
        ids = {}
        for relation in RELATIONS:
            code = TARGET_UNIT[relation]
            tenant = "HY" if relation == "other_tenant" else "TB"
            plan = plans.create_plan(_planner(world, code, tenant),
                                     db.session.get(Unit, world.units[code]),
                                     PlanInput(title=f"Kế hoạch của {code}", year=2026))
            ids[relation] = {"plan": str(plan.id), "unit": str(world.units[code]),
                             "issued": None if relation == "parent" else str(issued[tenant])}
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
    method, template, action, body = route
    token = api_token(client, f"{role}.d1")
    for relation in RELATIONS:
        ids = plan_ids[relation]
        if "{issued}" in template and ids["issued"] is None:
            continue
        got = _verdict(_call(client, method, _fill(template, ids), body, token))
        assert got == plan_expected(action, role, relation), (role, method, template, relation)


@pytest.mark.parametrize("route", PLAN_ROUTES + REQUEST_ROUTES, ids=lambda r: f"{r[0]} {r[1]}")
def test_plan_endpoints_need_a_token(client, world, plan_ids, route):
    method, template, _action, body = route
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
    assert listed == readable
    requests = _call(client, "GET", "/api/v1/plans/requests", None, token).get_json()["items"]
    assert {item["unit_id"] for item in requests} == (
        {world.units["D1"]} if role == "staff" else set())
