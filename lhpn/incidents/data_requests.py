"""A data subject's requests about a case (Law 91/2025/QH15): to see their data (access), to
have it corrected, or erased; recorded, then carried out or refused, each step audited.

Who: those who read the case in clear (``services.may_read_clear``). How each is carried out:

* access: the victim's record as a .docx for them (``victim_record_docx``), the read logged with
  purpose "other", note "Yêu cầu của chủ thể dữ liệu", channel docx;
* correction: by editing the case on its page; carrying it out marks it done;
* erasure: the victim pseudonymised as the purge does (lhpn/privacy/retention.py); a request
  about the case without naming a victim pseudonymises the whole case.

The audit entries name the case, the request and its kind, never the note, the reason or the
victim's data.
"""

from dataclasses import dataclass
from datetime import date
from io import BytesIO

from docx import Document
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lhpn.audit.services import record
from lhpn.clock import local_today, utcnow
from lhpn.errors import DomainError, NotFound, as_id
from lhpn.extensions import db
from lhpn.incidents import services
from lhpn.incidents.models import Incident, Victim
from lhpn.privacy.models import REQUEST_KINDS, REQUESTERS, DataRequest
from lhpn.privacy.retention import pseudonymise_victim, purge_incident
from lhpn.text import clean_text

KIND_LABELS = {"access": _l("Xem, nhận bản sao dữ liệu"), "correction": _l("Sửa dữ liệu"),
               "erasure": _l("Xóa dữ liệu")}
REQUESTER_LABELS = {"self": _l("Nạn nhân"), "representative": _l("Người đại diện hợp pháp")}
STATUS_LABELS = {"received": _l("Đã tiếp nhận"), "done": _l("Đã thực hiện"),
                 "refused": _l("Từ chối")}
ACCESS_NOTE = "Yêu cầu của chủ thể dữ liệu"
# What a list of requests holds in clear (the case page shows it only in clear, a logged read):
# whom each is about, its note and the reason of a refusal.
CLEAR_FIELDS = ("data_request_victim", "data_request_note", "data_request_refusal_reason")
MAX_NOTE = 2000


def for_incident(incident: Incident) -> list[DataRequest]:
    return list(db.session.scalars(select(DataRequest)
                                   .where(DataRequest.incident_id == incident.id)
                                   .order_by(DataRequest.received_on.desc(),
                                             DataRequest.id.desc())))


def get(incident: Incident, request_id: object) -> DataRequest:
    key = as_id(request_id)
    found = db.session.get(DataRequest, key) if key is not None else None
    if found is None or found.incident_id != incident.id:
        raise NotFound(_("Không tìm thấy yêu cầu."))
    return found


def _note(value: object, label: str, name: str, *, required: bool = False) -> str:
    if value is not None and not isinstance(value, str):
        raise DomainError(_("%(f)s phải là văn bản.", f=label), name)
    text = clean_text(value, label, name)
    if required and not text:
        raise DomainError(_("Hãy nhập %(f)s.", f=label.lower()), name)
    if len(text) > MAX_NOTE:
        raise DomainError(_("%(f)s dài quá %(n)d ký tự.", f=label, n=MAX_NOTE), name)
    return text


def _victim(incident: Incident, value: object) -> Victim | None:
    if value in (None, ""):
        return None
    key = as_id(value)
    victim = next((v for v in incident.victims if v.id == key), None)
    if victim is None:
        raise DomainError(_("Hãy chọn nạn nhân của vụ việc này."), "victim_id")
    return victim


def _describe(entry: DataRequest) -> str:
    return f"Vụ việc số {entry.incident_id}: yêu cầu số {entry.id} ({entry.kind})"


def record_request(actor, incident: Incident, data: dict) -> DataRequest:
    """Record a request as received; checked whole before anything is written."""
    services.require_read_clear(actor, incident)
    kind = data.get("kind")
    if kind not in REQUEST_KINDS:
        raise DomainError(_("Hãy chọn loại yêu cầu trong danh sách."), "kind")
    requester = data.get("requester")
    if requester not in REQUESTERS:
        raise DomainError(_("Hãy chọn người yêu cầu: nạn nhân hoặc người đại diện hợp pháp."),
                          "requester")
    victim = _victim(incident, data.get("victim_id"))
    if victim is None and kind == "access":
        raise DomainError(_("Yêu cầu xem dữ liệu phải nêu nạn nhân nào."), "victim_id")
    received_on = services.parse_day(data.get("received_on"), _("Ngày nhận yêu cầu"),
                                     "received_on")
    assert received_on is not None
    note = _note(data.get("note"), _("Ghi chú yêu cầu"), "note")
    entry = DataRequest(tenant_id=incident.tenant_id, incident_id=incident.id,
                        victim_id=victim.id if victim else None, kind=str(kind),
                        received_on=received_on, requester=str(requester), note=note or None,
                        status="received", created_by_id=actor.id, created_at=utcnow())
    db.session.add(entry)
    db.session.flush()
    record("data_request.create", "incident", incident.id, actor=actor,
           tenant_id=incident.tenant_id, summary=_describe(entry), request_id=entry.id,
           kind=entry.kind, requester=entry.requester)
    return entry


