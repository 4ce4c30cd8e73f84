"""The API's OpenAPI 3.1 description, written by hand next to the views it describes.

tests/test_api.py checks that every route here is documented and every documented route
exists, and validates real answers against these schemas.
"""

import copy
from functools import cache

from flask import Response, jsonify
from pydantic import BaseModel, ConfigDict

from lhpn.accounts.models import ROLES
from lhpn.api import bp, contract
from lhpn.api.contract import endpoint
from lhpn.api.payload import DEFAULT_LIMIT, MAX_LIMIT
from lhpn.api.plumbing import MAX_ID
from lhpn.indicators.models import AGGREGATIONS, KINDS
from lhpn.plans.models import MEASURED_KINDS, SECTION_KEYS, STATUSES
from lhpn.plans.services import CHILD_STATES, WHEN_KINDS
from lhpn.reports.batch import MAX_BATCH
from lhpn.reports.periods import PERIOD_TYPES
from lhpn.tenants.models import LEVELS
from lhpn.workflow.engine import STATUS_LABELS


class OpenAPIDocument(BaseModel):
    """The OpenAPI 3.1 document."""

    model_config = ConfigDict(extra="allow")


@bp.get("/openapi.json")
@endpoint("Tài liệu này (OpenAPI 3.1).", ok={200: OpenAPIDocument}, public=True)
def openapi_document() -> Response:
    return jsonify(document())


def document() -> dict:
    """The generated document, with the hand-written parts of the paths not yet declared."""
    generated = copy.deepcopy(contract.document())
    legacy = _legacy()
    for path, item in legacy["paths"].items():
        generated["paths"].setdefault(path, item)
    for kind, entries in legacy["components"].items():
        for name, entry in entries.items():
            generated["components"].setdefault(kind, {}).setdefault(name, entry)
    return generated


# ---- building blocks ------------------------------------------------------------------------

def _ref(kind: str, name: str) -> dict:
    return {"$ref": f"#/components/{kind}/{name}"}


def _schema(name: str) -> dict:
    return _ref("schemas", name)


def _object(properties: dict, required: list[str] | None = None, **extra) -> dict:
    """A closed JSON object: answers carry exactly these fields, bodies may send no others."""
    return {"type": "object", "properties": properties, "required": required or [],
            "additionalProperties": False, **extra}


def _list_of(name: str) -> dict:
    return _object({"items": {"type": "array", "items": _schema(name)}}, ["items"])


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
NULLABLE_ID = {"type": ["integer", "null"], "minimum": 1, "maximum": MAX_ID}

USER_FIELDS = {
    "id": ID_SCHEMA,
    "username": {"type": "string"},
    "full_name": {"type": "string"},
    "locked": {"type": "boolean"},
    "unit_id": NULLABLE_ID,
    "email": {"type": ["string", "null"], "maxLength": 254,
              "description": "Nhận bản sao thông báo qua e-mail khi hệ thống có SMTP."},
}
USER_REQUIRED = list(USER_FIELDS)
EMAIL = {"type": ["string", "null"], "maxLength": 254, "format": "email",
         "description": "null hoặc \"\" để bỏ địa chỉ e-mail."}
ROLES_FIELD = {"roles": {"type": "array", "items": _schema("RoleAssignment")}}

DATE = {"type": "string", "format": "date", "description": "yyyy-mm-dd"}
NULLABLE_DATE = {"type": ["string", "null"], "format": "date", "description": "yyyy-mm-dd"}
TEXT = {"type": "string"}
MARKDOWN = {"type": "string", "maxLength": 100_000,
            "description": "Markdown: tiêu đề, danh sách đánh số và gạch đầu dòng, chữ đậm."}
TEXT_LIST = {"type": "array", "items": TEXT}
LEVEL_LIST = {"type": "array", "items": {"enum": list(LEVELS)}}
# The fields a client writes; a plan in an answer carries them and the server's own.
PLAN_WRITABLE = {
    "year": {"type": "integer", "minimum": 2000, "maximum": 2100},
    "title": {"type": "string", "minLength": 1, "maxLength": 500},
    "number": {"type": "string", "maxLength": 60, "examples": ["68/KH-BTV"]},
    "place": {"type": "string", "maxLength": 120},
    "plan_date": NULLABLE_DATE,
    "parent_plan_id": {**NULLABLE_ID, "description":
                       "Kế hoạch đã ban hành của cấp trên mà kế hoạch này thực hiện."},
    "basis": MARKDOWN,
    "purpose": MARKDOWN,
    "content": MARKDOWN,
    "organisation": MARKDOWN,
    "budget": {**MARKDOWN, "description": "Phần kinh phí; chỉ có trong văn bản khi được điền."},
    "headings": {"type": "object", "description":
                 "Tiêu đề riêng của các phần (không kèm số thứ tự, được đánh tự động); phần "
                 "không có tên ở đây dùng tiêu đề mặc định.",
                 "properties": {key: {"type": "string", "maxLength": 200}
                                for key in SECTION_KEYS},
                 "additionalProperties": False,
                 "examples": [{"content": "NHIỆM VỤ TRỌNG TÂM"}]},
    "counted": {"type": "boolean", "description":
                "Thuộc chương trình công tác năm của đơn vị: khi đã ban hành, các chỉ tiêu được "
                "theo dõi mức đạt (trang tổng hợp, bảng điều khiển)."},
    "recipients": {**TEXT_LIST, "description": "Nơi nhận, mỗi mục một dòng."},
    "signer_title": {"type": "string", "maxLength": 80, "default": "CHỦ TỊCH"},
    "signer_name": {"type": "string", "maxLength": 120},
    "child_levels": {**LEVEL_LIST, "description":
                     "Các cấp dưới phải xây dựng kế hoạch thực hiện khi kế hoạch được ban hành."},
    "child_deadline": {**NULLABLE_DATE, "description":
                       "Hạn gửi kế hoạch của cấp dưới; bắt buộc khi có child_levels."},
    "targets": {"type": "array", "items": _schema("Target")},
    "activities": {"type": "array", "items": _schema("Activity")},
}
PLAN_FIELDS = {
    "id": ID_SCHEMA,
    "unit_id": ID_SCHEMA,
    **PLAN_WRITABLE,
    "status": {"enum": list(STATUSES)},
    "version": {"type": "integer", "minimum": 1, "description":
                "Gửi lại khi sửa; 409 nếu kế hoạch đã bị người khác thay đổi."},
    "warnings": {"type": "array", "items": _schema("TargetWarning"), "description":
                 "Chỉ tiêu thấp hơn yêu cầu của kế hoạch cấp trên."},
}
VERSION = {"type": "integer", "minimum": 1}


