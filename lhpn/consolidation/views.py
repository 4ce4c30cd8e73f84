"""The consolidation page: a unit's figures for a form and a period or a range, completeness,
timeliness, plan attainment and the children to drill into, one level at a time."""

from functools import lru_cache

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import select

from lhpn import authz, tenant_versions
from lhpn.access import load_unit
from lhpn.consolidation import freshness, services
from lhpn.consolidation.small_cells import hide_small_cells
from lhpn.errors import DomainError
from lhpn.extensions import db
from lhpn.labels import AGGREGATION_LABELS, level_label
from lhpn.numbers import format_number
from lhpn.plans.views import target_sentence
from lhpn.reports import reminders
from lhpn.reports.models import ReportTemplate
from lhpn.throttle import range_limit
from lhpn.units.models import Unit
from lhpn.units.picker import picker

bp = Blueprint("consolidation", __name__)

MAX_MISSES_SHOWN = 50


def number(value) -> str:
    """A figure the Vietnamese way (1.234,5); a dash when there is none."""
    if value is None:
        return "—"
    locale = g.get("number_locale")
    if locale is None:  # flask-babel's lookup costs more than the formatting of a cached figure
        locale = g.number_locale = str(get_locale())
    return _formatted(value, locale)


@lru_cache(maxsize=65536)
def _formatted(value, locale: str) -> str:
    # A province page shows ~3,000 figures and most are the same from one look to the next:
    # Babel formats each value once per process (equal values format alike: 1.50 → "1,5").
    # Every stored decimal is shown (4 places), so what the pages show reads back unchanged.
    return format_number(value, locale)


def figure_text(indicator, value) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):  # "< 3": a small count hidden from this reader
        return value
    if indicator.kind == "rate" or indicator.aggregation == "share":
        return f"{number(value)}%"
    return number(value)


@bp.get("/consolidation")
@login_required
def start():
    """The unit chosen in the page's picker (``unit``), else the highest unit the user may
    view."""
    if request.args.get("unit"):
        unit = load_unit(request.args["unit"], "view")
    else:
        unit = db.session.scalars(select(Unit).where(authz.reachable(current_user, "view"))
                                  .order_by(Unit.depth, Unit.path).limit(1)).first()
    if unit is None:
        return render_template("consolidation/page.html", unit=None, body=None, error=None)
    wanted = {k: v for k, v in request.args.items() if k in ("template", "period", "from", "to")}
    if request.args.get("find") == "unit":  # "Tìm" without script: the page lists the matches
        wanted.update(find="unit", unit_q=request.args.get("unit_q", ""))
    return redirect(url_for("consolidation.page", unit_id=unit.id, **wanted))


@bp.get("/units/<int:unit_id>/consolidation")
@login_required
@range_limit
@freshness.cached_page
def page(unit_id: int):
    unit = load_unit(unit_id, "view")
    forms = services.forms_for(unit)
    error, body, status = None, None, 200
    template: ReportTemplate | None = None
    codes: list[str] = []
    try:
        template, codes = services.resolve_request(unit, request.args)
    except DomainError as exc:
        error, status = exc.message, 422
        if forms:
            template = services.pick_template(unit, request.args.get("template"))
    scope = services.attainment_scope(request.args)
    query = _query(template, codes, scope) if codes else {}
    if codes and template is not None:  # periods come only with the form they belong to
        # Our own template's autoescaped output, kept as a string in the cache.
        body = Markup(freshness.cached(  # noqa: S704
            ("consolidation", unit.tenant_id, tenant_versions.version(unit.tenant_id),
             current_user.id, unit.id, template.id, ",".join(codes), scope),
            lambda: render_template("consolidation/_result.html", **_result_context(
                hide_small_cells(services.consolidate(unit, template, codes,
                                                      attainment_scope=scope), current_user),
                query))))
    ancestors = db.session.scalars(select(Unit).where(Unit.id.in_(unit.ancestor_ids[:-1]))
                                   .order_by(Unit.depth)).all()
    remind = reminders.offer(current_user, unit, template, codes[0]) if len(codes) == 1 else None
    return render_template(
        "consolidation/page.html", unit=unit, body=body, error=error, forms=forms,
        template=template, periods=codes, choices=_period_choices(template, codes),
        ancestors=ancestors, query=query, remind=remind,
        unit_field=picker("unit", "view", request.args, chosen_id=unit.id),
        ranged=len(codes) > 1 or bool(request.args.get("from"))), status


def _result_context(result: services.Consolidation, query: dict) -> dict:
    other_scope = {k: v for k, v in query.items() if k != "attainment"}
    if result.attainment_scope == "year":
        other_scope["attainment"] = "periods"
    return {"result": result, "query": query, "other_scope": other_scope,
            "number": number, "figure_text": figure_text,
            "target_text": target_sentence, "level_label": level_label,
            "aggregation_words": AGGREGATION_LABELS, "max_misses": MAX_MISSES_SHOWN}


def _query(template, codes: list[str], scope: str = "year") -> dict:
    query = ({"template": template.code, "period": codes[0]} if len(codes) == 1
             else {"template": template.code, "from": codes[0], "to": codes[-1]})
    if scope == "periods":
        query["attainment"] = "periods"
    return query


def _period_choices(template, codes: list[str]) -> list[tuple[str, str]]:
    if template is None:
        return []
    return services.period_choices(template, codes[-1] if codes else None)
