"""Receiving and handling petitions; who reads the petitioner in clear; the masked view.

The rules, each in one place:

* who receives and handles a petition at a unit, and reads it in clear: ``handle_petition``
  on the unit — the unit's own staff, and the approvers of the unit and above it;
* reads in clear by someone of another unit (an approver above) are logged with their purpose
  first (``open_clear``, lhpn/privacy/access_log.py), in the same transaction; the unit's own
  people handle their petitions without choosing a purpose each time;
* everyone else who may ``view`` the unit sees the petition masked (``masked``): number,
  dates, category, channel, status, the mass flag — never the petitioner, subject, summary
  or outcome;
* a petition about many women at once (``is_mass``, khiếu kiện đông người) is reported at once
  to the approvers of the level above, without personal data in the notice.

Status (``PETITION_FLOW``, through lhpn/workflow/engine.Workflow): received → handling →
resolved | forwarded | guided → closed, and closed → handling (reopen). "resolve", "forward"
and "guide" may start from received directly. Forwarding opens a follow-up (lhpn/followups)
with the agency and the forwarding letter, so its deadline, overdue state and chasing letter
come from there. A petition is overdue while the unit still holds it (received, handling) past
its ``due_on``, or while its forwarding follow-up is overdue.

Audit entries and notices name the petition by its register number, category, unit and day:
never a field of the encrypted columns.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, and_, func, or_, select

from lhpn import authz
from lhpn.audit.services import record
from lhpn.clock import local_today, utcnow
from lhpn.errors import Conflict, DomainError, NotFound, as_id
from lhpn.extensions import db
from lhpn.incidents.services import line_input, parse_day, text_input
from lhpn.notifications.services import notify, users_who_can
from lhpn.petitions import deadlines
from lhpn.petitions.models import CATEGORIES, CHANNELS, PENDING, Petition
from lhpn.privacy.access_log import record_read
from lhpn.units.models import Unit
from lhpn.workflow.engine import Transition, Workflow, is_current

OBJECT_TYPE = "petition"
CATEGORY_LABELS = {
    "complaint": _l("Khiếu nại"),
    "denunciation": _l("Tố cáo"),
    "recommendation": _l("Kiến nghị"),
    "reflection": _l("Phản ánh"),
}
CHANNEL_LABELS = {
    "in_person": _l("Trực tiếp"),
    "letter": _l("Qua đường thư"),
    "phone": _l("Qua điện thoại"),
    "online": _l("Trực tuyến"),
    "forwarded": _l("Cấp khác chuyển đến"),
}
# The sensitive fields, as the access log names them.
CLEAR_FIELDS = ("petitioner_name", "petitioner_address", "petitioner_phone",
                "petition_subject", "petition_summary", "petition_outcome")
PETITION_FLOW = Workflow(OBJECT_TYPE, {
    "handle": Transition(frozenset({"received"}), "handling"),
    "resolve": Transition(frozenset(PENDING), "resolved"),
    "forward": Transition(frozenset(PENDING), "forwarded"),
    "guide": Transition(frozenset(PENDING), "guided"),
    "close": Transition(frozenset({"resolved", "forwarded", "guided"}), "closed"),
    "reopen": Transition(frozenset({"closed"}), "handling"),
})


def category_label(code: str) -> str:
    return str(CATEGORY_LABELS.get(code, code))


def channel_label(code: str) -> str:
    return str(CHANNEL_LABELS.get(code, code))


# --- Who may do what ----------------------------------------------------------------------

def may_handle_at(user, unit: Unit) -> bool:
    return authz.can(user, "handle_petition", unit)


def may_handle(user, petition: Petition) -> bool:
    """Receive, handle, read in clear (lhpn/followups may_edit has this signature)."""
    return may_handle_at(user, petition.unit)


def logged_read(user, petition: Petition) -> bool:
    """Whether a read in clear by ``user`` is logged with a purpose: by anyone but the people
    of the unit that handles the petition."""
    return getattr(user, "unit_id", None) != petition.unit_id


def handling_units(user, limit: int | None = None) -> list[Unit]:
    """The open units where ``user`` may receive petitions, the highest first."""
    return list(db.session.scalars(select(Unit).where(authz.reachable(user, "handle_petition"),
                                                      Unit.closed_at.is_(None))
                                   .order_by(Unit.path).limit(limit)))


def visible(user) -> Select:
    """The petitions ``user`` may see (masked or not): those of the units they may view."""
    return (select(Petition)
            .where(Petition.unit_id.in_(authz.reachable_unit_ids(user, "view")))
            .order_by(Petition.received_on.desc(), Petition.id.desc()))


def get_visible(user, petition_id: object) -> Petition:
    """The petition, if ``user`` may view its unit; 404 otherwise (another tenant's, another
    branch, no such id): its existence is confirmed to no one else."""
    key = as_id(petition_id)
    petition = db.session.get(Petition, key) if key is not None else None
    if petition is None or petition.tenant_id != getattr(user, "tenant_id", None) \
            or not authz.can(user, "view", petition.unit):
        raise NotFound(_("Không tìm thấy đơn thư."))
    return petition


def require_handle(user, petition: Petition) -> None:
    if not may_handle(user, petition):
        raise authz.Forbidden("handle_petition")


def open_clear(user, petition: Petition, *, purpose: object = None, note: object = "",
               channel: str = "page") -> None:
    """Let ``user`` read the petition in clear: checked, then (for anyone outside the handling
    unit) logged with its purpose in this transaction; a read that cannot be logged fails."""
    require_handle(user, petition)
    if logged_read(user, petition):
        record_read(user, object_type=OBJECT_TYPE, object_id=petition.id,
                    tenant_id=petition.tenant_id, fields=CLEAR_FIELDS,
                    purpose=purpose if isinstance(purpose, str) else "",
                    purpose_note=note if isinstance(note, str) else "", channel=channel)


# --- Deadlines and the masked view ----------------------------------------------------------

def overdue_follow_up_ids(today: date | None = None) -> Select:
    from lhpn.followups.models import FollowUp
    from lhpn.followups.services import overdue

    return select(FollowUp.object_id).where(FollowUp.object_type == OBJECT_TYPE,
                                            overdue(today))


def overdue(today: date | None = None) -> ColumnElement[bool]:
    """Held by the unit past its deadline, or forwarded and the agency's answer overdue."""
    today = local_today() if today is None else today
    return or_(and_(Petition.status.in_(PENDING), Petition.due_on < today),
               Petition.id.in_(overdue_follow_up_ids(today)))


