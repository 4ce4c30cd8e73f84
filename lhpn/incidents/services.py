"""Recording and handling incidents; who reads them in clear; their masked view.

The rules, each in one place:

* who records one at a unit: ``record_incident`` on the unit (its staff; the protection
  officers above it);
* who reads a victim's identity, contact and the facts in clear, and handles the case (edits
  it, adds victims and interventions, moves its status): ``read_protected`` on the unit — the
  recording unit's staff and approver, the approvers above it (the chain of command) and the
  protection officers above it (``may_read_clear``). Each such read is logged with its purpose
  first (``open_clear``), in the same transaction;
* everyone else who may ``view`` the unit sees the case masked (``masked``): kind, date,
  commune, each victim's sex and age band, status;
* who is told at once of a new case: ``alert_incident`` on the unit, without the victim's
  identity in the notice.

Audit entries and notices carry the case number, its kind, unit and date: never a field of the
encrypted columns.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select

from lhpn import authz
from lhpn.audit.services import record
from lhpn.clock import local_today, utcnow
from lhpn.errors import Conflict, DomainError, NotFound, as_id
from lhpn.extensions import db
from lhpn.incidents.models import (
    INTERVENTION_KINDS,
    SEXES,
    Incident,
    IncidentKind,
    Intervention,
    Victim,
)
from lhpn.notifications.services import notify, users_who_can
from lhpn.privacy.access_log import record_read
from lhpn.text import clean_line, clean_text
from lhpn.units.models import Unit
from lhpn.workflow.engine import Transition, Workflow, is_current

OBJECT_TYPE = "incident"
STARTER_KINDS = (
    ("domestic_violence", _l("Bạo lực gia đình")),
    ("sexual_abuse", _l("Xâm hại tình dục")),
    ("trafficking", _l("Mua bán người")),
    ("child_abuse", _l("Bạo lực, xâm hại trẻ em")),
    ("other", _l("Vụ việc khác xâm phạm quyền phụ nữ, trẻ em")),
)
SEX_LABELS = {"female": _l("Nữ"), "male": _l("Nam"), "other": _l("Khác")}
INTERVENTION_LABELS = {
    "counselling": _l("Tư vấn, tham vấn"),
    "shelter": _l("Nơi tạm lánh an toàn"),
    "legal_aid": _l("Trợ giúp pháp lý"),
    "health": _l("Chăm sóc y tế"),
    "police": _l("Chuyển cơ quan công an"),
    "court": _l("Chuyển tòa án, viện kiểm sát"),
    "other": _l("Hỗ trợ khác"),
}
# A child, for the law on children (Luật Trẻ em 2016, Điều 1): under 16.
CHILD_UNDER = 16
AGE_BANDS = ((0, 5), (6, 11), (12, 15), (16, 17), (18, 29), (30, 44), (45, 59), (60, None))
MAX_LINE, MAX_TEXT, MAX_VICTIMS = 300, 10000, 50
# The sensitive fields, as the access log names them.
CLEAR_FIELDS = ("place", "source", "facts", "victim_state", "responsible", "outcome",
                "victim_name", "victim_address", "victim_phone", "interventions",
                "follow_up_answers")

INCIDENT_FLOW = Workflow(OBJECT_TYPE, {
    "follow": Transition(frozenset({"open"}), "following"),
    "close": Transition(frozenset({"open", "following"}), "closed"),
    "reopen": Transition(frozenset({"closed"}), "open"),
})


def seed_kinds(tenant_id: int) -> int:
    """Add the starter kinds of incident the tenant does not have yet; returns how many."""
    have = set(db.session.scalars(select(IncidentKind.code)
                                  .where(IncidentKind.tenant_id == tenant_id)))
    added = 0
    for code, name in STARTER_KINDS:
        if code not in have:
            db.session.add(IncidentKind(tenant_id=tenant_id, code=code, name=str(name)))
            added += 1
    db.session.flush()
    return added


def kinds(tenant_id: int | None, *, active_only: bool = True) -> list[IncidentKind]:
    stmt = select(IncidentKind).where(IncidentKind.tenant_id == tenant_id)
    if active_only:
        stmt = stmt.where(IncidentKind.active)
    return list(db.session.scalars(stmt.order_by(IncidentKind.id)))


def kinds_for(incident: Incident) -> list[IncidentKind]:
    """The kinds an edit of ``incident`` may choose: the active ones and its own, even retired."""
    found = kinds(incident.tenant_id)
    return found if incident.kind in found else [*found, incident.kind]


# --- Who may do what ----------------------------------------------------------------------

def may_record(user, unit: Unit) -> bool:
    return authz.can(user, "record_incident", unit)


def may_read_clear(user, incident: Incident) -> bool:
    return authz.can(user, "read_protected", incident.unit)


def require_read_clear(user, incident: Incident) -> None:
    if not may_read_clear(user, incident):
        raise authz.Forbidden("read_protected")


def recordable_units(user, limit: int | None = None) -> list[Unit]:
    """The open units where ``user`` may record a case, the highest first."""
    return list(db.session.scalars(select(Unit).where(authz.reachable(user, "record_incident"),
                                                      Unit.closed_at.is_(None))
                                   .order_by(Unit.path).limit(limit)))


def visible(user) -> Select:
    """The incidents ``user`` may see (masked or not): those of the units they may view."""
    return (select(Incident).where(Incident.unit_id.in_(authz.reachable_unit_ids(user, "view")))
            .order_by(Incident.occurred_on.desc(), Incident.id.desc()))


def overdue_ids(today: date | None = None) -> Select:
    """The ids of the incidents with a follow-up past its deadline (lhpn/followups)."""
    from lhpn.followups.models import FollowUp
    from lhpn.followups.services import overdue

    return select(FollowUp.object_id).where(FollowUp.object_type == OBJECT_TYPE,
                                            overdue(today))


def overdue_among(incident_ids: list[int], today: date | None = None) -> set[int]:
    """Which of these incidents have a follow-up past its deadline."""
    from lhpn.followups.models import FollowUp

    if not incident_ids:
        return set()
    return set(db.session.scalars(overdue_ids(today).where(FollowUp.object_id.in_(incident_ids))))


def is_overdue(incident: Incident, today: date | None = None) -> bool:
    return incident.id in overdue_among([incident.id], today)


def counts_for(user, today: date | None = None) -> dict[str, int]:
    """For the dashboard: the cases of the units ``user`` views still open (not closed), and
    those whose handling by the authorities is overdue. Counts only, never identities."""
    from sqlalchemy import func

    base = (select(func.count()).select_from(Incident)
            .where(Incident.unit_id.in_(authz.reachable_unit_ids(user, "view")),
                   Incident.status != "closed"))
    return {"open": db.session.scalar(base) or 0,
            "overdue": db.session.scalar(base.where(Incident.id.in_(overdue_ids(today)))) or 0}


def get_visible(user, incident_id: object) -> Incident:
    """The incident, if ``user`` may view its unit; 404 otherwise (another tenant's, another
    branch of the tree, no such id): its existence is not confirmed to anyone else."""
    key = as_id(incident_id)
    incident = db.session.get(Incident, key) if key is not None else None
    if incident is None or incident.tenant_id != user.tenant_id \
            or not authz.can(user, "view", incident.unit):
        raise NotFound(_("Không tìm thấy vụ việc."))
    return incident


def open_clear(user, incident: Incident, *, purpose: object, note: object = "",
               channel: str = "page", fields: tuple[str, ...] = CLEAR_FIELDS) -> None:
    """Let ``user`` read the case in clear: checked, then logged in this transaction (a read
    that cannot be logged fails)."""
    require_read_clear(user, incident)
    record_read(user, object_type=OBJECT_TYPE, object_id=incident.id,
                tenant_id=incident.tenant_id, fields=fields,
                purpose=purpose if isinstance(purpose, str) else "",
                purpose_note=note if isinstance(note, str) else "", channel=channel)


# --- The masked view ---------------------------------------------------------------------

def age_of(victim: Victim, on: date) -> int | None:
    return None if victim.birth_year is None else max(on.year - victim.birth_year, 0)


def _band_label(low: int, high: int | None) -> str:
    if high is None:
        return str(_("Từ %(n)d tuổi", n=low))
    return str(_("%(a)d–%(b)d tuổi", a=low, b=high))


def age_band(victim: Victim, on: date) -> str:
    age = age_of(victim, on)
    if age is not None:
        for low, high in AGE_BANDS:
            if age >= low and (high is None or age <= high):
                return _band_label(low, high)
    return str(_("Không rõ tuổi"))


def age_band_labels() -> list[str]:
    """Every age band's label, youngest first, "unknown" last (the order of a breakdown)."""
    return [*(_band_label(low, high) for low, high in AGE_BANDS), str(_("Không rõ tuổi"))]


