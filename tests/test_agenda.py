"""The pages every record kind shares (lhpn/agenda, lhpn/records.py): the search of a unit's
records, the deadlines on the dashboard, the calendar and their API, shown with incidents (the
kind that exists) and with a made-up kind registered for one test, on a fixed clock (Vietnam's
3 December 2026).

The search finds a case by its number and its kind, never by its victim's name; the deadlines
list the cases' follow-ups, upcoming and overdue, on the dashboards of the unit and the units
above it, never on a sibling's nor another tenant's; nobody sees personal data there."""

import re
from datetime import date, datetime
from types import SimpleNamespace

import pytest

from lhpn import clock, records
from lhpn.accounts.models import User
from lhpn.extensions import db
from lhpn.followups import services as follow_ups
from lhpn.incidents.models import Incident
from lhpn.reports.models import ReportTemplate, TemplateItem
from lhpn.units.models import Unit
from tests.conftest import api_token
from tests.test_api import Caller
from tests.test_api_incidents import valid
from tests.test_incidents import NAME, PHONE, SECRETS, as_user, record_case

TODAY = date(2026, 12, 3)
AGENCY = "Công an xã Tân Lễ"


@pytest.fixture
def frozen(monkeypatch):
    # 10:00 in Vietnam on TODAY.
    monkeypatch.setattr(clock, "utcnow", lambda: datetime(2026, 12, 3, 3, 0))


def follow(app, world, incident_id: int, due_on: date, agency: str = AGENCY) -> int:
    with app.app_context():
        incident = db.session.get(Incident, incident_id)
        fu = follow_ups.start(db.session.get(User, world.users["staff.c11"]), "incident",
                              incident, incident.unit, agency=agency,
                              written_on=date(2026, 11, 21), due_on=due_on)
        db.session.commit()
        return fu.id


def section(html: str, heading_id: str) -> str:
    match = re.search(rf'<section [^>]*aria-labelledby="{heading_id}".*?</section>', html, re.S)
    return match.group(0) if match else ""


def text(response) -> str:
    return response.get_data(as_text=True)


def no_secret(page: str) -> None:
    assert not any(secret in page for secret in SECRETS), page[:2000]


def document(client) -> dict:
    return client.get("/api/v1/openapi.json").get_json()


def api(client, username: str) -> Caller:
    return Caller(client, api_token(client, username))


# ---- search --------------------------------------------------------------------------------------

def test_search_finds_a_case_by_number_and_kind_never_by_name(app, client, people, frozen):
    incident_id = record_case(app, client, people)
    viewer = as_user(app, "viewer.d1")
    title = f"Vụ việc số {incident_id} · Bạo lực gia đình"
    for q in (str(incident_id), f"#{incident_id}", "bạo lực", "bao luc gia dinh", "vụ việc",
              f"vu viec so {incident_id}", ""):
        page = text(viewer.get("/records/search", query_string={"q": q}))
        assert title in page, q
        assert f'href="/incidents/{incident_id}"' in page
        no_secret(page)
    for q in (NAME, "Nguyễn Thị", PHONE, "Tân Hòa", str(incident_id + 1), "mua bán người"):
        page = text(viewer.get("/records/search", query_string={"q": q}))
        assert title not in page and "Không tìm thấy hồ sơ nào." in page, q
    # A unit of the search: the commune's subtree holds it, the sibling commune's does not.
    page = text(viewer.get("/records/search", query_string={
        "q": str(incident_id), "unit_id": people.units["C11"]}))
    assert title in page
    page = text(viewer.get("/records/search", query_string={
        "q": str(incident_id), "unit_id": people.units["C12"]}))
    assert title not in page


def test_search_keeps_to_the_reach_and_the_tenant(app, client, people, frozen):
    incident_id = record_case(app, client, people)
    title = f"Vụ việc số {incident_id}"
    for username in ("staff.c12", "approver.hy"):
        page = text(as_user(app, username).get("/records/search",
                                               query_string={"q": str(incident_id)}))
        assert title not in page, username
    # Another tenant's unit is not found; a unit out of reach is refused.
    hy = as_user(app, "approver.hy")
    assert hy.get("/records/search", query_string={"unit_id": people.units["C11"]}
                  ).status_code == 404
    sibling = as_user(app, "staff.c12")
    assert sibling.get("/records/search", query_string={"unit_id": people.units["C11"]}
                       ).status_code == 403
    got = api(client, "approver.hy").call("GET", f"/records/search?q={incident_id}")
    assert got.status_code == 200 and got.get_json() == {"items": []}
    got = api(client, "approver.hy").call("GET", f"/records/search?unit_id={people.units['C11']}")
    assert got.status_code == 404


