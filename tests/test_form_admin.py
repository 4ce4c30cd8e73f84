"""The form (biểu mẫu) admin pages and their services: who may define forms, what is checked,
and that bad input changes nothing."""

from datetime import date

import pytest
from sqlalchemy import func, select

from lhpn.accounts.models import User
from lhpn.audit.models import AuditEntry
from lhpn.errors import Conflict, DomainError
from lhpn.extensions import db
from lhpn.reports import periods as P
from lhpn.reports import services as reports
from lhpn.reports import template_admin as admin
from lhpn.reports.models import ReportTemplate
from lhpn.tenants.models import Tenant
from lhpn.units.models import Unit
from tests import factories
from tests.conftest import csrf_token, login
from tests.test_authz_matrix import FORM_EDIT, _verdict

NEW_FORM = {
    "code": "BC_QUY_HOA_GIAI", "name": "Báo cáo quý về hòa giải", "period_type": "quarter",
    "levels": ["commune", "branch"], "due_day": "15", "due_months_after": "1", "cutoff_day": "",
    "active": "y",
    "items": "HOA_GIAI | Hòa giải | x\nDON_THU | Đơn thư\n tuyen_truyen |  | \n",
    "periods": "",
}


def _post(client, path: str, data: dict):
    return client.post(path, data={"csrf_token": csrf_token(client, "/account"), **data})


def _template(app, tenant_id: int, code: str) -> ReportTemplate | None:
    with app.app_context():
        template = db.session.scalar(select(ReportTemplate).where(
            ReportTemplate.tenant_id == tenant_id, ReportTemplate.code == code))
        if template is not None:
            template.items, template.periods  # noqa: B018 (load before the context ends)
        return template


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(ReportTemplate))


def test_the_list_shows_period_type_levels_and_due_rule(app, client, world):
    login(client, "tenant_admin.tb")
    html = client.get("/forms/").get_data(as_text=True)
    assert "Báo cáo kết quả hoạt động tháng" in html
    assert "ngày 20 của tháng sau kỳ" in html
    assert "ngày 15 của tháng sau kỳ" in html  # the 6-month report
    assert "Chuyên đề giám sát, phản biện xã hội năm" in html and "30/10/" in html
    assert "ngay khi phát sinh" in html
    assert "Huyện, Xã, Chi hội" in html


def test_creating_a_form_through_the_page(app, client, world):
    login(client, "tenant_admin.tb")
    assert 'name="levels"' in client.get("/forms/new").get_data(as_text=True)
    response = _post(client, "/forms/new", NEW_FORM)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    template = _template(app, world.tenants["TB"], "BC_QUY_HOA_GIAI")
    assert (template.period_type, template.levels, template.due_day,
            template.due_months_after, template.cutoff_day, template.active) == (
        "quarter", "commune,branch", 15, 1, None, True)
    assert [(i.indicator.code, i.group, i.required, i.position) for i in template.items] == [
        ("HOA_GIAI", "Hòa giải", True, 0), ("DON_THU", "Đơn thư", False, 1),
        ("TUYEN_TRUYEN", "", False, 2)]
    with app.app_context():
        found = reports.get_template(world.tenants["TB"], "BC_QUY_HOA_GIAI")
        assert P.period_of(found, "2026-Q1")[1] == date(2026, 4, 15)
        entry = db.session.scalar(select(AuditEntry).where(
            AuditEntry.action == "report_template.create"))
        assert entry.object_id == str(template.id) and entry.tenant_id == world.tenants["TB"]
    assert "ngày 15 của tháng sau kỳ" in client.get("/forms/").get_data(as_text=True)


def test_a_thematic_form_with_its_periods(app, client, world):
    login(client, "tenant_admin.tb")
    data = NEW_FORM | {"code": "BC_CD_8_3", "period_type": "thematic", "due_months_after": "0",
                       "periods": "CD-2026 | Chuyên đề 8/3 năm 2026 | 15/03/2026\n"
                                  "CD-2027 | Chuyên đề 8/3 năm 2027 | 15/03/2027"}
    assert _post(client, "/forms/new", data).status_code == 302
    template = _template(app, world.tenants["TB"], "BC_CD_8_3")
    assert [(p.code, p.label, p.due_date) for p in template.periods] == [
        ("CD-2026", "Chuyên đề 8/3 năm 2026", date(2026, 3, 15)),
        ("CD-2027", "Chuyên đề 8/3 năm 2027", date(2027, 3, 15))]
    with app.app_context():
        c11 = db.session.get(Unit, world.units["C11"])
        due = [d for d in reports.calendar_for(c11, 2026) if d.template.code == "BC_CD_8_3"]
        assert [(d.period, d.due_date) for d in due] == [("CD-2026", date(2026, 3, 15))]


