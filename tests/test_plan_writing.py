"""Plans as the union writes them (issue 12, item 10): qualitative targets and each unit's
"done / not done", headings of its own, an optional budget section, the same words on the page
and in the .docx, a child's basis in its own voice, shares of the child's level as its own
count, and no plan sent up with an empty purpose or content."""

import re
from io import BytesIO

import docx
import pytest
from sqlalchemy import func, select

from lhpn import authz
from lhpn.accounts.models import User
from lhpn.audit.models import AuditEntry
from lhpn.errors import DomainError
from lhpn.extensions import db
from lhpn.plans import services as plans
from lhpn.plans import wording
from lhpn.plans.export import plan_docx
from lhpn.plans.models import Plan, PlanTarget, TargetCheck
from lhpn.plans.services import ActivityInput, PlanInput, TargetInput
from lhpn.tenants.models import Tenant
from lhpn.units.models import Unit
from tests import factories
from tests.conftest import api_token, csrf_token, login
from tests.fixtures import plan_seed_003 as seed
from tests.test_api import Caller

DONE_TEXT = "100% Hội LHPN cơ sở góp ý ít nhất 01 dự thảo văn bản của cấp ủy, chính quyền"


def _user(world, name) -> User:
    return db.session.get(User, world.users[name])


def _unit(world, code) -> Unit:
    return db.session.get(Unit, world.units[code])


def _people(world, *codes) -> None:
    tb = db.session.get(Tenant, world.tenants["TB"])
    for code in codes:
        for role in ("staff", "approver"):
            name = f"{role}.{code.lower()}"
            if name not in world.users:
                world.users[name] = factories.user(tb, name, role, _unit(world, code)).id


def _issued(world, **changes) -> Plan:
    """The province's plan, issued, with a qualitative target for every commune."""
    data = PlanInput(
        title="Tham gia xây dựng Đảng, hệ thống chính trị; giám sát, phản biện xã hội năm 2026",
        year=2026, number="68/KH-BTV", place="Thái Bình", plan_date="2026-01-15",
        basis="Thực hiện Chương trình làm việc toàn khóa của Ban Chấp hành Hội LHPN tỉnh.",
        purpose="1. Kịp thời tuyên truyền chủ trương của Đảng.",
        content="1. Giám sát, phản biện xã hội.", counted=True,
        child_levels=["district", "commune"], child_deadline="2026-02-20",
        targets=[TargetInput("TUYEN_TRUYEN", "commune", "share", 100, 2),
                 TargetInput("TUYEN_TRUYEN", "branch", "share", 70, 1),
                 TargetInput(None, "commune", "text", None, text=DONE_TEXT,
                             deadline="2026-10-30")])
    for key, value in changes.items():
        setattr(data, key, value)
    plan = plans.create_plan(_user(world, "staff.tb"), _unit(world, "TB"), data)
    plans.submit_plan(_user(world, "staff.tb"), plan)
    plans.approve_plan(_user(world, "approver.tb"), plan)
    db.session.commit()
    return plan


# ---- qualitative targets --------------------------------------------------------------------

def test_a_qualitative_target_is_words_a_level_and_an_optional_deadline(ctx, world):
    plan = _issued(world)
    target = plan.targets[2]
    assert (target.kind, target.indicator_id, target.value, target.level) == (
        "text", None, None, "commune")
    assert target.text == DONE_TEXT and target.deadline.isoformat() == "2026-10-30"
    assert target.to_dict() == {"id": target.id, "level": "commune", "kind": "text",
                                "text": DONE_TEXT, "deadline": "2026-10-30"}
    assert wording.target_sentence(target, plan) == f"{DONE_TEXT} (thời hạn: 30/10/2026)."
    staff = _user(world, "staff.tb")
    for bad, message in [
        (TargetInput(None, "commune", "text", None, text="  "), "nội dung chỉ tiêu thứ 1"),
        (TargetInput(None, "commune", "text", None, text="x", deadline="30/10/2026"),
         "yyyy-mm-dd"),
        (TargetInput(None, "tỉnh", "text", None, text="x"), "cấp áp dụng"),
    ]:
        with pytest.raises(DomainError, match=message):
            plans.create_plan(staff, _unit(world, "TB"), PlanInput(
                title="Kế hoạch", year=2026, targets=[bad]))
        db.session.rollback()


