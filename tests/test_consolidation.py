"""Consolidation semantics against hand-computed figures; running totals against the raw rows;
completeness and timeliness edge cases; moves and closed units."""

from datetime import datetime

import pytest
from sqlalchemy import event, select
from sqlalchemy.engine.interfaces import CacheStats

from lhpn.consolidation import rollups
from lhpn.consolidation import services as consolidation
from lhpn.consolidation.models import Rollup, RollupCount, RollupYear
from lhpn.errors import DomainError
from lhpn.extensions import db
from lhpn.reports import services as reports
from lhpn.units import services as units
from lhpn.units.models import Unit
from tests import consolidation_world as kw


@pytest.fixture
def kt(ctx):
    return kw.build()


def _values(kt, code, periods=(kw.JAN,)):
    result = consolidation.consolidate(kt.unit(code), kt.template, list(periods))
    return result, result.values_by_code()


def _stored(unit_id):
    """Every running total of a unit, as comparable tuples."""
    rows = db.session.execute(select(Rollup).where(Rollup.unit_id == unit_id)).scalars()
    return {(r.template_id, r.period, r.indicator_id): (
        r.reports, _n(r.total), r.numerator, r.denominator, r.yes, _n(r.minimum), _n(r.maximum))
        for r in rows}


def _n(value):
    return None if value is None else round(float(value), 4)


def _assert_totals_match_raw(kt):
    """The running totals of every unit equal the plain aggregate of the raw approved rows."""
    for unit in db.session.scalars(select(Unit).where(Unit.tenant_id == kt.tenant_id)):
        raw = rollups.subtree_values(unit, kt.template_id, [kw.JAN])
        stored = {key[2]: value for key, value in _stored(unit.id).items()
                  if key[1] == kw.JAN and value[0] > 0}
        expected = {ind: (s["reports"], _n(s["total"]), s["numerator"], s["denominator"],
                          s["yes"], _n(s["minimum"]), _n(s["maximum"]))
                    for ind, s in raw.items() if s["reports"]}
        assert stored == expected, unit.code
        year = rollups.subtree_values(unit, kt.template_id, YEAR)
        stored_year = {r.indicator_id: (r.reports, _n(r.total), r.numerator, r.denominator,
                                        r.yes, _n(r.minimum), _n(r.maximum))
                       for r in db.session.scalars(select(RollupYear).where(
                           RollupYear.unit_id == unit.id, RollupYear.year == 2027))
                       if r.reports > 0}
        assert stored_year == {ind: (s["reports"], _n(s["total"]), s["numerator"],
                                     s["denominator"], s["yes"], _n(s["minimum"]),
                                     _n(s["maximum"]))
                               for ind, s in year.items() if s["reports"]}, unit.code


YEAR = [f"2027-{m:02d}" for m in range(1, 13)]


def test_every_aggregation_against_hand_computed_values(kt):
    kw.file_january(kt)
    for code, expected in kw.EXPECTED.items():
        _result, values = _values(kt, code)
        assert values == expected, code
    _assert_totals_match_raw(kt)


def test_children_are_the_drill_down_and_branches_are_reachable(kt):
    kw.file_january(kt)
    result, _values_ = _values(kt, "KT")
    assert [row.unit.code for row in result.children] == ["X1", "X2"]
    by_code = {row.unit.code: result.values_by_code(row) for row in result.children}
    assert by_code == {"X1": kw.EXPECTED["X1"], "X2": kw.EXPECTED["X2"]}
    x1, _ = _values(kt, "X1")
    leaf = {row.unit.code: result.values_by_code(row) for row in x1.children}
    assert leaf["X1A"]["SO_LUOT"] == 5 and leaf["X1B"]["TY_LE"] == 0.0
    assert leaf["X1B"]["NHO_NHAT"] is None  # left empty, not zero
    branch, values = _values(kt, "X1A")
    assert branch.children == [] and values["LON_NHAT"] == 7


def test_an_approval_shows_at_once_and_a_reopen_takes_it_back(kt):
    filed = kw.file_january(kt)
    assert _values(kt, "KT")[1]["SO_LUOT"] == 10
    pending = filed["X2"]
    reports.approve_report(kt.user("kt.approver.kt"), pending)
    db.session.commit()
    assert _values(kt, "KT")[1]["SO_LUOT"] == 110
    assert _values(kt, "KT")[1]["NHO_NHAT"] == 0.5
    reports.reopen_report(kt.user("kt.approver.x1"), filed["X1A"], "Sai số liệu")
    db.session.commit()
    values = _values(kt, "KT")[1]
    # Without X1A: 3+0+2+100; min over 2.5, 3, 0.5; max over 2.5, 4, 1, 99; rate 55/190.
    assert values["SO_LUOT"] == 105
    assert values["NHO_NHAT"] == 0.5 and values["LON_NHAT"] == 99
    assert values["TY_LE"] == round(55 * 100 / 190, 1)
    assert values["CO_KHONG"] == round(2 * 100 / 3, 1)  # X2 left it empty
    x1 = _values(kt, "X1")[1]
    assert (x1["NHO_NHAT"], x1["LON_NHAT"]) == (2.5, 4)
    _assert_totals_match_raw(kt)


