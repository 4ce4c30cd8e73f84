"""Display names of the glossary words (DESIGN.md §1)."""

from flask_babel import lazy_gettext as _l

LEVEL_LABELS = {
    "province": _l("Tỉnh"),
    "district": _l("Huyện"),
    "commune": _l("Xã"),
    "branch": _l("Chi hội"),
    "group": _l("Tổ phụ nữ"),
}

# How an indicator's values add up across units (lhpn/indicators/models.py AGGREGATIONS).
AGGREGATION_LABELS = {
    "sum": _l("Cộng dồn"),
    "share": _l("Tỷ lệ đơn vị đạt"),
    "min": _l("Nhỏ nhất"),
    "max": _l("Lớn nhất"),
    "none": _l("Không tổng hợp"),
}

ROLE_LABELS = {
    "system_admin": _l("Quản trị hệ thống"),
    "tenant_admin": _l("Quản trị tỉnh"),
    "approver": _l("Lãnh đạo phê duyệt"),
    "staff": _l("Cán bộ"),
    "viewer": _l("Người xem"),
}


def level_label(level: str) -> str:
    return str(LEVEL_LABELS.get(level, level))


def role_label(role: str) -> str:
    return str(ROLE_LABELS.get(role, role))
