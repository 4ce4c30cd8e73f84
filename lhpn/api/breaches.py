"""Suspected breaches of personal data and the retention of closed cases over the API: the same
services and rule as the pages (lhpn/privacy/breaches.py, lhpn/privacy/retention.py,
lhpn/privacy/breach_views.py): whoever manages the tenant's root (403 otherwise); another
tenant's breach, or none: 404.

Moments are UTC ending in Z in answers; the moment a breach was found is typed as the page's
field takes it, in Vietnam's time."""

from typing import TYPE_CHECKING, Annotated, Literal

from flask import Response, jsonify, request, url_for
from pydantic import Field

from lhpn import authz
from lhpn.api import bp
from lhpn.api.contract import (
    NOT_SENT,
    Answer,
    Body,
    Id,
    Page,
    Query,
    QueryDate,
    Text,
    body,
    endpoint,
    query,
)
from lhpn.api.plumbing import ID, caller, created
from lhpn.extensions import db
from lhpn.followups.pages import DOCX_MIMETYPE
from lhpn.privacy import breaches
from lhpn.privacy.models import BREACH_STATUSES, Breach
from lhpn.privacy.retention import MAX_MONTHS, MIN_MONTHS, set_retention
from lhpn.tenants.models import Tenant

if TYPE_CHECKING:
    BreachStatus = str
else:
    BreachStatus = Literal[BREACH_STATUSES]

WHO = "Chỉ người quản trị cấp tỉnh (403 với người khác)."
Moment = Annotated[str, Field(json_schema_extra={"format": "date-time"},
                              description="UTC, kết thúc bằng Z.")]


@bp.after_request
def _no_store(response: Response) -> Response:
    # A breach's description and the tenant's settings must not sit in a shared cache.
    if request.path.startswith(("/api/v1/privacy/breaches", "/api/v1/privacy/retention")):
        response.headers["Cache-Control"] = "no-store"
    return response


# ---- breaches -----------------------------------------------------------------------------------

class NewBreach(Body):
    detected_at: Annotated[str, *Text(32, 1)] = Field(description=(
        "Thời điểm phát hiện, giờ Việt Nam: yyyy-mm-ddThh:mm (hoặc dd/mm/yyyy hh:mm); không "
        "sau lúc này, không trước 2020 (422)."), examples=["2026-03-05T14:30"])
    description: Annotated[str, *Text(breaches.MAX_TEXT, 1)] = Field(description="Mô tả sự cố.")
    data_kinds: Annotated[str, *Text(breaches.MAX_LINE, 1)] = Field(description=(
        "Loại dữ liệu cá nhân liên quan."))
    subjects_estimate: Annotated[int, Field(ge=0, le=breaches.MAX_SUBJECTS)] = Field(
        default=NOT_SENT, description="Số người có thể bị ảnh hưởng (ước tính); không gửi: "
                                      "chưa xác định.")
    measures: Annotated[str, *Text(breaches.MAX_TEXT)] = Field(default="", description=(
        "Biện pháp đã thực hiện."))

    def service_data(self) -> dict:
        """As the page's form sends it (the estimate as typed text)."""
        data = self.model_dump()
        if self.subjects_estimate is not None:
            data["subjects_estimate"] = str(self.subjects_estimate)
        return data


class BreachStatusChange(Body):
    status: Literal["notified", "closed"] = Field(description=(
        "notified: đã gửi thông báo (từ open, ghi lúc thông báo); closed: kết thúc (từ open "
        "hoặc notified). Trạng thái không cho phép: 422."))


class BreachQuery(Page):
    pass


class NotificationQuery(Query):
    from_: QueryDate = Field(default=NOT_SENT, alias="from", description=(
        "Nhật ký truy cập từ ngày này (lịch Việt Nam); mặc định 30 ngày trước ngày phát hiện."))
    to: QueryDate = Field(default=NOT_SENT, description=(
        "Đến ngày này; mặc định ngày phát hiện. Không trước from (422)."))


class BreachAnswer(Answer):
    id: Id
    status: BreachStatus = Field(description="open: đang xử lý; notified: đã thông báo; "
                                             "closed: đã kết thúc.")
    detected_at: Moment
    deadline: Moment = Field(description="Hạn thông báo: 72 giờ sau khi phát hiện (UTC, Z).")
    hours_left: int = Field(description="Số giờ tròn còn lại đến hạn; âm: đã quá hạn từng ấy "
                                        "giờ.")
    notified_at: Moment | None
    description: str
    data_kinds: str
    subjects_estimate: int | None
    measures: str | None
    created_at: Moment


class BreachList(Answer):
    items: list[BreachAnswer]


def _moment(value) -> str:
    return value.isoformat() + "Z"


def breach_dict(breach: Breach) -> dict:
    return {"id": breach.id, "status": breach.status, "detected_at": _moment(breach.detected_at),
            "deadline": _moment(breaches.deadline(breach)),
            "hours_left": breaches.hours_left(breach),
            "notified_at": _moment(breach.notified_at) if breach.notified_at else None,
            "description": breach.description or "", "data_kinds": breach.data_kinds,
            "subjects_estimate": breach.subjects_estimate, "measures": breach.measures,
            "created_at": _moment(breach.created_at)}


