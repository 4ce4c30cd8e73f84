"""The pages' side of keeping typed input.

Two safety nets, for the report and plan forms (views marked ``@keeps_input``):
- on the server: a POST that arrives after the session ended, or without a valid CSRF token
  (the cookie was lost, or the page is older than the last log-in), is kept for a few hours
  (lhpn/unsaved/services.py) and answered with a page that says what happened, with the log-in
  form when needed; after log-in the form opens again filled with what was typed, not saved
  until the person presses save;
- in the browser: lhpn/static/app.js keeps a draft of the form in localStorage while typing,
  under a key of (user id, form action), and offers it back when the page opens with a draft
  newer than the server's copy. ``draft_key`` names it; ``saved`` tells the next page to drop
  it after a successful save.

Only posts sent by this site's own pages are kept (their Origin, or Referer, is this host): a
page elsewhere cannot plant input to be "given back" later.
"""

import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Literal, TypeVar, overload
from urllib.parse import urlsplit

from flask import (
    Flask,
    after_this_request,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
)
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user
from flask_login.utils import login_url
from flask_wtf.csrf import CSRFError

from lhpn.clock import utcnow
from lhpn.extensions import db, login_manager
from lhpn.transaction import after_commit
from lhpn.unsaved import services
from lhpn.unsaved.services import Kept

COOKIE = "lhpn_unsaved"
SAVED = "lhpn_draft_saved"

View = TypeVar("View", bound=Callable)


def keeps_input(view: View) -> View:
    """Mark a form's view: its posts are kept when they cannot be accepted."""
    vars(view)["keeps_unsaved_input"] = True  # its own attribute (a Callable has none to mypy)
    return view


def _keepable() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return request.method == "POST" and bool(getattr(view, "keeps_unsaved_input", False))


def _from_this_site() -> bool:
    """Browsers name the page that sent a form (Origin; Referer as a fall-back)."""
    source = request.headers.get("Origin") or request.headers.get("Referer") or ""
    return bool(source) and urlsplit(source).netloc == request.host


def action() -> str:
    """The form's address as its pages name it: path and query."""
    return request.full_path.rstrip("?")


def _back_after_log_in() -> str:
    """Where log-in leads back to: the page asked for; for a button (a POST, which cannot be
    replayed by a redirect) the page it was pressed on, when that page is on this site."""
    if request.method == "GET":
        return request.url
    page = urlsplit(request.referrer or "")
    if page.netloc == request.host and page.path.startswith("/"):
        return page.path + (f"?{page.query}" if page.query else "")
    return request.url


def _hours() -> int:
    return current_app.config["LHPN_UNSAVED_INPUT_HOURS"]


@overload
def _browser_token(create: Literal[True]) -> str: ...
@overload
def _browser_token(create: bool = False) -> str | None: ...
def _browser_token(create: bool = False) -> str | None:
    token = request.cookies.get(COOKIE, "")
    if 20 <= len(token) <= 100:
        return token
    if not create:
        return None
    token = secrets.token_urlsafe(32)

    @after_this_request
    def _set_cookie(response):
        response.set_cookie(COOKIE, token, max_age=_hours() * 3600, httponly=True,
                            samesite="Lax", secure=current_app.config["SESSION_COOKIE_SECURE"])
        return response

    return token


def _keep(user_id: int | None) -> bool:
    """Keep the posted form for this browser; False when it cannot be kept."""
    fields = services.keepable_fields(request.form)
    if fields is None or not _from_this_site():
        return False
    services.keep(_browser_token(create=True), user_id, action(), fields, _hours())
    db.session.commit()
    return True


def _kept_page(reason: str, kept: bool, status: int):
    from lhpn.accounts.forms import LoginForm

    return render_template(
        "unsaved/kept.html", reason=reason, kept=kept, form=LoginForm(formdata=None),
        next_url=action(), idle=current_app.config["LHPN_SESSION_IDLE_MINUTES"],
        hours=_hours()), status


# ---- for the form views ------------------------------------------------------------------------

