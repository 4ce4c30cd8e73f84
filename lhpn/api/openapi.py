"""The API's OpenAPI 3.1 description, written by hand next to the views it describes.

tests/test_api.py checks that every route here is documented and every documented route
exists, and validates real answers against these schemas.
"""

from functools import cache

from flask import Response, jsonify

from lhpn.accounts.models import ROLES
from lhpn.api import bp
from lhpn.api.payload import DEFAULT_LIMIT, MAX_LIMIT
from lhpn.api.plumbing import MAX_ID, public
from lhpn.tenants.models import LEVELS


@bp.get("/openapi.json")
@public
def openapi_document() -> Response:
    return jsonify(document())


# ---- building blocks ------------------------------------------------------------------------

def _ref(kind: str, name: str) -> dict:
    return {"$ref": f"#/components/{kind}/{name}"}


def _schema(name: str) -> dict:
    return _ref("schemas", name)


def _object(properties: dict, required: list[str] | None = None, **extra) -> dict:
    """A closed JSON object: answers carry exactly these fields, bodies may send no others."""
    return {"type": "object", "properties": properties, "required": required or [],
            "additionalProperties": False, **extra}


def _list_of(name: str) -> dict:
    return _object({"items": {"type": "array", "items": _schema(name)}}, ["items"])


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
NULLABLE_ID = {"type": ["integer", "null"], "minimum": 1, "maximum": MAX_ID}

USER_FIELDS = {
    "id": ID_SCHEMA,
    "username": {"type": "string"},
    "full_name": {"type": "string"},
    "locked": {"type": "boolean"},
    "unit_id": NULLABLE_ID,
}
USER_REQUIRED = list(USER_FIELDS)
ROLES_FIELD = {"roles": {"type": "array", "items": _schema("RoleAssignment")}}


def _schemas() -> dict:
    return {
        "Error": _object({"error": _object({
            "code": {"type": "string", "examples": ["not_found", "invalid", "forbidden"]},
            "message": {"type": "string", "description": "Cho người dùng đọc (vi hoặc en)."},
            "field": {"type": "string", "description": "Trường gây lỗi, nếu có."},
        }, ["code", "message"])}, ["error"]),
        "Credentials": _object({"username": {"type": "string"},
                                "password": {"type": "string"}}, ["username", "password"]),
        "Token": _object({"token": {"type": "string"}}, ["token"]),
        "Tenant": _object({
            "code": {"type": "string"},
            "name": {"type": "string"},
            "levels": {"type": "array", "items": {"enum": list(LEVELS)}},
        }, ["code", "name", "levels"]),
        "Unit": _object({
            "id": ID_SCHEMA,
            "name": {"type": "string"},
            "code": {"type": "string"},
            "level": {"enum": list(LEVELS)},
            "parent_id": NULLABLE_ID,
            "closed": {"type": "boolean"},
        }, ["id", "name", "code", "level", "parent_id", "closed"]),
        "UnitList": _list_of("Unit"),
        "NewUnit": _object({
            "name": {"type": "string", "maxLength": 200},
            "level": {"enum": list(LEVELS)},
            "parent_id": ID_SCHEMA,
            "code": {"type": ["string", "null"], "maxLength": 64,
                     "description": "Bỏ trống để hệ thống tự sinh mã."},
        }, ["name", "level", "parent_id"]),
        "UnitChanges": _object({
            "name": {"type": "string", "maxLength": 200},
            "closed": {"type": "boolean", "description": "true: giải thể; false: mở lại."},
        }, minProperties=1),
        "UnitMove": _object({"parent_id": ID_SCHEMA}, ["parent_id"]),
        "User": _object(USER_FIELDS, USER_REQUIRED),
        "UserDetail": _object(USER_FIELDS | ROLES_FIELD, [*USER_REQUIRED, "roles"]),
        "Me": _object(
            USER_FIELDS | ROLES_FIELD | {
                "tenant": {"anyOf": [_schema("Tenant"), {"type": "null"}],
                           "description": "null cho quản trị hệ thống."},
            },
            [*USER_REQUIRED, "roles", "tenant"],
        ),
        "UserList": _list_of("User"),
        "NewUser": _object({
            "username": {"type": "string", "pattern": "^[a-z0-9][a-z0-9._-]{2,63}$"},
            "password": {"type": "string"},
            "full_name": {"type": "string", "maxLength": 200},
            "unit_id": {**ID_SCHEMA, "description":
                        "Mặc định: đơn vị của vai trò đầu tiên cho phép người gọi quản lý."},
        }, ["username", "password"]),
        "UserChanges": _object({
            "locked": {"type": "boolean",
                       "description": "Khóa cũng kết thúc mọi phiên và token của người dùng."},
            "full_name": {"type": "string", "maxLength": 200},
        }, minProperties=1),
        "RoleAssignment": _object({"id": ID_SCHEMA, "role": {"enum": list(ROLES)},
                                   "unit_id": ID_SCHEMA}, ["id", "role", "unit_id"]),
        "NewRoleAssignment": _object({"role": {"enum": list(ROLES)}, "unit_id": ID_SCHEMA},
                                     ["role", "unit_id"]),
    }


ERRORS = {
    "400": ("BadRequest", "Nội dung không phải một đối tượng JSON."),
    "401": ("Unauthorized", "Thiếu token, token sai, hết hạn, đã thu hồi, hoặc tài khoản bị khóa."),
    "403": ("Forbidden", "Không có quyền với đối tượng này."),
    "404": ("NotFound", "Không có, hoặc thuộc tỉnh khác."),
    "409": ("Conflict", "Trùng mã, tên đăng nhập hoặc vai trò."),
    "422": ("Invalid", "Dữ liệu sai kiểu, thiếu, hoặc vi phạm quy tắc nghiệp vụ."),
}


