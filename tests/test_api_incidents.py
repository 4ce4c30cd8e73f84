"""Incidents over the API (lhpn/api/incidents.py): recorded with the chain told without the
victim's identity, masked by default, in clear only with a purpose (logged on channel "api"),
bad input refused with nothing saved and no personal data in the error, handled with optimistic
locking; every answer matches the document and says Cache-Control: no-store."""

import jsonschema
import pytest
from sqlalchemy import func, select

from lhpn.accounts.models import User
from lhpn.extensions import db
from lhpn.incidents.models import Incident, Victim
from lhpn.notifications.models import Notification
from lhpn.privacy.models import SensitiveRead
from tests.conftest import api_token
from tests.test_api import Caller, schema_for
from tests.test_incidents import (
    ADDRESS,
    FACTS,
    NAME,
    OUTCOME,
    PHONE,
    SECRETS,
    case_form,
    record_case,
)

SECOND = "Trần Thị Mai"
ALL_SECRETS = (*SECRETS, OUTCOME, SECOND, "Trần Văn Nam", "Tân Hòa")


@pytest.fixture
def document(client):
    return client.get("/api/v1/openapi.json").get_json()


def caller(client, username: str) -> Caller:
    return Caller(client, api_token(client, username))


def case_body(app, world, **overrides) -> dict:
    """The JSON body of case_form's case (the kind by its code)."""
    form = case_form(app, world)
    victim = {"full_name": NAME, "birth_year": 1990, "sex": "female", "is_child": None,
              "address": ADDRESS, "phone": PHONE}
    return {"unit_id": world.units["C11"], "kind": "domestic_violence",
            "occurred_on": form["occurred_on"], "place": form["place"], "source": form["source"],
            "facts": FACTS, "current_state": form["victim_state"],
            "responsible": form["responsible"],
            "responsible_relation": form["responsible_relation"], "victims": [victim]} | overrides


def valid(document, method: str, template: str, response) -> None:
    schema = schema_for(document, method, template, response.status_code)
    jsonschema.Draft202012Validator(schema | {"components": document["components"]}
                                    ).validate(response.get_json())


def no_secret(response) -> None:
    text = response.get_data(as_text=True)
    assert not any(secret in text for secret in ALL_SECRETS), text[:1000]
    assert response.headers["Cache-Control"] == "no-store"


def counts(app) -> tuple[int, int, int]:
    with app.app_context():
        return tuple(db.session.scalar(select(func.count()).select_from(model))
                     for model in (Incident, Notification, SensitiveRead))


@pytest.mark.parametrize("kind", ["code", "id"])
def test_recorded_over_the_api_and_the_chain_is_told_without_identity(
        app, client, people, document, kind):
    data = case_body(app, people)
    if kind == "id":
        data["kind"] = int(case_form(app, people)["kind"])
    response = caller(client, "staff.c11").post("/incidents", data)
    assert response.status_code == 201, response.get_json()
    valid(document, "POST", "/incidents", response)
    no_secret(response)
    case = response.get_json()
    assert response.headers["Location"].endswith(f"/api/v1/incidents/{case['id']}")
    assert (case["kind"]["code"], case["status"], case["version"]) == (
        "domestic_violence", "open", 1)
    assert case["unit"] == case["commune"] == {"id": people.units["C11"],
                                               "name": "Hội LHPN xã Tân Lễ"}
    assert case["victims"] == [MASKED_VICTIM | {"age_band": "30–44 tuổi", "is_child": False}]
    assert case["clear"] is False and case["facts"] is None and case["interventions"] is None
    with app.app_context():
        victim = db.session.scalars(select(Victim)).one()
        assert (victim.full_name, victim.phone, victim.birth_year) == (NAME, PHONE, 1990)
        told = {db.session.get(User, n.user_id).username: n.message
                for n in db.session.scalars(select(Notification))}
    assert set(told) == {"approver.c11", "approver.d1", "approver.tb", "protection.tb"}
    for message in told.values():
        assert f"Vụ việc số {case['id']}" in message
        assert not any(secret in message for secret in ALL_SECRETS)


