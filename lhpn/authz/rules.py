"""Named rules about managing other people's accounts, built on ``can`` and ``reachable``.

Managing a user (reading their account, locking it, editing it, resetting their password,
granting or revoking their roles) is managing *everything that user is*: the actor must manage
the user's work unit and every unit where the user holds a role. Whoever manages only part of
a person (their commune, say) could otherwise reset the password of a province admin who
happens to work there and log in as them. A user without a work unit is treated as working at
the tenant's root, so only whoever manages the root manages them.

The admin pages and the API never change one's own roles or password, nor lock oneself: one's
own password is changed on the account page (with the old password); roles come from another
administrator. Those refusals are domain errors (422, with a message), not 403: the actor may
manage the account in general, the rule is about oneself, as "nobody approves what they
submitted" is.

``may_manage_user`` decides one user; ``manageable_users`` is the same rule as a condition on
``User`` for lists. tests/test_authz_matrix.py checks that both agree with a hand-written table.
"""

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, exists, false, not_, or_, select

from lhpn.accounts.models import RoleAssignment, User
from lhpn.authz.engine import Forbidden, can, reachable_unit_ids
from lhpn.errors import DomainError
from lhpn.units.models import Unit


class OwnAccount(DomainError):
    """The admin pages and the API do not act on one's own roles, password or lock (422)."""


def is_own_account(actor, user: User) -> bool:
    return actor is not None and user is not None and actor.id == user.id


def _units_of(user: User) -> list[Unit]:
    """The units a user is made of: the work unit (the root when none) and each role's unit."""
    from lhpn.units.services import root_of

    if user.unit is not None:
        work = user.unit
    elif user.tenant_id is not None:
        work = root_of(user.tenant_id)
    else:  # the platform's administrator, whom callers keep out: no unit to be made of
        raise ValueError(f"user {user.id} belongs to no tenant")
    units = {work.id: work}
    units.update((assignment.unit_id, assignment.unit) for assignment in user.assignments)
    return list(units.values())


def may_manage_user(actor, user: User) -> bool:
    """The actor manages the user's work unit and every unit where the user holds a role."""
    if actor is None or user is None or not getattr(actor, "is_authenticated", False):
        return False
    if user.tenant_id is None or user.tenant_id != actor.tenant_id:
        return False
    return all(can(actor, "manage", unit) for unit in _units_of(user))


def require_manage_user(actor, user: User) -> None:
    if not may_manage_user(actor, user):
        raise Forbidden("manage")


def manageable_users(actor) -> ColumnElement[bool]:
    """A condition on User: the users ``actor`` may manage (``may_manage_user`` for lists)."""
    if actor is None or not getattr(actor, "is_authenticated", False) or actor.tenant_id is None:
        return false()
    managed = reachable_unit_ids(actor, "manage")
    role_outside = exists(select(RoleAssignment.id).where(
        RoleAssignment.user_id == User.id, not_(RoleAssignment.unit_id.in_(managed))))
    return and_(
        User.tenant_id == actor.tenant_id,
        or_(User.unit_id.in_(managed), and_(User.unit_id.is_(None), tenant_managed_by(actor))),
        ~role_outside,
    )


def manages_tenant(actor) -> bool:
    """The actor manages its tenant's root unit: the tenant's own settings (indicator catalogue,
    report forms, entry on behalf), its audit log and every unit import are theirs."""
    from lhpn.units.services import root_of

    if actor is None or not getattr(actor, "is_authenticated", False) or actor.tenant_id is None:
        return False
    return can(actor, "manage", root_of(actor.tenant_id))


def require_manage_tenant(actor) -> None:
    if not manages_tenant(actor):
        raise Forbidden("manage")


def tenant_managed_by(actor) -> ColumnElement[bool]:
    """``manages_tenant`` as a SQL condition (an EXISTS), for lists that depend on it."""
    if actor is None or not getattr(actor, "is_authenticated", False) or actor.tenant_id is None:
        return false()
    return exists(select(Unit.id).where(
        Unit.tenant_id == actor.tenant_id, Unit.parent_id.is_(None),
        Unit.id.in_(reachable_unit_ids(actor, "manage"))))


def may_change_roles_of(actor, user: User) -> bool:
    """Grant or revoke the user's roles (each grant or revocation also needs its unit)."""
    return may_manage_user(actor, user) and not is_own_account(actor, user)


def require_change_roles_of(actor, user: User) -> None:
    require_manage_user(actor, user)
    if is_own_account(actor, user):
        raise OwnAccount(_("Bạn không thể tự phân hoặc thu hồi vai trò của chính mình. Hãy "
                           "nhờ một quản trị viên khác."))


def may_reset_password_of(actor, user: User) -> bool:
    return may_manage_user(actor, user) and not is_own_account(actor, user)


def require_reset_password_of(actor, user: User) -> None:
    require_manage_user(actor, user)
    if is_own_account(actor, user):
        raise OwnAccount(_("Bạn không thể tự đặt lại mật khẩu của mình ở đây. Hãy đổi mật khẩu "
                           "ở trang Tài khoản."), "password")


def may_lock(actor, user: User) -> bool:
    return may_manage_user(actor, user) and not is_own_account(actor, user)


def require_lock(actor, user: User) -> None:
    require_manage_user(actor, user)
    if is_own_account(actor, user):
        raise OwnAccount(_("Bạn không thể tự khóa tài khoản của mình."))
