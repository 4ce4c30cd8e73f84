"""Forms, the reporting calendar and reports over the API: the same services and checks as the
report pages.

Each endpoint loads its object through the tenant-scoped getter (404), asks for the right the
service will ask for (403), and only then reads the body (400, 422): a caller learns nothing
from a body about a report they may not touch. A body is type-checked here (a count is a JSON
number, a rate an object); what the values mean is judged by lhpn/reports/services.py.
"""

from flask import Response, jsonify, request, url_for
from flask_babel import gettext as _

from lhpn import authz
from lhpn.access import load_unit
from lhpn.accounts.models import User
from lhpn.api import bp
from lhpn.api.payload import (
    _storable,
    id_field,
    json_object,
    page,
    query_id,
    query_int,
    query_text,
    text_field,
)
from lhpn.api.plumbing import ID, caller, created
from lhpn.clock import utcnow
from lhpn.errors import DomainError, NotFound
from lhpn.extensions import db
from lhpn.reports import batch, services
from lhpn.reports.models import Report, ReportTemplate
from lhpn.units.models import Unit
from lhpn.units.services import get_unit
from lhpn.workflow.engine import STATUS_LABELS

STATUSES = tuple(STATUS_LABELS)  # draft, submitted, approved, returned
NARRATIVE = ("results", "shortcomings", "proposals")
MAX_CODE = 40
# The JSON type a value of each indicator kind must have (null clears a value).
VALUE_TYPES = {"count": (int, float), "decimal": (int, float), "boolean": (bool,),
               "rate": (dict,), "text": (str,)}


# ---- answers ----------------------------------------------------------------------------------

def template_dict(template: ReportTemplate) -> dict:
    return {
        "id": template.id,
        "code": template.code,
        "name": template.name,
        "period_type": template.period_type,
        "indicators": [{"code": item.indicator.code, "name": item.indicator.name,
                        "kind": item.indicator.kind, "aggregation": item.indicator.aggregation,
                        "group": item.group, "required": item.required}
                       for item in template.items],
        "levels": template.level_list,
        "due_day": template.due_day,
        "due_months_after": template.due_months_after,
        "periods": [{"code": tp.code, "label": tp.label, "due_date": tp.due_date.isoformat()}
                    for tp in template.periods],
    }


def _late(report: Report) -> bool:
    """Submitted after its due date, or not submitted and past it."""
    if report.due_date is None:
        return False
    day = report.submitted_at.date() if report.submitted_at and not report.editable \
        else utcnow().date()
    return day > report.due_date


def report_dict(report: Report) -> dict:
    return {
        "id": report.id,
        "unit_id": report.unit_id,
        "template": report.template.code,
        "period": report.period,
        "status": report.status,
        "values": services.values_dict(report),
        "version": report.version,
        "submitted_at": report.submitted_at.isoformat() + "Z" if report.submitted_at else None,
        "due_date": report.due_date.isoformat() if report.due_date else None,
        "on_behalf": report.on_behalf,
        "nothing_to_report": report.nothing_to_report,
        "narrative": {field: getattr(report, field) for field in NARRATIVE},
        "late": _late(report),
    }


def _committed(report: Report) -> Response:
    """Commit, and answer with the report as written: the answer is built first, so that
    nothing is read after the commit (a connection lost then cannot turn a decision that
    went through into an error)."""
    answer = report_dict(report)
    db.session.commit()
    return jsonify(answer)


def _calendar_entry(due: services.Due) -> dict:
    return {"template": due.template.code, "period": due.period, "label": due.label,
            "due_date": due.due_date.isoformat(), "status": due.state,
            "report_id": due.report.id if due.report else None}


# ---- reading bodies ---------------------------------------------------------------------------

def _version(data: dict) -> int | None:
    if "version" not in data:
        return None
    value = data["version"]
    # bool is an int in Python; true must not quietly mean version 1.
    if isinstance(value, bool) or not isinstance(value, int):
        raise DomainError(_("Trường %(name)s phải là số nguyên.", name="version"), "version")
    return value


def _optional_version() -> int | None:
    """The "version" of a body that may be left out altogether."""
    if not request.get_data():
        return None
    return _version(json_object(optional=("version",)))


def _code(value: object, field: str) -> str:
    """A form or period code: a short storable string (the database is never asked about
    anything else)."""
    text = text_field({field: value}, field)
    if len(text) > MAX_CODE:
        raise DomainError(_("Trường %(name)s dài quá %(n)d ký tự.", name=field, n=MAX_CODE),
                          field)
    return text


