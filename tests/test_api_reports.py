"""Forms, the calendar and reports over the JSON API: the lifecycle, values by kind, lists,
tenant isolation, malformed bodies, optimistic locking under real concurrency (two threads,
two clients), a crash mid-submit, and the answers against the OpenAPI schemas.

Every refused request is checked to leave the report tables (and history, audit log and
notifications) as they were.
"""

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import jsonschema
import pytest
from sqlalchemy import func, select

from lhpn.audit.models import AuditEntry
from lhpn.extensions import db
from lhpn.notifications.models import Notification
from lhpn.reports import services as report_services
from lhpn.reports.models import Report, ReportValue
from lhpn.workflow import signoff
from lhpn.workflow.models import WorkflowEvent
from tests.conftest import api_token
from tests.test_api import ODD_VALUES, Caller, assert_error, documented_operations, schema_for
from tests.test_api_plans import add_user, grant, race

REPORT_KEYS = {"id", "unit_id", "template", "period", "status", "values", "version",
               "submitted_at", "due_date", "on_behalf", "nothing_to_report", "narrative", "late",
               "from_records"}
OURS = ("/templates", "/calendar", "/reports")


# ---- helpers ----------------------------------------------------------------------------------

@pytest.fixture
def api(client, world) -> Callable[[str], Caller]:
    """api("staff.c11") → a Caller holding a fresh token of that user."""

    def as_user(username: str) -> Caller:
        return Caller(client, api_token(client, username))

    return as_user


@pytest.fixture
def c11(app, world) -> None:
    """Staff of commune C11 (the world has roles at D1 and the roots only)."""
    add_user(app, world, "staff.c11", "staff", "C11")


def report_state(app) -> tuple:
    with app.app_context():
        def rows(*columns):
            return db.session.execute(select(*columns).order_by(columns[0])).all()

        def count(model) -> int:
            return db.session.scalar(select(func.count()).select_from(model))

        return (
            rows(Report.id, Report.unit_id, Report.period, Report.status, Report.version,
                 Report.nothing_to_report, Report.results, Report.shortcomings,
                 Report.proposals, Report.submitted_at, Report.approved_at, Report.updated_at),
            rows(ReportValue.id, ReportValue.report_id, ReportValue.indicator_id,
                 ReportValue.number, ReportValue.numerator, ReportValue.denominator,
                 ReportValue.flag, ReportValue.text),
            count(WorkflowEvent), count(AuditEntry), count(Notification),
        )


@contextmanager
def unchanged(app) -> Iterator[None]:
    before = report_state(app)
    yield
    assert report_state(app) == before, "a refused request changed the database"


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def open_report(caller: Caller, unit_id: int, template: str = "BC_THANG",
                period: str = "2026-03") -> dict:
    return ok(caller.post("/reports", {"unit_id": unit_id, "template": template,
                                       "period": period}), 201)


def put_values(caller: Caller, report: dict, values: dict, **extra):
    return caller.call("PUT", f"/reports/{report['id']}/values",
                       {"values": values, "version": report["version"], **extra})


def submitted_report(api, world, period: str = "2026-03") -> dict:
    """C11's monthly report, filled and submitted by its staff: it waits for D1's approver."""
    staff = api("staff.c11")
    report = open_report(staff, world.units["C11"], period=period)
    report = ok(put_values(staff, report, {"TUYEN_TRUYEN": 2}))
    return ok(staff.post(f"/reports/{report['id']}/submit"))


# ---- the lifecycle ------------------------------------------------------------------------------

