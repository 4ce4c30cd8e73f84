"""Consolidation at province and national scale, on SQLite and PostgreSQL: `make bench`.

    .venv/bin/python bench/consolidation.py [--quick] [--no-sqlite] [--no-postgres]
                                            [--no-national] [--runs N] [--approvals N]
                                            [--seconds S] [--clients N] [--workers N]
                                            [--no-pages] [--keep]

Generates its own data with ``flask --app wsgi demo generate`` (lhpn/demo/generate.py) into
throw-away databases — SQLite files in a temporary instance folder, PostgreSQL databases
bench_p (small, then province) and bench_n (national), dropped again at the end — and prints
median timings of:

1. a province's yearly consolidation (``consolidate``) against the bare GROUP BY over the raw
   report values of the same rows (``rollups._raw_query``), a commune's, and the bare SELECT over
   the running totals the consolidation reads;
2. national scale (PostgreSQL): the largest tenant's month and the whole country's month
   (``country``), each against the bare raw aggregate;
3. one approval + commit (``approve_report``), and ``rollups.add`` alone, on the small, province
   and national trees;
4. requests/s of /healthz, the dashboard / and the consolidation page under concurrent clients
   against gunicorn on loopback, with the page cache on (hits), off (every page built), and
   on while a report is approved every 2 s (each approval makes the tenant's pages stale);
5. approvals per second over the API against gunicorn: one approver after another, several
   at once, and several at once while their branches are moved back and forth (``--no-pages``
   skips section 4, for measuring approvals alone).

PostgreSQL: BENCH_PG_HOST (127.0.0.1), BENCH_PG_PORT (5432), BENCH_PG_USER (postgres), and
BENCH_PG_ADMIN_DB (test, where CREATE/DROP DATABASE are run through psql), BENCH_PG_PREFIX
(bench: the databases are bench_p and bench_n). When it cannot be reached the PostgreSQL part
is skipped (and said so).
"""

import argparse
import contextlib
import http.client
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import date
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
YEAR = 2027
PG = {
    "host": os.environ.get("BENCH_PG_HOST", "127.0.0.1"),
    "port": os.environ.get("BENCH_PG_PORT", "5432"),
    "user": os.environ.get("BENCH_PG_USER", "postgres"),
    "admin_db": os.environ.get("BENCH_PG_ADMIN_DB", "test"),
    # The throw-away databases are PREFIX_p and PREFIX_n.
    "prefix": os.environ.get("BENCH_PG_PREFIX", "bench"),
}
SECRET = "bench-secret-key-not-for-production"  # noqa: S105 (throw-away databases only)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# ---- results --------------------------------------------------------------------------------

@dataclass
class Results:
    rows: list = field(default_factory=list)   # (section, what, engine, text)
    notes: list = field(default_factory=list)

    def add(self, section: str, what: str, engine: str, text: str) -> None:
        self.rows.append((section, what, engine, text))
        log(f"  {engine:<10} {what}: {text}")

    def table(self) -> str:
        engines = []
        for _s, _w, engine, _t in self.rows:
            if engine not in engines:
                engines.append(engine)
        keys = []
        cells = {}
        for section, what, engine, text in self.rows:
            if (section, what) not in keys:
                keys.append((section, what))
            cells[(section, what, engine)] = text
        lines = ["| | what | " + " | ".join(engines) + " |",
                 "|---|---|" + "---|" * len(engines)]
        for section, what in keys:
            values = [cells.get((section, what, e), "—") for e in engines]
            lines.append(f"| {section} | {what} | " + " | ".join(values) + " |")
        return "\n".join(lines)


def ms(value: float) -> str:
    return f"{value:.1f} ms" if value < 100 else f"{value:.0f} ms"


def timed(fn, runs: int, before=None) -> list[float]:
    """Milliseconds of ``fn()`` per run; ``before()`` (untimed) runs ahead of each."""
    samples = []
    for _ in range(runs):
        if before is not None:
            before()
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def summary(samples: list[float]) -> str:
    return (f"{ms(statistics.median(samples))} (min {ms(min(samples))}, "
            f"n={len(samples)})")


# ---- data sets --------------------------------------------------------------------------------

@dataclass
class DataSet:
    engine: str        # "SQLite" / "PostgreSQL"
    scale: str
    url: str
    instance: Path
    pg_name: str | None = None

    def env(self) -> dict:
        return {**os.environ, "LHPN_INSTANCE_PATH": str(self.instance),
                "LHPN_DATABASE_URL": self.url, "LHPN_SECRET_KEY": SECRET,
                "PYTHONUNBUFFERED": "1"}


