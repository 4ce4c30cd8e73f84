"""The one authorization entry point.

* ``can(user, action, target)``: yes/no, for templates;
* ``require(user, action, target)``: raises ``Forbidden``, for views and services;
* ``reachable(user, action)``: a SQL condition on ``Unit`` that every list, export and job
  filters by, derived from the same policy lines as the single checks.

Composite rules are named here too (``rules.py``), each with its raising twin and, where a
list needs one, its SQL twin:

* ``may_manage_user(actor, user)`` / ``require_manage_user``: the actor manages the user's work
  unit (the root when none) and every unit where the user holds a role;
  ``manageable_users(actor)`` is the same rule as a condition on ``User`` for lists;
* ``may_change_roles_of``, ``may_reset_password_of``, ``may_lock`` (and ``require_*``): as
  above, and never on one's own account (``OwnAccount``, a 422 domain error).

Role names and scopes appear only in ``policies/``; this package reads them from there.
"""

from lhpn.authz.engine import (
    ACTIONS,
    SYSTEM,
    Forbidden,
    can,
    engine,
    reachable,
    reachable_unit_ids,
    reaches_any,
    require,
    roles_granting,
)
from lhpn.authz.rules import (
    OwnAccount,
    is_own_account,
    manageable_users,
    may_change_roles_of,
    may_lock,
    may_manage_user,
    may_reset_password_of,
    require_change_roles_of,
    require_lock,
    require_manage_user,
    require_reset_password_of,
)

__all__ = [
    "ACTIONS",
    "SYSTEM",
    "Forbidden",
    "OwnAccount",
    "can",
    "engine",
    "is_own_account",
    "manageable_users",
    "may_change_roles_of",
    "may_lock",
    "may_manage_user",
    "may_reset_password_of",
    "reachable",
    "reachable_unit_ids",
    "reaches_any",
    "require",
    "require_change_roles_of",
    "require_lock",
    "require_manage_user",
    "require_reset_password_of",
    "roles_granting",
]
