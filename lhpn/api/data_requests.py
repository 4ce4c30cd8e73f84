"""A data subject's requests about a case over the API: the same services and rules as the
case page's section (lhpn/incidents/data_requests.py, lhpn/incidents/requests.py).

Whoever may read the case in clear (403 otherwise; a case they may not view: 404). Like the
case itself, a list is masked unless a purpose is given: then the read of whom each request is
about, its note and its refusal reason is logged on channel "api" before the answer is built.
A change answers the request masked: the caller sent its note and already has it.

An access request is carried out by asking for the victim's record (a Word file for them,
``…/victim-record.docx``); a correction or an erasure by ``…/carry-out``.
"""

from typing import TYPE_CHECKING, Annotated, Literal

from flask import Response, jsonify
from flask_babel import gettext as _
from pydantic import Field

from lhpn.api import bp
from lhpn.api.contract import NOT_SENT, Answer, Body, Date, Id, Text, body, endpoint, query
from lhpn.api.incidents import ClearReadQuery, handled_case
from lhpn.api.plumbing import ID, caller, created
from lhpn.errors import Conflict
from lhpn.extensions import db
from lhpn.followups.pages import DOCX_MIMETYPE
from lhpn.incidents import data_requests, services
from lhpn.privacy.models import REQUEST_KINDS, REQUEST_STATUSES, REQUESTERS, DataRequest

if TYPE_CHECKING:
    Kind = str
    Requester = str
    RequestStatus = str
else:
    Kind = Literal[REQUEST_KINDS]
    Requester = Literal[REQUESTERS]
    RequestStatus = Literal[REQUEST_STATUSES]

Note = Annotated[str, *Text(data_requests.MAX_NOTE)]
BASE = f"/incidents/<{ID}:incident_id>/data-requests"
WHO = ("Người gọi phải được đọc bản rõ vụ việc (403); vụ việc không xem được hoặc yêu cầu "
       "không thuộc vụ việc: 404.")


class NewDataRequest(Body):
    kind: Kind = Field(description="access: xem, nhận bản sao; correction: sửa; erasure: xóa.")
    requester: Requester = Field(description="self: nạn nhân; representative: người đại diện "
                                             "hợp pháp.")
    victim_id: Id = Field(default=NOT_SENT, description=(
        "Nạn nhân của vụ việc (422 nếu không phải); không gửi: cả vụ việc (access phải nêu "
        "nạn nhân, 422)."))
    received_on: Date = Field(description="Ngày nhận yêu cầu; không sau hôm nay (422).")
    note: Note = ""


class Refusal(Body):
    refusal_reason: Annotated[str, *Text(data_requests.MAX_NOTE)] = Field(description=(
        "Lý do từ chối, bắt buộc (422 nếu trống)."))


CLEAR_ONLY = "null trong bản che (không gửi purpose)."


class DataRequestAnswer(Answer):
    id: Id
    incident_id: Id
    kind: Kind
    requester: Requester
    status: RequestStatus = Field(description="received: đã tiếp nhận; done: đã thực hiện; "
                                              "refused: từ chối.")
    received_on: str = Field(json_schema_extra={"format": "date"})
    done_on: str | None = Field(json_schema_extra={"format": "date"})
    done_by: str | None = Field(description="Tên đăng nhập người thực hiện hoặc từ chối.")
    whole_case: bool = Field(description="true: về cả vụ việc, không nêu nạn nhân.")
    clear: bool = Field(description="true: bản rõ (lượt đọc đã được ghi nhật ký).")
    victim_id: Id | None = Field(description=f"Nạn nhân; {CLEAR_ONLY}")
    note: str | None = Field(description=CLEAR_ONLY)
    refusal_reason: str | None = Field(description=CLEAR_ONLY)


class DataRequestList(Answer):
    items: list[DataRequestAnswer]


def request_dict(entry: DataRequest, *, clear: bool = False) -> dict:
    answer = {"id": entry.id, "incident_id": entry.incident_id, "kind": entry.kind,
              "requester": entry.requester, "status": entry.status,
              "received_on": entry.received_on.isoformat(),
              "done_on": entry.done_on.isoformat() if entry.done_on else None,
              "done_by": entry.done_by.username if entry.done_by else None,
              "whole_case": entry.victim_id is None, "clear": clear,
              "victim_id": None, "note": None, "refusal_reason": None}
    if clear:
        answer.update(victim_id=entry.victim_id, note=entry.note,
                      refusal_reason=entry.refusal_reason)
    return answer


