"""The words of the union (issue 12 item 11): names not codes, periods as "Tháng 12/2026",
one word per thing, audit actions and roles in Vietnamese, notices that do not say a word
twice, "nhập thay" the right way round, and the official name on documents."""

import re
from dataclasses import replace
from io import BytesIO
from pathlib import Path

import docx
import pytest
from sqlalchemy import select

from lhpn import authz
from lhpn.accounts.models import User
from lhpn.audit.models import AuditEntry
from lhpn.errors import DomainError
from lhpn.extensions import db
from lhpn.labels import AUDIT_LABELS, ROLE_LABELS, audit_label, plan_named, report_named, role_label
from lhpn.notifications.models import Notification
from lhpn.plans.export import plan_docx
from lhpn.plans.services import create_plan, get_plan
from lhpn.reports import periods
from lhpn.reports import services as reports
from lhpn.reports.models import ReportTemplate
from lhpn.units.models import Unit
from tests.conftest import api_token
from tests.fixtures import plan_seed_003 as seed
from tests.test_plan_pages import Browser, add_user, text

LHPN = Path(__file__).resolve().parents[1] / "lhpn"


# ---- periods -----------------------------------------------------------------------------

@pytest.mark.parametrize(("code", "kind", "words"), [
    ("2026-12", "month", "Tháng 12/2026"),
    ("2026-03", "month", "Tháng 03/2026"),
    ("2026-Q4", "quarter", "Quý IV/2026"),
    ("2026-Q1", "quarter", "Quý I/2026"),
    ("2026-H1", "half", "6 tháng đầu năm 2026"),
    ("2026-H2", "half", "6 tháng cuối năm 2026"),
    ("2026", "year", "Năm 2026"),
])
def test_period_labels(code, kind, words):
    assert periods.label(code, kind) == words


# ---- names, not codes --------------------------------------------------------------------

