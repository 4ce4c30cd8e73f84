"""A plan as a printable page and as a Word file. Both are reads worth an audit entry: they are
how a plan leaves the system."""

import re
import unicodedata
from urllib.parse import quote

from flask import Blueprint, Response, render_template
from flask_login import current_user, login_required

from lhpn import authz
from lhpn.audit.services import record
from lhpn.authz.plans import may_read_plan
from lhpn.extensions import db
from lhpn.plans import services as plans
from lhpn.plans.export import plan_docx
from lhpn.plans.models import Plan
from lhpn.plans.wording import (
    ACTIVITY_COLUMNS,
    DOC_KIND,
    MOTTO,
    RECEIVED_BY,
    wording,
)
from lhpn.richtext import to_html
from lhpn.throttle import export_limit

bp = Blueprint("plan_export", __name__, url_prefix="/plans")

DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _load(plan_id: int) -> Plan:
    """Who may read the plan may print and download it (lhpn/authz/plans.py)."""
    plan = plans.get_plan(current_user.tenant_id, plan_id)
    if not may_read_plan(current_user, plan):
        raise authz.Forbidden("view")
    return plan


def _audit(plan: Plan, how: str) -> None:
    record("plan.export", "plan", plan.id, actor=current_user, tenant_id=plan.tenant_id,
           summary=f"{how}: {plan.number} {plan.title}"[:200], format=how)
    db.session.commit()


@bp.get("/<int:plan_id>/print")
@login_required
def print_view(plan_id: int):
    plan = _load(plan_id)
    page = render_template("plans/print.html", plan=plan, words=wording(plan), markdown=to_html,
                           motto=MOTTO, kind=DOC_KIND, columns=ACTIVITY_COLUMNS,
                           received_by=RECEIVED_BY)
    _audit(plan, "print")
    return page


@bp.get("/<int:plan_id>/export.docx")
@login_required
@export_limit
def docx(plan_id: int):
    plan = _load(plan_id)
    data = plan_docx(plan)
    _audit(plan, "docx")
    name = download_name(plan)
    response = Response(data, mimetype=DOCX_MIMETYPE)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{ascii_name(name)}"; filename*=UTF-8\'\'{quote(name, safe="")}'
    )
    return response


def download_name(plan: Plan) -> str:
    """"Kế hoạch 460-KH-BTV - <title>.docx": what the union would name the file itself."""
    number = plan.number.replace("/", "-").strip()
    title = plan.title[:80].rstrip()
    stem = " - ".join(part for part in (f"Kế hoạch {number}".strip(), title) if part)
    stem = re.sub(r'[\x00-\x1f\x7f\\/:*?"<>|;]+', " ", stem)
    return re.sub(r"\s+", " ", stem).strip() + ".docx"


def ascii_name(name: str) -> str:
    """The same name without diacritics, for clients that ignore filename*."""
    folded = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    folded = re.sub(r"[^A-Za-z0-9._-]+", "-", folded.encode("ascii", "ignore").decode())
    return re.sub(r"-{2,}", "-", folded).strip("-") or "ke-hoach.docx"