def test_search_over_the_api(app, client, people, frozen):
    incident_id = record_case(app, client, people)
    viewer = api(client, "viewer.d1")
    got = viewer.call("GET", f"/records/search?q={incident_id}&kind=incident")
    assert got.status_code == 200
    valid(document(client), "get", "/records/search", got)
    [hit] = got.get_json()["items"]
    assert hit == {"kind": "incident", "kind_label": "Vụ việc", "id": incident_id,
                   "title": f"Vụ việc số {incident_id} · Bạo lực gia đình",
                   "unit_name": "Hội LHPN xã Tân Lễ", "on": "2026-11-20",
                   "status": hit["status"], "url": f"/incidents/{incident_id}"}
    assert viewer.call("GET", "/records/search?q=Nguy%E1%BB%85n").get_json() == {"items": []}
    no_secret(got.get_data(as_text=True))


@pytest.mark.parametrize(("query", "field"), [
    ("q=" + "x" * 101, "q"), ("kind=unknown", "kind"), ("q=a%01b", "q"),
])
def test_bad_search_input_is_refused_with_a_message(app, client, people, query, field):
    page = as_user(app, "viewer.d1").get(f"/records/search?{query}")
    assert page.status_code == 422
    assert re.search(r"Từ khóa tìm kiếm|Không có loại hồ sơ này", text(page))
    got = api(client, "viewer.d1").call("GET", f"/records/search?{query}")
    assert got.status_code == 422
    assert got.get_json()["error"]["field"] == field


# ---- deadlines -----------------------------------------------------------------------------------

def test_the_dashboard_lists_overdue_and_upcoming_follow_ups_up_the_tree(
        app, client, people, frozen):
    incident_id = record_case(app, client, people)
    follow(app, people, incident_id, date(2026, 11, 25))                   # 8 days overdue
    follow(app, people, incident_id, date(2026, 12, 10), "Tòa án huyện")   # in 7 days
    follow(app, people, incident_id, date(2027, 1, 20), "Viện kiểm sát")   # beyond 14 days
    overdue = f"Vụ việc số {incident_id} — {AGENCY}"
    coming = f"Vụ việc số {incident_id} — Tòa án huyện"
    for username in ("viewer.d1", "approver.tb", "approver.c11", "staff.c11"):
        panel = section(text(as_user(app, username).get("/")), "deadlines-heading")
        assert "Hạn sắp tới" in panel, username
        late = panel.split("deadlines-overdue")[1].split("</ul>")[0]
        assert overdue in late and "Quá hạn 8 ngày" in late
        assert coming in panel and coming not in late and "Còn 7 ngày" in panel
        assert "Viện kiểm sát" not in panel
        assert f'href="/incidents/{incident_id}"' in panel
        no_secret(panel)
    for username in ("staff.c12", "approver.hy"):
        panel = section(text(as_user(app, username).get("/")), "deadlines-heading")
        assert f"Vụ việc số {incident_id}" not in panel, username
    # Answered: no longer waited for, gone from the panel.
    with app.app_context():
        fu = db.session.scalars(follow_ups.follow_ups_of("incident", incident_id)).first()
        follow_ups.answer(db.session.get(User, people.users["staff.c11"]), fu, fu.version,
                          answered_on=TODAY, answer="Đã xử lý.")
        db.session.commit()
    panel = section(text(as_user(app, "viewer.d1").get("/")), "deadlines-heading")
    assert overdue not in panel and coming in panel


