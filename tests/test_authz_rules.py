"""The named composite rules of lhpn/authz, each against a small tree, and each SQL twin against
its predicate over every unit and user of the tree.

The tree (tests/factories.py): TB root › D1, D2 › C11, C12, C21 › B111; HY root › HC1 › HB11.
Roles are held at D1 and at each root; ``staff.c11`` (added here) is a commune's officer.
"""

import importlib
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from lhpn import authz
from lhpn.accounts.models import User
from lhpn.errors import DomainError
from lhpn.extensions import db
from lhpn.reports import services as reports
from lhpn.tenants.models import Tenant
from lhpn.units.models import Unit
from tests import factories

LHPN = Path(__file__).resolve().parents[1] / "lhpn"
# The module, not the ``engine()`` function the package exports under the same name.
engine_module = importlib.import_module("lhpn.authz.engine")


def _user(world, name: str) -> User:
    return db.session.get(User, world.users[name])


def _unit(world, code: str) -> Unit:
    return db.session.get(Unit, world.units[code])


def _commune_staff(world) -> User:
    tb = db.session.get(Tenant, world.tenants["TB"])
    return factories.user(tb, "staff.c11", "staff", _unit(world, "C11"))


def _item(unit: Unit, submitted_by: User | None = None) -> SimpleNamespace:
    """Anything signed off: a unit's plan or report, submitted by someone (or not yet)."""
    return SimpleNamespace(unit=unit, submitted_by_id=submitted_by.id if submitted_by else None)


def _everyone() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.id)))


def _all_units() -> list[Unit]:
    return list(db.session.scalars(select(Unit).order_by(Unit.id)))


def _ids(condition) -> set[int]:
    return set(db.session.scalars(select(Unit.id).where(condition)))


# ---- sign-off: the approval unit, and nobody decides on what they submitted ---------------------

def test_the_approval_unit_is_the_unit_above_and_the_root_signs_off_its_own(ctx, world):
    assert authz.approval_unit(_item(_unit(world, "C11"))).code == "D1"
    assert authz.approval_unit(_item(_unit(world, "D1"))).code == "TB"
    assert authz.approval_unit(_item(_unit(world, "TB"))).code == "TB"


@pytest.mark.parametrize(("user", "unit", "expected"), [
    ("approver.d1", "C11", True),    # its child
    ("approver.d1", "B111", False),  # a grandchild goes to C11
    ("approver.d1", "D1", False),    # its own unit's items go to TB
    ("approver.d1", "C21", False),   # a sibling district's commune
    ("approver.tb", "D1", True),
    ("approver.tb", "TB", True),     # the root's own
    ("approver.hy", "C11", False),   # another tenant
    ("staff.d1", "C11", False),
    ("tenant_admin.d1", "C11", False),
])
def test_is_approver_of(ctx, world, user, unit, expected):
    assert authz.is_approver_of(_user(world, user), _item(_unit(world, unit))) is expected


def test_nobody_decides_on_what_they_submitted(ctx, world):
    approver = _user(world, "approver.d1")
    c11 = _unit(world, "C11")
    assert authz.may_decide(approver, _item(c11, _user(world, "staff.d1")))
    assert authz.may_decide(approver, _item(c11))
    own = _item(c11, approver)
    assert authz.is_own_submission(approver, own)
    assert not authz.is_own_submission(approver, _item(c11))
    assert not authz.may_decide(approver, own)
    with pytest.raises(DomainError, match="chính mình"):
        authz.require_decide(approver, own, "Không tự quyết định điều do chính mình gửi.")
    # Who is not the approver is refused first (403), whoever submitted.
    staff = _user(world, "staff.d1")
    with pytest.raises(authz.Forbidden):
        authz.require_decide(staff, _item(c11, staff), "—")
    assert not authz.may_decide(staff, _item(c11))


def test_units_approved_by_is_is_approver_of_for_lists(ctx, world):
    _commune_staff(world)
    db.session.flush()
    units = _all_units()
    assert len(units) == 10
    for user in _everyone():
        expected = {u.id for u in units if authz.is_approver_of(user, _item(u))}
        assert _ids(authz.units_approved_by(user)) == expected, user.username
    assert _ids(authz.units_approved_by(_user(world, "approver.tb"))) == {
        world.units[c] for c in ("TB", "D1", "D2")}


def test_the_inbox_holds_the_roots_own_submissions_for_the_roots_approver(ctx, world):
    """The inbox asks ``units_approved_by``: the root's own report, which the root's approver
    signs off, waits there too (before, only the children's did)."""
    template = reports.get_template(world.tenants["TB"], "BC_THANG")
    template.levels = "province," + template.levels
    tb = db.session.get(Tenant, world.tenants["TB"])
    staff = factories.user(tb, "staff.root", "staff", _unit(world, "TB"))
    report = reports.open_report(staff, _unit(world, "TB"), template, "2026-10")
    reports.save_report(staff, report, {"TUYEN_TRUYEN": 1}, report.version)
    reports.submit_report(staff, report)
    waiting = db.session.scalars(reports.inbox(_user(world, "approver.tb"))).all()
    assert [r.id for r in waiting] == [report.id]
    assert db.session.scalars(reports.inbox(_user(world, "approver.d1"))).all() == []


# ---- entering reports: the unit's staff, and a commune's staff for its branches ----------------

