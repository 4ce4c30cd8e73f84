"""Supervisions (lhpn/supervisions): proposed by a commune's officer, the plan approved and the
final report signed by the commune's OWN chair (never by who sent it up), the dossier, dates in
order, recommendations followed up until overdue and chased with a letter, the supervisions
reported in a period counted in the commune's reports, another tenant's answering 404, and bad
input refused with nothing saved."""

import io
import re
from datetime import date, datetime

import pytest
from docx import Document
from sqlalchemy import func, select

from lhpn import clock
from lhpn.accounts import services as accounts
from lhpn.accounts.models import User
from lhpn.audit.models import AuditEntry
from lhpn.authz.engine import forget_principal
from lhpn.errors import Conflict, DomainError, NotFound
from lhpn.extensions import db
from lhpn.followups import services as follow_ups
from lhpn.followups.models import FollowUp
from lhpn.indicators.bindings import BINDINGS
from lhpn.notifications.models import Notification
from lhpn.supervisions import services
from lhpn.supervisions.models import Supervision, SupervisionDocument
from lhpn.units.models import Unit
from lhpn.workflow.models import WorkflowEvent
from tests.conftest import csrf_token, login

FORM = {"title": "Giám sát thực hiện chính sách hỗ trợ phụ nữ nghèo",
        "subject_kind": "policy",
        "subject": "Việc thực hiện Nghị quyết về hỗ trợ hộ nghèo do phụ nữ làm chủ",
        "agency": "UBND xã Tân Lễ", "method": "team",
        "team": "Nguyễn Thị An (trưởng đoàn)\nTrần Thị Bình"}
# A fixed clock: Vietnam's 15/11/2026, morning.
NOW = datetime(2026, 11, 15, 2, 0)


@pytest.fixture
def frozen(monkeypatch):
    monkeypatch.setattr(clock, "utcnow", lambda: NOW)
    return NOW


def user(world, name: str) -> User:
    return db.session.get(User, world.users[name])


def unit(world, code: str) -> Unit:
    return db.session.get(Unit, world.units[code])


@pytest.fixture
def chair_who_writes(app, people):
    """C11's vice-chair: both its staff and its approver, who may propose and approve."""
    with app.app_context():
        vice = accounts.create_user(None, tenant_id=people.tenants["TB"], username="vice.c11",
                                    password="Mat-khau-2026", full_name="Vice C11",
                                    unit=unit(people, "C11"))
        accounts.assign_role(None, vice, "staff", unit(people, "C11"))
        accounts.assign_role(None, vice, "approver", unit(people, "C11"))
        people.users["vice.c11"] = vice.id
        db.session.commit()
    return people


def propose(world, by: str = "staff.c11", proposed_on: date = date(2026, 10, 1),
            **changes) -> Supervision:
    data = dict(FORM, proposed_on=proposed_on.isoformat(), **changes)
    made = services.record_supervision(user(world, by), unit(world, "C11"), data)
    db.session.commit()
    return made


def step(world, s: Supervision, who: str, action: str, on: date | None = None,
         comment: str = "") -> Supervision:
    services.take_step(user(world, who), s, action, s.version, on.isoformat() if on else None,
                       comment)
    db.session.commit()
    return s


def reported(world, on: date = date(2026, 11, 10)) -> Supervision:
    s = propose(world)
    step(world, s, "approver.c11", "approve_plan", date(2026, 10, 5))
    step(world, s, "staff.c11", "start", date(2026, 10, 10))
    step(world, s, "staff.c11", "submit_report", on)
    step(world, s, "approver.c11", "approve_report", on)
    return s


def counts() -> tuple[int, int, int]:
    return (db.session.scalar(select(func.count()).select_from(Supervision)),
            db.session.scalar(select(func.count()).select_from(SupervisionDocument)),
            db.session.scalar(select(func.count()).select_from(FollowUp)))


# ---- the lifecycle through the services -------------------------------------------------------

