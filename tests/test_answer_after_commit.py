"""A decision that committed is answered as committed, even when the database goes away right
after the commit: the answers of submit, approve, return and reopen (API and pages, reports and
plans) are built from what was written before the commit, and nothing is read afterwards. A
client that retries a decision that already happened (it never saw the answer) gets a 409
naming the state the report or plan is in, and nothing happens twice."""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from lhpn.extensions import db
from lhpn.plans import services as plan_services
from lhpn.reports import services as report_services
from lhpn.workflow.models import WorkflowEvent
from tests.conftest import api_token
from tests.test_api import Caller
from tests.test_api_plans import add_user, create, submitted_plan
from tests.test_api_reports import ok, open_report, put_values
from tests.test_plan_pages import Browser, asked_on, text, version_on
from tests.test_plan_pages import create as create_on_page

STATE = {"submit": "Đã gửi", "approve": "Đã duyệt", "return": "Bị trả lại",
         "reopen": "Bị trả lại"}
COMMENT = {"return": "Bổ sung số liệu.", "reopen": "Sai số liệu."}


@contextmanager
def database_gone_after_commit(app, monkeypatch, services, action: str) -> Iterator[list]:
    """Once the sign-off step ``action`` of ``services``' kind (lhpn/workflow/signoff.py) has
    run in a request, its commit goes through and then the database cannot be reached: every
    later statement fails as on a dropped connection. Yields the statements refused that
    way."""
    services, name = services.SIGN_OFF, "submit" if action == "submit" else "decide"
    refused: list[str] = []
    state = {"decided": False, "gone": False}
    original = getattr(services, name)

    def service(*args, **kwargs):
        result = original(*args, **kwargs)
        state["decided"] = True
        return result

    def committed(_session) -> None:
        state["gone"] = state["decided"]

    def execute(_conn, _cursor, statement, parameters, _context, _many) -> None:
        if state["gone"]:
            refused.append(statement)
            raise OperationalError(statement, parameters,
                                   ConnectionResetError("server closed the connection"))

    with app.app_context():
        engine = db.engine
    monkeypatch.setattr(services, name, service)
    event.listen(Session, "after_commit", committed)
    event.listen(engine, "before_cursor_execute", execute)
    try:
        yield refused
    finally:
        event.remove(engine, "before_cursor_execute", execute)
        event.remove(Session, "after_commit", committed)
        monkeypatch.setattr(services, name, original)
    assert state["gone"], "the decision never committed"


def _events(app, object_type: str, object_id: int, action: str) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(WorkflowEvent).where(
            WorkflowEvent.object_type == object_type, WorkflowEvent.object_id == object_id,
            WorkflowEvent.action == action))


def _assert_retry_is_409(response, action: str) -> None:
    assert response.status_code == 409, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == "conflict" and error["field"] == "status"
    assert f"“{STATE[action]}”" in error["message"], error


@pytest.fixture
def api(client, world):
    add_user(client.application, world, "staff.c11", "staff", "C11")
    return lambda username: Caller(client, api_token(client, username))


# ---- the API -----------------------------------------------------------------------------------

@pytest.mark.parametrize("action", ["submit", "approve", "return", "reopen"])
def test_a_report_decision_is_answered_as_committed_and_not_repeated(app, api, world,
                                                                     monkeypatch, action):
    staff, approver = api("staff.c11"), api("approver.d1")
    report = ok(put_values(staff, open_report(staff, world.units["C11"]), {"TUYEN_TRUYEN": 2}))
    path = f"/reports/{report['id']}"
    if action != "submit":
        report = ok(staff.post(f"{path}/submit"))
    if action == "reopen":
        report = ok(approver.post(f"{path}/approve"))
    who = staff if action == "submit" else approver
    body = {"version": report["version"]} | (
        {"comment": COMMENT[action]} if action in COMMENT else {})

    with database_gone_after_commit(app, monkeypatch, report_services, action) as refused:
        answer = ok(who.post(f"{path}/{action}", body))
    assert refused == []  # nothing was read after the commit
    assert answer["version"] == report["version"] + 1
    assert answer["status"] == {"submit": "submitted", "approve": "approved"}.get(
        action, "returned")
    assert ok(who.get(path)) == answer  # the answer is what was committed

    # The client never saw the answer and sends the same request again.
    _assert_retry_is_409(who.post(f"{path}/{action}", body), action)
    _assert_retry_is_409(who.post(f"{path}/{action}", {k: v for k, v in body.items()
                                                       if k != "version"}), action)
    assert ok(who.get(path)) == answer
    assert _events(app, "report", report["id"], action) == 1