def flask(data: DataSet, *args: str) -> None:
    cmd = [sys.executable, "-m", "flask", "--app", "wsgi", *args]
    proc = subprocess.run(cmd, cwd=ROOT, env=data.env(), text=True,  # noqa: S603
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    for line in proc.stdout.splitlines():
        if line.strip() and "[alembic." not in line:
            log(f"    {line}")
    if proc.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed ({proc.returncode})")


def generate(data: DataSet) -> float:
    start = time.perf_counter()
    log(f"{data.engine}: schema and data set '{data.scale}' → {data.pg_name or data.url}")
    flask(data, "db", "upgrade")
    flask(data, "demo", "generate", "--scale", data.scale, "--year", str(YEAR))
    return time.perf_counter() - start


def psql(sql: str) -> subprocess.CompletedProcess:
    cmd = ["psql", "-h", PG["host"], "-p", PG["port"], "-U", PG["user"], "-d", PG["admin_db"],
           "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-c", sql]
    return subprocess.run(cmd, text=True, capture_output=True, timeout=120)  # noqa: S603


def pg_available() -> str | None:
    """PostgreSQL's version when it can be reached through psql, else None."""
    if shutil.which("psql") is None:
        return None
    try:
        proc = psql("SHOW server_version")
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def pg_recreate(name: str) -> None:
    pg_drop(name)
    proc = psql(f"CREATE DATABASE {name}")
    if proc.returncode != 0:
        raise RuntimeError(f"CREATE DATABASE {name}: {proc.stderr.strip()}")


def pg_drop(name: str) -> None:
    proc = psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    if proc.returncode != 0:
        raise RuntimeError(f"DROP DATABASE {name}: {proc.stderr.strip()}")


def pg_url(name: str) -> str:
    return f"postgresql+psycopg://{PG['user']}@{PG['host']}:{PG['port']}/{name}"


# ---- in-process measurements ------------------------------------------------------------------

@contextlib.contextmanager
def app_for(data: DataSet):
    os.environ["LHPN_INSTANCE_PATH"] = str(data.instance)
    from lhpn import create_app
    from lhpn.extensions import db

    # Cheap password hashing for the approvers the benchmark creates (not what is measured).
    app = create_app({"SQLALCHEMY_DATABASE_URI": data.url, "SECRET_KEY": SECRET,
                      "LHPN_ARGON2_TIME_COST": 1, "LHPN_ARGON2_MEMORY_KIB": 1024})
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


def fresh_session() -> None:
    """What a new request starts from: nothing loaded, no transaction open."""
    from lhpn.extensions import db

    db.session.rollback()
    db.session.expunge_all()


def tenant_root(code: str):
    from sqlalchemy import select

    from lhpn.demo.generate import TEMPLATE_CODE
    from lhpn.extensions import db
    from lhpn.reports.models import ReportTemplate
    from lhpn.tenants.models import Tenant
    from lhpn.units.services import root_of

    tenant = db.session.scalar(select(Tenant).where(Tenant.code == code))
    template = db.session.scalar(select(ReportTemplate).where(
        ReportTemplate.tenant_id == tenant.id, ReportTemplate.code == TEMPLATE_CODE))
    return tenant, root_of(tenant.id), template


def rollup_select(unit_ids, template, codes):
    """The SELECT over the running totals that a consolidation reads for a unit and children:
    the year totals for a whole year of a monthly form, else the periods' own."""
    from sqlalchemy import select

    from lhpn.consolidation import rollups, services

    model, when = services._totals(template, list(codes))
    return (select(model.unit_id, model.indicator_id, *rollups.aggregates(model.__table__))
            .where(model.tenant_id == template.tenant_id, model.unit_id.in_(list(unit_ids)),
                   model.template_id == template.id, when)
            .group_by(model.unit_id, model.indicator_id))


def check_equal(root, template_id: int, codes) -> bool:
    """The running totals of the root (the periods' and, for a whole year, the year's) equal
    the raw aggregate (sanity check, untimed)."""
    from sqlalchemy import func, select

    from lhpn.consolidation import rollups, services
    from lhpn.consolidation.models import Rollup
    from lhpn.extensions import db
    from lhpn.reports.models import ReportTemplate

    raw = rollups.subtree_values(root, template_id, codes)
    template = db.session.get(ReportTemplate, template_id)
    sources = [(Rollup, Rollup.period.in_(codes)), services._totals(template, list(codes))]
    for model, when in sources:
        kept = {row.indicator_id: row for row in db.session.execute(
            select(model.indicator_id, func.sum(model.reports).label("reports"),
                   func.sum(model.total).label("total"), func.sum(model.yes).label("yes"))
            .where(model.unit_id == root.id, model.template_id == template_id, when)
            .group_by(model.indicator_id))}
        if len(kept) != len(raw):
            return False
        for indicator_id, stats in raw.items():
            row = kept.get(indicator_id)
            if row is None or int(row.reports) != int(stats["reports"]) or int(
                    row.yes) != int(stats["yes"]):
                return False
            if (row.total is None) != (stats["total"] is None) or (
                    row.total is not None
                    and abs(float(row.total) - float(stats["total"])) > 1e-6):
                return False
    return True


def measure_consolidation(results: Results, data: DataSet, runs: int) -> None:
    """Section 1: a province's year (or, --quick, the small tree's two months)."""
    from sqlalchemy import select

    from lhpn.consolidation import rollups, services
    from lhpn.extensions import db
    from lhpn.reports.models import ReportTemplate
    from lhpn.tenancy import acting_for
    from lhpn.units.models import Unit

    engine = data.engine
    months = 12 if data.scale == "province" else 2
    with app_for(data):
        tenant, root, template = tenant_root("GEN01")
        with acting_for(tenant.id):
            codes = services.resolve_periods(template, None, f"{YEAR}-01",
                                             f"{YEAR}-{months:02d}")
            commune = db.session.scalar(select(Unit).where(Unit.parent_id == root.id)
                                        .order_by(Unit.id).limit(1))
            ids = (root.id, template.id, commune.id)
            children = db.session.scalars(select(Unit.id).where(Unit.parent_id == root.id)).all()
            same = check_equal(root, template.id, codes)
            results.notes.append(f"{engine} {data.scale}: running totals of the root == raw "
                                 f"aggregate over {len(codes)} periods: {same}")
            label = f"{data.scale}, {len(codes)} months"

            def unit(uid):
                return db.session.get(Unit, uid)

            def cons(uid):
                return lambda: services.consolidate(unit(uid), db.session.get(
                    ReportTemplate, ids[1]), codes)

            def raw(uid):
                return lambda: rollups._raw_query(unit(uid), [ids[1]], codes)

            cons(ids[0])()   # warm (compiled statement caches, connections)
            raw(ids[0])()
            c = timed(cons(ids[0]), runs, fresh_session)
            r = timed(raw(ids[0]), runs, fresh_session)
            tot = timed(lambda: db.session.execute(rollup_select(
                [ids[0], *children], db.session.get(ReportTemplate, ids[1]), codes)).all(),
                runs, fresh_session)
            cc = timed(cons(ids[2]), runs, fresh_session)
            cr = timed(raw(ids[2]), runs, fresh_session)
    sec = "1 province year" if data.scale == "province" else "1 small tree"
    ratio = statistics.median(c) / statistics.median(r)
    results.add(sec, f"consolidate(root) [{label}]", engine, summary(c))
    results.add(sec, "bare raw GROUP BY over report_values (root subtree)", engine, summary(r))
    results.add(sec, "ratio consolidate / bare SQL (goal ≤ 1.5×, ≤ 150 ms)", engine,
                f"{ratio:.2f}×")
    results.add(sec, f"bare SELECT over running totals (root + {len(children)} children)",
                engine, summary(tot))
    results.add(sec, "consolidate(one commune)", engine, summary(cc))
    results.add(sec, "bare raw GROUP BY (one commune)", engine,
                f"{summary(cr)}; ratio {statistics.median(cc) / statistics.median(cr):.2f}×")


def measure_national(results: Results, data: DataSet, runs: int) -> None:
    """Section 2: the largest tenant's month and the country's month."""
    from sqlalchemy import func, select

    from lhpn.consolidation import rollups, services
    from lhpn.demo.generate import TEMPLATE_CODE
    from lhpn.extensions import db
    from lhpn.indicators.models import Indicator
    from lhpn.reports.models import Report, ReportTemplate, ReportValue
    from lhpn.tenancy import acting_for
    from lhpn.tenants.models import Tenant
    from lhpn.units.models import Unit

    codes = [f"{YEAR}-01"]
    with app_for(data):
        tenant_id, units = db.session.execute(
            select(Unit.tenant_id, func.count()).group_by(Unit.tenant_id)
            .order_by(func.count().desc()).limit(1)).one()
        code = db.session.scalar(select(Tenant.code).where(Tenant.id == tenant_id))
        tenant, root, template = tenant_root(code)
        rid, tid = root.id, template.id
        with acting_for(tenant.id):
            def cons():
                services.consolidate(db.session.get(Unit, rid),
                                     db.session.get(ReportTemplate, tid), codes)

            def raw():
                rollups._raw_query(db.session.get(Unit, rid), [tid], codes)

            cons()
            raw()
            c = timed(cons, runs, fresh_session)
            r = timed(raw, runs, fresh_session)
            # Where the time of the tenant's consolidation goes (one run each, for the notes).
            fresh_session()
            unit, tpl = db.session.get(Unit, rid), db.session.get(ReportTemplate, tid)
            plain = timed(lambda: services.consolidate(unit, tpl, codes, attainment=False),
                          runs, None)
        sec = "2 national month"
        label = f"{code}, {units:,} units"
        results.add(sec, f"consolidate(largest tenant root) [{label}] (goal ≤ 1 s)",
                    data.engine, summary(c))
        results.add(sec, "… of which without plan attainment (attainment=False)", data.engine,
                    summary(plain))
        results.add(sec, "bare raw GROUP BY (tenant subtree)", data.engine,
                    f"{summary(r)}; ratio {statistics.median(c) / statistics.median(r):.2f}×")

        def country_raw():
            rows = (select(Indicator.code.label("code"), *rollups._value_columns())
                    .select_from(ReportValue)
                    .join(Report, Report.id == ReportValue.report_id)
                    .join(ReportTemplate, ReportTemplate.id == Report.template_id)
                    .join(Indicator, Indicator.id == ReportValue.indicator_id)
                    .where(ReportTemplate.code == TEMPLATE_CODE, Report.period.in_(codes),
                           Report.status == "approved")).subquery()
            return db.session.execute(
                select(rows.c.code, *rollups.aggregates(rows)).group_by(rows.c.code)).all()

        with acting_for(None):
            whole = services.country(TEMPLATE_CODE, codes)
            raw_rows = {row.code: row for row in country_raw()}
            same = all(whole[k]["reports"] == int(raw_rows[k].reports) for k in whole) and (
                set(whole) == set(raw_rows))
            results.notes.append(f"{data.engine} national: country() report counts == raw "
                                 f"aggregate for {len(whole)} indicators: {same}")
            c = timed(lambda: services.country(TEMPLATE_CODE, codes), runs, fresh_session)
            r = timed(country_raw, max(3, runs // 2), fresh_session)
        results.add(sec, "country(BC_TONGHOP, 2027-01) (goal ≤ 3 s)", data.engine, summary(c))
        results.add(sec, "bare raw GROUP BY over every approved value of 2027-01",
                    data.engine,
                    f"{summary(r)}; ratio {statistics.median(c) / statistics.median(r):.3f}×")


def bench_approver(tenant_id: int, username: str, unit_ids: list[int]):
    """The benchmark's approver at these units, created the first time (a kept database is
    measured again with the same users)."""
    from sqlalchemy import select

    from lhpn.accounts.models import User
    from lhpn.accounts.services import assign_role, create_user
    from lhpn.demo.generate import password
    from lhpn.extensions import db
    from lhpn.units.models import Unit

    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        user = create_user(None, tenant_id=tenant_id, username=username, password=password(),
                           full_name="Người duyệt (bench)",
                           unit=db.session.get(Unit, unit_ids[0]))
        for unit_id in unit_ids:
            assign_role(None, user, "approver", db.session.get(Unit, unit_id))
    return user


def measure_approvals(results: Results, data: DataSet, count: int) -> None:
    """Section 3: approve_report + commit, and rollups.add alone (rolled back)."""
    from sqlalchemy import func, select

    from lhpn.consolidation import rollups
    from lhpn.extensions import db
    from lhpn.reports.models import Report
    from lhpn.reports.services import approve_report
    from lhpn.tenancy import acting_for
    from lhpn.units.models import Unit

    with app_for(data):
        tenant, root, template = tenant_root("GEN01")
        units_in_tree = db.session.scalar(select(func.count()).select_from(Unit).where(
            Unit.tenant_id == tenant.id))
        tid, template_id, root_id = tenant.id, template.id, root.id
        with acting_for(tid):
            # Branch reports (three running-total rows per indicator: branch, commune, root),
            # approved by an approver at their commune; communes with most waiting first.
            branch = Unit.__table__.alias("branch")
            waiting = db.session.execute(
                select(Report.id, branch.c.parent_id)
                .join(branch, branch.c.id == Report.unit_id)
                .where(Report.tenant_id == tid, Report.template_id == template.id,
                       Report.status == "submitted", branch.c.depth == 2)
                .order_by(Report.period, Report.id)).all()
            by_commune: dict[int, list[int]] = {}
            for report_id, commune_id in waiting:
                by_commune.setdefault(commune_id, []).append(report_id)
            pool: list[tuple[int, int]] = []
            for commune_id, ids in sorted(by_commune.items(), key=lambda kv: -len(kv[1])):
                pool += [(rid, commune_id) for rid in ids]
                if len(pool) >= count:
                    break
            pool = pool[:count]

            if len(pool) < count:
                approved = db.session.execute(
                    select(Report.id, branch.c.parent_id)
                    .join(branch, branch.c.id == Report.unit_id)
                    .where(Report.tenant_id == tid, Report.status == "approved",
                           branch.c.depth == 2).order_by(Report.id)).all()
                for report_id, commune_id in approved[:count - len(pool)]:
                    put_back(report_id)
                    pool.append((report_id, commune_id))
            # Each waiting report once; when there are fewer than ``count`` (small tree), again
            # after being put back.
            schedule = [pool[i % len(pool)] for i in range(count)] if pool else []
            topped_up = count - len(pool) + sum(1 for rid, _c in pool if rid not in
                                                {r for r, _c in waiting})
            approvers = {}
            for commune_id in sorted({c for _r, c in pool}):
                approvers[commune_id] = bench_approver(tid, f"bench.duyet{commune_id}",
                                                       [commune_id]).id
            db.session.commit()

            from lhpn.accounts.models import User

            adds = []
            for report_id, _commune in schedule:
                fresh_session()
                report = db.session.get(Report, report_id)
                _ = report.unit.ancestor_ids, report.values
                start = time.perf_counter()
                rollups.add(report)
                adds.append((time.perf_counter() - start) * 1000)
                db.session.rollback()
            approvals, failed = [], 0
            for report_id, commune_id in schedule:
                fresh_session()
                if db.session.get(Report, report_id).status == "approved":
                    put_back(report_id)
                    fresh_session()
                report = db.session.get(Report, report_id)
                _ = report.values
                approver = db.session.get(User, approvers[commune_id])
                start = time.perf_counter()
                try:
                    approve_report(approver, report)
                    db.session.commit()
                except Exception as exc:  # noqa: BLE001 (counted and shown)
                    db.session.rollback()
                    failed += 1
                    log(f"    approval of report {report_id} failed: {exc}")
                    continue
                approvals.append((time.perf_counter() - start) * 1000)
            fresh_session()
            same = check_equal(db.session.get(Unit, root_id), template_id,
                               [f"{YEAR}-{m:02d}" for m in range(1, 13)])
            results.notes.append(f"{data.engine} {data.scale}: after {len(approvals)} "
                                 f"approvals, running totals == raw aggregate: {same}")
    sec = "3 one approval"
    label = f"{data.scale}, {units_in_tree:,} units in tenant"
    extra = f", {topped_up} of them put back to submitted first" if topped_up else ""
    if approvals:
        add_med, app_med = statistics.median(adds), statistics.median(approvals)
        results.add(sec, f"approve_report + commit [{label}] (goal ≤ 20 ms)", data.engine,
                    f"{summary(approvals)}{', ' + str(failed) + ' failed' if failed else ''}"
                    f"{extra}")
        results.add(sec, f"rollups.add alone [{data.scale}] (rolled back)", data.engine,
                    f"{summary(adds)}; {add_med * 100 / app_med:.0f}% of the approval")
    else:
        results.add(sec, f"approve_report + commit [{label}]", data.engine,
                    f"no approval succeeded ({failed} failed)")


def put_back(report_id: int) -> None:
    """An approved report made "submitted" again, taken out of the running totals first as a
    reopen would (untimed; a small tree has too few waiting reports)."""
    from sqlalchemy import update

    from lhpn.consolidation import rollups
    from lhpn.extensions import db
    from lhpn.reports.models import Report

    report = db.session.get(Report, report_id)
    report.status = "returned"  # no longer approved for remove()'s raw min/max
    db.session.flush()
    rollups.remove(report)
    db.session.execute(update(Report).where(Report.id == report_id)
                       .values(status="submitted"))
    db.session.commit()


class Approver(threading.Thread):
    """Approves one waiting branch report every ``every`` seconds through ``approve_report``
    (in this process, against the same database), while the clients read: each approval makes
    every cached page of the tenant stale, as at a busy month-end."""

    def __init__(self, data: DataSet, every: float):
        super().__init__(daemon=True)
        self.data, self.every = data, every
        self.stop = threading.Event()
        self.done, self.failed = 0, 0
        self.died = ""

    def run(self) -> None:
        # A thread that dies prints its traceback and is forgotten: say so in the results.
        try:
            self._approve_waiting()
        except Exception as exc:
            self.died = f"{type(exc).__name__}: {exc}"[:200]
            raise

    def _approve_waiting(self) -> None:
        from sqlalchemy import select

        from lhpn.accounts.services import assign_role, create_user
        from lhpn.demo.generate import password
        from lhpn.extensions import db
        from lhpn.reports.models import Report
        from lhpn.reports.services import approve_report
        from lhpn.tenancy import acting_for, crossing_tenants
        from lhpn.units.models import Unit

        # A thread starts outside the main thread's crossing (contextvars are not inherited).
        with app_for(self.data), crossing_tenants("bench"):
            tenant, _root, template = tenant_root("GEN01")
            with acting_for(tenant.id):
                branch = Unit.__table__.alias("branch")
                waiting = db.session.execute(
                    select(Report.id, branch.c.parent_id)
                    .join(branch, branch.c.id == Report.unit_id)
                    .where(Report.tenant_id == tenant.id, Report.template_id == template.id,
                           Report.status == "submitted", branch.c.depth == 2)
                    .order_by(Report.period.desc(), Report.id)).all()
                approvers = {}
                for report_id, commune_id in waiting:
                    if self.stop.wait(self.every):
                        return
                    try:
                        if commune_id not in approvers:
                            user = create_user(None, tenant_id=tenant.id,
                                               username=f"bench.mix{commune_id}",
                                               password=password(), full_name="Người duyệt",
                                               unit=db.session.get(Unit, commune_id))
                            assign_role(None, user, "approver", user.unit)
                            db.session.commit()
                            approvers[commune_id] = user
                        approve_report(approvers[commune_id], db.session.get(Report, report_id))
                        db.session.commit()
                        self.done += 1
                    except Exception as exc:  # noqa: BLE001 (counted and shown)
                        db.session.rollback()
                        self.failed += 1
                        log(f"    approval during the load failed: {exc}")


# ---- throughput against gunicorn ----------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, data: DataSet, workers: int, logdir: Path, env: dict | None = None):
        self.port = free_port()
        self.log = logdir / f"gunicorn-{data.engine.lower()}-{data.scale}-{self.port}.log"
        cmd = [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b",
               f"127.0.0.1:{self.port}", "--access-logfile", "-", "--log-level", "warning",
               "wsgi:app"]
        self.handle = self.log.open("w")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env={**data.env(), **(env or {})},  # noqa: S603
                                     stdout=subprocess.DEVNULL, stderr=self.handle,
                                     start_new_session=True)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.proc.returncode}); see {self.log}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    conn.close()
                    return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("gunicorn did not answer /healthz within 60 s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.handle.close()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def login(port: int, username: str, password: str) -> str:
    """A real session: GET /login for the CSRF token, POST the form (answered by a redirect
    away from /login); the Cookie header to send."""
    import re

    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect)
    base = f"http://127.0.0.1:{port}"
    html = opener.open(f"{base}/login", timeout=30).read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    form = urllib.parse.urlencode({"username": username, "password": password,
                                   "csrf_token": token}).encode()
    try:
        page = opener.open(f"{base}/login", data=form, timeout=30)
        status, where = page.status, page.url
    except urllib.error.HTTPError as exc:
        status, where = exc.code, exc.headers.get("Location", "")
    if status not in (302, 303) or "/login" in where:
        raise RuntimeError(f"log-in as {username} failed ({status} {where})")
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def load(port: int, path: str, cookies: list[str], clients: int, seconds: float
         ) -> tuple[float, int, int]:
    """requests/s, requests, failures (any status but 200, or an error); client i sends
    cookies[i] (its own session, as separate browsers would)."""
    deadline = [0.0]
    counts = [[0, 0] for _ in range(clients)]
    barrier = threading.Barrier(clients + 1)

    def client(slot: int) -> None:
        headers = {"Cookie": cookies[slot % len(cookies)], "Connection": "keep-alive"}
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        barrier.wait()
        while time.perf_counter() < deadline[0]:
            try:
                conn.request("GET", path, headers=headers)
                resp = conn.getresponse()
                resp.read()
                counts[slot][0] += 1
                if resp.status != 200:
                    counts[slot][1] += 1
                if resp.will_close:
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            except (OSError, http.client.HTTPException):
                counts[slot][0] += 1
                counts[slot][1] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.close()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    start = time.perf_counter()
    deadline[0] = start + seconds
    barrier.wait()
    for t in threads:
        while t.is_alive():
            t.join(0.5)
    elapsed = time.perf_counter() - start
    total = sum(c[0] for c in counts)
    return total / elapsed, total, sum(c[1] for c in counts)


