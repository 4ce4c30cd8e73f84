"""Tenant scoping fails closed (lhpn/tenancy.py): a read of a scoped table with no tenant set
raises unless the code names its crossing; ``session.get`` never hands out another tenant's
object; and the Core read paths (consolidation, dashboard, exports) keep two tenants apart
even when their ids interleave."""

import contextvars
import re
from io import BytesIO

import openpyxl
import pytest
from sqlalchemy import func, select

from lhpn.consolidation import services as consolidation
from lhpn.extensions import db
from lhpn.tenancy import (
    CROSSINGS,
    TenantNotSet,
    acting_for,
    crossing_tenants,
    scoped_tables,
)
from lhpn.units.models import Unit
from tests import consolidation_world as kw
from tests.conftest import api_token, login

# ---- failing closed ----------------------------------------------------------------------------


def _outside_every_crossing(app, work):
    """Run ``work`` as code of the app that set neither a tenant nor a crossing: in a fresh
    context, without the crossing the tests' own set-up runs in (tests/conftest.py)."""

    def run():
        with app.app_context():
            try:
                return work()
            finally:
                db.session.rollback()

    return contextvars.Context().run(run)


READS = {
    "select": lambda ids: db.session.scalars(select(Unit.code)).all(),
    "count": lambda ids: db.session.scalar(select(func.count()).select_from(Unit)),
    "session.get": lambda ids: db.session.get(Unit, ids["TB"]),
    "core statement": lambda ids: db.session.execute(
        select(Unit.__table__.c.code)).all(),
    "connection statement": lambda ids: consolidation._core(select(Unit.__table__.c.code)),
}


@pytest.mark.parametrize("read", list(READS))
def test_a_scoped_read_with_no_tenant_raises(app, world, read):
    ids = {"TB": world.units["TB"]}
    with pytest.raises(TenantNotSet):
        _outside_every_crossing(app, lambda: READS[read](ids))


def test_unscoped_tables_read_without_a_tenant(app, world):
    """Log-in finds its account before any tenant is known: users and tenants are not scoped."""
    from lhpn.accounts.models import User
    from lhpn.tenants.models import Tenant

    def work():
        return (db.session.scalar(select(User.id).where(User.username == "tenant_admin.tb")),
                len(db.session.scalars(select(Tenant)).all()))

    user_id, tenants = _outside_every_crossing(app, work)
    assert user_id == world.users["tenant_admin.tb"] and tenants == 2


@pytest.mark.parametrize("name", sorted(CROSSINGS))
def test_each_named_crossing_reads_every_tenant(app, world, name):
    def work():
        with crossing_tenants(name):
            return set(db.session.scalars(select(Unit.code)))

    codes = _outside_every_crossing(app, work)
    assert {"TB", "HY", "HC1", "B111"} <= codes


def test_a_crossing_must_be_named_from_the_list():
    with pytest.raises(ValueError, match="unknown tenant crossing"):
        with crossing_tenants("because"):
            pass


def test_a_user_of_no_tenant_sees_no_tenants_rows(client, app, world):
    """The system administrator's requests act for no tenant (NO_TENANT): scoped lists are
    empty and ids are not found, rather than every tenant's rows or a crash."""
    from lhpn.accounts.services import create_user
    from tests.factories import PASSWORD

    with app.app_context():
        create_user(None, tenant_id=None, username="sysadmin", password=PASSWORD,
                    is_system_admin=True)
        db.session.commit()
    login(client, "sysadmin")
    tree = client.get("/units/")
    assert tree.status_code == 200
    assert "Hưng Hà" not in tree.get_data(as_text=True)
    assert client.get(f"/units/{world.units['TB']}").status_code in (403, 404)


def test_inside_a_crossing_a_set_tenant_still_scopes(app, world):
    def work():
        with crossing_tenants("cli"), acting_for(world.tenants["TB"]):
            return set(db.session.scalars(select(Unit.code)))

    codes = _outside_every_crossing(app, work)
    assert "TB" in codes and "HY" not in codes and "HC1" not in codes


def test_session_get_never_returns_another_tenants_object_from_the_identity_map(app, world):
    def work():
        with crossing_tenants("tests"):
            hy_root = db.session.get(Unit, world.units["HY"])  # now in the identity map
        with acting_for(world.tenants["TB"]):
            other = db.session.get(Unit, world.units["HY"])
            own = db.session.get(Unit, world.units["TB"])
        return hy_root, other, own

    hy_root, other, own = _outside_every_crossing(app, work)
    assert hy_root is not None and other is None and own is not None


def test_the_cli_crosses_by_name(app, world):
    """``flask user create`` looks the unit up by code with no tenant set: inside "cli"."""
    runner = app.test_cli_runner()
    result = contextvars.Context().run(
        runner.invoke, args=["user", "create", "tb.new", "--tenant", "TB", "--unit", "D1",
                             "--role", "viewer", "--password-stdin"],
        input="mot-mat-khau-dai\n")
    assert result.exit_code == 0, result.output


def test_the_system_administrator_pages_cross_by_name(app, client, world):
    from lhpn.accounts.services import create_user
    from tests.factories import PASSWORD

    with app.app_context():
        create_user(None, tenant_id=None, username="sysadmin", password=PASSWORD,
                    is_system_admin=True)
        db.session.commit()
    login(client, "sysadmin")
    response = client.get("/system/tenants")
    assert response.status_code == 200
    # Each tenant's own unit count: TB has 7 units, HY 3.
    counts = re.findall(r'<td data-label="Mã">(\w+)</td>.*?<td data-label="Đơn vị">(\d+)</td>',
                        response.get_data(as_text=True), re.S)
    assert dict(counts) == {"TB": "7", "HY": "3"}


