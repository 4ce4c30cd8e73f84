"""Request plumbing shared by pages and the API: who is asking, for which tenant, in which
language; security headers; error pages."""

from flask import (
    Flask,
    abort,
    flash,
    g,
    has_request_context,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.json.provider import DefaultJSONProvider
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_limiter import RateLimitExceeded
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import IntegerConverter

from lhpn import authz, throttle
from lhpn.audit.services import client_ip, record
from lhpn.errors import MAX_ID, DomainError
from lhpn.extensions import db, login_manager
from lhpn.tenancy import NO_TENANT, enter_request, leave_request, set_current_tenant
from lhpn.transaction import uncommitted_changes

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


# Request bodies nest a few levels (a plan's targets); far deeper JSON is an attack on the
# parser or on code that walks the value.
MAX_JSON_DEPTH = 32


class BoundedIntConverter(IntegerConverter):
    """``<int:…>`` in every route: ASCII digits naming at most a 32-bit id. Ids are 32-bit
    integers on PostgreSQL; a larger number in a URL cannot name anything, so it fails
    routing (404) instead of reaching the database as an out-of-range error."""

    regex = r"[0-9]+"

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None,
                 max: int | None = MAX_ID, signed: bool = False) -> None:
        super().__init__(map, fixed_digits, min, max, signed)


class JSONTooDeep(DomainError):
    status = 400
    code = "bad_request"


class BoundedJSONProvider(DefaultJSONProvider):
    """Every JSON body is read through here (``request.get_json``): nesting deeper than
    MAX_JSON_DEPTH is a 400 with a message, never a RecursionError (a 500). The error is not a
    ValueError, so even ``get_json(silent=True)`` reports it."""

    def loads(self, s, **kwargs):
        try:
            data = super().loads(s, **kwargs)
        except RecursionError:
            raise _too_deep() from None
        # Fewer brackets than the limit cannot nest deeper than it: most bodies stop here.
        opening = ("[", "{") if isinstance(s, str) else (b"[", b"{")
        if s.count(opening[0]) + s.count(opening[1]) > MAX_JSON_DEPTH and _deeper_than(
                data, MAX_JSON_DEPTH):
            raise _too_deep()
        return data


def _too_deep() -> JSONTooDeep:
    return JSONTooDeep(_("Dữ liệu JSON lồng nhau quá sâu (tối đa %(n)d cấp).", n=MAX_JSON_DEPTH))


def _deeper_than(data, limit: int) -> bool:
    """Whether arrays and objects nest more than ``limit`` levels (walked without recursion)."""
    stack = [(data, 1)] if isinstance(data, dict | list) else []
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return True
        children = value.values() if isinstance(value, dict) else value
        stack.extend((child, depth + 1) for child in children
                     if isinstance(child, dict | list))
    return False


# Where a user whose password must be changed may still go.
PASSWORD_CHANGE_ENDPOINTS = frozenset(
    {"accounts.password", "accounts.logout", "accounts.set_language", "static"})


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def select_locale() -> str:
    """Vietnamese unless the user chose English (pages) or asked for it (API)."""
    if not has_request_context():
        return "vi"
    if is_api_request():
        header = request.headers.get("Accept-Language", "")
        return "en" if header.lower().startswith("en") else "vi"
    return "en" if session.get("lang") == "en" else "vi"


@login_manager.request_loader
def _load_user(req):
    from lhpn.accounts.services import user_for_session, user_for_token

    if req.path.startswith("/api/"):
        header = req.headers.get("Authorization", "")
        scheme, _sep, token = header.partition(" ")
        return user_for_token(token.strip()) if scheme.lower() == "bearer" else None
    return user_for_session(session.get("sid"))


def init_request_context(app: Flask) -> None:
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None
    # Before any blueprint adds its routes: rules pick their converter when added.
    app.url_map.converters["int"] = BoundedIntConverter
    app.json = BoundedJSONProvider(app)

    @app.before_request
    def _refuse_nul_characters() -> None:
        # No database stores U+0000 in text; refuse it before any form or service sees it.
        if is_api_request():
            return
        values = [*request.args.values(), *request.form.values(), request.path]
        if any("\x00" in value for value in values):
            abort(400)

    @app.before_request
    def _who_is_asking() -> None:
        client_ip.set(request.remote_addr)
        g.tenancy = enter_request()
        user = current_user._get_current_object()
        if user.is_authenticated:
            set_current_tenant(NO_TENANT if user.tenant_id is None else user.tenant_id)
        g.user = user

    @app.before_request
    def _password_change_first():
        # After an administrator set their password, a user changes it before anything else:
        # the change page, log-out, the language switch and static files only. The API
        # answers 403 (lhpn.api.plumbing).
        user = g.user
        if (not user.is_authenticated or not user.must_change_password or is_api_request()
                or request.endpoint in PASSWORD_CHANGE_ENDPOINTS):
            return None
        flash(_("Hãy đổi mật khẩu được cấp trước khi làm việc."), "info")
        return redirect(url_for("accounts.password"))

    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        if current_user.is_authenticated:
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.teardown_request
    def _forget(exc) -> None:
        try:
            _check_one_commit_point(app, exc)
        finally:
            leave_request(g.pop("tenancy", None))
            client_ip.set(None)

    @app.template_filter("datetimefmt")
    def _datetimefmt(value) -> str:
        from flask_babel import format_datetime

        return format_datetime(value, "dd/MM/yyyy HH:mm") if value else ""

    @app.template_filter("number")
    def _number(value) -> str:
        from lhpn.numbers import format_number

        return format_number(value)

    @app.context_processor
    def _template_helpers() -> dict:
        from lhpn.labels import audit_label, level_label, role_label

        def can(action: str, obj) -> bool:
            return authz.can(current_user, action, obj)

        def manages_any() -> bool:
            return authz.reaches_any(current_user, "manage")

        def may_review_reads() -> bool:
            return authz.may_review_reads(current_user)

        def unread_notifications() -> int:
            from lhpn.notifications.services import unread_count

            return unread_count(current_user) if current_user.is_authenticated else 0

        return {"can": can, "manages_any": manages_any, "get_locale": get_locale,
                "level_label": level_label, "unread_notifications": unread_notifications,
                "role_label": role_label, "audit_label": audit_label, "SYSTEM": authz.SYSTEM,
                "may_review_reads": may_review_reads}


