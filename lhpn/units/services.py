"""Operations on the unit tree. They flush; the caller commits once."""

import secrets
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, String, func, literal, select, update

from lhpn.audit.services import record
from lhpn.clock import local_date, local_today, utcnow
from lhpn.errors import Conflict, DomainError, NotFound, as_id
from lhpn.extensions import db
from lhpn.labels import level_label
from lhpn.tenants.models import Tenant
from lhpn.text import clean_line, nfc, search_key
from lhpn.units.locks import hold_place, lock_tree
from lhpn.units.models import Unit

MAX_NAME = 200
MAX_CODE = 64
# The Vietnam Women's Union was founded on 20/10/1930: no unit opened before that day.
EARLIEST_OPENING = date(1930, 10, 20)


def get_unit(tenant_id: int | None, unit_id: object) -> Unit:
    """The tenant-scoped getter: another tenant's id is simply not found."""
    key = as_id(unit_id)
    unit = db.session.get(Unit, key) if key is not None else None
    if unit is None or tenant_id is None or unit.tenant_id != tenant_id:
        raise NotFound(_("Không tìm thấy đơn vị."))
    return unit


def get_unit_by_code(tenant_id: int, code: str) -> Unit:
    unit = db.session.scalar(
        select(Unit).where(Unit.tenant_id == tenant_id, Unit.code == nfc(code))
    )
    if unit is None:
        raise NotFound(_("Không có đơn vị mã %(code)s.", code=code))
    return unit


def root_of(tenant_id: int) -> Unit:
    return db.session.scalars(
        select(Unit).where(Unit.tenant_id == tenant_id, Unit.parent_id.is_(None))
    ).one()


def _clean_name(name: str | None) -> str:
    name = clean_line(name, _("Tên đơn vị"), "name")
    if not name:
        raise DomainError(_("Tên đơn vị không được để trống."), "name")
    if len(name) > MAX_NAME:
        raise DomainError(_("Tên đơn vị dài quá %(n)d ký tự.", n=MAX_NAME), "name")
    return name


def _clean_code(tenant_id: int, code: str | None, *, exclude_id: int | None = None) -> str:
    code = clean_line(code, _("Mã đơn vị"), "code").upper()
    if not code:
        raise DomainError(_("Mã đơn vị không được để trống."), "code")
    if len(code) > MAX_CODE or any(ch.isspace() for ch in code):
        raise DomainError(_("Mã đơn vị không hợp lệ (không dấu cách, tối đa 64 ký tự)."), "code")
    clash = select(Unit.id).where(Unit.tenant_id == tenant_id, Unit.code == code)
    if exclude_id is not None:
        clash = clash.where(Unit.id != exclude_id)
    if db.session.scalar(clash) is not None:
        raise Conflict(_("Mã đơn vị %(code)s đã được dùng.", code=code), "code")
    return code


def _new_code(tenant: Tenant) -> str:
    while True:
        code = f"{tenant.code}-{secrets.token_hex(3).upper()}"
        taken = select(Unit.id).where(Unit.tenant_id == tenant.id, Unit.code == code)
        if db.session.scalar(taken) is None:
            return code


def _check_level(tenant: Tenant, level: str, parent: Unit) -> None:
    if level not in tenant.levels:
        raise DomainError(
            _("Cấp %(level)s không có trong tổ chức của tỉnh này.", level=level), "level"
        )
    if tenant.level_rank(level) <= tenant.level_rank(parent.level):
        raise DomainError(
            _(
                "Đơn vị cấp %(level)s không thể trực thuộc đơn vị cấp %(parent)s.",
                level=level_label(level),
                parent=level_label(parent.level),
            ),
            "level",
        )


