"""Approving several reports at once (issue 12, item 8), through the test client: the inbox's
boxes, the review page with each report's figures and unusual changes, the approval of each
report as if alone and in its own transaction, and the failures listed with their reasons;
the same over the API."""

import html
import re

from sqlalchemy import func, select

from lhpn.accounts.models import User
from lhpn.audit.models import AuditEntry
from lhpn.consolidation.models import RollupCount
from lhpn.extensions import db
from lhpn.notifications.models import Notification
from lhpn.reports import services as reports
from lhpn.reports.models import Report
from lhpn.tenants.models import Tenant
from lhpn.units import services as units
from lhpn.units.models import Unit
from lhpn.workflow.models import WorkflowEvent
from tests import factories
from tests.conftest import api_token
from tests.test_plan_pages import Browser, add_user

PERIOD = "2026-03"
COMMUNES = ("C11", "C12", "C13")


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _three_communes_sent(app, world, values: dict | None = None) -> dict[str, int]:
    """C11, C12 and a new C13 (all under D1) each send March; C11 also had February approved
    with far fewer activities (an unusual change). Returns code → report id."""
    with app.app_context():
        d1 = db.session.get(Unit, world.units["D1"])
        world.units["C13"] = units.create_unit(None, d1, "Hội LHPN xã Minh Khai", "commune",
                                               "C13").id
        tenant = db.session.get(Tenant, world.tenants["TB"])
        template = reports.get_template(tenant.id, "BC_THANG")
        approver = db.session.get(User, world.users["approver.d1"])
        ids = {}
        for code in COMMUNES:
            staff = factories.user(tenant, f"staff.{code.lower()}", "staff",
                                   db.session.get(Unit, world.units[code]))
            world.users[staff.username] = staff.id
            unit = db.session.get(Unit, world.units[code])
            if code == "C11":
                february = reports.open_report(staff, unit, template, "2026-02")
                reports.save_report(staff, february, {"TUYEN_TRUYEN": 2}, february.version)
                reports.submit_report(staff, february)
                reports.approve_report(approver, february)
            report = reports.open_report(staff, unit, template, PERIOD)
            number = {"C11": 30, "C12": 4, "C13": 6}[code]
            reports.save_report(staff, report, (values or {}).get(code, {"TUYEN_TRUYEN": number}),
                                report.version)
            reports.submit_report(staff, report)
            ids[code] = report.id
        db.session.commit()
        return ids


def _state(app, report_id: int) -> tuple[str, int, list[str]]:
    with app.app_context():
        report = db.session.get(Report, report_id)
        return report.status, report.version, [e.action for e in reports.history(report)]


def _versions(app, ids) -> dict[int, int]:
    with app.app_context():
        return {i: db.session.get(Report, i).version for i in ids}


