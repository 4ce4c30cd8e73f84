"""Typed work is never lost (issue 12, item 5), through the test client: a report or plan form
posted after the idle time-out, or without its CSRF token (cookie lost, page older than the
last log-in), is kept on the server and comes back after log-in, with a message, unsaved."""

import html as html_lib
import json
import re
from datetime import timedelta

from sqlalchemy import func, select

from lhpn.accounts.models import UserSession
from lhpn.extensions import db
from lhpn.plans.models import Plan
from lhpn.reports.models import Report
from lhpn.unsaved.models import UnsavedInput
from tests.conftest import csrf_token, login
from tests.factories import PASSWORD
from tests.test_plan_pages import Browser, add_user, text, version_on
from tests.test_report_pages import _monthly_form, _open, _report

ORIGIN = {"Origin": "http://localhost"}
NARRATIVE = "Tổ chức 12 buổi tuyên truyền pháp luật tại 8 chi hội; 340 lượt hội viên dự."
KEPT = "Nội dung bạn nhập không bị mất"
RESTORED = "chưa được lưu (phiên làm việc đã hết hạn) và đã được điền lại dưới đây"


def _idle(app, minutes: int | None = None) -> None:
    """Every session has been idle longer than the idle time-out."""
    with app.app_context():
        minutes = minutes or app.config["LHPN_SESSION_IDLE_MINUTES"] + 1
        for row in db.session.scalars(select(UserSession)):
            row.last_seen_at -= timedelta(minutes=minutes)
            row.created_at -= timedelta(minutes=minutes)
        db.session.commit()


def _kept_rows(app) -> list[UnsavedInput]:
    with app.app_context():
        rows = db.session.scalars(select(UnsavedInput)).all()
        db.session.expunge_all()
        return rows


def _log_in_from(client, page: str, username: str = "staff.c11"):
    """Log in with the form the page shows (it carries next=the form's address)."""
    action = html_lib.unescape(re.search(r'<form method="post" action="(/login[^"]*)"',
                                         page).group(1))
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    return client.post(action, data={"username": username, "password": PASSWORD,
                                      "csrf_token": token})


def _draft_report(app, world) -> tuple[Browser, int, str]:
    add_user(app, world, "staff.c11", "staff", "C11")
    staff = Browser(app, "staff.c11")
    report_id = _open(staff, world.units["C11"], "BC_THANG", "2026-03")
    version = version_on(text(staff.get(f"/reports/{report_id}/edit")))
    return staff, report_id, version


def test_a_report_posted_after_the_idle_time_out_comes_back_after_log_in(app, world):
    staff, report_id, version = _draft_report(app, world)
    before = _report(app, report_id)
    _idle(app)

    answer = staff.client.post(f"/reports/{report_id}/edit", headers=ORIGIN, data={
        **_monthly_form(version, results=NARRATIVE), "csrf_token": staff.token})
    page = text(answer)
    assert answer.status_code == 401
    assert "Phiên làm việc đã hết hạn" in page and "không thao tác quá 30 phút" in page
    assert KEPT in page and 'name="password"' in page  # the log-in form is on the page
    assert _report(app, report_id) == before  # nothing saved
    [row] = _kept_rows(app)
    assert row.user_id == world.users["staff.c11"] and row.action == f"/reports/{report_id}/edit"
    fields = dict(json.loads(row.fields))
    assert fields["results"] == NARRATIVE and fields["v-TUYEN_TRUYEN"] == "12"
    assert "csrf_token" not in fields and staff.token not in row.fields

    back = _log_in_from(staff.client, page)
    assert back.status_code == 302 and back.headers["Location"] == f"/reports/{report_id}/edit"
    form = staff.client.get(back.headers["Location"])
    page = text(form)
    assert form.status_code == 200 and RESTORED in page
    assert NARRATIVE in page and 'value="12"' in page and 'value="12,5"' in page
    assert "data-draft-restored" in page
    assert _report(app, report_id) == before  # still not saved: the person presses save
    assert _kept_rows(app) == []  # given back once

    token = csrf_token(staff.client, f"/reports/{report_id}/edit")
    saved = staff.client.post(f"/reports/{report_id}/edit", data={
        **_monthly_form(version_on(page), results=NARRATIVE), "csrf_token": token})
    assert saved.status_code == 302
    status, _version, values = _report(app, report_id)
    assert values["TUYEN_TRUYEN"] == 12
    with app.app_context():
        assert db.session.get(Report, report_id).results == NARRATIVE


