"""The user's notices: returned and approved plans, requests from above, reminders."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from lhpn.extensions import db
from lhpn.notifications import services
from lhpn.params import page_number

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
PAGE_SIZE = 50


@bp.route("/")
@login_required
def index():
    page = page_number()
    stmt = services.for_user(current_user)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    notices = db.session.scalars(stmt.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    return render_template("notifications/index.html", notices=notices, total=total, page=page,
                           pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1))


@bp.route("/read-all", methods=["POST"])
@login_required
def read_all():
    services.mark_all_read(current_user)
    db.session.commit()
    flash(_("Đã đánh dấu tất cả thông báo là đã đọc."), "success")
    return redirect(url_for("notifications.index"))
