"""The pages of critiques and comments on drafts: the list (status, overdue, year, unit),
recording a draft received on a phone, the record's page with its timeline, its correction
and its steps (comments sent, what came of them, reopened)."""

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import extract, func, select
from sqlalchemy.orm.exc import StaleDataError

from lhpn import authz, records
from lhpn.clock import local_today
from lhpn.critiques import services
from lhpn.critiques.models import ACCEPTED, CRITIQUE_KINDS, CRITIQUE_STATUSES, Critique
from lhpn.errors import DomainError, as_id
from lhpn.extensions import db
from lhpn.files.pages import file_routes
from lhpn.text import search_key
from lhpn.units.models import Unit
from lhpn.workflow.engine import ACTION_LABELS, status_label

bp = Blueprint("critiques", __name__, url_prefix="/critiques")
PER_PAGE = 50
MAX_UNITS_LISTED = 300


@bp.context_processor
def _labels() -> dict:
    return {"status_label": status_label, "action_label": lambda a: str(ACTION_LABELS[a]),
            "kind_label": lambda k: str(services.KIND_LABELS.get(k, k)),
            "accepted_label": lambda a: str(services.ACCEPTED_LABELS.get(a, a)),
            "KINDS": CRITIQUE_KINDS, "STATUSES": CRITIQUE_STATUSES, "ACCEPTED": ACCEPTED,
            "today": local_today(), "is_overdue": services.is_overdue}


def _tenant_id() -> int:
    if current_user.tenant_id is None:
        raise authz.Forbidden("view")
    return current_user.tenant_id


def filtered(stmt, args):
    """The list's filters (status, overdue, year, unit) as the page and the API read them."""
    status = args.get("status", "")
    if status in CRITIQUE_STATUSES:
        stmt = stmt.where(Critique.status == status)
    kind = args.get("kind", "")
    if kind in CRITIQUE_KINDS:
        stmt = stmt.where(Critique.kind == kind)
    if args.get("overdue") == "1":
        stmt = stmt.where(services.overdue_condition())
    year = as_id(args.get("year", ""))
    if year is not None and 1990 <= year <= 2100:
        stmt = stmt.where(extract("year", Critique.received_on) == year)
    unit_id = as_id(args.get("unit", ""))
    if unit_id is not None:
        stmt = stmt.where(Critique.unit_id == unit_id)
    return stmt, {"status": status, "kind": kind, "overdue": args.get("overdue") == "1",
                  "year": year, "unit": unit_id}


def units_with(unit_ids) -> list[Unit]:
    """The units that have records in ``unit_ids`` (a SELECT), for the list's unit filter."""
    return list(db.session.scalars(select(Unit).where(Unit.id.in_(unit_ids.order_by(None)))
                                   .order_by(Unit.path).limit(MAX_UNITS_LISTED)))