def test_the_lifecycle_the_chair_of_the_unit_itself_approves(ctx, people, frozen):
    s = propose(people)
    assert (s.status, s.proposed_on, s.submitted_by_id) == (
        "proposed", date(2026, 10, 1), people.users["staff.c11"])
    told = {n.user_id for n in db.session.scalars(select(Notification))}
    assert people.users["approver.c11"] in told  # the commune's own chair, not the district's
    assert people.users["approver.d1"] not in told
    # The district's chair approves C11's reports, but not C11's own supervision.
    with pytest.raises(Exception) as refused:
        services.take_step(user(people, "approver.d1"), s, "approve_plan", s.version)
    assert type(refused.value).__name__ == "Forbidden"
    step(people, s, "approver.c11", "approve_plan", date(2026, 10, 5))
    step(people, s, "staff.c11", "start", date(2026, 10, 10))
    step(people, s, "staff.c11", "submit_report", date(2026, 11, 1))
    step(people, s, "approver.c11", "return_report", comment="Bổ sung số liệu")
    assert (s.status, s.report_submitted_on) == ("in_progress", None)
    step(people, s, "staff.c11", "submit_report", date(2026, 11, 3))
    step(people, s, "approver.c11", "approve_report", date(2026, 11, 5))
    step(people, s, "staff.c11", "close", date(2026, 11, 14))
    assert (s.status, s.approved_on, s.started_on, s.reported_on, s.closed_on) == (
        "closed", date(2026, 10, 5), date(2026, 10, 10), date(2026, 11, 5), date(2026, 11, 14))
    events = [(e.action, e.from_status, e.to_status) for e in services.history(s)]
    assert events == [("approve_plan", "proposed", "approved"),
                      ("start", "approved", "in_progress"),
                      ("submit_report", "in_progress", "report_submitted"),
                      ("return_report", "report_submitted", "in_progress"),
                      ("submit_report", "in_progress", "report_submitted"),
                      ("approve_report", "report_submitted", "reported"),
                      ("close", "reported", "closed")]
    audited = set(db.session.scalars(select(AuditEntry.action)
                                     .where(AuditEntry.object_type == "supervision")))
    assert {"supervision.create", "supervision.approve_plan", "supervision.approve_report",
            "supervision.close"} <= audited


def test_nobody_decides_on_what_they_sent_up(ctx, chair_who_writes, frozen):
    world = chair_who_writes
    s = propose(world, by="vice.c11")
    vice = user(world, "vice.c11")
    forget_principal(vice)
    assert services.steps_for(vice, s) == []
    with pytest.raises(DomainError) as refused:
        services.take_step(vice, s, "approve_plan", s.version)
    assert "do chính mình gửi" in refused.value.message
    db.session.rollback()
    # The commune's chair may; then the vice-chair (who did not send the report) signs it.
    step(world, s, "approver.c11", "approve_plan", date(2026, 10, 2))
    step(world, s, "staff.c11", "start", date(2026, 10, 3))
    step(world, s, "staff.c11", "submit_report", date(2026, 10, 20))
    assert "approve_report" in services.steps_for(vice, s)
    step(world, s, "vice.c11", "approve_report", date(2026, 10, 21))
    assert s.status == "reported"


def test_a_step_out_of_order_or_misdated_is_refused_and_changes_nothing(ctx, people, frozen):
    s = propose(people)
    version = s.version
    for who, action, on, message in (
            ("staff.c11", "start", None, "Không thể"),
            ("approver.c11", "approve_plan", date(2026, 9, 30), "không được trước bước trước"),
            ("approver.c11", "approve_plan", date(2026, 11, 16), "không được sau ngày hôm nay")):
        with pytest.raises(DomainError) as refused:
            services.take_step(user(people, who), s, action, version,
                               on.isoformat() if on else None)
        assert message in refused.value.message
        db.session.rollback()
    with pytest.raises(Conflict):
        services.take_step(user(people, "approver.c11"), s, "approve_plan", version + 5)
    db.session.rollback()
    s = db.session.get(Supervision, s.id)
    assert (s.status, s.approved_on, s.version) == ("proposed", None, version)
    assert db.session.scalar(select(func.count()).select_from(WorkflowEvent)) == 0


