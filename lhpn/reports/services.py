"""Reports: forms and their calendar, filling in, sign-off, locking and history.

Every operation starts with its access check, flushes, and leaves the commit to the caller.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lhpn import authz
from lhpn.audit.services import record
from lhpn.clock import utcnow
from lhpn.consolidation import rollups
from lhpn.errors import Conflict, DomainError, NotFound, as_id
from lhpn.extensions import db
from lhpn.indicators.bindings import binding_of, is_protected
from lhpn.indicators.models import Indicator
from lhpn.indicators.services import indicator_by_code
from lhpn.labels import capital, level_label, lower_first, report_named
from lhpn.numbers import parse_number
from lhpn.reports import periods as P
from lhpn.reports.catalogue import STARTER_TEMPLATES
from lhpn.reports.models import Report, ReportTemplate, ReportValue, TemplateItem, TemplatePeriod
from lhpn.tenants.models import Tenant
from lhpn.text import clean_text, nfc
from lhpn.units.models import Unit
from lhpn.workflow.engine import Transition, Workflow
from lhpn.workflow.signoff import SignOff

WORKFLOW = Workflow("report", {
    "submit": Transition(frozenset({"draft", "returned"}), "submitted"),
    "approve": Transition(frozenset({"submitted"}), "approved"),
    "return": Transition(frozenset({"submitted"}), "returned", needs_comment=True),
    "reopen": Transition(frozenset({"approved"}), "returned", needs_comment=True),
})
# A denominator that moves more than this share from the unit's last report is worth a look.
DENOMINATOR_DRIFT = Decimal("0.2")
MAX_TEXT = 20_000
# Counts and decimals are below 10^12 (report_values.number is NUMERIC(18, 4)); a rate's parts
# are stored in 32-bit integer columns.
MAX_NUMBER = Decimal("1e12")
MAX_RATE_PART = 2**31 - 1
MAX_REASON = 2_000
NARRATIVE_LABELS = {"results": _l("Kết quả"), "shortcomings": _l("Tồn tại, hạn chế"),
                    "proposals": _l("Đề xuất, kiến nghị")}


# ---- forms -----------------------------------------------------------------------------------

def seed_templates(tenant: Tenant, year: int | None = None) -> int:
    """Add the starter forms the tenant does not have yet; returns how many."""
    year = year or utcnow().year
    have = set(db.session.scalars(select(ReportTemplate.code)
                                  .where(ReportTemplate.tenant_id == tenant.id)))
    indicators = {i.code: i for i in db.session.scalars(
        select(Indicator).where(Indicator.tenant_id == tenant.id))}
    below_root = ",".join(tenant.levels[1:])
    added = 0
    for spec in STARTER_TEMPLATES:
        if spec.code in have:
            continue
        template = ReportTemplate(
            tenant_id=tenant.id, code=spec.code, name=spec.name, period_type=spec.period_type,
            levels=below_root, due_day=spec.due_day, due_months_after=spec.due_months_after)
        template.items = [
            TemplateItem(indicator_id=indicators[code].id, position=i, group=group,
                         required=required)
            for i, (code, group, required) in enumerate(spec.items) if code in indicators]
        template.periods = [
            TemplatePeriod(code=code.format(year=year), label=label.format(year=year),
                           due_date=date.fromisoformat(due.format(year=year)))
            for code, label, due in spec.periods]
        db.session.add(template)
        added += 1
    db.session.flush()
    return added


def templates_of(tenant_id: int | None, *, active_only: bool = True):
    stmt = select(ReportTemplate).where(ReportTemplate.tenant_id == tenant_id)
    if active_only:
        stmt = stmt.where(ReportTemplate.active)
    return stmt.order_by(ReportTemplate.name)


def get_template(tenant_id: int | None, key: object) -> ReportTemplate:
    """By id or by code; another tenant's form is not found."""
    stmt = select(ReportTemplate).where(ReportTemplate.tenant_id == tenant_id)
    if isinstance(key, str) and not key.isdigit():
        stmt = stmt.where(ReportTemplate.code == nfc(key).upper())
    else:
        stmt = stmt.where(ReportTemplate.id == as_id(key))
    template = db.session.scalar(stmt) if tenant_id is not None else None
    if template is None:
        raise NotFound(_("Không tìm thấy biểu mẫu."))
    return template