def test_log_in_from_the_plain_page_still_goes_back_to_the_kept_form(app, world):
    staff, report_id, version = _draft_report(app, world)
    _idle(app)
    staff.client.post(f"/reports/{report_id}/edit", headers=ORIGIN, data={
        **_monthly_form(version, results=NARRATIVE), "csrf_token": staff.token})
    assert login(staff.client, "staff.c11").headers["Location"] == f"/reports/{report_id}/edit"


def test_a_form_posted_without_its_cookie_is_kept_and_given_back(app, world):
    """The browser lost its cookie: no session, no CSRF token. A page, not a bare 400."""
    staff, report_id, version = _draft_report(app, world)
    before = _report(app, report_id)
    cookieless = app.test_client()
    answer = cookieless.post(f"/reports/{report_id}/edit", headers=ORIGIN,
                             data=_monthly_form(version, results=NARRATIVE))
    page = text(answer)
    assert answer.status_code == 400
    assert "Chưa lưu được" in page and KEPT in page and "Yêu cầu không hợp lệ" not in page
    [row] = _kept_rows(app)
    assert row.user_id is None  # nobody knows whose it was until someone logs in
    assert _report(app, report_id) == before

    back = _log_in_from(cookieless, page)
    assert back.headers["Location"] == f"/reports/{report_id}/edit"
    page = text(cookieless.get(back.headers["Location"]))
    assert RESTORED in page and NARRATIVE in page


def test_a_page_older_than_the_last_log_in_goes_back_to_the_form_with_the_input(app, world):
    """Logged in again in another tab: the old tab's token no longer matches. The input is put
    back into the form with a fresh token, to save again."""
    staff, report_id, version = _draft_report(app, world)
    old_token = staff.token
    staff.client.post("/logout", data={"csrf_token": old_token})
    login(staff.client, "staff.c11")  # a new session, a new token
    answer = staff.client.post(f"/reports/{report_id}/edit", headers=ORIGIN, data={
        **_monthly_form(version, results=NARRATIVE), "csrf_token": old_token})
    assert answer.status_code == 303
    assert answer.headers["Location"] == f"/reports/{report_id}/edit"
    page = text(staff.client.get(answer.headers["Location"]))
    assert RESTORED in page and NARRATIVE in page
    fresh = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert fresh != old_token
    saved = staff.client.post(f"/reports/{report_id}/edit", data={
        **_monthly_form(version_on(page), results=NARRATIVE), "csrf_token": fresh})
    assert saved.status_code == 302
    with app.app_context():
        assert db.session.get(Report, report_id).results == NARRATIVE


def test_input_is_given_back_only_to_whoever_typed_it(app, world):
    """A shared computer: the next person to log in does not get someone else's input."""
    staff, report_id, version = _draft_report(app, world)
    add_user(app, world, "staff2.c11", "staff", "C11")
    _idle(app)
    answer = staff.client.post(f"/reports/{report_id}/edit", headers=ORIGIN, data={
        **_monthly_form(version, results=NARRATIVE), "csrf_token": staff.token})
    assert answer.status_code == 401
    other = _log_in_from(staff.client, text(answer), "staff2.c11")
    assert other.status_code == 302
    page = text(staff.client.get(f"/reports/{report_id}/edit"))
    assert NARRATIVE not in page and RESTORED not in page
    assert len(_kept_rows(app)) == 1  # still waiting for its author


def test_log_out_forgets_what_this_browser_kept(app, world):
    staff, report_id, version = _draft_report(app, world)
    staff.client.post(f"/reports/{report_id}/edit", headers=ORIGIN, data={
        **_monthly_form(version, results=NARRATIVE), "csrf_token": "stale"})
    assert len(_kept_rows(app)) == 1
    staff.client.post("/logout", data={"csrf_token": csrf_token(staff.client, "/account")})
    assert _kept_rows(app) == []


def test_a_post_from_another_site_is_not_kept(app, world):
    """A page elsewhere cannot plant input to be "given back" later (and without the Origin
    or Referer a browser always sends, nothing is kept either)."""
    staff, report_id, version = _draft_report(app, world)
    cookieless = app.test_client()
    for headers in ({"Origin": "https://evil.example"}, {"Referer": "https://evil.example/x"},
                    {}):
        answer = cookieless.post(f"/reports/{report_id}/edit", headers=headers,
                                 data=_monthly_form(version, results="Nội dung giả."))
        assert answer.status_code == 400
        assert "Không giữ lại được nội dung vừa gửi" in text(answer)
    assert _kept_rows(app) == []


def test_passwords_are_never_kept(app, world):
    staff, report_id, version = _draft_report(app, world)
    _idle(app)
    staff.client.post(f"/reports/{report_id}/edit", headers=ORIGIN, data={
        **_monthly_form(version), "csrf_token": staff.token, "password": "bi-mat-123",
        "new_password": "bi-mat-456"})
    [row] = _kept_rows(app)
    assert "bi-mat" not in row.fields and "password" not in row.fields


