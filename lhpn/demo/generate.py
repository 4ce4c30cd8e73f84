"""Synthetic deployments for benchmarks and consolidation tests.

``flask --app wsgi demo generate --scale small|province|national [--year 2027] [--seed 1]``
fills an empty database (or one without the tenants below) with a deployment of a chosen size:

=========  =======  ====================================  ====================  ==================
scale      tenants  units per tenant                      reports               measured (2 cores)
=========  =======  ====================================  ====================  ==================
small      1        root, 3 communes × 4 branches (16)    2 months (Jan, Feb)   ~1 s
province   1        root, 100 communes × 30 branches      12 months (Jan–Dec)   13 s SQLite,
                    (3,101)                                                     40 s PostgreSQL
national   34       root, all the province's communes     1 month (January)     2 min PostgreSQL
                    (3,321 in all) × 30 branches (99,630)
=========  =======  ====================================  ====================  ==================

Province: ~36,000 reports, ~1.06 million values. National: ~101,000 reports, ~2.9 million
values, ~200,000 workflow events.

Tenants are coded GEN01, GEN02, … so they never collide with the demo tenants (HY, TB); tenant
N is the N-th of the 34 provinces in force since 2025 (``vietnam-provinces``, by code), with
that province's real communes and synthetic branches, levels province → commune → branch.
Running it again while any GENnn tenant exists is refused and writes nothing.

Per tenant: the starter catalogue plus eleven indicators about the union's work (so every kind
and every aggregation — sum, share, min, max — appears), one monthly form ``BC_TONGHOP`` with
thirty indicators, filled by communes and branches and due on the 20th of the next month; three
users at the root — ``genNN.admin`` (tenant_admin), ``genNN.chutich`` (approver) and
``genNN.vanphong`` (staff) — whose password is LHPN_GENERATE_PASSWORD, or ``bench12345`` when
unset (a synthetic deployment, never a real one); and the province's plan for the year, issued,
with count, rate and share targets.

Reports: one per commune or branch and month, drawn with a fixed seed: about 92 % approved, 3 %
submitted, 2 % returned, 1 % draft, 2 % never started (no row). About 10 % of the approved ones
were first sent after the due date, and about 3 % were returned once and sent again late. Each
report has one value per indicator except about 3 % left empty (no row, as the services store
an empty field), and every transition has its workflow event, as if the services had made it.

Small rows (tenant, users, indicators, form, plan) go through the services; units, reports,
values and events are bulk inserts with ids reserved up front (PostgreSQL: from the table's
sequence), so paths can be written in the same statement. One commit per tenant.
"""

import importlib
import os
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, insert, select, text

from lhpn.accounts.models import User
from lhpn.accounts.services import assign_role, check_password_rules, create_user
from lhpn.clock import local_today
from lhpn.demo.names import VILLAGES
from lhpn.errors import DomainError
from lhpn.extensions import db
from lhpn.indicators.models import Indicator
from lhpn.indicators.services import create_indicator
from lhpn.reports import periods as P
from lhpn.reports.models import Report, ReportTemplate, ReportValue
from lhpn.reports.services import WORKFLOW as REPORT_WORKFLOW
from lhpn.reports.template_admin import TemplateInput, create_template
from lhpn.tenants.models import Tenant
from lhpn.tenants.services import create_tenant
from lhpn.text import search_key
from lhpn.units.admin_import import AdminUnit, admin_units, unit_code
from lhpn.units.models import Unit
from lhpn.units.services import root_of, set_opened_on
from lhpn.workflow.models import WorkflowEvent

DEFAULT_PASSWORD = "bench12345"  # noqa: S105  (documented; synthetic deployments only)
TEMPLATE_CODE = "BC_TONGHOP"
CHUNK = 10_000          # rows per INSERT statement
UNIT_BATCH = 5_000      # reports built at a time (values and events follow them)
VIETNAM = timedelta(hours=7)


@dataclass(frozen=True)
class Scale:
    tenants: int
    communes: int | None          # per tenant; None: every commune of the province
    branches_per_commune: int
    months: int                   # January onwards


SCALES = {
    "small": Scale(1, 3, 4, 2),
    "province": Scale(1, 100, 30, 12),
    "national": Scale(34, None, 30, 1),
}