def test_rebuild_gives_the_same_running_totals(kt):
    kw.file_january(kt)
    before = {code: _stored(kt.units[code]) for code in kt.units}
    counts_before = db.session.execute(select(RollupCount.unit_id, RollupCount.approved,
                                              RollupCount.on_time)).all()
    rollups.rebuild(kt.tenant_id)
    db.session.commit()
    assert {code: _stored(kt.units[code]) for code in kt.units} == before
    assert sorted(db.session.execute(select(RollupCount.unit_id, RollupCount.approved,
                                            RollupCount.on_time)).all()) == sorted(counts_before)


def test_an_approval_reuses_the_compiled_running_total_upserts(kt):
    """One statement per table (on PostgreSQL the period and year totals share one, the period
    upsert being a CTE), compiled once: a multi-row VALUES is compiled anew on every approval
    (SQLAlchemy cannot cache it), which once cost most of the approval."""
    kw.file(kt, "X1A", kw.JAN, kw.VALUES["X1A"])  # compiled here if no test did it before
    seen = []

    def upserts(conn, cursor, statement, parameters, context, executemany):
        words = statement.split()
        if words[:2] == ["WITH", "period_totals"]:
            seen.append(("rollups+rollup_years", context.cache_hit))
        elif words[:2] == ["INSERT", "INTO"] and words[2].startswith("rollup"):
            seen.append((words[2], context.cache_hit))

    event.listen(db.engine, "before_cursor_execute", upserts)
    try:
        kw.file(kt, "X1B", kw.JAN, kw.VALUES["X1B"])
    finally:
        event.remove(db.engine, "before_cursor_execute", upserts)
    hit = CacheStats.CACHE_HIT
    if db.engine.dialect.name == "postgresql":
        assert seen == [("rollups+rollup_years", hit), ("rollup_counts", hit)]
    else:
        assert seen == [("rollups", hit), ("rollup_years", hit), ("rollup_counts", hit)]
    _assert_totals_match_raw(kt)


def test_a_range_of_periods_adds_up_and_rates_stay_ratios(kt):
    kw.file_january(kt)
    kw.file(kt, "X1A", "2027-02", {"SO_LUOT": 4, "NHO_NHAT": 0.75, "LON_NHAT": 9,
                                  "TY_LE": {"numerator": 10, "denominator": 20}})
    codes = consolidation.resolve_periods(kt.template, start="2027-01", end="2027-03")
    assert codes == ["2027-01", "2027-02", "2027-03"]
    result = consolidation.consolidate(kt.unit("KT"), kt.template, codes)
    values = result.values_by_code()
    assert values["SO_LUOT"] == 14 and values["NHO_NHAT"] == 0.75 and values["LON_NHAT"] == 9
    assert values["TY_LE"] == round(95 * 100 / 270, 1)
    # 5 units (X1, X1A, X1B, X2, X2A) × 3 months expected; 5 approved.
    assert (result.counts.expected, result.counts.approved) == (15, 5)


def _february(kt):
    kw.file(kt, "X1A", "2027-02", {"SO_LUOT": 4, "NHO_NHAT": 0.75, "LON_NHAT": 9,
                                  "TY_LE": {"numerator": 10, "denominator": 20}})
    return kw.file(kt, "X2A", "2027-02", {"SO_LUOT": 6, "NHO_NHAT": 5, "LON_NHAT": 0.5,
                                          "CO_KHONG": True})