@pytest.mark.parametrize("allowed", [True, False])
def test_may_enter_for(ctx, world, allowed):
    staff = _commune_staff(world)
    db.session.get(Tenant, world.tenants["TB"]).allow_on_behalf = allowed
    assert authz.may_enter_for(staff, _unit(world, "C11"))
    assert authz.may_enter_for(staff, _unit(world, "B111")) is allowed
    assert authz.enters_on_behalf(staff, _unit(world, "B111")) is allowed
    assert not authz.enters_on_behalf(staff, _unit(world, "C11"))
    assert not authz.may_enter_for(staff, _unit(world, "C12"))
    assert not authz.may_enter_for(staff, _unit(world, "D1"))
    # A district's staff enter for the district only: its communes are not branches.
    district = _user(world, "staff.d1")
    assert authz.may_enter_for(district, _unit(world, "D1"))
    assert not authz.may_enter_for(district, _unit(world, "C11"))
    assert not authz.may_enter_for(_user(world, "approver.d1"), _unit(world, "D1"))
    with pytest.raises(authz.Forbidden):
        authz.require_enter_for(staff, _unit(world, "C12"))


@pytest.mark.parametrize("allowed", [True, False])
def test_enterable_units_is_may_enter_for_for_lists(ctx, world, allowed):
    commune = _commune_staff(world)
    hy = db.session.get(Tenant, world.tenants["HY"])
    other = factories.user(hy, "staff.hc1", "staff", _unit(world, "HC1"))
    db.session.get(Tenant, world.tenants["TB"]).allow_on_behalf = allowed
    db.session.flush()
    units = _all_units()
    for user in _everyone():
        expected = {u.id for u in units if authz.may_enter_for(user, u)}
        assert _ids(authz.enterable_units(user)) == expected, user.username
    assert (world.units["B111"] in _ids(authz.enterable_units(commune))) is allowed
    assert world.units["HB11"] in _ids(authz.enterable_units(other))


# ---- managing the tenant: whoever manages its root -------------------------------------------

@pytest.mark.parametrize(("user", "expected"), [
    ("tenant_admin.tb", True), ("tenant_admin.hy", True), ("tenant_admin.d1", False),
    ("approver.tb", False), ("staff.tb", False), ("viewer.tb", False), ("norole.d1", False),
])
def test_manages_tenant(ctx, world, user, expected):
    actor = _user(world, user)
    assert authz.manages_tenant(actor) is expected
    if expected:
        authz.require_manage_tenant(actor)
    else:
        with pytest.raises(authz.Forbidden):
            authz.require_manage_tenant(actor)


def test_the_system_administrator_manages_no_tenant(ctx, world):
    sysadmin = factories.accounts.create_user(None, tenant_id=None, username="root.ops",
                                              password=factories.PASSWORD, is_system_admin=True)
    assert authz.can(sysadmin, "manage", authz.SYSTEM)
    assert not authz.manages_tenant(sysadmin)
    assert db.session.scalar(select(authz.tenant_managed_by(sysadmin))) is False


def test_tenant_managed_by_is_manages_tenant_in_sql(ctx, world):
    for user in _everyone():
        assert db.session.scalar(select(authz.tenant_managed_by(user))) \
            is authz.manages_tenant(user), user.username


# ---- the roles come from policies/ ---------------------------------------------------------------

def _policy_roles(text: str) -> list[str]:
    roles: list[str] = []
    for line in text.splitlines():
        parts = [p.strip() for p in line.split(",")]
        if parts[0] == "p" and parts[1] not in roles:
            roles.append(parts[1])
    return roles


def test_the_roles_are_those_of_the_policy_file_in_its_order(ctx):
    named = _policy_roles((engine_module.POLICY_DIR / "policy.csv").read_text())
    assert authz.all_roles() == tuple(named)
    assert authz.system_role() == named[0]
    assert authz.tenant_roles() == tuple(named[1:])


def test_a_role_added_to_the_policy_is_offered_without_code(ctx, tmp_path, monkeypatch):
    for name in ("model.conf", "policy.csv"):
        (tmp_path / name).write_text((engine_module.POLICY_DIR / name).read_text())
    with (tmp_path / "policy.csv").open("a") as policy:
        policy.write("p, clerk, self, view\n")
    monkeypatch.setattr(engine_module, "_engine", engine_module.Engine(tmp_path))
    assert authz.tenant_roles()[-1] == "clerk"
    assert "clerk" in authz.all_roles()
    from lhpn.accounts.admin_views import _role_choices

    assert [value for value, _label in _role_choices()][1:] == list(authz.tenant_roles())


# ---- role names are written only in policies/ and lhpn/authz ------------------------------------

# Display labels and demo data name roles as data; nothing else may compare role names by hand.
ROLE_NAME_ALLOWED = ("authz/", "labels.py", "demo.py", "generate.py", "demo/")


def test_no_role_name_literal_outside_authz(ctx):
    names = "|".join(re.escape(role) for role in authz.all_roles())
    literal = re.compile(rf"""["']({names})["']""")
    found = []
    for path in sorted(LHPN.rglob("*")):
        if path.suffix not in (".py", ".html") or not path.is_file():
            continue
        relative = path.relative_to(LHPN).as_posix()
        if relative.startswith(ROLE_NAME_ALLOWED):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if literal.search(line):
                found.append(f"lhpn/{relative}:{number}: {line.strip()}")
    assert found == []
