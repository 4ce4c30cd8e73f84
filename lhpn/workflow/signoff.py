"""Sending a record up and signing it off, once for every kind (plans, reports, and the
record kinds after them).

A kind is a :class:`SignOff` subclass: its workflow (the transitions it allows), its words
(the notices, the refusals) and its hooks. The steps are the same for every kind and are
written only here:

- ``submit``: the right to send the record up (``require_submit``), the state, the version
  the writer saw, what the kind requires before sending (``check_ready``); then the
  transition, with who sent it and when, and a notice to those who sign it off (never to the
  submitter, who may not decide on their own);
- ``decide`` (approve, return, reopen): the approver of the record's approval unit who did not
  submit it (lhpn/authz/signoff.py), the state, the version; then the transition, the kind's
  ``after`` hook (running totals, a cascade) in the same transaction, and a notice to the
  submitter.

Page-cache counters need no hook: they follow the writes themselves
(lhpn/consolidation/freshness.py). Every step starts with its access check, flushes, and
leaves the commit to the caller; every transition writes a workflow event and an audit entry
(lhpn/workflow/engine.py).
"""

from typing import Generic, TypeVar

from lhpn import authz
from lhpn.clock import utcnow
from lhpn.errors import Conflict
from lhpn.notifications.services import notify, users_who_can
from lhpn.text import nfc
from lhpn.workflow.engine import Workflow, is_current
from lhpn.workflow.models import SignedOff, WorkflowEvent

DECISIONS = ("approve", "return", "reopen")
R = TypeVar("R", bound=SignedOff)


class SignOff(Generic[R]):
    """One kind of record sent up and signed off. Subclasses set the words and may override
    the hooks; the steps themselves are not overridden."""

    workflow: Workflow
    # The page of one record, for notices: f"{url_prefix}{record.id}".
    url_prefix: str

    # ---- words (each kind says them of itself) ------------------------------------------------

    def stale_message(self) -> str:
        """409 when the version sent is not the record's current one."""
        raise NotImplementedError

    def own_decision_message(self) -> str:
        """422 when the approver is the one who submitted the record."""
        raise NotImplementedError

    def notice(self, record: R, action: str, comment: str = "") -> str:
        """The notice of ``action`` on ``record`` (to the approvers for "submit", else to the
        submitter); ``comment`` is already cut to 200 characters."""
        raise NotImplementedError

    # ---- hooks ------------------------------------------------------------------------------

    def require_submit(self, actor, record: R) -> None:
        """403 unless ``actor`` may send the record up: by default, who holds "submit" at its
        unit."""
        authz.require(actor, "submit", record.unit)

    def check_ready(self, record: R) -> None:
        """Raise a DomainError (422) naming what is missing before the record can go up."""

    def after(self, record: R, action: str) -> None:
        """What follows a decision in the same transaction (running totals, a cascade)."""

    # ---- the steps --------------------------------------------------------------------------

    def url(self, record: R) -> str:
        return f"{self.url_prefix}{record.id}"

    def check_version(self, record: R, version: object) -> None:
        if not is_current(record, version):
            raise Conflict(self.stale_message(), "version")

    def submit(self, actor, record: R, version: object | None = None) -> R:
        self.require_submit(actor, record)
        self.workflow.require(record, "submit")
        if version is not None:
            self.check_version(record, version)
        self.check_ready(record)
        # Set before the transition so the row is written (and its version moves) once.
        record.submitted_by_id, record.submitted_at = actor.id, utcnow()
        self.workflow.apply(record, "submit", actor)
        approvers = [user for user in users_who_can("approve", authz.approval_unit(record))
                     if not authz.is_own_submission(user, record)]
        notify(approvers, self.notice(record, "submit"), self.url(record))
        return record

    def decide(self, actor, record: R, action: str, comment: object = "",
               version: object | None = None) -> R:
        """Approve, return or reopen (``action``); a return or reopen needs a comment."""
        if action not in DECISIONS or action not in self.workflow.transitions:
            raise ValueError(f"{self.workflow.object_type} has no step {action!r}")
        authz.require_decide(actor, record, self.own_decision_message())
        self.workflow.require(record, action)
        if version is not None:
            self.check_version(record, version)
        comment = comment if isinstance(comment, str) else ""
        if action == "approve":
            record.approved_by_id, record.approved_at = actor.id, utcnow()
        self.workflow.apply(record, action, actor, comment)
        self.after(record, action)
        if record.submitted_by is not None:
            notify([record.submitted_by], self.notice(record, action, nfc(comment)[:200]),
                   self.url(record))
        return record

    def approve(self, actor, record: R, version: object | None = None) -> R:
        return self.decide(actor, record, "approve", "", version)

    def return_(self, actor, record: R, comment: object,
                version: object | None = None) -> R:
        return self.decide(actor, record, "return", comment, version)

    def reopen(self, actor, record: R, comment: object,
               version: object | None = None) -> R:
        return self.decide(actor, record, "reopen", comment, version)

    def history(self, record: R) -> list[WorkflowEvent]:
        return list(self.workflow.history(record))

    # ---- what a page or a client may do now -------------------------------------------------

    def may_submit(self, actor, record: R) -> bool:
        if not self.workflow.allowed(record.status, "submit"):
            return False
        try:
            self.require_submit(actor, record)
        except authz.Forbidden:
            return False
        return True

    def may_decide(self, actor, record: R, action: str) -> bool:
        return (action in self.workflow.transitions
                and self.workflow.allowed(record.status, action)
                and authz.may_decide(actor, record))

    def last_return(self, record: R, events: list[WorkflowEvent]
                    ) -> WorkflowEvent | None:
        """While a record is back with its unit, the comment it came back with is what
        matters most."""
        if record.status != "returned":
            return None
        back = [event for event in events if event.action in ("return", "reopen")]
        return back[-1] if back else None

