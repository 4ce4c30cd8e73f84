"""Dialogues and their commitments over the API: the same services and rules as the pages
(lhpn/dialogues/services.py). A commitment is a follow-up: it is answered, chased and its
chasing letter downloaded with the shared follow-up endpoints under
``/dialogues/ID/follow-ups/…`` (lhpn/api/follow_ups.py), and settled with
``PATCH /commitments/ID``, in the shape of ``PATCH /recommendations/ID``."""

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
from lhpn.api.follow_ups import follow_up_endpoints, follow_up_status_endpoint
from lhpn.api.plans import Version
from lhpn.api.plumbing import ID, caller, created
from lhpn.critiques import services as critiques
from lhpn.dialogues import services
from lhpn.dialogues.models import MAX_LINE, MAX_TEXT, MAX_WOMEN, DialogueStatus
from lhpn.dialogues.models import Dialogue as DialogueRow
from lhpn.extensions import db
from lhpn.followups import services as follow_ups
from lhpn.followups.models import FollowUp, FollowUpStatus

VERSION = Field(description="Phiên bản đã xem; 409 nếu cuộc đối thoại đã bị người khác thay "
                            "đổi.")
WHO = ("Người gọi phải là cán bộ hoặc Thường trực của đơn vị (403); đơn vị hoặc cuộc đối thoại "
       "không xem được: 404.")
Line = Annotated[str, *Text(MAX_LINE, 1)]
Women = Annotated[int, Field(ge=0, le=MAX_WOMEN)]


class NewDialogue(Body):
    unit_id: Id
    held_on: Date = Field(description="Ngày đối thoại (dự kiến, nếu chưa tổ chức).")
    leader_name: Line = Field(description="Họ tên người đứng đầu cấp ủy, chính quyền.")
    leader_title: Line = Field(description="Chức vụ, ví dụ Bí thư Đảng ủy xã.")
    body: Line = Field(description="Cơ quan: Đảng ủy xã…, UBND xã….")
    women_count: Women = 0
    issues: Annotated[str, *Text(MAX_TEXT)] = ""
    held: bool = Field(default=False, description=(
        "true: đã tổ chức (held_on không sau hôm nay, 422); false: dự kiến."))


class DialogueChanges(Body):
    version: Version = VERSION
    held_on: Date = NOT_SENT
    leader_name: Line = NOT_SENT
    leader_title: Line = NOT_SENT
    body: Line = NOT_SENT
    women_count: Women = NOT_SENT
    issues: Annotated[str, *Text(MAX_TEXT)] = NOT_SENT


class DialogueStep(Body):
    status: Literal["held", "closed"] = Field(description=(
        "held: đã tổ chức (từ planned, ngày on không sau hôm nay; hoặc mở lại từ closed, cần "
        "comment); closed: kết thúc (từ held). Không được từ trạng thái hiện tại: 409."))
    version: Version = VERSION
    on: Date = Field(default=NOT_SENT, description="Ngày đã tổ chức; mặc định ngày dự kiến.")
    women_count: Women = NOT_SENT
    comment: Annotated[str, *Text(5000)] = Field(default="", description="Lý do mở lại.")


class NewCommitment(Body):
    text: Annotated[str, *Text(4000, 1)] = Field(description="Nội dung cam kết.")
    agency: Annotated[str, *Text(300, 1)] = Field(description="Cơ quan, người cam kết.")
    due_on: Date = Field(description="Thời hạn; không trước ngày đối thoại (422).")


class DialogueQuery(Page):
    unit_id: QueryId = Field(default=NOT_SENT, description="Chỉ của đơn vị này.")
    year: Annotated[int, *QueryInt(1990, 2100)] = Field(default=NOT_SENT, description=(
        "Năm đối thoại."))
    status: DialogueStatus = NOT_SENT
    overdue: QueryBool = Field(default=NOT_SENT, description=(
        "true: chỉ những cuộc có cam kết quá hạn."))


class DialogueUnit(Answer):
    id: Id
    name: str


class Commitment(Answer):
    id: Id
    dialogue_id: Id
    text: str
    agency: str
    written_on: str = Field(json_schema_extra={"format": "date"})
    due_on: str = Field(json_schema_extra={"format": "date"})
    status: FollowUpStatus
    overdue: bool
    days_overdue: int = Field(ge=0)
    answered_on: str | None = Field(json_schema_extra={"format": "date"})
    answer: str
    chase_count: int = Field(ge=0)
    version: int


class Dialogue(Answer):
    id: Id
    unit: DialogueUnit
    held_on: str = Field(json_schema_extra={"format": "date"})
    leader_name: str
    leader_title: str
    body: str
    women_count: int
    issues: str
    status: DialogueStatus = Field(description="planned: dự kiến; held: đã tổ chức; closed: "
                                               "kết thúc.")
    commitments: list[Commitment]
    overdue: bool = Field(description="Có cam kết quá hạn.")
    version: int


class DialogueList(Answer):
    items: list[Dialogue]


def commitment_dict(fu: FollowUp) -> dict:
    return {"id": fu.id, "dialogue_id": fu.object_id, "text": fu.content, "agency": fu.agency,
            "written_on": fu.written_on.isoformat(), "due_on": fu.due_on.isoformat(),
            "status": fu.status, "overdue": follow_ups.is_overdue(fu),
            "days_overdue": follow_ups.days_overdue(fu),
            "answered_on": fu.answered_on.isoformat() if fu.answered_on else None,
            "answer": fu.answer, "chase_count": fu.chase_count, "version": fu.version}