FIGURES = {"type": "object", "additionalProperties": {"type": ["number", "null"]},
           "description": "Mã chỉ tiêu → giá trị tổng hợp (null: chưa có số liệu hoặc chỉ tiêu "
                          "văn bản). Tỷ lệ tính bằng Σ tử số / Σ mẫu số × 100; cách tổng hợp "
                          "share cho % báo cáo trả lời có (hoặc số > 0)."}
COUNT = {"type": "integer", "minimum": 0}
PERCENT = {"type": ["number", "null"], "minimum": 0}


def _consolidation_schemas() -> dict:
    return {
        "Consolidation": _object({
            "unit_id": ID_SCHEMA,
            "template": {"type": "string"},
            "periods": TEXT_LIST,
            "label": {"type": "string", "examples": ["Tháng 01/2027 – Tháng 12/2027"]},
            "values": FIGURES,
            "expected": {**COUNT, "description": "Số báo cáo phải nộp của cả cây đơn vị."},
            "approved": {**COUNT, "description": "Số báo cáo đã duyệt."},
            "on_time": {**COUNT, "description":
                        "Số báo cáo đã duyệt được gửi lần đầu trước hết ngày hạn nộp."},
            "completeness": {**PERCENT, "description": "approved / expected × 100."},
            "timeliness": {**PERCENT, "description": "on_time / expected × 100."},
            "plans": {"type": "array", "items": _schema("CountedPlan"), "description":
                      "Các kế hoạch đã ban hành thuộc chương trình công tác năm dùng để so chỉ "
                      "tiêu: của đơn vị, hoặc của cấp trên gần nhất có kế hoạch được đánh dấu."},
            "attainment_periods": {**TEXT_LIST, "description":
                                   "Các kỳ có số liệu được so với chỉ tiêu: mặc định lũy kế "
                                   "từ đầu năm đến kỳ cuối đang xem (attainment=periods: các "
                                   "kỳ đang xem)."},
            "attainment": {"type": "array", "items": _schema("Attainment")},
            "children": {"type": "array", "items": _schema("ConsolidationChild")},
        }, ["unit_id", "template", "periods", "label", "values", "expected", "approved",
            "on_time", "completeness", "timeliness", "plans", "attainment_periods",
            "attainment", "children"]),
        "CountedPlan": _object({
            "id": ID_SCHEMA, "unit_id": ID_SCHEMA, "number": {"type": "string"},
            "title": {"type": "string"},
        }, ["id", "unit_id", "number", "title"]),
        "ConsolidationChild": _object({
            "unit_id": ID_SCHEMA, "name": {"type": "string"}, "level": {"enum": list(LEVELS)},
            "closed": {"type": "boolean"}, "values": FIGURES, "expected": COUNT,
            "approved": COUNT, "on_time": COUNT,
        }, ["unit_id", "name", "level", "closed", "values", "expected", "approved", "on_time"]),
        "Attainment": _object({
            "plan_id": ID_SCHEMA, "target_id": ID_SCHEMA,
            "indicator": {"type": ["string", "null"], "description": "null: chỉ tiêu định tính."},
            "level": {"enum": list(LEVELS)},
            "kind": {"enum": ["count", "share", "rate", "text"]},
            "value": {"type": ["number", "null"]},
            "threshold": {"type": ["number", "null"]},
            "text": {"type": "string", "description": "Chỉ tiêu định tính: lời văn."},
            "deadline": NULLABLE_DATE,
            "units": {**COUNT, "description": "Số đơn vị của cấp đó trong cây."},
            "met": {**COUNT, "description": "Số đơn vị đạt (định tính: đã báo thực hiện)."},
            "attained": {"type": "boolean"},
            "in_form": {"type": "boolean", "description":
                        "Chỉ tiêu có trong biểu mẫu này (nếu không, không đo được ở đây)."},
            "not_met": {"type": "array", "items": ID_SCHEMA,
                        "description": "Các đơn vị chưa đạt (định tính: chưa thực hiện hoặc "
                                       "chưa báo)."},
            "not_done": {"type": "array", "description": "Định tính: đơn vị báo chưa thực hiện.",
                         "items": _object({"unit_id": ID_SCHEMA, "note": {"type": "string"}},
                                          ["unit_id", "note"])},
        }, ["plan_id", "target_id", "indicator", "level", "kind", "value", "threshold", "units",
            "met", "attained", "in_form", "not_met"]),
        "CountryConsolidation": _object({
            "template": {"type": "string"}, "period": {"type": "string"}, "values": FIGURES,
            "reports": {"type": "object", "additionalProperties": COUNT},
        }, ["template", "period", "values", "reports"]),
    }