@pytest.mark.parametrize(("changes", "field"), [
    ({"title": ""}, "title"), ({"method": "spying"}, "method"), ({"agency": "  "}, "agency"),
    ({"subject_kind": "x"}, "subject_kind"), ({"subject": ""}, "subject"),
    ({"proposed_on": "2026-11-30"}, "proposed_on"), ({"proposed_on": "31/12/2026"}, "proposed_on"),
])
def test_bad_input_is_refused_with_nothing_saved(ctx, people, frozen, changes, field):
    with pytest.raises(DomainError) as refused:
        services.record_supervision(user(people, "staff.c11"), unit(people, "C11"),
                                    dict(FORM, **changes))
    assert refused.value.field == field
    db.session.rollback()
    assert counts() == (0, 0, 0)


def test_another_tenants_supervision_is_not_found(ctx, people, frozen):
    s = propose(people)
    for name in ("approver.hy", "staff.c12"):
        with pytest.raises(NotFound):
            services.get_visible(user(people, name), s.id)


# ---- recommendations --------------------------------------------------------------------------

def test_recommendations_go_overdue_and_are_chased(ctx, people, monkeypatch):
    monkeypatch.setattr(clock, "utcnow", lambda: NOW)
    s = propose(people)
    step(people, s, "approver.c11", "approve_plan", date(2026, 10, 5))
    step(people, s, "staff.c11", "start", date(2026, 10, 10))
    with pytest.raises(DomainError):  # no recommendation before the report says it
        services.recommend(user(people, "staff.c11"), s, text="x", agency="y",
                           due_on="2026-12-01")
    db.session.rollback()
    step(people, s, "staff.c11", "submit_report", date(2026, 11, 1))
    step(people, s, "approver.c11", "approve_report", date(2026, 11, 2))
    staff = user(people, "staff.c11")
    first = services.recommend(staff, s, text="Công khai danh sách hộ nghèo",
                               agency="UBND xã Tân Lễ", due_on="2026-11-20")
    second = services.recommend(staff, s, text="Tập huấn cán bộ", agency="Phòng LĐTBXH",
                                due_on="2026-12-31")
    db.session.commit()
    assert (first.written_on, first.content, first.object_type) == (
        date(2026, 11, 2), "Công khai danh sách hộ nghèo", "supervision")
    assert not services.has_overdue(s)
    # Vietnam's 21/11: the first one is overdue, on the dashboards of C11 and above.
    monkeypatch.setattr(clock, "utcnow", lambda: datetime(2026, 11, 21, 2, 0))
    assert services.has_overdue(s)
    assert services.overdue_count(user(people, "approver.c11")) == 1
    assert services.overdue_count(user(people, "approver.tb")) == 1
    assert services.overdue_count(user(people, "staff.c12")) == 0
    from lhpn.followups.letter import chasing_letter

    letter = Document(io.BytesIO(chasing_letter(first, sender_unit=first.unit,
                                                subject="kiến nghị sau giám sát")))
    text = "\n".join(p.text for p in letter.paragraphs)
    assert "UBND xã Tân Lễ" in text and "20/11/2026" in text
    follow_ups.settle(staff, second, second.version, "implemented")
    db.session.commit()
    assert second.status == "implemented"


# ---- the reports count them -------------------------------------------------------------------

