"""Numbers from the query string, for pages and the API alike.

A number out of range is refused with a message naming the parameter: passed on, it would
reach the database as an error (PostgreSQL refuses ids beyond 32 bits and huge OFFSETs).
"""

from flask import request
from flask_babel import gettext as _

from lhpn.errors import DomainError

# The last page a list may ask for: 100,000 pages of 50 are five million rows.
MAX_PAGE = 100_000


def query_int(name: str, low: int, high: int) -> int | None:
    """``?name=`` as a whole number from ``low`` to ``high``; None when absent or empty."""
    raw = request.args.get(name, "")
    if raw == "":
        return None
    # The length check comes first: int() refuses numbers of thousands of digits.
    well_formed = raw.isascii() and raw.isdigit() and len(raw) <= len(str(high))
    if not well_formed or not low <= int(raw) <= high:
        raise DomainError(
            _("Tham số %(name)s phải là số nguyên từ %(low)d đến %(high)d.", name=name,
              low=low, high=high),
            name,
        )
    return int(raw)


def page_number() -> int:
    """``?page=`` of a paged list (1 when absent)."""
    return query_int("page", 1, MAX_PAGE) or 1
