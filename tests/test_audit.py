"""Audit records: provenance, byte-identical re-runs, kit verify, kit diff."""

from __future__ import annotations

import json
import re
import shutil

import nbformat
import pytest
from click.testing import CliRunner

from kit import cli
from kit.api import RunOptions, run_report
from kit.audit.diff import diff
from kit.audit.inputs import sha256_file
from kit.audit.verify import verify
from tests.helpers import ROOT, SEED_PARAMS

pytestmark = pytest.mark.slow
PINGTAN = ROOT / "params" / "pingtan"


def test_provenance_in_metadata_section_run_json_and_page(seed_run):
    nb = nbformat.read(seed_run.notebook, as_version=4)
    kit = nb.metadata["kit"]
    run = json.loads((seed_run.html.parent / "run.json").read_text(encoding="utf-8"))
    assert {k: v for k, v in run.items() if k != "status"} == kit and run["status"] == "published"
    assert kit["inputs"]["params"] == sha256_file(SEED_PARAMS)
    assert kit["inputs"]["notebook"] == sha256_file(ROOT / "notebooks" / "report.ipynb")
    assert kit["inputs"]["lock"] == sha256_file(ROOT / "requirements.lock")
    assert set(kit["libraries"]) >= {"python", "papermill", "nbclient", "nbconvert", "pandas", "pydantic"}
    assert kit["kernel"] == "python3"
    assert re.fullmatch(r"[0-9a-f]{40}(\+dirty)?", kit["git_commit"] or "") or kit["git_commit"] is None
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", kit["started_utc"])
    assert kit["validation"] == {"errors": [], "warnings": [], "acknowledged": []}
    last = nb.cells[-1]
    assert last.cell_type == "markdown" and last.id == "provenance"
    assert f"sha256 `{kit['inputs']['params']}`" in last.source and "开始" in last.source
    html = seed_run.html.read_text(encoding="utf-8")
    # the version line is in the page's metadata; on the page only when the project asks (show_version)
    assert re.search(r'<meta name="kit-version-line" content="版本信息：本报告于\d{4}年\d+月\d+日由 kit 0\.1\.0 生成，'
                     rf'输入摘要 {kit["inputs_key"][:12]}。">', html)
    assert "<footer class=\"provenance\">" not in html and "版本信息" not in html.split("</head>")[1]
    assert "执行记录 · provenance" not in html  # the notebook's section is not on the public page
    assert "/tmp/" not in html and "/tmp/" not in json.dumps(nb.metadata["papermill"])


def test_two_runs_give_identical_bytes(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1611878400")  # 2021-01-29
    one = run_report(PINGTAN / "2022.yaml", RunOptions(output=tmp_path / "one"))
    two = run_report(PINGTAN / "2022.yaml", RunOptions(output=tmp_path / "two"))
    assert one.html.read_bytes() == two.html.read_bytes()
    assert "本报告于2021年1月29日" in one.html.read_text(encoding="utf-8")
    a, b = (nbformat.read(r.notebook, as_version=4) for r in (one, two))
    assert [(c.id, c.source, c.get("outputs")) for c in a.cells[:-1]] == \
           [(c.id, c.source, c.get("outputs")) for c in b.cells[:-1]]
    assert [c.id for c in a.cells][:3] == ["intro", "parameters", "injected-parameters"]


@pytest.fixture
def published(tmp_path):
    return run_report(PINGTAN / "2021.yaml", RunOptions(output=tmp_path / "out")).html.parent


def test_verify_reproduces_a_fresh_report(published):
    v = verify(published)
    assert (v.status, v.html_identical, v.cells, v.figures, v.inputs) == ("reproduced", True, [], [], [])


def test_verify_names_a_changed_parameter(published, tmp_path, monkeypatch):
    project = tmp_path / "project"
    shutil.copytree(ROOT / "notebooks", project / "notebooks")
    shutil.copy(ROOT / "requirements.lock", project)
    shutil.copytree(PINGTAN, project / "params" / "pingtan")
    monkeypatch.setenv("KIT_ROOT", str(project))
    f = project / "params" / "pingtan" / "2021.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace("natural: 64", "natural: 65"), encoding="utf-8")
    v = verify(published)
    assert v.status == "inputs-changed" and v.exit_code == 2
    assert v.inputs == ["params/pingtan/2021.yaml 已修改：",
                        "  table3.new.natural（表三 › 一、本年新收政府信息公开申请数量 › 自然人）：64 → 65"]


def test_verify_detects_outputs_edited_by_hand(published):
    path = published / "report.ipynb"
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.get("id") == "requests")
    for key in ("text/html", "text/plain"):
        cell.outputs[0]["data"][key] = cell.outputs[0]["data"][key].replace("<td>64</td>", "<td>46</td>", 1) \
            .replace("64", "46", 1)
    nbformat.write(nb, path)
    html = published / "report.html"
    html.write_text(html.read_text(encoding="utf-8").replace("<td>64</td>", "<td>46</td>", 1), encoding="utf-8")
    v = verify(published)
    assert v.status == "differs" and v.exit_code == 1
    assert v.cells == ["requests"]
    assert v.figures == ["表三 › 一、本年新收政府信息公开申请数量 › 自然人：发布 46，重算 64"]
    result = CliRunner().invoke(cli.main, ["verify", str(published)])
    assert result.exit_code == 1
    assert "单元格 requests 的输出不同" in result.output


