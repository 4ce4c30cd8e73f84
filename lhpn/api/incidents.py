"""Incidents of violence over the API: the same services and rules as the incident pages
(lhpn/incidents/services.py).

Every answer is the masked case (kind, date, unit, commune, status, each victim's sex and age
band) unless the caller asks for the case in clear with ``?purpose=``: then the read is checked
(``read_protected``, 403), logged with its purpose on channel "api" in the request's own
transaction, and only then is the clear part built and the transaction committed. A change
answers the masked case and its new version: the caller sent the clear data and already has it.

Bodies are checked against the models below (types, lengths, no unknown fields); what the
values mean (a kind of the tenant's list, a day not after today, a child under 16) is judged by
the services, so pages and API refuse alike. No error echoes a value sent: the services' and
lhpn/api/contract.py's messages name the field only.
"""

from typing import Annotated, Literal, get_args

from flask import Response, jsonify, request, url_for
from flask_babel import gettext as _
from pydantic import Discriminator, Field, Tag
from sqlalchemy import extract
from sqlalchemy.orm import selectinload

from lhpn import authz
from lhpn.api import bp
from lhpn.api.contract import (
    NOT_SENT,
    Answer,
    Body,
    Date,
    Id,
    Page,
    Query,
    QueryBool,
    QueryDate,
    QueryId,
    QueryInt,
    Text,
    body,
    endpoint,
    nothing_sent,
    peek_id,
    query,
)
from lhpn.api.follow_ups import follow_up_endpoints
from lhpn.api.plans import Version
from lhpn.api.plumbing import ID, caller, created
from lhpn.api.privacy import SensitiveReadList, entry_dict
from lhpn.errors import DomainError, NotFound
from lhpn.extensions import db
from lhpn.followups import services as follow_ups
from lhpn.followups.models import FollowUpStatus
from lhpn.followups.pages import DOCX_MIMETYPE
from lhpn.incidents import services, sharing
from lhpn.incidents.models import (
    AgencyScope,
    ConsentScope,
    GivenBy,
    IncidentStatus,
    InterventionKind,
    LegalGround,
    Sex,
)
from lhpn.incidents.models import ConsentForm as ConsentFormCode
from lhpn.incidents.models import Incident as IncidentRow
from lhpn.privacy import review
from lhpn.privacy.access_log import PURPOSES
from lhpn.units.models import Unit
from lhpn.units.services import get_unit

PATH = "/api/v1/incidents"
Line = Annotated[str, *Text(services.MAX_LINE)]
Long = Annotated[str, *Text(services.MAX_TEXT)]
Purpose = Literal["handling", "support", "referral", "supervision", "other"]
assert set(get_args(Purpose)) == set(PURPOSES)


def _kind_tag(value: object) -> str:
    # The tag names start with "tagged": lhpn.api.contract leaves them out of a field's name.
    is_id = isinstance(value, int) and not isinstance(value, bool)
    return "tagged-id" if is_id else "tagged-code"


KindRef = Annotated[Annotated[Id, Tag("tagged-id")]
                    | Annotated[Annotated[str, *Text(32, 1)], Tag("tagged-code")],
                    Discriminator(_kind_tag),
                    Field(description="Mã (domestic_violence…) hoặc id của loại vụ việc trong "
                                      "danh sách của tỉnh (422 nếu không có).")]


# ---- what a client writes ---------------------------------------------------------------------

class VictimFields(Body):
    full_name: Annotated[str, *Text(services.MAX_LINE, 1)]
    birth_year: Annotated[int, Field(ge=1900, le=2100)] = Field(default=NOT_SENT, description=(
        "Năm sinh (1900–năm xảy ra, 422). Không rõ năm sinh: gửi age."))
    age: Annotated[int, Field(ge=0, le=120)] = Field(default=NOT_SENT, description=(
        "Tuổi lúc xảy ra, khi không rõ năm sinh; không gửi cùng birth_year (422)."))
    sex: Sex
    is_child: bool | None = Field(default=None, description=(
        "Trẻ em (dưới 16 tuổi) hay không; không gửi hoặc null: suy ra từ tuổi (422 nếu không "
        "khớp tuổi hoặc không rõ tuổi)."))
    address: Line = ""
    phone: Line = Field(default="", description="Chữ số, dấu cách, +, ., -, ( ).")

    def service_data(self, where: str) -> dict:
        """The victim as the services read a form's: ``age_or_year`` and ``child``."""
        if self.birth_year is not NOT_SENT and self.age is not NOT_SENT:
            raise DomainError(_("Gửi năm sinh hoặc tuổi của nạn nhân, không gửi cả hai."),
                              f"{where}age")
        age_or_year = self.birth_year if self.birth_year is not NOT_SENT else self.age
        return {"full_name": self.full_name, "sex": self.sex, "child": self.is_child,
                "age_or_year": None if age_or_year is NOT_SENT else age_or_year,
                "address": self.address, "phone": self.phone}