def test_lifecycle_over_the_api(app, api, world, c11):
    staff, approver, province = api("staff.c11"), api("approver.d1"), api("approver.tb")
    response = staff.post("/reports", {"unit_id": world.units["C11"], "template": "BC_THANG",
                                       "period": "2026-03"})
    report = ok(response, 201)
    assert response.headers["Location"].endswith(f"/api/v1/reports/{report['id']}")
    assert set(report) == REPORT_KEYS
    assert report == report | {
        "unit_id": world.units["C11"], "template": "BC_THANG", "period": "2026-03",
        "status": "draft", "values": {}, "version": 1, "submitted_at": None,
        "due_date": "2026-04-20", "on_behalf": False, "nothing_to_report": False,
        "narrative": {"results": "", "shortcomings": "", "proposals": ""}}
    # Opening it again answers the same report.
    again = staff.post("/reports", {"unit_id": world.units["C11"], "template": "bc_thang",
                                    "period": "2026-03"})
    assert ok(again)["id"] == report["id"]
    path = f"/reports/{report['id']}"
    assert ok(staff.get(path)) == report

    with unchanged(app):  # a required indicator is missing
        assert_error(staff.post(f"{path}/submit"), 422, "values")
    saved = ok(put_values(staff, report, {"TUYEN_TRUYEN": 3, "KINH_PHI": 12.5},
                          narrative={"results": "Tổ chức 3 buổi tuyên truyền."}))
    assert saved["values"] == {"TUYEN_TRUYEN": 3, "KINH_PHI": 12.5}
    assert saved["version"] == 2 and saved["warnings"] == []
    assert saved["narrative"]["results"] == "Tổ chức 3 buổi tuyên truyền."
    # Someone else's edit on version 1 now comes too late.
    with unchanged(app):
        error = assert_error(put_values(staff, report, {"TUYEN_TRUYEN": 9}), 409, "version")
    assert "người khác" in error["message"]

    submitted = ok(staff.post(f"{path}/submit", {"version": 2}))
    assert submitted["status"] == "submitted" and submitted["submitted_at"].endswith("Z")
    with unchanged(app):
        assert_error(put_values(staff, submitted, {"TUYEN_TRUYEN": 4}), 409, "status")
        assert_error(province.post(f"{path}/approve"), 403)  # not the parent's
        assert_error(approver.post(f"{path}/return", {"comment": "  "}), 422, "comment")
        assert_error(approver.post(f"{path}/return", {}), 422, "comment")
        assert_error(approver.post(f"{path}/reopen", {"comment": "Chưa duyệt"}), 409,
                     "status")
    returned = ok(approver.post(f"{path}/return", {"comment": "Bổ sung số đối thoại."}))
    assert returned["status"] == "returned"

    fixed = ok(put_values(staff, returned, {"TUYEN_TRUYEN": 3, "DOI_THOAI": 1},
                          override_reasons={"DOI_THOAI": "Chưa ghi hồ sơ đối thoại."}))
    assert fixed["values"] == {"TUYEN_TRUYEN": 3, "DOI_THOAI": 1}  # KINH_PHI left out: cleared
    assert fixed["narrative"]["results"] == "Tổ chức 3 buổi tuyên truyền."  # kept
    ok(staff.post(f"{path}/submit"))
    approved = ok(approver.post(f"{path}/approve", {"version": fixed["version"] + 1}))
    assert approved["status"] == "approved"
    with unchanged(app):  # approved is locked
        assert_error(put_values(staff, approved, {"TUYEN_TRUYEN": 9}), 409, "status")
        assert_error(staff.post(f"{path}/submit"), 409, "status")
        assert_error(approver.post(f"{path}/reopen", {"comment": ""}), 422, "comment")
    reopened = ok(approver.post(f"{path}/reopen", {"comment": "Sai số liệu, mở lại để sửa."}))
    assert reopened["status"] == "returned"

    history = ok(staff.get(f"{path}/history"))["items"]
    assert [(e["action"], e["from"], e["to"], e["actor"]) for e in history] == [
        ("submit", "draft", "submitted", "staff.c11"),
        ("return", "submitted", "returned", "approver.d1"),
        ("submit", "returned", "submitted", "staff.c11"),
        ("approve", "submitted", "approved", "approver.d1"),
        ("reopen", "approved", "returned", "approver.d1"),
    ]
    assert history[1]["comment"] == "Bổ sung số đối thoại."
    assert all(e["at"].endswith("Z") for e in history)


def test_nobody_approves_what_they_submitted(app, api, world, c11):
    grant(app, world, "staff.c11", "approver", "D1")
    report = submitted_report(api, world)
    submitter = api("staff.c11")
    with unchanged(app):
        error = assert_error(submitter.post(f"/reports/{report['id']}/approve"), 422)
    assert "chính mình" in error["message"]


def test_values_of_every_kind_and_the_denominator_warning(app, api, world, c11):
    add_text_item(app, world)
    staff = api("staff.c11")
    first = open_report(staff, world.units["C11"], "BC_GSPB_6T", "2026-H1")
    required = {"GIAM_SAT": 0, "PHAN_BIEN": 0, "GOP_Y": 2}
    why = {"override_reasons": {"GOP_Y": "Góp ý bằng văn bản chưa ghi hồ sơ."}}
    with unchanged(app):
        error = assert_error(put_values(staff, first, required | {
            "HV_HOC_TAP": {"numerator": 120, "denominator": 100}}, **why), 422, "HV_HOC_TAP")
    assert "không được lớn hơn" in error["message"]
    ok(put_values(staff, first, required | {"HV_HOC_TAP": {"numerator": 90,
                                                           "denominator": 100}}, **why))
    second = open_report(staff, world.units["C11"], "BC_GSPB_6T", "2026-H2")
    saved = ok(put_values(staff, second, required | {
        "HV_HOC_TAP": {"numerator": 90, "denominator": 160}}, **why))
    assert saved["values"]["HV_HOC_TAP"] == {"numerator": 90, "denominator": 160}
    assert [w["indicator"] for w in saved["warnings"]] == ["HV_HOC_TAP"]
    assert "160" in saved["warnings"][0]["message"]
    assert "warnings" not in ok(staff.get(f"/reports/{second['id']}"))

    yearly = open_report(staff, world.units["C11"], "BC_GSPB_NAM", "2026")
    assert yearly["due_date"] == "2026-12-15"
    saved = ok(put_values(staff, yearly, required | {"CHUYEN_DOI_SO": True}, **why))
    assert saved["values"]["CHUYEN_DOI_SO"] is True
    incident = open_report(staff, world.units["C11"], "BC_NHANH_VU_VIEC", "VV-2026-01")
    saved = ok(put_values(staff, incident, {"BAO_LUC": 1, "NAN_NHAN": 1,
                                            "GHI_CHU": "Đã hòa giải tại thôn."}))
    assert saved["values"]["GHI_CHU"] == "Đã hòa giải tại thôn."
    assert ok(staff.post(f"/reports/{incident['id']}/submit"))["status"] == "submitted"