def dialogue_dict(row: DialogueRow) -> dict:
    found = [commitment_dict(fu) for fu in services.commitments(row)]
    return {"id": row.id, "unit": {"id": row.unit.id, "name": row.unit.name},
            "held_on": row.held_on.isoformat(), "leader_name": row.leader_name,
            "leader_title": row.leader_title, "body": row.body, "women_count": row.women_count,
            "issues": row.issues, "status": row.status, "commitments": found,
            "overdue": any(c["overdue"] for c in found), "version": row.version}


@bp.get("/dialogues")
@endpoint("Các cuộc đối thoại của các đơn vị người gọi được xem, mới nhất trước, với các cam "
          "kết.", ok={200: DialogueList}, query=DialogueQuery, errors="403")
def list_dialogues() -> Response:
    if caller().tenant_id is None:
        raise authz.Forbidden("view")
    args = query(DialogueQuery)
    stmt = services.visible(caller())
    if args.unit_id is not None:
        stmt = stmt.where(DialogueRow.unit_id == args.unit_id)
    if args.year is not None:
        stmt = stmt.where(extract("year", DialogueRow.held_on) == args.year)
    if args.status is not None:
        stmt = stmt.where(DialogueRow.status == args.status)
    if args.overdue is not None:
        late = DialogueRow.id.in_(services.overdue_ids())
        stmt = stmt.where(late if args.overdue else ~late)
    rows = db.session.scalars(stmt.limit(args.limit).offset(args.offset))
    return jsonify(items=[dialogue_dict(row) for row in rows])


@bp.post("/dialogues")
@endpoint(f"Ghi nhận một cuộc đối thoại (dự kiến, hoặc đã tổ chức với held).\n\n{WHO} Dữ "
          "liệu không hợp lệ: 422, không ghi gì.", ok={201: Dialogue}, body=NewDialogue,
          errors="403 404")
def create_dialogue() -> Response:
    unit_id = peek_id("unit_id")
    if unit_id is not None:
        critiques.writable_unit(caller(), unit_id)
    data = body(NewDialogue)
    unit = critiques.writable_unit(caller(), data.unit_id)
    row = services.create(caller(), unit, data.model_dump(exclude={"unit_id"}))
    answer = dialogue_dict(row)
    db.session.commit()
    return created(answer, url_for(".get_dialogue", dialogue_id=answer["id"]))


@bp.get(f"/dialogues/<{ID}:dialogue_id>")
@endpoint("Một cuộc đối thoại với các cam kết. Không xem được: 404.", ok={200: Dialogue},
          errors="404")
def get_dialogue(dialogue_id: int) -> Response:
    return jsonify(dialogue_dict(services.get_visible(caller(), dialogue_id)))


def _writable(dialogue_id: int) -> DialogueRow:
    row = services.get_visible(caller(), dialogue_id)
    critiques.require_write(caller(), row.unit)
    return row


@bp.patch(f"/dialogues/<{ID}:dialogue_id>")
@endpoint(f"Sửa: gửi version và ít nhất một trường khác.\n\n{WHO} version cũ: 409.",
          ok={200: Dialogue}, body=DialogueChanges, errors="403 404 409")
def update_dialogue(dialogue_id: int) -> Response:
    row = _writable(dialogue_id)
    data = body(DialogueChanges)
    sent = data.model_dump(include=data.model_fields_set - {"version"})
    if not sent:
        nothing_sent(DialogueChanges, but="version")
    services.update(caller(), row, sent, data.version)
    answer = dialogue_dict(row)
    db.session.commit()
    return jsonify(answer)


@bp.post(f"/dialogues/<{ID}:dialogue_id>/status")
@endpoint(f"Chuyển trạng thái qua quy trình (lịch sử, nhật ký): đã tổ chức, kết thúc, mở "
          f"lại.\n\n{WHO} version cũ hoặc trạng thái không cho phép: 409.", ok={200: Dialogue},
          body=DialogueStep, errors="403 404 409")
def change_dialogue_status(dialogue_id: int) -> Response:
    row = _writable(dialogue_id)
    data = body(DialogueStep)
    action = services.action_to(row, data.status)
    services.step(caller(), row, action, data.version,
                  {"on": data.on, "women_count": data.women_count, "comment": data.comment})
    answer = dialogue_dict(row)
    db.session.commit()
    return jsonify(answer)


@bp.post(f"/dialogues/<{ID}:dialogue_id>/commitments")
@endpoint(f"Ghi một cam kết của người đứng đầu, theo dõi đến hạn như kiến nghị sau giám "
          f"sát.\n\n{WHO} Cuộc đối thoại chưa tổ chức, thời hạn trước ngày đối thoại: 422.",
          ok={201: Commitment}, body=NewCommitment, errors="403 404")
def add_dialogue_commitment(dialogue_id: int) -> Response:
    row = _writable(dialogue_id)
    data = body(NewCommitment)
    fu = services.add_commitment(caller(), row, content=data.text, agency=data.agency,
                                 due_on=data.due_on)
    answer = commitment_dict(fu)
    db.session.commit()
    return created(answer)


follow_up_status_endpoint(
    "commitments", services.OBJECT_TYPE, id_name="commitment_id",
    load_record=lambda dialogue_id: services.get_visible(caller(), dialogue_id),
    may_edit=lambda user, row: critiques.may_write(user, row.unit), answer=Commitment,
    as_dict=commitment_dict, noun="cam kết")

follow_up_endpoints(
    "dialogues", services.OBJECT_TYPE, id_name="dialogue_id",
    load=lambda dialogue_id: services.get_visible(caller(), dialogue_id),
    may_edit=lambda user, row: critiques.may_write(user, row.unit),
    subject=services.letter_subject,
    noun="cuộc đối thoại",
    # POST /dialogues/ID/commitments adds them, with their text.
    start=False)
