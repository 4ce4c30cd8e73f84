"""The review of the log of sensitive reads: the page and its Excel export, for whoever
``authz.may_review_reads`` lets in (the tenant's whole log). Like the audit page: filters in the
query string, newest first, 50 to a page. The export is audited: it is how the log leaves the
system."""

from urllib.parse import quote

from flask import Blueprint, Response, render_template, request
from flask_login import current_user, login_required

from lhpn import authz
from lhpn.audit.services import record
from lhpn.clock import local_today
from lhpn.errors import DomainError
from lhpn.extensions import db
from lhpn.params import page_number
from lhpn.plans.export_views import ascii_name
from lhpn.privacy import review
from lhpn.privacy.access_log import PURPOSES
from lhpn.privacy.export import reads_xlsx
from lhpn.throttle import export_limit

bp = Blueprint("privacy", __name__, url_prefix="/privacy")
PAGE_SIZE = 50
# An export holds at most this many entries, the newest (the sheet says so when it is cut).
EXPORT_MAX = 100_000
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.get("/reads")
@login_required
def reads():
    authz.require_review_reads(current_user)
    tenant_id = current_user.tenant_id
    try:
        chosen = review.filter_from_args(tenant_id, request.args)
        page = page_number()
    except DomainError as exc:  # a bad filter: the form again, with what is wrong
        return _page(error=exc.message), 422
    stmt = review.reads(chosen)
    total = db.session.scalar(review.count(stmt)) or 0
    entries = db.session.scalars(stmt.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    return _page(entries=entries, total=total, page=page, pages=pages,
                 filters=chosen.query_args())


@bp.get("/reads.xlsx")
@login_required
@export_limit
def reads_export():
    authz.require_review_reads(current_user)
    tenant_id = current_user.tenant_id
    try:
        chosen = review.filter_from_args(tenant_id, request.args)
    except DomainError as exc:
        return _page(error=exc.message), 422
    entries = db.session.scalars(review.reads(chosen).limit(EXPORT_MAX + 1)).all()
    cut = len(entries) > EXPORT_MAX
    entries = entries[:EXPORT_MAX]
    data = reads_xlsx(entries, chosen, cut=cut)
    record("privacy.reads_export", "tenant", tenant_id, actor=current_user,
           summary=f"xlsx: {len(entries)} · {chosen.describe()}"[:200],
           filters=chosen.query_args(), rows=len(entries))
    db.session.commit()
    name = f"Nhật ký truy cập dữ liệu cá nhân - {local_today().strftime('%d-%m-%Y')}.xlsx"
    response = Response(data, mimetype=XLSX_MIMETYPE)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{ascii_name(name)}"; filename*=UTF-8\'\'{quote(name, safe="")}'
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _page(*, error: str | None = None, entries=(), total: int = 0, page: int = 1,
          pages: int = 1, filters: dict | None = None) -> str:
    tenant_id = current_user.tenant_id
    users = db.session.scalars(review.readers(tenant_id)).all()
    kinds = db.session.scalars(review.object_types(tenant_id)).all()
    return render_template(
        "privacy/reads.html", error=error, entries=entries, total=total, page=page,
        pages=pages, filters=filters or {}, values=request.args, users=users, kinds=kinds,
        purposes=PURPOSES, object_label=review.object_label, channel_label=review.channel_label,
        fields_label=review.fields_label,
        purpose_label=review.purpose_label)