def test_nothing_to_report_is_explicit(api, world, c11):
    staff = api("staff.c11")
    report = open_report(staff, world.units["C11"], period="2026-06")
    saved = ok(put_values(staff, report, {}, nothing_to_report=True))
    assert saved["nothing_to_report"] is True
    assert ok(staff.post(f"/reports/{report['id']}/submit"))["status"] == "submitted"


def test_the_commune_enters_for_its_branch(app, api, world, c11):
    staff = api("staff.c11")
    report = open_report(staff, world.units["B111"])
    assert report["on_behalf"] is True and report["unit_id"] == world.units["B111"]
    saved = ok(put_values(staff, report, {"TUYEN_TRUYEN": 1}))
    assert ok(staff.post(f"/reports/{saved['id']}/submit"))["status"] == "submitted"
    # The district's staff may not, nor may another commune's.
    add_user(app, world, "staff.c12", "staff", "C12")
    others = [api("staff.d1"), api("staff.c12")]
    with unchanged(app):
        for other in others:
            assert_error(other.post("/reports", {
                "unit_id": world.units["B111"], "template": "BC_THANG",
                "period": "2026-04"}), 403)


# ---- forms and the calendar ---------------------------------------------------------------------

def test_the_forms_are_the_tenants(api, world):
    viewer = api("norole.d1")  # every user of the tenant may read the forms
    items = ok(viewer.get("/templates"))["items"]
    by_code = {t["code"]: t for t in items}
    assert {"BC_THANG", "BC_GSPB_6T", "BC_GSPB_NAM", "BC_CHUYEN_DE_GSPB",
            "BC_NHANH_VU_VIEC"} <= set(by_code)
    monthly = by_code["BC_THANG"]
    assert (monthly["period_type"], monthly["due_day"], monthly["due_months_after"]) == (
        "month", 20, 1)
    assert monthly["levels"] == ["district", "commune", "branch"]
    first = monthly["indicators"][0]
    assert set(first) == {"code", "name", "kind", "aggregation", "group", "required"}
    assert (first["code"], first["kind"], first["required"]) == ("TUYEN_TRUYEN", "count", True)
    thematic = by_code["BC_CHUYEN_DE_GSPB"]
    assert thematic["period_type"] == "thematic"
    assert thematic["periods"][0]["due_date"].endswith("-10-30")
    assert ok(viewer.get("/templates/BC_THANG")) == monthly
    assert ok(viewer.get(f"/templates/{monthly['id']}")) == monthly
    hy = api("staff.hy")
    hy_monthly = ok(hy.get("/templates/BC_THANG"))
    assert hy_monthly["id"] != monthly["id"]
    assert hy_monthly["levels"] == ["commune", "branch"]
    for path in (f"/templates/{hy_monthly['id']}", "/templates/NOPE", "/templates/%00",
                 "/templates/" + "X" * 100, "/templates/99999999999"):
        assert_error(viewer.get(path), 404)


def test_the_calendar_shows_what_is_due(api, world, c11):
    staff = api("staff.c11")
    report = open_report(staff, world.units["C11"], period="2026-02")
    items = ok(staff.get("/calendar?year=2026"))["items"]  # the caller's own unit by default
    assert items == ok(staff.get(f"/calendar?unit_id={world.units['C11']}&year=2026"))["items"]
    monthly = [e for e in items if e["template"] == "BC_THANG"]
    assert len(monthly) == 12
    assert monthly[0] == {"template": "BC_THANG", "period": "2026-01", "label": "Tháng 01/2026",
                          "due_date": "2026-02-20", "status": "not_started",
                          "report_id": None}
    assert (monthly[1]["status"], monthly[1]["report_id"]) == ("draft", report["id"])
    assert [e["due_date"] for e in items] == sorted(e["due_date"] for e in items)
    assert {"BC_GSPB_6T", "BC_GSPB_NAM", "BC_CHUYEN_DE_GSPB"} <= {e["template"] for e in items}
    assert "BC_NHANH_VU_VIEC" not in {e["template"] for e in items}  # ad hoc: never due
    # D1's approver reads its communes' calendars; not another district's, nor another tenant's.
    approver = api("approver.d1")
    assert ok(approver.get(f"/calendar?unit_id={world.units['C11']}&year=2026"))["items"] == items
    assert_error(approver.get(f"/calendar?unit_id={world.units['D2']}"), 403)
    assert_error(approver.get(f"/calendar?unit_id={world.units['HC1']}"), 404)
    # The root fills no monthly report; someone without a role has no calendar to read.
    root = ok(api("staff.tb").get("/calendar?year=2026"))["items"]
    assert "BC_THANG" not in {e["template"] for e in root}
    assert_error(api("norole.d1").get("/calendar"), 403)


