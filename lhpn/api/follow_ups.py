"""Following a record with an outside agency over the API, once for every kind: the endpoints
that start, correct, answer, close and chase a follow-up and download the chasing letter. The
API's twin of lhpn/followups/pages.py, over the same services (lhpn/followups/services.py).

A kind adds them under its own path::

    follow_up_endpoints("incidents", "incident", id_name="incident_id", load=…, may_edit=…,
                        subject=…, noun="vụ việc")

``load(id)`` answers the record its caller may see (404 otherwise), whose ``unit`` follows it;
``may_edit(user, record)`` is the kind's rule (403 otherwise), asked before any body is read;
``subject(record)`` names the record in the chasing letter without personal data. Who may
read a follow-up's answer is the kind's business too: the incidents show follow-ups in a case
read in clear, which is logged. These endpoints answer a follow-up's dates and agency, never
the answer's text, which the caller has just sent or reads with the record.

A kind whose follow-ups are things asked (a supervision's recommendations, a dialogue's
commitments) also lets the caller say what one came to in one request, addressed by the
follow-up's id alone::

    follow_up_status_endpoint("recommendations", "supervision", id_name="recommendation_id",
                              load_record=…, may_edit=…, answer=RecommendationAnswer,
                              as_dict=recommendation_dict, noun="kiến nghị")

``PATCH /recommendations/<id>`` with ``status``: answered (with ``answered_on`` and
``answer``), implemented or not_accepted (final), open (wait for a further answer, from
answered); it answers the kind's own view of the follow-up (``as_dict``, model ``answer``).
"""

from collections.abc import Callable
from typing import Annotated, Any, Literal
from urllib.parse import quote

from flask import Response, jsonify
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
    Query,
    Text,
    body,
    endpoint,
    nothing_sent,
    query,
)
from lhpn.api.plans import Version
from lhpn.api.plumbing import ID, caller, created
from lhpn.errors import DomainError, NotFound
from lhpn.extensions import db
from lhpn.followups import services as follow_ups
from lhpn.followups.letter import chasing_letter
from lhpn.followups.models import (
    MAX_AGENCY,
    MAX_ANSWER,
    MAX_LETTER_NUMBER,
    FollowUp,
    FollowUpStatus,
)
from lhpn.followups.pages import DOCX_MIMETYPE

Agency = Annotated[str, *Text(MAX_AGENCY)]
VERSION = Field(description="Phiên bản đã xem của việc theo dõi; 409 nếu đã bị thay đổi.")


class NewFollowUp(Body):
    agency: Annotated[str, *Text(MAX_AGENCY, 1)] = Field(description=(
        "Cơ quan giải quyết, ví dụ Công an xã Tân Lễ."))
    agency_superior: Agency = Field(default="", description=(
        "Cơ quan cấp trên, để đôn đốc qua cấp trên."))
    letter_number: Annotated[str, *Text(MAX_LETTER_NUMBER)] = Field(default="", description=(
        "Số văn bản của Hội gửi cơ quan (có thể chưa có)."))
    written_on: Date = Field(description="Ngày Hội gửi văn bản; không sau hôm nay (422).")
    due_on: Date = Field(description="Thời hạn giải quyết theo luật; không trước written_on "
                                     "(422).")


class FollowUpChanges(Body):
    version: Version = VERSION
    agency: Annotated[str, *Text(MAX_AGENCY, 1)] = NOT_SENT
    agency_superior: Agency = NOT_SENT
    letter_number: Annotated[str, *Text(MAX_LETTER_NUMBER)] = NOT_SENT
    written_on: Date = NOT_SENT
    due_on: Date = Field(default=NOT_SENT, description="Gia hạn theo luật, hoặc sửa thời hạn.")