def is_overdue(petition: Petition, today: date | None = None) -> bool:
    today = local_today() if today is None else today
    if petition.status in PENDING and today > petition.due_on:
        return True
    from lhpn.followups.models import FollowUp

    return db.session.scalar(overdue_follow_up_ids(today)
                             .where(FollowUp.object_id == petition.id).limit(1)) is not None


def title(petition: Petition) -> str:
    """The petition without anything personal: register number and category."""
    return str(_("Đơn số %(n)d/%(y)d (%(c)s)", n=petition.number, y=petition.year,
                 c=category_label(petition.category).lower()))


def _describe(petition: Petition) -> str:
    return str(_("%(t)s, %(unit)s, nhận ngày %(day)s", t=title(petition),
                 unit=petition.unit.name, day=f"{petition.received_on:%d/%m/%Y}"))


@dataclass
class Masked:
    """What anyone who may view the unit sees of a petition."""

    id: int
    number: int
    year: int
    unit_id: int
    unit_name: str
    received_on: date
    channel: str
    forwarded_from: str
    category: str
    is_mass: bool
    due_on: date
    status: str
    handled_on: date | None
    told_on: date | None
    overdue: bool


def masked(petition: Petition, today: date | None = None) -> Masked:
    return Masked(id=petition.id, number=petition.number, year=petition.year,
                  unit_id=petition.unit_id, unit_name=petition.unit.name,
                  received_on=petition.received_on,
                  channel=petition.channel, forwarded_from=petition.forwarded_from,
                  category=petition.category, is_mass=petition.is_mass,
                  due_on=petition.due_on, status=petition.status,
                  handled_on=petition.handled_on, told_on=petition.told_on,
                  overdue=is_overdue(petition, today))


# --- Input --------------------------------------------------------------------------------

@dataclass
class PetitionInput:
    received_on: date
    channel: str
    forwarded_from: str
    category: str
    full_name: str
    address: str
    phone: str
    subject: str
    summary: str
    is_mass: bool