def test_deadlines_over_the_api(app, client, people, frozen):
    incident_id = record_case(app, client, people)
    follow(app, people, incident_id, date(2026, 11, 25))
    follow(app, people, incident_id, date(2026, 12, 20), "Tòa án huyện")
    follow(app, people, incident_id, date(2027, 1, 20), "Viện kiểm sát")
    got = api(client, "viewer.d1").call("GET", "/deadlines?from=2026-12-01&to=2026-12-31")
    assert got.status_code == 200
    valid(document(client), "get", "/deadlines", got)
    body = got.get_json()
    assert (body["from"], body["to"]) == ("2026-12-01", "2026-12-31")
    assert [(i["title"], i["due_on"], i["overdue"]) for i in body["items"]] == [
        (f"Vụ việc số {incident_id} — {AGENCY}", "2026-11-25", True),
        (f"Vụ việc số {incident_id} — Tòa án huyện", "2026-12-20", False)]
    assert body["items"][0]["url"] == f"/incidents/{incident_id}"
    no_secret(got.get_data(as_text=True))
    # By default: from today, 30 days on.
    body = api(client, "viewer.d1").call("GET", "/deadlines").get_json()
    assert (body["from"], body["to"]) == ("2026-12-03", "2027-01-02")
    # Another tenant's caller sees none of them.
    body = api(client, "approver.hy").call("GET", "/deadlines?from=2026-12-01&to=2026-12-31"
                                           ).get_json()
    assert body["items"] == []


@pytest.mark.parametrize(("query", "field"), [
    ("from=2026-12-31&to=2026-12-01", "to"), ("from=2026-01-01&to=2027-01-03", "to"),
    ("from=2026-02-30", "from"), ("to=31/12/2026", "to"),
])
def test_bad_deadline_days_are_refused(app, client, people, query, field):
    got = api(client, "viewer.d1").call("GET", f"/deadlines?{query}")
    assert got.status_code == 422
    valid(document(client), "get", "/deadlines", got)
    error = got.get_json()["error"]
    assert error["field"] == field and error["message"]


# ---- the calendar --------------------------------------------------------------------------------

def monthly_form(app, world) -> None:
    """A monthly form the communes send by the 5th of the next month."""
    from lhpn.indicators.services import create_indicator

    with app.app_context():
        tenant_id = world.tenants["TB"]
        indicator = create_indicator(None, tenant_id, code="SO", name="Số lượt", kind="count",
                                     aggregation="sum")
        db.session.add(ReportTemplate(
            tenant_id=tenant_id, code="BC_LICH", name="Báo cáo lịch thử", period_type="month",
            levels="commune", due_day=5, due_months_after=1,
            items=[TemplateItem(indicator_id=indicator.id, position=0)]))
        db.session.commit()


def test_the_calendar_lists_a_report_due_date_and_a_follow_up(app, client, people, frozen):
    incident_id = record_case(app, client, people)
    monthly_form(app, people)
    follow(app, people, incident_id, date(2026, 12, 10), "Tòa án huyện")
    follow(app, people, incident_id, date(2026, 11, 25))  # November's: not December's page
    viewer = as_user(app, "viewer.d1")
    page = text(viewer.get("/calendar?month=2026-12"))
    assert "Lịch hạn tháng 12/2026" in page
    fifth, tenth = section(page, "day-2026-12-05"), section(page, "day-2026-12-10")
    assert "Hạn gửi báo cáo: Báo cáo lịch thử" in fifth and "11/2026" in fifth
    assert f"Vụ việc số {incident_id} — Tòa án huyện" in tenth
    assert AGENCY not in page
    no_secret(page)
    # This month by default; November holds the overdue one.
    assert "Lịch hạn tháng 12/2026" in text(viewer.get("/calendar"))
    november = text(viewer.get("/calendar?month=2026-11"))
    assert f"Vụ việc số {incident_id} — {AGENCY}" in section(november, "day-2026-11-25")
    # The dashboard links to it.
    assert 'href="/calendar"' in text(viewer.get("/"))
    # Over the API, the report's due date too.
    body = api(client, "viewer.d1").call("GET", "/deadlines?from=2026-12-01&to=2026-12-31"
                                         ).get_json()
    [mine] = [r for r in body["reports"] if r["template"] == "BC_LICH"]
    assert mine == {"template": "BC_LICH", "template_name": "Báo cáo lịch thử",
                    "period": "2026-11", "label": mine["label"], "due_on": "2026-12-05"}


