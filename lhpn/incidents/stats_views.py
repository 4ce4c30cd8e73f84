"""The incident statistics page and its workbook (lhpn/incidents/stats.py): counts only, for
whoever may list the cases (the list's rule), of the cases they see. Nothing here reads a
protected field, so no sensitive read is logged; the workbook's download is an audit entry.

The routes join the incidents blueprint (its labels, its ``no-store``), from this module so the
case pages' module stays small; lhpn/__init__.py imports it before registering the blueprint."""

from urllib.parse import quote

from flask import Response, render_template, request
from flask_login import current_user, login_required

from lhpn import authz
from lhpn.access import load_unit
from lhpn.audit.services import record
from lhpn.clock import local_today
from lhpn.consolidation.export_views import XLSX_MIMETYPE
from lhpn.errors import DomainError
from lhpn.extensions import db
from lhpn.incidents import stats
from lhpn.incidents.stats_export import stats_xlsx as stats_xlsx_bytes
from lhpn.incidents.views import _tenant_id, bp
from lhpn.plans.export_views import ascii_name
from lhpn.throttle import export_limit
from lhpn.units.picker import picker
from lhpn.web import error_response


def _stats_scope():
    """The unit asked for (404 for another tenant's, 403 without the right to view it), else
    the highest unit the reader views; None for a reader who views none."""
    if request.args.get("unit"):
        return load_unit(request.args["unit"], "view")
    return stats.default_scope(current_user)


@bp.get("/stats")
@login_required
def stats_page():
    """Who may list the cases may count them. Nothing here reads a protected field, so the
    page writes no sensitive read."""
    _tenant_id()
    scope = _stats_scope()
    unit_field = picker("unit", "view", request.args,
                        chosen_id=scope.id if scope is not None else None)
    values = {key: request.args.get(key, "") for key in ("year", "month", "from", "to")}
    page = {"scope": scope, "unit_field": unit_field, "values": values, "result": None,
            "error": None, "error_field": None, "small_note": stats.SMALL_NOTE,
            "row_name": stats.row_name}
    if scope is None:
        return render_template("incidents/stats.html", **page)
    try:
        period = stats.parse_period(request.args, local_today())
    except DomainError as exc:
        page.update(error=exc.message, error_field=exc.field)
        return render_template("incidents/stats.html", **page), exc.status
    page.update(result=stats.incident_stats(current_user, scope, period),
                query={"unit": scope.id, **period.query})
    return render_template("incidents/stats.html", **page)


@bp.get("/stats.xlsx")
@login_required
@export_limit
def stats_xlsx():
    """The page's figures as a workbook; bad filter input: 400 with the reason."""
    _tenant_id()
    scope = _stats_scope()
    if scope is None:
        raise authz.Forbidden("view")
    try:
        period = stats.parse_period(request.args, local_today())
    except DomainError as exc:
        return error_response(400, exc.code, exc.message)
    result = stats.incident_stats(current_user, scope, period)
    data = stats_xlsx_bytes(result)
    record("incident.stats_export", "unit", scope.id, actor=current_user,
           tenant_id=scope.tenant_id, summary=f"{scope.name} · {period.label}"[:200],
           period=period.query)
    db.session.commit()
    name = f"Thống kê vụ việc - {scope.name[:80]} - {period.label.replace('/', '-')}.xlsx"
    response = Response(data, mimetype=XLSX_MIMETYPE)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{ascii_name(name)}"; filename*=UTF-8\'\'{quote(name, safe="")}')
    return response
