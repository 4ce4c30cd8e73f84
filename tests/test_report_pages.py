"""Report pages through the test client: the calendar, filling in with refused input kept, the
approver's inbox and sign-off, locking, reopening, stale pages, and who may open what."""

import re

import pytest

from lhpn.accounts.models import User
from lhpn.extensions import db
from lhpn.reports import services as reports
from lhpn.reports.models import Report
from lhpn.units.models import Unit
from tests.test_plan_pages import Browser, add_user, text, version_on

C11 = "Hội LHPN xã Tân Lễ"


def _report(app, report_id: int) -> tuple[str, int, dict]:
    with app.app_context():
        report = db.session.get(Report, report_id)
        return report.status, report.version, reports.values_dict(report)


def _open(browser: Browser, unit_id: int, template: str, period: str) -> int:
    response = browser.post("/reports/open", {"unit": unit_id, "template": template,
                                              "period": period})
    assert response.status_code == 302, text(response)[:2000]
    match = re.search(r"/reports/(\d+)/edit$", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def _monthly_form(version: str, **changes) -> dict:
    data = {"version": version, "v-TUYEN_TRUYEN": "12", "v-DOI_THOAI": "", "v-HO_5K3S": "",
            "v-HOA_GIAI": "1", "v-DON_THU": "", "v-DU_LUAN": "", "v-KINH_PHI": "12,5",
            "results": "Tổ chức 12 buổi tuyên truyền pháp luật.",
            "shortcomings": "Một số chi hội sinh hoạt chưa đều.", "proposals": "",
            "then": "save"}
    data.update(changes)
    return data


def _previous_month(app, world) -> None:
    """February, signed off: what March is compared with."""
    with app.app_context():
        staff = db.session.get(User, world.users["staff.c11"])
        unit = db.session.get(Unit, world.units["C11"])
        template = reports.get_template(world.tenants["TB"], "BC_THANG")
        report = reports.open_report(staff, unit, template, "2026-02")
        reports.save_report(staff, report, {"TUYEN_TRUYEN": 2, "HOA_GIAI": 1}, report.version)
        reports.submit_report(staff, report)
        reports.approve_report(db.session.get(User, world.users["approver.d1"]), report)
        db.session.commit()


def test_a_monthly_report_from_draft_to_approved_locked_and_reopened(app, world):
    add_user(app, world, "staff.c11", "staff", "C11")
    _previous_month(app, world)
    staff = Browser(app, "staff.c11")

    # The calendar of the commune: what is due, and the button to start.
    page = text(staff.get("/reports/?year=2026"))
    assert C11 in page and "Tháng 03/2026" in page and "20/04/2026" in page
    assert "Lập báo cáo" in page and "Quá hạn" in page  # 2026 months long past by now
    report_id = _open(staff, world.units["C11"], "BC_THANG", "2026-03")

    form = staff.get(f"/reports/{report_id}/edit")
    page = text(form)
    assert form.status_code == 200
    assert 'name="v-TUYEN_TRUYEN" type="text" inputmode="numeric"' in page
    assert 'inputmode="decimal"' in page and "Không có số liệu để báo cáo" in page
    assert "Kỳ trước: 2" in page
    version = version_on(page)

    # Refused input: a negative count; the message, the input kept, nothing stored.
    refused = staff.post(f"/reports/{report_id}/edit", _monthly_form(
        version, **{"v-TUYEN_TRUYEN": "-3"}))
    page = text(refused)
    assert refused.status_code == 422
    assert "“-3” là số âm; ô này không nhận số âm." in page
    assert 'value="-3"' in page and "Một số chi hội sinh hoạt chưa đều." in page
    assert _report(app, report_id)[2] == {}

    saved = staff.post(f"/reports/{report_id}/edit", _monthly_form(version))
    assert saved.status_code == 302
    page = text(staff.get(saved.headers["Location"]))
    assert "Đã lưu báo cáo." in page and "Tổ chức 12 buổi tuyên truyền pháp luật." in page
    status, version, values = _report(app, report_id)
    assert status == "draft" and values == {"TUYEN_TRUYEN": 12, "HOA_GIAI": 1, "KINH_PHI": 12.5}

    # A second tab still showing the old version: refused, its input kept, nothing changed.
    stale = staff.post(f"/reports/{report_id}/edit", _monthly_form(
        str(version - 1), **{"v-TUYEN_TRUYEN": "99"}))
    assert stale.status_code == 409
    assert "vừa được người khác thay đổi" in text(stale) and 'value="99"' in text(stale)
    assert _report(app, report_id)[2]["TUYEN_TRUYEN"] == 12

    page = text(staff.get(f"/reports/{report_id}"))
    assert staff.post(f"/reports/{report_id}/submit",
                      {"version": version_on(page)}).status_code == 302
    assert _report(app, report_id)[0] == "submitted"

    # The district's approver: the inbox, the report beside February, unusual change marked.
    approver = Browser(app, "approver.d1")
    page = text(approver.get("/reports/inbox"))
    assert C11 in page and f"/reports/{report_id}" in page and "Tháng 03/2026" in page
    page = text(approver.get(f"/reports/{report_id}"))
    assert "Tháng 02/2026" in page and 'class="unusual"' in page
    assert "Thay đổi bất thường so với kỳ trước" in page
    version = version_on(page)
    refused = approver.post(f"/reports/{report_id}/return", {"version": version, "comment": " "})
    assert refused.status_code == 422 and "Hãy ghi ý kiến" in text(refused)
    assert _report(app, report_id)[0] == "submitted"
    # Approving from a page that is out of date changes nothing.
    stale = approver.post(f"/reports/{report_id}/approve", {"version": str(int(version) - 1)})
    assert stale.status_code == 409 and "vừa được người khác thay đổi" in text(stale)
    assert _report(app, report_id)[0] == "submitted"
    comment = "Đề nghị bổ sung số cuộc đối thoại."
    assert approver.post(f"/reports/{report_id}/return",
                         {"version": version, "comment": comment}).status_code == 302
    assert _report(app, report_id)[0] == "returned"

    # The staff sees the comment, fixes the report and sends it again from the form.
    page = text(staff.get(f"/reports/{report_id}"))
    assert comment in page
    page = text(staff.get(f"/reports/{report_id}/edit"))
    assert comment in page and 'value="12"' in page
    sent = staff.post(f"/reports/{report_id}/edit", _monthly_form(
        version_on(page), **{"v-DOI_THOAI": "2", "r-DOI_THOAI": "Chưa ghi hồ sơ đối thoại.",
                             "then": "submit"}))
    assert sent.status_code == 302
    assert "Đã gửi báo cáo chờ duyệt." in text(staff.get(sent.headers["Location"]))
    assert _report(app, report_id)[0] == "submitted"

    page = text(approver.get(f"/reports/{report_id}"))
    assert approver.post(f"/reports/{report_id}/approve",
                         {"version": version_on(page)}).status_code == 302
    status, version, values = _report(app, report_id)
    assert status == "approved" and values["DOI_THOAI"] == 2

    # Locked: no edit button, the form refuses, a forced save changes nothing.
    page = text(staff.get(f"/reports/{report_id}"))
    assert f"/reports/{report_id}/edit" not in page and "Đã khóa" in page
    refused = staff.client.get(f"/reports/{report_id}/edit", follow_redirects=True)
    assert "Báo cáo đã gửi hoặc đã duyệt thì không sửa được." in text(refused)
    forced = staff.post(f"/reports/{report_id}/edit", _monthly_form(
        str(version), **{"v-TUYEN_TRUYEN": "1"}))
    assert forced.status_code == 409 and _report(app, report_id)[2]["TUYEN_TRUYEN"] == 12

    # The approver reopens it, with a reason.
    page = text(approver.get(f"/reports/{report_id}"))
    assert "Lý do mở lại (bắt buộc)" in page
    refused = approver.post(f"/reports/{report_id}/reopen",
                            {"version": version_on(page), "comment": ""})
    assert refused.status_code == 422 and _report(app, report_id)[0] == "approved"
    assert approver.post(f"/reports/{report_id}/reopen", {
        "version": version_on(page), "comment": "Sai số liệu kinh phí."}).status_code == 302
    assert _report(app, report_id)[0] == "returned"
    page = text(staff.get(f"/reports/{report_id}"))
    steps = re.findall(r"<strong>([^<]+)</strong>: ", page)
    assert steps == ["Gửi duyệt", "Trả lại", "Gửi duyệt", "Duyệt", "Mở lại"]
    assert f"/reports/{report_id}/edit" in page


def test_rates_and_yes_no_inputs(app, world):
    add_user(app, world, "staff.c11", "staff", "C11")
    staff = Browser(app, "staff.c11")
    report_id = _open(staff, world.units["C11"], "BC_GSPB_NAM", "2026")
    page = text(staff.get(f"/reports/{report_id}/edit"))
    assert 'name="v-HV_HOC_TAP-n"' in page and 'name="v-HV_HOC_TAP-d"' in page
    assert 'type="radio" name="v-CHUYEN_DOI_SO" value="yes"' in page
    data = {"version": version_on(page), "v-GIAM_SAT": "0", "v-PHAN_BIEN": "0",
            "v-GOP_Y": "2", "v-HV_HOC_TAP-n": "120", "v-HV_HOC_TAP-d": "100",
            "v-CHUYEN_DOI_SO": "yes", "then": "save",
            "r-GOP_Y": "Góp ý bằng văn bản chưa ghi hồ sơ."}
    refused = staff.post(f"/reports/{report_id}/edit", data)
    assert refused.status_code == 422
    page = text(refused)
    assert "tử số (120) không được lớn hơn mẫu số (100)" in page
    assert 'value="120"' in page and 'value="yes" checked' in page
    assert _report(app, report_id)[2] == {}
    saved = staff.post(f"/reports/{report_id}/edit", {**data, "v-HV_HOC_TAP-n": "90"})
    assert saved.status_code == 302
    assert _report(app, report_id)[2] == {
        "GIAM_SAT": 0, "PHAN_BIEN": 0, "GOP_Y": 2, "CHUYEN_DOI_SO": True,
        "HV_HOC_TAP": {"numerator": 90, "denominator": 100}}
    page = text(staff.get(f"/reports/{report_id}"))
    assert "90/100 (90%)" in page and "Có" in page


def test_missing_required_values_and_nothing_to_report(app, world):
    add_user(app, world, "staff.c11", "staff", "C11")
    staff = Browser(app, "staff.c11")
    report_id = _open(staff, world.units["C11"], "BC_THANG", "2026-04")
    version = version_on(text(staff.get(f"/reports/{report_id}/edit")))
    refused = staff.post(f"/reports/{report_id}/edit", _monthly_form(
        version, **{"v-TUYEN_TRUYEN": "", "then": "submit"}))
    assert refused.status_code == 422 and "Còn thiếu chỉ tiêu bắt buộc" in text(refused)
    assert _report(app, report_id)[:1] == ("draft",) and _report(app, report_id)[2] == {}
    sent = staff.post(f"/reports/{report_id}/edit", {
        "version": version, "nothing_to_report": "y", "then": "submit"})
    assert sent.status_code == 302 and _report(app, report_id)[0] == "submitted"
    assert "không có số liệu để báo cáo" in text(staff.get(f"/reports/{report_id}"))


def test_the_commune_enters_for_its_branch(app, world):
    add_user(app, world, "staff.c11", "staff", "C11")
    staff = Browser(app, "staff.c11")
    page = text(staff.get(f"/reports/?unit={world.units['B111']}&year=2026"))
    # Who entered for whom, the right way round: the commune for its branch.
    entered_for = "Hội LHPN xã Tân Lễ nhập thay cho Chi hội thôn Tân Hòa"
    assert entered_for in page and "Lập báo cáo" in page
    report_id = _open(staff, world.units["B111"], "BC_THANG", "2026-03")
    page = text(staff.get(f"/reports/{report_id}/edit"))
    assert f"Báo cáo này do {entered_for}." in page
    page = text(staff.get(f"/reports/{report_id}"))
    assert f"Báo cáo này do {entered_for}." in page
    assert "Hội LHPN xã Tân Lễ nhập thay</span>" in page
    assert "cho Hội LHPN xã" not in page
    # The district's staff may not.
    other = Browser(app, "staff.d1")
    refused = other.post("/reports/open", {"unit": world.units["B111"],
                                           "template": "BC_THANG", "period": "2026-03"})
    assert refused.status_code == 403


def test_a_refused_period_keeps_the_calendar(app, world):
    add_user(app, world, "staff.c11", "staff", "C11")
    staff = Browser(app, "staff.c11")
    refused = staff.post("/reports/open", {"unit": world.units["C11"], "template": "BC_THANG",
                                           "period": "2026-13"})
    assert refused.status_code == 422 and "không phải một kỳ" in text(refused)
    assert 'value="2026-13"' in text(refused)


@pytest.fixture
def reports_at(app, world) -> dict:
    """A submitted monthly report of C11 (TB) and of HC1 (HY)."""
    ids = {}
    for code, tenant in (("C11", "TB"), ("HC1", "HY")):
        add_user(app, world, f"staff.{code.lower()}", "staff", code, tenant)
        with app.app_context():
            staff = db.session.get(User, world.users[f"staff.{code.lower()}"])
            report = reports.open_report(staff, db.session.get(Unit, world.units[code]),
                                         reports.get_template(world.tenants[tenant],
                                                              "BC_THANG"), "2026-03")
            reports.save_report(staff, report, {"TUYEN_TRUYEN": 1}, report.version)
            reports.submit_report(staff, report)
            db.session.commit()
            ids[code] = (report.id, report.version)
    return ids


ROUTES = [("GET", "/reports/{id}"), ("GET", "/reports/{id}/edit"),
          ("POST", "/reports/{id}/edit"), ("POST", "/reports/{id}/submit"),
          ("POST", "/reports/{id}/approve"), ("POST", "/reports/{id}/return"),
          ("POST", "/reports/{id}/reopen")]


def test_another_tenants_report_is_not_found_anywhere(app, world, reports_at):
    hy_id, version = reports_at["HC1"]
    for username in ("tenant_admin.tb", "approver.d1", "staff.c11"):
        browser = Browser(app, username)
        for method, path in ROUTES:
            path = path.format(id=hy_id)
            response = (browser.get(path) if method == "GET" else browser.post(
                path, {"version": str(version), "comment": "Trả lại."}))
            assert response.status_code == 404, (username, method, path)
    assert _report(app, hy_id)[0] == "submitted"


def test_a_viewer_reads_but_never_writes(app, world, reports_at):
    report_id, version = reports_at["C11"]
    viewer = Browser(app, "viewer.d1")
    page = text(viewer.get(f"/reports/{report_id}"))
    assert "Tháng 03/2026" in page and "Duyệt" not in re.sub(r"Hộp duyệt|Đã duyệt", "", page)
    for method, path in ROUTES[1:]:
        path = path.format(id=report_id)
        response = (viewer.get(path) if method == "GET" else viewer.post(
            path, {"version": str(version), "comment": "Trả lại."}))
        assert response.status_code == 403, (method, path)
    response = viewer.post("/reports/open", {"unit": world.units["C11"],
                                             "template": "BC_THANG", "period": "2026-04"})
    assert response.status_code == 403
    assert _report(app, report_id)[:2] == ("submitted", version)
    assert "Không có báo cáo nào chờ duyệt." in text(viewer.get("/reports/inbox"))