def _flag(value: object) -> bool:
    return value is True or value in ("1", "true", "on", "yes")


def petition_input(data: dict) -> PetitionInput:
    """The petition's fields as typed (a form, or a JSON body whose ``petitioner`` object is
    flattened by the caller); every field checked before anything is written."""
    received_on = parse_day(data.get("received_on"), _("Ngày nhận đơn"), "received_on")
    assert received_on is not None
    category = data.get("category")
    if category not in CATEGORIES:
        raise DomainError(_("Hãy chọn loại đơn: khiếu nại, tố cáo, kiến nghị hoặc phản ánh."),
                          "category")
    channel = data.get("channel")
    if channel not in CHANNELS:
        raise DomainError(_("Hãy chọn hình thức tiếp nhận đơn trong danh sách."), "channel")
    forwarded_from = line_input(data.get("forwarded_from"), _("Cấp chuyển đơn đến"),
                                "forwarded_from", required=channel == "forwarded")
    phone = line_input(data.get("phone"), _("Số điện thoại người gửi đơn"), "phone")
    if phone and not all(ch.isdigit() or ch in " +.-()" for ch in phone):
        raise DomainError(_("Số điện thoại chỉ gồm chữ số (có thể có dấu cách, +, ., -)."),
                          "phone")
    return PetitionInput(
        received_on=received_on, channel=str(channel),
        forwarded_from=forwarded_from if channel == "forwarded" else "",
        category=str(category),
        # A denunciation may come without a name (it is then handled as information).
        full_name=line_input(data.get("full_name"), _("Họ và tên người gửi đơn"), "full_name"),
        address=line_input(data.get("address"), _("Địa chỉ người gửi đơn"), "address"),
        phone=phone,
        subject=line_input(data.get("subject"), _("Trích yếu nội dung đơn"), "subject"),
        summary=text_input(data.get("summary"), _("Tóm tắt nội dung đơn"), "summary",
                           required=True),
        is_mass=_flag(data.get("is_mass")))


def _columns(values: PetitionInput) -> dict:
    return {"received_on": values.received_on, "year": values.received_on.year,
            "channel": values.channel, "forwarded_from": values.forwarded_from,
            "category": values.category, "full_name": values.full_name or None,
            "address": values.address or None, "phone": values.phone or None,
            "subject": values.subject or None, "summary": values.summary,
            "is_mass": values.is_mass}


def due_on_for(tenant_id: int, category: str, received_on: date) -> date:
    return received_on + timedelta(days=deadlines.days_for(tenant_id, category))


def _next_number(unit_id: int, year: int) -> int:
    last = db.session.scalar(select(func.max(Petition.number))
                             .where(Petition.unit_id == unit_id, Petition.year == year))
    return (last or 0) + 1


# --- Changes ------------------------------------------------------------------------------

def receive(actor, unit: Unit, data: dict) -> Petition:
    """Enter a petition in the unit's register; its deadline from the tenant's table. A mass
    petition is reported at once to the level above."""
    if not may_handle_at(actor, unit):
        raise authz.Forbidden("handle_petition")
    if unit.closed_at is not None:
        raise DomainError(_("Đơn vị đã giải thể: không tiếp nhận đơn mới."), "unit_id")
    values = petition_input(data)
    columns = _columns(values)
    petition = Petition(tenant_id=unit.tenant_id, unit_id=unit.id, unit=unit,
                        number=_next_number(unit.id, values.received_on.year),
                        due_on=due_on_for(unit.tenant_id, values.category, values.received_on),
                        status="received", created_by_id=actor.id, created_at=utcnow(),
                        **columns)
    db.session.add(petition)
    db.session.flush()
    record("petition.create", OBJECT_TYPE, petition.id, actor=actor, tenant_id=unit.tenant_id,
           summary=_describe(petition), unit_id=unit.id, category=petition.category,
           channel=petition.channel, due_on=petition.due_on.isoformat(),
           is_mass=petition.is_mass)
    if petition.is_mass:
        _report_mass(actor, petition)
    return petition


def _check_version(petition: Petition, version: object) -> None:
    if not is_current(petition, version):
        raise Conflict(_("Đơn thư vừa được người khác cập nhật. Hãy tải lại trang và nhập lại "
                         "thay đổi của bạn."), "version")


