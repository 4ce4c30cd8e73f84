"""The authorization matrix, written by hand.

Every page and API endpoint × every role × the relation of the target to the unit where the
role is held (own, child, grandchild, parent, sibling, other tenant) is compared with the
decision the table below expects. The table is not derived from policies/: if a policy line
changes, this test says which decisions moved.
"""

import re

import pytest

from lhpn import authz
from lhpn.accounts.models import User
from lhpn.extensions import db
from lhpn.units.models import Unit
from tests.conftest import csrf_token, login

RELATIONS = ("own", "child", "grandchild", "parent", "sibling", "other_tenant")
# Roles are held at district D1 of tenant TB; the targets, by relation to D1:
TARGET_UNIT = {"own": "D1", "child": "C11", "grandchild": "B111", "parent": "TB",
               "sibling": "D2", "other_tenant": "HC1"}
TARGET_USER = {"own": "member.d1", "child": "member.c11", "grandchild": "member.b111",
               "parent": "member.tb", "sibling": "member.d2", "other_tenant": "member.hc1"}
ROLES = ("tenant_admin", "approver", "staff", "viewer", "norole")

# Y = allowed, N = forbidden (403), for own, child, grandchild, parent, sibling.
# Another tenant's object is always "not found" (404).
EXPECTED = {
    "view": {"tenant_admin": "YYYNN", "approver": "YYYNN", "staff": "YYNNN",
             "viewer": "YYYNN", "norole": "NNNNN"},
    "manage": {"tenant_admin": "YYYNN", "approver": "NNNNN", "staff": "NNNNN",
               "viewer": "NNNNN", "norole": "NNNNN"},
    "approve": {"tenant_admin": "NNNNN", "approver": "YNNNN", "staff": "NNNNN",
                "viewer": "NNNNN", "norole": "NNNNN"},
    "plan": {"tenant_admin": "NNNNN", "approver": "NNNNN", "staff": "YNNNN",
             "viewer": "NNNNN", "norole": "NNNNN"},
    "submit": {"tenant_admin": "NNNNN", "approver": "NNNNN", "staff": "YNNNN",
               "viewer": "NNNNN", "norole": "NNNNN"},
    # Reading the issued plans of a unit (lhpn/authz/plans.py): every role reaches its own
    # unit and the units above it, nothing below or beside.
    "read_issued": {"tenant_admin": "YNNYN", "approver": "YNNYN", "staff": "YNNYN",
                    "viewer": "YNNYN", "norole": "NNNNN"},
}


def expected(action: str, role: str, relation: str) -> str:
    if relation == "other_tenant":
        return "404"
    return "allow" if EXPECTED[action][role][RELATIONS.index(relation)] == "Y" else "403"


# ---- the decision itself, and the list filter, against the table ----------------------------

@pytest.mark.parametrize("action", sorted(EXPECTED))
@pytest.mark.parametrize("role", ROLES)
def test_single_checks_and_list_filter_follow_the_table(ctx, world, role, action):
    user = db.session.get(User, world.users[f"{role}.d1"])
    reachable = set(db.session.scalars(authz.reachable_unit_ids(user, action)))
    for relation in RELATIONS:
        unit = db.session.get(Unit, world.units[TARGET_UNIT[relation]])
        want = expected(action, role, relation) == "allow"
        assert authz.can(user, action, unit) is want, (role, action, relation)
        assert (unit.id in reachable) is want, (role, action, relation, "list filter")


# ---- pages ----------------------------------------------------------------------------------

# (method, path, target kind, action, form data)
UNIT_PAGES = [
    ("GET", "/units/{unit}", "view", None),
    ("GET", "/units/{unit}/new", "manage", None),
    ("POST", "/units/{unit}/new", "manage", {"name": ""}),
    ("POST", "/units/{unit}/rename", "manage", {"name": ""}),
    ("GET", "/units/{unit}/move", "manage", None),
    ("POST", "/units/{unit}/move", "manage", {"parent_id": "{unit}"}),
    ("POST", "/units/{unit}/close", "manage", {}),
    ("POST", "/units/{unit}/reopen", "manage", {}),
    # Consolidation of the unit's subtree (default form and period when none is asked for).
    ("GET", "/units/{unit}/consolidation", "view", None),
    ("GET", "/units/{unit}/consolidation.xlsx", "view", None),
    ("GET", "/units/{unit}/consolidation.docx", "view", None),
]
USER_PAGES = [
    ("GET", "/users/{user}", "manage", None),
    ("POST", "/users/{user}/lock", "manage", {}),
    ("POST", "/users/{user}/unlock", "manage", {}),
    ("POST", "/users/{user}/password", "manage", {"password": ""}),
    ("POST", "/users/{user}/email", "manage", {"email": ""}),
    ("POST", "/users/{user}/roles", "manage", {"role": "", "unit_id": ""}),
    ("POST", "/users/{user}/roles/{assignment}/delete", "manage", {}),
]


