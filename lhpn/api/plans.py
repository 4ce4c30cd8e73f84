"""Plans over the API: the same services and checks as the plan pages.

A body is type-checked here (strings are strings, lists are lists, no unknown fields); what the
values mean (an indicator of the tenant's catalogue, a level below the unit, a deadline after
the plan date) is judged by lhpn/plans/services.py, so the pages and the API refuse alike.
"""

import re
from dataclasses import replace

from flask import Response, jsonify, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from lhpn import authz
from lhpn.access import load_unit
from lhpn.api import bp
from lhpn.api.payload import (
    flag_field,
    id_field,
    json_object,
    page,
    query_id,
    query_int,
    query_text,
    text_field,
)
from lhpn.api.plumbing import ID, caller, created
from lhpn.authz.plans import may_mark_counted, may_read_plan
from lhpn.errors import DomainError
from lhpn.extensions import db
from lhpn.plans import services
from lhpn.plans.models import SECTION_KEYS, STATUSES, Plan, PlanRequest
from lhpn.plans.services import ActivityInput, PlanInput, TargetInput

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TEXT_FIELDS = ("title", "number", "place", "basis", "purpose", "content", "organisation",
               "budget", "signer_title", "signer_name")
# What a client may write; the rest of a plan (id, unit, status, version, warnings) is the
# server's. The unit is chosen once, when the plan is created.
EDITABLE = (*TEXT_FIELDS, "year", "plan_date", "parent_plan_id", "recipients", "child_levels",
            "child_deadline", "headings", "counted", "targets", "activities")
# A target's "id" (in answers) may come back in a body; it is ignored (a list sent replaces
# the whole list).
TARGET_FIELDS = (("indicator", "level", "kind", "value"), ("threshold", "note", "id"))
TEXT_TARGET_FIELDS = (("level", "kind", "text"), ("deadline", "id"))
ACTIVITY_FIELDS = (("title",), ("when", "when_number", "start_date", "end_date", "lead",
                                "coordinators", "budget_source"))


# ---- answers ----------------------------------------------------------------------------------

def plan_dict(plan: Plan) -> dict:
    return {
        "id": plan.id,
        "unit_id": plan.unit_id,
        "year": plan.year,
        "title": plan.title,
        "number": plan.number,
        "status": plan.status,
        "parent_plan_id": plan.parent_plan_id,
        "targets": [target.to_dict() for target in plan.targets],
        "version": plan.version,
        "place": plan.place,
        "plan_date": _iso(plan.plan_date),
        "basis": plan.basis,
        "purpose": plan.purpose,
        "content": plan.content,
        "organisation": plan.organisation,
        "budget": plan.budget,
        "headings": {key: plan.heading(key) for key in SECTION_KEYS if plan.heading(key)},
        "counted": plan.counted,
        "recipients": plan.recipient_list,
        "signer_title": plan.signer_title,
        "signer_name": plan.signer_name,
        "child_levels": plan.child_level_list,
        "child_deadline": _iso(plan.child_deadline),
        "activities": [activity.to_dict() for activity in plan.activities],
        "warnings": [_warning(weak) for weak in services.weaker_targets(plan)],
    }


def _committed(plan: Plan) -> Response:
    """Commit, and answer with the plan as written (built before the commit, as for reports:
    nothing is read after it)."""
    answer = plan_dict(plan)
    db.session.commit()
    return jsonify(answer)


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _warning(weak: services.Weaker) -> dict:
    have, need = weak.target.to_dict(), weak.required.to_dict()
    warning = {key: have[key] for key in ("indicator", "level", "kind", "value")}
    warning["required"] = need["value"]
    if weak.target.kind == "share":
        warning["threshold"] = have.get("threshold")
        warning["required_threshold"] = need.get("threshold")
    return warning


def _cascade_row(row: services.ChildStatus) -> dict:
    return {"unit_id": row.request.unit_id, "unit_name": row.request.unit.name,
            "state": row.state, "late": row.late, "plan_id": row.plan.id if row.plan else None,
            "deadline": row.request.deadline.isoformat()}


def _request_dict(plan_request: PlanRequest) -> dict:
    parent = plan_request.parent_plan
    child = services.child_plan(plan_request)
    return {"parent_plan_id": parent.id, "parent_unit_id": parent.unit_id,
            "parent_title": parent.title, "parent_number": parent.number,
            "unit_id": plan_request.unit_id, "deadline": plan_request.deadline.isoformat(),
            "plan_id": child.id if child else None}


# ---- reading bodies ---------------------------------------------------------------------------

