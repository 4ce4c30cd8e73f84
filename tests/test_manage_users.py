"""Managing a user is managing all of them (issue 11, item 1).

The reproduction: the province admin creates a user who works at a commune of district D1 and
holds tenant_admin at the root. D1's admin used to be able to read and edit that user, reset
their password, log in as them and so manage the whole province; and to grant themselves
approver at D1. The tables in test_authz_matrix.py and test_authz_api_matrix.py walk every
route; here is the story end to end, on the pages, in the API and in the services.
"""

import re

import pytest

from lhpn import authz
from lhpn.accounts import services as accounts
from lhpn.accounts.models import RoleAssignment, User
from lhpn.extensions import db
from lhpn.units.models import Unit
from tests.conftest import api_token, csrf_token, login
from tests.factories import PASSWORD
from tests.test_api import assert_error, unchanged

VICTIM = "pho.chu.tich.tinh"
VICTIM_PASSWORD = "Mat-khau-cua-tinh-2026"
ATTACKER_PASSWORD = "Mat-khau-ke-gian-2026"


def _created_by_the_province_admin_on_the_pages(app, world) -> int:
    """The province admin creates the user at commune C11 (in D1) and makes them an admin of
    the whole province, through the pages."""
    admin = app.test_client()
    login(admin, "tenant_admin.tb")
    token = csrf_token(admin, "/users/new")
    response = admin.post("/users/new", data={
        "csrf_token": token, "username": VICTIM, "password": VICTIM_PASSWORD,
        "full_name": "Phó Chủ tịch tỉnh", "unit_id": world.units["C11"], "email": ""})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    user_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    response = admin.post(f"/users/{user_id}/roles", data={
        "csrf_token": token, "role": "tenant_admin", "unit_id": world.units["TB"]})
    assert response.status_code == 302
    with app.app_context():
        victim = db.session.get(User, user_id)
        assert [(a.role, a.unit_id) for a in victim.assignments] == [
            ("tenant_admin", world.units["TB"])]
        assert victim.unit_id == world.units["C11"]
    return user_id


def _created_by_the_province_admin_in_the_api(client, world) -> int:
    headers = {"Authorization": f"Bearer {api_token(client, 'tenant_admin.tb')}"}
    response = client.post("/api/v1/users", headers=headers, json={
        "username": VICTIM, "password": VICTIM_PASSWORD, "unit_id": world.units["C11"]})
    assert response.status_code == 201
    user_id = response.get_json()["id"]
    response = client.post(f"/api/v1/users/{user_id}/roles", headers=headers,
                           json={"role": "tenant_admin", "unit_id": world.units["TB"]})
    assert response.status_code == 201
    return user_id


def _victim_assignment(app, user_id: int) -> int:
    with app.app_context():
        return db.session.get(User, user_id).assignments[0].id


def test_a_district_admin_cannot_take_over_a_province_admin_on_the_pages(app, client, world):
    victim = _created_by_the_province_admin_on_the_pages(app, world)
    assignment = _victim_assignment(app, victim)
    login(client, "tenant_admin.d1")
    token = csrf_token(client, "/account")
    with unchanged(app):
        assert client.get(f"/users/{victim}").status_code == 403
        for path, data in [
            (f"/users/{victim}/password", {"password": ATTACKER_PASSWORD}),
            (f"/users/{victim}/email", {"email": "ke.gian@example.vn"}),
            (f"/users/{victim}/lock", {}),
            (f"/users/{victim}/unlock", {}),
            (f"/users/{victim}/roles", {"role": "viewer", "unit_id": world.units["C11"]}),
            (f"/users/{victim}/roles/{assignment}/delete", {}),
        ]:
            response = client.post(path, data={"csrf_token": token, **data})
            assert response.status_code == 403, path
        for path in ("/users/", f"/users/?q={VICTIM}"):
            html = client.get(path).get_data(as_text=True)
            assert f">{VICTIM}</a>" not in html, path
    # The attacker's password was never set: the victim still logs in with their own.
    assert login(app.test_client(), VICTIM, ATTACKER_PASSWORD).status_code == 401
    assert login(app.test_client(), VICTIM, VICTIM_PASSWORD).status_code == 302
    # The province admin still manages them.
    admin = app.test_client()
    login(admin, "tenant_admin.tb")
    assert admin.get(f"/users/{victim}").status_code == 200
    assert f">{VICTIM}</a>" in admin.get(f"/users/?q={VICTIM}").get_data(as_text=True)


