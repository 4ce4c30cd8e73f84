"""Figures without identities (issue 15 item 10): indicators bound to records prefill a draft
from the unit's own incidents of its period, an officer's other number needs a reason the
approver sees, sending freezes the count; the retired free-text summary is read by the chain
of command only; a small incident count below the province reads "< 3" to who may not read
identities, totals stay exact."""

import re
from datetime import date

import pytest
from sqlalchemy import select, text

from lhpn.accounts.models import User
from lhpn.clock import utcnow
from lhpn.extensions import db
from lhpn.incidents.models import Incident, Victim
from lhpn.indicators import services as indicators
from lhpn.indicators.models import Indicator
from lhpn.reports import services as reports
from lhpn.reports.models import Report, ReportTemplate, ReportValue, TemplateItem
from lhpn.units.models import Unit
from tests.conftest import api_token, csrf_token, login
from tests.test_incidents import kind_id

SUMMARY = "Chị Nguyễn Thị Hoa, thôn Tân Hòa, bị chồng đánh."


def case(app, world, unit: str, occurred_on: date, victims: int = 1) -> int:
    """An incident of ``unit`` with its victims, written as the incident services store it."""
    with app.app_context():
        tb = world.tenants["TB"]
        incident = Incident(tenant_id=tb, unit_id=world.units[unit], kind_id=kind_id(app, tb),
                            occurred_on=occurred_on, created_at=utcnow())
        incident.victims = [Victim(tenant_id=tb, sex="female", is_child=False)
                            for _n in range(victims)]
        db.session.add(incident)
        db.session.commit()
        return incident.id


def user(world, name: str) -> User:
    return db.session.get(User, world.users[name])


def open_monthly(app, world, unit: str = "C11", period: str = "2026-11",
                 staff: str = "staff.c11") -> int:
    with app.app_context():
        template = reports.get_template(world.tenants["TB"], "BC_THANG")
        report = reports.open_report(user(world, staff), db.session.get(Unit, world.units[unit]),
                                     template, period)
        db.session.commit()
        return report.id


def as_user(app, name: str):
    client = app.test_client()
    assert login(client, name).status_code == 302
    return client


def value_input(html: str, code: str) -> str:
    match = re.search(rf'name="v-{code}"[^>]*value="([^"]*)"', html)
    assert match, code
    return match.group(1)


def save_form(app, client, report_id: int, values: dict, **extra):
    path = f"/reports/{report_id}/edit"
    with app.app_context():
        version = db.session.get(Report, report_id).version
    data = {"csrf_token": csrf_token(client, path), "version": str(version), "then": "save",
            "v-TUYEN_TRUYEN": "3"} | {f"v-{code}": v for code, v in values.items()} | extra
    return client.post(path, data=data)


def test_only_count_indicators_take_a_known_binding(ctx, world):
    admin = user(world, "tenant_admin.tb")
    tb = world.tenants["TB"]
    bound = indicators.indicator_by_code(tb, "BAO_LUC")
    assert (bound.binding, indicators.indicator_by_code(tb, "NAN_NHAN").binding) == (
        "incidents.cases", "incidents.victims")
    with pytest.raises(Exception, match="số đếm"):
        indicators.create_indicator(admin, tb, code="TIEN", name="Tiền", kind="decimal",
                                    aggregation="sum", binding="incidents.cases")
    with pytest.raises(Exception, match="Nguồn số liệu"):
        indicators.create_indicator(admin, tb, code="SO", name="Số", kind="count",
                                    aggregation="sum", binding="petitions.nothing")