def measure_throughput(results: Results, data: DataSet, args, logdir: Path,
                       cache: bool = True, approve_every: float | None = None) -> None:
    """Requests/s of the pages against /healthz. With the page cache on (the default set-up),
    nothing changes during the run, so after each worker's first look the pages are cache hits;
    with it off (``LHPN_CACHE_TYPE=NullCache``) every request builds its page, as the first
    look after an approval does. With ``approve_every``, a report is approved every so many
    seconds during the load (``Approver``)."""
    from lhpn.demo.generate import password

    with app_for(data):
        root_id = tenant_root("GEN01")[1].id
    server = Server(data, args.workers, logdir,
                    None if cache else {"LHPN_CACHE_TYPE": "NullCache"})
    sec = "4 requests/s" if cache else "4 requests/s, page cache off"
    if approve_every:
        sec = f"4 requests/s, an approval every {approve_every:g} s"
    approver = None
    try:
        cookies = [login(server.port, "gen01.chutich", password())
                   for _ in range(args.clients)]
        paths = {"/healthz": "/healthz", "dashboard / (default period)": "/",
                 f"dashboard /?period={YEAR}-01": f"/?period={YEAR}-01",
                 "consolidation page (root, 2027-01)":
                     f"/units/{root_id}/consolidation?template=BC_TONGHOP&period={YEAR}-01"}
        for name, path in paths.items():  # one client, one request at a time; warms workers
            latency = []
            for _ in range(args.workers + 5):
                start = time.perf_counter()
                ok = load_one(server.port, path, cookies[0])
                latency.append((time.perf_counter() - start) * 1000)
            results.add(sec, f"{name}: one request alone (1 client)", data.engine,
                        f"{ms(statistics.median(latency[args.workers:]))}"
                        f"{'' if ok else ' (not 200!)'}")
        if approve_every:
            approver = Approver(data, approve_every)
            approver.start()
        # Interleaved rounds, so that a noisy neighbour hurts every page alike; the ratio to
        # /healthz is taken within each round, then the median over rounds.
        rounds = 3
        rates: dict[str, list[float]] = {name: [] for name in paths}
        ratios: dict[str, list[float]] = {name: [] for name in paths}
        totals = dict.fromkeys(paths, 0)
        failures = dict.fromkeys(paths, 0)
        anonymous = []
        for _ in range(rounds):
            anonymous.append(load(server.port, "/healthz", [""], args.clients,
                                  args.seconds / rounds / 2)[0])
            for name, path in paths.items():
                rate, total, failed = load(server.port, path, cookies, args.clients,
                                           args.seconds / rounds)
                rates[name].append(rate)
                ratios[name].append(rate / rates["/healthz"][-1])
                totals[name] += total
                failures[name] += failed
        setup = f"{args.clients} clients (own sessions), {args.workers} workers, {data.scale}"
        results.add(sec, f"/healthz without a session [{setup}]", data.engine,
                    f"{statistics.median(anonymous):.0f}/s")
        for name in paths:
            ratio = "" if name == "/healthz" else (
                f"; {statistics.median(ratios[name]):.2f}× /healthz")
            what = (f"{name}, logged in [{setup}]" if name == "/healthz" else
                    f"{name} (goal ≥ 0.5× /healthz)")
            results.add(sec, what, data.engine,
                        f"{statistics.median(rates[name]):.0f}/s ({totals[name]:,} requests, "
                        f"{failures[name]} not 200){ratio}")
            if failures[name]:
                results.notes.append(f"{data.engine} {name}: {failures[name]} responses were not "
                                     f"200; server log: {last_error(server.log)}")
        if approver is not None:
            approver.stop.set()
            approver.join()
            failed = f", {approver.failed} failed" if approver.failed else ""
            failed += f", the approver stopped: {approver.died}" if approver.died else ""
            results.add(sec, "approvals during the load", data.engine,
                        f"{approver.done}{failed}")
    finally:
        if approver is not None:
            approver.stop.set()
        server.stop()


