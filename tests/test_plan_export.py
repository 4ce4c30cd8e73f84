"""The official document: the seed-003 plan exported to .docx, parsed back with python-docx, and
the printable page; who may export which plan."""

import re
from io import BytesIO

import docx
import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from sqlalchemy import select

from lhpn.accounts.models import User
from lhpn.audit.models import AuditEntry
from lhpn.extensions import db
from lhpn.plans.export import plan_docx
from lhpn.plans.export_views import DOCX_MIMETYPE, ascii_name, download_name
from lhpn.plans.services import create_plan, get_plan
from lhpn.units.models import Unit
from tests.conftest import login
from tests.fixtures import plan_seed_003 as seed

SECTIONS = ["I. MỤC ĐÍCH, YÊU CẦU", "II. CHỈ TIÊU", "III. NỘI DUNG HOẠT ĐỘNG",
            "IV. TỔ CHỨC THỰC HIỆN"]
FONT = "Times New Roman"


def _seed_plan(world) -> int:
    staff = db.session.get(User, world.users["staff.tb"])
    plan = create_plan(staff, db.session.get(Unit, world.units["TB"]), seed.plan_input())
    db.session.commit()
    return plan.id


@pytest.fixture
def plan_id(app, world) -> int:
    with app.app_context():
        return _seed_plan(world)


@pytest.fixture
def document(app, world, plan_id):
    with app.app_context():
        data = plan_docx(get_plan(world.tenants["TB"], plan_id))
    return docx.Document(BytesIO(data))


def _lines(cell) -> list[str]:
    return [p.text.strip() for p in cell.paragraphs if p.text.strip()]


def _paragraph(document, text):
    return next(p for p in document.paragraphs if p.text.strip() == text)


def _body_texts(document) -> list[str]:
    return [p.text.strip() for p in document.paragraphs if p.text.strip()]


def _all_paragraphs(document):
    yield from document.paragraphs
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                yield from cell.paragraphs
    for section in document.sections:
        yield from section.header.paragraphs


# ---- the .docx -----------------------------------------------------------------------------

def test_header_has_the_agency_left_and_the_national_motto_right(document):
    header = document.tables[0]
    assert len(header.columns) == 2
    (agency, motto), (number, place_date) = (row.cells for row in header.rows)
    assert _lines(agency) == ["HỘI LHPN TỈNH THÁI BÌNH", "BAN THƯỜNG VỤ"]
    assert _lines(motto) == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]
    assert all(r.bold for p in motto.paragraphs for r in p.runs)
    assert all(r.bold for r in agency.paragraphs[1].runs)
    # A short rule under the issuing body and under the motto (a paragraph's bottom border).
    assert agency.paragraphs[2]._p.find(f"{qn('w:pPr')}/{qn('w:pBdr')}/{qn('w:bottom')}") \
        is not None
    assert motto.paragraphs[2]._p.find(f"{qn('w:pPr')}/{qn('w:pBdr')}") is not None
    assert _lines(number) == ["Số: 460/KH-BTV"]
    assert _lines(place_date) == ["Phú Yên, ngày 20 tháng 01 năm 2021"]
    assert all(r.italic for r in place_date.paragraphs[0].runs)
    # Borderless: a layout table, not a grid.
    borders = header._tbl.tblPr.find(qn("w:tblBorders"))
    assert {b.get(qn("w:val")) for b in borders} == {"nil"}


def test_title_then_basis_then_the_four_sections_in_order(document):
    kind = _paragraph(document, "KẾ HOẠCH")
    assert kind.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert all(r.bold for r in kind.runs)
    title = _paragraph(document, seed.TITLE)
    assert title.alignment == WD_ALIGN_PARAGRAPH.CENTER and all(r.bold for r in title.runs)
    texts = _body_texts(document)
    assert texts.index("KẾ HOẠCH") + 1 == texts.index(seed.TITLE)
    assert texts[texts.index(seed.TITLE) + 1].startswith("Căn cứ Kế hoạch số 868/KH-ĐCT")
    positions = [texts.index(heading) for heading in SECTIONS]
    assert positions == sorted(positions)
    for heading in SECTIONS:
        assert all(r.bold for r in _paragraph(document, heading).runs)


