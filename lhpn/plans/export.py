"""A plan as a Word file in the format of Nghị định 30/2020/NĐ-CP: A4, Times New Roman, the
agency and national motto header, the plan's numbering, the recipients and signature block.
The words come from lhpn/plans/wording.py, shared with the printable page."""

from io import BytesIO

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from lhpn.clock import utcnow
from lhpn.plans.models import Plan
from lhpn.plans.wording import (
    ACTIVITY_COLUMNS,
    DOC_KIND,
    MOTTO,
    RECEIVED_BY,
    SECTIONS,
    Wording,
    wording,
)
from lhpn.richtext import blocks

FONT = "Times New Roman"

# Page and column geometry (A4; margins within the decree's ranges).
MARGINS_MM = {"top": 20, "bottom": 20, "left": 30, "right": 15}
TEXT_WIDTH_CM = 21.0 - (MARGINS_MM["left"] + MARGINS_MM["right"]) / 10
HEADER_COLUMNS_CM = (6.5, TEXT_WIDTH_CM - 6.5)
ACTIVITY_COLUMNS_CM = (1.0, 5.2, 2.4, 2.5, 3.0, TEXT_WIDTH_CM - 14.1)
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


# ---- the Word document ------------------------------------------------------------------------

def plan_docx(plan: Plan) -> bytes:
    words = wording(plan)
    doc = Document()
    _page_and_fonts(doc, plan)
    _header(doc, words)
    _title(doc, plan.title)
    _markdown(doc, plan.basis)
    _section(doc, SECTIONS[0])
    _markdown(doc, plan.purpose)
    _section(doc, SECTIONS[1])
    for sentence in words.targets:
        _run(_paragraph(doc), sentence)
    _section(doc, SECTIONS[2])
    _markdown(doc, plan.content)
    if words.activities:
        _activities(doc, words.activities)
    _section(doc, SECTIONS[3])
    _markdown(doc, plan.organisation)
    _closing(doc, words)
    out = BytesIO()
    doc.save(out)
    return out.getvalue()


def _page_and_fonts(doc: DocxDocument, plan: Plan) -> None:
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(MARGINS_MM["top"]), Mm(MARGINS_MM["bottom"])
    section.left_margin, section.right_margin = Mm(MARGINS_MM["left"]), Mm(MARGINS_MM["right"])
    section.header_distance = section.footer_distance = Mm(10)
    # The page number stands centred in the top margin from the second page on.
    section.different_first_page_header_footer = True
    number = section.header.paragraphs[0]
    number.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _page_field(_run(number, "", size=BODY_PT))

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
    props.title = plan.title
    props.subject = f"{DOC_KIND} {plan.number}".strip()
    props.author = props.last_modified_by = plan.unit.name
    props.language = "vi-VN"
    props.comments = props.keywords = props.category = ""
    props.created = props.modified = utcnow()
    props.revision = 1


def _header(doc: DocxDocument, words: Wording) -> None:
    table = _layout_table(doc, 2, HEADER_COLUMNS_CM)
    left, right = table.rows[0].cells
    _line(left, words.agency[0], size=12, first=True)
    _line(left, words.agency[1], size=12, bold=True)
    _rule(left, HEADER_COLUMNS_CM[0], 2.2)
    _line(right, MOTTO[0], size=12, bold=True, first=True)
    _line(right, MOTTO[1], size=13, bold=True)
    _rule(right, HEADER_COLUMNS_CM[1], 6.0)
    number, place_date = table.rows[1].cells
    _line(number, words.number, size=13, first=True).paragraph_format.space_before = Pt(6)
    dated = _line(place_date, words.place_date, size=14, italic=True, first=True)
    dated.paragraph_format.space_before = Pt(6)


