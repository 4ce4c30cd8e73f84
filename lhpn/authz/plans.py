"""Who may read a plan, and who may say which plans count: composite rules, written once.

A plan is readable by whoever may ``view`` its unit (the unit and the units above it, along
policies/), and, once approved (issued), also by
- every role held at the plan's unit or below it (``read_issued``, scope ``ancestors``): a
  commune reads the issued plans of its district and province, never their drafts;
- the roles of a unit the plan asked for an implementing plan (a PlanRequest), even after that
  unit has moved elsewhere in the tree.
Pages (the plan, its print view and .docx) and the API (GET /plans/ID and the plan lists) ask
``may_read_plan`` or filter by ``readable_plans``, its SQL twin. A plan's history and its
cascade (other units' progress) stay with ``view`` on the plan's unit.
"""

from sqlalchemy import ColumnElement, and_, exists, or_, select

from lhpn.authz.engine import can, reachable_unit_ids


def may_read_plan(user, plan) -> bool:
    if can(user, "view", plan.unit):
        return True
    if plan.status != "approved":
        return False
    if can(user, "read_issued", plan.unit):
        return True
    return _asked(user, plan)


def _asked(user, plan) -> bool:
    from lhpn.extensions import db
    from lhpn.plans.models import PlanRequest

    return bool(db.session.scalar(select(exists().where(
        PlanRequest.parent_plan_id == plan.id,
        PlanRequest.unit_id.in_(reachable_unit_ids(user, "read_issued"))))))


def readable_plans(user) -> ColumnElement[bool]:
    """A condition on Plan: the plans ``user`` may read (the same rule as ``may_read_plan``)."""
    from lhpn.plans.models import Plan, PlanRequest

    above = reachable_unit_ids(user, "read_issued")
    return or_(
        Plan.unit_id.in_(reachable_unit_ids(user, "view")),
        and_(Plan.status == "approved",
             or_(Plan.unit_id.in_(above),
                 Plan.id.in_(select(PlanRequest.parent_plan_id)
                             .where(PlanRequest.unit_id.in_(above))))),
    )


def may_mark_counted(user, plan) -> bool:
    """Whether a plan belongs to its unit's programme of work for the year is the unit's own
    choice: its officers (who write its plans) or its chair (approver at the unit)."""
    return can(user, "plan", plan.unit) or can(user, "approve", plan.unit)