def opening_date(value: object, closed_at: datetime | None = None) -> date:
    """The day a unit opened, from a date or its text (dd/mm/yyyy or yyyy-mm-dd); today (Vietnam
    time) when empty. Not in the future, not after the unit closed."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return local_today()
    day = value if isinstance(value, date) and not isinstance(value, datetime) else None
    if isinstance(value, str):
        for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
            try:
                day = datetime.strptime(value.strip(), pattern).date()
                break
            except ValueError:
                continue
    if day is None:
        raise DomainError(_("Ngày bắt đầu hoạt động viết theo dạng ngày/tháng/năm, ví dụ "
                            "01/01/2026."), "opened_on")
    if day > local_today():
        raise DomainError(_("Ngày bắt đầu hoạt động không được sau hôm nay."), "opened_on")
    if day < EARLIEST_OPENING:
        raise DomainError(_("Ngày bắt đầu hoạt động không được trước ngày thành lập Hội "
                            "(20/10/1930)."), "opened_on")
    if closed_at is not None and day > local_date(closed_at):
        closed_on = local_date(closed_at).strftime("%d/%m/%Y")
        raise DomainError(_("Ngày bắt đầu hoạt động không được sau ngày đơn vị giải thể "
                            "(%(d)s).", d=closed_on), "opened_on")
    return day


def create_root(tenant: Tenant) -> Unit:
    root = Unit(
        tenant_id=tenant.id,
        code=tenant.code,
        name=tenant.name,
        search_name=search_key(tenant.name),
        level=tenant.levels[0],
        opened_on=local_today(),
    )
    db.session.add(root)
    db.session.flush()
    root.path = f"/{root.id}/"
    return root


def create_unit(
    actor,
    parent: Unit,
    name: str | None,
    level: str | None,
    code: str | None = None,
    admin_code: str | None = None,
    opened_on: object = None,
) -> Unit:
    """A unit under ``parent``; it opens ``opened_on`` (today when not given)."""
    tenant = parent.tenant
    hold_place(parent)  # its path as committed: the new unit's path starts with it
    name = _clean_name(name)
    opened = opening_date(opened_on)
    level = (level or "").strip()
    _check_level(tenant, level, parent)
    if parent.closed:
        raise DomainError(_("Không thể thêm đơn vị vào đơn vị đã giải thể."), "parent_id")
    code = _clean_code(tenant.id, code) if code else _new_code(tenant)
    unit = Unit(
        tenant_id=tenant.id,
        parent_id=parent.id,
        code=code,
        name=name,
        search_name=search_key(name),
        level=level,
        depth=parent.depth + 1,
        admin_code=admin_code,
        opened_on=opened,
    )
    db.session.add(unit)
    db.session.flush()
    unit.path = f"{parent.path}{unit.id}/"
    record("unit.create", "unit", unit.id, actor=actor, tenant_id=tenant.id,
           summary=f"{unit.name} ({unit.code})", parent_id=parent.id, level=level)
    return unit


def rename_unit(actor, unit: Unit, name: str | None) -> Unit:
    # Every write to units takes the tree lock first, so a rename and a move never wait for
    # each other in opposite orders (unit row, then tenant row; tenant row, then unit rows).
    lock_tree(unit.tenant_id)
    name = _clean_name(name)
    if name != unit.name:
        old = unit.name
        unit.name = name
        unit.search_name = search_key(name)
        record("unit.rename", "unit", unit.id, actor=actor, tenant_id=unit.tenant_id,
               summary=f"{old} → {name}", old=old, new=name)
    return unit


def set_official_name(actor, unit: Unit, value: object) -> Unit:
    """The name official documents give the unit; empty: its name."""
    if value is not None and not isinstance(value, str):
        raise DomainError(_("Tên chính thức phải là văn bản."), "official_name")
    lock_tree(unit.tenant_id)
    official = clean_line(value, _("Tên chính thức"), "official_name") or None
    if official is not None and len(official) > MAX_NAME:
        raise DomainError(_("Tên chính thức dài quá %(n)d ký tự.", n=MAX_NAME), "official_name")
    if official != unit.official_name:
        old = unit.official_name
        unit.official_name = official
        record("unit.official_name", "unit", unit.id, actor=actor, tenant_id=unit.tenant_id,
               summary=f"{unit.name}: {old or '—'} → {official or '—'}", old=old, new=official)
    return unit


def set_opened_on(actor, unit: Unit, value: object) -> Unit:
    """Correct the day a unit opened; what it owes changes with it (the consolidation reads the
    date live, and the change moves the tenant's figures version, so no cached page is stale)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise DomainError(_("Hãy nhập ngày bắt đầu hoạt động."), "opened_on")
    day = opening_date(value, unit.closed_at if unit.closed else None)
    if day != unit.opened_on:
        old = unit.opened_on
        unit.opened_on = day
        record("unit.opened_on", "unit", unit.id, actor=actor, tenant_id=unit.tenant_id,
               summary=f"{unit.name}: {old:%d/%m/%Y} → {day:%d/%m/%Y}",
               old=old.isoformat(), new=day.isoformat())
    return unit


def move_unit(actor, unit: Unit, new_parent: Unit) -> Unit:
    # Both places as committed, under the tree lock (lhpn/units/locks.py): no approval,
    # reopen or other move of this tenant commits until this move has.
    hold_place(unit, new_parent)
    if unit.parent_id is None:
        raise DomainError(_("Không thể chuyển đơn vị gốc của tỉnh."), "parent_id")
    if new_parent.tenant_id != unit.tenant_id:
        raise NotFound(_("Không tìm thấy đơn vị."))
    if new_parent.path.startswith(unit.path):
        raise DomainError(
            _("Không thể chuyển một đơn vị vào chính nó hoặc đơn vị cấp dưới của nó."), "parent_id"
        )
    _check_level(unit.tenant, unit.level, new_parent)
    if new_parent.closed:
        raise DomainError(_("Không thể chuyển vào đơn vị đã giải thể."), "parent_id")
    if new_parent.id == unit.parent_id:
        return unit
    old_parent_id, old_path = unit.parent_id, unit.path
    new_path = f"{new_parent.path}{unit.id}/"
    shift = new_parent.depth + 1 - unit.depth
    db.session.flush()
    # One statement rewrites the whole subtree: ids in the path do not change, only the prefix.
    db.session.execute(
        update(Unit)
        .where(Unit.tenant_id == unit.tenant_id, Unit.path.startswith(old_path, autoescape=True))
        .values(
            path=literal(new_path, String) + func.substr(Unit.path, len(old_path) + 1),
            depth=Unit.depth + shift,
        )
        .execution_options(synchronize_session=False)
    )
    unit.parent_id = new_parent.id
    db.session.flush()
    db.session.expire_all()
    # Reports follow the unit: the ancestors it left and joined get their totals recomputed.
    from lhpn.consolidation import rollups

    changed = rollups.changed_by_move(old_path, new_path)
    rollups.rebuild_units(db.session.scalars(select(Unit).where(Unit.id.in_(changed))).all())
    record("unit.move", "unit", unit.id, actor=actor, tenant_id=unit.tenant_id,
           summary=f"{unit.name}: → {new_parent.name}",
           old_parent_id=old_parent_id, new_parent_id=new_parent.id)
    return unit


def close_unit(actor, unit: Unit) -> Unit:
    hold_place(unit)
    if unit.parent_id is None:
        raise DomainError(_("Không thể giải thể đơn vị gốc của tỉnh."))
    open_children = db.session.scalar(
        select(func.count()).select_from(Unit).where(Unit.parent_id == unit.id, ~Unit.closed)
    )
    if open_children:
        raise DomainError(
            _("Đơn vị còn %(n)d đơn vị trực thuộc đang hoạt động; hãy chuyển hoặc giải thể "
              "chúng trước.", n=open_children)
        )
    if not unit.closed:
        unit.closed, unit.closed_at = True, utcnow()
        record("unit.close", "unit", unit.id, actor=actor, tenant_id=unit.tenant_id,
               summary=unit.name)
    return unit


def reopen_unit(actor, unit: Unit) -> Unit:
    hold_place(unit)
    if unit.parent is not None:
        hold_place(unit.parent)
    if unit.parent is not None and unit.parent.closed:
        raise DomainError(_("Đơn vị cấp trên đã giải thể; hãy mở lại đơn vị cấp trên trước."))
    if unit.closed:
        unit.closed, unit.closed_at = False, None
        record("unit.reopen", "unit", unit.id, actor=actor, tenant_id=unit.tenant_id,
               summary=unit.name)
    return unit


def units_where(condition: ColumnElement[bool], *, parent_id: int | None = None,
                q: str | None = None):
    """A SELECT of units matching ``condition`` (from authz.reachable), optionally filtered."""
    stmt = select(Unit).where(condition)
    if parent_id is not None:
        stmt = stmt.where(Unit.parent_id == parent_id)
    if q:
        key = search_key(q)
        stmt = stmt.where(
            (Unit.search_name.contains(key, autoescape=True))
            | (Unit.code.contains(nfc(q).upper(), autoescape=True))
        )
    return stmt.order_by(Unit.path)


def level_counts(condition: ColumnElement[bool]) -> dict[str, int]:
    rows = db.session.execute(
        select(Unit.level, func.count()).where(condition, ~Unit.closed).group_by(Unit.level)
    )
    return {level: count for level, count in rows}
