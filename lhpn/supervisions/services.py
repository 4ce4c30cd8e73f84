"""Supervisions: recording one, its dossier, its steps, its recommendations.

The rules, each in one place:

* who sees a supervision: who may ``view`` its unit (``get_visible``: 404 otherwise);
* who writes it (records it, corrects it, adds documents, starts it, sends the draft report to
  the chair, closes it, follows its recommendations): who holds ``plan`` at the unit itself,
  its staff (``may_write``) — the same right that writes the unit's plans and reports;
* who approves the unit's supervision plan and signs its final report ("TM. BAN THƯỜNG VỤ"):
  the unit's OWN approver, its chair (``approve`` on the unit itself), never the one who sent
  it up (``may_decide``). A plan or a report the unit sends up is approved one level above
  (lhpn/authz/signoff.py approval_unit); a supervision is the unit's own act, signed in its
  own name, so it stays with the unit's chair. The rule "nobody decides on what they sent up"
  is the same (``authz.is_own_submission``).

Every step has the day it happened (``on``): not after today, not before the step before it.
Every change is audited (the title and the agency: nothing here is personal data).
"""

from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, exists, extract, func, select

from lhpn import authz
from lhpn.audit.services import record
from lhpn.clock import local_today, utcnow
from lhpn.errors import Conflict, DomainError, NotFound, as_id
from lhpn.extensions import db
from lhpn.followups import services as follow_ups
from lhpn.followups.models import FollowUp
from lhpn.notifications.services import notify, users_who_can
from lhpn.supervisions.models import (
    DOCUMENT_KINDS,
    MAX_AGENCY,
    MAX_NOTE,
    MAX_NUMBER,
    MAX_TEXT,
    MAX_TITLE,
    METHODS,
    SUBJECT_KINDS,
    Supervision,
    SupervisionDocument,
)
from lhpn.text import clean_line, clean_text
from lhpn.units.models import Unit
from lhpn.workflow.engine import Transition, Workflow, is_current

OBJECT_TYPE = "supervision"
SUBJECT_KIND_LABELS = {"policy": _l("Chính sách, pháp luật"),
                       "programme": _l("Chương trình, đề án"),
                       "cadre_conduct": _l("Đạo đức, lối sống của cán bộ, đảng viên")}
METHOD_LABELS = {"team": _l("Thành lập đoàn giám sát"), "documents": _l("Nghiên cứu văn bản"),
                 "petitions": _l("Qua đơn thư, kiến nghị"),
                 "observation": _l("Giám sát thường xuyên, quan sát")}
DOCUMENT_LABELS = {
    "proposal": _l("Văn bản đề xuất của Hội"),
    "party_agreement": _l("Ý kiến đồng ý của cấp ủy"),
    "state_consultation": _l("Văn bản trao đổi với cơ quan nhà nước"),
    "plan": _l("Kế hoạch giám sát"),
    "team_decision": _l("Quyết định thành lập đoàn giám sát"),
    "invitation": _l("Giấy mời"),
    "draft_report": _l("Dự thảo báo cáo kết quả giám sát"),
    "final_report": _l("Báo cáo kết quả giám sát"),
}

SUPERVISION_FLOW = Workflow(OBJECT_TYPE, {
    "approve_plan": Transition(frozenset({"proposed"}), "approved"),
    "return_plan": Transition(frozenset({"proposed"}), "proposed", needs_comment=True),
    "start": Transition(frozenset({"approved"}), "in_progress"),
    "submit_report": Transition(frozenset({"in_progress"}), "report_submitted"),
    "approve_report": Transition(frozenset({"report_submitted"}), "reported"),
    "return_report": Transition(frozenset({"report_submitted"}), "in_progress",
                                needs_comment=True),
    "close": Transition(frozenset({"reported"}), "closed"),
})
# The chair's steps (the others are the staff's).
DECISIONS = frozenset({"approve_plan", "return_plan", "approve_report", "return_report"})
# The day each step writes, and the day it may not be before.
STEP_DAYS = {"approve_plan": ("approved_on", "proposed_on"),
             "start": ("started_on", "approved_on"),
             "submit_report": ("report_submitted_on", "started_on"),
             "approve_report": ("reported_on", "report_submitted_on"),
             "close": ("closed_on", "reported_on")}