class AgencyAnswer(Body):
    version: Version = VERSION
    answered_on: Date = Field(description="Ngày cơ quan trả lời: không trước ngày gửi văn bản, "
                                          "không sau hôm nay (422).")
    answer: Annotated[str, *Text(MAX_ANSWER, 1)] = Field(description=(
        "Tóm tắt nội dung trả lời của cơ quan."))


class VersionOnly(Body):
    version: Version = VERSION


class FollowUpStatusChange(Body):
    status: Literal["open", "answered", "implemented", "not_accepted"] = Field(description=(
        "answered: đã trả lời (kèm answered_on, answer); implemented: đã thực hiện; "
        "not_accepted: không được tiếp thu, không thực hiện (kết thúc); open: chờ trả lời "
        "tiếp (chỉ từ answered)."))
    version: Version = VERSION
    answered_on: Date = Field(default=NOT_SENT, description=(
        "Với answered: ngày trả lời, không trước ngày ghi, không sau hôm nay (422)."))
    answer: Annotated[str, *Text(MAX_ANSWER, 1)] = Field(default=NOT_SENT, description=(
        "Với answered: tóm tắt trả lời."))


class LetterQuery(Query):
    to: Literal["agency", "superior"] = Field(default=NOT_SENT, description=(
        "superior: gửi cơ quan cấp trên (422 nếu việc theo dõi không ghi cơ quan cấp trên); "
        "mặc định: cơ quan giải quyết."))


class FollowUpAnswer(Answer):
    id: Id
    agency: str
    agency_superior: str
    letter_number: str
    written_on: str = Field(json_schema_extra={"format": "date"})
    due_on: str = Field(json_schema_extra={"format": "date"})
    answered_on: str | None = Field(json_schema_extra={"format": "date"})
    status: FollowUpStatus = Field(description=(
        "open: chờ cơ quan trả lời; answered: đã trả lời; closed: kết thúc; implemented: "
        "kiến nghị/cam kết đã được thực hiện; not_accepted: không được tiếp thu."))
    overdue: bool = Field(description="Còn chờ trả lời mà đã quá thời hạn (lịch Việt Nam).")
    days_overdue: int = Field(ge=0)
    chase_count: int = Field(ge=0, description="Số lần đã gửi công văn đôn đốc.")
    last_chased_on: str | None = Field(json_schema_extra={"format": "date"})
    version: int


def follow_up_dict(fu: FollowUp) -> dict:
    return {"id": fu.id, "agency": fu.agency, "agency_superior": fu.agency_superior,
            "letter_number": fu.letter_number, "written_on": fu.written_on.isoformat(),
            "due_on": fu.due_on.isoformat(),
            "answered_on": fu.answered_on.isoformat() if fu.answered_on else None,
            "status": fu.status, "overdue": follow_ups.is_overdue(fu),
            "days_overdue": follow_ups.days_overdue(fu), "chase_count": fu.chase_count,
            "last_chased_on": fu.last_chased_on.isoformat() if fu.last_chased_on else None,
            "version": fu.version}


