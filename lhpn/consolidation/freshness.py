"""Keeping cached consolidations and pages honest.

Each tenant carries two counters that go up in the same transaction as the change they stand
for:
- ``figures_version``: anything a consolidation shows — an approval or reopening
  (lhpn/consolidation/rollups.py) and any change to units, plans, forms or indicators;
- ``activity_version``: the rest a dashboard or consolidation page shows around the figures —
  a report created, deleted or changing status, role assignments, a user's name or state, and
  notifications.
The flush listeners below bump them for every ORM change; the few bulk statements that bypass
the ORM call ``bump`` / ``bump_activity`` themselves. Rendered fragments and pages are cached
under keys that hold the counters read in the request, so a change makes every older entry
unreachable at once: nothing is ever served stale, nothing needs clearing.
"""

from collections.abc import Callable
from functools import wraps

from flask import current_app, request, session
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import event, inspect, select, update
from sqlalchemy.orm import Session

from lhpn.accounts.models import RoleAssignment, User
from lhpn.clock import local_today
from lhpn.extensions import cache, db
from lhpn.indicators.models import Indicator
from lhpn.notifications.models import Notification
from lhpn.plans.models import Plan, PlanTarget, TargetCheck
from lhpn.reports.models import Report, ReportTemplate, TemplateItem, TemplatePeriod
from lhpn.tenants.models import Tenant
from lhpn.units.models import Unit

# A unit's "done / not done" for a qualitative target shows in attainment like a figure.
WATCHED = (Unit, Plan, PlanTarget, TargetCheck, ReportTemplate, TemplateItem, TemplatePeriod,
           Indicator, Tenant)
# Changes of these attributes show on pages; a draft's values, a login or a failed password
# do not (they would empty every cached page of the province for nothing).
ACTIVITY = {Report: ("status",), RoleAssignment: None, Notification: None,
            User: ("username", "full_name", "unit_id", "tenant_id", "locked",
                   "is_system_admin", "must_change_password")}
CSRF_PLACEHOLDER = "\x00lhpn-csrf\x00"


def bump(connection, tenant_ids, *, activity: bool = False) -> None:
    """The figures changed (and, with ``activity``, the pages around them too)."""
    _bump(connection, tenant_ids, figures=True, activity=activity)


def bump_activity(connection, tenant_ids) -> None:
    _bump(connection, tenant_ids, figures=False, activity=True)


def _bump(connection, tenant_ids, *, figures: bool, activity: bool) -> None:
    ids = sorted({t for t in tenant_ids if t is not None})
    if not ids:
        return
    table = Tenant.__table__
    values = {}
    if figures:
        values["figures_version"] = table.c.figures_version + 1
    if activity:
        values["activity_version"] = table.c.activity_version + 1
    connection.execute(update(table).where(table.c.id.in_(ids)).values(**values))


def _tenant_of(obj) -> int | None:
    if isinstance(obj, Tenant):
        return obj.id
    if isinstance(obj, PlanTarget | TemplateItem | TemplatePeriod):
        parent = obj.__dict__.get("plan") or obj.__dict__.get("template")
        return getattr(parent, "tenant_id", None)
    return getattr(obj, "tenant_id", None)


def _activity(session: Session, obj) -> bool:
    attributes = ACTIVITY.get(type(obj), False)
    if attributes is False:
        return False
    if obj in session.new or obj in session.deleted or attributes is None:
        return obj in session.new or obj in session.deleted or session.is_modified(obj)
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in attributes)


@event.listens_for(Session, "before_flush")
def _collect(session: Session, _context, _instances) -> None:
    figures, activity = set(), set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, WATCHED) and (obj in session.new or obj in session.deleted
                                         or session.is_modified(obj)):
            figures.add(_tenant_of(obj))
        elif _activity(session, obj):
            activity.add(_tenant_of(obj))
    figures.discard(None)
    activity.discard(None)
    if figures or activity:
        session.info.setdefault("lhpn_figures_tenants", set()).update(figures)
        session.info.setdefault("lhpn_activity_tenants", set()).update(activity)


@event.listens_for(Session, "after_flush")
def _bump_flushed(session: Session, _context) -> None:
    figures = session.info.pop("lhpn_figures_tenants", set())
    activity = session.info.pop("lhpn_activity_tenants", set()) - figures
    if figures:
        # What changes the figures changes the pages too: one statement for both.
        bump(session.connection(), figures, activity=True)
    if activity:
        bump_activity(session.connection(), activity)


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


def cached_page(view: Callable) -> Callable:
    """Serve a GET page from the cache while nothing it shows has changed.

    The key holds the user, the full request path, the language, today's date and both of the
    tenant's counters. The page was stored only after the view answered 200 for this user with
    the same counters, so the view's authorization check (lhpn.access, lhpn.authz) held for
    exactly this state: rights come from role assignments and units, which move the counters.
    The CSRF token is the one thing that belongs to the browser session rather than to the
    state: it is stored as a placeholder and the session's own token is put back on the way
    out. Pages with a message to flash are never cached (the message is shown once)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        user = current_user
        if (current_app.config.get("CACHE_TYPE") == "NullCache" or not user.is_authenticated
                or not user.tenant_id or session.get("_flashes")):
            return view(*args, **kwargs)
        counters = db.session.execute(
            select(Tenant.figures_version, Tenant.activity_version)
            .where(Tenant.id == user.tenant_id)).one()
        key = ":".join(str(p) for p in (
            "lhpn:page", request.endpoint, user.id, *counters, local_today().isoformat(),
            get_locale(), request.full_path))
        found = cache.get(key)
        if found is not None:
            return found.replace(CSRF_PLACEHOLDER, generate_csrf())
        token = generate_csrf()
        answer = view(*args, **kwargs)
        body, status = answer if isinstance(answer, tuple) else (answer, 200)
        if isinstance(body, str) and status == 200:
            cache.set(key, body.replace(token, CSRF_PLACEHOLDER))
        return answer

    return wrapper