# Recommendations are made once the draft report says what they are.
RECOMMENDING = frozenset({"report_submitted", "reported"})


# ---- who may ------------------------------------------------------------------------------

def may_write(user, supervision: Supervision) -> bool:
    return authz.can(user, "plan", supervision.unit)


def may_record_at(user, unit: Unit) -> bool:
    return authz.can(user, "plan", unit)


def is_chair_of(user, supervision: Supervision) -> bool:
    """The unit's own approver (not the one above, as for a report the unit sends up)."""
    return authz.can(user, "approve", supervision.unit)


def may_decide(user, supervision: Supervision) -> bool:
    return is_chair_of(user, supervision) and not authz.is_own_submission(user, supervision)


def may_take(user, supervision: Supervision, action: str) -> bool:
    if not SUPERVISION_FLOW.allowed(supervision.status, action):
        return False
    return may_decide(user, supervision) if action in DECISIONS else may_write(user, supervision)


def steps_for(user, supervision: Supervision) -> list[str]:
    return [a for a in SUPERVISION_FLOW.transitions if may_take(user, supervision, a)]


def may_recommend(user, supervision: Supervision) -> bool:
    return supervision.status in RECOMMENDING and may_write(user, supervision)


def may_follow(user, supervision: Supervision) -> bool:
    """Who follows the recommendations already made: the unit's staff, until closed."""
    return supervision.status != "closed" and may_write(user, supervision)


def writable_units(user, limit: int | None = None) -> list[Unit]:
    return list(db.session.scalars(select(Unit).where(authz.reachable(user, "plan"),
                                                      Unit.closed_at.is_(None))
                                   .order_by(Unit.path).limit(limit)))


# ---- reading ------------------------------------------------------------------------------

def get_visible(user, supervision_id: object) -> Supervision:
    key = as_id(supervision_id)
    found = db.session.get(Supervision, key) if key is not None else None
    if found is None or found.tenant_id != getattr(user, "tenant_id", None) \
            or not authz.can(user, "view", found.unit):
        raise NotFound(_("Không tìm thấy cuộc giám sát."))
    return found


def visible(user) -> Select:
    return (select(Supervision)
            .where(Supervision.unit_id.in_(authz.reachable_unit_ids(user, "view")))
            .order_by(Supervision.proposed_on.desc(), Supervision.id.desc()))


def filtered(stmt: Select, *, status: str | None = None, year: int | None = None,
             unit_id: int | None = None, overdue: bool | None = None,
             today: date | None = None) -> Select:
    if status:
        stmt = stmt.where(Supervision.status == status)
    if year is not None:
        stmt = stmt.where(extract("year", Supervision.proposed_on) == year)
    if unit_id is not None:
        stmt = stmt.where(Supervision.unit_id == unit_id)
    if overdue is not None:
        late = Supervision.id.in_(overdue_ids(today))
        stmt = stmt.where(late if overdue else ~late)
    return stmt


def recommendations(supervision: Supervision) -> list[FollowUp]:
    return list(db.session.scalars(follow_ups.follow_ups_of(OBJECT_TYPE, supervision.id)))


def overdue_ids(today: date | None = None) -> Select:
    return select(FollowUp.object_id).where(FollowUp.object_type == OBJECT_TYPE,
                                            follow_ups.overdue(today))


