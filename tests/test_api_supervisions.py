"""Supervisions over the API (lhpn/api/supervisions.py): proposed by the commune's officer, moved
along the workflow by status with the day of each step, the plan and report approved by the
commune's own chair, recommendations recorded and settled, chased with the follow-up
endpoints; bad input refused with nothing saved; another tenant's ids not found; every answer
matches the OpenAPI document."""

import io
from datetime import datetime

import jsonschema
import pytest
from docx import Document
from sqlalchemy import func, select

from lhpn import clock
from lhpn.extensions import db
from lhpn.followups.models import FollowUp
from lhpn.supervisions.models import Supervision
from tests.conftest import api_token
from tests.test_api import Caller, schema_for

PATH = "/supervisions"
NOW = datetime(2026, 11, 15, 2, 0)  # Vietnam's 15/11/2026


@pytest.fixture
def document(client):
    return client.get("/api/v1/openapi.json").get_json()


@pytest.fixture
def frozen(monkeypatch):
    monkeypatch.setattr(clock, "utcnow", lambda: NOW)


def caller(client, username: str) -> Caller:
    return Caller(client, api_token(client, username))


def valid(document, method: str, template: str, response) -> None:
    schema = schema_for(document, method, template, response.status_code)
    jsonschema.Draft202012Validator(schema | {"components": document["components"]}
                                    ).validate(response.get_json())


def new_body(world, **changes) -> dict:
    return {"unit_id": world.units["C11"], "title": "Giám sát chính sách tín dụng",
            "subject": "Cho vay hộ nghèo do phụ nữ làm chủ",
            "agency": "Ngân hàng CSXH huyện", "method": "documents",
            "proposed_on": "2026-10-01"} | changes


def moved(api, sid: int, status: str, on: str | None = None, **extra):
    version = api.get(f"{PATH}/{sid}").get_json()["version"]
    body = {"status": status, "version": version} | ({"on": on} if on else {}) | extra
    return api.post(f"{PATH}/{sid}/status", body)


def test_the_lifecycle_over_the_api(app, client, people, document, frozen):
    officer, chair = caller(client, "staff.c11"), caller(client, "approver.c11")
    response = officer.post(PATH, new_body(people))
    assert response.status_code == 201, response.get_json()
    valid(document, "POST", PATH, response)
    sid = response.get_json()["id"]
    assert response.get_json()["status"] == "proposed"
    # Who sent the proposal may not move it to approved; the district's chair is not its chair.
    assert moved(officer, sid, "approved", "2026-10-02").status_code == 403
    assert moved(caller(client, "approver.d1"), sid, "approved").status_code == 403
    assert moved(chair, sid, "reported").status_code == 409  # not along the workflow
    assert moved(chair, sid, "approved", "2026-09-01").status_code == 422  # before proposal
    response = moved(chair, sid, "approved", "2026-10-02")
    assert response.status_code == 200
    valid(document, "POST", f"{PATH}/{{supervision_id}}/status", response)
    assert moved(officer, sid, "in_progress", "2026-10-03").status_code == 200
    response = officer.post(f"{PATH}/{sid}/documents", {
        "version": response.get_json()["version"] + 1, "kind": "team_decision",
        "number": "05/QĐ-HPN", "issued_on": "2026-10-03"})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["documents"][0]["number"] == "05/QĐ-HPN"
    assert moved(officer, sid, "report_submitted", "2026-11-01").status_code == 200
    assert moved(chair, sid, "reported", "2026-11-02").status_code == 200
    response = officer.post(f"{PATH}/{sid}/recommendations", {
        "text": "Rút ngắn thời gian xét duyệt hồ sơ vay", "agency": "Ngân hàng CSXH huyện",
        "due_on": "2026-11-10"})
    assert response.status_code == 201, response.get_json()
    valid(document, "POST", f"{PATH}/{{supervision_id}}/recommendations", response)
    rec = response.get_json()
    assert (rec["written_on"], rec["overdue"], rec["status"]) == ("2026-11-02", True, "open")
    listed = officer.get(f"{PATH}?unit_id={people.units['C11']}&year=2026&status=reported")
    valid(document, "GET", PATH, listed)
    assert [item["id"] for item in listed.get_json()["items"]] == [sid]
    assert listed.get_json()["items"][0]["overdue"] is True
    letter = officer.get(f"{PATH}/{sid}/follow-ups/{rec['id']}/chasing-letter")
    assert letter.status_code == 200
    text = "\n".join(p.text for p in Document(io.BytesIO(letter.data)).paragraphs)
    assert "Ngân hàng CSXH huyện" in text
    response = officer.patch(f"/recommendations/{rec['id']}", {
        "status": "answered", "version": rec["version"]})
    assert response.status_code == 422  # an answer needs its day and what it said
    response = officer.patch(f"/recommendations/{rec['id']}", {
        "status": "answered", "version": rec["version"], "answered_on": "2026-11-12",
        "answer": "Đã giảm còn 7 ngày"})
    assert response.status_code == 200, response.get_json()
    valid(document, "PATCH", "/recommendations/{recommendation_id}", response)
    response = officer.patch(f"/recommendations/{rec['id']}", {
        "status": "implemented", "version": response.get_json()["version"]})
    assert response.get_json()["status"] == "implemented"
    assert officer.patch(f"/recommendations/{rec['id']}", {
        "status": "open", "version": response.get_json()["version"]}).status_code == 422
    response = moved(officer, sid, "closed", "2026-11-14")
    assert response.get_json()["status"] == "closed"
    response = officer.patch(f"{PATH}/{sid}", {"version": response.get_json()["version"],
                                               "title": "Khác"})
    assert response.status_code == 422  # closed: nothing more to change


def test_a_patch_needs_the_current_version(app, client, people, frozen):
    officer = caller(client, "staff.c11")
    sid = officer.post(PATH, new_body(people)).get_json()["id"]
    assert officer.patch(f"{PATH}/{sid}", {"version": 99, "title": "X"}).status_code == 409
    response = officer.patch(f"{PATH}/{sid}", {"version": 1, "team": "Chị An\nChị Bình"})
    assert response.status_code == 200 and response.get_json()["team"] == "Chị An\nChị Bình"
    assert officer.patch(f"{PATH}/{sid}", {"version": 2}).status_code == 422


@pytest.mark.parametrize("changes", [
    {"method": "spying"}, {"title": ""}, {"agency": None}, {"proposed_on": "2026-12-01"},
    {"proposed_on": "01/10/2026"}, {"unexpected": 1},
])
def test_bad_input_is_refused_with_nothing_saved(app, client, people, frozen, changes):
    response = caller(client, "staff.c11").post(PATH, new_body(people, **changes))
    assert response.status_code == 422, response.get_json()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Supervision)) == 0


def test_another_tenants_ids_are_not_found(app, client, people, frozen):
    sid = caller(client, "staff.c11").post(PATH, new_body(people)).get_json()["id"]
    other = caller(client, "approver.hy")
    assert other.get(f"{PATH}/{sid}").status_code == 404
    assert other.post(f"{PATH}/{sid}/status", {"status": "approved", "version": 1}
                      ).status_code == 404
    assert other.post(PATH, new_body(people)).status_code == 404
    assert caller(client, "staff.c12").get(f"{PATH}/{sid}").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(FollowUp)) == 0
