"""Demo supervisions (lhpn/supervisions): in each demo tenant, a commune's supervisions in
different states, the reported ones with recommendations, one past its deadline. Dated from
today, so the overdue one stays overdue whenever the demo is loaded; added once."""

from collections.abc import Iterator
from datetime import timedelta

from sqlalchemy import select

from lhpn.clock import local_today
from lhpn.extensions import db
from lhpn.followups import services as follow_ups

# (tenant, the commune's officer, its chair)
PEOPLE = (("HY", "hy.phohien.canbo", "hy.phohien.chutich"),
          ("TB", "tb.tanle.canbo", "tb.tanle.chutich"))
# (title, subject kind, subject, agency, method, how far it went)
SUPERVISIONS = (
    ("Giám sát thực hiện chính sách tín dụng cho hộ nghèo do phụ nữ làm chủ", "policy",
     "Việc cho vay vốn ưu đãi hộ nghèo, hộ cận nghèo do phụ nữ làm chủ năm 2026",
     "Ngân hàng Chính sách xã hội huyện", "team", "closed"),
    ("Giám sát thực hiện Luật Phòng, chống bạo lực gia đình", "policy",
     "Việc thành lập và hoạt động của tổ phòng, chống bạo lực gia đình ở các thôn",
     "UBND xã", "team", "reported"),
    ("Giám sát Chương trình mục tiêu quốc gia giảm nghèo bền vững", "programme",
     "Hỗ trợ sinh kế cho phụ nữ thuộc hộ nghèo", "UBND xã", "documents", "in_progress"),
    ("Giám sát việc tu dưỡng, rèn luyện đạo đức của cán bộ, đảng viên", "cadre_conduct",
     "Qua phản ánh của hội viên ở khu dân cư", "Đảng ủy xã", "petitions", "proposed"),
)
STEPS = ("approve_plan", "start", "submit_report", "approve_report", "close")
UNTIL = {"proposed": 0, "in_progress": 2, "reported": 4, "closed": 5}


def demo_supervisions(tenants: dict) -> Iterator[str]:
    from lhpn.accounts.models import User
    from lhpn.supervisions import services
    from lhpn.supervisions.models import Supervision

    today = local_today()
    for code, officer_name, chair_name in PEOPLE:
        tenant = tenants.get(code)
        if tenant is None or db.session.scalar(select(Supervision.id).where(
                Supervision.tenant_id == tenant.id).limit(1)) is not None:
            continue
        officer = db.session.scalar(select(User).where(User.username == officer_name))
        chair = db.session.scalar(select(User).where(User.username == chair_name))
        if officer is None or chair is None or officer.unit is None:
            continue
        for n, (title, kind, subject, agency, method, until) in enumerate(SUPERVISIONS):
            start = today - timedelta(days=120 - 20 * n)
            made = services.record_supervision(officer, officer.unit, {
                "title": title, "subject_kind": kind, "subject": subject, "agency": agency,
                "method": method, "team": "Chủ tịch Hội LHPN xã (trưởng đoàn)\nCán bộ Hội",
                "proposed_on": start.isoformat()})
            services.add_document(officer, made, {"kind": "proposal", "number": f"{n + 1}/ĐX-HPN",
                                                  "issued_on": start.isoformat()}, made.version)
            for i, action in enumerate(STEPS[:UNTIL[until]]):
                day = start + timedelta(days=5 + 10 * i)
                who = chair if action in services.DECISIONS else officer
                services.take_step(who, made, action, made.version, day.isoformat())
                if action == "approve_report":
                    services.add_document(officer, made, {
                        "kind": "final_report", "number": f"{n + 1}/BC-HPN",
                        "issued_on": day.isoformat()}, made.version)
                    _recommend(officer, made, today, overdue=until == "reported")
        db.session.commit()
        yield f"  Giám sát mẫu của {code}: {len(SUPERVISIONS)}"


def _recommend(officer, supervision, today, *, overdue: bool) -> None:
    from lhpn.supervisions import services

    first = services.recommend(
        officer, supervision, text="Công khai danh sách đối tượng được hỗ trợ tại nhà văn hóa "
        "các thôn", agency=supervision.agency,
        due_on=(today - timedelta(days=10)) if overdue else supervision.reported_on
        + timedelta(days=20))
    services.recommend(officer, supervision, text="Tập huấn nghiệp vụ cho cán bộ trực tiếp "
                       "thực hiện", agency=supervision.agency,
                       due_on=today + timedelta(days=30))
    if not overdue:
        follow_ups.settle(officer, first, first.version, "implemented")