def _string(value: object, field: str, *, nullable: bool = False) -> str | None:
    return text_field({field: value}, field, nullable=nullable)


def _whole(value: object, field: str) -> int:
    # bool is an int in Python; true must not quietly mean 1.
    if isinstance(value, bool) or not isinstance(value, int):
        raise DomainError(_("Trường %(name)s phải là số nguyên.", name=field), field)
    return value


def _number(value: object, field: str) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DomainError(_("Trường %(name)s phải là một số.", name=field), field)
    return value


def _date(value: object, field: str) -> str | None:
    if value is None:
        return None
    # date.fromisoformat also reads "20260115" and week dates; the API promises yyyy-mm-dd.
    if not isinstance(value, str) or not DATE_RE.match(value):
        raise DomainError(_("Ngày không hợp lệ (định dạng yyyy-mm-dd)."), field)
    return value


def _list(value: object, field: str) -> list:
    if not isinstance(value, list):
        raise DomainError(_("Trường %(name)s phải là một danh sách.", name=field), field)
    return value


def _strings(value: object, field: str) -> list[str]:
    return [_string(item, f"{field}[{i}]") for i, item in enumerate(_list(value, field))]


def _fields(value: object, field: str, required: tuple, optional: tuple) -> dict:
    """A nested JSON object, read as strictly as the body itself."""
    if not isinstance(value, dict):
        raise DomainError(_("Trường %(name)s phải là một đối tượng JSON.", name=field), field)
    unknown = sorted(set(value) - set(required) - set(optional))
    if unknown:
        names = [f"{field}.{name}" for name in unknown]
        raise DomainError(_("Trường không được hỗ trợ: %(names)s.", names=", ".join(names)),
                          names[0])
    for name in required:
        if name not in value:
            raise DomainError(_("Thiếu trường %(name)s.", name=f"{field}.{name}"),
                              f"{field}.{name}")
    return value


def _target(value: object, where: str) -> TargetInput:
    if isinstance(value, dict) and value.get("kind") == "text":
        data = _fields(value, where, *TEXT_TARGET_FIELDS)
        return TargetInput(indicator=None, level=_string(data["level"], f"{where}.level"),
                           kind="text", value=None, text=_string(data["text"], f"{where}.text"),
                           deadline=_date(data.get("deadline"), f"{where}.deadline"))
    data = _fields(value, where, *TARGET_FIELDS)
    threshold = data.get("threshold")
    return TargetInput(
        indicator=_string(data["indicator"], f"{where}.indicator"),
        level=_string(data["level"], f"{where}.level"),
        kind=_string(data["kind"], f"{where}.kind"),
        value=_number(data["value"], f"{where}.value"),
        threshold=None if threshold is None else _number(threshold, f"{where}.threshold"),
        note=_string(data.get("note"), f"{where}.note", nullable=True) or "",
    )


def _activity(value: object, where: str) -> ActivityInput:
    data = _fields(value, where, *ACTIVITY_FIELDS)
    number = data.get("when_number")

    def text(name: str) -> str:
        return _string(data.get(name), f"{where}.{name}", nullable=True) or ""

    return ActivityInput(
        title=_string(data["title"], f"{where}.title"),
        when=text("when") or "year",
        when_number=None if number is None else _whole(number, f"{where}.when_number"),
        start_date=_date(data.get("start_date"), f"{where}.start_date"),
        end_date=_date(data.get("end_date"), f"{where}.end_date"),
        lead=text("lead"), coordinators=text("coordinators"),
        budget_source=text("budget_source"),
    )


def _plan_values(data: dict) -> dict:
    """The PlanInput fields present in ``data``, type-checked."""
    values: dict = {name: _string(data[name], name) for name in TEXT_FIELDS if name in data}
    if "year" in data:
        year = data["year"]
        if isinstance(year, bool) or not isinstance(year, int):
            raise DomainError(_("Năm kế hoạch không hợp lệ."), "year")
        values["year"] = year
    for name in ("plan_date", "child_deadline"):
        if name in data:
            values[name] = _date(data[name], name)
    if "parent_plan_id" in data:
        values["parent_plan_id"] = (None if data["parent_plan_id"] is None
                                    else id_field(data, "parent_plan_id"))
    if "recipients" in data:
        values["recipients"] = "\n".join(_strings(data["recipients"], "recipients"))
    if "child_levels" in data:
        values["child_levels"] = _strings(data["child_levels"], "child_levels")
    if "headings" in data:
        headings = data["headings"]
        if not isinstance(headings, dict):
            raise DomainError(_("Trường %(name)s phải là một đối tượng JSON.", name="headings"),
                              "headings")
        values["headings"] = {key: _string(words, f"headings.{key}")
                              for key, words in headings.items()}
    if "counted" in data:
        values["counted"] = flag_field(data, "counted")
    if "targets" in data:
        values["targets"] = [_target(item, f"targets[{i}]")
                             for i, item in enumerate(_list(data["targets"], "targets"))]
    if "activities" in data:
        values["activities"] = [_activity(item, f"activities[{i}]")
                                for i, item in enumerate(_list(data["activities"],
                                                               "activities"))]
    return values


