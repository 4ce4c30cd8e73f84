from collections import defaultdict

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from lhpn import authz
from lhpn.access import load_unit
from lhpn.clock import local_today
from lhpn.errors import DomainError
from lhpn.extensions import db
from lhpn.labels import level_label
from lhpn.text import search_key
from lhpn.units import picker, services
from lhpn.units.forms import MoveForm, OfficialNameForm, OpenedForm, RenameForm, UnitForm
from lhpn.units.models import Unit

bp = Blueprint("units", __name__, url_prefix="/units")

# Levels shown open in the tree; deeper ones open on demand (a province has ~3,000 branches).
OPEN_DEPTH = 1


@bp.route("/")
@login_required
def tree():
    reach = authz.reachable(current_user, "view")
    q = (request.args.get("q") or "").strip()
    counts = services.level_counts(reach)
    levels = current_user.unit.tenant.levels if current_user.unit else list(counts)
    if q:
        matches = db.session.scalars(services.units_where(reach, q=q).limit(200)).all()
        ancestor_ids = {i for u in matches for i in u.ancestor_ids}
        names = dict(db.session.execute(
            select(Unit.id, Unit.name).where(Unit.id.in_(ancestor_ids))).all())
        return render_template("units/search.html", q=q, matches=matches, names=names,
                               counts=counts, levels=levels)
    rows = db.session.execute(
        select(Unit.id, Unit.parent_id, Unit.name, Unit.code, Unit.level, Unit.closed, Unit.depth)
        .where(reach)
        .order_by(Unit.depth, Unit.name)
    ).all()
    ids = {row.id for row in rows}
    children = defaultdict(list)
    roots = []
    # Vietnamese order: "Đ" sorts with "D", not after "Z" as the database's byte order has it.
    rows.sort(key=lambda row: (row.depth, search_key(row.name), row.name))
    for row in rows:
        if row.parent_id in ids:
            children[row.parent_id].append(row)
        else:
            roots.append(row)
    return render_template("units/tree.html", roots=roots, children=children, counts=counts,
                           levels=levels, open_depth=OPEN_DEPTH)


@bp.get("/search")
@login_required
def search():
    """Units the user may do ``action`` on (view by default) matching ``q``, each with its
    parents, for the unit picker's script. ``level`` (comma list) narrows the levels and
    ``exclude`` leaves out a unit's subtree (a move's own unit)."""
    args = request.args
    action = picker.check_action(args.get("action") or "view")
    if not authz.reaches_any(current_user, action):
        raise authz.Forbidden(action)
    levels = picker.parse_levels(args.get("level"))
    exclude = load_unit(args["exclude"], "view") if args.get("exclude") else None
    found, more = picker.search(current_user, args.get("q"), action, levels=levels,
                                exclude=exclude)
    return jsonify(items=[choice.to_dict() for choice in found], more=more)


@bp.route("/<int:unit_id>")
@login_required
def detail(unit_id: int):
    unit = load_unit(unit_id, "view")
    reach = authz.reachable(current_user, "view")
    kids = db.session.scalars(
        select(Unit).where(Unit.parent_id == unit.id, reach).order_by(Unit.closed, Unit.name)
    ).all()
    ancestors = db.session.scalars(
        select(Unit).where(Unit.id.in_(unit.ancestor_ids[:-1])).order_by(Unit.depth)
    ).all()
    return render_template("units/detail.html", unit=unit, children=kids, ancestors=ancestors,
                           rename_form=RenameForm(name=unit.name),
                           official_form=OfficialNameForm(official_name=unit.official_name or ""),
                           opened_form=OpenedForm(opened_on=unit.opened_on.isoformat()))


def _child_levels(unit: Unit) -> list[tuple[str, str]]:
    levels = unit.tenant.levels
    return [(lv, level_label(lv)) for lv in levels[levels.index(unit.level) + 1:]]


