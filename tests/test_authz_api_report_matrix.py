"""The authorization matrix for the report endpoints: every endpoint × role × relation.

Roles are held at district D1. The world gets a draft monthly report (BC_THANG, 2026-03) at
each relation's unit, opened through the services by staff of that unit: own D1, child C11,
grandchild B111, sibling D2 and the other tenant's HC1. The root (the "parent" relation) has
none: the monthly form is filled below the province, so report endpoints skip that relation;
the endpoints naming a unit (opening a report, the calendar) try it too.

The expected decisions are written out below by hand, not derived from policies/. Bodies make
an allowed call that would change something fail validation (version 0 is below the first
version, a period that does not exist: 422) or a state check (a draft is not returned or
reopened: 409) rather than change anything; each row says whether its allowed call answers
SUCCESS (2xx) or VALIDATION (tests/authz_outcomes.py), and the test also checks that nothing
changed.
"""

import pytest

from lhpn.accounts.models import User
from lhpn.extensions import db
from lhpn.reports import services as reports
from lhpn.tenants.models import Tenant
from lhpn.units.models import Unit
from tests import factories
from tests.authz_outcomes import SELF_DECIDE, SUCCESS, VALIDATION, api_outcome, want
from tests.conftest import api_token
from tests.test_api_reports import report_state
from tests.test_authz_api_matrix import _call
from tests.test_authz_matrix import RELATIONS, ROLES, TARGET_UNIT

# (method, path, action, JSON body, what an allowed call answers); {report} is the draft report
# at the relation's unit.
REPORT_ROUTES = [
    ("GET", "/api/v1/reports/{report}", "view", None, SUCCESS),
    ("PUT", "/api/v1/reports/{report}/values", "enter", {"values": {}, "version": 0},
     VALIDATION),
    ("POST", "/api/v1/reports/{report}/submit", "enter", {"version": 0}, VALIDATION),
    ("POST", "/api/v1/reports/{report}/approve", "approve", {"version": 0}, VALIDATION),
    ("POST", "/api/v1/reports/{report}/return", "approve", {"comment": "Chưa gửi mà trả"},
     VALIDATION),
    ("POST", "/api/v1/reports/{report}/reopen", "approve", {"comment": "Chưa duyệt mà mở"},
     VALIDATION),
    ("GET", "/api/v1/reports/{report}/history", "view", None, SUCCESS),
]
# {unit} is the relation's unit itself (the root included). Paths may carry a query string.
UNIT_ROUTES = [
    ("POST", "/api/v1/reports", "enter",
     {"unit_id": "{unit}", "template": "BC_THANG", "period": "2026-13"}, VALIDATION),
    ("GET", "/api/v1/calendar?unit_id={unit}&year=2026", "view", None, SUCCESS),
]
# About no one unit: every user of the tenant may call them. The report list is filtered by
# reach (test_the_report_list_is_what_single_reads_allow checks its contents); the forms are
# the tenant's vocabulary, like the indicator catalogue.
GLOBAL_ROUTES = [
    ("GET", "/api/v1/reports"),
    ("GET", "/api/v1/templates"),
    ("GET", "/api/v1/templates/BC_THANG"),
]
REPORT_API_COVERED = (
    {(m, p.split("?")[0]) for m, p, *_ in REPORT_ROUTES + UNIT_ROUTES}
    | {("GET", "/api/v1/templates/{code}"), ("GET", "/api/v1/reports"),
       ("GET", "/api/v1/templates")}
    # Several at once: decided per report (test_approving_several_decides_per_report).
    | {("POST", "/api/v1/reports/approve")}
)

# Y = allowed, N = 403, for the unit at own (D1), child (C11), grandchild (B111), parent (TB),
# sibling (D2). Another tenant's report or unit is always 404.
REPORT_EXPECTED = {
    "view": {"tenant_admin": "YYYNN", "approver": "YYYNN", "staff": "YYNNN",
             "viewer": "YYYNN", "norole": "NNNNN"},
    # Staff of the unit; a commune's staff may also enter for its branches, but D1's staff are
    # a district's, so B111 is not theirs.
    "enter": {"tenant_admin": "NNNNN", "approver": "NNNNN", "staff": "YNNNN",
              "viewer": "NNNNN", "norole": "NNNNN"},
    # Asked of the unit above the report's: D1's approver decides on C11's report, not on D1's
    # own (the root's approver does) nor on B111's (C11's does).
    "approve": {"tenant_admin": "NNNNN", "approver": "NYNNN", "staff": "NNNNN",
                "viewer": "NNNNN", "norole": "NNNNN"},
}


def report_expected(action: str, role: str, relation: str) -> str:
    if relation == "other_tenant":
        return "404"
    return "allow" if REPORT_EXPECTED[action][role][RELATIONS.index(relation)] == "Y" else "403"


def _reporter(world, code: str, tenant: str) -> User:
    """Staff of the unit: the world's own at D1, a new one elsewhere."""
    name = f"staff.{code.lower()}"
    if name in world.users:
        return db.session.get(User, world.users[name])
    user = factories.user(db.session.get(Tenant, world.tenants[tenant]), name, "staff",
                          db.session.get(Unit, world.units[code]))
    world.users[name] = user.id
    return user


