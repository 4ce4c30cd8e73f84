"""Petitions over the API: the same services and rules as the petition pages
(lhpn/petitions/services.py).

Every answer is the masked petition (register number, unit, dates, channel, category, status,
mass flag, deadline, overdue) with the personal keys present and null, unless the caller asks
with ``?purpose=`` and may handle the petition: then the petitioner, subject, summary and
outcome are answered in clear — for a caller outside the unit that handles it, after the read
is logged with its purpose on channel "api" in the request's own transaction. A change
answers the masked petition and its new version: the caller sent what it changed.

Bodies are checked against the models below (types, lengths, no unknown fields); what the
values mean (a category, a day not after today, a deadline not before intake) is judged by the
services, so pages and API refuse alike, naming the field, never echoing a value.
"""

from typing import Annotated, Literal, get_args

from flask import Response, jsonify, request, url_for
from flask_babel import gettext as _
from pydantic import Field

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
from lhpn.api.incidents import FollowUpBrief, follow_up_brief
from lhpn.api.plans import Version
from lhpn.api.plumbing import ID, caller, created
from lhpn.errors import NotFound
from lhpn.extensions import db
from lhpn.followups import services as follow_ups
from lhpn.petitions import deadlines, services
from lhpn.petitions.models import MAX_LINE, MAX_TEXT, Category, Channel, PetitionStatus
from lhpn.petitions.models import Petition as PetitionRow
from lhpn.petitions.views import apply_action
from lhpn.privacy.access_log import PURPOSES
from lhpn.units.models import Unit
from lhpn.units.services import get_unit, root_of

PATH = "/api/v1/petitions"
Line = Annotated[str, *Text(MAX_LINE)]
Long = Annotated[str, *Text(MAX_TEXT)]
PetitionPurpose = Literal["handling", "support", "referral", "supervision", "other"]
assert set(get_args(PetitionPurpose)) == set(PURPOSES)
VERSION = Field(description="Phiên bản đã xem; 409 nếu đơn đã bị người khác thay đổi.")


# ---- what a client writes ---------------------------------------------------------------------

class PetitionerFields(Body):
    full_name: Line = Field(default="", description="Có thể trống (đơn tố cáo giấu tên).")
    address: Line = ""
    phone: Line = Field(default="", description="Chữ số, dấu cách, +, ., -, ( ).")


class NewPetition(Body):
    unit_id: Id = Field(description="Đơn vị tiếp nhận: người gọi được xử lý đơn tại đó.")
    received_on: Date = Field(description="Ngày nhận đơn; không sau hôm nay (422).")
    category: Category
    channel: Channel
    forwarded_from: Line = Field(default="", description=(
        "Cấp chuyển đơn đến; bắt buộc khi channel = forwarded (422)."))
    petitioner: PetitionerFields = Field(default_factory=PetitionerFields)
    subject: Line = Field(default="", description="Trích yếu nội dung đơn.")
    summary: Annotated[str, *Text(MAX_TEXT, 1)] = Field(description="Tóm tắt nội dung đơn.")
    is_mass: bool = Field(default=False, description=(
        "Khiếu kiện đông người: Thường trực cấp trên được báo ngay (không kèm thông tin người "
        "gửi đơn)."))


class PetitionChanges(Body):
    version: Version = VERSION
    received_on: Date = NOT_SENT
    category: Category = NOT_SENT
    channel: Channel = NOT_SENT
    forwarded_from: Line = NOT_SENT
    petitioner: PetitionerFields = NOT_SENT
    subject: Line = NOT_SENT
    summary: Long = NOT_SENT
    is_mass: bool = NOT_SENT


