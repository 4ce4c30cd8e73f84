"""Work that must wait for the transaction's outcome: mail goes out only after a commit, and a
file written for a row that never got stored is removed.

Hooks are kept in the session's ``info`` and belong to its outermost transaction; a rollback
(or a session closed without committing) drops the commit hooks and runs the rollback ones.
"""

import logging
from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from lhpn.extensions import db

log = logging.getLogger(__name__)
_COMMIT = "lhpn_after_commit"
_ROLLBACK = "lhpn_after_rollback"


def after_commit(hook: Callable[[], None], session: Session | None = None) -> None:
    _hooks(session, _COMMIT).append(hook)


def after_rollback(hook: Callable[[], None], session: Session | None = None) -> None:
    _hooks(session, _ROLLBACK).append(hook)


def _hooks(session: Session | None, key: str) -> list:
    session = session if session is not None else db.session()
    return session.info.setdefault(key, [])


def _run(hooks: list[Callable[[], None]]) -> None:
    # The data is already committed (or gone): a failing hook is logged, never raised.
    for hook in hooks:
        try:
            hook()
        except Exception:
            log.exception("after-transaction hook failed")


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    hooks = session.info.pop(_COMMIT, [])
    session.info.pop(_ROLLBACK, None)
    _run(hooks)


@event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None:
        return
    # Still here after the outermost transaction ended: it did not commit.
    session.info.pop(_COMMIT, None)
    _run(session.info.pop(_ROLLBACK, []))