def follow_up_endpoints(collection: str, object_type: str, *, id_name: str,
                        load: Callable[[int], Any], may_edit: Callable[[Any, Any], bool],
                        subject: Callable[[Any], str], noun: str, start: bool = True) -> None:
    """Add ``POST /<collection>/<id>/follow-ups`` and, for one follow-up,
    ``PATCH …/follow-ups/<follow_up_id>``, ``POST …/answer|close|chased`` and
    ``GET …/chasing-letter``. The views are named ``<action>_<object_type>_follow_up``.
    ``start=False`` leaves out the generic start, for a kind that starts its follow-ups
    with its own endpoint (a supervision's recommendations)."""
    base = f"/{collection}/<{ID}:{id_name}>/follow-ups"
    who = (f"Người gọi phải được theo dõi {noun} này (403); {noun} không xem được hoặc việc "
           f"theo dõi không thuộc {noun}: 404.")

    def editable(record_id: int) -> Any:
        record = load(record_id)
        if not may_edit(caller(), record):
            raise authz.Forbidden("follow_up")
        return record

    def one(record_id: int, follow_up_id: int) -> tuple[Any, FollowUp]:
        record = load(record_id)
        fu = follow_ups.get_follow_up(caller().tenant_id, follow_up_id)
        if fu.object_type != object_type or fu.object_id != record.id:
            raise NotFound(_("Không tìm thấy việc theo dõi."))
        if not may_edit(caller(), record):
            raise authz.Forbidden("follow_up")
        return record, fu

    def done(fu: FollowUp, status: int = 200) -> Response:
        answer = follow_up_dict(fu)
        db.session.commit()
        if status == 201:
            return created(answer)
        return jsonify(answer)

    def start_one(**ids: int) -> Response:
        record = editable(ids[id_name])
        data = body(NewFollowUp)
        fu = follow_ups.start(caller(), object_type, record, record.unit, **data.model_dump())
        return done(fu, 201)

    def update(follow_up_id: int, **ids: int) -> Response:
        _record, fu = one(ids[id_name], follow_up_id)
        data = body(FollowUpChanges)
        sent = data.model_dump(include=data.model_fields_set - {"version"})
        if not sent:
            nothing_sent(FollowUpChanges, but="version")
        fields = {"agency": fu.agency, "agency_superior": fu.agency_superior,
                  "letter_number": fu.letter_number, "written_on": fu.written_on,
                  "due_on": fu.due_on} | sent
        follow_ups.update(caller(), fu, data.version, **fields)
        return done(fu)

    def answer(follow_up_id: int, **ids: int) -> Response:
        _record, fu = one(ids[id_name], follow_up_id)
        data = body(AgencyAnswer)
        follow_ups.answer(caller(), fu, data.version, answered_on=data.answered_on,
                          answer=data.answer)
        return done(fu)

    def close(follow_up_id: int, **ids: int) -> Response:
        _record, fu = one(ids[id_name], follow_up_id)
        follow_ups.close(caller(), fu, body(VersionOnly).version)
        return done(fu)

    def chased(follow_up_id: int, **ids: int) -> Response:
        _record, fu = one(ids[id_name], follow_up_id)
        follow_ups.record_chase(caller(), fu, body(VersionOnly).version)
        return done(fu)

    def letter(follow_up_id: int, **ids: int) -> Response:
        record, fu = one(ids[id_name], follow_up_id)
        args = query(LetterQuery)
        data = chasing_letter(fu, sender_unit=fu.unit, subject=subject(record),
                              to_superior=args.to == "superior")
        name = f"Công văn đôn đốc - {object_type} {record.id}.docx"
        response = Response(data, mimetype=DOCX_MIMETYPE)
        response.headers["Content-Disposition"] = (
            f'attachment; filename="cong-van-don-doc-{object_type}-{record.id}.docx"; '
            f"filename*=UTF-8''{quote(name, safe='')}")
        response.headers["Cache-Control"] = "no-store"
        return response

    declared = (
        ("POST", base, start_one, "start", endpoint(
            f"Ghi nhận việc chuyển {noun} cho cơ quan chức năng giải quyết, với văn bản của Hội "
            f"và thời hạn theo luật. {who}", ok={201: FollowUpAnswer}, body=NewFollowUp,
            errors="403 404")),
        ("PATCH", f"{base}/<{ID}:follow_up_id>", update, "update", endpoint(
            f"Sửa cơ quan, văn bản hoặc thời hạn (gia hạn) của việc theo dõi chưa kết thúc: "
            f"gửi version và ít nhất một trường khác. {who} Đã kết thúc: 422; version cũ: 409.",
            ok={200: FollowUpAnswer}, body=FollowUpChanges, errors="403 404 409")),
        ("POST", f"{base}/<{ID}:follow_up_id>/answer", answer, "answer", endpoint(
            f"Ghi nhận trả lời của cơ quan. {who} Đã kết thúc: 422; version cũ: 409.",
            ok={200: FollowUpAnswer}, body=AgencyAnswer, errors="403 404 409")),
        ("POST", f"{base}/<{ID}:follow_up_id>/close", close, "close", endpoint(
            f"Kết thúc việc theo dõi. {who} Đã kết thúc: 422; version cũ: 409.",
            ok={200: FollowUpAnswer}, body=VersionOnly, errors="403 404 409")),
        ("POST", f"{base}/<{ID}:follow_up_id>/chased", chased, "chased", endpoint(
            f"Ghi nhận đã gửi công văn đôn đốc hôm nay. {who} Chưa quá hạn hoặc cơ quan đã trả "
            f"lời: 422; version cũ: 409.", ok={200: FollowUpAnswer}, body=VersionOnly,
            errors="403 404 409")),
        ("GET", f"{base}/<{ID}:follow_up_id>/chasing-letter", letter, "letter", endpoint(
            f"Công văn đôn đốc (.docx, theo Nghị định 30/2020/NĐ-CP) gửi cơ quan, hoặc cơ quan "
            f"cấp trên, khi việc theo dõi đã quá hạn mà chưa có trả lời (nếu không: 422). "
            f"Trả lời là tệp Word ({DOCX_MIMETYPE}); không có thông tin cá nhân. {who}",
            ok={200: None}, query=LetterQuery, errors="403 404")),
    )
    for method, rule, view, action, declare in declared:
        if action == "start" and not start:
            continue
        view.__name__ = f"{action}_{object_type}_follow_up"
        bp.add_url_rule(rule, view.__name__, declare(view), methods=[method])


