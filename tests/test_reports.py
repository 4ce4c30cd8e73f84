"""Reports through the services: periods, values, sign-off, locking, concurrency."""

import threading
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from lhpn import authz
from lhpn.accounts.models import User
from lhpn.errors import Conflict, DomainError, NotFound
from lhpn.extensions import db
from lhpn.reports import periods as P
from lhpn.reports import services as reports
from lhpn.reports.models import Report
from lhpn.tenancy import crossing_tenants
from lhpn.units.models import Unit
from lhpn.workflow import signoff
from lhpn.workflow.models import WorkflowEvent
from tests import factories


def _user(world, name):
    return db.session.get(User, world.users[name])


def _unit(world, code):
    return db.session.get(Unit, world.units[code])


def _staff(world, code, tenant="TB"):
    from lhpn.tenants.models import Tenant

    return factories.user(db.session.get(Tenant, world.tenants[tenant]),
                          f"staff.{code.lower()}", "staff", _unit(world, code))


def _monthly(world, tenant="TB"):
    return reports.get_template(world.tenants[tenant], "BC_THANG")


@pytest.mark.parametrize(
    ("code", "kind", "cutoff", "start", "end", "due"),
    [
        ("2026-03", "month", None, date(2026, 3, 1), date(2026, 3, 31), date(2026, 4, 20)),
        ("2026-03", "month", 15, date(2026, 2, 15), date(2026, 3, 14), date(2026, 4, 20)),
        ("2026-12", "month", None, date(2026, 12, 1), date(2026, 12, 31), date(2027, 1, 20)),
        ("2026-Q1", "quarter", None, date(2026, 1, 1), date(2026, 3, 31), date(2026, 4, 20)),
        ("2026-H2", "half", None, date(2026, 7, 1), date(2026, 12, 31), date(2027, 1, 20)),
        ("2026", "year", None, date(2026, 1, 1), date(2026, 12, 31), date(2027, 1, 20)),
    ],
)
def test_periods_and_due_dates(code, kind, cutoff, start, end, due):
    period = P.parse(code, kind, cutoff)
    assert (period.start, period.end) == (start, end)
    assert P.due_date(period, 20, 1) == due


@pytest.mark.parametrize(("code", "kind"), [("2026-13", "month"), ("2026-Q5", "quarter"),
                                            ("2026-03", "quarter"), ("26", "year"),
                                            ("1999", "year")])
def test_bad_period_codes(code, kind):
    assert P.parse(code, kind) is None


def test_starter_forms_are_seeded_per_tenant(ctx, world):
    codes = {t.code for t in db.session.scalars(reports.templates_of(world.tenants["HY"]))}
    assert {"BC_THANG", "BC_GSPB_6T", "BC_GSPB_NAM", "BC_CHUYEN_DE_GSPB",
            "BC_NHANH_VU_VIEC"} <= codes
    with pytest.raises(NotFound):
        reports.get_template(world.tenants["TB"], reports.get_template(
            world.tenants["HY"], "BC_THANG").id)


def test_lifecycle_return_fix_resubmit_approve_lock_reopen(ctx, world):
    staff = _staff(world, "C11")
    d1_approver = _user(world, "approver.d1")
    report = reports.open_report(staff, _unit(world, "C11"), _monthly(world), "2026-03")
    assert (report.status, report.due_date) == ("draft", date(2026, 4, 20))
    with pytest.raises(DomainError, match="Số hoạt động tuyên truyền"):
        reports.submit_report(staff, report)  # a required indicator is missing
    reports.save_report(staff, report, {"TUYEN_TRUYEN": 3, "KINH_PHI": "12,5"}, report.version,
                        narrative={"results": "Tổ chức 3 buổi tuyên truyền."})
    reports.submit_report(staff, report)
    with pytest.raises(Conflict):
        reports.save_report(staff, report, {"TUYEN_TRUYEN": 4}, report.version)
    with pytest.raises(authz.Forbidden):
        reports.approve_report(_user(world, "approver.tb"), report)  # not the parent's approver
    with pytest.raises(DomainError, match="ý kiến"):
        reports.return_report(d1_approver, report, " ")
    reports.return_report(d1_approver, report, "Bổ sung số hội nghị đối thoại.")
    # DOI_THOAI counts the unit's dialogues (lhpn/dialogues): another number has its reason.
    reports.save_report(staff, report, {"TUYEN_TRUYEN": 3, "DOI_THOAI": 1}, report.version,
                        reasons={"DOI_THOAI": "Hội nghị đối thoại chưa ghi hồ sơ."})
    reports.submit_report(staff, report)
    reports.approve_report(d1_approver, report)
    db.session.commit()
    # The counts bound to records (incidents, petitions, supervisions, critiques) were frozen
    # on sending (C11 has none in March).
    assert report.status == "approved" and reports.values_dict(report) == {
        "TUYEN_TRUYEN": 3, "DOI_THOAI": 1, "BAO_LUC": 0, "NAN_NHAN": 0, "DON_THU": 0,
        "GIAM_SAT": 0, "PHAN_BIEN": 0, "GOP_Y": 0}
    with pytest.raises(Conflict):  # approved is locked
        reports.save_report(staff, report, {"TUYEN_TRUYEN": 9}, report.version)
    reports.reopen_report(d1_approver, report, "Sai số liệu đối thoại, mở lại để sửa.")
    assert report.editable
    assert [e.action for e in reports.history(report)] == [
        "submit", "return", "submit", "approve", "reopen"]