def test_the_province_admin_binds_an_indicator_on_its_page(app, client, world):
    login(client, "tenant_admin.tb")
    with app.app_context():
        hoa_giai = indicators.indicator_by_code(world.tenants["TB"], "HOA_GIAI")
        path = f"/indicators/{hoa_giai.id}/edit"
    page = client.get(path).get_data(as_text=True)
    assert 'value="incidents.cases"' in page
    response = client.post(path, data={
        "csrf_token": csrf_token(client, path), "name": hoa_giai.name, "kind": "count",
        "aggregation": "sum", "unit_label": "vụ việc", "binding": "incidents.cases",
        "active": "y"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Indicator, hoa_giai.id).binding == "incidents.cases"
    assert as_user(app, "viewer.d1").get(path).status_code == 403


def test_a_draft_is_prefilled_from_the_units_own_incidents_of_its_month(app, people):
    first = case(app, people, "C11", date(2026, 11, 3), victims=2)
    last = case(app, people, "C11", date(2026, 11, 30))
    case(app, people, "C11", date(2026, 10, 31))    # another month
    case(app, people, "B111", date(2026, 11, 10))   # a branch of C11: its own figure
    report_id = open_monthly(app, people)
    page = as_user(app, "staff.c11").get(f"/reports/{report_id}/edit").get_data(as_text=True)
    assert (value_input(page, "BAO_LUC"), value_input(page, "NAN_NHAN")) == ("2", "3")
    assert "Theo hồ sơ của đơn vị trong kỳ: 2" in page
    # Over the API, the draft carries the records' counts.
    client = app.test_client()
    token = api_token(client, "staff.c11")
    answer = client.get(f"/api/v1/reports/{report_id}",
                        headers={"Authorization": f"Bearer {token}"}).get_json()
    # (other record kinds' bound indicators, DON_THU, DOI_THOAI…, count nothing here)
    incidents = {"BAO_LUC", "NAN_NHAN"}
    assert {k: v for k, v in answer["from_records"].items() if k in incidents} == {
        "BAO_LUC": {"count": 2, "overridden": False, "reason": "", "value": 2,
                    "record_ids": [first, last]},
        "NAN_NHAN": {"count": 3, "overridden": False, "reason": "", "value": 3,
                     "record_ids": [first, last]}}


def test_an_other_number_needs_a_reason_the_approver_sees(app, people):
    case(app, people, "C11", date(2026, 11, 3))
    report_id = open_monthly(app, people)
    staff = as_user(app, "staff.c11")
    refused = save_form(app, staff, report_id, {"BAO_LUC": "4", "NAN_NHAN": "1"})
    assert refused.status_code == 422
    assert "nhập số khác thì phải ghi lý do" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Report, report_id).values == []  # nothing saved
    saved = save_form(app, staff, report_id, {"BAO_LUC": "4", "NAN_NHAN": "1"},
                      **{"r-BAO_LUC": "3 vụ báo miệng, chưa ghi hồ sơ"})
    assert saved.status_code == 302
    with app.app_context():
        report = db.session.get(Report, report_id)
        rows = {row.indicator.code: row for row in report.values}
        assert (rows["BAO_LUC"].number, rows["BAO_LUC"].from_records,
                rows["BAO_LUC"].override_reason) == (4, 1, "3 vụ báo miệng, chưa ghi hồ sơ")
        assert (rows["NAN_NHAN"].number, rows["NAN_NHAN"].override_reason) == (1, None)
        reports.submit_report(user(people, "staff.c11"), report)
        db.session.commit()
    page = as_user(app, "approver.d1").get(f"/reports/{report_id}").get_data(as_text=True)
    assert "Hồ sơ của đơn vị ghi 1; báo cáo gửi 4. Lý do: 3 vụ báo miệng, chưa ghi hồ sơ" in page
    assert 'class="overridden" data-code="NAN_NHAN"' not in page


