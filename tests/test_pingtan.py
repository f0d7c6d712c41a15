"""The 2021 format end to end: 平潭综合实验区 2021 and 2022, from the real published figures."""

from __future__ import annotations

import json
import re

import pytest
from bs4 import BeautifulSoup

from kit.api import RunOptions, run_report
from kit.check.validate import validate_file
from kit.content.tables import format_value
from tests.helpers import ROOT, SHARED, all_labels, skeleton_grids, table_grids, text_of

PARAMS = ROOT / "params" / "pingtan"


def published(year: int) -> dict:
    return json.loads((SHARED / "domain" / "examples" / f"pingtan_{year}.json").read_text(encoding="utf-8"))


def expected_cells(year: int) -> list[list[str]]:
    """The published report's figures, in the order of the 2021 skeleton's {} cells."""
    j = published(year)
    t2 = [format_value(v) if isinstance(v, int) else str(v)
          for block in j["table2"].values() for row in block["rows"].values() for v in row]
    t3 = [str(r["cells"][c]) for r in j["table3"]["rows"] for c in j["table3"]["columns"]]
    t4 = [str(v) for group in j["table4"].values() for v in group.values()]
    return [t2, t3, t4]


@pytest.mark.parametrize("year", [2021, 2022])
def test_files_validate_without_errors_and_x1_holds(year):
    result = validate_file(PARAMS / f"{year}.yaml")
    assert result.errors == []
    assert result.spec.version == "2021"
    if year == 2022:
        assert result.previous is not None and result.previous.ok
        assert all(p.rule != "X1" for p in result.problems)


def test_2022_text_quoting_received_plus_carried_is_acknowledged():
    # The real 2022 report says 收到75件（自然人72件） where 表三 has 新收 74 (自然人 71): 75 = 新收 74 + 上年结转 1.
    # A true mismatch of the published text: params/pingtan/2022.yaml acknowledges it with the reason.
    result = validate_file(PARAMS / "2022.yaml")
    assert result.errors == [] and result.warnings == []
    assert [(p.rule, p.path, p.expected, p.actual, p.fingerprint) for p in result.acknowledged] == [
        ("N1", "overview.subsections.1.text", "74", "75", "N1-0de6390be1"),
        ("N1", "overview.subsections.1.text", "71", "72", "N1-ec9bfd82b6")]
    assert result.acknowledged[0].reason == "原文“收到75件”为本年新收74件加上年结转1件，表三按格式分列"


@pytest.fixture(scope="module")
def pingtan_runs(tmp_path_factory):
    out = tmp_path_factory.mktemp("output")
    return {year: run_report(PARAMS / f"{year}.yaml", RunOptions(output=out)) for year in (2021, 2022)}


@pytest.mark.slow
@pytest.mark.parametrize("year", [2021, 2022])
def test_tables_equal_the_2021_skeleton_with_the_published_figures(pingtan_runs, year):
    html = pingtan_runs[year].html.read_text(encoding="utf-8")
    assert table_grids(html) == skeleton_grids("2021", expected_cells(year))
    text = text_of(BeautifulSoup(html, "lxml"))
    assert [label for label in all_labels("2021") if re.sub(r"\s+", "", label) not in text] == []
    assert f"平潭综合实验区{year}年政府信息公开工作年度报告" in text


@pytest.mark.slow
def test_narrative_figures_equal_the_published_ones(pingtan_runs):
    text = BeautifulSoup(pingtan_runs[2021].html.read_text(encoding="utf-8"), "lxml").get_text()
    assert "2021年，我区主动公开信息2645条。" in text
    assert ("本年度我区共收到政府信息公开申请70件（其中自然人64件，法人或其他组织6件）；"
            "办结69件，结转下年度继续办理1件。") in text
    assert ("本年度我区发生因政府信息公开引起的行政复议3件（结果维持1件，其他结果2件）；"
            "行政诉讼12件（结果维持12件）。") in text
    assert "24252.311082" in text  # 行政事业性收费, as published
    assert "2021年，我区未收取政府信息公开信息处理费。" in text  # part 六 of the 2021 format, always
    text22 = BeautifulSoup(pingtan_runs[2022].html.read_text(encoding="utf-8"), "lxml").get_text()
    assert "较上年增加4件，增长5.7%" in text22  # N3 against 2021
    assert "予以公开21件，占28.0%" in text22  # N2 over （七）总计 75


@pytest.mark.slow
def test_acknowledged_differences_are_in_the_notebooks_audit_record(pingtan_runs):
    import nbformat

    nb = nbformat.read(pingtan_runs[2022].notebook, as_version=4)
    acknowledged = nb.metadata["kit"]["validation"]["acknowledged"]
    assert [(a["fingerprint"], a["table"], a["text"]) for a in acknowledged] == [
        ("N1-0de6390be1", "74", "75"), ("N1-ec9bfd82b6", "71", "72")]
    [provenance] = [c for c in nb.cells if c.get("id") == "provenance"]
    assert "- 已确认的正文与表格差异：2 处\n  - `N1-0de6390be1`（overview.subsections.1.text）：" in provenance.source
    run = json.loads((pingtan_runs[2022].html.parent / "run.json").read_text(encoding="utf-8"))
    assert run["validation"]["acknowledged"] == acknowledged
