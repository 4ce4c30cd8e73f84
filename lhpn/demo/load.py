"""Demo data: two tenants with their real communes, synthetic branches, one login per role.

``flask --app wsgi demo load`` (run by ``make run``) prints the lines ``load_demo()`` yields.
Everything goes through the services, so the demo obeys the domain rules and leaves audit
entries. Running it again creates nothing new.
"""

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from lhpn.accounts.models import User
from lhpn.accounts.services import assign_role, create_user
from lhpn.clock import local_today
from lhpn.demo.generate import bulk_reports
from lhpn.demo.names import VILLAGES
from lhpn.demo.oversight import demo_oversight
from lhpn.demo.supervisions import demo_supervisions
from lhpn.errors import DomainError
from lhpn.extensions import db
from lhpn.indicators.services import seed_catalogue
from lhpn.labels import role_label
from lhpn.reports.services import seed_templates
from lhpn.tenants.models import Tenant
from lhpn.tenants.services import create_tenant
from lhpn.units.admin_import import import_communes
from lhpn.units.models import Unit
from lhpn.units.services import create_unit, root_of, set_official_name, set_opened_on

# Documented in the README and printed by `make run`; never use it outside a demo.
DEMO_PASSWORD = "demo12345"  # noqa: S105


@dataclass(frozen=True)
class DemoTenant:
    code: str
    name: str
    levels: tuple[str, ...]
    province_code: str                 # in the package that fits the levels
    branches_per_commune: int
    branch_districts: tuple[str, ...] | None = None  # admin codes; None: every commune
    # The root's name on official documents, when the demo's name carries a label.
    official_name: str | None = None


TENANTS = (
    DemoTenant("HY", "Hội LHPN tỉnh Hưng Yên", ("province", "commune", "branch"), "33", 3),
    # Hưng Hà (339) and Đông Hưng (340) only: branches for 65 communes keep the load short.
    DemoTenant("TB", "Hội LHPN tỉnh Thái Bình (trước 01/7/2025)",
               ("province", "district", "commune", "branch"), "34", 2, ("339", "340"),
               "Hội LHPN tỉnh Thái Bình"),
)

ROOT = "@root"
DEMO_OPENED = date(2026, 1, 1)


@dataclass(frozen=True)
class DemoUser:
    username: str
    full_name: str
    tenant: str | None
    role: str
    unit_code: str | None  # ROOT, a unit code, or None for the system administrator


# Unit codes derive from the administrative codes (see admin_import.unit_code): X11953 is
# phường Phố Hiến, X12364 xã Tiên Lữ, H339 huyện Hưng Hà, X12592 xã Tân Lễ; "-01" is the
# first demo branch of a commune.
USERS = (
    DemoUser("sysadmin", "Nguyễn Văn Quảng", None, "system_admin", None),
    DemoUser("hy.admin", "Trần Minh Tuấn", "HY", "tenant_admin", ROOT),
    DemoUser("hy.chutich", "Nguyễn Thị Thu Hà", "HY", "approver", ROOT),
    DemoUser("hy.xem", "Lê Thị Hồng Nhung", "HY", "viewer", ROOT),
    DemoUser("hy.vanphong", "Phan Thị Thu Trang", "HY", "staff", ROOT),
    DemoUser("hy.phohien.chutich", "Phạm Thị Lan", "HY", "approver", "X11953"),
    DemoUser("hy.phohien.canbo", "Vũ Thị Mai Anh", "HY", "staff", "X11953"),
    DemoUser("hy.phohien.td1", "Bùi Thị Thanh Huyền", "HY", "staff", "X11953-01"),
    DemoUser("hy.tienlu.chutich", "Đỗ Thị Hương", "HY", "approver", "X12364"),
    DemoUser("hy.tienlu.canbo", "Hoàng Thị Ngọc Ánh", "HY", "staff", "X12364"),
    DemoUser("hy.baove", "Trương Thị Thanh Bình", "HY", "protection_officer", ROOT),
    DemoUser("tb.admin", "Đặng Văn Hải", "TB", "tenant_admin", ROOT),
    DemoUser("tb.chutich", "Ngô Thị Bích Ngọc", "TB", "approver", ROOT),
    DemoUser("tb.xem", "Trịnh Thị Kim Oanh", "TB", "viewer", ROOT),
    DemoUser("tb.vanphong", "Cao Thị Minh Châu", "TB", "staff", ROOT),
    DemoUser("tb.hungha.chutich", "Nguyễn Thị Phương", "TB", "approver", "H339"),
    DemoUser("tb.hungha.canbo", "Trần Thị Hạnh", "TB", "staff", "H339"),
    DemoUser("tb.tanle.chutich", "Lương Thị Hoa", "TB", "approver", "X12592"),
    DemoUser("tb.tanle.canbo", "Mai Thị Thủy", "TB", "staff", "X12592"),
    DemoUser("tb.tanle.chihoi", "Đinh Thị Nga", "TB", "staff", "X12592-01"),
    DemoUser("tb.baove", "Lã Thị Quỳnh", "TB", "protection_officer", ROOT),
)



