"""Incidents as one of the record kinds the shared pages know (lhpn/records.py): found by the
search, their follow-ups among the deadlines of the dashboard and the calendar.

Everything an incident says about a person is encrypted (lhpn/incidents/models.py), so the
search reads only what is kept in clear and names nobody: the case's number and its kind
("bạo lực gia đình"), and the words of this kind's own label ("vụ việc"). Nothing is ever
decrypted to search, and a title is the number, the kind and the agency followed.
"""

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
from lhpn.incidents.models import Incident, IncidentKind
from lhpn.incidents.services import OBJECT_TYPE
from lhpn.text import search_key
from lhpn.workflow.engine import status_label

LABEL = _l("Vụ việc")
MAX_HITS = 50


def url(incident_id: int) -> str:
    return url_for("incidents.show", incident_id=incident_id)


def _kind_ids(tenant_id: int, words: list[str]) -> list[int]:
    """The tenant's incident kinds every word is part of, with "vụ việc số" before them."""
    found = []
    for kind in db.session.scalars(select(IncidentKind).where(IncidentKind.tenant_id == tenant_id)):
        said = search_key(f"{LABEL} {_('số')} {kind.name}")
        if all(word in said for word in words):
            found.append(kind.id)
    return found


def search(user, words: str, unit_ids) -> list[records.Hit]:
    """Numbers among ``words`` name a case ("12", "#12"); the other words must all be part of
    "vụ việc số" and the case's kind."""
    tokens = [token.strip("#.,;:") for token in words.split()]
    numbers = {int(t) for t in tokens if t.isascii() and t.isdigit() and len(t) <= 9}
    others = [t for t in tokens if t and not (t.isascii() and t.isdigit())]
    if len(numbers) > 1 or user.tenant_id is None:
        return []
    stmt = (select(Incident).options(joinedload(Incident.unit))
            .where(Incident.tenant_id == user.tenant_id, Incident.unit_id.in_(unit_ids),
                   Incident.unit_id.in_(authz.reachable_unit_ids(user, "view")),
                   Incident.kind_id.in_(_kind_ids(user.tenant_id, others)))
            .order_by(Incident.occurred_on.desc(), Incident.id.desc()).limit(MAX_HITS))
    if numbers:
        stmt = stmt.where(Incident.id == numbers.pop())
    return [records.Hit(OBJECT_TYPE, row.id, _("Vụ việc số %(id)d · %(kind)s", id=row.id,
                                                 kind=row.kind.name),
                        row.unit.name, row.occurred_on, status_label(row.status), url(row.id))
            for row in db.session.scalars(stmt).unique()]


def title(object_id: int, agency: str) -> str:
    return _("Vụ việc số %(id)d — %(agency)s", id=object_id, agency=agency)


def deadlines(user, start: date | None, end: date) -> list[records.Deadline]:
    """The answers the authorities still owe on the user's cases: due between ``start`` and
    ``end``, or, ``start`` None, every one due by ``end`` (the overdue among them)."""
    stmt = (select(FollowUp).options(joinedload(FollowUp.unit))
            .where(FollowUp.tenant_id == user.tenant_id, FollowUp.object_type == OBJECT_TYPE,
                   FollowUp.status == "open", FollowUp.due_on <= end,
                   FollowUp.unit_id.in_(authz.reachable_unit_ids(user, "view")))
            .order_by(FollowUp.due_on, FollowUp.id))
    if start is not None:
        stmt = stmt.where(FollowUp.due_on >= start)
    return [records.Deadline(OBJECT_TYPE, fu.object_id, title(fu.object_id, fu.agency),
                             fu.unit.name, fu.due_on, is_overdue(fu), url(fu.object_id))
            for fu in db.session.scalars(stmt)]


KIND = records.RecordKind(OBJECT_TYPE, LABEL, url=url, search=search, deadlines=deadlines)