class NewIncident(Body):
    unit_id: Id = Field(description="Đơn vị ghi nhận: người gọi được ghi nhận vụ việc tại đó.")
    kind: KindRef
    occurred_on: Date = Field(description="Không sau hôm nay, không trước 1990 (422).")
    place: Line = Field(default="", description="Nơi xảy ra; có thể bổ sung sau.")
    source: Annotated[str, *Text(services.MAX_LINE, 1)] = Field(description=(
        "Nguồn thông tin: ai báo, qua kênh nào."))
    facts: Long
    current_state: Long = Field(default="", description="Tình trạng hiện tại của nạn nhân.")
    responsible: Line = ""
    responsible_relation: Line = ""
    victims: list[VictimFields] = Field(min_length=1, max_length=services.MAX_VICTIMS)


class IncidentChanges(Body):
    version: Version = Field(description="Phiên bản đã xem; 409 nếu vụ việc đã thay đổi.")
    kind: KindRef = NOT_SENT
    occurred_on: Date = NOT_SENT
    place: Line = NOT_SENT
    source: Line = NOT_SENT
    facts: Long = NOT_SENT
    current_state: Long = NOT_SENT
    responsible: Line = NOT_SENT
    responsible_relation: Line = NOT_SENT


class NewVictim(VictimFields):
    version: Version = Field(description="Phiên bản đã xem; 409 nếu vụ việc đã thay đổi.")


class NewIntervention(Body):
    version: Version = Field(description="Phiên bản đã xem; 409 nếu vụ việc đã thay đổi.")
    given_on: Date = Field(description="Không sau hôm nay (422).")
    kind: InterventionKind
    by_whom: Annotated[str, *Text(services.MAX_LINE, 1)]
    note: Long = ""


class StatusChange(Body):
    action: Literal["follow", "close", "reopen"] = Field(description=(
        "follow: đang theo dõi (từ open); close: kết thúc, cần outcome (từ open, following); "
        "reopen: mở lại (từ closed). Trạng thái không cho phép: 409."))
    version: Version = Field(description="Phiên bản đã xem; 409 nếu vụ việc đã thay đổi.")
    outcome: Long = NOT_SENT


class IncidentQuery(Page):
    unit_id: QueryId = Field(default=NOT_SENT, description="Chỉ vụ việc của đơn vị này.")
    year: Annotated[int, *QueryInt(1990, 2100)] = Field(default=NOT_SENT, description=(
        "Năm xảy ra."))
    status: IncidentStatus = NOT_SENT
    overdue: QueryBool = Field(default=NOT_SENT, description=(
        "true: chỉ vụ việc có việc theo dõi quá hạn; false: không quá hạn."))


class ClearReadQuery(Query):
    purpose: Purpose = Field(default=NOT_SENT, description=(
        "Mục đích đọc bản rõ; có tham số này thì đọc bản rõ (được ghi nhật ký), không có thì "
        "bản che."))
    purpose_note: Annotated[str, *Text(500)] = Field(default=NOT_SENT, description=(
        "Ghi rõ mục đích; bắt buộc với purpose = other (422)."))


# ---- answers ----------------------------------------------------------------------------------

class Named(Answer):
    id: Id
    name: str


class KindName(Answer):
    code: str
    name: str


class VictimAnswer(Answer):
    id: Id | None = Field(description="null trong bản che.")
    full_name: str | None
    birth_year: int | None
    sex: Sex
    address: str | None
    phone: str | None
    is_child: bool
    age_band: str = Field(examples=["30–44 tuổi"])