def branch_names(commune: Unit, index: int, count: int) -> list[str]:
    """Synthetic branch names: residential groups in a ward, villages elsewhere."""
    if "phường" in commune.name.lower():
        return [f"Chi hội tổ dân phố số {n}" for n in range(1, count + 1)]
    return [f"Chi hội thôn {VILLAGES[(index * count + n) % len(VILLAGES)]}"
            for n in range(count)]


def demo_opened_on() -> date:
    """The demo provinces have used LHPN since the start of 2026 (their first reports are
    January's): their units owe the reports due after 1 January 2026, not 2025's."""
    return min(DEMO_OPENED, local_today())


def _tenant(spec: DemoTenant) -> tuple[Tenant, bool]:
    tenant = db.session.scalar(select(Tenant).where(Tenant.code == spec.code))
    if tenant is not None:
        root = root_of(tenant.id)
        if spec.official_name and not root.official_name:
            # A demo loaded before official names existed gets its root's on the next load.
            set_official_name(None, root, spec.official_name)
        return tenant, False
    tenant = create_tenant(None, spec.code, spec.name, list(spec.levels))
    set_opened_on(None, root_of(tenant.id), demo_opened_on())
    set_official_name(None, root_of(tenant.id), spec.official_name)
    return tenant, True


def _branches(spec: DemoTenant, tenant: Tenant) -> int:
    communes_query = select(Unit).where(Unit.tenant_id == tenant.id, Unit.level == "commune",
                                        ~Unit.closed, Unit.admin_code.is_not(None))
    if spec.branch_districts is not None:
        districts = select(Unit.id).where(Unit.tenant_id == tenant.id, Unit.level == "district",
                                          Unit.admin_code.in_(spec.branch_districts))
        communes_query = communes_query.where(Unit.parent_id.in_(districts))
    communes = db.session.scalars(communes_query.order_by(Unit.admin_code)).all()
    taken = set(db.session.scalars(select(Unit.code).where(Unit.tenant_id == tenant.id)))
    created = 0
    for index, commune in enumerate(communes):
        names = branch_names(commune, index, spec.branches_per_commune)
        for number, name in enumerate(names, start=1):
            code = f"{commune.code}-{number:02d}"
            if code in taken:
                continue
            create_unit(None, commune, name, "branch", code, opened_on=demo_opened_on())
            taken.add(code)
            created += 1
    return created


def _unit_for(tenant: Tenant, code: str) -> Unit | None:
    if code == ROOT:
        return root_of(tenant.id)
    return db.session.scalar(select(Unit).where(Unit.tenant_id == tenant.id, Unit.code == code))