def test_a_supervision_reported_on_31_03_counts_in_march_q1_and_h1(ctx, people, monkeypatch):
    monkeypatch.setattr(clock, "utcnow", lambda: datetime(2026, 4, 2, 2, 0))
    s = propose(people, proposed_on=date(2026, 1, 10))
    step(people, s, "approver.c11", "approve_plan", date(2026, 1, 12))
    step(people, s, "staff.c11", "start", date(2026, 2, 1))
    step(people, s, "staff.c11", "submit_report", date(2026, 3, 30))
    step(people, s, "approver.c11", "approve_report", date(2026, 3, 31))
    other = propose(people, proposed_on=date(2026, 3, 1))  # not reported: never counted
    binding = BINDINGS["supervisions.reported"]
    c11 = unit(people, "C11")
    assert binding.count(c11, date(2026, 3, 1), date(2026, 3, 31)) == 1
    assert binding.count(c11, date(2026, 1, 1), date(2026, 3, 31)) == 1
    assert binding.count(c11, date(2026, 1, 1), date(2026, 6, 30)) == 1
    assert binding.count(c11, date(2026, 4, 1), date(2026, 4, 30)) == 0
    assert binding.count(unit(people, "D1"), date(2026, 1, 1), date(2026, 12, 31)) == 0
    assert binding.records(c11, date(2026, 1, 1), date(2026, 12, 31), None) == [s.id]
    assert other.id not in binding.records(c11, date(2026, 1, 1), date(2026, 12, 31), None)


# ---- the pages --------------------------------------------------------------------------------

def as_user(app, name: str):
    client = app.test_client()
    assert login(client, name).status_code == 302
    return client


def post_step(client, supervision_id: int, action: str, version: int, on: str = "",
              comment: str = ""):
    path = f"/supervisions/{supervision_id}"
    return client.post(f"{path}/step", data={
        "csrf_token": csrf_token(client, path), "action": action, "version": str(version),
        "on": on, "comment": comment})


def version_of(app, supervision_id: int) -> int:
    with app.app_context():
        return db.session.get(Supervision, supervision_id).version


def test_the_pages_carry_a_supervision_from_proposal_to_recommendations(app, people, frozen):
    officer = as_user(app, "staff.c11")
    page = officer.get("/supervisions/new")
    assert page.status_code == 200 and "Đề xuất giám sát" in page.get_data(as_text=True)
    response = officer.post("/supervisions/new", data=FORM | {
        "proposed_on": "2026-10-01", "csrf_token": csrf_token(officer, "/supervisions/new")})
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]
    sid = int(re.search(r"/supervisions/(\d+)", response.headers["Location"]).group(1))
    html = officer.get(f"/supervisions/{sid}").get_data(as_text=True)
    assert FORM["agency"] in html and "Trần Thị Bình" in html
    assert 'value="approve_plan"' not in html  # the officer does not approve
    chair = as_user(app, "approver.c11")
    assert 'value="approve_plan"' in chair.get(f"/supervisions/{sid}").get_data(as_text=True)
    assert post_step(chair, sid, "approve_plan", version_of(app, sid),
                     "2026-10-05").status_code == 303
    path = f"/supervisions/{sid}"
    assert officer.post(f"{path}/documents", data={
        "csrf_token": csrf_token(officer, path), "version": str(version_of(app, sid)),
        "kind": "plan", "number": "12/KH-HPN", "issued_on": "2026-10-05"}).status_code == 303
    assert post_step(officer, sid, "start", version_of(app, sid), "2026-10-10").status_code == 303
    assert post_step(officer, sid, "submit_report", version_of(app, sid),
                     "2026-11-01").status_code == 303
    assert post_step(chair, sid, "approve_report", version_of(app, sid),
                     "2026-11-02").status_code == 303
    response = officer.post(f"{path}/recommendations", data={
        "csrf_token": csrf_token(officer, path), "text": "Công khai danh sách hộ nghèo",
        "agency": "UBND xã Tân Lễ", "due_on": "2026-11-10"})
    assert response.status_code == 303
    html = officer.get(path).get_data(as_text=True)
    assert "12/KH-HPN" in html and "Công khai danh sách hộ nghèo" in html
    assert "Quá hạn 5 ngày" in html and "chasing-letter.docx" in html
    with app.app_context():
        fu = db.session.scalar(select(FollowUp))
        fu_id, fu_version = fu.id, fu.version
    letter = officer.get(f"{path}/follow-ups/{fu_id}/chasing-letter.docx")
    assert letter.status_code == 200
    text = "\n".join(p.text for p in Document(io.BytesIO(letter.data)).paragraphs)
    assert "UBND xã Tân Lễ" in text
    listed = officer.get("/supervisions/?overdue=1").get_data(as_text=True)
    assert FORM["title"] in listed
    # The dashboards of the commune and of the province show it among the overdue deadlines.
    for name in ("approver.c11", "approver.tb"):
        home = as_user(app, name).get("/").get_data(as_text=True)
        assert f"Kiến nghị sau giám sát “{FORM['title']}” — UBND xã Tân Lễ" in home, name
    assert FORM["title"] not in as_user(app, "staff.c12").get("/").get_data(as_text=True)
    assert officer.post(f"{path}/recommendations/{fu_id}/settle", data={
        "csrf_token": csrf_token(officer, path), "version": str(fu_version),
        "status": "not_accepted"}).status_code == 303
    with app.app_context():
        assert db.session.get(FollowUp, fu_id).status == "not_accepted"
    assert FORM["title"] not in officer.get("/supervisions/?overdue=1").get_data(as_text=True)


