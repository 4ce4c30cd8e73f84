"""Reviewing the log of sensitive reads: the filters of the page, its export and the API, and
the query they share.

The log is reviewed as a whole by whoever ``authz.may_review_reads`` lets in; the filters only
narrow it: one user, one record (its type, and its id), days of Vietnam's calendar, one
purpose. Each filter is checked here once, with a message for the reviewer, so the page, the
export and the API refuse the same input with the same words. Nothing here reads a record the
log names: the review shows who read what, never what was read.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload

from lhpn.accounts.models import User
from lhpn.clock import local_day_start
from lhpn.errors import DomainError, as_id
from lhpn.privacy.access_log import CODE, PURPOSES
from lhpn.privacy.models import SensitiveRead

# What the reviewer calls a record and a channel; a code without a label shows as itself.
OBJECT_LABELS = {"incident": _l("Vụ việc"), "petition": _l("Đơn thư")}
CHANNEL_LABELS = {
    "page": _l("Trang web"),
    "api": _l("API"),
    "docx": _l("Tệp Word"),
    "xlsx": _l("Tệp Excel"),
    "print": _l("Bản in"),
}
# What the reviewer calls each field a read opened (the log and the API keep the codes).
FIELD_LABELS = {
    "place": _l("nơi xảy ra"),
    "source": _l("nguồn thông tin"),
    "facts": _l("diễn biến"),
    "victim_state": _l("tình trạng nạn nhân"),
    "responsible": _l("người gây ra"),
    "outcome": _l("kết quả giải quyết"),
    "victim_name": _l("họ tên nạn nhân"),
    "victim_address": _l("địa chỉ nạn nhân"),
    "victim_phone": _l("điện thoại nạn nhân"),
    "interventions": _l("hỗ trợ, can thiệp"),
    "follow_up_answers": _l("trả lời của cơ quan"),
    "data_request_victim": _l("người yêu cầu"),
    "data_request_note": _l("nội dung yêu cầu"),
    "data_request_refusal_reason": _l("lý do từ chối yêu cầu"),
    # petitions (lhpn/petitions/services.py CLEAR_FIELDS)
    "petitioner_name": _l("họ tên người gửi đơn"),
    "petitioner_address": _l("địa chỉ người gửi đơn"),
    "petitioner_phone": _l("điện thoại người gửi đơn"),
    "petition_subject": _l("trích yếu đơn"),
    "petition_summary": _l("nội dung đơn"),
    "petition_outcome": _l("kết quả xử lý đơn"),
}
# The log began with this app; a day far outside it is a typing slip, and the bounds keep the
# conversion to UTC moments within what a datetime can hold.
EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(9998, 12, 31)


def object_label(code: str) -> str:
    label = OBJECT_LABELS.get(code)
    return str(label) if label is not None else code


def fields_label(codes: list[str]) -> str:
    """The fields a read opened, as the reviewer calls them, in the order logged."""
    return ", ".join(str(FIELD_LABELS.get(code, code)) for code in codes)


def channel_label(code: str) -> str:
    label = CHANNEL_LABELS.get(code)
    return str(label) if label is not None else code


def purpose_label(code: str) -> str:
    label = PURPOSES.get(code)
    return str(label) if label is not None else code


@dataclass(frozen=True)
class ReadFilter:
    """Which entries of a tenant's log to show; None is "any"."""

    tenant_id: int
    user: User | None = None
    object_type: str | None = None
    object_id: int | None = None
    since: date | None = None  # Vietnam's calendar, inclusive
    until: date | None = None  # Vietnam's calendar, inclusive
    purpose: str | None = None

    def query_args(self) -> dict[str, str]:
        """The filter as the page's query string (for the pager and the export link)."""
        args = {"user_id": str(self.user.id) if self.user else "",
                "object_type": self.object_type or "",
                "object_id": str(self.object_id) if self.object_id else "",
                "from": self.since.isoformat() if self.since else "",
                "to": self.until.isoformat() if self.until else "",
                "purpose": self.purpose or ""}
        return {name: value for name, value in args.items() if value}

    def describe(self) -> str:
        """The filter in a few words, for the audit entry of an export (no personal data: ids
        and codes only)."""
        parts = [f"{name}={value}" for name, value in self.query_args().items()]
        return ", ".join(parts) or _("toàn bộ")