def load_one(port: int, path: str, cookie: str) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("GET", path, headers={"Cookie": cookie})
        resp = conn.getresponse()
        resp.read()
        return resp.status == 200
    finally:
        conn.close()


def last_error(log_file: Path) -> str:
    """The last line of the last traceback in gunicorn's log (what broke)."""
    found = ""
    with contextlib.suppress(OSError):
        for line in log_file.read_text(errors="replace").splitlines():
            if line and not line.startswith((" ", "Traceback", "[")) and (
                    "Error" in line or "Exception" in line):
                found = line.strip()
    return found or "(no traceback)"


# ---- approvals at once, over the API -------------------------------------------------------------

def api_call(port: int, method: str, path: str, token: str | None = None,
             body: dict | None = None) -> tuple[int, dict]:
    import json

    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request(method, f"/api/v1{path}", body=json.dumps(body or {}), headers=headers)
        resp = conn.getresponse()
        raw = resp.read()
        return resp.status, (json.loads(raw) if raw else {})
    finally:
        conn.close()


def totals_snapshot(unit_ids) -> dict:
    """The running totals of some units (period, year and counts), rows holding nothing left
    out (a reopen leaves zeros where a rebuild writes no row)."""
    from sqlalchemy import select

    from lhpn.consolidation import rollups
    from lhpn.extensions import db

    out = {}
    for table, key in ((rollups.ROLLUP, "period"), (rollups.YEARS, "year")):
        for row in db.session.execute(select(table).where(table.c.unit_id.in_(unit_ids))):
            stats = tuple(None if v is None else round(float(v), 4)
                          for v in (row._mapping[k] for k in rollups.STATS))
            if any(v not in (0, None) for v in stats):
                out[(table.name, row.unit_id, row.template_id, row._mapping[key],
                     row.indicator_id)] = stats
    k = rollups.COUNTS
    for row in db.session.execute(select(k).where(k.c.unit_id.in_(unit_ids))):
        if row.approved or row.on_time:
            out[("counts", row.unit_id, row.template_id, row.period)] = (row.approved,
                                                                           row.on_time)
    return out


