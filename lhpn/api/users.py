"""User and role management over the API: the same services and checks as
lhpn/accounts/admin_views.py."""

from typing import TYPE_CHECKING, Annotated, Literal

from flask import Response, jsonify, url_for
from pydantic import ConfigDict, Field

from lhpn import authz
from lhpn.access import load_unit
from lhpn.accounts import services
from lhpn.accounts.models import User as UserRow
from lhpn.api import bp
from lhpn.api.contract import (
    NOT_SENT,
    Answer,
    Body,
    Id,
    Page,
    Text,
    body,
    endpoint,
    nothing_sent,
    query,
)
from lhpn.api.plumbing import ID, caller, created, no_content
from lhpn.extensions import db
from lhpn.units.models import Unit

if TYPE_CHECKING:
    Role = str  # read from policies/ when the module loads, which a type checker cannot do
else:
    Role = Literal[authz.tenant_roles()]


class User(Answer):
    id: Id
    username: str
    full_name: str
    locked: bool
    unit_id: Id | None
    email: str | None = Field(max_length=254, description=(
        "Nhận bản sao thông báo qua e-mail khi hệ thống có SMTP."))


class RoleAssignment(Answer):
    id: Id
    role: Role
    unit_id: Id


class UserDetail(User):
    roles: list[RoleAssignment]


class UserList(Answer):
    items: list[User]


class UserQuery(Page):
    q: Annotated[str, *Text(200)] = Field(default=NOT_SENT, description=(
        "Tìm theo tên đăng nhập hoặc họ tên."))


Email = Annotated[str, *Text(254)]


class NewUser(Body):
    # The service lowers the case before it checks services.USERNAME_RE.
    username: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$", description=(
        "3–64 ký tự: chữ không dấu (lưu chữ thường), số, dấu chấm, gạch dưới, gạch ngang; "
        "trùng: 409."))]
    password: Annotated[str, *Text(1000, 1)] = Field(description=(
        "Theo quy tắc mật khẩu của hệ thống (422)."))
    full_name: Annotated[str, *Text(200)] = ""
    unit_id: Id = Field(default=NOT_SENT, description=(
        "Mặc định: đơn vị của vai trò đầu tiên cho phép người gọi quản lý."))
    email: Email | None = Field(default=None, description="null hoặc \"\" để bỏ địa chỉ.")


class UserChanges(Body):
    model_config = ConfigDict(json_schema_extra={"minProperties": 1})

    locked: bool = Field(default=NOT_SENT, description=(
        "Khóa cũng kết thúc mọi phiên và token của người dùng. Không ai tự khóa mình (422)."))
    full_name: Annotated[str, *Text(200)] = NOT_SENT
    email: Email | None = Field(default=None, description="null hoặc \"\" để bỏ địa chỉ.")


class NewRoleAssignment(Body):
    role: Role
    unit_id: Id


def user_detail(user: UserRow) -> dict:
    roles = sorted(user.assignments, key=lambda assignment: assignment.id)
    return user.to_dict() | {"roles": [assignment.to_dict() for assignment in roles]}


def _require_admin() -> None:
    """User management is for those who manage some unit, as on the pages."""
    if not authz.reaches_any(caller(), "manage"):
        raise authz.Forbidden("manage")


def _load_user(user_id: int) -> UserRow:
    """Another tenant's user is 404; a user the caller may not wholly manage is 403."""
    user = services.get_user(caller().tenant_id, user_id)
    authz.require_manage_user(caller(), user)
    return user


def _default_unit(actor: UserRow) -> Unit:
    """Where a new user works when the request does not say: the unit of the caller's first
    role that lets them manage that unit."""
    for assignment in sorted(actor.assignments, key=lambda a: a.id):
        if authz.can(actor, "manage", assignment.unit):
            return assignment.unit
    raise authz.Forbidden("manage")


@bp.get("/users")
@endpoint("Người dùng người gọi quản lý được: đơn vị công tác và mọi vai trò của họ đều trong "
          "phạm vi quản lý của người gọi.", ok={200: UserList}, query=UserQuery,
          errors="403")
def list_users() -> Response:
    _require_admin()
    args = query(UserQuery)
    stmt = services.managed_users(caller(), args.q)
    users = db.session.scalars(stmt.limit(args.limit).offset(args.offset))
    return jsonify(items=[user.to_dict() for user in users])


@bp.post("/users")
@endpoint("Tạo người dùng; họ phải đổi mật khẩu khi đăng nhập trang web.",
          ok={201: User}, body=NewUser, errors="403 404 409")
def create_user() -> Response:
    _require_admin()
    data = body(NewUser)
    unit = (load_unit(data.unit_id, "manage") if data.unit_id is not None
            else _default_unit(caller()))
    user = services.create_user(caller(), tenant_id=caller().tenant_id, username=data.username,
                                password=data.password, full_name=data.full_name, unit=unit,
                                email=data.email)
    # The administrator chose this password, so its owner must replace it (as on the pages).
    user.must_change_password = True
    db.session.commit()
    return created(user.to_dict(), url_for(".get_user", user_id=user.id))


@bp.get(f"/users/<{ID}:user_id>")
@endpoint("Một người dùng và vai trò của họ.", ok={200: UserDetail}, errors="403 404")
def get_user(user_id: int) -> Response:
    return jsonify(user_detail(_load_user(user_id)))


@bp.patch(f"/users/<{ID}:user_id>")
@endpoint("Khóa, mở khóa, đổi họ tên, e-mail.\n\nGửi ít nhất một trường. Không ai tự khóa "
          "mình (422).", ok={200: UserDetail}, body=UserChanges, errors="403 404")
def update_user(user_id: int) -> Response:
    user = _load_user(user_id)
    data = body(UserChanges)
    sent = data.model_fields_set
    if not sent:
        nothing_sent(UserChanges)
    if data.full_name is not None:
        services.set_full_name(caller(), user, data.full_name)
    if "email" in sent:
        # null or "" removes the address.
        services.set_email(caller(), user, data.email)
    if data.locked is not None:
        # Locking also ends the user's sessions and API tokens.
        services.set_locked(caller(), user, data.locked)
    db.session.commit()
    return jsonify(user_detail(user))


@bp.post(f"/users/<{ID}:user_id>/roles")
@endpoint("Phân vai trò tại một đơn vị người gọi quản lý.\n\nKhông ai tự phân vai trò cho "
          "mình (422). Vai trò đã có: 409.", ok={201: RoleAssignment}, body=NewRoleAssignment,
          errors="403 404 409")
def assign_role(user_id: int) -> Response:
    user = _load_user(user_id)
    # Never one's own roles (422), whatever the body says.
    authz.require_change_roles_of(caller(), user)
    data = body(NewRoleAssignment)
    # Granting a role at a unit is managing that unit, wherever the user works.
    unit = load_unit(data.unit_id, "manage")
    assignment = services.assign_role(caller(), user, data.role, unit)
    db.session.commit()
    return created(assignment.to_dict())


@bp.delete(f"/users/<{ID}:user_id>/roles/<{ID}:assignment_id>")
@endpoint("Thu hồi vai trò.\n\nKhông ai tự thu hồi vai trò của mình (422).", ok={204: None},
          errors="403 404 422")
def revoke_role(user_id: int, assignment_id: int) -> Response:
    user = _load_user(user_id)
    assignment = services.get_assignment(user, assignment_id)
    authz.require(caller(), "manage", assignment.unit)
    authz.require_change_roles_of(caller(), user)
    services.revoke_role(caller(), assignment)
    db.session.commit()
    return no_content()
