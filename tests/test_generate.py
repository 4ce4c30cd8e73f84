"""The synthetic-deployment generator (``flask demo generate``), at its small scale."""

from collections import Counter, defaultdict

import pytest
from sqlalchemy import func, select

from lhpn.accounts.models import User
from lhpn.accounts.passwords import verify_password
from lhpn.consolidation import models as consolidation
from lhpn.demo.generate import DEFAULT_PASSWORD, TEMPLATE_CODE
from lhpn.extensions import db
from lhpn.indicators.models import AGGREGATIONS, Indicator
from lhpn.plans.models import Plan
from lhpn.reports import periods as P
from lhpn.reports.models import Report, ReportTemplate, ReportValue
from lhpn.tenants.models import Tenant
from lhpn.units.models import Unit
from lhpn.workflow.models import WorkflowEvent


@pytest.fixture
def cli(app):
    return app.test_cli_runner()


@pytest.fixture
def generated(app, cli):
    result = cli.invoke(args=["demo", "generate", "--scale", "small", "--year", "2027"])
    assert result.exit_code == 0, result.output
    return result.output


def _count(model) -> int:
    return db.session.scalar(
        select(func.count()).select_from(model))


def _tenant() -> Tenant:
    return db.session.scalars(select(Tenant).where(Tenant.code == "GEN01")).one()


def test_progress_lines_in_vietnamese(generated):
    assert "Tỉnh GEN01" in generated
    assert "3 xã, phường, 12 chi hội" in generated
    assert "giây" in generated and f"mật khẩu {DEFAULT_PASSWORD}" in generated


def test_unit_tree_honours_the_invariants(app, generated):
    with app.app_context():
        tenant = _tenant()
        units = {u.id: u for u in db.session.scalars(
            select(Unit).where(Unit.tenant_id == tenant.id))}
        assert Counter(u.level for u in units.values()) == {
            "province": 1, "commune": 3, "branch": 12}
        assert len({u.code for u in units.values()}) == len(units)
        for unit in units.values():
            expected = "/" if unit.parent_id is None else units[unit.parent_id].path
            assert unit.path == f"{expected}{unit.id}/"
            assert unit.depth == len(unit.ancestor_ids) - 1
            assert unit.search_name and unit.search_name.isascii()
        root = next(u for u in units.values() if u.parent_id is None)
        assert (root.code, root.depth) == ("GEN01", 0)
        for branch in (u for u in units.values() if u.level == "branch"):
            assert units[branch.parent_id].level == "commune"


def test_form_users_and_plan(app, generated):
    with app.app_context():
        tenant = _tenant()
        template = db.session.scalars(select(ReportTemplate).where(
            ReportTemplate.tenant_id == tenant.id, ReportTemplate.code == TEMPLATE_CODE)).one()
        assert (template.period_type, template.levels, template.due_day) == ("month",
                                                                             "commune,branch", 20)
        kinds = Counter(item.indicator.kind for item in template.items)
        assert len(template.items) == 30 and "text" not in kinds
        assert {"count", "decimal", "rate", "boolean"} <= set(kinds)
        aggregations = {item.indicator.aggregation for item in template.items}
        assert aggregations == set(AGGREGATIONS) - {"none"}

        for username, role in (("gen01.admin", "tenant_admin"), ("gen01.chutich", "approver")):
            user = db.session.scalars(select(User).where(User.username == username)).one()
            assert [a.role for a in user.assignments] == [role]
            assert verify_password(user.password_hash, DEFAULT_PASSWORD)

        plan = db.session.scalars(select(Plan).where(Plan.tenant_id == tenant.id)).one()
        assert (plan.status, plan.year) == ("approved", 2027)
        targets = {(t.indicator.code, t.level, t.kind): (t.value, t.threshold)
                   for t in plan.targets}
        assert targets[("CHUYEN_DOI_SO", "branch", "share")] == (70, 1)
        assert ("GIAM_SAT", "commune", "count") in targets
        assert ("HV_HOC_TAP", "branch", "rate") in targets