@pytest.mark.parametrize("query, field", [
    ("year=1999", "year"), ("year=20x6", "year"), ("unit_id=0", "unit_id"),
    ("unit_id=abc", "unit_id"),
])
def test_bad_calendar_parameters_are_422(api, query, field):
    assert_error(api("staff.d1").get(f"/calendar?{query}"), 422, field)


# ---- the list -----------------------------------------------------------------------------------

def test_the_report_list_filters(api, world, c11):
    staff = api("staff.c11")
    a = open_report(staff, world.units["C11"], period="2026-03")
    b = open_report(staff, world.units["C11"], period="2026-04")
    c = open_report(staff, world.units["C11"], "BC_GSPB_6T", "2026-H1")
    d = open_report(api("staff.d1"), world.units["D1"], period="2026-03")
    ok(put_values(staff, b, {"TUYEN_TRUYEN": 1}))
    ok(staff.post(f"/reports/{b['id']}/submit"))
    approver = api("approver.d1")

    def ids(query: str = "", caller: Caller = approver) -> list[int]:
        return [r["id"] for r in ok(caller.get(f"/reports?{query}"))["items"]]

    assert ids() == [c["id"], b["id"], d["id"], a["id"]]  # latest period first, then newest
    assert ids(f"unit_id={world.units['C11']}") == [c["id"], b["id"], a["id"]]
    assert ids("template=BC_THANG") == [b["id"], d["id"], a["id"]]
    assert ids("template=bc_gspb_6t") == [c["id"]]
    assert ids("period=2026-03") == [d["id"], a["id"]]
    assert ids("status=submitted") == [b["id"]]
    assert ids("status=draft&period=2026-03&template=BC_THANG") == [d["id"], a["id"]]
    assert ids("limit=2&offset=1") == [b["id"], d["id"]]
    assert ids(f"unit_id={world.units['HC1']}") == []  # another tenant's unit: nothing
    assert ids("", staff) == [c["id"], b["id"], a["id"]]  # not its district's
    assert ids("", api("viewer.tb")) == ids()
    assert ids("", api("tenant_admin.hy")) == []
    assert ids("", api("norole.d1")) == []


@pytest.mark.parametrize("query, field", [
    ("status=late", "status"), ("status=DRAFT", "status"), ("template=NOPE", "template"),
    ("template=%00", "template"), ("period=" + "9" * 41, "period"), ("unit_id=0", "unit_id"),
    ("limit=0", "limit"), ("offset=-1", "offset"), ("period=%00", "period"),
])
def test_bad_list_parameters_are_422(api, query, field):
    assert_error(api("tenant_admin.tb").get(f"/reports?{query}"), 422, field)


# ---- tenants -----------------------------------------------------------------------------------

OTHER_TENANT_CALLS = [
    ("GET", "/reports/{report}", None),
    ("PUT", "/reports/{report}/values", {"values": {"TUYEN_TRUYEN": 1}, "version": 1}),
    ("POST", "/reports/{report}/submit", None),
    ("POST", "/reports/{report}/approve", None),
    ("POST", "/reports/{report}/return", {"comment": "Không"}),
    ("POST", "/reports/{report}/reopen", {"comment": "Không"}),
    ("GET", "/reports/{report}/history", None),
    ("GET", "/calendar?unit_id={C11}", None),
    ("GET", "/templates/{template}", None),
    ("POST", "/reports", {"unit_id": "{C11}", "template": "BC_THANG", "period": "2026-05"}),
]


@pytest.mark.parametrize("method, template, body", OTHER_TENANT_CALLS)
@pytest.mark.parametrize("who", ["tenant_admin.hy", "approver.hy", "staff.hy"])
def test_another_tenants_reports_are_not_found(app, api, world, c11, who, method, template,
                                               body):
    report = submitted_report(api, world)
    template_id = ok(api("staff.c11").get("/templates/BC_THANG"))["id"]
    ids = {"report": report["id"], "template": template_id, **world.units}
    path = re.sub(r"\{(\w+)\}", lambda m: str(ids[m.group(1)]), template)
    if body and body.get("unit_id") == "{C11}":
        body = body | {"unit_id": world.units["C11"]}
    caller = api(who)
    with unchanged(app):
        error = assert_error(caller.call(method, path, body), 404)
    assert error["code"] == "not_found"


