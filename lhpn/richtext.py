"""Section text: Markdown source (headings, numbered and bulleted lists, bold, italics),
rendered to HTML that is sanitised on the server, and read as blocks for Word documents."""

from dataclasses import dataclass, field

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

from lhpn.text import nfc

# Raw HTML in the source is shown as text, never interpreted.
_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_md.disable(["image", "link", "autolink"])

ALLOWED_TAGS = {"p", "h2", "h3", "h4", "h5", "ol", "ul", "li", "strong", "em", "br", "blockquote",
                "hr"}


def clean_source(text: str | None, limit: int = 100_000) -> str:
    text = nfc((text or "").replace("\r\n", "\n").replace("\x00", ""))
    return text[:limit]


def to_html(source: str | None) -> Markup:
    html = _md.render(source or "")
    # Headings are demoted so a section's own "# x" never competes with the page title.
    for level in (5, 4, 3, 2, 1):
        html = html.replace(f"<h{level}>", f"<h{min(level + 1, 5)}>")
        html = html.replace(f"</h{level}>", f"</h{min(level + 1, 5)}>")
    return Markup(nh3.clean(html, tags=ALLOWED_TAGS, attributes={"ol": {"start"}}))  # noqa: S704


@dataclass
class Run:
    text: str
    bold: bool = False
    italic: bool = False


@dataclass
class Block:
    """A paragraph for a document: a heading, a list item (bullet or number) or body text."""

    kind: str  # heading | bullet | number | text
    runs: list[Run] = field(default_factory=list)
    level: int = 0
    number: int | None = None

    @property
    def text(self) -> str:
        return "".join(run.text for run in self.runs)


def blocks(source: str | None) -> list[Block]:
    tokens = _md.parse(source or "")
    out: list[Block] = []
    lists: list[list] = []  # stack of [kind, next number]
    pending: Block | None = None
    for token in tokens:
        if token.type == "heading_open":
            pending = Block("heading", level=int(token.tag[1]))
        elif token.type in ("bullet_list_open", "ordered_list_open"):
            start = int(token.attrGet("start") or 1)
            lists.append(["bullet" if token.type == "bullet_list_open" else "number", start])
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif token.type == "list_item_open":
            kind, number = lists[-1]
            pending = Block(kind, level=len(lists) - 1,
                            number=number if kind == "number" else None)
            if kind == "number":
                lists[-1][1] += 1
        elif token.type == "paragraph_open" and pending is None:
            pending = Block("text")
        elif token.type == "inline" and pending is not None:
            if pending.runs:
                pending.runs.append(Run("\n"))
            pending.runs.extend(_runs(token.children or []))
        elif token.type in ("heading_close", "paragraph_close") and pending is not None:
            if pending.kind in ("heading", "text") or token.type == "paragraph_close":
                out.append(pending)
                pending = None
    return out


def _runs(children) -> list[Run]:
    runs: list[Run] = []
    bold = italic = False
    for child in children:
        if child.type == "strong_open":
            bold = True
        elif child.type == "strong_close":
            bold = False
        elif child.type == "em_open":
            italic = True
        elif child.type == "em_close":
            italic = False
        elif child.type in ("text", "code_inline"):
            runs.append(Run(child.content, bold, italic))
        elif child.type in ("softbreak", "hardbreak"):
            runs.append(Run(" " if child.type == "softbreak" else "\n", bold, italic))
    return runs
