"""Plans: writing, sign-off and the cascade, through the services."""

from datetime import date

import pytest
from sqlalchemy import func, select

from lhpn import authz
from lhpn.accounts.models import User
from lhpn.errors import Conflict, DomainError
from lhpn.extensions import db
from lhpn.notifications.models import Notification
from lhpn.notifications.reminders import Reminded
from lhpn.plans import services as plans
from lhpn.plans.models import Plan, PlanRequest
from lhpn.plans.services import ActivityInput, PlanInput, TargetInput
from lhpn.units.models import Unit
from tests import factories


def _user(world, name):
    return db.session.get(User, world.users[name])


def _unit(world, code):
    return db.session.get(Unit, world.units[code])


def _province_plan(**changes) -> PlanInput:
    data = PlanInput(
        title="Tham gia xây dựng Đảng, hệ thống chính trị; giám sát, phản biện xã hội năm 2026",
        year=2026, number="68/KH-BTV", place="Thái Bình", plan_date="2026-01-15",
        basis="Thực hiện Chương trình công tác năm 2026 của Ban Chấp hành.",
        purpose="1. Nâng cao chất lượng **giám sát**.\n2. Bám sát nhiệm vụ chính trị.",
        content="1. Tuyên truyền\n\n- Tổ chức hội nghị\n- Đăng tải trên trang Zalo",
        organisation="## 1. Hội LHPN tỉnh\n\n- Hướng dẫn, kiểm tra.",
        recipients="TW Hội LHPN Việt Nam;\nBan Dân vận Tỉnh ủy;\nLưu: VT.",
        signer_title="CHỦ TỊCH", signer_name="Nguyễn Thị Hoa",
        child_levels=["district", "commune"], child_deadline="2026-02-20",
        targets=[
            TargetInput("GIAM_SAT", "district", "count", 1),
            TargetInput("TUYEN_TRUYEN", "commune", "share", 100, 2),
            TargetInput("HV_HOC_TAP", "commune", "rate", 90),
        ],
        activities=[ActivityInput("Hội nghị tập huấn giám sát", "quarter", 1, lead="Ban Tuyên giáo",
                                  coordinators="Ủy ban MTTQ tỉnh", budget_source="Ngân sách Hội")],
    )
    for key, value in changes.items():
        setattr(data, key, value)
    return data


def _staff_at(world, code, tenant="TB"):
    """A staff member and an approver at the unit (the world has them only at D1 and roots)."""
    from lhpn.tenants.models import Tenant

    tenant_obj = db.session.get(Tenant, world.tenants[tenant])
    unit = _unit(world, code)
    staff = factories.user(tenant_obj, f"staff.{code.lower()}", "staff", unit)
    approver = factories.user(tenant_obj, f"approver.{code.lower()}", "approver", unit)
    return staff, approver