def test_a_district_admin_cannot_take_over_a_province_admin_in_the_api(app, client, world):
    victim = _created_by_the_province_admin_in_the_api(client, world)
    assignment = _victim_assignment(app, victim)
    headers = {"Authorization": f"Bearer {api_token(client, 'tenant_admin.d1')}"}
    with unchanged(app):
        for method, path, body in [
            ("GET", f"/api/v1/users/{victim}", None),
            ("PATCH", f"/api/v1/users/{victim}", {"full_name": "Bị chiếm"}),
            ("PATCH", f"/api/v1/users/{victim}", {"email": "ke.gian@example.vn"}),
            ("PATCH", f"/api/v1/users/{victim}", {"locked": True}),
            ("POST", f"/api/v1/users/{victim}/roles",
             {"role": "viewer", "unit_id": world.units["C11"]}),
            ("DELETE", f"/api/v1/users/{victim}/roles/{assignment}", None),
        ]:
            assert_error(client.open(path, method=method, json=body, headers=headers), 403)
        for path in ("/api/v1/users", f"/api/v1/users?q={VICTIM}"):
            items = client.get(path, headers=headers).get_json()["items"]
            assert VICTIM not in {item["username"] for item in items}, path
    root = {"Authorization": f"Bearer {api_token(client, 'tenant_admin.tb')}"}
    assert client.get(f"/api/v1/users/{victim}", headers=root).status_code == 200


def _assignments(app, username: str) -> list[tuple[str, int]]:
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.username == username))
        return sorted((a.role, a.unit_id) for a in user.assignments)


def test_a_district_admin_cannot_grant_themselves_approver_on_the_pages(app, client, world):
    me = world.users["tenant_admin.d1"]
    login(client, "tenant_admin.d1")
    token = csrf_token(client, "/account")
    own_assignment = _victim_assignment(app, me)
    with unchanged(app):
        response = client.post(f"/users/{me}/roles", data={
            "csrf_token": token, "role": "approver", "unit_id": world.units["D1"]})
        assert response.status_code == 422
        assert "Bạn không thể tự phân hoặc thu hồi vai trò" in response.get_data(as_text=True)
        response = client.post(f"/users/{me}/roles/{own_assignment}/delete",
                               data={"csrf_token": token})
        assert response.status_code == 422
        response = client.post(f"/users/{me}/password",
                               data={"csrf_token": token, "password": ATTACKER_PASSWORD})
        assert response.status_code == 422
        assert "Bạn không thể tự đặt lại mật khẩu" in response.get_data(as_text=True)
    assert _assignments(app, "tenant_admin.d1") == [("tenant_admin", world.units["D1"])]


def test_a_district_admin_cannot_grant_themselves_approver_in_the_api(app, client, world):
    me = world.users["tenant_admin.d1"]
    headers = {"Authorization": f"Bearer {api_token(client, 'tenant_admin.d1')}"}
    own_assignment = _victim_assignment(app, me)
    with unchanged(app):
        response = client.post(f"/api/v1/users/{me}/roles", headers=headers,
                               json={"role": "approver", "unit_id": world.units["D1"]})
        error = assert_error(response, 422)
        assert error["message"].startswith("Bạn không thể tự phân hoặc thu hồi vai trò")
        response = client.post(f"/api/v1/users/{me}/roles",
                               headers=headers | {"Accept-Language": "en"},
                               json={"role": "approver", "unit_id": world.units["D1"]})
        assert assert_error(response, 422)["message"].startswith("You cannot")
        assert_error(client.delete(f"/api/v1/users/{me}/roles/{own_assignment}",
                                   headers=headers), 422)
    assert _assignments(app, "tenant_admin.d1") == [("tenant_admin", world.units["D1"])]
    # Another admin grants it: that is how one gets a role.
    root = {"Authorization": f"Bearer {api_token(client, 'tenant_admin.tb')}"}
    response = client.post(f"/api/v1/users/{me}/roles", headers=root,
                           json={"role": "approver", "unit_id": world.units["D1"]})
    assert response.status_code == 201