@dataclass
class MaskedVictim:
    sex: str
    age_band: str
    child: bool


@dataclass
class Masked:
    """What anyone who may view the unit sees of a case."""

    id: int
    kind: str
    occurred_on: date
    unit_name: str
    commune_name: str
    status: str
    victims: list[MaskedVictim] = field(default_factory=list)


def commune_of(unit: Unit) -> Unit:
    """The commune a case belongs to (its unit, or the commune above a branch)."""
    return unit.parent if unit.level == "branch" and unit.parent is not None else unit


def masked(incident: Incident) -> Masked:
    return Masked(
        id=incident.id, kind=incident.kind.name, occurred_on=incident.occurred_on,
        unit_name=incident.unit.name, commune_name=commune_of(incident.unit).name,
        status=incident.status,
        victims=[MaskedVictim(sex=victim.sex, age_band=age_band(victim, incident.occurred_on),
                              child=victim.is_child) for victim in incident.victims])


# --- Input --------------------------------------------------------------------------------

def line_input(value: object, label: str, name: str, *, required: bool = False) -> str:
    if value is not None and not isinstance(value, str):
        raise DomainError(_("%(f)s phải là văn bản.", f=label), name)
    text = clean_line(value, label, name)
    if required and not text:
        raise DomainError(_("Hãy nhập %(f)s.", f=label.lower()), name)
    if len(text) > MAX_LINE:
        raise DomainError(_("%(f)s dài quá %(n)d ký tự.", f=label, n=MAX_LINE), name)
    return text


