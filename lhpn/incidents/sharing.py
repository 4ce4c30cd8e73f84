"""Consent and referral: a victim's consent to processing and to sharing with each kind of
agency, and the referral letter (.docx) that shares their details with one.

Who must consent (Law 91/2025/QH15 on personal data protection, and the Law on Children 2016
for a child's views): an adult victim themselves; a child under 7 through their legal
representative; a child of 7 or older both themselves and their representative. A child whose
age is not known needs both, the stricter reading. A consent withdrawn from a day on stops
sharing from that day; what was shared before stays shared.

A referral letter is produced only with the consent that scope needs, on the day it is
produced, or on a legal ground chosen and explained (to protect life or health in an
emergency, at a competent authority's request, or a duty the law sets). Each letter is a clear
read (logged on channel "docx", purpose "referral"), a row in ``incident_referrals`` and an
audit entry; none of the three logs holds a name.
"""

from datetime import date
from io import BytesIO

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lhpn import documents as D
from lhpn.audit.services import record
from lhpn.clock import local_today, utcnow
from lhpn.errors import DomainError, as_id
from lhpn.extensions import db
from lhpn.incidents import services
from lhpn.incidents.models import (
    AGENCY_SCOPES,
    CONSENT_FORMS,
    CONSENT_SCOPES,
    GIVEN_BY,
    LEGAL_GROUNDS,
    Consent,
    Incident,
    Referral,
    Victim,
)
from lhpn.plans.wording import MOTTO, NBSP, ON_BEHALF, RECEIVED_BY, agency_of
from lhpn.privacy.access_log import record_read

SCOPE_LABELS = {
    "processing": _l("Xử lý thông tin vụ việc"),
    "police": _l("Chia sẻ với cơ quan công an"),
    "health": _l("Chia sẻ với cơ sở y tế"),
    "court": _l("Chia sẻ với tòa án, viện kiểm sát"),
    "social": _l("Chia sẻ với cơ quan lao động, thương binh và xã hội"),
}
GIVEN_BY_LABELS = {"victim": _l("Nạn nhân"), "representative": _l("Người đại diện hợp pháp")}
FORM_LABELS = {"written": _l("Bằng văn bản"), "oral": _l("Bằng lời nói")}
GROUND_LABELS = {
    "consent": _l("Có sự đồng ý của nạn nhân (và người đại diện)"),
    "life_health": _l("Khẩn cấp, để bảo vệ tính mạng, sức khỏe của nạn nhân"),
    "authority_request": _l("Theo yêu cầu của cơ quan nhà nước có thẩm quyền"),
    "legal_duty": _l("Thực hiện nghĩa vụ theo quy định của pháp luật"),
}
CONSENT_AGE = 7  # a child of 7 or older consents too


def victim_of(incident: Incident, victim_id: object) -> Victim:
    key = as_id(victim_id)
    victim = next((v for v in incident.victims if v.id == key), None)
    if victim is None:
        raise DomainError(_("Hãy chọn nạn nhân của vụ việc."), "victim_id")
    return victim


def who_must_consent(victim: Victim, today: date) -> set[str]:
    if not victim.is_child:
        return {"victim"}
    age = None if victim.birth_year is None else today.year - victim.birth_year
    if age is not None and age < CONSENT_AGE:
        return {"representative"}
    return {"victim", "representative"}


def consents_of(incident: Incident) -> list[Consent]:
    from sqlalchemy import select

    return list(db.session.scalars(select(Consent).where(Consent.incident_id == incident.id)
                                   .order_by(Consent.given_on, Consent.id)))


def in_force(consent: Consent, on: date) -> bool:
    return consent.given_on <= on and (consent.withdrawn_on is None or consent.withdrawn_on > on)


def has_consent(incident: Incident, victim: Victim, scope: str, on: date) -> bool:
    given = {c.given_by for c in consents_of(incident)
             if c.victim_id == victim.id and c.scope == scope and in_force(c, on)}
    return who_must_consent(victim, on) <= given


