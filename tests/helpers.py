"""Shared helpers for the tests: where things are, HTML tables as grids, the seed's text tables, the skeletons.

Tests import these from here; conftest.py keeps fixtures only."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SEED_TEXT = SHARED / "seeds" / "000_92deafc51ce9e0f4.txt"
SEED_PARAMS = ROOT / "params" / "ninghai-commerce" / "2020.yaml"

if not SHARED.is_dir():  # the domain material is part of the test input: never skip silently
    raise RuntimeError(f"../shared is missing: expected it at {SHARED}")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


Cell = tuple[str, int, int]  # text, rowspan, colspan


def text_of(node) -> str:
    return re.sub(r"\s+", "", node.get_text())


def table_grids(html: str) -> list[list[list[Cell]]]:
    """Every <table> as rows of (text, rowspan, colspan); <td> and <th> alike."""
    soup = BeautifulSoup(html, "lxml")
    return [
        [[(text_of(c), int(c.get("rowspan", 1)), int(c.get("colspan", 1))) for c in tr.find_all(["td", "th"])]
         for tr in table.find_all("tr")]
        for table in soup.find_all("table")
    ]


def skeleton_grids(version: str, values: list[list[str]]) -> list[list[list[Cell]]]:
    """The format skeleton's tables with each ``{}`` filled, table by table, from ``values``."""
    html = (SHARED / "domain" / f"format_{version}_skeleton.html").read_text(encoding="utf-8")
    grids = table_grids(html)
    for grid, fill in zip(grids, values, strict=True):
        it = iter(fill)
        for row in grid:
            row[:] = [(next(it) if t == "{}" else t, rs, cs) for t, rs, cs in row]
        assert next(it, None) is None, "more values than {} cells"
    return grids


def format_json(version: str) -> dict:
    return json.loads((SHARED / "domain" / f"format_{version}.json").read_text(encoding="utf-8"))


def seed_table_cells(text: str, start: str, end: str) -> list[str]:
    """The cells of one table of the seed's text, in order.

    In the seed, a cell starts on a line beginning with a tab; a line without a
    tab continues the cell before it (a header broken over two lines).
    """
    body = text[text.index(start) + len(start): text.index(end)]
    cells: list[str] = []
    for line in body.split("\n"):
        if line.startswith("\t"):
            cells.append(line.strip())
        elif line.strip() and cells:
            cells[-1] += line.strip()
    return cells


def all_labels(version: str) -> list[str]:
    """Every label printed in the tables of one format version."""
    f = format_json(version)
    labels = []
    for block in f["table2"]["blocks"]:
        labels += [block["caption"], f["table2"]["header_cell"], *block["columns"], *block["rows"]]
    labels += [f["table3"]["corner_note"], f["table3"]["header"]["top"], *f["table3"]["columns"],
               *f["table3"]["header"]["level2"]]
    for row in f["table3"]["rows"]:
        labels += row["label_path"]
    for row in f["table4"]["header"].values():
        labels += [c[0] if isinstance(c, list) else c for c in row]
    return list(dict.fromkeys(labels))


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def docx_grids(document) -> list[list[list[Cell]]]:
    """Every Word table as rows of (text, rowspan, colspan), read from its XML as a browser reads
    HTML: a cell a vertical merge continues is left out, the merge's first cell spans its rows."""
    from docx.oxml.ns import qn

    grids = []
    for table in document.tables:
        rows = []
        for tr in table._tbl.tr_lst:
            col, row = 0, []
            for tc in tr.tc_lst:
                v_merge = tc.tcPr.find(qn("w:vMerge")) if tc.tcPr is not None else None
                if v_merge is None or v_merge.get(qn("w:val")) == "restart":
                    row.append([col, tc])
                else:
                    row.append([col, None])
                col += tc.grid_span
            rows.append(row)
        out = []
        for r, row in enumerate(rows):
            cells = []
            for col, tc in row:
                if tc is None:
                    continue
                span = 1
                while r + span < len(rows) and any(c == col and t is None for c, t in rows[r + span]):
                    span += 1
                text = re.sub(r"\s+", "", "".join(t.text or "" for t in tc.iter(qn("w:t"))))
                cells.append((text, span, tc.grid_span))
            out.append(cells)
        grids.append(out)
    return grids


def prepared(files, options) -> tuple[list, list]:
    """What a batch would do with ``files``: the outcomes of those with nothing to run (refused,
    invalid, unchanged), and the plans of the rest."""
    from kit.api import Plan
    from kit.batch import Outcome, prepare_each

    each = prepare_each(files, options)
    return ([o for o in each.values() if isinstance(o, Outcome)], [p for p in each.values() if isinstance(p, Plan)])