# Shares of (commune or branch) × month; what is left over is approved (~92 %).
MISSING, DRAFT, RETURNED, SUBMITTED = 0.02, 0.01, 0.02, 0.03
LATE = 0.10             # of the approved: first sent after the due date
RESENT = 0.03           # of the approved: returned once, sent again after the due date
EMPTY = 0.03            # of the values: left empty

# Added to each generated tenant's catalogue (the union's plans in shared/seeds):
# (code, name, kind, aggregation, unit label, low, high) — low/high bound the drawn values.
EXTRA_INDICATORS = (
    ("HV_MOI", "Hội viên mới được kết nạp", "count", "sum", "hội viên", 0, 12),
    ("HV_TAP_HUAN", "Cán bộ, hội viên được tập huấn, bồi dưỡng kiến thức, kỹ năng", "count",
     "sum", "người", 0, 20),
    ("VAY_VON", "Hội viên được hỗ trợ tiếp cận vốn vay", "count", "sum", "hội viên", 0, 15),
    ("DU_NO", "Dư nợ vốn vay ủy thác qua Hội", "decimal", "sum", "triệu đồng", 50, 2000),
    ("HO_NU_CHU", "Hộ phụ nữ làm chủ được hỗ trợ phát triển kinh tế", "count", "sum", "hộ",
     0, 10),
    ("HO_NGHEO", "Hộ nghèo, cận nghèo do phụ nữ làm chủ được giúp đỡ", "count", "sum", "hộ",
     0, 6),
    ("KHOI_NGHIEP", "Ý tưởng, dự án phụ nữ khởi nghiệp được hỗ trợ", "count", "sum", "dự án",
     0, 3),
    ("CLB_DUY_TRI", "Câu lạc bộ, tổ, nhóm phụ nữ được duy trì sinh hoạt", "count", "sum",
     "câu lạc bộ", 0, 8),
    ("TO_CNS", "Cán bộ Hội tham gia Tổ Công nghệ số cộng đồng", "boolean", "share", "", 0, 0),
    ("SINH_HOAT", "Số buổi sinh hoạt chi hội, tổ phụ nữ trong kỳ (thấp nhất)", "count", "min",
     "buổi", 0, 4),
    ("HO_TRO_CAO_NHAT", "Mức hỗ trợ cao nhất cho một hội viên khó khăn", "decimal", "max",
     "triệu đồng", 0.5, 30),
)
BOUNDS = {code: (low, high) for code, _n, _k, _a, _u, low, high in EXTRA_INDICATORS}

# The form's lines: indicator code → group; every starter indicator except the text one.
FORM_GROUPS = (
    ("Giám sát, phản biện xã hội",
     ("GIAM_SAT", "PHAN_BIEN", "GOP_Y", "DOI_THOAI", "DU_LUAN")),
    ("Tuyên truyền, vận động", ("TUYEN_TRUYEN", "HV_HOC_TAP", "TAP_HOP_18")),
    ("Xây dựng tổ chức Hội", ("HV_MOI", "HV_TAP_HUAN", "GIOI_THIEU_DANG", "CAN_BO_NU",
                              "MO_HINH", "CLB_DUY_TRI", "SINH_HOAT", "CHUYEN_DOI_SO", "TO_CNS")),
    ("Hỗ trợ phụ nữ phát triển kinh tế", ("VAY_VON", "DU_NO", "HO_NU_CHU", "HO_NGHEO",
                                          "KHOI_NGHIEP", "HO_TRO_CAO_NHAT", "KINH_PHI")),
    ("Xây dựng gia đình, nông thôn mới", ("HO_5K3S", "CONG_TRINH")),
    ("Bảo vệ quyền, lợi ích hợp pháp", ("HOA_GIAI", "DON_THU", "BAO_LUC", "NAN_NHAN")),
)

USERS = (  # suffix, role, full name
    ("admin", "tenant_admin", "Trần Minh Tuấn"),
    ("chutich", "approver", "Nguyễn Thị Thu Hà"),
    ("vanphong", "staff", "Phan Thị Thu Trang"),
)
RETURN_COMMENT = "Đề nghị bổ sung, đối chiếu lại số liệu trước khi gửi."


def password() -> str:
    return os.environ.get("LHPN_GENERATE_PASSWORD") or DEFAULT_PASSWORD


