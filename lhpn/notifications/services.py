from collections.abc import Iterable

from sqlalchemy import func, select, update

from lhpn import authz
from lhpn.accounts.models import RoleAssignment, User
from lhpn.clock import utcnow
from lhpn.extensions import db
from lhpn.notifications.mail import queue_mail
from lhpn.notifications.models import Notification
from lhpn.units.models import Unit


def notify(users: Iterable[User], message: str, link: str = "") -> int:
    """An in-app notice for each user; an e-mail copy too (sent once the transaction commits)
    for those with an address, when SMTP is configured."""
    now = utcnow()
    recipients = {u.id: u for u in users if u.tenant_id is not None and not u.locked}.values()
    for user in recipients:
        db.session.add(Notification(tenant_id=user.tenant_id, user_id=user.id,
                                    message=message[:500], link=link, created_at=now))
    db.session.flush()
    queue_mail([user.email for user in recipients if user.email], message, link)
    return len(recipients)


def users_who_can(action: str, unit: Unit) -> list[User]:
    """The users holding a role that may do ``action`` on ``unit`` (asked through authz).

    Every scope reaches from the unit where the role is held downwards, so only roles held at
    the unit or one of its ancestors can qualify."""
    roles = list(authz.roles_granting(action))
    candidates = db.session.scalars(
        select(User).join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(User.tenant_id == unit.tenant_id, RoleAssignment.role.in_(roles),
               RoleAssignment.unit_id.in_(unit.ancestor_ids))
        .distinct()
    ).all()
    return [user for user in candidates if authz.can(user, action, unit)]


def unread_count(user: User) -> int:
    if user.tenant_id is None:
        return 0  # the system administrator: notices are a tenant's
    return db.session.scalar(
        select(func.count()).select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
    ) or 0


def for_user(user: User):
    return (select(Notification).where(Notification.user_id == user.id)
            .order_by(Notification.created_at.desc(), Notification.id.desc()))


def mark_all_read(user: User) -> None:
    from lhpn.tenant_versions import bump_activity

    db.session.execute(update(Notification).where(Notification.user_id == user.id,
                                                  Notification.read_at.is_(None))
                       .values(read_at=utcnow()))
    # A bulk statement bypasses the flush listener: the header's unread count changed.
    bump_activity(db.session.connection(), [user.tenant_id])
