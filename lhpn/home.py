from flask import Blueprint, render_template
from flask_login import current_user, login_required
from sqlalchemy import func, select

from lhpn import authz
from lhpn.extensions import db
from lhpn.units.models import Unit

bp = Blueprint("home", __name__)


@bp.route("/")
@login_required
def index():
    reach = {}
    for action in ("view", "manage", "approve", "submit"):
        reach[action] = db.session.scalar(
            select(func.count()).select_from(Unit).where(authz.reachable(current_user, action))
        )
    assignments = sorted(current_user.assignments, key=lambda a: (a.unit.path, a.role))
    return render_template("home.html", reach=reach, assignments=assignments)


@bp.route("/healthz")
def healthz():
    db.session.execute(select(1))
    return {"status": "ok"}
