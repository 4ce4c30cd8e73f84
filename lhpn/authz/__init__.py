"""The one authorization entry point.

* ``can(user, action, target)``: yes/no, for templates;
* ``require(user, action, target)``: raises ``Forbidden``, for views and services;
* ``reachable(user, action)``: a SQL condition on ``Unit`` that every list, export and job
  filters by, derived from the same policy lines as the single checks.

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

__all__ = [
    "ACTIONS",
    "SYSTEM",
    "Forbidden",
    "can",
    "engine",
    "reachable",
    "reachable_unit_ids",
    "reaches_any",
    "require",
    "roles_granting",
]
