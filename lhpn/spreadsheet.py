"""The Excel files the app writes (a consolidation's tables, the log of sensitive reads): a
title line over a frozen, filterable header row; text always stored as text, never as a
formula; numbers with their format; columns sized to what they hold."""

from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from lhpn.text import xml_safe

# A spreadsheet reads text that starts with these as a formula once someone edits the cell.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MAX_CELL = 32767
INTEGER = "#,##0"
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def table_head(ws: Worksheet, title: str, headers: list[str]) -> None:
    """A title line, then the header row, frozen and filterable."""
    write_cell(ws.cell(1, 1), title).font = Font(bold=True, size=13)
    for column, text in enumerate(headers, 1):
        cell = write_cell(ws.cell(2, column), text)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    ws.freeze_panes = "A3"
    ws.print_title_rows = "2:2"


def append_row(ws: Worksheet, values: list) -> None:
    """One row: text as text, numbers as numbers, (number, format) pairs with their format,
    nothing for a missing value."""
    row = ws.max_row + 1
    for column, value in enumerate(values, 1):
        number_format = None
        if isinstance(value, tuple):
            value, number_format = value
        cell = write_cell(ws.cell(row, column), value)
        if number_format and cell.value is not None:
            cell.number_format = number_format
        elif isinstance(value, int) and not isinstance(value, bool):
            cell.number_format = INTEGER


def write_cell(cell, value):
    if value is None:
        return cell
    if isinstance(value, str):
        text = xml_safe(value)
        if len(text) > MAX_CELL:
            text = text[:MAX_CELL - 1] + "…"
        cell.value = text
        # Never a formula: openpyxl would store "=…" as one; the quote prefix keeps Excel from
        # turning it into one when the cell is edited.
        cell.data_type = "s"
        if text.startswith(FORMULA_START):
            cell.quotePrefix = True
        return cell
    cell.value = value
    return cell


def finish_sheet(ws: Worksheet, widths: dict[int, int]) -> None:
    """Column widths from the longest value (bounded), the named columns fixed; a filter on the
    header row."""
    last_column = max(ws.max_column, 1)
    for column in range(1, last_column + 1):
        letter = get_column_letter(column)
        if column in widths:
            width = widths[column]
        else:
            longest = max((len(_shown(ws.cell(row, column).value))
                           for row in range(3, ws.max_row + 1)), default=0)
            header = len(_shown(ws.cell(2, column).value))
            width = min(max(longest + 2, min(header, 24) + 2, 10), 50)
        ws.column_dimensions[letter].width = width
    ws.auto_filter.ref = f"A2:{get_column_letter(last_column)}{max(ws.max_row, 2)}"
    for row in ws.iter_rows(min_row=3):
        for cell in row:
            if isinstance(cell.value, str):
                cell.alignment = Alignment(wrap_text=True, vertical="top")


def _shown(value) -> str:
    return "" if value is None else str(value)