def test_sending_freezes_the_count_used(app, people):
    counted = case(app, people, "C11", date(2026, 11, 3))
    report_id = open_monthly(app, people)
    with app.app_context():
        report = db.session.get(Report, report_id)
        reports.save_report(user(people, "staff.c11"), report, {"TUYEN_TRUYEN": 2},
                            report.version)
        reports.submit_report(user(people, "staff.c11"), report)
        db.session.commit()
    case(app, people, "C11", date(2026, 11, 20), victims=3)  # recorded after sending
    with app.app_context():
        report = db.session.get(Report, report_id)
        # DON_THU is bound to petitions (lhpn/petitions): none, so 0 is sent too.
        assert reports.values_dict(report) == {"TUYEN_TRUYEN": 2, "BAO_LUC": 1,
                                               "NAN_NHAN": 1, "DON_THU": 0, "DOI_THOAI": 0,
                                               "GIAM_SAT": 0, "PHAN_BIEN": 0, "GOP_Y": 0}
        found = reports.from_records(report)
        assert (found["BAO_LUC"].count, found["NAN_NHAN"].count) == (1, 1)
    # Over the API: the value sent and the one record counted then, not the later one.
    client = app.test_client()
    token = api_token(client, "staff.c11")
    answer = client.get(f"/api/v1/reports/{report_id}",
                        headers={"Authorization": f"Bearer {token}"}).get_json()
    assert answer["from_records"]["BAO_LUC"] == {
        "count": 1, "overridden": False, "reason": "", "value": 1, "record_ids": [counted]}


def test_the_migration_binds_and_adds_both_items_to_an_existing_monthly_form(app, world):
    from flask_migrate import downgrade, upgrade

    with app.app_context():
        tb = world.tenants["TB"]
        monthly = db.session.scalar(select(ReportTemplate.id).where(
            ReportTemplate.tenant_id == tb, ReportTemplate.code == "BC_THANG"))
        rapid = db.session.scalar(select(ReportTemplate).where(
            ReportTemplate.tenant_id == tb, ReportTemplate.code == "BC_NHANH_VU_VIEC"))
        report = reports.open_report(user(world, "staff.d1"),
                                     db.session.get(Unit, world.units["D1"]), rapid, "VV-1")
        summary = indicators.indicator_by_code(tb, "TOM_TAT_VU_VIEC")
        db.session.add(ReportValue(report_id=report.id, indicator_id=summary.id, text=SUMMARY))
        db.session.commit()
        report_id, summary_id = report.id, summary.id
        db.session.remove()
        downgrade(revision="830b83dc0ea7")
        # A tenant made before the bindings: its monthly form without the incident items.
        bound = select(Indicator.id).where(Indicator.code.in_(("BAO_LUC", "NAN_NHAN")))
        db.session.execute(text(
            "DELETE FROM template_items WHERE template_id = :t AND indicator_id IN "
            "(SELECT id FROM indicators WHERE code IN ('BAO_LUC', 'NAN_NHAN'))"), {"t": monthly})
        db.session.commit()
        db.session.remove()
        upgrade()
        db.session.remove()
        items = db.session.scalars(select(TemplateItem).where(
            TemplateItem.template_id == monthly).order_by(TemplateItem.position)).all()
        assert [i.indicator.code for i in items][-2:] == ["BAO_LUC", "NAN_NHAN"]
        assert len({i.position for i in items}) == len(items)
        assert {i.indicator.binding for i in items[-2:]} == {"incidents.cases",
                                                             "incidents.victims"}
        assert db.session.scalars(bound.where(Indicator.binding.is_(None))).all() == []
        rapid_codes = db.session.scalars(
            select(Indicator.code).join(TemplateItem, TemplateItem.indicator_id == Indicator.id)
            .join(ReportTemplate, ReportTemplate.id == TemplateItem.template_id)
            .where(ReportTemplate.code == "BC_NHANH_VU_VIEC")).all()
        assert "TOM_TAT_VU_VIEC" not in rapid_codes
        kept = db.session.scalar(select(ReportValue.text).where(
            ReportValue.report_id == report_id, ReportValue.indicator_id == summary_id))
        assert kept == SUMMARY


