"""Running totals against races: an approval or a reopen of a branch's report and a move of
that branch, sent at the same moment from two threads (each with its own session and database
connection), in either order the database lets them commit. After every race the running
totals (per period, per year, and the counts) must equal the raw aggregate of the approved
values. Runs on SQLite and, with LHPN_TEST_DATABASE_URL, on PostgreSQL."""

import threading

import pytest
from sqlalchemy import select

from lhpn import authz
from lhpn.accounts.models import User
from lhpn.accounts.services import assign_role
from lhpn.consolidation import rollups
from lhpn.extensions import db
from lhpn.reports import services as reports
from lhpn.reports.models import Report
from lhpn.tenancy import crossing_tenants
from lhpn.units import services as units
from lhpn.units.models import Unit
from tests import consolidation_world as kw

ROUNDS = 30
VALUES = {"SO_LUOT": 7, "NHO_NHAT": 1.5, "LON_NHAT": 6,
          "TY_LE": {"numerator": 3, "denominator": 4}, "CO_KHONG": True, "GHI_CHU": "r"}
EMPTY = (0, None)


@pytest.fixture
def kt(app):
    """The KT province, an approver at both communes (the branch's report may be decided
    wherever the branch stands when the approval reads it) and a report of X2A approved once,
    so that every commune has totals to lose."""
    with app.app_context():
        kt = kw.build()
        approver = kt.user("kt.approver.x1")
        assign_role(None, approver, "approver", kt.unit("X2"))
        kw.file(kt, "X2A", kw.JAN, kw.VALUES["X2A"])
        kw.file(kt, "X1B", kw.JAN, kw.VALUES["X1B"])
        db.session.commit()
    return kt


def _period(round_: int) -> str:
    return f"{2027 + round_ // 12}-{round_ % 12 + 1:02d}"


def _snapshot(tenant_id: int) -> dict:
    """Every running total of the tenant, rows that hold nothing left out (a reopen leaves
    zeros where a rebuild writes no row)."""
    out = {}
    for table, key in ((rollups.ROLLUP, "period"), (rollups.YEARS, "year")):
        c = table.c
        for row in db.session.execute(select(table).where(c.tenant_id == tenant_id)):
            stats = (row.reports, _n(row.total), row.numerator, row.denominator, row.yes,
                     _n(row.minimum), _n(row.maximum))
            if any(s not in EMPTY for s in stats):
                out[(table.name, row.unit_id, row.template_id, getattr(row, key),
                     row.indicator_id)] = stats
    k = rollups.COUNTS.c
    for row in db.session.execute(select(rollups.COUNTS).where(k.tenant_id == tenant_id)):
        if (row.approved, row.on_time) != (0, 0):
            out[("rollup_counts", row.unit_id, row.template_id, row.period)] = (
                row.approved, row.on_time)
    return out


def _n(value):
    return None if value is None else round(float(value), 4)


def assert_totals_equal_raw(kt, periods: list[str], where: str) -> None:
    """The running totals equal a rebuild from the approved reports (rolled back), and every
    unit's period totals equal the plain aggregate over its subtree's raw rows."""
    db.session.rollback()
    kept = _snapshot(kt.tenant_id)
    rollups.rebuild(kt.tenant_id)
    rebuilt = _snapshot(kt.tenant_id)
    db.session.rollback()
    missing = {k: v for k, v in rebuilt.items() if kept.get(k) != v}
    extra = {k: v for k, v in kept.items() if rebuilt.get(k) != v}
    assert kept == rebuilt, f"{where}: totals differ from the raw rows; " \
                            f"should be {missing}, are {extra}"
    for unit in db.session.scalars(select(Unit).where(Unit.tenant_id == kt.tenant_id)):
        raw = {ind: (s["reports"], _n(s["total"]), s["numerator"], s["denominator"], s["yes"],
                     _n(s["minimum"]), _n(s["maximum"]))
               for ind, s in rollups.subtree_values(unit, kt.template_id, periods).items()
               if s["reports"]}
        stored = {}
        for key, stats in kept.items():
            if key[:2] == ("rollups", unit.id) and key[3] in periods:
                stored[key[4]] = _combine(stored.get(key[4]), stats)
        assert stored == raw, f"{where}: {unit.code}"


def _combine(a, b):
    """Two rows of statistics added up as the aggregate does (Σ, and min/max of extremes)."""
    if a is None:
        return b

    def add(x, y):
        return y if x is None else x if y is None else _n(x + y)

    def pick(f, x, y):
        return y if x is None else x if y is None else f(x, y)

    return (a[0] + b[0], add(a[1], b[1]), add(a[2], b[2]), add(a[3], b[3]), a[4] + b[4],
            pick(min, a[5], b[5]), pick(max, a[6], b[6]))


def _race(app, *operations) -> list[str]:
    """Run each ``operation(…)`` in its own thread and app context (its own session and
    connection): each loads what it works on as a request does, all wait at a barrier, then
    each acts and commits. Returns what became of each."""
    barrier = threading.Barrier(len(operations), timeout=30)
    outcomes: list[str] = [""] * len(operations)

    def run(index: int, operation) -> None:
        # A new thread starts outside the tests' crossing (threads do not inherit contextvars).
        with app.app_context(), crossing_tenants("tests"):
            try:
                act = operation()      # loads, returns the action
                barrier.wait()
                act()
                db.session.commit()
                outcomes[index] = "ok"
            except Exception as exc:  # noqa: BLE001 (reported by the assertion below)
                db.session.rollback()
                outcomes[index] = f"{type(exc).__name__}: {exc}"
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, op)) for i, op in enumerate(operations)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def _decision(kt, report_id: int, action: str):
    def load():
        report = db.session.get(Report, report_id)
        approver = kt.user("kt.approver.x1")
        # What the request has read before it acts: the report, its unit and the unit above.
        assert authz.may_decide(approver, report)
        _ = report.values, report.unit.ancestor_ids
        if action == "approve":
            return lambda: reports.approve_report(approver, report)
        return lambda: reports.reopen_report(approver, report, "Sai số liệu")
    return load


def _move(kt, code: str, to: str):
    def load():
        unit, parent = kt.unit(code), kt.unit(to)
        admin = db.session.get(User, kt.users["kt.admin"])
        _ = unit.path, parent.path
        return lambda: units.move_unit(admin, unit, parent)
    return load


def test_approvals_and_reopens_racing_a_move_keep_the_totals_equal_to_the_raw_rows(app, kt):
    periods = [kw.JAN]
    with app.app_context():
        for round_ in range(ROUNDS):
            period = _period(round_)
            periods.append(period)
            report = kw.file(kt, "X1A", period, VALUES, approve=False)
            report_id = report.id
            for action in ("approve", "reopen"):
                here = kt.unit("X1A").parent.code
                there = "X2" if here == "X1" else "X1"
                db.session.remove()
                outcomes = _race(app, _decision(kt, report_id, action),
                                 _move(kt, "X1A", there))
                assert outcomes == ["ok", "ok"], (round_, action, outcomes)
                assert kt.unit("X1A").parent.code == there
                assert_totals_equal_raw(kt, periods, f"round {round_}, {action} vs move")