@pytest.mark.parametrize(("changes", "status", "message"), [
    ({"code": "BC_THANG"}, 409, "Đã có biểu mẫu mã BC_THANG"),
    ({"code": "bc thang!"}, 422, "Mã biểu mẫu gồm"),
    ({"name": "  "}, 422, "Tên biểu mẫu không được trống"),
    ({"period_type": "week"}, 422, "Hãy chọn loại kỳ"),
    ({"levels": []}, 422, "Hãy chọn các cấp"),
    ({"levels": ["commune", "village"]}, 422, "Hãy chọn các cấp"),
    ({"due_day": "0"}, 422, "từ 1 đến 31"),
    ({"due_day": "32"}, 422, "từ 1 đến 31"),
    ({"due_day": "hai mươi"}, 422, "từ 1 đến 31"),
    ({"due_months_after": "4"}, 422, "từ 0 đến 3"),
    ({"cutoff_day": "29"}, 422, "từ 1 đến 28"),
    ({"cutoff_day": "15"}, 422, "chỉ dùng cho biểu mẫu tháng"),
    ({"items": "KHONG_CO | Nhóm | x"}, 422, "không có chỉ tiêu mã KHONG_CO"),
    ({"items": "HOA_GIAI\nHOA_GIAI"}, 422, "có hai lần"),
    ({"items": "HOA_GIAI | Nhóm | có"}, 422, "cột thứ ba"),
    ({"items": ""}, 422, "ít nhất một chỉ tiêu"),
    ({"periods": "CD | Chuyên đề | 30/10/2026"}, 422, "Chỉ biểu mẫu chuyên đề"),
    ({"period_type": "thematic"}, 422, "cần ít nhất một kỳ"),
    ({"period_type": "thematic", "periods": "CD | Chuyên đề | 31/02/2026"}, 422,
     "ngày/tháng/năm"),
    ({"period_type": "thematic", "periods": "CD | Chuyên đề"}, 422, "MÃ | tên kỳ"),
])
def test_bad_input_creates_nothing(app, client, world, changes, status, message):
    login(client, "tenant_admin.tb")
    before = _count(app)
    response = _post(client, "/forms/new", NEW_FORM | changes)
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert _count(app) == before


def test_an_inactive_indicator_cannot_be_added(app, world):
    with app.app_context():
        from lhpn.indicators.services import indicator_by_code

        indicator_by_code(world.tenants["TB"], "HOA_GIAI").active = False
        actor = db.session.get(User, world.users["tenant_admin.tb"])
        with pytest.raises(DomainError, match="ngừng dùng"):
            admin.create_template(actor, world.tenants["TB"], "BC_X", admin.TemplateInput(
                "X", "month", ["commune"], 20, 1, items=[("HOA_GIAI", "", True)]))
        db.session.rollback()


def test_editing_a_form(app, client, world):
    template = _template(app, world.tenants["TB"], "BC_THANG")
    login(client, "tenant_admin.tb")
    html = client.get(f"/forms/{template.id}/edit").get_data(as_text=True)
    assert "TUYEN_TRUYEN | Tuyên truyền, vận động | x" in html
    data = NEW_FORM | {"name": "Báo cáo tháng (mới)", "period_type": "month", "cutoff_day": "15",
                       "due_day": "25", "levels": ["district", "commune"],
                       "items": "HOA_GIAI | Pháp luật | x\nTUYEN_TRUYEN | Tuyên truyền |"}
    data.pop("code")
    response = _post(client, f"/forms/{template.id}/edit", data)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    changed = _template(app, world.tenants["TB"], "BC_THANG")
    assert (changed.name, changed.cutoff_day, changed.due_day, changed.levels) == (
        "Báo cáo tháng (mới)", 15, 25, "district,commune")
    assert [(i.indicator.code, i.group, i.required) for i in changed.items] == [
        ("HOA_GIAI", "Pháp luật", True), ("TUYEN_TRUYEN", "Tuyên truyền", False)]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "report_template.update")) == 1


def test_a_bad_edit_changes_nothing(app, client, world):
    template = _template(app, world.tenants["TB"], "BC_THANG")
    before = [(i.indicator.code, i.group, i.required) for i in template.items]
    login(client, "tenant_admin.tb")
    data = NEW_FORM | {"name": "Đổi tên", "period_type": "month",
                       "items": "HOA_GIAI | x | x\nKHONG_CO"}
    assert _post(client, f"/forms/{template.id}/edit", data).status_code == 422
    after = _template(app, world.tenants["TB"], "BC_THANG")
    assert after.name == template.name
    assert [(i.indicator.code, i.group, i.required) for i in after.items] == before


