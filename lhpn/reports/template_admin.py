"""Defining forms (biểu mẫu): for whoever manages the tenant's root, like the indicator
catalogue. Everything is checked before anything changes; operations flush, the caller commits.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lhpn import authz
from lhpn.audit.services import record
from lhpn.errors import Conflict, DomainError, NotFound, as_id
from lhpn.extensions import db
from lhpn.indicators.bindings import is_protected
from lhpn.indicators.models import Indicator
from lhpn.numbers import parse_number
from lhpn.reports.models import Report, ReportTemplate, TemplateItem, TemplatePeriod
from lhpn.reports.periods import PERIOD_TYPES, is_own_code
from lhpn.tenants.models import Tenant
from lhpn.text import clean_line, nfc

CODE_RE = re.compile(r"[A-Z0-9_]{2,40}")
MAX_NAME = 300
MAX_GROUP = 200
MAX_LABEL = 200
MAX_ITEMS = 200
PERIOD_TYPE_LABELS = {
    "month": _l("Tháng"),
    "quarter": _l("Quý"),
    "half": _l("6 tháng"),
    "year": _l("Năm"),
    "thematic": _l("Chuyên đề"),
    "adhoc": _l("Đột xuất"),
}
# Forms with their own dated periods instead of calendar periods.
OWN_PERIODS = ("thematic", "adhoc")


@dataclass
class TemplateInput:
    """What the admin asks for, as typed (checked by ``_check``)."""

    name: object
    period_type: object
    levels: Iterable[str]
    due_day: object
    due_months_after: object
    cutoff_day: object = None
    active: bool = True
    items: object = ""     # "CODE | group | x" per line, or a list of (code, group, required)
    periods: object = ""   # "CODE | label | dd/mm/yyyy" per line, or (code, label, date)


@dataclass
class _Checked:
    name: str
    period_type: str
    levels: list[str]
    due_day: int
    due_months_after: int
    cutoff_day: int | None
    active: bool
    items: list[tuple[Indicator, str, bool]] = field(default_factory=list)
    periods: list[tuple[str, str, date]] = field(default_factory=list)


# ---- access and look-ups -----------------------------------------------------------------------

def require_define(actor) -> None:
    """Forms are the tenant's: who manages its root defines them."""
    authz.require_manage_tenant(actor)


def all_templates(tenant_id: int):
    return (select(ReportTemplate).where(ReportTemplate.tenant_id == tenant_id)
            .order_by(ReportTemplate.active.desc(), ReportTemplate.name))


def template_by_id(tenant_id: int | None, template_id: object) -> ReportTemplate:
    key = as_id(template_id)
    template = db.session.get(ReportTemplate, key) if key is not None else None
    if template is None or tenant_id is None or template.tenant_id != tenant_id:
        raise NotFound(_("Không tìm thấy biểu mẫu."))
    return template


# ---- words ----------------------------------------------------------------------------------

def period_type_label(period_type: str) -> str:
    return str(PERIOD_TYPE_LABELS.get(period_type, period_type))


def due_rule(template: ReportTemplate) -> str:
    """The due-date rule in words, e.g. "ngày 20 của tháng sau kỳ"."""
    if template.period_type == "adhoc":
        return _("ngay khi phát sinh")
    if template.period_type == "thematic":
        return "; ".join(_("%(label)s: hạn %(date)s", label=p.label,
                           date=p.due_date.strftime("%d/%m/%Y")) for p in template.periods) \
            or _("theo hạn của từng kỳ chuyên đề")
    if template.due_months_after == 0:
        return _("ngày %(d)d của tháng cuối kỳ", d=template.due_day)
    if template.due_months_after == 1:
        return _("ngày %(d)d của tháng sau kỳ", d=template.due_day)
    return _("ngày %(d)d của tháng thứ %(n)d sau kỳ", d=template.due_day,
             n=template.due_months_after)


def items_text(template: ReportTemplate) -> str:
    return "\n".join(f"{i.indicator.code} | {i.group}" + (" | x" if i.required else "")
                      for i in template.items)


def periods_text(template: ReportTemplate) -> str:
    return "\n".join(f"{p.code} | {p.label} | {p.due_date.strftime('%d/%m/%Y')}"
                     for p in template.periods)


# ---- checks ---------------------------------------------------------------------------------

def _number(value: object, low: int, high: int, message: str, name: str) -> int:
    """A small whole number typed on the page, read like every number (``lhpn.numbers``): a
    refusal says how it was read after ``message``, which states the range."""
    number = int(parse_number(value, label=message.rstrip("."), field=name, whole=True))
    if not low <= number <= high:
        raise DomainError(message, name)
    return number


