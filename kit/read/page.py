"""A report as published on a government website, saved from the browser (``.html``/``.htm``).

Parsed with lxml's HTML parser: Word-pasted markup (nested spans and fonts, ``&nbsp;``, cells split
across lines, rowspans and colspans) is read as the browser shows it. A table that holds other
tables is the site's layout, not a report table: its paragraphs are read as text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import lxml.html
from lxml import etree

from kit.exceptions import ParamsError
from kit.read import published
from kit.read.base import Loaded
from kit.read.params import read_bytes

BLOCKS = frozenset({"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "td", "th", "section", "article"})
DROPPED = ("script", "style", "noscript", "head", "iframe", "template")


def _text(el: lxml.html.HtmlElement) -> str:
    for br in el.iter("br"):
        br.tail = "\n" + (br.tail or "")
    return str(el.text_content())


def _grid(table: lxml.html.HtmlElement) -> published.Grid:
    return [[_text(cell) for cell in tr if cell.tag in {"td", "th"}] for tr in table.iter("tr")]


def _leaf_table(el: lxml.html.HtmlElement) -> bool:
    return el.tag == "table" and next(el.iterdescendants("table"), None) is None


def _blocks(root: lxml.html.HtmlElement) -> list[lxml.html.HtmlElement]:
    """The report tables and the innermost text blocks under ``root``, in reading order."""
    out = []
    for el in root.iter():
        if not isinstance(el.tag, str):  # comments and processing instructions
            continue
        if _leaf_table(el):
            out.append(el)
        elif el.tag in BLOCKS and el.tag not in {"td", "th"}:
            if any(_leaf_table(a) for a in el.iterancestors()):
                continue
            if any(isinstance(d.tag, str) and d.tag in BLOCKS | {"table"} for d in el.iterdescendants()):
                continue
            out.append(el)
    return out


def _common(a: lxml.html.HtmlElement, b: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    """The innermost element holding both."""
    above = list(a.iterancestors())
    return next(x for x in (b, *b.iterancestors()) if x is a or any(x is y for y in above))


_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([\w-]+)""", re.I)


def encoding(html: bytes) -> str:
    """A saved page's encoding: UTF-8 when it reads as UTF-8, else its <meta charset>, else GB18030
    (which covers GBK and GB2312, the usual encodings of older government sites)."""
    try:
        html.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        declared = _CHARSET.search(html[:4096])
        name = declared.group(1).decode("ascii").lower() if declared else "gb18030"
        return "gb18030" if name in {"gbk", "gb2312", "gb18030"} else name


def document(html: bytes) -> published.Document:
    """A page's title and its article — the paragraphs and report tables from the 一、 heading's
    container, so that the site's menus and footer stay out — in reading order."""
    root = lxml.html.document_fromstring(html, parser=lxml.html.HTMLParser(encoding=encoding(html)))
    etree.strip_elements(root, *DROPPED, with_tail=False)
    blocks = _blocks(root)
    tables = [el for el in blocks if el.tag == "table"]
    first = next((el for el in blocks if el.tag != "table" and published.key(_text(el)).startswith("一、")), None)
    article = _common(first if first is not None else tables[0], tables[-1]) if tables else root
    inside = [el for el in blocks if el is article or any(a is article for a in el.iterancestors())]
    titles = [_text(el) for el in blocks if el.tag != "table" and published.TITLE.match(published.key(_text(el)))]
    return [*titles[:1], *(_grid(el) if el.tag == "table" else _text(el) for el in inside)]


_PUBDATE = re.compile(rb"""<meta\s+name=["']?PubDate["']?\s+content=["']?(\d{4}-\d{2}-\d{2})""", re.I)


def published_on(html: bytes) -> str | None:
    """The publication date a government site's page carries (``<meta name="PubDate">``), if any."""
    found = _PUBDATE.search(html)
    return found.group(1).decode("ascii") if found else None


@dataclass(frozen=True)
class PageReader:
    """A published report's web page, saved from the browser."""

    name: str = "page"
    suffixes: tuple[str, ...] = (".html", ".htm")

    def read(self, path: Path, name: str) -> Loaded:
        data = read_bytes(path, name)
        try:
            doc = document(data)
        except (etree.ParserError, ValueError) as exc:
            raise ParamsError(name, f"不是可读取的网页（{exc}）") from None
        imported = published.from_document(doc, name)
        date = published_on(data)
        if date and "date" not in imported.data.get("signoff", {}):  # the 落款 under the text comes first
            imported.data.setdefault("signoff", {})["date"] = date
            imported.lines[("signoff", "date")] = "网页的发布日期（PubDate）"
        return imported
