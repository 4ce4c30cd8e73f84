from flask import Blueprint, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import func, select

from lhpn import authz
from lhpn.audit.models import AuditEntry
from lhpn.audit.services import entries_for_tenant
from lhpn.extensions import db
from lhpn.params import page_number

bp = Blueprint("audit", __name__, url_prefix="/audit")
PAGE_SIZE = 50


@bp.route("/")
@login_required
def index():
    # The audit log is the tenant's: only who manages its root unit may browse it.
    authz.require_manage_tenant(current_user)
    action = request.args.get("action") or None
    q = (request.args.get("q") or "").strip() or None
    page = page_number()
    stmt = entries_for_tenant(current_user.tenant_id, action=action, q=q)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    entries = db.session.scalars(stmt.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    actions = db.session.scalars(
        select(AuditEntry.action).distinct()
        .where(AuditEntry.tenant_id == current_user.tenant_id)
        .order_by(AuditEntry.action)
    ).all()
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    return render_template("audit/index.html", entries=entries, actions=actions, action=action,
                           q=q or "", page=page, pages=pages, total=total)