@pytest.mark.parametrize("action", ["submit", "approve", "return"])
def test_a_plan_decision_is_answered_as_committed_and_not_repeated(app, api, world,
                                                                   monkeypatch, action):
    staff, approver = api("staff.d1"), api("approver.tb")
    if action == "submit":
        plan = create(staff, {"unit_id": world.units["D1"], "year": 2026,
                              "title": "Kế hoạch công tác năm 2026"})
    else:
        plan = submitted_plan(api, world)
    path = f"/plans/{plan['id']}"
    who = staff if action == "submit" else approver
    body = {"version": plan["version"]} | (
        {"comment": COMMENT[action]} if action in COMMENT else {})

    with database_gone_after_commit(app, monkeypatch, plan_services, action) as refused:
        answer = ok(who.post(f"{path}/{action}", body))
    assert refused == []
    assert answer["version"] == plan["version"] + 1
    assert answer["status"] == {"submit": "submitted", "approve": "approved",
                                "return": "returned"}[action]
    assert ok(who.get(path)) == answer

    _assert_retry_is_409(who.post(f"{path}/{action}", body), action)
    assert ok(who.get(path)) == answer
    assert _events(app, "plan", plan["id"], action) == 1


# ---- the pages ---------------------------------------------------------------------------------

DONE = {"submit": "Đã gửi báo cáo chờ duyệt.", "approve": "Đã duyệt báo cáo.",
        "return": "Đã trả lại báo cáo kèm ý kiến.", "reopen": "Đã mở lại báo cáo để sửa."}


@pytest.mark.parametrize("action", ["submit", "approve", "return", "reopen"])
def test_a_report_decision_on_its_page_survives_the_database_going_away(app, api, world,
                                                                        monkeypatch, action):
    staff = api("staff.c11")
    report = ok(put_values(staff, open_report(staff, world.units["C11"]), {"TUYEN_TRUYEN": 2}))
    path = f"/reports/{report['id']}"
    if action != "submit":
        ok(staff.post(f"{path}/submit"))
    if action == "reopen":
        ok(api("approver.d1").post(f"{path}/approve"))
    browser = Browser(app, "staff.c11" if action == "submit" else "approver.d1")
    form = {"version": version_on(text(browser.get(path)))} | (
        {"comment": COMMENT[action]} if action in COMMENT else {})

    with database_gone_after_commit(app, monkeypatch, report_services, action) as refused:
        response = browser.post(f"{path}/{action}", form)
    assert refused == []
    assert response.status_code == 302 and response.headers["Location"].endswith(path)
    page = text(browser.get(path))
    assert DONE[action] in page
    assert _events(app, "report", report["id"], action) == 1

    again = browser.post(f"{path}/{action}", form)  # the same form sent twice
    assert again.status_code == 409
    assert f"“{STATE[action]}”" in text(again)
    assert _events(app, "report", report["id"], action) == 1


@pytest.mark.parametrize("action", ["submit", "approve", "return"])
def test_a_plan_decision_on_its_page_survives_the_database_going_away(app, world, monkeypatch,
                                                                      action):
    staff = Browser(app, "staff.d1")
    plan_id = create_on_page(staff, world.units["D1"])
    path = f"/plans/{plan_id}"
    if action != "submit":
        assert staff.post(f"{path}/submit", {"version": version_on(text(staff.get(path)))}
                          ).status_code == 302
    browser = staff if action == "submit" else Browser(app, "approver.tb")
    page = text(browser.get(path))
    form = {"version": version_on(page)} | (
        {"comment": COMMENT[action]} if action in COMMENT else {}) | (
        {"asked": asked_on(page)} if action == "approve" else {})

    with database_gone_after_commit(app, monkeypatch, plan_services, action) as refused:
        response = browser.post(f"{path}/{action}", form)
    assert refused == []
    assert response.status_code == 302 and response.headers["Location"].endswith(path)
    assert _events(app, "plan", plan_id, action) == 1

    again = browser.post(f"{path}/{action}", form)
    assert again.status_code == 409
    assert f"“{STATE[action]}”" in text(again)
    assert _events(app, "plan", plan_id, action) == 1