class InterventionAnswer(Answer):
    id: Id
    given_on: str = Field(json_schema_extra={"format": "date"})
    kind: InterventionKind
    by_whom: str | None
    note: str | None


class FollowUpBrief(Answer):
    id: Id
    agency: str
    written_on: str = Field(json_schema_extra={"format": "date"})
    due_on: str = Field(json_schema_extra={"format": "date"})
    status: FollowUpStatus
    overdue: bool
    answered_on: str | None = Field(json_schema_extra={"format": "date"})
    answer: str = Field(description="Tóm tắt trả lời của cơ quan (trống nếu chưa trả lời).")


CLEAR_ONLY = ("null trong bản che (không đọc với purpose, hoặc người gọi không được đọc bản "
              "rõ).")


class Incident(Answer):
    id: Id
    kind: KindName
    occurred_on: str = Field(json_schema_extra={"format": "date"})
    unit: Named
    commune: Named = Field(description="Xã của vụ việc (đơn vị, hoặc xã trên chi hội).")
    status: IncidentStatus
    overdue: bool = Field(description="Có việc theo dõi quá thời hạn giải quyết mà cơ quan "
                                      "chưa trả lời.")
    version: int = Field(description="Gửi lại khi xử lý; 409 nếu vụ việc đã bị người khác "
                                     "thay đổi.")
    clear: bool = Field(description="true: bản rõ (lượt đọc đã được ghi nhật ký); false: bản "
                                    "che, các trường nhận dạng là null.")
    source: str | None = Field(description=CLEAR_ONLY)
    place: str | None = Field(description=CLEAR_ONLY)
    facts: str | None = Field(description=CLEAR_ONLY)
    current_state: str | None = Field(description=CLEAR_ONLY)
    responsible: str | None = Field(description=CLEAR_ONLY)
    responsible_relation: str | None = Field(description=CLEAR_ONLY)
    outcome: str | None = Field(description=CLEAR_ONLY)
    closed_on: str | None = Field(json_schema_extra={"format": "date"})
    victims: list[VictimAnswer] = Field(description=(
        "Cùng các khóa trong bản che và bản rõ; trong bản che id, full_name, birth_year, "
        "address, phone là null."))
    interventions: list[InterventionAnswer] | None = Field(description=CLEAR_ONLY)
    follow_ups: list[FollowUpBrief] | None = Field(description=CLEAR_ONLY)


class IncidentList(Answer):
    items: list[Incident]


# ---- building answers -------------------------------------------------------------------------

def masked_dict(incident: IncidentRow, overdue: bool | None = None) -> dict:
    """The case as anyone who may view its unit sees it (services.masked), with its version:
    the clear keys are there, null."""
    case = services.masked(incident)
    commune = services.commune_of(incident.unit)
    if overdue is None:
        overdue = services.is_overdue(incident)
    return {
        "id": case.id,
        "kind": {"code": incident.kind.code, "name": case.kind},
        "occurred_on": case.occurred_on.isoformat(),
        "unit": {"id": incident.unit.id, "name": case.unit_name},
        "commune": {"id": commune.id, "name": case.commune_name},
        "status": case.status,
        "overdue": overdue,
        "version": incident.version,
        "clear": False,
        **dict.fromkeys(("source", "place", "facts", "current_state", "responsible",
                         "responsible_relation", "outcome")),
        "closed_on": incident.closed_on.isoformat() if incident.closed_on else None,
        "victims": [{"id": None, "full_name": None, "birth_year": None, "sex": v.sex,
                     "address": None, "phone": None, "is_child": v.child,
                     "age_band": v.age_band} for v in case.victims],
        "interventions": None,
        "follow_ups": None,
    }