def text_input(value: object, label: str, name: str, *, required: bool = False) -> str:
    if value is not None and not isinstance(value, str):
        raise DomainError(_("%(f)s phải là văn bản.", f=label), name)
    text = clean_text(value, label, name)
    if required and not text:
        raise DomainError(_("Hãy nhập %(f)s.", f=label.lower()), name)
    if len(text) > MAX_TEXT:
        raise DomainError(_("%(f)s dài quá %(n)d ký tự.", f=label, n=MAX_TEXT), name)
    return text


def parse_day(value: object, label: str, name: str, *, required: bool = True) -> date | None:
    """A day typed as dd/mm/yyyy or yyyy-mm-dd (or a date); not after today (Vietnam time)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise DomainError(_("Hãy nhập %(f)s.", f=label.lower()), name)
        return None
    day = value if isinstance(value, date) and not isinstance(value, datetime) else None
    if isinstance(value, str):
        for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
            try:
                day = datetime.strptime(value.strip(), pattern).date()
                break
            except ValueError:
                continue
    if day is None:
        raise DomainError(_("%(f)s viết theo dạng ngày/tháng/năm, ví dụ 05/03/2026.", f=label),
                          name)
    if day > local_today():
        raise DomainError(_("%(f)s không được sau hôm nay.", f=label), name)
    if day.year < 1990:
        raise DomainError(_("%(f)s quá xa trong quá khứ.", f=label), name)
    return day


def _kind(tenant_id: int, value: object, kept: IncidentKind | None = None) -> IncidentKind:
    """The kind chosen: an active one of the tenant, or ``kept`` (the edited case's own kind,
    which it keeps after the kind is taken off the list)."""
    key = as_id(value)
    kind = db.session.get(IncidentKind, key) if key is not None else None
    if kind is None and isinstance(value, str):
        kind = db.session.scalar(select(IncidentKind).where(IncidentKind.tenant_id == tenant_id,
                                                            IncidentKind.code == value))
    if kind is None or kind.tenant_id != tenant_id or not (kind.active or kind is kept):
        raise DomainError(_("Hãy chọn loại vụ việc trong danh sách."), "kind")
    return kind


@dataclass
class VictimInput:
    full_name: str
    birth_year: int | None
    sex: str
    is_child: bool
    address: str
    phone: str


def victim_input(data: dict, occurred_on: date, prefix: str = "victim") -> VictimInput:
    """One victim from a form or a JSON object. ``age_or_year``: an age (0–120) or a year of
    birth; ``child``: "1"/"0", true/false, or empty (then from the age, when known)."""
    full_name = line_input(data.get("full_name"), _("Họ và tên nạn nhân"), f"{prefix}_full_name",
                      required=True)
    birth_year = _birth_year(data.get("age_or_year"), occurred_on, f"{prefix}_age_or_year")
    sex = data.get("sex")
    if sex not in SEXES:
        raise DomainError(_("Hãy chọn giới tính của nạn nhân."), f"{prefix}_sex")
    age = None if birth_year is None else occurred_on.year - birth_year
    child = _flag(data.get("child"), f"{prefix}_child")
    if child is None:
        if age is None:
            raise DomainError(_("Hãy cho biết nạn nhân là trẻ em hay người lớn."),
                              f"{prefix}_child")
        child = age < CHILD_UNDER
    elif age is not None and child != (age < CHILD_UNDER):
        raise DomainError(_("Tuổi của nạn nhân (%(n)d) không khớp với “trẻ em / người lớn”: "
                            "trẻ em là người dưới %(u)d tuổi.", n=age, u=CHILD_UNDER),
                          f"{prefix}_child")
    address = line_input(data.get("address"), _("Địa chỉ nạn nhân"), f"{prefix}_address")
    phone = line_input(data.get("phone"), _("Số điện thoại nạn nhân"), f"{prefix}_phone")
    if phone and not all(ch.isdigit() or ch in " +.-()" for ch in phone):
        raise DomainError(_("Số điện thoại chỉ gồm chữ số (có thể có dấu cách, +, ., -)."),
                          f"{prefix}_phone")
    return VictimInput(full_name, birth_year, str(sex), child, address, phone)


def _birth_year(value: object, occurred_on: date, name: str) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    number = value if isinstance(value, int) and not isinstance(value, bool) else None
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        number = int(value.strip())
    if number is None:
        raise DomainError(_("Năm sinh hoặc tuổi là một số, ví dụ 1990 hoặc 35."), name)
    if 0 <= number <= 120:
        return occurred_on.year - number
    if 1900 <= number <= occurred_on.year:
        return number
    raise DomainError(_("Năm sinh hoặc tuổi không hợp lệ: nhập tuổi (0–120) hoặc năm sinh "
                        "(1900–%(y)d).", y=occurred_on.year), name)


def _flag(value: object, name: str) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if value in ("1", "true", "child"):
        return True
    if value in ("0", "false", "adult"):
        return False
    raise DomainError(_("Hãy chọn trẻ em hoặc người lớn."), name)


@dataclass
class IncidentInput:
    kind: IncidentKind
    occurred_on: date
    place: str
    source: str
    facts: str
    victim_state: str
    responsible: str
    responsible_relation: str


def incident_input(tenant_id: int, data: dict, current: Incident | None = None) -> IncidentInput:
    """The case's fields as typed; ``current`` is the case being edited (None: a new one)."""
    # A purged case's source went with its identities (lhpn/privacy/retention.py): editing the
    # rest of the case must not ask for it again.
    purged = current is not None and current.purged_at is not None
    occurred_on = parse_day(data.get("occurred_on"), _("Ngày xảy ra"), "occurred_on")
    assert occurred_on is not None
    return IncidentInput(
        kind=_kind(tenant_id, data.get("kind"), current.kind if current else None),
        occurred_on=occurred_on,
        # A rapid report may not know the place yet: it can be added later.
        place=line_input(data.get("place"), _("Nơi xảy ra"), "place"),
        source=line_input(data.get("source"), _("Nguồn thông tin"), "source",
                          required=not purged),
        facts=text_input(data.get("facts"), _("Diễn biến vụ việc"), "facts", required=True),
        victim_state=text_input(data.get("victim_state"), _("Tình trạng hiện tại của nạn nhân"),
                           "victim_state"),
        responsible=line_input(data.get("responsible"), _("Người gây ra"), "responsible"),
        responsible_relation=line_input(data.get("responsible_relation"),
                                   _("Quan hệ với nạn nhân"), "responsible_relation"),
    )


