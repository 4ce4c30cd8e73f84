"""The authorization matrix for the JSON API: every endpoint × role × relation.

The expected decisions come from the hand-written tables in test_authz_matrix.py (EXPECTED
for units, MANAGE_USERS for one user's endpoints). Each route row says what its allowed call
answers (tests/authz_outcomes.py): SUCCESS (2xx) or VALIDATION (the invalid body refused: 400,
409 or 422, and not by a named rule); one's own account is refused by the own-account rule.
"""

import pytest

from lhpn.accounts.models import User
from lhpn.extensions import db
from tests.authz_outcomes import OWN_ACCOUNT, SUCCESS, VALIDATION, Allowed, api_outcome, want
from tests.conftest import api_token
from tests.test_authz_matrix import (
    RELATIONS,
    ROLES,
    TARGET_UNIT,
    TARGET_USER,
    USER_ACTORS,
    USER_TARGETS,
    add_people,
    expected,
    expected_user,
)

# (method, path, action, JSON body, what an allowed call answers); bodies are invalid on
# purpose where a success would change data (an empty name, a unit under itself), so such an
# allowed call answers VALIDATION (422) and changes nothing.
API_TARGETED = [
    ("GET", "/api/v1/units/{unit}", "view", None, SUCCESS),
    ("PATCH", "/api/v1/units/{unit}", "manage", {"name": ""}, VALIDATION),
    ("POST", "/api/v1/units/{unit}/move", "manage", {"parent_id": "{unit}"}, VALIDATION),
    ("POST", "/api/v1/units", "manage", {"name": "", "level": "commune", "parent_id": "{unit}"},
     VALIDATION),
    ("POST", "/api/v1/plans", "plan", {"unit_id": "{unit}", "year": 2026, "title": ""},
     VALIDATION),
    # Without ?template= an allowed caller gets 422: the unit is judged before the query.
    ("GET", "/api/v1/units/{unit}/consolidation", "view", None, VALIDATION),
]
# Endpoints about no one unit: who may call them, and what an allowed call answers (the POSTs
# send an empty body: 422).
API_GLOBAL: dict[tuple[str, str], tuple[str, Allowed]] = {
    ("GET", "/api/v1/me"): ("everyone", SUCCESS),
    ("GET", "/api/v1/units"): ("everyone", SUCCESS),
    ("GET", "/api/v1/users"): ("admins", SUCCESS),
    ("POST", "/api/v1/users"): ("admins", VALIDATION),
    ("POST", "/api/v1/auth/logout"): ("everyone", SUCCESS),
    # Lists filtered by reach (tests/test_authz_api_plan_matrix.py checks their contents).
    ("GET", "/api/v1/plans"): ("everyone", SUCCESS),
    ("GET", "/api/v1/plans/requests"): ("everyone", SUCCESS),
    ("GET", "/api/v1/indicators"): ("everyone", SUCCESS),
    # The whole platform's consolidation (tests/test_api_consolidation.py: system admin 200).
    ("GET", "/api/v1/consolidation"): ("system_admin", SUCCESS),
    # The log of sensitive reads: review_reads at the root (tests/test_privacy_review.py).
    ("GET", "/api/v1/privacy/reads"): ("reviewers", SUCCESS),
    # Breaches and the retention setting: whoever manages the tenant's root
    # (tests/test_api_privacy_admin.py). The PUT sends no body (400).
    ("GET", "/api/v1/privacy/breaches"): ("root_admin", SUCCESS),
    ("POST", "/api/v1/privacy/breaches"): ("root_admin", VALIDATION),
    ("GET", "/api/v1/privacy/retention"): ("root_admin", SUCCESS),
    ("PUT", "/api/v1/privacy/retention"): ("root_admin", VALIDATION),
}
# One breach, recorded by TB's admin: (method, path, query string, body, what an allowed call
# answers); a move back to open, and a notification whose period ends before it starts (422),
# change nothing.
API_BREACH = [
    ("GET", "/api/v1/privacy/breaches/{breach}", "", None, SUCCESS),
    ("POST", "/api/v1/privacy/breaches/{breach}/status", "", {"status": "open"}, VALIDATION),
    ("GET", "/api/v1/privacy/breaches/{breach}/notification.docx",
     "?from=2026-12-05&to=2026-11-01", None, VALIDATION),
]
# One user's endpoints, walked by actor × target in test_api_user_endpoints (the table is
# MANAGE_USERS in test_authz_matrix.py). Bodies are invalid on purpose, as above (VALIDATION,
# 422), except that one's own roles are refused by the own-account rule (422, OWN_ACCOUNT)
# before the body is read; revoking a role needs no body and succeeds (204).
# (method, path, body, what an allowed call answers, what one's own account answers)
API_USER = [
    ("GET", "/api/v1/users/{user}", None, SUCCESS, "allow"),
    ("PATCH", "/api/v1/users/{user}", {"locked": "không phải true/false"}, VALIDATION, "allow"),
    ("POST", "/api/v1/users/{user}/roles", {"role": "no_such_role", "unit_id": "{user_unit}"},
     VALIDATION, OWN_ACCOUNT),
    ("DELETE", "/api/v1/users/{user}/roles/{assignment}", None, SUCCESS, OWN_ACCOUNT),
]
API_COVERED = ({(m, p) for m, p, *_ in API_TARGETED} | {(m, p) for m, p, *_ in API_USER}
               | set(API_GLOBAL) | {(m, p) for m, p, *_ in API_BREACH})