def _as_input(plan: Plan) -> PlanInput:
    """The plan as it is now, for an update that changes only some of it."""
    return PlanInput(
        title=plan.title, year=plan.year, number=plan.number, place=plan.place,
        plan_date=plan.plan_date, parent_plan_id=plan.parent_plan_id, basis=plan.basis,
        purpose=plan.purpose, content=plan.content, organisation=plan.organisation,
        budget=plan.budget, headings=dict(plan.headings or {}), counted=plan.counted,
        recipients=plan.recipients, signer_title=plan.signer_title,
        signer_name=plan.signer_name, child_levels=plan.child_level_list,
        child_deadline=plan.child_deadline,
        targets=[TargetInput(t.indicator.code, t.level, t.kind, t.value, t.threshold, t.note)
                 if t.measured else TargetInput(None, t.level, "text", None, text=t.text,
                                                deadline=t.deadline)
                 for t in plan.targets],
        activities=[ActivityInput(a.title, a.when_kind, a.when_number, a.start_date,
                                  a.end_date, a.lead, a.coordinators, a.budget_source)
                    for a in plan.activities],
    )


def _optional_version() -> int | None:
    """The "version" of a body that may be left out altogether."""
    if not request.get_data():
        return None
    data = json_object(optional=("version",))
    return _whole(data["version"], "version") if "version" in data else None


# ---- loading ----------------------------------------------------------------------------------

def _load_plan(plan_id: int, action: str) -> Plan:
    """404 for another tenant's plan, then 403 without ``action`` where the plan needs it:
    approving (and returning) is asked of the unit above the plan's; "read" is the
    plan-reading rule (lhpn/authz/plans.py)."""
    plan = services.get_plan(caller().tenant_id, plan_id)
    if action == "read":
        if not may_read_plan(caller(), plan):
            raise authz.Forbidden("view")
        return plan
    unit = authz.approval_unit(plan) if action == "approve" else plan.unit
    authz.require(caller(), action, unit)
    return plan


# ---- endpoints --------------------------------------------------------------------------------

@bp.get("/plans")
def list_plans() -> Response:
    limit, offset = page()
    unit_id, year = query_id("unit_id"), query_int("year", 2000, 2100)
    status = query_text("status")
    if status is not None and status not in STATUSES:
        raise DomainError(_("Tham số %(name)s phải là một trong: %(values)s.", name="status",
                            values=", ".join(STATUSES)), "status")
    # Filtered in SQL by the same reach as single reads.
    stmt = (services.visible_plans(caller(), unit_id=unit_id, year=year, status=status)
            .options(selectinload(Plan.parent_plan)))
    plans = db.session.scalars(stmt.limit(limit).offset(offset))
    return jsonify(items=[plan_dict(plan) for plan in plans])


@bp.post("/plans")
def create_plan() -> Response:
    data = json_object(required=("unit_id", "year", "title"),
                       optional=tuple(name for name in EDITABLE if name not in ("year", "title")))
    unit = load_unit(id_field(data, "unit_id"), "plan")
    values = _plan_values(data)
    plan = services.create_plan(caller(), unit, PlanInput(**values))
    db.session.commit()
    return created(plan_dict(plan), url_for(".get_plan", plan_id=plan.id))


@bp.get(f"/plans/<{ID}:plan_id>")
def get_plan(plan_id: int) -> Response:
    return jsonify(plan_dict(_load_plan(plan_id, "read")))


@bp.patch(f"/plans/<{ID}:plan_id>")
def update_plan(plan_id: int) -> Response:
    """The fields sent replace those of the plan (a list sent replaces the whole list); the
    "version" says which state of the plan the change was made on."""
    plan = _load_plan(plan_id, "plan")
    data = json_object(required=("version",), optional=EDITABLE)
    version = _whole(data["version"], "version")
    values = _plan_values(data)
    if not values:
        raise DomainError(_("Hãy gửi ít nhất một trong các trường: %(names)s.",
                            names=", ".join(EDITABLE)))
    services.update_plan(caller(), plan, replace(_as_input(plan), **values), version)
    db.session.commit()
    return jsonify(plan_dict(plan))


