"""The analyst's notebook (issue 17): the master notebook run by hand, as JupyterLab runs it."""

from __future__ import annotations

import copy
import html
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from kit import lab, paths, show
from kit.api import plan
from kit.check.validate import validate_file
from kit.content.report import load_report
from kit.exceptions import STOPPED, ValidationFailed
from kit.write import export
from tests.helpers import ROOT, SEED_PARAMS

INVALID = """year: 2022
agency:
  id: test-agency
  name: 测试县测试局
  kind: department
table3:
  new: {natural: 2}
  outcomes:
    granted: {natural: 1}
    total: {natural: 2}
"""


def hand_notebook(params_file: str) -> nbformat.NotebookNode:
    """The master notebook with its parameters cell edited, as the analyst edits it."""
    nb = nbformat.read(paths.master_notebook(), as_version=4)
    for c in nb.cells:
        if "parameters" in c.metadata.get("tags", []):
            c.source = c.source.replace("params_file = None", f"params_file = {params_file!r}")
    return nb


def run_all(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """*Run All* as JupyterLab does it, in notebooks/: it stops at the first error (CellExecutionError)."""
    NotebookClient(nb, kernel_name="python3",
                   resources={"metadata": {"path": str(paths.master_notebook().parent)}}).execute()
    return nb


def by_hand(params_file: str) -> nbformat.NotebookNode:
    return run_all(hand_notebook(params_file))


def cell(nb: nbformat.NotebookNode, cell_id: str) -> nbformat.NotebookNode:
    return next(c for c in nb.cells if c.get("id") == cell_id)


def text_of(output: nbformat.NotebookNode) -> str:
    return output["data"]["text/plain"]


# --- paths: from the notebook's folder and from the project root alike ---------------------------

def test_relative_names_are_read_from_the_project_root_when_not_found_here(monkeypatch):
    monkeypatch.chdir(ROOT / "notebooks")
    assert paths.input_path("params/pingtan/2022.yaml") == ROOT / "params/pingtan/2022.yaml"
    assert paths.input_path("report.ipynb") == Path("report.ipynb")  # found here: as given
    assert paths.input_path("params/nowhere.yaml") == Path("params/nowhere.yaml")
    assert validate_file("params/pingtan/2022.yaml").file == "params/pingtan/2022.yaml"
    assert plan("params/ninghai-commerce/2020.yaml").params_file == SEED_PARAMS
    assert load_report("params/ninghai-commerce/2020.yaml").model.agency.id == "ninghai-commerce"


def test_params_file_none_is_the_one_make_lab_opened(monkeypatch):
    monkeypatch.setenv("KIT_PARAMS", "params/pingtan/2022.yaml")
    assert load_report(None).model.year == 2022
    monkeypatch.delenv("KIT_PARAMS")
    assert load_report(None).model.agency.id == "ninghai-commerce"


def test_an_edit_of_the_file_is_picked_up_on_the_next_run(tmp_path):
    target = tmp_path / "ninghai-commerce" / "2020.yaml"
    target.parent.mkdir()
    shutil.copy(SEED_PARAMS, target)
    assert load_report(target).model.agency.name == "宁海县商务局"
    text = target.read_text(encoding="utf-8")
    target.write_text(text.replace("name: 宁海县商务局", "name: 宁海县商贸局"), encoding="utf-8")
    assert load_report(target).model.agency.name == "宁海县商贸局"


def test_injected_content_that_the_file_no_longer_holds_is_validated_on_its_own(tmp_path):
    data = validate_file(SEED_PARAMS).data
    edited = copy.deepcopy(data)
    edited["agency"]["name"] = "另一个单位"
    edited_report = load_report("params/ninghai-commerce/2020.yaml", edited)
    assert edited_report.model.agency.name == "另一个单位" and edited_report.validated.path is None
    assert load_report("params/ninghai-commerce/2020.yaml", data).validated.path is not None  # read from the file


def test_the_refusal_renders_as_the_list_of_problems(tmp_path):
    target = tmp_path / "test-agency" / "2022.yaml"
    target.parent.mkdir()
    target.write_text(INVALID, encoding="utf-8")
    with pytest.raises(ValidationFailed) as refused:
        load_report(target)
    lines = refused.value._render_traceback_()
    name = target.as_posix()
    assert lines[0].startswith(f"{name}:6: 错误[R1] table3.carry_out.natural"
                               "（表三 › 四、结转下年度继续办理 › 自然人）：")
    assert lines[1] == (f"{name}:10: 错误[R2] table3.outcomes.total.natural"
                        "（表三 › 三、本年度办理结果 › （七）总计 › 自然人）："
                        "（七）总计应等于（一）至（六）各项办理结果之和（应为 1，实际为 2）")
    assert lines[-2:] == ["已校验 1 个文件：3 个错误，1 个警告", STOPPED]


# --- the frames: computed totals marked, never published ----------------------------------------

def test_the_frames_mark_what_the_kit_computes():
    report = load_report(SEED_PARAMS)
    t3 = show.marked_frame(report, "requests")
    assert t3 is not None
    assert list(t3.columns)[-1] == "总计" and t3.index[0].startswith("一、本年新收")
    total_row = t3.loc["三、本年度办理结果 › （七）总计"]
    assert all(str(v).endswith("＊") for v in total_row)
    new_row = t3.iloc[0]
    assert not str(new_row["自然人"]).endswith("＊")
    assert str(new_row["总计"]) == f"{report.table3.loc['new', 'total']}＊"
    t4 = show.marked_frame(report, "review")
    assert t4 is not None and list(t4.index) == ["行政复议", "未经复议直接起诉", "复议后起诉"]
    assert show.marked_frame(report, "problems") is None


def test_the_published_page_leaves_out_what_only_the_analyst_sees(seed_run, seed_html):
    record = nbformat.read(seed_run.notebook, as_version=4)
    tagged = [o for c in record.cells for o in c.get("outputs", [])
              if show.ANALYST_ONLY in o.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 3  # 表二, 表三, 表四
    for marker in ("kit-figures", "kit-validation", "kit-preview", "＊ 由 kit 计算", "srcdoc"):
        assert marker not in seed_html


# --- the notebook run headlessly ----------------------------------------------------------------

slow = pytest.mark.slow  # a real kernel, or a JupyterLab server


def preview_document(nb: nbformat.NotebookNode) -> str:
    (output,) = cell(nb, "preview").outputs
    found = re.search(r'srcdoc="([^"]*)"', output["data"]["text/html"])
    assert found
    return html.unescape(found.group(1))


def main_of(page: str) -> str:
    main = BeautifulSoup(page, "lxml").find("main")
    assert main is not None
    return main.decode_contents()


@slow
def test_invalid_file_stops_at_the_validation_cell_with_the_list(tmp_path):
    target = tmp_path / "test-agency" / "2022.yaml"
    target.parent.mkdir()
    target.write_text(INVALID, encoding="utf-8")
    nb = hand_notebook(str(target))
    with pytest.raises(CellExecutionError):
        run_all(nb)
    (error,) = cell(nb, "load").outputs
    assert [c.outputs for c in nb.cells[nb.cells.index(cell(nb, "load")) + 1:]] == [[]] * 9  # nothing ran after it
    assert error["output_type"] == "error" and error["ename"] == "ValidationFailed"
    assert error["traceback"] == [*validate_file(target).lines(), STOPPED]
    assert any(f"{target.as_posix()}:6: 错误[R1]" in line for line in error["traceback"])
    assert not any("Traceback" in line or "File " in line for line in error["traceback"])


@slow
def test_warnings_are_listed_and_the_run_completes():
    nb = by_hand("params/pingtan/2021.yaml")
    (listed,) = cell(nb, "load").outputs
    lines = text_of(listed).splitlines()
    assert lines == validate_file(ROOT / "params/pingtan/2021.yaml").lines()
    assert lines[0].startswith("params/pingtan/2021.yaml:53: 警告[M1] table2.fees.amount（表二 › 第二十条第（八）项 › "
                               "行政事业性收费 › 本年收费金额（单位：万元））：")
    assert lines[-1] == "已校验 1 个文件：0 个错误，1 个警告"
    assert '<li class="kit-warning">params/pingtan/2021.yaml:53: 警告[M1]' in listed["data"]["text/html"]
    assert cell(nb, "preview").outputs  # the last cell ran


@slow
def test_by_hand_the_outputs_are_kit_runs_cell_for_cell(seed_run, seed_html):
    nb = by_hand("params/ninghai-commerce/2020.yaml")
    record = nbformat.read(seed_run.notebook, as_version=4)

    def outputs(cells: list) -> dict[str, list]:
        found = {}
        for c in cells:
            if c.cell_type == "code" and c.get("id") not in {"parameters", "injected-parameters"}:
                found[c.id] = [{k: v for k, v in o.items() if k != "execution_count"} for o in c.outputs]
        return found

    mine, recorded = outputs(nb.cells), outputs(record.cells)
    assert list(mine) == list(recorded)
    for cell_id in mine:
        assert mine[cell_id] == recorded[cell_id], cell_id
    assert text_of(cell(nb, "load").outputs[0]) == "已校验 1 个文件：0 个错误，0 个警告"
    # the preview is the published page's body
    assert main_of(preview_document(nb)) == main_of(seed_html)
    assert f"发布命令（在项目根目录）：.venv/bin/kit run {paths.recorded_name(SEED_PARAMS)}" in text_of(
        cell(nb, "preview").outputs[0])
    assert export.to_html(record) == seed_html


# --- make lab -----------------------------------------------------------------------------------

def test_the_workspace_opens_the_notebook_and_the_parameter_file():
    space = lab.workspace(lab.params_argument("params/pingtan/2022.yaml"))
    dock = space["data"]["layout-restorer:data"]["main"]["dock"]
    assert [a["widgets"] for a in dock["children"]] == [["notebook:notebooks/report.ipynb"],
                                                         ["editor:params/pingtan/2022.yaml"]]
    assert space["data"]["editor:params/pingtan/2022.yaml"]["data"] == {"path": "params/pingtan/2022.yaml",
                                                                        "factory": "Editor"}
    assert lab.params_argument("params") is None  # make reports' default: the notebook alone


LAB = ROOT / ".venv-lab" / "bin" / "jupyter"


@slow
def test_make_lab_serves_the_project_root_with_both_files_open():
    if not LAB.exists():
        subprocess.run(["make", ".venv-lab/.installed"], cwd=ROOT, check=True)
    token = "kit-lab-smoke-test"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    args = f"--no-browser --ServerApp.port={port} --ServerApp.ip=127.0.0.1 --IdentityProvider.token={token}"
    log = ROOT / ".venv-lab" / "smoke-test.log"
    with log.open("w") as out:
        server = subprocess.Popen(["make", "lab", "PARAMS=params/pingtan/2022.yaml", f"LAB_ARGS={args}"], cwd=ROOT,
                                  stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        def address() -> str:
            for _ in range(600):  # the server's start-up, on a loaded machine
                if server.poll() is not None:
                    raise AssertionError(f"make lab exited ({server.returncode}):\n{log.read_text()}")
                found = re.search(r"(http://127\.0\.0\.1:\d+)/lab", log.read_text())
                if found:  # the port asked for, or the next free one (the server's port_retries)
                    return found.group(1)
                time.sleep(0.5)
            raise AssertionError(f"the server printed no address:\n{log.read_text()}")

        url = address()

        def get(path: str) -> dict:
            request = urllib.request.Request(f"{url}{path}", headers={"Authorization": f"token {token}"})
            for _ in range(300):  # the server's start-up, on a loaded machine
                if server.poll() is not None:
                    raise AssertionError(f"make lab exited ({server.returncode}):\n{log.read_text()}")
                try:
                    with urllib.request.urlopen(request) as answer:
                        return json.loads(answer.read())
                except urllib.error.URLError:
                    time.sleep(0.5)
            raise AssertionError(f"no answer from {url}{path}:\n{log.read_text()}")

        names = {item["name"] for item in get("/api/contents/")["content"]}
        assert {"params", "notebooks"} <= names
        opened = get("/lab/api/workspaces/kit")["data"]
        assert "notebook:notebooks/report.ipynb" in opened and "editor:params/pingtan/2022.yaml" in opened
        assert "Serving notebooks from local directory: " + str(ROOT) in log.read_text()
        assert ("--allow-root" in log.read_text()) == (os.geteuid() == 0)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
