from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lhpn.accounts import services
from lhpn.accounts.forms import ChangePasswordForm, LoginForm
from lhpn.errors import DomainError
from lhpn.extensions import db
from lhpn.unsaved import web as unsaved

bp = Blueprint("accounts", __name__)


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("home.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.username.data, form.password.data)
        except DomainError as exc:
            db.session.commit()  # keep the failure count
            flash(exc.message, "error")
            return render_template("accounts/login.html", form=form), 401
        lang = session.get("lang")
        services.end_session(session.get("sid"))
        session.clear()  # a fresh session on every log-in
        session.permanent = True
        session["sid"] = services.start_session(user, request.remote_addr)
        session["uid"] = user.id  # whose input to keep if this session times out mid-form
        if lang:
            session["lang"] = lang
        db.session.commit()
        if user.must_change_password:
            flash(_("Hãy đổi mật khẩu được cấp trước khi làm việc."), "info")
            return redirect(url_for("accounts.password"))
        # Back to the form whose input was kept when the session ended, if any.
        return redirect(_safe_next(request.args.get("next") or unsaved.waiting_action(user.id)))
    return render_template("accounts/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    services.end_session(session.get("sid"))
    unsaved.forget_browser()
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    db.session.commit()
    flash(_("Bạn đã đăng xuất."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/account")
@login_required
def account():
    return render_template("accounts/account.html", user=current_user)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.old_password.data, form.new_password.data)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return render_template("accounts/password.html", form=form), 422
        db.session.commit()
        flash(_("Đã đổi mật khẩu."), "success")
        return redirect(url_for("accounts.account"))
    return render_template("accounts/password.html", form=form)


@bp.route("/lang/<code>", methods=["POST"])
def set_language(code: str):
    if code in ("vi", "en"):
        session["lang"] = code
    return redirect(_safe_next(request.form.get("next")))
