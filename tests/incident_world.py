"""The people around commune C11 that the incident tests act as (a pytest plugin, registered in
tests/conftest.py): its officer and chair, a sibling commune's officer and protection officer,
the province's protection officer and another tenant's; and the victim's details the tests look
for where they must not be."""

import pytest

from lhpn.extensions import db
from lhpn.units.models import Unit
from tests import factories

NAME, PHONE, ADDRESS = "Nguyễn Thị Hoa", "0912 345 678", "Xóm 3, thôn Tân Hòa"
FACTS = "Bị chồng đánh gây thương tích ở tay, hàng xóm can ngăn."
SECRETS = (NAME, PHONE, ADDRESS, FACTS)


def add_incident_people(world) -> None:
    """Officers around commune C11 (district D1 of TB): its staff and chair, a protection
    officer of the province and one of the sibling commune C12."""
    tb = db.session.get(Unit, world.units["C11"]).tenant
    hy_root = db.session.get(Unit, world.units["HC1"]).parent
    for username, role, code in (("staff.c11", "staff", "C11"), ("approver.c11", "approver", "C11"),
                                 ("staff.c12", "staff", "C12"),
                                 ("protection.c12", "protection_officer", "C12")):
        world.users[username] = factories.user(tb, username, role,
                                               db.session.get(Unit, world.units[code])).id
    root = db.session.get(Unit, world.units["C11"]).parent.parent
    world.users["protection.tb"] = factories.user(tb, "protection.tb", "protection_officer",
                                                  root).id
    world.users["protection.hy"] = factories.user(hy_root.tenant, "protection.hy",
                                                  "protection_officer", hy_root).id


@pytest.fixture
def people(app, world):
    """The world with the people around C11 (``add_incident_people``)."""
    with app.app_context():
        add_incident_people(world)
        db.session.commit()
    return world