def test_each_commune_says_done_or_not_and_the_province_sees_it(ctx, world):
    plan = _issued(world)
    _people(world, "C11", "C12")
    target = plan.targets[2]
    c11, c12 = _unit(world, "C11"), _unit(world, "C12")
    check = plans.check_target(_user(world, "staff.c11"), target, c11, True, "Góp ý dự thảo "
                               "nghị quyết về phụ nữ khởi nghiệp.")
    assert (check.done, check.unit_id) == (True, c11.id)
    with pytest.raises(DomainError, match="lý do"):
        plans.check_target(_user(world, "staff.c12"), target, c12, False, " ")
    plans.check_target(_user(world, "staff.c12"), target, c12, False,
                       "Chưa nhận được dự thảo nào.")
    # Answering again replaces the answer; the audit log keeps every step.
    plans.check_target(_user(world, "staff.c11"), target, c11, True, "Đã góp ý 02 dự thảo.")
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(TargetCheck)) == 2
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "plan.target_check")) == 3
    # Only the unit's own officers, only units of the target's level under the plan's unit,
    # only a qualitative target, only once issued.
    with pytest.raises(authz.Forbidden):
        plans.check_target(_user(world, "staff.c11"), target, c12, True)
    with pytest.raises(authz.Forbidden):
        plans.check_target(_user(world, "approver.c11"), target, c11, True)
    with pytest.raises(DomainError, match="không giao cho"):
        plans.check_target(_user(world, "staff.d1"), target, _unit(world, "D1"), True)
    with pytest.raises(DomainError, match="số liệu báo cáo"):
        plans.check_target(_user(world, "staff.c11"), plan.targets[0], c11, True)
    draft = plans.create_plan(_user(world, "staff.tb"), _unit(world, "TB"), PlanInput(
        title="Dự thảo", year=2026, targets=[TargetInput(None, "commune", "text", None,
                                                         text="Việc gì đó")]))
    with pytest.raises(DomainError, match="đã ban hành"):
        plans.check_target(_user(world, "staff.c11"), draft.targets[0], c11, True)
    db.session.rollback()
    # The province's consolidation: 1 of the 3 communes did it; C12 said why not, C21 has
    # not answered.
    from lhpn.consolidation import services as consolidation
    from lhpn.reports.services import get_template

    form = get_template(world.tenants["TB"], "BC_THANG")
    result = consolidation.consolidate(_unit(world, "TB"), form, ["2026-10"])
    [line] = [a for a in result.attainment if not a.target.measured]
    assert (line.met, line.units, line.attained) == (1, 3, False)
    assert [(m.unit.code, m.done, m.note) for m in line.misses] == [
        ("C12", False, "Chưa nhận được dự thảo nào."), ("C21", None, "")]
    # A district sees its own communes only.
    d1 = consolidation.consolidate(_unit(world, "D1"), form, ["2026-10"])
    [line] = [a for a in d1.attainment if not a.target.measured]
    assert (line.met, line.units) == (1, 2)


