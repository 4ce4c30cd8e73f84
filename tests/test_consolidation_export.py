"""A consolidation downloaded as Excel and as Word, parsed back: the hand-computed figures as
numbers, the children and the plan's targets, no formula out of a unit's name, the decree's
layout; who may download which unit's; a bad period; the audit entry."""

from io import BytesIO

import docx
import openpyxl
import pytest
from docx.oxml.ns import qn
from sqlalchemy import select

from lhpn.audit.models import AuditEntry
from lhpn.consolidation import services as consolidation
from lhpn.consolidation.export_views import XLSX_MIMETYPE, download_name
from lhpn.documents import vn_number
from lhpn.extensions import db
from lhpn.plans.export_views import DOCX_MIMETYPE
from lhpn.units.services import rename_unit
from tests import consolidation_world as kw
from tests import factories
from tests.conftest import login

QUERY = f"?template=BC_KT&period={kw.JAN}"
SHEETS = ["Tổng hợp", "Đơn vị trực thuộc", "Chỉ tiêu kế hoạch", "Tiến độ báo cáo"]
NAMES = dict((code, name) for code, name, _kind, _how in kw.INDICATORS)
EVIL = '=HYPERLINK("http://x")'
FONT = "Times New Roman"


@pytest.fixture
def kt(app):
    """The world with January filed and the province's plan issued; X2 renamed to a formula."""
    with app.app_context():
        kt = kw.build()
        kw.file_january(kt)
        kw.issue_plan(kt)
        rename_unit(None, kt.unit("X2"), EVIL)
        db.session.commit()
        return kt


def _counts(app, kt) -> tuple[int, int, int]:
    with app.app_context():
        counts = consolidation.consolidate(kt.unit("KT"), kt.template, [kw.JAN]).counts
        return counts.expected, counts.approved, counts.on_time


