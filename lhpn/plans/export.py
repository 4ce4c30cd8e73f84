"""A plan as a Word file in the format of Nghị định 30/2020/NĐ-CP: A4, Times New Roman, the
agency and national motto header, the plan's numbering, the recipients and signature block.
The words come from lhpn/plans/wording.py, shared with the printable page; the layout from
lhpn/documents.py, shared with the other exported documents."""

from io import BytesIO

from docx import Document
from docx.document import Document as DocxDocument
from docx.shared import Cm

from lhpn import documents as D
from lhpn.clock import utcnow
from lhpn.plans.models import Plan
from lhpn.plans.wording import (
    ACTIVITY_COLUMNS,
    DOC_KIND,
    MOTTO,
    RECEIVED_BY,
    wording,
)
from lhpn.richtext import blocks

ACTIVITY_COLUMNS_CM = (1.0, 5.2, 2.4, 2.5, 3.0, D.TEXT_WIDTH_CM - 14.1)


def plan_docx(plan: Plan) -> bytes:
    words = wording(plan)
    doc = Document()
    D.page_setup(doc, title=plan.title, subject=f"{DOC_KIND} {plan.number}".strip(),
                 author=plan.unit.document_name, created=utcnow())
    D.header(doc, words.agency, MOTTO, words.number, words.place_date)
    D.title(doc, DOC_KIND, plan.title)
    _markdown(doc, plan.basis)
    for section in words.sections:
        D.section(doc, section.heading)
        if section.key == "targets":
            for sentence in words.targets:
                D.run(D.paragraph(doc), sentence)
            continue
        _markdown(doc, getattr(plan, section.key))
        if section.key == "content" and words.activities:
            D.grid(doc, ACTIVITY_COLUMNS, ACTIVITY_COLUMNS_CM, words.activities,
                   centred=frozenset({0, 2}))
    D.closing(doc, RECEIVED_BY, words.recipients, words.signature)
    out = BytesIO()
    doc.save(out)
    return out.getvalue()


def _markdown(doc: DocxDocument, source: str) -> None:
    for block in blocks(source):
        heading = block.kind == "heading"
        paragraph = D.paragraph(doc, keep=heading)
        if block.level and not heading:
            paragraph.paragraph_format.left_indent = Cm(block.level)
        strong = heading or (any(r.text.strip() for r in block.runs)
                             and all(r.bold for r in block.runs if r.text.strip()))
        prefix = {"number": f"{block.number}. ", "bullet": "+ " if block.level else "- "}
        if block.kind in prefix:
            D.run(paragraph, prefix[block.kind], bold=strong)
        for run in block.runs:
            D.run(paragraph, run.text, bold=run.bold or heading,
                  italic=run.italic or (heading and block.level >= 4))