def _user(spec: DemoUser, tenants: dict[str, Tenant]) -> tuple[str, str]:
    """Create the user and its role if missing; (what happened, unit name)."""
    user = db.session.scalar(
        select(User).where(User.username == spec.username)
    )
    if spec.tenant is None:
        if user is None:
            create_user(None, tenant_id=None, username=spec.username, password=DEMO_PASSWORD,
                        full_name=spec.full_name, is_system_admin=True)
            return "created", "—"
        return "kept", "—"
    tenant = tenants[spec.tenant]
    unit = _unit_for(tenant, spec.unit_code or ROOT)
    if unit is None:
        return "missing unit", spec.unit_code or ""
    status = "kept"
    if user is None:
        user = create_user(None, tenant_id=tenant.id, username=spec.username,
                           password=DEMO_PASSWORD, full_name=spec.full_name, unit=unit)
        status = "created"
    if user.tenant_id == tenant.id and not any(
            a.role == spec.role and a.unit_id == unit.id for a in user.assignments):
        assign_role(None, user, spec.role, unit)
    return status, unit.name


def _count(model) -> int:
    return db.session.scalar(
        select(func.count()).select_from(model)
    ) or 0


def load_demo() -> Iterator[str]:
    """Load the demo tenants, units and users; yields progress lines and the login table."""
    started = time.perf_counter()
    units_before, users_before = _count(Unit), _count(User)
    tenants: dict[str, Tenant] = {}
    for spec in TENANTS:
        tenant, new = _tenant(spec)
        tenants[spec.code] = tenant
        # Catalogue and forms added by later versions reach tenants loaded before them.
        seed_catalogue(tenant.id)
        seed_templates(tenant)
        yield f"{'Tạo' if new else 'Đã có'} tỉnh {tenant.code}: {tenant.name}"
        try:
            result = import_communes(None, root_of(tenant.id), spec.province_code,
                                     demo_opened_on())
        except DomainError as exc:
            db.session.rollback()
            yield f"  Lỗi khi nhập xã, phường: {exc.message}"
            continue
        db.session.commit()
        yield (f"  Đơn vị từ danh mục hành chính: tạo {result.created}, "
               f"đã có {result.skipped}, lỗi {len(result.failed)}")
        for message in result.failed:
            yield f"    {message}"
        created = _branches(spec, tenant)
        db.session.commit()
        yield f"  Chi hội (dữ liệu mẫu): tạo {created}"

    rows = []
    for user_spec in USERS:
        if user_spec.tenant is not None and user_spec.tenant not in tenants:
            continue
        status, unit_name = _user(user_spec, tenants)
        if status == "missing unit":
            yield f"  Bỏ qua {user_spec.username}: không có đơn vị {unit_name}"
            continue
        rows.append((user_spec.username, role_label(user_spec.role), unit_name))
    db.session.commit()
    yield from _demo_plans(tenants)
    db.session.commit()
    yield from _demo_reports(tenants)
    db.session.commit()
    yield from _demo_incidents(tenants)
    db.session.commit()
    yield from demo_supervisions(tenants)
    db.session.commit()
    from lhpn.demo.petitions import demo_petitions

    yield from demo_petitions(tenants)
    yield from demo_oversight(tenants)

    elapsed = time.perf_counter() - started
    yield (f"Dữ liệu demo: thêm {_count(Unit) - units_before} đơn vị, "
           f"{_count(User) - users_before} người dùng ({elapsed:.1f} giây).")
    yield ""
    yield f"Tài khoản demo (mật khẩu chung: {DEMO_PASSWORD})"
    width_user = max(len(r[0]) for r in rows) if rows else 10
    width_role = max(len(r[1]) for r in rows) if rows else 10
    yield f"  {'Tên đăng nhập':<{width_user}}  {'Vai trò':<{width_role}}  Đơn vị"
    for username, role, unit_name in rows:
        yield f"  {username:<{width_user}}  {role:<{width_role}}  {unit_name}"


