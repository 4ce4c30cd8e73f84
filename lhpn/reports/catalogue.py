"""Starter forms every new tenant gets, drawn from the seeds' reporting duties."""

from dataclasses import dataclass


@dataclass(frozen=True)
class StarterTemplate:
    code: str
    name: str
    period_type: str
    below_root_levels: bool  # filled by every level under the province
    due_day: int
    due_months_after: int
    items: tuple[tuple[str, str, bool], ...]  # (indicator code, group, required)
    periods: tuple[tuple[str, str, str], ...] = ()  # thematic: (code, label, due ISO date)


# The 6-month and annual supervision reports share these lines; the annual one adds more.
SUPERVISION_ITEMS = (
    ("GIAM_SAT", "Giám sát, phản biện xã hội", True),
    ("PHAN_BIEN", "Giám sát, phản biện xã hội", True),
    ("GOP_Y", "Giám sát, phản biện xã hội", True),
    ("DOI_THOAI", "Giám sát, phản biện xã hội", False),
    ("GIOI_THIEU_DANG", "Tham gia xây dựng Đảng", False),
    ("CAN_BO_NU", "Tham gia xây dựng Đảng", False),
    ("HV_HOC_TAP", "Tuyên truyền", False),
)

STARTER_TEMPLATES = (
    StarterTemplate(
        "BC_THANG", "Báo cáo kết quả hoạt động tháng", "month", True, 20, 1,
        (("TUYEN_TRUYEN", "Tuyên truyền, vận động", True),
         ("DOI_THOAI", "Tuyên truyền, vận động", False),
         ("HO_5K3S", "Xây dựng gia đình", False),
         ("HOA_GIAI", "Bảo vệ quyền, lợi ích hợp pháp", False),
         ("DON_THU", "Bảo vệ quyền, lợi ích hợp pháp", False),
         # Prefilled from the unit's incidents of the month (counts only).
         ("BAO_LUC", "Bảo vệ quyền, lợi ích hợp pháp", False),
         ("NAN_NHAN", "Bảo vệ quyền, lợi ích hợp pháp", False),
         ("DU_LUAN", "Nắm tình hình", False),
         ("KINH_PHI", "Hỗ trợ hội viên", False),
         # Prefilled from the unit's supervisions, critiques and draft comments of the month.
         ("GIAM_SAT", "Giám sát, phản biện xã hội", False),
         ("PHAN_BIEN", "Giám sát, phản biện xã hội", False),
         ("GOP_Y", "Giám sát, phản biện xã hội", False)),
    ),
    StarterTemplate(
        "BC_GSPB_6T", "Báo cáo 6 tháng: tham gia xây dựng Đảng, giám sát, phản biện xã hội",
        "half", True, 15, 1,
        SUPERVISION_ITEMS,
    ),
    StarterTemplate(
        "BC_GSPB_NAM", "Báo cáo năm: tham gia xây dựng Đảng, giám sát, phản biện xã hội",
        "year", True, 15, 0,
        SUPERVISION_ITEMS + (("TAP_HOP_18", "Xây dựng tổ chức Hội", False),
                             ("MO_HINH", "Xây dựng tổ chức Hội", False),
                             ("CHUYEN_DOI_SO", "Xây dựng tổ chức Hội", False)),
    ),
    StarterTemplate(
        "BC_CHUYEN_DE_GSPB", "Báo cáo chuyên đề giám sát, phản biện xã hội", "thematic", True,
        30, 0,
        (("GIAM_SAT", "Kết quả", True), ("PHAN_BIEN", "Kết quả", True)),
        (("{year}-CD-GSPB", "Chuyên đề giám sát, phản biện xã hội năm {year}", "{year}-10-30"),),
    ),
    StarterTemplate(
        "BC_NHANH_VU_VIEC", "Báo cáo nhanh vụ việc bạo lực, xâm hại", "adhoc", True, 1, 0,
        # No free-text summary: it would carry identities up the chain (the incident record
        # holds the facts, masked for who may not read them).
        (("BAO_LUC", "Vụ việc", True), ("NAN_NHAN", "Vụ việc", True)),
    ),
)
