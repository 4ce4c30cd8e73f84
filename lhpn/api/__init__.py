from flask import Blueprint

from lhpn.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# The API authenticates with bearer tokens only (never cookies), so it needs no CSRF token.
csrf.exempt(bp)
