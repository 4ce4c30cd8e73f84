"""The roles, as ``policies/policy.csv`` names them: nowhere else holds the list.

A role granted at the ``system`` scope is the platform's (the system administrator, who belongs
to no tenant); every other role is held at a unit of a tenant. Both lists keep the order in
which the policy file first names each role, so pages and the API offer them in that order.
"""

from lhpn.authz.engine import engine


def _in_policy_order(*, system: bool) -> tuple[str, ...]:
    seen: dict[str, bool] = {}
    for role, scope, _action in engine().rules:
        seen.setdefault(role, False)
        seen[role] = seen[role] or scope == "system"
    return tuple(role for role, is_system in seen.items() if is_system == system)


def tenant_roles() -> tuple[str, ...]:
    """The roles a user of a tenant may hold at a unit (what an administrator grants)."""
    return _in_policy_order(system=False)


def system_role() -> str:
    """The one role of the platform itself (the system administrator's)."""
    roles = _in_policy_order(system=True)
    if len(roles) != 1:
        raise RuntimeError(f"policies/ must grant exactly one role at the system scope: {roles}")
    return roles[0]


def all_roles() -> tuple[str, ...]:
    """Every role, the platform's first (what the command line accepts)."""
    return (system_role(), *tenant_roles())