def test_another_tenants_form_cannot_be_opened(app, api, world):
    hy_form = ok(api("staff.hy").get("/templates/BC_THANG"))["id"]
    staff = api("staff.d1")
    with unchanged(app):
        assert_error(staff.post("/reports", {
            "unit_id": world.units["D1"], "template": str(hy_form), "period": "2026-03"}),
            404, "template")


# ---- malformed input --------------------------------------------------------------------------

def valid_new(world, **changes) -> dict:
    return {"unit_id": world.units["D1"], "template": "BC_THANG", "period": "2026-03"} | changes


CREATE_ERRORS = [
    # (changes to a valid body, status, field)
    ({"unit_id": "1"}, 422, "unit_id"),
    ({"unit_id": True}, 422, "unit_id"),
    ({"unit_id": 99999}, 404, None),
    ({"template": "NOPE"}, 404, "template"),
    ({"template": 5}, 422, "template"),
    ({"template": None}, 422, "template"),
    ({"template": "\x00"}, 404, "template"),
    ({"period": "2026-13"}, 422, "period"),
    ({"period": "2026-Q1"}, 422, "period"),
    ({"period": "1999-01"}, 422, "period"),
    ({"period": 202603}, 422, "period"),
    ({"period": "x" * 41}, 422, "period"),
    ({"period": "\ud800"}, 422, "period"),
    ({"status": "approved"}, 422, "status"),
    ({"version": 1}, 422, "version"),
]


@pytest.mark.parametrize("changes, status, field", CREATE_ERRORS)
def test_refused_report_creations_change_nothing(app, api, world, changes, status, field):
    caller = api("staff.d1")
    with unchanged(app):
        error = assert_error(caller.post("/reports", valid_new(world, **changes)), status,
                             field)
    assert re.search(r"[à-ỹĐđ]", error["message"]), "messages are in Vietnamese"


def test_missing_fields_and_bodies_that_are_not_objects(app, api, world):
    caller = api("staff.d1")
    with unchanged(app):
        for name in ("unit_id", "template", "period"):
            body = valid_new(world)
            del body[name]
            assert_error(caller.post("/reports", body), 422, name)
        assert_error(caller.call("POST", "/reports", raw="[]"), 400)
        assert_error(caller.call("POST", "/reports", raw="{"), 400)


def test_the_root_fills_no_monthly_report(app, api, world):
    staff = api("staff.tb")
    with unchanged(app):
        error = assert_error(staff.post("/reports", valid_new(
            world, unit_id=world.units["TB"])), 422, "template")
    assert "không dành cho cấp" in error["message"]


def test_without_the_right_a_bad_body_is_403_first(app, api, world, c11):
    report = submitted_report(api, world)
    rid = report["id"]
    viewer, staff, province = api("viewer.d1"), api("staff.c11"), api("viewer.tb")
    with unchanged(app):
        assert_error(viewer.post("/reports", valid_new(world, period=5)), 403)
        assert_error(viewer.post("/reports", valid_new(world, template=5)), 403)
        assert_error(viewer.call("PUT", f"/reports/{rid}/values", raw="not json"), 403)
        assert_error(viewer.post(f"/reports/{rid}/submit", {"version": "x"}), 403)
        assert_error(staff.post(f"/reports/{rid}/approve", {"version": "x"}), 403)
        assert_error(staff.post(f"/reports/{rid}/return", {"comment": 5}), 403)
        assert_error(province.post(f"/reports/{rid}/reopen", "x"), 403)


VALUES_ERRORS = [
    # (body, status, field)
    ({"values": {"TUYEN_TRUYEN": 1}}, 422, "version"),
    ({"version": 1}, 422, "values"),
    ({"values": {"TUYEN_TRUYEN": 1}, "version": "1"}, 422, "version"),
    ({"values": {"TUYEN_TRUYEN": 1}, "version": True}, 422, "version"),
    ({"values": {"TUYEN_TRUYEN": 1}, "version": 2}, 409, "version"),
    ({"values": [], "version": 1}, 422, "values"),
    ({"values": {"TUYEN_TRUYEN": -1}, "version": 1}, 422, "TUYEN_TRUYEN"),
    ({"values": {"TUYEN_TRUYEN": 1.5}, "version": 1}, 422, "TUYEN_TRUYEN"),
    ({"values": {"TUYEN_TRUYEN": "3"}, "version": 1}, 422, "TUYEN_TRUYEN"),
    ({"values": {"TUYEN_TRUYEN": True}, "version": 1}, 422, "TUYEN_TRUYEN"),
    ({"values": {"TUYEN_TRUYEN": 10**20}, "version": 1}, 422, "TUYEN_TRUYEN"),
    ({"values": {"TUYEN_TRUYEN": {"numerator": 1}}, "version": 1}, 422, "TUYEN_TRUYEN"),
    ({"values": {"KINH_PHI": "nhiều"}, "version": 1}, 422, "KINH_PHI"),
    ({"values": {"GIOI_THIEU_DANG": 1}, "version": 1}, 422, "values"),  # not on this form
    ({"values": {"KHONG_CO": 1}, "version": 1}, 422, "indicator"),  # not in the catalogue
    ({"values": {"\ud800": 1}, "version": 1}, 422, "values"),
    ({"values": {"X" * 100: 1}, "version": 1}, 422, "values"),
    ({"values": {}, "version": 1, "narrative": "kết quả"}, 422, "narrative"),
    ({"values": {}, "version": 1, "narrative": {"results": 5}}, 422, "narrative.results"),
    ({"values": {}, "version": 1, "narrative": {"results": "\ud800"}}, 422,
     "narrative.results"),
    ({"values": {}, "version": 1, "narrative": {"summary": "x"}}, 422, "narrative.summary"),
    ({"values": {}, "version": 1, "nothing_to_report": "yes"}, 422, "nothing_to_report"),
    ({"values": {}, "version": 1, "status": "submitted"}, 422, "status"),
]


