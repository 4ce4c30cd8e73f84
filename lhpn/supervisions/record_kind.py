"""Supervisions as one of the record kinds the shared pages know (lhpn/records.py): found by
the search (over the title, what is supervised and the agency, all in clear: nothing of a
supervision is personal data), their recommendations among the deadlines of the dashboard and
the calendar (of the unit and of every unit above it that views it)."""

from datetime import date

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from lhpn import authz, records
from lhpn.extensions import db
from lhpn.followups.models import FollowUp
from lhpn.followups.services import is_overdue
from lhpn.supervisions.models import Supervision
from lhpn.supervisions.services import OBJECT_TYPE
from lhpn.text import search_key
from lhpn.workflow.engine import status_label

LABEL = _l("Giám sát")
MAX_HITS = 50
# The newest supervisions looked through per search (a unit holds a few a year).
MAX_SCANNED = 2000


def url(supervision_id: int) -> str:
    return url_for("supervisions.view", supervision_id=supervision_id)


def search(user, words: str, unit_ids) -> list[records.Hit]:
    """Every word of ``words`` is part of the supervision's title, subject, agency or of
    "giám sát"."""
    tokens = [token for token in words.split() if token]
    if not tokens or user.tenant_id is None:
        return []
    stmt = (select(Supervision).options(joinedload(Supervision.unit))
            .where(Supervision.tenant_id == user.tenant_id, Supervision.unit_id.in_(unit_ids),
                   Supervision.unit_id.in_(authz.reachable_unit_ids(user, "view")))
            .order_by(Supervision.proposed_on.desc(), Supervision.id.desc())
            .limit(MAX_SCANNED))
    hits = []
    for row in db.session.scalars(stmt).unique():
        said = search_key(f"{LABEL} {row.title} {row.subject} {row.agency}")
        if all(token in said for token in tokens):
            hits.append(records.Hit(OBJECT_TYPE, row.id, row.title, row.unit.name,
                                    row.reported_on or row.proposed_on,
                                    status_label(row.status), url(row.id)))
            if len(hits) == MAX_HITS:
                break
    return hits


def deadlines(user, start: date | None, end: date) -> list[records.Deadline]:
    """The answers the agencies still owe on the user's supervisions' recommendations: due
    between ``start`` and ``end``, or, ``start`` None, every one due by ``end``."""
    stmt = (select(FollowUp, Supervision.title)
            .join(Supervision, Supervision.id == FollowUp.object_id)
            .options(joinedload(FollowUp.unit))
            .where(FollowUp.tenant_id == user.tenant_id, FollowUp.object_type == OBJECT_TYPE,
                   FollowUp.status == "open", FollowUp.due_on <= end,
                   FollowUp.unit_id.in_(authz.reachable_unit_ids(user, "view")))
            .order_by(FollowUp.due_on, FollowUp.id))
    if start is not None:
        stmt = stmt.where(FollowUp.due_on >= start)
    return [records.Deadline(OBJECT_TYPE, fu.object_id,
                             _("Kiến nghị sau giám sát “%(t)s” — %(agency)s", t=title,
                               agency=fu.agency),
                             fu.unit.name, fu.due_on, is_overdue(fu), url(fu.object_id))
            for fu, title in db.session.execute(stmt).unique()]


KIND = records.RecordKind(OBJECT_TYPE, LABEL, url=url, search=search, deadlines=deadlines)