def tenant_code(number: int) -> str:
    return f"GEN{number:02d}"


def _n(value: int) -> str:
    """3000 → "3.000", as Vietnamese writes thousands."""
    return f"{value:,}".replace(",", ".")


def _secs(started: float) -> str:
    return f"{time.perf_counter() - started:.1f}".replace(".", ",")


# ---- checks ---------------------------------------------------------------------------------

def check(scale: str, year: int) -> Scale:
    """Refuse before anything is written: unknown scale, odd year, tenants already there."""
    if scale not in SCALES:
        raise DomainError(_("Quy mô không hợp lệ: %(s)s (small, province hoặc national).",
                            s=scale))
    if not 2000 <= year <= 2099:
        raise DomainError(_("Năm báo cáo phải từ 2000 đến 2099."))
    spec = SCALES[scale]
    codes = [tenant_code(n) for n in range(1, spec.tenants + 1)]
    taken = db.session.scalars(select(Tenant.code).where(Tenant.code.in_(codes))
                               .order_by(Tenant.code)).all()
    if taken:
        raise DomainError(_("Đã có tỉnh mô phỏng %(codes)s: dữ liệu đã được tạo. Hãy dùng một cơ "
                            "sở dữ liệu khác (hoặc xóa các tỉnh đó) rồi chạy lại.",
                            codes=", ".join(taken)))
    usernames = [f"{code.lower()}.{suffix}" for code in codes for suffix, _r, _f in USERS]
    users = db.session.scalars(select(User.username).where(User.username.in_(usernames))).all()
    if users:
        raise DomainError(_("Đã có người dùng %(users)s.", users=", ".join(sorted(users))))
    check_password_rules(password(), usernames[0])
    return spec


# ---- the run --------------------------------------------------------------------------------

def generate(scale: str, year: int = 2027, seed: int = 1) -> Iterator[str]:
    """Create the deployment; yields progress lines. Call ``check`` first (the CLI does)."""
    spec = check(scale, year)
    started = time.perf_counter()
    provinces = _provinces()
    totals: Counter = Counter()
    rebuild = _rebuild_function()
    yield _("Tạo dữ liệu mô phỏng quy mô %(scale)s, năm %(year)d, hạt giống %(seed)d.",
            scale=scale, year=year, seed=seed)
    for number in range(1, spec.tenants + 1):
        province_code, province_name = provinces[(number - 1) % len(provinces)]
        rng = random.Random(f"{seed}:{number}")
        yield from _tenant(spec, number, province_code, province_name, year, rng, totals,
                           rebuild)
    step = time.perf_counter()
    _analyze()
    yield _("Thống kê cho bộ lập kế hoạch truy vấn: đã cập nhật (%(s)s giây)", s=_secs(step))
    yield _("Xong: %(t)s tỉnh, %(u)s đơn vị, %(r)s báo cáo, %(v)s giá trị chỉ tiêu, %(e)s sự "
            "kiện quy trình (%(s)s giây).", t=_n(spec.tenants), u=_n(totals["units"]),
            r=_n(totals["reports"]), v=_n(totals["values"]), e=_n(totals["events"]),
            s=_secs(started))
    yield _("Đăng nhập: gen01.admin (quản trị tỉnh), gen01.chutich (duyệt), gen01.vanphong "
            "(văn phòng); mật khẩu %(p)s.",
            p=DEFAULT_PASSWORD if password() == DEFAULT_PASSWORD else "LHPN_GENERATE_PASSWORD")


def _analyze() -> None:
    """Refresh the planner's statistics after the bulk load, as autovacuum would do later: without
    them PostgreSQL plans the reach and inbox queries as if the tables were empty (a dashboard
    took 4 s instead of 80 ms right after generating the province)."""
    with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.execute(text("ANALYZE"))
        conn.commit()


def _provinces() -> list[tuple[str, str]]:
    """(code "01", union name "Hội LHPN thành phố Hà Nội") of the 34 provinces, by code."""
    from vietnam_provinces import Province

    out = []
    for province in sorted(Province.iter_all(), key=lambda p: int(p.code)):
        name = province.name
        if name.lower().startswith("thành phố "):
            name = "thành phố " + name[len("thành phố "):]
        else:
            name = f"tỉnh {name}"
        out.append((f"{int(province.code):02d}", f"Hội LHPN {name}"))
    return out