def test_sections_keep_the_seeds_numbering(document):
    texts = _body_texts(document)
    purpose = texts[texts.index(SECTIONS[0]) + 1:texts.index(SECTIONS[1])]
    assert [t[:3] for t in purpose] == ["1. ", "2. ", "3. "]
    content = texts[texts.index(SECTIONS[2]) + 1:texts.index(SECTIONS[3])]
    parts = [t for t in content if re.match(r"\d\. ", t)]
    assert [p[:2] for p in parts] == ["1.", "2.", "3.", "4.", "5."]
    assert all(r.bold for r in _paragraph(document, parts[0]).runs)
    assert sum(t.startswith("- ") for t in content) >= 10
    assert [t for t in content if t.startswith("+ ")][0].startswith("+ Nghị quyết 25-NQ/TW")
    body = next(p for p in document.paragraphs if p.text.startswith("- Cùng các cơ quan"))
    assert body.alignment == WD_ALIGN_PARAGRAPH.JUSTIFY
    assert body.paragraph_format.first_line_indent.cm == pytest.approx(1.0, abs=0.01)
    organisation = texts[texts.index(SECTIONS[3]) + 1:]
    assert organisation[0] == "1. Hội LHPN tỉnh"
    assert "2. Hội LHPN các huyện, thị xã, thành phố" in organisation
    assert organisation[-1].startswith("Trên đây là Kế hoạch")


def test_targets_are_numbered_sentences_with_their_values(document):
    texts = _body_texts(document)
    targets = texts[texts.index(SECTIONS[1]) + 1:texts.index(SECTIONS[2])]
    assert len(targets) == len(seed.TARGETS)
    assert [t.split(" ", 1)[0] for t in targets] == [f"{i}." for i in range(1, 10)]
    assert targets[0] == ("1. Hội LHPN tỉnh Thái Bình đạt ít nhất 01 chính sách (số chính sách, "
                          "chương trình được giám sát); Hội LHPN tỉnh chủ trì đoàn giám sát.")
    assert targets[1].startswith("2. 100% Hội LHPN cấp huyện đạt ít nhất 01 chính sách")
    assert "Ủy ban MTTQ cùng cấp" in targets[1]
    assert targets[6].startswith("7. Mỗi Hội LHPN cấp xã đạt ít nhất 12 báo cáo")
    assert targets[8].startswith("9. Phấn đấu từ 90% trở lên hội viên được học tập")
    assert all(t.endswith(".") for t in targets)


def test_activities_table_has_the_header_row_and_one_row_per_activity(document):
    table = document.tables[1]
    rows = [[cell.text.strip() for cell in row.cells] for row in table.rows]
    assert rows[0] == ["TT", "Nội dung", "Thời gian", "Chủ trì", "Phối hợp", "Kinh phí"]
    assert len(rows) == 1 + len(seed.ACTIVITIES)
    assert [r[0] for r in rows[1:]] == ["1", "2", "3", "4", "5"]
    assert [r[2] for r in rows[1:]] == ["Quý III", "Quý II", "Tháng 3", "15/11–15/12/2021",
                                        "Cả năm"]
    assert rows[1][1] == seed.ACTIVITIES[0].title
    assert rows[1][3:] == ["Ban Tuyên giáo", "Ủy ban MTTQ tỉnh; Sở Tư pháp", "Ngân sách Hội"]
    # The header row repeats on each page the table runs over.
    assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    # The table sits in section III, before the heading of IV.
    body = document.element.body
    order = [child for child in body if child.tag in (qn("w:p"), qn("w:tbl"))]
    heading_iv = _paragraph(document, SECTIONS[3])._p
    assert order.index(table._tbl) < order.index(heading_iv)
    assert order.index(_paragraph(document, SECTIONS[2])._p) < order.index(table._tbl)


