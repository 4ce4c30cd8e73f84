"""Reporting periods by code (2026-03, 2026-Q1, 2026-H1, 2026, or a thematic period's own code)
and the due dates the form's rule gives them. Rules are data: each form says on which day of
which month after the period its report is due, and where a month is cut off."""

import calendar
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Literal, get_args

from flask_babel import gettext as _

from lhpn.clock import local_today
from lhpn.errors import DomainError

if TYPE_CHECKING:
    from lhpn.reports.models import ReportTemplate

PeriodType = Literal["month", "quarter", "half", "year", "thematic", "adhoc"]
PERIOD_TYPES: tuple[PeriodType, ...] = get_args(PeriodType)
# Codes are ASCII and matched whole: "２０２６-03", "٢٠٢٦-03" or "2026-03\n" would otherwise
# name the same month as "2026-03" under another code, and a second report would stand
# beside the first.
_PATTERNS = {
    "month": re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])"),
    "quarter": re.compile(r"([0-9]{4})-Q([1-4])"),
    "half": re.compile(r"([0-9]{4})-H([12])"),
    "year": re.compile(r"([0-9]{4})"),
}
# A thematic or ad hoc period's own code: ASCII letters, digits, "-", "_" and "." (the same
# set the database's CHECK on reports.period and template_periods.code allows).
CODE_CHARACTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."
OWN_CODE = re.compile(r"[A-Za-z0-9_.-]{1,40}")


@dataclass(frozen=True)
class Period:
    code: str
    start: date
    end: date


def _add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def _day(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def parse(code: str, period_type: str, cutoff_day: int | None = None) -> Period | None:
    """The period a code names for a form of ``period_type``, or None if it names none.

    With a cut-off day D, month M runs from day D of M-1 to day D-1 of M (e.g. 15/02–14/03)."""
    pattern = _PATTERNS.get(period_type)
    match = pattern.fullmatch(code) if pattern and isinstance(code, str) else None
    if match is None:
        return None
    year = int(match.group(1))
    if not 2000 <= year <= 2100:
        return None
    if period_type == "month":
        first, last = int(match.group(2)), int(match.group(2))
    elif period_type == "quarter":
        q = int(match.group(2))
        first, last = 3 * q - 2, 3 * q
    elif period_type == "half":
        h = int(match.group(2))
        first, last = 6 * h - 5, 6 * h
    else:
        first, last = 1, 12
    if cutoff_day:
        start = _day(*_add_months(year, first, -1), cutoff_day)
        end = _day(year, last, cutoff_day) - timedelta(days=1)
    else:
        start = date(year, first, 1)
        end = _day(year, last, 31)
    return Period(code, start, end)


def is_own_code(code: object) -> bool:
    """Whether ``code`` may name a thematic or ad hoc period."""
    return isinstance(code, str) and OWN_CODE.fullmatch(code) is not None


def year_of(code: str, period_type: str) -> int | None:
    """The year a calendar period's code names ("2027-03" → 2027); None for any other code."""
    period = parse(code, period_type)
    return period.end.year if period is not None else None


def canonical_spelling(code: str) -> str:
    """How a code typed with other digits or spaces reads in ASCII ("２０２６-03 " →
    "2026-03"), to suggest it; the code itself is never stored this way."""
    text = unicodedata.normalize("NFKC", code).strip()
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in text)


def due_date(period: Period, due_day: int, months_after: int) -> date:
    """Day ``due_day`` of the month ``months_after`` months after the one the period ends in."""
    year, month = _add_months(period.end.year, period.end.month, months_after)
    return _day(year, month, due_day)


def periods_of_year(period_type: str, year: int, cutoff_day: int | None = None) -> list[Period]:
    codes = {
        "month": [f"{year}-{m:02d}" for m in range(1, 13)],
        "quarter": [f"{year}-Q{q}" for q in range(1, 5)],
        "half": [f"{year}-H{h}" for h in (1, 2)],
        "year": [f"{year}"],
    }.get(period_type, [])
    return [p for p in (parse(c, period_type, cutoff_day) for c in codes) if p is not None]


def previous_code(code: str, period_type: str) -> str | None:
    period = parse(code, period_type)
    if period is None:
        return None
    year = period.end.year
    if period_type == "month":
        y, m = _add_months(year, period.end.month, -1)
        return f"{y}-{m:02d}"
    if period_type == "quarter":
        q = (period.end.month + 2) // 3
        return f"{year}-Q{q - 1}" if q > 1 else f"{year - 1}-Q4"
    if period_type == "half":
        return f"{year}-H1" if period.end.month == 12 else f"{year - 1}-H2"
    if period_type == "year":
        return f"{year - 1}"
    return None


def label(code: str, period_type: str) -> str:
    """Vietnamese name of a period: "Tháng 03/2026", "Quý I/2026", "6 tháng đầu năm 2026"."""
    period = parse(code, period_type)
    if period is None:
        return code
    year = period.end.year
    if period_type == "month":
        return f"Tháng {code[5:]}/{year}"
    if period_type == "quarter":
        return f"Quý {'I II III IV'.split()[int(code[-1]) - 1]}/{year}"
    if period_type == "half":
        return f"6 tháng {'đầu' if code.endswith('1') else 'cuối'} năm {year}"
    return f"Năm {year}"


# ---- a form's periods -------------------------------------------------------------------------

def period_of(template: "ReportTemplate", code: object) -> tuple[Period, date]:
    """The period a code names for this form, and its due date; bad codes are refused."""
    if not isinstance(code, str):
        raise DomainError(_("Kỳ báo cáo không hợp lệ."), "period")
    for tp in template.periods:
        if tp.code == code:
            start = tp.start_date or tp.due_date
            return Period(tp.code, start, tp.end_date or tp.due_date), tp.due_date
    if template.period_type == "adhoc" and code:
        # An ad hoc report names its own occasion; it is due at once.
        today = local_today()
        if not is_own_code(code):
            raise _not_canonical(template, code) or DomainError(_(
                "Mã kỳ báo cáo đột xuất gồm chữ cái không dấu, chữ số, dấu gạch ngang, gạch "
                "dưới, dấu chấm (tối đa 40 ký tự)."), "period")
        return Period(code, today, today), today
    period = parse(code, template.period_type, template.cutoff_day)
    if period is None:
        raise _not_canonical(template, code) or DomainError(
            _("Kỳ “%(code)s” không phải một kỳ của biểu mẫu này.", code=code), "period")
    return period, due_date(period, template.due_day, template.due_months_after)


def _not_canonical(template: "ReportTemplate", code: str) -> DomainError | None:
    """A code that would be valid written in ASCII digits without spaces (a full-width or
    Arabic-Indic digit, a trailing line break) is refused with the right spelling: one period
    has one code, or a second report could stand beside the first."""
    spelling = canonical_spelling(code)
    valid = (any(tp.code == spelling for tp in template.periods)
             or (template.period_type == "adhoc" and is_own_code(spelling))
             or parse(spelling, template.period_type) is not None)
    if spelling == code or not valid:
        return None
    return DomainError(_("Mã kỳ “%(code)s” có chữ số hoặc ký tự không chuẩn; hãy viết "
                         "“%(spelling)s” (chữ số thường, không dấu cách).", code=code,
                         spelling=spelling), "period")


def period_label(template: "ReportTemplate", code: str) -> str:
    for tp in template.periods:
        if tp.code == code:
            return tp.label
    if template.period_type == "adhoc":
        return code
    return label(code, template.period_type)
