"""Which plans attainment follows, and over which periods (issue 12, item 3).

A unit marks the plans of its programme of work for the year (Plan.counted); approving
another plan changes nothing. Each counted plan's targets show under its own number, and the
default comparison is the year to date, not the month shown.
"""

import re
from io import BytesIO

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import select

from lhpn.audit.models import AuditEntry
from lhpn.consolidation import services as consolidation
from lhpn.extensions import db
from lhpn.plans import services as plans
from lhpn.plans.models import Plan
from lhpn.plans.services import PlanInput, TargetInput
from tests import consolidation_world as kw
from tests.conftest import api_token, csrf_token, login
from tests.test_api import Caller

# SO_LUOT per month for each commune, January to October 2027; X2 also files November.
MONTHS = [f"2027-{m:02d}" for m in range(1, 11)]
PER_MONTH = {"X1": 1, "X2": 3}


def issue(kt, code: str, title: str, number: str, targets, *, counted: bool) -> Plan:
    """A plan of ``code`` written by its officer and issued by the approver above it (the
    root's own by the root's approver)."""
    staff = kt.user(f"kt.staff.{code.lower()}")
    unit = kt.unit(code)
    approver = kt.user(f"kt.approver.{(unit.parent or unit).code.lower()}")
    plan = plans.create_plan(staff, unit, PlanInput(
        title=title, year=2027, number=number, plan_date="2027-01-05",
        purpose="Mục đích.", content="Nội dung.", counted=counted, targets=list(targets)))
    plans.submit_plan(staff, plan)
    plans.approve_plan(approver, plan)
    db.session.commit()
    return plan


def programme(kt, *, counted: bool = True) -> Plan:
    """The province's programme of work: SO_LUOT ≥ 8 in the year at every commune."""
    return issue(kt, "KT", "Chương trình công tác năm 2027", "05/CTr-BTV",
                 [TargetInput("SO_LUOT", "commune", "count", 8)], counted=counted)


def small_plan(kt) -> Plan:
    """A small thematic plan approved later in the year, not part of the programme."""
    return issue(kt, "KT", "Kế hoạch hưởng ứng Ngày Phụ nữ với Pháp luật", "41/KH-BTV",
                 [TargetInput("SO_LUOT", "commune", "count", 50),
                  TargetInput("TY_LE", "branch", "rate", 95)], counted=False)


@pytest.fixture
def kt(ctx):
    built = kw.build()
    kw.file_january(built)
    return built


def lines(result) -> list[tuple]:
    return [(a.target.plan.number, a.target.indicator.code, a.target.level, a.met, a.units)
            for a in result.attainment]


# ---- which plans count -------------------------------------------------------------------------

def test_a_second_approved_plan_changes_nothing_unless_it_is_marked(kt):
    first = programme(kt)
    before = consolidation.consolidate(kt.unit("KT"), kt.template, [kw.JAN])
    assert [p.id for p in before.plans] == [first.id]
    # January alone: X1's subtree 3 + 5 + 0 = 8 meets it, X2's 2 does not.
    assert lines(before) == [("05/CTr-BTV", "SO_LUOT", "commune", 1, 2)]

    second = small_plan(kt)  # approved after the programme: it used to replace it
    after = consolidation.consolidate(kt.unit("KT"), kt.template, [kw.JAN])
    assert [p.id for p in after.plans] == [first.id]
    assert lines(after) == lines(before)

    # Marked, it counts too, under its own number; unmarking the first leaves the second.
    plans.set_counted(kt.user("kt.staff.kt"), second, True, second.version)
    db.session.commit()
    both = consolidation.consolidate(kt.unit("KT"), kt.template, [kw.JAN])
    assert [(plan.number, [a.target.indicator.code for a in group])
            for plan, group in both.by_plan()] == [
        ("05/CTr-BTV", ["SO_LUOT"]), ("41/KH-BTV", ["SO_LUOT", "TY_LE"])]
    plans.set_counted(kt.user("kt.approver.kt"), first, False)
    db.session.commit()
    only = consolidation.consolidate(kt.unit("KT"), kt.template, [kw.JAN])
    assert [p.number for p in only.plans] == ["41/KH-BTV"]
    audited = db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.action.like("plan.%counted"))).all()
    assert sorted(audited) == ["plan.counted", "plan.uncounted"]


def test_without_a_marked_plan_the_page_says_why_nothing_is_compared(app, client):
    with app.app_context():
        kt = kw.build()
        kw.file_january(kt)
        programme(kt, counted=False)
        result = consolidation.consolidate(kt.unit("KT"), kt.template, [kw.JAN])
        assert result.plans == [] and result.attainment == [] and result.uncounted == 1
    login(client, "kt.viewer")
    html = client.get(f"/units/{kt.units['KT']}/consolidation?template=BC_KT&period=2027-01"
                      ).get_data(as_text=True)
    assert "Chưa có kế hoạch nào được đánh dấu thuộc chương trình công tác năm (1 kế hoạch" \
        in html