# --- Changes ------------------------------------------------------------------------------

def record_incident(actor, unit: Unit, data: dict, victims: list[dict]) -> Incident:
    """Record a case with its victims (at least one); tell the chain at once."""
    if not may_record(actor, unit):
        raise authz.Forbidden("record_incident")
    if unit.closed_at is not None:
        raise DomainError(_("Đơn vị đã giải thể: không ghi nhận vụ việc mới."), "unit_id")
    values = incident_input(unit.tenant_id, data)
    if not isinstance(victims, list) or not victims:
        raise DomainError(_("Hãy nhập ít nhất một nạn nhân."), "victims")
    if len(victims) > MAX_VICTIMS:
        raise DomainError(_("Một vụ việc có tối đa %(n)d nạn nhân.", n=MAX_VICTIMS), "victims")
    people = [victim_input(v if isinstance(v, dict) else {}, values.occurred_on)
              for v in victims]
    incident = Incident(tenant_id=unit.tenant_id, unit_id=unit.id, unit=unit, status="open",
                        created_by_id=actor.id, created_at=utcnow(), **_columns(values))
    incident.victims = [Victim(tenant_id=unit.tenant_id, **vars(person)) for person in people]
    db.session.add(incident)
    db.session.flush()
    record("incident.create", OBJECT_TYPE, incident.id, actor=actor, tenant_id=unit.tenant_id,
           summary=_describe(incident), unit_id=unit.id, kind=values.kind.code)
    _alert(actor, incident)
    return incident


