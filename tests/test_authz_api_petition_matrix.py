"""The authorization matrix for the petition endpoints of the API: every endpoint × every actor
around commune C11, compared with decisions written by hand (as for the petition pages,
tests/test_authz_petition_matrix.py).

The petition is received at C11 by its officer. Columns, per actor: the list, receiving at C11
(sent with nothing but the unit: refused by validation when allowed), the petition masked, the
petition in clear (with a purpose) and each handling step sent with version 0 (refused by
validation when allowed, so the matrix changes nothing), and the tenant's deadlines.
"""

import pytest

from tests.authz_outcomes import SUCCESS, VALIDATION, api_outcome, want
from tests.conftest import api_token
from tests.test_authz_api_incident_matrix import _fill
from tests.test_authz_api_matrix import _call
from tests.test_petition_pages import receive

# (method, path, column, JSON body, what an allowed call answers)
PETITION_API = [
    ("GET", "/api/v1/petitions", "list", None, SUCCESS),
    ("POST", "/api/v1/petitions", "receive", {"unit_id": "{unit}"}, VALIDATION),
    ("GET", "/api/v1/petitions/{petition}", "masked", None, SUCCESS),
    ("GET", "/api/v1/petitions/{petition}?purpose=handling", "clear", None, SUCCESS),
    ("PATCH", "/api/v1/petitions/{petition}", "clear", {"version": 0}, VALIDATION),
    ("POST", "/api/v1/petitions/{petition}/status", "clear",
     {"version": 0, "action": "handle"}, VALIDATION),
    ("POST", "/api/v1/petitions/{petition}/tell", "clear", {"version": 0}, VALIDATION),
    ("POST", "/api/v1/petitions/{petition}/mass", "clear", {"version": 0}, VALIDATION),
    # Following the forwarding: a start without its agency; the petition's follow-up (due in
    # a month) with a stale version; its chasing letter, refused while not overdue (422).
    ("POST", "/api/v1/petitions/{petition}/follow-ups", "clear", {"due_on": "2026-01-01"},
     VALIDATION),
    ("PATCH", "/api/v1/petitions/{petition}/follow-ups/{follow_up}", "clear", {"version": 0},
     VALIDATION),
    ("POST", "/api/v1/petitions/{petition}/follow-ups/{follow_up}/answer", "clear",
     {"version": 0}, VALIDATION),
    ("POST", "/api/v1/petitions/{petition}/follow-ups/{follow_up}/close", "clear",
     {"version": 0}, VALIDATION),
    ("POST", "/api/v1/petitions/{petition}/follow-ups/{follow_up}/chased", "clear",
     {"version": 0}, VALIDATION),
    ("GET", "/api/v1/petitions/{petition}/follow-ups/{follow_up}/chasing-letter", "clear", None,
     VALIDATION),
    ("GET", "/api/v1/petition-deadlines", "deadlines", None, SUCCESS),
    ("PUT", "/api/v1/petition-deadlines", "deadlines", {}, VALIDATION),
]
PETITION_API_COVERED = [(method, path.split("?")[0]) for method, path, *_ in PETITION_API]

# Y allowed, N 403, F 404 (the unit, or the petition's unit, is not theirs to view), for the
# columns list, receive at C11, masked, clear, deadlines.
EXPECTED = {
    "staff.c11":       "YYYYN",
    "approver.c11":    "YYYYN",
    "approver.d1":     "YYYYN",
    "approver.tb":     "YYYYN",
    "protection.tb":   "YNYNN",
    "protection.c12":  "YFFFN",
    "staff.d1":        "YNYNN",   # receives at D1 only; C11's petitions masked
    "viewer.d1":       "YNYNN",
    "viewer.tb":       "YNYNN",
    "tenant_admin.tb": "YNYNY",
    "tenant_admin.d1": "YNYNN",
    "staff.c12":       "YFFFN",
    "norole.d1":       "YFFFN",
    "approver.hy":     "YFFFN",   # another tenant
}
COLUMNS = ("list", "receive", "masked", "clear", "deadlines")
DECISION = {"Y": "allow", "N": "403", "F": "404"}


def _follow_up(app, world, petition_id: int) -> int:
    """The petition forwarded a week ago, due in a month: open, not overdue."""
    from datetime import timedelta

    from lhpn.accounts.models import User
    from lhpn.clock import local_today
    from lhpn.extensions import db
    from lhpn.followups import services as follow_ups
    from lhpn.petitions.models import Petition

    with app.app_context():
        petition = db.session.get(Petition, petition_id)
        chair = db.session.get(User, world.users["approver.c11"])
        fu = follow_ups.start(chair, "petition", petition, petition.unit, agency="UBND xã",
                              written_on=local_today() - timedelta(days=7),
                              due_on=local_today() + timedelta(days=30))
        db.session.commit()
        return fu.id


@pytest.mark.parametrize("actor", sorted(EXPECTED))
def test_petition_endpoints(app, client, people, actor):
    petition_id = receive(app, received_on="2026-11-02")
    ids = {"petition": petition_id, "unit": people.units["C11"],
           "follow_up": _follow_up(app, people, petition_id)}
    token = api_token(app.test_client(), actor)
    for method, template, column, data, allowed in PETITION_API:
        response = _call(client, method, _fill(template, ids), _fill(data, ids), token)
        expected = DECISION[EXPECTED[actor][COLUMNS.index(column)]]
        assert api_outcome(response) == want(expected, allowed), (actor, method, template)
    listed = _call(client, "GET", "/api/v1/petitions", None, token).get_json()["items"]
    assert ([item["id"] for item in listed] == [petition_id]) is (
        EXPECTED[actor][COLUMNS.index("masked")] == "Y"), actor


@pytest.mark.parametrize("route", PETITION_API, ids=lambda r: f"{r[0]} {r[1]}")
def test_petition_endpoints_need_a_token(client, world, route):
    method, template, _column, data, _allowed = route
    ids = {"petition": 1, "unit": world.units["C11"], "follow_up": 1}
    for token in (None, "not-a-real-token"):
        response = _call(client, method, _fill(template, ids), _fill(data, ids), token)
        assert response.status_code == 401
