"""Building blocks of a Word document in the format of Nghị định 30/2020/NĐ-CP: an A4 page in
Times New Roman, the issuing body and national motto header, the title, body paragraphs, grid
tables whose header row repeats, the recipients and signature block. The plan export
(lhpn/plans/export.py) and the consolidation export (lhpn/consolidation/export.py) assemble
their documents from these; the words themselves come from the callers."""

from collections.abc import Sequence
from datetime import datetime

from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from lhpn.numbers import format_number
from lhpn.text import xml_safe

FONT = "Times New Roman"

# Page and column geometry (A4; margins within the decree's ranges).
MARGINS_MM = {"top": 20, "bottom": 20, "left": 30, "right": 15}
TEXT_WIDTH_CM = 21.0 - (MARGINS_MM["left"] + MARGINS_MM["right"]) / 10
HEADER_COLUMNS_CM = (6.5, TEXT_WIDTH_CM - 6.5)
BODY_PT, TABLE_PT = 14, 12

# The elements that follow w:pBdr in w:pPr and w:tblBorders in w:tblPr (ECMA-376 order).
AFTER_PBDR = ("w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap",
              "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi",
              "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing",
              "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection",
              "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle",
              "w:rPr", "w:sectPr", "w:pPrChange")
AFTER_TBLBORDERS = ("w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook", "w:tblCaption",
                    "w:tblDescription", "w:tblPrChange")


def vn_number(value: int | float | None, *, places: int = 4) -> str:
    """A number the way a Vietnamese document writes it: 1.234,5 (empty for no value). Fixed
    to Vietnamese whatever the interface language: the document is Vietnamese."""
    return format_number(value, "vi_VN", places)


# ---- the page and its fixed parts -------------------------------------------------------------

def page_setup(doc: DocxDocument, *, title: str, subject: str, author: str,
               created: datetime) -> None:
    """A4 with the decree's margins, the page number from page 2 on, Times New Roman for every
    script and the document's properties."""
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(MARGINS_MM["top"]), Mm(MARGINS_MM["bottom"])
    section.left_margin, section.right_margin = Mm(MARGINS_MM["left"]), Mm(MARGINS_MM["right"])
    section.header_distance = section.footer_distance = Mm(10)
    # The page number stands centred in the top margin from the second page on.
    section.different_first_page_header_footer = True
    number = section.header.paragraphs[0]
    number.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _page_field(run(number, "", size=BODY_PT))

    # Times New Roman for every script: Word picks the East Asian font for some Vietnamese
    # characters, so w:eastAsia matters as much as w:ascii.
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    default_rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _fonts(default_rpr)
    _language(default_rpr)
    spacing = defaults.find(qn("w:pPrDefault")).find(qn("w:pPr")).find(qn("w:spacing"))
    spacing.set(qn("w:after"), "0")
    spacing.set(qn("w:line"), "240")
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(BODY_PT)
    rpr = normal.element.get_or_add_rPr()
    _fonts(rpr)
    _language(rpr)

    props = doc.core_properties
    props.title = xml_safe(title)
    props.subject = xml_safe(subject)
    props.author = props.last_modified_by = xml_safe(author)
    props.language = "vi-VN"
    props.comments = props.keywords = props.category = ""
    props.created = props.modified = created
    props.revision = 1


def header(doc: DocxDocument, agency: tuple[str, str], motto: tuple[str, str], number: str,
           place_date: str, summary: str = "") -> None:
    """The issuing body and its number on the left, the national motto and the place and date
    on the right, each block with a short rule under it. A letter (công văn) has no title: its
    ``summary`` ("V/v …", the trích yếu) stands under the number instead."""
    table = layout_table(doc, 2, HEADER_COLUMNS_CM)
    left, right = table.rows[0].cells
    line(left, agency[0], size=12, first=True)
    line(left, agency[1], size=12, bold=True)
    _rule(left, HEADER_COLUMNS_CM[0], 2.2)
    line(right, motto[0], size=12, bold=True, first=True)
    line(right, motto[1], size=13, bold=True)
    _rule(right, HEADER_COLUMNS_CM[1], 6.0)
    number_cell, place_date_cell = table.rows[1].cells
    line(number_cell, number, size=13, first=True).paragraph_format.space_before = Pt(6)
    if summary:
        line(number_cell, summary, size=12)
    dated = line(place_date_cell, place_date, size=14, italic=True, first=True)
    dated.paragraph_format.space_before = Pt(6)


