"""Read back what a published page shows: its data cells and its parts' text (stdlib only)."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

TABLE_CLASSES = {"t2", "t3", "t4"}


class _Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.cells: list[str] = []
        self.depth = 0  # inside a report table
        self.in_td = False

    def handle_starttag(self, tag, attrs):
        if tag == "table" and TABLE_CLASSES & set((dict(attrs).get("class") or "").split()):
            self.depth += 1
        elif tag == "td" and self.depth:
            self.in_td = True
            self.cells.append("")

    def handle_endtag(self, tag):
        if tag == "table" and self.depth:
            self.depth -= 1
        elif tag == "td":
            self.in_td = False

    def handle_data(self, data):
        if self.in_td:
            self.cells[-1] += data.strip()


def data_cells(html: str) -> list[str]:
    """The texts of every data cell (<td>) of 表二, 表三 and 表四, in page order."""
    parser = _Cells()
    parser.feed(html)
    return parser.cells


@dataclass
class Cell:
    """One cell of a published table as the page shows it."""

    text: str
    rowspan: int = 1
    colspan: int = 1
    header: bool = False  # a <th>


@dataclass
class Table:
    """One published table (表二/三/四): its rows of cells and how many are header rows."""

    cls: str  # t2 | t3 | t4
    rows: list[list[Cell]] = field(default_factory=list)
    head_rows: int = 0  # rows in <thead>: repeated on each page


@dataclass
class Block:
    """One block of a page, in order: a heading, a paragraph, a list item, a table or a chart."""

    kind: str  # h1 | h2 | h3 | p | li | table | figure
    text: str = ""
    cls: str = ""
    table: Table | None = None
    alt: str = ""  # a figure's text alternative


class _Blocks(HTMLParser):
    TEXT_TAGS = frozenset({"h1", "h2", "h3", "p", "li", "figcaption"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.current: Block | None = None
        self.table: Table | None = None
        self.in_head = False
        self.cell: Cell | None = None
        self.figure: Block | None = None
        self.lists: list[list[int | None]] = []  # per open list: the next item's number (None: bullets)
        self.skip = 0  # inside <svg>: the chart's drawing, not text

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if self.skip or tag == "svg":
            self.skip += tag == "svg"
            return
        if tag == "table":
            self.table = Table((a.get("class") or "").strip())
        elif self.table is not None:
            if tag == "thead":
                self.in_head = True
            elif tag == "tr":
                self.table.rows.append([])
                self.table.head_rows += self.in_head
            elif tag in {"td", "th"}:
                self.cell = Cell("", int(a.get("rowspan", 1)), int(a.get("colspan", 1)), tag == "th")
                self.table.rows[-1].append(self.cell)
        elif tag == "figure":
            self.figure = Block("figure", alt=a.get("aria-label") or "")
        elif tag in {"ol", "ul"}:
            self.lists.append([1 if tag == "ol" else None])
        elif tag in self.TEXT_TAGS:
            self.current = Block(tag, cls=a.get("class") or "")
            if tag == "li" and self.lists and self.lists[-1][0] is not None:
                self.current.text = f"{self.lists[-1][0]}. "
                self.lists[-1][0] += 1

    def handle_endtag(self, tag):
        if self.skip:
            self.skip -= tag == "svg"
            return
        if tag == "table" and self.table is not None:
            self.blocks.append(Block("table", cls=self.table.cls, table=self.table))
            self.table = None
        elif tag == "thead":
            self.in_head = False
        elif tag in {"td", "th"}:
            self.cell = None
        elif tag in {"ol", "ul"} and self.lists:
            self.lists.pop()
        elif tag == "figcaption" and self.figure is not None and self.current is not None:
            self.figure.text = self.current.text.strip()
            self.current = None
        elif tag == "figure" and self.figure is not None:
            self.blocks.append(self.figure)
            self.figure = None
        elif tag in self.TEXT_TAGS and self.current is not None and self.current.kind == tag:
            self.current.text = self.current.text.strip()
            self.blocks.append(self.current)
            self.current = None

    def handle_data(self, data):
        if self.skip:
            return
        if self.cell is not None:
            self.cell.text += data.strip()
        elif self.current is not None:
            self.current.text += " ".join(data.split()) if data.strip() else ""


def blocks(html: str) -> list[Block]:
    """The blocks of a page's HTML (or of a fragment), in reading order, their text as displayed."""
    parser = _Blocks()
    parser.feed(html)
    parser.close()
    return parser.blocks