def test_a_used_form_keeps_its_period_type_and_used_periods(app, client, world):
    with app.app_context():
        tb = db.session.get(Tenant, world.tenants["TB"])
        c11 = db.session.get(Unit, world.units["C11"])
        staff = factories.user(tb, "staff.c11", "staff", c11)
        thematic = reports.get_template(tb.id, "BC_CHUYEN_DE_GSPB")
        reports.open_report(staff, c11, reports.get_template(tb.id, "BC_THANG"), "2026-03")
        reports.open_report(staff, c11, thematic, thematic.periods[0].code)
        db.session.commit()
        actor = db.session.get(User, world.users["tenant_admin.tb"])
        monthly = reports.get_template(tb.id, "BC_THANG")
        with pytest.raises(DomainError, match="không đổi được loại kỳ"):
            admin.update_template(actor, monthly, admin.TemplateInput(
                monthly.name, "quarter", ["commune"], 20, 1, items="HOA_GIAI"))
        db.session.rollback()
        thematic = reports.get_template(tb.id, "BC_CHUYEN_DE_GSPB")
        with pytest.raises(DomainError, match="đã có báo cáo, không bỏ được"):
            admin.update_template(actor, thematic, admin.TemplateInput(
                thematic.name, "thematic", ["commune"], 30, 0, items="GIAM_SAT",
                periods=[("KHAC", "Kỳ khác", "2026-11-30")]))
        db.session.rollback()


def test_duplicate_code_is_a_conflict_in_the_service(app, world):
    with app.app_context():
        actor = db.session.get(User, world.users["tenant_admin.hy"])
        # Codes are per tenant: HY may have its own BC_QUY but not a second BC_THANG.
        admin.create_template(actor, world.tenants["HY"], "bc_quy", admin.TemplateInput(
            "Quý", "quarter", ["commune"], 10, 1, items=[("HOA_GIAI", "Nhóm", True)]))
        with pytest.raises(Conflict):
            admin.create_template(actor, world.tenants["HY"], "BC_THANG", admin.TemplateInput(
                "Tháng", "month", ["commune"], 10, 1, items=[("HOA_GIAI", "", False)]))
        db.session.rollback()


EDIT_ACTORS = {"tenant_admin.tb": "allow", "tenant_admin.d1": "403", "approver.tb": "403",
               "staff.tb": "403", "viewer.tb": "403", "staff.d1": "403",
               "tenant_admin.hy": "404"}


@pytest.mark.parametrize(("actor", "want"), sorted(EDIT_ACTORS.items()))
def test_who_may_open_a_form(app, client, world, actor, want):
    template = _template(app, world.tenants["TB"], "BC_THANG")
    login(client, actor)
    token = csrf_token(client, "/account")
    for method, path in FORM_EDIT:
        url = path.replace("{form}", str(template.id))
        response = client.get(url) if method == "GET" else client.post(
            url, data={"csrf_token": token})
        assert _verdict(response) == want, (actor, method, url)
    if actor == "tenant_admin.hy":
        assert client.get("/forms/").status_code == 200  # its own tenant's forms
    assert client.get("/forms/999999/edit").status_code in (403, 404)


def test_on_behalf_setting_is_the_root_admins_and_takes_effect(app, client, world):
    from lhpn.tenants.models import Tenant
    from tests.conftest import csrf_token, login

    login(client, "tenant_admin.tb")
    token = csrf_token(client, "/forms/")
    assert client.post("/forms/settings", data={"csrf_token": token}).status_code == 302
    with app.app_context():
        assert db.session.get(Tenant, world.tenants["TB"]).allow_on_behalf is False
    client.post("/forms/settings", data={"csrf_token": token, "allow_on_behalf": "y"})
    with app.app_context():
        assert db.session.get(Tenant, world.tenants["TB"]).allow_on_behalf is True
    other = app.test_client()
    login(other, "tenant_admin.d1")
    response = other.post("/forms/settings", data={"csrf_token": csrf_token(other, "/account")})
    assert response.status_code == 403


def test_the_retired_incident_summary_cannot_be_put_back(app, client, world):
    """TOM_TAT_VU_VIEC (free text that named victims) was retired from the rapid report: the
    editor refuses it on that form and on any other, with the reason."""
    rapid = _template(app, world.tenants["TB"], "BC_NHANH_VU_VIEC")
    before = [i.indicator.code for i in rapid.items]
    login(client, "tenant_admin.tb")
    data = NEW_FORM | {"name": rapid.name, "period_type": "adhoc",
                       "items": admin_items(rapid) + "\nTOM_TAT_VU_VIEC | Tóm tắt |"}
    data.pop("code")
    response = _post(client, f"/forms/{rapid.id}/edit", data)
    assert response.status_code == 422
    assert "TOM_TAT_VU_VIEC đã bị bỏ" in response.get_data(as_text=True)
    assert [i.indicator.code for i in _template(app, world.tenants["TB"],
                                                 "BC_NHANH_VU_VIEC").items] == before
    with app.app_context():
        actor = db.session.get(User, world.users["tenant_admin.tb"])
        with pytest.raises(DomainError, match="thông tin nhận dạng nạn nhân"):
            admin.create_template(actor, world.tenants["TB"], "BC_X", admin.TemplateInput(
                "X", "adhoc", ["commune"], 20, 1, items=[("TOM_TAT_VU_VIEC", "", False)]))
        db.session.rollback()


def admin_items(template: ReportTemplate) -> str:
    return "\n".join(f"{i.indicator.code} | {i.group}" + (" | x" if i.required else "")
                     for i in template.items)
