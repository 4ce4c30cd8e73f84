"""Choosing a unit (issue 12, item 6): one search, authorized by lhpn.authz, that names every
unit with its parents; the pages that choose a unit use it with and without script; the role
list starts with nothing chosen."""

import re

import pytest
from sqlalchemy import select

from lhpn.accounts.models import RoleAssignment, User
from lhpn.extensions import db
from lhpn.units import services as units
from lhpn.units.models import Unit
from tests import factories
from tests.conftest import csrf_token, login

DONG = "Chi hội thôn Đông"


@pytest.fixture
def dong(app, world):
    """A "Chi hội thôn Đông" under C11 (xã Tân Lễ), C12 (xã Canh Tân), a new xã Minh Tân (all
    in huyện Hưng Hà, D1), C21 (xã Đông Á, D2) and HC1 (another tenant); one closed."""
    with app.app_context():
        d1 = db.session.get(Unit, world.units["D1"])
        minh_tan = factories.unit(d1, "Hội LHPN xã Minh Tân", "commune", "C13")
        made = {"C13": minh_tan.id}
        for code in ("C11", "C12", "C13", "C21", "HC1"):
            parent = db.session.get(Unit, made.get(code) or world.units[code])
            made[f"DONG-{code}"] = factories.unit(parent, DONG, "branch", f"{code}-DONG").id
        closed = factories.unit(db.session.get(Unit, world.units["C12"]), "Chi hội thôn Đông Cũ",
                                "branch", "C12-CU")
        units.close_unit(None, closed)
        db.session.commit()
        return made


def _search(client, **params):
    response = client.get("/units/search", query_string=params)
    return response.status_code, response.get_json() if response.is_json else None


# ---- the search ---------------------------------------------------------------------------

def test_each_unit_comes_with_its_parents(client, world, dong):
    login(client, "tenant_admin.tb")
    status, body = _search(client, q="thon dong", action="manage")
    assert status == 200 and body["more"] is False
    labels = [item["label"] for item in body["items"]]
    # Same names side by side, in the Vietnamese order of their parents (Đ with D).
    assert labels == [
        "Chi hội thôn Đông — xã Canh Tân — huyện Hưng Hà",
        "Chi hội thôn Đông — xã Đông Á — huyện Đông Hưng",
        "Chi hội thôn Đông — xã Minh Tân — huyện Hưng Hà",
        "Chi hội thôn Đông — xã Tân Lễ — huyện Hưng Hà",
    ]
    first = body["items"][0]
    assert first == {"id": dong["DONG-C12"], "name": DONG, "code": "C12-DONG",
                     "parents": "xã Canh Tân — huyện Hưng Hà", "label": labels[0],
                     "level": "branch", "level_label": "Chi hội"}


def test_words_may_name_the_parents(client, world, dong):
    login(client, "tenant_admin.tb")
    _status, body = _search(client, q="Đông Minh Tân")
    assert [i["id"] for i in body["items"]] == [dong["DONG-C13"]]
    _status, body = _search(client, q="thôn Đông Đông Á")  # "Á" begins a word of xã Đông Á
    assert [i["id"] for i in body["items"]] == [dong["DONG-C21"]]
    _status, body = _search(client, q="c11-dong")  # a code
    assert [i["id"] for i in body["items"]] == [dong["DONG-C11"]]


def test_a_name_holding_the_words_comes_before_a_parent_holding_them(client, world, dong, app):
    with app.app_context():
        d2 = db.session.get(Unit, world.units["D2"])
        dong_hoa = factories.unit(d2, "Hội LHPN xã Đông Hòa", "commune", "C22")
        bac = factories.unit(dong_hoa, "Chi hội thôn Bắc", "branch", "C22-BAC")
        db.session.commit()
        bac_id = bac.id
    login(client, "tenant_admin.tb")
    _status, body = _search(client, q="thôn Đông", level="branch")
    ids = [i["id"] for i in body["items"]]
    # thôn Bắc of xã Đông Hòa matches too ("thôn" in its name, "Đông" in its parent's), last.
    assert len(ids) == 5 and ids[-1] == bac_id


