"""DON_THU bound to petitions (lhpn/indicators/bindings.py "petitions.received"): a monthly
report of C11 opens with the number of petitions C11 itself received in its month, linked to
their ids; a branch's petitions and another month's do not count; the officer may give another
number with a reason (the approver's view of overrides is shared with the incident bindings,
tests/test_indicator_binding.py)."""

from datetime import date, datetime

import pytest
from sqlalchemy import select

from lhpn import clock
from lhpn.accounts.models import User
from lhpn.extensions import db
from lhpn.indicators.models import Indicator
from lhpn.petitions import services
from lhpn.reports.models import Report
from lhpn.units.models import Unit
from tests.conftest import api_token
from tests.test_indicator_binding import as_user, open_monthly, save_form, value_input
from tests.test_petitions import form


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(clock, "utcnow", lambda: datetime(2026, 12, 10, 5))


def petition(app, world, unit: str, received_on: date, staff: str = "approver.d1") -> int:
    with app.app_context():
        made = services.receive(db.session.get(User, world.users[staff]),
                                db.session.get(Unit, world.units[unit]),
                                form(received_on=received_on.isoformat()))
        db.session.commit()
        return made.id


def test_the_monthly_report_opens_with_the_units_own_petitions_received(app, people):
    first = petition(app, people, "C11", date(2026, 11, 1))
    last = petition(app, people, "C11", date(2026, 11, 30))
    petition(app, people, "C11", date(2026, 10, 31))   # another month
    petition(app, people, "B111", date(2026, 11, 10))  # a branch of C11: its own figure
    with app.app_context():
        bound = db.session.scalar(select(Indicator).where(
            Indicator.tenant_id == people.tenants["TB"], Indicator.code == "DON_THU"))
        assert bound.binding == "petitions.received"
    report_id = open_monthly(app, people)
    staff = as_user(app, "staff.c11")
    page = staff.get(f"/reports/{report_id}/edit").get_data(as_text=True)
    assert value_input(page, "DON_THU") == "2"
    client = app.test_client()
    token = api_token(client, "staff.c11")
    answer = client.get(f"/api/v1/reports/{report_id}",
                        headers={"Authorization": f"Bearer {token}"}).get_json()
    assert answer["from_records"]["DON_THU"] == {
        "count": 2, "overridden": False, "reason": "", "value": 2, "record_ids": [first, last]}
    refused = save_form(app, staff, report_id, {"DON_THU": "5"})
    assert refused.status_code == 422
    saved = save_form(app, staff, report_id, {"DON_THU": "5"},
                      **{"r-DON_THU": "3 đơn nhận tại buổi tiếp dân chưa vào sổ"})
    assert saved.status_code == 302
    with app.app_context():
        row = next(v for v in db.session.get(Report, report_id).values
                   if v.indicator.code == "DON_THU")
        assert (row.number, row.from_records, row.override_reason) == \
            (5, 2, "3 đơn nhận tại buổi tiếp dân chưa vào sổ")
