"""User and role management over the API: the same services and checks as
lhpn/accounts/admin_views.py."""

from flask import Response, jsonify, url_for

from lhpn import authz
from lhpn.access import load_unit
from lhpn.accounts import services
from lhpn.accounts.models import User
from lhpn.api import bp
from lhpn.api.payload import flag_field, id_field, json_object, page, query_text, text_field
from lhpn.api.plumbing import ID, caller, created, no_content
from lhpn.extensions import db
from lhpn.units.models import Unit


def user_detail(user: User) -> dict:
    roles = sorted(user.assignments, key=lambda assignment: assignment.id)
    return user.to_dict() | {"roles": [assignment.to_dict() for assignment in roles]}


def _require_admin() -> None:
    """User management is for those who manage some unit, as on the pages."""
    if not authz.reaches_any(caller(), "manage"):
        raise authz.Forbidden("manage")


def _load_user(user_id: int) -> User:
    """Another tenant's user is 404; a user the caller may not wholly manage is 403."""
    user = services.get_user(caller().tenant_id, user_id)
    authz.require_manage_user(caller(), user)
    return user


def _default_unit(actor: User) -> Unit:
    """Where a new user works when the request does not say: the unit of the caller's first
    role that lets them manage that unit."""
    for assignment in sorted(actor.assignments, key=lambda a: a.id):
        if authz.can(actor, "manage", assignment.unit):
            return assignment.unit
    raise authz.Forbidden("manage")


@bp.get("/users")
def list_users() -> Response:
    _require_admin()
    limit, offset = page()
    stmt = services.managed_users(caller(), query_text("q"))
    users = db.session.scalars(stmt.limit(limit).offset(offset))
    return jsonify(items=[user.to_dict() for user in users])


@bp.post("/users")
def create_user() -> Response:
    _require_admin()
    data = json_object(required=("username", "password"),
                       optional=("full_name", "unit_id", "email"))
    username, password = text_field(data, "username"), text_field(data, "password")
    full_name = text_field(data, "full_name") or ""
    email = text_field(data, "email", nullable=True)
    unit_id = id_field(data, "unit_id")
    unit = load_unit(unit_id, "manage") if unit_id is not None else _default_unit(caller())
    user = services.create_user(caller(), tenant_id=caller().tenant_id, username=username,
                                password=password, full_name=full_name, unit=unit,
                                email=email)
    # The administrator chose this password, so its owner must replace it (as on the pages).
    user.must_change_password = True
    db.session.commit()
    return created(user.to_dict(), url_for(".get_user", user_id=user.id))


@bp.get(f"/users/<{ID}:user_id>")
def get_user(user_id: int) -> Response:
    return jsonify(user_detail(_load_user(user_id)))


@bp.patch(f"/users/<{ID}:user_id>")
def update_user(user_id: int) -> Response:
    user = _load_user(user_id)
    data = json_object(optional=("locked", "full_name", "email"), nonempty=True)
    locked, full_name = flag_field(data, "locked"), text_field(data, "full_name")
    if full_name is not None:
        services.set_full_name(caller(), user, full_name)
    if "email" in data:
        # null or "" removes the address.
        services.set_email(caller(), user, text_field(data, "email", nullable=True))
    if locked is not None:
        # Locking also ends the user's sessions and API tokens.
        services.set_locked(caller(), user, locked)
    db.session.commit()
    return jsonify(user_detail(user))


@bp.post(f"/users/<{ID}:user_id>/roles")
def assign_role(user_id: int) -> Response:
    user = _load_user(user_id)
    # Never one's own roles (422), whatever the body says.
    authz.require_change_roles_of(caller(), user)
    data = json_object(required=("role", "unit_id"))
    role, unit_id = text_field(data, "role"), id_field(data, "unit_id")
    # Granting a role at a unit is managing that unit, wherever the user works.
    unit = load_unit(unit_id, "manage")
    assignment = services.assign_role(caller(), user, role, unit)
    db.session.commit()
    return created(assignment.to_dict())


@bp.delete(f"/users/<{ID}:user_id>/roles/<{ID}:assignment_id>")
def revoke_role(user_id: int, assignment_id: int) -> Response:
    user = _load_user(user_id)
    assignment = services.get_assignment(user, assignment_id)
    authz.require(caller(), "manage", assignment.unit)
    authz.require_change_roles_of(caller(), user)
    services.revoke_role(caller(), assignment)
    db.session.commit()
    return no_content()