def _lines(value: object, label: str, field: str) -> list[list[str]]:
    """Text with one "a | b | c" row per line, or the same rows as sequences; a control
    character in a cell is refused (``label`` names the list)."""
    if isinstance(value, str):
        rows = [line.split("|") for line in value.splitlines() if line.strip()]
    elif isinstance(value, list | tuple):
        rows = [["x" if part is True else "" if part in (None, False) else str(part)
                 for part in row] for row in value]
    else:
        raise DomainError(_("Danh sách không hợp lệ."))
    return [[clean_line(part, label, field) for part in row] for row in rows]


def _items(tenant_id: int, value: object,
           kept: frozenset[int] = frozenset()) -> list[tuple[Indicator, str, bool]]:
    """The form's items; ``kept`` are the indicator ids the form already has."""
    catalogue = {i.code: i for i in db.session.scalars(
        select(Indicator).where(Indicator.tenant_id == tenant_id))}
    out, seen = [], set()
    for number, row in enumerate(_lines(value, _("Danh sách chỉ tiêu"), "items"), 1):
        if not row or len(row) > 3:
            raise DomainError(_("Dòng chỉ tiêu %(n)d: viết “MÃ | nhóm | x”.", n=number),
                              "items")
        code, group, flag = (row + ["", ""])[:3]
        if flag.lower() not in ("", "x"):
            raise DomainError(_("Dòng chỉ tiêu %(n)d: cột thứ ba chỉ ghi “x” (bắt buộc) hoặc "
                                "để trống.", n=number), "items")
        code = code.upper()
        indicator = catalogue.get(code)
        if indicator is None:
            raise DomainError(_("Dòng chỉ tiêu %(n)d: không có chỉ tiêu mã %(code)s trong danh "
                                "mục của tỉnh.", n=number, code=code or "—"), "items")
        if not indicator.active:
            raise DomainError(_("Chỉ tiêu %(code)s đã ngừng dùng, không đưa vào biểu mẫu được.",
                                code=code), "items")
        # Free text that named victims was retired from the forms; a form that still has it
        # may keep it (its values are read by the chain only), none gets it back.
        if is_protected(indicator) and indicator.id not in kept:
            raise DomainError(_("Chỉ tiêu %(code)s đã bị bỏ khỏi biểu mẫu vì có thể chứa thông "
                                "tin nhận dạng nạn nhân; không đưa vào lại được.", code=code),
                              "items")
        if code in seen:
            raise DomainError(_("Chỉ tiêu %(code)s có hai lần trong biểu mẫu.", code=code),
                              "items")
        if len(group) > MAX_GROUP:
            raise DomainError(_("Tên nhóm dài quá %(n)d ký tự.", n=MAX_GROUP), "items")
        seen.add(code)
        out.append((indicator, group, bool(flag)))
    if not out:
        raise DomainError(_("Biểu mẫu cần ít nhất một chỉ tiêu."), "items")
    if len(out) > MAX_ITEMS:
        raise DomainError(_("Biểu mẫu có tối đa %(n)d chỉ tiêu.", n=MAX_ITEMS), "items")
    return out


def _date(value: object, number: int) -> date:
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(str(value).strip(), pattern).date()
        except ValueError:
            continue
    raise DomainError(_("Dòng kỳ %(n)d: hạn nộp viết theo dạng ngày/tháng/năm, ví dụ "
                        "30/10/2026.", n=number), "periods")


def _periods(value: object) -> list[tuple[str, str, date]]:
    out, seen = [], set()
    for number, row in enumerate(_lines(value, _("Danh sách kỳ"), "periods"), 1):
        if len(row) != 3:
            raise DomainError(_("Dòng kỳ %(n)d: viết “MÃ | tên kỳ | hạn nộp (dd/mm/yyyy)”.",
                                n=number), "periods")
        code, label, due = row
        if not is_own_code(code):
            raise DomainError(_("Dòng kỳ %(n)d: mã kỳ gồm chữ, số, dấu gạch, dấu chấm (tối đa "
                                "40).", n=number), "periods")
        if not label or len(label) > MAX_LABEL:
            raise DomainError(_("Dòng kỳ %(n)d: tên kỳ không được trống, tối đa %(max)d ký tự.",
                                n=number, max=MAX_LABEL), "periods")
        if code in seen:
            raise DomainError(_("Mã kỳ %(code)s có hai lần.", code=code), "periods")
        seen.add(code)
        out.append((code, label, _date(due, number)))
    return out