def test_nobody_approves_what_they_submitted(ctx, world):
    from lhpn.accounts.services import assign_role

    both = _staff(world, "C12")
    assign_role(None, both, "approver", _unit(world, "D1"))
    report = reports.open_report(both, _unit(world, "C12"), _monthly(world), "2026-04")
    reports.save_report(both, report, {"TUYEN_TRUYEN": 1}, report.version)
    reports.submit_report(both, report)
    with pytest.raises(DomainError, match="chính mình"):
        reports.approve_report(both, report)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"TUYEN_TRUYEN": -1}, "TUYEN_TRUYEN"),
        ({"TUYEN_TRUYEN": 1.5}, "TUYEN_TRUYEN"),
        ({"TUYEN_TRUYEN": "ba"}, "TUYEN_TRUYEN"),
        ({"TUYEN_TRUYEN": True}, "TUYEN_TRUYEN"),
        ({"KINH_PHI": "nhiều"}, "KINH_PHI"),
        ({"GIOI_THIEU_DANG": 1}, "values"),  # not on this form
        ({"KHONG_CO": 1}, "indicator"),  # not in the catalogue at all
    ],
)
def test_value_validation_changes_nothing(ctx, world, values, field):
    staff = _staff(world, "C11")
    report = reports.open_report(staff, _unit(world, "C11"), _monthly(world), "2026-05")
    reports.save_report(staff, report, {"TUYEN_TRUYEN": 2}, report.version)
    db.session.commit()
    with pytest.raises(DomainError) as info:
        reports.save_report(staff, report, values, report.version)
    assert info.value.field == field
    db.session.rollback()
    assert reports.values_dict(db.session.get(Report, report.id)) == {"TUYEN_TRUYEN": 2}


def test_rates_booleans_and_the_denominator_warning(ctx, world):
    staff = _staff(world, "C11")
    template = reports.get_template(world.tenants["TB"], "BC_GSPB_6T")
    first = reports.open_report(staff, _unit(world, "C11"), template, "2026-H1")
    db.session.commit()
    required = {"GIAM_SAT": 0, "PHAN_BIEN": 0, "GOP_Y": 2}
    # GOP_Y counts the unit's comments on drafts (lhpn/critiques): another number, a reason.
    why = {"GOP_Y": "Góp ý bằng văn bản chưa ghi hồ sơ."}
    with pytest.raises(DomainError, match="không được lớn hơn"):
        reports.save_report(staff, first, {**required, "HV_HOC_TAP": {
            "numerator": 120, "denominator": 100}}, first.version, reasons=why)
    db.session.rollback()
    first = db.session.get(Report, first.id)
    reports.save_report(staff, first, {**required, "HV_HOC_TAP": {
        "numerator": 90, "denominator": 100}}, first.version, reasons=why)
    second = reports.open_report(staff, _unit(world, "C11"), template, "2026-H2")
    found = reports.save_report(staff, second, {**required, "HV_HOC_TAP": {
        "numerator": 90, "denominator": 160}}, second.version, reasons=why)
    assert [w.indicator for w in found] == ["HV_HOC_TAP"]
    assert reports.values_dict(second)["HV_HOC_TAP"] == {"numerator": 90, "denominator": 160}
    changes = {c.code: c for _line, c in reports.compare(staff, second, first)}
    assert changes["GOP_Y"].before == 2 and not changes["GOP_Y"].unusual


def test_nothing_to_report_is_explicit(ctx, world):
    staff = _staff(world, "C21")
    report = reports.open_report(staff, _unit(world, "C21"), _monthly(world), "2026-06")
    reports.save_report(staff, report, {}, report.version, nothing_to_report=True)
    reports.submit_report(staff, report)
    assert report.status == "submitted" and report.nothing_to_report


def test_commune_enters_for_its_branch_where_allowed(ctx, world):
    staff = _staff(world, "C11")
    branch = _unit(world, "B111")
    report = reports.open_report(staff, branch, _monthly(world), "2026-03")
    assert report.on_behalf
    branch.tenant.allow_on_behalf = False
    with pytest.raises(authz.Forbidden):
        reports.open_report(staff, branch, _monthly(world), "2026-04")
    with pytest.raises(authz.Forbidden):
        reports.open_report(_staff(world, "C12"), branch, _monthly(world), "2026-03")