def test_root_plan_is_issued_by_the_roots_approver_and_cascades_two_levels(ctx, world):
    staff, approver = _user(world, "staff.tb"), _user(world, "approver.tb")
    plan = plans.create_plan(staff, _unit(world, "TB"), _province_plan())
    assert [t.to_dict() for t in plan.targets][1] == {
        "id": plan.targets[1].id, "indicator": "TUYEN_TRUYEN", "level": "commune",
        "kind": "share", "value": 100, "threshold": 2}
    plans.submit_plan(staff, plan)
    with pytest.raises(authz.Forbidden):
        plans.approve_plan(staff, plan)  # staff may submit, not approve
    with pytest.raises(authz.Forbidden):
        plans.approve_plan(_user(world, "approver.d1"), plan)
    plans.approve_plan(approver, plan)
    db.session.commit()
    assert plan.status == "approved"
    asked = set(db.session.scalars(select(PlanRequest.unit_id)))
    assert asked == {world.units[c] for c in ("D1", "D2", "C11", "C12", "C21")}
    assert [e.action for e in plans.history(plan)] == ["submit", "approve"]
    # The district starts its implementing plan from the request, prefilled.
    request = plans.get_request(world.tenants["TB"], plan.id, world.units["D1"])
    d1_staff = _user(world, "staff.d1")
    child = plans.start_from_request(d1_staff, request)
    assert child.parent_plan_id == plan.id and "68/KH-BTV" in child.basis
    assert {t.indicator.code for t in child.targets} == {"GIAM_SAT", "TUYEN_TRUYEN", "HV_HOC_TAP"}
    assert child.child_level_list == ["commune"] and child.child_deadline == date(2026, 2, 20)
    assert plans.start_from_request(d1_staff, request).id == child.id  # not twice
    # A weaker target is flagged.
    data = _province_plan(child_levels=["commune"], parent_plan_id=plan.id, targets=[
        TargetInput("TUYEN_TRUYEN", "commune", "share", 80, 2)])
    plans.update_plan(d1_staff, child, data, child.version)
    weaker = plans.weaker_targets(child)
    assert [(w.target.value, w.required.value) for w in weaker] == [(80, 100)]
    # The district's plan goes to the province approver; then it cascades to its communes.
    plans.submit_plan(d1_staff, child)
    with pytest.raises(authz.Forbidden):
        plans.approve_plan(_user(world, "approver.d1"), child)  # D1's approver approves below D1
    plans.return_plan(approver, child, "Chỉ tiêu tuyên truyền thấp hơn của tỉnh.")
    assert child.status == "returned"
    plans.update_plan(d1_staff, child, _province_plan(child_levels=["commune"],
                                                      parent_plan_id=plan.id), child.version)
    assert plans.weaker_targets(child) == []
    plans.submit_plan(d1_staff, child)
    plans.approve_plan(approver, child)
    db.session.commit()
    assert [e.action for e in plans.history(child)] == ["submit", "return", "submit", "approve"]
    c11_requests = db.session.scalars(select(PlanRequest).where(
        PlanRequest.unit_id == world.units["C11"])).all()
    assert {r.parent_plan_id for r in c11_requests} == {plan.id, child.id}


def test_post_2025_tenant_cascades_to_communes(ctx, world):
    staff, approver = _user(world, "staff.hy"), _user(world, "approver.hy")
    plan = plans.create_plan(staff, _unit(world, "HY"), _province_plan(
        child_levels=["commune"], targets=[TargetInput("GIAM_SAT", "commune", "count", 1)]))
    plans.submit_plan(staff, plan)
    plans.approve_plan(approver, plan)
    db.session.commit()
    rows = plans.cascade_status(plan, today=date(2026, 2, 1))
    assert [(r.request.unit.code, r.state, r.late) for r in rows] == [("HC1", "not_started", False)]
    hc1_staff, _hc1_approver = _staff_at(world, "HC1", "HY")
    child = plans.start_from_request(hc1_staff, rows[0].request)
    rows = plans.cascade_status(plan, today=date(2026, 3, 1))
    assert [(r.state, r.late) for r in rows] == [("draft", True)]
    before = db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == hc1_staff.id))
    assert plans.remind_late(staff, plan, today=date(2026, 3, 1)) == Reminded(1, 0)
    # Once a day: the second click the same day reminds nobody, and says so.
    assert plans.remind_late(staff, plan, today=date(2026, 3, 1)) == Reminded(0, 1)
    after = db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == hc1_staff.id))
    assert after == before + 1
    # The prefilled plan has no content of its own yet: it cannot be sent up like that.
    with pytest.raises(DomainError, match="NỘI DUNG HOẠT ĐỘNG"):
        plans.submit_plan(hc1_staff, child)
    data = plans.prefill_from(plan, child.unit)
    data.content = "1. Giám sát chính sách hỗ trợ phụ nữ khởi nghiệp."
    plans.update_plan(hc1_staff, child, data, child.version)
    plans.submit_plan(hc1_staff, child)
    assert [(r.state, r.late) for r in plans.cascade_status(plan, today=date(2026, 3, 1))] == [
        ("submitted", False)]
    submitter = _submitter_as_approver(world, child)
    assert authz.can(submitter, "approve", child.unit.parent)
    with pytest.raises(DomainError, match="chính mình"):
        plans.approve_plan(submitter, child)
    plans.approve_plan(_user(world, "approver.hy"), child)
    assert child.status == "approved"