def overdue_count(user, today: date | None = None) -> int:
    """For the dashboard: the overdue recommendations of the units ``user`` views (the unit
    and every unit below it, so they show at the unit and at its ancestors)."""
    stmt = (select(func.count()).select_from(FollowUp)
            .where(FollowUp.object_type == OBJECT_TYPE, follow_ups.overdue(today),
                   FollowUp.unit_id.in_(authz.reachable_unit_ids(user, "view"))))
    return db.session.scalar(stmt) or 0


def has_overdue(supervision: Supervision, today: date | None = None) -> bool:
    return bool(db.session.scalar(select(exists().where(
        FollowUp.object_type == OBJECT_TYPE, FollowUp.object_id == supervision.id,
        follow_ups.overdue(today)))))


def get_document(user, document_id: object) -> SupervisionDocument:
    """A dossier document of a supervision ``user`` may see; 404 otherwise."""
    key = as_id(document_id)
    found = db.session.get(SupervisionDocument, key) if key is not None else None
    if found is None or found.tenant_id != getattr(user, "tenant_id", None) \
            or not authz.can(user, "view", found.supervision.unit):
        raise NotFound(_("Không tìm thấy văn bản trong hồ sơ giám sát."))
    return found


def may_attach(user, document: SupervisionDocument) -> bool:
    """Who adds and removes a dossier document's files: the unit's staff, until closed."""
    return document.supervision.status != "closed" and may_write(user, document.supervision)


def history(supervision: Supervision):
    return SUPERVISION_FLOW.history(supervision)


# ---- writing ------------------------------------------------------------------------------

def record_supervision(actor, unit: Unit, data: dict) -> Supervision:
    """The union proposes a supervision at ``unit``; the proposal waits for the chair."""
    if not may_record_at(actor, unit):
        raise authz.Forbidden("plan")
    if unit.closed_at is not None:
        raise DomainError(_("Đơn vị này đã giải thể."), "unit_id")
    fields = _fields(data)
    proposed_on = _day(data.get("proposed_on") or local_today(), "proposed_on",
                       _("Ngày đề xuất"))
    supervision = Supervision(tenant_id=unit.tenant_id, unit_id=unit.id, unit=unit,
                              status="proposed", proposed_on=proposed_on,
                              submitted_by_id=actor.id, created_by_id=actor.id,
                              created_at=utcnow(), **fields)
    db.session.add(supervision)
    db.session.flush()
    _audit("supervision.create", actor, supervision)
    _tell_chair(actor, supervision, _("Đề xuất giám sát “%(t)s” chờ duyệt kế hoạch.",
                                      t=supervision.title[:100]))
    return supervision


def update_supervision(actor, supervision: Supervision, data: dict,
                       version: object) -> Supervision:
    """Correct what is supervised, where, how, by whom (until it is closed)."""
    _require_write(actor, supervision, version)
    fields = _fields(data)
    for name, value in fields.items():
        setattr(supervision, name, value)
    supervision.updated_at = utcnow()
    db.session.flush()
    _audit("supervision.update", actor, supervision)
    return supervision