def update(actor, petition: Petition, data: dict, version: object) -> Petition:
    """Correct what was entered; a new day of receipt or category moves the deadline."""
    require_handle(actor, petition)
    if petition.status == "closed":
        raise DomainError(_("Đơn đã kết thúc: mở lại trước khi sửa."), "status")
    values = petition_input(data)
    if petition.handled_on is not None and values.received_on > petition.handled_on:
        raise DomainError(_("Ngày nhận đơn không được sau ngày xử lý đơn."), "received_on")
    _check_version(petition, version)
    was_mass = petition.is_mass
    columns = _columns(values)
    # Every query before the first change: a query flushes, and each flush moves the version.
    columns["due_on"] = due_on_for(petition.tenant_id, values.category, values.received_on)
    if columns["year"] != petition.year:
        columns["number"] = _next_number(petition.unit_id, columns["year"])
    for name, value in columns.items():
        setattr(petition, name, value)
    petition.updated_at = utcnow()
    db.session.flush()
    record("petition.update", OBJECT_TYPE, petition.id, actor=actor,
           tenant_id=petition.tenant_id, summary=_describe(petition),
           due_on=petition.due_on.isoformat(), is_mass=petition.is_mass)
    if petition.is_mass and not was_mass:
        _report_mass(actor, petition)
    return petition


def flag_mass(actor, petition: Petition, version: object) -> Petition:
    """Mark a petition as a mass one found so after intake: reported at once."""
    require_handle(actor, petition)
    if petition.is_mass:
        raise Conflict(_("Đơn đã được đánh dấu là khiếu kiện đông người."), "is_mass")
    _check_version(petition, version)
    petition.is_mass = True
    petition.updated_at = utcnow()
    db.session.flush()
    record("petition.mass", OBJECT_TYPE, petition.id, actor=actor,
           tenant_id=petition.tenant_id, summary=_describe(petition))
    _report_mass(actor, petition)
    return petition


def _report_mass(actor, petition: Petition) -> None:
    """The approvers of the level above (the unit's own approvers for the province), told
    at once; the notice names the register entry only."""
    above = petition.unit.parent or petition.unit
    recipients = [user for user in users_who_can("approve", above) if user.id != actor.id]
    notify(recipients, str(_("Khiếu kiện đông người — %(what)s. Nội dung đơn chỉ xem trên hệ "
                             "thống.", what=_describe(petition))),
           f"/petitions/{petition.id}")
    record("petition.mass_reported", OBJECT_TYPE, petition.id, actor=actor,
           tenant_id=petition.tenant_id, summary=_describe(petition),
           to_unit_id=above.id, recipients=len(recipients))


def _handled_on(value: object, petition: Petition, name: str = "on") -> date:
    day = parse_day(value if value not in (None, "") else local_today(), _("Ngày xử lý"), name)
    assert day is not None
    if day < petition.received_on:
        raise DomainError(_("Ngày xử lý không được trước ngày nhận đơn (%(d)s).",
                            d=f"{petition.received_on:%d/%m/%Y}"), name)
    return day


def start_handling(actor, petition: Petition, version: object) -> Petition:
    require_handle(actor, petition)
    PETITION_FLOW.require(petition, "handle")
    _check_version(petition, version)
    petition.updated_at = utcnow()
    PETITION_FLOW.apply(petition, "handle", actor)
    return petition


def conclude(actor, petition: Petition, action: str, version: object, *, outcome: object,
             on: object = None) -> Petition:
    """``resolve`` (the unit settled it) or ``guide`` (guidance given to the petitioner),
    with what came of it (kept encrypted, never in the history nor the audit)."""
    require_handle(actor, petition)
    if action not in ("resolve", "guide"):
        raise DomainError(_("Thao tác không hợp lệ."), "action")
    PETITION_FLOW.require(petition, action)
    day = _handled_on(on, petition)
    label = _("Kết quả giải quyết") if action == "resolve" else _("Nội dung hướng dẫn")
    text = text_input(outcome, label, "outcome", required=True)
    _check_version(petition, version)
    petition.outcome, petition.handled_on = text, day
    petition.updated_at = utcnow()
    PETITION_FLOW.apply(petition, action, actor)
    return petition


