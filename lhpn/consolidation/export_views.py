"""A consolidation as an Excel workbook or a Word report. Both are reads worth an audit entry:
they are how the figures leave the system."""

import re
from urllib.parse import quote

from flask import Blueprint, Response, request
from flask_login import current_user, login_required

from lhpn.access import load_unit
from lhpn.audit.services import record
from lhpn.consolidation import services as consolidation
from lhpn.consolidation.export import consolidation_docx, consolidation_xlsx
from lhpn.consolidation.small_cells import hide_small_cells
from lhpn.errors import DomainError, NotFound
from lhpn.extensions import db
from lhpn.labels import lower_first
from lhpn.plans.export_views import DOCX_MIMETYPE, ascii_name
from lhpn.throttle import export_limit
from lhpn.web import error_response

bp = Blueprint("consolidation_export", __name__, url_prefix="/units")

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = {"xlsx": (consolidation_xlsx, XLSX_MIMETYPE), "docx": (consolidation_docx, DOCX_MIMETYPE)}


@bp.get("/<int:unit_id>/consolidation.xlsx")
@login_required
@export_limit
def xlsx(unit_id: int):
    return _download(unit_id, "xlsx")


@bp.get("/<int:unit_id>/consolidation.docx")
@login_required
@export_limit
def docx(unit_id: int):
    return _download(unit_id, "docx")


def _download(unit_id: int, how: str) -> Response:
    unit = load_unit(unit_id, "view")
    try:
        result = hide_small_cells(consolidation.from_request(unit, request.args), current_user)
    except NotFound:
        raise
    except DomainError as exc:  # a bad form or period in the query string
        db.session.rollback()
        return error_response(400, exc.code, exc.message)
    build, mimetype = FORMATS[how]
    data = build(result)
    record("consolidation.export", "unit", unit.id, actor=current_user, tenant_id=unit.tenant_id,
           summary=f"{how}: {result.template.name} · {result.label} – {unit.name}"[:200],
           format=how, template=result.template.code, periods=result.periods)
    db.session.commit()
    name = download_name(result.template.name, unit.name, result.label, how)
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{ascii_name(name)}"; filename*=UTF-8\'\'{quote(name, safe="")}'
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def download_name(form_name: str, unit_name: str, label: str, extension: str) -> str:
    """"Tổng hợp báo cáo kết quả hoạt động tháng - Hội LHPN xã An Bình - Tháng 01-2027.xlsx":
    named by the form's name as people know it, never by its code."""
    stem = " - ".join((f"Tổng hợp {lower_first(form_name[:80].rstrip())}", unit_name[:80],
                       label.replace("/", "-")))
    stem = re.sub(r'[\x00-\x1f\x7f\\/:*?"<>|;]+', " ", stem)
    return re.sub(r"\s+", " ", stem).strip() + f".{extension}"
