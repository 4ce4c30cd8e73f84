"""Approving several reports at once, for the inbox page and the API.

Each report goes through ``approve_report``, exactly as when approved one by one: its own
access check, the version the approver saw, no self-approval, its own workflow event, audit
entry, running totals and notices. And each is its own transaction: this module is a boundary,
like a CLI job, and commits after every report. So one failure (a report returned meanwhile,
a stale version, one the approver submitted) undoes nothing of the others; the row locks a
decision takes on the province's running totals are held for one report, not for the whole
batch, so other approvers are not kept waiting; and if the request dies halfway, what was
approved stays approved and the rest is still in the inbox. Every failure is reported with
its reason.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy.orm.exc import StaleDataError

from lhpn import authz
from lhpn.errors import DomainError
from lhpn.extensions import db
from lhpn.reports import services
from lhpn.reports.models import Report
from lhpn.workflow.engine import status_label

MAX_BATCH = 200


@dataclass
class Outcome:
    report_id: object
    ok: bool
    code: str = "approved"
    message: str = ""
    report: Report | None = None  # shown to the approver only when they may approve it


def approve_many(actor, items: Sequence[tuple[object, object]]) -> list[Outcome]:
    """Approve each (report id, version seen) in order; one outcome per item."""
    # Read once: after each item's commit or rollback the actor's row is expired, and reading
    # its tenant again would reload the user (and its roles) once per item.
    tenant_id = actor.tenant_id
    outcomes = []
    for key, version in items:
        outcomes.append(_approve_one(actor, tenant_id, key, version))
    return outcomes


def _approve_one(actor, tenant_id: int | None, key: object, version: object) -> Outcome:
    try:
        report = services.get_report(tenant_id, key)
        # The version the approver saw is required: a missing one is stale, never "skip".
        services.approve_report(actor, report, "" if version is None else version)
        db.session.commit()
        return Outcome(report.id, True, report=report)
    except authz.Forbidden:
        db.session.rollback()
        return Outcome(key, False, "forbidden", _("Bạn không có quyền duyệt báo cáo này."))
    except StaleDataError:
        # Another decision committed between this one's check and its write.
        db.session.rollback()
        return _failed(actor, tenant_id, key, "conflict",
                       _("Báo cáo vừa được người khác thay đổi."))
    except DomainError as exc:
        db.session.rollback()
        return _failed(actor, tenant_id, key, exc.code, exc.message)


def _failed(actor, tenant_id: int | None, key: object, code: str, message: str) -> Outcome:
    """The refusal, with the report for the approver to recognise (only one they may
    approve: a report they may not see is not described)."""
    try:
        report = services.get_report(tenant_id, key)
    except DomainError:
        return Outcome(key, False, code, message)
    if not authz.is_approver_of(actor, report):
        return Outcome(key, False, code, message)
    if report.status != "submitted":
        # Decided (or returned to its unit) since the approver looked: say where it is now.
        message = _("Báo cáo không còn chờ duyệt (đang ở trạng thái “%(s)s”).",
                    s=status_label(report.status))
    return Outcome(report.id, False, code, message, report)
