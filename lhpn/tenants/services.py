import re

from flask_babel import gettext as _
from sqlalchemy import select

from lhpn.audit.services import record
from lhpn.errors import Conflict, DomainError, NotFound
from lhpn.extensions import db
from lhpn.incidents.services import seed_kinds
from lhpn.indicators.services import seed_catalogue
from lhpn.petitions.deadlines import seed_deadlines
from lhpn.reports.services import seed_templates
from lhpn.tenants.models import LEVELS, Tenant
from lhpn.text import clean_line, nfc
from lhpn.units.services import create_root

# ASCII only: the code is also the root unit's code and appears in every unit code made up.
CODE_RE = re.compile(r"[A-Z0-9_-]{1,32}")


def get_tenant_by_code(code: str) -> Tenant:
    tenant = db.session.scalar(select(Tenant).where(Tenant.code == nfc(code).upper()))
    if tenant is None:
        raise NotFound(_("Không có tỉnh mã %(code)s.", code=code))
    return tenant


def create_tenant(actor, code: str, name: str, levels: list[str]) -> Tenant:
    code = nfc(code).upper()
    name = clean_line(name, _("Tên tỉnh"), "name")
    if not CODE_RE.fullmatch(code):
        raise DomainError(_("Mã tỉnh chỉ gồm chữ cái không dấu, số, gạch ngang (tối đa 32 ký tự)."))
    if not name:
        raise DomainError(_("Tên tỉnh không được để trống."))
    if len(name) > 200:
        raise DomainError(_("Tên tỉnh dài quá 200 ký tự."), "name")
    levels = [lv.strip() for lv in levels if lv.strip()]
    unknown = [lv for lv in levels if lv not in LEVELS]
    if unknown:
        raise DomainError(_("Cấp không hợp lệ: %(levels)s. Các cấp: %(all)s.",
                            levels=", ".join(unknown), all=", ".join(LEVELS)))
    if len(levels) < 2 or levels[0] != "province" or len(set(levels)) != len(levels) or \
            levels != sorted(levels, key=LEVELS.index):
        raise DomainError(_("Các cấp phải bắt đầu bằng province, không trùng, theo thứ tự %(all)s.",
                            all=" → ".join(LEVELS)))
    if db.session.scalar(select(Tenant.id).where(Tenant.code == code)) is not None:
        raise Conflict(_("Đã có tỉnh mã %(code)s.", code=code))
    tenant = Tenant(code=code, name=name, levels_csv=",".join(levels))
    db.session.add(tenant)
    db.session.flush()
    create_root(tenant)
    seed_catalogue(tenant.id)
    seed_templates(tenant)
    seed_kinds(tenant.id)
    seed_deadlines(tenant.id)
    record("tenant.create", "tenant", tenant.id, actor=actor, tenant_id=tenant.id,
           summary=f"{name} ({code})", levels=levels)
    return tenant