def _period_words(report: Report) -> str:
    """The report's period inside a sentence: "kỳ tháng 12/2026"."""
    return lower_first(P.period_label(report.template, report.period))


# ---- look-ups ---------------------------------------------------------------------------------

def get_report(tenant_id: int | None, report_id: object) -> Report:
    key = as_id(report_id)
    report = db.session.get(Report, key) if key is not None else None
    if report is None or report.tenant_id != tenant_id:
        raise NotFound(_("Không tìm thấy báo cáo."))
    return report


def visible_reports(user, *, unit_id=None, template_id=None, period=None, status=None):
    stmt = select(Report).where(Report.unit_id.in_(authz.reachable_unit_ids(user, "view")))
    if unit_id is not None:
        stmt = stmt.where(Report.unit_id == unit_id)
    if template_id is not None:
        stmt = stmt.where(Report.template_id == template_id)
    if period:
        stmt = stmt.where(Report.period == period)
    if status:
        stmt = stmt.where(Report.status == status)
    return stmt.order_by(Report.period.desc(), Report.id.desc())


def inbox(user):
    """Submitted reports waiting for this approver: those of the children of units it approves
    for (and the root's own reports at the root): ``authz.units_approved_by``."""
    approved = select(Unit.id).where(authz.units_approved_by(user))
    return (select(Report).where(Report.status == "submitted", Report.unit_id.in_(approved))
            .order_by(Report.submitted_at))


def find_report(unit: Unit, template: ReportTemplate, period: str) -> Report | None:
    return db.session.scalar(select(Report).where(
        Report.unit_id == unit.id, Report.template_id == template.id, Report.period == period))


def open_report(actor, unit: Unit, template: ReportTemplate, period: object) -> Report:
    """The unit's report for the period, created as a draft the first time."""
    authz.require_enter_for(actor, unit)
    if template.tenant_id != unit.tenant_id:
        raise NotFound(_("Không tìm thấy biểu mẫu."))
    if unit.level not in template.level_list:
        raise DomainError(_("Biểu mẫu này không dành cho cấp %(level)s.",
                            level=level_label(unit.level).lower()),
                          "template")
    if unit.closed:
        raise DomainError(_("Đơn vị đã giải thể không lập báo cáo mới."), "unit_id")
    found, due = P.period_of(template, period)
    existing = find_report(unit, template, found.code)
    if existing is not None:
        return existing
    report = Report(tenant_id=unit.tenant_id, unit_id=unit.id, unit=unit,
                    template_id=template.id, template=template, period=found.code,
                    due_date=due, created_by_id=actor.id,
                    on_behalf=authz.enters_on_behalf(actor, unit))
    db.session.add(report)
    db.session.flush()
    record("report.create", "report", report.id, actor=actor, tenant_id=report.tenant_id,
           summary=f"{unit.name} · {template.name} · {P.period_label(template, found.code)}",
           on_behalf=report.on_behalf)
    return report


# ---- values ----------------------------------------------------------------------------------

@dataclass
class Problem:
    indicator: str
    message: str


def _count(value: object, indicator: Indicator, label: str | None = None,
           maximum: int | Decimal = MAX_NUMBER - 1) -> Decimal:
    """A whole number ≥ 0 typed on the page (Vietnamese: 1.500) or sent as a JSON number."""
    return parse_number(value, label=label or indicator.name, field=indicator.code, whole=True,
                        maximum=maximum)


def _decimal(value: object, indicator: Indicator) -> Decimal:
    number = parse_number(value, label=indicator.name, field=indicator.code, negative=True,
                          maximum=MAX_NUMBER - Decimal("0.0001"))
    return number.quantize(Decimal("0.0001"))  # exact: parse_number refused more decimals


