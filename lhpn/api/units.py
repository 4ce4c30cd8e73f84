"""The unit tree over the API: the same services and checks as lhpn/units/views.py."""

from typing import Annotated

from flask import Response, jsonify, url_for
from pydantic import ConfigDict, Field

from lhpn import authz
from lhpn.access import load_unit
from lhpn.api import bp
from lhpn.api.contract import (
    NOT_SENT,
    Answer,
    Body,
    Date,
    Id,
    Page,
    QueryId,
    Text,
    body,
    endpoint,
    nothing_sent,
    peek_id,
    query,
)
from lhpn.api.plumbing import ID, caller, created
from lhpn.extensions import db
from lhpn.tenants.models import Level
from lhpn.units import services
from lhpn.units.models import Unit as UnitRow


class Unit(Answer):
    id: Id
    name: str
    code: str
    level: Level
    parent_id: Id | None
    official_name: str | None = Field(description="Tên chính thức trên văn bản; null: dùng tên.")
    closed: bool
    opened_on: str = Field(json_schema_extra={"format": "date"},
                           description="Ngày bắt đầu hoạt động: đơn vị chỉ phải nộp báo cáo "
                                       "của các kỳ có hạn nộp sau ngày này.")


class UnitList(Answer):
    items: list[Unit]


class UnitQuery(Page):
    parent: QueryId = Field(default=NOT_SENT, description="Chỉ các đơn vị trực thuộc đơn vị này.")
    q: Annotated[str, *Text(200)] = Field(default=NOT_SENT, description=(
        "Tìm theo tên (không phân biệt hoa thường, có dấu hay không) hoặc mã."))


class NewUnit(Body):
    name: Annotated[str, *Text(200, 1)]
    level: Level
    parent_id: Id
    code: Annotated[str, *Text(64)] | None = Field(default=None, description=(
        "Bỏ trống để hệ thống tự sinh mã."))
    opened_on: Date | None = Field(default=None, description="yyyy-mm-dd; bỏ trống: hôm nay.")


class UnitChanges(Body):
    model_config = ConfigDict(json_schema_extra={"minProperties": 1})

    name: Annotated[str, *Text(200, 1)] = NOT_SENT
    official_name: Annotated[str, *Text(200)] | None = Field(
        default=None, description="Tên chính thức dùng trên văn bản (kế hoạch, báo cáo tổng "
                                  "hợp); rỗng hoặc null: dùng tên đơn vị.")
    closed: bool = Field(default=NOT_SENT, description="true: giải thể; false: mở lại.")
    opened_on: Date = Field(default=NOT_SENT, description=(
        "Sửa ngày bắt đầu hoạt động (yyyy-mm-dd)."))


class UnitMove(Body):
    parent_id: Id


@bp.get("/units")
@endpoint("Các đơn vị người gọi được xem, theo thứ tự cây.", ok={200: UnitList},
          query=UnitQuery)
def list_units() -> Response:
    args = query(UnitQuery)
    # The list is filtered by the same rule as single reads, in SQL: no per-row checks.
    stmt = services.units_where(authz.reachable(caller(), "view"), parent_id=args.parent,
                                q=args.q)
    units = db.session.scalars(stmt.limit(args.limit).offset(args.offset))
    return jsonify(items=[unit.to_dict() for unit in units])


@bp.get(f"/units/<{ID}:unit_id>")
@endpoint("Một đơn vị.", ok={200: Unit}, errors="403 404")
def get_unit(unit_id: int) -> Response:
    return jsonify(load_unit(unit_id, "view").to_dict())


@bp.post("/units")
@endpoint("Tạo đơn vị (cần quyền quản lý đơn vị cấp trên).\n\n"
          "Cấp của đơn vị mới phải thấp hơn cấp của đơn vị cấp trên và có trong các cấp của "
          "tỉnh; ngày bắt đầu hoạt động không sau hôm nay (422). Mã trùng: 409.",
          ok={201: Unit}, body=NewUnit, errors="403 404 409")
def create_unit() -> Response:
    # The right to manage the parent named is asked before the rest of the body is judged.
    parent_id = peek_id("parent_id")
    if parent_id is not None:
        load_unit(parent_id, "manage")
    data = body(NewUnit)
    parent = load_unit(data.parent_id, "manage")
    unit = services.create_unit(caller(), parent, data.name, data.level, data.code,
                                opened_on=data.opened_on)
    db.session.commit()
    return created(unit.to_dict(), url_for(".get_unit", unit_id=unit.id))


@bp.patch(f"/units/<{ID}:unit_id>")
@endpoint("Đổi tên, tên chính thức, giải thể hoặc mở lại đơn vị.\n\n"
          "Gửi ít nhất một trường. Không giải thể đơn vị gốc hay đơn vị còn đơn vị trực thuộc "
          "đang hoạt động; không mở lại đơn vị dưới đơn vị đã giải thể (422). Tên trùng: 409.",
          ok={200: Unit}, body=UnitChanges, errors="403 404 409")
def update_unit(unit_id: int) -> Response:
    unit = load_unit(unit_id, "manage")
    data = body(UnitChanges)
    sent = data.model_dump(exclude_unset=True)
    if not sent:
        nothing_sent(UnitChanges)
    if data.name is not None:
        services.rename_unit(caller(), unit, data.name)
    if "official_name" in sent:
        services.set_official_name(caller(), unit, data.official_name)
    if data.closed is not None:
        _set_closed(unit, data.closed)
    if data.opened_on is not None:
        services.set_opened_on(caller(), unit, data.opened_on)
    # One commit: a rename sent with a refused close is rolled back with it.
    db.session.commit()
    return jsonify(unit.to_dict())


def _set_closed(unit: UnitRow, closed: bool) -> None:
    if closed:
        services.close_unit(caller(), unit)
    else:
        services.reopen_unit(caller(), unit)


@bp.post(f"/units/<{ID}:unit_id>/move")
@endpoint("Chuyển đơn vị (cần quyền quản lý cả đơn vị và nơi đến).\n\n"
          "Không chuyển đơn vị gốc, không chuyển vào chính nó hay cây con của nó, nơi đến phải "
          "ở cấp ngay trên (422).", ok={200: Unit}, body=UnitMove, errors="403 404")
def move_unit(unit_id: int) -> Response:
    unit = load_unit(unit_id, "manage")
    data = body(UnitMove)
    # Moving takes the subtree out of one place and into another: both must be the caller's.
    new_parent = load_unit(data.parent_id, "manage")
    services.move_unit(caller(), unit, new_parent)
    db.session.commit()
    return jsonify(unit.to_dict())

