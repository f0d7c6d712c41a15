"""A report handed in as a Word file (``.docx``), read with python-docx: paragraphs and tables in order."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import docx
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from kit.exceptions import ParamsError
from kit.read import published
from kit.read.base import Loaded
from kit.read.params import read_bytes


def document(data: bytes) -> published.Document:
    """A Word file's paragraphs and tables, in reading order; a merged cell counted once."""
    word = docx.Document(io.BytesIO(data))
    out: published.Document = []
    for el in word.element.body.iterchildren():
        if el.tag.endswith("}p"):
            out.append(Paragraph(el, word).text)
        elif el.tag.endswith("}tbl"):
            table = Table(el, word)
            out.append([[_Cell(tc, table).text for tc in tr.tc_lst] for tr in el.tr_lst])
    return out


@dataclass(frozen=True)
class WordReader:
    """A published report as a Word file."""

    name: str = "word"
    suffixes: tuple[str, ...] = (".docx",)

    def read(self, path: Path, name: str) -> Loaded:
        data = read_bytes(path, name)
        try:
            doc = document(data)
        except (zipfile.BadZipFile, KeyError, ValueError) as exc:
            raise ParamsError(name, f"不是可读取的 Word 文件（.docx）：{exc}") from None
        return published.from_document(doc, name)