def test_a_unit_follows_its_own_programme_else_the_nearest_one_above(kt):
    province = programme(kt)
    own = issue(kt, "X1", "Chương trình công tác năm 2027 của xã An Bình", "02/CTr-BTV",
                [TargetInput("SO_LUOT", "commune", "count", 2)], counted=True)
    assert [p.id for p in consolidation.counted_plans(kt.unit("X1"), 2027)] == [own.id]
    assert [p.id for p in consolidation.counted_plans(kt.unit("X2"), 2027)] == [province.id]
    assert [p.id for p in consolidation.counted_plans(kt.unit("X1A"), 2027)] == [own.id]
    assert consolidation.counted_plans(kt.unit("X1"), 2026) == []
    # Only approved plans count, however they are marked.
    draft = plans.create_plan(kt.user("kt.staff.x2"), kt.unit("X2"), PlanInput(
        title="Dự thảo", year=2027, counted=True,
        targets=[TargetInput("SO_LUOT", "commune", "count", 1)]))
    db.session.commit()
    assert draft.counted and consolidation.counted_plans(kt.unit("X2"), 2027) == [province]


def test_only_the_units_officers_or_its_own_chair_mark_its_plans(kt):
    plan = programme(kt, counted=False)
    from lhpn import authz

    for name in ("kt.viewer", "kt.admin", "kt.staff.x1", "kt.approver.x1"):
        with pytest.raises(authz.Forbidden):
            plans.set_counted(kt.user(name), plan, True)
    plans.set_counted(kt.user("kt.approver.kt"), plan, True)
    assert plan.counted


# ---- the year to date --------------------------------------------------------------------------

def _year() -> kw.KT:
    built = kw.build()
    for month in MONTHS:
        for code, amount in PER_MONTH.items():
            kw.file(built, code, month, {"SO_LUOT": amount})
    kw.file(built, "X2", "2027-11", {"SO_LUOT": 40})
    programme(built)
    return built


@pytest.fixture
def year(ctx):
    """Monthly reports of both communes from January to October 2027 (and X2's November)."""
    return _year()


@pytest.fixture
def year_app(app):
    """The same, built and left before the test's requests (pages and API)."""
    with app.app_context():
        return _year()


def test_october_compares_the_annual_target_with_january_to_october(year):
    result = consolidation.consolidate(year.unit("KT"), year.template, ["2027-10"])
    assert result.attainment_periods == MONTHS
    assert result.attainment_label == "Tháng 01/2027 – Tháng 10/2027"
    # X1: 10 × 1 = 10 ≥ 8; X2: 10 × 3 = 30 ≥ 8 (November's 40 is not "to date" in October).
    [line] = result.attainment
    assert (line.met, line.units, line.attained) == (2, 2, True)
    x2 = consolidation.consolidate(year.unit("X2"), year.template, ["2027-10"])
    assert [(a.met, a.units) for a in x2.attainment] == [(1, 1)]
    # October alone would say 0 of 2: what the page used to show.
    month = consolidation.consolidate(year.unit("KT"), year.template, ["2027-10"],
                                      attainment_scope="periods")
    assert month.attainment_periods == ["2027-10"]
    assert [(a.met, a.units) for a in month.attainment] == [(0, 2)]
    # The figures of the month are still the month's.
    assert month.values_by_code()["SO_LUOT"] == 4 == result.values_by_code()["SO_LUOT"]


def test_march_excludes_the_months_after_it_and_december_reads_the_whole_year(year):
    march = consolidation.consolidate(year.unit("KT"), year.template, ["2027-03"])
    assert march.attainment_periods == MONTHS[:3]
    # X1 3 × 1 < 8; X2 3 × 3 = 9 ≥ 8.
    assert [(a.met, [m.unit.code for m in a.misses]) for a in march.attainment] == [(1, ["X1"])]
    december = consolidation.consolidate(year.unit("KT"), year.template, ["2027-12"])
    assert len(december.attainment_periods) == 12
    assert [a.met for a in december.attainment] == [2]