def test_other_forms_still_say_what_happened_instead_of_a_bare_400(app, world):
    staff, report_id, version = _draft_report(app, world)
    answer = staff.client.post(f"/reports/{report_id}/submit", headers=ORIGIN,
                               data={"version": version})
    assert answer.status_code == 400
    page = text(answer)
    assert "Trang này đã mở quá lâu" in page and "Hãy tải lại trang" in page
    assert _kept_rows(app) == []  # a button, not typing: nothing to keep


def test_a_plan_typed_after_the_time_out_comes_back_unsaved(app, world):
    from tests.test_plan_pages import plan_form

    staff = Browser(app, "staff.d1")
    unit = world.units["D1"]
    _idle(app)
    title = "Kế hoạch tuyên truyền phòng, chống mua bán người năm 2026"
    answer = staff.client.post(f"/plans/new?unit={unit}", headers=ORIGIN, data={
        **plan_form(title=title), "csrf_token": staff.token})
    assert answer.status_code == 401 and KEPT in text(answer)
    back = _log_in_from(staff.client, text(answer), "staff.d1")
    assert back.headers["Location"] == f"/plans/new?unit={unit}"
    page = text(staff.client.get(back.headers["Location"]))
    assert RESTORED in page and title in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Plan)) == 0


def test_kept_input_expires(app, world):
    staff, report_id, version = _draft_report(app, world)
    _idle(app)
    answer = staff.client.post(f"/reports/{report_id}/edit", headers=ORIGIN, data={
        **_monthly_form(version, results=NARRATIVE), "csrf_token": staff.token})
    with app.app_context():
        row = db.session.scalars(select(UnsavedInput)).one()
        row.expires_at -= timedelta(hours=app.config["LHPN_UNSAVED_INPUT_HOURS"] + 1)
        db.session.commit()
    assert answer.status_code == 401
    assert login(staff.client, "staff.c11").headers["Location"] == "/"  # nothing to go back to
    page = text(staff.client.get(f"/reports/{report_id}/edit"))
    assert RESTORED not in page and NARRATIVE not in page


def test_input_kept_over_a_report_changed_meanwhile_says_so_and_can_be_saved(app, world):
    """A colleague saved the report while the session was dead: the person gets their own
    input back, is told saving replaces the colleague's, and the save is not refused as stale
    (which would make what they typed impossible to save)."""
    staff, report_id, version = _draft_report(app, world)
    add_user(app, world, "staff2.c11", "staff", "C11")
    _idle(app)
    answer = staff.client.post(f"/reports/{report_id}/edit", headers=ORIGIN, data={
        **_monthly_form(version, results=NARRATIVE), "csrf_token": staff.token})
    colleague = Browser(app, "staff2.c11")
    colleague.post(f"/reports/{report_id}/edit", _monthly_form(version, results="Bản khác."))
    current = _report(app, report_id)[1]
    assert current != int(version)

    _log_in_from(staff.client, text(answer))
    page = text(staff.client.get(f"/reports/{report_id}/edit"))
    assert RESTORED in page and NARRATIVE in page
    assert "người khác đã lưu nội dung này" in page
    assert version_on(page) == str(current)
    token = csrf_token(staff.client, f"/reports/{report_id}/edit")
    saved = staff.client.post(f"/reports/{report_id}/edit", data={
        **_monthly_form(version_on(page), results=NARRATIVE), "csrf_token": token})
    assert saved.status_code == 302
    with app.app_context():
        assert db.session.get(Report, report_id).results == NARRATIVE


def test_a_button_pressed_after_the_time_out_leads_back_to_its_page_after_log_in(app, world):
    """Approving after 30 idle minutes: log-in leads back to the report, not to the approve
    address (a GET there would only say "method not allowed")."""
    staff, report_id, version = _draft_report(app, world)
    _idle(app)
    answer = staff.client.post(f"/reports/{report_id}/submit", data={
        "version": version, "csrf_token": staff.token},
        headers={"Referer": f"http://localhost/reports/{report_id}"})
    assert answer.status_code == 302
    assert answer.headers["Location"] == f"/login?next=%2Freports%2F{report_id}"
    elsewhere = staff.client.post(f"/reports/{report_id}/submit", data={
        "version": version, "csrf_token": staff.token},
        headers={"Referer": "https://evil.example/page"})
    assert elsewhere.headers["Location"] == (
        f"/login?next=%2Freports%2F{report_id}%2Fsubmit")