def test_closing_has_the_recipients_left_and_the_signature_right(document):
    closing = document.tables[-1]
    assert len(closing.columns) == 2
    left, right = closing.rows[0].cells
    lines = _lines(left)
    assert lines[0] == "Nơi nhận:"
    assert all(r.bold and r.italic for r in left.paragraphs[0].runs)
    assert lines[1:] == [f"- {name};" for name in seed.RECIPIENTS[:-1]] + [
        f"- {seed.RECIPIENTS[-1]}."]
    assert _lines(right) == ["TM. BAN THƯỜNG VỤ", "PHÓ CHỦ TỊCH", seed.SIGNER_NAME]
    assert all(p.alignment == WD_ALIGN_PARAGRAPH.CENTER for p in right.paragraphs)
    assert all(r.bold for p in right.paragraphs for r in p.runs)
    blank = [p for p in right.paragraphs if not p.text.strip()]
    assert len(blank) >= 3  # room for the signature
    assert closing.rows[0]._tr.trPr.find(qn("w:cantSplit")) is not None


def test_times_new_roman_everywhere_on_an_a4_page(document):
    normal = document.styles["Normal"]
    assert normal.font.name == FONT
    assert 13 <= normal.font.size.pt <= 14
    fonts = normal.element.rPr.find(qn("w:rFonts"))
    for script in ("ascii", "hAnsi", "eastAsia", "cs"):
        assert fonts.get(qn(f"w:{script}")) == FONT
    runs = [r for p in _all_paragraphs(document) for r in p.runs]
    assert len(runs) > 100
    for run in runs:
        assert run.style.font.name in (None, FONT)
        assert (run.font.name or FONT) == FONT, run.text
        east_asian = run._r.rPr.find(qn("w:rFonts")) if run._r.rPr is not None else None
        if east_asian is not None and east_asian.get(qn("w:eastAsia")):
            assert east_asian.get(qn("w:eastAsia")) == FONT
    assert {p.style.name for p in document.paragraphs} == {"Normal"}

    section = document.sections[0]
    mm = {name: round(getattr(section, name).mm, 1)  # stored in twips: 15 mm reads 14.99
          for name in ("page_width", "page_height", "top_margin", "bottom_margin",
                       "left_margin", "right_margin")}
    assert (mm["page_width"], mm["page_height"]) == (210, 297)  # A4
    assert 20 <= mm["top_margin"] <= 25 and 20 <= mm["bottom_margin"] <= 25
    assert 30 <= mm["left_margin"] <= 35 and 15 <= mm["right_margin"] <= 20


def test_core_properties_name_the_plan_and_the_unit(document):
    props = document.core_properties
    assert props.title == seed.TITLE
    assert props.author == "Hội LHPN tỉnh Thái Bình"


def test_a_commune_plan_names_its_parent_and_leaves_the_blanks_of_a_draft(ctx, world):
    from lhpn.tenants.models import Tenant
    from tests import factories

    commune = db.session.get(Unit, world.units["C11"])
    staff = factories.user(db.session.get(Tenant, world.tenants["TB"]), "staff.c11", "staff",
                           commune)
    data = seed.plan_input()
    data.number, data.plan_date, data.place, data.targets = "", None, "Tân Lễ", []
    plan = create_plan(staff, commune, data)
    header = docx.Document(BytesIO(plan_docx(plan))).tables[0]
    (agency, _motto), (number, place_date) = (row.cells for row in header.rows)
    assert _lines(agency) == ["HỘI LHPN HUYỆN HƯNG HÀ", "BAN THƯỜNG VỤ HỘI LHPN XÃ TÂN LỄ"]
    assert re.fullmatch(r"Số:\s+/KH-BTV", _lines(number)[0])
    assert re.fullmatch(r"Tân Lễ, ngày\s+tháng\s+năm 2021", _lines(place_date)[0])