def take(form_action: str) -> Kept | None:
    """What this browser typed into the form at ``form_action`` and could not save, once, with a
    message saying so; the caller fills the form with it and commits."""
    kept = services.take(_browser_token(), current_user.id, form_action)
    if kept is not None:
        flash(_("Nội dung bạn nhập lúc %(t)s chưa được lưu (phiên làm việc đã hết hạn) và đã "
                "được điền lại dưới đây. Hãy kiểm tra rồi bấm lưu.",
                t=format_datetime(kept.created_at, "HH:mm dd/MM/yyyy")), "warn")
    return kept


def over_current(kept: Kept, version: int) -> str:
    """The version a restored form is saved over: the current one. The person sees their own
    input, and is told when someone saved the record since they typed it (saving replaces
    that); otherwise a stale version would refuse every save of what they typed."""
    if kept.fields.get("version", "") != str(version):
        flash(_("Trong lúc đó, người khác đã lưu nội dung này. Biểu mẫu dưới đây là nội dung "
                "bạn đã nhập; nếu bấm lưu, nó sẽ thay cho nội dung hiện có."), "warn")
    return str(version)


def saved(form_action: str) -> None:
    """The form at ``form_action`` is being saved: nothing kept for it is needed any more, and,
    once the transaction commits, the next page tells the browser to drop its draft."""
    services.forget(_browser_token(), form_action)
    key = draft_key(form_action)
    after_commit(lambda: session.__setitem__(SAVED, key))


def draft_key(form_action: str) -> str:
    return f"{current_user.id}:{form_action}"


def draft_stamp(obj=None) -> dict:
    """Server times a page gives its draft script: now, and when the object last changed (a
    browser draft older than that is stale), in milliseconds since 1970 (UTC)."""

    def ms(moment: datetime | None) -> int:
        return int((moment - datetime(1970, 1, 1)).total_seconds() * 1000) if moment else 0

    # Times the application wrote (naive UTC); created_at is the database's own clock.
    moments = [getattr(obj, name, None) for name in
               ("updated_at", "submitted_at", "approved_at")] if obj else []
    return {"now": ms(utcnow()), "changed": max((ms(m) for m in moments if m), default=0)}


def waiting_action(user_id: int) -> str | None:
    """After log-in: the form this browser has input kept for, to go back to."""
    return services.waiting_action(_browser_token(), user_id)


def forget_browser() -> None:
    """At log-out: what this browser kept goes (the cookie stays, harmless)."""
    services.forget(_browser_token())


# ---- wiring --------------------------------------------------------------------------------------

def init_app(app: Flask) -> None:
    app.config.setdefault("LHPN_UNSAVED_INPUT_HOURS", 24)

    @login_manager.unauthorized_handler
    def _unauthorized():
        # "sid" in the signed session: this browser was logged in and the session has ended
        # (idle or absolute time-out, ended elsewhere), rather than never logged in.
        if _keepable() and session.get("sid"):
            return _kept_page("expired", _keep(session.get("uid")), 401)
        return redirect(login_url(login_manager.login_view, next_url=_back_after_log_in()))

    @app.errorhandler(CSRFError)
    def _csrf_error(_exc):
        from lhpn.web import error_response

        db.session.rollback()
        if _keepable():
            if current_user.is_authenticated:
                # Logged in, but the page is older than the session's token (logged in again
                # in another tab): back to the form, filled with what was typed.
                if _keep(current_user.id):
                    return redirect(action(), 303)
            else:
                return _kept_page("token", _keep(session.get("uid") if session.get("sid")
                                                 else None), 400)
        return error_response(400, "bad_request", _(
            "Trang này đã mở quá lâu, hoặc phiên làm việc đã kết thúc, nên thao tác chưa được "
            "thực hiện. Hãy tải lại trang rồi làm lại."))

    @app.context_processor
    def _draft_helpers() -> dict:
        def draft_saved() -> str:
            return session.pop(SAVED, "") if SAVED in session else ""

        return {"draft_key": draft_key, "draft_stamp": draft_stamp, "draft_saved": draft_saved}
