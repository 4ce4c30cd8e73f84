"""Loading an object for the current user: 404 for what is not theirs to know, then 403."""

from flask_login import current_user

from lhpn import authz
from lhpn.units.models import Unit
from lhpn.units.services import get_unit


def load_unit(unit_id: object, action: str) -> Unit:
    unit = get_unit(current_user.tenant_id, unit_id)
    authz.require(current_user, action, unit)
    return unit
