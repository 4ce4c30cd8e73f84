"""The JSON API, version 1: the same services and authorization as the pages, over bearer
tokens. Every endpoint declares its contract with ``contract.endpoint`` (pydantic models),
from which both its validation and the OpenAPI document come.

Answers come in a fixed order: 401 without a valid token; 404 for an object that is not
the caller's tenant's (or does not exist); 403 without the right to it; only then is the
body judged (400, 422), so a caller learns nothing from a body about an object they may
not touch.
"""

from flask import Blueprint

from lhpn.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# The API authenticates with bearer tokens only (never cookies), so it needs no CSRF token.
csrf.exempt(bp)

# The view modules register their routes on ``bp``; they need it defined first.
from lhpn.api import (  # noqa: E402, F401
    auth,
    breaches,
    consolidation,
    critiques,
    data_requests,
    dialogues,
    incident_stats,
    incidents,
    indicators,
    openapi,
    petitions,
    plans,
    plumbing,
    privacy,
    records,
    reports,
    supervisions,
    units,
    users,
)
