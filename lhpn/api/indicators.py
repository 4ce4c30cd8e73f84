"""The tenant's indicator catalogue over the API: the codes a plan's targets name."""

from flask import Response, jsonify

from lhpn.api import bp
from lhpn.api.plumbing import caller
from lhpn.extensions import db
from lhpn.indicators.services import catalogue


@bp.get("/indicators")
def list_indicators() -> Response:
    # Everyone of the tenant may read it: it is the vocabulary of every plan and report.
    indicators = db.session.scalars(catalogue(caller().tenant_id))
    return jsonify(items=[indicator.to_dict() for indicator in indicators])
