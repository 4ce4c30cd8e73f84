"""Keeping and giving back what a browser posted to a form that could not be accepted.

A browser is known by a random token (a cookie); only its SHA-256 is stored. What is kept is
the posted fields minus the CSRF token and anything named like a password. Operations flush;
the caller commits.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import MultiDict

from lhpn.clock import utcnow
from lhpn.extensions import db
from lhpn.unsaved.models import UnsavedInput

# A report's narrative is three texts of 20,000 characters; a plan's sections are longer. Past
# this, the post is not a form a person typed.
MAX_CHARS = 1_000_000
MAX_FIELDS = 2_000
NEVER_KEPT = frozenset({"csrf_token"})


@dataclass
class Kept:
    fields: MultiDict
    created_at: datetime


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def keepable_fields(form: MultiDict) -> list[tuple[str, str]] | None:
    """The posted fields worth keeping, or None when the post is too large to be typing."""
    pairs = [(name, value) for name, value in form.items(multi=True)
             if name not in NEVER_KEPT and "password" not in name.lower()]
    if len(pairs) > MAX_FIELDS or sum(len(n) + len(v) for n, v in pairs) > MAX_CHARS:
        return None
    return pairs


def keep(token: str, user_id: int | None, action: str, fields: list[tuple[str, str]],
         hours: int) -> None:
    """Keep ``fields`` posted by this browser to ``action`` (the newest post replaces an older
    one); expired entries of every browser go at the same time."""
    now = utcnow()
    digest = token_hash(token)
    db.session.execute(delete(UnsavedInput).where(UnsavedInput.expires_at < now))
    try:
        with db.session.begin_nested():
            db.session.execute(delete(UnsavedInput).where(UnsavedInput.token_hash == digest,
                                                          UnsavedInput.action == action))
            db.session.add(UnsavedInput(token_hash=digest, user_id=user_id, action=action[:500],
                                        fields=json.dumps(fields, ensure_ascii=False),
                                        created_at=now, expires_at=now + timedelta(hours=hours)))
    except IntegrityError:
        pass  # the same browser's other request (a double click) kept the same form meanwhile


def _usable(user_id: int):
    """Entries this user may get back: their own, or those whose owner nobody knows."""
    return ((UnsavedInput.user_id.is_(None)) | (UnsavedInput.user_id == user_id)) & (
        UnsavedInput.expires_at >= utcnow())


def take(token: str | None, user_id: int, action: str) -> Kept | None:
    """Give back (once) what this browser typed into ``action``, if ``user_id`` may have it."""
    if not token:
        return None
    row = db.session.scalar(select(UnsavedInput).where(
        UnsavedInput.token_hash == token_hash(token), UnsavedInput.action == action,
        _usable(user_id)))
    if row is None:
        return None
    kept = Kept(MultiDict(json.loads(row.fields)), row.created_at)
    db.session.delete(row)
    db.session.flush()
    return kept


def waiting_action(token: str | None, user_id: int) -> str | None:
    """The form this browser has input kept for (the newest), for ``user_id``."""
    if not token:
        return None
    return db.session.scalar(
        select(UnsavedInput.action)
        .where(UnsavedInput.token_hash == token_hash(token), _usable(user_id))
        .order_by(UnsavedInput.created_at.desc(), UnsavedInput.id.desc()).limit(1))


def forget(token: str | None, action: str | None = None) -> None:
    """Drop what this browser kept (for one form, or all of it: at log-out)."""
    if not token:
        return
    stmt = delete(UnsavedInput).where(UnsavedInput.token_hash == token_hash(token))
    if action is not None:
        stmt = stmt.where(UnsavedInput.action == action)
    db.session.execute(stmt)