@pytest.mark.parametrize(("actor", "action", "want"), [
    # Only what the user may do the action on; never another tenant's "Chi hội thôn Đông".
    ("tenant_admin.d1", "manage", {"DONG-C11", "DONG-C12", "DONG-C13"}),
    ("viewer.d1", "view", {"DONG-C11", "DONG-C12", "DONG-C13"}),
    ("tenant_admin.tb", "view", {"DONG-C11", "DONG-C12", "DONG-C13", "DONG-C21"}),
    ("tenant_admin.hy", "manage", {"DONG-HC1"}),
])
def test_only_units_the_user_may_act_on(client, world, dong, actor, action, want):
    login(client, actor)
    status, body = _search(client, q="dong", action=action, level="branch")
    assert status == 200
    assert {i["id"] for i in body["items"]} == {dong[k] for k in want}


def test_staff_see_their_unit_and_its_children(client, world, dong, app):
    with app.app_context():
        tb = db.session.get(Unit, world.units["TB"]).tenant
        factories.user(tb, "canbo.c11", "staff", db.session.get(Unit, world.units["C11"]))
        db.session.commit()
    login(client, "canbo.c11")
    status, body = _search(client, q="")
    assert status == 200
    assert {i["code"] for i in body["items"]} == {"C11", "B111", "C11-DONG"}
    assert _search(client, q="dong", action="manage")[0] == 403


@pytest.mark.parametrize(("actor", "params", "status"), [
    ("norole.d1", {"q": "dong"}, 403),                        # reaches no unit
    ("staff.d1", {"q": "dong", "action": "manage"}, 403),
    ("tenant_admin.d1", {"q": "dong", "action": "delete"}, 422),
    ("tenant_admin.d1", {"q": "dong", "level": "village"}, 422),
    ("tenant_admin.d1", {"q": "dong", "exclude": "HC1"}, 404),   # another tenant's id
    ("tenant_admin.d1", {"q": "dong", "exclude": "999999"}, 404),
    ("tenant_admin.d1", {"q": "dong", "exclude": "D2"}, 403),    # not theirs to view
    ("tenant_admin.d1", {"q": "dong", "exclude": "C11"}, 200),
])
def test_refusals(client, world, dong, actor, params, status):
    login(client, actor)
    if "exclude" in params and params["exclude"] in world.units:
        params = {**params, "exclude": world.units[params["exclude"]]}
    got, body = _search(client, **params)
    assert got == status
    if status == 200:  # C11's subtree left out
        assert dong["DONG-C11"] not in {i["id"] for i in body["items"]} and body["items"]
    else:
        assert "error" not in (body or {}) or body["error"]["message"]


def test_closed_units_are_not_offered_and_the_list_is_short(client, world, dong, app):
    login(client, "tenant_admin.tb")
    _status, body = _search(client, q="dong cu")
    assert body["items"] == []
    with app.app_context():
        c12 = db.session.get(Unit, world.units["C12"])
        for n in range(25):
            factories.unit(c12, f"Chi hội xóm {n}", "branch")
        db.session.commit()
    _status, body = _search(client, q="xom")
    assert len(body["items"]) == 20 and body["more"] is True


# ---- assigning a role ---------------------------------------------------------------------

def _detail(client, world) -> str:
    return client.get(f"/users/{world.users['member.c11']}").get_data(as_text=True)


def _assignments(app, world) -> set[tuple[str, int]]:
    with app.app_context():
        return set(db.session.execute(select(RoleAssignment.role, RoleAssignment.unit_id).where(
            RoleAssignment.user_id == world.users["member.c11"])).all())


def test_the_role_list_starts_with_nothing_chosen(client, world, dong):
    login(client, "tenant_admin.tb")
    html = _detail(client, world)
    select_html = re.search(r'<select[^>]*name="role".*?</select>', html, re.S).group(0)
    options = re.findall(r"<option([^>]*)>([^<]*)</option>", select_html)
    assert options[0] == (' selected value=""', "— Chọn vai trò —") or (
        options[0][1] == "— Chọn vai trò —" and 'value=""' in options[0][0])
    assert not any("selected" in attrs for attrs, _label in options[1:])
    # No flat list of the province's units: a search field and its button instead.
    form = html.split('name="role"')[1].split("</form>")[0]
    assert "<select" not in form and "<option" not in form.split("</select>", 1)[1]
    assert 'name="unit_id_q"' in form and 'name="find" value="unit_id"' in form