@bp.route("/<int:unit_id>/new", methods=["GET", "POST"])
@login_required
def new(unit_id: int):
    parent = load_unit(unit_id, "manage")
    form = UnitForm()
    if request.method == "GET":
        form.opened_on.data = local_today().isoformat()
    form.level.choices = _child_levels(parent)
    if not form.level.choices:
        flash(_("Đơn vị cấp thấp nhất không có đơn vị trực thuộc."), "error")
        return redirect(url_for("units.detail", unit_id=parent.id))
    if form.validate_on_submit():
        try:
            unit = services.create_unit(current_user, parent, form.name.data, form.level.data,
                                        form.code.data or None,
                                        opened_on=form.opened_on.data or None)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return render_template("units/new.html", form=form, parent=parent), 422
        db.session.commit()
        flash(_("Đã tạo đơn vị %(name)s.", name=unit.name), "success")
        return redirect(url_for("units.detail", unit_id=unit.id))
    return render_template("units/new.html", form=form, parent=parent)


def _change(unit_id: int, form, invalid: str, change, done: str):
    """One change of a unit from a one-field form on its page: the form's check (``invalid`` when
    it fails), the service's ``change(unit)``, one commit, and back to the unit's page with
    what happened."""
    unit = load_unit(unit_id, "manage")
    try:
        if not form.validate_on_submit():
            raise DomainError(invalid)
        change(unit)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("units.detail", unit_id=unit_id))
    db.session.commit()
    flash(done, "success")
    return redirect(url_for("units.detail", unit_id=unit_id))


@bp.route("/<int:unit_id>/rename", methods=["POST"])
@login_required
def rename(unit_id: int):
    form = RenameForm()
    return _change(unit_id, form, _("Tên đơn vị không được để trống."),
                   lambda unit: services.rename_unit(current_user, unit, form.name.data),
                   _("Đã đổi tên đơn vị."))


@bp.route("/<int:unit_id>/official-name", methods=["POST"])
@login_required
def official_name(unit_id: int):
    form = OfficialNameForm()
    return _change(unit_id, form, _("Tên chính thức dài quá %(n)d ký tự.", n=services.MAX_NAME),
                   lambda unit: services.set_official_name(current_user, unit,
                                                           form.official_name.data),
                   _("Đã lưu tên chính thức của đơn vị."))


@bp.route("/<int:unit_id>/opened", methods=["POST"])
@login_required
def opened(unit_id: int):
    form = OpenedForm()
    return _change(unit_id, form, _("Hãy nhập ngày bắt đầu hoạt động."),
                   lambda unit: services.set_opened_on(current_user, unit, form.opened_on.data),
                   _("Đã lưu ngày bắt đầu hoạt động."))


@bp.route("/<int:unit_id>/move", methods=["GET", "POST"])
@login_required
def move(unit_id: int):
    unit = load_unit(unit_id, "manage")
    form = MoveForm()
    tenant = unit.tenant
    # A new parent of a higher level, outside the unit's own subtree, that the user manages.
    parent_field = picker.picker("parent_id", "manage", request.values,
                                 levels=tenant.levels[:tenant.level_rank(unit.level)],
                                 exclude=unit)
    page = {"form": form, "unit": unit, "parent_field": parent_field}
    if request.method == "POST" and not parent_field.searched:
        try:
            if not form.validate_on_submit():
                raise DomainError(_("Hãy chọn đơn vị cấp trên mới."), "parent_id")
            new_parent = load_unit(form.parent_id.data, "manage")
            services.move_unit(current_user, unit, new_parent)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return render_template("units/move.html", **page), 422
        db.session.commit()
        flash(_("Đã chuyển đơn vị."), "success")
        return redirect(url_for("units.detail", unit_id=unit_id))
    return render_template("units/move.html", **page)


@bp.route("/<int:unit_id>/close", methods=["POST"])
@login_required
def close(unit_id: int):
    return _toggle(unit_id, services.close_unit, _("Đã giải thể đơn vị."))


@bp.route("/<int:unit_id>/reopen", methods=["POST"])
@login_required
def reopen(unit_id: int):
    return _toggle(unit_id, services.reopen_unit, _("Đã mở lại đơn vị."))


def _toggle(unit_id: int, operation, done: str):
    unit = load_unit(unit_id, "manage")
    try:
        operation(current_user, unit)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("units.detail", unit_id=unit_id))
    db.session.commit()
    flash(done, "success")
    return redirect(url_for("units.detail", unit_id=unit_id))