def _download(client, kt, extension: str):
    login(client, "kt.viewer")
    response = client.get(f"/units/{kt.units['KT']}/consolidation.{extension}{QUERY}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def _rows(ws) -> list[list]:
    """The data rows under the header (row 2), as values."""
    return [[cell.value for cell in row] for row in ws.iter_rows(min_row=3)]


def _header(ws) -> list[str]:
    return [cell.value for cell in ws[2]]


# ---- Excel ---------------------------------------------------------------------------------

@pytest.fixture
def workbook(client, kt):
    response = _download(client, kt, "xlsx")
    assert response.mimetype == XLSX_MIMETYPE
    return openpyxl.load_workbook(BytesIO(response.data))


def test_workbook_has_the_four_sheets_with_frozen_bold_headers(workbook):
    assert workbook.sheetnames == SHEETS
    for ws in workbook.worksheets:
        assert ws.freeze_panes == "A3"
        assert all(cell.font.bold for cell in ws[2] if cell.value)
        assert ws.column_dimensions["A"].width >= 10
    assert _header(workbook["Tổng hợp"]) == [
        "Nhóm", "Mã chỉ tiêu", "Chỉ tiêu", "Đơn vị tính", "Cách tổng hợp", "Kết quả",
        "Số báo cáo"]
    title = workbook["Tổng hợp"]["A1"].value
    assert "Báo cáo kiểm thử" in title and "Tháng 01/2027" in title
    assert "Hội LHPN tỉnh Kiểm Thử" in title


def test_figures_are_the_hand_computed_numbers(workbook):
    rows = {row[1]: row for row in _rows(workbook["Tổng hợp"])}
    assert list(rows) == [code for code, *_rest in kw.INDICATORS]
    for code, expected in kw.EXPECTED["KT"].items():
        group, _code, name, _label, _how, value, reports = rows[code]
        assert (group, name) == ("Chung", NAMES[code])
        assert value == expected, code
        if expected is None:
            assert value is None  # an empty cell, not "None"
        else:
            assert type(value) in (int, float), code
        assert type(reports) is int
    assert rows["SO_LUOT"][4] == "Cộng dồn"
    assert rows["SO_LUOT"][6] == 4  # X2's pending report is not counted
    assert rows["TY_LE"][3] == "%"
    ws = workbook["Tổng hợp"]
    cell = next(c for c in ws["F"] if c.value == 34.0)
    assert cell.data_type == "n" and "%" in cell.number_format


def test_children_rows_carry_counts_and_values(app, kt, workbook):
    ws = workbook["Đơn vị trực thuộc"]
    header = _header(ws)
    assert header[:7] == ["Đơn vị", "Cấp", "Phải nộp", "Đã duyệt", "Đúng hạn",
                          "Tỷ lệ đầy đủ (%)", "Tỷ lệ đúng hạn (%)"]
    numeric = [code for code, _name, kind, _how in kw.INDICATORS if kind != "text"]
    assert len(header) == 7 + len(numeric)
    rows = {row[0]: row for row in _rows(ws)}
    assert set(rows) == {"Hội LHPN xã An Bình", EVIL}
    x1, x2 = rows["Hội LHPN xã An Bình"], rows[EVIL]
    assert x1[1] == "Xã"
    assert x1[2:4] == [3, 3] and x2[2:4] == [2, 1]
    assert x1[5] == 100.0 and x2[5] == 50.0
    assert dict(zip(numeric, x1[7:], strict=True)) == {
        code: kw.EXPECTED["X1"][code] for code in numeric}
    assert dict(zip(numeric, x2[7:], strict=True)) == {
        code: kw.EXPECTED["X2"][code] for code in numeric}
    assert all(type(v) in (int, float) for v in x1[2:])


def test_a_unit_named_like_a_formula_stays_text(workbook):
    children = workbook["Đơn vị trực thuộc"]
    cell = next(c for c in children["A"] if c.value == EVIL)
    assert cell.data_type == "s" and cell.quotePrefix
    targets = workbook["Chỉ tiêu kế hoạch"]
    miss = next(c for c in targets["L"] if c.value == EVIL)
    assert miss.data_type == "s"
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            assert all(c.data_type != "f" for c in row)


def test_attainment_rows_follow_the_plan(workbook):
    ws = workbook["Chỉ tiêu kế hoạch"]
    # Annual targets against the year to date (January is the whole of it here).
    assert ws["A1"].value == "Chỉ tiêu năm so với số liệu Tháng 01/2027"
    assert _header(ws)[0] == "Kế hoạch"
    assert _header(ws)[-2:] == ["Hoàn thành", "Đơn vị chưa đạt"]
    rows = _rows(ws)
    # Each row names the counted plan it belongs to.
    assert {r[0] for r in rows} == {"Kế hoạch thực hiện nhiệm vụ năm 2027 (Hội LHPN tỉnh Kiểm "
                                    "Thử)"}
    assert [(r[1], r[3], r[5], r[6], r[7], r[8], r[9], r[10]) for r in rows] == [
        ("SO_LUOT", "Xã", 3, None, 2, 1, 50.0, "Chưa đạt"),
        ("SO_LUOT", "Chi hội", 50, 1, 3, 2, 66.7, "Đạt"),
        ("TY_LE", "Chi hội", 50, None, 3, 2, 66.7, "Chưa đạt"),
    ]
    # Each unit named with its parents (root left out): a province has many "thôn Tây".
    assert [r[11] for r in rows] == [EVIL, "Chi hội thôn Tây — xã An Bình",
                                     "Chi hội thôn Tây — xã An Bình"]


def test_units_sharing_a_name_are_told_apart(app, client):
    """Two communes each with a "Chi hội thôn Đông" missing the branch target, and one commune
    with two branches of that name: the workbook says which is which."""
    from decimal import Decimal

    from lhpn.indicators.services import indicator_by_code
    from lhpn.plans.models import Plan, PlanTarget
    from lhpn.units import services as units

    with app.app_context():
        kt = kw.build()
        x1, x2 = kt.unit("X1"), kt.unit("X2")
        units.rename_unit(None, kt.unit("X1A"), "Chi hội thôn Đông")
        units.rename_unit(None, kt.unit("X2A"), "Chi hội thôn Đông")
        twin = factories.unit(x1, "Chi hội thôn Đông", "branch", "X1D", kw.OPENED)
        db.session.add(Plan(tenant_id=kt.tenant_id, unit_id=kt.units["KT"], year=2027,
                            title="Kế hoạch năm 2027", status="approved", counted=True,
                            targets=[PlanTarget(position=0, level="branch", kind="count",
                                                indicator_id=indicator_by_code(
                                                    kt.tenant_id, "SO_LUOT").id,
                                                value=Decimal(1))]))
        db.session.commit()
        assert (x1.name, x2.name, twin.code) == ("Hội LHPN xã An Bình", "Hội LHPN xã Bình Minh",
                                                 "X1D")
    login(client, "kt.viewer")
    data = client.get(f"/units/{kt.units['KT']}/consolidation.xlsx{QUERY}").data
    workbook = openpyxl.load_workbook(BytesIO(data))
    (row,) = _rows(workbook["Chỉ tiêu kế hoạch"])
    assert row[11].split("; ") == [
        "Chi hội thôn Đông — xã An Bình (X1A)", "Chi hội thôn Đông — xã An Bình (X1D)",
        "Chi hội thôn Đông — xã Bình Minh", "Chi hội thôn Tây — xã An Bình"]
    # Drilled into xã An Bình: its two branches of the same name carry their codes.
    commune = client.get(f"/units/{kt.units['X1']}/consolidation.xlsx{QUERY}").data
    names = [r[0] for r in _rows(openpyxl.load_workbook(BytesIO(commune))["Đơn vị trực thuộc"])]
    assert sorted(names) == ["Chi hội thôn Tây", "Chi hội thôn Đông (X1A)",
                             "Chi hội thôn Đông (X1D)"]
    document = docx.Document(BytesIO(client.get(
        f"/units/{kt.units['KT']}/consolidation.docx{QUERY}").data))
    assert "Đơn vị chưa đạt chỉ tiêu 1: Chi hội thôn Đông — xã An Bình (X1A); " in "\n".join(
        _texts(document))


def test_progress_sheet_counts_the_units_reports(app, kt, workbook):
    expected, approved, on_time = _counts(app, kt)
    (row,) = _rows(workbook["Tiến độ báo cáo"])
    assert row[:2] == ["Hội LHPN tỉnh Kiểm Thử", "Tháng 01/2027"]
    assert row[2:5] == [expected, approved, on_time] and (expected, approved) == (5, 4)
    assert row[5] == 80.0


def test_download_headers_and_audit(app, client, kt):
    response = _download(client, kt, "xlsx")
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment; ")
    # Named by the form's name, never by its code (BC_KT).
    assert ('filename="Tong-hop-bao-cao-kiem-thu-Hoi-LHPN-tinh-Kiem-Thu-Thang-01-2027.xlsx"'
            in disposition)
    assert "filename*=UTF-8''T%E1%BB%95ng%20h%E1%BB%A3p%20b%C3%A1o%20c%C3%A1o" in disposition
    assert "BC_KT" not in disposition
    assert response.headers["Cache-Control"] == "no-store"
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "consolidation.export")).all()
        assert [(e.object_type, e.object_id, e.data["format"]) for e in entries] == [
            ("unit", str(kt.units["KT"]), "xlsx")]
        assert entries[0].actor_id == kt.users["kt.viewer"]
        assert "Báo cáo kiểm thử" in entries[0].summary and "Tháng 01/2027" in entries[0].summary


