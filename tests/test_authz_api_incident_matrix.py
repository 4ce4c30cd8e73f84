"""The authorization matrix for the incident endpoints of the API: every endpoint × every actor
around commune C11, compared with decisions written by hand (as for the incident pages,
tests/test_authz_incident_matrix.py).

The case is recorded at C11 by its officer. Columns, per actor: the list, recording at C11
(sent with nothing but the unit: refused by validation when allowed), the case masked, the case
in clear (with a purpose), and each handling step sent with version 0 (refused by validation
when allowed, so the matrix changes nothing).
"""

import pytest

from tests.authz_outcomes import SUCCESS, VALIDATION, api_outcome, want
from tests.conftest import api_token
from tests.test_authz_api_matrix import _call
from tests.test_incidents import record_case

# (method, path, column, JSON body, what an allowed call answers)
INCIDENT_API = [
    ("GET", "/api/v1/incidents", "list", None, SUCCESS),
    # Statistics of C11's subtree (lhpn/api/incident_stats.py).
    ("GET", "/api/v1/incidents/stats?unit_id={unit}", "stats", None, SUCCESS),
    ("POST", "/api/v1/incidents", "record", {"unit_id": "{unit}"}, VALIDATION),
    ("GET", "/api/v1/incidents/{incident}", "masked", None, SUCCESS),
    ("GET", "/api/v1/incidents/{incident}?purpose=handling", "clear", None, SUCCESS),
    ("PATCH", "/api/v1/incidents/{incident}", "clear", {"version": 0}, VALIDATION),
    ("POST", "/api/v1/incidents/{incident}/victims", "clear", {"version": 0}, VALIDATION),
    ("POST", "/api/v1/incidents/{incident}/interventions", "clear", {"version": 0},
     VALIDATION),
    ("POST", "/api/v1/incidents/{incident}/status", "clear",
     {"version": 0, "action": "follow"}, VALIDATION),
    # Consent: a body without its victim; a consent that does not exist (422).
    ("POST", "/api/v1/incidents/{incident}/consents", "clear", {"scope": "police"}, VALIDATION),
    ("POST", "/api/v1/incidents/{incident}/consents/{consent}/withdraw", "clear", None, VALIDATION),
    # A referral letter without its victim.
    ("POST", "/api/v1/incidents/{incident}/referrals", "clear", {"scope": "police"}, VALIDATION),
    # Following the case: a start without its agency; the case's follow-up (due in a month)
    # with a stale version; its chasing letter, refused while it is not overdue (422).
    ("POST", "/api/v1/incidents/{incident}/follow-ups", "clear", {"due_on": "2026-01-01"},
     VALIDATION),
    ("PATCH", "/api/v1/incidents/{incident}/follow-ups/{follow_up}", "clear", {"version": 0},
     VALIDATION),
    ("POST", "/api/v1/incidents/{incident}/follow-ups/{follow_up}/answer", "clear",
     {"version": 0}, VALIDATION),
    ("POST", "/api/v1/incidents/{incident}/follow-ups/{follow_up}/close", "clear",
     {"version": 0}, VALIDATION),
    ("POST", "/api/v1/incidents/{incident}/follow-ups/{follow_up}/chased", "clear",
     {"version": 0}, VALIDATION),
    ("GET", "/api/v1/incidents/{incident}/follow-ups/{follow_up}/chasing-letter", "clear", None,
     VALIDATION),
    # A data subject's requests (lhpn/api/data_requests.py): the list, masked and in clear; a
    # request without its requester; the case's access request, already refused, carried out
    # the wrong way (409), carried out (422) and refused again (422).
    ("GET", "/api/v1/incidents/{incident}/data-requests", "clear", None, SUCCESS),
    ("GET", "/api/v1/incidents/{incident}/data-requests?purpose=handling", "clear", None,
     SUCCESS),
    ("POST", "/api/v1/incidents/{incident}/data-requests", "clear", {"kind": "access"},
     VALIDATION),
    ("POST", "/api/v1/incidents/{incident}/data-requests/{request}/carry-out", "clear", None,
     VALIDATION),
    ("POST", "/api/v1/incidents/{incident}/data-requests/{request}/victim-record.docx", "clear",
     None, VALIDATION),
    ("POST", "/api/v1/incidents/{incident}/data-requests/{request}/refuse", "clear",
     {"refusal_reason": "Không đủ căn cứ."}, VALIDATION),
    # Who read the case: the province's reviewers only.
    ("GET", "/api/v1/incidents/{incident}/access-log", "review", None, SUCCESS),
]
INCIDENT_API_COVERED = [(method, path.split("?")[0]) for method, path, *_ in INCIDENT_API]

