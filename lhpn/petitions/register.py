"""The register of petitions (sổ theo dõi đơn thư) of one unit and period, as an Excel
workbook: one row per petition received in the period, in register order.

Masked (the petitioner, subject and outcome left blank, "đã ẩn" in the title) unless the
reader may handle the unit's petitions and asked for it in clear; a clear register is a read
of each petition in it, logged by the caller (lhpn/petitions/views.py) before it is sent."""

from collections.abc import Sequence
from datetime import date
from io import BytesIO

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import Select, select

from lhpn.petitions import services
from lhpn.petitions.models import Petition
from lhpn.spreadsheet import append_row, finish_sheet, table_head
from lhpn.text import xml_safe
from lhpn.units.models import Unit
from lhpn.workflow.engine import status_label

DAY = "dd/mm/yyyy"


def of_unit(unit: Unit, start: date, end: date) -> Select:
    """The unit's own petitions received between two days (both included)."""
    return (select(Petition)
            .where(Petition.unit_id == unit.id, Petition.received_on >= start,
                   Petition.received_on <= end)
            .order_by(Petition.year, Petition.number))


def register_xlsx(unit: Unit, start: date, end: date, petitions: Sequence[Petition], *,
                  clear: bool, today: date | None = None) -> bytes:
    wb = Workbook()
    title = _("Sổ theo dõi đơn thư — %(unit)s, từ %(a)s đến %(b)s", unit=unit.name,
              a=f"{start:%d/%m/%Y}", b=f"{end:%d/%m/%Y}")
    if not clear:
        title += " " + _("(đã ẩn thông tin người gửi đơn và nội dung)")
    wb.properties.title = xml_safe(title)
    wb.properties.language = "vi-VN"
    ws = wb.active
    assert isinstance(ws, Worksheet)
    ws.title = _("Sổ đơn thư")
    table_head(ws, title, [
        _("Số"), _("Ngày nhận"), _("Hình thức tiếp nhận"), _("Loại đơn"), _("Người gửi đơn"),
        _("Địa chỉ"), _("Điện thoại"), _("Trích yếu nội dung"), _("Đông người"),
        _("Hạn giải quyết"), _("Trạng thái"), _("Ngày xử lý"), _("Kết quả xử lý"),
        _("Ngày thông báo cho người gửi"), _("Quá hạn")])
    for p in petitions:
        channel = services.channel_label(p.channel)
        if p.channel == "forwarded" and p.forwarded_from:
            channel += f" ({p.forwarded_from})"
        append_row(ws, [
            f"{p.number}/{p.year}", (p.received_on, DAY), channel,
            services.category_label(p.category),
            p.full_name if clear else None, p.address if clear else None,
            p.phone if clear else None, (p.subject or p.summary) if clear else None,
            _("Có") if p.is_mass else "", (p.due_on, DAY), status_label(p.status),
            (p.handled_on, DAY) if p.handled_on else None,
            p.outcome if clear else None, (p.told_on, DAY) if p.told_on else None,
            _("Quá hạn") if services.is_overdue(p, today) else ""])
    finish_sheet(ws, {8: 50, 13: 50})
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
