"""The API contract, declared once.

Each endpoint names its body, query string and answers as pydantic models with ``@endpoint``.
From those declarations come both the checks a request goes through (``body()``, ``query()``)
and the OpenAPI 3.1 document (``document()``, built by spectree from the same models). Path
parameters are the URL rule's converters (``int(min=1, max=…)``), which spectree documents
with their bounds.

A view reads its body only after it has loaded the object of the URL and asked for the
right to it (401, 404, 403, then 400 or 422), so a body says nothing about an object the
caller may not touch: that is why validation is called by the view, not done before it.
"""

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Annotated, Any, TypeVar, overload

from flask import current_app, request
from flask_babel import gettext as _
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic import ValidationError as PydanticError
from pydantic_core import ErrorDetails, PydanticCustomError
from spectree import Response as Answers
from spectree import SecurityScheme, SecuritySchemeData, SpecTree
from spectree.models import SecureType
from werkzeug.routing import Rule

from lhpn.errors import MAX_ID, DomainError

DEFAULT_LIMIT = 500
MAX_LIMIT = 5000
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
# Stored text may hold neither NUL (PostgreSQL refuses it) nor lone surrogates (not UTF-8).
STORABLE_PATTERN = "^[^\u0000]*$"

View = TypeVar("View", bound=Callable)


class BadRequest(DomainError):
    """The request body is not a JSON object at all."""

    status = 400
    code = "bad_request"


# ---- types the models are made of ----------------------------------------------------------

