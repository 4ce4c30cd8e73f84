"""Consolidations over the API: what the approved reports of a unit's subtree add up to, with
completeness, timeliness, plan attainment and one line per child unit (the drill-down).

Same order as every endpoint: 401, then 404 for a unit of another tenant, 403 without the right
to view it, then the query (400 for a bad period, 404 for an unknown form)."""

from flask import Response, jsonify
from flask_babel import gettext as _

from lhpn import authz
from lhpn.access import load_unit
from lhpn.api import bp
from lhpn.api.payload import query_text
from lhpn.api.plumbing import ID, caller
from lhpn.authz.engine import SYSTEM
from lhpn.consolidation import services
from lhpn.errors import DomainError
from lhpn.reports import periods as P
from lhpn.throttle import range_limit


def _row(result: services.Consolidation, row: services.Row) -> dict:
    counts = row.counts
    return {"unit_id": row.unit.id, "name": row.unit.name, "level": row.unit.level,
            "closed": row.unit.closed, "values": result.values_by_code(row),
            "expected": counts.expected, "approved": counts.approved,
            "on_time": counts.on_time}


def _target(line: services.Attainment) -> dict:
    target = line.target
    return {"indicator": target.indicator.code, "level": target.level, "kind": target.kind,
            "value": float(target.value),
            "threshold": None if target.threshold is None else float(target.threshold),
            "units": line.units, "met": line.met, "attained": line.attained,
            "in_form": line.in_form, "not_met": [miss.unit.id for miss in line.misses]}


def consolidation_dict(result: services.Consolidation) -> dict:
    counts = result.counts
    return {
        "unit_id": result.unit.id,
        "template": result.template.code,
        "periods": result.periods,
        "label": result.label,
        "values": result.values_by_code(),
        "expected": counts.expected,
        "approved": counts.approved,
        "on_time": counts.on_time,
        "completeness": counts.completeness,
        "timeliness": counts.timeliness,
        "plan_id": result.plan.id if result.plan else None,
        "attainment": [_target(line) for line in result.attainment],
        "children": [_row(result, row) for row in result.children],
    }


def _query() -> dict:
    args = {name: query_text(name) for name in ("template", "period", "from", "to")}
    if not args["template"]:
        raise DomainError(_("Hãy cho biết mã biểu mẫu (template)."), "template")
    return args


@bp.get(f"/units/<{ID}:unit_id>/consolidation")
@range_limit
def unit_consolidation(unit_id: int) -> Response:
    unit = load_unit(unit_id, "view")
    args = _query()
    if not (args["period"] or args["from"] or args["to"]):
        raise DomainError(_("Hãy chọn kỳ báo cáo (hoặc cả kỳ đầu và kỳ cuối)."), "period")
    return jsonify(consolidation_dict(services.from_request(unit, args)))


@bp.get("/consolidation")
def country_consolidation() -> Response:
    """The whole platform (every tenant's root) for one form code: system administrator only."""
    authz.require(caller(), "manage", SYSTEM)
    args = _query()
    period = args["period"]
    if not period or not any(P.parse(period, kind) for kind in ("month", "quarter", "half",
                                                                "year")):
        raise DomainError(_("Kỳ “%(code)s” không phải một kỳ của biểu mẫu này.",
                            code=period or ""), "period")
    figures = services.country(args["template"], [period])
    return jsonify(template=args["template"], period=period,
                   values={code: f["value"] for code, f in sorted(figures.items())},
                   reports={code: f["reports"] for code, f in sorted(figures.items())})



