"""Supervisions over the API: the same services and rules as the supervision pages
(lhpn/supervisions/services.py). Nothing of a supervision is personal data: every answer is
the whole record.

A status moves with ``POST /supervisions/ID/status`` naming the status wanted, its day and
the version seen; the move is the workflow's step from where the supervision is (409 when
there is none). Recommendations are follow-ups: created with ``POST …/recommendations``,
settled with ``PATCH /recommendations/ID``, chased with the follow-up endpoints under
``/supervisions/ID/follow-ups``.
"""

from typing import Annotated

from flask import Response, jsonify, url_for
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
    QueryId,
    QueryInt,
    Text,
    body,
    endpoint,
    nothing_sent,
    peek_id,
    query,
)
from lhpn.api.files import file_endpoints
from lhpn.api.follow_ups import follow_up_endpoints, follow_up_status_endpoint
from lhpn.api.plans import Version
from lhpn.api.plumbing import ID, caller, created
from lhpn.errors import NotFound
from lhpn.extensions import db
from lhpn.followups import services as follow_ups
from lhpn.followups.models import FollowUp, FollowUpStatus
from lhpn.supervisions import services
from lhpn.supervisions.models import (
    MAX_AGENCY,
    MAX_NOTE,
    MAX_NUMBER,
    MAX_TEXT,
    MAX_TITLE,
    DocumentKind,
    Method,
    SubjectKind,
    Supervision,
    SupervisionStatus,
)
from lhpn.units.models import Unit
from lhpn.units.services import get_unit

VERSION = Field(description="Phiên bản đã xem của cuộc giám sát; 409 nếu đã bị thay đổi.")


class SupervisionNew(Body):
    unit_id: Id = Field(description="Đơn vị tổ chức giám sát: người gọi là cán bộ của đơn vị.")
    title: Annotated[str, *Text(MAX_TITLE, 1)]
    subject: Annotated[str, *Text(MAX_TEXT, 1)] = Field(description=(
        "Chính sách, chương trình hoặc việc được giám sát."))
    agency: Annotated[str, *Text(MAX_AGENCY, 1)] = Field(description=(
        "Cơ quan, tổ chức được giám sát."))
    method: Method = Field(description=(
        "team: đoàn giám sát; documents: nghiên cứu văn bản; petitions: qua đơn thư; "
        "observation: giám sát thường xuyên."))
    subject_kind: SubjectKind = Field(default="policy", description=(
        "policy: chính sách, pháp luật; programme: chương trình, đề án; cadre_conduct: đạo "
        "đức, lối sống cán bộ, đảng viên."))
    team: Annotated[str, *Text(MAX_TEXT)] = ""
    proposed_on: Date = Field(default=NOT_SENT, description="Ngày đề xuất; mặc định hôm nay; "
                                                            "không sau hôm nay (422).")


class SupervisionChanges(Body):
    version: Version = VERSION
    title: Annotated[str, *Text(MAX_TITLE, 1)] = NOT_SENT
    subject: Annotated[str, *Text(MAX_TEXT, 1)] = NOT_SENT
    agency: Annotated[str, *Text(MAX_AGENCY, 1)] = NOT_SENT
    method: Method = NOT_SENT
    subject_kind: SubjectKind = NOT_SENT
    team: Annotated[str, *Text(MAX_TEXT)] = NOT_SENT


class SupervisionStatusChange(Body):
    status: SupervisionStatus = Field(description=(
        "Trạng thái muốn chuyển tới, theo quy trình: proposed → approved (Chủ tịch đơn vị "
        "duyệt kế hoạch) → in_progress → report_submitted (cán bộ trình dự thảo báo cáo) → "
        "reported (Chủ tịch ký báo cáo kết quả) → closed. Trả lại: proposed từ proposed, "
        "in_progress từ report_submitted, kèm comment. Không theo quy trình: 409."))
    version: Version = VERSION
    on: Date = Field(default=NOT_SENT, description=(
        "Ngày của bước này; mặc định hôm nay; không sau hôm nay, không trước bước trước (422)."))
    comment: Annotated[str, *Text(5000)] = ""


class SupervisionDocumentNew(Body):
    version: Version = VERSION
    kind: DocumentKind
    number: Annotated[str, *Text(MAX_NUMBER)] = ""
    issued_on: Date = Field(description="Ngày văn bản; không sau hôm nay (422).")
    note: Annotated[str, *Text(MAX_NOTE)] = ""


class RecommendationNew(Body):
    text: Annotated[str, *Text(MAX_TEXT, 1)] = Field(description="Nội dung kiến nghị.")
    agency: Annotated[str, *Text(MAX_AGENCY, 1)] = Field(description="Cơ quan nhận kiến nghị.")
    due_on: Date = Field(description="Thời hạn trả lời; không trước ngày báo cáo (422).")
    letter_number: Annotated[str, *Text(MAX_NUMBER)] = ""


class SupervisionQuery(Page):
    unit_id: QueryId = Field(default=NOT_SENT, description="Chỉ giám sát của đơn vị này.")
    year: Annotated[int, *QueryInt(1990, 2100)] = Field(default=NOT_SENT, description=(
        "Năm đề xuất."))
    status: SupervisionStatus = NOT_SENT