def forward(actor, petition: Petition, version: object, *, agency: object,
            letter_number: object = "", written_on: object = None,
            due_on: object = None) -> Petition:
    """Forwarded to the competent agency by the letter ``letter_number`` of ``written_on``;
    followed up there (lhpn/followups) until ``due_on`` (default: the letter's day plus the
    category's days)."""
    from lhpn.followups import services as follow_ups

    require_handle(actor, petition)
    PETITION_FLOW.require(petition, "forward")
    written = _handled_on(written_on, petition, "written_on")
    due = _forward_due(due_on, written, petition)
    agency = line_input(agency, _("Cơ quan có thẩm quyền"), "agency", required=True)
    _check_version(petition, version)
    petition.handled_on = written
    petition.updated_at = utcnow()
    PETITION_FLOW.apply(petition, "forward", actor)
    follow_ups.start(actor, OBJECT_TYPE, petition, petition.unit, agency=agency,
                     written_on=written, due_on=due, letter_number=letter_number)
    return petition


def _forward_due(value: object, written: date, petition: Petition) -> date:
    """The agency's deadline: as typed (not before the letter), or the letter's day plus the
    category's days. Checked before anything changes: a refusal leaves the petition as it was."""
    if value in (None, ""):
        return written + timedelta(days=deadlines.days_for(petition.tenant_id,
                                                           petition.category))
    due = value if isinstance(value, date) else None
    if isinstance(value, str):
        try:
            due = date.fromisoformat(value.strip())
        except ValueError:
            due = None
    if due is None:
        raise DomainError(_("Hạn trả lời không hợp lệ (định dạng yyyy-mm-dd)."), "due_on")
    if due < written:
        raise DomainError(_("Hạn trả lời (%(due)s) không được trước ngày văn bản chuyển đơn "
                            "(%(written)s).", due=f"{due:%d/%m/%Y}",
                            written=f"{written:%d/%m/%Y}"), "due_on")
    return due


def tell(actor, petition: Petition, version: object, told_on: object) -> Petition:
    """The petitioner was told the outcome (or the guidance) on ``told_on``."""
    require_handle(actor, petition)
    if petition.status in PENDING:
        raise DomainError(_("Chưa có kết quả xử lý để thông báo cho người gửi đơn."), "status")
    day = parse_day(told_on, _("Ngày thông báo cho người gửi đơn"), "told_on")
    assert day is not None
    if petition.handled_on is not None and day < petition.handled_on:
        raise DomainError(_("Ngày thông báo không được trước ngày xử lý đơn (%(d)s).",
                            d=f"{petition.handled_on:%d/%m/%Y}"), "told_on")
    _check_version(petition, version)
    petition.told_on = day
    petition.updated_at = utcnow()
    db.session.flush()
    record("petition.tell", OBJECT_TYPE, petition.id, actor=actor,
           tenant_id=petition.tenant_id, summary=_describe(petition), told_on=day.isoformat())
    return petition


def close(actor, petition: Petition, version: object) -> Petition:
    require_handle(actor, petition)
    PETITION_FLOW.require(petition, "close")
    _check_version(petition, version)
    petition.closed_on = local_today()
    petition.updated_at = utcnow()
    PETITION_FLOW.apply(petition, "close", actor)
    return petition


def reopen(actor, petition: Petition, version: object) -> Petition:
    require_handle(actor, petition)
    PETITION_FLOW.require(petition, "reopen")
    _check_version(petition, version)
    petition.closed_on = None
    petition.updated_at = utcnow()
    PETITION_FLOW.apply(petition, "reopen", actor)
    return petition


def history(petition: Petition):
    return PETITION_FLOW.history(petition)


def record_export_read(user, petition: Petition, *, purpose: object, note: object = "") -> None:
    """A petition in a register exported in clear: always logged (channel xlsx), whoever
    exports it: a file leaves the system."""
    require_handle(user, petition)
    record_read(user, object_type=OBJECT_TYPE, object_id=petition.id,
                tenant_id=petition.tenant_id, fields=CLEAR_FIELDS,
                purpose=purpose if isinstance(purpose, str) else "",
                purpose_note=note if isinstance(note, str) else "", channel="xlsx")
