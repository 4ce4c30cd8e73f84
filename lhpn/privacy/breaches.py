"""Suspected breaches of personal data and their notification within 72 hours.

Law 91/2025/QH15 and Decree 356/2025/NĐ-CP ask whoever controls personal data to notify the
Ministry of Public Security's cybersecurity department (Cục An ninh mạng và phòng, chống tội
phạm sử dụng công nghệ cao, A05) of a breach within 72 hours of finding it. The tenant's admin
(``authz.manages_tenant``) records one (``record_breach``), sees the deadline (``deadline``,
``hours_left``), drafts the notification as a .docx in the format of Nghị định 30/2020
(``notification_docx``), with a summary of the log of sensitive reads over a chosen period
(``read_summary``: counts by reader and channel, never a record or a victim), and moves its
status (open → notified → closed, ``set_status``). Audit entries say the breach's number and
status, never its description.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from io import BytesIO

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select

from lhpn import authz, clock
from lhpn import documents as D
from lhpn.accounts.models import User
from lhpn.audit.services import record
from lhpn.clock import VIETNAM_OFFSET, local_date, local_day_start
from lhpn.errors import DomainError, NotFound, as_id
from lhpn.extensions import db
from lhpn.numbers import parse_number
from lhpn.plans.wording import MOTTO, NBSP, ON_BEHALF, RECEIVED_BY, agency_of
from lhpn.privacy import review
from lhpn.privacy.models import BREACH_STATUSES, Breach, SensitiveRead
from lhpn.text import clean_line, clean_text
from lhpn.units.models import Unit
from lhpn.units.services import root_of

NOTIFY_WITHIN = timedelta(hours=72)
STATUS_LABELS = {"open": _l("Đang xử lý"), "notified": _l("Đã thông báo"),
                 "closed": _l("Đã kết thúc")}
MAX_LINE, MAX_TEXT, MAX_SUBJECTS = 500, 10000, 100_000_000
# Whom the notification goes to (Decree 356/2025/NĐ-CP: the personal data protection
# authority, the Ministry of Public Security's department A05).
AUTHORITY = ("Cục An ninh mạng và phòng, chống tội phạm sử dụng công nghệ cao (A05), "
             "Bộ Công an")
# The channels as the document names them (fixed Vietnamese, like the rest of the letter).
DOC_CHANNELS = {"page": "Trang web", "api": "API", "docx": "Tệp Word", "xlsx": "Tệp Excel",
                "print": "Bản in"}
NUMBER = f"Số:{NBSP * 6}/TB-HLHPN"
SUMMARY = "V/v thông báo vi phạm quy định về bảo vệ dữ liệu cá nhân"


def all_breaches() -> Select:
    return select(Breach).order_by(Breach.detected_at.desc(), Breach.id.desc())


def get_breach(actor, breach_id: object) -> Breach:
    """The breach, for whoever manages the actor's tenant (403 otherwise); another tenant's or
    none: 404."""
    authz.require_manage_tenant(actor)
    key = as_id(breach_id)
    breach = db.session.get(Breach, key) if key is not None else None
    if breach is None or breach.tenant_id != actor.tenant_id:
        raise NotFound(_("Không tìm thấy sự cố."))
    return breach


def deadline(breach: Breach) -> datetime:
    return breach.detected_at + NOTIFY_WITHIN


def hours_left(breach: Breach, now: datetime | None = None) -> int:
    """Whole hours until the deadline (negative: overdue by that many)."""
    seconds = (deadline(breach) - (clock.utcnow() if now is None else now)).total_seconds()
    return int(seconds // 3600) if seconds >= 0 else -int(-seconds // 3600)


def local_moment(moment: datetime) -> datetime:
    """A naive-UTC moment as Vietnam's clock shows it."""
    return moment + VIETNAM_OFFSET


def parse_moment(value: object, label: str, name: str) -> datetime:
    """A moment typed in Vietnam's time (``yyyy-mm-ddThh:mm`` from a date-time field, or
    ``dd/mm/yyyy hh:mm``), as naive UTC; not in the future."""
    if not isinstance(value, str) or not value.strip():
        raise DomainError(_("Hãy nhập %(f)s.", f=label.lower()), name)
    moment = None
    for pattern in ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"):
        try:
            moment = datetime.strptime(value.strip(), pattern)
            break
        except ValueError:
            continue
    if moment is None:
        raise DomainError(_("%(f)s viết theo dạng ngày/tháng/năm giờ:phút, ví dụ 05/03/2026 "
                            "14:30.", f=label), name)
    moment -= VIETNAM_OFFSET
    if moment > clock.utcnow() + timedelta(minutes=5):
        raise DomainError(_("%(f)s không được sau lúc này.", f=label), name)
    if moment.year < 2020:
        raise DomainError(_("%(f)s quá xa trong quá khứ.", f=label), name)
    return moment


