"""Plans over the JSON API: the lifecycle, the cascade, optimistic locking under real
concurrency, tenant isolation, malformed bodies, and the answers against the OpenAPI schemas.

Every refused request is checked to leave the plan tables (and the audit log) as they were.
"""

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import jsonschema
import pytest
from sqlalchemy import func, select

from lhpn.accounts.models import User
from lhpn.accounts.services import assign_role
from lhpn.audit.models import AuditEntry
from lhpn.extensions import db
from lhpn.indicators.services import create_indicator
from lhpn.notifications.models import Notification
from lhpn.plans import services as plan_services
from lhpn.plans.models import Plan, PlanActivity, PlanRequest, PlanTarget
from lhpn.tenants.models import Tenant
from lhpn.units.models import Unit
from lhpn.workflow.models import WorkflowEvent
from tests import factories
from tests.conftest import api_token
from tests.test_api import ODD_VALUES, Caller, assert_error, documented_operations, schema_for

PLAN_KEYS = {"id", "unit_id", "year", "title", "number", "status", "parent_plan_id", "targets",
             "version", "place", "plan_date", "basis", "purpose", "content", "organisation",
             "budget", "headings", "counted", "recipients", "signer_title", "signer_name",
             "child_levels", "child_deadline", "activities", "warnings"}
# The sections a plan needs before it is sent for approval (lhpn/plans/wording.py).
WRITTEN = {"purpose": "1. Bám sát nhiệm vụ chính trị của địa phương.",
           "content": "1. Giám sát, phản biện xã hội."}


# ---- helpers ----------------------------------------------------------------------------------

@pytest.fixture
def api(client, world) -> Callable[[str], Caller]:
    """api("staff.tb") → a Caller holding a fresh token of that user."""

    def as_user(username: str) -> Caller:
        return Caller(client, api_token(client, username))

    return as_user


def add_user(app, world, username: str, role: str, code: str, tenant: str = "TB") -> None:
    with app.app_context():
        tenant_obj = db.session.get(Tenant, world.tenants[tenant])
        user = factories.user(tenant_obj, username, role, db.session.get(Unit, world.units[code]))
        world.users[username] = user.id
        db.session.commit()


def grant(app, world, username: str, role: str, code: str) -> None:
    with app.app_context():
        assign_role(None, db.session.get(User, world.users[username]), role,
                    db.session.get(Unit, world.units[code]))
        db.session.commit()


def plan_state(app) -> tuple:
    with app.app_context():
        def rows(*columns):
            return db.session.execute(select(*columns).order_by(columns[0])).all()

        def count(model) -> int:
            return db.session.scalar(select(func.count()).select_from(model))

        return (
            rows(Plan.id, Plan.title, Plan.year, Plan.status, Plan.version, Plan.number,
                 Plan.plan_date, Plan.child_levels, Plan.child_deadline, Plan.parent_plan_id,
                 Plan.recipients, Plan.basis, Plan.updated_at),
            rows(PlanTarget.id, PlanTarget.plan_id, PlanTarget.indicator_id, PlanTarget.value),
            rows(PlanActivity.id, PlanActivity.plan_id, PlanActivity.title),
            rows(PlanRequest.id, PlanRequest.unit_id),
            count(WorkflowEvent), count(AuditEntry), count(Notification),
        )


@contextmanager
def unchanged(app) -> Iterator[None]:
    before = plan_state(app)
    yield
    assert plan_state(app) == before, "a refused request changed the database"


def province_plan(world, **changes) -> dict:
    """The body of a province plan shaped like seed 68/KH-BTV (the words our own)."""
    body = {
        "unit_id": world.units["TB"], "year": 2026,
        "title": "Tham gia xây dựng Đảng; giám sát, phản biện xã hội năm 2026",
        "number": "68/KH-BTV", "place": "Thái Bình", "plan_date": "2026-01-15",
        "basis": "Thực hiện Chương trình công tác năm 2026 của Ban Chấp hành.",
        "purpose": "1. Nâng cao chất lượng **giám sát**.\n2. Bám sát nhiệm vụ chính trị.",
        "content": "1. Tuyên truyền\n\n- Tổ chức hội nghị\n- Đăng tải trên trang Zalo",
        "organisation": "## 1. Hội LHPN tỉnh\n\n- Hướng dẫn, kiểm tra.",
        "recipients": ["TW Hội LHPN Việt Nam;", "Ban Dân vận Tỉnh ủy;", "Lưu: VT."],
        "signer_title": "CHỦ TỊCH", "signer_name": "Nguyễn Thị Hoa",
        "child_levels": ["district", "commune"], "child_deadline": "2026-02-20",
        "targets": [
            {"indicator": "GIAM_SAT", "level": "district", "kind": "count", "value": 1},
            {"indicator": "TUYEN_TRUYEN", "level": "commune", "kind": "share", "value": 100,
             "threshold": 2},
            {"indicator": "HV_HOC_TAP", "level": "commune", "kind": "rate", "value": 90,
             "note": "Hội viên được học tập nghị quyết"},
        ],
        "activities": [
            {"title": "Hội nghị tập huấn giám sát", "when": "quarter", "when_number": 1,
             "lead": "Ban Tuyên giáo", "coordinators": "Ủy ban MTTQ tỉnh",
             "budget_source": "Ngân sách Hội"},
            {"title": "Đối thoại với chính quyền", "when": "range",
             "start_date": "2026-05-01", "end_date": "2026-05-31"},
        ],
    }
    return body | changes