def test_the_commune_marks_on_the_plan_page_and_the_province_reads_the_summary(
        app, client, world):
    with app.app_context():
        plan_id = _issued(world).id
        _people(world, "C11")
        db.session.commit()
    province = app.test_client()
    login(province, "staff.tb")
    consolidation = (f"/units/{world.units['TB']}/consolidation?template=BC_THANG"
                     "&period=2026-10")
    # Seen (and cached) before the commune answers.
    assert "Hội LHPN xã Tân Lễ: chưa báo" in province.get(consolidation).get_data(as_text=True)
    login(client, "staff.c11")
    path = f"/plans/{plan_id}"
    page = client.get(path).get_data(as_text=True)
    assert 'id="follow-up"' in page and DONE_TEXT in page
    action = re.search(r'action="(/plans/\d+/targets/\d+/check)"', page).group(1)
    token = csrf_token(client, path)
    refused = client.post(action, data={"csrf_token": token, "unit": world.units["C11"],
                                        "done": "0", "note": ""})
    assert refused.status_code == 422
    assert "Hãy ghi rõ lý do chưa thực hiện." in refused.get_data(as_text=True)
    saved = client.post(action, data={"csrf_token": token, "unit": world.units["C11"],
                                      "done": "0", "note": "Xã chưa nhận dự thảo nào."},
                        follow_redirects=True)
    assert "Đã lưu kết quả thực hiện của Hội LHPN xã Tân Lễ." in saved.get_data(as_text=True)
    # Another commune's answer cannot be given from here.
    assert client.post(action, data={"csrf_token": token, "unit": world.units["C12"],
                                     "done": "1"}).status_code == 403
    summary = province.get(path).get_data(as_text=True)
    assert re.search(r'class="num done">0/3<', summary)
    assert "Hội LHPN xã Tân Lễ: Xã chưa nhận dự thảo nào." in summary
    # The answer moves the tenant's figures version: the cached page is not served again.
    consolidated = province.get(consolidation).get_data(as_text=True)
    assert "0/3 đã thực hiện" in consolidated
    assert "Hội LHPN xã Tân Lễ: chưa thực hiện — Xã chưa nhận dự thảo nào." in consolidated


def test_qualitative_targets_over_the_api(client, world, app):
    with app.app_context():
        _people(world, "C11")
        db.session.commit()
    staff = Caller(client, api_token(client, "staff.tb"))
    created = staff.post("/plans", {
        "unit_id": world.units["TB"], "year": 2026, "title": "Kế hoạch năm",
        "purpose": "Mục đích.", "content": "Nội dung.",
        "headings": {"content": "III. Nhiệm vụ trọng tâm"}, "budget": "Ngân sách Hội.",
        "targets": [{"kind": "text", "level": "commune", "text": DONE_TEXT}]})
    assert created.status_code == 201, created.get_data(as_text=True)
    body = created.get_json()
    assert body["headings"] == {"content": "Nhiệm vụ trọng tâm"}
    assert body["budget"] == "Ngân sách Hội." and body["counted"] is False
    [target] = body["targets"]
    assert {k: v for k, v in target.items() if k != "id"} == {
        "kind": "text", "level": "commune", "text": DONE_TEXT, "deadline": None}
    for bad, field in [
        ({"kind": "text", "level": "commune"}, "targets[0].text"),
        ({"kind": "text", "level": "commune", "text": "x", "value": 1}, "targets[0].value"),
        ({"kind": "text", "level": "commune", "text": ""}, "targets[0].text"),
    ]:
        response = staff.post("/plans", {"unit_id": world.units["TB"], "year": 2026,
                                         "title": "X", "targets": [bad]})
        assert response.status_code == 422, bad
        assert response.get_json()["error"]["field"] == field
    refused = staff.post("/plans", {"unit_id": world.units["TB"], "year": 2026, "title": "X",
                                    "headings": {"ngan_sach": "KINH PHÍ"}})
    assert refused.status_code == 422
    assert refused.get_json()["error"]["field"] == "headings.ngan_sach"


# ---- headings, budget, and the same words on the page and in the .docx ------------------------

def test_headings_are_the_plans_own_and_numbered_by_position(ctx, world):
    staff = _user(world, "staff.tb")
    plan = plans.create_plan(staff, _unit(world, "TB"), seed.as_written())
    assert [s.heading for s in wording.sections(plan)] == [
        "I. MỤC ĐÍCH, YÊU CẦU", "II. CHỈ TIÊU", "III. NHIỆM VỤ TRỌNG TÂM",
        "IV. TỔ CHỨC THỰC HIỆN"]
    data = seed.as_written()
    data.targets, data.budget = [], "Ngân sách Hội cấp và nguồn vận động xã hội hóa."
    data.headings = {"content": "II. Nội dung", "organisation": "", "purpose": "MỤC ĐÍCH, YÊU CẦU"}
    plans.update_plan(staff, plan, data, plan.version)
    # No targets: no section "CHỈ TIÊU" (seeds 001, 004); the budget before the organisation.
    assert [s.heading for s in wording.sections(plan)] == [
        "I. MỤC ĐÍCH, YÊU CẦU", "II. NỘI DUNG", "III. KINH PHÍ THỰC HIỆN",
        "IV. TỔ CHỨC THỰC HIỆN"]
    # A typed numeral is the document's to give; the default wording is not stored.
    assert plan.headings == {"content": "Nội dung"}


