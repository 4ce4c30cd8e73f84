"""Who reviews the log of sensitive reads (lhpn/privacy/access_log.py): the whole tenant's
log, or none of it.

The log names who read which victim's record, so it is itself sensitive: it is asked on the
tenant's root unit, and only a role held there with ``review_reads`` opens it (the root's
admin and the root's protection officer). A role held lower down (a district's admin, a
commune's protection officer) does not see part of the log: the entries say nothing of a unit.
"""

from lhpn.authz.engine import Forbidden, can


def may_review_reads(user) -> bool:
    from lhpn.units.services import root_of

    if user is None or not getattr(user, "is_authenticated", False) or user.tenant_id is None:
        return False
    return can(user, "review_reads", root_of(user.tenant_id))


def require_review_reads(user) -> None:
    if not may_review_reads(user):
        raise Forbidden("review_reads")
