"""Names the demo data and the generator give to branches (chi hội thôn …)."""

VILLAGES = ("Đông", "Đoài", "Nam", "Bắc", "Thượng", "Trung", "Hạ", "Tiền", "Hậu", "Đình",
            "Chợ", "Cầu", "Mới", "An Lạc", "Phú Mỹ", "Bình Minh", "Hòa Bình", "Tân Thành")
