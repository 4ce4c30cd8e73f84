"""Recording a draft received for critique or comment, the union's comments sent, what came of
them; who may write and who may read them.

The rules, each in one place:

* who records and handles a unit's critiques and comments (and its dialogues,
  lhpn/dialogues): ``record_oversight`` on the unit (policies/policy.csv: the unit's own
  officers and its chair), ``may_write``; these records are the unit's own work, not sent up
  for sign-off;
* who reads them: whoever may ``view`` the unit (its staff, the levels above); another
  tenant's record, or one of a unit out of reach, is not found (404);
* the dates: comments are due on or after the day the draft was received; the comments are
  sent on or after that day and not after today (Vietnam's calendar); a draft is not received
  in the future;
* the status moves received → sent → concluded (reopened back to sent) through the workflow
  engine (lhpn/workflow/engine.py): each step writes the history and the audit.

Nothing here is personal data: titles of drafts, names of bodies, dates, the union's own
comments in short.
"""

from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select

from lhpn import authz
from lhpn.audit.services import record
from lhpn.clock import local_today, utcnow
from lhpn.critiques.models import (
    ACCEPTED,
    CRITIQUE_KINDS,
    MAX_BODY,
    MAX_NUMBER,
    MAX_TEXT,
    MAX_TITLE,
    Critique,
)
from lhpn.errors import Conflict, DomainError, NotFound, as_id
from lhpn.extensions import db
from lhpn.text import clean_line, clean_text
from lhpn.units.models import Unit
from lhpn.workflow.engine import Transition, Workflow, is_current

OBJECT_TYPE = "critique"
KIND_LABELS = {"critique": _l("Phản biện xã hội"), "comment": _l("Góp ý dự thảo")}
ACCEPTED_LABELS = {"yes": _l("Được tiếp thu"), "partly": _l("Tiếp thu một phần"),
                   "no": _l("Không được tiếp thu"), "unknown": _l("Chưa rõ")}

CRITIQUE_FLOW = Workflow(OBJECT_TYPE, {
    "send": Transition(frozenset({"received"}), "sent"),
    "conclude": Transition(frozenset({"sent"}), "concluded"),
    "reopen": Transition(frozenset({"concluded"}), "sent", needs_comment=True),
})


# ---- who may do what --------------------------------------------------------------------------

def may_write(user, unit: Unit) -> bool:
    """A unit's own officers and its chair record its oversight work (critiques, comments on
    drafts, dialogues)."""
    return authz.can(user, "record_oversight", unit)


def require_write(user, unit: Unit) -> None:
    if not may_write(user, unit):
        raise authz.Forbidden("record_oversight")


def writable_units(user, limit: int | None = None) -> list[Unit]:
    """The open units where ``user`` may record oversight work, the highest first."""
    return list(db.session.scalars(
        select(Unit).where(authz.reachable(user, "record_oversight"), Unit.closed_at.is_(None))
        .order_by(Unit.path).limit(limit)))


def writable_unit(user, unit_id: object) -> Unit:
    """The unit chosen: 404 if ``user`` may not view it, 403 if they may not write there."""
    key = as_id(unit_id)
    unit = db.session.get(Unit, key) if key is not None else None
    if unit is None or unit.tenant_id != user.tenant_id or not authz.can(user, "view", unit):
        raise NotFound(_("Không tìm thấy đơn vị."))
    require_write(user, unit)
    if unit.closed_at is not None:
        raise DomainError(_("Đơn vị đã giải thể."), "unit_id")
    return unit


def visible(user) -> Select:
    return (select(Critique)
            .where(Critique.unit_id.in_(authz.reachable_unit_ids(user, "view")))
            .order_by(Critique.received_on.desc(), Critique.id.desc()))


def get_visible(user, critique_id: object) -> Critique:
    """404 for another tenant's, an unreachable one, or no such id."""
    key = as_id(critique_id)
    found = db.session.get(Critique, key) if key is not None else None
    if found is None or found.tenant_id != getattr(user, "tenant_id", None) \
            or not authz.can(user, "view", found.unit):
        raise NotFound(_("Không tìm thấy văn bản phản biện, góp ý."))
    return found


def is_overdue(critique: Critique, today: date | None = None) -> bool:
    """Comments past their due day and not sent yet."""
    today = local_today() if today is None else today
    return critique.status == "received" and critique.comments_due < today