def test_bad_periods_and_levels(ctx, world):
    staff = _user(world, "staff.tb")
    with pytest.raises(DomainError, match="không dành cho cấp"):
        reports.open_report(staff, _unit(world, "TB"), _monthly(world), "2026-03")
    staff_c = _staff(world, "C11")
    with pytest.raises(DomainError, match="không phải một kỳ"):
        reports.open_report(staff_c, _unit(world, "C11"), _monthly(world), "2026-Q1")
    thematic = reports.get_template(world.tenants["TB"], "BC_CHUYEN_DE_GSPB")
    code = thematic.periods[0].code
    report = reports.open_report(staff_c, _unit(world, "C11"), thematic, code)
    assert report.due_date.month == 10 and report.due_date.day == 30


def test_calendar_shows_what_is_due(ctx, world):
    staff = _staff(world, "C11")
    reports.open_report(staff, _unit(world, "C11"), _monthly(world), "2026-02")
    due = reports.calendar_for(_unit(world, "C11"), 2026)
    monthly = [d for d in due if d.template.code == "BC_THANG"]
    assert len(monthly) == 12 and monthly[0].due_date == date(2026, 2, 20)
    assert [d.state for d in monthly[:2]] == ["not_started", "draft"]
    assert [d.due_date for d in due] == sorted(d.due_date for d in due)


def test_a_crash_mid_submit_leaves_the_report_untouched(ctx, world, monkeypatch):
    staff = _staff(world, "C11")
    report = reports.open_report(staff, _unit(world, "C11"), _monthly(world), "2026-07")
    reports.save_report(staff, report, {"TUYEN_TRUYEN": 1}, report.version)
    db.session.commit()

    def boom(*args, **kwargs):
        raise RuntimeError("the mail queue died")

    monkeypatch.setattr(signoff, "notify", boom)
    with pytest.raises(RuntimeError):
        reports.submit_report(staff, report)
    db.session.rollback()
    again = db.session.get(Report, report.id)
    assert again.status == "draft" and again.submitted_at is None
    assert db.session.scalar(select(func.count()).select_from(WorkflowEvent)) == 0


def test_two_approvers_at_the_same_moment_exactly_one_wins(app, world):
    with app.app_context():
        from lhpn.tenants.models import Tenant

        staff = _staff(world, "C11")
        second = factories.user(db.session.get(Tenant, world.tenants["TB"]), "approver2.d1",
                                "approver", _unit(world, "D1"))
        report = reports.open_report(staff, _unit(world, "C11"), _monthly(world), "2026-08")
        reports.save_report(staff, report, {"TUYEN_TRUYEN": 1}, report.version)
        reports.submit_report(staff, report)
        db.session.commit()
        report_id, approvers = report.id, [world.users["approver.d1"], second.id]

    barrier = threading.Barrier(2, timeout=10)
    outcomes: list[str] = []

    def approve(user_id):
        # A new thread starts outside the tests' crossing (threads do not inherit contextvars).
        with app.app_context(), crossing_tenants("tests"):
            user = db.session.get(User, user_id)
            target = db.session.get(Report, report_id)
            assert target.status == "submitted"
            barrier.wait()  # both have read the same version
            try:
                reports.approve_report(user, target)
                db.session.commit()
                outcomes.append("won")
            except (StaleDataError, Conflict):
                db.session.rollback()
                outcomes.append("lost")
            except Exception as exc:  # noqa: BLE001 (the database may refuse the second writer)
                db.session.rollback()
                outcomes.append(f"lost: {type(exc).__name__}")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=approve, args=(uid,)) for uid in approvers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(o.split(":")[0] for o in outcomes) == ["lost", "won"], outcomes
    with app.app_context():
        events = db.session.scalars(select(WorkflowEvent).where(
            WorkflowEvent.object_id == report_id, WorkflowEvent.action == "approve")).all()
        assert len(events) == 1


def test_two_staff_editing_one_draft_never_overwrite_silently(ctx, world):
    staff = _staff(world, "C11")
    report = reports.open_report(staff, _unit(world, "C11"), _monthly(world), "2026-09")
    db.session.commit()
    seen = report.version
    reports.save_report(staff, report, {"TUYEN_TRUYEN": 5}, seen)
    db.session.commit()
    with pytest.raises(Conflict, match="vừa được người khác"):
        reports.save_report(staff, report, {"TUYEN_TRUYEN": 7}, seen)
    db.session.rollback()
    assert reports.values_dict(db.session.get(Report, report.id)) == {"TUYEN_TRUYEN": 5}


def test_inbox_lists_the_childrens_submissions(ctx, world):
    staff = _staff(world, "C11")
    report = reports.open_report(staff, _unit(world, "C11"), _monthly(world), "2026-10")
    reports.save_report(staff, report, {"TUYEN_TRUYEN": 1}, report.version)
    reports.submit_report(staff, report)
    mine = db.session.scalars(reports.inbox(_user(world, "approver.d1"))).all()
    assert [r.id for r in mine] == [report.id]
    assert db.session.scalars(reports.inbox(_user(world, "approver.tb"))).all() == []
    assert db.session.scalars(reports.inbox(_user(world, "approver.hy"))).all() == []