class SupervisionUnitRef(Answer):
    id: Id
    name: str


class SupervisionDocumentAnswer(Answer):
    id: Id
    kind: DocumentKind
    number: str
    issued_on: str = Field(json_schema_extra={"format": "date"})
    note: str


class RecommendationAnswer(Answer):
    id: Id
    supervision_id: Id
    text: str
    agency: str
    written_on: str = Field(json_schema_extra={"format": "date"})
    due_on: str = Field(json_schema_extra={"format": "date"})
    status: FollowUpStatus
    overdue: bool
    answered_on: str | None = Field(json_schema_extra={"format": "date"})
    answer: str
    version: int


def _day(value) -> str | None:
    return value.isoformat() if value else None


class SupervisionAnswer(Answer):
    id: Id
    unit: SupervisionUnitRef
    title: str
    subject_kind: SubjectKind
    subject: str
    agency: str
    method: Method
    team: str
    status: SupervisionStatus
    proposed_on: str = Field(json_schema_extra={"format": "date"})
    approved_on: str | None = Field(json_schema_extra={"format": "date"})
    started_on: str | None = Field(json_schema_extra={"format": "date"})
    report_submitted_on: str | None = Field(json_schema_extra={"format": "date"})
    reported_on: str | None = Field(json_schema_extra={"format": "date"})
    closed_on: str | None = Field(json_schema_extra={"format": "date"})
    overdue: bool = Field(description="Có kiến nghị quá hạn mà cơ quan chưa trả lời.")
    version: int
    documents: list[SupervisionDocumentAnswer]
    recommendations: list[RecommendationAnswer]


class SupervisionList(Answer):
    items: list[SupervisionAnswer]


def recommendation_dict(fu: FollowUp) -> dict:
    return {"id": fu.id, "supervision_id": fu.object_id, "text": fu.content,
            "agency": fu.agency, "written_on": fu.written_on.isoformat(),
            "due_on": fu.due_on.isoformat(), "status": fu.status,
            "overdue": follow_ups.is_overdue(fu), "answered_on": _day(fu.answered_on),
            "answer": fu.answer, "version": fu.version}


def supervision_dict(s: Supervision) -> dict:
    found = services.recommendations(s)
    return {"id": s.id, "unit": {"id": s.unit.id, "name": s.unit.name}, "title": s.title,
            "subject_kind": s.subject_kind, "subject": s.subject, "agency": s.agency,
            "method": s.method, "team": s.team, "status": s.status,
            "proposed_on": s.proposed_on.isoformat(), "approved_on": _day(s.approved_on),
            "started_on": _day(s.started_on), "report_submitted_on": _day(s.report_submitted_on),
            "reported_on": _day(s.reported_on), "closed_on": _day(s.closed_on),
            "overdue": any(follow_ups.is_overdue(fu) for fu in found), "version": s.version,
            "documents": [{"id": d.id, "kind": d.kind, "number": d.number,
                           "issued_on": d.issued_on.isoformat(), "note": d.note}
                          for d in s.documents],
            "recommendations": [recommendation_dict(fu) for fu in found]}


def _unit_for(unit_id: object) -> Unit:
    unit = get_unit(caller().tenant_id, unit_id)
    if not authz.can(caller(), "view", unit):
        raise NotFound(_("Không tìm thấy đơn vị."))
    if not services.may_record_at(caller(), unit):
        raise authz.Forbidden("plan")
    return unit


def _load(supervision_id: int) -> Supervision:
    return services.get_visible(caller(), supervision_id)


def _written(supervision_id: int) -> Supervision:
    supervision = _load(supervision_id)
    if not services.may_write(caller(), supervision):
        raise authz.Forbidden("plan")
    return supervision


def _answer(supervision: Supervision, status: int = 200) -> Response:
    answer = supervision_dict(supervision)
    db.session.commit()
    if status == 201:
        return created(answer, url_for(".get_supervision", supervision_id=answer["id"]))
    return jsonify(answer)


WRITERS = "Cán bộ của đơn vị tổ chức giám sát (403); không xem được: 404."


@bp.get("/supervisions")
@endpoint("Các cuộc giám sát của các đơn vị người gọi được xem, mới nhất trước.",
          ok={200: SupervisionList}, query=SupervisionQuery, errors="403")
def list_supervisions() -> Response:
    if caller().tenant_id is None:
        raise authz.Forbidden("view")
    args = query(SupervisionQuery)
    stmt = services.filtered(services.visible(caller()), status=args.status, year=args.year,
                             unit_id=args.unit_id)
    rows = db.session.scalars(stmt.limit(args.limit).offset(args.offset)).all()
    return jsonify(items=[supervision_dict(row) for row in rows])


@bp.post("/supervisions")
@endpoint(f"Đề xuất một cuộc giám sát; kế hoạch chờ Chủ tịch đơn vị duyệt. {WRITERS} "
          "Đơn vị đã giải thể, ngày sau hôm nay: 422.", ok={201: SupervisionAnswer},
          body=SupervisionNew, errors="403 404")
