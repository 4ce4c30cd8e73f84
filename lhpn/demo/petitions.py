"""Demo petitions (lhpn/petitions): a few in each demo tenant's register, dated from today so
that whenever the demo is loaded one waits past its deadline, one forwarded is overdue with
the agency, one is a mass petition (its notice sent to the level above) and one is resolved.
Added once per tenant."""

from collections.abc import Iterator
from datetime import timedelta

from sqlalchemy import select

from lhpn.accounts.models import User
from lhpn.clock import local_today
from lhpn.extensions import db
from lhpn.petitions import services as petitions
from lhpn.petitions.models import Petition
from lhpn.tenants.models import Tenant

# (tenant, officer, days ago, category, channel, petitioner, summary, what happens)
DEMO_PETITIONS = (
    ("TB", "tb.tanle.canbo", 40, "complaint", "in_person", "Nguyễn Thị Lan",
     "Khiếu nại việc chưa được chi trả trợ cấp hộ nghèo năm 2026.", "waiting"),
    ("TB", "tb.tanle.canbo", 50, "recommendation", "letter", "Trần Thị Hương",
     "Kiến nghị sửa đường vào khu dân cư thôn Đông bị sạt lở.", "forwarded"),
    ("TB", "tb.tanle.canbo", 5, "reflection", "in_person", "Đại diện 15 hội viên thôn Nam",
     "Phản ánh việc thu hồi đất làm khu công nghiệp chưa bồi thường cho nhiều hộ.", "mass"),
    ("TB", "tb.tanle.canbo", 20, "recommendation", "phone", "Phạm Thị Thu",
     "Đề nghị hướng dẫn thủ tục vay vốn hộ kinh doanh.", "guided"),
    ("HY", "hy.phohien.canbo", 35, "denunciation", "online", "",
     "Tố cáo cơ sở kinh doanh ép người lao động nữ làm thêm giờ không trả lương.", "waiting"),
    ("HY", "hy.phohien.canbo", 45, "complaint", "forwarded", "Lê Thị Mận",
     "Khiếu nại quyết định xử phạt hành chính về đất đai.", "forwarded"),
    ("HY", "hy.tienlu.canbo", 3, "complaint", "in_person", "Đại diện 20 hộ gia đình",
     "Khiếu nại chung về mức bồi thường giải phóng mặt bằng.", "mass"),
)


def demo_petitions(tenants: dict[str, Tenant]) -> Iterator[str]:
    today = local_today()
    for code, tenant in tenants.items():
        if db.session.scalar(select(Petition.id).where(Petition.tenant_id == tenant.id)
                             .limit(1)) is not None:
            continue
        made = 0
        for tenant_code, username, ago, category, channel, name, summary, fate in \
                DEMO_PETITIONS:
            officer = db.session.scalar(select(User).where(User.username == username))
            if tenant_code != code or officer is None or officer.unit is None:
                continue
            received = today - timedelta(days=ago)
            petition = petitions.receive(officer, officer.unit, {
                "received_on": received.isoformat(), "category": category,
                "channel": channel, "forwarded_from": "Hội LHPN cấp trên",
                "full_name": name, "address": "Thôn 2", "phone": "",
                "summary": summary, "is_mass": "1" if fate == "mass" else ""})
            if fate == "forwarded":
                petitions.forward(officer, petition, petition.version,
                                  agency="UBND xã", letter_number="25/CV-HLHPN",
                                  written_on=received + timedelta(days=3),
                                  due_on=received + timedelta(days=33))
            elif fate == "guided":
                petitions.conclude(officer, petition, "guide", petition.version,
                                   outcome="Đã hướng dẫn liên hệ Ngân hàng Chính sách xã hội.",
                                   on=received + timedelta(days=2))
                petitions.tell(officer, petition, petition.version,
                               received + timedelta(days=2))
            made += 1
        db.session.commit()
        if made:
            yield f"  Đơn thư mẫu của {tenant.code}: {made}"
