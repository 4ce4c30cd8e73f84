from flask import Blueprint, render_template
from flask_login import current_user, login_required
from sqlalchemy import func, select

from lhpn import authz
from lhpn.accounts.models import User
from lhpn.extensions import db
from lhpn.tenancy import crossing_tenants
from lhpn.tenants.models import Tenant
from lhpn.units.models import Unit

bp = Blueprint("tenants", __name__, url_prefix="/system")


@bp.route("/tenants")
@login_required
def index():
    authz.require(current_user, "manage", authz.SYSTEM)
    units = select(Unit.tenant_id, func.count().label("n")).group_by(Unit.tenant_id).subquery()
    users = select(User.tenant_id, func.count().label("n")).group_by(User.tenant_id).subquery()
    with crossing_tenants("whole_country"):  # counts the units of every tenant
        rows = db.session.execute(
            select(Tenant, units.c.n, users.c.n)
            .outerjoin(units, units.c.tenant_id == Tenant.id)
            .outerjoin(users, users.c.tenant_id == Tenant.id)
            .order_by(Tenant.name)
        ).all()
    return render_template("tenants/index.html", rows=rows)
