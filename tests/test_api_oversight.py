"""Critiques and dialogues over the API: each lifecycle, answers checked against the OpenAPI
document, bad input refused (422 naming the field) with nothing saved, stale versions 409,
another tenant's ids 404, a commitment overdue on a fixed clock and its chasing letter."""

import io
from datetime import datetime

import docx
import jsonschema
import pytest
from sqlalchemy import func, select

from lhpn import clock
from lhpn.critiques.models import Critique
from lhpn.dialogues.models import Dialogue
from lhpn.extensions import db
from lhpn.followups.models import FollowUp
from tests.conftest import api_token
from tests.test_api import Caller, assert_error, schema_for
from tests.test_record_files import PDF


@pytest.fixture
def document(client):
    return client.get("/api/v1/openapi.json").get_json()


@pytest.fixture
def frozen(monkeypatch):
    monkeypatch.setattr(clock, "utcnow", lambda: datetime(2026, 12, 1, 3, 0))


def valid(document, method: str, template: str, response) -> None:
    schema = schema_for(document, method, template, response.status_code)
    jsonschema.Draft202012Validator(schema | {"components": document["components"]}
                                    ).validate(response.get_json())


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model)) or 0


def critique_body(world, **changes) -> dict:
    return {"unit_id": world.units["C11"], "kind": "critique",
            "draft_title": "Dự thảo Đề án phát triển kinh tế tập thể",
            "issuing_body": "UBND xã Tân Lễ", "received_on": "2026-11-02",
            "comments_due": "2026-11-16"} | changes


def test_a_critique_through_its_lifecycle(app, client, people, document, frozen):
    officer = Caller(client, api_token(client, "staff.c11"))
    made = officer.post("/critiques", critique_body(people))
    assert made.status_code == 201, made.get_json()
    valid(document, "POST", "/critiques", made)
    item = made.get_json()
    assert (item["status"], item["overdue"], item["version"]) == ("received", True, 1)
    path = f"/critiques/{item['id']}"
    assert_error(officer.post(f"{path}/status", {"status": "sent", "version": 1,
                                                 "on": "2026-10-01", "summary": "x"}),
                 422, "on")
    sent = officer.post(f"{path}/status", {"status": "sent", "version": 1, "on": "2026-11-15",
                                           "number": "31/CV-HPN", "summary": "Ba ý kiến."})
    assert sent.status_code == 200 and sent.get_json()["status"] == "sent"
    assert_error(officer.post(f"{path}/status", {"status": "concluded", "version": 1}), 409)
    done = officer.post(f"{path}/status", {"status": "concluded", "version": 2,
                                           "accepted": "partly"})
    assert done.get_json()["accepted"] == "partly"
    valid(document, "POST", "/critiques/{critique_id}/status", done)
    changed = officer.patch(path, {"version": 3, "accepted_note": "Tiếp thu ý 1 và 2."})
    assert changed.status_code == 200 and changed.get_json()["version"] == 4
    assert_error(officer.patch(path, {"version": 3, "draft_title": "Khác"}), 409)
    listed = officer.get(f"/critiques?unit_id={people.units['C11']}&year=2026&status=concluded"
                         "&kind=critique")
    valid(document, "GET", "/critiques", listed)
    assert [i["id"] for i in listed.get_json()["items"]] == [item["id"]]
    assert officer.get("/critiques?kind=comment").get_json()["items"] == []
    # The district reads it, may not change it; another tenant does not find it.
    district = Caller(client, api_token(client, "staff.d1"))
    assert district.get(path).status_code == 200
    assert_error(district.patch(path, {"version": 4, "draft_title": "Khác"}), 403)
    other = Caller(client, api_token(client, "approver.hy"))
    assert_error(other.get(path), 404)
    assert_error(other.post(f"{path}/status", {"status": "sent", "version": 4}), 404)


@pytest.mark.parametrize(("changes", "field"), [
    ({"comments_due": "2026-11-01"}, "comments_due"),
    ({"received_on": "2026-12-09"}, "received_on"),
    ({"kind": "opinion"}, "kind"),
    ({"draft_title": ""}, "draft_title"),
])
def test_bad_critiques_are_refused_with_nothing_saved(app, client, people, frozen, changes,
                                                      field):
    officer = Caller(client, api_token(client, "staff.c11"))
    assert_error(officer.post("/critiques", critique_body(people, **changes)), 422, field)
    assert _count(app, Critique) == 0


def test_a_critique_at_another_tenants_unit_is_not_found(app, client, people, frozen):
    officer = Caller(client, api_token(client, "staff.c11"))
    assert_error(officer.post("/critiques", critique_body(people,
                                                          unit_id=people.units["HC1"])), 404)
    assert_error(officer.post("/critiques", critique_body(people,
                                                          unit_id=people.units["C12"])), 404)
    assert _count(app, Critique) == 0