@bp.get("/privacy/breaches")
@endpoint(f"Các sự cố dữ liệu cá nhân của tỉnh, mới phát hiện trước.\n\n{WHO}",
          ok={200: BreachList}, query=BreachQuery, errors="403")
def list_breaches() -> Response:
    authz.require_manage_tenant(caller())
    args = query(BreachQuery)
    found = db.session.scalars(breaches.all_breaches().limit(args.limit).offset(args.offset))
    return jsonify(items=[breach_dict(breach) for breach in found])


@bp.post("/privacy/breaches")
@endpoint("Ghi nhận một sự cố có thể vi phạm quy định về bảo vệ dữ liệu cá nhân: trạng thái "
          "open, hạn thông báo cho Bộ Công an (A05) là 72 giờ kể từ khi phát hiện.\n\n"
          f"{WHO}", ok={201: BreachAnswer}, body=NewBreach, errors="403")
def record_breach() -> Response:
    authz.require_manage_tenant(caller())
    data = body(NewBreach)
    breach = breaches.record_breach(caller(), data.service_data())
    answer = breach_dict(breach)
    db.session.commit()
    return created(answer, url_for(".get_breach", breach_id=answer["id"]))


@bp.get(f"/privacy/breaches/<{ID}:breach_id>")
@endpoint(f"Một sự cố, với hạn thông báo và số giờ còn lại.\n\n{WHO}", ok={200: BreachAnswer},
          errors="403 404")
def get_breach(breach_id: int) -> Response:
    return jsonify(breach_dict(breaches.get_breach(caller(), breach_id)))


@bp.post(f"/privacy/breaches/<{ID}:breach_id>/status")
@endpoint(f"Chuyển trạng thái sự cố: open → notified → closed (hoặc open → closed).\n\n{WHO}",
          ok={200: BreachAnswer}, body=BreachStatusChange, errors="403 404")
def change_breach_status(breach_id: int) -> Response:
    breach = breaches.get_breach(caller(), breach_id)
    data = body(BreachStatusChange)
    breaches.set_status(caller(), breach, data.status)
    answer = breach_dict(breach)
    db.session.commit()
    return jsonify(answer)


@bp.get(f"/privacy/breaches/<{ID}:breach_id>/notification.docx")
@endpoint("Văn bản thông báo sự cố gửi Cục A05, Bộ Công an (.docx, theo Nghị định "
          "30/2020/NĐ-CP), kèm số lượt truy cập dữ liệu cá nhân nhạy cảm theo người và hình "
          "thức trong khoảng ngày chọn (không có hồ sơ, không có nạn nhân); được ghi nhật ký "
          f"kiểm tra.\n\n{WHO} Trả lời là tệp Word ({DOCX_MIMETYPE}).", ok={200: None},
          query=NotificationQuery, errors="403 404")
def breach_notification(breach_id: int) -> Response:
    breach = breaches.get_breach(caller(), breach_id)
    args = query(NotificationQuery)
    made = breaches.notification(caller(), breach, args.from_, args.to)
    db.session.commit()
    response = Response(made.document, mimetype=DOCX_MIMETYPE)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="thong-bao-su-co-du-lieu-ca-nhan-{breach_id}.docx"')
    return response


# ---- retention ----------------------------------------------------------------------------------

class RetentionChange(Body):
    incident_retention_months: int = Field(description=(
        f"Số tháng từ {MIN_MONTHS} đến {MAX_MONTHS} (422 nếu không)."), examples=[60])


class Retention(Answer):
    incident_retention_months: int = Field(description=(
        "Số tháng vụ việc đã đóng giữ thông tin định danh của nạn nhân; hết hạn thì được ẩn "
        "danh (flask privacy purge)."))
    minimum: int
    maximum: int


def _retention(tenant: Tenant) -> dict:
    return {"incident_retention_months": tenant.incident_retention_months,
            "minimum": MIN_MONTHS, "maximum": MAX_MONTHS}


def _tenant() -> Tenant:
    authz.require_manage_tenant(caller())
    return db.session.get_one(Tenant, caller().tenant_id)


@bp.get("/privacy/retention")
@endpoint(f"Thời hạn lưu giữ thông tin định danh của vụ việc đã đóng (tháng).\n\n{WHO}",
          ok={200: Retention}, errors="403")
def get_retention() -> Response:
    return jsonify(_retention(_tenant()))


@bp.put("/privacy/retention")
@endpoint(f"Đặt thời hạn lưu giữ thông tin định danh của vụ việc đã đóng.\n\n{WHO}",
          ok={200: Retention}, body=RetentionChange, errors="403")
def set_incident_retention() -> Response:
    tenant = _tenant()
    data = body(RetentionChange)
    set_retention(caller(), tenant, data.incident_retention_months)
    answer = _retention(tenant)
    db.session.commit()
    return jsonify(answer)

