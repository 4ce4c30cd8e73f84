"""One period, one code: other spellings of a period ("2026-03\\n", full-width or Arabic-Indic
digits) are refused over the API and the pages with the right spelling, the database refuses
them whatever wrote them, the year of a code is read from ASCII digits only, and the migration
renames or sets aside reports stored under another spelling and puts the totals right."""

from datetime import date

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from lhpn.audit.models import AuditEntry
from lhpn.consolidation import rollups
from lhpn.consolidation.models import Rollup, RollupCount, RollupYear
from lhpn.extensions import db
from lhpn.reports import periods as P
from lhpn.reports.models import Report, ReportTemplate, TemplatePeriod
from lhpn.workflow.models import WorkflowEvent
from tests import consolidation_world as kw
from tests.conftest import api_token
from tests.test_api import Caller
from tests.test_api_reports import ok, open_report
from tests.test_plan_pages import Browser, add_user
from tests.test_plan_pages import text as page_text

SPELLINGS = ["2026-03\n", "２０２６-03", "٢٠٢٦-03"]
BEFORE_CANONICAL = "c3d8e1f5a7b2"


def _reports(app, world) -> list[str]:
    with app.app_context():
        return db.session.scalars(select(Report.period).where(
            Report.unit_id == world.units["C11"])).all()


@pytest.fixture
def staff(app, client, world):
    add_user(app, world, "staff.c11", "staff", "C11")
    return Caller(client, api_token(client, "staff.c11"))


# ---- parsing ----------------------------------------------------------------------------------

@pytest.mark.parametrize("code, kind", [
    *((s, "month") for s in SPELLINGS),
    ("2026-Q1\n", "quarter"), ("２０２６-Q1", "quarter"), ("2026-H1\n", "half"),
    ("２０２６", "year"), ("2026\n", "year"), ("٢٠٢٦", "year"), (" 2026-03", "month"),
])
def test_other_spellings_name_no_period(code, kind):
    assert P.parse(code, kind) is None
    assert P.year_of(code, kind) is None
    assert P.parse(P.canonical_spelling(code), kind) is not None


def test_canonical_codes_still_parse():
    assert P.parse("2026-03", "month").start == date(2026, 3, 1)
    assert P.year_of("2026-Q4", "quarter") == 2026
    assert P.is_own_code("2026-CD-GSPB") and not P.is_own_code("bão-lũ")


def test_a_report_under_another_spelling_adds_nothing_to_a_year(ctx):
    """year_of read "２０２６"[:4].isdigit() as the year 2026: a second report of March counted
    in the province's year."""
    kt = kw.build()
    report = kw.file(kt, "X1", kw.JAN, kw.VALUES["X1"], approve=False)
    assert rollups.year_of(report) == 2027
    report.period = "２０２７-01"
    assert rollups.year_of(report) is None
    db.session.rollback()


# ---- the API and the pages -------------------------------------------------------------------

@pytest.mark.parametrize("spelling", SPELLINGS)
def test_the_api_refuses_another_spelling_of_an_open_period(app, world, staff, spelling):
    open_report(staff, world.units["C11"], period="2026-03")
    response = staff.post("/reports", {"unit_id": world.units["C11"], "template": "BC_THANG",
                                       "period": spelling})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["field"] == "period"
    assert "hãy viết “2026-03”" in error["message"]
    assert _reports(app, world) == ["2026-03"]


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_the_page_refuses_another_spelling_of_an_open_period(app, world, staff, spelling):
    open_report(staff, world.units["C11"], period="2026-03")
    browser = Browser(app, "staff.c11")
    response = browser.post("/reports/open", {"unit": world.units["C11"],
                                              "template": "BC_THANG", "period": spelling})
    assert response.status_code == 422
    assert "hãy viết “2026-03” (chữ số thường, không dấu cách)" in page_text(response)
    assert _reports(app, world) == ["2026-03"]


def test_ad_hoc_codes_are_ascii(app, world, staff):
    refused = staff.post("/reports", {"unit_id": world.units["C11"],
                                      "template": "BC_NHANH_VU_VIEC", "period": "bão-lũ"})
    assert refused.status_code == 422
    assert "chữ cái không dấu" in refused.get_json()["error"]["message"]
    for spelling in ("BAO-LU\n", "ＢＡＯ-ＬＵ"):
        response = staff.post("/reports", {"unit_id": world.units["C11"],
                                           "template": "BC_NHANH_VU_VIEC", "period": spelling})
        assert response.status_code == 422
        assert "hãy viết “BAO-LU”" in response.get_json()["error"]["message"]
    ok(staff.post("/reports", {"unit_id": world.units["C11"], "template": "BC_NHANH_VU_VIEC",
                               "period": "BAO-LU"}), 201)
    assert _reports(app, world) == ["BAO-LU"]


def test_a_set_aside_report_cannot_be_submitted_again(app, world, staff):
    """The migration parks duplicates under TRUNG-<id>, no period of a monthly form."""
    report = open_report(staff, world.units["C11"], period="2026-03")
    ok(staff.call("PUT", f"/reports/{report['id']}/values",
                  {"values": {"TUYEN_TRUYEN": 1}, "version": report["version"]}))
    with app.app_context():
        db.session.execute(text("UPDATE reports SET period = :p WHERE id = :id"),
                           {"p": f"TRUNG-{report['id']}", "id": report["id"]})
        db.session.commit()
    response = staff.post(f"/reports/{report['id']}/submit")
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == "period"


