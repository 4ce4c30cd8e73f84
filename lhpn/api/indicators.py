"""The tenant's indicator catalogue over the API: the codes a plan's targets name."""


from flask import Response, jsonify
from pydantic import Field

from lhpn.api import bp
from lhpn.api.contract import Answer, endpoint
from lhpn.api.plumbing import caller
from lhpn.extensions import db
from lhpn.indicators.models import Aggregation, Kind
from lhpn.indicators.services import catalogue


class Indicator(Answer):
    code: str
    name: str
    kind: Kind
    aggregation: Aggregation
    unit_label: str
    active: bool
    binding: str | None = Field(description=(
        "Chỉ tiêu lấy số từ hồ sơ (vd. incidents.cases: số vụ việc của đơn vị trong kỳ), "
        "hoặc null."), examples=["incidents.cases"])


class IndicatorList(Answer):
    items: list[Indicator]


@bp.get("/indicators")
@endpoint("Danh mục chỉ tiêu của tỉnh.", ok={200: IndicatorList})
def list_indicators() -> Response:
    # Everyone of the tenant may read it: it is the vocabulary of every plan and report.
    indicators = db.session.scalars(catalogue(caller().tenant_id))
    return jsonify(items=[indicator.to_dict() for indicator in indicators])