@dataclass
class BreachInput:
    detected_at: datetime
    description: str
    data_kinds: str
    subjects_estimate: int | None
    measures: str


def breach_input(data: dict) -> BreachInput:
    detected_at = parse_moment(data.get("detected_at"), _("Thời điểm phát hiện"), "detected_at")
    description = clean_text(data.get("description") or "", _("Mô tả sự cố"), "description")
    if not description:
        raise DomainError(_("Hãy nhập %(f)s.", f=_("mô tả sự cố")), "description")
    if len(description) > MAX_TEXT:
        raise DomainError(_("%(f)s dài quá %(n)d ký tự.", f=_("Mô tả sự cố"), n=MAX_TEXT),
                          "description")
    data_kinds = clean_line(data.get("data_kinds") or "", _("Loại dữ liệu liên quan"),
                            "data_kinds")
    if not data_kinds:
        raise DomainError(_("Hãy nhập %(f)s.", f=_("loại dữ liệu liên quan")), "data_kinds")
    if len(data_kinds) > MAX_LINE:
        raise DomainError(_("%(f)s dài quá %(n)d ký tự.", f=_("Loại dữ liệu liên quan"),
                            n=MAX_LINE), "data_kinds")
    typed = data.get("subjects_estimate")
    subjects = None
    if isinstance(typed, str) and typed.strip():
        subjects = int(parse_number(typed, label=str(_("Số người có thể bị ảnh hưởng")),
                                    field="subjects_estimate", whole=True,
                                    maximum=MAX_SUBJECTS))
    measures = clean_text(data.get("measures") or "", _("Biện pháp đã thực hiện"), "measures")
    if len(measures) > MAX_TEXT:
        raise DomainError(_("%(f)s dài quá %(n)d ký tự.", f=_("Biện pháp đã thực hiện"),
                            n=MAX_TEXT), "measures")
    return BreachInput(detected_at, description, data_kinds, subjects, measures)


def record_breach(actor, data: dict) -> Breach:
    authz.require_manage_tenant(actor)
    values = breach_input(data)
    breach = Breach(tenant_id=actor.tenant_id, detected_at=values.detected_at,
                    description=values.description, data_kinds=values.data_kinds,
                    subjects_estimate=values.subjects_estimate,
                    measures=values.measures or None, status="open", created_by_id=actor.id,
                    created_at=clock.utcnow())
    db.session.add(breach)
    db.session.flush()
    record("breach.create", "breach", breach.id, actor=actor, tenant_id=actor.tenant_id,
           summary=f"Sự cố số {breach.id}", detected_at=breach.detected_at.isoformat())
    return breach


def set_status(actor, breach: Breach, status: object) -> Breach:
    """open → notified (the moment is kept) → closed; a breach may be closed without a
    notification (found not to be one)."""
    authz.require_manage_tenant(actor)
    if not isinstance(status, str) or status not in BREACH_STATUSES or status == breach.status \
            or breach.status == "closed" or status == "open":
        raise DomainError(_("Không chuyển được sự cố sang trạng thái này."), "status")
    if status == "notified":
        breach.notified_at = clock.utcnow()
    before, breach.status = breach.status, status
    db.session.flush()
    record("breach.status", "breach", breach.id, actor=actor, tenant_id=breach.tenant_id,
           summary=f"Sự cố số {breach.id}: {before} → {status}", before=before, status=status)
    return breach


# --- The log of sensitive reads over a period ---------------------------------------------------

@dataclass(frozen=True)
class ReadCount:
    full_name: str
    username: str
    channel: str
    reads: int


@dataclass(frozen=True)
class Period:
    first: date
    last: date


def period_from(tenant_id: int, since: object, until: object, breach: Breach) -> Period:
    """The days of the summary: as typed (checked like the review's filter), by default the 30
    days up to the day the breach was found."""
    found = local_date(breach.detected_at)
    chosen = review.read_filter(tenant_id, since=since or None, until=until or None)
    first = chosen.since or (found - timedelta(days=30))
    last = chosen.until or found
    if first > last:
        raise DomainError(_("Ngày bắt đầu sau ngày kết thúc."), "from")
    return Period(first, last)


