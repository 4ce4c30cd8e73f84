"""Keeping cached consolidations honest.

Each tenant carries ``figures_version``; it goes up in the same transaction as anything a
consolidation shows: an approval or reopening (lhpn/consolidation/rollups.py), and any change
to units, plans, forms or indicators (the flush listener below). Rendered fragments are cached
under a key that includes the version read at the start of the request, so a change makes every
older entry unreachable at once — nothing is ever served stale, nothing needs clearing.
"""

from collections.abc import Callable

from flask import current_app
from flask_babel import get_locale
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from lhpn.extensions import cache, db
from lhpn.indicators.models import Indicator
from lhpn.plans.models import Plan, PlanTarget
from lhpn.reports.models import ReportTemplate, TemplateItem, TemplatePeriod
from lhpn.tenants.models import Tenant
from lhpn.units.models import Unit

WATCHED = (Unit, Plan, PlanTarget, ReportTemplate, TemplateItem, TemplatePeriod, Indicator,
           Tenant)


def bump(connection, tenant_ids) -> None:
    ids = sorted({t for t in tenant_ids if t is not None})
    if ids:
        table = Tenant.__table__
        connection.execute(update(table).where(table.c.id.in_(ids))
                           .values(figures_version=table.c.figures_version + 1))


def _tenant_of(obj) -> int | None:
    if isinstance(obj, Tenant):
        return obj.id
    if isinstance(obj, PlanTarget | TemplateItem | TemplatePeriod):
        parent = obj.__dict__.get("plan") or obj.__dict__.get("template")
        return getattr(parent, "tenant_id", None)
    return getattr(obj, "tenant_id", None)


@event.listens_for(Session, "before_flush")
def _collect(session: Session, _context, _instances) -> None:
    touched = {_tenant_of(obj) for obj in (*session.new, *session.dirty, *session.deleted)
               if isinstance(obj, WATCHED) and (obj in session.new or obj in session.deleted
                                                or session.is_modified(obj))}
    # A version bump on the tenant row itself must not count as a change of the tenant.
    touched.discard(None)
    if touched:
        session.info.setdefault("lhpn_figures_tenants", set()).update(touched)


@event.listens_for(Session, "after_flush")
def _bump(session: Session, _context) -> None:
    touched = session.info.pop("lhpn_figures_tenants", None)
    if touched:
        bump(session.connection(), touched)


def version(tenant_id: int) -> int:
    return db.session.scalar(select(Tenant.figures_version).where(Tenant.id == tenant_id)) or 0


def cached(parts: tuple, render: Callable[[], str]) -> str:
    """``render()``'s result, cached under ``parts`` + the language; the caller puts the tenant's
    figures version and everything the fragment depends on (user, unit, query) in ``parts``."""
    if current_app.config.get("CACHE_TYPE") == "NullCache":
        return render()
    key = "lhpn:" + ":".join(str(p) for p in (*parts, get_locale()))
    found = cache.get(key)
    if found is None:
        found = render()
        cache.set(key, found)
    return found