def overdue_condition(today: date | None = None):
    today = local_today() if today is None else today
    return (Critique.status == "received") & (Critique.comments_due < today)


# ---- input ------------------------------------------------------------------------------------

def line(value: object, label: str, field: str, limit: int, *, required: bool = False) -> str:
    if value is not None and not isinstance(value, str):
        raise DomainError(_("%(f)s phải là văn bản.", f=label), field)
    text = clean_line(value, label, field)
    if required and not text:
        raise DomainError(_("Hãy nhập %(f)s.", f=label.lower()), field)
    if len(text) > limit:
        raise DomainError(_("%(f)s dài quá %(n)d ký tự.", f=label, n=limit), field)
    return text


def text(value: object, label: str, field: str, *, required: bool = False,
         limit: int = MAX_TEXT) -> str:
    if value is not None and not isinstance(value, str):
        raise DomainError(_("%(f)s phải là văn bản.", f=label), field)
    found = clean_text(value, label, field)
    if required and not found:
        raise DomainError(_("Hãy nhập %(f)s.", f=label.lower()), field)
    if len(found) > limit:
        raise DomainError(_("%(f)s dài quá %(n)d ký tự.", f=label, n=limit), field)
    return found


def day(value: object, label: str, field: str, *, not_after_today: bool = False) -> date:
    """A day as yyyy-mm-dd (a date input, the API) or dd/mm/yyyy, or a date."""
    found: date | None = None
    if isinstance(value, date) and not isinstance(value, datetime):
        found = value
    elif isinstance(value, str) and value.strip():
        raw = value.strip()
        try:
            found = (datetime.strptime(raw, "%d/%m/%Y").date() if "/" in raw
                     else date.fromisoformat(raw))
        except ValueError:
            raise DomainError(_("%(f)s không hợp lệ (dd/mm/yyyy).", f=label), field) from None
    if found is None:
        raise DomainError(_("Hãy nhập %(f)s.", f=label.lower()), field)
    if found.year < 1990 or found.year > 2100:
        raise DomainError(_("%(f)s không hợp lệ (dd/mm/yyyy).", f=label), field)
    if not_after_today and found > local_today():
        raise DomainError(_("%(f)s không được sau ngày hôm nay.", f=label), field)
    return found


def check_version(obj, version: object, noun: str) -> None:
    if not is_current(obj, version):
        raise Conflict(_("%(noun)s vừa được người khác cập nhật. Hãy tải lại trang và nhập lại "
                         "thay đổi của bạn.", noun=noun), "version")


def _draft_fields(data: dict) -> dict:
    """The draft's fields, all checked before any is written."""
    kind = data.get("kind")
    if kind not in CRITIQUE_KINDS:
        raise DomainError(_("Hãy chọn phản biện xã hội hoặc góp ý dự thảo."), "kind")
    title = line(data.get("draft_title"), _("Tên dự thảo"), "draft_title", MAX_TITLE,
                 required=True)
    body = line(data.get("issuing_body"), _("Cơ quan ban hành"), "issuing_body", MAX_BODY,
                required=True)
    received = day(data.get("received_on"), _("Ngày nhận dự thảo"), "received_on",
                   not_after_today=True)
    due = day(data.get("comments_due"), _("Hạn gửi ý kiến"), "comments_due")
    if due < received:
        raise DomainError(_("Hạn gửi ý kiến (%(due)s) không được trước ngày nhận dự thảo "
                            "(%(received)s).", due=f"{due:%d/%m/%Y}",
                            received=f"{received:%d/%m/%Y}"), "comments_due")
    return {"kind": kind, "draft_title": title, "issuing_body": body, "received_on": received,
            "comments_due": due}


def _sent_fields(critique: Critique, data: dict, received_on: date) -> dict:
    number = line(data.get("sent_number"), _("Số văn bản góp ý"), "sent_number", MAX_NUMBER)
    sent = day(data.get("sent_on"), _("Ngày gửi ý kiến"), "sent_on", not_after_today=True)
    if sent < received_on:
        raise DomainError(_("Ngày gửi ý kiến (%(sent)s) không được trước ngày nhận dự thảo "
                            "(%(received)s).", sent=f"{sent:%d/%m/%Y}",
                            received=f"{received_on:%d/%m/%Y}"), "sent_on")
    summary = text(data.get("sent_summary"), _("Tóm tắt ý kiến"), "sent_summary",
                   required=True)
    return {"sent_number": number, "sent_on": sent, "sent_summary": summary}