def _check(tenant: Tenant, data: TemplateInput,
           template: ReportTemplate | None = None) -> _Checked:
    name = clean_line(str(data.name or ""), _("Tên biểu mẫu"), "name")
    if not name or len(name) > MAX_NAME:
        raise DomainError(_("Tên biểu mẫu không được trống, tối đa %(n)d ký tự.", n=MAX_NAME),
                          "name")
    if data.period_type not in PERIOD_TYPES:
        raise DomainError(_("Hãy chọn loại kỳ báo cáo."), "period_type")
    levels = [lv for lv in tenant.levels if lv in set(data.levels or ())]
    if not levels or len(levels) != len(set(data.levels or ())):
        raise DomainError(_("Hãy chọn các cấp lập báo cáo trong các cấp của tỉnh."), "levels")
    due_day = _number(data.due_day, 1, 31, _("Ngày hạn nộp là một số từ 1 đến 31."), "due_day")
    months = _number(data.due_months_after, 0, 3,
                     _("Số tháng sau kỳ là một số từ 0 đến 3."), "due_months_after")
    cutoff = None
    if data.cutoff_day not in (None, ""):
        cutoff = _number(data.cutoff_day, 1, 28, _("Ngày chốt số liệu là một số từ 1 đến 28."),
                         "cutoff_day")
    kept = frozenset(i.indicator_id for i in template.items) if template else frozenset()
    checked = _Checked(name, data.period_type, levels, due_day, months, cutoff,
                       bool(data.active), _items(tenant.id, data.items, kept),
                       _periods(data.periods))
    if checked.periods and checked.period_type not in OWN_PERIODS:
        raise DomainError(_("Chỉ biểu mẫu chuyên đề hoặc đột xuất có danh sách kỳ riêng."),
                          "periods")
    if checked.period_type == "thematic" and not checked.periods:
        raise DomainError(_("Biểu mẫu chuyên đề cần ít nhất một kỳ với hạn nộp."), "periods")
    if cutoff is not None and checked.period_type != "month":
        raise DomainError(_("Ngày chốt số liệu chỉ dùng cho biểu mẫu tháng."), "cutoff_day")
    return checked


# ---- operations -----------------------------------------------------------------------------

def create_template(actor, tenant_id: int, code: object, data: TemplateInput) -> ReportTemplate:
    require_define(actor)
    tenant = db.session.get_one(Tenant, tenant_id)
    code = nfc(str(code or "")).upper()
    if not CODE_RE.fullmatch(code):
        raise DomainError(_("Mã biểu mẫu gồm 2–40 ký tự: chữ in hoa không dấu, số, dấu gạch "
                            "dưới."), "code")
    checked = _check(tenant, data)
    exists = db.session.scalar(select(ReportTemplate.id).where(
        ReportTemplate.tenant_id == tenant_id, ReportTemplate.code == code))
    if exists is not None:
        raise Conflict(_("Đã có biểu mẫu mã %(code)s.", code=code), "code")
    template = ReportTemplate(tenant_id=tenant_id, code=code, levels="")
    _apply(template, checked)
    db.session.add(template)
    db.session.flush()
    record("report_template.create", "report_template", template.id, actor=actor,
           tenant_id=tenant_id, summary=f"{code} · {template.name}")
    return template


def update_template(actor, template: ReportTemplate, data: TemplateInput) -> ReportTemplate:
    require_define(actor)
    checked = _check(db.session.get_one(Tenant, template.tenant_id), data, template)
    used = set(db.session.scalars(select(Report.period).where(
        Report.template_id == template.id).distinct()))
    if used and checked.period_type != template.period_type:
        raise DomainError(_("Biểu mẫu đã có báo cáo: không đổi được loại kỳ."), "period_type")
    dropped = {p.code for p in template.periods} - {code for code, _label, _due in checked.periods}
    if dropped & used:
        raise DomainError(_("Kỳ %(codes)s đã có báo cáo, không bỏ được.",
                            codes=", ".join(sorted(dropped & used))), "periods")
    _apply(template, checked)
    db.session.flush()
    record("report_template.update", "report_template", template.id, actor=actor,
           tenant_id=template.tenant_id, summary=f"{template.code} · {template.name}")
    return template


def _apply(template: ReportTemplate, checked: _Checked) -> None:
    template.name, template.period_type = checked.name, checked.period_type
    template.levels = ",".join(checked.levels)
    template.due_day, template.due_months_after = checked.due_day, checked.due_months_after
    template.cutoff_day, template.active = checked.cutoff_day, checked.active
    # Rows are updated in place: delete-then-insert would trip the unique constraints.
    items = {item.indicator_id: item for item in template.items}
    kept_items = []
    for position, (indicator, group, required) in enumerate(checked.items):
        item = items.get(indicator.id) or TemplateItem(indicator_id=indicator.id,
                                                       indicator=indicator)
        item.position, item.group, item.required = position, group, required
        kept_items.append(item)
    template.items = kept_items
    periods = {p.code: p for p in template.periods}
    kept_periods = []
    for code, label, due in checked.periods:
        period = periods.get(code) or TemplatePeriod(code=code)
        period.label, period.due_date = label, due
        kept_periods.append(period)
    template.periods = kept_periods


def set_on_behalf(actor, tenant: Tenant, allowed: bool) -> Tenant:
    """Whether commune staff may enter reports for their branches (recorded as such)."""
    require_define(actor)
    if tenant.allow_on_behalf != allowed:
        tenant.allow_on_behalf = allowed
        record("tenant.on_behalf", "tenant", tenant.id, actor=actor, tenant_id=tenant.id,
               summary="on" if allowed else "off", allowed=allowed)
    return tenant
