"""The words of a plan's official document (Nghị định 30/2020/NĐ-CP), shared by the Word file
(lhpn/plans/export.py) and the printable page (templates/plans/print.html) so the two never
disagree. The document is Vietnamese whatever the interface language: it is the administrative
text the unit signs, so none of it goes through gettext.
"""

import re
from dataclasses import dataclass
from decimal import Decimal

from lhpn.numbers import format_number
from lhpn.plans.models import SECTION_KEYS, Plan, PlanActivity, PlanTarget
from lhpn.units.models import Unit

# The headings of the seeds' plans; a unit may reword any of them (Plan.headings). Numerals
# are given by position: a plan without targets has no section "CHỈ TIÊU" (seeds 001 and 004),
# the budget (seed 004: "KINH PHÍ THỰC HIỆN") is shown only when filled and comes before the
# organisation, as in the seed; the organisation only when filled (seed 003 has none).
DEFAULT_HEADINGS = {"purpose": "MỤC ĐÍCH, YÊU CẦU", "targets": "CHỈ TIÊU",
                    "content": "NỘI DUNG HOẠT ĐỘNG", "budget": "KINH PHÍ THỰC HIỆN",
                    "organisation": "TỔ CHỨC THỰC HIỆN"}
# What a plan cannot be sent for approval without: every seed has a purpose and a content.
REQUIRED_SECTIONS = ("purpose", "content")
ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")
# "III. ", "IV) ", "2. " typed in front of a heading: the numeral is the document's to give.
NUMERAL_RE = re.compile(r"^\s*(?:[IVXLC]+|\d+)\s*[.):\-–]\s*", re.IGNORECASE)
ACTIVITY_COLUMNS = ("TT", "Nội dung", "Thời gian", "Chủ trì", "Phối hợp", "Kinh phí")
MOTTO = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")
ISSUER = "BAN THƯỜNG VỤ"
ON_BEHALF = "TM. BAN THƯỜNG VỤ"
DOC_KIND = "KẾ HOẠCH"
RECEIVED_BY = "Nơi nhận:"
# The bodies a target applies to, as the union's documents name them.
LEVEL_BODIES = {"province": "Hội LHPN cấp tỉnh", "district": "Hội LHPN cấp huyện",
                "commune": "Hội LHPN cấp xã", "branch": "chi hội phụ nữ", "group": "tổ phụ nữ"}
QUARTERS = ("I", "II", "III", "IV")
NBSP = "\u00a0"


@dataclass(frozen=True)
class Section:
    key: str       # one of SECTION_KEYS
    heading: str   # "III. NHIỆM VỤ TRỌNG TÂM"


@dataclass(frozen=True)
class Wording:
    agency: tuple[str, str]         # the union (below the root: the parent), the issuer
    number: str                     # "Số: 460/KH-BTV"
    place_date: str                 # "Phú Yên, ngày 20 tháng 01 năm 2021"
    sections: list[Section]         # the sections shown, numbered
    targets: list[str]              # numbered sentences
    activities: list[tuple[str, ...]]  # rows under ACTIVITY_COLUMNS
    recipients: list[str]           # "- …;" lines, the last ending with "."
    signature: tuple[str, str, str]  # on behalf of, the signer's title, the signer's name


def wording(plan: Plan) -> Wording:
    return Wording(
        agency=agency_lines(plan), number=number_line(plan), place_date=place_date_line(plan),
        sections=sections(plan),
        targets=[f"{i}. {target_sentence(t, plan)}" for i, t in enumerate(plan.targets, 1)],
        activities=[(str(i), a.title, activity_time(a), a.lead, a.coordinators, a.budget_source)
                    for i, a in enumerate(plan.activities, 1)],
        recipients=recipient_lines(plan),
        signature=(ON_BEHALF, plan.signer_title.upper(), plan.signer_name),
    )


def heading_name(plan: Plan, key: str) -> str:
    """The words of a section's heading, without its numeral: the unit's own or the default."""
    own = NUMERAL_RE.sub("", plan.heading(key)).strip().rstrip(":").strip()
    return (own or DEFAULT_HEADINGS[key]).upper()


def sections(plan: Plan) -> list[Section]:
    shown = [key for key in SECTION_KEYS if key in REQUIRED_SECTIONS
             or (key == "targets" and plan.targets)
             or (key in ("budget", "organisation") and getattr(plan, key).strip())]
    return [Section(key, f"{ROMAN[i]}. {heading_name(plan, key)}") for i, key in enumerate(shown)]


def section_heading(plan: Plan, key: str) -> str:
    """The heading as it stands in this plan's document ("III. NỘI DUNG HOẠT ĐỘNG"), or with
    the numeral it would take, for a section not shown (yet)."""
    for section in sections(plan):
        if section.key == key:
            return section.heading
    return heading_name(plan, key)