# ---- the database -------------------------------------------------------------------------------

COPY = text("""
    INSERT INTO reports (tenant_id, unit_id, template_id, period, status, version,
                         nothing_to_report, results, shortcomings, proposals, on_behalf)
    SELECT tenant_id, unit_id, template_id, :period, status, version, nothing_to_report,
           results, shortcomings, proposals, on_behalf
    FROM reports WHERE id = :id
""")


@pytest.mark.parametrize("spelling", [*SPELLINGS, "", "2026 03", "2026-03;"])
def test_the_database_refuses_a_second_spelling_whatever_writes_it(app, world, staff, spelling):
    report = open_report(staff, world.units["C11"], period="2026-03")
    with app.app_context():
        db.session.execute(COPY, {"period": "2026-04", "id": report["id"]})  # the control
        db.session.rollback()
        with pytest.raises(IntegrityError):
            db.session.execute(COPY, {"period": spelling, "id": report["id"]})
        db.session.rollback()
        template_id = db.session.scalar(select(ReportTemplate.id).where(
            ReportTemplate.code == "BC_CHUYEN_DE_GSPB",
            ReportTemplate.tenant_id == world.tenants["TB"]))
        with pytest.raises(IntegrityError):
            db.session.execute(TemplatePeriod.__table__.insert().values(
                template_id=template_id, code=spelling or "\n", label="x",
                due_date=date(2026, 10, 30)))
        db.session.rollback()
    assert _reports(app, world) == ["2026-03"]


# ---- the migration ------------------------------------------------------------------------------

def _totals():
    def rows(*columns):
        return sorted(tuple(str(v) for v in row) for row in db.session.execute(
            select(*columns)).all())

    return (rows(Rollup.unit_id, Rollup.template_id, Rollup.period, Rollup.indicator_id,
                 Rollup.reports, Rollup.total, Rollup.numerator, Rollup.denominator,
                 Rollup.yes, Rollup.minimum, Rollup.maximum),
            rows(RollupCount.unit_id, RollupCount.template_id,
                 RollupCount.period, RollupCount.approved, RollupCount.on_time),
            rows(RollupYear.unit_id, RollupYear.template_id, RollupYear.year,
                 RollupYear.indicator_id, RollupYear.reports, RollupYear.total,
                 RollupYear.numerator, RollupYear.denominator, RollupYear.yes,
                 RollupYear.minimum, RollupYear.maximum))


def test_the_migration_renames_or_sets_aside_other_spellings_and_fixes_the_totals(app):
    """Before the constraint: X1's approved January twice ("2027-01" and "2027-01\\n", the
    year counted twice), X1A's approved January only under full-width digits, X2's submitted
    one under Arabic-Indic digits. After: one January each, the duplicate returned under a
    stand-in code and out of the totals, which equal those of a clean approval history."""
    with app.app_context():
        kt = kw.build()
        filed = kw.file_january(kt)
        x1, x1a, x2 = filed["X1"].id, filed["X1A"].id, filed["X2"].id
        clean = _totals()
        db.session.remove()
        downgrade(revision=BEFORE_CANONICAL)
        db.session.execute(COPY, {"period": "2027-01\n", "id": x1})
        duplicate = db.session.scalar(select(func.max(Report.id)))
        db.session.execute(text("""
            INSERT INTO report_values (report_id, indicator_id, number, numerator, denominator,
                                       flag, text)
            SELECT :dup, indicator_id, number, numerator, denominator, flag, text
            FROM report_values WHERE report_id = :id"""), {"dup": duplicate, "id": x1})
        db.session.execute(text("UPDATE reports SET period = :p WHERE id = :id"),
                           {"p": "２０２７-01", "id": x1a})
        db.session.execute(text("UPDATE reports SET period = :p WHERE id = :id"),
                           {"p": "٢٠٢٧-01", "id": x2})
        # What the old code's running totals held: the duplicate added to X1's year and its
        # ancestors' (rebuilt as it would have been approved live).
        db.session.execute(text(
            "UPDATE rollup_years SET reports = reports * 2, total = total * 2 "
            "WHERE unit_id IN (:kt, :x1)"), {"kt": kt.units["KT"], "x1": kt.units["X1"]})
        db.session.commit()
        db.session.remove()

        upgrade()

        assert _totals() == clean
        rows = {r.id: r for r in db.session.scalars(select(Report))}
        assert (rows[x1].period, rows[x1].status) == ("2027-01", "approved")
        assert (rows[x1a].period, rows[x1a].status) == ("2027-01", "approved")
        assert (rows[x2].period, rows[x2].status) == ("2027-01", "submitted")
        assert rows[duplicate].period == f"TRUNG-{duplicate}"
        assert rows[duplicate].status == "returned"
        assert len(rows[duplicate].values) == len(rows[x1].values)  # nothing deleted
        event = db.session.scalars(select(WorkflowEvent).where(
            WorkflowEvent.object_id == duplicate)).one()
        assert (event.from_status, event.to_status) == ("approved", "returned")
        assert f"báo cáo số {x1}" in event.comment and "2027-01\\x0a" in event.comment
        actions = db.session.scalars(select(AuditEntry.action).where(
            AuditEntry.action.like("report.period_%"))).all()
        assert sorted(actions) == ["report.period_canonical", "report.period_canonical",
                                   "report.period_duplicate"]
        with pytest.raises(IntegrityError):
            db.session.execute(COPY, {"period": "２０２７-02", "id": x1})
        db.session.rollback()
