"""The search of a unit's records (/records/search) and the calendar (/calendar): pages for
every record kind registered in lhpn/records.py. Query arguments are only wishes: the unit
goes through the tenant-scoped getter and the view right, the words and the month through
the services, which refuse what makes no sense with a message (422)."""

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from lhpn import authz, records
from lhpn.access import load_unit
from lhpn.agenda import services
from lhpn.clock import local_today
from lhpn.errors import DomainError
from lhpn.units.picker import picker

bp = Blueprint("agenda", __name__)


@bp.app_context_processor
def _labels() -> dict:
    return {"kind_label": services.label_of}


@bp.after_request
def _no_store(response):
    # The titles name no one, but records of a unit stay off shared caches all the same.
    response.headers["Cache-Control"] = "no-store"
    return response


def _require_tenant() -> None:
    if current_user.tenant_id is None:
        raise authz.Forbidden("view")


@bp.route("/records/search")
@login_required
def search():
    _require_tenant()
    if not authz.reaches_any(current_user, "view"):
        raise authz.Forbidden("view")
    args = request.args
    unit = load_unit(args["unit_id"], "view") if args.get("unit_id") else None
    page = {"q": args.get("q", "")[:services.MAX_QUERY * 2], "kinds": list(records.KINDS.values()),
            "kind": args.get("kind", ""), "unit": unit, "found": None, "error": None,
            "unit_field": picker("unit_id", "view", args, chosen_id=unit.id if unit else None)}
    asked = "q" in args or "unit_id" in args or "kind" in args
    if not asked:
        return render_template("agenda/search.html", **page)
    try:
        words = services.search_words(args.get("q", ""))
        kind = services.kind_of(args.get("kind", ""))
    except DomainError as exc:
        page["error"] = exc.message
        return render_template("agenda/search.html", **page), exc.status
    page["found"] = services.search(current_user, words, unit, kind)
    return render_template("agenda/search.html", **page)


@bp.route("/calendar")
@login_required
def calendar():
    _require_tenant()
    today = local_today()
    try:
        first = services.parse_month(request.args.get("month"), today)
    except DomainError as exc:
        return render_template("agenda/calendar.html", month=None, error=exc.message,
                               today=today), exc.status
    return render_template("agenda/calendar.html", month=services.month(current_user, first),
                           error=None, today=today)
