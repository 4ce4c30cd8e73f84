"""Importing communes (and, for a legacy tenant, districts) from the maintained
administrative-unit packages: ``vietnam-provinces`` (the 34 provinces since 2025) and
``vietnamadminunits`` (the 63 legacy provinces). Idempotent; operations flush, the caller
commits. Branches come from an uploaded list instead (lhpn/units/branch_list.py).
"""

from dataclasses import dataclass, field
from functools import lru_cache

from flask_babel import gettext as _
from sqlalchemy import select

from lhpn import authz
from lhpn.accounts.models import User
from lhpn.audit.services import record
from lhpn.errors import DomainError
from lhpn.extensions import db
from lhpn.tenants.models import Tenant
from lhpn.text import one_line, same_name, search_key
from lhpn.units.models import Unit
from lhpn.units.services import create_unit, opening_date


@dataclass(frozen=True)
class AdminUnit:
    admin_code: str          # code of the administrative unit, e.g. "12586"
    name: str                # the union unit's name, e.g. "Hội LHPN xã Tân Lễ"
    level: str               # district | commune
    parent_admin_code: str | None = None  # the district of a legacy commune


@dataclass
class CommuneImportResult:
    created: int = 0
    skipped: int = 0
    failed: list[str] = field(default_factory=list)


def union_name(admin_name: str, division_type: str) -> str:
    """"Phường Phố Hiến", "phường" → "Hội LHPN phường Phố Hiến"."""
    name = one_line(admin_name)
    kind = one_line(division_type).lower()
    if kind and name.lower().startswith(kind + " "):
        name = name[len(kind) + 1:]
    return f"Hội LHPN {kind} {name}" if kind else f"Hội LHPN {name}"


def unit_code(item: AdminUnit) -> str:
    """Stable unit code derived from the administrative code."""
    return f"{'H' if item.level == 'district' else 'X'}{item.admin_code}"


def is_legacy(tenant: Tenant) -> bool:
    """A tenant that keeps the district level imports the 63-province (pre-2025) lists."""
    return "district" in tenant.levels


def source_name(tenant: Tenant) -> str:
    return "vietnamadminunits" if is_legacy(tenant) else "vietnam_provinces"


def _short_province(name: str) -> str:
    for prefix in ("Thành phố ", "Tỉnh "):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


@lru_cache(maxsize=1)
def _provinces_2025() -> tuple[tuple[str, str], ...]:
    from vietnam_provinces import Province

    items = []
    for province in Province.iter_all():
        name = one_line(province.name)
        if not name.lower().startswith("thành phố"):
            name = f"Tỉnh {name}"
        items.append((f"{int(province.code):02d}", name))
    return tuple(sorted(items, key=lambda item: search_key(_short_province(item[1]))))


@lru_cache(maxsize=1)
def _provinces_legacy() -> tuple[tuple[str, str], ...]:
    from vietnamadminunits.database import query

    rows = query("SELECT DISTINCT provinceCode, province FROM admin_units_legacy")
    items = [(row["provinceCode"], one_line(row["province"])) for row in rows]
    return tuple(sorted(items, key=lambda item: search_key(_short_province(item[1]))))


def province_choices(tenant: Tenant) -> list[tuple[str, str]]:
    """(code, name) of the provinces of the package that fits the tenant's levels."""
    return list(_provinces_legacy() if is_legacy(tenant) else _provinces_2025())


def guess_province(tenant: Tenant) -> str | None:
    """The province whose name the tenant's name contains (the longest such name)."""
    tenant_key = search_key(tenant.name)
    best: tuple[int, str] | None = None
    for code, name in province_choices(tenant):
        key = search_key(_short_province(name))
        if key and key in tenant_key and (best is None or len(key) > best[0]):
            best = (len(key), code)
    return best[1] if best else None


def _units_2025(province_code: str) -> list[AdminUnit]:
    from vietnam_provinces import Ward

    wanted = int(province_code)
    wards = sorted((w for w in Ward.iter_all() if int(w.province_code) == wanted),
                   key=lambda w: int(w.code))
    return [AdminUnit(f"{int(w.code):05d}", union_name(w.name, w.division_type.value), "commune")
            for w in wards]


