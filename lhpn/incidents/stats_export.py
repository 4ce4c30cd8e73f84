"""Incident statistics as an Excel workbook: the same figures as the page (lhpn/incidents/stats.py),
"< 3" where the page shows it. Counts only: the workbook names units and kinds, never a person."""

from io import BytesIO

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from lhpn.incidents.services import SEX_LABELS
from lhpn.incidents.stats import SMALL_NOTE, IncidentStats, row_name
from lhpn.spreadsheet import append_row, finish_sheet, table_head
from lhpn.text import xml_safe
from lhpn.workflow.engine import status_label


def title_of(result: IncidentStats) -> str:
    return _("Thống kê vụ việc — %(unit)s — %(period)s", unit=result.scope.name,
             period=result.period.label)


def stats_xlsx(result: IncidentStats) -> bytes:
    wb = Workbook()
    title = title_of(result)
    wb.properties.title = xml_safe(title)
    wb.properties.creator = xml_safe(result.scope.name)
    wb.properties.language = "vi-VN"
    first = wb.active
    assert isinstance(first, Worksheet)  # a new workbook's one sheet
    _units_sheet(first, result, title)
    _breakdown_sheet(wb.create_sheet(), result, title)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def _units_sheet(ws: Worksheet, result: IncidentStats, title: str) -> None:
    ws.title = _("Theo đơn vị")
    table_head(ws, title, [_("Đơn vị"), *(kind.name for kind in result.kinds),
                           _("Tổng số vụ việc"), _("Số nạn nhân")])
    for row in result.rows:
        append_row(ws, [row_name(row), *(row.by_kind[kind.id] for kind in result.kinds),
                        row.incidents, row.victims])
    append_row(ws, [_("Tổng cộng"), *(result.by_kind[kind.id] for kind in result.kinds),
                    result.incidents, result.victims])
    finish_sheet(ws, widths={1: 40})
    if result.hidden:  # under the table, outside its filter
        append_row(ws, [str(SMALL_NOTE)])


def _breakdown_sheet(ws: Worksheet, result: IncidentStats, title: str) -> None:
    ws.title = _("Theo giới tính, tuổi")
    table_head(ws, title, [_("Phân loại"), _("Nhóm"), _("Số lượng")])
    for sex, count in result.by_sex.items():
        append_row(ws, [_("Giới tính nạn nhân"), str(SEX_LABELS[sex]), count])
    for band, count in result.by_age.items():
        append_row(ws, [_("Nhóm tuổi nạn nhân"), band, count])
    for status, count in result.by_status.items():
        append_row(ws, [_("Trạng thái vụ việc"), status_label(status), count])
    finish_sheet(ws, widths={1: 24, 2: 30})
    if result.breakdowns_hidden:
        append_row(ws, [str(SMALL_NOTE)])
