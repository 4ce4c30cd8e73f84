"""The authorization matrix, written by hand.

Every page and API endpoint × every role × the relation of the target to the unit where the
role is held (own, child, grandchild, parent, sibling, other tenant) is compared with the
decision the table below expects. The table is not derived from policies/: if a policy line
changes, this test says which decisions moved. User management has its own table
(MANAGE_USERS: actor × target user, including users who work inside D1 but hold a role outside
it, users without a work unit, and one's own account).

A cell answers "allowed", "refused by access" (403/404) or "refused by a named rule" (422,
own-account): tests/authz_outcomes.py tells them apart. Every route row says what its allowed
call answers with the minimal body it sends: SUCCESS (2xx/3xx) or VALIDATION (400/409/422 about
that body); any other answer where an allow is expected fails.
"""

import re

import pytest

from lhpn import authz
from lhpn.accounts.models import User
from lhpn.extensions import db
from lhpn.units.models import Unit
from tests.authz_outcomes import OWN_ACCOUNT, SUCCESS, VALIDATION, Allowed, page_outcome, want
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

# (method, path, action, form data, what an allowed call answers). The pages answer a refused
# form either with the form again (200, or 422 where the view says so) or with a redirect that
# flashes the reason (302): the row says which, so a rule's 422 is never read as an allow.
UNIT_PAGES = [
    ("GET", "/units/{unit}", "view", None, SUCCESS),
    # A branch has no unit below it: its "new unit" page redirects back (302).
    ("GET", "/units/{unit}/new", "manage", None, SUCCESS),
    # The empty name: the form again (200); at a branch, the redirect above.
    ("POST", "/units/{unit}/new", "manage", {"name": ""}, SUCCESS),
    # The empty value: a redirect that flashes the reason (302), nothing changed.
    ("POST", "/units/{unit}/rename", "manage", {"name": ""}, SUCCESS),
    ("POST", "/units/{unit}/opened", "manage", {"opened_on": ""}, SUCCESS),
    ("POST", "/units/{unit}/official-name", "manage", {"official_name": ""}, SUCCESS),
    ("GET", "/units/{unit}/move", "manage", None, SUCCESS),
    # A unit under itself: the form again with its error (422).
    ("POST", "/units/{unit}/move", "manage", {"parent_id": "{unit}"}, VALIDATION),
    # Closing and reopening act (or flash why not) and redirect (302): the unit is closed, then
    # reopened, and nobody's permissions change.
    ("POST", "/units/{unit}/close", "manage", {}, SUCCESS),
    ("POST", "/units/{unit}/reopen", "manage", {}, SUCCESS),
    # Consolidation of the unit's subtree (default form and period when none is asked for).
    ("GET", "/units/{unit}/consolidation", "view", None, SUCCESS),
    ("GET", "/units/{unit}/consolidation.xlsx", "view", None, SUCCESS),
    ("GET", "/units/{unit}/consolidation.docx", "view", None, SUCCESS),
]
# Locking, unlocking, revoking and the e-mail address answer with a redirect that flashes the
# outcome (302); an empty password or role is refused with the form again (422).
USER_PAGES = [
    ("GET", "/users/{user}", "manage", None, SUCCESS),
    ("POST", "/users/{user}/lock", "manage", {}, SUCCESS),
    ("POST", "/users/{user}/unlock", "manage", {}, SUCCESS),
    ("POST", "/users/{user}/password", "manage", {"password": ""}, VALIDATION),
    ("POST", "/users/{user}/email", "manage", {"email": ""}, SUCCESS),
    ("POST", "/users/{user}/roles", "manage", {"role": "", "unit_id": ""}, VALIDATION),
    ("POST", "/users/{user}/roles/{assignment}/delete", "manage", {}, SUCCESS),
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
    """"allow" (either kind), "403", "404" or a rule's name: for the route tables outside the
    six matrices (tests/test_form_admin.py, tests/test_report_attachments.py)."""
    got = page_outcome(response)
    return "allow" if got in (SUCCESS.value, VALIDATION.value) else got


@pytest.mark.parametrize("route", UNIT_PAGES, ids=lambda r: f"{r[0]} {r[1]}")
@pytest.mark.parametrize("role", ROLES)
def test_pages(app, client, world, role, route):
    method, template, action, data, allowed = route
    assert login(client, f"{role}.d1").status_code == 302
    token = csrf_token(client, "/account")
    for relation in RELATIONS:
        path = _fill(template, world, relation, app)
        form = {k: _fill(v, world, relation, app) for k, v in (data or {}).items()}
        got = page_outcome(_page(client, method, path, form if data is not None else None,
                                 token))
        assert got == want(expected(action, role, relation), allowed), (
            role, method, path, relation)


# ---- managing a user is managing all of them ------------------------------------------------
#
# A user is managed by whoever manages their work unit AND every unit where they hold a role
# (authz.may_manage_user; a user without a work unit counts as working at the root). Besides the
# world's plain members, the targets below work inside D1's subtree but hold a role outside it
# (or the reverse): D1's admin may not touch them; the root's admin may.
#
# target → (work unit, [(role, unit)]); None: no work unit.
PEOPLE = {
    "works.c11.admin.tb": ("C11", [("tenant_admin", "TB")]),   # the take-over of issue 11
    "works.c11.viewer.d2": ("C11", [("viewer", "C11"), ("viewer", "D2")]),
    "works.d2.staff.c11": ("D2", [("staff", "C11")]),
    "no.unit.viewer.c11": (None, [("viewer", "C11")]),
    "no.unit.no.role": (None, []),
}
USER_TARGETS = ("member.d1", "member.c11", "member.b111", "member.tb", "member.d2",
                "member.hc1", "works.c11.admin.tb", "works.c11.viewer.d2", "works.d2.staff.c11",
                "no.unit.viewer.c11", "no.unit.no.role", "self")
USER_ACTORS = ("tenant_admin.d1", "tenant_admin.tb", "approver.d1", "staff.d1", "viewer.d1",
               "norole.d1", "approver.tb", "tenant_admin.hy")
# One letter per target, in USER_TARGETS order: Y = may manage, N = 403, 4 = 404 (another
# tenant), S = their own account (managed, but the role, password and lock actions are refused
# by the own-account rule with 422, see OWN_ACCOUNT_PAGES).
MANAGE_USERS = {
    "tenant_admin.d1": "YYYNN4NNNNNS",
    "tenant_admin.tb": "YYYYY4YYYYYS",
    "approver.d1":     "NNNNN4NNNNNN",
    "staff.d1":        "NNNNN4NNNNNN",
    "viewer.d1":       "NNNNN4NNNNNN",
    "norole.d1":       "NNNNN4NNNNNN",
    "approver.tb":     "NNNNN4NNNNNN",
    "tenant_admin.hy": "44444Y44444S",
}
# What one's own account answers on each page: allowed (as the row says), or refused by the
# own-account rule (422 with the reason, nothing changed).
OWN_ACCOUNT_PAGES = {
    ("GET", "/users/{user}"): "allow",
    ("POST", "/users/{user}/lock"): OWN_ACCOUNT,
    ("POST", "/users/{user}/unlock"): "allow",   # one is not locked while logged in: no change
    ("POST", "/users/{user}/password"): OWN_ACCOUNT,
    ("POST", "/users/{user}/email"): "allow",
    ("POST", "/users/{user}/roles"): OWN_ACCOUNT,
    ("POST", "/users/{user}/roles/{assignment}/delete"): OWN_ACCOUNT,
}


def expected_user(actor: str, target: str, own: str) -> str:
    letter = MANAGE_USERS[actor][USER_TARGETS.index(target)]
    return {"Y": "allow", "N": "403", "4": "404", "S": own}[letter]


@pytest.fixture
def people(app, world):
    return add_people(app, world)


def add_people(app, world):
    """The world, plus the PEOPLE targets (created through the services)."""
    from lhpn.accounts import services as accounts
    from tests import factories

    with app.app_context():
        for name, (work, roles) in PEOPLE.items():
            user = accounts.create_user(
                None, tenant_id=world.tenants["TB"], username=name, password=factories.PASSWORD,
                unit=db.session.get(Unit, world.units[work]) if work else None)
            for role, code in roles:
                accounts.assign_role(None, user, role, db.session.get(Unit, world.units[code]))
            world.users[name] = user.id
        db.session.commit()
    return world


def _target_id(people, actor: str, target: str) -> int:
    return people.users[actor if target == "self" else target]


@pytest.mark.parametrize("actor", USER_ACTORS)
def test_the_user_rule_and_its_list_twin_follow_the_table(ctx, people, actor):
    user = db.session.get(User, people.users[actor])
    listed = set(db.session.scalars(
        db.select(User.id).where(authz.manageable_users(user))))
    for target in USER_TARGETS:
        other = db.session.get(User, _target_id(people, actor, target))
        want = expected_user(actor, target, "allow") == "allow"
        assert authz.may_manage_user(user, other) is want, (actor, target)
        assert (other.id in listed) is want, (actor, target, "list")
        own = target == "self"
        for rule in (authz.may_change_roles_of, authz.may_reset_password_of, authz.may_lock):
            assert rule(user, other) is (want and not own), (actor, target, rule.__name__)


@pytest.mark.parametrize("route", USER_PAGES, ids=lambda r: f"{r[0]} {r[1]}")
@pytest.mark.parametrize("actor", USER_ACTORS)
def test_user_pages(app, client, people, actor, route):
    method, template, _action, data, allowed = route
    assert login(client, actor).status_code == 302
    token = csrf_token(client, "/account")
    for target in USER_TARGETS:
        user_id = _target_id(people, actor, target)
        with app.app_context():
            assignments = db.session.get(User, user_id).assignments
            assignment_id = assignments[0].id if assignments else 999999
        path = template.replace("{user}", str(user_id)).replace("{assignment}",
                                                                str(assignment_id))
        got = page_outcome(_page(client, method, path, data, token))
        decision = expected_user(actor, target, OWN_ACCOUNT_PAGES[(method, template)])
        if target == "no.unit.no.role" and "{assignment}" in template and decision == "allow":
            decision = "404"  # nothing to revoke
        assert got == want(decision, allowed), (actor, method, path, target)


@pytest.mark.parametrize("actor", [a for a in USER_ACTORS if a.startswith("tenant_admin")])
def test_the_user_list_page_shows_whom_one_may_manage(app, client, people, actor):
    assert login(client, actor).status_code == 302
    html = client.get("/users/").get_data(as_text=True)
    for target in USER_TARGETS:
        name = actor if target == "self" else target
        shown = f">{name}</a>" in html
        assert shown is (expected_user(actor, target, "allow") == "allow"), (actor, target)


@pytest.mark.parametrize("route", UNIT_PAGES + USER_PAGES, ids=lambda r: f"{r[0]} {r[1]}")
def test_pages_send_anonymous_users_to_login(app, client, world, route):
    method, template, _action, data, _allowed = route
    path = _fill(template, world, "own", app)
    response = _page(client, method, path, data, csrf_token(client, "/login"))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# Pages that are not about one unit: who may open them, by role held at D1 and at the root, and
# what an allowed call answers (POSTs send an empty form).
GLOBAL_PAGES: dict[tuple[str, str], tuple[str, Allowed]] = {
    ("GET", "/"): ("everyone", SUCCESS),
    ("GET", "/account"): ("everyone", SUCCESS),
    ("GET", "/account/password"): ("everyone", SUCCESS),
    # The empty form: shown again with its errors (200).
    ("POST", "/account/password"): ("everyone", SUCCESS),
    ("GET", "/units/"): ("everyone", SUCCESS),
    # The unit picker's search: for whoever may view (or, asked so, manage) some unit; its
    # answers are checked by tests/test_unit_picker.py.
    ("GET", "/units/search"): ("viewers", SUCCESS),
    ("GET", "/units/search?action=manage&q=x"): ("admins", SUCCESS),
    # A redirect to the highest unit's consolidation the actor views (302), else the empty page.
    ("GET", "/consolidation"): ("everyone", SUCCESS),
    ("GET", "/users/"): ("admins", SUCCESS),
    ("GET", "/users/new"): ("admins", SUCCESS),
    # The empty form: shown again with its errors (200).
    ("POST", "/users/new"): ("admins", SUCCESS),
    ("GET", "/audit/"): ("root_admin", SUCCESS),
    # The log of sensitive reads: review_reads at the root (the root's admin and protection
    # officer; tests/test_privacy_review.py walks the protection officers and the filters).
    ("GET", "/privacy/reads"): ("reviewers", SUCCESS),
    ("GET", "/privacy/reads.xlsx"): ("reviewers", SUCCESS),
    ("GET", "/system/tenants"): ("system_admin", SUCCESS),
}




# The unit import pages: for whoever manages some unit; communes only for the root's admin.
# The uploads without a file: the page again with the error (422).
IMPORT_GLOBAL = {
    ("GET", "/units/import/"): ("admins", SUCCESS),
    ("POST", "/units/import/upload"): ("admins", VALIDATION),
    ("GET", "/units/import/template.csv"): ("admins", SUCCESS),
    ("POST", "/units/import/communes"): ("root_admin", VALIDATION),
}
# An upload batch: its creator and the root's admin; another tenant's admin gets 404.
IMPORT_BATCH = [("GET", "/units/import/batches/{batch}"),
                ("POST", "/units/import/batches/{batch}/run")]
IMPORT_PAGES = list(IMPORT_GLOBAL) + IMPORT_BATCH
GLOBAL_PAGES.update(IMPORT_GLOBAL)

# The form (biểu mẫu) admin pages: for whoever manages the tenant's root. One form's pages are
# checked by tests/test_form_admin.py (another tenant's form answers 404).
FORM_GLOBAL = {
    ("GET", "/forms/"): ("root_admin", SUCCESS),
    ("GET", "/forms/new"): ("root_admin", SUCCESS),
    # The empty form: shown again with its errors (422).
    ("POST", "/forms/new"): ("root_admin", VALIDATION),
    # Nothing ticked is a setting too (entry on behalf off): saved, then a redirect (302).
    ("POST", "/forms/settings"): ("root_admin", SUCCESS),
}
FORM_EDIT = [("GET", "/forms/{form}/edit"), ("POST", "/forms/{form}/edit")]
GLOBAL_PAGES.update(FORM_GLOBAL)

# Personal data protection (lhpn/privacy/breach_views.py): the retention setting and the
# breaches, for whoever manages the tenant's root. One breach's pages are walked by
# tests/test_privacy_breaches.py (a viewer 403, another tenant's admin 404).
BREACH_GLOBAL = {
    ("GET", "/privacy/breaches"): ("root_admin", SUCCESS),
    # The empty setting: the page again with the message (422), nothing saved.
    ("POST", "/privacy/retention"): ("root_admin", VALIDATION),
    ("GET", "/privacy/breaches/new"): ("root_admin", SUCCESS),
    # The empty form: shown again with its errors (422).
    ("POST", "/privacy/breaches/new"): ("root_admin", VALIDATION),
}
BREACH_PAGES = [("GET", "/privacy/breaches/{breach}"),
                ("POST", "/privacy/breaches/{breach}/status"),
                ("GET", "/privacy/breaches/{breach}/notification.docx")]
GLOBAL_PAGES.update(BREACH_GLOBAL)


def _global_expected(who: str, actor: str) -> str:
    role, _sep, where = actor.partition(".")
    if who == "everyone":
        return "allow"
    if who == "viewers":
        return "403" if role in ("norole", "sysadmin") else "allow"
    if who == "admins":
        return "allow" if role == "tenant_admin" else "403"
    if who in ("root_admin", "reviewers"):  # no protection officer among GLOBAL_ACTORS
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
    for (method, path), (who, allowed) in GLOBAL_PAGES.items():
        got = page_outcome(_page(client, method, path, {}, token))
        assert got == want(_global_expected(who, actor), allowed), (actor, method, path)


def _shape(path: str) -> str:
    """"/units/<int:unit_id>/move" and "/units/{unit}/move" both become "/units/{}/move"."""
    return re.sub(r"<[^>]+>|\{[^}]+\}", "{}", path)


def test_every_route_is_in_the_matrix(app):
    """A new route must be added to this file's tables (or to the API matrix)."""
    from tests.test_authz_api_incident_matrix import INCIDENT_API_COVERED
    from tests.test_authz_api_matrix import API_COVERED
    from tests.test_authz_api_oversight_matrix import OVERSIGHT_API_COVERED
    from tests.test_authz_api_petition_matrix import PETITION_API_COVERED
    from tests.test_authz_api_plan_matrix import PLAN_API_COVERED
    from tests.test_authz_api_report_matrix import REPORT_API_COVERED
    from tests.test_authz_incident_matrix import INCIDENT_COVERED
    from tests.test_authz_oversight_matrix import OVERSIGHT_COVERED
    from tests.test_authz_petition_matrix import PETITION_COVERED
    from tests.test_authz_plan_matrix import PLAN_COVERED
    from tests.test_authz_records_matrix import RECORDS_COVERED
    from tests.test_authz_report_matrix import REPORT_COVERED
    from tests.test_authz_supervision_matrix import SUPERVISION_API_COVERED, SUPERVISION_COVERED
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
    covered |= {(m, _shape(p)) for m, p in BREACH_PAGES}
    covered |= {(m, _shape(p)) for m, p in INCIDENT_COVERED}
    covered |= {(m, _shape(p)) for m, p in INCIDENT_API_COVERED}
    covered |= {(m, _shape(p)) for m, p in PETITION_COVERED}
    covered |= {(m, _shape(p)) for m, p in PETITION_API_COVERED}
    covered |= {(m, _shape(p)) for m, p, _action in ATTACHMENT_ROUTES}
    covered |= {(m, _shape(p)) for m, p in SUPERVISION_COVERED + SUPERVISION_API_COVERED}
    covered |= {(m, _shape(p)) for m, p in RECORDS_COVERED}
    covered |= {(m, _shape(p)) for m, p in OVERSIGHT_COVERED + OVERSIGHT_API_COVERED}
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


# Who may open and run an upload batch; an allowed call answers the batch page (200) or, for the
# run asked for as JSON, the run's result (200).
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
    for actor, decision in BATCH_ACTORS.items():
        client = app.test_client()
        login(client, actor)
        token = csrf_token(client, "/account")
        for method, template in IMPORT_BATCH:
            path = batch_path + ("/run" if template.endswith("/run") else "")
            # The run is asked for as JSON, so an allowed call does not redirect.
            got = page_outcome(client.open(path, method=method, data={"csrf_token": token},
                                           headers={"Accept": "application/json"}))
            assert got == want(decision, SUCCESS), (actor, method, path)