class PetitionStep(Body):
    action: Literal["handle", "resolve", "guide", "forward", "close", "reopen"] = Field(
        description=(
            "handle: bắt đầu xử lý (từ received); resolve: đơn vị giải quyết xong, cần outcome; "
            "guide: đã hướng dẫn người gửi đơn, cần outcome; forward: chuyển cơ quan có thẩm "
            "quyền, cần agency (mở việc theo dõi với số, ngày văn bản và hạn trả lời); close: "
            "kết thúc (từ resolved, forwarded, guided); reopen: mở lại (từ closed). Trạng thái "
            "không cho phép: 409."))
    version: Version = VERSION
    outcome: Long = NOT_SENT
    on: Date = Field(default=NOT_SENT, description=(
        "Ngày xử lý (resolve, guide); mặc định hôm nay; không trước ngày nhận đơn (422)."))
    agency: Line = NOT_SENT
    letter_number: Annotated[str, *Text(50)] = NOT_SENT
    written_on: Date = Field(default=NOT_SENT, description=(
        "Ngày văn bản chuyển đơn (forward); mặc định hôm nay."))
    due_on: Date = Field(default=NOT_SENT, description=(
        "Hạn trả lời của cơ quan (forward); mặc định ngày văn bản cộng thời hạn của loại đơn."))


class PetitionTell(Body):
    version: Version = VERSION
    told_on: Date = Field(description=(
        "Ngày thông báo kết quả cho người gửi đơn; không trước ngày xử lý, không sau hôm nay."))


class PetitionMass(Body):
    version: Version = VERSION


class PetitionQuery(Page):
    unit_id: QueryId = Field(default=NOT_SENT, description="Chỉ đơn của đơn vị này.")
    year: Annotated[int, *QueryInt(1990, 2100)] = Field(default=NOT_SENT, description=(
        "Năm nhận đơn."))
    status: PetitionStatus = NOT_SENT
    category: Category = NOT_SENT
    overdue: QueryBool = Field(default=NOT_SENT, description=(
        "true: chỉ đơn quá hạn (đơn vị chưa xử lý xong khi hết hạn, hoặc cơ quan được chuyển "
        "đơn chưa trả lời khi hết hạn); false: không quá hạn."))


class PetitionReadQuery(Query):
    purpose: PetitionPurpose = Field(default=NOT_SENT, description=(
        "Mục đích đọc bản rõ; có tham số này thì đọc bản rõ (người ngoài đơn vị xử lý đơn: "
        "được ghi nhật ký), không có thì bản che."))
    purpose_note: Annotated[str, *Text(500)] = Field(default=NOT_SENT, description=(
        "Ghi rõ mục đích; bắt buộc với purpose = other (422)."))


class PetitionDeadlineDays(Body):
    complaint: Annotated[int, Field(ge=1, le=deadlines.MAX_DAYS)] = NOT_SENT
    denunciation: Annotated[int, Field(ge=1, le=deadlines.MAX_DAYS)] = NOT_SENT
    recommendation: Annotated[int, Field(ge=1, le=deadlines.MAX_DAYS)] = NOT_SENT
    reflection: Annotated[int, Field(ge=1, le=deadlines.MAX_DAYS)] = NOT_SENT


# ---- answers ----------------------------------------------------------------------------------

CLEAR_ONLY = "null trong bản che (không đọc với purpose, hoặc người gọi không được đọc bản rõ)."


class PetitionUnit(Answer):
    id: Id
    name: str


class PetitionerAnswer(Answer):
    full_name: str | None = Field(description=CLEAR_ONLY)
    address: str | None = Field(description=CLEAR_ONLY)
    phone: str | None = Field(description=CLEAR_ONLY)


class Petition(Answer):
    id: Id
    number: int = Field(description="Số trong sổ đơn thư của đơn vị, theo năm nhận.")
    year: int
    unit: PetitionUnit
    received_on: str = Field(json_schema_extra={"format": "date"})
    channel: Channel
    forwarded_from: str
    category: Category
    is_mass: bool
    due_on: str = Field(json_schema_extra={"format": "date"}, description=(
        "Hạn giải quyết: ngày nhận đơn cộng số ngày của loại đơn (bảng của tỉnh)."))
    status: PetitionStatus
    overdue: bool
    handled_on: str | None = Field(json_schema_extra={"format": "date"})
    told_on: str | None = Field(json_schema_extra={"format": "date"})
    closed_on: str | None = Field(json_schema_extra={"format": "date"})
    version: int = Field(description="Gửi lại khi xử lý; 409 nếu đơn đã bị thay đổi.")
    clear: bool = Field(description="true: bản rõ; false: bản che, các trường cá nhân null.")
    petitioner: PetitionerAnswer
    subject: str | None = Field(description=CLEAR_ONLY)
    summary: str | None = Field(description=CLEAR_ONLY)
    outcome: str | None = Field(description=CLEAR_ONLY)
    follow_ups: list[FollowUpBrief] | None = Field(description=CLEAR_ONLY)