def test_download_name_has_no_path_characters():
    name = download_name("Báo cáo 1/2", 'Xã "A": B', "Quý I/2027", "docx")
    assert name == "Tổng hợp báo cáo 1 2 - Xã A B - Quý I-2027.docx"


# ---- Word ----------------------------------------------------------------------------------

@pytest.fixture
def document(client, kt):
    response = _download(client, kt, "docx")
    assert response.mimetype == DOCX_MIMETYPE
    return docx.Document(BytesIO(response.data))


def _texts(document) -> list[str]:
    return [p.text.strip() for p in document.paragraphs if p.text.strip()]


def _cells(table) -> list[list[str]]:
    return [[cell.text.strip() for cell in row.cells] for row in table.rows]


def test_vietnamese_numbers():
    assert vn_number(1234.5) == "1.234,5"
    assert vn_number(1234567) == "1.234.567"
    assert vn_number(1.25) == "1,25"
    assert vn_number(None) == ""


def test_report_has_the_decree_header_and_title(document):
    header = document.tables[0]
    (agency, motto), (number, place_date) = (row.cells for row in header.rows)
    assert [p.text for p in agency.paragraphs if p.text] == ["HỘI LHPN TỈNH KIỂM THỬ",
                                                             "BAN THƯỜNG VỤ"]
    assert [p.text for p in motto.paragraphs if p.text] == [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]
    assert number.text.startswith("Số:") and number.text.endswith("/BC-BTV")
    assert all(r.italic for r in place_date.paragraphs[0].runs)
    texts = _texts(document)
    kind = texts.index("BÁO CÁO")
    assert texts[kind + 1] == "Kết quả tổng hợp báo cáo kiểm thử tháng 01/2027"
    headings = ["I. TÌNH HÌNH BÁO CÁO", "II. KẾT QUẢ CÁC CHỈ TIÊU",
                "III. KẾT QUẢ THỰC HIỆN CHỈ TIÊU KẾ HOẠCH", "IV. SỐ LIỆU CÁC ĐƠN VỊ TRỰC THUỘC"]
    positions = [texts.index(h) for h in headings]
    assert positions == sorted(positions)
    reporting = texts[positions[0] + 1]
    assert "5 báo cáo phải nộp" in reporting and "đã duyệt 4 báo cáo, đạt 80%" in reporting
    assert document.core_properties.title == texts[kind + 1]