MASKED_VICTIM = {"id": None, "full_name": None, "birth_year": None, "sex": "female",
                 "address": None, "phone": None}


def test_the_issue_s_example_body_is_recorded(app, client, people, document):
    # The body exactly as issue 15 writes it: no place (it can come later), a year of birth.
    form = case_form(app, people)
    data = {"unit_id": people.units["C11"], "kind": "domestic_violence",
            "occurred_on": form["occurred_on"], "source": "Chi hội trưởng báo qua điện thoại",
            "victims": [{"full_name": NAME, "birth_year": 2012, "sex": "female",
                         "address": ADDRESS, "phone": PHONE, "is_child": True}],
            "facts": FACTS, "current_state": "Đang ở nhà bà ngoại"}
    response = caller(client, "staff.c11").post("/incidents", data)
    assert response.status_code == 201, response.get_json()
    valid(document, "POST", "/incidents", response)
    no_secret(response)
    seen = caller(client, "approver.c11").get(
        f"/incidents/{response.get_json()['id']}?purpose=handling").get_json()
    assert (seen["clear"], seen["place"], seen["current_state"]) == (
        True, None, "Đang ở nhà bà ngoại")
    assert seen["victims"][0] | {"id": 0} == {
        "id": 0, "full_name": NAME, "birth_year": 2012, "sex": "female", "address": ADDRESS,
        "phone": PHONE, "is_child": True, "age_band": "12–15 tuổi"}


def test_an_age_instead_of_a_year_of_birth(app, client, people):
    staff = caller(client, "staff.c11")
    both = staff.post("/incidents", case_body(app, people, victims=[
        _victim(birth_year=1990, age=36)]))
    assert both.status_code == 422 and both.get_json()["error"]["field"] == "victims[0].age"
    no_secret(both)
    assert counts(app)[0] == 0
    made = staff.post("/incidents", case_body(app, people, victims=[
        _victim(birth_year=None, age=9, is_child=True)]))
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["victims"][0]["age_band"] == "6–11 tuổi"


# Who reads the case at C11 how over the API (as on the pages, tests/test_incidents.py).
SEES = {"staff.c11": "clear", "approver.d1": "clear", "protection.tb": "clear",
        "viewer.d1": "masked", "staff.d1": "masked",
        "protection.c12": "404", "approver.hy": "404"}


@pytest.mark.parametrize("username", sorted(SEES))
def test_masked_by_default_clear_with_a_purpose(
        app, client, people, document, username):
    incident_id = record_case(app, client, people)
    reader = caller(client, username)
    masked = reader.get(f"/incidents/{incident_id}")
    clear = reader.get(f"/incidents/{incident_id}?purpose=handling")
    listing = reader.get("/incidents")
    no_secret(masked), no_secret(listing)
    assert listing.status_code == 200
    valid(document, "GET", "/incidents", listing)
    listed = [item["id"] for item in listing.get_json()["items"]]
    with app.app_context():
        logged = db.session.scalars(select(SensitiveRead)).all()
    if SEES[username] == "404":
        assert (masked.status_code, clear.status_code) == (404, 404)
        no_secret(clear)
        assert listed == [] and logged == []
        return
    assert masked.status_code == 200 and listed == [incident_id]
    valid(document, "GET", "/incidents/{incident_id}", masked)
    assert masked.get_json()["clear"] is False
    assert masked.get_json()["victims"] == [MASKED_VICTIM | {"age_band": "30–44 tuổi",
                                                              "is_child": False}]
    if SEES[username] == "masked":
        assert clear.status_code == 403
        no_secret(clear)
        assert logged == []
        return
    assert clear.status_code == 200, clear.get_json()
    assert clear.headers["Cache-Control"] == "no-store"
    valid(document, "GET", "/incidents/{incident_id}", clear)
    seen = clear.get_json()
    assert (seen["clear"], seen["facts"], seen["responsible"]) == (True, FACTS, "Trần Văn Nam")
    assert seen["victims"][0] | {"id": 0} == {
        "id": 0, "full_name": NAME, "birth_year": 1990, "sex": "female", "is_child": False,
        "address": ADDRESS, "phone": PHONE, "age_band": "30–44 tuổi"}
    # The masked answer has the same keys, the clear ones null.
    assert set(seen) == set(masked.get_json())
    [entry] = logged
    assert (entry.user_id, entry.object_type, entry.object_id, entry.purpose, entry.channel) == (
        people.users[username], "incident", incident_id, "handling", "api")
    assert {"victim_name", "victim_phone", "facts"} <= set(entry.field_names)


