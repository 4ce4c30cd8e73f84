"""Accounts: users, role assignments, log-in, server-side sessions and API tokens.

Operations flush; the caller commits once.
"""

import hashlib
import re
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, select, update

from lhpn import authz, throttle
from lhpn.accounts.models import ApiToken, RoleAssignment, User, UserSession
from lhpn.accounts.passwords import burn_time, hash_password, verify_password
from lhpn.audit.services import record
from lhpn.authz.engine import forget_principal
from lhpn.clock import utcnow
from lhpn.errors import Conflict, DomainError, NotFound, as_id
from lhpn.extensions import db
from lhpn.labels import role_label
from lhpn.tenancy import crossing_tenants
from lhpn.text import clean_line, nfc
from lhpn.units.models import Unit

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
# Deliberately simple: one @, no spaces, a dotted domain. The mail server has the last word.
EMAIL_RE = re.compile(r"^[^@\s<>(),;:\\\"\[\]\x00-\x1f\x7f]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
EMAIL_MAX = 254


class LoginRefused(DomainError):
    status = 401
    code = "unauthorized"


class LoginThrottled(DomainError):
    status = 429
    code = "too_many_requests"

    def __init__(self, retry_after: int) -> None:
        super().__init__(_("Có quá nhiều lần đăng nhập không thành công.") + " "
                         + throttle.try_again_in(retry_after))
        self.retry_after = retry_after


class PasswordChangeRequired(DomainError):
    status = 403
    code = "password_change_required"


# ---- look-ups ---------------------------------------------------------------------------

def get_user(tenant_id: int | None, user_id: object) -> User:
    """Tenant-scoped getter: another tenant's user is not found."""
    key = as_id(user_id)
    user = db.session.get(User, key) if key is not None else None
    if user is None or tenant_id is None or user.tenant_id != tenant_id:
        raise NotFound(_("Không tìm thấy người dùng."))
    return user


def get_assignment(user: User, assignment_id: object) -> RoleAssignment:
    for assignment in user.assignments:
        if str(assignment.id) == str(assignment_id):
            return assignment
    raise NotFound(_("Không tìm thấy phân quyền."))


def managed_users(actor: User, q: str | None = None):
    """The users the actor may manage (``authz.manageable_users``), for the lists."""
    stmt = select(User).where(authz.manageable_users(actor))
    if q:
        text = nfc(q).lower()
        stmt = stmt.where(func.lower(User.username).contains(text, autoescape=True)
                          | func.lower(User.full_name).contains(text, autoescape=True))
    return stmt.order_by(User.username)


# ---- passwords ----------------------------------------------------------------------------

def check_password_rules(password: str | None, username: str = "") -> str:
    password = password or ""
    minimum = current_app.config["LHPN_PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        raise DomainError(_("Mật khẩu phải có ít nhất %(n)d ký tự.", n=minimum), "password")
    if len(password) > 256:
        raise DomainError(_("Mật khẩu quá dài."), "password")
    if username and password.lower() == username.lower():
        raise DomainError(_("Mật khẩu không được trùng tên đăng nhập."), "password")
    return password


def change_password(user: User, old: str, new: str, *, address: str | None,
                    keep_session: str | None = None) -> None:
    """The user's own change: every other session and every API token of theirs ends (a
    password someone else learnt must not leave them logged in); ``keep_session`` goes on.
    A wrong current password counts as a failed log-in (a stolen session must not become a
    way to guess the password)."""
    try:
        attempt = throttle.login_attempt(user.username, address)
    except throttle.Throttled as exc:
        if exc.first:
            _record_throttle(user.username, exc)
        raise LoginThrottled(exc.retry_after) from None
    if not verify_password(user.password_hash, old or ""):
        raise DomainError(_("Mật khẩu hiện tại không đúng."), "old_password")
    attempt.succeeded()
    user.password_hash = hash_password(check_password_rules(new, user.username))
    user.must_change_password = False
    end_all_sessions(user, except_session=keep_session)
    record("user.change_password", "user", user.id, actor=user, summary=user.username)


def reset_password(actor: User | None, user: User, new: str) -> None:
    """An administrator sets someone else's password (their own: ``change_password``)."""
    if actor is not None:
        authz.require_reset_password_of(actor, user)
    user.password_hash = hash_password(check_password_rules(new, user.username))
    user.must_change_password = True
    end_all_sessions(user)
    record("user.reset_password", "user", user.id, actor=actor, tenant_id=user.tenant_id,
           summary=user.username)


# ---- users and roles --------------------------------------------------------------------------

def create_user(
    actor: User | None,
    *,
    tenant_id: int | None,
    username: str | None,
    password: str | None,
    full_name: str | None = "",
    unit: Unit | None = None,
    is_system_admin: bool = False,
    email: str | None = None,
) -> User:
    username = nfc(username).lower()
    email = clean_email(email)
    if not USERNAME_RE.match(username):
        raise DomainError(
            _("Tên đăng nhập gồm 3–64 ký tự: chữ thường không dấu, số, dấu chấm, gạch ngang "
              "hoặc gạch dưới."),
            "username",
        )
    full_name = clean_line(full_name, _("Họ tên"), "full_name")
    if len(full_name) > 200:
        raise DomainError(_("Họ tên dài quá 200 ký tự."), "full_name")
    password = check_password_rules(password, username)
    if unit is not None and unit.closed:
        raise DomainError(_("Không thể thêm người dùng vào đơn vị đã giải thể."), "unit_id")
    exists = db.session.scalar(
        select(User.id).where(User.username == username)
    )
    if exists is not None:
        raise Conflict(_("Tên đăng nhập %(u)s đã có người dùng.", u=username), "username")
    user = User(
        tenant_id=tenant_id,
        unit_id=unit.id if unit else None,
        username=username,
        full_name=full_name,
        email=email,
        password_hash=hash_password(password),
        is_system_admin=is_system_admin,
    )
    db.session.add(user)
    db.session.flush()
    record("user.create", "user", user.id, actor=actor, tenant_id=tenant_id, summary=username)
    return user


def set_locked(actor: User | None, user: User, locked: bool) -> User:
    if actor is not None and locked:
        authz.require_lock(actor, user)
    elif actor is not None:
        authz.require_manage_user(actor, user)
    if user.locked != locked:
        user.locked = locked
        if locked:
            end_all_sessions(user)
        record("user.lock" if locked else "user.unlock", "user", user.id, actor=actor,
               tenant_id=user.tenant_id, summary=user.username)
    return user


def set_full_name(actor: User | None, user: User, full_name: str | None) -> User:
    if actor is not None:
        authz.require_manage_user(actor, user)
    full_name = clean_line(full_name, _("Họ tên"), "full_name")
    if len(full_name) > 200:
        raise DomainError(_("Họ tên dài quá 200 ký tự."), "full_name")
    if full_name != user.full_name:
        old = user.full_name
        user.full_name = full_name
        record("user.rename", "user", user.id, actor=actor, tenant_id=user.tenant_id,
               summary=f"{user.username}: {old} → {full_name}", old=old, new=full_name)
    return user


def clean_email(email: str | None) -> str | None:
    """The address to store, or None for "no e-mail"; refuses what cannot be an address."""
    email = nfc(email)
    if not email:
        return None
    if len(email) > EMAIL_MAX or not EMAIL_RE.match(email):
        raise DomainError(_("Địa chỉ e-mail không hợp lệ."), "email")
    return email


def set_email(actor: User | None, user: User, email: str | None) -> User:
    if actor is not None:
        authz.require_manage_user(actor, user)
    email = clean_email(email)
    if email != user.email:
        old = user.email
        user.email = email
        record("user.email", "user", user.id, actor=actor, tenant_id=user.tenant_id,
               summary=f"{user.username}: {old or '—'} → {email or '—'}")
    return user


def assign_role(actor: User | None, user: User, role: str | None, unit: Unit) -> RoleAssignment:
    """Grant ``role`` at ``unit``: the actor may change the user's roles (not their own) and
    manages ``unit``. ``actor`` None is the command line or a loader."""
    if actor is not None:
        authz.require_change_roles_of(actor, user)
    if role not in authz.tenant_roles():
        raise DomainError(_("Vai trò không hợp lệ."), "role")
    if unit.tenant_id != user.tenant_id:
        raise NotFound(_("Không tìm thấy đơn vị."))
    if actor is not None:
        authz.require(actor, "manage", unit)
    if unit.closed:
        raise DomainError(_("Không thể phân quyền tại đơn vị đã giải thể."), "unit_id")
    for existing in user.assignments:
        if existing.role == role and existing.unit_id == unit.id:
            raise Conflict(_("Người dùng đã có vai trò này tại đơn vị này."), "role")
    assignment = RoleAssignment(tenant_id=user.tenant_id, role=role, unit_id=unit.id, unit=unit)
    user.assignments.append(assignment)
    db.session.flush()
    forget_principal(user)
    record("role.assign", "user", user.id, actor=actor, tenant_id=user.tenant_id,
           summary=f"{user.username}: {role_label(role)} @ {unit.name}",
           role=role, unit_id=unit.id, assignment_id=assignment.id)
    return assignment


def revoke_role(actor: User | None, assignment: RoleAssignment) -> None:
    user = assignment.user
    if actor is not None:
        authz.require_change_roles_of(actor, user)
        # Implied by the line above (a manageable user's roles are all in reach); kept so the
        # rule "revoking needs the assignment's unit" stands on its own.
        authz.require(actor, "manage", assignment.unit)
    record("role.revoke", "user", user.id, actor=actor, tenant_id=user.tenant_id,
           summary=f"{user.username}: {role_label(assignment.role)} @ {assignment.unit.name}",
           role=assignment.role, unit_id=assignment.unit_id, assignment_id=assignment.id)
    user.assignments.remove(assignment)
    db.session.flush()
    forget_principal(user)


# ---- log-in -------------------------------------------------------------------------------

def authenticate(username: str | None, password: str | None, address: str | None) -> User:
    """The user for these credentials, from this client address; else LoginRefused, the same
    answer in about the same time for an unknown name, a wrong password and a locked account
    (whatever its password: a right one must not be confirmed either), or LoginThrottled when
    too many log-ins failed, whether or not the account exists. Only failures are counted."""
    username = nfc(username).lower()
    try:
        attempt = throttle.login_attempt(username, address)
    except throttle.Throttled as exc:
        if exc.first:
            _record_throttle(username, exc)  # once per counter and window, not per refusal
        raise LoginThrottled(exc.retry_after) from None
    with crossing_tenants("login"):  # the account (and its roles) before its tenant is known
        user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        burn_time(password or "")
    elif verify_password(user.password_hash, password or "") and not user.locked:
        attempt.succeeded()
        return user
    raise LoginRefused(_("Tên đăng nhập hoặc mật khẩu không đúng."))


def _record_throttle(username: str, exc: "throttle.Throttled") -> None:
    with crossing_tenants("login"):
        user = db.session.scalar(select(User).where(User.username == username))
    record("auth.throttle", "user" if user else "login", user.id if user else None,
           tenant_id=user.tenant_id if user else None,
           summary=f"{username[:64]}: {exc.scope} {exc.limit}", scope=exc.scope, limit=exc.limit)


def start_session(user: User, ip: str | None) -> str:
    now = utcnow()
    sid = secrets.token_urlsafe(32)
    db.session.add(UserSession(id=sid, user_id=user.id, created_at=now, last_seen_at=now, ip=ip))
    record("auth.login", "user", user.id, actor=user, summary=user.username)
    return sid


def user_for_session(sid: str | None) -> User | None:
    """The live session's user, touching it; None if ended, idle or too old."""
    if not sid:
        return None
    row = db.session.get(UserSession, sid)
    if row is None:
        return None
    cfg = current_app.config
    now = utcnow()
    idle = timedelta(minutes=cfg["LHPN_SESSION_IDLE_MINUTES"])
    absolute = timedelta(minutes=cfg["LHPN_SESSION_ABSOLUTE_MINUTES"])
    if now - row.last_seen_at > idle or now - row.created_at > absolute:
        _end_expired(sid)
        return None
    with crossing_tenants("login"):  # the session's account, before its tenant is set
        user = db.session.get(User, row.user_id)
    if user is None or user.locked:
        return None
    if now - row.last_seen_at > timedelta(seconds=60):
        _touch(sid, now)
    return user


def _touch(sid: str, now) -> None:
    """Record activity in its own short transaction: holding the session row's lock for the
    whole request would queue every concurrent request of the same session behind it. Best
    effort: if the row is busy, the next request (within the minute) will touch it."""
    from sqlalchemy.exc import OperationalError

    table = UserSession.__table__
    try:
        with db.engine.begin() as conn:
            conn.execute(update(table).where(table.c.id == sid,
                                             table.c.last_seen_at < now - timedelta(seconds=60))
                         .values(last_seen_at=now))
    except OperationalError:
        current_app.logger.info("session touch skipped (row busy)")


def _end_expired(sid: str) -> None:
    """An ended session's row goes at once, on any page, in its own short transaction (the
    request itself may only read, and commits nothing)."""
    table = UserSession.__table__
    with db.engine.begin() as conn:
        conn.execute(delete(table).where(table.c.id == sid))


def end_session(sid: str | None) -> None:
    if sid:
        db.session.execute(delete(UserSession).where(UserSession.id == sid))


def end_all_sessions(user: User, except_session: str | None = None) -> None:
    """End the user's sessions (all but ``except_session``) and API tokens."""
    sessions = delete(UserSession).where(UserSession.user_id == user.id)
    if except_session:
        sessions = sessions.where(UserSession.id != except_session)
    db.session.execute(sessions)
    db.session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_token(user: User) -> str:
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    hours = current_app.config["LHPN_TOKEN_HOURS"]
    db.session.add(ApiToken(user_id=user.id, token_hash=_token_hash(raw), created_at=now,
                            expires_at=now + timedelta(hours=hours)))
    record("auth.token", "user", user.id, actor=user, summary=user.username)
    return raw


def user_for_token(raw: str | None) -> User | None:
    if not raw:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_hash(raw)))
    if token is None or token.expires_at < utcnow():
        return None
    with crossing_tenants("login"):  # the token's account, before its tenant is set
        user = db.session.get(User, token.user_id)
    if user is None or user.locked:
        return None
    return user


def revoke_token(raw: str | None) -> None:
    """Log out of the API: the token stops working at once (only its hash is stored)."""
    if raw:
        db.session.execute(delete(ApiToken).where(ApiToken.token_hash == _token_hash(raw)))
