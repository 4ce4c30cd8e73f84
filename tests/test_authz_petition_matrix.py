"""The authorization matrix for the petition pages: every route × every actor around commune
C11, compared with decisions written by hand (like the incident matrix).

The petition is received at C11 by its officer and forwarded, its follow-up overdue. Columns,
per actor: the list, the intake form (GET; POST sent empty, refused by validation when
allowed), the petition masked (and the register masked), the petition in clear and each
handling step sent with a stale version or empty (refused by validation when allowed, so the
matrix changes nothing), and the tenant's deadlines (admins).
"""

from datetime import date, datetime

import pytest

from lhpn import clock
from tests.authz_outcomes import SUCCESS, VALIDATION, page_outcome, want
from tests.conftest import csrf_token, login
from tests.test_authz_matrix import _page
from tests.test_petition_pages import receive

# (method, path, column, form data, what an allowed call answers)
PETITION_PAGES = [
    ("GET", "/petitions/", "list", None, SUCCESS),
    ("GET", "/petitions/new", "receive", None, SUCCESS),
    ("POST", "/petitions/new", "receive", {}, VALIDATION),
    ("GET", "/petitions/{petition}", "masked", None, SUCCESS),
    ("POST", "/petitions/register.xlsx", "masked", {"unit_id": "{unit}"}, SUCCESS),
    ("GET", "/petitions/{petition}?purpose=handling", "clear", None, SUCCESS),
    ("POST", "/petitions/{petition}", "clear", {"purpose": "supervision"}, SUCCESS),
    ("POST", "/petitions/{petition}/edit", "clear", {"version": "0"}, VALIDATION),
    ("POST", "/petitions/{petition}/mass", "clear", {"version": "0"}, VALIDATION),
    ("POST", "/petitions/{petition}/tell", "clear", {"version": "0"}, VALIDATION),
    ("POST", "/petitions/{petition}/status", "clear", {"version": "0", "action": "close"},
     VALIDATION),
    ("POST", "/petitions/{petition}/follow-ups", "clear", {}, VALIDATION),
    ("POST", "/petitions/{petition}/follow-ups/{fu}/update", "clear", {}, VALIDATION),
    ("POST", "/petitions/{petition}/follow-ups/{fu}/answer", "clear", {}, VALIDATION),
    ("POST", "/petitions/{petition}/follow-ups/{fu}/close", "clear", {}, VALIDATION),
    ("POST", "/petitions/{petition}/follow-ups/{fu}/chased", "clear", {}, VALIDATION),
    ("GET", "/petitions/{petition}/follow-ups/{fu}/chasing-letter.docx", "clear", None,
     SUCCESS),
    ("GET", "/petitions/deadlines", "deadlines", None, SUCCESS),
    ("POST", "/petitions/deadlines", "deadlines", {}, VALIDATION),
]
PETITION_COVERED = [(method, path.split("?")[0]) for method, path, *_ in PETITION_PAGES]

# Y allowed, N 403, F 404 (the petition's unit is not theirs to view), for the columns list,
# receive, masked, clear, deadlines.
EXPECTED = {
    "staff.c11":       "YYYYN",   # the receiving unit's officer
    "approver.c11":    "YYYYN",   # its chair
    "approver.d1":     "YYYYN",   # the levels above (their reads logged)
    "approver.tb":     "YYYYN",
    "protection.tb":   "YNYNN",   # petitions are not protection work: masked
    "protection.c12":  "YNFFN",
    "staff.d1":        "YYYNN",   # the district's officer receives at the district; C11 masked
    "viewer.d1":       "YNYNN",
    "viewer.tb":       "YNYNN",
    "tenant_admin.tb": "YNYNY",   # corrects the tenant's deadlines, reads petitions masked
    "tenant_admin.d1": "YNYNN",
    "staff.c12":       "YYFFN",
    "norole.d1":       "YNFFN",
    "approver.hy":     "YYFFN",   # another tenant
}
COLUMNS = ("list", "receive", "masked", "clear", "deadlines")
DECISION = {"Y": "allow", "N": "403", "F": "404"}


def overdue_follow_up(app, petition_id: int) -> int:
    from lhpn.accounts.models import User
    from lhpn.extensions import db
    from lhpn.followups.services import follow_ups_of
    from lhpn.petitions import services
    from lhpn.petitions.models import Petition

    with app.app_context():
        petition = db.session.get(Petition, petition_id)
        services.forward(db.session.get(User, petition.created_by_id), petition,
                         petition.version, agency="UBND xã Tân Lễ", written_on="2026-11-03",
                         due_on=date(2026, 11, 10))
        db.session.commit()
        return db.session.scalars(follow_ups_of("petition", petition_id)).one().id


@pytest.mark.parametrize("actor", sorted(EXPECTED))
def test_petition_pages(app, people, actor, monkeypatch):
    monkeypatch.setattr(clock, "utcnow", lambda: datetime(2026, 11, 30, 5))
    petition_id = receive(app, received_on="2026-11-02")
    fu_id = overdue_follow_up(app, petition_id)
    reader = app.test_client()
    assert login(reader, actor).status_code == 302
    token = csrf_token(reader, "/account")
    for method, template, column, data, allowed in PETITION_PAGES:
        path = template.replace("{petition}", str(petition_id)).replace("{fu}", str(fu_id))
        body = {k: v.replace("{unit}", str(people.units["C11"])) for k, v in data.items()} \
            if data else data
        got = page_outcome(_page(reader, method, path, body, token))
        expected = DECISION[EXPECTED[actor][COLUMNS.index(column)]]
        assert got == want(expected, allowed), (actor, method, path)