def test_diff_pingtan_2021_to_2022():
    d = diff(PINGTAN / "2021.yaml", PINGTAN / "2022.yaml")
    figures = {label: (a, b) for label, a, b in d.figures}
    assert figures["表三 › 一、本年新收政府信息公开申请数量 › 自然人"] == ("64", "71")
    assert figures["表三 › 一、本年新收政府信息公开申请数量 › 总计"] == ("70", "74")
    assert figures["表二 › 第二十条第（一）项 › 行政规范性文件 › 本年制发件数"] == ("69", "88")
    fees = "表二 › 第二十条第（八）项 › 行政事业性收费 › 本年收费金额（单位：万元）"
    assert figures[fees] == ("24252.311082", "9116.36")
    assert figures["表四 › 行政复议 › 总计"] == ("3", "2")
    assert "表三 › 二、上年结转政府信息公开申请数量 › 自然人" in figures  # 0 → 1 (X1)
    assert "表二 › 第二十条第（一）项 › 规章 › 本年制发件数" not in figures  # 0 both years
    assert d.only_a == d.only_b == []
    assert [p.title for p in d.parts] == ["总体情况", "存在的主要问题及改进情况", "其他需要报告的事项"]
    assert [p.flagged for p in d.parts] == [False, False, False]  # 平潭 rewrote its text


def test_diff_cli_flags_text_copied_from_last_year(tmp_path):
    folder = tmp_path / "pingtan"
    folder.mkdir()
    last = (PINGTAN / "2022.yaml").read_text(encoding="utf-8")
    (folder / "2022.yaml").write_text(last, encoding="utf-8")
    this = last.replace("year: 2022", "year: 2023").replace("2022年，平潭综合实验区政府信息公开工作取得了一定成绩",
                                                            "2023年，平潭综合实验区政府信息公开工作取得了一定成绩")
    # nothing carried in from 2022 (X1); one more new request keeps R1 balanced
    this = this.replace("natural: 1\n  outcomes", "natural: 0\n  outcomes").replace("natural: 71", "natural: 72")
    (folder / "2023.yaml").write_text(this, encoding="utf-8")
    result = CliRunner().invoke(cli.main, ["diff", str(folder / "2022.yaml"), str(folder / "2023.yaml")])
    assert result.exit_code == 0, result.output
    assert re.search(r"  存在的主要问题及改进情况：99\.\d%  ⚠ 与上年雷同", result.output)
    assert "  表三 › 二、上年结转政府信息公开申请数量 › 自然人：1 → 0" in result.output