def _storable(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from a "\ud800" escape
        raise PydanticCustomError("unstorable", "unstorable") from None
    if "\x00" in value:
        raise PydanticCustomError("unstorable", "unstorable")
    return value


def storable(value: str) -> bool:
    try:
        _storable(value)
    except PydanticCustomError:
        return False
    return True


def _date(value: str) -> str:
    if not re.fullmatch(DATE_PATTERN, value, flags=re.ASCII):
        raise PydanticCustomError("date_format", "date_format")
    try:
        date.fromisoformat(value)  # a day of the calendar ("format": "date"), not 2026-02-30
    except ValueError:
        raise PydanticCustomError("date_format", "date_format") from None
    return value


def Text(max_length: int | None = None, min_length: int | None = None,  # noqa: N802
         **extra: Any) -> tuple[Any, ...]:
    """What makes a string one the database can store, with the bounds given:
    ``Annotated[str, *Text(200)]``."""
    return (AfterValidator(_storable),
            Field(max_length=max_length, min_length=min_length,
                  json_schema_extra={"pattern": STORABLE_PATTERN}, **extra))


def Key(max_length: int) -> tuple[Any, ...]:  # noqa: N802
    """What makes a string an object's key, ``Annotated[str, *Key(40)]``: storable, 1 to
    ``max_length`` characters (no pattern, which JSON Schema would turn into
    patternProperties)."""
    return (AfterValidator(_storable), Field(min_length=1, max_length=max_length))


Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Date = Annotated[str, AfterValidator(_date),
                 Field(json_schema_extra={"format": "date", "pattern": DATE_PATTERN},
                       description="yyyy-mm-dd")]
# A day in the query string: empty counts as not sent there (``query``), so the document says
# so (the pattern allows it); a value that is not a day of the calendar is a 422.
QueryDate = Annotated[str, AfterValidator(_date),
                      Field(json_schema_extra={"pattern": r"^(\d{4}-\d{2}-\d{2})?$"},
                            description="yyyy-mm-dd; trống: như không gửi")]


def _digits(value: object) -> object:
    """A query-string number: ASCII digits only (no sign, no spaces, no "1.0")."""
    if isinstance(value, str):
        if not (value.isascii() and value.isdigit()) or len(value) > 10:
            raise PydanticCustomError("query_int", "query_int")
        return int(value)
    return value


def QueryInt(low: int, high: int, **extra: Any) -> tuple[Any, ...]:  # noqa: N802
    """What makes a query-string parameter a number from ``low`` to ``high``:
    ``Annotated[int, *QueryInt(1, 12)]``."""
    return (Field(ge=low, le=high, **extra), BeforeValidator(_digits))


QueryId = Annotated[int, *QueryInt(1, MAX_ID)]


def _flag(value: object) -> object:
    """A query-string yes/no: exactly "true" or "false"."""
    if value in ("true", "false"):
        return value == "true"
    if isinstance(value, str):
        raise PydanticCustomError("query_bool", "query_bool")
    return value


QueryBool = Annotated[bool, BeforeValidator(_flag),
                      Field(json_schema_extra={"description": "true hoặc false"})]
# A field left out of a request is None, while its JSON type stays the one declared (null
# itself is refused): ``name: Annotated[str, *Text(200)] = NOT_SENT``. Typed Any because the
# annotation says what a client may send, which None is not.
NOT_SENT: Any = None


class Body(BaseModel):
    """A request body: strict JSON types, unknown fields refused."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Query(BaseModel):
    """A query string: unknown parameters are ignored, the known ones checked."""

    model_config = ConfigDict(extra="ignore", strict=True)


class Page(Query):
    limit: Annotated[int, *QueryInt(1, MAX_LIMIT, description="Số mục tối đa của trang.")] = (
        DEFAULT_LIMIT)
    offset: Annotated[int, *QueryInt(0, MAX_ID, description="Bỏ qua từng ấy mục đầu.")] = 0


class Answer(BaseModel):
    """A JSON answer: exactly these fields."""

    model_config = ConfigDict(extra="forbid")


class ErrorDetail(Answer):
    code: str = Field(examples=["not_found", "invalid", "forbidden"])
    message: str = Field(description="Cho người dùng đọc (vi hoặc en).")
    field: str | None = Field(default=None, description="Trường gây lỗi, nếu có.")


class Error(Answer):
    error: ErrorDetail


# ---- the declarations -----------------------------------------------------------------------

ERRORS = {
    400: "Nội dung không phải một đối tượng JSON (hoặc không đọc được).",
    401: "Thiếu token, token sai, hết hạn, đã thu hồi, hoặc tài khoản bị khóa.",
    403: "Không có quyền với đối tượng này; hoặc (code password_change_required) phải đổi mật "
         "khẩu được cấp trên trang web trước.",
    404: "Không có, hoặc thuộc tỉnh khác.",
    405: "Phương thức không được hỗ trợ trên đường dẫn này; header Allow liệt kê các phương "
         "thức được hỗ trợ.",
    409: "Trùng mã, tên đăng nhập hoặc vai trò; đối tượng đã bị người khác thay đổi (version "
         "cũ) hoặc không ở trạng thái cho phép thao tác.",
    413: "Nội dung gửi lên quá lớn.",
    422: "Dữ liệu sai kiểu, thiếu, thừa trường, lặp tham số, hoặc vi phạm quy tắc nghiệp vụ.",
    429: "Quá nhiều yêu cầu: chờ số giây ghi trong Retry-After.",
}

_NAMED: dict[str, type] = {}


def _schema_name(model: type) -> str:
    """A model's name in the document's components: its class name, which must be unique, or
    one declaration would silently stand for another (two ``ReadQuery`` once did)."""
    name = model.__name__
    known = _NAMED.setdefault(name, model)
    if known is not model and (known.__module__, known.__qualname__) != (
            model.__module__, model.__qualname__):
        raise TypeError(f"two API models named {name}: {known.__module__} and {model.__module__}")
    return name


spec = SpecTree(
    "flask",
    mode="strict",
    annotations=False,
    title="LHPN API",
    version="1",
    description="Lập kế hoạch và báo cáo của Hội LHPN Việt Nam. Mọi lỗi trả về "
                '{"error": {"code", "message", "field"?}}; thông báo bằng tiếng Việt, hoặc '
                "tiếng Anh nếu gửi Accept-Language: en.",
    naming_strategy=_schema_name,
    nested_naming_strategy=lambda _parent, child: child,
    validation_error_model=Error,
    security_schemes=[SecurityScheme(name="bearerAuth",
                                     data=SecuritySchemeData(type=SecureType.HTTP,
                                                             scheme="bearer"))],
    security={"bearerAuth": []},
)


@dataclass(frozen=True)
class Contract:
    summary: str
    body: type[Body] | None
    query: type[Query] | None
    body_optional: bool
    public: bool
    statuses: tuple[int, ...]


def endpoint(summary: str, *, ok: dict[int, Any], body: type[Body] | None = None,
             query: type[Query] | None = None, errors: str = "", public: bool = False,
             body_optional: bool = False, form: type[BaseModel] | None = None
             ) -> Callable[[View], View]:
    """Declare an endpoint: ``summary`` (Vietnamese, the rules the schemas cannot say),
    ``ok`` {status: answer model or None}, ``body`` and ``query`` models, and ``errors`` the
    error statuses it may answer besides those every endpoint may (401 unless ``public``,
    405, 413 with a body, 422 with a body or query string). ``form`` declares a
    multipart/form-data body instead (a file upload, read by the view itself)."""
    codes = {int(code) for code in errors.split()} | {405}
    if not public:
        codes.add(401)
    if body is not None:
        codes |= {400, 413, 422}
    if form is not None:
        codes |= {413, 422}
    if query is not None:
        codes.add(422)
    answers: dict[str, Any] = {}
    for status, model in ok.items():
        answers[f"HTTP_{status}"] = (model, "Thành công.") if model else None
    for status in sorted(codes):
        answers[f"HTTP_{status}"] = (Error, ERRORS[status])

    def wrap(view: View) -> View:
        declared_contract = Contract(summary, body, query, body_optional, public,
                                     tuple(sorted(set(ok) | codes)))
        # The marks are the function's own attributes (vars(): a Callable has none to mypy).
        vars(view)["api_contract"] = declared_contract
        if public:
            vars(view)["api_public"] = True
        # skip_validation: spectree only reads the declarations for the document; the view
        # validates with the same models once access is settled (see the module's text).
        declared = spec.validate(json=body, query=query, form=form, resp=Answers(**answers),
                                 skip_validation=True, security=[] if public else None,
                                 operation_id=view.__name__)(view)
        vars(declared)["api_contract"] = declared_contract
        if public:
            vars(declared)["api_public"] = True
        return declared

    return wrap


def contract() -> Contract:
    return _contract_of(current_app.view_functions[request.endpoint or ""])


def _contract_of(view: Callable) -> Contract:
    """What ``@endpoint`` declared for ``view``."""
    declared: Contract = vars(view)["api_contract"]
    return declared


# ---- reading a request ------------------------------------------------------------------------

def _where(loc: tuple) -> str:
    where = ""
    for part in loc:
        if isinstance(part, int):
            where += f"[{part}]"
        else:
            where += f".{part}" if where else str(part)
    return where


def _bounds(model: type[BaseModel], name: str) -> tuple[int, int]:
    low, high = 0, MAX_ID
    field = model.model_fields.get(name)
    for item in field.metadata if field else ():
        ge, le = getattr(item, "ge", None), getattr(item, "le", None)
        low = ge if ge is not None else low
        high = le if le is not None else high
    return low, high


def _message(error: ErrorDetails, name: str, *, in_query: bool,  # noqa: PLR0911, PLR0912, C901
             bounds: tuple[int, int] = (0, MAX_ID)) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "refused":  # a validator's own words (see ``refused``)
        return ctx["message"]
    if kind == "missing":
        return _("Thiếu trường %(name)s.", name=name)
    if kind == "extra_forbidden":
        return _("Trường không được hỗ trợ: %(names)s.", names=name)
    if kind == "unstorable":
        if in_query:
            return _("Tham số %(name)s chứa ký tự không hợp lệ.", name=name)
        return _("Trường %(name)s chứa ký tự không hợp lệ.", name=name)
    if kind == "date_format":
        return _("Ngày không hợp lệ (định dạng yyyy-mm-dd).")
    if kind == "query_bool":
        return _("Tham số %(name)s phải là true hoặc false.", name=name)
    if kind in ("query_int", "int_parsing") or (in_query and kind.startswith(("greater", "less"))):
        return _("Tham số %(name)s phải là số nguyên từ %(low)d đến %(high)d.", name=name,
                 low=bounds[0], high=bounds[1])
    if kind == "string_type":
        return _("Trường %(name)s phải là chuỗi ký tự.", name=name)
    if kind == "bool_type":
        return _("Trường %(name)s phải là true hoặc false.", name=name)
    if kind in ("int_type", "int_from_float"):
        return _("Trường %(name)s phải là số nguyên.", name=name)
    if kind in ("float_type", "float_parsing"):
        return _("Trường %(name)s phải là một số.", name=name)
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return _("Trường %(name)s nằm ngoài giới hạn cho phép.", name=name)
    if kind == "list_type":
        return _("Trường %(name)s phải là một danh sách.", name=name)
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return _("Trường %(name)s phải là một đối tượng JSON.", name=name)
    if kind == "string_too_long":
        return _("Trường %(name)s dài quá %(n)d ký tự.", name=name, n=ctx.get("max_length", 0))
    if kind == "string_too_short":
        return _("Trường %(name)s không được để trống.", name=name)
    if kind == "string_pattern_mismatch":
        return _("Trường %(name)s không đúng định dạng.", name=name)
    if kind in ("too_short", "too_long") and isinstance(error.get("input"), str):
        # Text()'s validator before its bounds makes pydantic name a string's bounds so.
        if kind == "too_short":
            return _("Trường %(name)s không được để trống.", name=name)
        return _("Trường %(name)s dài quá %(n)d ký tự.", name=name, n=ctx.get("max_length", 0))
    if kind in ("too_short", "too_long"):
        return _("Trường %(name)s có số phần tử không hợp lệ.", name=name)
    if kind in ("literal_error", "enum"):
        expected = ctx.get("expected", "")
        if in_query:
            return _("Tham số %(name)s phải là một trong: %(values)s.", name=name,
                     values=expected)
        return _("Trường %(name)s phải là một trong: %(values)s.", name=name, values=expected)
    return _("Trường %(name)s không hợp lệ.", name=name)


def refused(message: str, field: str) -> PydanticCustomError:
    """An error a validator raises with its own message and the field to name."""
    return PydanticCustomError("refused", "{message}", {"message": message, "field": field})


def _plain(loc: tuple) -> tuple:
    """The field's place without pydantic's own steps (validator functions, union tags)."""
    if "[key]" in loc:  # a bad key of an object: name the object, never echo the key
        loc = loc[:loc.index("[key]") - 1]
    return tuple(part for part in loc
                 if not (isinstance(part, str) and part.startswith(("function-", "tagged"))))


def _refuse(model: type[BaseModel], exc: PydanticError, *, in_query: bool) -> DomainError:
    errors = exc.errors(include_url=False)
    # Unknown fields first (a misspelt "lock": true must not answer about something else),
    # then in the order of the model.
    errors.sort(key=lambda error: error["type"] != "extra_forbidden")
    first = errors[0]
    name = _where(_plain(first["loc"]))
    if first["type"] == "extra_forbidden":
        names = [_where(_plain(e["loc"])) for e in errors if e["type"] == "extra_forbidden"]
        return DomainError(_message(first, ", ".join(sorted(names)), in_query=in_query),
                           sorted(names)[0])
    field = (first.get("ctx") or {}).get("field", name)
    return DomainError(_message(first, name, in_query=in_query, bounds=_bounds(model, name)),
                       field or None)


ModelT = TypeVar("ModelT", bound=BaseModel)


def validate(model: type[ModelT], data: object, *, in_query: bool = False) -> ModelT:
    try:
        return model.model_validate(data)
    except PydanticError as exc:
        raise _refuse(model, exc, in_query=in_query) from None


@overload
def body(model: type[ModelT]) -> ModelT: ...
@overload
def body(model: None = None) -> Body: ...
def body(model: type[BaseModel] | None = None) -> BaseModel:
    """The request body, as the endpoint declared it (``model`` for a body whose shape
    depends on the object, such as a report's values)."""
    declared = contract()
    chosen = _declared(model or declared.body, "body")
    raw = request.get_data(cache=True)
    if not raw and declared.body_optional:
        return chosen()
    # Read through the application's JSON provider, which refuses nesting deeper than
    # lhpn.web.MAX_JSON_DEPTH with a 400 (never a RecursionError).
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadRequest(
            _("Nội dung yêu cầu phải là một đối tượng JSON (Content-Type: application/json).")
        )
    return validate(chosen, data)


def peek_id(name: str) -> int | None:
    """The id in field ``name`` of the body, if it is one, before the body is judged: the
    object it names is loaded and the right to it asked first (404, 403 before 422)."""
    data = request.get_json(silent=True)
    value = data.get(name) if isinstance(data, dict) else None
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID:
        return value
    return None


@overload
def query(model: type[ModelT]) -> ModelT: ...
@overload
def query(model: None = None) -> Query: ...
def query(model: type[BaseModel] | None = None) -> BaseModel:
    """The query string, as the endpoint declared it. A parameter sent twice is refused (which
    one would count?); an empty one counts as not sent."""
    chosen = _declared(model or contract().query, "query string")
    args: dict[str, str] = {}
    for name, values in request.args.lists():
        if len(values) > 1:
            raise DomainError(_("Tham số %(name)s chỉ được gửi một lần.", name=name), name)
        if values[0].strip():
            args[name] = values[0].strip()
    return validate(chosen, args, in_query=True)


def _declared(model: type[BaseModel] | None, what: str) -> type[BaseModel]:
    if model is None:  # a view that reads what its endpoint did not declare: a bug
        raise TypeError(f"{request.endpoint} declares no {what}")
    return model


def nothing_sent(model: type[Body], but: str = "") -> None:
    names = [name for name in model.model_fields if name not in but.split()]
    raise DomainError(_("Hãy gửi ít nhất một trong các trường: %(names)s.",
                        names=", ".join(names)))


# ---- the document -------------------------------------------------------------------------------

RETRY_AFTER = {"Retry-After": {"description": "Số giây phải chờ.",
                               "schema": {"type": "integer", "minimum": 1}}}
ALLOW = {"Allow": {"description": "Các phương thức được hỗ trợ.", "schema": {"type": "string"}}}
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@cache
def _document(app_name: str) -> dict:
    del app_name  # the key of the cache: one document per application
    document = json.loads(json.dumps(spec.spec))
    document["servers"] = [{"url": "/api/v1"}]
    paths = {}
    for path, item in document["paths"].items():
        short = path.removeprefix("/api/v1")
        for method, operation in item.items():
            if method not in METHODS:
                continue
            rule = _rule_of(path, method)
            declared = _contract_of(current_app.view_functions[rule.endpoint])
            operation["summary"] = declared.summary.split("\n\n")[0]
            operation["description"] = declared.summary
            operation.pop("tags", None)
            if declared.public:
                operation["security"] = []
            if declared.body_optional and "requestBody" in operation:
                operation["requestBody"]["required"] = False
            for status, answer in operation["responses"].items():
                if status == "429":
                    answer["headers"] = RETRY_AFTER
                if status == "405":
                    answer["headers"] = ALLOW
            for parameter in operation.get("parameters", []):
                # spectree reads werkzeug's string(maxlength=…) under another spelling.
                bound = re.search(rf"string\(maxlength=(\d+)\):{parameter['name']}>", rule.rule)
                if parameter["in"] == "path" and bound:
                    parameter["schema"]["maxLength"] = int(bound.group(1))
                if not parameter.get("description"):
                    parameter.pop("description", None)
        paths[short] = item
    document["paths"] = paths
    document.pop("tags", None)
    _drop_null_defaults(document)
    return document


def _drop_null_defaults(node: object) -> None:
    """A field left out means "not sent", which pydantic writes as a default of None even where
    null itself is refused; the document must not offer null there."""
    if isinstance(node, dict):
        if "default" in node and node["default"] is None and not _allows_null(node):
            del node["default"]
        for value in node.values():
            _drop_null_defaults(value)
    elif isinstance(node, list):
        for value in node:
            _drop_null_defaults(value)


def _allows_null(schema: dict) -> bool:
    kinds = schema.get("type")
    if kinds == "null" or (isinstance(kinds, list) and "null" in kinds):
        return True
    return any(option.get("type") == "null" for option in schema.get("anyOf", []))


def _rule_of(path: str, method: str) -> Rule:
    for rule in current_app.url_map.iter_rules():
        if method.upper() in (rule.methods or ()) and _openapi_path(rule.rule) == path:
            return rule
    raise LookupError(path)


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def document() -> dict:
    return _document(current_app.import_name)


def operations_table(document: dict) -> str:
    """The README's list of operations, written from the document (tests/test_api_contract.py
    fails when the README differs; ``python scripts/api_readme.py`` rewrites it)."""
    lines = ["| method | path | what |", "|---|---|---|"]
    for path, item in sorted(document["paths"].items()):
        for method in METHODS:
            if method in item:
                summary = item[method]["summary"].replace("|", "\\|")
                lines.append(f"| {method.upper()} | `{path}` | {summary} |")
    return "\n".join(lines)
