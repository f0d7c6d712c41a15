"""The kit's label specs equal the mandated formats (../shared/domain/format_*.json)."""

import pytest

from kit.exceptions import UnknownFormatError
from kit.spec import formats
from tests.helpers import format_json


@pytest.mark.parametrize("version", ["2019", "2021"])
def test_table2_blocks_match_format(version):
    expected = format_json(version)["table2"]["blocks"]
    spec = formats.get(version)
    actual = [{"caption": b.caption, "columns": [c.label for c in b.columns], "rows": [r for _, r in b.rows]}
              for b in spec.table2]
    assert actual == expected


@pytest.mark.parametrize("version", ["2019", "2021"])
def test_table3_rows_match_format(version):
    expected = [r["label_path"] for r in format_json(version)["table3"]["rows"]]
    assert [list(r.labels) for r in formats.get(version).table3] == expected


@pytest.mark.parametrize("version", ["2019", "2021"])
def test_table3_and_table4_headers_match_format(version):
    f = format_json(version)
    assert [label for _, label in formats.TABLE3_COLUMNS] + [formats.TOTAL_LABEL] == f["table3"]["columns"]
    assert f["table3"]["corner_note"] == formats.TABLE3_CORNER
    assert f["table3"]["header"]["top"] == formats.TABLE3_TOP
    assert [label for _, label in formats.TABLE4_RESULTS] + [formats.TOTAL_LABEL] == f["table4"]["result_columns"]
    assert [formats.TABLE4_GROUPS[0][1], formats.TABLE4_LITIGATION] == [c[0] for c in f["table4"]["header"]["row1"]]


@pytest.mark.parametrize("version", ["2019", "2021"])
def test_section_titles_match_format(version):
    titles = [f"{n}、{t}" for n, (_, t) in zip("一二三四五六", formats.SECTION_TITLES, strict=True)]
    assert titles == format_json(version)["sections"]


@pytest.mark.parametrize(("year", "version"), [(2019, "2019"), (2020, "2019"), (2021, "2021"), (2025, "2021")])
def test_version_follows_year(year, version):
    assert formats.for_year(year).version == version


def test_unknown_version_lists_the_known_ones():
    with pytest.raises(UnknownFormatError, match=r"未知的报告格式版本 '2007'；可用的版本：2019, 2021"):
        formats.get("2007")
    with pytest.raises(UnknownFormatError):
        formats.for_year(2018)