def _submitter_as_approver(world, plan):
    """Give the submitter the approver role of the parent, to prove self-approval is refused."""
    submitter = plan.submitted_by
    from lhpn.accounts.services import assign_role

    assign_role(None, submitter, "approver", plan.unit.parent)
    return submitter


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": ""}, "title"),
        ({"year": 1999}, "year"),
        ({"plan_date": "2026-03-01", "child_deadline": "2026-02-01"}, "child_deadline"),
        ({"child_levels": ["province"]}, "child_levels"),
        ({"child_levels": ["commune"], "child_deadline": None}, "child_deadline"),
        ({"targets": [TargetInput("NOPE", "commune", "count", 1)]}, "indicator"),
        ({"targets": [TargetInput("GIAM_SAT", "commune", "count", -1)]}, "targets[0].value"),
        ({"targets": [TargetInput("GIAM_SAT", "commune", "share", 120)]}, "targets[0].value"),
        ({"targets": [TargetInput("GIAM_SAT", "commune", "rate", 50)]}, "targets[0].kind"),
        ({"targets": [TargetInput("GIAM_SAT", "planet", "count", 1)]}, "targets[0].level"),
        ({"activities": [ActivityInput("")]}, "activities[0].title"),
        ({"activities": [ActivityInput("Họp", "month", 13)]}, "activities[0].when_number"),
        ({"activities": [ActivityInput("Họp", "range", None, "2026-05-01", "2026-04-01")]},
         "activities[0].end_date"),
    ],
)
def test_bad_input_changes_nothing(ctx, world, changes, field):
    staff = _user(world, "staff.tb")
    with pytest.raises(DomainError) as info:
        plans.create_plan(staff, _unit(world, "TB"), _province_plan(**changes))
    assert info.value.field == field
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Plan)) == 0


def test_indicator_of_another_tenant_is_refused(ctx, world):
    from lhpn.indicators.services import create_indicator

    create_indicator(None, world.tenants["HY"], code="RIENG_HY", name="Chỉ số riêng",
                     kind="count", aggregation="sum")
    with pytest.raises(DomainError, match="RIENG_HY"):
        plans.create_plan(_user(world, "staff.tb"), _unit(world, "TB"), _province_plan(
            targets=[TargetInput("RIENG_HY", "commune", "count", 1)]))


def test_editing_rules_and_stale_versions(ctx, world):
    staff, approver = _user(world, "staff.tb"), _user(world, "approver.tb")
    plan = plans.create_plan(staff, _unit(world, "TB"), _province_plan())
    db.session.commit()
    version = plan.version
    plans.update_plan(staff, plan, _province_plan(title="Tên mới"), version)
    db.session.commit()
    assert plan.version == version + 1
    with pytest.raises(Conflict, match="vừa được người khác"):
        plans.update_plan(staff, plan, _province_plan(title="Ghi đè"), version)
    db.session.rollback()
    assert db.session.get(Plan, plan.id).title == "Tên mới"
    plans.submit_plan(staff, plan)
    with pytest.raises(Conflict, match="Chỉ sửa được"):
        plans.update_plan(staff, plan, _province_plan(), plan.version)
    with pytest.raises(DomainError, match="ý kiến"):
        plans.return_plan(approver, plan, "   ")
    with pytest.raises(authz.Forbidden):
        plans.create_plan(_user(world, "viewer.tb"), _unit(world, "TB"), _province_plan())
    plans.approve_plan(approver, plan)
    with pytest.raises(Conflict):
        plans.approve_plan(approver, plan)