def test_a_whole_year_is_read_from_the_year_totals_and_adds_up_its_months(kt):
    """A whole year of a monthly form reads one row per unit and indicator (the year totals),
    and says what January to March say when only those months have reports: through approvals,
    a reopen (a maximum taken back), a move and a rebuild."""
    kw.file_january(kt)
    february = _february(kt)

    def both(code):
        year = consolidation.consolidate(kt.unit(code), kt.template, YEAR).values_by_code()
        months = consolidation.consolidate(kt.unit(code), kt.template, YEAR[:3])
        return year, months.values_by_code()

    year, months = both("KT")
    assert year == months
    assert (year["SO_LUOT"], year["NHO_NHAT"], year["LON_NHAT"]) == (20, 0.75, 9)
    assert consolidation.whole_year(kt.template, YEAR) == 2027
    assert consolidation.whole_year(kt.template, YEAR[:3]) is None
    _assert_totals_match_raw(kt)

    reports.reopen_report(kt.user("kt.approver.x2"), february, "Sai số liệu")
    db.session.commit()
    year, months = both("KT")
    assert year == months and (year["SO_LUOT"], year["LON_NHAT"]) == (14, 9)
    assert both("X2")[0]["NHO_NHAT"] == 3  # February's 5 taken back, January's 3 remains
    _assert_totals_match_raw(kt)

    units.move_unit(None, kt.unit("X1A"), kt.unit("X2"))
    db.session.commit()
    for code in ("KT", "X1", "X2"):
        year, months = both(code)
        assert year == months, code
    assert both("X2")[0]["LON_NHAT"] == 9
    _assert_totals_match_raw(kt)

    before = sorted(db.session.execute(select(
        RollupYear.unit_id, RollupYear.indicator_id, RollupYear.reports, RollupYear.total,
        RollupYear.minimum, RollupYear.maximum)).all())
    db.session.execute(RollupYear.__table__.delete())
    rollups.rebuild(kt.tenant_id)
    db.session.commit()
    assert sorted(db.session.execute(select(
        RollupYear.unit_id, RollupYear.indicator_id, RollupYear.reports, RollupYear.total,
        RollupYear.minimum, RollupYear.maximum)).all()) == before


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"period": "2027-13"}, "period"),
    ({"start": "2027-05", "end": "2027-02"}, "to"),
    ({"start": "2027-05"}, "period"),
    ({"period": "2027-01", "start": "2027-01", "end": "2027-02"}, "period"),
    ({"start": "2020-01", "end": "2027-01"}, "to"),
    ({}, "period"),
])
def test_bad_periods_are_refused_in_vietnamese(kt, kwargs, field):
    with pytest.raises(DomainError) as caught:
        consolidation.resolve_periods(kt.template, **kwargs)
    assert caught.value.field == field
    assert any(ch in str(caught.value) for ch in "ỳăđảướ")


def test_completeness_counts_expected_approved_and_pending(kt):
    kw.file_january(kt)
    result, _ = _values(kt, "KT")
    assert (result.counts.expected, result.counts.approved) == (5, 4)
    assert result.counts.completeness == 80.0
    children = {row.unit.code: (row.counts.expected, row.counts.approved)
                for row in result.children}
    assert children == {"X1": (3, 3), "X2": (2, 1)}


def _at(monkeypatch, moment: datetime):
    monkeypatch.setattr("lhpn.workflow.engine.utcnow", lambda: moment)
    monkeypatch.setattr("lhpn.reports.services.utcnow", lambda: moment)


def test_timeliness_edge_cases(kt, monkeypatch):
    # Due 20/02/2027, end of day in Vietnam = 20/02 17:00 UTC.
    _at(monkeypatch, datetime(2027, 2, 20, 16, 30))  # 23:30 local on the due date: on time
    kw.file(kt, "X1A", kw.JAN, kw.VALUES["X1A"])
    _at(monkeypatch, datetime(2027, 2, 20, 17, 30))  # 00:30 local the day after: late
    kw.file(kt, "X1B", kw.JAN, kw.VALUES["X1B"])
    # Sent on time, returned, resubmitted after the due date, then approved: on time.
    _at(monkeypatch, datetime(2027, 2, 10, 3, 0))
    report = kw.file(kt, "X2A", kw.JAN, kw.VALUES["X2A"], approve=False)
    reports.return_report(kt.user("kt.approver.x2"), report, "Bổ sung số liệu")
    db.session.commit()
    _at(monkeypatch, datetime(2027, 3, 2, 3, 0))
    reports.submit_report(kt.user("kt.staff.x2a"), report)
    reports.approve_report(kt.user("kt.approver.x2"), report)
    db.session.commit()
    # Sent on time but still waiting for sign-off: neither approved nor on time yet.
    _at(monkeypatch, datetime(2027, 2, 1, 3, 0))
    kw.file(kt, "X1", kw.JAN, kw.VALUES["X1"], approve=False)
    result, _ = _values(kt, "KT")
    assert (result.counts.expected, result.counts.approved, result.counts.on_time) == (5, 3, 2)
    assert result.counts.timeliness == 40.0
    rows = {row.unit.code: (row.counts.approved, row.counts.on_time) for row in result.children}
    assert rows == {"X1": (2, 1), "X2": (1, 1)}
    rollups.rebuild(kt.tenant_id)
    db.session.commit()
    again, _ = _values(kt, "KT")
    assert (again.counts.approved, again.counts.on_time) == (3, 2)