def read_filter(tenant_id: int, *, user_id: object = None, object_type: object = None,
                object_id: object = None, since: object = None, until: object = None,
                purpose: object = None) -> ReadFilter:
    """The filter from the reviewer's values (text from a page's query string, or values the
    API has already typed); a value that cannot be one is refused with a message naming it."""
    user = None
    if not _empty(user_id):
        key = as_id(user_id)
        found = _tenant_user(tenant_id, key) if key is not None else None
        if found is None:
            raise DomainError(_("Không có người dùng này trong tỉnh."), "user_id")
        user = found
    kind = None
    if not _empty(object_type):
        if not isinstance(object_type, str) or not CODE.fullmatch(object_type):
            raise DomainError(_("Loại hồ sơ không hợp lệ (ví dụ: incident)."), "object_type")
        kind = object_type
    record_id = None
    if not _empty(object_id):
        record_id = as_id(object_id)
        if record_id is None:
            raise DomainError(_("Số hồ sơ phải là số nguyên dương."), "object_id")
        if kind is None:
            raise DomainError(_("Lọc theo số hồ sơ thì hãy chọn cả loại hồ sơ."), "object_type")
    first = _day(since, "from")
    last = _day(until, "to")
    if first and last and first > last:
        raise DomainError(_("Ngày bắt đầu (%(a)s) sau ngày kết thúc (%(b)s).",
                            a=_shown_day(first), b=_shown_day(last)), "from")
    code = None
    if not _empty(purpose):
        if not isinstance(purpose, str) or purpose not in PURPOSES:
            raise DomainError(_("Hãy chọn mục đích truy cập trong danh sách."), "purpose")
        code = purpose
    return ReadFilter(tenant_id, user, kind, record_id, first, last, code)


def filter_from_args(tenant_id: int, args: Mapping[str, str]) -> ReadFilter:
    """``read_filter`` from a page's query string (the same names as the API's)."""
    return read_filter(tenant_id, user_id=args.get("user_id"),
                       object_type=_stripped(args.get("object_type")),
                       object_id=_stripped(args.get("object_id")),
                       since=_stripped(args.get("from")), until=_stripped(args.get("to")),
                       purpose=args.get("purpose"))


def reads(chosen: ReadFilter) -> Select:
    """The tenant's entries the filter keeps, newest first, each with its reader loaded. The
    tenant condition is written here too, not only left to the session's scoping: the review
    is of one tenant's log by construction."""
    stmt = (select(SensitiveRead)
            .where(SensitiveRead.tenant_id == chosen.tenant_id)
            .options(joinedload(SensitiveRead.user)))
    if chosen.user is not None:
        stmt = stmt.where(SensitiveRead.user_id == chosen.user.id)
    if chosen.object_type is not None:
        stmt = stmt.where(SensitiveRead.object_type == chosen.object_type)
    if chosen.object_id is not None:
        stmt = stmt.where(SensitiveRead.object_id == chosen.object_id)
    if chosen.since is not None:
        stmt = stmt.where(SensitiveRead.at >= local_day_start(chosen.since))
    if chosen.until is not None:
        stmt = stmt.where(SensitiveRead.at < local_day_start(chosen.until + timedelta(days=1)))
    if chosen.purpose is not None:
        stmt = stmt.where(SensitiveRead.purpose == chosen.purpose)
    return stmt.order_by(SensitiveRead.at.desc(), SensitiveRead.id.desc())


def count(stmt: Select) -> Select:
    """How many entries ``stmt`` (from ``reads``) holds, on every page."""
    return select(func.count()).select_from(stmt.order_by(None).subquery())


def readers(tenant_id: int) -> Select:
    """The users who appear in the tenant's log, by name: the choices of the user filter."""
    in_log = select(SensitiveRead.user_id).where(SensitiveRead.tenant_id == tenant_id)
    return (select(User).where(User.tenant_id == tenant_id, User.id.in_(in_log))
            .order_by(User.full_name, User.username))


def object_types(tenant_id: int) -> Select:
    """The kinds of record in the tenant's log: the choices of the record filter."""
    return (select(SensitiveRead.object_type).distinct()
            .where(SensitiveRead.tenant_id == tenant_id)
            .order_by(SensitiveRead.object_type))


def _tenant_user(tenant_id: int, user_id: int) -> User | None:
    from lhpn.extensions import db

    user = db.session.get(User, user_id)
    return user if user is not None and user.tenant_id == tenant_id else None


def _empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _stripped(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _day(value: object, name: str) -> date | None:
    """A day of Vietnam's calendar: a date, or its text as the page sends it (yyyy-mm-dd from a
    date field) or as people type it (dd/mm/yyyy)."""
    if _empty(value):
        return None
    day = value if isinstance(value, date) and not isinstance(value, datetime) else None
    if isinstance(value, str):
        for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
            try:
                day = datetime.strptime(value.strip(), pattern).date()
                break
            except ValueError:
                continue
    if day is None:
        raise DomainError(_("Ngày không hợp lệ: “%(value)s”. Hãy viết theo dạng ngày/tháng/năm, "
                            "ví dụ 01/01/2027.", value=str(value)[:40]), name)
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise DomainError(_("Ngày %(d)s nằm ngoài khoảng cho phép (từ %(a)s).",
                            d=_shown_day(day), a=_shown_day(EARLIEST_DAY)), name)
    return day


def _shown_day(day: date) -> str:
    return day.strftime("%d/%m/%Y")