def test_reports_events_and_values(app, generated):
    with app.app_context():
        tenant = _tenant()
        reports = db.session.scalars(select(Report).where(Report.tenant_id == tenant.id)).all()
        # 15 communes and branches × 2 months, a few never started.
        assert 25 <= len(reports) <= 30
        assert {r.period for r in reports} == {"2027-01", "2027-02"}
        assert len({(r.unit_id, r.period) for r in reports}) == len(reports)
        status = Counter(r.status for r in reports)
        assert set(status) <= {"approved", "submitted", "returned", "draft"}
        assert status["approved"] >= 0.8 * len(reports)

        events = defaultdict(list)
        for event in db.session.scalars(select(WorkflowEvent).where(
                WorkflowEvent.tenant_id == tenant.id, WorkflowEvent.object_type == "report")):
            events[event.object_id].append(event)
        for report in reports:
            period = P.parse(report.period, "month")
            assert report.due_date == P.due_date(period, 20, 1)
            history = sorted(events[report.id], key=lambda e: e.created_at)
            submits = [e.created_at for e in history if e.action == "submit"]
            if report.status == "draft":
                assert not history and report.submitted_at is None
                continue
            assert report.submitted_at in submits
            assert report.submitted_at == max(submits)
            assert history[0].action == "submit" and history[0].from_status == "draft"
            assert history[-1].to_status == report.status
            for before, after in zip(history, history[1:], strict=False):
                assert before.to_status == after.from_status
            if report.status == "approved":
                assert history[-1].action == "approve"
                assert report.approved_at == history[-1].created_at
                assert report.approved_by_id != report.submitted_by_id

        values = db.session.scalars(select(ReportValue).join(Report).where(
            Report.tenant_id == tenant.id)).all()
        per_report = Counter(v.report_id for v in values)
        assert max(per_report.values()) == 30 and len(per_report) == len(reports)
        assert len(values) >= 0.9 * 30 * len(reports)
        kinds = {i.id: i.kind for i in db.session.scalars(
            select(Indicator).where(Indicator.tenant_id == tenant.id))}
        for value in values:
            kind = kinds[value.indicator_id]
            if kind == "count":
                assert value.number >= 0 and value.number == int(value.number)
            elif kind == "decimal":
                assert value.number >= 0 and value.number == round(value.number, 2)
            elif kind == "rate":
                assert 0 <= value.numerator <= value.denominator and value.denominator > 0
            else:
                assert kind == "boolean" and value.flag is not None


def test_same_seed_same_data(app, cli):
    def snapshot():
        with app.app_context():
            rows = db.session.execute(select(Unit.code, Report.period, Report.status)
                                      .join(Unit, Unit.id == Report.unit_id)
                                      .order_by(Unit.code, Report.period)).all()
            return [tuple(r) for r in rows]

    assert cli.invoke(args=["demo", "generate", "--scale", "small"]).exit_code == 0
    first = snapshot()
    from tests.conftest import _empty_all_tables

    with app.app_context():
        _empty_all_tables()
    assert cli.invoke(args=["demo", "generate", "--scale", "small"]).exit_code == 0
    assert snapshot() == first


def test_running_twice_is_refused_and_writes_nothing(app, cli, generated):
    with app.app_context():
        before = [_count(m) for m in (Tenant, Unit, User, Report, ReportValue, WorkflowEvent)]
    result = cli.invoke(args=["demo", "generate", "--scale", "small"])
    assert result.exit_code == 1
    assert "Đã có tỉnh mô phỏng GEN01" in result.output
    with app.app_context():
        after = [_count(m) for m in (Tenant, Unit, User, Report, ReportValue, WorkflowEvent)]
    assert after == before


@pytest.mark.parametrize(("args", "message"), [
    (["--scale", "small", "--year", "1999"], "Năm báo cáo"),
])
def test_bad_input_is_refused(app, cli, args, message):
    result = cli.invoke(args=["demo", "generate", *args])
    assert result.exit_code == 1 and message in result.output
    with app.app_context():
        assert _count(Tenant) == 0


