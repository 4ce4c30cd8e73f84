"""A consolidation as the files a union office works with: an Excel workbook of its tables
(figures, children, plan targets, reporting progress) and a Word report in the format of
Nghị định 30/2020/NĐ-CP, laid out with lhpn/documents.py like the plan's.

The workbook's headers follow the interface language; the Word report is the administrative
text the unit signs, so, like lhpn/plans/wording.py, it is Vietnamese and skips gettext.
"""

from collections.abc import Iterable
from decimal import Decimal
from io import BytesIO

from docx import Document
from docx.document import Document as DocxDocument
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from lhpn import documents as D
from lhpn.clock import local_today, utcnow
from lhpn.consolidation.services import Attainment, Consolidation, Counts, Row
from lhpn.indicators.models import Indicator
from lhpn.labels import AGGREGATION_LABELS, level_label
from lhpn.plans.forms import TARGET_KIND_LABELS
from lhpn.plans.wording import (
    MOTTO,
    NBSP,
    ON_BEHALF,
    RECEIVED_BY,
    agency_of,
    target_sentence,
)
from lhpn.reports.models import TemplateItem
from lhpn.reports.periods import period_label
from lhpn.spreadsheet import INTEGER, append_row, finish_sheet, table_head
from lhpn.text import search_key, xml_safe

# ---- Excel ---------------------------------------------------------------------------------

DECIMAL, PERCENT = "#,##0.0###", '0.0"%"'


def consolidation_xlsx(result: Consolidation) -> bytes:
    wb = Workbook()
    title = _xlsx_title(result)
    wb.properties.title = xml_safe(title)
    wb.properties.subject = xml_safe(result.template.name)
    wb.properties.creator = xml_safe(result.unit.name)
    wb.properties.language = "vi-VN"
    first = wb.active
    assert isinstance(first, Worksheet)  # a new workbook's one sheet
    _figures_sheet(first, result, title)
    _children_sheet(wb.create_sheet(), result, title)
    _attainment_sheet(wb.create_sheet(), result)
    _progress_sheet(wb.create_sheet(), result, title)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def _xlsx_title(result: Consolidation) -> str:
    return _("Tổng hợp %(form)s — %(unit)s — %(period)s", form=result.template.name,
             unit=result.unit.name, period=result.label)


def _figures_sheet(ws: Worksheet, result: Consolidation, title: str) -> None:
    ws.title = _("Tổng hợp")
    table_head(ws, title, [_("Nhóm"), _("Mã chỉ tiêu"), _("Chỉ tiêu"), _("Đơn vị tính"),
                            _("Cách tổng hợp"), _("Kết quả"), _("Số báo cáo")])
    for item in result.items:
        indicator = item.indicator
        figure = result.own.figures.get(item.indicator_id)
        append_row(ws, [item.group, indicator.code, indicator.name, _unit_label(indicator),
                     str(AGGREGATION_LABELS.get(indicator.aggregation, indicator.aggregation)),
                     _valued(indicator, figure.value if figure else None),
                     figure.reports if figure else 0])
    finish_sheet(ws, widths={3: 48})


def _children_sheet(ws: Worksheet, result: Consolidation, title: str) -> None:
    ws.title = _("Đơn vị trực thuộc")
    items = _numeric(result.items)
    table_head(ws, title, [_("Đơn vị"), _("Cấp"), *_count_headers(),
                            *(_column_name(item.indicator) for item in items)])
    shared = _shared_names(result.children)
    for row in result.children:
        name = _sibling_name(row, shared) + (_(" (đã giải thể)") if row.unit.closed else "")
        append_row(ws, [name, level_label(row.unit.level), *_count_cells(row.counts),
                     *(_valued(item.indicator, row.cell(item.indicator_id)) for item in items)])
    finish_sheet(ws, widths={1: 40})


def _shared_names(rows: list[Row]) -> set[str]:
    """Names that more than one child carries (two "Chi hội thôn Đông" of one commune)."""
    seen: dict[str, int] = {}
    for row in rows:
        key = search_key(row.unit.name)
        seen[key] = seen.get(key, 0) + 1
    return {key for key, n in seen.items() if n > 1}