def _require_open(entry: DataRequest) -> None:
    if entry.status != "received":
        raise DomainError(_("Yêu cầu này đã được giải quyết."), "status")


def _done(actor, entry: DataRequest, today: date) -> None:
    entry.status, entry.done_on, entry.done_by_id = "done", today, actor.id


@dataclass
class CarriedOut:
    entry: DataRequest
    document: bytes | None = None  # the victim's record, for an access request


def carry_out(actor, incident: Incident, entry: DataRequest) -> CarriedOut:
    """Carry the request out (see the module's docstring); flushed, the caller commits."""
    services.require_read_clear(actor, incident)
    _require_open(entry)
    today = local_today()
    document = None
    if entry.kind == "access":
        victim = _victim(incident, entry.victim_id)
        if victim is None:
            raise DomainError(_("Nạn nhân của yêu cầu không còn trong vụ việc."), "victim_id")
        services.open_clear(actor, incident, purpose="other", note=ACCESS_NOTE, channel="docx",
                            fields=VICTIM_FIELDS)
        document = victim_record_docx(incident, victim, today)
    elif entry.kind == "erasure":
        victim = _victim(incident, entry.victim_id) if entry.victim_id else None
        if victim is None:
            purge_incident(incident, utcnow(), reason="erasure", actor=actor)
        else:
            pseudonymise_victim(victim)
            incident.updated_at = utcnow()
    _done(actor, entry, today)
    db.session.flush()
    record("data_request.done", "incident", incident.id, actor=actor,
           tenant_id=incident.tenant_id, summary=_describe(entry), request_id=entry.id,
           kind=entry.kind)
    return CarriedOut(entry, document)


def refuse(actor, incident: Incident, entry: DataRequest, reason: object) -> DataRequest:
    services.require_read_clear(actor, incident)
    _require_open(entry)
    text = _note(reason, _("Lý do từ chối"), "refusal_reason", required=True)
    entry.status, entry.refusal_reason = "refused", text
    entry.done_on, entry.done_by_id = local_today(), actor.id
    db.session.flush()
    record("data_request.refuse", "incident", incident.id, actor=actor,
           tenant_id=incident.tenant_id, summary=_describe(entry), request_id=entry.id,
           kind=entry.kind)
    return entry


# --- The victim's record, for an access request ------------------------------------------------

VICTIM_FIELDS = ("victim_name", "victim_address", "victim_phone", "place", "facts",
                 "victim_state", "interventions", "outcome")


def victim_record_docx(incident: Incident, victim: Victim, today: date) -> bytes:
    """What the case holds on one victim, for them: their own details, the case's facts, the
    support given and the outcome. The person responsible is a third party's data and is left
    out. Vietnamese whatever the interface language: it is handed to the person."""
    from lhpn import documents as D
    from lhpn.plans.wording import MOTTO, ON_BEHALF, RECEIVED_BY, agency_of

    doc = Document()
    summary = f"Thông tin cá nhân lưu tại vụ việc số {incident.id}"
    D.page_setup(doc, title=summary, subject=summary, author=incident.unit.document_name,
                 created=utcnow())
    D.header(doc, agency_of(incident.unit), MOTTO, f"Số:{chr(0xA0) * 6}/PCC-HLHPN",
             f"…, ngày {today.day:02d} tháng {today.month:02d} năm {today.year}")
    D.title(doc, "PHIẾU CUNG CẤP THÔNG TIN", summary)
    D.run(D.paragraph(doc), "Theo yêu cầu của chủ thể dữ liệu (Luật Bảo vệ dữ liệu cá nhân số "
          "91/2025/QH15), đơn vị cung cấp các thông tin cá nhân đang lưu giữ như sau.")
    sex = str(services.SEX_LABELS.get(victim.sex, victim.sex))
    rows = [("Họ và tên", victim.full_name or ""),
            ("Năm sinh", str(victim.birth_year or "")),
            ("Giới tính", sex),
            ("Trẻ em", "Có" if victim.is_child else "Không"),
            ("Địa chỉ", victim.address or ""),
            ("Số điện thoại", victim.phone or ""),
            ("Loại vụ việc", incident.kind.name),
            ("Ngày xảy ra", f"{incident.occurred_on:%d/%m/%Y}"),
            ("Nơi xảy ra", incident.place or ""),
            ("Diễn biến", incident.facts or ""),
            ("Tình trạng của nạn nhân", incident.victim_state or ""),
            ("Kết quả giải quyết", incident.outcome or "")]
    D.grid(doc, ("Thông tin", "Nội dung"), (4.5, D.TEXT_WIDTH_CM - 4.5), rows)
    if incident.interventions:
        D.section(doc, "Hoạt động hỗ trợ, can thiệp")
        D.grid(doc, ("Ngày", "Hình thức", "Nội dung"), (3.0, 4.5, D.TEXT_WIDTH_CM - 7.5),
               [(f"{i.given_on:%d/%m/%Y}",
                 str(services.INTERVENTION_LABELS.get(i.kind, i.kind)), i.note or "")
                for i in incident.interventions])
    D.closing(doc, RECEIVED_BY, ["- Người yêu cầu;", "- Lưu: VT."], (ON_BEHALF, "", ""))
    out = BytesIO()
    doc.save(out)
    return out.getvalue()