@pytest.mark.parametrize("body, status, field", VALUES_ERRORS)
def test_refused_values_change_nothing(app, api, world, body, status, field):
    caller = api("staff.d1")
    report = open_report(caller, world.units["D1"])
    with unchanged(app):
        assert_error(caller.call("PUT", f"/reports/{report['id']}/values", body), status, field)


def add_text_item(app, world, template: str = "BC_NHANH_VU_VIEC", code: str = "GHI_CHU") -> None:
    """A text indicator on a form of TB (the starter forms have none since TOM_TAT_VU_VIEC was
    retired)."""
    from lhpn.indicators.models import Indicator
    from lhpn.reports.models import ReportTemplate, TemplateItem

    with app.app_context():
        tb = world.tenants["TB"]
        indicator = Indicator(tenant_id=tb, code=code, name="Ghi chú", kind="text",
                              aggregation="none")
        db.session.add(indicator)
        form = db.session.scalar(select(ReportTemplate).where(
            ReportTemplate.tenant_id == tb, ReportTemplate.code == template))
        db.session.flush()
        form.items.append(TemplateItem(indicator_id=indicator.id, position=9, group="Vụ việc"))
        db.session.commit()


def test_values_of_the_wrong_kind_are_refused(app, api, world, c11):
    add_text_item(app, world)
    caller = api("staff.c11")
    report = open_report(caller, world.units["C11"], "BC_GSPB_NAM", "2026")
    incident = open_report(caller, world.units["C11"], "BC_NHANH_VU_VIEC", "VV-1")
    cases = [
        (report, {"CHUYEN_DOI_SO": 1}, "CHUYEN_DOI_SO"),
        (report, {"CHUYEN_DOI_SO": "có"}, "CHUYEN_DOI_SO"),
        (report, {"HV_HOC_TAP": 50}, "HV_HOC_TAP"),
        (report, {"HV_HOC_TAP": {"numerator": "1", "denominator": 2}}, "HV_HOC_TAP"),
        (report, {"HV_HOC_TAP": {"numerator": 1, "denominator": 2.5}}, "HV_HOC_TAP"),
        (report, {"HV_HOC_TAP": {"numerator": 0, "denominator": 0}}, "HV_HOC_TAP"),
        (report, {"HV_HOC_TAP": {"numerator": 1, "denominator": 2, "pct": 50}}, "HV_HOC_TAP"),
        (incident, {"GHI_CHU": 5}, "GHI_CHU"),
        (incident, {"GHI_CHU": "a\x00b"}, "GHI_CHU"),
        (incident, {"GHI_CHU": "\ud800"}, "GHI_CHU"),
    ]
    for target, values, field in cases:
        with unchanged(app):
            assert_error(put_values(caller, target, values), 422, field)


@pytest.mark.parametrize("step, body, status, field", [
    ("submit", {"version": "2"}, 422, "version"),
    ("submit", {"version": 2, "comment": "x"}, 422, "comment"),
    ("submit", {"version": 7}, 409, "version"),
    ("approve", {"version": True}, 422, "version"),
    ("approve", {"version": 7}, 409, "version"),
    ("approve", "[]", 400, None),
    ("return", {"comment": 5}, 422, "comment"),
    ("return", {"comment": None}, 422, "comment"),
    ("return", {"comment": "\ud800"}, 422, "comment"),
    ("return", {"comment": "x" * 5001}, 422, "comment"),
    ("return", {"comment": "Được", "version": 9}, 409, "version"),
    ("return", "not json", 400, None),
    ("reopen", {"comment": "Mở", "version": 3}, 409, "status"),
])
def test_refused_steps_change_nothing(app, api, world, c11, step, body, status, field):
    if step == "submit":
        staff = api("staff.c11")
        report = ok(put_values(staff, open_report(staff, world.units["C11"]),
                               {"TUYEN_TRUYEN": 1}))
    else:
        report = submitted_report(api, world)
    caller = api("staff.c11" if step == "submit" else "approver.d1")
    path = f"/reports/{report['id']}/{step}"
    with unchanged(app):
        if isinstance(body, str):
            response = caller.call("POST", path, raw=body)
        else:
            response = caller.post(path, body)
        assert_error(response, status, field)