@pytest.fixture
def report_ids(app, world) -> dict[str, dict[str, str | None]]:
    """relation → {"report": draft report id (None at the root), "unit": the unit's id}."""
    with app.app_context():
        ids = {}
        for relation in RELATIONS:
            code = TARGET_UNIT[relation]
            tenant = "HY" if relation == "other_tenant" else "TB"
            report_id = None
            if relation != "parent":
                unit = db.session.get(Unit, world.units[code])
                report = reports.open_report(_reporter(world, code, tenant), unit,
                                             reports.get_template(world.tenants[tenant],
                                                                  "BC_THANG"), "2026-03")
                report_id = str(report.id)
            ids[relation] = {"report": report_id, "unit": str(world.units[code])}
        db.session.commit()
        return ids


def _fill(value, ids: dict[str, str | None]):
    if isinstance(value, str):
        for key, replacement in ids.items():
            if replacement is not None:
                value = value.replace("{" + key + "}", replacement)
        return int(value) if value.isdigit() else value
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


@pytest.mark.parametrize("route", REPORT_ROUTES + UNIT_ROUTES, ids=lambda r: f"{r[0]} {r[1]}")
@pytest.mark.parametrize("role", ROLES)
def test_report_endpoints(app, client, world, report_ids, role, route):
    method, template, action, body, allowed = route
    token = api_token(client, f"{role}.d1")
    before = report_state(app)
    for relation in RELATIONS:
        ids = report_ids[relation]
        if "{report}" in template and ids["report"] is None:
            continue  # the root has no monthly report
        got = api_outcome(_call(client, method, _fill(template, ids), _fill(body, ids), token))
        assert got == want(report_expected(action, role, relation), allowed), (
            role, method, template, relation)
    assert report_state(app) == before, "a call of the matrix changed a report"


@pytest.mark.parametrize("route", GLOBAL_ROUTES, ids=lambda r: f"{r[0]} {r[1]}")
@pytest.mark.parametrize("role", ROLES)
def test_tenant_wide_report_endpoints(client, world, report_ids, role, route):
    method, path = route
    response = _call(client, method, path, None, api_token(client, f"{role}.d1"))
    assert response.status_code == 200, response.get_data(as_text=True)


@pytest.mark.parametrize("route", REPORT_ROUTES + UNIT_ROUTES + [(*r, "view", None, SUCCESS)
                                                                  for r in GLOBAL_ROUTES],
                         ids=lambda r: f"{r[0]} {r[1]}")
def test_report_endpoints_need_a_token(client, world, report_ids, route):
    method, template, _action, body, _allowed = route
    ids = report_ids["own"]
    for token in (None, "not-a-real-token"):
        response = _call(client, method, _fill(template, ids), _fill(body, ids), token)
        assert response.status_code == 401


@pytest.mark.parametrize("role", ROLES)
def test_the_report_list_is_what_single_reads_allow(client, world, report_ids, role):
    """One rule for lists and single objects: the list holds exactly the reports GET allows."""
    token = api_token(client, f"{role}.d1")
    listed = {item["id"] for item in _call(client, "GET", "/api/v1/reports", None,
                                           token).get_json()["items"]}
    readable = {int(report_ids[r]["report"]) for r in RELATIONS
                if report_ids[r]["report"] is not None
                and report_expected("view", role, r) == "allow"}
    assert listed == readable


@pytest.mark.parametrize("role", ROLES)
def test_approving_several_decides_per_report(app, client, world, report_ids, role):
    """All the relations' reports in one call: each item answers what approving that report
    alone answers (forbidden, not found, or — allowed — refused for its stale version), and
    nothing changes."""
    token = api_token(client, f"{role}.d1")
    relations = [r for r in RELATIONS if report_ids[r]["report"] is not None]
    before = report_state(app)
    response = _call(client, "POST", "/api/v1/reports/approve", {"items": [
        {"id": int(report_ids[r]["report"]), "version": 1} for r in relations]}, token)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["approved"] == 0 and body["failed"] == len(relations)
    codes = {"403": "forbidden", "404": "not_found", "allow": "conflict"}
    for relation, result in zip(relations, body["results"], strict=True):
        assert result["id"] == int(report_ids[relation]["report"])
        assert result["error"]["code"] == codes[report_expected("approve", role, relation)], (
            role, relation, result)
    assert report_state(app) == before


# ---- nobody decides on what they submitted (the self-decide rule, lhpn/authz/signoff.py) ------
#
# As tests/test_authz_report_matrix.py: "both.d1" approves at D1 and is staff at C11. A version
# far ahead of the report's makes an allowed decision fail (VALIDATION, 409 for approving a
# changed report; returning or reopening a submitted one: 409 for the stale version too); the
# rule is asked first, so one's own report answers the rule's 422.
DECIDING_ROUTES = [
    ("POST", "/api/v1/reports/{report}/approve", {"version": 999}, VALIDATION),
    ("POST", "/api/v1/reports/{report}/return", {"comment": "Chưa đạt.", "version": 999},
     VALIDATION),
    ("POST", "/api/v1/reports/{report}/reopen", {"comment": "Sai số.", "version": 999},
     VALIDATION),
]
SUBMITTED_BY = {"someone_else": "allow", "themselves": SELF_DECIDE}


def test_nobody_decides_on_what_they_submitted(app, client, world):
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
            ids[key] = str(report.id)
        db.session.commit()
    token = api_token(client, "both.d1")
    before = report_state(app)
    for method, template, body, allowed in DECIDING_ROUTES:
        for submitter, decision in SUBMITTED_BY.items():
            got = api_outcome(_call(client, method, template.replace("{report}", ids[submitter]),
                                    body, token))
            assert got == want(decision, allowed), (method, template, submitter)
    assert report_state(app) == before