def _parameters() -> dict:
    def path_id(name: str, what: str) -> dict:
        return {"name": name, "in": "path", "required": True, "schema": ID_SCHEMA,
                "description": what}

    return {
        "unit_id": path_id("unit_id", "Mã số đơn vị."),
        "user_id": path_id("user_id", "Mã số người dùng."),
        "assignment_id": path_id("assignment_id", "Mã số phân quyền."),
        "limit": {"name": "limit", "in": "query", "schema": {
            "type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}},
        "offset": {"name": "offset", "in": "query", "schema": {
            "type": "integer", "minimum": 0, "maximum": MAX_ID, "default": 0}},
        "q": {"name": "q", "in": "query", "schema": {"type": "string"},
              "description": "Tìm theo tên (không phân biệt hoa thường, có dấu hay không) "
                             "hoặc mã."},
        "parent": {"name": "parent", "in": "query", "schema": ID_SCHEMA,
                   "description": "Chỉ các đơn vị trực thuộc đơn vị này."},
    }


def _operation(summary: str, ok: tuple[str, dict | None], *, errors: str = "",
               body: str | None = None, params: tuple[str, ...] = (),
               public_op: bool = False) -> dict:
    """``ok`` is (status, schema or None); ``errors`` the error statuses, e.g. "403 404"."""
    status, schema = ok
    responses = {status: _json(schema, "Thành công.") if schema else {"description":
                                                                       "Thành công."}}
    codes = errors.split() + ([] if public_op else ["401"])
    for code in sorted(set(codes)):
        responses[code] = _ref("responses", ERRORS[code][0])
    operation: dict = {"summary": summary, "responses": responses}
    if params:
        operation["parameters"] = [_ref("parameters", name) for name in params]
    if body:
        operation["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": _schema(body)}}}
    if public_op:
        operation["security"] = []
    return operation


def _paths() -> dict:
    unit = _schema("Unit")
    user_detail = _schema("UserDetail")
    return {
        "/auth/token": {"post": _operation(
            "Đăng nhập, nhận token (gửi lại trong Authorization: Bearer TOKEN).",
            ("200", _schema("Token")), errors="400 401 422", body="Credentials",
            public_op=True)},
        "/auth/logout": {"post": _operation("Thu hồi token đang dùng.", ("204", None))},
        "/me": {"get": _operation("Người đang gọi: vai trò và tỉnh.", ("200", _schema("Me")))},
        "/units": {
            "get": _operation("Các đơn vị người gọi được xem, theo thứ tự cây.",
                              ("200", _schema("UnitList")), errors="422",
                              params=("parent", "q", "limit", "offset")),
            "post": _operation("Tạo đơn vị (cần quyền quản lý đơn vị cấp trên).",
                               ("201", unit), errors="400 403 404 409 422", body="NewUnit"),
        },
        "/units/{unit_id}": {
            "parameters": [_ref("parameters", "unit_id")],
            "get": _operation("Một đơn vị.", ("200", unit), errors="403 404"),
            "patch": _operation("Đổi tên, giải thể hoặc mở lại đơn vị.", ("200", unit),
                                errors="400 403 404 409 422", body="UnitChanges"),
        },
        "/units/{unit_id}/move": {
            "parameters": [_ref("parameters", "unit_id")],
            "post": _operation("Chuyển đơn vị (cần quyền quản lý cả đơn vị và nơi đến).",
                               ("200", unit), errors="400 403 404 422", body="UnitMove"),
        },
        "/users": {
            "get": _operation("Người dùng thuộc các đơn vị người gọi quản lý.",
                              ("200", _schema("UserList")), errors="403 422",
                              params=("q", "limit", "offset")),
            "post": _operation("Tạo người dùng; họ phải đổi mật khẩu khi đăng nhập trang web.",
                               ("201", _schema("User")), errors="400 403 404 409 422",
                               body="NewUser"),
        },
        "/users/{user_id}": {
            "parameters": [_ref("parameters", "user_id")],
            "get": _operation("Một người dùng và vai trò của họ.", ("200", user_detail),
                              errors="403 404"),
            "patch": _operation("Khóa, mở khóa, đổi họ tên.", ("200", user_detail),
                                errors="400 403 404 422", body="UserChanges"),
        },
        "/users/{user_id}/roles": {
            "parameters": [_ref("parameters", "user_id")],
            "post": _operation("Phân vai trò tại một đơn vị người gọi quản lý.",
                               ("201", _schema("RoleAssignment")),
                               errors="400 403 404 409 422", body="NewRoleAssignment"),
        },
        "/users/{user_id}/roles/{assignment_id}": {
            "parameters": [_ref("parameters", "user_id"), _ref("parameters", "assignment_id")],
            "delete": _operation("Thu hồi vai trò.", ("204", None), errors="403 404 422"),
        },
        "/openapi.json": {"get": {
            "summary": "Tài liệu này.", "security": [],
            "responses": {"200": _json({"type": "object"}, "Tài liệu OpenAPI 3.1.")},
        }},
    }


@cache
def document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "LHPN API",
            "version": "1",
            "description": "Lập kế hoạch và báo cáo của Hội LHPN Việt Nam. Mọi lỗi trả về "
                           '{"error": {"code", "message", "field"?}}; thông báo bằng tiếng '
                           "Việt, hoặc tiếng Anh nếu gửi Accept-Language: en.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "paths": _paths(),
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            "schemas": _schemas(),
            "parameters": _parameters(),
            "responses": {name: _json(_schema("Error"), text)
                          for name, text in ERRORS.values()},
        },
    }