def _rebuild_function() -> Callable[[int], None] | None:
    """The consolidation's full rebuild, where that module offers one."""
    for name in ("lhpn.consolidation.services", "lhpn.consolidation.rollups"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        rebuild = getattr(module, "rebuild", None)
        if callable(rebuild):
            return rebuild
    return None


def _tenant(spec: Scale, number: int, province_code: str, province_name: str, year: int,
            rng: random.Random, totals: Counter,
            rebuild: Callable[[int], None] | None) -> Iterator[str]:
    step = time.perf_counter()
    code = tenant_code(number)
    tenant = create_tenant(None, code, f"{province_name} (mô phỏng)",
                           ["province", "commune", "branch"])
    root = root_of(tenant.id)
    users = _users(tenant, root)
    indicators = _indicators(tenant, users["admin"])
    template = _template(tenant, users["admin"], indicators)
    _plan(root, year, users["vanphong"], users["chutich"])
    yield _("Tỉnh %(code)s: %(name)s — danh mục %(i)s chỉ tiêu, biểu mẫu %(f)s, kế hoạch năm "
            "(%(s)s giây)", code=code, name=tenant.name, i=_n(len(indicators)), f=template.code,
            s=_secs(step))

    step = time.perf_counter()
    set_opened_on(None, root, opening_day(year))
    units = _units(tenant, root, province_code, spec, year)
    levels = Counter(level for _id, level in units)
    totals["units"] += len(units) + 1
    yield _("  Đơn vị: 1 tỉnh, %(c)s xã, phường, %(b)s chi hội (%(s)s giây)",
            c=_n(levels["commune"]), b=_n(levels["branch"]), s=_secs(step))

    step = time.perf_counter()
    counts = bulk_reports(tenant, template, indicators, units, year, spec.months, users, rng)
    totals.update({k: counts[k] for k in ("reports", "values", "events")})
    yield _("  Báo cáo: %(r)s (đã duyệt %(a)s, chờ duyệt %(sub)s, bị trả lại %(ret)s, dự thảo "
            "%(d)s, chưa lập %(m)s); %(v)s giá trị, %(e)s sự kiện (%(s)s giây)",
            r=_n(counts["reports"]), a=_n(counts["approved"]), sub=_n(counts["submitted"]),
            ret=_n(counts["returned"]), d=_n(counts["draft"]), m=_n(counts["missing"]),
            v=_n(counts["values"]), e=_n(counts["events"]), s=_secs(step))

    step = time.perf_counter()
    if rebuild is None:
        yield _("  Chưa có phần tổng hợp (lhpn.consolidation): bỏ qua bước tính lại.")
    else:
        rebuild(tenant.id)
        yield _("  Tổng hợp: đã tính lại (%(s)s giây)", s=_secs(step))
    db.session.commit()


# ---- small rows, through the services --------------------------------------------------------

def _users(tenant: Tenant, root: Unit) -> dict[str, User]:
    out = {}
    for suffix, role, full_name in USERS:
        user = create_user(None, tenant_id=tenant.id, username=f"{tenant.code.lower()}.{suffix}",
                           password=password(), full_name=full_name, unit=root)
        assign_role(None, user, role, root)
        out[suffix] = user
    return out


def _indicators(tenant: Tenant, admin: User) -> dict[str, Indicator]:
    for code, name, kind, aggregation, unit_label, _low, _high in EXTRA_INDICATORS:
        create_indicator(admin, tenant.id, code=code, name=name, kind=kind,
                         aggregation=aggregation, unit_label=unit_label)
    wanted = {code for _group, codes in FORM_GROUPS for code in codes}
    found = db.session.scalars(select(Indicator).where(Indicator.tenant_id == tenant.id,
                                                       Indicator.code.in_(wanted))).all()
    return {i.code: i for i in found}


def _template(tenant: Tenant, admin: User, indicators: dict[str, Indicator]) -> ReportTemplate:
    items = [(code, group, False) for group, codes in FORM_GROUPS for code in codes
             if code in indicators]
    return create_template(admin, tenant.id, TEMPLATE_CODE, TemplateInput(
        name="Báo cáo tổng hợp kết quả công tác Hội tháng", period_type="month",
        levels=["commune", "branch"], due_day=20, due_months_after=1, items=items))


def _plan(root: Unit, year: int, staff: User, chair: User) -> None:
    """The province's plan for the year, issued: "the unit's plan" for target attainment."""
    from lhpn.plans import services as plans
    from lhpn.plans.services import ActivityInput, PlanInput, TargetInput

    data = PlanInput(
        title=f"Kế hoạch công tác Hội và phong trào phụ nữ năm {year}", year=year,
        number="01/KH-BTV", place=root.name.removeprefix("Hội LHPN ").split(" (")[0],
        plan_date=f"{year - 1}-12-15",
        basis=f"Chương trình công tác năm {year} của Ban Chấp hành Hội LHPN tỉnh.",
        purpose="Nâng cao chất lượng giám sát, phản biện xã hội và hoạt động chi hội.",
        content="1. Giám sát, phản biện xã hội\n\n- Mỗi cơ sở Hội giám sát ít nhất 01 chính sách",
        organisation="Các cơ sở Hội xây dựng kế hoạch thực hiện, báo cáo hằng tháng.",
        recipients="TW Hội LHPN Việt Nam;\nCác cơ sở Hội;\nLưu: VT.",
        signer_name=chair.full_name, counted=True,
        targets=[TargetInput("GIAM_SAT", "commune", "count", 1),
                 TargetInput("DOI_THOAI", "commune", "count", 2),
                 TargetInput("HV_HOC_TAP", "branch", "rate", 80),
                 # 70 % of the branches have CHUYEN_DOI_SO ≥ 1 (a "yes").
                 TargetInput("CHUYEN_DOI_SO", "branch", "share", 70, 1)],
        activities=[ActivityInput("Hội nghị tập huấn kỹ năng giám sát", "quarter", 1,
                                  lead="Ban Tuyên giáo")],
    )
    plan = plans.create_plan(staff, root, data)
    plans.submit_plan(staff, plan)
    plans.approve_plan(chair, plan)


# ---- bulk rows ------------------------------------------------------------------------------

def _insert(model, rows: list[dict]) -> None:
    for start in range(0, len(rows), CHUNK):
        db.session.execute(insert(model.__table__), rows[start:start + CHUNK])


def _reserve_ids(model, count: int) -> list[int]:
    """Ids for rows about to be inserted: from the sequence on PostgreSQL (safe alongside other
    writers), after the largest id elsewhere (SQLite allows one writer at a time)."""
    if count <= 0:
        return []
    table = model.__table__
    if db.session.get_bind().dialect.name == "postgresql":
        return sorted(db.session.scalars(
            text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"),
            {"t": table.name, "n": count}).all())
    start = (db.session.scalar(select(func.max(table.c.id))) or 0) + 1
    return list(range(start, start + count))


def _branch_names(commune_name: str, count: int) -> list[str]:
    if "phường" in commune_name.lower():
        return [f"Chi hội tổ dân phố số {n}" for n in range(1, count + 1)]
    names = []
    for n in range(count):
        village = VILLAGES[n % len(VILLAGES)]
        names.append(f"Chi hội thôn {village}" + (f" {n // len(VILLAGES) + 1}"
                                                  if n >= len(VILLAGES) else ""))
    return names


def opening_day(year: int) -> date:
    """A deployment in use since the start of the year (or since today, for a year still to
    come): every unit owes the year's reports."""
    return min(date(year, 1, 1), local_today())


def _units(tenant: Tenant, root: Unit, province_code: str, spec: Scale, year: int
           ) -> list[tuple[int, str]]:
    """Communes (the province's real ones) and branches; (id, level) of each, root excluded."""
    # None: a commune made up where the province's list runs out.
    communes: list[AdminUnit | None] = list(admin_units(tenant, province_code))
    if spec.communes is not None:
        communes = communes[:spec.communes]
        communes += [None] * (spec.communes - len(communes))
    # One reservation: on SQLite a second one would hand out the same ids again.
    ids = _reserve_ids(Unit, len(communes) * (1 + spec.branches_per_commune))
    commune_ids, branch_ids = ids[:len(communes)], iter(ids[len(communes):])
    base = {"tenant_id": tenant.id, "closed": False, "opened_on": opening_day(year)}
    commune_rows: list[dict[str, Any]] = []
    branch_rows: list[dict[str, Any]] = []
    for number, (item, unit_id) in enumerate(zip(communes, commune_ids, strict=True), 1):
        name = item.name if item else f"Hội LHPN xã thứ {number}"
        code = unit_code(item) if item else f"X-GEN{number:05d}"
        path = f"{root.path}{unit_id}/"
        commune_rows.append({**base, "id": unit_id, "parent_id": root.id, "code": code,
                             "name": name, "search_name": search_key(name), "level": "commune",
                             "path": path, "depth": 1,
                             "admin_code": item.admin_code if item else None})
        for index, branch in enumerate(_branch_names(name, spec.branches_per_commune), 1):
            branch_id = next(branch_ids)
            branch_rows.append({**base, "id": branch_id, "parent_id": unit_id,
                                "code": f"{code}-{index:02d}", "name": branch,
                                "search_name": search_key(branch), "level": "branch",
                                "path": f"{path}{branch_id}/", "depth": 2, "admin_code": None})
    _insert(Unit, commune_rows)
    _insert(Unit, branch_rows)
    return ([(r["id"], "commune") for r in commune_rows]
            + [(r["id"], "branch") for r in branch_rows])


def _local_moment(rng: random.Random, day: date) -> datetime:
    """A moment in office hours (Vietnam) of ``day``, as naive UTC."""
    local = datetime.combine(day, datetime.min.time()) + timedelta(
        hours=7, minutes=30 + rng.randrange(9 * 60 + 30))
    return local - VIETNAM


def _submission(rng: random.Random, end: date, due: date, late: bool) -> datetime:
    if late:
        return _local_moment(rng, due + timedelta(days=rng.randint(1, 15)))
    return _local_moment(rng, end + timedelta(days=rng.randint(1, (due - end).days)))


def _history(rng: random.Random, status: str, end: date, due: date, staff: int, chair: int
             ) -> list[tuple[str, str, str, int, datetime]]:
    """The transitions a report in ``status`` went through: (action, from, to, actor, when),
    the states read from the report workflow's own table (never written here)."""
    if status == "draft":
        return []
    draw = rng.random()
    resent = status == "approved" and draw < RESENT
    late = not resent and draw >= 1 - LATE
    first = _submission(rng, end, due, late)
    steps = [("submit", staff, first)]
    if status == "returned" or resent:
        steps.append(("return", chair, first + timedelta(hours=rng.randint(3, 30))))
    if resent:
        again = max(_local_moment(rng, due + timedelta(days=rng.randint(2, 10))),
                    steps[-1][2] + timedelta(hours=1))
        steps.append(("submit", staff, again))
    if status == "approved":
        steps.append(("approve", chair, steps[-1][2] + timedelta(hours=rng.randint(2, 72))))
    moves = REPORT_WORKFLOW.replay([action for action, _actor, _when in steps])
    if moves[-1][2] != status:
        raise ValueError(f"a history ending in {moves[-1][2]!r}, not {status!r}")
    return [(action, source, target, actor, when)
            for (action, source, target), (_a, actor, when) in zip(moves, steps, strict=True)]


def _status(rng: random.Random) -> str | None:
    draw = rng.random()
    for status, share in (("missing", MISSING), ("draft", DRAFT), ("returned", RETURNED),
                          ("submitted", SUBMITTED)):
        if draw < share:
            return None if status == "missing" else status
        draw -= share
    return "approved"


def _value(rng: random.Random, indicator: Indicator, level: str) -> dict | None:
    """One plausible value row (without report_id), or None for an empty field."""
    if rng.random() < EMPTY:
        return None
    row: dict[str, object] = {"indicator_id": indicator.id, "number": None, "numerator": None,
                              "denominator": None, "flag": None, "text": None}
    low, high = BOUNDS.get(indicator.code, (0, 20))
    if indicator.kind == "count":
        if indicator.code in BOUNDS:
            number = rng.randint(int(low), int(high))
        else:  # mostly small, sometimes none: targets are met by most units, not all
            number = min(int(high), int(rng.expovariate(1 / 4)))
        row["number"] = Decimal(number)
    elif indicator.kind == "decimal":
        high = high if indicator.code in BOUNDS else 50
        row["number"] = Decimal(f"{rng.uniform(low, high):.2f}")
    elif indicator.kind == "rate":
        denominator = rng.randint(50, 400) if level == "branch" else rng.randint(300, 3000)
        row["denominator"] = denominator
        row["numerator"] = min(denominator, round(denominator * rng.uniform(0.6, 1.0)))
    elif indicator.kind == "boolean":
        row["flag"] = rng.random() < 0.78
    else:
        return None  # text lines are not on the generated form
    return row


def bulk_reports(tenant: Tenant, template: ReportTemplate, indicators: dict[str, Indicator],
                 units: list[tuple[int, str]], year: int, months: int, users: dict[str, User],
                 rng: random.Random, waiting: frozenset[int] = frozenset()) -> Counter:
    """Reports of the first ``months`` months of ``year`` for (unit id, level) pairs, written in
    bulk with their values and workflow events, in the statuses a real month would have (the
    demo loader uses it too); the last month's report of a unit in ``waiting`` is sent and
    waits for its approver. The running totals are for the caller to rebuild.

    These rows do not go through the sign-off service (lhpn/workflow/signoff.py): a large set
    is hundreds of thousands of reports, and the service takes one access check, notice,
    audit entry and flush per step. What is written follows the same table instead (the states
    come from ``Workflow.replay``), and tests/test_generate.py checks that each history shape
    written here equals what the service writes for the same steps."""
    counts: Counter = Counter()
    staff, chair = users["vanphong"].id, users["chutich"].id
    ordered = [indicators[code] for _group, codes in FORM_GROUPS for code in codes
               if code in indicators]
    for month in range(1, months + 1):
        period = P.parse(f"{year}-{month:02d}", "month", template.cutoff_day)
        if period is None:
            raise DomainError(_("Năm báo cáo phải từ 2000 đến 2099."))
        due = P.due_date(period, template.due_day, template.due_months_after)
        for start in range(0, len(units), UNIT_BATCH):
            batch = []
            for unit_id, level in units[start:start + UNIT_BATCH]:
                status = _status(rng)
                if month == months and unit_id in waiting:
                    status = "submitted"
                counts[status or "missing"] += 1
                if status is not None:
                    batch.append((unit_id, level, status))
            ids = _reserve_ids(Report, len(batch))
            reports, values, events = [], [], []
            for report_id, (unit_id, level, status) in zip(ids, batch, strict=True):
                history = _history(rng, status, period.end, due, staff, chair)
                submits = [e for e in history if e[0] == "submit"]
                approve = next((e for e in history if e[0] == "approve"), None)
                created = (history[0][4] if history else _local_moment(
                    rng, period.end + timedelta(days=rng.randint(1, 10)))) - timedelta(
                    hours=rng.randint(1, 72))
                reports.append({
                    "id": report_id, "tenant_id": tenant.id, "unit_id": unit_id,
                    "template_id": template.id, "period": period.code, "status": status,
                    "version": 1 + len(history), "nothing_to_report": False, "results": "",
                    "shortcomings": "", "proposals": "", "due_date": due, "on_behalf": False,
                    "created_by_id": staff,
                    "submitted_by_id": staff if submits else None,
                    "submitted_at": submits[-1][4] if submits else None,
                    "approved_by_id": chair if approve else None,
                    "approved_at": approve[4] if approve else None,
                    "created_at": created,
                    "updated_at": submits[0][4] - timedelta(minutes=5) if submits else created,
                })
                for indicator in ordered:
                    row = _value(rng, indicator, level)
                    if row is not None:
                        row["report_id"] = report_id
                        values.append(row)
                for action, source, target, actor, when in history:
                    events.append({
                        "tenant_id": tenant.id, "object_type": REPORT_WORKFLOW.object_type,
                        "object_id": report_id, "action": action, "from_status": source,
                        "to_status": target, "actor_id": actor,
                        "comment": RETURN_COMMENT if action == "return" else "",
                        "created_at": when})
            _insert(Report, reports)
            _insert(ReportValue, values)
            _insert(WorkflowEvent, events)
            counts["reports"] += len(reports)
            counts["values"] += len(values)
            counts["events"] += len(events)
    return counts