def clear_dict(incident: IncidentRow) -> dict:
    """The case in clear: only after services.open_clear has logged the read."""
    answer = masked_dict(incident)
    answer.update(
        clear=True, source=incident.source, place=incident.place, facts=incident.facts,
        current_state=incident.victim_state, responsible=incident.responsible,
        responsible_relation=incident.responsible_relation, outcome=incident.outcome)
    for shown, victim in zip(answer["victims"], incident.victims, strict=True):
        shown.update(id=victim.id, full_name=victim.full_name, birth_year=victim.birth_year,
                     address=victim.address, phone=victim.phone)
    answer["interventions"] = [{"id": i.id, "given_on": i.given_on.isoformat(), "kind": i.kind,
                                "by_whom": i.by_whom, "note": i.note}
                               for i in incident.interventions]
    answer["follow_ups"] = [follow_up_brief(fu) for fu in db.session.scalars(
        follow_ups.follow_ups_of(services.OBJECT_TYPE, incident.id))]
    return answer


def follow_up_brief(fu) -> dict:
    return {"id": fu.id, "agency": fu.agency, "written_on": fu.written_on.isoformat(),
            "due_on": fu.due_on.isoformat(), "status": fu.status,
            "overdue": follow_ups.is_overdue(fu),
            "answered_on": fu.answered_on.isoformat() if fu.answered_on else None,
            "answer": fu.answer}


def _service_fields(sent: dict) -> dict:
    """The API's names as the services read them (a page's form says victim_state)."""
    fields = dict(sent)
    if "current_state" in fields:
        fields["victim_state"] = fields.pop("current_state")
    return fields


def _current(incident: IncidentRow) -> dict:
    """The case's fields as they are, for a change that sends only some of them."""
    return {"kind": incident.kind_id, "occurred_on": incident.occurred_on,
            "place": incident.place, "source": incident.source, "facts": incident.facts,
            "current_state": incident.victim_state, "responsible": incident.responsible,
            "responsible_relation": incident.responsible_relation}


# ---- loading ----------------------------------------------------------------------------------

@bp.after_request
def _no_store(response: Response) -> Response:
    # A case, even masked, must not sit in a shared cache or a phone's (also its errors).
    if request.path == PATH or request.path.startswith(f"{PATH}/"):
        response.headers["Cache-Control"] = "no-store"
    return response


def handled_case(incident_id: int) -> IncidentRow:
    """404 for a case whose unit the caller may not view, 403 if they may not handle it."""
    incident = services.get_visible(caller(), incident_id)
    services.require_read_clear(caller(), incident)
    return incident


def _recording_unit(unit_id: object) -> Unit:
    """404 for a unit the caller may not view, 403 if they may not record a case there."""
    unit = get_unit(caller().tenant_id, unit_id)
    if not authz.can(caller(), "view", unit):
        raise NotFound(_("Không tìm thấy đơn vị."))  # as get_unit says of another tenant's
    if not services.may_record(caller(), unit):
        raise authz.Forbidden("record_incident")
    return unit


# ---- endpoints --------------------------------------------------------------------------------

HANDLING = ("Người gọi phải được đọc bản rõ vụ việc (đơn vị ghi nhận, cấp trên, cán bộ bảo vệ "
            "cấp trên: 403). Trả lời bản che và version mới. version cũ: 409.")


@bp.get("/incidents")
@endpoint("Các vụ việc của các đơn vị người gọi được xem, mới nhất trước, bản che (loại, ngày, "
          "đơn vị, xã, trạng thái, giới tính và nhóm tuổi của nạn nhân; không họ tên, địa chỉ, "
          "điện thoại, diễn biến).", ok={200: IncidentList}, query=IncidentQuery,
          errors="403")
def list_incidents() -> Response:
    if caller().tenant_id is None:
        raise authz.Forbidden("view")
    args = query(IncidentQuery)
    stmt = services.visible(caller()).options(selectinload(IncidentRow.victims),
                                              selectinload(IncidentRow.unit)
                                              .selectinload(Unit.parent))
    if args.unit_id is not None:
        stmt = stmt.where(IncidentRow.unit_id == args.unit_id)
    if args.year is not None:
        stmt = stmt.where(extract("year", IncidentRow.occurred_on) == args.year)
    if args.status is not None:
        stmt = stmt.where(IncidentRow.status == args.status)
    if args.overdue is not None:
        late = IncidentRow.id.in_(services.overdue_ids())
        stmt = stmt.where(late if args.overdue else ~late)
    rows = list(db.session.scalars(stmt.limit(args.limit).offset(args.offset)).unique())
    late_ids = services.overdue_among([row.id for row in rows])
    return jsonify(items=[masked_dict(row, row.id in late_ids) for row in rows])