def test_an_approver_reviews_and_approves_three_reports_one_returned_meanwhile(app, world):
    ids = _three_communes_sent(app, world)
    add_user(app, world, "approver2.d1", "approver", "D1")
    chair = Browser(app, "approver.d1")

    inbox = page_text(chair.get("/reports/inbox"))
    for report_id in ids.values():
        assert f'name="id" value="{report_id}"' in inbox
    assert "Xem lại để duyệt các báo cáo đã chọn" in inbox
    everything = page_text(chair.get("/reports/inbox?all=1"))
    assert everything.count("checked") >= 3

    # The review: each report's figures beside last period's, unusual changes marked.
    query = "&".join(f"id={i}" for i in ids.values())
    review = page_text(chair.get(f"/reports/inbox/review?{query}"))
    for name in ("Hội LHPN xã Tân Lễ", "Hội LHPN xã Canh Tân", "Hội LHPN xã Minh Khai"):
        assert name in review
    c11 = review[review.index(f'id="review-{ids["C11"]}"'):review.index(
        f'id="review-{ids["C12"]}"')]
    assert "1 thay đổi bất thường so với kỳ trước" in c11 and "<details open>" in c11
    assert re.search(r'class="value-now">30<.*class="value-before">2<', c11, re.S)
    assert "Duyệt 3 báo cáo</button>" in review
    assert 'data-confirm="Duyệt 3 báo cáo? Mỗi báo cáo được duyệt riêng' in review
    versions = dict(re.findall(r'name="version-(\d+)" value="(\d+)"', review))
    assert set(versions) == {str(i) for i in ids.values()}

    # Meanwhile another approver returns C12's report.
    other = Browser(app, "approver2.d1")
    assert other.post(f"/reports/{ids['C12']}/return", {
        "version": versions[str(ids["C12"])], "comment": "Thiếu số liệu hòa giải."}
    ).status_code == 302

    notices_before = {code: _notices(app, world.users[f"staff.{code.lower()}"])
                      for code in COMMUNES}
    answer = chair.post("/reports/approve", {"id": list(ids.values()),
                                              **{f"version-{k}": v for k, v in versions.items()}})
    page = page_text(answer)
    assert answer.status_code == 200
    assert "Đã duyệt 2 báo cáo." in page and "1 báo cáo chưa được duyệt:" in page
    failed = page[page.index("chưa được duyệt"):]
    assert "Hội LHPN xã Canh Tân" in failed
    assert "không còn chờ duyệt (đang ở trạng thái “Bị trả lại”)" in failed

    # Each approved report: its own event, its own audit entry, its submitter told.
    for code in ("C11", "C13"):
        assert _state(app, ids[code])[0] == "approved"
        assert _state(app, ids[code])[2] == ["submit", "approve"]
        assert _notices(app, world.users[f"staff.{code.lower()}"]) == notices_before[code] + 1
    assert _state(app, ids["C12"])[:1] == ("returned",)
    assert _state(app, ids["C12"])[2] == ["submit", "return"]
    with app.app_context():
        approvals = db.session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "report.approve", AuditEntry.actor_id == world.users[
                "approver.d1"]))
        assert approvals == 3  # February, then C11 and C13
        counted = db.session.scalar(select(RollupCount.approved).where(
            RollupCount.unit_id == world.units["D1"], RollupCount.period == PERIOD))
        assert counted == 2  # in the district's totals at once


def _notices(app, user_id: int) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Notification).where(
            Notification.user_id == user_id))


def test_nobody_approves_what_they_sent_even_among_many(app, world):
    ids = _three_communes_sent(app, world)
    add_user(app, world, "approver2.d1", "approver", "D1")
    # The district's chair is also an officer of C12: C12's report comes back and the chair
    # sends it again.
    with app.app_context():
        from lhpn.accounts import services as accounts

        chair = db.session.get(User, world.users["approver.d1"])
        accounts.assign_role(None, chair, "staff", db.session.get(Unit, world.units["C12"]))
        report = db.session.get(Report, ids["C12"])
        reports.return_report(db.session.get(User, world.users["approver2.d1"]), report,
                              "Sửa lại.")
        reports.submit_report(chair, report)
        db.session.commit()
    browser = Browser(app, "approver.d1")
    inbox = page_text(browser.get("/reports/inbox"))
    assert f'name="id" value="{ids["C12"]}"' not in inbox
    assert "Bạn đã gửi, không tự duyệt" in inbox
    review = page_text(browser.get("/reports/inbox/review?" + "&".join(
        f"id={i}" for i in ids.values())))
    assert "Bạn đã gửi báo cáo này nên không thể tự duyệt." in review
    assert f'name="version-{ids["C12"]}"' not in review and "Duyệt 2 báo cáo</button>" in review
    # Posted anyway (an old page, a crafted form): refused with the reason, the others pass.
    versions = _versions(app, ids.values())
    page = page_text(browser.post("/reports/approve", {
        "id": list(ids.values()), **{f"version-{k}": v for k, v in versions.items()}}))
    assert "Đã duyệt 2 báo cáo." in page
    assert "Bạn không thể tự duyệt, trả lại hoặc mở lại báo cáo do chính mình gửi." in page
    assert _state(app, ids["C12"])[0] == "submitted"