def test_download_names():
    class Named:
        number, title = "460/KH-BTV", "Giám sát, phản biện xã hội: năm 2021"

    name = download_name(Named())
    assert name == "Kế hoạch 460-KH-BTV - Giám sát, phản biện xã hội năm 2021.docx"
    assert ascii_name(name) == "Ke-hoach-460-KH-BTV-Giam-sat-phan-bien-xa-hoi-nam-2021.docx"
    assert ascii_name("Đường đến.docx") == "Duong-den.docx"


# ---- the pages -----------------------------------------------------------------------------

def test_print_page_has_the_same_structure_and_obeys_the_csp(app, client, world, plan_id):
    login(client, "staff.tb")
    response = client.get(f"/plans/{plan_id}/print")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    positions = [html.index(heading) for heading in SECTIONS]
    assert positions == sorted(positions)
    for text in ("HỘI LHPN TỈNH THÁI BÌNH", "BAN THƯỜNG VỤ", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                 "Số: 460/KH-BTV", "Phú Yên, ngày 20 tháng 01 năm 2021", "KẾ HOẠCH",
                 "Nơi nhận:", "TM. BAN THƯỜNG VỤ", "PHÓ CHỦ TỊCH", seed.SIGNER_NAME,
                 "<strong>khâu đột phá</strong>", "15/11–15/12/2021",
                 "2. 100% Hội LHPN cấp huyện đạt ít nhất 01 chính sách"):
        assert text in html, text
    assert html.count("<tr>") == 1 + len(seed.ACTIVITIES)
    # CSP: no inline script, style or handler; the stylesheet and the script are files.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert "style=" not in html and "<style" not in html
    assert not re.search(r"\son[a-z]+=", html)
    assert 'href="/static/print.css"' in html and 'src="/static/print.js"' in html
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert f'href="/plans/{plan_id}/export.docx"' in html


def test_docx_download_is_a_word_file_with_both_filenames(app, client, world, plan_id):
    login(client, "viewer.tb")
    response = client.get(f"/plans/{plan_id}/export.docx")
    assert response.status_code == 200
    assert response.mimetype == DOCX_MIMETYPE
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment; ")
    assert 'filename="Ke-hoach-460-KH-BTV-Tham-gia-xay-dung-Dang' in disposition
    assert "filename*=UTF-8''K%E1%BA%BF%20ho%E1%BA%A1ch%20460-KH-BTV" in disposition
    document = docx.Document(BytesIO(response.data))
    assert "KẾ HOẠCH" in _body_texts(document)
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "plan.export")).all()
        assert [(e.object_id, e.data["format"]) for e in entries] == [(str(plan_id), "docx")]
        assert entries[0].actor_id == world.users["viewer.tb"]


@pytest.mark.parametrize("path", ["/plans/{id}/print", "/plans/{id}/export.docx"])
@pytest.mark.parametrize(("username", "status"), [
    ("staff.hy", 404),    # another tenant's plan is not there at all
    ("viewer.d1", 403),   # a district's viewer cannot see the province's plan
    ("approver.tb", 200),
])
def test_who_may_export(app, client, world, plan_id, path, username, status):
    login(client, username)
    response = client.get(path.format(id=plan_id))
    assert response.status_code == status
    with app.app_context():
        exported = db.session.scalars(select(AuditEntry.actor_id).where(
            AuditEntry.action == "plan.export")).all()
        assert exported == ([world.users[username]] if status == 200 else [])


def test_export_needs_a_login(client, world, plan_id):
    for path in (f"/plans/{plan_id}/print", f"/plans/{plan_id}/export.docx"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_unknown_plan_is_not_found(client, world):
    login(client, "staff.tb")
    assert client.get("/plans/999999/print").status_code == 404
    assert client.get("/plans/999999/export.docx").status_code == 404
