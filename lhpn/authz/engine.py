import threading
from dataclasses import dataclass
from pathlib import Path

import casbin
from sqlalchemy import ColumnElement, false, or_, select

from lhpn.units.models import Unit

# read_issued: read the issued (approved) plans of a unit; the "ancestors" scope gives it to the
# roles of every unit below (lhpn/authz/plans.py composes it into the plan-reading rule).
# The incidents of violence (lhpn/incidents): record_incident (record one at the unit),
# read_protected (read a victim's identity, contact and the facts in clear: everyone else who
# may view the unit sees the case masked), alert_incident (is told at once of a new one),
# review_reads (review the log of sensitive reads: asked on the tenant's root).
# record_oversight: record and handle the unit's own critiques, comments on drafts and
# dialogues (lhpn/critiques, lhpn/dialogues).
ACTIONS = ("view", "plan", "submit", "approve", "manage", "read_issued",
           "record_incident", "read_protected", "alert_incident", "review_reads",
           "handle_petition", "record_oversight")
POLICY_DIR = Path(__file__).resolve().parents[2] / "policies"


class Forbidden(Exception):
    """The user may not do this (shown as 403)."""


@dataclass(frozen=True)
class Target:
    unit_id: int | None
    parent_id: int | None
    ancestors: tuple[int, ...]  # root first, the unit itself last


SYSTEM = Target(None, None, ())


@dataclass(frozen=True)
class Principal:
    """What a user holds: (role, unit id) pairs; the system administrator holds the platform."""

    holdings: frozenset[tuple[str, int | None]]
    # (role, unit) for every unit at or above a unit where the role is held: the reach of the
    # "ancestors" scope, from the held units' paths.
    above: frozenset[tuple[str, int]] = frozenset()


def reaches(principal: Principal, role: str, scope: str, target: Target) -> bool:
    if scope == "system":
        return target is SYSTEM and (role, None) in principal.holdings
    if target.unit_id is None:
        return False
    if scope == "ancestors":
        return (role, target.unit_id) in principal.above
    for held_role, unit_id in principal.holdings:
        if held_role != role or unit_id is None:
            continue
        if unit_id == target.unit_id:
            return True
        if scope == "children" and target.parent_id == unit_id:
            return True
        if scope == "subtree" and unit_id in target.ancestors:
            return True
    return False


class Engine:
    """Casbin enforcer over the role→permission template; serialised (see DESIGN.md §3)."""

    def __init__(self, policy_dir: Path = POLICY_DIR) -> None:
        self._enforcer = casbin.Enforcer(
            str(policy_dir / "model.conf"), str(policy_dir / "policy.csv")
        )
        self._enforcer.add_function("reaches", reaches)
        self._lock = threading.Lock()
        self.rules: list[tuple[str, str, str]] = [
            (role, scope, act) for role, scope, act in self._enforcer.get_policy()
        ]

    def enforce(self, principal: Principal, target: Target, action: str) -> bool:
        with self._lock:
            return bool(self._enforcer.enforce(principal, target, action))


_engine: Engine | None = None
_engine_lock = threading.Lock()


def engine() -> Engine:
    global _engine
    if _engine is None:
        with _engine_lock:
            if _engine is None:
                _engine = Engine()
    return _engine


def principal_of(user) -> Principal:
    cached = getattr(user, "_lhpn_principal", None)
    if cached is not None:
        return cached
    holdings: set[tuple[str, int | None]] = set()
    above: set[tuple[str, int]] = set()
    if user is not None and getattr(user, "is_authenticated", False) and not user.locked:
        if user.is_system_admin:
            from lhpn.authz.roles import system_role

            holdings.add((system_role(), None))
        for a in user.assignments:
            holdings.add((a.role, a.unit_id))
            if a.unit is not None:
                above.update((a.role, unit_id) for unit_id in a.unit.ancestor_ids)
    principal = Principal(frozenset(holdings), frozenset(above))
    if user is not None:
        user._lhpn_principal = principal
    return principal


def forget_principal(user) -> None:
    """Call after changing a user's assignments within the same request."""
    if hasattr(user, "_lhpn_principal"):
        del user._lhpn_principal


def target_of(obj) -> Target:
    if obj is SYSTEM or isinstance(obj, Target):
        return obj
    unit = obj if isinstance(obj, Unit) else obj.unit
    return Target(unit.id, unit.parent_id, tuple(unit.ancestor_ids))


def can(user, action: str, obj) -> bool:
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    target = target_of(obj)
    if target is not SYSTEM and getattr(obj, "tenant_id", user.tenant_id) != user.tenant_id:
        return False
    return engine().enforce(principal_of(user), target, action)


def require(user, action: str, obj) -> None:
    if not can(user, action, obj):
        raise Forbidden(action)


def roles_granting(action: str) -> dict[str, str]:
    """role → scope for the policy lines that grant ``action``."""
    return {role: scope for role, scope, act in engine().rules if act == action}


def reachable(user, action: str) -> ColumnElement[bool]:
    """A condition on Unit: the units ``user`` may do ``action`` on."""
    if user is None or not getattr(user, "is_authenticated", False) or user.locked:
        return false()
    scopes = roles_granting(action)
    clauses = []
    for assignment in user.assignments:
        scope = scopes.get(assignment.role)
        unit = assignment.unit
        if scope is None or unit is None:
            continue
        if scope == "self":
            clauses.append(Unit.id == unit.id)
        elif scope == "children":
            clauses.append(or_(Unit.id == unit.id, Unit.parent_id == unit.id))
        elif scope == "subtree":
            clauses.append(Unit.path.startswith(unit.path, autoescape=True))
        elif scope == "ancestors":
            clauses.append(Unit.id.in_(unit.ancestor_ids))
    if not clauses:
        return false()
    return (Unit.tenant_id == user.tenant_id) & or_(*clauses)


def reachable_unit_ids(user, action: str):
    """A SELECT of the ids of reachable units, for IN (...) filters of other tables."""
    return select(Unit.id).where(reachable(user, action))


def reaches_any(user, action: str) -> bool:
    from lhpn.extensions import db

    if getattr(user, "tenant_id", None) is None:
        return False  # no tenant, no unit (and no unscoped read: lhpn.tenancy)
    return db.session.scalar(select(Unit.id).where(reachable(user, action)).limit(1)) is not None
