"""kit batch: parallel, going on past failures, incremental, one at a time, kill-safe, on Dask."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner

from kit import cli
from kit.api import RunOptions
from kit.audit import record
from kit.batch import batch_lock, run_batch
from kit.exceptions import OutputLocked
from tests.helpers import ROOT

pytestmark = pytest.mark.slow

SEED = (ROOT / "params" / "ninghai-commerce" / "2020.yaml").read_text(encoding="utf-8")


def make_project(base: Path, good: int = 2, invalid: bool = True, boom: bool = True) -> Path:
    """A project root of its own (KIT_ROOT): the master notebook, a lock file, parameter files.

    Its notebook raises for the agency ``boom`` only, so one valid report fails in the kernel.
    """
    root = base / "project"
    (root / "notebooks").mkdir(parents=True)
    nb = nbformat.read(ROOT / "notebooks" / "report.ipynb", as_version=4)
    nb.cells.insert(3, nbformat.v4.new_code_cell(
        "if report.model.agency.id == 'boom':\n    raise RuntimeError('boom 单位的笔记本出错')", id="boom"))
    nbformat.write(nb, root / "notebooks" / "report.ipynb")
    shutil.copy(ROOT / "requirements.lock", root / "requirements.lock")
    for i in range(good):
        write_params(root, f"agency-{i}", SEED)
    shutil.copytree(ROOT / "params" / "pingtan", root / "params" / "pingtan")
    if invalid:
        write_params(root, "broken", SEED.replace("projects: 2", "projects: -2"))
    if boom:
        write_params(root, "boom", SEED)
    return root


def write_params(root: Path, agency: str, text: str, year: int = 2020) -> Path:
    folder = root / "params" / agency
    folder.mkdir(parents=True, exist_ok=True)
    f = folder / f"{year}.yaml"
    f.write_text(text.replace("id: ninghai-commerce", f"id: {agency}"), encoding="utf-8")
    return f


@pytest.fixture
def project(tmp_path, monkeypatch):
    root = make_project(tmp_path)
    monkeypatch.setenv("KIT_ROOT", str(root))  # inherited by the spawned workers
    return root


def statuses(result) -> dict[str, str]:
    return {o.params_file: o.status for o in result.outcomes}


def test_failures_are_reported_and_the_rest_publishes(project):
    result = run_batch(workers=2)
    assert statuses(result) == {
        "params/agency-0/2020.yaml": "published",
        "params/agency-1/2020.yaml": "published",
        "params/boom/2020.yaml": "failed",
        "params/broken/2020.yaml": "invalid",
        "params/pingtan/2021.yaml": "published",
        "params/pingtan/2022.yaml": "published",
    }
    by_file = {o.params_file: o for o in result.outcomes}
    assert "RuntimeError: boom 单位的笔记本出错" in by_file["params/boom/2020.yaml"].message
    assert by_file["params/broken/2020.yaml"].errors == (
        "params/broken/2020.yaml:41: 错误[schema] table2.procurement.projects"
        "（表二 › 第二十条第（九）项 › 政府集中采购 › 采购项目数量）：不能为负数（应为 ≥ 0，实际为 -2）",)
    out = project / "output"
    assert (out / "boom" / "2020.failed.ipynb").exists() and not (out / "boom" / "2020").exists()
    assert not (out / "broken").exists()
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "共 6 个报告：已发布 4，未变化 0，失败 1，参数无效 1。" in index
    assert "boom 单位的笔记本出错" in index and "不能为负数" in index
    assert '<a href="agency-0/2020/report.html">报告</a>' in index
    assert not re.search(r"https?://|<script", index)


def test_cli_summary_and_exit_code(project, monkeypatch):
    monkeypatch.chdir(project)  # no argument: params/ of the current directory
    result = CliRunner().invoke(cli.main, ["batch", "--workers", "2"])
    assert result.exit_code == 1
    assert result.output.startswith("参数目录 params\n")
    assert "共 6 个报告：已发布 4，未变化 0，失败 1，参数无效 1，警告 1；总览 output/index.html" in result.output
    assert "— 失败 params/boom/2020.yaml：" in result.output
    assert "— 参数无效 params/broken/2020.yaml：参数文件有 1 个错误" in result.output


def test_incremental_rules(project):
    run_batch(workers=2)
    again = run_batch(workers=2)
    assert statuses(again)["params/agency-0/2020.yaml"] == "unchanged"
    assert [s for s in statuses(again).values()].count("unchanged") == 4
    assert statuses(again)["params/boom/2020.yaml"] == "failed"  # never published: tried again
    # one agency's file changes: that agency re-runs, and its following year, which reads it
    f = project / "params" / "pingtan" / "2021.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace("self_name: 我区", "self_name: 本区"), encoding="utf-8")
    third = statuses(run_batch(workers=2))
    assert {k for k, v in third.items() if v == "published"} == {"params/pingtan/2021.yaml",
                                                                   "params/pingtan/2022.yaml"}
    # the master notebook changes: everything re-runs
    nb = project / "notebooks" / "report.ipynb"
    nb.write_text(nb.read_text(encoding="utf-8").replace("# Parameters.", "# Parameters (edited)."),
                  encoding="utf-8")
    assert list(statuses(run_batch(workers=2)).values()).count("published") == 4
    # --force re-runs what is unchanged
    assert list(statuses(run_batch(workers=2, force=True)).values()).count("published") == 4


def test_a_batch_tidies_what_a_killed_publisher_left_beside_a_report_now_up_to_date(project):
    """Killed after it switched a report's link but before it removed the old version: the next batch
    finds that report unchanged and publishes nothing there, yet leaves nothing behind."""
    run_batch(workers=2)
    out = project / "output" / "agency-0"
    current = (out / "2020").resolve()
    old = out / ".2020.0123456789ab"  # the version the link pointed at before
    shutil.copytree(current, old)
    os.symlink(current.name, out / ".2020.link-0123456789ab")  # a link not yet moved into place
    (out / ".2020.notebook.tmp").write_bytes(b"half")
    untouched = sorted(p.name for p in (project / "output" / "agency-1").iterdir())
    again = run_batch(workers=2)
    assert statuses(again)["params/agency-0/2020.yaml"] == "unchanged"
    assert sorted(p.name for p in out.iterdir()) == sorted({"2020", current.name})
    assert (out / "2020").resolve() == current and (current / "report.html").is_file()
    assert sorted(p.name for p in (project / "output" / "agency-1").iterdir()) == untouched


def test_second_batch_is_refused_while_one_runs(project):
    out = project / "output"
    with batch_lock(out), pytest.raises(OutputLocked) as info:
        run_batch(workers=1)
    assert str(info.value) == (f"另一个 kit batch 正在写入同一输出目录（进程 {os.getpid()}，"
                               "锁文件 output/.kit-batch.lock）：请等它结束后再运行")


def version_key(version: Path) -> str:
    """The inputs key of one published version folder, checked whole: its three files, of one run."""
    files = sorted(p.name for p in version.iterdir())
    assert files == ["audit.html", "report.html", "report.ipynb", "run.json"], (version, files)
    run = record.read(version)
    html = (version / "report.html").read_text(encoding="utf-8")
    assert html.rstrip().endswith("</html>")
    nb = nbformat.read(version / "report.ipynb", as_version=4)
    key = run.inputs_key
    assert f'<meta name="kit-inputs" content="{key}">' in html
    assert nb.metadata["kit"]["inputs_key"] == key
    return key


def published_state(out: Path) -> dict[str, str]:
    """Every published report: the version folder its link points at, checked whole. Read through
    the resolved folder, not the link, so a swap during the reads can't mix two versions; when a
    batch runs, a folder just swapped out may be removed mid-read: the link is resolved again."""
    state = {}
    for link in sorted(out.glob("*/*")):
        if link.name.startswith(".") or not link.is_symlink():
            continue
        for attempt in range(20):
            try:
                state[str(link.relative_to(out))] = version_key(link.resolve())
                break
            except FileNotFoundError:
                if attempt == 19:
                    raise
    return state


def test_sigkill_in_the_middle_leaves_old_or_new_never_half(tmp_path):
    root = make_project(tmp_path, good=8, invalid=False, boom=False)
    env = {**os.environ, "KIT_ROOT": str(root)}
    cmd = [sys.executable, "-m", "kit.cli", "batch", "--workers", "2"]
    subprocess.run(cmd, env=env, check=True, capture_output=True, timeout=600)
    out = root / "output"
    old = published_state(out)
    assert len(old) == 10
    for f in (root / "params").glob("agency-*/2020.yaml"):  # new inputs for eight reports
        f.write_text(f.read_text(encoding="utf-8").replace("我局", "本局"), encoding="utf-8")
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:  # check the published state all along, until some are new
            state = published_state(out)
            if sum(state[k] != old[k] for k in state) >= 2:
                break
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    middle = published_state(out)
    changed = {k for k in middle if middle[k] != old[k]}
    assert 2 <= len(changed) < 8, changed  # killed in the middle: some new, some old, none half
    assert set(middle) == set(old)
    subprocess.run(cmd, env=env, check=True, capture_output=True, timeout=600)
    final = published_state(out)
    assert sum(final[k] != old[k] for k in final) == 8
    assert not [p for p in out.glob("*/.*") if p.resolve() not in {(out / k).resolve() for k in final}]


def test_dask_cluster_publishes_the_same_files(project, tmp_path):
    from distributed import Client, LocalCluster

    local = run_batch(workers=2, options=RunOptions(output=tmp_path / "local"))
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        remote = run_batch(executor=client.get_executor(pure=False), options=RunOptions(output=tmp_path / "dask"))
    assert statuses(remote) == statuses(local)

    def tree(base: Path) -> dict[str, bytes]:
        return {str(p.relative_to(base)): (p / "report.html").read_bytes()
                for p in sorted(base.glob("*/*")) if p.is_symlink()}

    assert tree(tmp_path / "dask") == tree(tmp_path / "local")
    assert len(tree(tmp_path / "dask")) == 4