def _flag(value: object, indicator: Indicator) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("yes", "true", "1", "có", "co"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("no", "false", "0", "không", "khong"):
        return False
    raise DomainError(_("%(c)s: hãy chọn có hoặc không.", c=indicator.name), indicator.code)


def _rate(value: object, indicator: Indicator) -> tuple[int, int]:
    code, name = indicator.code, indicator.name
    if not isinstance(value, dict) or set(value) - {"numerator", "denominator"}:
        raise DomainError(_("%(c)s: tỷ lệ gồm tử số (numerator) và mẫu số (denominator).",
                            c=name), code)
    numerator, denominator = (
        int(_count(value.get(part), indicator, f"{indicator.name} ({label})", MAX_RATE_PART))
        for part, label in (("numerator", _("tử số")), ("denominator", _("mẫu số"))))
    if numerator > denominator:
        raise DomainError(_("%(c)s: tử số (%(n)d) không được lớn hơn mẫu số (%(d)d).",
                            c=name, n=numerator, d=denominator), code)
    if denominator == 0 and numerator == 0:
        raise DomainError(_("%(c)s: mẫu số phải lớn hơn 0.", c=name), code)
    return numerator, denominator


def _empty(value: object) -> bool:
    if value is None or (isinstance(value, str) and not value.strip()):
        return True
    return isinstance(value, dict) and all(_empty(v) for v in value.values())


def _value_row(indicator: Indicator, raw: object) -> ReportValue:
    code, kind = indicator.code, indicator.kind
    row = ReportValue(indicator_id=indicator.id, indicator=indicator)
    if kind == "count":
        row.number = _count(raw, indicator)
    elif kind == "decimal":
        row.number = _decimal(raw, indicator)
    elif kind == "boolean":
        row.flag = _flag(raw, indicator)
    elif kind == "rate":
        row.numerator, row.denominator = _rate(raw, indicator)
    else:
        if not isinstance(raw, str):
            raise DomainError(_("%(c)s: hãy nhập văn bản.", c=indicator.name), code)
        row.text = clean_text(raw, indicator.name, code)[:MAX_TEXT]
    return row


def value_of(row: ReportValue) -> object:
    kind = row.indicator.kind
    if kind == "rate":
        return {"numerator": row.numerator, "denominator": row.denominator}
    if kind == "boolean":
        return row.flag
    if kind == "text":
        return row.text
    if row.number is None:
        return None
    return int(row.number) if row.number == row.number.to_integral_value() else float(row.number)


def values_dict(report: Report) -> dict[str, object]:
    return {row.indicator.code: value_of(row) for row in report.values}


def readable_values(reader, report: Report) -> list[ReportValue]:
    """The report's values ``reader`` may see: a protected indicator's value (free text that
    may name a victim, lhpn/indicators/bindings.py PROTECTED_CODES) only by the chain of
    command of the report's unit. Every page, export and answer that shows values asks this."""
    if any(is_protected(row.indicator) for row in report.values) and not authz.can(
            reader, "read_protected", report.unit):
        return [row for row in report.values if not is_protected(row.indicator)]
    return list(report.values)


def values_for(reader, report: Report) -> dict[str, object]:
    """The values ``reader`` may see, by code."""
    return {row.indicator.code: value_of(row) for row in readable_values(reader, report)}


# ---- values from records -----------------------------------------------------------------------

@dataclass
class FromRecords:
    """A bound indicator of a report: the count of the unit's own records of the period (live
    on a draft, frozen once sent) and whether the value differs from it, and why."""

    count: int
    overridden: bool
    reason: str


def _bound(report: Report):
    """(indicator id, binding, first day, last day) for each bound indicator of the report's
    form. An ad hoc report has no span of days to count over: none."""
    if report.template.period_type == "adhoc":
        return
    try:
        found, _due = P.period_of(report.template, report.period)
    except DomainError:
        return
    for item in report.template.items:
        binding = binding_of(item.indicator)
        if binding is not None:
            yield item.indicator_id, binding, found.start, found.end


def record_counts(report: Report) -> dict[int, int]:
    """indicator id → the count of the unit's own records of the report's period, for the
    form's bound indicators."""
    return {indicator_id: binding.count(report.unit, start, end)
            for indicator_id, binding, start, end in _bound(report)}


def record_ids(report: Report) -> dict[int, list[int]]:
    """indicator id → the ids of the unit's own records of the report's period that its bound
    indicator counts: on a draft as they are now, once sent those recorded by then."""
    before = None if report.editable else report.submitted_at
    return {indicator_id: binding.records(report.unit, start, end, before)
            for indicator_id, binding, start, end in _bound(report)}


def _overrides(row: ReportValue | None, count: int) -> bool:
    return row is not None and row.number is not None and int(row.number) != count


def from_records(report: Report) -> dict[str, FromRecords]:
    """code → FromRecords for the bound indicators of the report's form."""
    rows = {row.indicator_id: row for row in report.values}
    out = {}
    if report.editable:
        counts = record_counts(report)
        for item in report.template.items:
            if item.indicator_id not in counts:
                continue
            row, count = rows.get(item.indicator_id), counts[item.indicator_id]
            overridden = _overrides(row, count) and bool(row and row.override_reason)
            out[item.indicator.code] = FromRecords(
                count, overridden, (row.override_reason or "") if overridden and row else "")
        return out
    for row in report.values:
        if row.from_records is not None:
            overridden = _overrides(row, row.from_records)
            out[row.indicator.code] = FromRecords(
                row.from_records, overridden, (row.override_reason or "") if overridden else "")
    return out


def _check_override(row: ReportValue, count: int, reason: object, indicator: Indicator) -> None:
    """A value that is not the records' count needs the officer's reason (refused otherwise)."""
    row.from_records = count
    if not _overrides(row, count):
        row.override_reason = None
        return
    text = clean_text(reason if isinstance(reason, str) else "", _("Lý do"),
                      indicator.code).strip()[:MAX_REASON]
    if not text:
        raise DomainError(_(
            "%(c)s: hồ sơ của đơn vị trong kỳ ghi %(n)d; nhập số khác thì phải ghi lý do.",
            c=indicator.name, n=count), indicator.code)
    row.override_reason = text


def freeze_records(report: Report) -> None:
    """On sending: each bound value takes the records' count as it is now, unless the officer
    overrode it with a reason; the count used stays with the value."""
    counts = record_counts(report)
    if not counts:
        return
    rows = {row.indicator_id: row for row in report.values}
    for item in report.template.items:
        if item.indicator_id not in counts:
            continue
        count, row = counts[item.indicator_id], rows.get(item.indicator_id)
        if row is None:
            row = ReportValue(indicator_id=item.indicator_id, indicator=item.indicator)
            report.values.append(row)
        if not row.override_reason or row.number is None:
            row.number, row.override_reason = Decimal(count), None
        row.from_records = count
        if not _overrides(row, count):
            row.override_reason = None
    db.session.flush()


def save_report(actor, report: Report, values: object, version: object, *,
                narrative: dict | None = None, nothing_to_report: bool | None = None,
                reasons: dict | None = None) -> list[Problem]:
    """Store values and narrative of a draft; returns warnings (they never block). A bound
    indicator's value that is not the count of the unit's records needs a reason in
    ``reasons`` (code → text)."""
    authz.require_enter_for(actor, report.unit)
    if not report.editable:
        raise Conflict(_("Báo cáo đã gửi hoặc đã duyệt thì không sửa được."), "status")
    check_version(report, version)
    if not isinstance(values, dict):
        raise DomainError(_("Giá trị chỉ tiêu phải là một bảng mã → giá trị."), "values")
    allowed = {item.indicator.code: item.indicator for item in report.template.items}
    rows = []
    for code, raw in values.items():
        indicator = allowed.get(code)
        if indicator is None:
            if isinstance(code, str):
                indicator_by_code(report.tenant_id, code)  # a clear message if it is unknown
            raise DomainError(_("Chỉ tiêu %(c)s không có trong biểu mẫu này.", c=code), "values")
        if not _empty(raw):
            rows.append(_value_row(indicator, raw))
    counts = record_counts(report)
    for row in rows:
        if row.indicator_id in counts:
            _check_override(row, counts[row.indicator_id], (reasons or {}).get(
                row.indicator.code), row.indicator)
    texts = {}
    for field in ("results", "shortcomings", "proposals"):
        text = (narrative or {}).get(field, getattr(report, field))
        if not isinstance(text, str):
            raise DomainError(_("Phần tường thuật phải là văn bản."), field)
        texts[field] = clean_text(text, str(NARRATIVE_LABELS[field]), field)[:MAX_TEXT]
    for field, text in texts.items():
        setattr(report, field, text)
    if nothing_to_report is not None:
        report.nothing_to_report = bool(nothing_to_report)
    # Update rows in place: replacing them would insert before deleting and trip the
    # one-value-per-indicator constraint.
    existing = {row.indicator_id: row for row in report.values}
    kept = []
    for row in rows:
        old = existing.get(row.indicator_id)
        if old is None:
            kept.append(row)
            continue
        old.number, old.numerator, old.denominator = row.number, row.numerator, row.denominator
        old.flag, old.text = row.flag, row.text
        old.from_records, old.override_reason = row.from_records, row.override_reason
        kept.append(old)
    # A value of an indicator no longer in the form (a retired item) is kept as written.
    kept += [row for row in report.values if row.indicator_id not in
             {i.id for i in allowed.values()}]
    report.values = kept
    report.updated_at = utcnow()
    db.session.flush()
    return warnings(report)


def warnings(report: Report) -> list[Problem]:
    """A rate's denominator far from the same unit's last report is worth a second look."""
    previous = previous_report(report)
    if previous is None:
        return []
    before = {row.indicator_id: row for row in previous.values}
    out = []
    for row in report.values:
        old = before.get(row.indicator_id)
        if (row.indicator.kind != "rate" or row.denominator is None or old is None
                or not old.denominator):  # a rate's row has both parts (``_rate``)
            continue
        drift = abs(Decimal(row.denominator) - old.denominator) / old.denominator
        if drift > DENOMINATOR_DRIFT:
            out.append(Problem(row.indicator.code, _(
                "%(c)s: mẫu số %(new)d khác nhiều so với kỳ trước (%(old)d). Hãy kiểm tra lại.",
                c=row.indicator.name, new=row.denominator, old=old.denominator)))
    return out


def missing_required(report: Report) -> list[str]:
    """The names of the required indicators the report has no value for."""
    if report.nothing_to_report:
        return []
    have = {row.indicator_id for row in report.values}
    return [item.indicator.name for item in report.template.items
            if item.required and item.indicator_id not in have]


# ---- sign-off ---------------------------------------------------------------------------------

class ReportSignOff(SignOff[Report]):
    """A report goes up to the level above, which approves (and locks) it, returns it with
    comments, or reopens it once approved; an approved report is in the running totals from
    the moment the decision commits."""

    workflow = WORKFLOW
    url_prefix = "/reports/"

    def stale_message(self) -> str:
        return _("Báo cáo vừa được người khác thay đổi. Hãy tải lại trang và nhập lại "
                 "thay đổi của bạn.")

    def own_decision_message(self) -> str:
        return _("Bạn không thể tự duyệt, trả lại hoặc mở lại báo cáo do chính mình gửi.")

    def notice(self, record: Report, action: str, comment: str = "") -> str:
        named, when = report_named(record.template.name), _period_words(record)
        if action == "submit":
            return _("%(unit)s gửi %(report)s kỳ %(p)s chờ duyệt.", unit=record.unit.name,
                     report=named, p=when)
        if action == "approve":
            return _("%(report)s kỳ %(p)s đã được duyệt.", report=capital(named), p=when)
        if action == "return":
            return _("%(report)s kỳ %(p)s bị trả lại: %(c)s", report=capital(named), p=when,
                     c=comment)
        return _("%(report)s kỳ %(p)s được mở lại: %(c)s", report=capital(named), p=when,
                 c=comment)

    def require_submit(self, actor, record: Report) -> None:
        # Staff of the unit, or of its commune for a branch without accounts.
        authz.require_enter_for(actor, record.unit)

    def check_ready(self, record: Report) -> None:
        # Sending freezes the records' count each bound value was checked against.
        freeze_records(record)
        # A report set aside under a stand-in period (a duplicate found when codes were made
        # canonical) cannot go back into the totals.
        P.period_of(record.template, record.period)
        missing = missing_required(record)
        if missing:
            raise DomainError(_("Còn thiếu chỉ tiêu bắt buộc: %(names)s. Nhập giá trị, hoặc "
                                "đánh dấu “Không có số liệu để báo cáo”.",
                                names="; ".join(missing)), "values")

    def after(self, record: Report, action: str) -> None:
        # Consolidations are fresh the moment the decision commits: same transaction.
        if action == "approve":
            rollups.add(record)
        elif action == "reopen":
            rollups.remove(record)


def check_version(report: Report, version: object) -> None:
    """409 unless ``version`` is the report's current one (asked by edits and by every step)."""
    SIGN_OFF.check_version(report, version)


SIGN_OFF = ReportSignOff()
submit_report = SIGN_OFF.submit
approve_report = SIGN_OFF.approve
return_report = SIGN_OFF.return_
reopen_report = SIGN_OFF.reopen
history = SIGN_OFF.history


def previous_report(report: Report) -> Report | None:
    code = P.previous_code(report.period, report.template.period_type)
    if code is None:
        return None
    return db.session.scalar(select(Report).where(
        Report.unit_id == report.unit_id, Report.template_id == report.template_id,
        Report.period == code))


@dataclass
class Change:
    code: str
    before: object
    now: object
    unusual: bool


@dataclass
class Retired:
    """Stands for a form item in a report's table: a value kept of an indicator that has left
    the form since (shown to who may read it, under its own heading)."""

    indicator: Indicator
    indicator_id: int
    group: str
    required: bool = False


RETIRED_GROUP = _l("Chỉ tiêu không còn trong biểu mẫu")


def compare(reader, report: Report, previous: Report | None
            ) -> list[tuple[TemplateItem | Retired, Change]]:
    """Each value ``reader`` may see beside last period's, by form item (then the values of
    items that left the form); a move of more than half (and at least 5) stands out."""
    now_rows = {row.indicator_id: row for row in readable_values(reader, report)}
    before = ({row.indicator_id: row for row in readable_values(reader, previous)}
              if previous else {})
    lines: list[TemplateItem | Retired] = list(report.template.items)
    in_form = {item.indicator_id for item in lines}
    lines += [Retired(row.indicator, row.indicator_id, str(RETIRED_GROUP))
              for row in sorted(now_rows.values(), key=lambda r: r.indicator.code)
              if row.indicator_id not in in_form]
    out: list[tuple[TemplateItem | Retired, Change]] = []
    for line in lines:
        now_row, old_row = now_rows.get(line.indicator_id), before.get(line.indicator_id)
        now = value_of(now_row) if now_row else None
        old = value_of(old_row) if old_row else None
        unusual = False
        if isinstance(now, int | float) and isinstance(old, int | float) and not isinstance(
                now, bool):
            diff = abs(now - old)
            unusual = diff >= 5 and diff > 0.5 * max(abs(old), 1)
        out.append((line, Change(line.indicator.code, old, now, unusual)))
    return out


# ---- calendar ------------------------------------------------------------------------------------

@dataclass
class Due:
    template: ReportTemplate
    period: str
    label: str
    due_date: date
    report: Report | None

    @property
    def state(self) -> str:
        return self.report.status if self.report else "not_started"


def calendar_for(unit: Unit, year: int) -> list[Due]:
    """What the unit has to report in the year, and when, with what it has done so far: the
    periods it owes (due after it opened, lhpn.consolidation.services.owes_report) and those
    it reported anyway."""
    from lhpn.consolidation.services import owes_report

    templates = db.session.scalars(templates_of(unit.tenant_id)).all()
    reports = {(r.template_id, r.period): r for r in db.session.scalars(
        select(Report).where(Report.unit_id == unit.id))}
    out = []
    for template in templates:
        if unit.level not in template.level_list or template.period_type == "adhoc":
            continue
        if template.period_type == "thematic":
            entries = [(tp.code, tp.label, tp.due_date) for tp in template.periods
                       if tp.due_date.year == year]
        else:
            entries = [(p.code, P.label(p.code, template.period_type),
                        P.due_date(p, template.due_day, template.due_months_after))
                       for p in P.periods_of_year(template.period_type, year,
                                                  template.cutoff_day)]
        for code, label, due in entries:
            report = reports.get((template.id, code))
            if report is not None or owes_report(unit.opened_on, unit.closed, unit.closed_at,
                                                 due):
                out.append(Due(template, code, label, due, report))
    return sorted(out, key=lambda d: (d.due_date, d.template.name))
