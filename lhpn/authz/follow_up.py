"""Who follows up the units below: reminding the late ones.

A unit's approver (the chair, who signs off what the units below send up) and its own staff
(who write its plans and follow the cascade day to day) remind the units below it that are
late with a plan a parent plan asked for, or with a report of a form and period. Plans and
reports ask this one rule.
"""

from lhpn.authz.engine import Forbidden, can
from lhpn.units.models import Unit


def may_remind(user, unit: Unit) -> bool:
    return can(user, "approve", unit) or can(user, "plan", unit)


def require_remind(user, unit: Unit) -> None:
    if not may_remind(user, unit):
        raise Forbidden("remind")