@bp.post("/incidents")
@endpoint("Ghi nhận vụ việc với các nạn nhân (cán bộ của đơn vị; cán bộ bảo vệ cấp trên). "
          "Chủ tịch các cấp trên và cán bộ bảo vệ được báo ngay, không kèm thông tin nạn "
          "nhân.\n\nTrả lời bản che và version. Đơn vị không xem được: 404; không được ghi "
          "nhận: 403; đơn vị đã giải thể, loại không có trong danh sách, ngày sau hôm nay, tuổi "
          "không khớp trẻ em / người lớn: 422.", ok={201: Incident}, body=NewIncident,
          errors="403 404")
def record_incident() -> Response:
    # The right to record at the unit named is asked before the rest of the body is judged.
    unit_id = peek_id("unit_id")
    if unit_id is not None:
        _recording_unit(unit_id)
    data = body(NewIncident)
    unit = _recording_unit(data.unit_id)
    fields = _service_fields(data.model_dump(exclude={"unit_id", "victims"}))
    incident = services.record_incident(
        caller(), unit, fields,
        [victim.service_data(f"victims[{n}].") for n, victim in enumerate(data.victims)])
    answer = masked_dict(incident)
    db.session.commit()
    return created(answer, url_for(".get_incident", incident_id=answer["id"]))


@bp.get(f"/incidents/<{ID}:incident_id>")
@endpoint("Một vụ việc: bản che; với purpose, bản rõ trong trường clear.\n\n"
          "Bản rõ chỉ cho người được đọc (đơn vị ghi nhận, cấp trên, cán bộ bảo vệ cấp trên; "
          "người khác: 403). Mỗi lần đọc bản rõ được ghi nhật ký (người, lúc, mục đích, kênh "
          "api) trước khi trả lời; mục đích sai, hoặc other không ghi rõ: 422, không ghi gì.",
          ok={200: Incident}, query=ClearReadQuery, errors="403 404")
def get_incident(incident_id: int) -> Response:
    incident = services.get_visible(caller(), incident_id)
    wants_clear = "purpose" in request.args
    if wants_clear:
        services.require_read_clear(caller(), incident)
    args = query(ClearReadQuery)
    if not wants_clear:
        return jsonify(masked_dict(incident))
    services.open_clear(caller(), incident, purpose=args.purpose or "",
                        note=args.purpose_note or "", channel="api")
    answer = clear_dict(incident)
    db.session.commit()
    return jsonify(answer)


@bp.patch(f"/incidents/<{ID}:incident_id>")
@endpoint("Sửa vụ việc: các trường gửi thay cho trường hiện có; gửi version và ít nhất một "
          f"trường khác.\n\n{HANDLING} Quy tắc như khi ghi nhận: 422.", ok={200: Incident},
          body=IncidentChanges, errors="403 404 409")
def update_incident(incident_id: int) -> Response:
    incident = handled_case(incident_id)
    data = body(IncidentChanges)
    sent = data.model_dump(include=data.model_fields_set - {"version"})
    if not sent:
        nothing_sent(IncidentChanges, but="version")
    services.update_incident(caller(), incident, _service_fields(_current(incident) | sent),
                             data.version)
    answer = masked_dict(incident)
    db.session.commit()
    return jsonify(answer)


@bp.post(f"/incidents/<{ID}:incident_id>/victims")
@endpoint(f"Thêm một nạn nhân.\n\n{HANDLING}", ok={200: Incident}, body=NewVictim,
          errors="403 404 409")
def add_incident_victim(incident_id: int) -> Response:
    incident = handled_case(incident_id)
    data = body(NewVictim)
    services.add_victim(caller(), incident, data.service_data(""), data.version)
    answer = masked_dict(incident)
    db.session.commit()
    return jsonify(answer)


@bp.post(f"/incidents/<{ID}:incident_id>/interventions")
@endpoint(f"Ghi một hoạt động hỗ trợ, can thiệp (ai, khi nào, hình thức).\n\n{HANDLING}",
          ok={200: Incident}, body=NewIntervention, errors="403 404 409")
