"""The authorization matrix for the incident pages: every route × every actor around commune
C11, compared with decisions written by hand (like the plan and report matrices).

The case is recorded at C11 by its officer. Columns, per actor: the list, the recording form
(GET), the recording form sent empty (POST, refused by validation when allowed), the case
masked, the case in clear (with a purpose), and each handling step sent with a stale version
(refused by validation when allowed, so the matrix changes nothing).
"""

import pytest

from tests.authz_outcomes import SUCCESS, VALIDATION, page_outcome, want
from tests.conftest import csrf_token, login
from tests.test_authz_matrix import _page
from tests.test_incidents import record_case

# (method, path, column, form data, what an allowed call answers)
INCIDENT_PAGES = [
    ("GET", "/incidents/", "list", None, SUCCESS),
    # Statistics (lhpn/incidents/stats.py): of the highest unit the actor views (a page that
    # says so for who views none), then of C11 ({unit}) as a page and as a workbook.
    ("GET", "/incidents/stats", "list", None, SUCCESS),
    ("GET", "/incidents/stats?unit={unit}", "stats", None, SUCCESS),
    ("GET", "/incidents/stats.xlsx?unit={unit}", "stats", None, SUCCESS),
    ("GET", "/incidents/new", "record", None, SUCCESS),
    ("POST", "/incidents/new", "record", {}, VALIDATION),
    ("GET", "/incidents/{incident}", "masked", None, SUCCESS),
    ("GET", "/incidents/{incident}?purpose=handling", "clear", None, SUCCESS),
    ("POST", "/incidents/{incident}", "clear", {"purpose": "supervision"}, SUCCESS),
    ("POST", "/incidents/{incident}/edit", "clear", {"version": "0"}, VALIDATION),
    ("POST", "/incidents/{incident}/victims", "clear", {"version": "0"}, VALIDATION),
    ("POST", "/incidents/{incident}/interventions", "clear", {"version": "0"}, VALIDATION),
    ("POST", "/incidents/{incident}/status", "clear", {"version": "0", "action": "follow"},
     VALIDATION),
    # Consent and referral: empty forms; a consent that does not exist is refused (422).
    ("POST", "/incidents/{incident}/consents", "clear", {}, VALIDATION),
    ("POST", "/incidents/{incident}/consents/{consent}/withdraw", "clear", {}, VALIDATION),
    ("POST", "/incidents/{incident}/referrals", "clear", {}, VALIDATION),
    # Following the authorities (lhpn/followups): forms sent empty or stale; the chasing letter
    # of the case's overdue follow-up {fu}.
    ("POST", "/incidents/{incident}/follow-ups", "clear", {}, VALIDATION),
    ("POST", "/incidents/{incident}/follow-ups/{fu}/update", "clear", {}, VALIDATION),
    ("POST", "/incidents/{incident}/follow-ups/{fu}/answer", "clear", {}, VALIDATION),
    ("POST", "/incidents/{incident}/follow-ups/{fu}/close", "clear", {}, VALIDATION),
    ("POST", "/incidents/{incident}/follow-ups/{fu}/chased", "clear", {}, VALIDATION),
    ("GET", "/incidents/{incident}/follow-ups/{fu}/chasing-letter.docx", "clear", None, SUCCESS),
    # A data subject's requests (lhpn/incidents/requests.py): a new one sent empty, the refusal
    # of {req} (a correction request) without its reason, then {req} carried out (marked done).
    ("POST", "/incidents/{incident}/requests", "clear", {}, VALIDATION),
    ("POST", "/incidents/{incident}/requests/{req}/refuse", "clear", {}, VALIDATION),
    ("POST", "/incidents/{incident}/requests/{req}/carry-out", "clear", {}, SUCCESS),
]
INCIDENT_COVERED = [(method, path.split("?")[0]) for method, path, *_ in INCIDENT_PAGES]

