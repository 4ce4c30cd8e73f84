import re

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lhpn import authz
from lhpn.accounts import services
from lhpn.accounts.forms import ChangePasswordForm, LoginForm
from lhpn.accounts.services import LoginThrottled
from lhpn.errors import DomainError
from lhpn.extensions import db
from lhpn.unsaved import web as unsaved

bp = Blueprint("accounts", __name__)


# What a browser drops from a URL before reading it: tabs and line breaks anywhere, C0 controls
# and spaces at either end. "/\t/evil.example" must be judged as the "//evil.example" it becomes.
_DROPPED_ANYWHERE = re.compile(r"[\t\n\r]")
_C0_AND_SPACE = "".join(chr(c) for c in range(0x21))
# A backslash reads as a slash ("/\\evil.example" is another host); no control may remain.
_REFUSED = re.compile(r"[\\\x00-\x1f\x7f]")


def _safe_next(target: str | None) -> str:
    """A path on this site to go to after log-in or a language switch, else the home page."""
    cleaned = _DROPPED_ANYWHERE.sub("", target or "").strip(_C0_AND_SPACE)
    if cleaned.startswith("/") and not cleaned.startswith("//") and not _REFUSED.search(cleaned):
        return cleaned
    return url_for("home.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.username.data, form.password.data,
                                         request.remote_addr)
        except LoginThrottled as exc:
            db.session.commit()  # the audit entry of a limit that tripped
            flash(exc.message, "error")
            return (render_template("accounts/login.html", form=form), 429,
                    {"Retry-After": str(exc.retry_after)})
        except DomainError as exc:
            db.session.rollback()
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
    return render_template("accounts/account.html", user=current_user,
                           system_role=authz.system_role())


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.old_password.data, form.new_password.data,
                                     address=request.remote_addr, keep_session=session.get("sid"))
        except LoginThrottled as exc:
            db.session.commit()  # the audit entry of a limit that tripped
            flash(exc.message, "error")
            return (render_template("accounts/password.html", form=form), 429,
                    {"Retry-After": str(exc.retry_after)})
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