def take_step(actor, supervision: Supervision, action: object, version: object,
              on: object = None, comment: object = "") -> Supervision:
    """Move the supervision along ``action`` on the day ``on`` (default today)."""
    if not isinstance(action, str) or action not in SUPERVISION_FLOW.transitions:
        raise DomainError(_("Bước không hợp lệ."), "action")
    if action in DECISIONS:
        if not is_chair_of(actor, supervision):
            raise authz.Forbidden("approve")
        if authz.is_own_submission(actor, supervision):
            raise DomainError(_("Không duyệt, trả lại được kế hoạch hoặc báo cáo giám sát do "
                                "chính mình gửi: một người khác có quyền duyệt của đơn vị "
                                "quyết định."))
    elif not may_write(actor, supervision):
        raise authz.Forbidden("plan")
    SUPERVISION_FLOW.require(supervision, action)
    if not is_current(supervision, version):
        raise Conflict(_("Cuộc giám sát vừa được người khác thay đổi. Hãy tải lại trang rồi "
                         "làm lại."), "version")
    if action in STEP_DAYS:
        field, previous = STEP_DAYS[action]
        day = _day(on if on not in (None, "") else local_today(), "on", _("Ngày thực hiện"))
        before = getattr(supervision, previous)
        if before is not None and day < before:
            raise DomainError(_("Ngày thực hiện (%(d)s) không được trước bước trước (%(b)s).",
                                d=f"{day:%d/%m/%Y}", b=f"{before:%d/%m/%Y}"), "on")
        setattr(supervision, field, day)
        if action == "approve_report":
            supervision.reported_at = utcnow()
    if action == "submit_report":
        supervision.submitted_by_id = actor.id
    if action == "return_report":
        supervision.report_submitted_on = None
    supervision.updated_at = utcnow()
    SUPERVISION_FLOW.apply(supervision, action, actor,
                           comment if isinstance(comment, str) else "")
    if action == "submit_report":
        _tell_chair(actor, supervision, _("Dự thảo báo cáo giám sát “%(t)s” chờ ký.",
                                          t=supervision.title[:100]))
    return supervision


def action_to(supervision: Supervision, status: object) -> str:
    """The step that moves the supervision from where it is to ``status`` (the API's way of
    naming a step); 409 when the workflow has none."""
    for action, transition in SUPERVISION_FLOW.transitions.items():
        if transition.target == status and supervision.status in transition.sources \
                and transition.target != supervision.status:
            return action
    raise Conflict(_("Không chuyển được cuộc giám sát sang trạng thái này từ trạng thái hiện "
                     "tại."), "status")


def add_document(actor, supervision: Supervision, data: dict,
                 version: object) -> SupervisionDocument:
    _require_write(actor, supervision, version)
    kind = data.get("kind")
    if kind not in DOCUMENT_KINDS:
        raise DomainError(_("Hãy chọn loại văn bản."), "kind")
    number = _line(data.get("number"), _("Số văn bản"), "number", MAX_NUMBER)
    issued_on = _day(data.get("issued_on"), "issued_on", _("Ngày văn bản"))
    if issued_on < supervision.proposed_on and kind != "proposal":
        raise DomainError(_("Ngày văn bản không được trước ngày đề xuất giám sát (%(d)s).",
                            d=f"{supervision.proposed_on:%d/%m/%Y}"), "issued_on")
    note = _text(data.get("note"), _("Ghi chú"), "note", MAX_NOTE)
    document = SupervisionDocument(tenant_id=supervision.tenant_id, supervision=supervision,
                                   kind=kind, number=number, issued_on=issued_on, note=note,
                                   created_by_id=actor.id, created_at=utcnow())
    db.session.add(document)
    supervision.updated_at = utcnow()  # the dossier changed: the version moves
    db.session.flush()
    _audit("supervision.document", actor, supervision, kind=kind,
           issued_on=issued_on.isoformat())
    return document


def recommend(actor, supervision: Supervision, *, text: object, agency: object,
              due_on: object, letter_number: object = "", written_on: object = None) -> FollowUp:
    """A recommendation made after the supervision, to ``agency``, answered by ``due_on``:
    written on the final report's day (the draft's, before it is signed) unless given."""
    if not may_write(actor, supervision):
        raise authz.Forbidden("plan")
    if supervision.status not in RECOMMENDING:
        raise DomainError(_("Kiến nghị được ghi sau khi đã trình dự thảo báo cáo kết quả giám "
                            "sát."), "status")
    content = _text(text, _("Nội dung kiến nghị"), "text", MAX_TEXT)
    if not content:
        raise DomainError(_("Hãy ghi nội dung kiến nghị."), "text")
    written = written_on or supervision.reported_on or supervision.report_submitted_on \
        or local_today()
    fu = follow_ups.start(actor, OBJECT_TYPE, supervision, supervision.unit, agency=agency,
                          written_on=written, due_on=due_on, letter_number=letter_number,
                          content=content)
    return fu


