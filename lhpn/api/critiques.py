"""Critiques and comments on drafts over the API: the same services and rules as the pages
(lhpn/critiques/services.py). Nothing here is personal data."""

from typing import Annotated, Literal

from flask import Response, jsonify, url_for
from pydantic import Field
from sqlalchemy import extract

from lhpn import authz
from lhpn.api import bp
from lhpn.api.contract import (
    NOT_SENT,
    Answer,
    Body,
    Date,
    Id,
    Page,
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
from lhpn.api.files import file_endpoints
from lhpn.api.plans import Version
from lhpn.api.plumbing import ID, caller, created
from lhpn.critiques import services
from lhpn.critiques.models import (
    MAX_BODY,
    MAX_NUMBER,
    MAX_TEXT,
    MAX_TITLE,
    Accepted,
    CritiqueKind,
    CritiqueStatus,
)
from lhpn.critiques.models import Critique as CritiqueRow
from lhpn.errors import DomainError
from lhpn.extensions import db

VERSION = Field(description="Phiên bản đã xem; 409 nếu văn bản đã bị người khác thay đổi.")
WHO = ("Người gọi phải là cán bộ hoặc Thường trực của đơn vị (403); đơn vị không xem được "
       "hoặc không có: 404.")


class NewCritique(Body):
    unit_id: Id = Field(description="Đơn vị nhận dự thảo.")
    kind: CritiqueKind = Field(description="critique: phản biện xã hội; comment: góp ý dự "
                                           "thảo.")
    draft_title: Annotated[str, *Text(MAX_TITLE, 1)]
    issuing_body: Annotated[str, *Text(MAX_BODY, 1)] = Field(description=(
        "Cơ quan ban hành dự thảo."))
    received_on: Date = Field(description="Ngày nhận dự thảo; không sau hôm nay (422).")
    comments_due: Date = Field(description="Hạn gửi ý kiến; không trước received_on (422).")


class CritiqueChanges(Body):
    version: Version = VERSION
    kind: CritiqueKind = NOT_SENT
    draft_title: Annotated[str, *Text(MAX_TITLE, 1)] = NOT_SENT
    issuing_body: Annotated[str, *Text(MAX_BODY, 1)] = NOT_SENT
    received_on: Date = NOT_SENT
    comments_due: Date = NOT_SENT
    sent_number: Annotated[str, *Text(MAX_NUMBER)] = Field(default=NOT_SENT, description=(
        "Chỉ sửa được khi đã gửi ý kiến."))
    sent_on: Date = NOT_SENT
    sent_summary: Annotated[str, *Text(MAX_TEXT, 1)] = NOT_SENT
    accepted: Accepted = Field(default=NOT_SENT, description="Chỉ sửa được khi đã có kết quả.")
    accepted_note: Annotated[str, *Text(MAX_TEXT)] = NOT_SENT


class CritiqueStep(Body):
    status: Literal["sent", "concluded"] = Field(description=(
        "sent: đã gửi ý kiến (từ received: cần on và summary; từ concluded: mở lại, cần "
        "comment); concluded: ghi kết quả tiếp thu (từ sent, với accepted). Không được từ "
        "trạng thái hiện tại: 409."))
    version: Version = VERSION
    on: Date = Field(default=NOT_SENT, description=(
        "Ngày gửi ý kiến: không trước ngày nhận dự thảo, không sau hôm nay (422)."))
    number: Annotated[str, *Text(MAX_NUMBER)] = Field(default="", description=(
        "Số văn bản góp ý của Hội."))
    summary: Annotated[str, *Text(MAX_TEXT)] = Field(default=NOT_SENT, description=(
        "Tóm tắt ý kiến đã gửi."))
    accepted: Accepted = Field(default="unknown", description=(
        "yes: được tiếp thu; partly: một phần; no: không; unknown: chưa rõ."))
    accepted_note: Annotated[str, *Text(MAX_TEXT)] = ""
    comment: Annotated[str, *Text(5000)] = Field(default="", description="Lý do mở lại.")


STEP_FIELDS = {"sent_on": "on", "sent_number": "number", "sent_summary": "summary"}


class CritiqueQuery(Page):
    unit_id: QueryId = Field(default=NOT_SENT, description="Chỉ của đơn vị này.")
    year: Annotated[int, *QueryInt(1990, 2100)] = Field(default=NOT_SENT, description=(
        "Năm nhận dự thảo."))
    status: CritiqueStatus = NOT_SENT
    kind: CritiqueKind = NOT_SENT
    overdue: QueryBool = Field(default=NOT_SENT, description=(
        "true: chỉ những văn bản đã quá hạn gửi ý kiến mà chưa gửi."))


class CritiqueUnit(Answer):
    id: Id
    name: str


class Critique(Answer):
    id: Id
    unit: CritiqueUnit
    kind: CritiqueKind
    draft_title: str
    issuing_body: str
    received_on: str = Field(json_schema_extra={"format": "date"})
    comments_due: str = Field(json_schema_extra={"format": "date"})
    sent_number: str
    sent_on: str | None = Field(json_schema_extra={"format": "date"})
    sent_summary: str
    accepted: Accepted
    accepted_note: str
    status: CritiqueStatus = Field(description=(
        "received: đã nhận dự thảo; sent: đã gửi ý kiến; concluded: đã có kết quả tiếp thu."))
    overdue: bool = Field(description="Quá hạn gửi ý kiến mà chưa gửi (lịch Việt Nam).")
    version: int


class CritiqueList(Answer):
    items: list[Critique]


def critique_dict(row: CritiqueRow) -> dict:
    return {"id": row.id, "unit": {"id": row.unit.id, "name": row.unit.name}, "kind": row.kind,
            "draft_title": row.draft_title, "issuing_body": row.issuing_body,
            "received_on": row.received_on.isoformat(),
            "comments_due": row.comments_due.isoformat(), "sent_number": row.sent_number,
            "sent_on": row.sent_on.isoformat() if row.sent_on else None,
            "sent_summary": row.sent_summary, "accepted": row.accepted,
            "accepted_note": row.accepted_note, "status": row.status,
            "overdue": services.is_overdue(row), "version": row.version}


@bp.get("/critiques")
@endpoint("Phản biện xã hội và góp ý dự thảo của các đơn vị người gọi được xem, mới nhất "
          "trước.", ok={200: CritiqueList}, query=CritiqueQuery, errors="403")
def list_critiques() -> Response:
    if caller().tenant_id is None:
        raise authz.Forbidden("view")
    args = query(CritiqueQuery)
    stmt = services.visible(caller())
    if args.unit_id is not None:
        stmt = stmt.where(CritiqueRow.unit_id == args.unit_id)
    if args.year is not None:
        stmt = stmt.where(extract("year", CritiqueRow.received_on) == args.year)
    if args.status is not None:
        stmt = stmt.where(CritiqueRow.status == args.status)
    if args.kind is not None:
        stmt = stmt.where(CritiqueRow.kind == args.kind)
    if args.overdue is not None:
        late = services.overdue_condition()
        stmt = stmt.where(late if args.overdue else ~late)
    rows = db.session.scalars(stmt.limit(args.limit).offset(args.offset))
    return jsonify(items=[critique_dict(row) for row in rows])


@bp.post("/critiques")
@endpoint(f"Ghi nhận dự thảo nhận để phản biện hoặc góp ý.\n\n{WHO} Hạn gửi ý kiến trước "
          "ngày nhận, ngày nhận sau hôm nay: 422, không ghi gì.", ok={201: Critique},
          body=NewCritique, errors="403 404")
def create_critique() -> Response:
    unit_id = peek_id("unit_id")
    if unit_id is not None:
        services.writable_unit(caller(), unit_id)
    data = body(NewCritique)
    unit = services.writable_unit(caller(), data.unit_id)
    row = services.create(caller(), unit, data.model_dump(exclude={"unit_id"}))
    answer = critique_dict(row)
    db.session.commit()
    return created(answer, url_for(".get_critique", critique_id=answer["id"]))


@bp.get(f"/critiques/<{ID}:critique_id>")
@endpoint("Một văn bản phản biện, góp ý. Không xem được: 404.", ok={200: Critique},
          errors="404")
def get_critique(critique_id: int) -> Response:
    return jsonify(critique_dict(services.get_visible(caller(), critique_id)))


def _writable(critique_id: int) -> CritiqueRow:
    row = services.get_visible(caller(), critique_id)
    services.require_write(caller(), row.unit)
    return row


@bp.patch(f"/critiques/<{ID}:critique_id>")
@endpoint(f"Sửa: gửi version và ít nhất một trường khác; các trường gửi thay cho trường hiện "
          f"có.\n\n{WHO} version cũ: 409; ngày không đúng thứ tự: 422.", ok={200: Critique},
          body=CritiqueChanges, errors="403 404 409")
def update_critique(critique_id: int) -> Response:
    row = _writable(critique_id)
    data = body(CritiqueChanges)
    sent = data.model_dump(include=data.model_fields_set - {"version"})
    if not sent:
        nothing_sent(CritiqueChanges, but="version")
    services.update(caller(), row, sent, data.version)
    answer = critique_dict(row)
    db.session.commit()
    return jsonify(answer)


@bp.post(f"/critiques/<{ID}:critique_id>/status")
@endpoint(f"Chuyển trạng thái qua quy trình (lịch sử, nhật ký): gửi ý kiến, ghi kết quả tiếp "
          f"thu, mở lại.\n\n{WHO} version cũ hoặc trạng thái không cho phép: 409.",
          ok={200: Critique}, body=CritiqueStep, errors="403 404 409")
def change_critique_status(critique_id: int) -> Response:
    row = _writable(critique_id)
    data = body(CritiqueStep)
    action = services.action_to(row, data.status)
    try:
        services.step(caller(), row, action, data.version, {
            "sent_on": data.on, "sent_number": data.number, "sent_summary": data.summary,
            "accepted": data.accepted, "accepted_note": data.accepted_note,
            "comment": data.comment})
    except DomainError as exc:  # the services' names of the fields, as this body says them
        exc.field = STEP_FIELDS.get(exc.field or "", exc.field)
        raise
    answer = critique_dict(row)
    db.session.commit()
    return jsonify(answer)


file_endpoints("critiques", services.OBJECT_TYPE, id_name="critique_id",
               load=lambda critique_id: services.get_visible(caller(), critique_id),
               may_edit=lambda user, row: services.may_write(user, row.unit),
               noun="văn bản phản biện, góp ý")