def _demo_plans(tenants: dict[str, Tenant]) -> Iterator[str]:
    """An issued province plan in each tenant, so the cascade has something to show."""
    from lhpn.plans import services as plans
    from lhpn.plans.models import Plan
    from lhpn.plans.services import ActivityInput, PlanInput, TargetInput

    levels = {"HY": ["commune"], "TB": ["district", "commune"]}
    for code, tenant in tenants.items():
        root = root_of(tenant.id)
        prefix = code.lower()
        staff = db.session.scalar(select(User).where(User.username == f"{prefix}.vanphong"))
        chair = db.session.scalar(select(User).where(User.username == f"{prefix}.chutich"))
        number = "12/KH-BTV"
        exists = select(Plan.id).where(Plan.unit_id == root.id, Plan.number == number)
        if staff is None or chair is None or db.session.scalar(exists) is not None:
            continue
        lowest = levels[code][-1]
        data = PlanInput(
            title="Tham gia xây dựng Đảng, hệ thống chính trị; giám sát, phản biện xã hội năm 2027",
            year=2027, number=number, place=tenant.name.split("tỉnh ")[-1].split(" (")[0],
            plan_date="2026-12-15",
            basis="Thực hiện Chương trình công tác năm 2027 của Ban Chấp hành Hội LHPN tỉnh.",
            purpose=("1. Nâng cao chất lượng **giám sát, phản biện xã hội** của các cấp Hội.\n"
                     "2. Bám sát nhiệm vụ chính trị của địa phương."),
            content=("1. Tuyên truyền, vận động hội viên\n\n"
                     "- Tổ chức hội nghị, sinh hoạt chi hội chuyên đề\n"
                     "- Đăng tải văn bản trên trang thông tin, nhóm Zalo của Hội\n\n"
                     "2. Giám sát, phản biện xã hội\n\n"
                     "- Mỗi cơ sở Hội chủ trì giám sát ít nhất 01 chính sách"),
            organisation=("## 1. Hội LHPN tỉnh\n\n- Hướng dẫn, kiểm tra, tổng hợp kết quả.\n\n"
                          "## 2. Các cơ sở Hội\n\n- Xây dựng kế hoạch thực hiện, gửi về tỉnh "
                          "trước ngày 20/02/2027."),
            recipients="TW Hội LHPN Việt Nam;\nBan Dân vận Tỉnh ủy;\nCác cơ sở Hội;\nLưu: VT.",
            signer_title="CHỦ TỊCH", signer_name=chair.full_name,
            child_levels=levels[code], child_deadline="2027-02-20",
            targets=[TargetInput("GIAM_SAT", lowest, "count", 1),
                     TargetInput("TUYEN_TRUYEN", lowest, "share", 100, 2),
                     TargetInput("HV_HOC_TAP", lowest, "rate", 90)],
            activities=[ActivityInput("Hội nghị tập huấn kỹ năng giám sát", "quarter", 1,
                                      lead="Ban Tuyên giáo", coordinators="Ủy ban MTTQ tỉnh",
                                      budget_source="Ngân sách Hội")],
        )
        plan = plans.create_plan(staff, root, data)
        plans.submit_plan(staff, plan)
        plans.approve_plan(chair, plan)
        db.session.commit()
        yield f"  Kế hoạch mẫu {number} của {root.name}: đã ban hành, yêu cầu cấp dưới lập kế hoạch"


DEMO_REPORT_YEAR, DEMO_REPORT_MONTHS = 2026, 10
# Reports left waiting for sign-off, so the demo approvers have something in their inbox:
# (tenant, unit code) of the October report.
WAITING = (("HY", "X11953"), ("HY", "X11953-01"), ("HY", "X12364"), ("TB", "X12592"),
           ("TB", "X12592-01"))