class PetitionList(Answer):
    items: list[Petition]


class PetitionDeadlines(Answer):
    complaint: int
    denunciation: int
    recommendation: int
    reflection: int


# ---- building answers -------------------------------------------------------------------------

def _day(value) -> str | None:
    return value.isoformat() if value else None


def masked_dict(petition: PetitionRow) -> dict:
    case = services.masked(petition)
    return {
        "id": case.id, "number": case.number, "year": case.year,
        "unit": {"id": case.unit_id, "name": case.unit_name},
        "received_on": case.received_on.isoformat(), "channel": case.channel,
        "forwarded_from": case.forwarded_from, "category": case.category,
        "is_mass": case.is_mass, "due_on": case.due_on.isoformat(), "status": case.status,
        "overdue": case.overdue, "handled_on": _day(case.handled_on),
        "told_on": _day(case.told_on), "closed_on": _day(petition.closed_on),
        "version": petition.version, "clear": False,
        "petitioner": {"full_name": None, "address": None, "phone": None},
        "subject": None, "summary": None, "outcome": None, "follow_ups": None,
    }


def clear_dict(petition: PetitionRow) -> dict:
    """In clear: only after services.open_clear has checked (and, if need be, logged) it."""
    answer = masked_dict(petition)
    answer.update(clear=True, subject=petition.subject, summary=petition.summary,
                  outcome=petition.outcome,
                  petitioner={"full_name": petition.full_name, "address": petition.address,
                              "phone": petition.phone})
    answer["follow_ups"] = [follow_up_brief(fu) for fu in db.session.scalars(
        follow_ups.follow_ups_of(services.OBJECT_TYPE, petition.id))]
    return answer


def _service_fields(sent: dict) -> dict:
    fields = dict(sent)
    fields.update(fields.pop("petitioner", None) or {})
    return fields


def _current(petition: PetitionRow) -> dict:
    return {"received_on": petition.received_on, "category": petition.category,
            "channel": petition.channel, "forwarded_from": petition.forwarded_from,
            "petitioner": {"full_name": petition.full_name or "",
                           "address": petition.address or "", "phone": petition.phone or ""},
            "subject": petition.subject or "", "summary": petition.summary or "",
            "is_mass": petition.is_mass}


# ---- loading ----------------------------------------------------------------------------------

@bp.after_request
def _no_store_petitions(response: Response) -> Response:
    if request.path == PATH or request.path.startswith(f"{PATH}/"):
        response.headers["Cache-Control"] = "no-store"
    return response


def handled_petition(petition_id: int) -> PetitionRow:
    """404 for a petition whose unit the caller may not view, 403 if they may not handle it."""
    petition = services.get_visible(caller(), petition_id)
    services.require_handle(caller(), petition)
    return petition


def _receiving_unit(unit_id: object) -> Unit:
    unit = get_unit(caller().tenant_id, unit_id)
    if not authz.can(caller(), "view", unit):
        raise NotFound(_("Không tìm thấy đơn vị."))
    if not services.may_handle_at(caller(), unit):
        raise authz.Forbidden("handle_petition")
    return unit


# ---- endpoints --------------------------------------------------------------------------------

HANDLING = ("Người gọi phải được xử lý đơn (cán bộ đơn vị tiếp nhận, Thường trực đơn vị và "
            "cấp trên: 403). Trả lời bản che và version mới. version cũ: 409.")