def _sibling_name(row: Row, shared: set[str]) -> str:
    """A child's name, with its code when a sibling has the same name."""
    if search_key(row.unit.name) in shared:
        return f"{row.unit.name} ({row.unit.code})"
    return row.unit.name


def _plan_name(plan) -> str:
    if plan.number:
        return _("Kế hoạch số %(number)s: %(title)s (%(unit)s)", number=plan.number,
                 title=plan.title, unit=plan.unit.name)
    return f"{plan.title} ({plan.unit.name})"


def _attainment_sheet(ws: Worksheet, result: Consolidation) -> None:
    ws.title = _("Chỉ tiêu kế hoạch")
    if not result.plans:
        heading = _("Không có kế hoạch đã ban hành thuộc chương trình công tác năm của kỳ báo "
                    "cáo.")
    else:
        heading = _("Chỉ tiêu năm so với số liệu %(label)s", label=result.attainment_label)
    table_head(ws, heading, [
        _("Kế hoạch"), _("Mã chỉ tiêu"), _("Chỉ tiêu"), _("Cấp áp dụng"), _("Loại"),
        _("Giá trị chỉ tiêu"), _("Ngưỡng"), _("Số đơn vị"), _("Số đơn vị đạt"),
        _("Tỷ lệ đạt (%)"), _("Hoàn thành"), _("Đơn vị chưa đạt")])
    for plan, lines in result.by_plan():
        for att in lines:
            target = att.target
            if target.measured:
                what = [target.measured_indicator.code, target.measured_indicator.name]
                misses = "; ".join(miss.label for miss in att.misses)
            else:
                what = ["", target.text]
                misses = "; ".join(_text_miss(miss) for miss in att.misses)
            append_row(ws, [
                _plan_name(plan), *what, level_label(target.level),
                str(TARGET_KIND_LABELS.get(target.kind, target.kind)),
                _with_format(_plain(target.value)), _with_format(_plain(target.threshold)),
                att.units, att.met, (att.share_met, PERCENT), _attained(att), misses])
    finish_sheet(ws, widths={1: 36, 3: 40, 5: 24, 12: 60})


def _text_miss(miss) -> str:
    if miss.done is None:
        return _("%(unit)s (chưa báo)", unit=miss.label)
    if miss.note:
        return _("%(unit)s (chưa thực hiện: %(note)s)", unit=miss.label, note=miss.note)
    return _("%(unit)s (chưa thực hiện)", unit=miss.label)


def _progress_sheet(ws: Worksheet, result: Consolidation, title: str) -> None:
    ws.title = _("Tiến độ báo cáo")
    table_head(ws, title, [_("Đơn vị"), _("Kỳ báo cáo"), *_count_headers()])
    append_row(ws, [result.unit.name, result.label, *_count_cells(result.counts)])
    finish_sheet(ws, widths={1: 40})


def _count_headers() -> list[str]:
    return [_("Phải nộp"), _("Đã duyệt"), _("Đúng hạn"), _("Tỷ lệ đầy đủ (%)"),
            _("Tỷ lệ đúng hạn (%)")]


def _count_cells(counts: Counts) -> list:
    return [counts.expected, counts.approved, counts.on_time, (counts.completeness, PERCENT),
            (counts.timeliness, PERCENT)]


def _attained(att: Attainment) -> str:
    if not att.in_form:
        return _("Không có trong biểu mẫu")
    return _("Đạt") if att.attained else _("Chưa đạt")


def _numeric(items: Iterable[TemplateItem]) -> list[TemplateItem]:
    """The items whose consolidation is a number (text answers are only counted)."""
    return [item for item in items
            if item.indicator.kind != "text" and item.indicator.aggregation != "none"]


def _percent_valued(indicator: Indicator) -> bool:
    return indicator.kind == "rate" or indicator.aggregation == "share"