def _demo_reports(tenants: dict[str, Tenant]) -> Iterator[str]:
    """Ten months of monthly reports (January–October of 2026) for every unit that files the
    monthly form, mostly approved, with the running totals rebuilt: the consolidation pages and
    the dashboards have something to show. Written in bulk like ``demo generate``."""
    import random

    from lhpn.consolidation import rollups
    from lhpn.reports.models import Report
    from lhpn.reports.services import get_template

    for code, tenant in tenants.items():
        template = get_template(tenant.id, "BC_THANG")
        done = select(Report.id).where(Report.template_id == template.id).limit(1)
        prefix = code.lower()
        found = {suffix: db.session.scalar(select(User).where(
            User.username == f"{prefix}.{suffix}")) for suffix in ("vanphong", "chutich")}
        if db.session.scalar(done) is not None or None in found.values():
            continue
        users = {suffix: user for suffix, user in found.items() if user is not None}
        started = time.perf_counter()
        units = [(u.id, u.level) for u in db.session.scalars(
            select(Unit).where(Unit.tenant_id == tenant.id, Unit.level.in_(template.level_list),
                               ~Unit.closed).order_by(Unit.path))]
        indicators = {item.indicator.code: item.indicator for item in template.items}
        asked = [_unit_for(tenant, unit_code) for tenant_code, unit_code in WAITING
                   if tenant_code == code]
        waiting = frozenset(unit.id for unit in asked if unit is not None)
        counts = bulk_reports(tenant, template, indicators, units, DEMO_REPORT_YEAR,
                              DEMO_REPORT_MONTHS, users, random.Random(f"demo-{code}"), waiting)
        db.session.flush()
        rollups.rebuild(tenant.id)
        _plan_2026(tenant, users["vanphong"], users["chutich"])
        db.session.commit()
        yield (f"  Báo cáo tháng mẫu của {tenant.code}: {counts['reports']} báo cáo "
               f"({time.perf_counter() - started:.1f} giây)")


# Invented cases, recorded through the service by a commune's officer: (tenant, officer, kind,
# day, victim's name, age, child); the names belong to no one.
DEMO_INCIDENTS = (
    ("HY", "hy.phohien.canbo", "domestic_violence", date(2026, 10, 12), "Nguyễn Thị Mơ", "34", ""),
    ("HY", "hy.phohien.canbo", "child_abuse", date(2026, 11, 3), "Lê Thị Bống", "9", ""),
    ("HY", "hy.tienlu.canbo", "domestic_violence", date(2026, 11, 18), "Phạm Thị Gấm", "41", ""),
    ("TB", "tb.tanle.canbo", "domestic_violence", date(2026, 9, 25), "Vũ Thị Nụ", "29", ""),
    ("TB", "tb.tanle.canbo", "trafficking", date(2026, 11, 7), "Đào Thị Sen", "19", ""),
)


def _demo_incidents(tenants: dict[str, Tenant]) -> Iterator[str]:
    """A few cases in each demo tenant, so the incident pages and the access log have
    something to show; one is followed, one closed."""
    from lhpn.incidents import services as incidents
    from lhpn.incidents.models import Incident

    for code, tenant in tenants.items():
        incidents.seed_kinds(tenant.id)
        if db.session.scalar(select(Incident.id).where(Incident.tenant_id == tenant.id)
                             .limit(1)) is not None:
            yield from _demo_overdue(tenant)
            continue
        made = []
        for tenant_code, username, kind, day, name, age, child in DEMO_INCIDENTS:
            officer = db.session.scalar(select(User).where(User.username == username))
            if tenant_code != code or officer is None or officer.unit is None:
                continue
            made.append(incidents.record_incident(officer, officer.unit, {
                "kind": kind, "occurred_on": day.isoformat(), "place": "Tại nhà riêng",
                "source": "Chi hội trưởng báo qua điện thoại",
                "facts": "Nạn nhân bị người thân đánh, hàng xóm can ngăn và báo chi hội.",
                "victim_state": "Đã ổn định sức khỏe, đang ở nhà người thân.",
                "responsible_relation": "Người trong gia đình"},
                [{"full_name": name, "age_or_year": age, "sex": "female", "child": child,
                  "address": "Thôn 2", "phone": ""}]))
        if made:
            first, last = made[0], made[-1]
            incidents.change_status(first.created_by, first, "follow", first.version)
            if len(made) > 2:
                incidents.change_status(last.created_by, last, "close", last.version,
                                        "Nạn nhân đã được hỗ trợ trở về gia đình an toàn.")
        db.session.commit()
        yield f"  Vụ việc mẫu của {tenant.code}: {len(made)}"
        yield from _demo_overdue(tenant)