def test_a_refused_page_step_keeps_the_page_and_saves_nothing(app, people, frozen):
    with app.app_context():
        sid = propose(people).id
    chair = as_user(app, "approver.c11")
    response = post_step(chair, sid, "approve_plan", version_of(app, sid), "2026-09-01")
    assert response.status_code == 422
    assert "không được trước bước trước" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Supervision, sid).status == "proposed"
    other = as_user(app, "approver.hy")
    assert other.get(f"/supervisions/{sid}").status_code == 404


# ---- a report opens with GIAM_SAT prefilled from the reported supervisions ----------------------

def reported_at_c11(app, world, on: date) -> int:
    with app.app_context():
        s = propose(world, proposed_on=on.replace(day=1))
        step(world, s, "approver.c11", "approve_plan", on.replace(day=1))
        step(world, s, "staff.c11", "start", on.replace(day=2))
        step(world, s, "staff.c11", "submit_report", on)
        step(world, s, "approver.c11", "approve_report", on)
        return s.id


def test_the_six_month_report_opens_with_giam_sat_from_the_records(app, people):
    from lhpn.reports import services as reports
    from tests.test_indicator_binding import save_form, value_input

    first = reported_at_c11(app, people, date(2026, 3, 31))
    second = reported_at_c11(app, people, date(2026, 5, 20))
    reported_at_c11(app, people, date(2026, 7, 3))  # the second half
    with app.app_context():
        template = reports.get_template(people.tenants["TB"], "BC_GSPB_6T")
        report = reports.open_report(user(people, "staff.c11"), unit(people, "C11"), template,
                                     "2026-H1")
        db.session.commit()
        report_id = report.id
    officer = as_user(app, "staff.c11")
    page = officer.get(f"/reports/{report_id}/edit").get_data(as_text=True)
    assert value_input(page, "GIAM_SAT") == "2"
    from tests.conftest import api_token

    token = api_token(app.test_client(), "staff.c11")
    answer = app.test_client().get(f"/api/v1/reports/{report_id}",
                                   headers={"Authorization": f"Bearer {token}"}).get_json()
    assert answer["from_records"]["GIAM_SAT"] == {
        "count": 2, "overridden": False, "reason": "", "value": 2,
        "record_ids": [first, second]}
    # Another number needs its reason; the approver sees it marked. (PHAN_BIEN and GOP_Y are
    # bound to critiques: C11 has none, so 0 needs no reason.)
    others = {"PHAN_BIEN": "0", "GOP_Y": "0"}
    refused = save_form(app, officer, report_id, {"GIAM_SAT": "3"} | others)
    assert refused.status_code == 422
    saved = save_form(app, officer, report_id, {"GIAM_SAT": "3"} | others,
                      **{"r-GIAM_SAT": "1 cuộc giám sát qua đơn thư chưa nhập hồ sơ"})
    assert saved.status_code == 302, saved.get_data(as_text=True)[:2000]
    with app.app_context():
        from lhpn.reports.models import Report

        report = db.session.get(Report, report_id)
        row = next(v for v in report.values if v.indicator.code == "GIAM_SAT")
        assert (row.number, row.from_records, row.override_reason) == (
            3, 2, "1 cuộc giám sát qua đơn thư chưa nhập hồ sơ")