def _rapid_report_with_summary(app, world) -> int:
    """A rapid report of D1 written before the summary was retired: its value is kept."""
    with app.app_context():
        tb = world.tenants["TB"]
        rapid = reports.get_template(tb, "BC_NHANH_VU_VIEC")
        assert "TOM_TAT_VU_VIEC" not in {i.indicator.code for i in rapid.items}
        staff = user(world, "staff.d1")
        report = reports.open_report(staff, db.session.get(Unit, world.units["D1"]), rapid, "VV-1")
        summary = indicators.indicator_by_code(tb, "TOM_TAT_VU_VIEC")
        db.session.add(ReportValue(report_id=report.id, indicator_id=summary.id, text=SUMMARY))
        db.session.flush()
        db.session.refresh(report)
        reports.save_report(staff, report, {"BAO_LUC": 1, "NAN_NHAN": 1}, report.version)
        reports.submit_report(staff, report)
        db.session.commit()
        assert reports.values_dict(report)["TOM_TAT_VU_VIEC"] == SUMMARY  # kept on saving
        return report.id


@pytest.mark.parametrize("name, reads", [("viewer.d1", False), ("approver.d1", True),
                                         ("approver.tb", True), ("viewer.tb", False)])
def test_the_retired_summary_is_read_by_the_chain_only(app, world, name, reads):
    report_id = _rapid_report_with_summary(app, world)
    page = as_user(app, name).get(f"/reports/{report_id}")
    assert page.status_code == 200
    assert (SUMMARY in page.get_data(as_text=True)) is reads
    client = app.test_client()
    token = api_token(client, name)
    answer = client.get(f"/api/v1/reports/{report_id}",
                        headers={"Authorization": f"Bearer {token}"}).get_json()
    assert ("TOM_TAT_VU_VIEC" in answer["values"]) is reads
    assert answer["values"]["BAO_LUC"] == 1


def _approved_month(app, world, unit: str, staff: str, approver: str) -> None:
    with app.app_context():
        report = db.session.get(Report, open_monthly(app, world, unit, staff=staff))
        reports.save_report(user(world, staff), report, {"TUYEN_TRUYEN": 1}, report.version)
        reports.submit_report(user(world, staff), report)
        reports.approve_report(user(world, approver), report)
        db.session.commit()


def _child_cells(html: str, unit_id: int) -> str:
    match = re.search(rf'<tr data-unit="{unit_id}">(.*?)</tr>', html, re.S)
    assert match
    return match.group(1)


@pytest.mark.parametrize("name, small", [("viewer.d1", True), ("approver.d1", False),
                                         ("protection.tb", False), ("viewer.tb", True)])
def test_a_small_incident_count_below_the_province_reads_under_three(app, people, name,
                                                                        small):
    case(app, people, "C11", date(2026, 11, 3), victims=2)
    case(app, people, "C12", date(2026, 11, 5))
    case(app, people, "C12", date(2026, 11, 6))
    case(app, people, "C12", date(2026, 11, 7))
    _approved_month(app, people, "C11", "staff.c11", "approver.d1")
    _approved_month(app, people, "C12", "staff.c12", "approver.d1")
    client = as_user(app, name)
    page = client.get(f"/units/{people.units['D1']}/consolidation?template=BC_THANG"
                      f"&period=2026-11").get_data(as_text=True)
    c11, c12 = _child_cells(page, people.units["C11"]), _child_cells(page, people.units["C12"])
    assert ("&lt; 3" in c11) is small
    assert "&lt; 3" not in c12  # three cases: exact
    total = re.search(r'<tr data-code="BAO_LUC">.*?class="num value">([^<]*)<', page, re.S)
    assert total and total.group(1) == "4"  # totals stay exact
    workbook = client.get(f"/units/{people.units['D1']}/consolidation.xlsx?template=BC_THANG"
                          f"&period=2026-11")
    assert workbook.status_code == 200
    from io import BytesIO

    from openpyxl import load_workbook
    sheet = load_workbook(BytesIO(workbook.data))["Đơn vị trực thuộc"]
    cells = [c.value for row in sheet.iter_rows() for c in row]
    assert ("< 3" in cells) is small
