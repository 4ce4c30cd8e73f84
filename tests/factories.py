"""Builders that go through the real services, so test data obeys the domain rules."""

from datetime import date

from lhpn.accounts import services as accounts
from lhpn.tenants.services import create_tenant
from lhpn.units import services as units

PASSWORD = "Mat-khau-2026"
WORLD_OPENED = date(2025, 1, 1)


def tenant(code: str, name: str, levels: str):
    return create_tenant(None, code, name, levels.split(","))


def unit(parent, name: str, level: str, code: str | None = None, opened_on=None):
    return units.create_unit(None, parent, name, level, code, opened_on=opened_on)


def user(tenant_obj, username: str, role: str | None, at_unit, home_unit=None):
    u = accounts.create_user(None, tenant_id=tenant_obj.id, username=username,
                             password=PASSWORD, full_name=username.title(),
                             unit=home_unit or at_unit)
    if role:
        accounts.assign_role(None, u, role, at_unit)
    return u


def build_world():
    """Legacy tenant TB: root › D1, D2 (districts) › C11, C12, C21 (communes) › B111 (branch).
    Post-2025 tenant HY: root › HC1 (commune) › HB11 (branch). One user per role at D1, the
    TB root and the HY root. Every unit opened on WORLD_OPENED, before the calendars the tests
    read."""
    from tests.conftest import World

    w = World()
    tb = tenant("TB", "Hội LHPN tỉnh Thái Bình", "province,district,commune,branch")
    hy = tenant("HY", "Hội LHPN tỉnh Hưng Yên", "province,commune,branch")
    w.tenants = {"TB": tb.id, "HY": hy.id}
    tb_root = units.root_of(tb.id)
    hy_root = units.root_of(hy.id)
    units.set_opened_on(None, tb_root, WORLD_OPENED)
    units.set_opened_on(None, hy_root, WORLD_OPENED)
    opened = WORLD_OPENED
    d1 = unit(tb_root, "Hội LHPN huyện Hưng Hà", "district", "D1", opened)
    d2 = unit(tb_root, "Hội LHPN huyện Đông Hưng", "district", "D2", opened)
    c11 = unit(d1, "Hội LHPN xã Tân Lễ", "commune", "C11", opened)
    c12 = unit(d1, "Hội LHPN xã Canh Tân", "commune", "C12", opened)
    c21 = unit(d2, "Hội LHPN xã Đông Á", "commune", "C21", opened)
    b111 = unit(c11, "Chi hội thôn Tân Hòa", "branch", "B111", opened)
    hc1 = unit(hy_root, "Hội LHPN phường Phố Hiến", "commune", "HC1", opened)
    hb11 = unit(hc1, "Chi hội tổ dân phố 1", "branch", "HB11", opened)
    for obj in (tb_root, d1, d2, c11, c12, c21, b111, hy_root, hc1, hb11):
        w.units[obj.code] = obj.id
    for role in ("tenant_admin", "approver", "staff", "viewer"):
        w.users[f"{role}.d1"] = user(tb, f"{role}.d1", role, d1).id
        w.users[f"{role}.tb"] = user(tb, f"{role}.tb", role, tb_root).id
        w.users[f"{role}.hy"] = user(hy, f"{role}.hy", role, hy_root).id
    w.users["norole.d1"] = user(tb, "norole.d1", None, d1).id
    # Plain members (a viewer role at their own unit): targets for the user-management checks.
    for obj, tenant_obj in ((d1, tb), (c11, tb), (b111, tb), (tb_root, tb), (d2, tb),
                            (hc1, hy)):
        name = f"member.{obj.code.lower()}"
        w.users[name] = user(tenant_obj, name, "viewer", obj).id
    return w