def _visible(html: str) -> str:
    """What a person reads: no tags, attributes or scripts."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_the_report_form_and_the_consolidation_show_names_not_codes(app, world):
    add_user(app, world, "staff.c11", "staff", "C11")
    staff = Browser(app, "staff.c11")
    answer = staff.post("/reports/open", {"unit": world.units["C11"], "template": "BC_THANG",
                                          "period": "2026-03"})
    path = answer.headers["Location"]
    for page in (text(staff.get(path)), text(staff.get(path.removesuffix("/edit"))),
                 text(staff.get(f"/units/{world.units['C11']}/consolidation?template=BC_THANG"
                                f"&period=2026-03"))):
        shown = _visible(page)
        assert "Tháng 03/2026" in shown
        assert not re.search(r"\b(TUYEN_TRUYEN|KINH_PHI|HOA_GIAI|BC_THANG|2026-03)\b", shown)


def test_a_refused_value_names_the_indicator_not_its_code(app, world):
    with app.app_context():
        staff = db.session.get(User, world.users["staff.d1"])
        report = reports.open_report(staff, db.session.get(Unit, world.units["D1"]),
                                     reports.get_template(world.tenants["TB"], "BC_THANG"),
                                     "2026-03")
        kinh_phi = next(i.indicator for i in report.template.items
                        if i.indicator.code == "KINH_PHI")
        with pytest.raises(DomainError) as refused:
            reports.save_report(staff, report, {"KINH_PHI": "nhiều"}, report.version)
        assert refused.value.message.startswith(f"{kinh_phi.name}")
        assert "KINH_PHI" not in refused.value.message
        with pytest.raises(DomainError) as refused:
            reports.submit_report(staff, report)
        assert "Số hoạt động tuyên truyền" in refused.value.message
        assert "TUYEN_TRUYEN" not in refused.value.message
        db.session.rollback()


# ---- notices -----------------------------------------------------------------------------

def test_names_are_not_said_twice():
    assert report_named("Báo cáo nhanh vụ việc") == "“Báo cáo nhanh vụ việc”"
    assert report_named("báo cáo năm") == "“báo cáo năm”"
    assert report_named("Tuyên truyền") == "báo cáo “Tuyên truyền”"
    assert plan_named("Kế hoạch công tác năm") == "“Kế hoạch công tác năm”"
    assert plan_named("Công tác năm") == "kế hoạch “Công tác năm”"


def test_a_notice_about_a_report_says_the_form_and_the_period_once(app, world):
    with app.app_context():
        template = reports.get_template(world.tenants["TB"], "BC_THANG")
        template.name = "Báo cáo nhanh kết quả hoạt động tháng"
        staff = db.session.get(User, world.users["staff.d1"])
        approver = db.session.get(User, world.users["approver.tb"])
        report = reports.open_report(staff, db.session.get(Unit, world.units["D1"]), template,
                                     "2026-12")
        report.nothing_to_report = True
        reports.submit_report(staff, report)
        reports.approve_report(approver, report)
        db.session.commit()
        messages = db.session.scalars(select(Notification.message)).all()
    assert "Hội LHPN huyện Hưng Hà gửi “Báo cáo nhanh kết quả hoạt động tháng” kỳ tháng " \
           "12/2026 chờ duyệt." in messages
    assert "“Báo cáo nhanh kết quả hoạt động tháng” kỳ tháng 12/2026 đã được duyệt." in messages
    for message in messages:
        assert not re.search(r"báo cáo\W+báo cáo", message, re.I), message
        assert "2026-12" not in message


# ---- roles and audit ---------------------------------------------------------------------

def test_every_role_of_the_policy_has_the_unions_label(app):
    with app.app_context():
        roles = {role for role, _scope, _action in authz.engine().rules}
        assert roles <= set(ROLE_LABELS)
        assert role_label("approver") == "Thường trực / Chủ tịch (duyệt)"
        assert role_label("staff") == "Cán bộ chuyên trách (nhập liệu)"
        assert role_label("tenant_admin") == "Quản trị hệ thống tỉnh"


def _recorded_actions() -> set[str]:
    """Every action code the code base records (audit.record calls and the workflows)."""
    from lhpn.incidents.services import INCIDENT_FLOW
    from lhpn.plans.services import WORKFLOW as PLAN_WORKFLOW

    found = set()
    for path in LHPN.rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        found |= set(re.findall(r'record\(\s*"([a-z_.]+)"', source))
        for one, other in re.findall(r'record\("([a-z_.]+)" if \w+ else "([a-z_.]+)"', source):
            found |= {one, other}
    for kind, workflow in (("report", reports.WORKFLOW), ("plan", PLAN_WORKFLOW),
                           ("incident", INCIDENT_FLOW)):
        found |= {f"{kind}.{action}" for action in workflow.transitions}
    return found


def test_every_audit_action_has_a_vietnamese_label(app):
    recorded = _recorded_actions()
    assert {"auth.login", "report.approve", "plan.submit", "user.lock", "user.unlock",
            "plan.counted", "plan.uncounted", "unit.official_name"} <= recorded
    with app.test_request_context():
        assert recorded <= set(AUDIT_LABELS), recorded - set(AUDIT_LABELS)
        assert audit_label("report.approve") == "Duyệt báo cáo"
        # An action without a label reads as a phrase and never breaks the page.
        assert audit_label("something.new") == "Thao tác khác (something.new)"


def test_the_audit_page_shows_actions_in_vietnamese(app, world):
    admin = Browser(app, "tenant_admin.tb")
    admin.post(f"/units/{world.units['D1']}/rename", {"name": "Hội LHPN huyện Hưng Hà mới"})
    with app.app_context():
        db.session.add(AuditEntry(tenant_id=world.tenants["TB"], action="legacy.thing",
                                  object_type="x", summary="cũ", data={}))
        db.session.commit()
    page = text(admin.get("/audit/"))
    assert "Đổi tên đơn vị" in page and "Thao tác khác (legacy.thing)" in page
    assert "<code>unit.rename</code>" not in page


# ---- the official name -------------------------------------------------------------------

def test_the_official_name_heads_the_plan_document(app, world):
    admin = Browser(app, "tenant_admin.tb")
    with app.app_context():
        db.session.get(Unit, world.units["TB"]).name = "Hội LHPN tỉnh Thái Bình (trước 01/7/2025)"
        db.session.commit()
    answer = admin.post(f"/units/{world.units['TB']}/official-name",
                        {"official_name": "Hội LHPN tỉnh Thái Bình"})
    assert answer.status_code == 302
    assert "Hội LHPN tỉnh Thái Bình" in text(admin.get(f"/units/{world.units['TB']}"))
    with app.app_context():
        root = db.session.get(Unit, world.units["TB"])
        root.tenant.name = root.name  # the demo's label, on the tenant too
        staff = db.session.get(User, world.users["staff.tb"])
        plan = create_plan(staff, root, seed.plan_input())
        db.session.commit()
        document = docx.Document(BytesIO(plan_docx(get_plan(world.tenants["TB"], plan.id))))
    agency = document.tables[0].rows[0].cells[0]
    lines = [p.text.strip() for p in agency.paragraphs if p.text.strip()]
    assert lines == ["HỘI LHPN TỈNH THÁI BÌNH", "BAN THƯỜNG VỤ"]
    assert "TRƯỚC 01/7/2025" not in "\n".join(p.text for p in document.paragraphs).upper()


def test_the_official_name_heads_a_childs_document_and_is_set_through_the_api(app, world,
                                                                               client):
    token = api_token(client, "tenant_admin.tb")
    answer = client.patch(f"/api/v1/units/{world.units['D1']}",
                          json={"official_name": "Hội Liên hiệp Phụ nữ huyện Hưng Hà"},
                          headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json()["official_name"] == "Hội Liên hiệp Phụ nữ huyện Hưng Hà"
    refused = client.patch(f"/api/v1/units/{world.units['D1']}",
                           json={"official_name": "a\x01b"},
                           headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 422
    assert refused.get_json()["error"]["field"] == "official_name"
    with app.app_context():
        d1 = db.session.get(Unit, world.units["D1"])
        assert d1.official_name == "Hội Liên hiệp Phụ nữ huyện Hưng Hà"
        staff = db.session.get(User, world.users["staff.d1"])
        plan = create_plan(staff, d1, replace(seed.plan_input(), targets=[]))
        db.session.commit()
        document = docx.Document(BytesIO(plan_docx(get_plan(world.tenants["TB"], plan.id))))
    agency = document.tables[0].rows[0].cells[0]
    lines = [p.text.strip() for p in agency.paragraphs if p.text.strip()]
    assert lines == ["HỘI LHPN TỈNH THÁI BÌNH", "BAN THƯỜNG VỤ HỘI LIÊN HIỆP PHỤ NỮ HUYỆN HƯNG HÀ"]
    # Emptying it gives the documents the unit's name back.
    client.patch(f"/api/v1/units/{world.units['D1']}", json={"official_name": ""},
                 headers={"Authorization": f"Bearer {token}"})
    with app.app_context():
        assert db.session.get(Unit, world.units["D1"]).official_name is None


def test_the_demo_gives_its_labelled_province_an_official_name():
    from lhpn.demo.load import TENANTS

    labelled = [t for t in TENANTS if "(" in t.name]
    assert labelled and all(t.official_name and "(" not in t.official_name for t in labelled)


def test_a_form_template_is_not_named_by_code_in_file_names(app, world):
    from lhpn.consolidation.export_views import download_name

    with app.app_context():
        template = db.session.scalar(select(ReportTemplate).where(
            ReportTemplate.tenant_id == world.tenants["TB"], ReportTemplate.code == "BC_THANG"))
        name = download_name(template.name, "Hội LHPN xã Tân Lễ", "Tháng 03/2026", "xlsx")
    assert name == ("Tổng hợp báo cáo kết quả hoạt động tháng - Hội LHPN xã Tân Lễ - "
                    "Tháng 03-2026.xlsx")