def record_consent(actor, incident: Incident, data: dict) -> Consent:
    services.require_read_clear(actor, incident)
    victim = victim_of(incident, data.get("victim_id"))
    scope, given_by, form = data.get("scope"), data.get("given_by"), data.get("form")
    if scope not in CONSENT_SCOPES:
        raise DomainError(_("Hãy chọn nội dung được đồng ý trong danh sách."), "scope")
    if given_by not in GIVEN_BY:
        raise DomainError(_("Hãy chọn người đồng ý: nạn nhân hoặc người đại diện hợp pháp."),
                          "given_by")
    if form not in CONSENT_FORMS:
        raise DomainError(_("Hãy chọn hình thức đồng ý: bằng văn bản hoặc bằng lời nói."),
                          "form")
    given_on = services.parse_day(data.get("given_on"), _("Ngày đồng ý"), "given_on")
    assert given_on is not None
    if given_on < incident.occurred_on:
        raise DomainError(_("Ngày đồng ý không được trước ngày xảy ra vụ việc."), "given_on")
    representative = services.line_input(data.get("representative"),
                                    _("Họ tên, quan hệ của người đại diện"), "representative",
                                    required=given_by == "representative")
    if given_by == "representative" and not victim.is_child:
        raise DomainError(_("Nạn nhân là người lớn: chính nạn nhân cho ý kiến đồng ý."),
                          "given_by")
    consent = Consent(tenant_id=incident.tenant_id, incident_id=incident.id, victim_id=victim.id,
                      scope=str(scope), given_by=str(given_by), form=str(form),
                      given_on=given_on, representative=representative or None,
                      recorded_by_id=actor.id, recorded_at=utcnow())
    db.session.add(consent)
    db.session.flush()
    record("incident.consent", services.OBJECT_TYPE, incident.id, actor=actor,
           tenant_id=incident.tenant_id, summary=str(_("Vụ việc số %(id)d: ghi nhận đồng ý",
                                                       id=incident.id)),
           scope=str(scope), given_by=str(given_by), form=str(form))
    return consent


def withdraw_consent(actor, incident: Incident, consent_id: object,
                     on: object = None) -> Consent:
    services.require_read_clear(actor, incident)
    key = as_id(consent_id)
    consent = next((c for c in consents_of(incident) if c.id == key), None)
    if consent is None:
        raise DomainError(_("Không tìm thấy ý kiến đồng ý này."), "consent_id")
    if consent.withdrawn_on is not None:
        raise DomainError(_("Ý kiến đồng ý này đã được rút lại."), "consent_id")
    day = services.parse_day(on, _("Ngày rút lại"), "withdrawn_on", required=False) \
        or local_today()
    if day < consent.given_on:
        raise DomainError(_("Ngày rút lại không được trước ngày đồng ý."), "withdrawn_on")
    consent.withdrawn_on, consent.withdrawn_by_id = day, actor.id
    db.session.flush()
    record("incident.consent_withdrawn", services.OBJECT_TYPE, incident.id, actor=actor,
           tenant_id=incident.tenant_id, summary=str(_("Vụ việc số %(id)d: rút lại đồng ý",
                                                       id=incident.id)),
           scope=consent.scope)
    return consent


def referral_letter(actor, incident: Incident, data: dict) -> tuple[Referral, bytes]:
    """Check the ground, log the read and the referral, and build the letter."""
    services.require_read_clear(actor, incident)
    victim = victim_of(incident, data.get("victim_id"))
    scope = data.get("scope")
    if scope not in AGENCY_SCOPES:
        raise DomainError(_("Hãy chọn cơ quan nhận: công an, y tế, tòa án hoặc lao động – "
                            "xã hội."), "scope")
    agency = services.line_input(data.get("agency"), _("Tên cơ quan nhận"), "agency", required=True)
    ground = data.get("ground")
    if ground not in LEGAL_GROUNDS:
        raise DomainError(_("Hãy chọn căn cứ chuyển gửi thông tin."), "ground")
    note = services.text_input(data.get("ground_note"), _("Giải thích căn cứ"), "ground_note")
    today = local_today()
    if ground == "consent" and not has_consent(incident, victim, str(scope), today):
        raise DomainError(_("Chưa có sự đồng ý còn hiệu lực để chia sẻ với cơ quan này (trẻ "
                            "em từ đủ 7 tuổi cần cả trẻ và người đại diện đồng ý). Hãy ghi "
                            "nhận sự đồng ý, hoặc chọn căn cứ pháp lý khác và giải thích."),
                          "ground")
    if ground != "consent" and not note:
        raise DomainError(_("Chuyển gửi không có sự đồng ý: hãy giải thích căn cứ pháp lý."),
                          "ground_note")
    referral = Referral(tenant_id=incident.tenant_id, incident_id=incident.id,
                        victim_id=victim.id, scope=str(scope), agency=agency, ground=str(ground),
                        ground_note=note or None, created_by_id=actor.id, created_at=utcnow())
    db.session.add(referral)
    db.session.flush()
    record_read(actor, object_type=services.OBJECT_TYPE, object_id=incident.id,
                tenant_id=incident.tenant_id, channel="docx", purpose="referral",
                purpose_note=agency[:200],
                fields=("victim_name", "victim_address", "victim_phone", "place", "facts",
                        "victim_state"))
    record("incident.referral", services.OBJECT_TYPE, incident.id, actor=actor,
           tenant_id=incident.tenant_id,
           summary=str(_("Vụ việc số %(id)d: văn bản chuyển gửi %(agency)s", id=incident.id,
                         agency=agency)), scope=str(scope), ground=str(ground))
    return referral, _letter(incident, victim, referral, today)