def test_an_empty_role_is_refused(client, world, dong, app):
    login(client, "tenant_admin.tb")
    before = _assignments(app, world)
    token = csrf_token(client, f"/users/{world.users['member.c11']}")
    response = client.post(f"/users/{world.users['member.c11']}/roles", data={
        "csrf_token": token, "role": "", "unit_id": str(dong["DONG-C13"])},
        follow_redirects=True)
    assert "Hãy chọn vai trò." in response.get_data(as_text=True)
    assert _assignments(app, world) == before


def test_assigning_a_role_without_script(client, world, dong, app):
    """Type part of the name, "Tìm": the page comes back with the matches (parents shown) as
    radio choices and the role still chosen; nothing is assigned until the form is sent."""
    login(client, "tenant_admin.tb")
    before = _assignments(app, world)
    path = f"/users/{world.users['member.c11']}/roles"
    token = csrf_token(client, f"/users/{world.users['member.c11']}")
    found = client.post(path, data={"csrf_token": token, "role": "staff",
                                    "unit_id_q": "thôn Đông", "find": "unit_id"})
    html = found.get_data(as_text=True)
    assert found.status_code == 200 and _assignments(app, world) == before
    radios = re.findall(r'<input type="radio" name="unit_id" value="(\d+)"', html)
    assert [int(r) for r in radios] == [dong["DONG-C12"], dong["DONG-C21"], dong["DONG-C13"],
                                        dong["DONG-C11"]]
    assert "xã Minh Tân — huyện Hưng Hà" in html and "4 đơn vị khớp" in html
    assert re.search(r'<option selected value="staff">|<option value="staff" selected>', html)
    done = client.post(path, data={"csrf_token": token, "role": "staff",
                                   "unit_id_q": "thôn Đông", "unit_id": str(dong["DONG-C13"])})
    assert done.status_code == 302
    assert _assignments(app, world) == before | {("staff", dong["DONG-C13"])}


def test_a_search_finding_nothing_says_so(client, world, dong):
    login(client, "tenant_admin.d1")
    token = csrf_token(client, f"/users/{world.users['member.c11']}")
    html = client.post(f"/users/{world.users['member.c11']}/roles", data={
        "csrf_token": token, "role": "", "unit_id_q": "Đông Á", "find": "unit_id"},
    ).get_data(as_text=True)  # xã Đông Á is in D2: not the D1 admin's
    assert "Không tìm thấy đơn vị nào khớp “Đông Á”." in html
    assert 'type="radio"' not in html


def test_a_unit_out_of_reach_is_refused_even_if_posted(client, world, dong, app):
    login(client, "tenant_admin.d1")
    before = _assignments(app, world)
    token = csrf_token(client, f"/users/{world.users['member.c11']}")
    path = f"/users/{world.users['member.c11']}/roles"
    other = client.post(path, data={"csrf_token": token, "role": "staff",
                                    "unit_id": str(dong["DONG-HC1"])}, follow_redirects=True)
    assert "Không tìm thấy đơn vị." in other.get_data(as_text=True)  # as for any unknown id
    sibling = client.post(path, data={"csrf_token": token, "role": "staff",
                                      "unit_id": str(dong["DONG-C21"])})
    assert sibling.status_code == 403
    assert _assignments(app, world) == before


# ---- a new user's work unit, a move ---------------------------------------------------------

