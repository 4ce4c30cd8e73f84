"""Petitions over the API (lhpn/api/petitions.py): received with the deadline of its category,
masked by default with the same keys null, in clear with a purpose (logged for readers outside
the handling unit), handled through the status endpoint with optimistic locking, the
forwarding followed up, overdue on a fixed clock, bad input refused with nothing saved and no
personal data in the error, another tenant's id 404, the deadlines for admins; every answer
matches the document."""

from datetime import datetime

import jsonschema
import pytest
from sqlalchemy import func, select

from lhpn import clock
from lhpn.extensions import db
from lhpn.notifications.models import Notification
from lhpn.petitions.models import Petition
from lhpn.privacy.models import SensitiveRead
from tests.conftest import api_token
from tests.test_api import Caller, schema_for
from tests.test_petitions import ADDRESS, NAME, PHONE, SECRETS, SUMMARY


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(clock, "utcnow", lambda: datetime(2026, 11, 30, 5))


@pytest.fixture
def document(client):
    return client.get("/api/v1/openapi.json").get_json()


def caller(client, username: str) -> Caller:
    return Caller(client, api_token(client, username))


def new_body(world, **overrides) -> dict:
    return {"unit_id": world.units["C11"], "received_on": "2026-11-02",
            "category": "complaint", "channel": "letter",
            "petitioner": {"full_name": NAME, "address": ADDRESS, "phone": PHONE},
            "summary": SUMMARY} | overrides


def valid(document, method: str, template: str, response) -> None:
    schema = schema_for(document, method, template, response.status_code)
    jsonschema.Draft202012Validator(schema | {"components": document["components"]}
                                    ).validate(response.get_json())


def no_secret(response) -> None:
    text = response.get_data(as_text=True)
    assert not any(secret in text for secret in SECRETS), text[:1000]
    assert response.headers["Cache-Control"] == "no-store"


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_received_masked_then_read_in_clear_and_handled(app, client, people, document):
    staff = caller(client, "staff.c11")
    response = staff.post("/petitions", new_body(people))
    assert response.status_code == 201, response.get_json()
    valid(document, "POST", "/petitions", response)
    no_secret(response)
    got = response.get_json()
    assert (got["due_on"], got["status"], got["number"], got["clear"]) == \
        ("2026-12-02", "received", 1, False)
    assert got["petitioner"] == {"full_name": None, "address": None, "phone": None}
    pid = got["id"]
    masked = staff.get(f"/petitions/{pid}")
    valid(document, "GET", "/petitions/{petition_id}", masked)
    no_secret(masked)
    clear = staff.get(f"/petitions/{pid}?purpose=handling").get_json()
    assert clear["clear"] and clear["petitioner"]["full_name"] == NAME
    assert count(app, SensitiveRead) == 0  # the unit's own reading
    above = caller(client, "approver.d1").get(f"/petitions/{pid}?purpose=supervision")
    valid(document, "GET", "/petitions/{petition_id}", above)
    assert above.get_json()["summary"] == SUMMARY
    with app.app_context():
        [read] = db.session.scalars(select(SensitiveRead)).all()
        assert (read.channel, read.purpose, read.object_id) == ("api", "supervision", pid)
    viewer = caller(client, "viewer.d1")
    assert viewer.get(f"/petitions/{pid}?purpose=handling").status_code == 403
    listed = viewer.get(f"/petitions?unit_id={people.units['C11']}")
    valid(document, "GET", "/petitions", listed)
    no_secret(listed)
    # handling: stale version, then forward with its letter, tell, close
    stale = staff.post(f"/petitions/{pid}/status", {"action": "handle", "version": 7})
    assert stale.status_code == 409
    step = staff.post(f"/petitions/{pid}/status",
                      {"action": "forward", "version": 1, "agency": "UBND xã Tân Lễ",
                       "letter_number": "9/CV-HPN", "written_on": "2026-11-03"})
    assert step.status_code == 200, step.get_json()
    valid(document, "POST", "/petitions/{petition_id}/status", step)
    assert step.get_json()["status"] == "forwarded"
    follow = staff.get(f"/petitions/{pid}?purpose=handling").get_json()["follow_ups"]
    assert [(f["agency"], f["due_on"]) for f in follow] == [("UBND xã Tân Lễ", "2026-12-03")]
    told = staff.post(f"/petitions/{pid}/tell", {"version": 2, "told_on": "2026-11-04"})
    assert told.status_code == 200 and told.get_json()["told_on"] == "2026-11-04"
    closed = staff.post(f"/petitions/{pid}/status", {"action": "close", "version": 3})
    assert closed.get_json()["status"] == "closed"


def test_overdue_filter_on_a_fixed_clock(app, client, people, monkeypatch):
    staff = caller(client, "staff.c11")
    late = staff.post("/petitions", new_body(people, category="reflection",
                                             received_on="2026-11-10")).get_json()["id"]
    staff.post("/petitions", new_body(people, received_on="2026-11-25"))
    listed = staff.get(f"/petitions?unit_id={people.units['C11']}&overdue=true").get_json()
    assert [p["id"] for p in listed["items"]] == [late]
    monkeypatch.setattr(clock, "utcnow", lambda: datetime(2026, 11, 20, 5))
    assert staff.get("/petitions?overdue=true").get_json()["items"] == []