def title(doc: DocxDocument, kind: str, name: str) -> None:
    """The kind of document ("KẾ HOẠCH", "BÁO CÁO") and what it is about, with a rule below."""
    first = paragraph(doc, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False, after=0, before=18)
    run(first, kind, size=14, bold=True)
    second = paragraph(doc, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False, after=0)
    run(second, name, size=14, bold=True)
    rule = paragraph(doc, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    _border(rule, "bottom")
    side = Cm((TEXT_WIDTH_CM - 3.0) / 2)
    rule.paragraph_format.left_indent = rule.paragraph_format.right_indent = side
    _tiny(rule)
    rule.paragraph_format.space_after = Pt(12)  # before the body


def section(doc: DocxDocument, heading: str) -> None:
    run(paragraph(doc, before=6, keep=True), heading, bold=True)


def closing(doc: DocxDocument, received_by: str, recipients: list[str],
            signature: tuple[str, ...]) -> None:
    """The recipients on the left; on the right the signature block: on behalf of, the signer's
    title, room for the signature and the seal, the signer's name (may be blank)."""
    if doc.paragraphs:  # the closing sentence goes over to the signature's page with it
        doc.paragraphs[-1].paragraph_format.keep_with_next = True
    paragraph(doc, indent=False, after=6, keep=True)
    half = TEXT_WIDTH_CM / 2
    table = layout_table(doc, 1, (half, half))
    # The signature block never breaks across pages (a name alone on the last page).
    table.rows[0]._tr.get_or_add_trPr().append(element("w:cantSplit"))
    left, right = table.rows[0].cells
    line(left, received_by, size=12, bold=True, italic=True, first=True,
         align=WD_ALIGN_PARAGRAPH.LEFT)
    for text in recipients:
        line(left, text, size=11, align=WD_ALIGN_PARAGRAPH.LEFT)
    *titles, name = signature
    for index, text in enumerate(titles):
        line(right, text, size=14, bold=True, first=index == 0)
    for _ in range(4):  # room for the signature and the seal
        line(right, "", size=14)
    line(right, name, size=14, bold=True)


def grid(doc: DocxDocument, columns: tuple[str, ...], widths: tuple[float, ...],
         rows: Sequence[tuple[str, ...]], *, centred: frozenset[int] = frozenset(),
         right: frozenset[int] = frozenset(), size: float = TABLE_PT) -> Table:
    """A bordered table: a bold header row that repeats on every page the table runs over, then
    one row per tuple; no row breaks across pages."""
    table = doc.add_table(rows=1, cols=len(columns))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _fixed_widths(table, widths)
    head = table.rows[0]
    head._tr.get_or_add_trPr().append(element("w:tblHeader"))
    for cell, text in zip(head.cells, columns, strict=True):
        padded(line(cell, text, size=size, bold=True, first=True))
    for values in rows:
        row = table.add_row()
        row._tr.get_or_add_trPr().append(element("w:cantSplit"))
        for index, (cell, text) in enumerate(zip(row.cells, values, strict=True)):
            cell.width = Cm(widths[index])
            align = (WD_ALIGN_PARAGRAPH.CENTER if index in centred else
                     WD_ALIGN_PARAGRAPH.RIGHT if index in right else WD_ALIGN_PARAGRAPH.LEFT)
            padded(line(cell, text, size=size, align=align, first=True))
    paragraph(doc, indent=False, after=0)
    return table


# ---- paragraph and table helpers --------------------------------------------------------------

def paragraph(container, *, align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent: bool = True,
              after: int = 6, before: int = 0, keep: bool = False) -> Paragraph:
    added = container.add_paragraph()
    fmt = added.paragraph_format
    fmt.alignment = align
    if indent:
        fmt.first_line_indent = Cm(1)
    fmt.space_before, fmt.space_after = Pt(before), Pt(after)
    fmt.line_spacing = 1.15
    if keep:
        fmt.keep_with_next = True
    return added


def run(container: Paragraph, text: str, *, size: float | None = None, bold: bool = False,
        italic: bool = False):
    """A run of text; characters a Word file cannot hold (from data stored before control
    characters were refused) are left out rather than failing the whole document."""
    added = container.add_run(xml_safe(text))
    _fonts(added._r.get_or_add_rPr())
    if size:
        added.font.size = Pt(size)
    if bold:
        added.bold = True
    if italic:
        added.italic = True
    return added


def line(cell: _Cell, text: str, *, size: float, bold: bool = False, italic: bool = False,
         align=WD_ALIGN_PARAGRAPH.CENTER, first: bool = False) -> Paragraph:
    """One line of a table cell; ``first`` fills the empty paragraph every new cell has."""
    added = cell.paragraphs[0] if first else cell.add_paragraph()
    added.paragraph_format.alignment = align
    added.paragraph_format.space_after = Pt(0)
    if text:
        run(added, text, size=size, bold=bold, italic=italic)
    else:
        added.paragraph_format.line_spacing = Pt(size * 1.15)
    return added


def padded(cell_paragraph: Paragraph) -> None:
    fmt = cell_paragraph.paragraph_format
    fmt.space_before = fmt.space_after = Pt(2)


def layout_table(doc: DocxDocument, rows: int, widths: tuple[float, ...]) -> Table:
    """A table that only places text side by side: no borders, fixed columns."""
    table = doc.add_table(rows=rows, cols=len(widths))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _fixed_widths(table, widths)
    borders = element("w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        borders.append(element(f"w:{side}", val="nil"))
    table._tbl.tblPr.insert_element_before(borders, *AFTER_TBLBORDERS)
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = Cm(width)
    return table


def element(tag: str, **attrs: str):
    created = OxmlElement(tag)
    for name, value in attrs.items():
        created.set(qn(f"w:{name}"), value)
    return created


def _rule(cell: _Cell, column_cm: float, length_cm: float) -> None:
    """A short centred line under a header block, drawn as a paragraph's bottom border."""
    added = cell.add_paragraph()
    side = Cm(max((column_cm - 0.4 - length_cm) / 2, 0))
    added.paragraph_format.left_indent = added.paragraph_format.right_indent = side
    _border(added, "bottom")
    _tiny(added)


def _tiny(rule: Paragraph) -> None:
    """A rule's paragraph takes only a few points of height."""
    fmt = rule.paragraph_format
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.line_spacing = Pt(2)
    fmt.first_line_indent = None


def _border(bordered: Paragraph, side: str) -> None:
    borders = element("w:pBdr")
    borders.append(element(f"w:{side}", val="single", sz="6", space="1", color="000000"))
    # Word refuses a file whose properties are out of schema order.
    bordered._p.get_or_add_pPr().insert_element_before(borders, *AFTER_PBDR)


def _fixed_widths(table: Table, widths: tuple[float, ...]) -> None:
    table.autofit = False  # w:tblLayout fixed
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Cm(width)
    for cell, width in zip(table.rows[0].cells, widths, strict=True):
        cell.width = Cm(width)


def _fonts(rpr) -> None:
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = element("w:rFonts")
        rpr.insert(0, fonts)
    for theme in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
        fonts.attrib.pop(qn(f"w:{theme}"), None)
    for script in ("ascii", "hAnsi", "eastAsia", "cs"):
        fonts.set(qn(f"w:{script}"), FONT)


def _language(rpr) -> None:
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = element("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "vi-VN")
    lang.set(qn("w:eastAsia"), "vi-VN")


def _page_field(number_run) -> None:
    begin = element("w:fldChar", fldCharType="begin")
    code = element("w:instrText")
    code.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    code.text = " PAGE "
    end = element("w:fldChar", fldCharType="end")
    for part in (begin, code, end):
        number_run._r.append(part)
