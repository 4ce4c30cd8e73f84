"""Tenant isolation: no list, page, API answer or log shows one tenant's data to another."""

import pytest
from sqlalchemy import select

from lhpn.audit.models import AuditEntry
from lhpn.extensions import db
from lhpn.tenancy import acting_for
from lhpn.units.models import Unit
from tests.conftest import api_token, login

HY_NAMES = ("Hội LHPN phường Phố Hiến", "Chi hội tổ dân phố 1", "tenant_admin.hy", "member.hc1")


def test_orm_queries_are_scoped_to_the_acting_tenant(ctx, world):
    with acting_for(world.tenants["TB"]):
        codes = set(db.session.scalars(select(Unit.code)))
        assert "HC1" not in codes and {"TB", "D1", "B111"} <= codes
        # Even a query that names the other tenant's id finds nothing.
        assert db.session.scalars(select(Unit).where(Unit.id == world.units["HC1"])).all() == []
    # The escape hatch is explicit: no tenant set, inside a named crossing (the tests' own,
    # tests/conftest.py); lhpn/tenancy.py and tests/test_tenant_scoping.py say the rest.
    assert "HC1" in set(db.session.scalars(select(Unit.code)))


@pytest.mark.parametrize("path", ["/units/", "/units/?q=h", "/users/", "/users/?q=a",
                                  "/audit/", "/account", "/"])
def test_pages_never_show_another_tenants_data(client, world, path):
    login(client, "tenant_admin.tb")
    html = client.get(path).get_data(as_text=True)
    for name in HY_NAMES:
        assert name not in html, (path, name)


def test_audit_log_is_per_tenant(app, client, world):
    login(app.test_client(), "tenant_admin.hy")  # the HY admin's log-in is an audit entry of HY
    login(client, "tenant_admin.tb")
    html = client.get("/audit/?action=auth.login").get_data(as_text=True)
    assert "tenant_admin.tb" in html and "tenant_admin.hy" not in html
    with app.app_context():
        hy_entries = db.session.scalars(select(AuditEntry).where(
            AuditEntry.tenant_id == world.tenants["HY"])).all()
        assert hy_entries


@pytest.mark.parametrize("path", ["/api/v1/units", "/api/v1/units?q=ph", "/api/v1/users",
                                  "/api/v1/me"])
def test_api_lists_never_show_another_tenant(client, world, path):
    token = api_token(client, "tenant_admin.tb")
    response = client.get(path, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    for name in HY_NAMES:
        assert name not in text, (path, name)


@pytest.mark.parametrize("path", ["/units/{hy}", "/units/{hy}/move", "/users/{hy_user}",
                                  "/api/v1/units/{hy}", "/api/v1/users/{hy_user}"])
def test_other_tenant_ids_are_not_found_even_for_its_admin_role_name(client, world, path):
    login(client, "tenant_admin.tb")
    token = api_token(client, "tenant_admin.tb")
    url = path.format(hy=world.units["HY"], hy_user=world.users["tenant_admin.hy"])
    response = client.get(url, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 404