def _form_actions(html: str, user_id: int) -> set[str]:
    """The user-management actions a page offers: "lock", "password", "roles", "delete"…"""
    return {m.rsplit("/", 1)[1]
            for m in re.findall(rf'action="/users/{user_id}(/[^"]+)"', html)}


def test_ones_own_page_offers_no_role_or_password_form(client, world):
    login(client, "tenant_admin.d1")
    me, other = world.users["tenant_admin.d1"], world.users["member.c11"]
    own_html = client.get(f"/users/{me}").get_data(as_text=True)
    other_html = client.get(f"/users/{other}").get_data(as_text=True)
    assert _form_actions(own_html, me) == {"email"}
    assert _form_actions(other_html, other) == {"lock", "roles", "delete", "email", "password"}
    assert "Đây là tài khoản của bạn" in own_html and 'href="/account/password"' in own_html
    assert "Đây là tài khoản của bạn" not in other_html


# ---- the services obey the same rules, whoever calls them -------------------------------------

def _user(world, name: str) -> User:
    return db.session.get(User, world.users[name])


def _unit(world, code: str) -> Unit:
    return db.session.get(Unit, world.units[code])


@pytest.fixture
def province_admin_at_c11(ctx, world) -> User:
    user = accounts.create_user(None, tenant_id=world.tenants["TB"], username=VICTIM,
                                password=VICTIM_PASSWORD, unit=_unit(world, "C11"))
    accounts.assign_role(None, user, "tenant_admin", _unit(world, "TB"))
    db.session.flush()
    return user


@pytest.mark.parametrize("change", [
    lambda actor, user: accounts.reset_password(actor, user, ATTACKER_PASSWORD),
    lambda actor, user: accounts.set_email(actor, user, "ke.gian@example.vn"),
    lambda actor, user: accounts.set_full_name(actor, user, "Bị chiếm"),
    lambda actor, user: accounts.set_locked(actor, user, True),
    lambda actor, user: accounts.set_locked(actor, user, False),
    lambda actor, user: accounts.revoke_role(actor, user.assignments[0]),
], ids=["reset_password", "set_email", "set_full_name", "lock", "unlock", "revoke_role"])
def test_services_refuse_a_user_one_does_not_wholly_manage(world, province_admin_at_c11,
                                                          change):
    with pytest.raises(authz.Forbidden):
        change(_user(world, "tenant_admin.d1"), province_admin_at_c11)


def test_services_refuse_granting_a_role_to_a_user_one_does_not_wholly_manage(
        world, province_admin_at_c11):
    with pytest.raises(authz.Forbidden):
        accounts.assign_role(_user(world, "tenant_admin.d1"), province_admin_at_c11, "viewer",
                             _unit(world, "C11"))


def test_services_refuse_changes_to_ones_own_roles_and_password(ctx, world):
    me = _user(world, "tenant_admin.d1")
    with pytest.raises(authz.OwnAccount, match="vai trò"):
        accounts.assign_role(me, me, "approver", _unit(world, "D1"))
    with pytest.raises(authz.OwnAccount, match="vai trò"):
        accounts.revoke_role(me, me.assignments[0])
    with pytest.raises(authz.OwnAccount, match="mật khẩu"):
        accounts.reset_password(me, me, ATTACKER_PASSWORD)
    with pytest.raises(authz.OwnAccount, match="khóa"):
        accounts.set_locked(me, me, True)
    assert db.session.scalar(db.select(db.func.count()).select_from(RoleAssignment).where(
        RoleAssignment.user_id == me.id)) == 1


def test_granting_at_a_unit_needs_that_unit_in_the_service_too(ctx, world):
    with pytest.raises(authz.Forbidden):
        accounts.assign_role(_user(world, "tenant_admin.d1"), _user(world, "member.c11"),
                             "viewer", _unit(world, "D2"))


def test_a_user_without_a_work_unit_is_managed_from_the_root(ctx, world):
    loose = accounts.create_user(None, tenant_id=world.tenants["TB"], username="khong.don.vi",
                                 password=PASSWORD)
    assert authz.may_manage_user(_user(world, "tenant_admin.tb"), loose)
    assert not authz.may_manage_user(_user(world, "tenant_admin.d1"), loose)
    listed = set(db.session.scalars(db.select(User.id).where(
        authz.manageable_users(_user(world, "tenant_admin.d1")))))
    assert loose.id not in listed