def create(caller: Caller, body: dict) -> dict:
    """A plan as a unit writes it: with a purpose and a content unless the body says."""
    response = caller.post("/plans", WRITTEN | body)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def without_ids(targets: list[dict]) -> list[dict]:
    """Targets as written: an edit stores the list anew, under new ids."""
    return [{k: v for k, v in t.items() if k != "id"} for t in targets]


def submitted_plan(api, world) -> dict:
    """A district plan, submitted by D1's staff: it waits for the root's approver."""
    staff = api("staff.d1")
    plan = create(staff, {"unit_id": world.units["D1"], "year": 2026,
                          "title": "Kế hoạch công tác năm 2026"})
    response = staff.post(f"/plans/{plan['id']}/submit")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


# ---- the lifecycle ------------------------------------------------------------------------------

def test_lifecycle_over_the_api(app, api, world):
    staff, approver = api("staff.tb"), api("approver.tb")
    body = province_plan(world)
    response = staff.post("/plans", body)
    assert response.status_code == 201, response.get_data(as_text=True)
    plan = response.get_json()
    assert response.headers["Location"].endswith(f"/api/v1/plans/{plan['id']}")
    assert set(plan) == PLAN_KEYS
    assert plan["status"] == "draft" and plan["version"] == 1
    assert plan["parent_plan_id"] is None and plan["warnings"] == []
    assert without_ids(plan["targets"]) == body["targets"]
    assert plan["activities"] == [
        {"title": "Hội nghị tập huấn giám sát", "when": "quarter", "when_number": 1,
         "start_date": None, "end_date": None, "lead": "Ban Tuyên giáo",
         "coordinators": "Ủy ban MTTQ tỉnh", "budget_source": "Ngân sách Hội"},
        {"title": "Đối thoại với chính quyền", "when": "range", "when_number": None,
         "start_date": "2026-05-01", "end_date": "2026-05-31", "lead": "",
         "coordinators": "", "budget_source": ""}]
    for key in ("recipients", "child_levels", "plan_date", "child_deadline", "number",
                "signer_name", "purpose"):
        assert plan[key] == body[key], key
    path = f"/plans/{plan['id']}"
    assert staff.get(path).get_json() == plan

    # An update names the version it was made on; only the fields sent change.
    changed = staff.patch(path, {"version": 1, "title": "Kế hoạch giám sát năm 2026",
                                 "activities": []}).get_json()
    assert changed["version"] == 2 and changed["title"] == "Kế hoạch giám sát năm 2026"
    assert changed["activities"] == [] and without_ids(changed["targets"]) == body["targets"]
    assert changed["number"] == "68/KH-BTV"
    # Someone else's edit on version 1 now comes too late.
    with unchanged(app):
        error = assert_error(staff.patch(path, {"version": 1, "title": "Ghi đè"}), 409,
                             "version")
    assert "người khác" in error["message"]

    assert staff.post(f"{path}/submit", {"version": 2}).get_json()["status"] == "submitted"
    with unchanged(app):
        assert_error(staff.patch(path, {"version": 3, "title": "Sửa khi đã gửi"}), 409,
                     "status")
    # The submitter, even holding the approver role, does not approve their own plan.
    grant(app, world, "staff.tb", "approver", "TB")
    submitter = api("staff.tb")
    with unchanged(app):
        error = assert_error(submitter.post(f"{path}/approve"), 422)
    assert "chính mình" in error["message"]
    with unchanged(app):
        assert_error(approver.post(f"{path}/return", {"comment": "   "}), 422, "comment")
        assert_error(approver.post(f"{path}/return", {}), 422, "comment")
    returned = approver.post(f"{path}/return", {"comment": "Bổ sung chỉ tiêu đối thoại."})
    assert returned.get_json()["status"] == "returned"

    version = returned.get_json()["version"]
    fixed = staff.patch(path, {"version": version, "targets": body["targets"] + [
        {"indicator": "DOI_THOAI", "level": "commune", "kind": "count", "value": 1}]})
    assert fixed.status_code == 200, fixed.get_data(as_text=True)
    assert len(fixed.get_json()["targets"]) == 4
    resubmitted = staff.post(f"{path}/submit").get_json()
    assert resubmitted["status"] == "submitted"
    approved = approver.post(f"{path}/approve", {"version": resubmitted["version"]})
    assert approved.status_code == 200, approved.get_data(as_text=True)
    assert approved.get_json()["status"] == "approved"

    history = approver.get(f"{path}/history").get_json()["items"]
    assert [(e["action"], e["from"], e["to"], e["actor"]) for e in history] == [
        ("submit", "draft", "submitted", "staff.tb"),
        ("return", "submitted", "returned", "approver.tb"),
        ("submit", "returned", "submitted", "staff.tb"),
        ("approve", "submitted", "approved", "approver.tb"),
    ]
    assert history[1]["comment"] == "Bổ sung chỉ tiêu đối thoại."
    assert all(e["at"].endswith("Z") for e in history)

    cascade = approver.get(f"{path}/cascade").get_json()["items"]
    assert {row["unit_id"] for row in cascade} == {
        world.units[c] for c in ("D1", "D2", "C11", "C12", "C21")}
    assert {(row["state"], row["plan_id"], row["deadline"]) for row in cascade} == {
        ("not_started", None, "2026-02-20")}