def test_times_new_roman_on_a4(document):
    normal = document.styles["Normal"]
    assert normal.font.name == FONT
    fonts = normal.element.rPr.find(qn("w:rFonts"))
    assert all(fonts.get(qn(f"w:{s}")) == FONT for s in ("ascii", "hAnsi", "eastAsia", "cs"))
    runs = [r for t in document.tables for row in t.rows for c in row.cells
            for p in c.paragraphs for r in p.runs] + [r for p in document.paragraphs
                                                       for r in p.runs]
    assert all((r.font.name or FONT) == FONT for r in runs)
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)


def test_values_table_in_vietnamese_number_format(document):
    table = document.tables[1]
    rows = _cells(table)
    assert rows[0] == ["STT", "Chỉ tiêu", "Đơn vị tính", "Kết quả"]
    assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    values = {row[1]: row[3] for row in rows[1:]}
    assert values == {NAMES["SO_LUOT"]: "10", NAMES["NHO_NHAT"]: "1,25",
                      NAMES["LON_NHAT"]: "7", NAMES["TY_LE"]: "34", NAMES["CO_KHONG"]: "50"}
    assert [row[0] for row in rows[1:]] == ["1", "2", "3", "4", "5"]


def test_targets_and_children_tables(document):
    targets = _cells(document.tables[2])
    assert targets[0] == ["STT", "Chỉ tiêu kế hoạch", "Số đơn vị đạt", "Tỷ lệ đạt", "Kết quả"]
    assert [row[2:] for row in targets[1:]] == [["1/2", "50%", "Chưa đạt"],
                                                ["2/3", "66,7%", "Đạt"],
                                                ["2/3", "66,7%", "Chưa đạt"]]
    assert targets[1][1].startswith("Mỗi Hội LHPN cấp xã đạt ít nhất 03")
    assert any(t.startswith("Đơn vị chưa đạt chỉ tiêu 1: " + EVIL) for t in _texts(document))
    progress = _cells(document.tables[3])
    assert progress[0][:3] == ["STT", "Đơn vị", "Phải nộp"]
    by_name = {row[1]: row for row in progress[1:]}
    assert by_name["Hội LHPN xã An Bình"][2:6] == ["3", "3", by_name["Hội LHPN xã An Bình"][4],
                                                  "100%"]
    assert by_name[EVIL][2:4] == ["2", "1"] and by_name[EVIL][5] == "50%"
    headline = _cells(document.tables[4])
    assert headline[0][2:] == [NAMES["SO_LUOT"], NAMES["NHO_NHAT"], NAMES["LON_NHAT"]]
    assert {row[1]: row[2:] for row in headline[1:]}["Hội LHPN xã An Bình"] == [
        "8", "1,25", "7"]


def test_recipients_and_signature_block(document):
    closing = document.tables[-1]
    left, right = closing.rows[0].cells
    lines = [p.text for p in left.paragraphs if p.text]
    assert lines[0] == "Nơi nhận:" and lines[-1] == "- Lưu: VT."
    assert [p.text for p in right.paragraphs if p.text] == ["TM. BAN THƯỜNG VỤ", "CHỦ TỊCH"]
    assert all(r.bold for p in right.paragraphs for r in p.runs)
    assert _texts(document)[-1].endswith("./.")


# ---- who may download, and bad input -------------------------------------------------------

