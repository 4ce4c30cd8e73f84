"""The page cache: rendered consolidation fragments and whole pages, keyed by the tenant's
counters (lhpn/tenant_versions.py), so a change makes every older entry unreachable at once:
nothing is ever served stale, nothing needs clearing.
"""

from collections.abc import Callable
from functools import wraps

from flask import current_app, request, session
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select

from lhpn.clock import local_today
from lhpn.extensions import cache, db
from lhpn.tenants.models import Tenant

CSRF_PLACEHOLDER = "\x00lhpn-csrf\x00"


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