def _title(doc: DocxDocument, title: str) -> None:
    kind = _paragraph(doc, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False, after=0, before=18)
    _run(kind, DOC_KIND, size=14, bold=True)
    name = _paragraph(doc, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False, after=0)
    _run(name, title, size=14, bold=True)
    rule = _paragraph(doc, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    _border(rule, "bottom")
    side = Cm((TEXT_WIDTH_CM - 3.0) / 2)
    rule.paragraph_format.left_indent = rule.paragraph_format.right_indent = side
    _tiny(rule)
    rule.paragraph_format.space_after = Pt(12)  # before the basis


def _section(doc: DocxDocument, heading: str) -> None:
    paragraph = _paragraph(doc, before=6, keep=True)
    _run(paragraph, heading, bold=True)


def _markdown(doc: DocxDocument, source: str) -> None:
    for block in blocks(source):
        heading = block.kind == "heading"
        paragraph = _paragraph(doc, keep=heading)
        if block.level and not heading:
            paragraph.paragraph_format.left_indent = Cm(block.level)
        strong = heading or (any(r.text.strip() for r in block.runs)
                             and all(r.bold for r in block.runs if r.text.strip()))
        prefix = {"number": f"{block.number}. ", "bullet": "+ " if block.level else "- "}
        if block.kind in prefix:
            _run(paragraph, prefix[block.kind], bold=strong)
        for run in block.runs:
            _run(paragraph, run.text, bold=run.bold or heading,
                 italic=run.italic or (heading and block.level >= 4))


def _activities(doc: DocxDocument, rows: list[tuple[str, ...]]) -> None:
    table = doc.add_table(rows=1, cols=len(ACTIVITY_COLUMNS))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _fixed_widths(table, ACTIVITY_COLUMNS_CM)
    header = table.rows[0]
    # The header row repeats on every page the table runs over; no row breaks across pages.
    header._tr.get_or_add_trPr().append(_element("w:tblHeader"))
    for cell, text in zip(header.cells, ACTIVITY_COLUMNS, strict=True):
        _padded(_line(cell, text, size=TABLE_PT, bold=True, first=True))
    centred = {0, 2}
    for values in rows:
        row = table.add_row()
        row._tr.get_or_add_trPr().append(_element("w:cantSplit"))
        for index, (cell, text) in enumerate(zip(row.cells, values, strict=True)):
            cell.width = Cm(ACTIVITY_COLUMNS_CM[index])
            align = WD_ALIGN_PARAGRAPH.CENTER if index in centred else WD_ALIGN_PARAGRAPH.LEFT
            _padded(_line(cell, text, size=TABLE_PT, align=align, first=True))
    _paragraph(doc, indent=False, after=0)


def _closing(doc: DocxDocument, words: Wording) -> None:
    if doc.paragraphs:  # the closing sentence goes over to the signature's page with it
        doc.paragraphs[-1].paragraph_format.keep_with_next = True
    _paragraph(doc, indent=False, after=6, keep=True)
    half = TEXT_WIDTH_CM / 2
    table = _layout_table(doc, 1, (half, half))
    # The signature block never breaks across pages (a name alone on the last page).
    table.rows[0]._tr.get_or_add_trPr().append(_element("w:cantSplit"))
    left, right = table.rows[0].cells
    _line(left, RECEIVED_BY, size=12, bold=True, italic=True, first=True,
          align=WD_ALIGN_PARAGRAPH.LEFT)
    for line in words.recipients:
        _line(left, line, size=11, align=WD_ALIGN_PARAGRAPH.LEFT)
    on_behalf, title, name = words.signature
    _line(right, on_behalf, size=14, bold=True, first=True)
    _line(right, title, size=14, bold=True)
    for _ in range(4):  # room for the signature and the seal
        _line(right, "", size=14)
    _line(right, name, size=14, bold=True)


# ---- paragraph and table helpers --------------------------------------------------------------

def _paragraph(container, *, align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent: bool = True,
               after: int = 6, before: int = 0, keep: bool = False) -> Paragraph:
    paragraph = container.add_paragraph()
    fmt = paragraph.paragraph_format
    fmt.alignment = align
    if indent:
        fmt.first_line_indent = Cm(1)
    fmt.space_before, fmt.space_after = Pt(before), Pt(after)
    fmt.line_spacing = 1.15
    if keep:
        fmt.keep_with_next = True
    return paragraph


def _run(paragraph: Paragraph, text: str, *, size: float | None = None, bold: bool = False,
         italic: bool = False):
    run = paragraph.add_run(text)
    _fonts(run._r.get_or_add_rPr())
    if size:
        run.font.size = Pt(size)
    if bold:
        run.bold = True
    if italic:
        run.italic = True
    return run


def _line(cell: _Cell, text: str, *, size: float, bold: bool = False, italic: bool = False,
          align=WD_ALIGN_PARAGRAPH.CENTER, first: bool = False) -> Paragraph:
    """One line of a table cell; ``first`` fills the empty paragraph every new cell has."""
    paragraph = cell.paragraphs[0] if first else cell.add_paragraph()
    paragraph.paragraph_format.alignment = align
    paragraph.paragraph_format.space_after = Pt(0)
    if text:
        _run(paragraph, text, size=size, bold=bold, italic=italic)
    else:
        paragraph.paragraph_format.line_spacing = Pt(size * 1.15)
    return paragraph


def _padded(paragraph: Paragraph) -> None:
    paragraph.paragraph_format.space_before = paragraph.paragraph_format.space_after = Pt(2)


def _rule(cell: _Cell, column_cm: float, length_cm: float) -> None:
    """A short centred line under a header block, drawn as a paragraph's bottom border."""
    paragraph = cell.add_paragraph()
    side = Cm(max((column_cm - 0.4 - length_cm) / 2, 0))
    paragraph.paragraph_format.left_indent = paragraph.paragraph_format.right_indent = side
    _border(paragraph, "bottom")
    _tiny(paragraph)


def _tiny(paragraph: Paragraph) -> None:
    """A rule's paragraph takes only a few points of height."""
    fmt = paragraph.paragraph_format
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.line_spacing = Pt(2)
    fmt.first_line_indent = None


def _border(paragraph: Paragraph, side: str) -> None:
    borders = _element("w:pBdr")
    borders.append(_element(f"w:{side}", val="single", sz="6", space="1", color="000000"))
    # Word refuses a file whose properties are out of schema order.
    paragraph._p.get_or_add_pPr().insert_element_before(borders, *AFTER_PBDR)


def _layout_table(doc: DocxDocument, rows: int, widths: tuple[float, ...]) -> Table:
    """A table that only places text side by side: no borders, fixed columns."""
    table = doc.add_table(rows=rows, cols=len(widths))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _fixed_widths(table, widths)
    borders = _element("w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        borders.append(_element(f"w:{side}", val="nil"))
    table._tbl.tblPr.insert_element_before(borders, *AFTER_TBLBORDERS)
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = Cm(width)
    return table


def _fixed_widths(table: Table, widths: tuple[float, ...]) -> None:
    table.autofit = False  # w:tblLayout fixed
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Cm(width)
    for cell, width in zip(table.rows[0].cells, widths, strict=True):
        cell.width = Cm(width)


def _fonts(rpr) -> None:
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = _element("w:rFonts")
        rpr.insert(0, fonts)
    for theme in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
        fonts.attrib.pop(qn(f"w:{theme}"), None)
    for script in ("ascii", "hAnsi", "eastAsia", "cs"):
        fonts.set(qn(f"w:{script}"), FONT)


def _language(rpr) -> None:
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = _element("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "vi-VN")
    lang.set(qn("w:eastAsia"), "vi-VN")


def _page_field(run) -> None:
    begin = _element("w:fldChar", fldCharType="begin")
    code = _element("w:instrText")
    code.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    code.text = " PAGE "
    end = _element("w:fldChar", fldCharType="end")
    for part in (begin, code, end):
        run._r.append(part)


def _element(tag: str, **attrs: str):
    element = OxmlElement(tag)
    for name, value in attrs.items():
        element.set(qn(f"w:{name}"), value)
    return element