@pytest.fixture
def people(app, world):
    return add_people(app, world)


def _ids(app, world, relation: str) -> dict[str, str]:
    user_id = world.users[TARGET_USER[relation]]
    with app.app_context():
        target = db.session.get(User, user_id)
        assignment = target.assignments[0]
        return {"unit": str(world.units[TARGET_UNIT[relation]]), "user": str(user_id),
                "assignment": str(assignment.id), "user_unit": str(target.unit_id)}


def _fill(value, ids: dict[str, str]):
    if isinstance(value, str):
        for key in sorted(ids, key=len, reverse=True):
            value = value.replace("{" + key + "}", ids[key])
        return int(value) if value.isdigit() else value
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


def _call(client, method: str, path: str, body, token: str | None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.open(path, method=method, json=body, headers=headers)


@pytest.mark.parametrize("route", API_TARGETED, ids=lambda r: f"{r[0]} {r[1]}")
@pytest.mark.parametrize("role", ROLES)
def test_api_endpoints(app, client, world, role, route):
    method, template, action, body, allowed = route
    token = api_token(client, f"{role}.d1")
    for relation in RELATIONS:
        ids = _ids(app, world, relation)
        got = api_outcome(_call(client, method, _fill(template, ids), _fill(body, ids), token))
        assert got == want(expected(action, role, relation), allowed), (
            role, method, template, relation)


@pytest.mark.parametrize("actor", USER_ACTORS)
def test_api_user_endpoints(app, client, people, actor):
    token = api_token(client, actor)
    for method, template, body, allowed, own in API_USER:
        for target in USER_TARGETS:
            user_id = people.users[actor if target == "self" else target]
            with app.app_context():
                user = db.session.get(User, user_id)
                assignment = user.assignments[0].id if user.assignments else 999999
                ids = {"user": str(user_id), "assignment": str(assignment),
                       "user_unit": str(user.unit_id or people.units["C11"])}
            got = api_outcome(_call(client, method, _fill(template, ids), _fill(body, ids),
                                    token))
            decision = expected_user(actor, target, own)
            if target == "no.unit.no.role" and "{assignment}" in template and decision == "allow":
                decision = "404"  # nothing to revoke
            assert got == want(decision, allowed), (actor, method, template, target)


@pytest.mark.parametrize("actor", [a for a in USER_ACTORS if a.startswith("tenant_admin")])
def test_api_user_list_is_whom_one_may_manage(client, people, actor):
    token = api_token(client, actor)
    items = _call(client, "GET", "/api/v1/users?limit=100", None, token).get_json()["items"]
    listed = {item["username"] for item in items}
    for target in USER_TARGETS:
        name = actor if target == "self" else target
        want = expected_user(actor, target, "allow") == "allow"
        assert (name in listed) is want, (actor, target)


@pytest.mark.parametrize("route", [r[:4] for r in API_TARGETED]
                         + [(m, p, None, None) for m, p, *_ in API_USER]
                         + [(m, p, None, None) for m, p in API_GLOBAL],
                         ids=lambda r: f"{r[0]} {r[1]}")
def test_api_needs_a_token(app, client, world, route):
    method, template, _action, body = route
    ids = _ids(app, world, "own")
    for token in (None, "not-a-real-token"):
        response = _call(client, method, _fill(template, ids), _fill(body, ids), token)
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize("actor", [f"{r}.d1" for r in ROLES] + ["tenant_admin.tb"])
def test_api_global_endpoints(client, world, actor):
    token = api_token(client, actor)
    admin = actor.startswith("tenant_admin")
    for (method, path), (who, allowed) in API_GLOBAL.items():
        if path.endswith("/logout"):
            continue
        body = {} if method == "POST" else None
        got = api_outcome(_call(client, method, path, body, token))
        may = (who == "everyone" or (who == "admins" and admin)
               or (who in ("reviewers", "root_admin") and actor == "tenant_admin.tb"))
        assert got == want("allow" if may else "403", allowed), (actor, method, path)
    response = _call(client, "POST", "/api/v1/auth/logout", None, token)
    assert response.status_code < 300
    assert _call(client, "GET", "/api/v1/me", None, token).status_code == 401


@pytest.mark.parametrize("actor", [f"{r}.d1" for r in ROLES] + ["tenant_admin.tb",
                                                                "tenant_admin.hy"])
def test_api_breach_endpoints(app, client, world, actor):
    from lhpn.privacy.models import Breach

    admin = api_token(app.test_client(), "tenant_admin.tb")
    made = _call(client, "POST", "/api/v1/privacy/breaches", {
        "detected_at": "2026-12-01T09:30", "description": "Lộ tệp tải về.",
        "data_kinds": "Họ tên"}, admin)
    assert made.status_code == 201, made.get_json()
    breach = str(made.get_json()["id"])
    token = api_token(client, actor)
    decision = {"tenant_admin.tb": "allow", "tenant_admin.hy": "404"}.get(actor, "403")
    for method, template, args, body, allowed in API_BREACH:
        path = template.replace("{breach}", breach) + args
        assert _call(client, method, path, body, None).status_code == 401
        response = _call(client, method, path, body, token)
        assert response.headers["Cache-Control"] == "no-store", (actor, method, template)
        assert api_outcome(response) == want(decision, allowed), (actor, method, template)
    with app.app_context():
        assert db.session.get(Breach, int(breach)).status == "open"
