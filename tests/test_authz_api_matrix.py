"""The authorization matrix for the JSON API: every endpoint × role × relation.

The expected decisions come from the hand-written table in test_authz_matrix.py.
"""

import pytest

from lhpn.accounts.models import User
from lhpn.extensions import db
from tests.conftest import api_token
from tests.test_authz_matrix import RELATIONS, ROLES, TARGET_UNIT, TARGET_USER, expected

# (method, path, action, JSON body); bodies are invalid on purpose where a success would
# change data, so an allowed call answers 4xx-but-not-403/404 (422, 400, 409) or 2xx.
API_TARGETED = [
    ("GET", "/api/v1/units/{unit}", "view", None),
    ("PATCH", "/api/v1/units/{unit}", "manage", {"name": ""}),
    ("POST", "/api/v1/units/{unit}/move", "manage", {"parent_id": "{unit}"}),
    ("POST", "/api/v1/units", "manage", {"name": "", "level": "commune", "parent_id": "{unit}"}),
    ("GET", "/api/v1/users/{user}", "manage", None),
    ("PATCH", "/api/v1/users/{user}", "manage", {"locked": "không phải true/false"}),
    ("POST", "/api/v1/users/{user}/roles", "manage", {"role": "no_such_role",
                                                       "unit_id": "{user_unit}"}),
    ("DELETE", "/api/v1/users/{user}/roles/{assignment}", "manage", None),
    ("POST", "/api/v1/plans", "plan", {"unit_id": "{unit}", "year": 2026, "title": ""}),
    # Without ?template= an allowed caller gets 422: the unit is judged before the query.
    ("GET", "/api/v1/units/{unit}/consolidation", "view", None),
]
# Endpoints about no one unit: who may call them.
API_GLOBAL = {
    ("GET", "/api/v1/me"): "everyone",
    ("GET", "/api/v1/units"): "everyone",
    ("GET", "/api/v1/users"): "admins",
    ("POST", "/api/v1/users"): "admins",
    ("POST", "/api/v1/auth/logout"): "everyone",
    # Lists filtered by reach (tests/test_authz_api_plan_matrix.py checks their contents).
    ("GET", "/api/v1/plans"): "everyone",
    ("GET", "/api/v1/plans/requests"): "everyone",
    ("GET", "/api/v1/indicators"): "everyone",
    # The whole platform's consolidation (tests/test_api_consolidation.py: system admin 200).
    ("GET", "/api/v1/consolidation"): "system_admin",
}
API_COVERED = {(m, p) for m, p, *_ in API_TARGETED} | set(API_GLOBAL)


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


def _verdict(response) -> str:
    if response.status_code == 204:  # a DELETE that worked answers with no body
        return "allow"
    assert response.is_json, response.get_data(as_text=True)[:300]
    if response.status_code in (401, 403, 404):
        return str(response.status_code)
    assert response.status_code < 500, response.get_json()
    return "allow"


@pytest.mark.parametrize("route", API_TARGETED, ids=lambda r: f"{r[0]} {r[1]}")
@pytest.mark.parametrize("role", ROLES)
def test_api_endpoints(app, client, world, role, route):
    method, template, action, body = route
    token = api_token(client, f"{role}.d1")
    for relation in RELATIONS:
        ids = _ids(app, world, relation)
        got = _verdict(_call(client, method, _fill(template, ids), _fill(body, ids), token))
        assert got == expected(action, role, relation), (role, method, template, relation)


@pytest.mark.parametrize("route", API_TARGETED + [(m, p, None, None) for m, p in API_GLOBAL],
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
    for (method, path), who in API_GLOBAL.items():
        if path.endswith("/logout"):
            continue
        body = {} if method == "POST" else None
        got = _verdict(_call(client, method, path, body, token))
        allowed = who == "everyone" or (who == "admins" and admin)
        assert got == ("allow" if allowed else "403"), (actor, method, path)
    response = _call(client, "POST", "/api/v1/auth/logout", None, token)
    assert response.status_code < 300
    assert _call(client, "GET", "/api/v1/me", None, token).status_code == 401
