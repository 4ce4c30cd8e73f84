"""The unit tree over the API: the same services and checks as lhpn/units/views.py."""

import re

from flask import Response, jsonify, url_for
from flask_babel import gettext as _

from lhpn import authz
from lhpn.access import load_unit
from lhpn.api import bp
from lhpn.api.payload import (
    flag_field,
    id_field,
    json_object,
    page,
    query_id,
    query_text,
    text_field,
)
from lhpn.api.plumbing import ID, caller, created
from lhpn.errors import DomainError
from lhpn.extensions import db
from lhpn.units import services
from lhpn.units.models import Unit

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@bp.get("/units")
def list_units() -> Response:
    limit, offset = page()
    parent_id, q = query_id("parent"), query_text("q")
    # The list is filtered by the same rule as single reads, in SQL: no per-row checks.
    stmt = services.units_where(authz.reachable(caller(), "view"), parent_id=parent_id, q=q)
    units = db.session.scalars(stmt.limit(limit).offset(offset))
    return jsonify(items=[unit.to_dict() for unit in units])


@bp.get(f"/units/<{ID}:unit_id>")
def get_unit(unit_id: int) -> Response:
    return jsonify(load_unit(unit_id, "view").to_dict())


def _opened_on(data: dict, *, nullable: bool) -> str | None:
    """``opened_on`` as the API promises it: yyyy-mm-dd (the service checks the day)."""
    value = text_field(data, "opened_on", nullable=nullable)
    if value is not None and not DATE_RE.match(value):
        raise DomainError(_("Ngày không hợp lệ (định dạng yyyy-mm-dd)."), "opened_on")
    return value


@bp.post("/units")
def create_unit() -> Response:
    data = json_object(required=("name", "level", "parent_id"), optional=("code", "opened_on"))
    name, level = text_field(data, "name"), text_field(data, "level")
    code = text_field(data, "code", nullable=True)
    opened_on = _opened_on(data, nullable=True)
    parent = load_unit(id_field(data, "parent_id"), "manage")
    unit = services.create_unit(caller(), parent, name, level, code, opened_on=opened_on)
    db.session.commit()
    return created(unit.to_dict(), url_for(".get_unit", unit_id=unit.id))


@bp.patch(f"/units/<{ID}:unit_id>")
def update_unit(unit_id: int) -> Response:
    unit = load_unit(unit_id, "manage")
    data = json_object(optional=("name", "official_name", "closed", "opened_on"), nonempty=True)
    name, closed = text_field(data, "name"), flag_field(data, "closed")
    opened_on = _opened_on(data, nullable=False)
    if name is not None:
        services.rename_unit(caller(), unit, name)
    if "official_name" in data:
        services.set_official_name(caller(), unit, data["official_name"])
    if closed is not None:
        _set_closed(unit, closed)
    if opened_on is not None:
        services.set_opened_on(caller(), unit, opened_on)
    # One commit: a rename sent with a refused close is rolled back with it.
    db.session.commit()
    return jsonify(unit.to_dict())


def _set_closed(unit: Unit, closed: bool) -> None:
    if closed:
        services.close_unit(caller(), unit)
    else:
        services.reopen_unit(caller(), unit)


@bp.post(f"/units/<{ID}:unit_id>/move")
def move_unit(unit_id: int) -> Response:
    unit = load_unit(unit_id, "manage")
    parent_id = id_field(json_object(required=("parent_id",)), "parent_id")
    # Moving takes the subtree out of one place and into another: both must be the caller's.
    new_parent = load_unit(parent_id, "manage")
    services.move_unit(caller(), unit, new_parent)
    db.session.commit()
    return jsonify(unit.to_dict())
