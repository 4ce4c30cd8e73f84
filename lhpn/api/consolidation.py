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
    data = {"plan_id": target.plan_id, "target_id": target.id, "level": target.level,
            "kind": target.kind, "units": line.units, "met": line.met,
            "attained": line.attained, "in_form": line.in_form,
            "not_met": [miss.unit.id for miss in line.misses]}
    if not target.measured:
        return {**data, "indicator": None, "value": None, "threshold": None,
                "text": target.text,
                "deadline": target.deadline.isoformat() if target.deadline else None,
                "not_done": [{"unit_id": m.unit.id, "note": m.note} for m in line.misses
                             if m.done is False]}
    return {**data, "indicator": target.indicator.code, "value": float(target.value),
            "threshold": None if target.threshold is None else float(target.threshold)}


def _plan(plan) -> dict:
    return {"id": plan.id, "unit_id": plan.unit_id, "number": plan.number,
            "title": plan.title}


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
        "plans": [_plan(plan) for plan in result.plans],
        "attainment_periods": result.attainment_periods if result.plans else [],
        "attainment": [_target(line) for line in result.attainment],
        "children": [_row(result, row) for row in result.children],
    }


def _query() -> dict:
    args = {name: query_text(name) for name in ("template", "period", "from", "to",
                                                 "attainment")}
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
    if args["attainment"] not in (None, "", "year", "periods"):
        raise DomainError(_("Tham số %(name)s phải là một trong: %(values)s.",
                            name="attainment", values="year, periods"), "attainment")
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