def test_a_child_answers_the_cascade_and_weaker_targets_are_flagged(app, api, world):
    staff_tb, approver = api("staff.tb"), api("approver.tb")
    parent = create(staff_tb, province_plan(world))
    staff_tb.post(f"/plans/{parent['id']}/submit")
    assert approver.post(f"/plans/{parent['id']}/approve").status_code == 200

    # The district's staff read the province's issued plan and see the request to D1.
    staff_d1 = api("staff.d1")
    assert staff_d1.get(f"/plans/{parent['id']}").get_json()["title"] == parent["title"]
    requests = staff_d1.get("/plans/requests").get_json()["items"]
    assert requests == [{"parent_plan_id": parent["id"], "parent_unit_id": world.units["TB"],
                         "parent_title": parent["title"], "parent_number": "68/KH-BTV",
                         "unit_id": world.units["D1"], "deadline": "2026-02-20",
                         "plan_id": None}]

    # Its own plan implements the province's, with a target below what the province asks.
    child = create(staff_d1, {
        "unit_id": world.units["D1"], "year": 2026, "title": "Thực hiện Kế hoạch 68/KH-BTV",
        "parent_plan_id": parent["id"], "child_levels": ["commune"],
        "child_deadline": "2026-03-01",
        "targets": [{"indicator": "TUYEN_TRUYEN", "level": "commune", "kind": "share",
                     "value": 80, "threshold": 2},
                    {"indicator": "GIAM_SAT", "level": "district", "kind": "count",
                     "value": 2}]})
    assert child["parent_plan_id"] == parent["id"]
    assert child["warnings"] == [{"indicator": "TUYEN_TRUYEN", "level": "commune",
                                  "kind": "share", "value": 80, "required": 100,
                                  "threshold": 2, "required_threshold": 2}]
    assert staff_d1.get("/plans/requests").get_json()["items"][0]["plan_id"] == child["id"]
    rows = {row["unit_id"]: row for row in
            approver.get(f"/plans/{parent['id']}/cascade").get_json()["items"]}
    assert (rows[world.units["D1"]]["state"], rows[world.units["D1"]]["plan_id"]) == (
        "draft", child["id"])
    fixed = staff_d1.patch(f"/plans/{child['id']}", {
        "version": child["version"], "targets": province_plan(world)["targets"]})
    assert fixed.get_json()["warnings"] == []

    # A commune starts from its request: prefilled with what applies at its level, once.
    add_user(app, world, "staff.c11", "staff", "C11")
    staff_c11 = api("staff.c11")
    started = staff_c11.post(f"/plans/requests/{parent['id']}/{world.units['C11']}/start")
    assert started.status_code == 201, started.get_data(as_text=True)
    prefilled = started.get_json()
    assert prefilled["unit_id"] == world.units["C11"]
    assert prefilled["parent_plan_id"] == parent["id"] and prefilled["status"] == "draft"
    assert "68/KH-BTV" in prefilled["basis"]
    assert [t["indicator"] for t in prefilled["targets"]] == ["TUYEN_TRUYEN", "HV_HOC_TAP"]
    again = staff_c11.post(f"/plans/requests/{parent['id']}/{world.units['C11']}/start")
    assert again.status_code == 200 and again.get_json()["id"] == prefilled["id"]
    # Not another unit's request, and not a request that does not exist.
    assert_error(staff_c11.post(f"/plans/requests/{parent['id']}/{world.units['C12']}/start"),
                 403)
    assert_error(staff_c11.post(f"/plans/requests/{child['id']}/{world.units['C11']}/start"),
                 404)


def test_post_2025_tenant_asks_its_communes_directly(api, world, app):
    staff, approver = api("staff.hy"), api("approver.hy")
    plan = create(staff, {"unit_id": world.units["HY"], "year": 2026, "title": "Kế hoạch năm",
                          "plan_date": "2026-01-10", "child_levels": ["commune"],
                          "child_deadline": "2026-02-01",
                          "targets": [{"indicator": "GIAM_SAT", "level": "commune",
                                       "kind": "count", "value": 1}]})
    staff.post(f"/plans/{plan['id']}/submit")
    approver.post(f"/plans/{plan['id']}/approve")
    rows = approver.get(f"/plans/{plan['id']}/cascade").get_json()["items"]
    assert [(r["unit_id"], r["unit_name"], r["state"]) for r in rows] == [
        (world.units["HC1"], "Hội LHPN phường Phố Hiến", "not_started")]
    # The district level does not exist here.
    with unchanged(app):
        assert_error(staff.post("/plans", {"unit_id": world.units["HY"], "year": 2026,
                                           "title": "X", "child_levels": ["district"],
                                           "child_deadline": "2026-02-01"}),
                     422, "child_levels")


