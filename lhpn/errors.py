"""Domain errors raised by services; views and the API turn them into responses."""

from typing import SupportsIndex, SupportsInt


class DomainError(Exception):
    """Bad input or a broken rule: the message is for the user, in their language."""

    status = 422
    code = "invalid"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


MAX_ID = 2**31 - 1


def to_int(value: object) -> int:
    """``int(value)`` of user input of any type: a TypeError, as int() raises it, for a value
    that is no number at all (None, a list…); a ValueError for a string that is none."""
    if not isinstance(value, str | bytes | SupportsInt | SupportsIndex):
        raise TypeError(f"not a number: {type(value).__name__}")
    return int(value)


def as_id(value: object) -> int | None:
    """A database id from user input, or None (so an absurd id is "not found", never a 500)."""
    if isinstance(value, bool):
        return None
    # int() also reads " 7", "1_0" and other scripts' digits ("٣"): an id is ASCII digits only.
    if isinstance(value, str) and not (value.isascii() and value.isdigit() and len(value) <= 10):
        return None
    try:
        key = to_int(value)
    except (TypeError, ValueError):
        return None
    return key if 1 <= key <= MAX_ID else None