def test_odd_values_in_every_field_never_break_anything(app, api, world):
    """Each field of a valid body replaced by odd values: a JSON answer, never a 500; a refusal
    changes nothing. Value updates carry the report's current version, so they reach the
    services."""
    caller = api("staff.d1")
    report = open_report(caller, world.units["D1"], period="2026-01")
    version = report["version"]
    valid_values = {"TUYEN_TRUYEN": 1, "KINH_PHI": 2.5, "DON_THU": 0}
    calls: list[tuple[str, str, object]] = []
    for field in ("unit_id", "template", "period"):
        calls += [("POST", "/reports", valid_new(world) | {field: value})
                  for value in ODD_VALUES]
    for code in valid_values:
        calls += [("PUT", "values", {"values": valid_values | {code: value}})
                  for value in ODD_VALUES]
    calls += [("PUT", "values", {"values": value}) for value in ODD_VALUES]
    calls += [("PUT", "values", {"values": {}, "narrative": {"results": value}})
              for value in ODD_VALUES]
    calls += [("PUT", "values", {"values": {}, "nothing_to_report": value})
              for value in ODD_VALUES]
    calls += [("POST", "return", {"comment": value}) for value in ODD_VALUES]
    approver = api("approver.tb")  # D1's reports are decided at the root
    for method, path, body in calls:
        who = caller
        if method == "PUT":
            path, body = f"/reports/{report['id']}/values", body | {"version": version}
        elif path == "return":
            path, who = f"/reports/{report['id']}/return", approver
        before = report_state(app)
        response = who.call(method, path, body)
        assert response.is_json, (body, response.status_code)
        if response.status_code >= 400:
            assert response.status_code in (400, 403, 404, 409, 422), (body, response.status)
            assert_error(response, response.status_code)
            assert report_state(app) == before, (method, body)
        elif method == "PUT":
            version = response.get_json()["version"]


# ---- concurrency -------------------------------------------------------------------------------

def test_two_approvers_at_the_same_moment_exactly_one_wins(app, client, api, world, c11,
                                                           monkeypatch):
    add_user(app, world, "approver2.d1", "approver", "D1")
    report = submitted_report(api, world)
    tokens = [api_token(client, name) for name in ("approver.d1", "approver2.d1")]
    path = f"/reports/{report['id']}/approve"
    answers = race(app, monkeypatch, report_services.SIGN_OFF,
                   [(t, "POST", path, {"version": report["version"]}) for t in tokens])
    assert sorted(status for status, _body in answers) == [200, 409], answers
    winner = next(body for status, body in answers if status == 200)
    loser = next(body for status, body in answers if status == 409)
    assert loser["error"]["code"] == "conflict" and "người khác" in loser["error"]["message"]
    # Both passed the version check: the database's version column decided, not the check.
    assert "field" not in loser["error"]
    with app.app_context():
        stored = db.session.get(Report, report["id"])
        assert (stored.status, stored.version) == ("approved", winner["version"])
        assert [e.action for e in report_services.history(stored)] == ["submit", "approve"]


def test_two_staff_saving_one_draft_never_overwrite_silently(app, client, api, world, c11,
                                                             monkeypatch):
    add_user(app, world, "staff2.c11", "staff", "C11")
    report = open_report(api("staff.c11"), world.units["C11"])
    tokens = [api_token(client, name) for name in ("staff.c11", "staff2.c11")]
    path = f"/reports/{report['id']}/values"
    calls = [(tokens[0], "PUT", path, {"values": {"TUYEN_TRUYEN": 1, "KINH_PHI": 3},
                                       "version": 1,
                                       "narrative": {"results": "Bản thứ nhất"}}),
             (tokens[1], "PUT", path, {"values": {"TUYEN_TRUYEN": 2}, "version": 1,
                                       "narrative": {"results": "Bản thứ hai"}})]
    answers = race(app, monkeypatch, report_services.SIGN_OFF, calls)
    assert sorted(status for status, _body in answers) == [200, 409], answers
    assert "field" not in next(body for status, body in answers if status == 409)["error"]
    winner = next(body for status, body in answers if status == 200)
    with app.app_context():
        stored = db.session.get(Report, report["id"])
        assert (stored.version, stored.results) == (2, winner["narrative"]["results"])
        assert report_services.values_dict(stored) == winner["values"]  # nothing of the loser's


