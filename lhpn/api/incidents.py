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
    QueryId,
    QueryInt,
    Text,
    body,
    endpoint,
    nothing_sent,
    peek_id,
    query,
)
from lhpn.api.plans import Version
from lhpn.api.plumbing import ID, caller, created
from lhpn.errors import NotFound
from lhpn.extensions import db
from lhpn.incidents import services, sharing
from lhpn.incidents.models import ConsentForm as ConsentFormCode
from lhpn.incidents.models import (
    ConsentScope,
    GivenBy,
    IncidentStatus,
    InterventionKind,
    Sex,
)
from lhpn.incidents.models import Incident as IncidentRow
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
    age_or_year: Annotated[int, Field(ge=0, le=9999)] = Field(default=NOT_SENT, description=(
        "Tuổi (0–120) lúc xảy ra hoặc năm sinh (1900–năm xảy ra) (422)."))
    sex: Sex
    child: bool | None = Field(default=None, description=(
        "Trẻ em (dưới 16 tuổi) hay không; null: suy ra từ tuổi (422 nếu không khớp tuổi hoặc "
        "không rõ tuổi)."))
    address: Line = ""
    phone: Line = Field(default="", description="Chữ số, dấu cách, +, ., -, ( ).")


class NewIncident(Body):
    unit_id: Id = Field(description="Đơn vị ghi nhận: người gọi được ghi nhận vụ việc tại đó.")
    kind: KindRef
    occurred_on: Date = Field(description="Không sau hôm nay, không trước 1990 (422).")
    place: Line
    source: Line
    facts: Long
    victim_state: Long = ""
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
    victim_state: Long = NOT_SENT
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


class ReadQuery(Query):
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


class MaskedVictim(Answer):
    sex: Sex
    age_band: str = Field(examples=["30–44 tuổi"])
    child: bool


class ClearVictim(Answer):
    id: Id
    full_name: str | None
    birth_year: int | None
    sex: Sex
    child: bool
    address: str | None
    phone: str | None


class InterventionAnswer(Answer):
    id: Id
    given_on: str = Field(json_schema_extra={"format": "date"})
    kind: InterventionKind
    by_whom: str | None
    note: str | None


class ClearCase(Answer):
    place: str | None
    source: str | None
    facts: str | None
    victim_state: str | None
    responsible: str | None
    responsible_relation: str | None
    outcome: str | None
    closed_on: str | None = Field(json_schema_extra={"format": "date"})
    victims: list[ClearVictim]
    interventions: list[InterventionAnswer]


class Incident(Answer):
    id: Id
    kind: KindName
    occurred_on: str = Field(json_schema_extra={"format": "date"})
    unit: Named
    commune: Named = Field(description="Xã của vụ việc (đơn vị, hoặc xã trên chi hội).")
    status: IncidentStatus
    victims: list[MaskedVictim]
    version: int = Field(description="Gửi lại khi xử lý; 409 nếu vụ việc đã bị người khác "
                                     "thay đổi.")
    clear: ClearCase = Field(default=NOT_SENT, description=(
        "Chỉ khi đọc với purpose, người gọi được đọc bản rõ."))


class IncidentList(Answer):
    items: list[Incident]


# ---- building answers -------------------------------------------------------------------------

def masked_dict(incident: IncidentRow) -> dict:
    """The case as anyone who may view its unit sees it (services.masked), with its version."""
    case = services.masked(incident)
    commune = services.commune_of(incident.unit)
    return {
        "id": case.id,
        "kind": {"code": incident.kind.code, "name": case.kind},
        "occurred_on": case.occurred_on.isoformat(),
        "unit": {"id": incident.unit.id, "name": case.unit_name},
        "commune": {"id": commune.id, "name": case.commune_name},
        "status": case.status,
        "victims": [{"sex": v.sex, "age_band": v.age_band, "child": v.child}
                    for v in case.victims],
        "version": incident.version,
    }


def _clear_dict(incident: IncidentRow) -> dict:
    """The case in clear: only after services.open_clear has logged the read."""
    return {
        "place": incident.place, "source": incident.source, "facts": incident.facts,
        "victim_state": incident.victim_state, "responsible": incident.responsible,
        "responsible_relation": incident.responsible_relation, "outcome": incident.outcome,
        "closed_on": incident.closed_on.isoformat() if incident.closed_on else None,
        "victims": [{"id": v.id, "full_name": v.full_name, "birth_year": v.birth_year,
                     "sex": v.sex, "child": v.is_child, "address": v.address, "phone": v.phone}
                    for v in incident.victims],
        "interventions": [{"id": i.id, "given_on": i.given_on.isoformat(), "kind": i.kind,
                           "by_whom": i.by_whom, "note": i.note}
                          for i in incident.interventions],
    }


