"""Recording a unit's dialogues with the heads of Party committees and governments, and the
commitments made there.

* who writes and who reads: as for critiques (``lhpn.critiques.services.may_write``: the unit's
  own officers and chair; everyone who may ``view`` the unit reads);
* a dialogue is planned (its day may be ahead), then held (on a day not after today, with the
  number of women who took part), then closed, and reopened to held; each step goes through
  the workflow engine (history, audit);
* a commitment is a follow-up (lhpn/followups, object_type "dialogue"): what was committed
  (``content``), who committed (``agency``), by when (``due_on``), written on the day the
  dialogue was held. It goes overdue, is chased with a letter, answered, and settled as
  implemented or not accepted, like a supervision's recommendation.
"""

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import Select, select

from lhpn import authz
from lhpn.audit.services import record
from lhpn.clock import utcnow
from lhpn.critiques.services import check_version, day, line, require_write, text
from lhpn.dialogues.models import MAX_LINE, MAX_WOMEN, Dialogue
from lhpn.errors import Conflict, DomainError, NotFound, as_id, to_int
from lhpn.extensions import db
from lhpn.followups import services as follow_ups
from lhpn.followups.models import FollowUp
from lhpn.units.models import Unit
from lhpn.workflow.engine import Transition, Workflow

OBJECT_TYPE = "dialogue"

DIALOGUE_FLOW = Workflow(OBJECT_TYPE, {
    "hold": Transition(frozenset({"planned"}), "held"),
    "close": Transition(frozenset({"held"}), "closed"),
    "reopen": Transition(frozenset({"closed"}), "held", needs_comment=True),
})


def visible(user) -> Select:
    return (select(Dialogue)
            .where(Dialogue.unit_id.in_(authz.reachable_unit_ids(user, "view")))
            .order_by(Dialogue.held_on.desc(), Dialogue.id.desc()))


def get_visible(user, dialogue_id: object) -> Dialogue:
    key = as_id(dialogue_id)
    found = db.session.get(Dialogue, key) if key is not None else None
    if found is None or found.tenant_id != getattr(user, "tenant_id", None) \
            or not authz.can(user, "view", found.unit):
        raise NotFound(_("Không tìm thấy cuộc đối thoại."))
    return found


def overdue_ids(today: date | None = None) -> Select:
    """The ids of the dialogues with a commitment past its deadline."""
    return select(FollowUp.object_id).where(FollowUp.object_type == OBJECT_TYPE,
                                            follow_ups.overdue(today))


def overdue_among(ids: list[int], today: date | None = None) -> set[int]:
    if not ids:
        return set()
    return set(db.session.scalars(overdue_ids(today).where(FollowUp.object_id.in_(ids))))


def commitments(dialogue: Dialogue) -> list[FollowUp]:
    return list(db.session.scalars(follow_ups.follow_ups_of(OBJECT_TYPE, dialogue.id)))


def _fields(data: dict, *, held: bool) -> dict:
    when = day(data.get("held_on"), _("Ngày đối thoại"), "held_on", not_after_today=held)
    name = line(data.get("leader_name"), _("Họ tên người đứng đầu"), "leader_name", MAX_LINE,
                required=True)
    title = line(data.get("leader_title"), _("Chức vụ"), "leader_title", MAX_LINE,
                 required=True)
    body = line(data.get("body"), _("Cơ quan (cấp ủy, chính quyền)"), "body", MAX_LINE,
                required=True)
    women = women_count(data.get("women_count"))
    issues = text(data.get("issues"), _("Các vấn đề được nêu"), "issues")
    return {"held_on": when, "leader_name": name, "leader_title": title, "body": body,
            "women_count": women, "issues": issues}


