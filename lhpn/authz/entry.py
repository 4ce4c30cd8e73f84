"""Who enters a unit's reports: its staff, and the commune's staff for a branch.

The staff of a unit (``submit`` on it) fill in and send its reports. Where the tenant allows it
(on by default), the staff of a commune also enter the reports of its branches, recorded as
"entered on behalf": most branches have no one at a computer. The report services, the report
pages and the API ask ``may_enter_for``; the list of units a user may open a report for is
``enterable_units``, the same rule as a condition on ``Unit``.
"""

from sqlalchemy import ColumnElement, and_, exists, or_, select

from lhpn.authz.engine import Forbidden, can, reachable, reachable_unit_ids
from lhpn.tenants.models import Tenant
from lhpn.units.models import Unit

BRANCH = "branch"


def may_enter_for(user, unit: Unit) -> bool:
    """Staff of the unit; or, where the tenant allows it, staff of the commune for a branch."""
    if can(user, "submit", unit):
        return True
    parent = unit.parent
    return bool(unit.tenant.allow_on_behalf and parent is not None and unit.level == BRANCH
                and can(user, "submit", parent))


def require_enter_for(user, unit: Unit) -> None:
    if not may_enter_for(user, unit):
        raise Forbidden("submit")


def enters_on_behalf(user, unit: Unit) -> bool:
    """The user enters for the unit without being its staff (the commune for a branch)."""
    return may_enter_for(user, unit) and not can(user, "submit", unit)


def enterable_units(user) -> ColumnElement[bool]:
    """A condition on Unit: the units ``user`` may enter reports for (``may_enter_for``)."""
    allowed = exists(select(Tenant.id).where(Tenant.id == Unit.tenant_id,
                                             Tenant.allow_on_behalf))
    return or_(reachable(user, "submit"),
               and_(Unit.level == BRANCH, Unit.parent_id.in_(reachable_unit_ids(user, "submit")),
                    allowed))