def test_a_bad_purpose_logs_nothing(app, client, people):
    incident_id = record_case(app, client, people)
    reader = caller(client, "approver.d1")
    for purpose in ("", "curiosity", "other", "other&purpose_note=%20"):
        response = reader.get(f"/incidents/{incident_id}?purpose={purpose}")
        assert response.status_code == 422, (purpose, response.get_json())
        no_secret(response)
    assert counts(app)[2] == 0
    # Someone who may not read it in clear is refused before the purpose is judged.
    assert caller(client, "viewer.d1").get(
        f"/incidents/{incident_id}?purpose=curiosity").status_code == 403
    response = reader.get(f"/incidents/{incident_id}?purpose=other&purpose_note=Đối chiếu")
    assert response.status_code == 200
    with app.app_context():
        [entry] = db.session.scalars(select(SensitiveRead)).all()
        assert (entry.purpose, entry.purpose_note, entry.channel) == ("other", "Đối chiếu", "api")


def _victim(**overrides) -> dict:
    victim = {"full_name": NAME, "birth_year": 1990, "sex": "female", "address": ADDRESS,
              "phone": PHONE} | overrides
    return {key: value for key, value in victim.items() if value is not None}


@pytest.mark.parametrize("overrides, field", [
    ({"facts": None}, "facts"),
    ({"facts": "   "}, "facts"),
    ({"occurred_on": "2099-01-01"}, "occurred_on"),
    ({"occurred_on": "20/11/2026"}, "occurred_on"),
    ({"kind": "no_such_kind"}, "kind"),
    ({"kind": 999999}, "kind"),
    ({"victims": []}, "victims"),
    ({"victims": None}, "victims"),
    ({"victims": [_victim(full_name="")]}, "victims[0].full_name"),
    ({"victims": [_victim(sex=NAME)]}, "victims[0].sex"),
    ({"victims": [_victim(phone=[NAME, PHONE])]}, "victims[0].phone"),
    ({"victims": [_victim(phone="gọi " + PHONE)]}, "victim_phone"),
    ({"victims": [_victim(birth_year=None, age=9, is_child=False)]}, "victim_child"),
    ({"victims": [_victim(birth_year=100)]}, "victims[0].birth_year"),
    ({"victims": [_victim(age=121, birth_year=None)]}, "victims[0].age"),
    ({"victims": [_victim(child=True)]}, "victims[0].child"),
    ({"victim_state": "Ổn định"}, "victim_state"),
    ({"source": ""}, "source"),
    ({"victims": [_victim(full_name=NAME + "\x00")]}, "victims[0].full_name"),
    ({"victims": [_victim(nickname=NAME)]}, "victims[0].nickname"),
    ({"victims": [_victim(full_name=NAME * 50)]}, "victims[0].full_name"),
])
def test_bad_input_is_refused_with_nothing_saved_and_nothing_echoed(
        app, client, people, overrides, field):
    data = case_body(app, people, **overrides)
    data = {key: value for key, value in data.items() if value is not None}
    response = caller(client, "staff.c11").post("/incidents", data)
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error"]["field"] == field
    no_secret(response)
    assert counts(app) == (0, 0, 0)


def test_who_records_where(app, client, people):
    # Another commune's unit the caller does not view: 404; a unit they view but may not
    # record at: 403; both before the body is judged.
    protection_c12 = caller(client, "protection.c12")
    assert protection_c12.post("/incidents", {"unit_id": people.units["C11"]}).status_code == 404
    assert caller(client, "viewer.d1").post(
        "/incidents", {"unit_id": people.units["C11"]}).status_code == 403
    assert caller(client, "approver.hy").post(
        "/incidents", case_body(app, people)).status_code == 404
    assert counts(app) == (0, 0, 0)