@pytest.mark.parametrize("extension", ["xlsx", "docx"])
def test_export_needs_a_login(client, kt, extension):
    response = client.get(f"/units/{kt.units['KT']}/consolidation.{extension}{QUERY}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("extension", ["xlsx", "docx"])
def test_another_tenants_unit_is_not_found(app, client, kt, extension):
    with app.app_context():
        other = factories.tenant("KX", "Hội LHPN tỉnh Khác", "province,commune")
        from lhpn.units.services import root_of

        other_root = root_of(other.id).id
        db.session.commit()
    login(client, "kt.viewer")
    assert client.get(f"/units/{other_root}/consolidation.{extension}").status_code == 404
    assert client.get(f"/units/999999/consolidation.{extension}").status_code == 404


@pytest.mark.parametrize("extension", ["xlsx", "docx"])
def test_a_branch_may_not_export_the_province(app, client, kt, extension):
    login(client, "kt.staff.x1a")
    response = client.get(f"/units/{kt.units['KT']}/consolidation.{extension}{QUERY}")
    assert response.status_code == 403
    own = client.get(f"/units/{kt.units['X1A']}/consolidation.{extension}{QUERY}")
    assert own.status_code == 200
    with app.app_context():
        actors = db.session.scalars(select(AuditEntry.object_id).where(
            AuditEntry.action == "consolidation.export")).all()
        assert actors == [str(kt.units["X1A"])]


@pytest.mark.parametrize("extension", ["xlsx", "docx"])
def test_a_bad_period_is_refused_in_vietnamese(app, client, kt, extension):
    login(client, "kt.viewer")
    response = client.get(
        f"/units/{kt.units['KT']}/consolidation.{extension}?template=BC_KT&period=2027-13")
    assert response.status_code == 400
    assert "không phải một kỳ của biểu mẫu này" in response.get_data(as_text=True)
    unknown = client.get(f"/units/{kt.units['KT']}/consolidation.{extension}?template=NOPE")
    assert unknown.status_code == 404
    with app.app_context():
        assert db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "consolidation.export")).all() == []


def test_without_a_plan_and_over_a_range_of_periods(app, client):
    with app.app_context():
        kt = kw.build()
        kw.file_january(kt)
        kw.file(kt, "X1A", "2027-02", {"SO_LUOT": 4})
    login(client, "kt.viewer")
    query = "?template=BC_KT&from=2027-01&to=2027-02"
    response = client.get(f"/units/{kt.units['X1']}/consolidation.docx{query}")
    assert response.status_code == 200
    texts = _texts(docx.Document(BytesIO(response.data)))
    assert "Kết quả tổng hợp báo cáo kiểm thử từ tháng 01/2027 đến tháng 02/2027" in texts
    assert "III. SỐ LIỆU CÁC ĐƠN VỊ TRỰC THUỘC" in texts
    assert not any("KẾ HOẠCH" in t for t in texts)
    response = client.get(f"/units/{kt.units['X1']}/consolidation.xlsx{query}")
    workbook = openpyxl.load_workbook(BytesIO(response.data))
    assert _rows(workbook["Chỉ tiêu kế hoạch"]) == []
    figures = {row[1]: row[5] for row in _rows(workbook["Tổng hợp"])}
    assert figures["SO_LUOT"] == kw.EXPECTED["X1"]["SO_LUOT"] + 4


@pytest.mark.parametrize(("form", "periods", "expected"), [
    ("Báo cáo kết quả hoạt động tháng", ["2026-10"],
     "Kết quả tổng hợp báo cáo kết quả hoạt động tháng 10/2026"),
    ("Báo cáo công tác Hội", ["2026-10"], "Kết quả tổng hợp báo cáo công tác Hội tháng 10/2026"),
    ("Báo cáo kết quả hoạt động tháng", ["2026-01", "2026-03"],
     "Kết quả tổng hợp báo cáo kết quả hoạt động tháng từ tháng 01/2026 đến tháng 03/2026"),
])
def test_report_name_does_not_repeat_the_period_word(ctx, form, periods, expected):
    from types import SimpleNamespace

    from lhpn.consolidation.export import report_name
    from lhpn.reports.models import ReportTemplate

    template = ReportTemplate(code="BC_THANG", name=form, period_type="month")
    assert report_name(SimpleNamespace(template=template, periods=periods)) == expected