def _schemas() -> dict:
    return {
        **_consolidation_schemas(),
        "Error": _object({"error": _object({
            "code": {"type": "string", "examples": ["not_found", "invalid", "forbidden"]},
            "message": {"type": "string", "description": "Cho người dùng đọc (vi hoặc en)."},
            "field": {"type": "string", "description": "Trường gây lỗi, nếu có."},
        }, ["code", "message"])}, ["error"]),
        "Credentials": _object({"username": {"type": "string"},
                                "password": {"type": "string"}}, ["username", "password"]),
        "Token": _object({"token": {"type": "string"}}, ["token"]),
        "Tenant": _object({
            "code": {"type": "string"},
            "name": {"type": "string"},
            "levels": {"type": "array", "items": {"enum": list(LEVELS)}},
        }, ["code", "name", "levels"]),
        "Unit": _object({
            "id": ID_SCHEMA,
            "name": {"type": "string"},
            "code": {"type": "string"},
            "level": {"enum": list(LEVELS)},
            "parent_id": NULLABLE_ID,
            "closed": {"type": "boolean"},
            "opened_on": {"type": "string", "format": "date",
                          "description": "Ngày bắt đầu hoạt động: đơn vị chỉ phải nộp báo cáo "
                                         "của các kỳ có hạn nộp sau ngày này."},
        }, ["id", "name", "code", "level", "parent_id", "closed", "opened_on"]),
        "UnitList": _list_of("Unit"),
        "NewUnit": _object({
            "name": {"type": "string", "maxLength": 200},
            "level": {"enum": list(LEVELS)},
            "parent_id": ID_SCHEMA,
            "code": {"type": ["string", "null"], "maxLength": 64,
                     "description": "Bỏ trống để hệ thống tự sinh mã."},
            "opened_on": {"type": ["string", "null"], "format": "date",
                          "description": "yyyy-mm-dd; bỏ trống: hôm nay."},
        }, ["name", "level", "parent_id"]),
        "UnitChanges": _object({
            "name": {"type": "string", "maxLength": 200},
            "closed": {"type": "boolean", "description": "true: giải thể; false: mở lại."},
            "opened_on": {"type": "string", "format": "date",
                          "description": "Sửa ngày bắt đầu hoạt động (yyyy-mm-dd)."},
        }, minProperties=1),
        "UnitMove": _object({"parent_id": ID_SCHEMA}, ["parent_id"]),
        "User": _object(USER_FIELDS, USER_REQUIRED),
        "UserDetail": _object(USER_FIELDS | ROLES_FIELD, [*USER_REQUIRED, "roles"]),
        "Me": _object(
            USER_FIELDS | ROLES_FIELD | {
                "tenant": {"anyOf": [_schema("Tenant"), {"type": "null"}],
                           "description": "null cho quản trị hệ thống."},
            },
            [*USER_REQUIRED, "roles", "tenant"],
        ),
        "UserList": _list_of("User"),
        "NewUser": _object({
            "username": {"type": "string", "pattern": "^[a-z0-9][a-z0-9._-]{2,63}$"},
            "password": {"type": "string"},
            "full_name": {"type": "string", "maxLength": 200},
            "unit_id": {**ID_SCHEMA, "description":
                        "Mặc định: đơn vị của vai trò đầu tiên cho phép người gọi quản lý."},
            "email": EMAIL,
        }, ["username", "password"]),
        "UserChanges": _object({
            "locked": {"type": "boolean",
                       "description": "Khóa cũng kết thúc mọi phiên và token của người dùng."},
            "full_name": {"type": "string", "maxLength": 200},
            "email": EMAIL,
        }, minProperties=1),
        "RoleAssignment": _object({"id": ID_SCHEMA, "role": {"enum": list(ROLES)},
                                   "unit_id": ID_SCHEMA}, ["id", "role", "unit_id"]),
        "NewRoleAssignment": _object({"role": {"enum": list(ROLES)}, "unit_id": ID_SCHEMA},
                                     ["role", "unit_id"]),
        **_plan_schemas(),
        **_report_schemas(),
    }