def _demo_overdue(tenant: Tenant) -> Iterator[str]:
    """The followed case waits for the police past its deadline (dated from today, so it stays
    overdue whenever the demo is loaded); added once, to a demo loaded before it existed too."""
    from lhpn.followups import services as follow_ups
    from lhpn.followups.models import FollowUp
    from lhpn.incidents.models import Incident

    if db.session.scalar(select(FollowUp.id).where(FollowUp.tenant_id == tenant.id,
                                                   FollowUp.object_type == "incident")
                         .limit(1)) is not None:
        return
    case = db.session.scalar(select(Incident).where(Incident.tenant_id == tenant.id,
                                                    Incident.status == "following")
                             .order_by(Incident.id).limit(1))
    if case is None or case.created_by is None:
        return
    today = local_today()
    follow_ups.start(case.created_by, "incident", case, case.unit,
                     agency="Công an xã", written_on=(today - timedelta(days=45)).isoformat(),
                     due_on=(today - timedelta(days=15)).isoformat(), letter_number="12/CV-HLHPN")
    db.session.commit()
    yield f"  Vụ việc quá hạn giải quyết của {tenant.code}: số {case.id}"


def _plan_2026(tenant: Tenant, staff: User, chair: User) -> None:
    """The year's issued programme with targets on the monthly form's indicators, so the
    consolidation of 2026 shows plan attainment."""
    from lhpn.plans import services as plans
    from lhpn.plans.services import PlanInput, TargetInput

    lowest = "commune"
    data = PlanInput(
        title="Chương trình công tác Hội năm 2026", year=2026, number="05/CTr-BTV",
        place=tenant.name.split("tỉnh ")[-1].split(" (")[0], plan_date="2026-01-10",
        basis="Nghị quyết Đại hội đại biểu phụ nữ tỉnh nhiệm kỳ 2021–2026.",
        purpose="Cụ thể hóa các chỉ tiêu công tác Hội năm 2026.",
        content="Các cơ sở Hội thực hiện và báo cáo hằng tháng theo biểu mẫu BC_THANG.",
        organisation="Các cơ sở Hội báo cáo trước ngày 20 của tháng sau.",
        recipients="Các cơ sở Hội;\nLưu: VT.", signer_title="CHỦ TỊCH",
        signer_name=chair.full_name, counted=True, child_levels=[], child_deadline=None,
        targets=[TargetInput("TUYEN_TRUYEN", lowest, "count", 20),
                 TargetInput("DOI_THOAI", lowest, "count", 2),
                 TargetInput("HO_5K3S", lowest, "share", 80, 5),
                 # Most of the seeds' targets are qualitative: each commune says if it did it.
                 TargetInput(None, lowest, "text", None,
                             text="100% Hội LHPN cơ sở chủ trì hoặc phối hợp giám sát ít nhất "
                                  "01 chính sách, góp ý ít nhất 01 dự thảo văn bản của cấp ủy, "
                                  "chính quyền", deadline="2026-10-30")],
        activities=[])
    plan = plans.create_plan(staff, root_of(tenant.id), data)
    plans.submit_plan(staff, plan)
    plans.approve_plan(chair, plan)
