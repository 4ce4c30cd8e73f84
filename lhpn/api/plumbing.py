"""What every API call shares: bearer-token authentication, JSON errors that name the field
at fault, and the id converter."""

from collections.abc import Callable
from typing import TypeVar

from flask import Response, current_app, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from lhpn.accounts.models import User
from lhpn.api import bp
from lhpn.errors import MAX_ID, DomainError
from lhpn.extensions import db

# Ids are 32-bit integers on PostgreSQL. A larger number in a URL cannot name anything, so it
# fails routing (404) instead of reaching the database as an out-of-range error.
ID = f"int(min=1, max={MAX_ID})"

View = TypeVar("View", bound=Callable)


def public(view: View) -> View:
    """Mark an endpoint as answering without a token (log-in, the API description)."""
    vars(view)["api_public"] = True  # its own attribute (a Callable has none to mypy)
    return view


def is_public(endpoint: str | None) -> bool:
    view = current_app.view_functions.get(endpoint or "")
    return bool(getattr(view, "api_public", False))


def caller() -> User:
    """The authenticated user of this request (the guard below has checked there is one)."""
    return current_user._get_current_object()


def bearer_token() -> str | None:
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def unauthorized() -> Response:
    response = jsonify(error={"code": "unauthorized", "message": _("Bạn cần đăng nhập.")})
    response.status_code = 401
    response.headers["WWW-Authenticate"] = 'Bearer realm="lhpn"'
    return response


@bp.before_request
def _require_token() -> Response | None:
    # lhpn.web's request loader has already turned a valid bearer token into current_user;
    # a missing, unknown, expired or revoked token, or a locked account, leaves it anonymous.
    if is_public(request.endpoint):
        return None
    if not current_user.is_authenticated:
        return unauthorized()
    if current_user.must_change_password and request.endpoint != "api.revoke_token":
        # Only log-out until the password an administrator set is changed (on the web).
        response = jsonify(error={"code": "password_change_required", "message": _(
            "Bạn cần đổi mật khẩu được cấp (trên trang web) trước khi dùng API.")})
        response.status_code = 403
        return response
    return None


@bp.errorhandler(DomainError)
def _domain_error(exc: DomainError) -> tuple[Response, int]:
    # The application-wide handler says what went wrong; an API client also needs to know
    # which field to point at.
    db.session.rollback()
    error = {"code": exc.code, "message": exc.message}
    if exc.field:
        error["field"] = exc.field
    return jsonify(error=error), exc.status


def created(body: dict, location: str | None = None) -> Response:
    response = jsonify(body)
    response.status_code = 201
    if location:
        response.headers["Location"] = location
    return response


def no_content() -> Response:
    return Response(status=204)
