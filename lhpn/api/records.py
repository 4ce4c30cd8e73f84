"""The search of a unit's records and the deadlines, over the API: the same services as the
pages (lhpn/agenda/services.py), for every record kind registered in lhpn/records.py. No
answer holds personal data: titles name a record by its number, kind and the agency followed."""

from datetime import date, timedelta
from typing import Annotated

from flask import Response, jsonify
from flask_babel import gettext as _
from pydantic import Field

from lhpn import authz
from lhpn.agenda import services
from lhpn.api import bp
from lhpn.api.contract import (
    NOT_SENT,
    Answer,
    Id,
    Query,
    QueryDate,
    QueryId,
    Text,
    endpoint,
    query,
)
from lhpn.api.plumbing import caller
from lhpn.clock import local_today
from lhpn.dashboard.services import report_due_dates
from lhpn.errors import NotFound
from lhpn.units.services import get_unit

DEFAULT_DAYS = 30


class RecordsSearchQuery(Query):
    q: Annotated[str, *Text(services.MAX_QUERY)] = Field(default=NOT_SENT, description=(
        "Từ khóa: số hồ sơ, loại hồ sơ, nội dung không có thông tin cá nhân; không gửi: mọi "
        "hồ sơ."))
    unit_id: QueryId = Field(default=NOT_SENT, description=(
        "Chỉ hồ sơ của đơn vị này và các đơn vị trực thuộc."))
    kind: Annotated[str, *Text(32)] = Field(default=NOT_SENT, description=(
        "Chỉ một loại hồ sơ: incident, supervision, …"))


class RecordsHit(Answer):
    kind: str = Field(examples=["incident"])
    kind_label: str = Field(examples=["Vụ việc"])
    id: Id
    title: str = Field(examples=["Vụ việc số 12 · Bạo lực gia đình"])
    unit_name: str
    on: str | None = Field(json_schema_extra={"format": "date"})
    status: str
    url: str = Field(description="Trang của hồ sơ.")


class RecordsHitList(Answer):
    items: list[RecordsHit]


class DeadlinesQuery(Query):
    from_: QueryDate = Field(default=NOT_SENT, alias="from", description=(
        "Từ ngày (tính cả ngày này); không gửi: hôm nay."))
    to: QueryDate = Field(default=NOT_SENT, description=(
        f"Đến ngày (tính cả ngày này); không gửi: {DEFAULT_DAYS} ngày sau from."))


class DeadlinesItem(Answer):
    kind: str = Field(examples=["incident"])
    kind_label: str
    object_id: Id
    title: str = Field(examples=["Vụ việc số 12 — Công an xã Tân Lễ"])
    unit_name: str
    due_on: str = Field(json_schema_extra={"format": "date"})
    overdue: bool
    url: str = Field(description="Trang của hồ sơ (trống nếu loại hồ sơ chưa có trang).")


class DeadlinesReport(Answer):
    template: str = Field(description="Mã biểu mẫu.")
    template_name: str
    period: str
    label: str
    due_on: str = Field(json_schema_extra={"format": "date"})


class DeadlinesAnswer(Answer):
    start: str = Field(alias="from", json_schema_extra={"format": "date"})
    end: str = Field(alias="to", json_schema_extra={"format": "date"})
    items: list[DeadlinesItem]
    reports: list[DeadlinesReport]


@bp.get("/records/search")
@endpoint("Tìm hồ sơ (vụ việc, giám sát, đơn thư…) của các đơn vị người gọi được xem, hoặc của "
          "một đơn vị và cây bên dưới, theo số hồ sơ, loại hồ sơ và nội dung không có thông tin "
          "cá nhân (không bao giờ theo họ tên, địa chỉ, điện thoại). Trả lời theo từng loại, mới "
          "nhất trước.\n\nNgười gọi không được xem đơn vị nào: 403; đơn vị tỉnh khác, không "
          "có hoặc không được xem: 404; loại hồ sơ không có, từ khóa quá dài: 422.",
          ok={200: RecordsHitList}, query=RecordsSearchQuery, errors="403 404")
def search_records() -> Response:
    user = caller()
    if not authz.reaches_any(user, "view"):
        raise authz.Forbidden("view")
    args = query(RecordsSearchQuery)
    unit = None
    if args.unit_id is not None:
        unit = get_unit(user.tenant_id, args.unit_id)
        if not authz.can(user, "view", unit):
            raise NotFound(_("Không tìm thấy đơn vị."))
    words = services.search_words(args.q or "")
    kind = services.kind_of(args.kind)
    items = [{"kind": group.kind.object_type, "kind_label": str(group.kind.label), "id": h.id,
              "title": h.title, "unit_name": h.unit_name,
              "on": h.on.isoformat() if h.on else None, "status": h.status, "url": h.url}
             for group in services.search(user, words, unit, kind) for h in group.hits]
    return jsonify(items=items)


@bp.get("/deadlines")
@endpoint("Các hạn của người gọi từ from đến to (tính cả hai ngày, cách nhau tối đa "
          f"{services.MAX_SPAN_DAYS} ngày), và mọi việc đã quá hạn trước from: hạn trả lời của "
          "các cơ quan được theo dõi (kiến nghị, cam kết, vụ việc…) và các hạn riêng của từng "
          "loại hồ sơ, ở các đơn vị người gọi được xem; cùng hạn gửi báo cáo của các biểu mẫu "
          "(reports). Quá hạn trước, rồi theo ngày.\n\nto trước from, khoảng quá "
          f"{services.MAX_SPAN_DAYS} ngày: 422.", ok={200: DeadlinesAnswer},
          query=DeadlinesQuery, errors="403")
def list_deadlines() -> Response:
    user = caller()
    if user.tenant_id is None:
        raise authz.Forbidden("view")
    args = query(DeadlinesQuery)
    start = date.fromisoformat(args.from_) if args.from_ else local_today()
    end = date.fromisoformat(args.to) if args.to else start + timedelta(days=DEFAULT_DAYS)
    services.span(start, end)
    items = [{"kind": d.object_type, "kind_label": services.label_of(d.object_type),
              "object_id": d.object_id, "title": d.title, "unit_name": d.unit_name,
              "due_on": d.due_on.isoformat(), "overdue": d.overdue, "url": d.url}
             for d in services.deadlines(user, start, end)]
    reports = [{"template": r.template.code, "template_name": r.template.name,
                "period": r.period, "label": r.label, "due_on": r.due_date.isoformat()}
               for r in report_due_dates(user, start, end)]
    return jsonify({"from": start.isoformat(), "to": end.isoformat(), "items": items,
                    "reports": reports})
