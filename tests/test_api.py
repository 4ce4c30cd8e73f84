"""The JSON API: tokens, units, users and roles, errors, and its OpenAPI description.

Every refused request is checked to leave the database exactly as it was (units, users, roles,
tokens and the audit log, re-read in a fresh session).
"""

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import jsonschema
import pytest
from openapi_spec_validator import validate as validate_openapi
from sqlalchemy import func, select

from lhpn.accounts import services as accounts
from lhpn.accounts.models import ApiToken, RoleAssignment, User
from lhpn.audit.models import AuditEntry
from lhpn.clock import local_today
from lhpn.extensions import db
from lhpn.units.models import Unit
from tests import factories
from tests.conftest import api_token, csrf_token, login

API = "/api/v1"


# ---- helpers ----------------------------------------------------------------------------------

class Caller:
    """A test client speaking to the API as one user."""

    def __init__(self, client, token: str | None) -> None:
        self.client = client
        self.token = token

    def call(self, method: str, path: str, body=None, *, raw: str | None = None,
             headers: dict | None = None):
        headers = dict(headers or {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        kwargs: dict = {"headers": headers}
        if raw is not None:
            kwargs.update(data=raw, content_type="application/json")
        elif body is not None:
            kwargs["json"] = body
        response = self.client.open(API + path, method=method, **kwargs)
        assert response.status_code < 500, response.get_data(as_text=True)
        return response

    def get(self, path: str, **kw):
        return self.call("GET", path, **kw)

    def post(self, path: str, body=None, **kw):
        return self.call("POST", path, body, **kw)

    def patch(self, path: str, body=None, **kw):
        return self.call("PATCH", path, body, **kw)

    def delete(self, path: str, **kw):
        return self.call("DELETE", path, **kw)


@pytest.fixture
def api(client, world) -> Callable[[str], Caller]:
    """api("viewer.d1") → a Caller holding a fresh token of that user."""

    def as_user(username: str) -> Caller:
        return Caller(client, api_token(client, username))

    return as_user


@pytest.fixture
def anonymous(client) -> Caller:
    return Caller(client, None)


def database_state(app) -> tuple:
    with app.app_context():
        def rows(*columns):
            return db.session.execute(select(*columns).order_by(columns[0])).all()

        return (
            rows(Unit.id, Unit.parent_id, Unit.path, Unit.depth, Unit.name, Unit.search_name,
                 Unit.code, Unit.level, Unit.closed, Unit.opened_on),
            rows(User.id, User.username, User.full_name, User.locked, User.unit_id,
                 User.password_hash, User.must_change_password),
            rows(RoleAssignment.id, RoleAssignment.user_id, RoleAssignment.role,
                 RoleAssignment.unit_id),
            rows(ApiToken.id, ApiToken.user_id),
            db.session.scalar(select(func.count()).select_from(AuditEntry)),
        )


@contextmanager
def unchanged(app) -> Iterator[None]:
    before = database_state(app)
    yield
    assert database_state(app) == before, "a refused request changed the database"


def assert_error(response, status: int, field: str | None = None) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    error = response.get_json()["error"]
    assert error["code"] and error["message"]
    if field is not None:
        assert error.get("field") == field, error
    return error


def codes(items: list[dict]) -> set[str]:
    return {item["code"] for item in items}


def usernames(items: list[dict]) -> set[str]:
    return {item["username"] for item in items}


def unit_row(app, unit_id: int) -> Unit:
    with app.app_context():
        unit = db.session.get(Unit, unit_id)
        db.session.expunge(unit)
        return unit


# ---- tokens -----------------------------------------------------------------------------------

def test_a_token_opens_the_api_and_is_never_cached(client, world):
    response = client.post(f"{API}/auth/token", json={"username": "viewer.d1",
                                                        "password": factories.PASSWORD})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    token = response.get_json()["token"]
    me = Caller(client, token).get("/me")
    assert me.status_code == 200
    assert me.get_json()["username"] == "viewer.d1"


@pytest.mark.parametrize("username, password", [
    ("viewer.d1", "wrong-password"),
    ("nobody.here", factories.PASSWORD),
    ("viewer.d1", ""),
])
def test_a_refused_login_is_401(anonymous, world, username, password):
    response = anonymous.post("/auth/token", {"username": username, "password": password})
    error = assert_error(response, 401)
    assert error["code"] == "unauthorized"
    assert "token" not in response.get_json()


def test_a_locked_user_gets_no_token(app, anonymous, world):
    with app.app_context():
        accounts.set_locked(None, db.session.get(User, world.users["staff.d1"]), True)
        db.session.commit()
    response = anonymous.post("/auth/token", {"username": "staff.d1",
                                              "password": factories.PASSWORD})
    assert_error(response, 401)


@pytest.mark.parametrize("raw, status", [
    ("not json", 400),
    ("[]", 400),
    ('"viewer.d1"', 400),
    ("null", 400),
    ('{"username": "viewer.d1"}', 422),
    ('{"username": 5, "password": "x"}', 422),
    ('{"username": "viewer.d1", "password": null}', 422),
    ('{"username": "viewer.d1", "password": "x", "remember": true}', 422),
])
def test_a_malformed_login_is_refused_without_counting(app, anonymous, world, raw, status):
    with unchanged(app):
        assert_error(anonymous.post("/auth/token", raw=raw), status)


@pytest.mark.parametrize("authorization", [
    None,
    "",
    "Bearer",
    "Bearer not-a-real-token",
    "Basic dmlld2VyLmQxOk1hdC1raGF1LTIwMjY=",
    "Token abc",
])
def test_without_a_valid_token_the_answer_is_401(client, world, authorization):
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = client.get(f"{API}/me", headers=headers)
    error = assert_error(response, 401)
    assert error["message"] == "Bạn cần đăng nhập."
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def api_rules(app) -> list[tuple[str, str, str]]:
    """(method, path with ids filled in, endpoint) for every API route."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API + "/"):
            continue
        path = re.sub(r"<[^>]+>", "1", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((method, path, rule.endpoint))
    return found


def test_every_endpoint_but_login_and_the_document_requires_a_token(app, client, world):
    public = {"api.issue_token", "api.openapi_document"}
    checked = 0
    for method, path, endpoint in api_rules(app):
        if endpoint in public:
            continue
        for headers in ({}, {"Authorization": "Bearer garbage"}):
            response = client.open(path, method=method, headers=headers, json={})
            assert_error(response, 401)
        checked += 1
    assert checked >= 12


def test_an_unknown_method_or_path_answers_json(api):
    caller = api("viewer.d1")
    assert_error(caller.call("PUT", "/units"), 405)
    assert_error(caller.get("/nothing-here"), 404)


def test_logout_revokes_only_that_token(client, world):
    first = Caller(client, api_token(client, "viewer.d1"))
    second = Caller(client, api_token(client, "viewer.d1"))
    assert first.post("/auth/logout").status_code == 204
    assert_error(first.get("/me"), 401)
    assert second.get("/me").status_code == 200


# ---- who am I ---------------------------------------------------------------------------------

@pytest.mark.parametrize("username, roles, tenant", [
    ("tenant_admin.d1", [("tenant_admin", "D1")], "TB"),
    ("viewer.tb", [("viewer", "TB")], "TB"),
    ("staff.hy", [("staff", "HY")], "HY"),
    ("norole.d1", [], "TB"),
])
def test_me_shows_the_user_their_roles_and_tenant(api, world, username, roles, tenant):
    me = api(username).get("/me").get_json()
    assert me["id"] == world.users[username]
    assert me["username"] == username
    assert me["locked"] is False
    assert [(r["role"], r["unit_id"]) for r in me["roles"]] == [
        (role, world.units[code]) for role, code in roles
    ]
    assert me["tenant"]["code"] == tenant
    assert me["tenant"]["levels"][0] == "province"
    assert "password_hash" not in me


def test_the_system_administrator_has_no_tenant(app, client, world):
    with app.app_context():
        accounts.create_user(None, tenant_id=None, username="root.admin",
                             password=factories.PASSWORD, is_system_admin=True)
        db.session.commit()
    me = Caller(client, api_token(client, "root.admin")).get("/me").get_json()
    assert me["tenant"] is None
    assert me["roles"] == []
    assert me["unit_id"] is None


# ---- units: reading -------------------------------------------------------------------------

@pytest.mark.parametrize("username, expected", [
    ("viewer.d1", {"D1", "C11", "C12", "B111"}),
    ("approver.d1", {"D1", "C11", "C12", "B111"}),
    ("staff.d1", {"D1", "C11", "C12"}),
    ("tenant_admin.tb", {"TB", "D1", "D2", "C11", "C12", "C21", "B111"}),
    ("staff.hy", {"HY", "HC1"}),
    ("norole.d1", set()),
])
def test_the_unit_list_is_what_the_user_may_view(api, username, expected):
    items = api(username).get("/units").get_json()["items"]
    assert codes(items) == expected
    assert len(items) == len(expected)


@pytest.mark.parametrize("username, query, expected", [
    ("tenant_admin.tb", "parent=D1", {"C11", "C12"}),
    ("tenant_admin.tb", "parent=TB", {"D1", "D2"}),
    ("viewer.d1", "parent=TB", {"D1"}),
    ("tenant_admin.tb", "parent=HC1", set()),  # another tenant's unit: nothing, not an error
    ("tenant_admin.tb", "q=tan le", {"C11"}),
    ("tenant_admin.tb", "q=TÂN LỄ", {"C11"}),
    ("tenant_admin.tb", "q=tan", {"C11", "C12", "B111"}),
    ("tenant_admin.tb", "q=dong", {"D2", "C21"}),
    ("tenant_admin.tb", "q=c1", {"C11", "C12"}),
    ("tenant_admin.tb", "q=phố hiến", set()),
    ("viewer.d1", "q=dong", set()),
    ("tenant_admin.tb", "parent=D1&q=canh", {"C12"}),
])
def test_the_unit_list_filters_by_parent_and_search(api, world, username, query, expected):
    query = re.sub(r"parent=(\w+)", lambda m: f"parent={world.units[m.group(1)]}", query)
    items = api(username).get(f"/units?{query}").get_json()["items"]
    assert codes(items) == expected


def test_the_unit_list_pages_in_a_stable_order(api):
    admin = api("tenant_admin.tb")
    everything = admin.get("/units").get_json()["items"]
    pages = [admin.get(f"/units?limit=3&offset={offset}").get_json()["items"]
             for offset in (0, 3, 6, 9)]
    assert [len(p) for p in pages] == [3, 3, 1, 0]
    assert [u["id"] for p in pages for u in p] == [u["id"] for u in everything]


@pytest.mark.parametrize("query, field", [
    ("limit=0", "limit"),
    ("limit=5001", "limit"),
    ("limit=abc", "limit"),
    ("limit=-1", "limit"),
    ("offset=-5", "offset"),
    ("offset=1.5", "offset"),
    ("parent=abc", "parent"),
    ("parent=99999999999999999999", "parent"),
    ("limit=" + "9" * 5000, "limit"),
    ("q=%00", "q"),
])
def test_bad_list_parameters_are_422(api, query, field):
    assert_error(api("tenant_admin.tb").get(f"/units?{query}"), 422, field)


@pytest.mark.parametrize("username, code, status", [
    ("viewer.d1", "D1", 200),
    ("viewer.d1", "B111", 200),
    ("viewer.d1", "D2", 403),
    ("viewer.d1", "TB", 403),
    ("staff.d1", "C11", 200),
    ("staff.d1", "B111", 403),
    ("norole.d1", "D1", 403),
    ("viewer.d1", "HC1", 404),
    ("staff.hy", "HC1", 200),
    ("tenant_admin.hy", "D1", 404),
])
def test_reading_one_unit_follows_reach_and_hides_other_tenants(api, world, username, code,
                                                                 status):
    response = api(username).get(f"/units/{world.units[code]}")
    if status == 200:
        assert response.status_code == 200
        assert response.get_json()["code"] == code
    else:
        assert_error(response, status)


@pytest.mark.parametrize("path", [
    "/units/abc", "/units/0", "/units/-1", "/units/1.5", "/units/99999999999999999999",
    "/units/2147483647", "/users/abc", "/users/99999999999999999999",
])
def test_ids_that_name_nothing_are_404(api, path):
    assert_error(api("tenant_admin.tb").get(path), 404)


# ---- units: changing ---------------------------------------------------------------------------

def test_creating_a_unit(app, api, world):
    admin = api("tenant_admin.d1")
    response = admin.post("/units", {"name": "  Hội LHPN xã Minh Khai ", "level": "commune",
                                     "parent_id": world.units["D1"], "code": "c13"})
    assert response.status_code == 201
    unit = response.get_json()
    assert unit == {"id": unit["id"], "name": "Hội LHPN xã Minh Khai", "code": "C13",
                    "level": "commune", "parent_id": world.units["D1"], "closed": False,
                    "official_name": None,
                    "opened_on": local_today().isoformat()}
    assert response.headers["Location"].endswith(f"{API}/units/{unit['id']}")
    assert admin.get(f"/units/{unit['id']}").get_json() == unit
    assert "C13" in codes(api("viewer.d1").get("/units?q=minh khai").get_json()["items"])
    tb, d1 = world.units["TB"], world.units["D1"]
    assert unit_row(app, unit["id"]).path == f"/{tb}/{d1}/{unit['id']}/"


@pytest.mark.parametrize("code", [None, ""])
def test_a_unit_without_a_code_gets_one(api, world, code):
    body = {"name": "Chi hội thôn Mới", "level": "branch", "parent_id": world.units["C12"]}
    if code is not None:
        body["code"] = code
    unit = api("tenant_admin.d1").post("/units", body).get_json()
    assert unit["code"].startswith("TB-")


CREATE_ERRORS = [
    # (who, body, status, field)
    ("tenant_admin.d1", {"level": "commune", "parent_id": "D1"}, 422, "name"),
    ("tenant_admin.d1", {"name": "", "level": "commune", "parent_id": "D1"}, 422, "name"),
    ("tenant_admin.d1", {"name": 5, "level": "commune", "parent_id": "D1"}, 422, "name"),
    ("tenant_admin.d1", {"name": "x" * 201, "level": "commune", "parent_id": "D1"}, 422, "name"),
    ("tenant_admin.d1", {"name": "X", "level": "district", "parent_id": "C11"}, 422, "level"),
    ("tenant_admin.d1", {"name": "X", "level": "group", "parent_id": "C11"}, 422, "level"),
    ("tenant_admin.d1", {"name": "X", "level": "commune"}, 422, "parent_id"),
    ("tenant_admin.d1", {"name": "X", "level": "commune", "parent_id": "9"}, 422, "parent_id"),
    ("tenant_admin.d1", {"name": "X", "level": "commune", "parent_id": True}, 422, "parent_id"),
    ("tenant_admin.d1", {"name": "X", "level": "commune", "parent_id": 1.0}, 422, "parent_id"),
    ("tenant_admin.d1", {"name": "X", "level": "commune", "parent_id": "D1", "code": "C12"},
     409, "code"),
    ("tenant_admin.d1", {"name": "X", "level": "commune", "parent_id": "D1", "code": "c 9"},
     422, "code"),
    ("tenant_admin.d1", {"name": "X", "level": "commune", "parent_id": "D1", "code": 7},
     422, "code"),
    ("tenant_admin.d1", {"name": "X", "level": "commune", "parent_id": "D1", "extra": 1},
     422, "extra"),
    ("tenant_admin.d1", {"name": "X", "level": "commune", "parent_id": "HY"}, 404, None),
    ("tenant_admin.tb", {"name": "X", "level": "branch", "parent_id": "HC1"}, 404, None),
    ("tenant_admin.d1", {"name": "X", "level": "commune", "parent_id": "D2"}, 403, None),
    ("viewer.d1", {"name": "X", "level": "commune", "parent_id": "D1"}, 403, None),
    ("approver.d1", {"name": "X", "level": "commune", "parent_id": "D1"}, 403, None),
    ("tenant_admin.d1", {"name": "X", "level": "branch", "parent_id": "CLOSED"}, 422, "parent_id"),
]


def ids_in(world, body: dict) -> dict:
    """Unit codes in the *_id fields of a table row → the real ids of this test's world."""
    return {key: world.units.get(value, value) if key.endswith("_id") and isinstance(value, str)
            else value for key, value in body.items()}


def close_leaf(app, world, code: str = "C12") -> None:
    """Close a childless unit of D1 and name it CLOSED in world.units."""
    with app.app_context():
        from lhpn.units import services as units

        units.close_unit(None, db.session.get(Unit, world.units[code]))
        db.session.commit()
    world.units["CLOSED"] = world.units[code]


@pytest.mark.parametrize("who, body, status, field", CREATE_ERRORS)
def test_refused_unit_creations_change_nothing(app, api, world, who, body, status, field):
    close_leaf(app, world)
    caller = api(who)
    with unchanged(app):
        error = assert_error(caller.post("/units", ids_in(world, body)), status, field)
    assert re.search(r"[à-ỹĐđ]", error["message"]), "messages are in Vietnamese"


def test_renaming_closing_and_reopening_a_unit(app, api, world):
    admin = api("tenant_admin.d1")
    b111 = world.units["B111"]
    renamed = admin.patch(f"/units/{b111}", {"name": "Chi hội thôn Tân Hòa Đông"}).get_json()
    assert renamed["name"] == "Chi hội thôn Tân Hòa Đông"
    assert codes(admin.get("/units?q=tan hoa dong").get_json()["items"]) == {"B111"}
    assert admin.patch(f"/units/{b111}", {"closed": True}).get_json()["closed"] is True
    assert unit_row(app, b111).closed is True
    assert admin.patch(f"/units/{b111}", {"closed": False}).get_json()["closed"] is False
    assert unit_row(app, b111).closed is False


def test_a_rename_sent_with_a_refused_close_is_not_kept(app, api, world):
    admin = api("tenant_admin.d1")
    with unchanged(app):
        error = assert_error(
            admin.patch(f"/units/{world.units['C11']}", {"name": "Tên mới", "closed": True}), 422
        )
    assert "trực thuộc" in error["message"]
    assert unit_row(app, world.units["C11"]).name == "Hội LHPN xã Tân Lễ"


PATCH_UNIT_ERRORS = [
    # (who, unit, body, status, field)
    ("tenant_admin.d1", "C11", {}, 422, None),
    ("tenant_admin.d1", "C11", {"name": ""}, 422, "name"),
    ("tenant_admin.d1", "C11", {"name": "   "}, 422, "name"),
    ("tenant_admin.d1", "C11", {"name": 5}, 422, "name"),
    ("tenant_admin.d1", "C11", {"name": None}, 422, "name"),
    ("tenant_admin.d1", "C11", {"closed": "yes"}, 422, "closed"),
    ("tenant_admin.d1", "C11", {"closed": 1}, 422, "closed"),
    ("tenant_admin.d1", "C11", {"code": "NEW"}, 422, "code"),
    ("tenant_admin.d1", "C11", {"closed": True}, 422, None),  # B111 is still open
    ("tenant_admin.tb", "TB", {"closed": True}, 422, None),  # the root is never closed
    ("tenant_admin.d1", "B111", {"closed": False, "name": "X"}, 422, None),  # parent closed
    ("tenant_admin.d1", "D2", {"name": "X"}, 403, None),
    ("viewer.d1", "C11", {"name": "X"}, 403, None),
    ("staff.d1", "D1", {"closed": True}, 403, None),
    ("tenant_admin.d1", "HC1", {"name": "X"}, 404, None),
    ("tenant_admin.hy", "B111", {"closed": True}, 404, None),
    ("tenant_admin.d1", "C11", {"opened_on": "01/02/2026"}, 422, "opened_on"),  # yyyy-mm-dd
    ("tenant_admin.d1", "C11", {"opened_on": "2026-02-30"}, 422, "opened_on"),
    ("tenant_admin.d1", "C11", {"opened_on": "2099-01-01"}, 422, "opened_on"),  # future
    ("tenant_admin.d1", "C11", {"opened_on": "1930-10-19"}, 422, "opened_on"),
    ("tenant_admin.d1", "C11", {"opened_on": 20260101}, 422, "opened_on"),
    ("tenant_admin.d1", "C11", {"opened_on": None}, 422, "opened_on"),
    ("tenant_admin.d1", "C11", {"name": "X", "opened_on": "hôm qua"}, 422, "opened_on"),
    ("viewer.d1", "C11", {"opened_on": "2026-01-01"}, 403, None),
    ("tenant_admin.d1", "D2", {"opened_on": "2026-01-01"}, 403, None),
    ("tenant_admin.d1", "HC1", {"opened_on": "2026-01-01"}, 404, None),
]


@pytest.mark.parametrize("who, code, body, status, field", PATCH_UNIT_ERRORS)
def test_refused_unit_changes_change_nothing(app, api, world, who, code, body, status, field):
    if body == {"closed": False, "name": "X"}:
        # B111 closed under a closed C11: reopening it must wait for its parent.
        with app.app_context():
            from lhpn.units import services as units

            units.close_unit(None, db.session.get(Unit, world.units["B111"]))
            units.close_unit(None, db.session.get(Unit, world.units["C11"]))
            db.session.commit()
    caller = api(who)
    with unchanged(app):
        assert_error(caller.patch(f"/units/{world.units[code]}", body), status, field)


def test_moving_a_unit_moves_its_subtree_and_who_sees_it(app, api, world):
    admin = api("tenant_admin.tb")
    viewer_d1 = api("viewer.d1")
    moved = admin.post(f"/units/{world.units['C11']}/move", {"parent_id": world.units["D2"]})
    assert moved.status_code == 200
    assert moved.get_json()["parent_id"] == world.units["D2"]
    b111 = unit_row(app, world.units["B111"])
    assert b111.path == f"/{world.units['TB']}/{world.units['D2']}/{world.units['C11']}/{b111.id}/"
    assert b111.depth == 3
    # The D1 viewer's reach followed the tree: no rule was rewritten.
    assert codes(viewer_d1.get("/units").get_json()["items"]) == {"D1", "C12"}
    assert_error(viewer_d1.get(f"/units/{world.units['B111']}"), 403)
    assert codes(admin.get(f"/units?parent={world.units['D2']}").get_json()["items"]) == {
        "C11", "C21"}


MOVE_ERRORS = [
    # (who, unit, body, status, field)
    ("tenant_admin.tb", "D1", {"parent_id": "C11"}, 422, "parent_id"),  # into its own subtree
    ("tenant_admin.tb", "D1", {"parent_id": "D1"}, 422, "parent_id"),  # into itself
    ("tenant_admin.tb", "D1", {"parent_id": "D2"}, 422, "level"),  # district under district
    ("tenant_admin.tb", "C11", {"parent_id": "C21"}, 422, "level"),  # commune under commune
    ("tenant_admin.tb", "TB", {"parent_id": "D1"}, 422, "parent_id"),  # the root stays
    ("tenant_admin.tb", "C21", {"parent_id": "CLOSED"}, 422, "parent_id"),
    ("tenant_admin.tb", "C11", {"parent_id": "HY"}, 404, None),  # another tenant's unit
    ("tenant_admin.tb", "HC1", {"parent_id": "D1"}, 404, None),
    ("tenant_admin.d1", "C11", {"parent_id": "D2"}, 403, None),  # no manage on D2
    ("tenant_admin.d1", "D1", {"parent_id": "TB"}, 403, None),  # no manage on the root
    ("viewer.tb", "C11", {"parent_id": "D2"}, 403, None),
    ("tenant_admin.tb", "C11", {}, 422, "parent_id"),
    ("tenant_admin.tb", "C11", {"parent_id": None}, 422, "parent_id"),
    ("tenant_admin.tb", "C11", {"parent_id": "D2", "name": "X"}, 422, "name"),
]


@pytest.mark.parametrize("who, code, body, status, field", MOVE_ERRORS)
def test_refused_moves_change_nothing(app, api, world, who, code, body, status, field):
    # A closed district to move into: D2 with its only commune moved away first.
    with app.app_context():
        from lhpn.units import services as units

        d3 = factories.unit(db.session.get(Unit, world.units["TB"]), "Huyện cũ", "district", "D3")
        units.close_unit(None, d3)
        db.session.commit()
        world.units["CLOSED"] = d3.id
    caller = api(who)
    with unchanged(app):
        assert_error(caller.post(f"/units/{world.units[code]}/move", ids_in(world, body)),
                     status, field)


# ---- users -----------------------------------------------------------------------------------

def in_d1_subtree(world) -> set[str]:
    """The world's users who work at D1, C11, C12 or B111 (named after their unit)."""
    return {name for name in world.users if name.rsplit(".", 1)[1] in {"d1", "c11", "c12",
                                                                         "b111"}}


def test_the_user_list_is_the_users_of_managed_units(api, world):
    d1_admin = api("tenant_admin.d1").get("/users").get_json()["items"]
    assert usernames(d1_admin) == in_d1_subtree(world)
    assert {"tenant_admin.d1", "norole.d1", "viewer.d1"} <= usernames(d1_admin)
    tb_admin = api("tenant_admin.tb").get("/users").get_json()["items"]
    assert usernames(tb_admin) == {n for n in world.users if not n.endswith((".hy", ".hc1"))}
    assert [u["username"] for u in tb_admin] == sorted(u["username"] for u in tb_admin)
    assert set(tb_admin[0]) == {"id", "username", "full_name", "locked", "unit_id",
                                "email"}


def test_the_user_list_searches_and_pages(api, world):
    admin = api("tenant_admin.d1")
    found = admin.get("/users?q=VIEWER").get_json()["items"]
    assert usernames(found) == {n for n in in_d1_subtree(world) if "viewer" in n}
    first = admin.get("/users?limit=2").get_json()["items"]
    second = admin.get("/users?limit=2&offset=2").get_json()["items"]
    everyone = admin.get("/users").get_json()["items"]
    assert first + second == everyone[:4]


@pytest.mark.parametrize("who", ["viewer.d1", "staff.d1", "approver.tb", "norole.d1",
                                 "staff.hy"])
def test_user_management_is_403_for_those_who_manage_nothing(app, api, world, who):
    caller = api(who)
    target = world.users["norole.d1"]
    with unchanged(app):
        assert_error(caller.get("/users"), 403)
        assert_error(caller.post("/users", {"username": "new.person",
                                            "password": factories.PASSWORD}), 403)
        if not who.endswith(".hy"):
            assert_error(caller.get(f"/users/{target}"), 403)
            assert_error(caller.patch(f"/users/{target}", {"locked": True}), 403)
            assert_error(caller.post(f"/users/{target}/roles",
                                     {"role": "viewer", "unit_id": world.units["D1"]}), 403)


def test_creating_a_user_who_then_logs_in(app, api, client, world):
    admin = api("tenant_admin.d1")
    response = admin.post("/users", {"username": "Can.Bo.Moi", "password": "Mot-mat-khau-9",
                                     "full_name": "Nguyễn Thị Mới"})
    assert response.status_code == 201
    user = response.get_json()
    assert user == {"id": user["id"], "username": "can.bo.moi", "full_name": "Nguyễn Thị Mới",
                    "locked": False, "email": None,
                    "unit_id": world.units["D1"]}  # the caller's managed unit
    assert response.headers["Location"].endswith(f"{API}/users/{user['id']}")
    with app.app_context():
        assert db.session.get(User, user["id"]).must_change_password is True
    assert admin.get(f"/users/{user['id']}").get_json() == user | {"roles": []}
    # The password an administrator set is changed on the web before the API opens.
    first = client.post(f"{API}/auth/token", json={"username": "can.bo.moi",
                                                    "password": "Mot-mat-khau-9"})
    assert assert_error(first, 403)["code"] == "password_change_required"
    browser = app.test_client()
    login(browser, "can.bo.moi", "Mot-mat-khau-9")
    browser.post("/account/password", data={
        "old_password": "Mot-mat-khau-9", "new_password": "Mat-khau-cua-toi",
        "confirm": "Mat-khau-cua-toi", "csrf_token": csrf_token(browser, "/account/password")})
    newcomer = Caller(client, api_token(client, "can.bo.moi", "Mat-khau-cua-toi"))
    assert newcomer.get("/me").get_json()["tenant"]["code"] == "TB"


def test_a_user_can_be_created_at_a_chosen_managed_unit(api, world):
    user = api("tenant_admin.tb").post("/users", {
        "username": "chi.hoi.truong", "password": factories.PASSWORD,
        "unit_id": world.units["B111"]}).get_json()
    assert user["unit_id"] == world.units["B111"]
    assert user["full_name"] == ""


CREATE_USER_ERRORS = [
    # (who, body, status, field)
    ("tenant_admin.d1", {"username": "viewer.tb", "password": "Mat-khau-dai"}, 409, "username"),
    ("tenant_admin.d1", {"username": "viewer.hy", "password": "Mat-khau-dai"}, 409, "username"),
    ("tenant_admin.d1", {"username": "short.pw", "password": "abc"}, 422, "password"),
    ("tenant_admin.d1", {"username": "same.as.name", "password": "same.as.name"}, 422,
     "password"),
    ("tenant_admin.d1", {"username": "Có Dấu", "password": "Mat-khau-dai"}, 422, "username"),
    ("tenant_admin.d1", {"username": "ab", "password": "Mat-khau-dai"}, 422, "username"),
    ("tenant_admin.d1", {"username": "new.user"}, 422, "password"),
    ("tenant_admin.d1", {"password": "Mat-khau-dai"}, 422, "username"),
    ("tenant_admin.d1", {"username": 42, "password": "Mat-khau-dai"}, 422, "username"),
    ("tenant_admin.d1", {"username": "new.user", "password": 12345678}, 422, "password"),
    ("tenant_admin.d1", {"username": "new.user", "password": "Mat-khau-dai",
                         "full_name": "x" * 201}, 422, "full_name"),
    ("tenant_admin.d1", {"username": "new.user", "password": "Mat-khau-dai",
                         "unit_id": "D1 "}, 422, "unit_id"),
    ("tenant_admin.d1", {"username": "new.user", "password": "Mat-khau-dai",
                         "is_system_admin": True}, 422, "is_system_admin"),
    ("tenant_admin.d1", {"username": "new.user", "password": "Mat-khau-dai",
                         "unit_id": "D2"}, 403, None),
    ("tenant_admin.d1", {"username": "new.user", "password": "Mat-khau-dai",
                         "unit_id": "HC1"}, 404, None),
]


@pytest.mark.parametrize("who, body, status, field", CREATE_USER_ERRORS)
def test_refused_user_creations_change_nothing(app, api, world, who, body, status, field):
    caller = api(who)
    with unchanged(app):
        assert_error(caller.post("/users", ids_in(world, body)), status, field)


@pytest.mark.parametrize("who, target, status", [
    ("tenant_admin.d1", "viewer.d1", 200),
    ("tenant_admin.d1", "tenant_admin.d1", 200),
    ("tenant_admin.tb", "norole.d1", 200),
    ("tenant_admin.d1", "viewer.tb", 403),
    ("tenant_admin.d1", "viewer.hy", 404),
    ("tenant_admin.hy", "tenant_admin.tb", 404),
    ("tenant_admin.hy", "staff.hy", 200),
])
def test_reading_one_user(api, world, who, target, status):
    response = api(who).get(f"/users/{world.users[target]}")
    if status != 200:
        assert_error(response, status)
        return
    body = response.get_json()
    assert body["username"] == target
    role = target.split(".")[0]
    assert [r["role"] for r in body["roles"]] == ([] if role == "norole" else [role])


def test_locking_a_user_ends_their_tokens(api, world):
    admin = api("tenant_admin.d1")
    victim = api("staff.d1")
    target = world.users["staff.d1"]
    assert victim.get("/me").status_code == 200
    locked = admin.patch(f"/users/{target}", {"locked": True})
    assert locked.status_code == 200
    assert locked.get_json()["locked"] is True
    assert_error(victim.get("/me"), 401)
    assert admin.patch(f"/users/{target}", {"locked": False}).get_json()["locked"] is False
    # Unlocking does not bring an ended token back; logging in again works.
    assert_error(victim.get("/me"), 401)
    assert api("staff.d1").get("/me").status_code == 200


def test_renaming_a_user(api, world):
    admin = api("tenant_admin.d1")
    target = world.users["viewer.d1"]
    body = admin.patch(f"/users/{target}", {"full_name": " Trần Thị Xem "}).get_json()
    assert body["full_name"] == "Trần Thị Xem"
    assert admin.get(f"/users/{target}").get_json()["full_name"] == "Trần Thị Xem"


PATCH_USER_ERRORS = [
    # (who, target, body, status, field)
    ("tenant_admin.d1", "tenant_admin.d1", {"locked": True}, 422, None),  # not oneself
    ("tenant_admin.d1", "viewer.d1", {"locked": "yes"}, 422, "locked"),
    ("tenant_admin.d1", "viewer.d1", {"locked": None}, 422, "locked"),
    ("tenant_admin.d1", "viewer.d1", {}, 422, None),
    ("tenant_admin.d1", "viewer.d1", {"full_name": "x" * 201, "locked": True}, 422,
     "full_name"),
    ("tenant_admin.d1", "viewer.d1", {"full_name": "Tên", "username": "x"}, 422, "username"),
    ("tenant_admin.d1", "viewer.tb", {"locked": True}, 403, None),
    ("tenant_admin.d1", "viewer.hy", {"locked": True}, 404, None),
    ("tenant_admin.hy", "viewer.d1", {"locked": True}, 404, None),
]


@pytest.mark.parametrize("who, target, body, status, field", PATCH_USER_ERRORS)
def test_refused_user_changes_change_nothing(app, api, world, who, target, body, status,
                                             field):
    caller = api(who)
    with unchanged(app):
        assert_error(caller.patch(f"/users/{world.users[target]}", body), status, field)


def test_a_role_grants_and_its_revocation_removes_reach(app, api, world):
    admin = api("tenant_admin.tb")
    person = api("norole.d1")
    target, d2 = world.users["norole.d1"], world.units["D2"]
    assert_error(person.get(f"/units/{d2}"), 403)
    response = admin.post(f"/users/{target}/roles", {"role": "viewer", "unit_id": d2})
    assert response.status_code == 201
    assignment = response.get_json()
    assert assignment == {"id": assignment["id"], "role": "viewer", "unit_id": d2}
    assert person.get(f"/units/{d2}").status_code == 200
    assert codes(person.get("/units").get_json()["items"]) == {"D2", "C21"}
    assert admin.get(f"/users/{target}").get_json()["roles"] == [assignment]
    assert admin.delete(f"/users/{target}/roles/{assignment['id']}").status_code == 204
    assert_error(person.get(f"/units/{d2}"), 403)
    assert person.get("/units").get_json()["items"] == []
    assert admin.get(f"/users/{target}").get_json()["roles"] == []


ASSIGN_ERRORS = [
    # (who, target, body, status, field)
    ("tenant_admin.d1", "norole.d1", {"role": "superuser", "unit_id": "C11"}, 422, "role"),
    ("tenant_admin.d1", "norole.d1", {"role": "system_admin", "unit_id": "C11"}, 422, "role"),
    ("tenant_admin.d1", "viewer.d1", {"role": "viewer", "unit_id": "D1"}, 409, "role"),
    ("tenant_admin.d1", "norole.d1", {"role": "viewer", "unit_id": "CLOSED"}, 422, "unit_id"),
    ("tenant_admin.d1", "norole.d1", {"role": "viewer"}, 422, "unit_id"),
    ("tenant_admin.d1", "norole.d1", {"role": 3, "unit_id": "C11"}, 422, "role"),
    ("tenant_admin.d1", "norole.d1", {"role": "viewer", "unit_id": [1]}, 422, "unit_id"),
    ("tenant_admin.d1", "norole.d1", {"role": "viewer", "unit_id": "D2"}, 403, None),
    ("tenant_admin.d1", "norole.d1", {"role": "viewer", "unit_id": "TB"}, 403, None),
    ("tenant_admin.d1", "viewer.tb", {"role": "viewer", "unit_id": "C11"}, 403, None),
    ("tenant_admin.d1", "norole.d1", {"role": "viewer", "unit_id": "HC1"}, 404, None),
    ("tenant_admin.tb", "staff.hy", {"role": "viewer", "unit_id": "D1"}, 404, None),
    ("tenant_admin.hy", "staff.hy", {"role": "viewer", "unit_id": "D1"}, 404, None),
    ("staff.d1", "norole.d1", {"role": "viewer", "unit_id": "D1"}, 403, None),
]


@pytest.mark.parametrize("who, target, body, status, field", ASSIGN_ERRORS)
def test_refused_role_assignments_change_nothing(app, api, world, who, target, body, status,
                                                 field):
    close_leaf(app, world)
    caller = api(who)
    with unchanged(app):
        assert_error(caller.post(f"/users/{world.users[target]}/roles", ids_in(world, body)),
                     status, field)


def assignment_id(app, world, username: str) -> int:
    with app.app_context():
        return db.session.scalar(select(RoleAssignment.id).where(
            RoleAssignment.user_id == world.users[username]).order_by(RoleAssignment.id))


def test_refused_revocations_change_nothing(app, api, world):
    tb_admin = api("tenant_admin.tb")
    # viewer.d1 works at D1 but now also holds a role at D2, out of the D1 admin's reach.
    outside = tb_admin.post(f"/users/{world.users['viewer.d1']}/roles",
                            {"role": "viewer", "unit_id": world.units["D2"]}).get_json()["id"]
    d1_admin = api("tenant_admin.d1")
    viewer_d1, admin_d1 = world.users["viewer.d1"], world.users["tenant_admin.d1"]
    # A user D1's admin does manage (work unit and role inside D1's subtree).
    member_c11 = world.users["member.c11"]
    own_d1 = assignment_id(app, world, "viewer.d1")
    hy_assignment = assignment_id(app, world, "staff.hy")
    cases = [
        # viewer.d1 is no longer wholly D1's: none of their roles, not even the one at D1.
        (d1_admin, f"/users/{viewer_d1}/roles/{outside}", 403),
        (d1_admin, f"/users/{viewer_d1}/roles/{own_d1}", 403),
        (d1_admin, f"/users/{admin_d1}/roles/{assignment_id(app, world, 'tenant_admin.d1')}",
         422),  # one's own roles
        (d1_admin, f"/users/{member_c11}/roles/{assignment_id(app, world, 'staff.d1')}", 404),
        (d1_admin, f"/users/{member_c11}/roles/{hy_assignment}", 404),
        (tb_admin, f"/users/{world.users['staff.hy']}/roles/{hy_assignment}", 404),
        (d1_admin, f"/users/{member_c11}/roles/999999", 404),
        (api("viewer.d1"), f"/users/{viewer_d1}/roles/{outside}", 403),
    ]
    for caller, path, status in cases:
        with unchanged(app):
            assert_error(caller.delete(path), status)


# ---- seeing a unit is not managing it ------------------------------------------------------

VIEW_IS_NOT_MANAGE = [
    # tenant_admin.d1, also a viewer of the whole province, against D2 (seen, not managed)
    ("POST", "/units", {"name": "X", "level": "commune", "parent_id": "D2"}),
    ("PATCH", "/units/{D2}", {"name": "X"}),
    ("POST", "/units/{C11}/move", {"parent_id": "D2"}),
    ("POST", "/users", {"username": "new.person", "password": "Mat-khau-dai",
                        "unit_id": "D2"}),
    ("POST", "/users/{norole.d1}/roles", {"role": "viewer", "unit_id": "D2"}),
    ("PATCH", "/users/{someone.d2}", {"locked": True}),
    ("GET", "/users/{someone.d2}", None),
]


@pytest.mark.parametrize("method, template, body", VIEW_IS_NOT_MANAGE)
def test_managing_needs_manage_not_view(app, api, world, method, template, body):
    with app.app_context():
        tb, d2 = (db.session.get(Unit, world.units[code]) for code in ("TB", "D2"))
        accounts.assign_role(None, db.session.get(User, world.users["tenant_admin.d1"]),
                             "viewer", tb)
        world.users["someone.d2"] = factories.user(tb.tenant, "someone.d2", "staff", d2).id
        db.session.commit()
    caller = api("tenant_admin.d1")
    assert caller.get(f"/units/{world.units['D2']}").status_code == 200
    path = re.sub(r"\{([^}]+)\}",
                  lambda m: str(world.users.get(m.group(1)) or world.units[m.group(1)]), template)
    with unchanged(app):
        assert_error(caller.call(method, path, ids_in(world, body) if body else None), 403)


@pytest.mark.parametrize("who, method, template, body, status", [
    ("viewer.d1", "PATCH", "/units/{D1}", {"closed": "yes"}, 403),
    ("viewer.d1", "PATCH", "/units/{D1}", "not json", 403),
    ("tenant_admin.d1", "POST", "/units/{D2}/move", {"parent_id": "x"}, 403),
    ("tenant_admin.d1", "PATCH", "/users/{viewer.tb}", {"locked": "yes"}, 403),
    ("tenant_admin.d1", "POST", "/users/{viewer.tb}/roles", {"role": 1}, 403),
    ("tenant_admin.tb", "PATCH", "/units/{HC1}", {}, 404),
    ("tenant_admin.tb", "PATCH", "/users/{staff.hy}", {"locked": 1}, 404),
    ("viewer.d1", "POST", "/users", {"username": 1}, 403),
])
def test_access_is_judged_before_the_body(app, api, world, who, method, template, body,
                                          status):
    path = re.sub(r"\{([^}]+)\}",
                  lambda m: str(world.users.get(m.group(1)) or world.units[m.group(1)]), template)
    caller = api(who)
    with unchanged(app):
        if isinstance(body, str):
            response = caller.call(method, path, raw=body)
        else:
            response = caller.call(method, path, body)
        assert_error(response, status)


# ---- tenant isolation, across every endpoint with an id ---------------------------------------

OTHER_TENANT_CALLS = [
    ("GET", "/units/{HC1}", None),
    ("PATCH", "/units/{HC1}", {"name": "X"}),
    ("POST", "/units/{HC1}/move", {"parent_id": "D1"}),
    ("POST", "/units/{C11}/move", {"parent_id": "HC1"}),
    ("POST", "/units", {"name": "X", "level": "branch", "parent_id": "HC1"}),
    ("GET", "/users/{staff.hy}", None),
    ("PATCH", "/users/{staff.hy}", {"locked": True}),
    ("POST", "/users/{staff.hy}/roles", {"role": "viewer", "unit_id": "HC1"}),
    ("POST", "/users/{norole.d1}/roles", {"role": "viewer", "unit_id": "HC1"}),
    ("DELETE", "/users/{staff.hy}/roles/{@staff.hy}", None),
    ("DELETE", "/users/{norole.d1}/roles/{@staff.hy}", None),
    ("POST", "/users", {"username": "spy.user", "password": "Mat-khau-dai", "unit_id": "HC1"}),
]


@pytest.mark.parametrize("method, template, body", OTHER_TENANT_CALLS)
def test_another_tenants_ids_are_not_found(app, api, world, method, template, body):
    def fill(match: re.Match) -> str:
        key = match.group(1)
        if key.startswith("@"):
            return str(assignment_id(app, world, key[1:]))
        return str(world.users.get(key) or world.units[key])

    path = re.sub(r"\{([^}]+)\}", fill, template)
    caller = api("tenant_admin.tb")
    with unchanged(app):
        error = assert_error(caller.call(method, path, ids_in(world, body or {})
                                         if body else None), 404)
    assert error["code"] == "not_found"


# ---- malformed input never breaks anything ---------------------------------------------------

ODD_VALUES = [None, 0, -1, 1.5, True, False, [], {}, "", "   ", "\x00", "a\x00b", "\ud800",
              "a\x1bb", "\x0b", 10**20, "x" * 5000, "Tên có dấu", "9"]


def write_calls(world) -> list[tuple[str, str, dict]]:
    """(method, path, a valid body) for every endpoint that takes a body."""
    return [
        ("POST", "/auth/token", {"username": "viewer.d1", "password": factories.PASSWORD}),
        ("POST", "/units", {"name": "Xã mới", "level": "commune",
                            "parent_id": world.units["D1"], "code": "NEW1"}),
        ("PATCH", f"/units/{world.units['C12']}", {"name": "Xã khác", "closed": True}),
        ("POST", f"/units/{world.units['C12']}/move", {"parent_id": world.units["D2"]}),
        ("POST", "/users", {"username": "new.person", "password": factories.PASSWORD,
                            "full_name": "Người mới", "unit_id": world.units["C11"]}),
        ("PATCH", f"/users/{world.users['viewer.d1']}", {"locked": True, "full_name": "Ai"}),
        ("POST", f"/users/{world.users['norole.d1']}/roles",
         {"role": "viewer", "unit_id": world.units["C11"]}),
    ]


@pytest.mark.parametrize("index", range(7))
def test_odd_bodies_get_a_json_answer_and_refusals_change_nothing(app, api, world, index):
    method, path, valid = write_calls(world)[index]
    caller = api("tenant_admin.tb")
    bodies: list = ["not json", "[1, 2]", '"text"', "5", "null", "{", "", "9" * 5000,
                    '{"parent_id": ' + "9" * 5000 + "}"]
    bodies += [valid | {field: value} for field in valid for value in ODD_VALUES]
    for body in bodies:
        before = database_state(app)
        raw = body if isinstance(body, str) else None
        response = caller.call(method, path, None if raw is not None else body, raw=raw)
        assert response.is_json or response.status_code == 204, (body, response.status_code)
        if response.status_code >= 400:
            assert_error(response, response.status_code)
            # Many wrong passwords in a row from one address: the log-in throttle answers 429.
            allowed = (400, 401, 404, 409, 422) + ((429,) if path == "/auth/token" else ())
            assert response.status_code in allowed, (body, response.status)
            # Failed log-ins are counted, and a tripped throttle writes its audit entry.
            if path != "/auth/token" or response.status_code not in (401, 429):
                assert database_state(app) == before, (method, path, body)
        if method == "PATCH" and path.startswith("/users") and response.status_code == 200:
            caller.patch(path, {"locked": False})  # keep the next cases meaningful


def test_a_body_without_the_json_content_type_is_400(app, api, world):
    caller = api("tenant_admin.tb")
    with unchanged(app):
        response = caller.client.post(
            f"{API}/units", data='{"name": "X", "level": "district", "parent_id": 1}',
            headers={"Authorization": f"Bearer {caller.token}", "Content-Type": "text/plain"})
        assert_error(response, 400)


# ---- the OpenAPI document ---------------------------------------------------------------------

@pytest.fixture
def document(client) -> dict:
    response = client.get(f"{API}/openapi.json")  # no token: the description is public
    assert response.status_code == 200
    return response.get_json()


def test_the_document_is_valid_openapi_3_1(document):
    validate_openapi(document)
    assert document["openapi"].startswith("3.1")
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def documented_operations(document) -> set[tuple[str, str]]:
    methods = {"get", "post", "put", "patch", "delete"}
    return {(method.upper(), path) for path, item in document["paths"].items()
            for method in item if method in methods}


def routed_operations(app) -> dict[tuple[str, str], str]:
    """(METHOD, /path/{name}) → endpoint, for every API route the app serves."""
    found = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API + "/"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule[len(API):])
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            found[(method, path)] = rule.endpoint
    return found


def test_every_route_is_documented_and_every_documented_route_exists(app, document):
    assert document["servers"] == [{"url": API}]
    routed = routed_operations(app)
    documented = documented_operations(document)
    assert set(routed) - documented == set(), "routes without @endpoint"
    assert documented - set(routed) == set(), "documented operations that do not exist"


def test_exactly_the_public_routes_are_documented_without_security(app, document):
    from lhpn.api.plumbing import is_public

    with app.test_request_context():
        for (method, path), endpoint in routed_operations(app).items():
            operation = document["paths"][path][method.lower()]
            open_to_all = operation.get("security", document["security"]) == []
            assert open_to_all is is_public(endpoint), (method, path)
            if not open_to_all:
                assert "401" in operation["responses"], (method, path)


def schema_for(document, method: str, template: str, status: int) -> dict | None:
    operation = document["paths"][template][method.lower()]
    answer = operation["responses"][str(status)]
    if "$ref" in answer:
        answer = document["components"]["responses"][answer["$ref"].rsplit("/", 1)[1]]
    content = answer.get("content")
    return content["application/json"]["schema"] if content else None


def test_real_answers_match_the_documented_schemas(app, api, world, document):
    admin = api("tenant_admin.tb")
    norole = world.users["norole.d1"]
    d1, c12, d2 = world.units["D1"], world.units["C12"], world.units["D2"]
    seen: set[tuple[str, str]] = set()
    script = [
        ("GET", "/me", "/me", None),
        ("GET", "/units", "/units?q=tan", None),
        ("GET", "/units/{unit_id}", f"/units/{d1}", None),
        ("GET", "/units/{unit_id}", f"/units/{world.units['HC1']}", None),
        ("POST", "/units", "/units", {"name": "Xã mới", "level": "commune", "parent_id": d1}),
        ("POST", "/units", "/units", {"name": 5, "level": "commune", "parent_id": d1}),
        ("PATCH", "/units/{unit_id}", f"/units/{c12}", {"name": "Xã Canh Tân Mới"}),
        ("POST", "/units/{unit_id}/move", f"/units/{c12}/move", {"parent_id": d2}),
        ("POST", "/units/{unit_id}/move", f"/units/{d1}/move", {"parent_id": d2}),
        ("GET", "/users", "/users?q=d1", None),
        ("POST", "/users", "/users", {"username": "x.moi", "password": factories.PASSWORD}),
        ("POST", "/users", "/users", {"username": "viewer.d1", "password": factories.PASSWORD}),
        ("GET", "/users/{user_id}", f"/users/{norole}", None),
        ("PATCH", "/users/{user_id}", f"/users/{norole}", {"full_name": "Không Vai Trò"}),
        ("POST", "/users/{user_id}/roles", f"/users/{norole}/roles",
         {"role": "staff", "unit_id": d1}),
        ("POST", "/auth/logout", "/auth/logout", None),
        ("POST", "/auth/token", "/auth/token",
         {"username": "viewer.d1", "password": factories.PASSWORD}),
        ("POST", "/auth/token", "/auth/token", [1]),
        ("GET", "/openapi.json", "/openapi.json", None),
        # The tenant admin reviews the log of sensitive reads (empty here) and a bad filter.
        ("GET", "/privacy/reads", "/privacy/reads?purpose=handling", None),
        ("GET", "/privacy/reads", "/privacy/reads?from=2026-12-31&to=2026-01-01", None),
    ]
    for method, template, path, body in script:
        # Log out with a token of its own, so the admin's keeps working for the rest.
        caller = api("tenant_admin.tb") if template == "/auth/logout" else admin
        response = caller.call(method, path, body)
        if template == "/users/{user_id}/roles" and response.status_code == 201:
            script.append(("DELETE", "/users/{user_id}/roles/{assignment_id}",
                           f"/users/{norole}/roles/{response.get_json()['id']}", None))
        schema = schema_for(document, method, template, response.status_code)
        if schema is None:
            assert response.status_code == 204 and response.data == b""
        else:
            jsonschema.Draft202012Validator(schema | {"components": document["components"]}
                                            ).validate(response.get_json())
        seen.add((method, template))
    # Plans and the indicator catalogue are tried the same way in tests/test_api_plans.py;
    # forms, the calendar and reports in tests/test_api_reports.py; consolidations in
    # tests/test_api_consolidation.py; incidents in tests/test_api_incidents.py (their data
    # requests, breaches and retention in tests/test_api_privacy_admin.py); the search of
    # records and the deadlines in tests/test_agenda.py; petitions in
    # tests/test_api_petitions.py; supervisions, their recommendations and their documents'
    # files in tests/test_api_supervisions.py and tests/test_supervisions.py; critiques,
    # dialogues and commitments in tests/test_api_oversight.py.
    elsewhere = {op for op in documented_operations(document)
                 if op[1].startswith(("/plans", "/indicators", "/templates", "/calendar",
                                      "/reports", "/consolidation", "/incidents",
                                      "/privacy/breaches", "/privacy/retention",
                                      "/records", "/deadlines", "/petition", "/supervisions",
                                      "/supervision-documents", "/recommendations",
                                      "/critiques", "/dialogues", "/commitments"))
                 or op[1].endswith("/consolidation")}
    assert seen == documented_operations(document) - elsewhere, "every operation was tried"