def _values(report: Report, value: object) -> dict:
    """The "values" object, each value of the JSON type its indicator's kind needs."""
    if not isinstance(value, dict):
        raise DomainError(_("Giá trị chỉ tiêu phải là một bảng mã → giá trị."), "values")
    kinds = {item.indicator.code: item.indicator.kind for item in report.template.items}
    for code, raw in value.items():
        if not _storable(code) or len(code) > MAX_CODE:
            raise DomainError(_("Mã chỉ tiêu không hợp lệ."), "values")
        kind = kinds.get(code)
        if kind is None or raw is None:
            continue  # the service names the unknown code; null clears a value
        wanted = VALUE_TYPES[kind]
        if kind != "boolean" and isinstance(raw, bool) or not isinstance(raw, wanted):
            raise DomainError(_("%(c)s: giá trị không đúng kiểu của chỉ tiêu (%(kind)s).",
                                c=code, kind=kind), code)
        if kind == "rate":
            for part in raw.values():
                if part is not None and (isinstance(part, bool) or not isinstance(part, int)):
                    raise DomainError(_("%(c)s: tử số và mẫu số phải là số nguyên.", c=code),
                                      code)
        if kind == "text" and not _storable(raw):
            raise DomainError(_("Trường %(name)s chứa ký tự không hợp lệ.", name=code), code)
    return value


def _narrative(value: object) -> dict:
    if not isinstance(value, dict):
        raise DomainError(_("Trường %(name)s phải là một đối tượng JSON.", name="narrative"),
                          "narrative")
    unknown = sorted(set(value) - set(NARRATIVE))
    if unknown:
        names = [f"narrative.{name}" for name in unknown]
        raise DomainError(_("Trường không được hỗ trợ: %(names)s.", names=", ".join(names)),
                          names[0])
    return {name: text_field(value, name) for name in NARRATIVE if name in value}


# ---- loading ----------------------------------------------------------------------------------

def _template(key: str, field: str | None = None) -> ReportTemplate:
    """The caller's tenant's form by code (or id); another tenant's is not found."""
    try:
        if not _storable(key) or len(key) > MAX_CODE:
            raise NotFound(_("Không tìm thấy biểu mẫu."))
        return services.get_template(caller().tenant_id, key)
    except NotFound as exc:  # name the field at fault when the form came in a body
        raise NotFound(exc.message, field) from None


def _load_report(report_id: int, action: str) -> Report:
    """404 for another tenant's report, then 403 without the right ``action`` needs: entering
    values and submitting are for staff of the unit (or of its commune, for a branch);
    approving, returning and reopening are asked of the unit above."""
    report = services.get_report(caller().tenant_id, report_id)
    if action == "enter":
        authz.require_enter_for(caller(), report.unit)
    elif action == "approve":
        authz.require_approver_of(caller(), report)
    else:
        authz.require(caller(), "view", report.unit)
    return report


def _calendar_unit(user: User) -> Unit:
    """The unit asked for, or the unit of the caller's first role (else their own unit)."""
    unit_id = query_id("unit_id")
    if unit_id is None:
        first = min(user.assignments, key=lambda a: a.id, default=None)
        unit_id = first.unit_id if first else user.unit_id
    return load_unit(unit_id, "view")


# ---- forms and the calendar --------------------------------------------------------------------

@bp.get("/templates")
def list_templates() -> Response:
    # Everyone of the tenant may read them, like the indicator catalogue they draw on.
    templates = db.session.scalars(services.templates_of(caller().tenant_id))
    return jsonify(items=[template_dict(template) for template in templates])


@bp.get("/templates/<code>")
def get_template(code: str) -> Response:
    return jsonify(template_dict(_template(code)))


@bp.get("/calendar")
def calendar() -> Response:
    year = query_int("year", 2000, 2100) or utcnow().year
    unit = _calendar_unit(caller())
    return jsonify(items=[_calendar_entry(due) for due in services.calendar_for(unit, year)])


# ---- reports ----------------------------------------------------------------------------------

@bp.get("/reports")
def list_reports() -> Response:
    limit, offset = page()
    unit_id, period, status = query_id("unit_id"), query_text("period"), query_text("status")
    code = query_text("template")
    if status is not None and status not in STATUSES:
        raise DomainError(_("Tham số %(name)s phải là một trong: %(values)s.", name="status",
                            values=", ".join(STATUSES)), "status")
    template_id = None
    if code is not None:
        try:
            template_id = _template(code).id
        except NotFound as exc:  # a filter naming no form is a mistake, not an empty list
            raise DomainError(exc.message, "template") from None
    if period is not None and len(period) > MAX_CODE:
        raise DomainError(_("Kỳ báo cáo không hợp lệ."), "period")
    # Filtered in SQL by the same reach as single reads.
    stmt = services.visible_reports(caller(), unit_id=unit_id, template_id=template_id,
                                    period=period, status=status)
    reports = db.session.scalars(stmt.limit(limit).offset(offset))
    return jsonify(items=[report_dict(report) for report in reports])


