"""Display names of the glossary words (DESIGN.md §1)."""

from flask_babel import lazy_gettext as _l

LEVEL_LABELS = {
    "province": _l("Tỉnh"),
    "district": _l("Huyện"),
    "commune": _l("Xã"),
    "branch": _l("Chi hội"),
    "group": _l("Tổ phụ nữ"),
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