def test_the_page_the_exports_and_the_api_say_year_to_date(year_app, client):
    year = year_app
    login(client, "kt.viewer")
    query = "template=BC_KT&period=2027-10"
    html = client.get(f"/units/{year.units['KT']}/consolidation?{query}").get_data(as_text=True)
    assert "Chỉ tiêu năm so với số liệu lũy kế từ đầu năm: Tháng 01/2027 – Tháng 10/2027." \
        in html
    assert re.search(r'class="num met">2/2 \(100%\)', html)
    assert "Kế hoạch số 05/CTr-BTV: Chương trình công tác năm 2027" in html
    assert "attainment=periods" in html
    periods = client.get(f"/units/{year.units['KT']}/consolidation?{query}&attainment=periods"
                         ).get_data(as_text=True)
    assert re.search(r'class="num met">0/2 \(0%\)', periods)
    assert "so với số liệu của các kỳ đang xem: Tháng 10/2027" in periods

    book = load_workbook(BytesIO(client.get(
        f"/units/{year.units['KT']}/consolidation.xlsx?{query}").data))
    sheet = book["Chỉ tiêu kế hoạch"]
    assert sheet["A1"].value == "Chỉ tiêu năm so với số liệu Tháng 01/2027 – Tháng 10/2027"
    assert sheet["A3"].value.startswith("Kế hoạch số 05/CTr-BTV") and sheet["I3"].value == 2
    doc = Document(BytesIO(client.get(
        f"/units/{year.units['KT']}/consolidation.docx?{query}").data))
    texts = [p.text for p in doc.paragraphs]
    assert "Chỉ tiêu năm được so với số liệu lũy kế từ tháng 01/2027 đến tháng 10/2027." \
        in texts
    assert any(t.startswith("Đối chiếu với Kế hoạch số 05/CTr-BTV") for t in texts)

    caller = Caller(client, api_token(client, "kt.viewer"))
    body = caller.get(f"/units/{year.units['KT']}/consolidation?{query}").get_json()
    assert body["attainment_periods"] == MONTHS
    assert [p["number"] for p in body["plans"]] == ["05/CTr-BTV"]
    assert [(a["plan_id"], a["met"], a["units"]) for a in body["attainment"]] == [
        (body["plans"][0]["id"], 2, 2)]
    month = caller.get(f"/units/{year.units['KT']}/consolidation?{query}&attainment=periods")
    assert month.get_json()["attainment"][0]["met"] == 0
    refused = caller.get(f"/units/{year.units['KT']}/consolidation?{query}&attainment=week")
    assert refused.status_code == 422 and refused.get_json()["error"]["field"] == "attainment"


def test_the_dashboard_chart_says_year_to_date(year_app, client):
    login(client, "kt.approver.kt")
    html = client.get("/?template=BC_KT&period=2027-10").get_data(as_text=True)
    assert "Chỉ tiêu năm so với số liệu lũy kế: Tháng 01/2027 – Tháng 10/2027." in html
    assert "2/2 đơn vị · đạt" in html


# ---- marking on the page -------------------------------------------------------------------

def test_the_form_marks_and_the_plan_page_toggles_the_programme(app, client):
    with app.app_context():
        kt = kw.build()
        plan_id = programme(kt, counted=False).id
    login(client, "kt.staff.kt")
    path = f"/plans/{plan_id}"
    page = client.get(path).get_data(as_text=True)
    assert "Tính vào chương trình công tác năm</button>" in page
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    token = csrf_token(client, path)
    stale = client.post(f"{path}/counted", data={"counted": "1", "version": "0",
                                                  "csrf_token": token})
    assert stale.status_code == 409
    with app.app_context():
        assert not db.session.get(Plan, plan_id).counted
    done = client.post(f"{path}/counted", data={"counted": "1", "version": version,
                                                 "csrf_token": token}, follow_redirects=True)
    assert "Kế hoạch được tính vào chương trình công tác năm." in done.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Plan, plan_id).counted
    # A new plan marked on its form.
    form = client.get(f"/plans/new?unit={kt.units['KT']}").get_data(as_text=True)
    assert 'name="counted"' in form
    created = client.post(f"/plans/new?unit={kt.units['KT']}", data={
        "title": "Kế hoạch công tác quý", "year": "2027", "counted": "y",
        "csrf_token": csrf_token(client, f"/plans/new?unit={kt.units['KT']}")})
    assert created.status_code == 302
    with app.app_context():
        newest = db.session.scalars(select(Plan).order_by(Plan.id.desc())).first()
        assert newest.title == "Kế hoạch công tác quý" and newest.counted


# ---- existing data -------------------------------------------------------------------------

def test_the_migration_marks_the_plan_that_counted_until_now(app):
    from flask_migrate import downgrade, upgrade

    with app.app_context():
        built = kw.build()
        older = programme(built, counted=False)
        newer = small_plan(built)  # approved last: "the latest approved wins" picked it
        other_year = issue(built, "KT", "Chương trình năm 2026", "01/CTr-BTV", [],
                           counted=False)
        other_year.year = 2026
        x1 = issue(built, "X1", "Kế hoạch của xã", "03/KH-BTV", [], counted=False)
        waiting = plans.create_plan(built.user("kt.staff.x2"), built.unit("X2"), PlanInput(
            title="Chưa duyệt", year=2027, purpose="a", content="b"))
        plans.submit_plan(built.user("kt.staff.x2"), waiting)
        db.session.commit()
        ids = (older.id, newer.id, other_year.id, x1.id, waiting.id)
        db.session.remove()
        downgrade(revision="c3d8e1f5a7b2")
        upgrade()
        db.session.remove()
        counted = {plan.id: plan.counted for plan in db.session.scalars(select(Plan))}
        assert [counted[i] for i in ids] == [False, True, True, True, False]
