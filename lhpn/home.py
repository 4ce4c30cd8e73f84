from flask import Blueprint
from flask_login import login_required
from sqlalchemy import select

from lhpn.consolidation.freshness import cached_page
from lhpn.dashboard.views import render_dashboard
from lhpn.extensions import db

bp = Blueprint("home", __name__)


@bp.route("/")
@login_required
@cached_page
def index():
    """The dashboard: what to do now and the figures of the user's units."""
    return render_dashboard()


@bp.route("/healthz")
def healthz():
    db.session.execute(select(1))
    return {"status": "ok"}
