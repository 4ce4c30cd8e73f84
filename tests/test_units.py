import pytest

from lhpn.errors import DomainError, NotFound
from lhpn.extensions import db
from lhpn.units import services
from lhpn.units.models import Unit


def test_world_paths(ctx, world):
    b111 = db.session.get(Unit, world.units["B111"])
    assert b111.ancestor_ids == [world.units["TB"], world.units["D1"], world.units["C11"],
                                 world.units["B111"]]
    assert b111.depth == 3