def add_incident_intervention(incident_id: int) -> Response:
    incident = handled_case(incident_id)
    data = body(NewIntervention)
    services.add_intervention(caller(), incident, data.model_dump(exclude={"version"}),
                              data.version)
    answer = masked_dict(incident)
    db.session.commit()
    return jsonify(answer)


@bp.post(f"/incidents/<{ID}:incident_id>/status")
@endpoint("Chuyển trạng thái: follow, close (kèm outcome), reopen.\n\n"
          f"{HANDLING} Trạng thái không cho phép thao tác: 409.", ok={200: Incident},
          body=StatusChange, errors="403 404 409")
def change_incident_status(incident_id: int) -> Response:
    incident = handled_case(incident_id)
    data = body(StatusChange)
    services.change_status(caller(), incident, data.action, data.version, data.outcome)
    answer = masked_dict(incident)
    db.session.commit()
    return jsonify(answer)


# ---- consent (lhpn/incidents/sharing.py) --------------------------------------------------------

class NewConsent(Body):
    victim_id: Id = Field(description="Nạn nhân của vụ việc (422 nếu không phải).")
    scope: ConsentScope = Field(description=(
        "processing: xử lý thông tin vụ việc; police, health, court, social: chia sẻ với cơ "
        "quan đó."))
    given_by: GivenBy = Field(description=(
        "victim: nạn nhân; representative: người đại diện hợp pháp (chỉ với trẻ em; trẻ từ đủ "
        "7 tuổi cần cả hai)."))
    representative: Line = Field(default="", description=(
        "Họ tên, quan hệ của người đại diện; bắt buộc với representative."))
    form: ConsentFormCode
    given_on: Date = Field(description="Không trước ngày xảy ra, không sau hôm nay (422).")


class Withdrawal(Body):
    withdrawn_on: Date = Field(default=NOT_SENT, description=(
        "Từ ngày này không chia sẻ thêm; mặc định hôm nay. Không trước ngày đồng ý (422)."))


class ConsentAnswer(Answer):
    id: Id
    victim_id: Id
    scope: ConsentScope
    given_by: GivenBy
    form: ConsentFormCode
    given_on: str = Field(json_schema_extra={"format": "date"})
    withdrawn_on: str | None = Field(json_schema_extra={"format": "date"})


def _consent_dict(consent) -> dict:
    return {"id": consent.id, "victim_id": consent.victim_id, "scope": consent.scope,
            "given_by": consent.given_by, "form": consent.form,
            "given_on": consent.given_on.isoformat(),
            "withdrawn_on": consent.withdrawn_on.isoformat() if consent.withdrawn_on else None}


@bp.post(f"/incidents/<{ID}:incident_id>/consents")
@endpoint("Ghi nhận sự đồng ý của nạn nhân (hoặc người đại diện) cho việc xử lý hoặc chia sẻ "
          "với một loại cơ quan. Văn bản chuyển gửi (POST …/referrals) chỉ lập được khi có "
          "đủ sự đồng ý còn hiệu lực hoặc căn cứ pháp lý được giải thích.\n\n"
          "Người gọi phải được đọc bản rõ vụ việc (403). Trả lời không có tên người đại diện.",
          ok={201: ConsentAnswer}, body=NewConsent, errors="403 404")
def record_incident_consent(incident_id: int) -> Response:
    incident = handled_case(incident_id)
    data = body(NewConsent)
    consent = sharing.record_consent(caller(), incident, data.model_dump())
    answer = _consent_dict(consent)
    db.session.commit()
    return created(answer)


@bp.post(f"/incidents/<{ID}:incident_id>/consents/<{ID}:consent_id>/withdraw")
@endpoint("Rút lại một sự đồng ý: không chia sẻ thêm từ ngày rút lại. Đã rút lại, hoặc không "
          "phải của vụ việc này: 422.\n\nNgười gọi phải được đọc bản rõ vụ việc (403).",
          ok={200: ConsentAnswer}, body=Withdrawal, errors="403 404", body_optional=True)
