"""The chasing letter (công văn đôn đốc) of an overdue follow-up, as a Word file in the format of
Nghị định 30/2020/NĐ-CP, built from the blocks of lhpn/documents.py.

The letter is Vietnamese whatever the interface language: it is the administrative text the
unit signs, so none of it goes through gettext. It says only what the follow-up holds (the
agency, the union's earlier letter, the deadline) and what the caller gives: the sending unit,
the ``subject`` ("vụ việc số 12"), the place, the signer. It never needs the record itself, so
no personal data can reach it.
"""

from dataclasses import dataclass
from datetime import date
from io import BytesIO

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from flask_babel import gettext as _

from lhpn import documents as D
from lhpn.clock import local_today, utcnow
from lhpn.errors import DomainError
from lhpn.followups.models import FollowUp
from lhpn.followups.services import days_overdue, is_overdue
from lhpn.plans.wording import MOTTO, NBSP, ON_BEHALF, RECEIVED_BY, agency_of
from lhpn.units.models import Unit

NUMBER = f"Số:{NBSP * 6}/CV-HLHPN"
SIGNER_TITLE = "Chủ tịch"


@dataclass(frozen=True)
class LetterWording:
    agency: tuple[str, str]      # the issuing body (lhpn.plans.wording.agency_of)
    number: str                  # "Số:      /CV-HLHPN", the number left for the clerk
    summary: str                 # "V/v đôn đốc giải quyết vụ việc số 12"
    place_date: str              # "Hưng Hà, ngày 08 tháng 12 năm 2026"
    addressee: str               # "Kính gửi: Công an huyện Hưng Hà"
    body: list[str]              # the paragraphs, the last "Trân trọng./."
    recipients: list[str]        # "- Như trên;", …, "- Lưu: VT."
    signature: tuple[str, str, str]


def chasing_letter(fu: FollowUp, *, sender_unit: Unit, subject: str, to_superior: bool = False,
                   signer_title: str = SIGNER_TITLE, signer_name: str = "", place: str = "",
                   today: date | None = None) -> bytes:
    """The letter as a .docx. Refused (422) unless the follow-up is overdue on ``today``
    (Vietnam's), or when it should go to a superior the follow-up does not name."""
    words = letter_wording(fu, sender_unit=sender_unit, subject=subject,
                           to_superior=to_superior, signer_title=signer_title,
                           signer_name=signer_name, place=place, today=today)
    doc = Document()
    D.page_setup(doc, title=words.summary, subject=words.summary,
                 author=sender_unit.document_name, created=utcnow())
    D.header(doc, words.agency, MOTTO, words.number, words.place_date, words.summary)
    addressed = D.paragraph(doc, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False, before=18,
                            after=12)
    D.run(addressed, words.addressee)
    for text in words.body:
        D.run(D.paragraph(doc), text)
    D.closing(doc, RECEIVED_BY, words.recipients, words.signature)
    out = BytesIO()
    doc.save(out)
    return out.getvalue()


def letter_wording(fu: FollowUp, *, sender_unit: Unit, subject: str, to_superior: bool = False,
                   signer_title: str = SIGNER_TITLE, signer_name: str = "", place: str = "",
                   today: date | None = None) -> LetterWording:
    today = local_today() if today is None else today
    if not is_overdue(fu, today):
        raise DomainError(_("Chỉ lập công văn đôn đốc khi đã quá hạn mà cơ quan chưa trả lời."),
                          "due_on")
    if to_superior and not fu.agency_superior:
        raise DomainError(_("Chưa ghi cơ quan cấp trên để gửi công văn đôn đốc."),
                          "agency_superior")
    subject = " ".join(subject.split())
    union = f"Ban Thường vụ {sender_unit.document_name}"
    letter = f"Công văn số {fu.letter_number}" if fu.letter_number else "văn bản"
    late = days_overdue(fu, today)
    body = [
        f"Ngày {fu.written_on:%d/%m/%Y}, {union} đã có {letter} gửi {fu.agency} đề nghị xem "
        f"xét, giải quyết {subject} theo thẩm quyền. Theo quy định, thời hạn giải quyết và "
        f"trả lời là ngày {fu.due_on:%d/%m/%Y}.",
        f"Đến nay đã quá thời hạn {late} ngày nhưng {union} chưa nhận được văn bản trả lời "
        f"kết quả giải quyết.",
    ]
    if fu.chase_count:
        body[-1] += f" Đây là lần đôn đốc thứ {fu.chase_count + 1}."
    if to_superior:
        body.append(f"{union} kính đề nghị {fu.agency_superior} quan tâm, chỉ đạo {fu.agency} "
                    f"khẩn trương xem xét, giải quyết {subject} và trả lời bằng văn bản cho "
                    f"{union} theo quy định.")
        recipients = ["- Như trên;", f"- {fu.agency};", "- Lưu: VT."]
    else:
        body.append(f"{union} đề nghị {fu.agency} khẩn trương xem xét, giải quyết {subject} "
                    f"và trả lời bằng văn bản cho {union} theo quy định.")
        recipients = ["- Như trên;", "- Lưu: VT."]
    body.append("Trân trọng./.")
    return LetterWording(
        agency=agency_of(sender_unit), number=NUMBER,
        summary=f"V/v đôn đốc giải quyết {subject}",
        place_date=f"{place.strip() or '…'}, ngày {today.day:02d} tháng {today.month:02d} "
                   f"năm {today.year}",
        addressee=f"Kính gửi: {fu.agency_superior if to_superior else fu.agency}",
        body=body, recipients=recipients,
        signature=(ON_BEHALF, signer_title.upper(), signer_name))