def _current(incident: IncidentRow) -> dict:
    """The case's fields as they are, for a change that sends only some of them."""
    return {"kind": incident.kind_id, "occurred_on": incident.occurred_on,
            "place": incident.place, "source": incident.source, "facts": incident.facts,
            "victim_state": incident.victim_state, "responsible": incident.responsible,
            "responsible_relation": incident.responsible_relation}


# ---- loading ----------------------------------------------------------------------------------

@bp.after_request
def _no_store(response: Response) -> Response:
    # A case, even masked, must not sit in a shared cache or a phone's (also its errors).
    if request.path == PATH or request.path.startswith(f"{PATH}/"):
        response.headers["Cache-Control"] = "no-store"
    return response


def _handled(incident_id: int) -> IncidentRow:
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
    rows = db.session.scalars(stmt.limit(args.limit).offset(args.offset)).unique()
    return jsonify(items=[masked_dict(row) for row in rows])


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
    fields = data.model_dump(exclude={"unit_id", "victims"})
    incident = services.record_incident(caller(), unit, fields,
                                        [victim.model_dump() for victim in data.victims])
    answer = masked_dict(incident)
    db.session.commit()
    return created(answer, url_for(".get_incident", incident_id=answer["id"]))


@bp.get(f"/incidents/<{ID}:incident_id>")
@endpoint("Một vụ việc: bản che; với purpose, bản rõ trong trường clear.\n\n"
          "Bản rõ chỉ cho người được đọc (đơn vị ghi nhận, cấp trên, cán bộ bảo vệ cấp trên; "
          "người khác: 403). Mỗi lần đọc bản rõ được ghi nhật ký (người, lúc, mục đích, kênh "
          "api) trước khi trả lời; mục đích sai, hoặc other không ghi rõ: 422, không ghi gì.",
          ok={200: Incident}, query=ReadQuery, errors="403 404")
def get_incident(incident_id: int) -> Response:
    incident = services.get_visible(caller(), incident_id)
    wants_clear = "purpose" in request.args
    if wants_clear:
        services.require_read_clear(caller(), incident)
    args = query(ReadQuery)
    answer = masked_dict(incident)
    if not wants_clear:
        return jsonify(answer)
    services.open_clear(caller(), incident, purpose=args.purpose or "",
                        note=args.purpose_note or "", channel="api")
    answer["clear"] = _clear_dict(incident)
    db.session.commit()
    return jsonify(answer)


@bp.patch(f"/incidents/<{ID}:incident_id>")
@endpoint("Sửa vụ việc: các trường gửi thay cho trường hiện có; gửi version và ít nhất một "
          f"trường khác.\n\n{HANDLING} Quy tắc như khi ghi nhận: 422.", ok={200: Incident},
          body=IncidentChanges, errors="403 404 409")
def update_incident(incident_id: int) -> Response:
    incident = _handled(incident_id)
    data = body(IncidentChanges)
    sent = data.model_dump(include=data.model_fields_set - {"version"})
    if not sent:
        nothing_sent(IncidentChanges, but="version")
    services.update_incident(caller(), incident, _current(incident) | sent, data.version)
    answer = masked_dict(incident)
    db.session.commit()
    return jsonify(answer)


@bp.post(f"/incidents/<{ID}:incident_id>/victims")
@endpoint(f"Thêm một nạn nhân.\n\n{HANDLING}", ok={200: Incident}, body=NewVictim,
          errors="403 404 409")
def add_incident_victim(incident_id: int) -> Response:
    incident = _handled(incident_id)
    data = body(NewVictim)
    services.add_victim(caller(), incident, data.model_dump(exclude={"version"}), data.version)
    answer = masked_dict(incident)
    db.session.commit()
    return jsonify(answer)


@bp.post(f"/incidents/<{ID}:incident_id>/interventions")
@endpoint(f"Ghi một hoạt động hỗ trợ, can thiệp (ai, khi nào, hình thức).\n\n{HANDLING}",
          ok={200: Incident}, body=NewIntervention, errors="403 404 409")
def add_incident_intervention(incident_id: int) -> Response:
    incident = _handled(incident_id)
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
    incident = _handled(incident_id)
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
          "với một loại cơ quan. Văn bản chuyển gửi chỉ lập được trên trang vụ việc, khi có "
          "đủ sự đồng ý còn hiệu lực hoặc căn cứ pháp lý được giải thích.\n\n"
          "Người gọi phải được đọc bản rõ vụ việc (403). Trả lời không có tên người đại diện.",
          ok={201: ConsentAnswer}, body=NewConsent, errors="403 404")
def record_incident_consent(incident_id: int) -> Response:
    incident = _handled(incident_id)
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
    incident = _handled(incident_id)
    data = body(Withdrawal)  # may be empty: withdrawn from today
    consent = sharing.withdraw_consent(caller(), incident, consent_id, data.withdrawn_on)
    answer = _consent_dict(consent)
    db.session.commit()
    return jsonify(answer)