# Y allowed, N 403, F 404 (the unit, or the case's unit, is not theirs to view), for the
# columns list, record at C11, masked, clear, review (the case's access log), and stats (counting
# C11's subtree: whoever views C11; 403 for a unit of their tenant they do not view).
EXPECTED = {
    "staff.c11":       "YYYYNY",   # the recording unit's officer
    "approver.c11":    "YNYYNY",   # its chair
    "approver.d1":     "YNYYNY",   # the chain of command above
    "approver.tb":     "YNYYNY",
    "protection.tb":   "YYYYYY",   # the province's protection officer (records anywhere below)
    "protection.c12":  "YFFFFN",   # a sibling commune's: never sees C11 nor its cases
    "staff.d1":        "YNYNNY",   # the district's officer: records at D1 only, C11 masked
    "viewer.d1":       "YNYNNY",
    "viewer.tb":       "YNYNNY",
    "tenant_admin.tb": "YNYNYY",   # reviews the province's log of reads, never reads a case
    "tenant_admin.d1": "YNYNNY",
    "staff.c12":       "YFFFFN",
    "norole.d1":       "YFFFFN",
    "approver.hy":     "YFFFFF",   # another tenant
}
COLUMNS = ("list", "record", "masked", "clear", "review", "stats")
DECISION = {"Y": "allow", "N": "403", "F": "404"}


def _fill(value, ids: dict[str, int]):
    if isinstance(value, str):
        for key, number in ids.items():
            value = value.replace("{" + key + "}", str(number))
        return int(value) if value.isdigit() else value
    if isinstance(value, dict):
        return {key: _fill(item, ids) for key, item in value.items()}
    return value


def _follow_up(app, world, incident_id: int) -> int:
    """The case handed to the police a week ago, due in a month: open, not overdue."""
    from datetime import timedelta

    from lhpn.accounts.models import User
    from lhpn.clock import local_today
    from lhpn.extensions import db
    from lhpn.followups import services as follow_ups
    from lhpn.incidents.models import Incident

    with app.app_context():
        incident = db.session.get(Incident, incident_id)
        chair = db.session.get(User, world.users["approver.c11"])
        fu = follow_ups.start(chair, "incident", incident, incident.unit, agency="Công an xã",
                              written_on=local_today() - timedelta(days=7),
                              due_on=local_today() + timedelta(days=30))
        db.session.commit()
        return fu.id


def _refused_request(app, world, incident_id: int) -> int:
    """An access request about the case's victim, refused by the commune's chair."""
    from lhpn.accounts.models import User
    from lhpn.extensions import db
    from lhpn.incidents import data_requests
    from lhpn.incidents.models import Incident

    with app.app_context():
        incident = db.session.get(Incident, incident_id)
        chair = db.session.get(User, world.users["approver.c11"])
        entry = data_requests.record_request(chair, incident, {
            "kind": "access", "requester": "self", "victim_id": incident.victims[0].id,
            "received_on": "2026-11-30"})
        data_requests.refuse(chair, incident, entry, "Không xác minh được người yêu cầu.")
        db.session.commit()
        return entry.id


@pytest.mark.parametrize("actor", sorted(EXPECTED))
def test_incident_endpoints(app, client, people, actor):
    incident_id = record_case(app, client, people)
    ids = {"incident": incident_id, "unit": people.units["C11"], "consent": 999999,
           "follow_up": _follow_up(app, people, incident_id),
           "request": _refused_request(app, people, incident_id)}
    token = api_token(app.test_client(), actor)
    for method, template, column, data, allowed in INCIDENT_API:
        response = _call(client, method, _fill(template, ids), _fill(data, ids), token)
        assert response.headers["Cache-Control"] == "no-store", (actor, method, template)
        expected = DECISION[EXPECTED[actor][COLUMNS.index(column)]]
        assert api_outcome(response) == want(expected, allowed), (actor, method, template)
    # The list holds the case exactly for those who see it masked (or in clear).
    listed = _call(client, "GET", "/api/v1/incidents", None, token).get_json()["items"]
    assert ([item["id"] for item in listed] == [ids["incident"]]) is (
        EXPECTED[actor][COLUMNS.index("masked")] == "Y"), actor


@pytest.mark.parametrize("route", INCIDENT_API, ids=lambda r: f"{r[0]} {r[1]}")
def test_incident_endpoints_need_a_token(client, world, route):
    method, template, _column, data, _allowed = route
    ids = {"incident": 1, "unit": world.units["C11"], "consent": 1, "follow_up": 1,
           "request": 1}
    for token in (None, "not-a-real-token"):
        response = _call(client, method, _fill(template, ids), _fill(data, ids), token)
        assert response.status_code == 401
        assert response.headers["Cache-Control"] == "no-store"


def test_the_system_administrator_has_no_incidents(app, client, people):
    from lhpn.accounts.services import create_user
    from lhpn.extensions import db
    from tests.factories import PASSWORD

    incident_id = record_case(app, client, people)
    with app.app_context():
        create_user(None, tenant_id=None, username="sysadmin", password=PASSWORD,
                    is_system_admin=True)
        db.session.commit()
    token = api_token(app.test_client(), "sysadmin")
    assert _call(client, "GET", "/api/v1/incidents", None, token).status_code == 403
    assert _call(client, "GET", "/api/v1/incidents/stats", None, token).status_code == 403
    for method, path, data in (("GET", f"/api/v1/incidents/{incident_id}", None),
                               ("POST", "/api/v1/incidents", {"unit_id": people.units["C11"]})):
        assert _call(client, method, path, data, token).status_code == 404, (method, path)