def women_count(value: object) -> int:
    if value is None or (isinstance(value, str) and not value.strip()):
        return 0
    try:
        number = to_int(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        raise DomainError(_("Số phụ nữ tham gia phải là số nguyên."), "women_count") from None
    if isinstance(value, bool) or number < 0 or number > MAX_WOMEN:
        raise DomainError(_("Số phụ nữ tham gia phải từ 0 đến %(n)d.", n=MAX_WOMEN),
                          "women_count")
    return number


def create(actor, unit: Unit, data: dict) -> Dialogue:
    """A dialogue planned (its day may be ahead) or, with ``held`` true, already held."""
    require_write(actor, unit)
    held = data.get("held") in (True, "1", "true", "on", "yes")
    fields = _fields(data, held=held)
    dialogue = Dialogue(tenant_id=unit.tenant_id, unit_id=unit.id, unit=unit, status="planned",
                        created_by_id=actor.id, created_at=utcnow(), **fields)
    db.session.add(dialogue)
    db.session.flush()
    _audit("dialogue.create", actor, dialogue)
    if held:
        DIALOGUE_FLOW.apply(dialogue, "hold", actor)
    return dialogue


def update(actor, dialogue: Dialogue, data: dict, version: object) -> Dialogue:
    require_write(actor, dialogue.unit)
    merged = _current(dialogue) | {k: v for k, v in data.items() if v is not None}
    fields = _fields(merged, held=dialogue.status != "planned")
    if dialogue.status != "planned":
        first = db.session.scalar(select(FollowUp.written_on)
                                  .where(FollowUp.object_type == OBJECT_TYPE,
                                         FollowUp.object_id == dialogue.id)
                                  .order_by(FollowUp.written_on).limit(1))
        if first is not None and fields["held_on"] > first:
            raise DomainError(_("Ngày đối thoại không được sau ngày ghi các cam kết."), "held_on")
    check_version(dialogue, version, _("Cuộc đối thoại"))
    for name, value in fields.items():
        setattr(dialogue, name, value)
    dialogue.updated_at = utcnow()
    db.session.flush()
    _audit("dialogue.update", actor, dialogue)
    return dialogue


def _current(dialogue: Dialogue) -> dict:
    return {"held_on": dialogue.held_on, "leader_name": dialogue.leader_name,
            "leader_title": dialogue.leader_title, "body": dialogue.body,
            "women_count": dialogue.women_count, "issues": dialogue.issues}


def step(actor, dialogue: Dialogue, action: object, version: object, data: dict) -> Dialogue:
    """hold (on the day given, or the planned day; not after today; with the number of women
    if given), close, or reopen (with a comment)."""
    require_write(actor, dialogue.unit)
    if not isinstance(action, str) or action not in DIALOGUE_FLOW.transitions:
        raise DomainError(_("Thao tác không hợp lệ."), "action")
    DIALOGUE_FLOW.require(dialogue, action)
    fields: dict = {}
    if action == "hold":
        on = data.get("on") or data.get("held_on") or dialogue.held_on
        fields["held_on"] = day(on, _("Ngày đối thoại"), "on", not_after_today=True)
        if data.get("women_count") not in (None, ""):
            fields["women_count"] = women_count(data.get("women_count"))
        if data.get("issues") not in (None, ""):
            fields["issues"] = text(data.get("issues"), _("Các vấn đề được nêu"), "issues")
    comment = data.get("comment") if action == "reopen" else None
    check_version(dialogue, version, _("Cuộc đối thoại"))
    for name, value in fields.items():
        setattr(dialogue, name, value)
    dialogue.updated_at = utcnow()
    DIALOGUE_FLOW.apply(dialogue, action, actor, comment if isinstance(comment, str) else None)
    return dialogue


def action_to(dialogue: Dialogue, status: object) -> str:
    for action, transition in DIALOGUE_FLOW.transitions.items():
        if transition.target == status and dialogue.status in transition.sources:
            return action
    raise Conflict(_("Không thể chuyển sang trạng thái này từ trạng thái hiện tại."), "status")


def add_commitment(actor, dialogue: Dialogue, *, content: object, agency: object,
                   due_on: object) -> FollowUp:
    """A commitment made at the dialogue, followed up until implemented or not accepted."""
    require_write(actor, dialogue.unit)
    if dialogue.status == "planned":
        raise DomainError(_("Chỉ ghi cam kết sau khi cuộc đối thoại đã diễn ra."), "status")
    what = text(content, _("Nội dung cam kết"), "text", required=True, limit=4000)
    return follow_ups.start(actor, OBJECT_TYPE, dialogue, dialogue.unit, agency=agency,
                            written_on=dialogue.held_on, due_on=due_on, content=what)


def letter_subject(dialogue: Dialogue) -> str:
    """The dialogue as a chasing letter names it: an official letter, always in Vietnamese."""
    return f"cam kết tại cuộc đối thoại ngày {dialogue.held_on:%d/%m/%Y} với {dialogue.body}"


def history(dialogue: Dialogue):
    return DIALOGUE_FLOW.history(dialogue)


def title_of(dialogue: Dialogue) -> str:
    return _("Đối thoại với %(title)s %(name)s", title=dialogue.leader_title,
             name=dialogue.leader_name)


def _audit(action: str, actor, dialogue: Dialogue) -> None:
    record(action, OBJECT_TYPE, dialogue.id, actor=actor, tenant_id=dialogue.tenant_id,
           summary=f"{dialogue.body} ({dialogue.held_on:%d/%m/%Y})"[:200],
           unit_id=dialogue.unit_id, status=dialogue.status)
