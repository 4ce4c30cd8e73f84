"""Control characters: refused in names and text on the pages, in the API and in imports (tab
and line breaks allowed in multi-line text), left out of Word and Excel files built from data
stored before the rule, and cleaned out of stored data by the migration."""

import io
from io import BytesIO

import docx
import openpyxl
import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text, update

from lhpn.errors import DomainError
from lhpn.extensions import db
from lhpn.indicators.models import Indicator
from lhpn.plans.models import Plan, PlanActivity
from lhpn.reports.models import Report, ReportValue
from lhpn.tenants.models import Tenant
from lhpn.text import clean_line, clean_text, xml_safe
from lhpn.units.imports_models import ImportBatch
from lhpn.units.models import Unit
from lhpn.workflow.models import WorkflowEvent
from tests import consolidation_world as kw
from tests.conftest import api_token, csrf_token, login
from tests.test_api import Caller
from tests.test_api_plans import province_plan
from tests.test_plan_pages import Browser
from tests.test_plan_pages import text as page_text

CONTROLS = ["\x04", "\x0b", "\x1b"]
NAME = "Hội LHPN xã {}Bình An"


def _unit_names(app) -> list[str]:
    with app.app_context():
        return sorted(db.session.scalars(select(Unit.name)))


# ---- the rule -----------------------------------------------------------------------------------

@pytest.mark.parametrize("char", [*CONTROLS, "\x00", "\t", "\n", "\r", "\x7f", "\x1f"])
def test_one_line_values_hold_no_control_character(ctx, char):
    with pytest.raises(DomainError) as refused:
        clean_line(f"Tên{char}đơn vị", "Tên đơn vị", "name")
    assert refused.value.field == "name"
    assert refused.value.message.startswith("Tên đơn vị chứa ký tự điều khiển không hợp lệ")
    assert f"U+{ord(char):04X}" in refused.value.message


def test_multi_line_text_keeps_tabs_and_line_breaks(ctx):
    assert clean_text(" a\tb\r\nc\rd ", "Kết quả") == "a\tb\nc\nd"
    assert clean_line("  Xã Bình An  ", "Tên") == "Xã Bình An"
    for char in CONTROLS:
        with pytest.raises(DomainError):
            clean_text(f"a{char}b", "Kết quả")


def test_what_xml_cannot_hold_is_left_out():
    assert xml_safe("a\x04\x0b\x1b\ufffe\ud800b\tc\nd") == "ab\tc\nd"
    assert xml_safe("Hội LHPN 🌸") == "Hội LHPN 🌸"


# ---- pages, API, imports ------------------------------------------------------------------------

@pytest.mark.parametrize("char", CONTROLS)
def test_a_unit_so_named_is_refused_on_the_page(app, world, char):
    admin = Browser(app, "tenant_admin.tb")
    before = _unit_names(app)
    response = admin.post(f"/units/{world.units['D1']}/new",
                          {"name": NAME.format(char), "level": "commune", "code": ""})
    assert response.status_code == 422
    assert "Tên đơn vị chứa ký tự điều khiển không hợp lệ" in page_text(response)
    rename = admin.post(f"/units/{world.units['C11']}/rename", {"name": NAME.format(char)},
                        follow_redirects=True)
    assert "Tên đơn vị chứa ký tự điều khiển không hợp lệ" in page_text(rename)
    assert _unit_names(app) == before


@pytest.mark.parametrize("char", CONTROLS)
def test_a_unit_so_named_is_refused_by_the_api(app, client, world, char):
    admin = Caller(client, api_token(client, "tenant_admin.tb"))
    before = _unit_names(app)
    created = admin.post("/units", {"name": NAME.format(char), "level": "commune",
                                    "parent_id": world.units["D1"]})
    renamed = admin.patch(f"/units/{world.units['C11']}", {"name": NAME.format(char)})
    for response in (created, renamed):
        assert response.status_code == 422
        error = response.get_json()["error"]
        assert error["field"] == "name" and "ký tự điều khiển" in error["message"]
    assert _unit_names(app) == before


