"""The seed agency-year, end to end: a real kernel, real files, the published HTML checked cell by cell."""

from __future__ import annotations

import re

import nbformat
import pytest
from bs4 import BeautifulSoup

from kit.api import HTML_NAME, NOTEBOOK_NAME, failed_notebook_path
from kit.audit.record import RECORD_NAME
from kit.read.params import read
from tests.helpers import SEED_PARAMS, SEED_TEXT, all_labels, seed_table_cells, skeleton_grids, table_grids, text_of

pytestmark = pytest.mark.slow

SEED = SEED_TEXT.read_text(encoding="utf-8")


def test_exact_files_written(seed_run):
    dest = seed_run.html.parent
    assert dest.parts[-2:] == ("ninghai-commerce", "2020")
    assert sorted(p.name for p in dest.iterdir()) == ["audit.html", HTML_NAME, NOTEBOOK_NAME, RECORD_NAME]
    assert not failed_notebook_path(dest).exists()
    # output/<agency>/2020 is a link to the one complete version folder beside it
    assert dest.is_symlink()
    version = dest.resolve()
    assert sorted(p.name for p in dest.parent.iterdir()) == sorted(["2020", version.name])
    assert {oct(p.stat().st_mode & 0o777) for p in dest.iterdir()} == {"0o644"}  # readable by the web server


def test_title_and_part_headings_are_the_seeds(seed_html):
    soup = BeautifulSoup(seed_html, "lxml")
    assert soup.title.get_text() == "宁海县商务局2020年政府信息公开工作年度报告"
    assert [h.get_text() for h in soup.find_all("h1")] == ["宁海县商务局2020年政府信息公开工作年度报告"]
    heading = re.compile(r"^(\[bookmark: _GoBack\])?[一二三四五六七]、")
    seed_headings = [line for line in SEED.splitlines() if heading.match(line)]
    seed_headings = [h.replace("[bookmark: _GoBack]", "") for h in seed_headings]
    assert [h.get_text() for h in soup.find_all("h2")] == seed_headings
    subs = [line for line in SEED.splitlines() if re.match(r"^（[一二三]）", line)]
    assert [h.get_text() for h in soup.find_all("h3")] == subs


def test_tables_equal_the_skeleton_cell_by_cell(seed_html):
    t2 = ["0"] * 20 + ["2", "3万元"]
    assert table_grids(seed_html) == skeleton_grids("2019", [t2, ["0"] * (23 * 7), ["0"] * 15])


def non_empty(cells: list[str]) -> list[str]:
    return [c for c in cells if c]


def test_tables_carry_every_label_and_figure_of_the_seed(seed_html):
    grids = table_grids(seed_html)
    ours = [[text for row in grid for text, _, _ in row] for grid in grids]
    # 表二: the seed prints every cell, zeros included: the same sequence, cell for cell.
    seed2 = seed_table_cells(SEED, "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况")
    assert ours[0] == seed2
    # 表三: the seed leaves zero cells blank; ours prints 0. Labels in the same order, every figure 0.
    seed3 = non_empty(seed_table_cells(SEED, "三、收到和处理政府信息公开申请情况", "四、政府信息公开行政复议"))
    labels3 = [c for c in ours[1] if not c.isdigit()]
    assert labels3 == [c for c in seed3 if not c.isdigit()]
    assert {c for c in seed3 if c.isdigit()} == {"0"} == {c for c in ours[1] if c.isdigit()}
    # 表四: every cell of the seed, in order.
    seed4 = non_empty(seed_table_cells(SEED, "四、政府信息公开行政复议、行政诉讼情况", "五、监督保障机制"))
    assert ours[2] == seed4


def test_every_format_label_is_printed(seed_html):
    text = text_of(BeautifulSoup(seed_html, "lxml"))
    missing = [label for label in all_labels("2019") if re.sub(r"\s+", "", label) not in text]
    assert missing == []


def test_narrative_figures_equal_the_seeds(seed_html):
    soup = BeautifulSoup(seed_html, "lxml")
    overview = soup.select_one("section.part-overview p").get_text()
    seed_counts = re.findall(r"([^，、：]+?)(\d+)条", SEED.split("主动公开信息61条")[1].split("。")[0])
    assert len(seed_counts) == 12
    assert "主动公开信息61条" in overview
    for name, count in seed_counts:
        assert f"{name}{count}条" in overview
    opening = soup.select_one("p.opening").get_text()
    assert "七个部分" in opening and "自2020年1月1日起至2020年12月31日止" in opening
    assert soup.select_one("section.part-extra0 p").get_text().startswith("一是扩大宣传")