def test_the_page_and_the_docx_say_the_same_words(app, client, world):
    with app.app_context():
        data = seed.as_written()
        data.budget = "Ngân sách Hội cấp; vận động xã hội hóa."
        data.headings = {**data.headings, "budget": "Kinh phí"}
        plan = plans.create_plan(_user(world, "staff.tb"), _unit(world, "TB"), data)
        db.session.commit()
        plan_id = plan.id
        document = docx.Document(BytesIO(plan_docx(plan)))
    texts = [p.text.strip() for p in document.paragraphs if p.text.strip()]
    login(client, "staff.tb")
    page = client.get(f"/plans/{plan_id}").get_data(as_text=True)
    headings = re.findall(r'<h2 data-section="\w+">([^<]+)</h2>', page)
    assert headings == ["I. MỤC ĐÍCH, YÊU CẦU", "II. CHỈ TIÊU", "III. NHIỆM VỤ TRỌNG TÂM",
                        "IV. KINH PHÍ", "V. TỔ CHỨC THỰC HIỆN"]
    assert [t for t in texts if t in headings] == headings
    # Quarters and months in the document's words on both.
    table_cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    assert "Quý III" in table_cells and "Tháng 3" in table_cells
    assert '<td data-label="Thời gian">Quý III</td>' in page
    assert '<td data-label="Thời gian">Tháng 3</td>' in page
    # The targets' sentences: the same on both.
    for sentence in (t for t in texts if re.match(r"\d\. ", t) and "thời hạn" in t):
        assert sentence in page
    printed = client.get(f"/plans/{plan_id}/print").get_data(as_text=True)
    assert all(f"<h2>{h}</h2>" in printed for h in headings)


def test_a_plan_without_a_budget_has_no_budget_section(ctx, world):
    plan = plans.create_plan(_user(world, "staff.tb"), _unit(world, "TB"), seed.plan_input())
    texts = [p.text for p in docx.Document(BytesIO(plan_docx(plan))).paragraphs]
    assert not any("KINH PHÍ" in t for t in texts)


# ---- the child's plan -----------------------------------------------------------------------

def test_a_child_plan_speaks_in_its_own_voice_and_owns_its_share(ctx, world):
    plan = _issued(world)
    _people(world, "C11")
    request = plans.get_request(world.tenants["TB"], plan.id, world.units["C11"])
    child = plans.start_from_request(_user(world, "staff.c11"), request)
    assert child.basis == (
        "Thực hiện Kế hoạch số 68/KH-BTV ngày 15/01/2026 của Ban Thường vụ Hội LHPN tỉnh Thái "
        "Bình về tham gia xây dựng Đảng, hệ thống chính trị; giám sát, phản biện xã hội năm "
        "2026, Ban Thường vụ Hội LHPN xã Tân Lễ xây dựng kế hoạch triển khai thực hiện, cụ thể "
        "như sau:")
    assert "Chương trình làm việc toàn khóa" not in child.basis  # the province's own basis
    # "100% of communes reach ≥ 2" becomes the commune's own "≥ 2"; the branches' 70 % stays
    # a share of the commune's branches; the qualitative target comes along.
    got = [(t.kind, t.level, t.value, t.threshold) for t in child.targets]
    assert got[:2] == [("count", "commune", 2, None), ("share", "branch", 70, 1)]
    assert (child.targets[2].kind, child.targets[2].text) == ("text", DONE_TEXT)
    sentence = wording.target_sentence(child.targets[0], child)
    assert sentence.startswith("Hội LHPN xã Tân Lễ đạt ít nhất 02")
    assert "theo chỉ tiêu 100% Hội LHPN cấp xã đạt ít nhất 02 của Hội LHPN tỉnh Thái Bình" \
        in sentence
    assert "100% Hội LHPN cấp xã" not in sentence.split(";")[0]
    # Lowering its own part below the province's share is flagged like any weaker target.
    data = plans.prefill_from(plan, child.unit)
    data.targets[0].value = 1
    plans.update_plan(_user(world, "staff.c11"), child, data, child.version)
    assert [(w.target.value, w.required.kind) for w in plans.weaker_targets(child)] == [
        (1, "share")]


