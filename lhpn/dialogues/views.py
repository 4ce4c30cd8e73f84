"""The pages of dialogues: the list (status, overdue commitment, year, unit), recording one on a
phone, the dialogue's page with its timeline, its steps and its commitments, followed up with
the shared follow-up routes (lhpn/followups/pages.py: correct, answer, chase, close, the
chasing letter, settle as implemented or not accepted, reopen)."""

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import extract, func, select
from sqlalchemy.orm.exc import StaleDataError

from lhpn import authz, records
from lhpn.clock import local_today
from lhpn.critiques import services as critiques
from lhpn.critiques.views import MAX_UNITS_LISTED, matches, units_with
from lhpn.dialogues import services
from lhpn.dialogues.models import DIALOGUE_STATUSES, Dialogue
from lhpn.errors import DomainError, as_id
from lhpn.extensions import db
from lhpn.followups import services as follow_ups
from lhpn.followups.models import FollowUp
from lhpn.followups.pages import follow_up_routes
from lhpn.workflow.engine import ACTION_LABELS, status_label

bp = Blueprint("dialogues", __name__, url_prefix="/dialogues")
PER_PAGE = 50


@bp.context_processor
def _labels() -> dict:
    return {"status_label": status_label, "action_label": lambda a: str(ACTION_LABELS[a]),
            "STATUSES": DIALOGUE_STATUSES, "today": local_today()}


def filtered(stmt, args):
    status = args.get("status", "")
    if status in DIALOGUE_STATUSES:
        stmt = stmt.where(Dialogue.status == status)
    if args.get("overdue") == "1":
        stmt = stmt.where(Dialogue.id.in_(services.overdue_ids()))
    year = as_id(args.get("year", ""))
    if year is not None and 1990 <= year <= 2100:
        stmt = stmt.where(extract("year", Dialogue.held_on) == year)
    unit_id = as_id(args.get("unit", ""))
    if unit_id is not None:
        stmt = stmt.where(Dialogue.unit_id == unit_id)
    return stmt, {"status": status, "overdue": args.get("overdue") == "1", "year": year,
                  "unit": unit_id}