@bp.post(f"/plans/<{ID}:plan_id>/submit")
def submit_plan(plan_id: int) -> Response:
    plan = _load_plan(plan_id, "submit")
    services.submit_plan(caller(), plan, _optional_version())
    return _committed(plan)


@bp.post(f"/plans/<{ID}:plan_id>/approve")
def approve_plan(plan_id: int) -> Response:
    plan = _load_plan(plan_id, "approve")
    services.approve_plan(caller(), plan, _optional_version())
    return _committed(plan)


@bp.post(f"/plans/<{ID}:plan_id>/return")
def return_plan(plan_id: int) -> Response:
    plan = _load_plan(plan_id, "approve")
    data = json_object(required=("comment",), optional=("version",))
    comment = _string(data["comment"], "comment")
    version = _whole(data["version"], "version") if "version" in data else None
    services.return_plan(caller(), plan, comment, version)
    return _committed(plan)


@bp.post(f"/plans/<{ID}:plan_id>/counted")
def count_plan(plan_id: int) -> Response:
    """Mark (or unmark) the plan as part of its unit's programme of work for the year."""
    plan = services.get_plan(caller().tenant_id, plan_id)
    if not may_mark_counted(caller(), plan):
        raise authz.Forbidden("plan")
    data = json_object(required=("counted",), optional=("version",))
    counted = flag_field(data, "counted")
    version = _whole(data["version"], "version") if "version" in data else None
    services.set_counted(caller(), plan, counted, version)
    db.session.commit()
    return jsonify(plan_dict(plan))


@bp.put(f"/plans/<{ID}:plan_id>/targets/<{ID}:target_id>/checks/<{ID}:unit_id>")
def check_target(plan_id: int, target_id: int, unit_id: int) -> Response:
    """A unit's "done / not done" (with a note) for a qualitative target of an issued plan."""
    plan = services.get_plan(caller().tenant_id, plan_id)
    unit = load_unit(unit_id, "submit")
    target = services.get_target(plan, target_id)
    data = json_object(required=("done",), optional=("note",))
    done = flag_field(data, "done")
    note = _string(data.get("note"), "note", nullable=True) or ""
    check = services.check_target(caller(), target, unit, done, note)
    db.session.commit()
    return jsonify(check.to_dict())


@bp.get(f"/plans/<{ID}:plan_id>/checks")
def list_target_checks(plan_id: int) -> Response:
    """Every unit's answer for the plan's qualitative targets (for those who view the plan's
    unit, like its history)."""
    plan = _load_plan(plan_id, "view")
    checks = services.checks_of(list(plan.targets))
    ordered = sorted(checks.values(), key=lambda c: (c.target_id, c.unit.path))
    return jsonify(items=[check.to_dict() for check in ordered])


@bp.get(f"/plans/<{ID}:plan_id>/history")
def plan_history(plan_id: int) -> Response:
    plan = _load_plan(plan_id, "view")
    return jsonify(items=[event.to_dict() for event in services.history(plan)])


@bp.get(f"/plans/<{ID}:plan_id>/cascade")
def plan_cascade(plan_id: int) -> Response:
    plan = _load_plan(plan_id, "view")
    return jsonify(items=[_cascade_row(row) for row in services.cascade_status(plan)])


@bp.get("/plans/requests")
def list_plan_requests() -> Response:
    """Requests for an implementing plan addressed to units where the caller may plan."""
    limit, offset = page()
    stmt = services.requests_for(caller()).order_by(PlanRequest.id)  # stable pages
    requests = db.session.scalars(stmt.limit(limit).offset(offset))
    return jsonify(items=[_request_dict(plan_request) for plan_request in requests])


@bp.post(f"/plans/requests/<{ID}:plan_id>/<{ID}:unit_id>/start")
def start_plan_from_request(plan_id: int, unit_id: int) -> Response:
    """The unit's implementing plan, prefilled from the parent's; started once."""
    plan_request = services.get_request(caller().tenant_id, plan_id, unit_id)
    authz.require(caller(), "plan", plan_request.unit)
    existing = services.child_plan(plan_request)
    plan = services.start_from_request(caller(), plan_request)
    db.session.commit()
    if existing is not None:
        return jsonify(plan_dict(plan))
    return created(plan_dict(plan), url_for(".get_plan", plan_id=plan.id))