@pytest.mark.parametrize("month", ["2026-13", "12-2026", "2026-1", "abc", "1800-01"])
def test_a_bad_month_is_refused_with_a_message(app, people, month):
    page = as_user(app, "viewer.d1").get(f"/calendar?month={month}")
    assert page.status_code == 422
    assert "Tháng không hợp lệ" in text(page)


# ---- any kind ------------------------------------------------------------------------------------

@pytest.fixture
def fake_kind(app):
    """A kind registered for one test, as supervisions and petitions register theirs."""
    seen: list[tuple] = []

    def search(user, words, unit_ids):
        seen.append(("search", user.username, words))
        if "giam sat" not in words:
            return []
        unit = db.session.scalars(records_units(user, unit_ids)).first()
        return [records.Hit("fake_supervision", 7, "Giám sát số 7 · chính sách vay vốn",
                            unit.name if unit else "", TODAY, "Đang thực hiện", "/fake/7")]

    def deadlines(user, start, end):
        seen.append(("deadlines", user.username, start, end))
        due = date(2026, 12, 8)
        if due > end or (start is not None and due < start):
            return []
        return [records.Deadline("fake_supervision", 7, "Góp ý dự thảo số 7", "Hội LHPN xã "
                                 "Tân Lễ", due, False, "/fake/7")]

    kind = records.register(records.RecordKind(
        "fake_supervision", "Giám sát thử", url=lambda i: f"/fake/{i}", search=search,
        deadlines=deadlines))
    try:
        yield kind, seen
    finally:
        records.KINDS.pop("fake_supervision", None)


def records_units(user, unit_ids):
    from sqlalchemy import select

    return select(Unit).where(Unit.id.in_(unit_ids)).order_by(Unit.path)


def test_any_registered_kind_shows_in_the_search_the_dashboard_and_the_calendar(
        app, client, people, frozen, fake_kind):
    _kind, seen = fake_kind
    viewer = as_user(app, "viewer.d1")
    page = text(viewer.get("/records/search?q=Giám sát"))
    assert "Giám sát thử" in page and "Giám sát số 7 · chính sách vay vốn" in page
    assert ("search", "viewer.d1", "giam sat") in seen
    assert "Góp ý dự thảo số 7" in section(text(viewer.get("/")), "deadlines-heading")
    assert "Góp ý dự thảo số 7" in section(text(viewer.get("/calendar?month=2026-12")),
                                          "day-2026-12-08")
    body = api(client, "viewer.d1").call("GET", "/records/search?kind=fake_supervision&q=giam+sat"
                                         ).get_json()
    assert [(i["kind"], i["kind_label"], i["id"]) for i in body["items"]] == [
        ("fake_supervision", "Giám sát thử", 7)]
    # An overdue follow-up of that kind (a recommendation, say) shows on the dashboards of its
    # unit and the units above, linked to its record; not on a sibling commune's.
    with app.app_context():
        unit = db.session.get(Unit, people.units["C11"])
        follow_ups.start(db.session.get(User, people.users["staff.c11"]), "fake_supervision",
                         SimpleNamespace(id=7, tenant_id=unit.tenant_id), unit,
                         agency="UBND xã Tân Lễ", written_on=date(2026, 11, 1),
                         due_on=date(2026, 11, 30), content="Bố trí vốn vay")
        db.session.commit()
    for username in ("viewer.d1", "approver.tb", "staff.c11"):
        panel = section(text(as_user(app, username).get("/")), "deadlines-heading")
        late = panel.split("deadlines-overdue")[1].split("</ul>")[0]
        assert "Giám sát thử số 7 — UBND xã Tân Lễ" in late, username
        assert 'href="/fake/7"' in late
    panel = section(text(as_user(app, "staff.c12").get("/")), "deadlines-heading")
    assert "UBND xã Tân Lễ" not in panel


def test_registering_a_kind_twice_differently_is_an_error(fake_kind):
    kind, _seen = fake_kind
    assert records.register(kind) is kind
    with pytest.raises(ValueError, match="registered twice"):
        records.register(records.RecordKind("fake_supervision", "Khác", url=str))