def child_basis(parent: Plan, unit: Unit) -> str:
    """The opening of an implementing plan, in the child's own voice: it names the parent's
    plan and the child as the one planning ("Thực hiện Kế hoạch số 68/KH-BTV ngày 15/01/2026
    của Ban Thường vụ Hội LHPN tỉnh Thái Bình về …, Ban Thường vụ Hội LHPN xã Tân Lễ xây dựng
    kế hoạch triển khai thực hiện, cụ thể như sau:")."""
    number = f" số {parent.number}" if parent.number else ""
    day = f" ngày {parent.plan_date:%d/%m/%Y}" if parent.plan_date else ""
    about = f" về {lower_first(parent.title)}" if parent.title else ""
    return (f"Thực hiện Kế hoạch{number}{day} của Ban Thường vụ {parent.unit.document_name}"
            f"{about}, Ban Thường vụ {unit.document_name} xây dựng kế hoạch triển khai thực "
            "hiện, cụ thể như sau:")


def share_as_own(target: PlanTarget, parent: Plan) -> str:
    """The note of a share target turned into one unit's own count: where it comes from."""
    threshold = target.threshold if target.threshold is not None else Decimal(1)
    body = LEVEL_BODIES.get(target.level, target.level)
    return (f"theo chỉ tiêu {_percent(target.measured_value)}% {body} đạt ít nhất "
            f"{_amount(threshold)} của {parent.unit.document_name}")


def agency_lines(plan: Plan) -> tuple[str, str]:
    """The root's standing committee writes under the union's own name; a unit below names its
    parent on the first line and itself on the second, as the decree's header does."""
    return agency_of(plan.unit)


def agency_of(unit: Unit) -> tuple[str, str]:
    """The two agency lines of any official document of ``unit`` (plans, consolidations), in
    the official names: never a label added to a name for the screen."""
    if unit.parent is None:
        return (unit.official_name or unit.tenant.name).upper(), ISSUER
    return unit.parent.document_name.upper(), f"{ISSUER} {unit.document_name.upper()}"


def number_line(plan: Plan) -> str:
    return f"Số: {plan.number}" if plan.number else f"Số:{NBSP * 6}/KH-BTV"


def place_date_line(plan: Plan) -> str:
    place = plan.place or "…"
    day = plan.plan_date
    if day is None:
        gap = NBSP * 4
        return f"{place}, ngày{gap}tháng{gap}năm {plan.year}"
    return f"{place}, ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"


def target_sentence(target: PlanTarget, plan: Plan) -> str:
    if not target.measured:
        text = target.text.strip().rstrip(".;")
        if target.deadline:
            text += f" (thời hạn: {target.deadline:%d/%m/%Y})"
        return f"{text}."
    indicator = target.measured_indicator
    what = lower_first(indicator.name)
    label = f" {indicator.unit_label}" if indicator.unit_label not in ("", "%") else ""
    body = LEVEL_BODIES.get(target.level, target.level)
    own = target.level == plan.unit.level
    if target.kind == "count":
        who = plan.unit.document_name if own else f"Mỗi {body}"
        text = f"{who} đạt ít nhất {_amount(target.measured_value)}{label} ({what})"
    elif target.kind == "share":
        threshold = target.threshold if target.threshold is not None else Decimal(1)
        text = (f"{_percent(target.measured_value)}% {body} đạt ít nhất "
                f"{_amount(threshold)}{label} ({what})")
    else:
        where = plan.unit.document_name if own else f"mỗi {body}"
        text = f"Phấn đấu từ {_percent(target.measured_value)}% trở lên {what} tại {where}"
    note = target.note.strip().rstrip(".;")
    return f"{text}; {note}." if note else f"{text}."


def activity_time(activity: PlanActivity) -> str:
    number = activity.when_number
    if activity.when_kind == "quarter" and number and 1 <= number <= 4:
        return f"Quý {QUARTERS[number - 1]}"
    if activity.when_kind == "month" and number:
        return f"Tháng {number}"
    start, end = activity.start_date, activity.end_date
    if activity.when_kind == "range" and start and end:
        if start == end:
            return f"{end:%d/%m/%Y}"
        if start.year == end.year:
            return f"{start:%d/%m}–{end:%d/%m/%Y}"
        return f"{start:%d/%m/%Y}–{end:%d/%m/%Y}"
    return "Cả năm"


def recipient_lines(plan: Plan) -> list[str]:
    names = [name.rstrip(".;,") for name in plan.recipient_list]
    return [f"- {name}{'.' if i == len(names) - 1 else ';'}" for i, name in enumerate(names)]


def lower_first(text: str) -> str:
    """"Tham gia xây dựng Đảng" → "tham gia xây dựng Đảng"; an acronym ("LHPN …") keeps its
    capitals."""
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text


def _amount(value: Decimal) -> str:
    """Counts the way the union writes them: 01, 02 … 10; decimals with a comma."""
    if value == value.to_integral_value():
        number = int(value)
        return f"{number:02d}" if number < 10 else f"{number:,}".replace(",", ".")
    return _percent(value)


def _percent(value: Decimal) -> str:
    # The document is Vietnamese whatever the interface: 90,5; 12.500,5.
    return format_number(value, "vi_VN", places=2)