def test_a_district_keeps_the_share_of_its_communes(ctx, world):
    plan = _issued(world)
    request = plans.get_request(world.tenants["TB"], plan.id, world.units["D1"])
    child = plans.start_from_request(_user(world, "staff.d1"), request)
    assert [(t.kind, t.level, t.value) for t in child.targets if t.measured] == [
        ("share", "commune", 100), ("share", "branch", 70)]
    assert child.basis.endswith("Ban Thường vụ Hội LHPN huyện Hưng Hà xây dựng kế hoạch triển "
                                "khai thực hiện, cụ thể như sau:")


# ---- submission ---------------------------------------------------------------------------------

def test_submission_refuses_empty_required_sections_naming_them(app, client, world):
    with app.app_context():
        staff = _user(world, "staff.d1")
        plan = plans.create_plan(staff, _unit(world, "D1"), PlanInput(
            title="Kế hoạch chưa viết xong", year=2026, headings={"content": "Nhiệm vụ"},
            targets=[TargetInput("GIAM_SAT", "district", "count", 1)]))
        db.session.commit()
        plan_id, version = plan.id, plan.version
        with pytest.raises(DomainError) as refused:
            plans.submit_plan(staff, plan)
        assert refused.value.message == ("Chưa gửi duyệt được: phần I. MỤC ĐÍCH, YÊU CẦU, "
                                         "III. NHIỆM VỤ còn trống.")
        db.session.rollback()
    login(client, "staff.d1")
    path = f"/plans/{plan_id}"
    page = client.get(path).get_data(as_text=True)
    assert "Trước khi gửi duyệt, hãy điền: I. MỤC ĐÍCH, YÊU CẦU, III. NHIỆM VỤ." in page
    response = client.post(f"{path}/submit", data={"version": version,
                                                   "csrf_token": csrf_token(client, path)})
    assert response.status_code == 422
    assert "Chưa gửi duyệt được: phần I. MỤC ĐÍCH, YÊU CẦU, III. NHIỆM VỤ còn trống." \
        in response.get_data(as_text=True)
    api = Caller(client, api_token(client, "staff.d1"))
    error = api.post(f"/plans/{plan_id}/submit").get_json()["error"]
    assert error["field"] == "purpose"
    with app.app_context():
        assert db.session.get(Plan, plan_id).status == "draft"
    # Activities alone make a content.
    changed = api.patch(f"/plans/{plan_id}", {"version": version, "purpose": "Mục đích.",
                                              "activities": [{"title": "Hội nghị tập huấn"}]})
    assert changed.status_code == 200
    assert api.post(f"/plans/{plan_id}/submit").get_json()["status"] == "submitted"


def test_seed_003_as_written_goes_through(ctx, world):
    staff = _user(world, "staff.tb")
    plan = plans.create_plan(staff, _unit(world, "TB"), seed.as_written())
    plans.submit_plan(staff, plan)
    plans.approve_plan(_user(world, "approver.tb"), plan)
    db.session.commit()
    assert plan.status == "approved"
    assert [t.kind for t in plan.targets] == ["count", "text", "text", "text"]
    assert db.session.scalar(select(func.count()).select_from(PlanTarget).where(
        PlanTarget.indicator_id.is_(None))) == 3


def test_activity_in_a_quarter_reads_quy_iii(ctx, world):
    plan = plans.create_plan(_user(world, "staff.tb"), _unit(world, "TB"), PlanInput(
        title="Kế hoạch", year=2026, activities=[ActivityInput("Tập huấn", "quarter", 3)]))
    assert wording.wording(plan).activities[0][2] == "Quý III"