def test_a_stale_or_unknown_report_in_the_batch_is_listed_and_changes_nothing(app, world):
    ids = _three_communes_sent(app, world)
    chair = Browser(app, "approver.d1")
    versions = _versions(app, ids.values())
    stale = {**{f"version-{k}": v for k, v in versions.items()}, f"version-{ids['C11']}": "0"}
    page = page_text(chair.post("/reports/approve", {
        "id": [*ids.values(), "999999", "abc"], **stale}))
    assert "Đã duyệt 2 báo cáo." in page and "3 báo cáo chưa được duyệt:" in page
    assert "Báo cáo vừa được người khác thay đổi." in page
    assert page.count("Không tìm thấy báo cáo.") == 2
    assert _state(app, ids["C11"])[0] == "submitted"


def test_the_review_needs_a_choice_and_has_a_limit(app, world):
    chair = Browser(app, "approver.d1")
    page = page_text(chair.client.get("/reports/inbox/review", follow_redirects=True))
    assert "Hãy đánh dấu ít nhất một báo cáo để duyệt." in page
    many = "&".join(f"id={i}" for i in range(1, 202))
    page = page_text(chair.client.get(f"/reports/inbox/review?{many}", follow_redirects=True))
    assert "Mỗi lần duyệt tối đa 200 báo cáo." in page


# ---- the API -----------------------------------------------------------------------------------

def _post(client, token: str, body, **headers):
    return client.post("/api/v1/reports/approve", json=body,
                       headers={"Authorization": f"Bearer {token}", **headers})


def test_the_api_approves_several_and_answers_per_item(app, client, world):
    ids = _three_communes_sent(app, world)
    versions = _versions(app, ids.values())
    token = api_token(client, "approver.d1")
    response = _post(client, token, {"items": [
        {"id": ids["C11"], "version": versions[ids["C11"]]},
        {"id": ids["C12"], "version": versions[ids["C12"]] - 1},  # seen before a change
        {"id": ids["C13"], "version": versions[ids["C13"]]},
        {"id": 2_000_000, "version": 1},
    ]})
    assert response.status_code == 200
    body = response.get_json()
    assert (body["approved"], body["failed"]) == (2, 2)
    first, second, third, fourth = body["results"]
    assert first == {"id": ids["C11"], "ok": True, "status": "approved",
                     "version": versions[ids["C11"]] + 1}
    assert second["ok"] is False and second["error"]["code"] == "conflict"
    assert third["ok"] is True
    assert fourth["error"] == {"code": "not_found", "message": "Không tìm thấy báo cáo."}
    assert [_state(app, ids[c])[0] for c in COMMUNES] == ["approved", "submitted", "approved"]
    with app.app_context():
        events = db.session.scalar(select(func.count()).select_from(WorkflowEvent).where(
            WorkflowEvent.action == "approve", WorkflowEvent.object_id.in_(ids.values())))
        assert events == 2

    english = _post(client, token, {"items": [{"id": ids["C12"],
                                               "version": versions[ids["C12"]] - 1}]},
                    **{"Accept-Language": "en"})
    assert english.get_json()["results"][0]["error"]["message"].startswith(
        "Someone else has just changed this report")


def test_the_api_refuses_a_bad_list_with_a_message(app, client, world):
    token = api_token(client, "approver.d1")
    cases = [
        ({"items": []}, "items"),
        ({"items": [{"id": i, "version": 1} for i in range(1, 202)]}, "items"),
        ({"items": [{"id": 1}]}, "items[0].version"),
        ({"items": [{"id": True, "version": 1}]}, "items[0].id"),
        ({"items": [{"id": 1, "version": "2"}]}, "items[0].version"),
        ({"items": "1,2"}, "items"),
        ({"items": [[1, 2]]}, "items[0]"),
        ({}, "items"),
    ]
    for body, field in cases:
        response = _post(client, token, body)
        assert response.status_code == 422, body
        assert response.get_json()["error"]["field"] == field, body
    assert _post(client, token, None).status_code == 400