def test_free_text_of_the_seed_is_carried(seed_html):
    text = BeautifulSoup(seed_html, "lxml").get_text()
    for line in SEED.splitlines():
        line = line.replace("[bookmark: _GoBack]", "").strip()
        if line.startswith("2020年，我局根据"):  # the agency's intro; the figures after it are generated
            line = line[: line.index("取得了较好成效。") + 8]
        if len(line) > 30 and not line.startswith("本年报"):
            assert line in text, line


def test_page_is_self_contained(seed_html):
    assert not re.search(r"https?://", seed_html)
    assert "<script" not in seed_html.lower()
    assert "<link" not in seed_html.lower()
    assert "{{" not in seed_html and "{%" not in seed_html
    assert "<style>" in seed_html and "@page" in seed_html and "size: A4" in seed_html
    soup = BeautifulSoup(seed_html, "lxml")
    assert soup.select(".jp-InputArea, .input_area, .prompt, .jp-InputPrompt, pre") == []
    assert "kit.show" not in seed_html and "load_report" not in seed_html  # no code
    assert "params_file" not in seed_html  # no injected-parameters cell


def test_executed_notebook_is_a_valid_record(seed_run):
    nb = nbformat.read(seed_run.notebook, as_version=4)
    nbformat.validate(nb)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1
    data = read(SEED_PARAMS).data
    recorded = nb.metadata["papermill"]["parameters"]
    assert recorded["params"] == data  # the values themselves, not only a path
    assert recorded["params_file"] == "params/ninghai-commerce/2020.yaml"
    assert "'name': '宁海县商务局'" in injected[0].source  # readable, not \\u escapes
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o["output_type"] == "error"]
    streams = [o for c in nb.cells for o in c.get("outputs", []) if o["output_type"] == "stream"]
    assert errors == [] and streams == []
    assert nb.metadata["kit"]["title"] == "宁海县商务局2020年政府信息公开工作年度报告"
    assert nb.metadata["kit"]["format"] == "2019"
    assert nb.metadata["kit"]["deadline"] == "2021年1月31日"  # a county department: 1月31日
    assert nb.metadata["papermill"]["input_path"] == "notebooks/report.ipynb"
    from kit.audit.inputs import sha256_file

    assert nb.metadata["kit"]["inputs"]["params"] == sha256_file(SEED_PARAMS)
    assert nb.metadata["kit"]["inputs"]["previous_params"] is None
    html_key = re.search(r'<meta name="kit-inputs" content="([0-9a-f]{64})">', seed_run.html.read_text()).group(1)
    assert nb.metadata["kit"]["inputs_key"] == html_key


def test_kernel_runs_in_the_projects_environment(seed_run, tmp_path):
    import sys

    import papermill

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import sys; print(sys.prefix)")])
    src, out = tmp_path / "a.ipynb", tmp_path / "b.ipynb"
    nbformat.write(nb, src)
    ran = papermill.execute_notebook(str(src), str(out), kernel_name="python3", progress_bar=False)
    assert ran.cells[0].outputs[0]["text"].strip() == sys.prefix


def test_kernel_talks_ipc_in_a_socket_dir_of_its_own():
    import asyncio
    from pathlib import Path

    from kit.run.kernel import IPCKernelManager

    km = IPCKernelManager(kernel_name="python3")

    async def start_and_stop():
        await km.start_kernel()
        kc = km.client()
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=60)
            sockets = sorted(p.name for p in Path(km.socket_dir).iterdir())
        finally:
            kc.stop_channels()
            await km.shutdown_kernel(now=True)
        return sockets

    sockets = asyncio.run(start_and_stop())
    assert km.transport == "ipc"
    assert Path(km.connection_file).parent == Path(km.socket_dir)
    assert "kernel.json" in sockets and "kernel.log" in sockets
    assert any(name.startswith("kernel-ipc-") for name in sockets)
    assert not Path(km.socket_dir).exists()


def test_analyst_runs_the_master_notebook_as_is(tmp_path):
    """No injection: the defaults of the parameters cell read the seed file, as in JupyterLab."""
    import papermill

    from kit import paths

    out = tmp_path / "analyst.ipynb"
    nb = papermill.execute_notebook(str(paths.master_notebook()), str(out), kernel_name="python3",
                                    cwd=str(paths.master_notebook().parent), progress_bar=False)
    html = "".join(o["data"]["text/html"] for c in nb.cells for o in c.get("outputs", []) if "data" in o)
    assert "<h1>宁海县商务局2020年政府信息公开工作年度报告</h1>" in html
    assert "主动公开信息61条" in html
