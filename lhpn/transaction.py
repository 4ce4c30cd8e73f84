"""Work that must wait for the transaction's outcome: mail goes out only after a commit, and a
file written for a row that never got stored is removed; and whether a session holds writes
nobody committed yet (the request boundary's check, lhpn.web).

Hooks are kept in the session's ``info`` and belong to its outermost transaction; a rollback
(or a session closed without committing) drops the commit hooks and runs the rollback ones.
"""

import logging
from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from lhpn.extensions import db

log = logging.getLogger(__name__)
_COMMIT = "lhpn_after_commit"
_ROLLBACK = "lhpn_after_rollback"
_WROTE = "lhpn_uncommitted_writes"


def after_commit(hook: Callable[[], None], session: Session | None = None) -> None:
    _hooks(session, _COMMIT).append(hook)


def after_rollback(hook: Callable[[], None], session: Session | None = None) -> None:
    _hooks(session, _ROLLBACK).append(hook)


def _hooks(session: Session | None, key: str) -> list:
    session = session if session is not None else db.session()
    return session.info.setdefault(key, [])


def uncommitted_changes(session: Session) -> bool:
    """Whether the session holds changes a commit would keep: objects added, changed or
    deleted but not flushed, and rows already flushed or written by a DML statement through
    the session (``session.execute(update(…))``) since its transaction began. The second
    half matters: an ``add()`` followed by any query is flushed, and leaves ``new`` empty."""
    return bool(session.new or session.dirty or session.deleted or session.info.get(_WROTE))


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _context) -> None:
    session.info[_WROTE] = True


@event.listens_for(Session, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_WROTE] = True


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
    session.info.pop(_WROTE, None)
    _run(hooks)


@event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None:
        return
    # Still here after the outermost transaction ended: it did not commit.
    session.info.pop(_WROTE, None)
    session.info.pop(_COMMIT, None)
    _run(session.info.pop(_ROLLBACK, []))