# ---- lists and the catalogue ------------------------------------------------------------------

def test_the_plan_list_filters(api, world):
    staff_tb, staff_d1 = api("staff.tb"), api("staff.d1")
    a = create(staff_tb, {"unit_id": world.units["TB"], "year": 2026, "title": "A"})
    b = create(staff_tb, {"unit_id": world.units["TB"], "year": 2025, "title": "B"})
    c = create(staff_d1, {"unit_id": world.units["D1"], "year": 2026, "title": "C"})
    staff_d1.post(f"/plans/{c['id']}/submit")
    admin = api("tenant_admin.tb")

    def ids(query: str = "") -> list[int]:
        return [p["id"] for p in admin.get(f"/plans?{query}").get_json()["items"]]

    assert ids() == [c["id"], a["id"], b["id"]]  # newest year first, then newest
    assert ids("year=2025") == [b["id"]]
    assert ids(f"unit_id={world.units['D1']}") == [c["id"]]
    assert ids("status=submitted") == [c["id"]]
    assert ids("status=draft&year=2026") == [a["id"]]
    assert ids(f"unit_id={world.units['HC1']}") == []  # another tenant's unit: nothing
    assert ids("limit=1&offset=1") == [a["id"]]
    assert [p["id"] for p in staff_d1.get("/plans").get_json()["items"]] == [c["id"]]
    assert api("tenant_admin.hy").get("/plans").get_json()["items"] == []


@pytest.mark.parametrize("query, field", [
    ("status=issued", "status"),
    ("status=DRAFT", "status"),
    ("year=1999", "year"),
    ("year=20x6", "year"),
    ("unit_id=0", "unit_id"),
    ("unit_id=abc", "unit_id"),
    ("limit=0", "limit"),
    ("offset=-1", "offset"),
    ("status=%00", "status"),
])
def test_bad_list_parameters_are_422(api, query, field):
    assert_error(api("tenant_admin.tb").get(f"/plans?{query}"), 422, field)


def test_the_indicator_catalogue_is_the_tenants(app, api, world):
    with app.app_context():
        create_indicator(None, world.tenants["HY"], code="RIENG_HY", name="Chỉ số riêng",
                         kind="count", aggregation="sum")
        db.session.commit()
    tb = api("viewer.d1").get("/indicators").get_json()["items"]
    assert {"GIAM_SAT", "TUYEN_TRUYEN", "HV_HOC_TAP"} <= {i["code"] for i in tb}
    assert "RIENG_HY" not in {i["code"] for i in tb}
    assert set(tb[0]) == {"code", "name", "kind", "aggregation", "unit_label", "active",
                          "binding"}
    hy = api("norole.d1").get("/indicators").get_json()["items"]
    assert {i["code"] for i in hy} == {i["code"] for i in tb}
    assert "RIENG_HY" in {i["code"] for i in api("staff.hy").get("/indicators").get_json()[
        "items"]}
    # The other tenant's code is refused with the service's message.
    staff = api("staff.tb")
    with unchanged(app):
        error = assert_error(staff.post("/plans", province_plan(world, targets=[
            {"indicator": "RIENG_HY", "level": "commune", "kind": "count", "value": 1}])),
            422, "indicator")
    assert "RIENG_HY" in error["message"] and "danh mục" in error["message"]


# ---- concurrency -------------------------------------------------------------------------------

def test_two_approvers_on_the_same_version_one_wins(app, api, world):
    add_user(app, world, "approver2.tb", "approver", "TB")
    plan = submitted_plan(api, world)
    first, second = api("approver.tb"), api("approver2.tb")
    seen = [c.get(f"/plans/{plan['id']}").get_json()["version"] for c in (first, second)]
    assert seen[0] == seen[1]
    assert first.post(f"/plans/{plan['id']}/approve", {"version": seen[0]}).status_code == 200
    with unchanged(app):
        # The second learns what happened: the plan is approved (not just "changed").
        error = assert_error(second.post(f"/plans/{plan['id']}/return",
                                         {"comment": "Chưa đạt", "version": seen[1]}), 409,
                             "status")
    assert "“Đã duyệt”" in error["message"]