def _letter(incident: Incident, victim: Victim, referral: Referral, today: date) -> bytes:
    """The letter in the format of Nghị định 30/2020/NĐ-CP; Vietnamese whatever the interface
    language (it is the text the unit signs)."""
    unit = incident.unit
    union = f"Ban Thường vụ {unit.document_name}"
    sex = {"female": "nữ", "male": "nam"}.get(victim.sex, "khác")
    born = f"sinh năm {victim.birth_year}" if victim.birth_year else "không rõ năm sinh"
    body = [
        f"Ngày {incident.created_at:%d/%m/%Y}, {union} nhận được thông tin về vụ việc "
        f"{incident.kind.name.lower()} xảy ra ngày {incident.occurred_on:%d/%m/%Y}"
        + (f" tại {incident.place}." if incident.place else "."),
        f"Người bị hại: {victim.full_name}, {sex}, {born}"
        + (" (trẻ em)" if victim.is_child else "")
        + (f"; địa chỉ: {victim.address}" if victim.address else "")
        + (f"; điện thoại: {victim.phone}" if victim.phone else "") + ".",
        f"Diễn biến: {incident.facts}",
    ]
    if incident.victim_state:
        body.append(f"Tình trạng hiện tại của nạn nhân: {incident.victim_state}")
    if referral.ground == "consent":
        body.append("Thông tin được chuyển gửi với sự đồng ý của nạn nhân"
                    + (" và người đại diện hợp pháp" if victim.is_child else "") + ".")
    else:
        body.append(f"Căn cứ chuyển gửi thông tin: {GROUND_LABELS_VI[referral.ground]} "
                    f"({referral.ground_note}).")
    body += [
        f"{union} đề nghị {referral.agency} xem xét, giải quyết theo thẩm quyền và thông tin "
        f"kết quả cho {union} để phối hợp hỗ trợ nạn nhân.",
        "Thông tin trong văn bản này là dữ liệu cá nhân nhạy cảm theo Luật Bảo vệ dữ liệu cá "
        "nhân, chỉ được sử dụng để giải quyết vụ việc.",
        "Trân trọng./.",
    ]
    summary = f"V/v chuyển thông tin vụ việc số {incident.id}"
    doc = Document()
    D.page_setup(doc, title=summary, subject=summary, author=unit.document_name,
                 created=utcnow())
    D.header(doc, agency_of(unit), MOTTO, f"Số:{NBSP * 6}/CV-HLHPN",
             f"…, ngày {today.day:02d} tháng {today.month:02d} năm {today.year}", summary)
    addressed = D.paragraph(doc, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False, before=18,
                            after=12)
    D.run(addressed, f"Kính gửi: {referral.agency}")
    for text in body:
        D.run(D.paragraph(doc), text)
    D.closing(doc, RECEIVED_BY, ["- Như trên;", "- Lưu: VT."], (ON_BEHALF, "CHỦ TỊCH", ""))
    out = BytesIO()
    doc.save(out)
    return out.getvalue()


# The grounds as the letter says them (not translated: the letter is Vietnamese).
GROUND_LABELS_VI = {
    "life_health": "khẩn cấp, để bảo vệ tính mạng, sức khỏe của nạn nhân",
    "authority_request": "theo yêu cầu của cơ quan nhà nước có thẩm quyền",
    "legal_duty": "thực hiện nghĩa vụ theo quy định của pháp luật",
}
