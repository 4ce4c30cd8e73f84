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

* ``manages_tenant(actor)`` / ``require_manage_tenant``: the actor manages the tenant's root
  unit (the tenant's catalogue, forms and settings, its audit log, every import);
  ``tenant_managed_by(actor)`` is its SQL twin;
* ``approval_unit(item)``: a plan or report goes up to the unit above its unit (the root's own
  stays at the root); ``is_approver_of`` (403 part), ``is_own_submission``, and
  ``may_decide`` / ``require_decide``: nobody decides on what they submitted (422);
  ``units_approved_by(user)`` is the SQL twin for lists (signoff.py);
* ``may_enter_for(user, unit)`` / ``require_enter_for`` / ``enters_on_behalf``: a unit's staff
  enter its reports, and a commune's staff its branches' where the tenant allows it;
  ``enterable_units(user)`` is the SQL twin (entry.py);
* ``may_remind(user, unit)`` / ``require_remind``: who follows up the late units below
  (follow_up.py); ``may_read_plan`` / ``readable_plans`` and ``may_mark_counted`` (plans.py);
* ``may_review_reads(user)`` / ``require_review_reads``: ``review_reads`` on the tenant's root
  unit opens the tenant's log of sensitive reads (reads.py).

Role names and scopes appear only in ``policies/``; this package reads them from there
(``tenant_roles``, ``system_role``, ``all_roles`` in roles.py).
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
from lhpn.authz.entry import enterable_units, enters_on_behalf, may_enter_for, require_enter_for
from lhpn.authz.follow_up import may_remind, require_remind
from lhpn.authz.reads import may_review_reads, require_review_reads
from lhpn.authz.roles import all_roles, system_role, tenant_roles
from lhpn.authz.rules import (
    OwnAccount,
    is_own_account,
    manageable_users,
    manages_tenant,
    may_change_roles_of,
    may_lock,
    may_manage_user,
    may_reset_password_of,
    require_change_roles_of,
    require_lock,
    require_manage_tenant,
    require_manage_user,
    require_reset_password_of,
    tenant_managed_by,
)
from lhpn.authz.signoff import (
    approval_unit,
    is_approver_of,
    is_own_submission,
    may_decide,
    require_approver_of,
    require_decide,
    units_approved_by,
)

__all__ = [
    "ACTIONS",
    "SYSTEM",
    "Forbidden",
    "OwnAccount",
    "all_roles",
    "approval_unit",
    "can",
    "engine",
    "enterable_units",
    "enters_on_behalf",
    "is_approver_of",
    "is_own_account",
    "is_own_submission",
    "manageable_users",
    "manages_tenant",
    "may_change_roles_of",
    "may_decide",
    "may_enter_for",
    "may_lock",
    "may_manage_user",
    "may_remind",
    "may_reset_password_of",
    "may_review_reads",
    "reachable",
    "reachable_unit_ids",
    "reaches_any",
    "require",
    "require_approver_of",
    "require_change_roles_of",
    "require_decide",
    "require_enter_for",
    "require_lock",
    "require_manage_tenant",
    "require_manage_user",
    "require_remind",
    "require_reset_password_of",
    "require_review_reads",
    "roles_granting",
    "system_role",
    "tenant_managed_by",
    "tenant_roles",
    "units_approved_by",
]