def race(app, monkeypatch, kind, calls: list[tuple[str, str, str, dict]]) -> list:
    """Send the calls from threads at the same moment, each on its own client.

    Every request loads the plan or report and passes its checks (same version) before any
    writes: a barrier in the version check of ``kind`` (a services module's SIGN_OFF, which
    edits and every sign-off step ask, lhpn/workflow/signoff.py) holds each until the others
    have got there. Then all flush; the database's version column lets only one through.
    """
    barrier = threading.Barrier(len(calls), timeout=20)
    original = kind.check_version

    def check_then_wait(record, version):
        original(record, version)
        barrier.wait()

    monkeypatch.setattr(kind, "check_version", check_then_wait)
    answers: list = [None] * len(calls)

    def send(index: int, token: str, method: str, path: str, body: dict) -> None:
        client = app.test_client()
        response = client.open(f"/api/v1{path}", method=method, json=body,
                               headers={"Authorization": f"Bearer {token}"})
        answers[index] = (response.status_code, response.get_json())

    threads = [threading.Thread(target=send, args=(i, *call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(answer is not None for answer in answers), answers
    return answers


def test_concurrent_approvals_of_the_same_plan(app, client, api, world, monkeypatch):
    add_user(app, world, "approver2.tb", "approver", "TB")
    plan = submitted_plan(api, world)
    tokens = [api_token(client, name) for name in ("approver.tb", "approver2.tb")]
    path = f"/plans/{plan['id']}/approve"
    answers = race(app, monkeypatch, plan_services.SIGN_OFF,
                   [(t, "POST", path, {"version": plan["version"]}) for t in tokens])
    statuses = sorted(status for status, _body in answers)
    assert statuses == [200, 409], answers
    winner = next(body for status, body in answers if status == 200)
    loser = next(body for status, body in answers if status == 409)
    assert loser["error"]["code"] == "conflict"
    assert "người khác" in loser["error"]["message"]
    # Both passed the version check: the database's version column decided, not the check.
    assert "field" not in loser["error"]
    with app.app_context():
        stored = db.session.get(Plan, plan["id"])
        assert (stored.status, stored.version) == ("approved", winner["version"])
        events = plan_services.history(stored)
        assert [e.action for e in events] == ["submit", "approve"]


def test_concurrent_edits_keep_one(app, client, api, world, monkeypatch):
    add_user(app, world, "staff2.tb", "staff", "TB")
    plan = create(api("staff.tb"), province_plan(world))
    tokens = [api_token(client, name) for name in ("staff.tb", "staff2.tb")]
    calls = [(tokens[0], "PATCH", f"/plans/{plan['id']}",
              {"version": 1, "title": "Bản của người thứ nhất", "targets": []}),
             (tokens[1], "PATCH", f"/plans/{plan['id']}",
              {"version": 1, "title": "Bản của người thứ hai"})]
    answers = race(app, monkeypatch, plan_services.SIGN_OFF, calls)
    assert sorted(status for status, _body in answers) == [200, 409], answers
    assert "field" not in next(body for status, body in answers if status == 409)["error"]
    winner = next(body for status, body in answers if status == 200)
    with app.app_context():
        stored = db.session.get(Plan, plan["id"])
        assert (stored.title, stored.version) == (winner["title"], 2)
        assert len(stored.targets) == len(winner["targets"])  # nothing of the loser's


def test_a_lost_race_is_a_409_page_too(app, world):
    """The same handler answers the pages: a message, not a server error."""
    from sqlalchemy.orm.exc import StaleDataError

    with app.test_request_context("/plans/1/edit", method="POST"):
        response = app.make_response(app.handle_user_exception(StaleDataError("stale")))
    assert response.status_code == 409
    assert "người khác" in response.get_data(as_text=True)


# ---- tenants -----------------------------------------------------------------------------------

OTHER_TENANT_CALLS = [
    ("GET", "/plans/{plan}", None),
    ("PATCH", "/plans/{plan}", {"version": 1, "title": "X"}),
    ("POST", "/plans/{plan}/submit", None),
    ("POST", "/plans/{plan}/approve", None),
    ("POST", "/plans/{plan}/return", {"comment": "Không"}),
    ("GET", "/plans/{plan}/history", None),
    ("GET", "/plans/{plan}/cascade", None),
    ("POST", "/plans/requests/{plan}/{D1}/start", None),
    ("POST", "/plans", {"unit_id": "{D1}", "year": 2026, "title": "X"}),
]


@pytest.fixture
def issued_tb_plan(api, world) -> int:
    """The TB root's plan, issued: it has asked D1, D2 and their communes for plans."""
    staff = api("staff.tb")
    plan = create(staff, province_plan(world))
    staff.post(f"/plans/{plan['id']}/submit")
    assert api("approver.tb").post(f"/plans/{plan['id']}/approve").status_code == 200
    return plan["id"]


@pytest.mark.parametrize("method, template, body", OTHER_TENANT_CALLS)
@pytest.mark.parametrize("who", ["tenant_admin.hy", "approver.hy", "staff.hy"])
def test_another_tenants_plans_are_not_found(app, api, world, issued_tb_plan, who, method,
                                             template, body):
    ids = {"plan": issued_tb_plan, **world.units}
    path = re.sub(r"\{(\w+)\}", lambda m: str(ids[m.group(1)]), template)
    if body and body.get("unit_id") == "{D1}":
        body = body | {"unit_id": world.units["D1"]}
    caller = api(who)
    with unchanged(app):
        error = assert_error(caller.call(method, path, body), 404)
    assert error["code"] == "not_found"


def test_another_tenants_plan_is_no_basis(app, api, world, issued_tb_plan):
    staff = api("staff.hy")
    with unchanged(app):
        assert_error(staff.post("/plans", {
            "unit_id": world.units["HY"], "year": 2026, "title": "X",
            "parent_plan_id": issued_tb_plan}), 404)


# ---- malformed input --------------------------------------------------------------------------

CREATE_ERRORS = [
    # (changes to a valid body, status, field)
    ({"title": ""}, 422, "title"),
    ({"title": None}, 422, "title"),
    ({"title": 5}, 422, "title"),
    ({"title": "x" * 501}, 422, "title"),
    ({"year": "2026"}, 422, "year"),
    ({"year": 2026.0}, 422, "year"),
    ({"year": True}, 422, "year"),
    ({"year": 1999}, 422, "year"),
    ({"unit_id": "1"}, 422, "unit_id"),
    ({"unit_id": 99999}, 404, None),
    ({"plan_date": "15/01/2026"}, 422, "plan_date"),
    ({"plan_date": "20260115"}, 422, "plan_date"),
    ({"plan_date": "2026-02-30"}, 422, "plan_date"),
    ({"plan_date": 20260115}, 422, "plan_date"),
    ({"plan_date": "2026-03-01", "child_deadline": "2026-02-01"}, 422, "child_deadline"),
    ({"child_deadline": None}, 422, "child_deadline"),
    ({"child_levels": "district"}, 422, "child_levels"),
    ({"child_levels": ["province"]}, 422, "child_levels"),
    ({"child_levels": [1]}, 422, "child_levels[0]"),
    ({"recipients": "Lưu: VT."}, 422, "recipients"),
    ({"recipients": ["ok", None]}, 422, "recipients[1]"),
    ({"parent_plan_id": 99999}, 404, None),
    ({"parent_plan_id": "7"}, 422, "parent_plan_id"),
    ({"targets": {}}, 422, "targets"),
    ({"targets": ["GIAM_SAT"]}, 422, "targets[0]"),
    ({"targets": [{"indicator": "GIAM_SAT", "level": "commune", "kind": "count"}]}, 422,
     "targets[0].value"),
    ({"targets": [{"indicator": "GIAM_SAT", "level": "commune", "kind": "count", "value": 1,
                   "unit": "xã"}]}, 422, "targets[0].unit"),
    ({"targets": [{"indicator": "GIAM_SAT", "level": "commune", "kind": "count",
                   "value": "1"}]}, 422, "targets[0].value"),
    ({"targets": [{"indicator": "GIAM_SAT", "level": "commune", "kind": "count",
                   "value": -1}]}, 422, "targets[0].value"),
    ({"targets": [{"indicator": "GIAM_SAT", "level": "commune", "kind": "share",
                   "value": 120}]}, 422, "targets[0].value"),
    ({"targets": [{"indicator": "GIAM_SAT", "level": "commune", "kind": "rate",
                   "value": 50}]}, 422, "targets[0].kind"),
    ({"targets": [{"indicator": "GIAM_SAT", "level": "planet", "kind": "count",
                   "value": 1}]}, 422, "targets[0].level"),
    ({"targets": [{"indicator": "GIAM_SAT", "level": "province", "kind": "percent",
                   "value": 1}]}, 422, "targets[0].kind"),
    ({"targets": [{"indicator": "NOPE", "level": "commune", "kind": "count", "value": 1}]},
     422, "indicator"),
    ({"targets": [{"indicator": ["GIAM_SAT"], "level": "commune", "kind": "count",
                   "value": 1}]}, 422, "targets[0].indicator"),
    ({"activities": [{}]}, 422, "activities[0].title"),
    ({"activities": [{"title": ""}]}, 422, "activities[0].title"),
    ({"activities": [{"title": "Họp", "when": "month", "when_number": 13}]}, 422,
     "activities[0].when_number"),
    ({"activities": [{"title": "Họp", "when": "month", "when_number": "3"}]}, 422,
     "activities[0].when_number"),
    ({"activities": [{"title": "Họp", "when": "week"}]}, 422, "activities[0].when"),
    ({"activities": [{"title": "Họp", "when": []}]}, 422, "activities[0].when"),
    ({"activities": [{"title": "Họp", "when": "range", "start_date": "2026-05-01",
                      "end_date": "2026-04-01"}]}, 422, "activities[0].end_date"),
    ({"id": 5}, 422, "id"),
    ({"status": "approved"}, 422, "status"),
    ({"version": 1}, 422, "version"),
]


@pytest.mark.parametrize("changes, status, field", CREATE_ERRORS)
def test_refused_plan_creations_change_nothing(app, api, world, changes, status, field):
    caller = api("staff.tb")
    with unchanged(app):
        error = assert_error(caller.post("/plans", province_plan(world, **changes)), status,
                             field)
    assert re.search(r"[à-ỹĐđ]", error["message"]), "messages are in Vietnamese"


def test_a_bad_plan_creation_without_the_right_is_403_first(app, api, world):
    viewer, district_staff = api("viewer.tb"), api("staff.d1")
    with unchanged(app):
        assert_error(viewer.post("/plans", province_plan(world, targets=[1])), 403)
        assert_error(district_staff.post("/plans", province_plan(world, year="x")), 403)


PATCH_ERRORS = [
    # (body, status, field)
    ({"title": "Mới"}, 422, "version"),
    ({"version": "1", "title": "Mới"}, 422, "version"),
    ({"version": None, "title": "Mới"}, 422, "version"),
    ({"version": 1}, 422, None),
    ({"version": 1, "unit_id": 3}, 422, "unit_id"),
    ({"version": 1, "status": "approved"}, 422, "status"),
    ({"version": 1, "title": ""}, 422, "title"),
    ({"version": 1, "targets": None}, 422, "targets"),
    ({"version": 1, "targets": [{"indicator": "GIAM_SAT"}]}, 422, "targets[0].level"),
    ({"version": 2, "title": "Mới"}, 409, "version"),
    ({"version": 0, "title": "Mới"}, 422, "version"),  # no plan has version 0
]


@pytest.mark.parametrize("body, status, field", PATCH_ERRORS)
def test_refused_plan_updates_change_nothing(app, api, world, body, status, field):
    caller = api("staff.tb")
    plan = create(caller, province_plan(world))
    with unchanged(app):
        assert_error(caller.patch(f"/plans/{plan['id']}", body), status, field)


@pytest.mark.parametrize("step, body, status, field", [
    ("submit", {"version": "1"}, 422, "version"),
    ("submit", {"version": 1, "comment": "x"}, 422, "comment"),
    ("submit", {"version": 7}, 409, "version"),
    ("approve", {"version": True}, 422, "version"),
    ("approve", "[]", 400, None),
    ("return", {"comment": 5}, 422, "comment"),
    ("return", {"comment": None}, 422, "comment"),
    ("return", {"comment": "x" * 5001}, 422, "comment"),
    ("return", {"comment": "Được", "version": 9}, 409, "version"),
    ("return", "not json", 400, None),
])
def test_refused_steps_change_nothing(app, api, world, step, body, status, field):
    plan = submitted_plan(api, world) if step != "submit" else create(
        api("staff.d1"), {"unit_id": world.units["D1"], "year": 2026, "title": "Kế hoạch"})
    caller = api("staff.d1" if step == "submit" else "approver.tb")
    path = f"/plans/{plan['id']}/{step}"
    with unchanged(app):
        if isinstance(body, str):
            response = caller.call("POST", path, raw=body)
        else:
            response = caller.post(path, body)
        assert_error(response, status, field)


def test_steps_out_of_order_are_409(app, api, world):
    staff, approver = api("staff.d1"), api("approver.tb")
    plan = create(staff, {"unit_id": world.units["D1"], "year": 2026, "title": "Kế hoạch"})
    path = f"/plans/{plan['id']}"
    with unchanged(app):
        assert_error(approver.post(f"{path}/approve"), 409, "status")
        assert_error(approver.post(f"{path}/return", {"comment": "Chưa gửi"}), 409, "status")
    staff.post(f"{path}/submit")
    with unchanged(app):
        assert_error(staff.post(f"{path}/submit"), 409, "status")


def test_odd_values_in_every_field_never_break_anything(app, api, world):
    """Each field of a valid body replaced by odd values: a JSON answer, never a 500; a refusal
    changes nothing. Updates carry the plan's current version, so they reach the services."""
    caller = api("staff.tb")
    valid = province_plan(world)
    plan = create(caller, valid)
    version = plan["version"]
    target, activity = valid["targets"][1], valid["activities"][1]
    calls: list[tuple[str, dict]] = []
    for field in valid:
        calls += [("POST", valid | {field: value}) for value in ODD_VALUES]
        if field != "unit_id":
            calls += [("PATCH", {field: value}) for value in ODD_VALUES]
    for field in target:
        calls += [("POST", valid | {"targets": [target | {field: value}]})
                  for value in ODD_VALUES]
    for field in activity:
        calls += [("POST", valid | {"activities": [activity | {field: value}]})
                  for value in ODD_VALUES]
    for method, body in calls:
        if method == "PATCH":
            path, body = f"/plans/{plan['id']}", body | {"version": version}
        else:
            path = "/plans"
        before = plan_state(app)
        response = caller.call(method, path, body)
        assert response.is_json, (body, response.status_code)
        if response.status_code >= 400:
            assert response.status_code in (400, 404, 422), (body, response.status)
            assert_error(response, response.status_code)
            assert plan_state(app) == before, (method, body)
        elif method == "PATCH":
            version = response.get_json()["version"]


# ---- the OpenAPI document ---------------------------------------------------------------------

@pytest.fixture
def document(client) -> dict:
    return client.get("/api/v1/openapi.json").get_json()


def test_plan_answers_match_the_documented_schemas(app, api, world, document):
    add_user(app, world, "staff.c11", "staff", "C11")
    staff, approver, c11 = api("staff.tb"), api("approver.tb"), api("staff.c11")
    body = province_plan(world)
    body["targets"] = [*body["targets"], {
        "kind": "text", "level": "commune", "deadline": "2026-10-30",
        "text": "100% Hội LHPN cơ sở góp ý ít nhất 01 dự thảo văn bản của chính quyền"}]
    plan = create(staff, body)
    pid = plan["id"]
    request_path = f"/plans/requests/{pid}/{world.units['C11']}/start"
    script = [
        ("GET", "/indicators", staff, "/indicators", None),
        ("GET", "/plans", staff, "/plans?year=2026", None),
        ("GET", "/plans", staff, "/plans?status=late", None),
        ("POST", "/plans", staff, "/plans", province_plan(world, title="Bản thứ hai")),
        ("POST", "/plans", staff, "/plans", province_plan(world, year="2026")),
        ("POST", "/plans", staff, "/plans", "[]"),
        ("POST", "/plans", api("viewer.tb"), "/plans", province_plan(world)),
        ("GET", "/plans/{plan_id}", staff, f"/plans/{pid}", None),
        ("GET", "/plans/{plan_id}", api("staff.hy"), f"/plans/{pid}", None),
        ("PATCH", "/plans/{plan_id}", staff, f"/plans/{pid}", {"version": 1, "place": "TB"}),
        ("PATCH", "/plans/{plan_id}", staff, f"/plans/{pid}", {"version": 1, "place": "X"}),
        ("POST", "/plans/{plan_id}/submit", staff, f"/plans/{pid}/submit", {"version": 2}),
        ("POST", "/plans/{plan_id}/return", approver, f"/plans/{pid}/return", {"comment": ""}),
        ("POST", "/plans/{plan_id}/return", approver, f"/plans/{pid}/return",
         {"comment": "Sửa lại"}),
        ("POST", "/plans/{plan_id}/submit", staff, f"/plans/{pid}/submit", None),
        ("POST", "/plans/{plan_id}/approve", staff, f"/plans/{pid}/approve", None),
        ("POST", "/plans/{plan_id}/approve", approver, f"/plans/{pid}/approve", None),
        ("GET", "/plans/{plan_id}/history", approver, f"/plans/{pid}/history", None),
        ("GET", "/plans/{plan_id}/cascade", approver, f"/plans/{pid}/cascade", None),
        ("GET", "/plans/requests", c11, "/plans/requests", None),
        ("POST", "/plans/requests/{plan_id}/{unit_id}/start", c11, request_path, None),
        ("POST", "/plans/requests/{plan_id}/{unit_id}/start", c11, request_path, None),
        ("POST", "/plans/requests/{plan_id}/{unit_id}/start", staff, request_path, None),
    ]
    seen = set()
    statuses = []
    for method, template, caller, path, body in script:
        if isinstance(body, str):
            response = caller.call(method, path, raw=body)
        else:
            response = caller.call(method, path, body)
        statuses.append(response.status_code)
        schema = schema_for(document, method, template, response.status_code)
        jsonschema.Draft202012Validator(schema | {"components": document["components"]}
                                        ).validate(response.get_json())
        seen.add((method, template))
    assert statuses == [200, 200, 422, 201, 422, 400, 403, 200, 404, 200, 409, 200, 422, 200,
                        200, 403, 200, 200, 200, 200, 201, 200, 403]
    # The programme of work and the follow-up of a qualitative target, once issued.
    issued = staff.get(f"/plans/{pid}").get_json()
    text_id = next(t["id"] for t in issued["targets"] if t["kind"] == "text")
    check_path = f"/plans/{pid}/targets/{text_id}/checks/{world.units['C11']}"
    follow_up = [
        ("POST", "/plans/{plan_id}/counted", staff, f"/plans/{pid}/counted", {"counted": True}),
        ("POST", "/plans/{plan_id}/counted", c11, f"/plans/{pid}/counted", {"counted": True}),
        ("POST", "/plans/{plan_id}/counted", staff, f"/plans/{pid}/counted", {"counted": 1}),
        ("PUT", "/plans/{plan_id}/targets/{target_id}/checks/{unit_id}", c11, check_path,
         {"done": False, "note": "Chưa có dự thảo văn bản để góp ý."}),
        ("PUT", "/plans/{plan_id}/targets/{target_id}/checks/{unit_id}", c11, check_path,
         {"done": False}),
        ("PUT", "/plans/{plan_id}/targets/{target_id}/checks/{unit_id}", staff, check_path,
         {"done": True}),
        ("GET", "/plans/{plan_id}/checks", approver, f"/plans/{pid}/checks", None),
        ("GET", "/plans/{plan_id}/checks", c11, f"/plans/{pid}/checks", None),
    ]
    statuses = []
    for method, template, caller, path, body in follow_up:
        response = caller.call(method, path, body)
        statuses.append(response.status_code)
        schema = schema_for(document, method, template, response.status_code)
        jsonschema.Draft202012Validator(schema | {"components": document["components"]}
                                        ).validate(response.get_json())
        seen.add((method, template))
    assert statuses == [200, 403, 422, 200, 422, 403, 200, 403]
    assert staff.get(f"/plans/{pid}").get_json()["counted"] is True
    answers = approver.get(f"/plans/{pid}/checks").get_json()["items"]
    assert [{k: v for k, v in a.items() if k != "checked_at"} for a in answers] == [
        {"target_id": text_id, "unit_id": world.units["C11"], "done": False,
         "note": "Chưa có dự thảo văn bản để góp ý."}]
    assert answers[0]["checked_at"] is not None
    ours = {op for op in documented_operations(document)
            if op[1].startswith(("/plans", "/indicators"))}
    assert seen == ours, "every plan operation was tried"