def test_a_dialogue_its_commitment_overdue_chased_and_settled(app, client, people, document,
                                                              monkeypatch):
    monkeypatch.setattr(clock, "utcnow", lambda: datetime(2026, 11, 10, 3, 0))
    officer = Caller(client, api_token(client, "approver.c11"))  # the commune's chair
    made = officer.post("/dialogues", {
        "unit_id": people.units["C11"], "held_on": "2026-11-20", "leader_name": "Phạm Văn Hải",
        "leader_title": "Chủ tịch UBND xã", "body": "UBND xã Tân Lễ"})
    assert made.status_code == 201, made.get_json()
    valid(document, "POST", "/dialogues", made)
    path = f"/dialogues/{made.get_json()['id']}"
    assert_error(officer.post(f"{path}/commitments", {"text": "Đèn", "agency": "UBND",
                                                      "due_on": "2026-12-01"}), 422)
    assert_error(officer.post(f"{path}/status", {"status": "held", "version": 1}), 422, "on")
    held = officer.post(f"{path}/status", {"status": "held", "version": 1, "on": "2026-11-09",
                                           "women_count": 70})
    assert held.get_json()["status"] == "held" and held.get_json()["women_count"] == 70
    assert_error(officer.post(f"{path}/commitments", {"text": "Đèn", "agency": "UBND",
                                                      "due_on": "2026-11-01"}), 422, "due_on")
    added = officer.post(f"{path}/commitments", {
        "text": "Hỗ trợ vốn cho 10 hộ phụ nữ nghèo", "agency": "UBND xã Tân Lễ",
        "due_on": "2026-11-30"})
    assert added.status_code == 201
    valid(document, "POST", "/dialogues/{dialogue_id}/commitments", added)
    commitment = added.get_json()
    monkeypatch.setattr(clock, "utcnow", lambda: datetime(2026, 12, 3, 3, 0))
    late = officer.get("/dialogues?overdue=true")
    valid(document, "GET", "/dialogues", late)
    (item,) = late.get_json()["items"]
    assert item["overdue"] and item["commitments"][0]["days_overdue"] == 3
    letter = officer.get(f"{path}/follow-ups/{commitment['id']}/chasing-letter")
    assert letter.status_code == 200
    words = "\n".join(p.text for p in docx.Document(io.BytesIO(letter.data)).paragraphs)
    assert "UBND xã Tân Lễ" in words
    assert_error(officer.patch(f"/commitments/{commitment['id']}",
                               {"status": "implemented", "version": 9}), 409)
    settled = officer.patch(f"/commitments/{commitment['id']}",
                            {"status": "implemented", "version": commitment["version"]})
    assert settled.status_code == 200 and settled.get_json()["status"] == "implemented"
    valid(document, "PATCH", "/commitments/{commitment_id}", settled)
    assert officer.get("/dialogues?overdue=true").get_json()["items"] == []
    other = Caller(client, api_token(client, "approver.hy"))
    assert_error(other.patch(f"/commitments/{commitment['id']}",
                             {"status": "open", "version": 2}), 404)
    assert_error(other.get(path), 404)


def test_bad_dialogues_are_refused_with_nothing_saved(app, client, people, frozen):
    officer = Caller(client, api_token(client, "staff.c11"))
    good = {"unit_id": people.units["C11"], "held_on": "2026-11-20", "leader_name": "A",
            "leader_title": "Bí thư", "body": "Đảng ủy xã"}
    for changes, field in (({"women_count": -1}, "women_count"),
                           ({"leader_name": ""}, "leader_name"),
                           ({"held_on": "2026-12-05", "held": True}, "held_on")):
        assert_error(officer.post("/dialogues", good | changes), 422, field)
    assert_error(Caller(client, api_token(client, "viewer.d1")).post("/dialogues", good), 403)
    assert _count(app, Dialogue) == 0 and _count(app, FollowUp) == 0


