"""Who signs off what a unit sends up: plans and reports ask these rules, written once.

What a unit submits (a plan, a report) goes up to the approver of the unit above it, its
*approval unit*; the root has no unit above, so the root's approver signs off the root's own.
Nobody decides (approves, returns, reopens) on what they submitted themselves, even when they
also hold the approver role: that refusal is a domain error (422, with a message), not a 403,
since the actor is an approver there and the rule is about this one item.

``is_approver_of`` is the 403 part alone (loading an item to decide on it, describing a refused
item in a batch); ``may_decide`` is the whole rule; ``units_approved_by`` is the approval unit
rule as a condition on ``Unit`` for lists (the approver's inbox).
"""

from typing import Protocol

from sqlalchemy import ColumnElement, and_, or_

from lhpn.authz.engine import Forbidden, can, reachable_unit_ids
from lhpn.errors import DomainError
from lhpn.units.models import Unit


class SignedOff(Protocol):
    """A plan or a report: an item of a unit, submitted by someone."""

    unit: Unit
    submitted_by_id: int | None


def approval_unit(item: SignedOff) -> Unit:
    """The item goes up to the unit above its unit; the root's own stays at the root."""
    return item.unit.parent or item.unit


def is_approver_of(user, item: SignedOff) -> bool:
    """The user holds ``approve`` at the item's approval unit (whoever submitted the item)."""
    return can(user, "approve", approval_unit(item))


def require_approver_of(user, item: SignedOff) -> None:
    if not is_approver_of(user, item):
        raise Forbidden("approve")


def is_own_submission(user, item: SignedOff) -> bool:
    """The user is the one who submitted the item."""
    return user is not None and item.submitted_by_id is not None \
        and item.submitted_by_id == user.id


def may_decide(user, item: SignedOff) -> bool:
    """The user approves at the item's approval unit and did not submit the item."""
    return is_approver_of(user, item) and not is_own_submission(user, item)


def require_decide(user, item: SignedOff, own_message: str) -> None:
    """403 for who is not the item's approver; ``own_message`` (422) for its submitter."""
    require_approver_of(user, item)
    if is_own_submission(user, item):
        raise DomainError(own_message)


def units_approved_by(user) -> ColumnElement[bool]:
    """A condition on Unit: the units whose items ``user`` signs off (``is_approver_of`` for
    lists): the children of the units where the user approves, and the root itself."""
    approving = reachable_unit_ids(user, "approve")
    return or_(Unit.parent_id.in_(approving),
               and_(Unit.parent_id.is_(None), Unit.id.in_(approving)))