def _columns(values: IncidentInput) -> dict:
    return {"kind_id": values.kind.id, "kind": values.kind, "occurred_on": values.occurred_on,
            "place": values.place or None, "source": values.source or None, "facts": values.facts,
            "victim_state": values.victim_state or None,
            "responsible": values.responsible or None,
            "responsible_relation": values.responsible_relation or None}


def _describe(incident: Incident) -> str:
    """The case without anything personal: number, kind, unit, day."""
    return str(_("Vụ việc số %(id)d: %(kind)s, %(unit)s, ngày %(day)s", id=incident.id,
                 kind=incident.kind.name, unit=incident.unit.name,
                 day=incident.occurred_on.strftime("%d/%m/%Y")))


def _alert(actor, incident: Incident) -> None:
    recipients = [user for user in users_who_can("alert_incident", incident.unit)
                  if user.id != actor.id]
    notify(recipients, str(_("Vụ việc mới cần theo dõi — %(what)s. Thông tin nạn nhân chỉ xem "
                             "trên hệ thống.", what=_describe(incident))),
           f"/incidents/{incident.id}")


def _check_version(incident: Incident, version: object) -> None:
    if not is_current(incident, version):
        raise Conflict(_("Vụ việc vừa được người khác cập nhật. Hãy tải lại trang và nhập lại "
                         "thay đổi của bạn."), "version")


