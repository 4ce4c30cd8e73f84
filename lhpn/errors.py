"""Domain errors raised by services; views and the API turn them into responses."""


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


def as_id(value: object) -> int | None:
    """A database id from user input, or None (so an absurd id is "not found", never a 500)."""
    if isinstance(value, bool):
        return None
    # int() also reads " 7", "1_0" and other scripts' digits ("٣"): an id is ASCII digits only.
    if isinstance(value, str) and not (value.isascii() and value.isdigit() and len(value) <= 10):
        return None
    try:
        key = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None
    return key if 1 <= key <= MAX_ID else None
