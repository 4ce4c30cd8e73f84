"""The log of sensitive reads as an Excel workbook, for a reviewer to keep or send on: one row
per read, the reader by name and username, the time in Vietnam. The entries only, never any
field of the records they name."""

from collections.abc import Sequence
from io import BytesIO

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from lhpn.clock import VIETNAM_OFFSET
from lhpn.privacy.models import SensitiveRead
from lhpn.privacy.review import (
    ReadFilter,
    channel_label,
    fields_label,
    object_label,
    purpose_label,
)
from lhpn.spreadsheet import append_row, finish_sheet, table_head
from lhpn.text import xml_safe

MOMENT = "dd/mm/yyyy hh:mm:ss"


def reads_xlsx(entries: Sequence[SensitiveRead], chosen: ReadFilter, *, cut: bool) -> bytes:
    """``cut``: more entries matched than the workbook holds (the newest are in it)."""
    wb = Workbook()
    title = _("Nhật ký truy cập dữ liệu cá nhân nhạy cảm (lọc: %(filter)s)",
              filter=chosen.describe())
    if cut:
        title += " " + _("— chỉ %(n)d mục mới nhất", n=len(entries))
    wb.properties.title = xml_safe(title)
    wb.properties.language = "vi-VN"
    ws = wb.active
    assert isinstance(ws, Worksheet)  # a new workbook's one sheet
    ws.title = _("Nhật ký truy cập")
    table_head(ws, title, [_("Thời gian (giờ Việt Nam)"), _("Họ tên"), _("Tên đăng nhập"),
                           _("Loại hồ sơ"), _("Số hồ sơ"), _("Trường đã đọc"), _("Mục đích"),
                           _("Ghi chú mục đích"), _("Kênh")])
    for entry in entries:
        append_row(ws, [(entry.at + VIETNAM_OFFSET, MOMENT), entry.user.full_name,
                        entry.user.username, object_label(entry.object_type),
                        (entry.object_id, "0"), fields_label(entry.field_names),
                        purpose_label(entry.purpose), entry.purpose_note,
                        channel_label(entry.channel)])
    finish_sheet(ws, {1: 20})
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