@bp.route("/")
@login_required
def index():
    _tenant_id()
    stmt, chosen = filtered(services.visible(current_user), request.args)
    page = max(as_id(request.args.get("page", "1")) or 1, 1)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = db.session.scalars(stmt.limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    return render_template(
        "critiques/index.html", rows=rows, page=page, total=total,
        pages=max((total + PER_PAGE - 1) // PER_PAGE, 1), **chosen,
        units=units_with(services.visible(current_user).with_only_columns(Critique.unit_id)),
        may_record=bool(services.writable_units(current_user, limit=1)))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    _tenant_id()
    units = services.writable_units(current_user, limit=MAX_UNITS_LISTED)
    if not units:
        raise authz.Forbidden("record_oversight")
    if request.method == "POST":
        try:
            unit = units[0] if len(units) == 1 else services.writable_unit(
                current_user, request.form.get("unit_id"))
            critique = services.create(current_user, unit, request.form.to_dict())
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return render_template("critiques/new.html", units=units, values=request.form,
                                   error_field=exc.field), exc.status
        critique_id = critique.id
        db.session.commit()
        flash(_("Đã ghi nhận dự thảo số %(id)d.", id=critique_id), "success")
        return redirect(url_for("critiques.view", critique_id=critique_id))
    return render_template("critiques/new.html", units=units,
                           values={"kind": request.args.get("kind", "critique")},
                           error_field=None)


def _load(critique_id: int) -> Critique:
    return services.get_visible(current_user, critique_id)


# The union's comments (the letter sent), the draft received, the answer: attached files.
FILES = file_routes(bp, services.OBJECT_TYPE, id_name="critique_id", load=_load,
                    may_edit=lambda user, critique: services.may_write(user, critique.unit),
                    done=lambda critique: url_for("critiques.view", critique_id=critique.id))


def _render(critique: Critique, status: int = 200, values=None, error_field=None):
    return render_template(
        "critiques/show.html", critique=critique, history=services.history(critique),
        files_panel=FILES.panel(current_user, critique),
        may_write=services.may_write(current_user, critique.unit),
        overdue=services.is_overdue(critique), values=values or {},
        error_field=error_field), status


@bp.route("/<int:critique_id>")
@login_required
def view(critique_id: int):
    return _render(services.get_visible(current_user, critique_id))


def _change(critique_id: int, change, done: str):
    critique = services.get_visible(current_user, critique_id)
    services.require_write(current_user, critique.unit)
    try:
        change(critique)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _render(services.get_visible(current_user, critique_id), exc.status,
                       request.form, exc.field)
    except StaleDataError:
        db.session.rollback()
        flash(_("Văn bản vừa được người khác cập nhật. Hãy tải lại trang và nhập lại thay đổi "
                "của bạn."), "error")
        return _render(services.get_visible(current_user, critique_id), 409, request.form)
    flash(done, "success")
    return redirect(url_for("critiques.view", critique_id=critique_id))


@bp.route("/<int:critique_id>/edit", methods=["POST"])
@login_required
def edit(critique_id: int):
    return _change(critique_id, lambda critique: services.update(
        current_user, critique, request.form.to_dict(), request.form.get("version")),
        _("Đã lưu."))


@bp.route("/<int:critique_id>/status", methods=["POST"])
@login_required
def change_status(critique_id: int):
    return _change(critique_id, lambda critique: services.step(
        current_user, critique, request.form.get("action"), request.form.get("version"),
        request.form.to_dict()), _("Đã cập nhật trạng thái."))


# ---- the record kind, for the pages every kind shares (lhpn/records.py) -----------------------

def _hit(critique: Critique) -> records.Hit:
    return records.Hit("critique", critique.id, services.title_of(critique),
                       critique.unit.name, critique.received_on, status_label(critique.status),
                       url_for("critiques.view", critique_id=critique.id))


def matches(words: str, text: str) -> bool:
    """Every word searched for is in ``text`` (both without diacritics, lhpn.text.search_key)."""
    key = search_key(text)
    return all(word in key for word in words.split())


def search(user, words: str, unit_ids) -> list[records.Hit]:
    rows = db.session.scalars(services.visible(user).where(Critique.unit_id.in_(unit_ids))
                              .limit(500))
    return [_hit(row) for row in rows
            if matches(words, f"{row.draft_title} {row.issuing_body}")]


def deadlines(user, start: date | None, end: date) -> list[records.Deadline]:
    """Comments not sent yet due between ``start`` and ``end``, or, ``start`` None, every one
    due by ``end`` (the overdue among them)."""
    stmt = services.visible(user).where(Critique.status == "received",
                                        Critique.comments_due <= end)
    if start is not None:
        stmt = stmt.where(Critique.comments_due >= start)
    return [records.Deadline("critique", row.id, services.title_of(row), row.unit.name,
                             row.comments_due, services.is_overdue(row),
                             url_for("critiques.view", critique_id=row.id))
            for row in db.session.scalars(stmt.order_by(None).order_by(Critique.comments_due))]


records.register(records.RecordKind(
    "critique", _l("Phản biện xã hội, góp ý dự thảo"),
    url=lambda critique_id: url_for("critiques.view", critique_id=critique_id),
    search=search, deadlines=deadlines))