def _fill(template: str, world, relation: str, ctx_app) -> str:
    unit_id = world.units[TARGET_UNIT[relation]]
    user_id = world.users[TARGET_USER[relation]]
    with ctx_app.app_context():
        target = db.session.get(User, user_id)
        assignment_id = target.assignments[0].id
    return (template.replace("{unit}", str(unit_id)).replace("{user}", str(user_id))
            .replace("{assignment}", str(assignment_id)))


def _page(client, method: str, path: str, data: dict | None, token: str | None):
    if method == "GET":
        return client.get(path)
    body = dict(data or {})
    if token:
        body["csrf_token"] = token
    return client.post(path, data=body)


def _verdict(response) -> str:
    if response.status_code in (403, 404):
        return str(response.status_code)
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    if response.status_code == 302:
        assert "/login" not in response.headers["Location"]
    return "allow"


@pytest.mark.parametrize("route", UNIT_PAGES + USER_PAGES, ids=lambda r: f"{r[0]} {r[1]}")
@pytest.mark.parametrize("role", ROLES)
def test_pages(app, client, world, role, route):
    method, template, action, data = route
    assert login(client, f"{role}.d1").status_code == 302
    token = csrf_token(client, "/account")
    for relation in RELATIONS:
        path = _fill(template, world, relation, app)
        form = {k: _fill(v, world, relation, app) for k, v in (data or {}).items()}
        got = _verdict(_page(client, method, path, form if data is not None else None, token))
        assert got == expected(action, role, relation), (role, method, path, relation)


@pytest.mark.parametrize("route", UNIT_PAGES + USER_PAGES, ids=lambda r: f"{r[0]} {r[1]}")
def test_pages_send_anonymous_users_to_login(app, client, world, route):
    method, template, _action, data = route
    path = _fill(template, world, "own", app)
    response = _page(client, method, path, data, csrf_token(client, "/login"))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# Pages that are not about one unit: who may open them, by role held at D1 and at the root.
GLOBAL_PAGES = {
    ("GET", "/"): "everyone",
    ("GET", "/account"): "everyone",
    ("GET", "/account/password"): "everyone",
    ("POST", "/account/password"): "everyone",
    ("GET", "/units/"): "everyone",
    ("GET", "/consolidation"): "everyone",
    ("GET", "/users/"): "admins",
    ("GET", "/users/new"): "admins",
    ("POST", "/users/new"): "admins",
    ("GET", "/audit/"): "root_admin",
    ("GET", "/system/tenants"): "system_admin",
}




# The unit import pages: for whoever manages some unit; communes only for the root's admin.
IMPORT_GLOBAL = {
    ("GET", "/units/import/"): "admins",
    ("POST", "/units/import/upload"): "admins",
    ("GET", "/units/import/template.csv"): "admins",
    ("POST", "/units/import/communes"): "root_admin",
}
# An upload batch: its creator and the root's admin; another tenant's admin gets 404.
IMPORT_BATCH = [("GET", "/units/import/batches/{batch}"),
                ("POST", "/units/import/batches/{batch}/run")]
IMPORT_PAGES = list(IMPORT_GLOBAL) + IMPORT_BATCH
GLOBAL_PAGES.update(IMPORT_GLOBAL)

# The form (biểu mẫu) admin pages: for whoever manages the tenant's root. One form's pages are
# checked by tests/test_form_admin.py (another tenant's form answers 404).
FORM_GLOBAL = {
    ("GET", "/forms/"): "root_admin",
    ("GET", "/forms/new"): "root_admin",
    ("POST", "/forms/new"): "root_admin",
    ("POST", "/forms/settings"): "root_admin",
}
FORM_EDIT = [("GET", "/forms/{form}/edit"), ("POST", "/forms/{form}/edit")]
GLOBAL_PAGES.update(FORM_GLOBAL)