def test_scoped_tables_are_the_tenant_scoped_models():
    assert {"units", "reports", "plans", "role_assignments", "workflow_events",
            "follow_ups", "incidents", "incident_kinds", "incident_victims",
            "incident_interventions"} <= scoped_tables()
    assert not {"users", "tenants", "rollups", "report_values"} & scoped_tables()


# ---- the Core read paths, two tenants whose ids interleave -------------------------------------

# The second province files other figures: if any of them leaked into the first one's (or the
# other way round), a total would change.
VALUES_KU = {
    "X1": {"SO_LUOT": 300, "NHO_NHAT": 0.5, "LON_NHAT": 90,
           "TY_LE": {"numerator": 1, "denominator": 40}, "CO_KHONG": False},
    "X1A": {"SO_LUOT": 500, "NHO_NHAT": 0.75, "LON_NHAT": 70,
            "TY_LE": {"numerator": 3, "denominator": 60}, "CO_KHONG": False},
    "X1B": {"SO_LUOT": 700, "TY_LE": {"numerator": 0, "denominator": 100}, "CO_KHONG": False},
    "X2A": {"SO_LUOT": 200, "NHO_NHAT": 0.25, "LON_NHAT": 80,
            "TY_LE": {"numerator": 2, "denominator": 50}, "CO_KHONG": False},
}
EXPECTED_KU_ROOT = {"SO_LUOT": 1700, "NHO_NHAT": 0.25, "LON_NHAT": 90, "TY_LE": 2.4,
                    "CO_KHONG": 0.0, "GHI_CHU": None}


@pytest.fixture
def pair(app):
    with app.app_context():
        kt, ku = kw.build_many([("KT", "Hội LHPN tỉnh Kiểm Thử"),
                                ("KU", "Hội LHPN tỉnh Kiểm Tra")])
        # Filed alternately too: report, value and rollup rows interleave as well.
        for code, values in kw.VALUES.items():
            kw.file(kt, code, kw.JAN, values)
            kw.file(ku, code, kw.JAN, VALUES_KU[code])
        kw.issue_plan(kt)
        kw.issue_plan(ku)
        return kt, ku


def test_the_pair_really_interleaves(pair):
    kt, ku = pair
    assert kt.units["X1"] < ku.units["X1"] < kt.units["X2"] < ku.units["X2"]
    assert kt.units["X1A"] < ku.units["X1A"] < kt.units["X1B"]


def test_consolidation_services_keep_each_tenant_apart(app, pair):
    for kt, expected in zip(pair, (kw.EXPECTED["KT"], EXPECTED_KU_ROOT), strict=True):
        with app.app_context(), acting_for(kt.tenant_id):
            result = consolidation.consolidate(kt.unit("KT"), kt.template, [kw.JAN])
            assert result.values_by_code() == pytest.approx(expected)
            assert (result.counts.expected, result.counts.approved) == (5, 4)


@pytest.mark.parametrize("side", [0, 1])
def test_the_consolidation_api_keeps_each_tenant_apart(client, pair, side):
    kt = pair[side]
    expected = (kw.EXPECTED["KT"], EXPECTED_KU_ROOT)[side]
    token = api_token(client, f"{kt.prefix}.viewer")
    body = client.get(f"/api/v1/units/{kt.units['KT']}/consolidation?template=BC_KT&"
                      f"period={kw.JAN}", headers={"Authorization": f"Bearer {token}"}
                      ).get_json()
    assert body["values"] == pytest.approx(expected)
    assert (body["expected"], body["approved"]) == (5, 4)
    other = pair[1 - side]
    # The other province's root is not found, not forbidden.
    assert client.get(f"/api/v1/units/{other.units['KT']}/consolidation?template=BC_KT&"
                      f"period={kw.JAN}", headers={"Authorization": f"Bearer {token}"}
                      ).status_code == 404


def test_the_consolidation_page_and_dashboard_keep_each_tenant_apart(client, pair):
    kt, ku = pair
    login(client, "ku.viewer")
    html = client.get(f"/units/{ku.units['KT']}/consolidation?template=BC_KT&"
                      f"period={kw.JAN}").get_data(as_text=True)
    cell = re.search(r'<tr data-code="SO_LUOT">.*?class="num value">([^<]*)<', html, re.S)
    assert cell and cell.group(1) == "1.700"
    assert 'id="completeness">4/5 (80%)' in html
    dashboard = client.get(f"/?unit={ku.units['KT']}&template=BC_KT&period={kw.JAN}")
    assert dashboard.status_code == 200
    text = dashboard.get_data(as_text=True)
    assert "Kiểm Thử" not in text
    # Attainment on the dashboard: KU's communes reach SO_LUOT ≥ 3 (300, 200), KT's X2 did not.
    assert client.get(f"/units/{kt.units['KT']}/consolidation").status_code == 404


def test_the_excel_export_keeps_each_tenant_apart(client, pair):
    kt, ku = pair
    login(client, "kt.viewer")
    response = client.get(f"/units/{kt.units['KT']}/consolidation.xlsx?template=BC_KT&"
                          f"period={kw.JAN}")
    assert response.status_code == 200
    book = openpyxl.load_workbook(BytesIO(response.data))
    rows = {row[1].value: row[5].value for row in book["Tổng hợp"].iter_rows(min_row=3)}
    assert rows["SO_LUOT"] == 10 and rows["LON_NHAT"] == 7
    children = [row[0].value for row in book["Đơn vị trực thuộc"].iter_rows(min_row=3)]
    assert len(children) == 2
    assert client.get(f"/units/{ku.units['KT']}/consolidation.xlsx?template=BC_KT&"
                      f"period={kw.JAN}").status_code == 404
