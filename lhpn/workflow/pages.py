"""The sign-off buttons of a record's page, once for every kind: one POST route per step of
the kind's workflow (submit, approve, return, reopen), each acting through the kind's
:class:`lhpn.workflow.signoff.SignOff` and answering the same way.

A step commits once; a refusal (422, 409, a stale version) rolls back, flashes the reason and
shows the record's page again with the comment the user typed, so nothing written is lost;
success flashes the kind's words and goes back to the record. Nothing is read after the
commit: the way back is known before it.
"""

from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm.exc import StaleDataError

from lhpn.errors import DomainError
from lhpn.extensions import db
from lhpn.workflow.signoff import SignOff

# The endpoint of each step ("return" is a Python keyword).
ENDPOINTS = {"submit": "submit", "approve": "approve", "return": "return_",
             "reopen": "reopen"}


def form_version() -> str:
    """The version the page showed: always sent, and a missing one is stale, never "skip the
    check"."""
    return request.form.get("version", "")


def act(kind: SignOff[Any], record_id: int, operation: Callable[[], object], done: str,
        render: Callable[[int, int, str], Any], endpoint: str, id_name: str) -> Any:
    """Run ``operation`` and commit; on a refusal, ``render(record_id, status, comment)``
    shows the page again; on success, back to ``endpoint`` with ``done`` flashed."""
    try:
        operation()
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return render(record_id, exc.status, request.form.get("comment", ""))
    except StaleDataError:
        db.session.rollback()
        flash(kind.stale_message(), "error")
        return render(record_id, 409, request.form.get("comment", ""))
    flash(done, "success")
    values: dict[str, Any] = {id_name: record_id}
    return redirect(url_for(endpoint, **values))


def step_routes(bp: Blueprint, kind: SignOff[Any], *, id_name: str, load: Callable[[int], Any],
                render: Callable[[int, int, str], Any],
                done: Callable[[str], str],
                guard: Callable[[str, Any], Any] | None = None) -> None:
    """Add ``POST /<id>/<step>`` to ``bp`` for each step of ``kind``'s workflow.

    ``load(id)`` returns the tenant's record (404 otherwise); the step asks its own right.
    ``render(id, status, comment)`` shows the record's page; ``done(step)`` is the success
    message; ``guard(step, record)`` may answer instead of acting (a page that must confirm
    first)."""
    view_endpoint = f"{bp.name}.view"
    for step in kind.workflow.transitions:
        _add_step(bp, kind, step, id_name, load, render, done, guard, view_endpoint)


def _add_step(bp, kind, step, id_name, load, render, done, guard, view_endpoint) -> None:
    def view(**ids):
        record_id = ids[id_name]
        record = load(record_id)
        if guard is not None:
            answer = guard(step, record)
            if answer is not None:
                return answer
        comment = request.form.get("comment", "")
        if step == "submit":
            def operation():
                return kind.submit(current_user, record, form_version())
        else:
            def operation():
                return kind.decide(current_user, record, step, comment, form_version())
        return act(kind, record_id, operation, done(step), render, view_endpoint, id_name)

    endpoint = ENDPOINTS[step]
    view.__name__ = endpoint
    bp.add_url_rule(f"/<int:{id_name}>/{step}", endpoint, login_required(view),
                    methods=["POST"])