# ---- checks ---------------------------------------------------------------------------------

def _require_write(actor, supervision: Supervision, version: object) -> None:
    if not may_write(actor, supervision):
        raise authz.Forbidden("plan")
    if supervision.status == "closed":
        raise DomainError(_("Cuộc giám sát đã kết thúc, không sửa được nữa."), "status")
    if not is_current(supervision, version):
        raise Conflict(_("Cuộc giám sát vừa được người khác thay đổi. Hãy tải lại trang rồi "
                         "làm lại."), "version")


def _fields(data: dict) -> dict:
    """Every field checked before any is written: a refusal changes nothing."""
    title = _line(data.get("title"), _("Tên cuộc giám sát"), "title", MAX_TITLE)
    if not title:
        raise DomainError(_("Hãy ghi tên cuộc giám sát."), "title")
    subject_kind = data.get("subject_kind") or "policy"
    if subject_kind not in SUBJECT_KINDS:
        raise DomainError(_("Hãy chọn nội dung giám sát: chính sách, chương trình hay đạo đức "
                            "cán bộ."), "subject_kind")
    subject = _text(data.get("subject"), _("Nội dung giám sát"), "subject", MAX_TEXT)
    if not subject:
        raise DomainError(_("Hãy ghi nội dung giám sát."), "subject")
    agency = _line(data.get("agency"), _("Cơ quan được giám sát"), "agency", MAX_AGENCY)
    if not agency:
        raise DomainError(_("Hãy ghi cơ quan, tổ chức được giám sát."), "agency")
    method = data.get("method")
    if method not in METHODS:
        raise DomainError(_("Hãy chọn hình thức giám sát."), "method")
    team = _text(data.get("team"), _("Thành viên đoàn giám sát"), "team", MAX_TEXT)
    return {"title": title, "subject_kind": subject_kind, "subject": subject,
            "agency": agency, "method": method, "team": team}


def _line(value: object, label: str, field: str, limit: int) -> str:
    if value is not None and not isinstance(value, str):
        raise DomainError(_("%(f)s phải là văn bản.", f=label), field)
    text = clean_line(value, label, field)
    if len(text) > limit:
        raise DomainError(_("%(f)s dài quá %(n)d ký tự.", f=label, n=limit), field)
    return text


def _text(value: object, label: str, field: str, limit: int) -> str:
    if value is not None and not isinstance(value, str):
        raise DomainError(_("%(f)s phải là văn bản.", f=label), field)
    text = clean_text(value, label, field).strip()
    if len(text) > limit:
        raise DomainError(_("%(f)s dài quá %(n)d ký tự.", f=label, n=limit), field)
    return text


def _day(value: object, field: str, label: str) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        day = value
    elif isinstance(value, str) and value.strip():
        try:
            day = date.fromisoformat(value.strip())
        except ValueError:
            raise DomainError(_("%(f)s không hợp lệ (định dạng yyyy-mm-dd).", f=label),
                              field) from None
    else:
        raise DomainError(_("Hãy nhập %(f)s.", f=label.lower()), field)
    if day > local_today():
        raise DomainError(_("%(f)s không được sau ngày hôm nay.", f=label), field)
    if day.year < 1990:
        raise DomainError(_("%(f)s không hợp lệ.", f=label), field)
    return day


def _audit(action: str, actor, supervision: Supervision, **data: object) -> None:
    record(action, OBJECT_TYPE, supervision.id, actor=actor, tenant_id=supervision.tenant_id,
           summary=f"{supervision.title} — {supervision.agency}"[:200], **data)


def _tell_chair(actor, supervision: Supervision, message: str) -> None:
    chairs = [user for user in users_who_can("approve", supervision.unit)
              if user.id != actor.id]
    notify(chairs, message, f"/supervisions/{supervision.id}")