def totals_match_rebuild(unit_ids) -> tuple[bool, int]:
    """Whether the running totals of the units equal their rebuild from the approved raw rows
    (``rollups.rebuild_units``, rolled back); and how many rows differ."""
    from sqlalchemy import select

    from lhpn.consolidation import rollups
    from lhpn.extensions import db
    from lhpn.units.models import Unit

    fresh_session()
    kept = totals_snapshot(unit_ids)
    rollups.rebuild_units(db.session.scalars(select(Unit).where(Unit.id.in_(unit_ids))).all())
    rebuilt = totals_snapshot(unit_ids)
    db.session.rollback()
    differ = {key for key in kept.keys() | rebuilt.keys() if kept.get(key) != rebuilt.get(key)}
    return not differ, len(differ)


def measure_concurrent_approvals(results: Results, data: DataSet, args, logdir: Path) -> None:
    """Section 5: approvals per second over the API against gunicorn (``--workers``), sent by
    the approvers of several communes, each approving its own branches' reports: one after
    another, then one client per commune at once, then at once while the tenant admin moves
    those branches between their commune and a spare one and back (the race that the tree lock
    of lhpn/units/locks.py serialises). Afterwards the running totals of every unit involved
    must equal their rebuild from the raw rows."""
    from sqlalchemy import select

    from lhpn.demo.generate import password
    from lhpn.extensions import db
    from lhpn.reports.models import Report
    from lhpn.tenancy import acting_for
    from lhpn.units.models import Unit

    per = 8 if data.scale == "small" else 15
    with app_for(data):
        tenant, root, _template = tenant_root("GEN01")
        tid, root_id = tenant.id, root.id
        with acting_for(tid):
            communes = db.session.scalars(select(Unit.id).where(Unit.parent_id == root_id)
                                          .order_by(Unit.id)).all()
            clients = min(args.workers, len(communes) - 1)
            chosen, spare = communes[:clients], communes[clients]
            jobs: dict[int, list[int]] = {}
            for commune_id in chosen:
                rows = db.session.execute(
                    select(Report.id, Report.status).join(Unit, Unit.id == Report.unit_id)
                    .where(Unit.parent_id == commune_id,
                           Report.status.in_(("submitted", "approved")))
                    .order_by(Report.status.desc(), Report.period, Report.id)).all()
                jobs[commune_id] = [report_id for report_id, _status in rows[:per]]
            branches = sorted(set(db.session.scalars(
                select(Report.unit_id).where(Report.id.in_(
                    [r for ids in jobs.values() for r in ids])))))
            home = dict(db.session.execute(select(Unit.id, Unit.parent_id)
                                           .where(Unit.id.in_(branches))).all())
            for commune_id in chosen:
                # Also at the spare commune: the branch may stand there when it is approved.
                bench_approver(tid, f"bench.dong{commune_id}", [commune_id, spare])
            db.session.commit()

        def reset() -> None:
            with acting_for(tid):
                for ids in jobs.values():
                    for report_id in ids:
                        fresh_session()
                        if db.session.get(Report, report_id).status == "approved":
                            put_back(report_id)
                fresh_session()

        involved = [root_id, *chosen, spare, *branches]
        server = Server(data, args.workers, logdir)
        sec = "5 approvals at once (API, gunicorn)"
        setup = (f"{len(chosen)} communes × {per} branch reports, {args.workers} workers, "
                 f"{data.scale}")
        try:
            tokens = {c: api_call(server.port, "POST", "/auth/token", body={
                "username": f"bench.dong{c}", "password": password()})[1]["token"]
                for c in chosen}
            admin = api_call(server.port, "POST", "/auth/token", body={
                "username": "gen01.admin", "password": password()})[1]["token"]
            for _ in range(2 * args.workers):  # every worker has loaded what a call needs
                for token in (admin, *tokens.values()):
                    api_call(server.port, "GET", f"/reports/{jobs[chosen[0]][0]}", token)

            def approve(commune_id: int, ids: list[int], latency: list, failed: list) -> None:
                for report_id in ids:
                    start = time.perf_counter()
                    status, body = api_call(server.port, "POST",
                                            f"/reports/{report_id}/approve", tokens[commune_id])
                    latency.append((time.perf_counter() - start) * 1000)
                    if status != 200:
                        failed.append(f"{status} {str(body)[:160]}")

            def run(at_once: bool, moving: bool) -> tuple[float, list, list, int]:
                latency: list[float] = []
                failed: list[str] = []
                moves = [0]
                done = threading.Event()

                def mover() -> None:
                    while not done.is_set():
                        for branch_id in branches:
                            if done.is_set():
                                break
                            status, path = api_call(server.port, "GET", f"/units/{branch_id}",
                                                    admin)
                            there = spare if path.get("parent_id") == home[branch_id] \
                                else home[branch_id]
                            status, body = api_call(server.port, "POST",
                                                    f"/units/{branch_id}/move", admin,
                                                    {"parent_id": there})
                            moves[0] += 1
                            if status != 200:
                                failed.append(f"move {status} {str(body)[:160]}")

                if at_once:
                    threads = [threading.Thread(target=approve, args=(c, ids, latency, failed))
                               for c, ids in jobs.items()]
                else:
                    order = [(c, r) for i in range(per) for c, ids in jobs.items()
                             for r in ids[i:i + 1]]
                    threads = [threading.Thread(target=lambda: [
                        approve(c, [r], latency, failed) for c, r in order])]
                helper = threading.Thread(target=mover) if moving else None
                start = time.perf_counter()
                if helper is not None:
                    helper.start()
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                elapsed = time.perf_counter() - start
                done.set()
                if helper is not None:
                    helper.join()
                return elapsed, latency, failed, moves[0]

            def report(what: str, outcome, base: float | None = None) -> float:
                elapsed, latency, failed, moves = outcome
                rate = (len(latency) - len([f for f in failed if not f.startswith("move")])
                        ) / elapsed
                extra = f"; {rate / base:.2f}× one after another" if base else ""
                moved = f", {moves} moves meanwhile" if moves else ""
                results.add(sec, what, data.engine,
                            f"{rate:.1f} approvals/s (median {ms(statistics.median(latency))}"
                            f"{moved}, {len(failed)} failed){extra}")
                for failure in failed[:3]:
                    results.notes.append(f"{data.engine} {what}: {failure}")
                return rate

            reset()
            base = report(f"one approver after another [{setup}]", run(False, False))
            reset()
            report(f"{len(chosen)} approvers at once", run(True, False), base)
            with acting_for(tid):
                same, differ = totals_match_rebuild(involved)
            results.notes.append(f"{data.engine} {data.scale}: after approvals at once, running "
                                 f"totals of {len(involved)} units == their rebuild: {same}"
                                 f"{'' if same else f' ({differ} rows differ)'}")
            reset()
            report(f"{len(chosen)} approvers at once while their branches move",
                   run(True, True), base)
            with acting_for(tid):
                same, differ = totals_match_rebuild(involved)
            results.notes.append(f"{data.engine} {data.scale}: after approvals racing moves, "
                                 f"running totals of {len(involved)} units == their rebuild: "
                                 f"{same}{'' if same else f' ({differ} rows differ)'}")
            for branch_id in branches:  # everything back where it was
                api_call(server.port, "POST", f"/units/{branch_id}/move", admin,
                         {"parent_id": home[branch_id]})
        finally:
            server.stop()


