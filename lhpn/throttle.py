"""Rate limits that slow an attacker and not the owner.

Failed log-ins are counted per account from one address, per address across accounts, and per
account from anywhere: the last is a ceiling far above the first, so one address hammering an
account never locks its owner out when they log in from another. Costly reads (.xlsx/.docx
exports, consolidations over a range of periods) are counted per user.

Counters live in Flask-Limiter's storage (Redis when LHPN_REDIS_URL is set, else this process's
memory), fixed windows from the settings in lhpn.config; every change to a counter is one atomic
increment there, never a read-modify-write.
"""

import contextlib
import ipaddress
import math
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from functools import lru_cache

from flask import current_app, request
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_login import current_user
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage

from lhpn.extensions import limiter

# (scope, setting): the order in which a log-in's counters are reserved.
LOGIN_SCOPES = (
    ("account_address", "LHPN_LOGIN_LIMIT_ACCOUNT_ADDRESS"),
    ("address", "LHPN_LOGIN_LIMIT_ADDRESS"),
    ("account", "LHPN_LOGIN_LIMIT_ACCOUNT"),
)
SETTINGS = tuple(setting for _scope, setting in LOGIN_SCOPES) + (
    "LHPN_EXPORT_LIMIT", "LHPN_RANGE_LIMIT")
PREFIX = "lhpn"

# The in-memory storage takes a lock per key but can lose the first increment of a new key to
# a concurrent one; Redis increments atomically on the server. Reservations against memory are
# therefore made one at a time within the process (they are a handful of dictionary updates).
_memory_lock = threading.Lock()


def check_settings(config) -> None:
    """Refuse to start with a limit that does not parse ("5/minute;20/hour")."""
    for setting in SETTINGS:
        try:
            windows(config[setting])
        except ValueError as exc:
            raise ValueError(f"{setting}: {exc}") from None


@lru_cache(maxsize=32)
def windows(text: str) -> tuple[RateLimitItem, ...]:
    """The windows of one setting, longest first: a refusal then names the longest wait."""
    items = parse_many(text)
    if not items:
        raise ValueError(f"no rate limit in {text!r}")
    return tuple(sorted(items, key=lambda item: item.get_expiry(), reverse=True))


def address_key(address: str | None) -> str:
    """The client as a counter key: an IPv4 address, or the /64 network of an IPv6 one (a
    subscriber usually holds a whole /64, so single IPv6 addresses would cost nothing)."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return address or "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def account_key(username: str) -> str:
    # Usernames are at most 64 characters: a longer one names no account and needs no more.
    return username[:64]


class Throttled(Exception):
    """No room left in a counter: answer 429 without checking anything."""

    def __init__(self, retry_after: int, scope: str, limit: str, first: bool) -> None:
        super().__init__(scope)
        self.retry_after = retry_after
        self.scope = scope
        self.limit = limit
        self.first = first  # the first refusal of this counter's window: worth an audit entry


class LoginAttempt:
    """Room reserved for one failed log-in in every counter. A failure keeps it (that is the
    count); a success gives it back, so only failures ever count."""

    def __init__(self, taken: list[tuple[RateLimitItem, tuple[str, ...]]]) -> None:
        self._taken = taken

    def succeeded(self) -> None:
        with _serialised():
            _give_back(self._taken)
        self._taken = []


def login_attempt(username: str, address: str | None) -> LoginAttempt:
    """Reserve one failure in each log-in counter before the password is checked, or raise
    Throttled. Reserving first (an atomic increment that says whether it fitted) is what keeps
    40 concurrent guesses to the 5 the limit allows: none can be checked on room that another
    is about to use. Keys are the name as typed, so an unknown account is throttled exactly
    like an existing one."""
    config = current_app.config
    account, addr = account_key(username), address_key(address)
    identifiers = {"account_address": (account, addr), "address": (addr,), "account": (account,)}
    wanted = [(scope, item, (PREFIX, "login", scope, *identifiers[scope]))
              for scope, setting in LOGIN_SCOPES for item in windows(config[setting])]
    strategy = limiter.limiter
    taken: list[tuple[RateLimitItem, tuple[str, ...]]] = []
    with _serialised():
        for scope, item, ids in wanted:
            taken.append((item, ids))
            if not strategy.hit(item, *ids):
                _give_back(taken)  # a refused try counts nowhere, the ceiling included
                reset, _remaining = strategy.get_window_stats(item, *ids)
                retry_after = max(1, math.ceil(reset - time.time()))
                raise Throttled(retry_after, scope, str(item),
                                _first_refusal(item.key_for(*ids), retry_after))
    return LoginAttempt(taken)


def _give_back(taken: list[tuple[RateLimitItem, tuple[str, ...]]]) -> None:
    # A decrement is an increment by -1 in every storage we use (memory, Redis).
    for item, ids in taken:
        limiter.storage.incr(item.key_for(*ids), item.get_expiry(), amount=-1)


def _first_refusal(key: str, seconds: int) -> bool:
    """True once per counter and window: a marker that lives as long as the window."""
    return limiter.storage.incr(f"{key}/refused", seconds) == 1


@contextlib.contextmanager
def _serialised() -> Iterator[None]:
    if isinstance(limiter.storage, MemoryStorage):
        with _memory_lock:
            yield
    else:
        yield


# ---- costly reads, per user ---------------------------------------------------------------------

def _user_key() -> str:
    # The decorators below sit under the log-in check: there is always a user.
    return f"user:{current_user.get_id()}"


def _not_a_range() -> bool:
    return not (request.args.get("from") or request.args.get("to"))


export_limit = limiter.shared_limit(
    lambda: current_app.config["LHPN_EXPORT_LIMIT"], scope="export", key_func=_user_key,
    error_message=lambda: _("Bạn đã tải xuống quá nhiều tệp trong thời gian ngắn."))

range_limit = limiter.shared_limit(
    lambda: current_app.config["LHPN_RANGE_LIMIT"], scope="consolidation-range",
    key_func=_user_key, exempt_when=_not_a_range,
    error_message=lambda: _("Bạn đã xem tổng hợp theo khoảng kỳ quá nhiều lần trong thời gian "
                            "ngắn."))


def try_again_in(seconds: int) -> str:
    return _("Hãy thử lại sau %(wait)s.", wait=format_timedelta(timedelta(seconds=seconds)))


def refused_request() -> tuple[int, str, bool]:
    """For a request a decorated limit refused: seconds to wait, the limit, and whether this
    is the first refusal of the window (worth an audit entry)."""
    current = limiter.current_limit
    if current is None:
        return 60, "", False
    retry_after = max(1, math.ceil(current.window[0] - time.time()))
    return retry_after, str(current.limit), _first_refusal(current.key, retry_after)