def _unit_label(indicator: Indicator) -> str:
    return indicator.unit_label or ("%" if _percent_valued(indicator) else "")


def _column_name(indicator: Indicator) -> str:
    label = _unit_label(indicator)
    return f"{indicator.name} ({label})" if label else indicator.name


def _valued(indicator: Indicator, value: int | float | str | None) -> tuple:
    """A value with the number format it is shown in ("< 3" is text)."""
    if isinstance(value, str):
        return value, "@"
    return value, PERCENT if _percent_valued(indicator) else _number_format(value)


def _number_format(value: int | float | None) -> str:
    return INTEGER if isinstance(value, int) else DECIMAL


def _with_format(value: int | float | None) -> tuple:
    return value, _number_format(value)


def _plain(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


# ---- Word ----------------------------------------------------------------------------------

DOC_KIND = "BÁO CÁO"
SIGNER_TITLE = "CHỦ TỊCH"
ROMAN = ("I", "II", "III", "IV", "V")
NO_VALUE = "–"
FIGURE_COLUMNS = ("STT", "Chỉ tiêu", "Đơn vị tính", "Kết quả")
FIGURE_COLUMNS_CM = (1.2, 9.3, 2.8, D.TEXT_WIDTH_CM - 13.3)
TARGET_COLUMNS = ("STT", "Chỉ tiêu kế hoạch", "Số đơn vị đạt", "Tỷ lệ đạt", "Kết quả")
TARGET_COLUMNS_CM = (1.2, 8.6, 2.4, 2.0, D.TEXT_WIDTH_CM - 14.2)
PROGRESS_COLUMNS = ("STT", "Đơn vị", "Phải nộp", "Đã duyệt", "Đúng hạn", "Tỷ lệ đầy đủ",
                    "Tỷ lệ đúng hạn")
PROGRESS_COLUMNS_CM = (1.0, 5.5, 1.9, 1.9, 1.9, 2.1, D.TEXT_WIDTH_CM - 14.3)
HEADLINE_INDICATORS = 3
MISSES_NAMED = 10


def consolidation_docx(result: Consolidation) -> bytes:
    unit = result.unit
    doc = Document()
    name = report_name(result)
    D.page_setup(doc, title=name, subject=DOC_KIND, author=unit.document_name, created=utcnow())
    D.header(doc, _agency(result), MOTTO, f"Số:{NBSP * 6}/BC-BTV", _place_date(result))
    D.title(doc, DOC_KIND, name)
    own = unit.document_name
    sources = f"{own} và các đơn vị trực thuộc" if result.children else own
    D.run(D.paragraph(doc), (
        f"Căn cứ các báo cáo đã được duyệt của {sources}, Ban Thường vụ {own} báo cáo "
        f"{_lower_first(name)} như sau:"))
    sections = [_reporting, _figures]
    if result.plans:
        sections.append(_targets)
    if result.children:
        sections.append(_children)
    for number, write in zip(ROMAN, sections, strict=False):
        write(doc, result, number)
    D.run(D.paragraph(doc, before=6), (
        f"Trên đây là báo cáo {_lower_first(name)} của {own}./."))
    D.closing(doc, RECEIVED_BY, _recipients(result), (ON_BEHALF, SIGNER_TITLE, ""))
    out = BytesIO()
    doc.save(out)
    return out.getvalue()


def report_name(result: Consolidation) -> str:
    """"Kết quả tổng hợp báo cáo công tác Hội tháng 01/2027". A form named after its period
    ("Báo cáo kết quả hoạt động tháng") does not say the word twice ("… hoạt động tháng
    10/2026", not "… tháng tháng 10/2026")."""
    form, when = _lower_first(result.template.name), _when(result)
    head, _, last = form.rpartition(" ")
    if head and last == when.split(" ", 1)[0]:
        form = head
    return f"Kết quả tổng hợp {form} {when}"


def _when(result: Consolidation) -> str:
    """"tháng 01/2027", or "từ tháng 01/2027 đến tháng 03/2027" for a range."""
    return _span(result, result.periods)


def _span(result: Consolidation, codes: list[str]) -> str:
    first = _lower_first(period_label(result.template, codes[0]))
    if len(codes) == 1:
        return first
    last = _lower_first(period_label(result.template, codes[-1]))
    return f"từ {first} đến {last}"


def _agency(result: Consolidation) -> tuple[str, str]:
    """As in the plan: the root writes under the union's name; a unit below names its parent
    on the first line and itself on the second."""
    return agency_of(result.unit)


def _place_date(result: Consolidation) -> str:
    """The place of the unit's own plan when it names one; the day is left for the signer."""
    places = [plan.place for plan in result.plans
              if plan.unit_id == result.unit.id and plan.place]
    place = places[0] if places else "…"
    gap = NBSP * 4
    return f"{place}, ngày{gap}tháng{gap}năm {local_today().year}"


def _reporting(doc: DocxDocument, result: Consolidation, number: str) -> None:
    D.section(doc, f"{number}. TÌNH HÌNH BÁO CÁO")
    counts = result.counts
    if counts.expected:
        sentence = (
            f"Trong kỳ {_when(result)}, có {_count(counts.expected)} báo cáo phải nộp; "
            f"đã duyệt {_count(counts.approved)} báo cáo, đạt "
            f"{_percent(counts.completeness)} (tỷ lệ đầy đủ); nộp đúng hạn "
            f"{_count(counts.on_time)} báo cáo, đạt {_percent(counts.timeliness)} "
            f"(tỷ lệ đúng hạn).")
    else:
        sentence = f"Trong kỳ {_when(result)}, không có báo cáo nào phải nộp."
    D.run(D.paragraph(doc), sentence)
    D.run(D.paragraph(doc), (
        f"Số liệu tính đến ngày {local_today():%d/%m/%Y}; báo cáo chưa được duyệt không "
        f"được tổng hợp."))


def _figures(doc: DocxDocument, result: Consolidation, number: str) -> None:
    D.section(doc, f"{number}. KẾT QUẢ CÁC CHỈ TIÊU")
    items = _numeric(result.items)
    if not items:
        D.run(D.paragraph(doc), "Biểu mẫu không có chỉ tiêu định lượng.")
        return
    groups = [item.group for item in items]
    grouped = len(set(groups)) > 1
    rows: list[tuple[str, str, str, str]] = []
    group_rows: list[int] = []
    current = None
    for index, item in enumerate(items, 1):
        if grouped and item.group != current:
            current = item.group
            group_rows.append(len(rows) + 1)
            rows.append(("", current or "Khác", "", ""))
        indicator = item.indicator
        rows.append((str(index), indicator.name, _unit_label(indicator),
                     _shown_value(result.own.value(item.indicator_id))))
    table = D.grid(doc, FIGURE_COLUMNS, FIGURE_COLUMNS_CM, rows, centred=frozenset({0, 2}),
                   right=frozenset({3}))
    for position in group_rows:
        for cell_run in table.rows[position].cells[1].paragraphs[0].runs:
            cell_run.bold = True


def _targets(doc: DocxDocument, result: Consolidation, number: str) -> None:
    """Each counted plan under its own number; annual targets against the year to date."""
    D.section(doc, f"{number}. KẾT QUẢ THỰC HIỆN CHỈ TIÊU KẾ HOẠCH")
    compared = _span(result, result.attainment_periods)
    D.run(D.paragraph(doc), (
        f"Chỉ tiêu năm được so với số liệu lũy kế {compared}."
        if result.attainment_scope == "year" else f"Chỉ tiêu được so với số liệu {compared}."))
    for index, (plan, lines) in enumerate(result.by_plan(), 1):
        called = f"Kế hoạch số {plan.number}" if plan.number else "Kế hoạch"
        prefix = f"{index}. " if len(result.plans) > 1 else ""
        D.run(D.paragraph(doc, keep=True),
              f"{prefix}Đối chiếu với {called} của {plan.unit.name} ({plan.title}):")
        if not lines:
            D.run(D.paragraph(doc), "Kế hoạch không có chỉ tiêu áp dụng cho đơn vị và cấp dưới.")
            continue
        rows = []
        for row, att in enumerate(lines, 1):
            verdict = ("Không có trong biểu mẫu" if not att.in_form
                       else "Đạt" if att.attained else "Chưa đạt")
            rows.append((str(row), target_sentence(att.target, plan).rstrip("."),
                         f"{_count(att.met)}/{_count(att.units)}", _percent(att.share_met),
                         verdict))
        D.grid(doc, TARGET_COLUMNS, TARGET_COLUMNS_CM, rows, centred=frozenset({0, 2, 3, 4}))
        for row, att in enumerate(lines, 1):
            if att.in_form and att.misses:
                names = [_doc_miss(miss, att) for miss in att.misses[:MISSES_NAMED]]
                more = len(att.misses) - len(names)
                tail = f"; và {_count(more)} đơn vị khác" if more > 0 else ""
                D.run(D.paragraph(doc), f"Đơn vị chưa đạt chỉ tiêu {row}: "
                                        f"{'; '.join(names)}{tail}.")


def _doc_miss(miss, att) -> str:
    if att.target.measured:
        return miss.label
    if miss.done is None:
        return f"{miss.label} (chưa báo)"
    return f"{miss.label} (chưa thực hiện{': ' + miss.note if miss.note else ''})"


def _children(doc: DocxDocument, result: Consolidation, number: str) -> None:
    D.section(doc, f"{number}. SỐ LIỆU CÁC ĐƠN VỊ TRỰC THUỘC")
    D.run(D.paragraph(doc, keep=True), "1. Tình hình báo cáo của các đơn vị:")
    shared = _shared_names(result.children)
    rows = [(str(i), _child_name(row, shared), _count(row.counts.expected),
             _count(row.counts.approved), _count(row.counts.on_time),
             _percent(row.counts.completeness), _percent(row.counts.timeliness))
            for i, row in enumerate(result.children, 1)]
    D.grid(doc, PROGRESS_COLUMNS, PROGRESS_COLUMNS_CM, rows,
           centred=frozenset({0}), right=frozenset({2, 3, 4, 5, 6}))
    headline = _numeric(result.items)[:HEADLINE_INDICATORS]
    if not headline:
        return
    D.run(D.paragraph(doc, keep=True), "2. Một số chỉ tiêu chủ yếu:")
    share = (D.TEXT_WIDTH_CM - 6.5) / len(headline)
    columns = ("STT", "Đơn vị", *(_column_name(item.indicator) for item in headline))
    widths = (1.0, 5.5, *(share for _item in headline))
    figures = [(str(i), _child_name(row, shared),
                *(_shown_value(row.cell(item.indicator_id)) for item in headline))
               for i, row in enumerate(result.children, 1)]
    D.grid(doc, columns, widths, figures, centred=frozenset({0}),
           right=frozenset(range(2, len(columns))))


def _recipients(result: Consolidation) -> list[str]:
    parent = result.unit.parent
    above = (f"Ban Thường vụ {parent.document_name}" if parent is not None
             else "Trung ương Hội LHPN Việt Nam")
    return [f"- {above} (để báo cáo);", "- Lưu: VT."]


def _child_name(row: Row, shared: set[str]) -> str:
    return _sibling_name(row, shared) + (" (đã giải thể)" if row.unit.closed else "")


def _shown_value(value: int | float | str | None) -> str:
    if isinstance(value, str):  # "< 3"
        return value
    return NO_VALUE if value is None else D.vn_number(value)


def _count(value: int) -> str:
    return D.vn_number(value)


def _percent(value: float | None) -> str:
    return NO_VALUE if value is None else f"{D.vn_number(value, places=1)}%"


def _lower_first(text: str) -> str:
    """"Tháng 01/2027" → "tháng 01/2027"; an acronym ("LHPN …", "BC…") keeps its capitals."""
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text
