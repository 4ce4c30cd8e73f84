"""Reading request bodies and query parameters strictly.

A body of the wrong shape is refused before any service runs, with a message naming the
field, so bad input changes nothing and never reaches the database as a crash (PostgreSQL
refuses NUL characters, lone surrogates and ids beyond 32 bits with errors, not answers).
"""

from flask import request
from flask_babel import gettext as _

from lhpn.api.plumbing import MAX_ID
from lhpn.errors import DomainError
from lhpn.params import query_int

DEFAULT_LIMIT = 500
MAX_LIMIT = 5000


class BadRequest(DomainError):
    """The request body is not a JSON object at all."""

    status = 400
    code = "bad_request"


def json_object(
    *, required: tuple[str, ...] = (), optional: tuple[str, ...] = (), nonempty: bool = False
) -> dict:
    """The JSON object sent, holding every ``required`` field and nothing unknown.

    Unknown fields are refused rather than ignored: a misspelt ``"lock": true`` would
    otherwise answer 200 and change nothing.
    """
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadRequest(
            _("Nội dung yêu cầu phải là một đối tượng JSON (Content-Type: application/json).")
        )
    unknown = sorted(set(data) - set(required) - set(optional))
    if unknown:
        raise DomainError(
            _("Trường không được hỗ trợ: %(names)s.", names=", ".join(unknown)), unknown[0]
        )
    for name in required:
        if name not in data:
            raise DomainError(_("Thiếu trường %(name)s.", name=name), name)
    if nonempty and not data:
        raise DomainError(_("Hãy gửi ít nhất một trong các trường: %(names)s.",
                            names=", ".join(required + optional)))
    return data


def _storable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from a "\ud800" escape
        return False
    return "\x00" not in value


def text_field(data: dict, name: str, *, nullable: bool = False) -> str | None:
    """The string in ``data[name]``; None when absent (or null, if ``nullable``)."""
    value = data.get(name)
    if value is None and (nullable or name not in data):
        return None
    if not isinstance(value, str):
        raise DomainError(_("Trường %(name)s phải là chuỗi ký tự.", name=name), name)
    if not _storable(value):
        raise DomainError(_("Trường %(name)s chứa ký tự không hợp lệ.", name=name), name)
    return value


def flag_field(data: dict, name: str) -> bool | None:
    if name not in data:
        return None
    value = data[name]
    if not isinstance(value, bool):
        raise DomainError(_("Trường %(name)s phải là true hoặc false.", name=name), name)
    return value


def id_field(data: dict, name: str) -> int | None:
    if name not in data:
        return None
    value = data[name]
    # bool is an int in Python; true must not quietly mean unit 1.
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        raise DomainError(_("Trường %(name)s phải là một mã số (số nguyên dương).", name=name),
                          name)
    return value


def query_text(name: str) -> str | None:
    value = (request.args.get(name) or "").strip()
    if not value:
        return None
    if not _storable(value):
        raise DomainError(_("Tham số %(name)s chứa ký tự không hợp lệ.", name=name), name)
    return value


def query_id(name: str) -> int | None:
    return query_int(name, 1, MAX_ID)


def page() -> tuple[int, int]:
    """(limit, offset) from ?limit= and ?offset=; lists are ordered, so pages are stable."""
    limit = query_int("limit", 1, MAX_LIMIT)
    offset = query_int("offset", 0, MAX_ID)
    return (DEFAULT_LIMIT if limit is None else limit), (offset or 0)
