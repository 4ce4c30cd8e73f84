"""Bearer tokens for API clients, and who the caller is."""

from typing import Annotated

from flask import Response, jsonify, request
from flask_babel import gettext as _
from pydantic import Field

from lhpn.accounts import services
from lhpn.accounts.models import User
from lhpn.accounts.services import LoginThrottled, PasswordChangeRequired
from lhpn.api import bp
from lhpn.api.contract import Answer, Body, Text, body, endpoint
from lhpn.api.plumbing import bearer_token, caller, no_content
from lhpn.api.users import RoleAssignment, UserDetail, user_detail
from lhpn.extensions import db
from lhpn.tenants.models import Level, Tenant
from lhpn.web import too_many_requests


class Credentials(Body):
    username: Annotated[str, *Text(1000)]
    password: Annotated[str, *Text(1000)]


class Token(Answer):
    token: str


class TenantInfo(Answer):
    code: str
    name: str
    levels: list[Level]


class Me(UserDetail):
    roles: list[RoleAssignment]
    tenant: TenantInfo | None = Field(description="null cho quản trị hệ thống.")


@bp.post("/auth/token")
@endpoint("Đăng nhập, nhận token (gửi lại trong Authorization: Bearer TOKEN).\n\n"
          "Sai tên hoặc mật khẩu, tài khoản bị khóa: 401. Mật khẩu do quản trị cấp phải đổi trên "
          "trang web trước: 403. Quá nhiều lần sai: 429 với Retry-After.",
          ok={200: Token}, body=Credentials, errors="401 403 429", public=True)
def issue_token() -> Response:
    data = body(Credentials)
    try:
        user = services.authenticate(data.username, data.password, request.remote_addr)
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
@endpoint("Thu hồi token đang dùng.", ok={204: None})
def revoke_token() -> Response:
    services.revoke_token(bearer_token())
    db.session.commit()
    return no_content()


@bp.get("/me")
@endpoint("Người đang gọi: vai trò và tỉnh.", ok={200: Me})
def me() -> Response:
    user = caller()
    return jsonify(user_detail(user) | {"tenant": _tenant_of(user)})


def _tenant_of(user: User) -> dict | None:
    """The caller's province union; None for the system administrator, who has none."""
    tenant = db.session.get(Tenant, user.tenant_id) if user.tenant_id is not None else None
    if tenant is None:
        return None
    return {"code": tenant.code, "name": tenant.name, "levels": tenant.levels}
