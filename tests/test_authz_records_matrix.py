"""The authorization matrix of the pages and endpoints every record kind shares (lhpn/agenda,
lhpn/api/records.py): every route × every actor around commune C11, compared with decisions
written by hand. They only read, and only within the actor's reach (what they find there is
checked by tests/test_agenda.py).

Columns: the search (page and API), the search within commune C11 (page: 403 for a unit of
the tenant out of reach, as every page that loads a unit; API: 404, as the API says of a unit
the caller may not view), and the calendar and deadlines (page and API).
"""

import pytest

from tests.authz_outcomes import SUCCESS, api_outcome, page_outcome, want
from tests.conftest import api_token, login
from tests.test_authz_api_matrix import _call
from tests.test_authz_matrix import _page

# (method, path, column)
RECORD_PAGES = [
    ("GET", "/records/search", "search"),
    ("GET", "/records/search?q=12", "search"),
    ("GET", "/records/search?unit_id={unit}", "unit"),
    ("GET", "/calendar", "calendar"),
    ("GET", "/calendar?month=2026-12", "calendar"),
]
RECORD_API = [
    ("GET", "/api/v1/records/search?q=12", "search"),
    ("GET", "/api/v1/records/search?unit_id={unit}", "api_unit"),
    ("GET", "/api/v1/deadlines", "calendar"),
    ("GET", "/api/v1/deadlines?from=2026-12-01&to=2026-12-31", "calendar"),
]
RECORDS_COVERED = [(method, path.split("?")[0]) for method, path, _c in RECORD_PAGES + RECORD_API]

# Y allowed, N 403, F 404, for the columns search, unit, calendar, api_unit.
EXPECTED = {
    "staff.c11":       "YYYY",
    "approver.c11":    "YYYY",
    "approver.d1":     "YYYY",
    "approver.tb":     "YYYY",
    "protection.tb":   "YYYY",
    "protection.c12":  "YNYF",   # views its own commune, not C11
    "staff.d1":        "YYYY",
    "viewer.d1":       "YYYY",
    "viewer.tb":       "YYYY",
    "tenant_admin.tb": "YYYY",
    "tenant_admin.d1": "YYYY",
    "staff.c12":       "YNYF",
    "norole.d1":       "NNYN",   # views no unit: nothing to search; an empty calendar
    "approver.hy":     "YFYF",   # another tenant: C11 is not found
}
COLUMNS = ("search", "unit", "calendar", "api_unit")
DECISION = {"Y": "allow", "N": "403", "F": "404"}


@pytest.mark.parametrize("actor", sorted(EXPECTED))
def test_record_pages_and_endpoints(app, client, people, actor):
    fill = str(people.units["C11"])
    reader = app.test_client()
    assert login(reader, actor).status_code == 302
    for method, template, column in RECORD_PAGES:
        got = page_outcome(_page(reader, method, template.replace("{unit}", fill), None, None))
        expected = DECISION[EXPECTED[actor][COLUMNS.index(column)]]
        assert got == want(expected, SUCCESS), (actor, method, template)
    token = api_token(client, actor)
    for method, template, column in RECORD_API:
        got = api_outcome(_call(client, method, template.replace("{unit}", fill), None, token))
        expected = DECISION[EXPECTED[actor][COLUMNS.index(column)]]
        assert got == want(expected, SUCCESS), (actor, method, template)


def test_the_system_administrator_has_no_records(app, client, world):
    from lhpn.accounts.services import create_user
    from lhpn.extensions import db
    from tests.factories import PASSWORD

    with app.app_context():
        create_user(None, tenant_id=None, username="sysadmin", password=PASSWORD,
                    is_system_admin=True)
        db.session.commit()
    login(client, "sysadmin")
    for path in ("/records/search", "/calendar"):
        assert client.get(path).status_code == 403, path
    token = api_token(client, "sysadmin")
    for path in ("/api/v1/records/search", "/api/v1/deadlines"):
        assert _call(client, "GET", path, None, token).status_code == 403, path