def test_late_then_approved_counts_as_approved_not_on_time(kt, monkeypatch):
    _at(monkeypatch, datetime(2027, 4, 1, 3, 0))
    kw.file(kt, "X2A", kw.JAN, kw.VALUES["X2A"])
    result, values = _values(kt, "X2")
    assert (result.counts.approved, result.counts.on_time) == (1, 0)
    assert values["SO_LUOT"] == 2


def test_closed_units_are_expected_only_for_periods_due_before_they_closed(kt, monkeypatch):
    kw.file_january(kt)
    x1b = kt.unit("X1B")
    _at(monkeypatch, datetime(2027, 3, 1))
    monkeypatch.setattr("lhpn.units.services.utcnow", lambda: datetime(2027, 3, 1))
    units.close_unit(None, x1b)  # closed after January's report was due
    db.session.commit()
    codes = ["2027-01", "2027-02", "2027-03"]
    x1 = consolidation.consolidate(kt.unit("X1"), kt.template, codes)
    # X1 and X1A: 3 months each; X1B: January (reported) and February (due 20/03 > 1/3? no:
    # due 20/03/2027, after it closed) → only January.
    assert x1.counts.expected == 2 * 3 + 1
    assert x1.values_by_code()["SO_LUOT"] == 8  # its history stays in the totals
    closed_row = next(r for r in consolidation.consolidate(kt.unit("X1"), kt.template,
                                                           codes).children
                      if r.unit.code == "X1B")
    assert closed_row.counts.expected == 1 and closed_row.unit.closed


def test_a_move_carries_the_reports_and_keeps_the_province_total(kt):
    kw.file_january(kt)
    province_before = _values(kt, "KT")[1]
    units.move_unit(None, kt.unit("X1B"), kt.unit("X2"))
    db.session.commit()
    assert _values(kt, "KT")[1] == province_before
    x1, x1_values = _values(kt, "X1")
    x2, x2_values = _values(kt, "X2")
    assert x1_values["SO_LUOT"] == 8 and x2_values["SO_LUOT"] == 2  # X1B reported 0
    assert x1_values["LON_NHAT"] == 7 and x2_values["LON_NHAT"] == 4
    assert x2_values["TY_LE"] == round(45 * 100 / 150, 1)
    assert (x1.counts.expected, x2.counts.expected) == (2, 3)
    _assert_totals_match_raw(kt)


def test_merging_two_communes_keeps_history_under_the_survivor(kt):
    """A merger: X1's branches move to X2 and X1 closes; X1's own report stays in the province."""
    kw.file_january(kt)
    for code in ("X1A", "X1B"):
        units.move_unit(None, kt.unit(code), kt.unit("X2"))
    units.close_unit(None, kt.unit("X1"))
    db.session.commit()
    province = _values(kt, "KT")
    assert province[1] == kw.EXPECTED["KT"]
    x2 = _values(kt, "X2")[1]
    assert x2["SO_LUOT"] == 5 + 0 + 2
    assert province[0].counts.approved == 4
    _assert_totals_match_raw(kt)


def test_attainment_counts_units_meeting_each_target(kt):
    kw.file_january(kt)
    kw.issue_plan(kt)
    result, _ = _values(kt, "KT")
    assert [plan.number for plan in result.plans] == [""]
    lines = {(a.target.indicator.code, a.target.level, a.target.kind): a
             for a in result.attainment}
    communes = lines[("SO_LUOT", "commune", "count")]
    assert (communes.units, communes.met, communes.attained) == (2, 1, False)
    assert [(m.unit.code, m.value) for m in communes.misses] == [("X2", 2)]
    share = lines[("SO_LUOT", "branch", "share")]
    assert (share.units, share.met, share.share_met, share.attained) == (3, 2, 66.7, True)
    rate = lines[("TY_LE", "branch", "rate")]
    assert (rate.met, rate.attained) == (2, False)
    assert [m.unit.code for m in rate.misses] == ["X1B"]
    # A commune sees the province's targets for its own subtree.
    x1, _ = _values(kt, "X1")
    x1_lines = {(a.target.indicator.code, a.target.level): a for a in x1.attainment}
    assert (x1_lines[("SO_LUOT", "commune")].met, x1_lines[("SO_LUOT", "commune")].units) == (1, 1)
    assert x1_lines[("TY_LE", "branch")].units == 2


def test_no_plan_means_no_attainment(kt):
    kw.file_january(kt)
    result, _ = _values(kt, "KT")
    assert result.plans == [] and result.attainment == []


def test_country_adds_up_the_roots_of_every_tenant(kt):
    kw.file_january(kt)
    figures = consolidation.country("BC_KT", [kw.JAN])
    assert figures["SO_LUOT"] == {"value": 10, "reports": 4}
    assert figures["TY_LE"]["value"] == 34.0
