"""Display names of the glossary words (DESIGN.md §1)."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lhpn.text import search_key

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

# The roles of policies/policy.csv as the union says them (lhpn/authz/engine.py policy_roles:
# a test checks every role there has its label here).
ROLE_LABELS = {
    "system_admin": _l("Quản trị hệ thống"),
    "tenant_admin": _l("Quản trị hệ thống tỉnh"),
    "approver": _l("Thường trực / Chủ tịch (duyệt)"),
    "staff": _l("Cán bộ chuyên trách (nhập liệu)"),
    "viewer": _l("Thành viên Ban Thường vụ (xem)"),
    "protection_officer": _l("Cán bộ phụ trách bảo vệ quyền (vụ việc)"),
}

# What each audit action code (lhpn/audit/services.py record) means; the workflow's own
# actions are "<kind>.<transition>".
AUDIT_LABELS = {
    "auth.login": _l("Đăng nhập"),
    "auth.throttle": _l("Tạm chặn đăng nhập sai nhiều lần"),
    "auth.token": _l("Cấp khóa truy cập API"),
    "rate_limit.trip": _l("Vượt giới hạn số yêu cầu"),
    "tenant.create": _l("Tạo tỉnh"),
    "tenant.on_behalf": _l("Đổi quy định nhập thay"),
    "unit.create": _l("Tạo đơn vị"),
    "unit.rename": _l("Đổi tên đơn vị"),
    "unit.official_name": _l("Đổi tên chính thức của đơn vị"),
    "unit.opened_on": _l("Đổi ngày bắt đầu hoạt động"),
    "unit.move": _l("Chuyển đơn vị"),
    "unit.close": _l("Giải thể đơn vị"),
    "unit.reopen": _l("Khôi phục đơn vị"),
    "unit.import": _l("Nhập danh sách đơn vị"),
    "unit.import_check": _l("Kiểm tra tệp nhập đơn vị"),
    "user.create": _l("Tạo tài khoản"),
    "user.rename": _l("Đổi họ tên tài khoản"),
    "user.email": _l("Đổi địa chỉ thư điện tử"),
    "user.lock": _l("Khóa tài khoản"),
    "user.unlock": _l("Mở khóa tài khoản"),
    "user.change_password": _l("Đổi mật khẩu"),
    "user.reset_password": _l("Đặt lại mật khẩu"),
    "role.assign": _l("Phân vai trò"),
    "role.revoke": _l("Thu hồi vai trò"),
    "indicator.create": _l("Thêm chỉ tiêu"),
    "indicator.update": _l("Sửa chỉ tiêu"),
    "report_template.create": _l("Thêm biểu mẫu"),
    "report_template.update": _l("Sửa biểu mẫu"),
    "report.create": _l("Lập báo cáo"),
    "report.submit": _l("Gửi duyệt báo cáo"),
    "report.approve": _l("Duyệt báo cáo"),
    "report.return": _l("Trả lại báo cáo"),
    "report.reopen": _l("Mở lại báo cáo"),
    "report.remind": _l("Nhắc nộp báo cáo"),
    "report.attachment.add": _l("Đính kèm tệp vào báo cáo"),
    "report.attachment.delete": _l("Xóa tệp đính kèm"),
    "report.attachment.download": _l("Tải tệp đính kèm"),
    "plan.create": _l("Lập kế hoạch"),
    "plan.submit": _l("Gửi duyệt kế hoạch"),
    "plan.approve": _l("Duyệt kế hoạch"),
    "plan.return": _l("Trả lại kế hoạch"),
    "plan.remind": _l("Nhắc nộp kế hoạch thực hiện"),
    "plan.export": _l("Tải kế hoạch"),
    "plan.counted": _l("Tính kế hoạch vào chương trình công tác năm"),
    "plan.uncounted": _l("Bỏ kế hoạch khỏi chương trình công tác năm"),
    "plan.target_check": _l("Đánh giá chỉ tiêu kế hoạch"),
    "consolidation.export": _l("Tải số liệu tổng hợp"),
    "incident.create": _l("Ghi nhận vụ việc"),
    "incident.update": _l("Sửa vụ việc"),
    "incident.victim": _l("Thêm nạn nhân vào vụ việc"),
    "incident.intervention": _l("Ghi hoạt động hỗ trợ, can thiệp"),
    "incident.follow": _l("Chuyển vụ việc sang theo dõi xử lý"),
    "incident.close": _l("Kết thúc vụ việc"),
    "incident.reopen": _l("Mở lại vụ việc"),
    "incident.consent": _l("Ghi nhận sự đồng ý của nạn nhân"),
    "incident.consent_withdrawn": _l("Ghi nhận việc rút lại sự đồng ý"),
    "incident.referral": _l("Lập văn bản chuyển gửi thông tin vụ việc"),
    "incident.stats_export": _l("Tải thống kê vụ việc"),
    "privacy.reads_export": _l("Tải nhật ký truy cập dữ liệu cá nhân"),
    "follow_up.start": _l("Chuyển cơ quan chức năng giải quyết"),
    "follow_up.update": _l("Sửa thông tin theo dõi cơ quan chức năng"),
    "follow_up.answer": _l("Ghi nhận trả lời của cơ quan chức năng"),
    "follow_up.close": _l("Kết thúc theo dõi cơ quan chức năng"),
    "follow_up.chase": _l("Gửi công văn đôn đốc"),
    "follow_up.settle": _l("Ghi kết quả thực hiện kiến nghị, cam kết"),
    "follow_up.reopen": _l("Tiếp tục chờ cơ quan trả lời"),
    "petition.create": _l("Vào sổ đơn thư"),
    "petition.update": _l("Sửa thông tin đơn thư"),
    "petition.mass": _l("Đánh dấu đơn khiếu kiện đông người"),
    "petition.mass_reported": _l("Báo cáo cấp trên đơn khiếu kiện đông người"),
    "petition.tell": _l("Ghi ngày thông báo cho người gửi đơn"),
    "petition.deadlines": _l("Sửa thời hạn giải quyết đơn thư"),
    "file.add": _l("Đính kèm tệp vào hồ sơ"),
    "file.delete": _l("Xóa tệp đính kèm của hồ sơ"),
    "file.download": _l("Tải tệp đính kèm của hồ sơ"),
    "tenant.retention": _l("Đổi thời hạn lưu giữ thông tin vụ việc"),
    "incident.purge": _l("Xóa thông tin định danh của vụ việc"),
    "data_request.create": _l("Ghi nhận yêu cầu của chủ thể dữ liệu"),
    "data_request.done": _l("Thực hiện yêu cầu của chủ thể dữ liệu"),
    "data_request.refuse": _l("Từ chối yêu cầu của chủ thể dữ liệu"),
    "breach.create": _l("Ghi nhận sự cố dữ liệu cá nhân"),
    "breach.status": _l("Cập nhật trạng thái sự cố dữ liệu cá nhân"),
    "breach.notification": _l("Lập văn bản thông báo sự cố dữ liệu cá nhân"),
}


def level_label(level: str) -> str:
    return str(LEVEL_LABELS.get(level, level))


def role_label(role: str) -> str:
    return str(ROLE_LABELS.get(role, role))


def audit_label(action: str) -> str:
    """The action of an audit entry in words; a code without a label (an older entry, a new
    action) still reads as a phrase, never as an error."""
    label = AUDIT_LABELS.get(action)
    if label is not None:
        return str(label)
    return _("Thao tác khác (%(code)s)", code=action)


# What a notice calls a report or a plan. Form names and plan titles often begin with the word
# already ("Báo cáo nhanh…", "Kế hoạch tổ chức…"): the word is not said twice. Names are
# Vietnamese whatever the interface language, so the check is on the Vietnamese word.
REPORT_PHRASE = _l("báo cáo “%(name)s”")
PLAN_PHRASE = _l("kế hoạch “%(name)s”")


def named(word: str, phrase, name: str) -> str:
    """``name`` in quotes, introduced by ``phrase`` unless the name starts with ``word``:
    "báo cáo “Tuyên truyền”", but "“Báo cáo nhanh vụ việc…”", never "báo cáo “Báo cáo…”"."""
    key, head = search_key(name), search_key(word)
    if key == head or key.startswith(head + " "):
        return f"“{name}”"
    return str(phrase) % {"name": name}


def report_named(form_name: str) -> str:
    return named("báo cáo", REPORT_PHRASE, form_name)


def plan_named(title: str) -> str:
    return named("kế hoạch", PLAN_PHRASE, title)


def capital(text: str) -> str:
    """The first letter upper case, for a phrase that opens a sentence (quotes skipped)."""
    head = len(text) - len(text.lstrip("“\"'"))
    return text[:head] + text[head:head + 1].upper() + text[head + 1:]


def lower_first(text: str) -> str:
    """"Tháng 12/2026" inside a sentence: "kỳ tháng 12/2026"."""
    return text[:1].lower() + text[1:]
