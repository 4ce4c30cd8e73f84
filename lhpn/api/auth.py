"""Bearer tokens for API clients, and who the caller is."""

from flask import Response, jsonify, request
from flask_babel import gettext as _

from lhpn.accounts import services
from lhpn.accounts.models import User
from lhpn.accounts.services import LoginThrottled, PasswordChangeRequired
from lhpn.api import bp
from lhpn.api.payload import json_object, text_field
from lhpn.api.plumbing import bearer_token, caller, no_content, public
from lhpn.api.users import user_detail
from lhpn.extensions import db
from lhpn.tenants.models import Tenant
from lhpn.web import too_many_requests


@bp.post("/auth/token")
@public
def issue_token() -> Response:
    data = json_object(required=("username", "password"))
    username, password = text_field(data, "username"), text_field(data, "password")
    try:
        user = services.authenticate(username, password, request.remote_addr)
    except LoginThrottled as exc:
        db.session.commit()  # the audit entry of a limit that tripped
        return too_many_requests(exc.message, exc.retry_after)
    if user.must_change_password:
        # A password an administrator set is for changing on the web, not for working with.
        raise PasswordChangeRequired(_("Bạn cần đổi mật khẩu được cấp (trên trang web) trước "
                                       "khi nhận mã truy cập API."))
    token = services.issue_token(user)
    db.session.commit()
    response = jsonify(token=token)
    response.headers["Cache-Control"] = "no-store"  # a credential must not sit in a cache
    return response


@bp.post("/auth/logout")
def revoke_token() -> Response:
    services.revoke_token(bearer_token())
    db.session.commit()
    return no_content()


@bp.get("/me")
def me() -> Response:
    user = caller()
    return jsonify(user_detail(user) | {"tenant": _tenant_of(user)})


def _tenant_of(user: User) -> dict | None:
    """The caller's province union; None for the system administrator, who has none."""
    tenant = db.session.get(Tenant, user.tenant_id) if user.tenant_id is not None else None
    if tenant is None:
        return None
    return {"code": tenant.code, "name": tenant.name, "levels": tenant.levels}