def _accepted_fields(data: dict) -> dict:
    accepted = data.get("accepted") or "unknown"
    if accepted not in ACCEPTED:
        raise DomainError(_("Kết quả tiếp thu không hợp lệ."), "accepted")
    note = text(data.get("accepted_note"), _("Ghi chú về việc tiếp thu"), "accepted_note")
    return {"accepted": accepted, "accepted_note": note}


# ---- writing ----------------------------------------------------------------------------------

def create(actor, unit: Unit, data: dict) -> Critique:
    require_write(actor, unit)
    fields = _draft_fields(data)
    critique = Critique(tenant_id=unit.tenant_id, unit_id=unit.id, unit=unit, status="received",
                        sent_number="", sent_summary="", accepted="unknown", accepted_note="",
                        created_by_id=actor.id, created_at=utcnow(), **fields)
    db.session.add(critique)
    db.session.flush()
    _audit("critique.create", actor, critique)
    return critique


def update(actor, critique: Critique, data: dict, version: object) -> Critique:
    """Correct the draft's fields; once sent, the comments sent too; once concluded, what came
    of them. Fields not sent keep their value."""
    require_write(actor, critique.unit)
    merged = _current(critique) | {k: v for k, v in data.items() if v is not None}
    fields = _draft_fields(merged)
    if critique.status != "received":
        fields |= _sent_fields(critique, merged, fields["received_on"])
    if critique.status == "concluded":
        fields |= _accepted_fields(merged)
    check_version(critique, version, _("Văn bản"))
    for name, value in fields.items():
        setattr(critique, name, value)
    critique.updated_at = utcnow()
    db.session.flush()
    _audit("critique.update", actor, critique)
    return critique


def _current(critique: Critique) -> dict:
    return {"kind": critique.kind, "draft_title": critique.draft_title,
            "issuing_body": critique.issuing_body, "received_on": critique.received_on,
            "comments_due": critique.comments_due, "sent_number": critique.sent_number,
            "sent_on": critique.sent_on, "sent_summary": critique.sent_summary,
            "accepted": critique.accepted, "accepted_note": critique.accepted_note}


def step(actor, critique: Critique, action: object, version: object, data: dict) -> Critique:
    """send (with the number, day and summary of the comments), conclude (with whether they
    were accepted), or reopen (with a comment: why), through the workflow engine."""
    require_write(actor, critique.unit)
    if not isinstance(action, str) or action not in CRITIQUE_FLOW.transitions:
        raise DomainError(_("Thao tác không hợp lệ."), "action")
    CRITIQUE_FLOW.require(critique, action)
    fields: dict = {}
    if action == "send":
        fields = _sent_fields(critique, data, critique.received_on)
    elif action == "conclude":
        fields = _accepted_fields(data)
    comment = data.get("comment") if action == "reopen" else None
    check_version(critique, version, _("Văn bản"))
    for name, value in fields.items():
        setattr(critique, name, value)
    critique.updated_at = utcnow()
    CRITIQUE_FLOW.apply(critique, action, actor,
                        comment if isinstance(comment, str) or comment is None else "")
    return critique


def action_to(critique: Critique, status: object) -> str:
    """The step that moves ``critique`` to ``status`` (the API names the state to reach)."""
    for action, transition in CRITIQUE_FLOW.transitions.items():
        if transition.target == status and critique.status in transition.sources:
            return action
    raise Conflict(_("Không thể chuyển sang trạng thái này từ trạng thái hiện tại."), "status")


def history(critique: Critique):
    return CRITIQUE_FLOW.history(critique)


def title_of(critique: Critique) -> str:
    return f"{KIND_LABELS[critique.kind]}: {critique.draft_title}"


def _audit(action: str, actor, critique: Critique) -> None:
    record(action, OBJECT_TYPE, critique.id, actor=actor, tenant_id=critique.tenant_id,
           summary=critique.draft_title[:200], unit_id=critique.unit_id, kind=critique.kind,
           status=critique.status)