def test_the_case_is_handled_over_the_api(
        app, client, people, document):
    incident_id = record_case(app, client, people)
    chair = caller(client, "approver.c11")
    base = f"/incidents/{incident_id}"

    def step(path: str, data: dict, status: int = 200, method: str = "POST"):
        response = chair.call(method, base + path, data)
        assert response.status_code == status, response.get_json()
        no_secret(response)
        if status == 200:
            valid(document, method, "/incidents/{incident_id}" + path, response)
        return response.get_json()

    assert step("/interventions", {"version": 1, "given_on": "2026-11-21", "kind": "counselling",
                                   "by_whom": "Chủ tịch Hội LHPN xã",
                                   "note": "Tư vấn tâm lý tại nhà"})["version"] == 2
    case = step("/victims", {"version": 2, "full_name": SECOND, "age": 7,
                             "sex": "female", "is_child": True})
    assert case["version"] == 3 and case["victims"][1] == MASKED_VICTIM | {
        "age_band": "6–11 tuổi", "is_child": True}
    # A stale version changes nothing.
    assert step("/status", {"version": 1, "action": "follow"}, 409)["error"]["field"] == "version"
    assert step("", {"version": 2, "facts": "Khác"}, 409, "PATCH")["error"]["code"] == "conflict"
    assert step("", {"version": 3}, 422, "PATCH")
    assert step("", {"version": 3, "facts": FACTS + " Đã hòa giải."}, method="PATCH")[
        "version"] == 4
    assert step("/status", {"version": 4, "action": "follow"})["status"] == "following"
    assert step("/status", {"version": 5, "action": "close"}, 422)["error"]["field"] == "outcome"
    assert step("/status", {"version": 5, "action": "close", "outcome": OUTCOME})[
        "status"] == "closed"
    assert step("/status", {"version": 6, "action": "follow"}, 409)
    assert step("/status", {"version": 6, "action": "reopen"})["status"] == "open"
    with app.app_context():
        incident = db.session.get(Incident, incident_id)
        assert (incident.status, incident.outcome, incident.facts, len(incident.victims)) == (
            "open", OUTCOME, FACTS + " Đã hòa giải.", 2)
        assert [i.kind for i in incident.interventions] == ["counselling"]
        assert incident.kind.code == "domestic_violence" and incident.place
    # The chain reads it all back in clear; a viewer may not handle it; another tenant's
    # chair does not find it.
    seen = chair.get(f"{base}?purpose=handling").get_json()
    assert [v["full_name"] for v in seen["victims"]] == [NAME, SECOND]
    assert seen["interventions"][0]["note"] == "Tư vấn tâm lý tại nhà"
    for username, status in (("viewer.d1", 403), ("approver.hy", 404)):
        other = caller(client, username)
        for path, data in (("/status", {"version": 7, "action": "follow"}),
                           ("/victims", {"version": 7} | _victim()),
                           ("/interventions", {"version": 7}), ("", {"version": 7})):
            method = "PATCH" if path == "" else "POST"
            response = other.call(method, base + path, data)
            assert response.status_code == status, (username, path)
            no_secret(response)
    with app.app_context():
        assert db.session.get(Incident, incident_id).version == 7


