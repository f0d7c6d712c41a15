"""Readers as a role: the registry picks a reader by suffix; the YAML reader says where a field is."""

from __future__ import annotations

from pathlib import Path

import pytest

from kit.exceptions import ParamsError
from kit.read import base, params
from kit.read.base import UnknownReaderError


def test_the_yaml_reader_is_registered_for_both_suffixes():
    assert base.names() == ["page", "word", "xlsx", "yaml"]
    assert base.suffixes() == [".docx", ".htm", ".html", ".xlsx", ".yaml", ".yml"]
    assert isinstance(base.for_path("params/x/2022.yml"), params.YamlReader)


def test_a_file_no_reader_reads_is_refused_naming_the_types(tmp_path: Path):
    with pytest.raises(ParamsError) as info:
        base.read(tmp_path / "2022.txt", "params/x/2022.txt")
    assert str(info.value) == ("params/x/2022.txt: 不能读取 .txt 文件；"
                               "可读取的文件类型：.docx、.htm、.html、.xlsx、.yaml、.yml")


def test_an_unknown_reader_name_lists_the_known_ones():
    with pytest.raises(UnknownReaderError) as info:
        base.get("csv")
    assert str(info.value) == "未知的读取方式 'csv'；可用的读取方式：page, word, xlsx, yaml"


def test_loaded_says_where_a_field_came_from(tmp_path: Path):
    f = tmp_path / "2022.yaml"
    f.write_text("year: 2022\ntable3:\n  new:\n    natural: 2\n", encoding="utf-8")
    loaded = base.read(f, "params/x/2022.yaml")
    assert loaded.data["table3"] == {"new": {"natural": 2}}
    assert (loaded.line_of(("table3", "new", "natural")), loaded.where(("table3", "new", "natural"))) == (4, "第 4 行")
    assert loaded.where(("table4",)) == ""
    cells = base.Loaded("book.xlsx", {}, {("table3", "new", "natural"): "表三!D12"})
    assert cells.where(("table3", "new", "natural", "x")) == "表三!D12"