def test_plans_reports_and_users_refuse_them_too(app, client, world):
    staff = Caller(client, api_token(client, "staff.tb"))
    for field, value in (("title", "Kế hoạch\x1b năm"), ("content", "1. Việc\x04 một"),
                         ("recipients", ["Lưu:\x0b VT."])):
        response = staff.post("/plans", province_plan(world, **{field: value}))
        assert response.status_code == 422, field
        assert response.get_json()["error"]["field"] == field
    tabs = staff.post("/plans", province_plan(world, content="1. Việc\tmột\r\n2. Việc hai"))
    assert tabs.status_code == 201
    assert tabs.get_json()["content"] == "1. Việc\tmột\n2. Việc hai"

    officer = Caller(client, api_token(client, "staff.d1"))
    report = officer.post("/reports", {"unit_id": world.units["D1"], "template": "BC_THANG",
                                       "period": "2026-01"}).get_json()
    response = officer.call("PUT", f"/reports/{report['id']}/values", {
        "values": {}, "version": report["version"],
        "narrative": {"results": "Đã làm\x1b[31m"}})
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == "results"
    assert "Kết quả chứa ký tự điều khiển" in response.get_json()["error"]["message"]

    admin = Caller(client, api_token(client, "tenant_admin.tb"))
    response = admin.post("/users", {"username": "new.person", "password": "Mat-khau-2026",
                                     "full_name": "Nguyễn\x04 Thị", "unit_id": world.units["TB"]})
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == "full_name"


def test_indicator_and_form_pages_refuse_them(app, world):
    admin = Browser(app, "tenant_admin.tb")
    response = admin.post("/indicators/new", {"code": "MOI", "name": "Chỉ tiêu\x1b mới",
                                              "kind": "count", "aggregation": "sum"})
    assert response.status_code == 422
    assert "Tên chỉ tiêu chứa ký tự điều khiển" in page_text(response)
    with app.app_context():
        assert db.session.scalar(select(Indicator.id).where(Indicator.code == "MOI")) is None


