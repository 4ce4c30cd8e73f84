"""GET /api/v1/units/ID/consolidation and GET /api/v1/consolidation: the figures of the page,
the documented shape, the order of refusals."""

import jsonschema
import pytest

from lhpn.accounts import services as accounts
from lhpn.extensions import db
from lhpn.reports import services as reports
from tests import consolidation_world as kw
from tests import factories
from tests.conftest import api_token
from tests.test_api import Caller, assert_error, schema_for


@pytest.fixture
def kt(app):
    with app.app_context():
        built = kw.build()
        kw.file_january(built)
        kw.issue_plan(built)
        return built


@pytest.fixture
def document(client):
    return client.get("/api/v1/openapi.json").get_json()


def _as(client, username):
    return Caller(client, api_token(client, username))


def _valid(document, template, response):
    schema = schema_for(document, "GET", template, response.status_code)
    jsonschema.Draft202012Validator(schema | {"components": document["components"]}
                                    ).validate(response.get_json())


def test_the_province_consolidation_matches_the_hand_computed_figures(client, kt, document):
    viewer = _as(client, "kt.viewer")
    response = viewer.get(f"/units/{kt.units['KT']}/consolidation?template=BC_KT&period=2027-01")
    assert response.status_code == 200
    _valid(document, "/units/{unit_id}/consolidation", response)
    body = response.get_json()
    assert body["values"] == kw.EXPECTED["KT"]
    assert (body["expected"], body["approved"], body["on_time"]) == (5, 4, 4)
    assert body["completeness"] == 80.0
    children = {c["unit_id"]: c for c in body["children"]}
    assert children[kt.units["X1"]]["values"] == kw.EXPECTED["X1"]
    assert (children[kt.units["X2"]]["expected"], children[kt.units["X2"]]["approved"]) == (2, 1)
    lines = {(a["indicator"], a["level"], a["kind"]): a for a in body["attainment"]}
    commune = lines[("SO_LUOT", "commune", "count")]
    assert (commune["units"], commune["met"], commune["attained"]) == (2, 1, False)
    assert commune["not_met"] == [kt.units["X2"]]
    assert lines[("TY_LE", "branch", "rate")]["not_met"] == [kt.units["X1B"]]


def test_drill_down_to_a_branch_and_a_range(client, kt, document):
    viewer = _as(client, "kt.viewer")
    x1 = viewer.get(f"/units/{kt.units['X1']}/consolidation?template=BC_KT&period=2027-01")
    assert [c["unit_id"] for c in x1.get_json()["children"]] == [kt.units["X1A"], kt.units["X1B"]]
    branch = viewer.get(f"/units/{kt.units['X1A']}/consolidation?template=bc_kt&"
                        "from=2027-01&to=2027-06")
    _valid(document, "/units/{unit_id}/consolidation", branch)
    body = branch.get_json()
    assert body["periods"] == [f"2027-{m:02d}" for m in range(1, 7)]
    assert body["values"]["SO_LUOT"] == 5 and body["children"] == []
    assert (body["expected"], body["approved"]) == (6, 1)


def test_an_approval_over_the_api_shows_in_the_next_read(client, kt, app):
    viewer = _as(client, "kt.viewer")
    path = f"/units/{kt.units['KT']}/consolidation?template=BC_KT&period=2027-01"
    assert viewer.get(path).get_json()["values"]["SO_LUOT"] == 10
    with app.app_context():
        pending = reports.find_report(kt.unit("X2"), kt.template, kw.JAN)
        report_id, version = pending.id, pending.version
    approver = _as(client, "kt.approver.kt")
    assert approver.post(f"/reports/{report_id}/approve", {"version": version}).status_code == 200
    after = viewer.get(path).get_json()
    assert after["values"]["SO_LUOT"] == 110 and after["approved"] == 5


@pytest.mark.parametrize(("query", "status", "field"), [
    ("period=2027-01", 422, "template"),
    ("template=BC_KT", 422, "period"),
    ("template=BC_KT&period=2027-13", 422, "period"),
    ("template=BC_KT&from=2027-05&to=2027-01", 422, "to"),
    ("template=BC_KT&from=2027-05", 422, "period"),
    ("template=KHONG_CO&period=2027-01", 404, None),
    ("template=BC_KT&period=2027-01%00", 422, "period"),
])
def test_bad_queries_are_refused_with_the_field(client, kt, query, status, field):
    viewer = _as(client, "kt.viewer")
    error = assert_error(viewer.get(f"/units/{kt.units['KT']}/consolidation?{query}"), status,
                         field)
    assert error["message"]


def test_refusals_come_in_order(client, kt, app):
    with app.app_context():
        other = factories.tenant("QT", "Hội LHPN tỉnh Quảng Trị", "province,commune,branch")
        db.session.commit()
        from lhpn.units.services import root_of

        other_root = root_of(other.id).id
    anonymous = Caller(client, None)
    assert anonymous.get(f"/units/{kt.units['KT']}/consolidation?template=BC_KT&"
                         "period=2027-01").status_code == 401
    branch_staff = _as(client, "kt.staff.x1a")
    # Another tenant's unit: 404 even with a bad query; a unit out of reach: 403 first.
    assert_error(branch_staff.get(f"/units/{other_root}/consolidation?template=X"), 404)
    assert_error(branch_staff.get(f"/units/{kt.units['KT']}/consolidation?template=X"), 403)
    own = branch_staff.get(f"/units/{kt.units['X1A']}/consolidation?template=BC_KT&"
                           "period=2027-01")
    assert own.status_code == 200


def test_the_country_is_for_the_system_administrator(client, kt, app, document):
    with app.app_context():
        accounts.create_user(None, tenant_id=None, username="sys.root",
                             password=factories.PASSWORD, full_name="Quản trị hệ thống",
                             is_system_admin=True)
        db.session.commit()
    assert_error(_as(client, "kt.admin").get("/consolidation?template=BC_KT&period=2027-01"), 403)
    system = _as(client, "sys.root")
    response = system.get("/consolidation?template=BC_KT&period=2027-01")
    assert response.status_code == 200, response.get_data(as_text=True)
    _valid(document, "/consolidation", response)
    body = response.get_json()
    assert body["values"]["SO_LUOT"] == 10 and body["reports"]["SO_LUOT"] == 4
    assert_error(system.get("/consolidation?template=BC_KT&period=tháng-1"), 422, "period")