def _plan_schemas() -> dict:
    return {
        "Plan": _object(PLAN_FIELDS, list(PLAN_FIELDS)),
        "PlanList": _list_of("Plan"),
        "NewPlan": _object({"unit_id": ID_SCHEMA, **PLAN_WRITABLE},
                           ["unit_id", "year", "title"]),
        "PlanChanges": _object(
            {"version": VERSION, **PLAN_WRITABLE}, ["version"], minProperties=2,
            description="Các trường gửi thay cho trường hiện có (targets, activities: thay cả "
                        "danh sách); chỉ khi kế hoạch là dự thảo hoặc bị trả lại."),
        "PlanStep": _object({"version": {**VERSION, "description":
                                         "Nếu gửi: 409 khi kế hoạch đã thay đổi."}}),
        "PlanReturn": _object({"comment": {"type": "string", "minLength": 1,
                                           "maxLength": 5000},
                               "version": VERSION}, ["comment"]),
        "Target": {"oneOf": [_schema("MeasuredTarget"), _schema("TextTarget")]},
        "MeasuredTarget": _object({
            "id": {**ID_SCHEMA, "description": "Trong câu trả lời; bỏ qua khi gửi lên."},
            "indicator": {"type": "string", "description": "Mã chỉ tiêu trong danh mục của tỉnh.",
                          "examples": ["GIAM_SAT"]},
            "level": {"enum": list(LEVELS), "description": "Cấp áp dụng."},
            "kind": {"enum": list(MEASURED_KINDS), "description":
                     "count: mỗi đơn vị đạt ≥ value; share: value % đơn vị đạt ≥ threshold; "
                     "rate: tỷ lệ ≥ value %."},
            "value": {"type": "number", "minimum": 0},
            "threshold": {"type": ["number", "null"], "minimum": 0,
                          "description": "Chỉ với share (mặc định 1)."},
            "note": {"type": "string", "maxLength": 500},
        }, ["indicator", "level", "kind", "value"]),
        "TextTarget": _object({
            "id": {**ID_SCHEMA, "description": "Trong câu trả lời; bỏ qua khi gửi lên."},
            "kind": {"const": "text", "description":
                     "Chỉ tiêu định tính: mỗi đơn vị thuộc cấp áp dụng báo đã thực hiện hay chưa."},
            "level": {"enum": list(LEVELS), "description": "Cấp áp dụng."},
            "text": {"type": "string", "minLength": 1, "maxLength": 2000,
                     "examples": ["100% Hội LHPN cơ sở góp ý ít nhất 01 dự thảo văn bản"]},
            "deadline": NULLABLE_DATE,
        }, ["kind", "level", "text"]),
        "TargetCheck": _object({
            "target_id": ID_SCHEMA,
            "unit_id": ID_SCHEMA,
            "done": {"type": "boolean"},
            "note": {"type": "string", "maxLength": 1000},
            "checked_at": {"type": ["string", "null"], "format": "date-time"},
        }, ["target_id", "unit_id", "done", "note", "checked_at"]),
        "TargetCheckList": _list_of("TargetCheck"),
        "NewTargetCheck": _object({
            "done": {"type": "boolean"},
            "note": {"type": "string", "maxLength": 1000,
                     "description": "Bắt buộc khi done = false."},
        }, ["done"]),
        "PlanCounted": _object({"counted": {"type": "boolean"}, "version": VERSION},
                               ["counted"]),
        "TargetWarning": _object({
            "indicator": {"type": "string"},
            "level": {"enum": list(LEVELS)},
            "kind": {"enum": list(MEASURED_KINDS)},
            "value": {"type": "number"},
            "required": {"type": "number", "description": "Mức của kế hoạch cấp trên."},
            "threshold": {"type": ["number", "null"]},
            "required_threshold": {"type": ["number", "null"]},
        }, ["indicator", "level", "kind", "value", "required"]),
        "Activity": _object({
            "title": {"type": "string", "minLength": 1, "maxLength": 500},
            "when": {"enum": list(WHEN_KINDS), "default": "year"},
            "when_number": {"type": ["integer", "null"], "description":
                            "Tháng (1–12) hoặc quý (1–4)."},
            "start_date": {**NULLABLE_DATE, "description": "Với when = range."},
            "end_date": {**NULLABLE_DATE, "description": "Với when = range."},
            "lead": {"type": "string", "maxLength": 200},
            "coordinators": {"type": "string", "maxLength": 300},
            "budget_source": {"type": "string", "maxLength": 200},
        }, ["title"]),
        "HistoryEvent": _object({
            "action": {"type": "string", "examples": ["submit", "approve", "return"]},
            "from": {"enum": list(STATUSES)},
            "to": {"enum": list(STATUSES)},
            "actor": {"type": ["string", "null"], "description": "Tên đăng nhập."},
            "comment": {"type": "string"},
            "at": {"type": "string", "format": "date-time"},
        }, ["action", "from", "to", "actor", "comment", "at"]),
        "HistoryList": _list_of("HistoryEvent"),
        "CascadeRow": _object({
            "unit_id": ID_SCHEMA,
            "unit_name": {"type": "string"},
            "state": {"enum": list(CHILD_STATES)},
            "late": {"type": "boolean"},
            "plan_id": NULLABLE_ID,
            "deadline": DATE,
        }, ["unit_id", "unit_name", "state", "late", "plan_id", "deadline"]),
        "CascadeList": _list_of("CascadeRow"),
        "PlanRequest": _object({
            "parent_plan_id": ID_SCHEMA,
            "parent_unit_id": ID_SCHEMA,
            "parent_title": {"type": "string"},
            "parent_number": {"type": "string"},
            "unit_id": ID_SCHEMA,
            "deadline": DATE,
            "plan_id": {**NULLABLE_ID, "description": "Kế hoạch thực hiện, khi đã bắt đầu."},
        }, ["parent_plan_id", "parent_unit_id", "parent_title", "parent_number", "unit_id",
            "deadline", "plan_id"]),
        "PlanRequestList": _list_of("PlanRequest"),
        "Indicator": _object({
            "code": {"type": "string"},
            "name": {"type": "string"},
            "kind": {"enum": list(KINDS)},
            "aggregation": {"enum": list(AGGREGATIONS)},
            "unit_label": {"type": "string"},
            "active": {"type": "boolean"},
        }, ["code", "name", "kind", "aggregation", "unit_label", "active"]),
        "IndicatorList": _list_of("Indicator"),
    }


REPORT_STATUSES = list(STATUS_LABELS)
NARRATIVE = {name: {"type": "string", "maxLength": 20_000}
             for name in ("results", "shortcomings", "proposals")}
REPORT_FIELDS = {
    "id": ID_SCHEMA,
    "unit_id": ID_SCHEMA,
    "template": {"type": "string", "description": "Mã biểu mẫu.", "examples": ["BC_THANG"]},
    "period": {"type": "string", "maxLength": 40, "description":
               "Mã kỳ: 2026-03 (tháng), 2026-Q1, 2026-H1, 2026 (năm), hoặc mã riêng của kỳ "
               "chuyên đề, đột xuất.", "examples": ["2026-03", "2026-Q1", "2026-H1", "2026"]},
    "status": {"enum": REPORT_STATUSES},
    "values": _schema("ReportValues"),
    "version": {**VERSION, "description":
                "Gửi lại khi nhập số liệu; 409 nếu báo cáo đã bị người khác thay đổi."},
    "submitted_at": {"type": ["string", "null"], "format": "date-time",
                     "description": "Lần gửi gần nhất (UTC, kết thúc bằng Z)."},
    "due_date": NULLABLE_DATE,
    "on_behalf": {"type": "boolean", "description": "Hội cơ sở nhập thay cho chi hội."},
    "nothing_to_report": {"type": "boolean",
                          "description": "Đơn vị xác nhận không có số liệu để báo cáo."},
    "narrative": _object(NARRATIVE, list(NARRATIVE)),
    "late": {"type": "boolean", "description": "Gửi sau hạn, hoặc chưa gửi mà đã quá hạn."},
}