def test_unknown_scale_is_a_usage_error(cli):
    result = cli.invoke(args=["demo", "generate", "--scale", "galaxy"])
    assert result.exit_code == 2


def test_consolidation_is_rebuilt(app, generated):
    with app.app_context():
        tenant = _tenant()
        root = db.session.scalars(select(Unit).where(Unit.tenant_id == tenant.id,
                                                     Unit.parent_id.is_(None))).one()
        approved = dict(db.session.execute(
            select(Report.period, func.count()).where(Report.tenant_id == tenant.id,
                                                      Report.status == "approved")
            .group_by(Report.period)).all())
        counts = {row.period: row.approved for row in db.session.scalars(
            select(consolidation.RollupCount).where(consolidation.RollupCount.unit_id == root.id))}
        assert counts == approved


def test_bulk_reports_write_what_the_sign_off_service_writes(app, world, monkeypatch):
    """The generator writes reports in bulk, past the sign-off service (lhpn/demo/generate.py
    says why). For every history shape it writes — a draft, sent, returned, approved, and
    returned then sent again and approved — the row and its events equal what the service
    writes when the same people take the same steps on a real report."""
    import random

    from lhpn.demo import generate
    from lhpn.reports import services as reports
    from tests import factories

    statuses = iter(["draft", "submitted", "returned", "approved"] * 12)
    monkeypatch.setattr(generate, "_status", lambda rng: next(statuses))
    monkeypatch.setattr(generate, "RESENT", 0.5)
    with app.app_context():
        tenant = db.session.get(Tenant, world.tenants["TB"])
        unit = db.session.get(Unit, world.units["C11"])
        staff = factories.user(tenant, "staff.c11", "staff", unit)
        approver = db.session.get(User, world.users["approver.d1"])
        template = reports.get_template(tenant.id, "BC_THANG")
        indicators = {item.indicator.code: item.indicator for item in template.items}
        others = [(world.units[code], level) for code, level in
                  (("C12", "commune"), ("C21", "commune"), ("B111", "branch"))]
        generate.bulk_reports(tenant, template, indicators, others, 2026, 12,
                              {"vanphong": staff, "chutich": approver}, random.Random(7))
        db.session.commit()

        def written(report: Report) -> tuple:
            events = db.session.scalars(select(WorkflowEvent).where(
                WorkflowEvent.object_type == "report", WorkflowEvent.object_id == report.id)
                .order_by(WorkflowEvent.created_at, WorkflowEvent.id)).all()
            return (report.status, report.submitted_by_id, report.approved_by_id,
                    report.submitted_at is None, report.approved_at is None,
                    tuple((e.action, e.from_status, e.to_status, e.actor_id) for e in events))

        shapes: dict[tuple, tuple] = {}
        for report in db.session.scalars(select(Report).where(
                Report.unit_id.in_([unit_id for unit_id, _level in others]))):
            row = written(report)
            shapes.setdefault(tuple(action for action, *_rest in row[-1]),
                              (row, report.version - 1))
        assert set(shapes) == {(), ("submit",), ("submit", "return"), ("submit", "approve"),
                               ("submit", "return", "submit", "approve")}

        for month, (actions, (bulk_row, bulk_moves)) in enumerate(sorted(shapes.items()), 1):
            report = reports.open_report(staff, unit, template, f"2026-{month:02d}")
            reports.save_report(staff, report, {}, report.version, nothing_to_report=True)
            before = report.version
            for action in actions:
                if action == "submit":
                    reports.SIGN_OFF.submit(staff, report, report.version)
                else:
                    reports.SIGN_OFF.decide(approver, report, action,
                                            generate.RETURN_COMMENT, report.version)
            db.session.commit()
            assert written(report) == bulk_row, actions
            assert report.version - before == bulk_moves == len(actions)