@pytest.mark.parametrize("change", [
    {"category": "gossip"}, {"received_on": "2026-12-01"}, {"summary": ""},
    {"channel": "forwarded"}, {"received_on": "01/11/2026"}, {"unexpected": 1},
    {"petitioner": {"full_name": NAME, "phone": "không có"}}])
def test_bad_input_refused_with_nothing_saved(app, client, people, change):
    response = caller(client, "staff.c11").post("/petitions", new_body(people) | change)
    assert response.status_code in (400, 422), response.get_json()
    no_secret(response)
    assert count(app, Petition) == 0


def test_another_tenants_petition_answers_404_and_a_mass_one_is_told(app, client, people):
    pid = caller(client, "staff.c11").post(
        "/petitions", new_body(people, is_mass=True)).get_json()["id"]
    assert count(app, Notification) >= 1
    with app.app_context():
        for notice in db.session.scalars(select(Notification)):
            assert not any(secret in notice.message for secret in SECRETS)
    other = caller(client, "approver.hy")
    assert other.get(f"/petitions/{pid}").status_code == 404
    assert other.post(f"/petitions/{pid}/status", {"action": "handle", "version": 1}
                      ).status_code == 404
    assert other.post("/petitions", new_body(people)).status_code == 404


def test_deadlines_for_admins(app, client, people, document):
    admin = caller(client, "tenant_admin.tb")
    got = admin.get("/petition-deadlines")
    valid(document, "GET", "/petition-deadlines", got)
    assert got.get_json() == {"complaint": 30, "denunciation": 30, "recommendation": 10,
                              "reflection": 10}
    assert admin.call("PUT", "/petition-deadlines", {"complaint": 0}).status_code == 422
    put = admin.call("PUT", "/petition-deadlines", {"complaint": 45})
    assert put.status_code == 200 and put.get_json()["complaint"] == 45
    assert caller(client, "staff.c11").get("/petition-deadlines").status_code == 403
    due = caller(client, "staff.c11").post("/petitions", new_body(people)).get_json()["due_on"]
    assert due == "2026-12-17"


def test_every_petition_operation_answers_its_documented_schema(app, client, people, document,
                                                                monkeypatch):
    """Each operation under /petitions and /petition-deadlines, called once for real."""
    from tests.test_api import documented_operations

    staff, admin = caller(client, "staff.c11"), caller(client, "tenant_admin.tb")
    seen = set()

    def check(method: str, template: str, response, status: int = 200) -> dict:
        assert response.status_code == status, (method, template, response.get_json())
        if response.is_json:
            valid(document, method, template, response)
        seen.add((method, template))
        return response.get_json() if response.is_json else {}

    one = "/petitions/{petition_id}"
    fu_base = one + "/follow-ups"
    pid = check("POST", "/petitions", staff.post("/petitions", new_body(people)), 201)["id"]
    check("GET", "/petitions", staff.get("/petitions?overdue=false&year=2026"))
    check("GET", one, staff.get(f"/petitions/{pid}?purpose=handling"))
    patched = check("PATCH", one, staff.patch(f"/petitions/{pid}", {"version": 1,
                                                                    "subject": "Đất"}))
    assert patched["version"] == 2, patched
    check("POST", one + "/mass", staff.post(f"/petitions/{pid}/mass", {"version": 2}))
    check("POST", one + "/status", staff.post(f"/petitions/{pid}/status",
                                              {"action": "handle", "version": 3}))
    fu = check("POST", fu_base, staff.post(f"/petitions/{pid}/follow-ups", {
        "agency": "UBND xã Tân Lễ", "written_on": "2026-11-03", "due_on": "2026-11-10"}), 201)
    fid = fu["id"]
    check("PATCH", fu_base + "/{follow_up_id}", staff.patch(
        f"/petitions/{pid}/follow-ups/{fid}", {"version": 1, "letter_number": "3/CV"}))
    letter = staff.get(f"/petitions/{pid}/follow-ups/{fid}/chasing-letter")
    check("GET", fu_base + "/{follow_up_id}/chasing-letter", letter)
    check("POST", fu_base + "/{follow_up_id}/chased",
          staff.post(f"/petitions/{pid}/follow-ups/{fid}/chased", {"version": 2}))
    check("POST", fu_base + "/{follow_up_id}/answer",
          staff.post(f"/petitions/{pid}/follow-ups/{fid}/answer",
                     {"version": 3, "answered_on": "2026-11-29", "answer": "Đã giải quyết."}))
    check("POST", fu_base + "/{follow_up_id}/close",
          staff.post(f"/petitions/{pid}/follow-ups/{fid}/close", {"version": 4}))
    check("POST", one + "/status", staff.post(f"/petitions/{pid}/status", {
        "action": "resolve", "version": 4, "outcome": "Đã giải quyết.", "on": "2026-11-29"}))
    check("POST", one + "/tell", staff.post(f"/petitions/{pid}/tell",
                                            {"version": 5, "told_on": "2026-11-30"}))
    check("GET", "/petition-deadlines", admin.get("/petition-deadlines"))
    check("PUT", "/petition-deadlines", admin.call("PUT", "/petition-deadlines",
                                                   {"reflection": 12}))
    mine = {op for op in documented_operations(document) if op[1].startswith("/petition")}
    assert seen == mine