@bp.get("/petitions")
@endpoint("Sổ đơn thư của các đơn vị người gọi được xem, mới nhất trước, bản che (số, ngày, "
          "loại, hình thức, trạng thái, hạn, quá hạn; không người gửi, không nội dung).",
          ok={200: PetitionList}, query=PetitionQuery, errors="403")
def list_petitions() -> Response:
    if caller().tenant_id is None:
        raise authz.Forbidden("view")
    args = query(PetitionQuery)
    stmt = services.visible(caller())
    if args.unit_id is not None:
        stmt = stmt.where(PetitionRow.unit_id == args.unit_id)
    if args.year is not None:
        stmt = stmt.where(PetitionRow.year == args.year)
    if args.status is not None:
        stmt = stmt.where(PetitionRow.status == args.status)
    if args.category is not None:
        stmt = stmt.where(PetitionRow.category == args.category)
    if args.overdue is not None:
        late = services.overdue()
        stmt = stmt.where(late if args.overdue else ~late)
    rows = db.session.scalars(stmt.limit(args.limit).offset(args.offset)).all()
    return jsonify(items=[masked_dict(row) for row in rows])


@bp.post("/petitions")
@endpoint("Tiếp nhận một đơn vào sổ của đơn vị (cán bộ đơn vị; Thường trực đơn vị và cấp "
          "trên). Hạn giải quyết = ngày nhận + số ngày của loại đơn trong bảng của tỉnh.\n\n"
          "Trả lời bản che. Đơn vị không xem được: 404; không được xử lý đơn: 403; loại đơn "
          "không có, ngày nhận sau hôm nay, đơn vị đã giải thể: 422 (không ghi gì).",
          ok={201: Petition}, body=NewPetition, errors="403 404")
def receive_petition() -> Response:
    unit_id = peek_id("unit_id")
    if unit_id is not None:
        _receiving_unit(unit_id)
    data = body(NewPetition)
    unit = _receiving_unit(data.unit_id)
    petition = services.receive(caller(), unit,
                                _service_fields(data.model_dump(exclude={"unit_id"})))
    answer = masked_dict(petition)
    db.session.commit()
    return created(answer, url_for(".get_petition", petition_id=answer["id"]))


@bp.get(f"/petitions/<{ID}:petition_id>")
@endpoint("Một đơn: bản che; với purpose, bản rõ (người gửi, nội dung, kết quả, việc theo "
          "dõi).\n\nBản rõ chỉ cho người được xử lý đơn (403). Người ngoài đơn vị xử lý đơn "
          "đọc bản rõ được ghi nhật ký (người, lúc, mục đích, kênh api) trước khi trả lời; mục "
          "đích sai, hoặc other không ghi rõ: 422, không ghi gì.", ok={200: Petition},
          query=PetitionReadQuery, errors="403 404")
def get_petition(petition_id: int) -> Response:
    petition = services.get_visible(caller(), petition_id)
    wants_clear = "purpose" in request.args
    if wants_clear:
        services.require_handle(caller(), petition)
    args = query(PetitionReadQuery)
    if not wants_clear:
        return jsonify(masked_dict(petition))
    services.open_clear(caller(), petition, purpose=args.purpose or "",
                        note=args.purpose_note or "", channel="api")
    answer = clear_dict(petition)
    db.session.commit()
    return jsonify(answer)


@bp.patch(f"/petitions/<{ID}:petition_id>")
@endpoint("Sửa đơn: các trường gửi thay cho trường hiện có (petitioner: cả ba trường); gửi "
          "version và ít nhất một trường khác. Ngày nhận hoặc loại đơn mới: hạn giải quyết tính "
          f"lại.\n\n{HANDLING} Đơn đã kết thúc, quy tắc như khi tiếp nhận: 422.",
          ok={200: Petition}, body=PetitionChanges, errors="403 404 409")
def update_petition(petition_id: int) -> Response:
    petition = handled_petition(petition_id)
    data = body(PetitionChanges)
    sent = data.model_dump(include=data.model_fields_set - {"version"})
    if not sent:
        nothing_sent(PetitionChanges, but="version")
    services.update(caller(), petition, _service_fields(_current(petition) | sent),
                    data.version)
    answer = masked_dict(petition)
    db.session.commit()
    return jsonify(answer)