@bp.route("/")
@login_required
def index():
    if current_user.tenant_id is None:
        raise authz.Forbidden("view")
    stmt, chosen = filtered(services.visible(current_user), request.args)
    page = max(as_id(request.args.get("page", "1")) or 1, 1)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = db.session.scalars(stmt.limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    return render_template(
        "dialogues/index.html", rows=rows, page=page, total=total,
        late=services.overdue_among([row.id for row in rows]),
        pages=max((total + PER_PAGE - 1) // PER_PAGE, 1), **chosen,
        units=units_with(services.visible(current_user).with_only_columns(Dialogue.unit_id)),
        may_record=bool(critiques.writable_units(current_user, limit=1)))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    if current_user.tenant_id is None:
        raise authz.Forbidden("view")
    units = critiques.writable_units(current_user, limit=MAX_UNITS_LISTED)
    if not units:
        raise authz.Forbidden("record_oversight")
    if request.method == "POST":
        try:
            unit = units[0] if len(units) == 1 else critiques.writable_unit(
                current_user, request.form.get("unit_id"))
            dialogue = services.create(current_user, unit, request.form.to_dict())
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return render_template("dialogues/new.html", units=units, values=request.form,
                                   error_field=exc.field), exc.status
        dialogue_id = dialogue.id
        db.session.commit()
        flash(_("Đã ghi nhận cuộc đối thoại."), "success")
        return redirect(url_for("dialogues.view", dialogue_id=dialogue_id))
    return render_template("dialogues/new.html", units=units, values={}, error_field=None)


def _load(dialogue_id: int) -> Dialogue:
    return services.get_visible(current_user, dialogue_id)


def _may_edit(user, dialogue: Dialogue) -> bool:
    return critiques.may_write(user, dialogue.unit)


def _render(dialogue: Dialogue, status: int = 200, values=None, error_field=None):
    return render_template(
        "dialogues/show.html", dialogue=dialogue, history=services.history(dialogue),
        may_write=_may_edit(current_user, dialogue),
        panel=FOLLOW_UPS.panel(current_user, dialogue), values=values or {},
        error_field=error_field), status


FOLLOW_UPS = follow_up_routes(
    bp, services.OBJECT_TYPE, id_name="dialogue_id", load=_load, may_edit=_may_edit,
    done=lambda dialogue: url_for("dialogues.view", dialogue_id=dialogue.id),
    subject=services.letter_subject,
    render=lambda dialogue, status: _render(dialogue, status, request.form),
    outcomes=True, outcomes_under="commitments",
    # A commitment is added by its own form, with its text, once the dialogue is held.
    start=False)


@bp.route("/<int:dialogue_id>")
@login_required
def view(dialogue_id: int):
    return _render(_load(dialogue_id))


def _change(dialogue_id: int, change, done: str):
    dialogue = _load(dialogue_id)
    critiques.require_write(current_user, dialogue.unit)
    try:
        change(dialogue)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _render(_load(dialogue_id), exc.status, request.form, exc.field)
    except StaleDataError:
        db.session.rollback()
        flash(_("Cuộc đối thoại vừa được người khác cập nhật. Hãy tải lại trang và nhập lại "
                "thay đổi của bạn."), "error")
        return _render(_load(dialogue_id), 409, request.form)
    flash(done, "success")
    return redirect(url_for("dialogues.view", dialogue_id=dialogue_id))


@bp.route("/<int:dialogue_id>/edit", methods=["POST"])
@login_required
def edit(dialogue_id: int):
    return _change(dialogue_id, lambda dialogue: services.update(
        current_user, dialogue, request.form.to_dict(), request.form.get("version")),
        _("Đã lưu."))


@bp.route("/<int:dialogue_id>/status", methods=["POST"])
@login_required
def change_status(dialogue_id: int):
    return _change(dialogue_id, lambda dialogue: services.step(
        current_user, dialogue, request.form.get("action"), request.form.get("version"),
        request.form.to_dict()), _("Đã cập nhật trạng thái."))


@bp.route("/<int:dialogue_id>/commitments", methods=["POST"])
@login_required
def add_commitment(dialogue_id: int):
    return _change(dialogue_id, lambda dialogue: services.add_commitment(
        current_user, dialogue, content=request.form.get("text"),
        agency=request.form.get("agency"), due_on=request.form.get("due_on")),
        _("Đã ghi cam kết."))


# ---- the record kind, for the pages every kind shares (lhpn/records.py) -----------------------

def search(user, words: str, unit_ids) -> list[records.Hit]:
    rows = db.session.scalars(services.visible(user).where(Dialogue.unit_id.in_(unit_ids))
                              .limit(500))
    return [records.Hit("dialogue", row.id, services.title_of(row), row.unit.name, row.held_on,
                        status_label(row.status),
                        url_for("dialogues.view", dialogue_id=row.id))
            for row in rows
            if matches(words, f"{row.leader_name} {row.leader_title} {row.body} {row.issues}")]


def deadlines(user, start: date | None, end: date) -> list[records.Deadline]:
    """The dialogues' commitments still waited for, due between two days, or, ``start`` None,
    every one due by ``end`` (the overdue among them)."""
    stmt = (select(FollowUp, Dialogue)
            .join(Dialogue, (FollowUp.object_type == services.OBJECT_TYPE)
                  & (FollowUp.object_id == Dialogue.id))
            .where(Dialogue.unit_id.in_(authz.reachable_unit_ids(user, "view")),
                   FollowUp.status == "open", FollowUp.due_on <= end))
    if start is not None:
        stmt = stmt.where(FollowUp.due_on >= start)
    return [records.Deadline("dialogue", dialogue.id, f"{services.title_of(dialogue)}: "
                             f"{fu.content}"[:300], dialogue.unit.name, fu.due_on,
                             follow_ups.is_overdue(fu),
                             url_for("dialogues.view", dialogue_id=dialogue.id))
            for fu, dialogue in db.session.execute(stmt.order_by(FollowUp.due_on))]


records.register(records.RecordKind(
    "dialogue", _l("Đối thoại"),
    url=lambda dialogue_id: url_for("dialogues.view", dialogue_id=dialogue_id),
    search=search, deadlines=deadlines))