def test_the_search_finds_a_supervision_by_its_words(app, people, frozen):
    from lhpn.supervisions import record_kind
    from lhpn.units.models import Unit as U

    with app.app_context():
        sid = propose(people).id
        ids = select(U.id)
        with app.test_request_context():
            found = record_kind.search(user(people, "approver.d1"), "ho tro phu ngheo", ids)
            assert [hit.id for hit in found] == [sid]
            assert record_kind.search(user(people, "approver.d1"), "tan le khong co", ids) == []
            assert record_kind.search(user(people, "staff.c12"), "ho tro", ids) == []


def test_a_dossier_document_carries_its_attachment(app, people, frozen):
    from tests.conftest import api_token
    from tests.test_authz_supervision_matrix import PDF
    from tests.test_record_files import _get, _post_file

    with app.app_context():
        s = propose(people)
        doc = services.add_document(user(people, "staff.c11"), s, {
            "kind": "proposal", "number": "3/ĐX-HPN", "issued_on": "2026-10-01"}, s.version)
        db.session.commit()
        sid, doc_id = s.id, doc.id
    officer = as_user(app, "staff.c11")
    path = f"/supervisions/{sid}"
    sent = _post_file(officer, f"/supervisions/documents/{doc_id}/files", PDF,
                      "Đề xuất giám sát.pdf", csrf_token=csrf_token(officer, path))
    assert sent.status_code == 303 and sent.headers["Location"].endswith(path)
    html = officer.get(path).get_data(as_text=True)
    assert "Đề xuất giám sát.pdf" in html
    link = re.search(r'href="(/supervisions/documents/\d+/files/\d+)"', html).group(1)
    assert _get(as_user(app, "approver.d1"), link).data == PDF  # who views the unit reads it
    token = api_token(app.test_client(), "approver.d1")
    listed = app.test_client().get(f"/api/v1/supervision-documents/{doc_id}/files",
                                   headers={"Authorization": f"Bearer {token}"}).get_json()
    assert [item["name"] for item in listed["items"]] == ["Đề xuất giám sát.pdf"]
    # The district's chair may read it, not add one; another tenant does not find it.
    district = as_user(app, "approver.d1")
    refused = _post_file(district, f"/supervisions/documents/{doc_id}/files", PDF, "x.pdf",
                         csrf_token=csrf_token(district, path))
    assert refused.status_code == 403
    assert as_user(app, "approver.hy").get(link).status_code == 404


def test_a_recommendation_is_started_only_with_its_text(app):
    """The generic start of a follow-up (which takes no text) is not offered for a supervision,
    on the pages nor over the API: a recommendation is made by its own form, text required."""

    rules = {(rule.rule, method) for rule in app.url_map.iter_rules()
             for method in rule.methods or ()}
    assert ("/supervisions/<int:supervision_id>/follow-ups", "POST") not in rules
    assert not any(rule.startswith("/api/v1/supervisions/") and rule.endswith("/follow-ups")
                   for rule, _method in rules)
    assert any(rule.endswith("/follow-ups/<int:follow_up_id>/answer") and
               rule.startswith("/supervisions/") for rule, _method in rules)
