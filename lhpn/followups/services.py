"""Following a record with an outside agency: start, correct, answer, close, chase; whether it
is overdue, one rule in Python (``is_overdue``) and its SQL twin (``overdue``) for lists.

Deadlines are Vietnamese calendar dates: "today" is Vietnam's (``local_today``), never UTC's,
which is a day behind from 17:00 UTC. A follow-up is overdue while it is open (no answer
recorded, not closed) and today is after its deadline: due on the 5th, overdue on the 6th.

Who may start or answer a follow-up is the record kind's rule (``may_edit`` of
lhpn/followups/pages.py, asked by the kind's pages and API before calling here); every service
here also refuses an actor who does not reach the following unit at all (403) or belongs to
another tenant. Services validate everything before writing, flush, write an audit entry and
leave the commit to the caller. Audit entries hold the agency and dates only, never what the
record is about.
"""

import re
from datetime import date, datetime
from typing import Protocol

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, and_, func, select

from lhpn import authz
from lhpn.audit.services import record
from lhpn.clock import local_today, utcnow
from lhpn.errors import Conflict, DomainError, NotFound, as_id
from lhpn.extensions import db
from lhpn.followups.models import (
    FINAL_STATUSES,
    MAX_AGENCY,
    MAX_ANSWER,
    MAX_CONTENT,
    MAX_LETTER_NUMBER,
    FollowUp,
)
from lhpn.text import clean_line, clean_text
from lhpn.units.models import Unit
from lhpn.workflow.engine import is_current

_OBJECT_TYPE = re.compile(r"[a-z][a-z0-9_]{0,31}")


class Followed(Protocol):
    """What a followed record offers: its id and its tenant (an incident, a recommendation…)."""

    id: int
    tenant_id: int


# ---- reading ----------------------------------------------------------------------------------

def get_follow_up(tenant_id: int | None, follow_up_id: object) -> FollowUp:
    key = as_id(follow_up_id)
    found = db.session.get(FollowUp, key) if key is not None else None
    if found is None or found.tenant_id != tenant_id:
        raise NotFound(_("Không tìm thấy việc theo dõi."))
    return found


def follow_ups_of(object_type: str, object_id: int) -> Select[FollowUp]:
    """The follow-ups of one record, oldest first."""
    return (select(FollowUp)
            .where(FollowUp.object_type == object_type, FollowUp.object_id == object_id)
            .order_by(FollowUp.written_on, FollowUp.id))


def is_overdue(fu: FollowUp, today: date | None = None) -> bool:
    """Open and past its deadline on Vietnam's calendar."""
    today = local_today() if today is None else today
    return fu.status == "open" and today > fu.due_on


def days_overdue(fu: FollowUp, today: date | None = None) -> int:
    """Days past the deadline (0 when not overdue): due on the 5th, 1 on the 6th."""
    today = local_today() if today is None else today
    return (today - fu.due_on).days if is_overdue(fu, today) else 0


def overdue(today: date | None = None) -> ColumnElement[bool]:
    """``is_overdue`` as a condition on FollowUp, for lists and counts."""
    today = local_today() if today is None else today
    return and_(FollowUp.status == "open", FollowUp.due_on < today)


def overdue_in(unit_ids, today: date | None = None) -> Select[FollowUp]:
    """The overdue follow-ups of the units in ``unit_ids`` (a SELECT of unit ids, such as
    ``authz.reachable_unit_ids(user, "view")``), longest overdue first."""
    return (select(FollowUp)
            .where(overdue(today), FollowUp.unit_id.in_(unit_ids))
            .order_by(FollowUp.due_on, FollowUp.id))


def count_overdue_in(unit_ids, today: date | None = None) -> int:
    stmt = (select(func.count()).select_from(FollowUp)
            .where(overdue(today), FollowUp.unit_id.in_(unit_ids)))
    return db.session.scalar(stmt) or 0


# ---- writing ----------------------------------------------------------------------------------