def follow_up_status_endpoint(collection: str, object_type: str, *, id_name: str,
                              load_record: Callable[[int], Any],
                              may_edit: Callable[[Any, Any], bool], answer: type[Answer],
                              as_dict: Callable[[FollowUp], dict], noun: str) -> None:
    """Add ``PATCH /<collection>/<id_name>``: what one follow-up of ``object_type`` came to.
    ``load_record(object_id)`` answers its record (404 if the caller may not see it),
    ``may_edit(user, record)`` the kind's rule (403). The view is ``change_<noun in English>``,
    named after the collection (``change_recommendation``)."""

    def change(**ids: int) -> Response:
        fu = follow_ups.get_follow_up(caller().tenant_id, ids[id_name])
        if fu.object_type != object_type:
            raise NotFound(_("Không tìm thấy việc theo dõi."))
        if not may_edit(caller(), load_record(fu.object_id)):
            raise authz.Forbidden("follow_up")
        data = body(FollowUpStatusChange)
        if data.status == "answered":
            if data.answered_on is NOT_SENT or data.answer is NOT_SENT:
                raise DomainError(_("Hãy gửi ngày trả lời và nội dung trả lời."), "answer")
            follow_ups.answer(caller(), fu, data.version, answered_on=data.answered_on,
                              answer=data.answer)
        elif data.status == "open":
            follow_ups.reopen(caller(), fu, data.version)
        else:
            follow_ups.settle(caller(), fu, data.version, data.status)
        changed = as_dict(fu)
        db.session.commit()
        return jsonify(changed)

    change.__name__ = f"change_{collection.removesuffix('s')}"
    declare = endpoint(
        f"Kết quả của một {noun}: answered (kèm answered_on, answer), implemented, "
        f"not_accepted (kết thúc), open (chờ trả lời tiếp, chỉ từ answered).\n\nNgười gọi "
        f"phải được theo dõi {noun} này (403); {noun} không xem được: 404. Thiếu ngày hoặc nội "
        f"dung trả lời, đã kết thúc: 422; version cũ: 409.", ok={200: answer},
        body=FollowUpStatusChange, errors="403 404 409")
    bp.add_url_rule(f"/{collection}/<{ID}:{id_name}>", change.__name__, declare(change),
                    methods=["PATCH"])
