"""The starter catalogue every new tenant gets, drawn from the union's plans (shared/seeds)."""

# (code, name, kind, aggregation, unit label)
STARTER = [
    ("GIAM_SAT", "Số chính sách, chương trình được giám sát", "count", "sum", "chính sách"),
    ("PHAN_BIEN", "Số dự thảo văn bản được phản biện xã hội", "count", "sum", "văn bản"),
    ("GOP_Y", "Số dự thảo văn bản của cấp ủy, chính quyền được góp ý", "count", "sum", "văn bản"),
    ("DOI_THOAI", "Số cuộc đối thoại với người đứng đầu cấp ủy, chính quyền", "count", "sum",
     "cuộc"),
    ("TUYEN_TRUYEN", "Số hoạt động tuyên truyền chủ trương, chính sách, pháp luật", "count",
     "sum", "hoạt động"),
    ("HV_HOC_TAP", "Hội viên được học tập, tuyên truyền chủ trương, chính sách, pháp luật", "rate",
     "sum", "%"),
    ("TAP_HOP_18", "Phụ nữ từ 18 tuổi trở lên được tập hợp, thu hút vào Hội", "rate", "sum", "%"),
    ("HO_5K3S", "Hộ gia đình đạt tiêu chí “5 không, 3 sạch” được vận động, hỗ trợ", "count",
     "sum", "hộ"),
    ("GIOI_THIEU_DANG", "Hội viên ưu tú được giới thiệu cho Đảng xem xét kết nạp", "count", "sum",
     "người"),
    ("CAN_BO_NU", "Cán bộ nữ được giới thiệu, tạo nguồn quy hoạch", "count", "sum", "người"),
    ("MO_HINH", "Mô hình thu hút, tập hợp hội viên được xây dựng, duy trì", "count", "sum",
     "mô hình"),
    ("CONG_TRINH", "Công trình, phần việc tham gia xây dựng nông thôn mới, đô thị văn minh",
     "count", "sum", "công trình"),
    ("CHUYEN_DOI_SO", "Ứng dụng công nghệ thông tin, chuyển đổi số trong hoạt động Hội", "boolean",
     "share", ""),
    ("DU_LUAN", "Báo cáo nắm tình hình dư luận xã hội, tư tưởng hội viên", "count", "sum",
     "báo cáo"),
    ("HOA_GIAI", "Vụ việc được hòa giải ở cơ sở", "count", "sum", "vụ việc"),
    ("DON_THU", "Đơn thư khiếu nại, tố cáo được tiếp nhận, giải quyết", "count", "sum", "đơn"),
    ("BAO_LUC", "Vụ việc bạo lực, xâm hại phụ nữ, trẻ em được phát hiện, hỗ trợ", "count", "sum",
     "vụ việc"),
    ("NAN_NHAN", "Nạn nhân được hỗ trợ, can thiệp", "count", "sum", "người"),
    ("TOM_TAT_VU_VIEC", "Tóm tắt vụ việc và biện pháp đã xử lý", "text", "none", ""),
    ("KINH_PHI", "Kinh phí vận động, hỗ trợ hội viên", "decimal", "sum", "triệu đồng"),
]

# Indicators whose report values are prefilled from the unit's own records of the period
# (lhpn/indicators/bindings.py).
STARTER_BINDINGS = {
    "BAO_LUC": "incidents.cases", "NAN_NHAN": "incidents.victims",  # lhpn/incidents
    "DON_THU": "petitions.received",  # lhpn/petitions
    "GIAM_SAT": "supervisions.reported",  # lhpn/supervisions
    "PHAN_BIEN": "critiques.sent", "GOP_Y": "comments.sent",  # lhpn/critiques
    "DOI_THOAI": "dialogues.held",  # lhpn/dialogues
}