@bp.get(BASE)
@endpoint("Các yêu cầu của chủ thể dữ liệu về vụ việc (xem, sửa, xóa dữ liệu), mới nhất "
          "trước: bản che; với purpose, nạn nhân, ghi chú và lý do từ chối (lượt đọc được ghi "
          f"nhật ký, kênh api).\n\n{WHO} Mục đích sai, hoặc other không ghi rõ: 422.",
          ok={200: DataRequestList}, query=ClearReadQuery, errors="403 404")
def list_data_requests(incident_id: int) -> Response:
    incident = handled_case(incident_id)
    args = query(ClearReadQuery)
    clear = args.purpose is not None
    if clear:
        services.open_clear(caller(), incident, purpose=args.purpose,
                            note=args.purpose_note or "", channel="api",
                            fields=data_requests.CLEAR_FIELDS)
    answer = [request_dict(entry, clear=clear) for entry in data_requests.for_incident(incident)]
    db.session.commit()
    return jsonify(items=answer)


@bp.post(BASE)
@endpoint("Ghi nhận yêu cầu của nạn nhân hoặc người đại diện hợp pháp (Luật 91/2025/QH15): "
          f"trạng thái received.\n\n{WHO} Trả lời bản che.", ok={201: DataRequestAnswer},
          body=NewDataRequest, errors="403 404")
def record_data_request(incident_id: int) -> Response:
    incident = handled_case(incident_id)
    data = body(NewDataRequest)
    entry = data_requests.record_request(caller(), incident, data.model_dump())
    answer = request_dict(entry)
    db.session.commit()
    return created(answer)


def _open(incident_id: int, request_id: int, *, access: bool):
    incident = handled_case(incident_id)
    entry = data_requests.get(incident, request_id)
    if (entry.kind == "access") is not access:
        raise Conflict(_("Yêu cầu xem dữ liệu được thực hiện bằng …/victim-record.docx; yêu "
                         "cầu sửa, xóa bằng …/carry-out."), "kind")
    return incident, entry


@bp.post(f"{BASE}/<{ID}:request_id>/carry-out")
@endpoint("Thực hiện yêu cầu sửa (đã sửa vụ việc) hoặc xóa (nạn nhân được nêu, hoặc cả vụ "
          "việc, được ẩn danh như khi hết thời hạn lưu giữ).\n\n"
          f"{WHO} Yêu cầu xem dữ liệu: 409 (dùng …/victim-record.docx); đã giải quyết: 422.",
          ok={200: DataRequestAnswer}, errors="403 404 409 422")
def carry_out_data_request(incident_id: int, request_id: int) -> Response:
    incident, entry = _open(incident_id, request_id, access=False)
    done = data_requests.carry_out(caller(), incident, entry)
    answer = request_dict(done.entry)
    db.session.commit()
    return jsonify(answer)


@bp.post(f"{BASE}/<{ID}:request_id>/victim-record.docx")
@endpoint("Thực hiện yêu cầu xem dữ liệu: phiếu cung cấp thông tin cá nhân vụ việc lưu về nạn "
          "nhân (.docx, giao cho người yêu cầu); lượt đọc được ghi nhật ký (kênh docx) và yêu "
          f"cầu chuyển sang done.\n\n{WHO} Yêu cầu sửa, xóa: 409 (dùng …/carry-out); đã giải "
          "quyết, nạn nhân không còn trong vụ việc: 422. Trả lời là tệp Word "
          f"({DOCX_MIMETYPE}).", ok={200: None}, errors="403 404 409 422")
def victim_record_docx(incident_id: int, request_id: int) -> Response:
    incident, entry = _open(incident_id, request_id, access=True)
    done = data_requests.carry_out(caller(), incident, entry)
    db.session.commit()
    assert done.document is not None
    response = Response(done.document, mimetype=DOCX_MIMETYPE)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="thong-tin-ca-nhan-vu-viec-{incident_id}-yeu-cau-'
        f'{request_id}.docx"')
    return response


@bp.post(f"{BASE}/<{ID}:request_id>/refuse")
@endpoint(f"Từ chối yêu cầu, kèm lý do.\n\n{WHO} Đã giải quyết, lý do trống: 422. Trả lời bản "
          "che.", ok={200: DataRequestAnswer}, body=Refusal, errors="403 404")
def refuse_data_request(incident_id: int, request_id: int) -> Response:
    incident = handled_case(incident_id)
    entry = data_requests.get(incident, request_id)
    data = body(Refusal)
    data_requests.refuse(caller(), incident, entry, data.refusal_reason)
    answer = request_dict(entry)
    db.session.commit()
    return jsonify(answer)