def _units_legacy(province_code: str) -> list[AdminUnit]:
    from vietnamadminunits.database import query

    if not province_code.isdigit():  # the package's query() takes no parameters
        raise DomainError(_("Mã tỉnh không hợp lệ."))
    rows = query(
        "SELECT districtCode, district, districtType, wardCode, ward, wardType "  # noqa: S608
        f"FROM admin_units_legacy WHERE provinceCode = '{province_code}' "
        "ORDER BY districtCode, wardCode"
    )
    districts: dict[str, AdminUnit] = {}
    communes: list[AdminUnit] = []
    for row in rows:
        district_code = row["districtCode"]
        if district_code not in districts:
            districts[district_code] = AdminUnit(
                district_code, union_name(row["district"], row["districtType"] or ""), "district"
            )
        if row["wardCode"]:
            name = union_name(row["ward"], row["wardType"] or "")
            communes.append(AdminUnit(row["wardCode"], name, "commune", district_code))
    return [*districts.values(), *communes]


def admin_units(tenant: Tenant, province_code: str) -> list[AdminUnit]:
    """Districts first (legacy tenants only), then communes, in administrative-code order."""
    if province_code not in dict(province_choices(tenant)):
        raise DomainError(_("Không có tỉnh, thành phố mã %(code)s trong danh mục.",
                            code=province_code), "province")
    return _units_legacy(province_code) if is_legacy(tenant) else _units_2025(province_code)


def import_communes(actor: User | None, root: Unit, province_code: str,
                    opened_on: object = None) -> CommuneImportResult:
    """Create the province's communes (and legacy districts) under ``root``, opened on
    ``opened_on`` (today when not given).

    Idempotent: an administrative unit already imported (same admin code and level), or an
    open unit of the same name and level under the same parent, is skipped. ``actor`` None is
    the command line (demo data).
    """
    if actor is not None:
        authz.require(actor, "manage", root)
    opened = opening_date(opened_on)
    if root.parent_id is not None:
        raise DomainError(_("Chỉ nhập xã, phường vào đơn vị gốc của tỉnh."))
    tenant = root.tenant
    if "commune" not in tenant.levels:
        raise DomainError(_("Tổ chức của tỉnh này không có cấp xã."))
    items = admin_units(tenant, str(province_code))
    wanted_levels = sorted({item.level for item in items})

    existing = db.session.scalars(
        select(Unit).where(Unit.tenant_id == tenant.id, Unit.level.in_(wanted_levels))
    ).all()
    by_admin_code = {(u.level, u.admin_code): u for u in existing if u.admin_code}
    by_name = {(u.parent_id, u.level, same_name(u.name)): u for u in existing if not u.closed}
    taken_codes = set(db.session.scalars(select(Unit.code).where(Unit.tenant_id == tenant.id)))
    districts: dict[str, Unit] = {}

    result = CommuneImportResult()
    for item in items:
        parent = root if item.parent_admin_code is None else districts.get(item.parent_admin_code)
        if parent is None:
            result.failed.append(_("%(name)s: đơn vị cấp trên chưa được tạo.", name=item.name))
            continue
        found = by_admin_code.get((item.level, item.admin_code)) or by_name.get(
            (parent.id, item.level, same_name(item.name))
        )
        if found is not None:
            result.skipped += 1
            if item.level == "district":
                districts[item.admin_code] = found
            continue
        code = unit_code(item)
        try:
            unit = create_unit(actor, parent, item.name, item.level,
                               None if code in taken_codes else code, admin_code=item.admin_code,
                               opened_on=opened)
        except DomainError as exc:
            result.failed.append(f"{item.name}: {exc.message}")
            continue
        taken_codes.add(unit.code)
        if item.level == "district":
            districts[item.admin_code] = unit
        result.created += 1

    record("unit.import", "unit", root.id, actor=actor, tenant_id=tenant.id,
           summary=_("Nhập từ danh mục %(source)s, tỉnh mã %(code)s: tạo %(created)d, bỏ qua "
                     "%(skipped)d, lỗi %(failed)d.", source=source_name(tenant),
                     code=province_code, created=result.created, skipped=result.skipped,
                     failed=len(result.failed)),
           source=source_name(tenant), province=province_code, created=result.created,
           skipped=result.skipped, failed=len(result.failed))
    return result