# Y allowed, N 403, F 404 (not found: the case's unit is not theirs to view), for the columns
# list, record, masked, clear, and stats (counting C11's subtree: whoever views C11; another
# tenant's unit is not found).
EXPECTED = {
    "staff.c11":       "YYYYY",   # the recording unit's officer
    "approver.c11":    "YNYYY",   # its chair
    "approver.d1":     "YNYYY",   # the chain of command above
    "approver.tb":     "YNYYY",
    "protection.tb":   "YYYYY",   # the province's protection officer (records anywhere below)
    "protection.c12":  "YYFFN",   # a sibling commune's: records there, never sees C11's cases
    "staff.d1":        "YYYNY",   # the district's officer: views C11 (children), masked
    "viewer.d1":       "YNYNY",
    "viewer.tb":       "YNYNY",
    "tenant_admin.tb": "YNYNY",
    "tenant_admin.d1": "YNYNY",
    "staff.c12":       "YYFFN",
    "norole.d1":       "YNFFN",
    "approver.hy":     "YNFFF",   # another tenant
}
COLUMNS = ("list", "record", "masked", "clear", "stats")
DECISION = {"Y": "allow", "N": "403", "F": "404"}


def overdue_follow_up(app, world, incident_id: int) -> int:
    """The case handed to the commune's police, its deadline passed."""
    from datetime import date

    from lhpn.accounts.models import User
    from lhpn.extensions import db
    from lhpn.followups import services as follow_ups
    from lhpn.incidents.models import Incident

    with app.app_context():
        incident = db.session.get(Incident, incident_id)
        fu = follow_ups.start(db.session.get(User, world.users["staff.c11"]), "incident",
                              incident, incident.unit, agency="Công an xã Tân Lễ",
                              written_on=date(2026, 11, 21), due_on=date(2026, 11, 25))
        db.session.commit()
        return fu.id


def correction_request(app, world, incident_id: int) -> int:
    """The victim asked for a correction of their record."""
    from lhpn.accounts.models import User
    from lhpn.extensions import db
    from lhpn.incidents import data_requests
    from lhpn.incidents.models import Incident

    with app.app_context():
        incident = db.session.get(Incident, incident_id)
        entry = data_requests.record_request(
            db.session.get(User, world.users["staff.c11"]), incident,
            {"kind": "correction", "requester": "self", "victim_id": str(incident.victims[0].id),
             "received_on": "2026-11-22"})
        db.session.commit()
        return entry.id


@pytest.mark.parametrize("actor", sorted(EXPECTED))
def test_incident_pages(app, client, people, actor):
    incident_id = record_case(app, client, people)
    fu_id = overdue_follow_up(app, people, incident_id)
    req_id = correction_request(app, people, incident_id)
    reader = app.test_client()
    assert login(reader, actor).status_code == 302
    token = csrf_token(reader, "/account")
    for method, template, column, data, allowed in INCIDENT_PAGES:
        path = (template.replace("{incident}", str(incident_id)).replace("{fu}", str(fu_id))
                .replace("{req}", str(req_id)).replace("{consent}", "999999")
                .replace("{unit}", str(people.units["C11"])))
        got = page_outcome(_page(reader, method, path, data, token))
        expected = DECISION[EXPECTED[actor][COLUMNS.index(column)]]
        assert got == want(expected, allowed), (actor, method, path)


def test_the_system_administrator_has_no_incidents(app, client, world):
    from lhpn.accounts.services import create_user
    from lhpn.extensions import db
    from tests.factories import PASSWORD

    with app.app_context():
        create_user(None, tenant_id=None, username="sysadmin", password=PASSWORD,
                    is_system_admin=True)
        db.session.commit()
    login(client, "sysadmin")
    for path in ("/incidents/", "/incidents/new", "/incidents/1", "/incidents/stats",
                 "/incidents/stats.xlsx"):
        assert client.get(path).status_code in (403, 404), path