def start(actor, object_type: str, followed: Followed, unit: Unit, *, agency: object,
          written_on: object, due_on: object, letter_number: object = "",
          agency_superior: object = "", content: object = "") -> FollowUp:
    """Record that ``unit`` handed ``followed`` to ``agency`` by a letter of ``written_on``
    (number ``letter_number``, may be blank), to be answered by ``due_on``; ``content`` is
    what is asked when the record holds several asks (a recommendation, a commitment)."""
    if not isinstance(object_type, str) or not _OBJECT_TYPE.fullmatch(object_type):
        raise ValueError(f"object_type {object_type!r}: a lower-case code such as 'incident'")
    if as_id(followed.id) is None or followed.tenant_id != unit.tenant_id:
        raise ValueError("a follow-up belongs to a saved record of its unit's tenant")
    _require_reach(actor, unit)
    fields = _letter_fields(agency, agency_superior, letter_number, written_on, due_on)
    fields["content"] = _content(content)
    fu = FollowUp(tenant_id=unit.tenant_id, unit_id=unit.id, unit=unit,
                  object_type=object_type, object_id=followed.id, status="open",
                  chase_count=0, answer="", created_by_id=actor.id, created_at=utcnow(),
                  **fields)
    db.session.add(fu)
    db.session.flush()
    _audit("follow_up.start", actor, fu, due_on=fu.due_on.isoformat())
    return fu


def update(actor, fu: FollowUp, version: object, *, agency: object, written_on: object,
           due_on: object, letter_number: object = "", agency_superior: object = "",
           content: object = None) -> FollowUp:
    """Correct the agency, the letter or the deadline (an extension the law allows) of a
    follow-up not yet closed; ``content`` None leaves what is asked as it is."""
    _require_change(actor, fu, version)
    fields = _letter_fields(agency, agency_superior, letter_number, written_on, due_on)
    if content is not None:
        fields["content"] = _content(content)
    if fu.answered_on is not None and fu.answered_on < fields["written_on"]:
        raise DomainError(_("Ngày trả lời đã ghi trước ngày gửi văn bản này."), "written_on")
    old_due = fu.due_on
    for name, value in fields.items():
        setattr(fu, name, value)
    fu.updated_at = utcnow()
    db.session.flush()
    _audit("follow_up.update", actor, fu, old_due_on=old_due.isoformat(),
           due_on=fu.due_on.isoformat())
    return fu


def answer(actor, fu: FollowUp, version: object, *, answered_on: object,
           answer: object) -> FollowUp:
    """The agency answered on ``answered_on``; ``answer`` sums up what it decided."""
    _require_change(actor, fu, version)
    day = _date(answered_on, "answered_on", _("Ngày trả lời"))
    if day < fu.written_on:
        raise DomainError(_("Ngày trả lời không được trước ngày gửi văn bản (%(d)s).",
                            d=f"{fu.written_on:%d/%m/%Y}"), "answered_on")
    if day > local_today():
        raise DomainError(_("Ngày trả lời không được sau ngày hôm nay."), "answered_on")
    text = clean_text(answer if isinstance(answer, str) else None, _("nội dung trả lời"),
                      "answer")
    if not text:
        raise DomainError(_("Hãy ghi tóm tắt nội dung trả lời của cơ quan."), "answer")
    if len(text) > MAX_ANSWER:
        raise DomainError(_("Nội dung trả lời dài quá %(n)d ký tự.", n=MAX_ANSWER), "answer")
    fu.answered_on, fu.answer, fu.status = day, text, "answered"
    fu.updated_at = utcnow()
    db.session.flush()
    _audit("follow_up.answer", actor, fu, answered_on=day.isoformat(),
           late=day > fu.due_on)
    return fu


def close(actor, fu: FollowUp, version: object) -> FollowUp:
    """Nothing more to follow: settled after the answer, or withdrawn."""
    _require_change(actor, fu, version)
    was = fu.status
    fu.status = "closed"
    fu.updated_at = utcnow()
    db.session.flush()
    _audit("follow_up.close", actor, fu, was=was)
    return fu


def settle(actor, fu: FollowUp, version: object, outcome: str) -> FollowUp:
    """What a recommendation or a commitment came to: ``implemented`` or ``not_accepted``
    (by the agency). Final, like ``close``."""
    if outcome not in ("implemented", "not_accepted"):
        raise DomainError(_("Kết quả không hợp lệ: chỉ “đã thực hiện” hoặc “không được "
                            "tiếp thu”."), "status")
    _require_change(actor, fu, version)
    was = fu.status
    fu.status = outcome
    fu.updated_at = utcnow()
    db.session.flush()
    _audit("follow_up.settle", actor, fu, was=was, to=outcome)
    return fu


def reopen(actor, fu: FollowUp, version: object) -> FollowUp:
    """Back to waiting for the agency: an answer recorded by mistake, or not the last word.
    The answer already recorded stays."""
    _require_change(actor, fu, version)
    if fu.status != "answered":
        raise DomainError(_("Việc theo dõi này đang chờ trả lời."), "status")
    fu.status = "open"
    fu.updated_at = utcnow()
    db.session.flush()
    _audit("follow_up.reopen", actor, fu)
    return fu