def _report_schemas() -> dict:
    value = {"anyOf": [{"type": "number"}, {"type": "boolean"}, {"type": "string"},
                       _schema("RateValue"), {"type": "null"}]}
    return {
        "TemplateIndicator": _object({
            "code": {"type": "string"},
            "name": {"type": "string"},
            "kind": {"enum": list(KINDS)},
            "aggregation": {"enum": list(AGGREGATIONS)},
            "group": {"type": "string"},
            "required": {"type": "boolean"},
        }, ["code", "name", "kind", "aggregation", "group", "required"]),
        "Template": _object({
            "id": ID_SCHEMA,
            "code": {"type": "string", "examples": ["BC_THANG"]},
            "name": {"type": "string"},
            "period_type": {"enum": list(PERIOD_TYPES)},
            "indicators": {"type": "array", "items": _schema("TemplateIndicator")},
            "levels": {**LEVEL_LIST, "description": "Các cấp lập báo cáo theo biểu mẫu."},
            "due_day": {"type": "integer", "description":
                        "Hạn: ngày due_day của tháng thứ due_months_after sau kỳ."},
            "due_months_after": {"type": "integer"},
            "periods": {"type": "array", "description": "Các kỳ chuyên đề, với hạn riêng.",
                        "items": _object({"code": TEXT, "label": TEXT, "due_date": DATE},
                                         ["code", "label", "due_date"])},
        }, ["id", "code", "name", "period_type", "indicators", "levels", "due_day",
            "due_months_after", "periods"]),
        "TemplateList": _list_of("Template"),
        "CalendarEntry": _object({
            "template": {"type": "string", "description": "Mã biểu mẫu."},
            "period": {"type": "string"},
            "label": {"type": "string", "examples": ["Tháng 03/2026"]},
            "due_date": DATE,
            "status": {"enum": ["not_started", *REPORT_STATUSES]},
            "report_id": NULLABLE_ID,
        }, ["template", "period", "label", "due_date", "status", "report_id"]),
        "CalendarList": _list_of("CalendarEntry"),
        "RateValue": _object({"numerator": {"type": "integer", "minimum": 0},
                              "denominator": {"type": "integer", "minimum": 0}},
                             ["numerator", "denominator"], description="Tử số ≤ mẫu số."),
        "ReportValues": {"type": "object", "additionalProperties": value,
                         "propertyNames": {"maxLength": 40},
                         "description": "Mã chỉ tiêu → giá trị theo loại: count số nguyên ≥ 0, "
                                        "decimal số, boolean true/false, rate {numerator, "
                                        "denominator}, text chuỗi; null để xóa."},
        "Warning": _object({"indicator": {"type": "string"}, "message": {"type": "string"}},
                           ["indicator", "message"]),
        "Report": _object(REPORT_FIELDS, list(REPORT_FIELDS)),
        "SavedReport": _object(
            {**REPORT_FIELDS, "warnings": {"type": "array", "items": _schema("Warning"),
                                           "description": "Cảnh báo, không chặn việc lưu."}},
            [*REPORT_FIELDS, "warnings"]),
        "ReportList": _list_of("Report"),
        "NewReport": _object({"unit_id": ID_SCHEMA, "template": REPORT_FIELDS["template"],
                              "period": REPORT_FIELDS["period"]},
                             ["unit_id", "template", "period"]),
        "ReportValuesUpdate": _object({
            "values": {**_schema("ReportValues"), "description":
                       "Thay toàn bộ số liệu: chỉ tiêu không gửi bị xóa."},
            "version": VERSION,
            "narrative": _object(NARRATIVE, description="Các phần gửi thay phần hiện có."),
            "nothing_to_report": {"type": "boolean"},
        }, ["values", "version"]),
        "ReportStep": _object({"version": {**VERSION, "description":
                                           "Nếu gửi: 409 khi báo cáo đã thay đổi."}}),
        "ReportComment": _object({"comment": {"type": "string", "minLength": 1,
                                              "maxLength": 5000},
                                  "version": VERSION}, ["comment"]),
        "ReportBatch": _object({"items": {
            "type": "array", "minItems": 1, "maxItems": MAX_BATCH,
            "items": _object({"id": ID_SCHEMA, "version": {
                **VERSION, "description": "Phiên bản người gọi đã xem: khác là không duyệt."}},
                ["id", "version"])}}, ["items"]),
        "ReportBatchResult": _object({
            "results": {"type": "array", "description": "Cùng thứ tự với items.", "items": _object({
                "id": {"type": "integer"},
                "ok": {"type": "boolean"},
                "status": {"enum": list(STATUS_LABELS)},
                "version": VERSION,
                "error": _object({"code": {"type": "string", "examples": [
                    "conflict", "forbidden", "not_found", "invalid"]},
                                  "message": {"type": "string"}}, ["code", "message"]),
            }, ["id", "ok"])},
            "approved": {"type": "integer", "minimum": 0},
            "failed": {"type": "integer", "minimum": 0},
        }, ["results", "approved", "failed"]),
    }


ERRORS = {
    "400": ("BadRequest", "Nội dung không phải một đối tượng JSON."),
    "401": ("Unauthorized", "Thiếu token, token sai, hết hạn, đã thu hồi, hoặc tài khoản bị khóa."),
    "403": ("Forbidden", "Không có quyền với đối tượng này; hoặc (code "
                         "password_change_required) phải đổi mật khẩu được cấp trên trang web "
                         "trước."),
    "404": ("NotFound", "Không có, hoặc thuộc tỉnh khác."),
    "409": ("Conflict", "Trùng mã, tên đăng nhập hoặc vai trò; kế hoạch, báo cáo đã bị người "
                        "khác thay đổi (version cũ) hoặc không ở trạng thái cho phép thao tác."),
    "422": ("Invalid", "Dữ liệu sai kiểu, thiếu, hoặc vi phạm quy tắc nghiệp vụ."),
    "429": ("TooManyRequests", "Quá nhiều lần đăng nhập không thành công, hoặc quá nhiều yêu "
                               "cầu tốn kém: chờ số giây ghi trong Retry-After."),
}
RETRY_AFTER = {"Retry-After": {"description": "Số giây phải chờ.",
                               "schema": {"type": "integer", "minimum": 1}}}


