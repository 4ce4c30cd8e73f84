"""The pages of a data subject's requests about a case (lhpn/incidents/data_requests.py): a
section of the case page in clear (``incidents/_data_requests.html``) and its forms. Whoever may
read the case in clear; anyone else who views the unit gets 403, another tenant's case 404.

The routes join the incidents blueprint (its labels, its ``no-store``), from this module so the
case pages' module stays small; lhpn/__init__.py imports it before registering the blueprint."""

from dataclasses import dataclass, field
from urllib.parse import quote

from flask import Response, abort, flash, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lhpn.errors import DomainError
from lhpn.extensions import db
from lhpn.incidents import data_requests, services
from lhpn.incidents.models import Incident
from lhpn.incidents.views import _handled, _render_case, bp
from lhpn.plans.export_views import ascii_name
from lhpn.privacy.models import REQUEST_KINDS, REQUESTERS, DataRequest

DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass
class Panel:
    requests: list[DataRequest] = field(default_factory=list)
    kinds: tuple[str, ...] = REQUEST_KINDS
    requesters: tuple[str, ...] = REQUESTERS


@bp.context_processor
def _panel() -> dict:
    def data_requests_panel(incident: Incident) -> Panel:
        return Panel(data_requests.for_incident(incident))

    return {"data_requests_panel": data_requests_panel,
            "request_kind_label": lambda k: str(data_requests.KIND_LABELS.get(k, k)),
            "requester_label": lambda r: str(data_requests.REQUESTER_LABELS.get(r, r)),
            "request_status_label": lambda s: str(data_requests.STATUS_LABELS.get(s, s))}


@bp.route("/<int:incident_id>/requests", methods=["POST"])
@login_required
def new_request(incident_id: int):
    return _handled(incident_id, lambda incident: data_requests.record_request(
        current_user, incident, request.form.to_dict()),
        _("Đã ghi nhận yêu cầu của chủ thể dữ liệu."))


@bp.route("/<int:incident_id>/requests/<int:request_id>/refuse", methods=["POST"])
@login_required
def refuse_request(incident_id: int, request_id: int):
    return _handled(incident_id, lambda incident: data_requests.refuse(
        current_user, incident, data_requests.get(incident, request_id),
        request.form.get("refusal_reason")), _("Đã ghi nhận việc từ chối yêu cầu."))


@bp.route("/<int:incident_id>/requests/<int:request_id>/carry-out", methods=["POST"])
@login_required
def carry_out_request(incident_id: int, request_id: int):
    """Correction and erasure: done, then the case page. Access: the victim's record as a Word
    file for them (the read logged on channel docx), and the request done."""
    incident = services.get_visible(current_user, incident_id)
    if not services.may_read_clear(current_user, incident):
        abort(403)
    entry = data_requests.get(incident, request_id)
    if entry.kind != "access":
        return _handled(incident_id, lambda case: data_requests.carry_out(
            current_user, case, data_requests.get(case, request_id)),
            _("Đã thực hiện yêu cầu của chủ thể dữ liệu."))
    try:
        done = data_requests.carry_out(current_user, incident, entry)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        incident = services.get_visible(current_user, incident_id)
        services.open_clear(current_user, incident, purpose="handling", channel="page")
        page = _render_case(incident, clear=True, status=exc.status)
        db.session.commit()
        return page
    db.session.commit()
    assert done.document is not None
    name = f"Thông tin cá nhân - vụ việc {incident_id} - yêu cầu {request_id}.docx"
    response = Response(done.document, mimetype=DOCX_MIMETYPE)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{ascii_name(name)}"; filename*=UTF-8\'\'{quote(name, safe="")}')
    return response