def test_a_new_users_work_unit_without_script(client, world, dong, app):
    login(client, "tenant_admin.tb")
    token = csrf_token(client, "/users/new")
    form = {"csrf_token": token, "username": "moi.dong", "full_name": "Người Mới",
            "password": "Mat-khau-moi-2026", "email": ""}
    found = client.post("/users/new", data={**form, "unit_id_q": "dong minh tan",
                                            "find": "unit_id"})
    html = found.get_data(as_text=True)
    assert found.status_code == 200 and 'value="moi.dong"' in html
    assert re.findall(r'name="unit_id" value="(\d+)"', html) == [str(dong["DONG-C13"])]
    missing = client.post("/users/new", data=form)
    assert "Hãy chọn đơn vị công tác." in missing.get_data(as_text=True)
    created = client.post("/users/new", data={**form, "unit_id": str(dong["DONG-C13"])})
    assert created.status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "moi.dong"))
        assert user.unit_id == dong["DONG-C13"]


def test_moving_a_unit_offers_only_possible_parents(client, world, dong, app):
    login(client, "tenant_admin.tb")
    path = f"/units/{world.units['C11']}/move"
    html = client.get(path).get_data(as_text=True)
    assert "<select" not in html and 'name="parent_id_q"' in html
    token = csrf_token(client, path)
    found = client.post(path, data={"csrf_token": token, "parent_id_q": "hung",
                                    "find": "parent_id"}).get_data(as_text=True)
    offered = {int(v) for v in re.findall(r'name="parent_id" value="(\d+)"', found)}
    # Districts only (a commune moves under a district), C11's own subtree never.
    assert offered == {world.units["D1"], world.units["D2"]}
    assert "Hội LHPN huyện Đông Hưng" in found
    moved = client.post(path, data={"csrf_token": token, "parent_id": str(world.units["D2"])})
    assert moved.status_code == 302
    with app.app_context():
        assert db.session.get(Unit, world.units["C11"]).parent_id == world.units["D2"]
    _status, body = _search(client, q="thon dong tan le")
    assert body["items"][0]["label"] == "Chi hội thôn Đông — xã Tân Lễ — huyện Đông Hưng"


# ---- the filters ------------------------------------------------------------------------------

def test_the_consolidation_page_picks_its_unit_without_script(client, world, dong):
    login(client, "viewer.d1")
    found = client.get("/consolidation", query_string={
        "unit": world.units["D1"], "find": "unit", "unit_q": "tan le", "template": "BC_THANG"},
        follow_redirects=True)
    html = found.get_data(as_text=True)
    assert found.status_code == 200
    offered = {int(v) for v in re.findall(r'name="unit" value="(\d+)"', html)}
    assert {world.units["C11"], dong["DONG-C11"]} <= offered
    assert world.units["D1"] in offered  # the unit shown stays chosen until another is
    chosen = client.get("/consolidation", query_string={
        "unit": world.units["C11"], "template": "BC_THANG"})
    assert chosen.status_code == 302
    assert chosen.headers["Location"].startswith(f"/units/{world.units['C11']}/consolidation?")
    # The unit asked for is checked like any other: out of reach 403, another tenant's 404.
    assert client.get("/consolidation", query_string={"unit": world.units["D2"]}).status_code \
        == 403
    assert client.get("/consolidation", query_string={"unit": world.units["HC1"]}).status_code \
        == 404


def test_the_report_and_plan_filters_search_without_script(client, world, dong):
    login(client, "viewer.d1")
    for path, name in (("/reports/", "filter_unit"), ("/plans/", "unit")):
        html = client.get(path, query_string={f"{name}_q": "dong minh", "find": name}
                          ).get_data(as_text=True)
        values = re.findall(rf'name="{name}" value="(\d*)"', html)
        # "All units", then the one match.
        assert values == ["", str(dong["DONG-C13"])], path
        assert "xã Minh Tân — huyện Hưng Hà" in html


def test_the_dashboard_offers_units_with_units_below(client, world, dong):
    login(client, "viewer.d1")
    html = client.get("/", query_string={"unit_q": "tan le", "find": "unit"}
                      ).get_data(as_text=True)
    offered = {int(v) for v in re.findall(r'name="unit" value="(\d+)"', html)}
    assert world.units["C11"] in offered and dong["DONG-C11"] not in offered  # no branches
    assert 'data-url="/units/search?action=view&amp;level=province,district,commune"' in html