def create_supervision() -> Response:
    unit_id = peek_id("unit_id")
    if unit_id is not None:
        _unit_for(unit_id)
    data = body(SupervisionNew)
    unit = _unit_for(data.unit_id)
    fields = data.model_dump(exclude={"unit_id"})
    if fields.get("proposed_on") is NOT_SENT:
        fields.pop("proposed_on")
    supervision = services.record_supervision(caller(), unit, fields)
    return _answer(supervision, 201)


@bp.get(f"/supervisions/<{ID}:supervision_id>")
@endpoint("Một cuộc giám sát: hồ sơ, các bước, kiến nghị. Không xem được: 404.",
          ok={200: SupervisionAnswer}, errors="404")
def get_supervision(supervision_id: int) -> Response:
    return jsonify(supervision_dict(_load(supervision_id)))


@bp.patch(f"/supervisions/<{ID}:supervision_id>")
@endpoint(f"Sửa cuộc giám sát: gửi version và ít nhất một trường khác. {WRITERS} Đã kết "
          "thúc: 422; version cũ: 409.", ok={200: SupervisionAnswer},
          body=SupervisionChanges, errors="403 404 409")
def update_supervision(supervision_id: int) -> Response:
    supervision = _written(supervision_id)
    data = body(SupervisionChanges)
    sent = data.model_dump(include=data.model_fields_set - {"version"})
    if not sent:
        nothing_sent(SupervisionChanges, but="version")
    current = {"title": supervision.title, "subject": supervision.subject,
               "agency": supervision.agency, "method": supervision.method,
               "subject_kind": supervision.subject_kind, "team": supervision.team}
    services.update_supervision(caller(), supervision, current | sent, data.version)
    return _answer(supervision)


@bp.post(f"/supervisions/<{ID}:supervision_id>/status")
@endpoint("Chuyển trạng thái theo quy trình. Duyệt, trả lại kế hoạch và báo cáo: Chủ tịch "
          "của chính đơn vị tổ chức giám sát (approve tại đơn vị, 403), không phải người đã "
          "trình (422); các bước khác: cán bộ của đơn vị (403). Không theo quy trình hoặc "
          "version cũ: 409; ngày sai: 422.", ok={200: SupervisionAnswer},
          body=SupervisionStatusChange, errors="403 404 409")
def change_supervision_status(supervision_id: int) -> Response:
    supervision = _load(supervision_id)
    # 403 before the body: who neither writes it nor chairs its unit has no step at all.
    if not (services.may_write(caller(), supervision)
            or services.is_chair_of(caller(), supervision)):
        raise authz.Forbidden("plan")
    data = body(SupervisionStatusChange)
    action = services.action_to(supervision, data.status)
    services.take_step(caller(), supervision, action, data.version,
                       None if data.on is NOT_SENT else data.on, data.comment)
    return _answer(supervision)


@bp.post(f"/supervisions/<{ID}:supervision_id>/documents")
@endpoint(f"Thêm một văn bản vào hồ sơ giám sát. {WRITERS} Version cũ: 409.",
          ok={201: SupervisionAnswer}, body=SupervisionDocumentNew, errors="403 404 409")
def add_supervision_document(supervision_id: int) -> Response:
    supervision = _written(supervision_id)
    data = body(SupervisionDocumentNew)
    services.add_document(caller(), supervision, data.model_dump(exclude={"version"}),
                          data.version)
    return _answer(supervision, 201)


@bp.post(f"/supervisions/<{ID}:supervision_id>/recommendations")
@endpoint(f"Ghi một kiến nghị sau giám sát (khi đã trình dự thảo báo cáo hoặc đã có báo cáo "
          f"kết quả; nếu không: 422), ngày ghi là ngày báo cáo. {WRITERS}",
          ok={201: RecommendationAnswer}, body=RecommendationNew, errors="403 404")
def add_supervision_recommendation(supervision_id: int) -> Response:
    supervision = _written(supervision_id)
    data = body(RecommendationNew)
    fu = services.recommend(caller(), supervision, text=data.text, agency=data.agency,
                            due_on=data.due_on, letter_number=data.letter_number)
    answer = recommendation_dict(fu)
    db.session.commit()
    return created(answer)


follow_up_status_endpoint(
    "recommendations", services.OBJECT_TYPE, id_name="recommendation_id", load_record=_load,
    may_edit=services.may_follow, answer=RecommendationAnswer, as_dict=recommendation_dict,
    noun="kiến nghị")

follow_up_endpoints(
    "supervisions", services.OBJECT_TYPE, id_name="supervision_id", load=_load,
    may_edit=services.may_follow,
    subject=lambda s: f"kiến nghị sau giám sát “{s.title}”", noun="cuộc giám sát",
    # POST /supervisions/ID/recommendations starts them, with their text.
    start=False)

file_endpoints(
    "supervision-documents", "supervision_document", id_name="document_id",
    load=lambda document_id: services.get_document(caller(), document_id),
    may_edit=services.may_attach, noun="văn bản hồ sơ giám sát")