def test_an_imported_branch_so_named_is_an_error_row(app, client, world):
    login(client, "tenant_admin.tb")
    token = csrf_token(client, "/units/import/")
    data = "ma_don_vi_cap_tren,ten,ma,cap\nC11,Chi hội\x1b thôn Đông,,\nC11,Chi hội thôn Tây,,\n"
    response = client.post("/units/import/upload", data={
        "csrf_token": token, "file": (io.BytesIO(data.encode()), "ds.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    with app.app_context():
        batch = db.session.scalars(select(ImportBatch)).one()
        errors = {row["line"]: " ".join(row["errors"]) for row in batch.rows}
    assert "Tên đơn vị chứa ký tự điều khiển" in errors[2] and errors[3] == ""


# ---- exports of older data ---------------------------------------------------------------------

BAD = "Hội LHPN xã\x04 Bình\x0b Minh\x1b"
SHOWN = "Hội LHPN xã Bình Minh"


@pytest.fixture
def stored(app):
    """The consolidation world with X2 named (and a plan written) before the rule existed."""
    with app.app_context():
        kt = kw.build()
        kw.file_january(kt)
        plan = kw.issue_plan(kt)
        plan.content, plan.number = "## Nội\x04 dung\n\n- Việc\x1b một", "01/KH\x0b"
        db.session.add(PlanActivity(plan=plan, position=0, title="Hoạt động\x1b một",
                                    when_kind="year", lead="Ban\x04"))
        db.session.commit()
        db.session.execute(update(Unit).where(Unit.id == kt.units["X2"]).values(name=BAD))
        db.session.commit()
        return kt, plan.id


def _every_text(document) -> str:
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts += [cell.text for cell in row.cells]
    return "\n".join(parts)


def test_consolidation_exports_leave_control_characters_out(app, client, stored):
    kt, _plan_id = stored
    login(client, "kt.viewer")
    query = f"?template=BC_KT&period={kw.JAN}"
    for unit in ("KT", "X2"):
        xlsx = client.get(f"/units/{kt.units[unit]}/consolidation.xlsx{query}")
        assert xlsx.status_code == 200, unit
        workbook = openpyxl.load_workbook(BytesIO(xlsx.data))
        cells = [c.value for ws in workbook.worksheets for row in ws.iter_rows() for c in row
                 if isinstance(c.value, str)]
        assert any(SHOWN in value for value in cells), unit
        assert not any(BAD in value for value in cells)
        word = client.get(f"/units/{kt.units[unit]}/consolidation.docx{query}")
        assert word.status_code == 200, unit
        assert SHOWN in _every_text(docx.Document(BytesIO(word.data))), unit
    assert workbook.properties.creator == SHOWN


def test_a_plans_word_file_leaves_them_out(app, client, stored):
    _kt, plan_id = stored
    login(client, "kt.viewer")
    response = client.get(f"/plans/{plan_id}/export.docx")
    assert response.status_code == 200
    content = _every_text(docx.Document(BytesIO(response.data)))
    assert "Nội dung" in content and "Việc một" in content and "Hoạt động một" in content
    assert "01/KH" in content


# ---- the migration ------------------------------------------------------------------------------

def test_the_migration_cleans_stored_values(app):
    with app.app_context():
        kt = kw.build()
        filed = kw.file_january(kt)
        plan = kw.issue_plan(kt)
        report_id, plan_id = filed["X1"].id, plan.id
        x1, x2 = kt.units["X1"], kt.units["X2"]
        db.session.remove()
        downgrade(revision="6d4fa3b27369")
        db.session.execute(update(Unit).where(Unit.id == x1).values(name="Xã\x04 An\x0bBình",
                                                                  code="X2\x1b"))
        db.session.execute(update(Unit).where(Unit.id == x2).values(name="\x1b\x04"))
        db.session.execute(update(Tenant).where(Tenant.id == kt.tenant_id)
                           .values(name="Hội LHPN tỉnh\x1b Kiểm Thử"))
        db.session.execute(update(Plan).where(Plan.id == plan_id).values(
            title="Kế hoạch\x0b 2027", content="1. Việc\x04\tmột\r\n2. Việc\x0bhai"))
        db.session.execute(update(Report).where(Report.id == report_id).values(
            results="Đã làm\x1b[0m xong\nhết"))
        db.session.execute(update(ReportValue).where(ReportValue.report_id == report_id,
                                                     ReportValue.text.is_not(None))
                           .values(text="ghi\x07 chú"))
        db.session.execute(text("UPDATE indicators SET name = 'Số lượt\x1f hội viên' "
                                "WHERE code = 'SO_LUOT'"))
        db.session.execute(update(WorkflowEvent).values(comment="ok\x08"))
        db.session.commit()
        db.session.remove()

        upgrade()

        units = {u.id: u for u in db.session.scalars(select(Unit))}
        assert units[x1].name == "Xã An Bình" and units[x1].search_name == "xa an binh"
        assert units[x1].code == f"X2-{x1}"  # "X2" is already X2's code
        assert units[x2].name == "?"
        assert db.session.get(Tenant, kt.tenant_id).name == "Hội LHPN tỉnh Kiểm Thử"
        plan = db.session.get(Plan, plan_id)
        assert plan.title == "Kế hoạch 2027"
        assert plan.content == "1. Việc\tmột\r\n2. Việc\nhai"
        report = db.session.get(Report, report_id)
        assert report.results == "Đã làm[0m xong\nhết"
        assert {v.text for v in report.values if v.text} == {"ghi chú"}
        assert db.session.scalar(select(Indicator.name).where(
            Indicator.code == "SO_LUOT", Indicator.tenant_id == kt.tenant_id)) == \
            "Số lượt hội viên"
        assert set(db.session.scalars(select(WorkflowEvent.comment))) == {"ok"}