def test_consent_over_the_api(app, client, people):
    from lhpn.incidents.models import Consent

    incident_id = record_case(app, client, people)
    with app.app_context():
        victim_id = db.session.get(Incident, incident_id).victims[0].id
    token = api_token(app.test_client(), "approver.c11")
    headers = {"Authorization": f"Bearer {token}"}
    base = f"/api/v1/incidents/{incident_id}/consents"
    refused = client.post(base, json={"victim_id": victim_id, "scope": "police",
                                      "given_by": "representative", "form": "oral",
                                      "given_on": "2026-11-22",
                                      "representative": "Trần Văn Nam, chồng"},
                          headers=headers)
    assert refused.status_code == 422 and "Trần Văn Nam" not in refused.get_data(as_text=True)
    made = client.post(base, json={"victim_id": victim_id, "scope": "police",
                                   "given_by": "victim", "form": "written",
                                   "given_on": "2026-11-22"}, headers=headers)
    assert made.status_code == 201, made.get_json()
    answer = made.get_json()
    assert (answer["scope"], answer["given_by"], answer["withdrawn_on"]) == (
        "police", "victim", None)
    withdrawn = client.post(f"{base}/{answer['id']}/withdraw", headers=headers)
    assert withdrawn.status_code == 200 and withdrawn.get_json()["withdrawn_on"] is not None
    again = client.post(f"{base}/{answer['id']}/withdraw", json={}, headers=headers)
    assert again.status_code == 422
    viewer = {"Authorization": f"Bearer {api_token(app.test_client(), 'viewer.d1')}"}
    assert client.post(base, json={"victim_id": victim_id, "scope": "police",
                                   "given_by": "victim", "form": "written",
                                   "given_on": "2026-11-22"}, headers=viewer).status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Consent)) == 1


def _retire(app, tenant_id: int, *codes: str) -> None:
    from lhpn.incidents.models import IncidentKind

    with app.app_context():
        for kind in db.session.scalars(select(IncidentKind).where(
                IncidentKind.tenant_id == tenant_id, IncidentKind.code.in_(codes))):
            kind.active = False
        db.session.commit()


def test_a_case_keeps_its_kind_after_the_kind_is_retired(app, client, people):
    """A kind taken off the tenant's list stays the kind of the cases that have it: their
    edits (API and page) keep it; no case is given a retired kind, new or edited."""
    import re

    from tests.conftest import csrf_token
    from tests.test_incidents import as_user, kind_id

    incident_id = record_case(app, client, people)
    _retire(app, people.tenants["TB"], "domestic_violence", "sexual_abuse")
    chair = caller(client, "approver.c11")
    one = f"/incidents/{incident_id}"
    patched = chair.call("PATCH", one, {"version": 1, "facts": FACTS + " Đã hòa giải."})
    assert patched.status_code == 200, patched.get_json()
    same = chair.call("PATCH", one, {"version": 2, "kind": "domestic_violence"})
    assert same.status_code == 200, same.get_json()
    other = chair.call("PATCH", one, {"version": 3, "kind": "sexual_abuse"})
    assert other.status_code == 422 and other.get_json()["error"]["field"] == "kind"
    new = caller(client, "staff.c11").post("/incidents",
                                          case_body(app, people, kind="domestic_violence"))
    assert new.status_code == 422 and new.get_json()["error"]["field"] == "kind"
    # The page's edit form offers the case's own kind, chosen, and saves it.
    page_user = as_user(app, "approver.c11")
    page = page_user.get(f"{one}?purpose=handling").get_data(as_text=True)
    own = kind_id(app, people.tenants["TB"])
    assert re.search(rf'<option value="{own}" selected>', page)
    assert f'<option value="{kind_id(app, people.tenants["TB"], "sexual_abuse")}"' not in page
    form = case_form(app, people) | {"version": "3", "csrf_token": csrf_token(page_user,
                                                                              "/account")}
    saved = page_user.post(f"{one}/edit", data=form)
    assert saved.status_code == 302, saved.get_data(as_text=True)[:3000]
    with app.app_context():
        incident = db.session.get(Incident, incident_id)
        assert (incident.kind.code, incident.version) == ("domestic_violence", 4)


def test_a_patch_keeps_the_fields_it_does_not_send(app, client, people):
    incident_id = record_case(app, client, people)
    with app.app_context():
        before = db.session.get(Incident, incident_id)
        kept = (before.victim_state, before.place, before.responsible,
                before.responsible_relation, before.source)
    patched = caller(client, "approver.c11").call("PATCH", f"/incidents/{incident_id}", {
        "version": 1, "facts": FACTS + " Đã hòa giải."})
    assert patched.status_code == 200, patched.get_json()
    with app.app_context():
        after = db.session.get(Incident, incident_id)
        assert (after.victim_state, after.place, after.responsible,
                after.responsible_relation, after.source) == kept
        assert kept[0]