def withdraw_incident_consent(incident_id: int, consent_id: int) -> Response:
    incident = handled_case(incident_id)
    data = body(Withdrawal)  # may be empty: withdrawn from today
    consent = sharing.withdraw_consent(caller(), incident, consent_id, data.withdrawn_on)
    answer = _consent_dict(consent)
    db.session.commit()
    return jsonify(answer)


# ---- referral letters (lhpn/incidents/sharing.py) -----------------------------------------------

class NewReferral(Body):
    victim_id: Id = Field(description="Nạn nhân của vụ việc (422 nếu không phải).")
    scope: AgencyScope = Field(description=(
        "Loại cơ quan nhận: công an, y tế, tòa án – viện kiểm sát, lao động – xã hội."))
    agency: Annotated[str, *Text(services.MAX_LINE, 1)] = Field(description="Tên cơ quan nhận.")
    ground: LegalGround = Field(description=(
        "consent: có sự đồng ý còn hiệu lực cho loại cơ quan này (trẻ em từ đủ 7 tuổi: cả trẻ "
        "và người đại diện); căn cứ khác: phải giải thích trong ground_note (422)."))
    ground_note: Long = ""


@bp.post(f"/incidents/<{ID}:incident_id>/referrals")
@endpoint("Lập văn bản chuyển gửi thông tin nạn nhân cho cơ quan (.docx theo Nghị định "
          "30/2020/NĐ-CP, có họ tên, địa chỉ, điện thoại nạn nhân). Chỉ khi có sự đồng ý còn "
          "hiệu lực cho loại cơ quan đó, hoặc căn cứ pháp lý được giải thích (422 nếu không; "
          "không ghi gì). Mỗi văn bản được lưu và ghi nhật ký truy cập (kênh docx, mục đích "
          "referral) trước khi trả lời.\n\nNgười gọi phải được đọc bản rõ vụ việc (403). Trả "
          "lời là tệp Word (application/vnd.openxmlformats-officedocument."
          "wordprocessingml.document).", ok={200: None}, body=NewReferral, errors="403 404")
def make_incident_referral(incident_id: int) -> Response:
    incident = handled_case(incident_id)
    data = body(NewReferral)
    made, letter = sharing.referral_letter(caller(), incident, data.model_dump())
    db.session.commit()
    response = Response(letter, mimetype=DOCX_MIMETYPE)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="van-ban-chuyen-gui-vu-viec-{incident.id}-{made.id}.docx"')
    return response


# ---- who read the case (lhpn/privacy/review.py) -------------------------------------------------

class CaseReadQuery(Page):
    from_: QueryDate = Field(default=NOT_SENT, alias="from", description=(
        "Từ ngày này (lịch Việt Nam, tính cả ngày này)."))
    to: QueryDate = Field(default=NOT_SENT, description=(
        "Đến ngày này (lịch Việt Nam, tính cả ngày này); không trước from (422)."))


@bp.get(f"/incidents/<{ID}:incident_id>/access-log")
@endpoint("Nhật ký truy cập bản rõ của một vụ việc, mới nhất trước: ai, khi nào, trường nào, "
          "mục đích, kênh; không có nội dung vụ việc.\n\nChỉ quản trị tỉnh và cán bộ phụ "
          "trách bảo vệ quyền ở cấp tỉnh (403); vụ việc không xem được: 404.",
          ok={200: SensitiveReadList}, query=CaseReadQuery, errors="403 404")
def incident_access_log(incident_id: int) -> Response:
    incident = services.get_visible(caller(), incident_id)
    authz.require_review_reads(caller())
    args = query(CaseReadQuery)
    chosen = review.read_filter(incident.tenant_id, object_type=services.OBJECT_TYPE,
                                object_id=incident.id, since=args.from_, until=args.to)
    stmt = review.reads(chosen)
    total = db.session.scalar(review.count(stmt)) or 0
    entries = db.session.scalars(stmt.limit(args.limit).offset(args.offset))
    return jsonify(items=[entry_dict(entry) for entry in entries], total=total)


follow_up_endpoints(
    "incidents", services.OBJECT_TYPE, id_name="incident_id",
    load=lambda incident_id: services.get_visible(caller(), incident_id),
    may_edit=services.may_read_clear, subject=lambda incident: f"vụ việc số {incident.id}",
    noun="vụ việc")