def test_every_operation_answers_as_documented(app, client, people, document):
    """Each documented operation of critiques, dialogues and commitments, called once (a
    success or a refusal), its answer checked against the document."""
    from tests.oversight_world import oversight_records
    from tests.test_api import documented_operations

    ids = oversight_records(app, people)
    officer = Caller(client, api_token(client, "staff.c11"))
    c, d, fu = ids["critique"], ids["dialogue"], ids["fu"]
    script = [
        ("GET", "/critiques", "/critiques?overdue=false", None),
        ("POST", "/critiques", "/critiques", critique_body(people, received_on="2026-11-30")),
        ("GET", "/critiques/{critique_id}", f"/critiques/{c}", None),
        ("PATCH", "/critiques/{critique_id}", f"/critiques/{c}", {"version": 1}),
        ("POST", "/critiques/{critique_id}/status", f"/critiques/{c}/status",
         {"status": "concluded", "version": 1}),
        ("GET", "/dialogues", "/dialogues?status=held", None),
        ("POST", "/dialogues", "/dialogues", {"unit_id": people.units["C11"],
                                              "held_on": "2026-11-02", "leader_name": "A",
                                              "leader_title": "B", "body": "C"}),
        ("GET", "/dialogues/{dialogue_id}", f"/dialogues/{d}", None),
        ("PATCH", "/dialogues/{dialogue_id}", f"/dialogues/{d}",
         {"version": 2, "women_count": 40}),
        ("POST", "/dialogues/{dialogue_id}/status", f"/dialogues/{d}/status",
         {"status": "held", "version": 3}),
        ("POST", "/dialogues/{dialogue_id}/commitments", f"/dialogues/{d}/commitments",
         {"text": "Đèn đường", "agency": "UBND xã", "due_on": "2099-01-01"}),
        ("PATCH", "/dialogues/{dialogue_id}/follow-ups/{follow_up_id}",
         f"/dialogues/{d}/follow-ups/{fu}", {"version": 1, "agency": "UBND xã Tân Lễ"}),
        ("POST", "/dialogues/{dialogue_id}/follow-ups/{follow_up_id}/chased",
         f"/dialogues/{d}/follow-ups/{fu}/chased", {"version": 2}),
        ("POST", "/dialogues/{dialogue_id}/follow-ups/{follow_up_id}/answer",
         f"/dialogues/{d}/follow-ups/{fu}/answer", {"version": 3, "answered_on": "2000-01-01",
                                                      "answer": "Đã lắp"}),
        ("POST", "/dialogues/{dialogue_id}/follow-ups/{follow_up_id}/close",
         f"/dialogues/{d}/follow-ups/{fu}/close", {"version": 1}),
        ("PATCH", "/commitments/{commitment_id}", f"/commitments/{fu}",
         {"status": "not_accepted", "version": 3}),
    ]
    seen = set()
    for method, template, path, sent in script:
        response = officer.call(method, path, sent)
        schema = schema_for(document, method, template, response.status_code)
        assert schema is not None, (method, path, response.status_code)
        jsonschema.Draft202012Validator(schema | {"components": document["components"]}
                                        ).validate(response.get_json())
        seen.add((method, template))
    # The critique's files: the union's letter listed, a second one uploaded (multipart),
    # the bytes read back, the second one deleted.
    listed = officer.get(f"/critiques/{c}/files")
    valid(document, "GET", "/critiques/{critique_id}/files", listed)
    assert [item["name"] for item in listed.get_json()["items"]] == ["Góp ý dự thảo.pdf"]
    headers = {"Authorization": f"Bearer {officer.token}"}
    uploaded = client.post(f"/api/v1/critiques/{c}/files", headers=headers, data={
        "file": (io.BytesIO(PDF), "Trả lời của HĐND.pdf")})
    assert uploaded.status_code == 201, uploaded.get_json()
    valid(document, "POST", "/critiques/{critique_id}/files", uploaded)
    new_id = uploaded.get_json()["id"]
    with client.get(f"/api/v1/critiques/{c}/files/{new_id}", headers=headers) as got:
        assert got.status_code == 200 and got.get_data() == PDF
    assert client.delete(f"/api/v1/critiques/{c}/files/{new_id}",
                         headers=headers).status_code == 204
    seen |= {("GET", "/critiques/{critique_id}/files"), ("POST", "/critiques/{critique_id}/files"),
             ("GET", "/critiques/{critique_id}/files/{file_id}"),
             ("DELETE", "/critiques/{critique_id}/files/{file_id}")}
    letter = officer.get(f"/dialogues/{d}/follow-ups/{fu}/chasing-letter")
    assert letter.status_code == 422  # settled: nothing to chase
    seen.add(("GET", "/dialogues/{dialogue_id}/follow-ups/{follow_up_id}/chasing-letter"))
    mine = {op for op in documented_operations(document)
            if op[1].startswith(("/critiques", "/dialogues", "/commitments"))}
    assert seen == mine


def test_a_commitment_answered_reopened_and_settled_with_one_patch(app, client, people):
    from tests.oversight_world import oversight_records

    ids = oversight_records(app, people)
    officer = Caller(client, api_token(client, "staff.c11"))
    path = f"/commitments/{ids['fu']}"
    assert_error(officer.patch(path, {"status": "answered", "version": 1}), 422, "answer")
    answered = officer.patch(path, {"status": "answered", "version": 1,
                                    "answered_on": clock.local_today().isoformat(),
                                    "answer": "Đã có kế hoạch sửa đường quý I."})
    assert answered.status_code == 200, answered.get_json()
    item = answered.get_json()
    assert (item["status"], item["dialogue_id"], item["overdue"]) == \
        ("answered", ids["dialogue"], False)
    assert officer.patch(path, {"status": "open", "version": 2}).get_json()["status"] == "open"
    done = officer.patch(path, {"status": "implemented", "version": 3})
    assert done.get_json()["status"] == "implemented"
    assert_error(officer.patch(path, {"status": "open", "version": 4}), 422)
    assert_error(Caller(client, api_token(client, "staff.d1")).patch(
        path, {"status": "open", "version": 4}), 403)
