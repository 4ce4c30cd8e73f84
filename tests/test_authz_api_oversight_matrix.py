"""The authorization matrix for the API of critiques and dialogues: every endpoint × every
actor around commune C11, compared with decisions written by hand (as for their pages,
tests/test_authz_oversight_matrix.py). Bodies are minimal or stale, so an allowed call is
refused by validation and the matrix changes nothing."""

import pytest

from lhpn.followups.pages import DOCX_MIMETYPE
from tests.authz_outcomes import SUCCESS, VALIDATION, api_outcome, want
from tests.conftest import api_token
from tests.oversight_world import oversight_records
from tests.test_authz_api_incident_matrix import _fill
from tests.test_authz_api_matrix import _call

# (method, path, column, JSON body, what an allowed call answers)
OVERSIGHT_API = [
    ("GET", "/api/v1/critiques", "list", None, SUCCESS),
    ("POST", "/api/v1/critiques", "record", {"unit_id": "{unit}"}, VALIDATION),
    ("GET", "/api/v1/critiques/{critique}", "read", None, SUCCESS),
    ("PATCH", "/api/v1/critiques/{critique}", "write", {"version": 0}, VALIDATION),
    ("POST", "/api/v1/critiques/{critique}/status", "write", {"version": 0}, VALIDATION),
    ("GET", "/api/v1/dialogues", "list", None, SUCCESS),
    ("POST", "/api/v1/dialogues", "record", {"unit_id": "{unit}"}, VALIDATION),
    ("GET", "/api/v1/dialogues/{dialogue}", "read", None, SUCCESS),
    ("PATCH", "/api/v1/dialogues/{dialogue}", "write", {"version": 0}, VALIDATION),
    ("POST", "/api/v1/dialogues/{dialogue}/status", "write", {"version": 0}, VALIDATION),
    ("POST", "/api/v1/dialogues/{dialogue}/commitments", "write", {"agency": "UBND"},
     VALIDATION),
    ("PATCH", "/api/v1/commitments/{fu}", "write", {"version": 0}, VALIDATION),
    # The shared follow-up endpoints (lhpn/api/follow_ups.py); the overdue commitment's letter.
    ("PATCH", "/api/v1/dialogues/{dialogue}/follow-ups/{fu}", "write", {"version": 0},
     VALIDATION),
    ("POST", "/api/v1/dialogues/{dialogue}/follow-ups/{fu}/answer", "write", {"version": 0},
     VALIDATION),
    ("POST", "/api/v1/dialogues/{dialogue}/follow-ups/{fu}/close", "write", {"version": 0},
     VALIDATION),
    ("POST", "/api/v1/dialogues/{dialogue}/follow-ups/{fu}/chased", "write", {"version": 0},
     VALIDATION),
    ("GET", "/api/v1/dialogues/{dialogue}/follow-ups/{fu}/chasing-letter", "write", None,
     SUCCESS),
    # The critique's files (lhpn/api/files.py): the list, an upload without a file, the
    # union's letter, and (last) its deletion.
    ("GET", "/api/v1/critiques/{critique}/files", "read", None, SUCCESS),
    ("POST", "/api/v1/critiques/{critique}/files", "write", None, VALIDATION),
    ("GET", "/api/v1/critiques/{critique}/files/{file}", "read", None, SUCCESS),
    ("DELETE", "/api/v1/critiques/{critique}/files/{file}", "write", None, SUCCESS),
]
OVERSIGHT_API_COVERED = [(method, path.split("?")[0]) for method, path, *_ in OVERSIGHT_API]

# Y allowed, N 403, F 404, for the columns list, record (at C11), read and write.
EXPECTED = {
    "staff.c11":       "YYYY",
    "approver.c11":    "YYYY",
    "approver.d1":     "YNYN",
    "approver.tb":     "YNYN",
    "staff.d1":        "YNYN",
    "viewer.d1":       "YNYN",
    "viewer.tb":       "YNYN",
    "tenant_admin.tb": "YNYN",
    "tenant_admin.d1": "YNYN",
    "protection.tb":   "YNYN",
    "protection.c12":  "YFFF",
    "staff.c12":       "YFFF",
    "norole.d1":       "YFFF",
    "approver.hy":     "YFFF",
}
COLUMNS = ("list", "record", "read", "write")
DECISION = {"Y": "allow", "N": "403", "F": "404"}


def _outcome(response) -> str:
    """The cell's answer; a file downloaded (the letter, an attachment: not JSON) is a
    success."""
    if response.status_code == 200 and (response.mimetype == DOCX_MIMETYPE
                                        or not response.is_json):
        return SUCCESS.value
    return api_outcome(response)


@pytest.mark.parametrize("actor", sorted(EXPECTED))
def test_oversight_endpoints(app, client, people, actor):
    ids = oversight_records(app, people)
    token = api_token(app.test_client(), actor)
    for method, template, column, data, allowed in OVERSIGHT_API:
        response = _call(client, method, _fill(template, ids), _fill(data, ids), token)
        expected = DECISION[EXPECTED[actor][COLUMNS.index(column)]]
        got = _outcome(response)
        response.close()  # a file downloaded is streamed
        assert got == want(expected, allowed), (actor, method, template)
    # The lists hold C11's records exactly for those who read them.
    listed = _call(client, "GET", "/api/v1/dialogues", None, token).get_json()["items"]
    assert ([item["id"] for item in listed] == [ids["dialogue"]]) is (
        EXPECTED[actor][COLUMNS.index("read")] == "Y"), actor


@pytest.mark.parametrize("route", OVERSIGHT_API, ids=lambda r: f"{r[0]} {r[1]}")
def test_oversight_endpoints_need_a_token(client, world, route):
    method, template, _column, data, _allowed = route
    ids = {"critique": 1, "dialogue": 1, "fu": 1, "file": 1, "unit": world.units["C11"]}
    for token in (None, "not-a-real-token"):
        assert _call(client, method, _fill(template, ids), _fill(data, ids),
                     token).status_code == 401
