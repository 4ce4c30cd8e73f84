"""What one cell of an authorization matrix answers, told apart (the six tests/test_authz_*matrix
files share it).

A cell is one route called by one actor on one target. It answers one of:

* allowed: the rule let the call through. Each row says which answer that is, since the matrix
  sends minimal bodies (empty names, stale versions, periods that do not exist) so that an
  allowed call changes nothing:

  - ``Allowed.SUCCESS``: 2xx or 3xx (a page shown, a redirect, a list, a read);
  - ``Allowed.VALIDATION``: 400, 409 or 422 about that deliberately invalid body, and not one
    of the named rules below;

* refused by access: ``"403"`` (no right) or ``"404"`` (another tenant's object; an unknown
  one), and ``"401"`` on the API without a token;
* refused by a named rule (a 422 from ``lhpn/authz``): the actor has the right in general, the
  rule is about this one target. Each rule is told by its message (Vietnamese, the default
  language of pages and API alike) and named here; a matrix lists the cells where it expects one
  by that name.

So a cell expected allowed as SUCCESS fails on any 4xx; one expected as VALIDATION fails on a
2xx/3xx (the body was accepted: the matrix changed data) and on a rule's 422; and a rule's
refusal is never read as an allow.
"""

from collections.abc import Callable
from enum import Enum


class Allowed(Enum):
    """How a row's allowed call answers, given the body the matrix sends."""

    SUCCESS = "success"
    VALIDATION = "validation"


SUCCESS = Allowed.SUCCESS
VALIDATION = Allowed.VALIDATION

# The named rules that refuse with 422 (lhpn/authz/rules.py, lhpn/authz/signoff.py), each told
# by fragments of its messages.
OWN_ACCOUNT = "own-account"    # nobody changes their own roles or password, nor locks themselves
SELF_DECIDE = "self-decide"    # nobody approves, returns or reopens what they submitted
RULES = {
    OWN_ACCOUNT: ("không thể tự phân hoặc thu hồi vai trò", "không thể tự đặt lại mật khẩu",
                  "không thể tự khóa"),
    SELF_DECIDE: ("do chính mình gửi",),
}
VALIDATION_CODES = (400, 409, 422)


def outcome(status: int, text: Callable[[], str]) -> str:
    """The cell's answer: "success", "validation", "401", "403", "404" or a rule's name.
    ``text`` gives the body; it is read only for an error (a file sent is streamed once)."""
    if status in (401, 403, 404):
        return str(status)
    assert status < 500, text()[:500]
    # A throttled answer says nothing about the rule: the matrix must not read it as anything.
    assert status != 429, "throttled: raise the test limits"
    if status < 400:
        return SUCCESS.value
    body = text()
    if status == 422:
        for name, marks in RULES.items():
            if any(mark in body for mark in marks):
                return name
    assert status in VALIDATION_CODES, (status, body[:500])
    return VALIDATION.value


def page_outcome(response) -> str:
    """``outcome`` of a page; a redirect to the login page is never an allow."""
    if response.status_code in (301, 302, 303):
        assert "/login" not in response.headers["Location"]
    return outcome(response.status_code,
                   lambda: response.get_data().decode("utf-8", "replace"))


def api_outcome(response) -> str:
    """``outcome`` of an API call: JSON, except a DELETE that worked (204, no body)."""
    if response.status_code == 204:
        return SUCCESS.value
    assert response.is_json, response.get_data(as_text=True)[:300]
    body = response.get_json()
    message = body.get("error", {}).get("message", "") if isinstance(body, dict) else ""
    return outcome(response.status_code, lambda: message or response.get_data(as_text=True))


def want(decision: str, allowed: Allowed) -> str:
    """A table's decision for a cell ("allow", "403", "404" or a rule's name), with "allow"
    made exact by the row's ``allowed``."""
    return allowed.value if decision == "allow" else decision