def _parameters() -> dict:
    def path_id(name: str, what: str) -> dict:
        return {"name": name, "in": "path", "required": True, "schema": ID_SCHEMA,
                "description": what}

    return {
        "unit_id": path_id("unit_id", "Mã số đơn vị."),
        "user_id": path_id("user_id", "Mã số người dùng."),
        "assignment_id": path_id("assignment_id", "Mã số phân quyền."),
        "limit": {"name": "limit", "in": "query", "schema": {
            "type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}},
        "offset": {"name": "offset", "in": "query", "schema": {
            "type": "integer", "minimum": 0, "maximum": MAX_ID, "default": 0}},
        "q": {"name": "q", "in": "query", "schema": {"type": "string"},
              "description": "Tìm theo tên (không phân biệt hoa thường, có dấu hay không) "
                             "hoặc mã."},
        "parent": {"name": "parent", "in": "query", "schema": ID_SCHEMA,
                   "description": "Chỉ các đơn vị trực thuộc đơn vị này."},
        "plan_id": path_id("plan_id", "Mã số kế hoạch."),
        "request_unit_id": path_id("unit_id", "Mã số đơn vị được yêu cầu."),
        "target_id": path_id("target_id", "Mã số chỉ tiêu (trường id của chỉ tiêu)."),
        "check_unit_id": path_id("unit_id", "Mã số đơn vị báo kết quả."),
        "unit_filter": {"name": "unit_id", "in": "query", "schema": ID_SCHEMA,
                        "description": "Chỉ kế hoạch của đơn vị này."},
        "year": {"name": "year", "in": "query",
                 "schema": {"type": "integer", "minimum": 2000, "maximum": 2100}},
        "status": {"name": "status", "in": "query", "schema": {"enum": list(STATUSES)}},
        "report_id": path_id("report_id", "Mã số báo cáo."),
        "template_code": {"name": "code", "in": "path", "required": True,
                          "schema": {"type": "string", "maxLength": 40},
                          "description": "Mã biểu mẫu (hoặc mã số)."},
        "report_unit": {"name": "unit_id", "in": "query", "schema": ID_SCHEMA,
                        "description": "Chỉ báo cáo của đơn vị này."},
        "calendar_unit": {"name": "unit_id", "in": "query", "schema": ID_SCHEMA,
                          "description": "Mặc định: đơn vị của vai trò đầu tiên của người gọi."},
        "template_filter": {"name": "template", "in": "query",
                            "schema": {"type": "string", "maxLength": 40},
                            "description": "Mã biểu mẫu."},
        "period": {"name": "period", "in": "query", "schema": {"type": "string",
                                                                "maxLength": 40}},
        "report_status": {"name": "status", "in": "query",
                          "schema": {"enum": REPORT_STATUSES}},
        "consolidation_template": {"name": "template", "in": "query", "required": True,
                                   "schema": {"type": "string", "maxLength": 40},
                                   "description": "Mã biểu mẫu."},
        "period_from": {"name": "from", "in": "query",
                        "schema": {"type": "string", "maxLength": 40},
                        "description": "Kỳ đầu của một khoảng (cùng với to; thay cho period)."},
        "attainment_scope": {"name": "attainment", "in": "query",
                             "schema": {"enum": ["year", "periods"], "default": "year"},
                             "description": "So chỉ tiêu năm với số liệu lũy kế từ đầu năm "
                                            "(year) hay với các kỳ đang xem (periods)."},
        "period_to": {"name": "to", "in": "query", "schema": {"type": "string", "maxLength": 40},
                      "description": "Kỳ cuối của khoảng, tính cả kỳ này."},
    }


def _operation(summary: str, ok: tuple[str, dict | None], *, errors: str = "",
               body: str | None = None, body_optional: bool = False,
               params: tuple[str, ...] = (), public_op: bool = False) -> dict:
    """``ok`` is (status, schema or None); ``errors`` the error statuses, e.g. "403 404"."""
    status, schema = ok
    responses = {status: _json(schema, "Thành công.") if schema else {"description":
                                                                       "Thành công."}}
    codes = errors.split() + ([] if public_op else ["401"])
    for code in sorted(set(codes)):
        responses[code] = _ref("responses", ERRORS[code][0])
    operation: dict = {"summary": summary, "responses": responses}
    if params:
        operation["parameters"] = [_ref("parameters", name) for name in params]
    if body:
        operation["requestBody"] = {"required": not body_optional, "content": {
            "application/json": {"schema": _schema(body)}}}
    if public_op:
        operation["security"] = []
    return operation


def _paths() -> dict:
    unit = _schema("Unit")
    user_detail = _schema("UserDetail")
    return {
        "/auth/token": {"post": _operation(
            "Đăng nhập, nhận token (gửi lại trong Authorization: Bearer TOKEN).",
            ("200", _schema("Token")), errors="400 401 403 422 429", body="Credentials",
            public_op=True)},
        "/auth/logout": {"post": _operation("Thu hồi token đang dùng.", ("204", None))},
        "/me": {"get": _operation("Người đang gọi: vai trò và tỉnh.", ("200", _schema("Me")))},
        "/units": {
            "get": _operation("Các đơn vị người gọi được xem, theo thứ tự cây.",
                              ("200", _schema("UnitList")), errors="422",
                              params=("parent", "q", "limit", "offset")),
            "post": _operation("Tạo đơn vị (cần quyền quản lý đơn vị cấp trên).",
                               ("201", unit), errors="400 403 404 409 422", body="NewUnit"),
        },
        "/units/{unit_id}": {
            "parameters": [_ref("parameters", "unit_id")],
            "get": _operation("Một đơn vị.", ("200", unit), errors="403 404"),
            "patch": _operation("Đổi tên, giải thể hoặc mở lại đơn vị.", ("200", unit),
                                errors="400 403 404 409 422", body="UnitChanges"),
        },
        "/units/{unit_id}/move": {
            "parameters": [_ref("parameters", "unit_id")],
            "post": _operation("Chuyển đơn vị (cần quyền quản lý cả đơn vị và nơi đến).",
                               ("200", unit), errors="400 403 404 422", body="UnitMove"),
        },
        "/users": {
            "get": _operation("Người dùng người gọi quản lý được: đơn vị công tác và mọi vai "
                              "trò của họ đều trong phạm vi quản lý của người gọi.",
                              ("200", _schema("UserList")), errors="403 422",
                              params=("q", "limit", "offset")),
            "post": _operation("Tạo người dùng; họ phải đổi mật khẩu khi đăng nhập trang web.",
                               ("201", _schema("User")), errors="400 403 404 409 422",
                               body="NewUser"),
        },
        "/users/{user_id}": {
            "parameters": [_ref("parameters", "user_id")],
            "get": _operation("Một người dùng và vai trò của họ.", ("200", user_detail),
                              errors="403 404"),
            "patch": _operation("Khóa, mở khóa, đổi họ tên.", ("200", user_detail),
                                errors="400 403 404 422", body="UserChanges"),
        },
        "/users/{user_id}/roles": {
            "parameters": [_ref("parameters", "user_id")],
            "post": _operation("Phân vai trò tại một đơn vị người gọi quản lý. Không ai tự "
                               "phân vai trò cho mình (422).",
                               ("201", _schema("RoleAssignment")),
                               errors="400 403 404 409 422", body="NewRoleAssignment"),
        },
        "/users/{user_id}/roles/{assignment_id}": {
            "parameters": [_ref("parameters", "user_id"), _ref("parameters", "assignment_id")],
            "delete": _operation("Thu hồi vai trò. Không ai tự thu hồi vai trò của mình (422).",
                                 ("204", None), errors="403 404 422"),
        },
        **_plan_paths(),
        **_report_paths(),
        "/units/{unit_id}/consolidation": {
            "parameters": [_ref("parameters", "unit_id")],
            "get": _operation(
                "Tổng hợp số liệu các báo cáo đã duyệt của đơn vị và cấp dưới cho một kỳ "
                "(period) hoặc một khoảng kỳ (from, to): giá trị theo cách tổng hợp của từng "
                "chỉ tiêu, tỷ lệ đủ và đúng hạn, mức đạt chỉ tiêu kế hoạch, từng đơn vị trực "
                "thuộc. Khoảng kỳ có giới hạn số lần mỗi phút cho mỗi người.",
                ("200", _schema("Consolidation")), errors="403 404 422 429",
                params=("consolidation_template", "period", "period_from", "period_to",
                        "attainment_scope")),
        },
        "/consolidation": {"get": _operation(
            "Tổng hợp toàn quốc một biểu mẫu (cùng mã ở mọi tỉnh) cho một kỳ: chỉ quản trị hệ "
            "thống.", ("200", _schema("CountryConsolidation")), errors="403 422",
            params=("consolidation_template", "period"))},
        "/indicators": {"get": _operation("Danh mục chỉ tiêu của tỉnh.",
                                          ("200", _schema("IndicatorList")))},
        "/openapi.json": {"get": {
            "summary": "Tài liệu này.", "security": [],
            "responses": {"200": _json({"type": "object"}, "Tài liệu OpenAPI 3.1.")},
        }},
    }


def _plan_paths() -> dict:
    plan = ("200", _schema("Plan"))
    one = [_ref("parameters", "plan_id")]
    start = _operation("Bắt đầu kế hoạch thực hiện, điền sẵn từ kế hoạch cấp trên (201); nếu "
                       "đã bắt đầu, trả lại kế hoạch đó (200).", ("201", _schema("Plan")),
                       errors="403 404 422")
    start["responses"]["200"] = _json(_schema("Plan"), "Kế hoạch đã bắt đầu trước đó.")
    return {
        "/plans": {
            "get": _operation("Các kế hoạch người gọi được xem, mới nhất trước.",
                              ("200", _schema("PlanList")), errors="422",
                              params=("unit_filter", "year", "status", "limit", "offset")),
            "post": _operation("Tạo kế hoạch dự thảo (cần quyền lập kế hoạch của đơn vị).",
                               ("201", _schema("Plan")), errors="400 403 404 422",
                               body="NewPlan"),
        },
        "/plans/{plan_id}": {
            "parameters": one,
            "get": _operation("Một kế hoạch: của đơn vị người gọi được xem, hoặc kế hoạch đã ban "
                              "hành của cấp trên đơn vị người gọi (hay đã yêu cầu đơn vị đó xây "
                              "dựng kế hoạch thực hiện).", plan, errors="403 404"),
            "patch": _operation("Sửa kế hoạch dự thảo hoặc bị trả lại.", plan,
                                errors="400 403 404 409 422", body="PlanChanges"),
        },
        "/plans/{plan_id}/submit": {
            "parameters": one,
            "post": _operation("Gửi duyệt.", plan, errors="400 403 404 409 422",
                               body="PlanStep", body_optional=True),
        },
        "/plans/{plan_id}/approve": {
            "parameters": one,
            "post": _operation("Phê duyệt (ban hành); yêu cầu cấp dưới xây dựng kế hoạch thực "
                               "hiện. Không ai tự duyệt kế hoạch mình gửi (422).", plan,
                               errors="400 403 404 409 422", body="PlanStep",
                               body_optional=True),
        },
        "/plans/{plan_id}/return": {
            "parameters": one,
            "post": _operation("Trả lại kèm ý kiến.", plan, errors="400 403 404 409 422",
                               body="PlanReturn"),
        },
        "/plans/{plan_id}/counted": {
            "parameters": one,
            "post": _operation("Đánh dấu (hoặc bỏ đánh dấu) kế hoạch thuộc chương trình công tác "
                               "năm của đơn vị: chỉ kế hoạch đã ban hành và được đánh dấu mới "
                               "được tính mức đạt chỉ tiêu. Cán bộ hoặc chủ tịch của đơn vị.",
                               plan, errors="400 403 404 409 422", body="PlanCounted"),
        },
        "/plans/{plan_id}/targets/{target_id}/checks/{unit_id}": {
            "parameters": [*one, _ref("parameters", "target_id"),
                           _ref("parameters", "check_unit_id")],
            "put": _operation("Đơn vị báo đã thực hiện hay chưa một chỉ tiêu định tính của kế "
                              "hoạch đã ban hành (cần quyền nhập báo cáo của đơn vị).",
                              ("200", _schema("TargetCheck")), errors="400 403 404 422",
                              body="NewTargetCheck"),
        },
        "/plans/{plan_id}/checks": {
            "parameters": one,
            "get": _operation("Kết quả thực hiện các chỉ tiêu định tính của từng đơn vị.",
                              ("200", _schema("TargetCheckList")), errors="403 404"),
        },
        "/plans/{plan_id}/history": {
            "parameters": one,
            "get": _operation("Các bước đã qua: ai, khi nào, ý kiến.",
                              ("200", _schema("HistoryList")), errors="403 404"),
        },
        "/plans/{plan_id}/cascade": {
            "parameters": one,
            "get": _operation("Tình hình xây dựng kế hoạch thực hiện của từng đơn vị cấp dưới.",
                              ("200", _schema("CascadeList")), errors="403 404"),
        },
        "/plans/requests": {
            "get": _operation("Yêu cầu xây dựng kế hoạch gửi tới các đơn vị người gọi lập kế "
                              "hoạch.", ("200", _schema("PlanRequestList")), errors="422",
                              params=("limit", "offset")),
        },
        "/plans/requests/{plan_id}/{unit_id}/start": {
            "parameters": [_ref("parameters", "plan_id"), _ref("parameters", "request_unit_id")],
            "post": start,
        },
    }


def _report_paths() -> dict:
    report = ("200", _schema("Report"))
    one = [_ref("parameters", "report_id")]
    steps = {
        "submit": ("Gửi báo cáo (cần quyền nhập báo cáo của đơn vị).", "ReportStep"),
        "approve": ("Duyệt và khóa báo cáo (cần quyền duyệt của đơn vị cấp trên). Không ai tự "
                    "duyệt báo cáo mình gửi (422).", "ReportStep"),
        "return": ("Trả lại kèm ý kiến.", "ReportComment"),
        "reopen": ("Mở lại báo cáo đã duyệt, kèm lý do.", "ReportComment"),
    }
    create = _operation("Mở báo cáo của đơn vị cho một kỳ: tạo dự thảo (201), hoặc trả lại báo "
                        "cáo đã có (200).", ("201", _schema("Report")),
                        errors="400 403 404 422", body="NewReport")
    create["responses"]["200"] = _json(_schema("Report"), "Báo cáo đã có từ trước.")
    paths = {
        "/templates": {"get": _operation("Các biểu mẫu báo cáo của tỉnh.",
                                         ("200", _schema("TemplateList")))},
        "/templates/{code}": {
            "parameters": [_ref("parameters", "template_code")],
            "get": _operation("Một biểu mẫu.", ("200", _schema("Template")), errors="404"),
        },
        "/calendar": {"get": _operation(
            "Lịch báo cáo của một đơn vị trong năm: kỳ, hạn, tình trạng.",
            ("200", _schema("CalendarList")), errors="403 404 422",
            params=("calendar_unit", "year"))},
        "/reports": {
            "get": _operation("Các báo cáo người gọi được xem, kỳ mới nhất trước.",
                              ("200", _schema("ReportList")), errors="422",
                              params=("report_unit", "template_filter", "period",
                                      "report_status", "limit", "offset")),
            "post": create,
        },
        "/reports/{report_id}": {
            "parameters": one,
            "get": _operation("Một báo cáo.", report, errors="403 404"),
        },
        "/reports/{report_id}/values": {
            "parameters": one,
            "put": _operation("Nhập số liệu và phần tường thuật khi báo cáo là dự thảo hoặc bị "
                              "trả lại.", ("200", _schema("SavedReport")),
                              errors="400 403 404 409 422", body="ReportValuesUpdate"),
        },
        "/reports/{report_id}/history": {
            "parameters": one,
            "get": _operation("Các bước đã qua: ai, khi nào, ý kiến.",
                              ("200", _schema("HistoryList")), errors="403 404"),
        },
    }
    paths["/reports/approve"] = {"post": _operation(
        "Duyệt nhiều báo cáo: mỗi báo cáo được duyệt như khi duyệt riêng (quyền, phiên bản đã "
        "xem, không tự duyệt) và trong giao dịch riêng; báo cáo không duyệt được không ảnh "
        "hưởng các báo cáo khác. Trả 200 với kết quả từng báo cáo.",
        ("200", _schema("ReportBatchResult")), errors="400 422", body="ReportBatch")}
    for step, (summary, body) in steps.items():
        paths[f"/reports/{{report_id}}/{step}"] = {
            "parameters": one,
            "post": _operation(summary, report, errors="400 403 404 409 422", body=body,
                               body_optional=body == "ReportStep"),
        }
    return paths


@cache
def _legacy() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "LHPN API",
            "version": "1",
            "description": "Lập kế hoạch và báo cáo của Hội LHPN Việt Nam. Mọi lỗi trả về "
                           '{"error": {"code", "message", "field"?}}; thông báo bằng tiếng '
                           "Việt, hoặc tiếng Anh nếu gửi Accept-Language: en.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "paths": _paths(),
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            "schemas": _schemas(),
            "parameters": _parameters(),
            "responses": {name: _json(_schema("Error"), text)
                          | ({"headers": RETRY_AFTER} if code == "429" else {})
                          for code, (name, text) in ERRORS.items()},
        },
    }
