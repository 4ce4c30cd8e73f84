"""The report form: one input per indicator of the form (biểu mẫu), named by indicator code.

The inputs are read as plain strings and handed to the service, which does every check; on a
refusal the page shows the same strings again. An empty input means "no value".
"""

from werkzeug.datastructures import MultiDict

from lhpn.indicators.bindings import binding_of
from lhpn.numbers import format_number
from lhpn.reports.models import Report, ReportTemplate

NARRATIVE = ("results", "shortcomings", "proposals")


def input_name(code: str, part: str = "") -> str:
    return f"v-{code}-{part}" if part else f"v-{code}"


def reason_name(code: str) -> str:
    """The input of why a bound indicator's value is not the records' count."""
    return f"r-{code}"


def typed(template: ReportTemplate, form: MultiDict) -> dict[str, str]:
    """What the user typed, by input name (to show again after a refusal)."""
    out = {}
    for item in template.items:
        code = item.indicator.code
        if binding_of(item.indicator) is not None:
            out[reason_name(code)] = form.get(reason_name(code), "")
        parts = ("n", "d") if item.indicator.kind == "rate" else ("",)
        for part in parts:
            name = input_name(code, part)
            out[name] = form.get(name, "")
    for field in NARRATIVE:
        out[field] = form.get(field, "")
    out["nothing_to_report"] = "y" if form.get("nothing_to_report") else ""
    return out


def values_of(template: ReportTemplate, entered: dict[str, str]) -> dict[str, object]:
    """The service's {code: value}; a rate is {"numerator", "denominator"}."""
    values: dict[str, object] = {}
    for item in template.items:
        code = item.indicator.code
        if item.indicator.kind == "rate":
            values[code] = {"numerator": entered.get(input_name(code, "n"), "").strip(),
                            "denominator": entered.get(input_name(code, "d"), "").strip()}
        else:
            values[code] = entered.get(input_name(code), "")
    return values


def reasons_of(template: ReportTemplate, entered: dict[str, str]) -> dict[str, str]:
    """The service's {code: reason} for the bound indicators."""
    return {item.indicator.code: entered.get(reason_name(item.indicator.code), "")
            for item in template.items if binding_of(item.indicator) is not None}


def stored(report: Report, counts: dict | None = None) -> dict[str, str]:
    """The inputs filled from the stored report, numbers written as the pages show them
    (1.500; 12.500,5), which is what the service reads back. ``counts`` (code →
    lhpn.reports.services.FromRecords) prefills the bound indicators the officer has not
    overridden with the count of the unit's records."""
    out = {field: getattr(report, field) or "" for field in NARRATIVE}
    out["nothing_to_report"] = "y" if report.nothing_to_report else ""
    for row in report.values:
        code, kind = row.indicator.code, row.indicator.kind
        if kind == "rate":
            out[input_name(code, "n")] = format_number(row.numerator)
            out[input_name(code, "d")] = format_number(row.denominator)
        elif kind == "boolean":
            out[input_name(code)] = "" if row.flag is None else ("yes" if row.flag else "no")
        elif kind == "text":
            out[input_name(code)] = row.text or ""
        elif row.number is not None:
            out[input_name(code)] = format_number(row.number)
        if row.override_reason:
            out[reason_name(code)] = row.override_reason
    for code, found in (counts or {}).items():
        if not found.overridden:
            out[input_name(code)] = format_number(found.count)
            out.pop(reason_name(code), None)
    return out
