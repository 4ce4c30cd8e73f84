"""A small post-2025 province for consolidation tests, with a form that has an indicator of
every kind and aggregation, filled in through the real services.

KT root › X1 (commune) › X1A, X1B (branches); KT root › X2 (commune) › X2A (branch), all opened
on OPENED (a province in use since then: they owe every report due after it).
Hand-computed figures for the period JAN (2027-01, due 20/02/2027) are in EXPECTED.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from lhpn.extensions import db
from lhpn.indicators.services import create_indicator
from lhpn.plans.models import Plan, PlanTarget
from lhpn.reports import services as reports
from lhpn.reports.models import Report, ReportTemplate, TemplateItem
from lhpn.units import services as units
from lhpn.units.models import Unit
from tests import factories

JAN = "2027-01"
OPENED = date(2026, 1, 1)
INDICATORS = (
    ("SO_LUOT", "Số lượt hội viên tham gia", "count", "sum"),
    ("NHO_NHAT", "Mức hỗ trợ thấp nhất", "decimal", "min"),
    ("LON_NHAT", "Mức hỗ trợ cao nhất", "decimal", "max"),
    ("TY_LE", "Hội viên được tập huấn", "rate", "sum"),
    ("CO_KHONG", "Có ứng dụng chuyển đổi số", "boolean", "share"),
    ("GHI_CHU", "Ghi chú", "text", "none"),
)
# What each unit reports for JAN (None: left empty).
VALUES = {
    "X1": {"SO_LUOT": 3, "NHO_NHAT": 2.5, "LON_NHAT": 2.5,
           "TY_LE": {"numerator": 10, "denominator": 40}, "CO_KHONG": True, "GHI_CHU": "a"},
    "X1A": {"SO_LUOT": 5, "NHO_NHAT": 1.25, "LON_NHAT": 7,
            "TY_LE": {"numerator": 30, "denominator": 60}, "CO_KHONG": False},
    "X1B": {"SO_LUOT": 0, "LON_NHAT": 4, "TY_LE": {"numerator": 0, "denominator": 100},
            "CO_KHONG": True},
    "X2A": {"SO_LUOT": 2, "NHO_NHAT": 3, "LON_NHAT": 1,
            "TY_LE": {"numerator": 45, "denominator": 50}, "CO_KHONG": False, "GHI_CHU": "x"},
}
# X2 submits a report that is never approved: it must not count anywhere.
PENDING = {"X2": {"SO_LUOT": 100, "NHO_NHAT": 0.5, "LON_NHAT": 99}}
# Hand-computed: rates are Σnumerator/Σdenominator (85/250 = 34 %, not the mean 41.25 %).
EXPECTED = {
    "KT": {"SO_LUOT": 10, "NHO_NHAT": 1.25, "LON_NHAT": 7, "TY_LE": 34.0, "CO_KHONG": 50.0,
           "GHI_CHU": None},
    "X1": {"SO_LUOT": 8, "NHO_NHAT": 1.25, "LON_NHAT": 7, "TY_LE": 20.0, "CO_KHONG": 66.7,
           "GHI_CHU": None},
    "X2": {"SO_LUOT": 2, "NHO_NHAT": 3, "LON_NHAT": 1, "TY_LE": 90.0, "CO_KHONG": 0.0,
           "GHI_CHU": None},
}


@dataclass
class KT:
    tenant_id: int = 0
    template_id: int = 0
    units: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)
    # Usernames start with it ("kt.staff.x1").
    prefix: str = "kt"

    def unit(self, code: str) -> Unit:
        return db.session.get(Unit, self.units[code])

    def user(self, name: str):
        from lhpn.accounts.models import User

        return db.session.get(User, self.users[name])

    @property
    def template(self) -> ReportTemplate:
        return db.session.get(ReportTemplate, self.template_id)


def build() -> KT:
    """Tree, users, indicators and the form (call inside an app context; commits)."""
    return build_many([("KT", "Hội LHPN tỉnh Kiểm Thử")])[0]


def build_many(tenants: list[tuple[str, str]]) -> list[KT]:
    """The same province once per (code, name), built step by step for all of them at once,
    so their ids interleave (unit, user, indicator and form ids alternate between tenants)."""
    kts = [KT(prefix=code.lower()) for code, _name in tenants]
    made: list[dict] = []
    for kt, (code, name) in zip(kts, tenants, strict=True):
        tenant = factories.tenant(code, name, "province,commune,branch")
        kt.tenant_id = tenant.id
        root = units.root_of(tenant.id)
        units.set_opened_on(None, root, OPENED)
        made.append({"KT": root})
    for names in (("X1", "Hội LHPN xã An Bình"), ("X2", "Hội LHPN xã Bình Minh")):
        for here in made:
            here[names[0]] = factories.unit(here["KT"], names[1], "commune", names[0], OPENED)
    for child, parent, name in (("X1A", "X1", "Chi hội thôn Đông"),
                                ("X1B", "X1", "Chi hội thôn Tây"),
                                ("X2A", "X2", "Chi hội thôn Nam")):
        for here in made:
            here[child] = factories.unit(here[parent], name, "branch", child, OPENED)
    tenant_rows = [_tenant_of(kt) for kt in kts]
    for kt, here in zip(kts, made, strict=True):
        kt.units = {code: u.id for code, u in here.items()}
    people = [(f"staff.{code.lower()}", "staff", code) for code in made[0]]
    people += [(f"approver.{code.lower()}", "approver", code) for code in ("KT", "X1", "X2")]
    people += [("viewer", "viewer", "KT"), ("admin", "tenant_admin", "KT")]
    for suffix, role, code in people:
        for kt, here, tenant in zip(kts, made, tenant_rows, strict=True):
            name = f"{kt.prefix}.{suffix}"
            kt.users[name] = factories.user(tenant, name, role, here[code]).id
    items: list[list] = [[] for _kt in kts]
    for position, (code, name, kind, how) in enumerate(INDICATORS):
        for kt, own in zip(kts, items, strict=True):
            indicator = create_indicator(None, kt.tenant_id, code=code, name=name, kind=kind,
                                         aggregation=how)
            own.append(TemplateItem(indicator_id=indicator.id, position=position,
                                    group="Chung"))
    for kt, own in zip(kts, items, strict=True):
        template = ReportTemplate(tenant_id=kt.tenant_id, code="BC_KT", name="Báo cáo kiểm thử",
                                  period_type="month", levels="commune,branch", due_day=20,
                                  due_months_after=1, items=own)
        db.session.add(template)
        db.session.flush()
        kt.template_id = template.id
    db.session.commit()
    return kts


def _tenant_of(kt: KT):
    from lhpn.tenants.models import Tenant

    return db.session.get(Tenant, kt.tenant_id)


def approver_for(kt: KT, code: str):
    parent = kt.unit(code).parent
    parent_code = next(c for c, unit_id in kt.units.items() if unit_id == parent.id)
    return kt.user(f"{kt.prefix}.approver.{parent_code.lower()}")


def file(kt: KT, code: str, period: str, values: dict, *, approve: bool = True) -> Report:
    """Open, fill in, submit and (unless told not to) approve one report; commits."""
    staff = kt.user(f"{kt.prefix}.staff.{code.lower()}")
    report = reports.open_report(staff, kt.unit(code), kt.template, period)
    reports.save_report(staff, report, values, report.version)
    reports.submit_report(staff, report)
    if approve:
        reports.approve_report(approver_for(kt, code), report)
    db.session.commit()
    return report


def file_january(kt: KT) -> dict[str, Report]:
    filed = {code: file(kt, code, JAN, values) for code, values in VALUES.items()}
    for code, values in PENDING.items():
        filed[code] = file(kt, code, JAN, values, approve=False)
    return filed


def issue_plan(kt: KT, year: int = 2027) -> Plan:
    """The province's issued plan: SO_LUOT ≥ 3 at every commune; 50 % of branches with
    SO_LUOT ≥ 1; TY_LE ≥ 50 % at every branch."""
    from lhpn.indicators.services import indicator_by_code

    def target(position, code, level, kind, value, threshold=None):
        return PlanTarget(position=position, indicator_id=indicator_by_code(kt.tenant_id, code).id,
                          level=level, kind=kind, value=Decimal(value),
                          threshold=None if threshold is None else Decimal(threshold))

    plan = Plan(tenant_id=kt.tenant_id, unit_id=kt.units["KT"], year=year,
                title="Kế hoạch thực hiện nhiệm vụ năm 2027", status="approved", counted=True,
                targets=[target(0, "SO_LUOT", "commune", "count", 3),
                         target(1, "SO_LUOT", "branch", "share", 50, 1),
                         target(2, "TY_LE", "branch", "rate", 50)])
    db.session.add(plan)
    db.session.commit()
    return plan
