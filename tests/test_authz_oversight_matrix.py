"""The authorization matrix for the pages of critiques and dialogues: every route × every
actor around commune C11, compared with decisions written by hand.

C11's officer recorded a critique and a dialogue with an overdue commitment
(tests/oversight_world.py). Columns, per actor: the lists, the recording forms (a form sent
empty: refused by validation when allowed), the record's page, and each change sent empty or
with a stale version (refused by validation when allowed, so the matrix changes nothing).
"""

import pytest

from tests.authz_outcomes import SUCCESS, VALIDATION, page_outcome, want
from tests.conftest import csrf_token, login
from tests.oversight_world import oversight_records
from tests.test_authz_matrix import _page

# (method, path, column, form data, what an allowed call answers)
OVERSIGHT_PAGES = [
    ("GET", "/critiques/", "list", None, SUCCESS),
    ("GET", "/critiques/?overdue=1&year=2026&unit={unit}", "list", None, SUCCESS),
    ("GET", "/critiques/new", "new", None, SUCCESS),
    ("POST", "/critiques/new", "new", {}, VALIDATION),
    ("GET", "/critiques/{critique}", "read", None, SUCCESS),
    ("POST", "/critiques/{critique}/edit", "write", {"version": "0"}, VALIDATION),
    ("POST", "/critiques/{critique}/status", "write", {"version": "0", "action": "send"},
     VALIDATION),
    ("GET", "/dialogues/", "list", None, SUCCESS),
    ("GET", "/dialogues/?overdue=1&status=held", "list", None, SUCCESS),
    ("GET", "/dialogues/new", "new", None, SUCCESS),
    ("POST", "/dialogues/new", "new", {}, VALIDATION),
    ("GET", "/dialogues/{dialogue}", "read", None, SUCCESS),
    ("POST", "/dialogues/{dialogue}/edit", "write", {"version": "0"}, VALIDATION),
    ("POST", "/dialogues/{dialogue}/status", "write", {"version": "0", "action": "close"},
     VALIDATION),
    # Commitments: one sent empty; the overdue one settled or reopened with a stale version.
    ("POST", "/dialogues/{dialogue}/commitments", "write", {}, VALIDATION),
    ("POST", "/dialogues/{dialogue}/commitments/{fu}/settle", "write",
     {"version": "0", "status": "implemented"}, VALIDATION),
    ("POST", "/dialogues/{dialogue}/commitments/{fu}/reopen", "write", {"version": "0"},
     VALIDATION),
    # The shared follow-up routes (lhpn/followups/pages.py), sent empty; the chasing letter of
    # the overdue commitment.
    ("POST", "/dialogues/{dialogue}/follow-ups/{fu}/update", "write", {}, VALIDATION),
    ("POST", "/dialogues/{dialogue}/follow-ups/{fu}/answer", "write", {}, VALIDATION),
    ("POST", "/dialogues/{dialogue}/follow-ups/{fu}/close", "write", {}, VALIDATION),
    ("POST", "/dialogues/{dialogue}/follow-ups/{fu}/chased", "write", {}, VALIDATION),
    ("GET", "/dialogues/{dialogue}/follow-ups/{fu}/chasing-letter.docx", "write", None,
     SUCCESS),
    # The critique's files (lhpn/files): an upload without a file (refused, back to the page);
    # the union's letter downloaded by whoever reads the critique; deleted last.
    ("POST", "/critiques/{critique}/files", "write", {}, SUCCESS),
    ("GET", "/critiques/{critique}/files/{file}", "read", None, SUCCESS),
    ("POST", "/critiques/{critique}/files/{file}/delete", "write", {}, SUCCESS),
]
OVERSIGHT_COVERED = [(method, path.split("?")[0]) for method, path, *_ in OVERSIGHT_PAGES]

# Y allowed, N 403, F 404 (the record's unit is not theirs to view), for the columns list, new
# (recording at the actor's own unit: its staff and its chair), read (whoever views C11) and
# write (C11's own officer and chair only; the levels above read).
EXPECTED = {
    "staff.c11":       "YYYY",
    "approver.c11":    "YYYY",   # the commune's chair
    "approver.d1":     "YYYN",   # the district's chair: records the district's own, reads C11's
    "approver.tb":     "YYYN",
    "staff.d1":        "YYYN",
    "viewer.d1":       "YNYN",
    "viewer.tb":       "YNYN",
    "tenant_admin.tb": "YNYN",
    "tenant_admin.d1": "YNYN",
    "protection.tb":   "YNYN",
    "protection.c12":  "YNFF",
    "staff.c12":       "YYFF",   # a sibling commune's officer
    "norole.d1":       "YNFF",
    "approver.hy":     "YYFF",   # another tenant
}
COLUMNS = ("list", "new", "read", "write")
DECISION = {"Y": "allow", "N": "403", "F": "404"}


@pytest.mark.parametrize("actor", sorted(EXPECTED))
def test_oversight_pages(app, people, actor):
    ids = oversight_records(app, people)
    reader = app.test_client()
    assert login(reader, actor).status_code == 302
    token = csrf_token(reader, "/account")
    for method, template, column, data, allowed in OVERSIGHT_PAGES:
        path = template
        for key, number in ids.items():
            path = path.replace("{" + key + "}", str(number))
        response = _page(reader, method, path, data, token)
        got = page_outcome(response)
        response.close()  # a file downloaded is streamed
        expected = DECISION[EXPECTED[actor][COLUMNS.index(column)]]
        assert got == want(expected, allowed), (actor, method, path)
