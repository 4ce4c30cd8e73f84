"""The province admin's user management pages."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from lhpn import authz
from lhpn.access import load_unit
from lhpn.accounts import services
from lhpn.accounts.forms import AssignRoleForm, EmailForm, ResetPasswordForm, UserForm
from lhpn.errors import DomainError
from lhpn.extensions import db
from lhpn.labels import role_label
from lhpn.params import page_number
from lhpn.units.picker import picker

bp = Blueprint("users", __name__, url_prefix="/users")
PAGE_SIZE = 50


def _require_admin() -> None:
    """The users pages are for those who manage some unit."""
    if not authz.reaches_any(current_user, "manage"):
        raise authz.Forbidden("manage")


def _load_user(user_id: int):
    """Another tenant's user is 404; a user one may not wholly manage is 403."""
    user = services.get_user(current_user.tenant_id, user_id)
    authz.require_manage_user(current_user, user)
    return user


def _role_choices() -> list[tuple[str, str]]:
    """Nothing chosen to begin with: one careless click must not make anyone an admin."""
    return [("", _("— Chọn vai trò —"))] + [(r, role_label(r)) for r in authz.tenant_roles()]


@bp.route("/")
@login_required
def index():
    _require_admin()
    q = (request.args.get("q") or "").strip()
    page = page_number()
    stmt = services.managed_users(current_user, q or None)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    users = db.session.scalars(stmt.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    return render_template("users/index.html", users=users, q=q, page=page, pages=pages,
                           total=total)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    _require_admin()
    form = UserForm()
    unit_field = picker("unit_id", "manage", request.values)
    if unit_field.searched:  # "Tìm" without script: the matches come back as choices
        return render_template("users/new.html", form=form, unit_field=unit_field)
    if form.validate_on_submit():
        try:
            if not request.form.get("unit_id"):
                raise DomainError(_("Hãy chọn đơn vị công tác."), "unit_id")
            unit = load_unit(form.unit_id.data, "manage")
            user = services.create_user(
                current_user, tenant_id=current_user.tenant_id, username=form.username.data,
                password=form.password.data, full_name=form.full_name.data, unit=unit,
                email=form.email.data,
            )
            user.must_change_password = True
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return render_template("users/new.html", form=form, unit_field=unit_field), 422
        db.session.commit()
        flash(_("Đã tạo người dùng %(u)s.", u=user.username), "success")
        return redirect(url_for("users.detail", user_id=user.id))
    return render_template("users/new.html", form=form, unit_field=unit_field)


@bp.route("/<int:user_id>")
@login_required
def detail(user_id: int):
    return _render_detail(_load_user(user_id))


def _render_detail(user, role_form: AssignRoleForm | None = None, status: int = 200):
    """The user's page; it offers only what the rules will allow (not, on one's own account,
    the role and password forms)."""
    role_form = role_form or AssignRoleForm()
    role_form.role.choices = _role_choices()
    return render_template(
        "users/detail.html", user=user, role_form=role_form,
        unit_field=picker("unit_id", "manage", request.values),
        reset_form=ResetPasswordForm(), email_form=EmailForm(email=user.email or ""),
        own_account=authz.is_own_account(current_user, user),
        may_change_roles=authz.may_change_roles_of(current_user, user),
        may_reset_password=authz.may_reset_password_of(current_user, user),
        may_lock=authz.may_lock(current_user, user),
    ), status


def _done(user_id: int, message: str):
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("users.detail", user_id=user_id))


def _failed(user_id: int, exc: DomainError):
    """Refused: nothing is kept; the user's page again, with the reason, as 422."""
    db.session.rollback()
    flash(exc.message, "error")
    return _render_detail(_load_user(user_id), status=422)


@bp.route("/<int:user_id>/lock", methods=["POST"])
@login_required
def lock(user_id: int):
    user = _load_user(user_id)
    try:
        services.set_locked(current_user, user, True)
    except DomainError as exc:
        return _failed(user_id, exc)
    return _done(user_id, _("Đã khóa tài khoản; mọi phiên đăng nhập của tài khoản đã kết thúc."))


@bp.route("/<int:user_id>/unlock", methods=["POST"])
@login_required
def unlock(user_id: int):
    user = _load_user(user_id)
    services.set_locked(current_user, user, False)
    return _done(user_id, _("Đã mở khóa tài khoản."))


@bp.route("/<int:user_id>/password", methods=["POST"])
@login_required
def reset_password(user_id: int):
    user = _load_user(user_id)
    form = ResetPasswordForm()
    try:
        authz.require_reset_password_of(current_user, user)
        if not form.validate_on_submit() or form.password.data is None:
            raise DomainError(_("Hãy nhập mật khẩu mới."))
        services.reset_password(current_user, user, form.password.data)
    except DomainError as exc:
        return _failed(user_id, exc)
    return _done(user_id, _("Đã đặt lại mật khẩu; người dùng phải đổi mật khẩu khi đăng nhập."))


@bp.route("/<int:user_id>/email", methods=["POST"])
@login_required
def set_email(user_id: int):
    user = _load_user(user_id)
    form = EmailForm()
    try:
        if not form.validate_on_submit():
            raise DomainError(_("Địa chỉ e-mail không hợp lệ."))
        services.set_email(current_user, user, form.email.data)
    except DomainError as exc:
        return _failed(user_id, exc)
    return _done(user_id, _("Đã lưu địa chỉ e-mail."))


@bp.route("/<int:user_id>/roles", methods=["POST"])
@login_required
def assign(user_id: int):
    user = _load_user(user_id)
    form = AssignRoleForm()
    if picker("unit_id", "manage", request.form).searched:
        return _render_detail(user, form)  # "Tìm" without script: nothing is assigned
    try:
        authz.require_change_roles_of(current_user, user)
        if not form.role.data:
            raise DomainError(_("Hãy chọn vai trò."), "role")
        if not form.validate_on_submit():
            raise DomainError(_("Hãy chọn vai trò và đơn vị."))
        unit = load_unit(form.unit_id.data, "manage")
        services.assign_role(current_user, user, form.role.data, unit)
    except DomainError as exc:
        return _failed(user_id, exc)
    return _done(user_id, _("Đã phân vai trò."))


@bp.route("/<int:user_id>/roles/<int:assignment_id>/delete", methods=["POST"])
@login_required
def revoke(user_id: int, assignment_id: int):
    user = _load_user(user_id)
    assignment = services.get_assignment(user, assignment_id)
    authz.require(current_user, "manage", assignment.unit)
    try:
        authz.require_change_roles_of(current_user, user)
        services.revoke_role(current_user, assignment)
    except DomainError as exc:
        return _failed(user_id, exc)
    return _done(user_id, _("Đã thu hồi vai trò."))