def update_incident(actor, incident: Incident, data: dict, version: object) -> Incident:
    require_read_clear(actor, incident)
    values = incident_input(incident.tenant_id, data, incident)
    for person in incident.victims:
        if person.birth_year is not None and person.birth_year > values.occurred_on.year:
            raise DomainError(_("Ngày xảy ra trước năm sinh của nạn nhân."), "occurred_on")
    _check_version(incident, version)
    for name, value in _columns(values).items():
        setattr(incident, name, value)
    incident.updated_at = utcnow()
    db.session.flush()
    record("incident.update", OBJECT_TYPE, incident.id, actor=actor,
           tenant_id=incident.tenant_id, summary=_describe(incident))
    return incident


def add_victim(actor, incident: Incident, data: dict, version: object) -> Victim:
    require_read_clear(actor, incident)
    person = victim_input(data, incident.occurred_on)
    if len(incident.victims) >= MAX_VICTIMS:
        raise DomainError(_("Một vụ việc có tối đa %(n)d nạn nhân.", n=MAX_VICTIMS), "victims")
    _check_version(incident, version)
    victim = Victim(tenant_id=incident.tenant_id, **vars(person))
    incident.victims.append(victim)
    incident.updated_at = utcnow()
    db.session.flush()
    record("incident.victim", OBJECT_TYPE, incident.id, actor=actor,
           tenant_id=incident.tenant_id, summary=_describe(incident))
    return victim


def add_intervention(actor, incident: Incident, data: dict, version: object) -> Intervention:
    require_read_clear(actor, incident)
    given_on = parse_day(data.get("given_on"), _("Ngày hỗ trợ"), "given_on")
    assert given_on is not None
    kind = data.get("kind")
    if kind not in INTERVENTION_KINDS:
        raise DomainError(_("Hãy chọn hình thức hỗ trợ, can thiệp trong danh sách."), "kind")
    by_whom = line_input(data.get("by_whom"), _("Người, cơ quan hỗ trợ"), "by_whom", required=True)
    note = text_input(data.get("note"), _("Nội dung hỗ trợ"), "note")
    _check_version(incident, version)
    intervention = Intervention(tenant_id=incident.tenant_id, given_on=given_on, kind=str(kind),
                                by_whom=by_whom, note=note or None, created_by_id=actor.id,
                                created_at=utcnow())
    incident.interventions.append(intervention)
    incident.updated_at = utcnow()
    db.session.flush()
    record("incident.intervention", OBJECT_TYPE, incident.id, actor=actor,
           tenant_id=incident.tenant_id, summary=_describe(incident), kind=str(kind))
    return intervention


def change_status(actor, incident: Incident, action: object, version: object,
                  outcome: object = None) -> Incident:
    """follow, close (with the outcome) or reopen, through the workflow engine. The outcome is
    kept encrypted on the case, never in the history's comment or the audit."""
    require_read_clear(actor, incident)
    if not isinstance(action, str) or action not in INCIDENT_FLOW.transitions:
        raise DomainError(_("Thao tác không hợp lệ."), "action")
    INCIDENT_FLOW.require(incident, action)
    text = ""
    if action == "close":
        text = text_input(outcome, _("Kết quả giải quyết"), "outcome", required=True)
    _check_version(incident, version)
    if action == "close":
        incident.outcome, incident.closed_on = text, local_today()
    elif action == "reopen":
        # A purged case reopened is purged again once closed long enough: what is added to it
        # now is identifying too (lhpn/privacy/retention.py).
        incident.closed_on = incident.purged_at = None
    incident.updated_at = utcnow()
    INCIDENT_FLOW.apply(incident, action, actor)  # one flush: the version moves by one
    return incident


def history(incident: Incident):
    return INCIDENT_FLOW.history(incident)