def read_summary(tenant_id: int, period: Period) -> list[ReadCount]:
    """How many reads each reader made on each channel over the period: counts only."""
    rows = db.session.execute(
        select(User.full_name, User.username, SensitiveRead.channel, func.count())
        .join(User, User.id == SensitiveRead.user_id)
        .where(SensitiveRead.tenant_id == tenant_id,
               SensitiveRead.at >= local_day_start(period.first),
               SensitiveRead.at < local_day_start(period.last + timedelta(days=1)))
        .group_by(User.full_name, User.username, SensitiveRead.channel)
        .order_by(func.count().desc(), User.username, SensitiveRead.channel)).all()
    return [ReadCount(name or "", username, channel, count)
            for name, username, channel, count in rows]


# --- The notification -------------------------------------------------------------------------

@dataclass(frozen=True)
class Notification:
    period: Period
    document: bytes


def notification(actor, breach: Breach, since: object, until: object) -> Notification:
    """The notification of ``breach`` with the reads of the period chosen (``period_from``), for
    whoever manages the tenant; audited with its period. Flushed; the caller commits."""
    authz.require_manage_tenant(actor)
    tenant_id = actor.tenant_id
    period = period_from(tenant_id, since, until, breach)
    reads = read_summary(tenant_id, period)
    document = notification_docx(breach, root_of(tenant_id), period, reads)
    record("breach.notification", "breach", breach.id, actor=actor, tenant_id=tenant_id,
           summary=f"Sự cố số {breach.id}: thông báo {period.first:%d/%m/%Y}–"
                   f"{period.last:%d/%m/%Y}",
           first=period.first.isoformat(), last=period.last.isoformat())
    return Notification(period, document)


def notification_docx(breach: Breach, root: Unit, period: Period, reads: list[ReadCount],
                      now: datetime | None = None) -> bytes:
    """The notification to A05 as a Word file. Vietnamese whatever the interface language: it
    is the text the union signs."""
    now = clock.utcnow() if now is None else now
    today = local_date(now)
    union = f"Ban Thường vụ {root.document_name}"
    found = local_moment(breach.detected_at)
    doc = Document()
    D.page_setup(doc, title=SUMMARY, subject=SUMMARY, author=root.document_name, created=now)
    D.header(doc, agency_of(root), MOTTO, NUMBER,
             f"…, ngày {today.day:02d} tháng {today.month:02d} năm {today.year}", SUMMARY)
    addressed = D.paragraph(doc, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False, before=18,
                            after=12)
    D.run(addressed, f"Kính gửi: {AUTHORITY}.")
    D.run(D.paragraph(doc), f"Thực hiện Luật Bảo vệ dữ liệu cá nhân số 91/2025/QH15 và Nghị "
          f"định số 356/2025/NĐ-CP của Chính phủ, {union} thông báo về sự cố có thể vi phạm "
          "quy định về bảo vệ dữ liệu cá nhân như sau:")
    estimate = (D.vn_number(breach.subjects_estimate) if breach.subjects_estimate is not None
                else "chưa xác định")
    items = [
        f"1. Thời điểm phát hiện: {found:%H} giờ {found:%M} ngày {found:%d/%m/%Y} (giờ Việt "
        "Nam).",
        f"2. Mô tả sự cố: {breach.description or ''}",
        f"3. Loại dữ liệu cá nhân liên quan: {breach.data_kinds}.",
        f"4. Số chủ thể dữ liệu có thể bị ảnh hưởng (ước tính): {estimate}.",
        f"5. Biện pháp đã thực hiện: {breach.measures or 'đang xác định'}",
        f"6. Nhật ký truy cập dữ liệu cá nhân nhạy cảm trên hệ thống từ ngày "
        f"{period.first:%d/%m/%Y} đến ngày {period.last:%d/%m/%Y}: "
        f"{sum(r.reads for r in reads)} lượt truy cập, theo người truy cập và hình thức:",
    ]
    for text in items:
        D.run(D.paragraph(doc), text)
    D.grid(doc, ("Người truy cập", "Tên đăng nhập", "Hình thức", "Số lượt"),
           (5.0, 4.0, 4.0, D.TEXT_WIDTH_CM - 13.0),
           [(r.full_name, r.username, DOC_CHANNELS.get(r.channel, r.channel), D.vn_number(r.reads))
            for r in reads] or [("Không có lượt truy cập nào", "", "", "0")],
           right=frozenset({3}))
    tail = ["7. Đầu mối liên hệ: …"]
    if now > deadline(breach):
        tail.append("8. Lý do thông báo sau 72 giờ kể từ khi phát hiện: …")
    tail.append("Trân trọng./.")
    for text in tail:
        D.run(D.paragraph(doc), text)
    D.closing(doc, RECEIVED_BY, ["- Như trên;", "- Lưu: VT."], (ON_BEHALF, "CHỦ TỊCH", ""))
    out = BytesIO()
    doc.save(out)
    return out.getvalue()