# ---- machine --------------------------------------------------------------------------------

def machine(pg_version: str | None) -> list[str]:
    import sqlite3

    import sqlalchemy

    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    load_avg = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return [f"date {date.today().isoformat()}",
            f"{os.cpu_count()} cores ({cpu}), load average at start {load_avg}",
            f"{platform.system()} {platform.release()}",
            f"Python {platform.python_version()}, SQLAlchemy {sqlalchemy.__version__}",
            f"SQLite {sqlite3.sqlite_version}",
            f"PostgreSQL {pg_version}" if pg_version else "PostgreSQL: not reachable"]


# ---- main -----------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: small tree only, few runs, 2 s of load")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-national", action="store_true")
    parser.add_argument("--runs", type=int, help="timed runs per measurement (median)")
    parser.add_argument("--approvals", type=int, help="approvals per tree")
    parser.add_argument("--seconds", type=float, help="seconds of load per page")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--no-pages", action="store_true",
                        help="skip the page throughput (section 4)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary folder and PostgreSQL databases")
    args = parser.parse_args()
    args.runs = args.runs or (3 if args.quick else 9)
    args.approvals = args.approvals or (5 if args.quick else 30)
    args.seconds = args.seconds or (2.0 if args.quick else 10.0)
    sys.path.insert(0, str(ROOT))

    started = time.perf_counter()
    pg_version = None if args.no_postgres else pg_available()
    facts = machine(pg_version)
    log("consolidation benchmark — " + "; ".join(facts))
    results = Results()
    tmp = Path(tempfile.mkdtemp(prefix="lhpn-bench-"))
    os.environ.setdefault("LHPN_GENERATE_PASSWORD", "bench12345")
    big = "small" if args.quick else "province"
    created_pg: list[str] = []
    small_db, national_db = f"{PG['prefix']}_p", f"{PG['prefix']}_n"
    skipped = []
    try:
        engines = []
        if not args.no_sqlite:
            engines.append("SQLite")
        if pg_version:
            engines.append("PostgreSQL")
        elif not args.no_postgres:
            skipped.append("PostgreSQL not reachable through psql at "
                           f"{PG['host']}:{PG['port']}: PostgreSQL part skipped")
            log(skipped[-1])
        for engine in engines:
            scales = ["small", big] if big != "small" else ["small"]
            for scale in scales:
                if engine == "SQLite":
                    folder = tmp / f"sqlite-{scale}"
                    folder.mkdir()
                    data = DataSet(engine, scale, f"sqlite:///{folder / 'lhpn.sqlite3'}", folder)
                else:
                    folder = tmp / f"pg-{scale}"
                    folder.mkdir()
                    pg_recreate(small_db)
                    created_pg.append(small_db)
                    data = DataSet(engine, scale, pg_url(small_db), folder, small_db)
                took = generate(data)
                results.notes.append(f"{engine} {scale}: generated in {took:.0f} s")
                if scale == big:
                    log(f"{engine} {scale}: consolidation timings")
                    measure_consolidation(results, data, args.runs)
                if scale == big and args.quick:
                    # The national stage's code on the small tree: the smoke run (CI) covers
                    # every stage, so none can rot unnoticed between full runs.
                    log(f"{engine} {scale}: the national stage (tenant and country month)")
                    measure_national(results, data, args.runs)
                if scale == big and not args.no_pages:
                    log(f"{engine} {scale}: throughput against gunicorn")
                    measure_throughput(results, data, args, tmp)
                    log(f"{engine} {scale}: throughput with the page cache off")
                    measure_throughput(results, data, args, tmp, cache=False)
                    log(f"{engine} {scale}: throughput while reports are approved")
                    measure_throughput(results, data, args, tmp, approve_every=2.0)
                log(f"{engine} {scale}: approvals")
                measure_approvals(results, data, args.approvals)
                if scale == big:
                    log(f"{engine} {scale}: approvals at once, over the API")
                    measure_concurrent_approvals(results, data, args, tmp)
        if pg_version and not args.quick and not args.no_national:
            pg_recreate(national_db)
            created_pg.append(national_db)
            data = DataSet("PostgreSQL", "national", pg_url(national_db), tmp / "pg-national",
                           national_db)
            data.instance.mkdir()
            if small_db in created_pg and not args.keep:
                pg_drop(small_db)
            took = generate(data)
            results.notes.append(f"PostgreSQL national: generated in {took:.0f} s")
            log("PostgreSQL national: tenant and country month")
            measure_national(results, data, max(3, args.runs // 2))
            log("PostgreSQL national: approvals")
            measure_approvals(results, data, args.approvals)
        elif pg_version and not args.no_national:
            skipped.append("national scale: its code ran on the small tree (--quick)")
    finally:
        if not args.keep:
            for name in set(created_pg):
                with contextlib.suppress(Exception):
                    pg_drop(name)
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            log(f"kept {tmp} and PostgreSQL databases {sorted(set(created_pg))}")

    print()
    print(f"## Consolidation benchmark ({'quick' if args.quick else 'full'} run, "
          f"{time.perf_counter() - started:.0f} s)")
    print()
    print("Machine: " + "; ".join(facts))
    print()
    print(results.table())
    print()
    for note in results.notes + skipped:
        print(f"- {note}")
    return 0


if __name__ == "__main__":
    from lhpn.tenancy import crossing_tenants

    # The benchmark builds and reads every tenant's data as the operator; the pages it loads
    # are requests, strict as ever.
    with crossing_tenants("bench"):
        status = main()
    sys.exit(status)