@bp.post("/reports")
def open_report() -> Response:
    """The unit's report for the period: created as a draft (201), or the one already there
    (200)."""
    data = json_object(required=("unit_id", "template", "period"))
    unit = get_unit(caller().tenant_id, id_field(data, "unit_id"))
    key = data["template"]
    # A form that is not the tenant's is "not found" before the right to the unit is asked.
    template = _template(key, "template") if isinstance(key, str) else None
    authz.require_enter_for(caller(), unit)
    template = template or _template(_code(key, "template"), "template")
    period = _code(data["period"], "period")
    existing = services.find_report(unit, template, period)
    report = services.open_report(caller(), unit, template, period)
    db.session.commit()
    if existing is not None:
        return jsonify(report_dict(report))
    return created(report_dict(report), url_for(".get_report", report_id=report.id))


@bp.get(f"/reports/<{ID}:report_id>")
def get_report(report_id: int) -> Response:
    return jsonify(report_dict(_load_report(report_id, "view")))


@bp.put(f"/reports/<{ID}:report_id>/values")
def save_values(report_id: int) -> Response:
    """The values sent replace the report's (an indicator left out is cleared); the narrative
    fields sent replace theirs; "version" says which state of the report they were made on."""
    report = _load_report(report_id, "enter")
    data = json_object(required=("values", "version"),
                       optional=("narrative", "nothing_to_report"))
    version = _version(data)
    values = _values(report, data["values"])
    narrative = _narrative(data["narrative"]) if "narrative" in data else None
    nothing = data.get("nothing_to_report")
    if nothing is not None and not isinstance(nothing, bool):
        raise DomainError(_("Trường %(name)s phải là true hoặc false.",
                            name="nothing_to_report"), "nothing_to_report")
    warnings = services.save_report(caller(), report, values, version, narrative=narrative,
                                    nothing_to_report=nothing)
    db.session.commit()
    return jsonify(report_dict(report) | {"warnings": [
        {"indicator": w.indicator, "message": w.message} for w in warnings]})


@bp.post(f"/reports/<{ID}:report_id>/submit")
def submit_report(report_id: int) -> Response:
    report = _load_report(report_id, "enter")
    services.submit_report(caller(), report, _optional_version())
    return _committed(report)


@bp.post(f"/reports/<{ID}:report_id>/approve")
def approve_report(report_id: int) -> Response:
    report = _load_report(report_id, "approve")
    services.approve_report(caller(), report, _optional_version())
    return _committed(report)


def _comment_and_version() -> tuple[str, int | None]:
    data = json_object(required=("comment",), optional=("version",))
    return text_field(data, "comment"), _version(data)


@bp.post(f"/reports/<{ID}:report_id>/return")
def return_report(report_id: int) -> Response:
    report = _load_report(report_id, "approve")
    comment, version = _comment_and_version()
    services.return_report(caller(), report, comment, version)
    return _committed(report)


@bp.post(f"/reports/<{ID}:report_id>/reopen")
def reopen_report(report_id: int) -> Response:
    report = _load_report(report_id, "approve")
    comment, version = _comment_and_version()
    services.reopen_report(caller(), report, comment, version)
    return _committed(report)


@bp.get(f"/reports/<{ID}:report_id>/history")
def report_history(report_id: int) -> Response:
    report = _load_report(report_id, "view")
    return jsonify(items=[event.to_dict() for event in services.history(report)])


# ---- approving several at once -------------------------------------------------------------------

def _batch_items(data: dict) -> list[tuple[int, int]]:
    """"items": a list of {"id", "version"}, each the report and the version the caller saw."""
    items = data["items"]
    if not isinstance(items, list) or not items or len(items) > batch.MAX_BATCH:
        raise DomainError(_("Trường items phải là danh sách từ 1 đến %(n)d báo cáo "
                            "{id, version}.", n=batch.MAX_BATCH), "items")
    pairs = []
    for index, item in enumerate(items):
        where = f"items[{index}]"
        if not isinstance(item, dict) or set(item) != {"id", "version"}:
            raise DomainError(_("Mỗi phần tử của items gồm đúng hai trường id và version."),
                              where)
        for name in ("id", "version"):
            value = item[name]
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise DomainError(_("Trường %(name)s phải là số nguyên.", name=name),
                                  f"{where}.{name}")
        pairs.append((item["id"], item["version"]))
    return pairs


@bp.post("/reports/approve")
def approve_reports() -> Response:
    """Approve several reports, each as if approved alone and in its own transaction
    (lhpn/reports/batch.py): 200 with one result per item, in order."""
    items = _batch_items(json_object(required=("items",)))
    outcomes = batch.approve_many(caller(), items)
    results = []
    for (key, _version), outcome in zip(items, outcomes, strict=True):
        result: dict = {"id": key, "ok": outcome.ok}
        if outcome.ok:
            result.update(status=outcome.report.status, version=outcome.report.version)
        else:
            result["error"] = {"code": outcome.code, "message": outcome.message}
        results.append(result)
    approved = sum(1 for outcome in outcomes if outcome.ok)
    return jsonify(results=results, approved=approved, failed=len(outcomes) - approved)
