"""Demo critiques, comments on drafts and dialogues (issue 16): a few per demo tenant, recorded
through the services by a commune's officer, dated from today so that one comment stays due
soon and one dialogue's commitment stays overdue whenever the demo is loaded."""

from collections.abc import Iterator
from datetime import timedelta

from sqlalchemy import select

from lhpn.accounts.models import User
from lhpn.clock import local_today
from lhpn.extensions import db
from lhpn.tenants.models import Tenant

# (tenant, the commune officer who records them)
OFFICERS = (("HY", "hy.phohien.canbo"), ("TB", "tb.tanle.canbo"))


def demo_oversight(tenants: dict[str, Tenant]) -> Iterator[str]:
    from lhpn.critiques import services as critiques
    from lhpn.critiques.models import Critique
    from lhpn.dialogues import services as dialogues

    today = local_today()
    for code, username in OFFICERS:
        tenant = tenants.get(code)
        officer = db.session.scalar(select(User).where(User.username == username))
        if tenant is None or officer is None or officer.unit is None:
            continue
        if db.session.scalar(select(Critique.id).where(Critique.tenant_id == tenant.id)
                             .limit(1)) is not None:
            continue
        unit = officer.unit

        def day(days_ago: int) -> str:
            return (today - timedelta(days=days_ago)).isoformat()

        sent = critiques.create(officer, unit, {
            "kind": "critique", "draft_title": "Dự thảo Nghị quyết về chính sách hỗ trợ phụ nữ "
            "khởi nghiệp giai đoạn 2026–2030", "issuing_body": "HĐND xã",
            "received_on": day(60), "comments_due": day(45)})
        critiques.step(officer, sent, "send", sent.version, {
            "sent_number": "15/CV-HLHPN", "sent_on": day(47),
            "sent_summary": "Đề nghị bổ sung đối tượng phụ nữ dân tộc thiểu số, phụ nữ khuyết "
                            "tật; nâng mức hỗ trợ lãi suất."})
        critiques.step(officer, sent, "conclude", sent.version,
                       {"accepted": "partly", "accepted_note": "Tiếp thu ý kiến thứ nhất."})
        comment = critiques.create(officer, unit, {
            "kind": "comment", "draft_title": "Dự thảo Kế hoạch xây dựng nông thôn mới kiểu "
            "mẫu năm 2027", "issuing_body": "UBND xã", "received_on": day(20),
            "comments_due": day(10)})
        critiques.step(officer, comment, "send", comment.version, {
            "sent_number": "18/CV-HLHPN", "sent_on": day(12),
            "sent_summary": "Góp ý tiêu chí vệ sinh môi trường do Hội phụ trách."})
        critiques.create(officer, unit, {
            "kind": "comment", "draft_title": "Dự thảo Báo cáo chính trị Đại hội Đảng bộ xã",
            "issuing_body": "Đảng ủy xã", "received_on": day(3),
            "comments_due": (today + timedelta(days=7)).isoformat()})

        held = dialogues.create(officer, unit, {
            "held_on": day(40), "held": True, "leader_name": "Nguyễn Văn Thành",
            "leader_title": "Chủ tịch UBND xã", "body": "UBND xã", "women_count": "86",
            "issues": "Vốn vay cho hộ phụ nữ nghèo; đèn chiếu sáng đường liên thôn; điểm "
                      "sinh hoạt cho trẻ em dịp hè."})
        dialogues.add_commitment(officer, held, content="Lắp đèn chiếu sáng đường liên thôn",
                                 agency="UBND xã", due_on=day(10))          # overdue
        dialogues.add_commitment(officer, held, content="Ưu tiên vốn vay Ngân hàng Chính sách "
                                 "xã hội cho 15 hộ phụ nữ nghèo", agency="UBND xã",
                                 due_on=(today + timedelta(days=50)).isoformat())
        dialogues.create(officer, unit, {
            "held_on": (today + timedelta(days=14)).isoformat(), "leader_name": "Trần Văn Hòa",
            "leader_title": "Bí thư Đảng ủy xã", "body": "Đảng ủy xã", "women_count": "0",
            "issues": "Phụ nữ tham gia cấp ủy; phòng chống bạo lực gia đình."})
        db.session.commit()
        yield f"  Phản biện, góp ý và đối thoại mẫu của {code}: 3 văn bản, 2 cuộc đối thoại"