@bp.post(f"/petitions/<{ID}:petition_id>/status")
@endpoint("Một bước xử lý đơn: handle, resolve, guide (kèm outcome), forward (kèm agency: mở "
          "việc theo dõi cơ quan, xem …/follow-ups), close, reopen.\n\n"
          f"{HANDLING} Trạng thái không cho phép: 409.", ok={200: Petition}, body=PetitionStep,
          errors="403 404 409")
def change_petition_status(petition_id: int) -> Response:
    petition = handled_petition(petition_id)
    data = body(PetitionStep)
    sent = {k: v for k, v in data.model_dump().items() if v is not NOT_SENT}
    apply_action(caller(), petition, data.action, data.version, sent)
    answer = masked_dict(petition)
    db.session.commit()
    return jsonify(answer)


@bp.post(f"/petitions/<{ID}:petition_id>/tell")
@endpoint(f"Ghi ngày đã thông báo kết quả cho người gửi đơn.\n\n{HANDLING} Đơn chưa xử lý "
          "xong, ngày trước ngày xử lý: 422.", ok={200: Petition}, body=PetitionTell,
          errors="403 404 409")
def tell_petitioner(petition_id: int) -> Response:
    petition = handled_petition(petition_id)
    data = body(PetitionTell)
    services.tell(caller(), petition, data.version, data.told_on)
    answer = masked_dict(petition)
    db.session.commit()
    return jsonify(answer)


@bp.post(f"/petitions/<{ID}:petition_id>/mass")
@endpoint("Đánh dấu khiếu kiện đông người: Thường trực cấp trên được báo ngay (không kèm thông "
          f"tin người gửi đơn).\n\n{HANDLING} Đã đánh dấu: 409.", ok={200: Petition},
          body=PetitionMass, errors="403 404 409")
def flag_mass_petition(petition_id: int) -> Response:
    petition = handled_petition(petition_id)
    data = body(PetitionMass)
    services.flag_mass(caller(), petition, data.version)
    answer = masked_dict(petition)
    db.session.commit()
    return jsonify(answer)


def _managed_tenant() -> int:
    """The caller's tenant, if they may correct its deadlines (403 otherwise)."""
    tenant_id = caller().tenant_id
    if tenant_id is None or not authz.can(caller(), "manage", root_of(tenant_id)):
        raise authz.Forbidden("manage")
    return tenant_id


def _days(tenant_id: int) -> dict:
    return {category: row.days for category, row in deadlines.deadlines(tenant_id).items()}


@bp.get("/petition-deadlines")
@endpoint("Thời hạn giải quyết đơn (số ngày từ ngày nhận) theo loại đơn, của tỉnh người gọi. "
          "Chỉ quản trị tỉnh (403).", ok={200: PetitionDeadlines}, errors="403")
def get_petition_deadlines() -> Response:
    answer = _days(_managed_tenant())
    db.session.commit()  # a tenant without its table gets the defaults, kept
    return jsonify(answer)


@bp.put("/petition-deadlines")
@endpoint("Sửa thời hạn giải quyết của một hoặc nhiều loại đơn (1–365 ngày); áp dụng cho đơn "
          "nhận sau đó. Chỉ quản trị tỉnh (403).", ok={200: PetitionDeadlines},
          body=PetitionDeadlineDays, errors="403")
def put_petition_deadlines() -> Response:
    tenant_id = _managed_tenant()
    data = body(PetitionDeadlineDays)
    sent = data.model_dump(include=data.model_fields_set)
    if not sent:
        nothing_sent(PetitionDeadlineDays)
    deadlines.set_days(caller(), tenant_id, sent)
    answer = _days(tenant_id)
    db.session.commit()
    return jsonify(answer)


follow_up_endpoints(
    "petitions", services.OBJECT_TYPE, id_name="petition_id",
    load=lambda petition_id: services.get_visible(caller(), petition_id),
    may_edit=services.may_handle, subject=services.title, noun="đơn")