def _global_expected(who: str, actor: str) -> str:
    role, _sep, where = actor.partition(".")
    if who == "everyone":
        return "allow"
    if who == "admins":
        return "allow" if role == "tenant_admin" else "403"
    if who == "root_admin":
        return "allow" if actor == "tenant_admin.tb" else "403"
    return "allow" if actor == "sysadmin" else "403"


GLOBAL_ACTORS = [f"{r}.d1" for r in ROLES] + [f"{r}.tb" for r in ROLES[:4]] + ["sysadmin"]


@pytest.mark.parametrize("actor", GLOBAL_ACTORS)
def test_global_pages(app, client, world, actor):
    if actor == "sysadmin":
        with app.app_context():
            from lhpn.accounts.services import create_user
            from tests.factories import PASSWORD

            create_user(None, tenant_id=None, username="sysadmin", password=PASSWORD,
                        is_system_admin=True)
            db.session.commit()
    assert login(client, actor).status_code == 302
    token = csrf_token(client, "/account")
    for (method, path), who in GLOBAL_PAGES.items():
        got = _verdict(_page(client, method, path, {}, token))
        assert got == _global_expected(who, actor), (actor, method, path)


def _shape(path: str) -> str:
    """"/units/<int:unit_id>/move" and "/units/{unit}/move" both become "/units/{}/move"."""
    return re.sub(r"<[^>]+>|\{[^}]+\}", "{}", path)


def test_every_route_is_in_the_matrix(app):
    """A new route must be added to this file's tables (or to the API matrix)."""
    from tests.test_authz_api_matrix import API_COVERED
    from tests.test_authz_api_plan_matrix import PLAN_API_COVERED
    from tests.test_authz_api_report_matrix import REPORT_API_COVERED
    from tests.test_authz_plan_matrix import PLAN_COVERED
    from tests.test_authz_report_matrix import REPORT_COVERED
    from tests.test_report_attachments import ATTACHMENT_ROUTES

    covered = {(m, _shape(p)) for m, p, *_ in UNIT_PAGES + USER_PAGES}
    covered |= {(m, _shape(p)) for m, p in GLOBAL_PAGES}
    covered |= {(m, _shape(p)) for m, p in API_COVERED}
    covered |= {(m, _shape(p)) for m, p in PLAN_API_COVERED}
    covered |= {(m, _shape(p)) for m, p in REPORT_API_COVERED}
    covered |= {(m, _shape(p)) for m, p in PLAN_COVERED}
    covered |= {(m, _shape(p)) for m, p in REPORT_COVERED}
    covered |= {(m, _shape(p)) for m, p in IMPORT_PAGES}
    covered |= {(m, _shape(p)) for m, p in FORM_EDIT}
    covered |= {(m, _shape(p)) for m, p, _action in ATTACHMENT_ROUTES}
    public = {"/login", "/logout", "/lang/<code>", "/healthz", "/static/<path:filename>",
              "/api/v1/openapi.json", "/api/v1/auth/token"}
    missing = [
        f"{method} {rule.rule}"
        for rule in app.url_map.iter_rules()
        if rule.rule not in public
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
        if (method, _shape(rule.rule)) not in covered
    ]
    assert not missing, "routes missing from the authorization matrix: " + ", ".join(missing)


BATCH_ACTORS = {"tenant_admin.d1": "allow", "tenant_admin.tb": "allow", "approver.tb": "403",
                "staff.d1": "403", "viewer.tb": "403", "tenant_admin.hy": "404"}


def test_import_batches(app, world):
    creator = app.test_client()
    login(creator, "tenant_admin.d1")
    csv = "ma_don_vi_cap_tren;ten\nC12;Chi hội thôn Mới\n".encode("utf-8-sig")
    response = creator.post("/units/import/upload", data={
        "csrf_token": csrf_token(creator, "/units/import/"),
        "file": (__import__("io").BytesIO(csv), "chi-hoi.csv")})
    assert response.status_code == 302, response.get_data(as_text=True)[:400]
    batch_path = response.headers["Location"]
    assert creator.get(batch_path).status_code == 200
    for actor, want in BATCH_ACTORS.items():
        client = app.test_client()
        login(client, actor)
        token = csrf_token(client, "/account")
        for method, template in IMPORT_BATCH:
            path = batch_path + ("/run" if template.endswith("/run") else "")
            # The run is asked for as JSON, so an allowed call does not redirect.
            got = _verdict(client.open(path, method=method, data={"csrf_token": token},
                                       headers={"Accept": "application/json"}))
            assert got == want, (actor, method, path)
