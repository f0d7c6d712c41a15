"""Read back what a published page shows: its data cells and its parts' text (stdlib only)."""

from __future__ import annotations

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