class UncommittedChanges(RuntimeError):
    """A request ended with writes it never committed (raised only where the app's
    ``LHPN_FAIL_ON_UNCOMMITTED`` is on: the test suite)."""


def _check_one_commit_point(app: Flask, exc: BaseException | None) -> None:
    """One commit point: the view (or CLI command, or job) commits once; nothing commits for
    it afterwards. A request that still holds changes here forgot to: they are dropped (the
    session is rolled back when the app context ends) and said so, loudly in tests. After an
    unhandled error the changes are dropped without a word: the error is the news."""
    if exc is not None or not db.session.registry.has():
        return
    session = db.session()
    if not uncommitted_changes(session):
        return
    endpoint = request.endpoint
    session.rollback()
    if app.config.get("LHPN_FAIL_ON_UNCOMMITTED"):
        raise UncommittedChanges(f"{request.method} {request.path} ({endpoint}) ended with "
                                 "changes it did not commit")
    app.logger.error("uncommitted changes dropped at the end of %s %s (%s)", request.method,
                     request.path, endpoint)


def error_response(status: int, code: str, message: str):
    if is_api_request():
        return jsonify({"error": {"code": code, "message": message}}), status
    return render_template("error.html", status=status, message=message), status


def too_many_requests(message: str, retry_after: int):
    """429 with Retry-After (seconds), a page or a JSON error like every other."""
    response = make_response(error_response(429, "too_many_requests", message))
    response.headers["Retry-After"] = str(retry_after)
    return response


def init_error_handlers(app: Flask) -> None:
    @app.errorhandler(RateLimitExceeded)
    def _rate_limited(exc: RateLimitExceeded):
        # A per-user limit on a costly read (lhpn.throttle). The first refusal of a window is
        # audited, later ones are not: a client retrying in a loop must not flood the log.
        db.session.rollback()
        retry_after, limit, first = throttle.refused_request()
        if first and current_user.is_authenticated:
            record("rate_limit.trip", "user", current_user.id, actor=current_user,
                   summary=f"{current_user.username}: {request.endpoint} {limit}",
                   endpoint=request.endpoint, limit=limit)
            db.session.commit()
        message = f"{exc.description} {throttle.try_again_in(retry_after)}"
        return too_many_requests(message, retry_after)

    @app.errorhandler(authz.Forbidden)
    def _forbidden(_exc):
        db.session.rollback()
        return error_response(403, "forbidden", _("Bạn không có quyền thực hiện thao tác này."))

    @app.errorhandler(DomainError)
    def _domain(exc: DomainError):
        db.session.rollback()
        return error_response(exc.status, exc.code, exc.message)

    @app.errorhandler(StaleDataError)
    def _stale(_exc):
        # Two writers raced on a versioned row (version_id_col): the later one changes nothing.
        db.session.rollback()
        return error_response(409, "conflict", _("Dữ liệu vừa được người khác thay đổi. Hãy "
                                                 "tải lại trang rồi thử lại."))

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        db.session.rollback()
        messages = {
            400: ("bad_request", _("Yêu cầu không hợp lệ.")),
            401: ("unauthorized", _("Bạn cần đăng nhập.")),
            403: ("forbidden", _("Bạn không có quyền thực hiện thao tác này.")),
            404: ("not_found", _("Không tìm thấy trang hoặc đối tượng.")),
            405: ("method_not_allowed", _("Phương thức không được hỗ trợ.")),
            413: ("too_large", _("Dữ liệu gửi lên quá lớn.")),
            429: ("too_many_requests", _("Quá nhiều yêu cầu, hãy thử lại sau.")),
        }
        code, message = messages.get(exc.code or 500, ("error", _("Đã có lỗi xảy ra.")))
        response = make_response(error_response(exc.code or 500, code, message))
        if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
            # RFC 9110: a 405 names the methods the resource supports.
            response.headers["Allow"] = ", ".join(sorted(exc.valid_methods))
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        app.logger.exception("unhandled error", exc_info=exc)
        db.session.rollback()
        return error_response(500, "server_error", _("Đã có lỗi xảy ra. Hãy thử lại sau."))
