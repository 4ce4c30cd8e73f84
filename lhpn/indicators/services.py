"""The tenant's indicator catalogue. Operations flush; the caller commits."""

import re

from flask_babel import gettext as _
from sqlalchemy import select

from lhpn.audit.services import record
from lhpn.errors import Conflict, DomainError, NotFound, as_id
from lhpn.extensions import db
from lhpn.indicators.bindings import BINDINGS
from lhpn.indicators.catalogue import STARTER, STARTER_BINDINGS
from lhpn.indicators.models import AGGREGATIONS, KINDS, Indicator
from lhpn.text import clean_line, clean_text, nfc

CODE_RE = re.compile(r"[A-Z0-9_]{2,40}")


def seed_catalogue(tenant_id: int) -> int:
    """Add the starter indicators the tenant does not have yet; returns how many."""
    have = set(db.session.scalars(select(Indicator.code).where(Indicator.tenant_id == tenant_id)))
    added = 0
    for code, name, kind, aggregation, unit_label in STARTER:
        if code not in have:
            db.session.add(Indicator(tenant_id=tenant_id, code=code, name=name, kind=kind,
                                     aggregation=aggregation, unit_label=unit_label,
                                     binding=STARTER_BINDINGS.get(code)))
            added += 1
    db.session.flush()
    return added


def catalogue(tenant_id: int | None, *, active_only: bool = False):
    stmt = select(Indicator).where(Indicator.tenant_id == tenant_id)
    if active_only:
        stmt = stmt.where(Indicator.active)
    return stmt.order_by(Indicator.name)


def get_indicator(tenant_id: int | None, indicator_id: object) -> Indicator:
    key = as_id(indicator_id)
    indicator = db.session.get(Indicator, key) if key is not None else None
    if indicator is None or indicator.tenant_id != tenant_id:
        raise NotFound(_("Không tìm thấy chỉ tiêu trong danh mục."))
    return indicator


def indicator_by_code(tenant_id: int, code: object) -> Indicator:
    if not isinstance(code, str):
        raise DomainError(_("Mã chỉ tiêu không hợp lệ."), "indicator")
    indicator = db.session.scalar(
        select(Indicator).where(Indicator.tenant_id == tenant_id,
                                Indicator.code == nfc(code).upper())
    )
    if indicator is None:
        raise DomainError(_("Không có chỉ tiêu mã %(code)s trong danh mục của tỉnh.", code=code),
                          "indicator")
    return indicator


def _check_binding(binding: str | None, kind: str) -> str | None:
    """None, or a known binding on a count indicator: records are counted, nothing else."""
    if not binding:
        return None
    if binding not in BINDINGS:
        raise DomainError(_("Nguồn số liệu không hợp lệ."), "binding")
    if kind != "count":
        raise DomainError(_("Chỉ chỉ tiêu dạng số đếm mới lấy số từ hồ sơ được."), "binding")
    return binding


def _check(name: str, kind: str, aggregation: str) -> None:
    if not name:
        raise DomainError(_("Tên chỉ tiêu không được để trống."), "name")
    if len(name) > 300:
        raise DomainError(_("Tên chỉ tiêu dài quá 300 ký tự."), "name")
    if kind not in KINDS:
        raise DomainError(_("Loại chỉ tiêu không hợp lệ."), "kind")
    if aggregation not in AGGREGATIONS:
        raise DomainError(_("Cách tổng hợp không hợp lệ."), "aggregation")
    if kind == "text" and aggregation != "none":
        raise DomainError(_("Chỉ tiêu dạng văn bản không tổng hợp được."), "aggregation")


def create_indicator(actor, tenant_id: int, *, code: str, name: str, kind: str,
                     aggregation: str, unit_label: str = "", description: str = "",
                     binding: str | None = None) -> Indicator:
    code, name = nfc(code).upper(), clean_line(name, _("Tên chỉ tiêu"), "name")
    unit_label = clean_line(unit_label, _("Đơn vị tính"), "unit_label")
    description = clean_text(description, _("Mô tả"), "description")
    if not CODE_RE.fullmatch(code):
        raise DomainError(_("Mã chỉ tiêu gồm 2–40 chữ in hoa không dấu, số hoặc dấu gạch dưới."),
                          "code")
    _check(name, kind, aggregation)
    binding = _check_binding(binding, kind)
    taken = select(Indicator.id).where(Indicator.tenant_id == tenant_id, Indicator.code == code)
    if db.session.scalar(taken) is not None:
        raise Conflict(_("Mã chỉ tiêu %(code)s đã có.", code=code), "code")
    indicator = Indicator(tenant_id=tenant_id, code=code, name=name, kind=kind,
                          aggregation=aggregation, unit_label=unit_label[:60],
                          description=description, binding=binding)
    db.session.add(indicator)
    db.session.flush()
    record("indicator.create", "indicator", indicator.id, actor=actor, tenant_id=tenant_id,
           summary=f"{code}: {name}")
    return indicator


def update_indicator(actor, indicator: Indicator, *, name: str, kind: str, aggregation: str,
                     unit_label: str = "", description: str = "", active: bool = True,
                     binding: str | None = None) -> Indicator:
    name = clean_line(name, _("Tên chỉ tiêu"), "name")
    unit_label = clean_line(unit_label, _("Đơn vị tính"), "unit_label")
    description = clean_text(description, _("Mô tả"), "description")
    _check(name, kind, aggregation)
    indicator.binding = _check_binding(binding, kind)
    indicator.name, indicator.kind, indicator.aggregation = name, kind, aggregation
    indicator.unit_label, indicator.description = unit_label[:60], description
    indicator.active = active
    record("indicator.update", "indicator", indicator.id, actor=actor,
           tenant_id=indicator.tenant_id, summary=f"{indicator.code}: {name}"
           + (f" ← {indicator.binding}" if indicator.binding else ""))
    return indicator