def test_a_crash_mid_submit_leaves_the_report_a_draft(app, client, api, world, c11,
                                                      monkeypatch):
    staff = api("staff.c11")
    report = ok(put_values(staff, open_report(staff, world.units["C11"]), {"TUYEN_TRUYEN": 1}))

    def boom(*args, **kwargs):
        raise RuntimeError("the notification queue died")

    monkeypatch.setattr(signoff, "notify", boom)
    before = report_state(app)
    response = client.post(f"/api/v1/reports/{report['id']}/submit",
                           headers={"Authorization": f"Bearer {staff.token}"})
    assert response.status_code == 500 and response.is_json
    assert response.get_json()["error"]["code"] == "server_error"
    assert report_state(app) == before
    monkeypatch.undo()
    again = ok(staff.get(f"/reports/{report['id']}"))
    assert (again["status"], again["version"], again["submitted_at"]) == (
        "draft", report["version"], None)
    assert ok(staff.get(f"/reports/{report['id']}/history"))["items"] == []
    # Once the fault is gone, the same submission goes through.
    assert ok(staff.post(f"/reports/{report['id']}/submit"))["status"] == "submitted"


# ---- the OpenAPI document ---------------------------------------------------------------------

@pytest.fixture
def document(client) -> dict:
    return client.get("/api/v1/openapi.json").get_json()


def test_report_answers_match_the_documented_schemas(app, api, world, c11, document):
    staff, approver = api("staff.c11"), api("approver.d1")
    c11_id = world.units["C11"]
    rid = open_report(staff, c11_id, "BC_GSPB_6T", "2026-H1")["id"]
    new = {"unit_id": c11_id, "template": "BC_THANG", "period": "2026-03"}
    rate = {"GIAM_SAT": 0, "PHAN_BIEN": 0, "GOP_Y": 2,
            "HV_HOC_TAP": {"numerator": 9, "denominator": 10}}
    script = [
        ("GET", "/templates", staff, "/templates", None),
        ("GET", "/templates/{code}", staff, "/templates/BC_CHUYEN_DE_GSPB", None),
        ("GET", "/templates/{code}", staff, "/templates/NOPE", None),
        ("GET", "/calendar", staff, "/calendar?year=2026", None),
        ("GET", "/calendar", staff, f"/calendar?unit_id={world.units['D2']}", None),
        ("GET", "/calendar", staff, "/calendar?year=3000", None),
        ("POST", "/reports", staff, "/reports", new),
        ("POST", "/reports", staff, "/reports", new),
        ("POST", "/reports", staff, "/reports", new | {"period": "2026-13"}),
        ("POST", "/reports", staff, "/reports", "[]"),
        ("POST", "/reports", api("viewer.d1"), "/reports", new),
        ("GET", "/reports", approver, "/reports?template=BC_GSPB_6T", None),
        ("GET", "/reports", approver, "/reports?status=late", None),
        ("GET", "/reports/{report_id}", staff, f"/reports/{rid}", None),
        ("GET", "/reports/{report_id}", api("staff.hy"), f"/reports/{rid}", None),
        ("PUT", "/reports/{report_id}/values", staff, f"/reports/{rid}/values",
         {"values": rate, "version": 1, "narrative": {"proposals": "Tăng kinh phí."},
          "override_reasons": {"GOP_Y": "Chưa ghi hồ sơ."}}),
        ("PUT", "/reports/{report_id}/values", staff, f"/reports/{rid}/values",
         {"values": rate, "version": 1}),
        ("POST", "/reports/{report_id}/submit", staff, f"/reports/{rid}/submit",
         {"version": 2}),
        ("POST", "/reports/{report_id}/return", approver, f"/reports/{rid}/return",
         {"comment": ""}),
        ("POST", "/reports/{report_id}/return", approver, f"/reports/{rid}/return",
         {"comment": "Sửa lại"}),
        ("POST", "/reports/{report_id}/submit", staff, f"/reports/{rid}/submit", None),
        ("POST", "/reports/{report_id}/approve", staff, f"/reports/{rid}/approve", None),
        ("POST", "/reports/{report_id}/approve", approver, f"/reports/{rid}/approve", None),
        ("POST", "/reports/{report_id}/reopen", approver, f"/reports/{rid}/reopen",
         {"comment": "Mở lại"}),
        ("GET", "/reports/{report_id}/history", approver, f"/reports/{rid}/history", None),
        ("POST", "/reports/approve", approver, "/reports/approve", {"items": []}),
        ("POST", "/reports/approve", approver, "/reports/approve",
         {"items": [{"id": rid, "version": 1}, {"id": 2_000_000, "version": 1}]}),
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
    assert statuses == [200, 200, 404, 200, 403, 422, 201, 200, 422, 400, 403, 200, 422, 200,
                        404, 200, 409, 200, 422, 200, 200, 403, 200, 200, 200, 422, 200]
    ours = {op for op in documented_operations(document) if op[1].startswith(OURS)}
    ours = {op for op in ours if not re.search(r"attachment", op[1])}  # tried elsewhere
    assert seen == ours, "every report operation was tried"