def record_chase(actor, fu: FollowUp, version: object, today: date | None = None) -> FollowUp:
    """A chasing letter was sent today: one more chase."""
    _require_change(actor, fu, version)
    today = local_today() if today is None else today
    if not is_overdue(fu, today):
        raise DomainError(_("Chỉ đôn đốc khi đã quá hạn mà cơ quan chưa trả lời."), "due_on")
    fu.chase_count += 1
    fu.last_chased_on = today
    fu.updated_at = utcnow()
    db.session.flush()
    _audit("follow_up.chase", actor, fu, chase=fu.chase_count,
           days_overdue=days_overdue(fu, today))
    return fu


# ---- rules and checks -------------------------------------------------------------------------

def _require_reach(actor, unit: Unit) -> None:
    if actor is None or getattr(actor, "tenant_id", None) != unit.tenant_id:
        raise authz.Forbidden("view")
    authz.require(actor, "view", unit)


def _require_change(actor, fu: FollowUp, version: object) -> None:
    _require_reach(actor, fu.unit)
    if fu.status in FINAL_STATUSES:
        raise DomainError(_("Việc theo dõi này đã kết thúc, không sửa được nữa."), "status")
    if not is_current(fu, version):
        raise Conflict(_("Việc theo dõi vừa được người khác thay đổi. Hãy tải lại trang rồi "
                         "làm lại."), "version")


def _letter_fields(agency: object, agency_superior: object, letter_number: object,
                   written_on: object, due_on: object) -> dict:
    """Every field checked before any is written: a refusal changes nothing."""
    name = _line(agency, _("cơ quan giải quyết"), "agency", MAX_AGENCY)
    if not name:
        raise DomainError(_("Hãy ghi tên cơ quan giải quyết."), "agency")
    superior = _line(agency_superior, _("cơ quan cấp trên"), "agency_superior", MAX_AGENCY)
    number = _line(letter_number, _("số văn bản"), "letter_number", MAX_LETTER_NUMBER)
    written = _date(written_on, "written_on", _("Ngày gửi văn bản"))
    due = _date(due_on, "due_on", _("Thời hạn giải quyết"))
    if written > local_today():
        raise DomainError(_("Ngày gửi văn bản không được sau ngày hôm nay."), "written_on")
    if due < written:
        raise DomainError(_("Thời hạn giải quyết (%(due)s) không được trước ngày gửi văn bản "
                            "(%(written)s).", due=f"{due:%d/%m/%Y}",
                            written=f"{written:%d/%m/%Y}"), "due_on")
    return {"agency": name, "agency_superior": superior, "letter_number": number,
            "written_on": written, "due_on": due}


def _content(value: object) -> str:
    if value is not None and not isinstance(value, str):
        raise DomainError(_("Nội dung phải là văn bản."), "content")
    text = clean_text(value, _("nội dung"), "content")
    if len(text) > MAX_CONTENT:
        raise DomainError(_("Nội dung dài quá %(n)d ký tự.", n=MAX_CONTENT), "content")
    return text


def _line(value: object, label: str, field: str, limit: int) -> str:
    if value is not None and not isinstance(value, str):
        raise DomainError(_("%(f)s phải là văn bản.", f=label[:1].upper() + label[1:]), field)
    text = clean_line(value, label, field)
    if len(text) > limit:
        raise DomainError(_("%(f)s dài quá %(n)d ký tự.", f=label[:1].upper() + label[1:],
                            n=limit), field)
    return text


def _date(value: object, field: str, label: str) -> date:
    """A date from a form (yyyy-mm-dd, as the date input sends it) or from code."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and value.strip():
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise DomainError(_("%(f)s không hợp lệ (định dạng yyyy-mm-dd).", f=label),
                              field) from None
    raise DomainError(_("Hãy nhập %(f)s.", f=label.lower()), field)


def _audit(action: str, actor, fu: FollowUp, **data: object) -> None:
    """The agency and the deadline only: what the record is about never enters the log."""
    summary = f"{fu.object_type} #{fu.object_id} → {fu.agency} ({fu.due_on:%d/%m/%Y})"
    record(action, "follow_up", fu.id, actor=actor, tenant_id=fu.tenant_id,
           summary=summary[:200], object_type=fu.object_type, object_id=fu.object_id,
           **data)
