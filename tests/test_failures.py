"""A refused or failing run: nothing published is touched; the failure is kept for review."""

from __future__ import annotations

import re
import shutil

import pytest

from kit.api import RunOptions, failed_notebook_path, run_report
from kit.exceptions import ExecutionError, ValidationFailed
from tests.helpers import SEED_PARAMS


def snapshot(root):
    return {p.relative_to(root): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def agency_dir(tmp_path):
    folder = tmp_path / "params" / "ninghai-commerce"
    folder.mkdir(parents=True)
    return folder


def test_invalid_file_is_refused_before_any_kernel(agency_dir, tmp_path):
    out = tmp_path / "output"
    (out / "ninghai-commerce" / "2020").mkdir(parents=True)
    (out / "ninghai-commerce" / "2020" / "report.html").write_text("published", encoding="utf-8")
    before = snapshot(out)
    bad = agency_dir / "2020.yaml"
    bad.write_text(SEED_PARAMS.read_text(encoding="utf-8").replace("projects: 2", "projects: -2"), encoding="utf-8")
    with pytest.raises(ValidationFailed) as info:
        run_report(bad, RunOptions(output=out))
    assert ("table2.procurement.projects（表二 › 第二十条第（九）项 › 政府集中采购 › 采购项目数量）"
            "：不能为负数") in str(info.value)
    assert snapshot(out) == before


@pytest.mark.slow
@pytest.mark.parametrize(
    ("cell", "message", "timeout"),
    [
        # the master notebook's last cell is the preview: the appended one is the 13th
        ("raise ValueError('坏了')", "第 13 个单元格出错：ValueError: 坏了", 60),
        ("import os\nos._exit(1)", "内核意外退出（DeadKernelError）", 60),
        ("import sys\nprint('内部错误', file=sys.stderr)", "执行时向 stderr 输出：内部错误", 60),
        ("import time\ntime.sleep(30)", "单元格执行超时（上限 2 秒）", 2),
    ],
    ids=["raises", "dead-kernel", "stderr", "timeout"],
)
def test_failing_run_keeps_published_report_and_the_failed_notebook(tmp_path, monkeypatch, cell, message, timeout):
    import nbformat

    from kit import paths

    out = tmp_path / "output"
    dest = out / "ninghai-commerce" / "2020"
    dest.mkdir(parents=True)
    (dest / "report.html").write_text("published", encoding="utf-8")
    broken = tmp_path / "notebooks" / "report.ipynb"
    broken.parent.mkdir()
    nb = nbformat.read(paths.master_notebook(), as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(cell))
    nbformat.write(nb, broken)
    monkeypatch.setattr(paths, "master_notebook", lambda: broken)
    with pytest.raises(ExecutionError, match=re.escape(message)):
        run_report(SEED_PARAMS, RunOptions(output=out, timeout=timeout))
    assert (dest / "report.html").read_text(encoding="utf-8") == "published"
    assert not (dest / "report.ipynb").exists()
    record = nbformat.read(failed_notebook_path(dest), as_version=4)  # the cells run before the failure, kept
    title = next(c for c in record.cells if c.get("id") == "title")
    assert "宁海县商务局" in str(title.outputs)
    assert record.metadata.papermill.end_time is not None
    shutil.rmtree(out)
