"""The log of sensitive reads over the API: the same filters, rule and query as the review page
(lhpn/privacy/views.py, lhpn/privacy/review.py)."""

from typing import TYPE_CHECKING, Annotated, Literal

from flask import Response, jsonify
from pydantic import Field

from lhpn import authz
from lhpn.api import bp
from lhpn.api.contract import (
    NOT_SENT,
    Answer,
    Id,
    Page,
    QueryDate,
    QueryId,
    Text,
    endpoint,
    query,
)
from lhpn.api.plumbing import caller
from lhpn.extensions import db
from lhpn.privacy import review
from lhpn.privacy.models import CHANNELS, PURPOSE_CODES, SensitiveRead

if TYPE_CHECKING:
    Purpose = str
    Channel = str
else:
    Purpose = Literal[PURPOSE_CODES]
    Channel = Literal[CHANNELS]


class ReadQuery(Page):
    user_id: QueryId = Field(default=NOT_SENT, description="Chỉ các lượt xem của người này.")
    object_type: Annotated[str, *Text(32)] = Field(default=NOT_SENT, description=(
        "Loại hồ sơ, ví dụ incident."), examples=["incident"])
    object_id: QueryId = Field(default=NOT_SENT, description=(
        "Số hồ sơ (cùng với object_type, nếu thiếu: 422)."))
    from_: QueryDate = Field(default=NOT_SENT, alias="from", description=(
        "Từ ngày này (lịch Việt Nam, tính cả ngày này)."))
    to: QueryDate = Field(default=NOT_SENT, description=(
        "Đến ngày này (lịch Việt Nam, tính cả ngày này); không trước from (422)."))
    purpose: Purpose = Field(default=NOT_SENT, description="Chỉ các lượt xem vì mục đích này.")


class Reader(Answer):
    id: Id
    username: str
    full_name: str


class SensitiveReadEntry(Answer):
    id: Id
    at: str = Field(json_schema_extra={"format": "date-time"}, description="UTC, kết thúc "
                    "bằng Z.")
    user: Reader
    object_type: str = Field(examples=["incident"])
    object_id: Id
    fields: list[str] = Field(description="Tên các trường đã đọc.",
                              examples=[["victim_name", "victim_phone"]])
    purpose: Purpose
    purpose_label: str
    purpose_note: str
    channel: Channel


class SensitiveReadList(Answer):
    items: list[SensitiveReadEntry]
    total: int = Field(ge=0, description="Số mục khớp bộ lọc (mọi trang).")


def entry_dict(entry: SensitiveRead) -> dict:
    return {"id": entry.id, "at": entry.at.isoformat() + "Z",
            "user": {"id": entry.user.id, "username": entry.user.username,
                     "full_name": entry.user.full_name},
            "object_type": entry.object_type, "object_id": entry.object_id,
            "fields": entry.field_names, "purpose": entry.purpose,
            "purpose_label": review.purpose_label(entry.purpose),
            "purpose_note": entry.purpose_note, "channel": entry.channel}


@bp.get("/privacy/reads")
@endpoint("Nhật ký truy cập dữ liệu cá nhân nhạy cảm của tỉnh, mới nhất trước.\n\n"
          "Chỉ quản trị tỉnh và cán bộ phụ trách bảo vệ quyền giữ vai trò ở cấp tỉnh (403 với "
          "người khác). Chỉ nhật ký (ai, khi nào, hồ sơ nào, trường nào, mục đích, kênh), không "
          "có nội dung hồ sơ. user_id không phải người dùng của tỉnh, object_id thiếu "
          "object_type, from sau to: 422.", ok={200: SensitiveReadList}, query=ReadQuery,
          errors="403")
def list_sensitive_reads() -> Response:
    authz.require_review_reads(caller())
    tenant_id = caller().tenant_id
    assert tenant_id is not None  # the rule lets in a tenant's users only
    args = query(ReadQuery)
    chosen = review.read_filter(tenant_id, user_id=args.user_id,
                                object_type=args.object_type, object_id=args.object_id,
                                since=args.from_, until=args.to, purpose=args.purpose)
    stmt = review.reads(chosen)
    total = db.session.scalar(review.count(stmt)) or 0
    entries = db.session.scalars(stmt.limit(args.limit).offset(args.offset))
    return jsonify(items=[entry_dict(entry) for entry in entries], total=total)
