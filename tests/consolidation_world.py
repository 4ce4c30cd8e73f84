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
    kt = KT()
    tenant = factories.tenant("KT", "Hội LHPN tỉnh Kiểm Thử", "province,commune,branch")
    kt.tenant_id = tenant.id
    root = units.root_of(tenant.id)
    units.set_opened_on(None, root, OPENED)
    x1 = factories.unit(root, "Hội LHPN xã An Bình", "commune", "X1", OPENED)
    x2 = factories.unit(root, "Hội LHPN xã Bình Minh", "commune", "X2", OPENED)
    made = {"KT": root, "X1": x1, "X2": x2,
            "X1A": factories.unit(x1, "Chi hội thôn Đông", "branch", "X1A", OPENED),
            "X1B": factories.unit(x1, "Chi hội thôn Tây", "branch", "X1B", OPENED),
            "X2A": factories.unit(x2, "Chi hội thôn Nam", "branch", "X2A", OPENED)}
    kt.units = {code: u.id for code, u in made.items()}
    for code, u in made.items():
        name = f"kt.staff.{code.lower()}"
        kt.users[name] = factories.user(tenant, name, "staff", u).id
    for code in ("KT", "X1", "X2"):
        name = f"kt.approver.{code.lower()}"
        kt.users[name] = factories.user(tenant, name, "approver", made[code]).id
    kt.users["kt.viewer"] = factories.user(tenant, "kt.viewer", "viewer", root).id
    kt.users["kt.admin"] = factories.user(tenant, "kt.admin", "tenant_admin", root).id
    items = []
    for position, (code, name, kind, how) in enumerate(INDICATORS):
        indicator = create_indicator(None, tenant.id, code=code, name=name, kind=kind,
                                     aggregation=how)
        items.append(TemplateItem(indicator_id=indicator.id, position=position, group="Chung"))
    template = ReportTemplate(tenant_id=tenant.id, code="BC_KT", name="Báo cáo kiểm thử",
                              period_type="month", levels="commune,branch", due_day=20,
                              due_months_after=1, items=items)
    db.session.add(template)
    db.session.commit()
    kt.template_id = template.id
    return kt


def approver_for(kt: KT, code: str):
    parent = kt.unit(code).parent
    return kt.user(f"kt.approver.{parent.code.lower()}")


def file(kt: KT, code: str, period: str, values: dict, *, approve: bool = True) -> Report:
    """Open, fill in, submit and (unless told not to) approve one report; commits."""
    staff = kt.user(f"kt.staff.{code.lower()}")
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
