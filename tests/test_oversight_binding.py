"""PHAN_BIEN, GOP_Y and DOI_THOAI filled from the records (issue 16 item 6): the unit's own
critiques and comments whose comments were sent in the period, its dialogues held in it; the
period a record counts in; a report prefilled, an other number with its reason shown to the
approver."""

from datetime import date

from lhpn.accounts.models import User
from lhpn.critiques import services as critiques
from lhpn.dialogues import services as dialogues
from lhpn.extensions import db
from lhpn.indicators import services as indicators
from lhpn.indicators.bindings import BINDINGS
from lhpn.reports import services as reports
from lhpn.reports.models import Report
from lhpn.units.models import Unit
from tests import factories
from tests.conftest import api_token
from tests.test_indicator_binding import as_user, save_form, value_input


def _user(world, name: str) -> User:
    return db.session.get(User, world.users[name])


def critique(world, unit: str, kind: str, sent_on: str | None, staff: str = "staff.c11") -> int:
    made = critiques.create(_user(world, staff), db.session.get(Unit, world.units[unit]), {
        "kind": kind, "draft_title": f"Dự thảo {kind} {sent_on}", "issuing_body": "UBND xã",
        "received_on": "2026-01-05", "comments_due": "2026-12-31"})
    if sent_on is not None:
        critiques.step(_user(world, staff), made, "send", made.version,
                       {"sent_on": sent_on, "sent_summary": "Các ý kiến của Hội."})
    db.session.commit()
    return made.id


def dialogue(world, unit: str, held_on: str, held: bool = True,
             staff: str = "staff.c11") -> int:
    made = dialogues.create(_user(world, staff), db.session.get(Unit, world.units[unit]), {
        "held_on": held_on, "held": held, "leader_name": "Trần Văn Bình",
        "leader_title": "Bí thư Đảng ủy xã", "body": "Đảng ủy xã Tân Lễ"})
    db.session.commit()
    return made.id


def test_the_starter_indicators_are_bound(ctx, world):
    tb = world.tenants["TB"]
    assert [indicators.indicator_by_code(tb, code).binding
            for code in ("PHAN_BIEN", "GOP_Y", "DOI_THOAI")] == \
        ["critiques.sent", "comments.sent", "dialogues.held"]


def test_the_period_a_record_counts_in(ctx, people):
    march = critique(people, "C11", "critique", "2026-03-31")
    critique(people, "C11", "critique", "2026-04-01")
    critique(people, "C11", "critique", None)            # received, comments not sent
    june = critique(people, "C11", "comment", "2026-06-30")
    critique(people, "C11", "comment", "2026-07-01")
    critique(people, "C12", "critique", "2026-03-10", staff="staff.c12")  # another unit's
    c11 = db.session.get(Unit, people.units["C11"])
    sent, comments = BINDINGS["critiques.sent"], BINDINGS["comments.sent"]
    # Sent on 31/03: in March, in Q1 and in H1; not in April.
    assert sent.count(c11, date(2026, 3, 1), date(2026, 3, 31)) == 1
    assert sent.count(c11, date(2026, 1, 1), date(2026, 3, 31)) == 1
    assert sent.count(c11, date(2026, 1, 1), date(2026, 6, 30)) == 2
    assert sent.count(c11, date(2026, 4, 1), date(2026, 4, 30)) == 1
    assert sent.records(c11, date(2026, 3, 1), date(2026, 3, 31), None) == [march]
    assert comments.records(c11, date(2026, 1, 1), date(2026, 6, 30), None) == [june]
    assert comments.count(c11, date(2026, 1, 1), date(2026, 12, 31)) == 2


def test_a_monthly_report_opens_with_the_dialogues_held_and_an_override_needs_a_reason(
        app, people):
    with app.app_context():
        held = [dialogue(people, "C11", "2026-11-05"), dialogue(people, "C11", "2026-11-30")]
        dialogue(people, "C11", "2026-10-31")            # another month
        dialogue(people, "C11", "2026-11-20", held=False)  # planned, not held
        branch = db.session.get(Unit, people.units["B111"])
        people.users["staff.b111"] = factories.user(branch.tenant, "staff.b111", "staff",
                                                    branch).id
        dialogue(people, "B111", "2026-11-10", staff="staff.b111")  # a branch's own
        template = reports.get_template(people.tenants["TB"], "BC_THANG")
        report = reports.open_report(_user(people, "staff.c11"),
                                     db.session.get(Unit, people.units["C11"]), template,
                                     "2026-11")
        db.session.commit()
        report_id = report.id
    staff = as_user(app, "staff.c11")
    page = staff.get(f"/reports/{report_id}/edit").get_data(as_text=True)
    assert value_input(page, "DOI_THOAI") == "2"
    client = app.test_client()
    answer = client.get(f"/api/v1/reports/{report_id}", headers={
        "Authorization": f"Bearer {api_token(client, 'staff.c11')}"}).get_json()
    assert answer["from_records"]["DOI_THOAI"] == {
        "count": 2, "overridden": False, "reason": "", "value": 2, "record_ids": held}
    refused = save_form(app, staff, report_id, {"DOI_THOAI": "3"})
    assert refused.status_code == 422
    saved = save_form(app, staff, report_id, {"DOI_THOAI": "3"},
                      **{"r-DOI_THOAI": "Một cuộc ở chi hội chưa ghi hồ sơ"})
    assert saved.status_code == 302
    with app.app_context():
        report = db.session.get(Report, report_id)
        reports.submit_report(_user(people, "staff.c11"), report)
        db.session.commit()
    shown = as_user(app, "approver.d1").get(f"/reports/{report_id}").get_data(as_text=True)
    assert "Hồ sơ của đơn vị ghi 2; báo cáo gửi 3. Lý do: Một cuộc ở chi hội chưa ghi hồ sơ" \
        in shown


def test_a_half_year_report_opens_with_critiques_and_comments(app, people):
    with app.app_context():
        critique(people, "C11", "critique", "2026-03-31")
        critique(people, "C11", "comment", "2026-06-30")
        critique(people, "C11", "comment", "2026-02-11")
        critique(people, "C11", "comment", "2026-07-01")
        template = reports.get_template(people.tenants["TB"], "BC_GSPB_6T")
        report = reports.open_report(_user(people, "staff.c11"),
                                     db.session.get(Unit, people.units["C11"]), template,
                                     "2026-H1")
        db.session.commit()
        report_id = report.id
    page = as_user(app, "staff.c11").get(f"/reports/{report_id}/edit").get_data(as_text=True)
    assert (value_input(page, "PHAN_BIEN"), value_input(page, "GOP_Y")) == ("1", "2")
