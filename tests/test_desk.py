"""The reviewer's desk (issue 16): audit.html beside every report, sign-off in a hash-chained log,
the approval states, kit verify on the chain, and the --replace-approved guard."""

from __future__ import annotations

import html
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from kit import cli, paths, project
from kit.api import RunOptions, run_report
from kit.audit import approvals, record, view
from kit.audit.verify import verify
from kit.batch import run_batch
from kit.content.report import load_report
from kit.exceptions import ApprovalError, ApprovedReport
from tests import browser
from tests.helpers import ROOT, in_ci

pytestmark = pytest.mark.slow

PARAMS = ROOT / "params"
WHEN = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def output(tmp_path_factory) -> Path:
    """Every report under params/, published once by a batch."""
    out = tmp_path_factory.mktemp("output")
    result = run_batch(PARAMS, RunOptions(output=out, project=project.Project()), workers=1)
    assert result.ok, [o.message for o in result.outcomes]
    return out


def reports(output: Path) -> list[Path]:
    return sorted(p for p in output.glob("*/20*") if p.is_symlink())


@pytest.fixture
def report(output, tmp_path) -> Path:
    """A copy of pingtan 2021's published folder (its log beside it), to approve and tamper with."""
    return Path(shutil.copytree(output / "pingtan" / "2021", tmp_path / "pingtan" / "2021"))


def test_every_report_has_an_audit_view_with_every_value_rule_and_provenance(output):
    folders = reports(output)
    expected = sorted((f.parent.name, f.stem) for f in PARAMS.glob("*/*.yaml"))
    assert [(p.parent.name, p.name) for p in folders] == expected
    assert len(folders) == 15  # ninghai, 平潭 2021 and 2022, 青山县 and its five departments in 2022 and 2023
    for folder in folders:
        run = record.read(folder)
        assert run is not None and run.files[-2:] == ["audit.html", "report.ipynb"]
        page = (folder / "audit.html").read_text(encoding="utf-8")
        injected = json.loads((folder / "report.ipynb").read_text())["metadata"]["papermill"]["parameters"]
        model = type(load_report(PARAMS / run.params_file.split("/", 1)[1]).model)
        rows = view.parameter_rows(injected["params"], model)
        assert len(rows) >= 30  # a small department types fewer cells than 平潭
        for path, label, value in rows:
            assert f'<td class="path">{html.escape(path, quote=False)}</td><td>{html.escape(label, quote=False)}</td>' \
                   f'<td class="value">{html.escape(value, quote=False)}</td>' in page, path
        for rule in view.rule_results(run):
            assert f"<td>{rule.code}</td><td>{html.escape(rule.title, quote=False)}</td><td>{rule.result}" in page
        for key in ("params", "notebook", "kit_code", "lock"):
            assert f"sha256 {run.inputs[key]}" in page
        assert run.inputs_key in page and f"{run.started_utc} — {run.ended_utc}" in page
        assert "由 fork 服务器派生" in page or "标准启动" in page
        assert "<script" not in page.lower() and "http://" not in page and "https://" not in page
        assert '<span class="kn">import</span>' in page  # code coloured by CSS classes
        assert 'class="computed" title="计算值"' in page


def test_audit_view_marks_findings_and_compares_with_last_year(output):
    page = (output / "pingtan" / "2022" / "audit.html").read_text(encoding="utf-8")
    assert ("<td>N1</td><td>正文中的数字与表格一致（已确认的差异列出理由）</td>"
            "<td>已确认 2<ul><li>正文“2022年，全区收到政府信息公开申请75件") in page
    assert "<td>R1</td><td>表三每列：一、本年新收 + 二、上年结转 = 三（七）总计 + 四、结转下年度</td><td>通过" in page
    assert "表格数字变化（params/pingtan/2021.yaml → params/pingtan/2022.yaml）：48 处。" in page
    assert "<li>存在的主要问题及改进情况：20.5%</li>" in page
    assert "没有上年参数文件" in (output / "ninghai-commerce" / "2020" / "audit.html").read_text(encoding="utf-8")


def test_audit_view_is_reproduced_by_verify(output):
    v = verify(output / "pingtan" / "2022")
    assert (v.status, v.parts, v.chain, v.approval) == ("reproduced", [], [], [])


@pytest.mark.browser
def test_audit_view_in_chromium_offline(output):
    if not browser.available():
        if in_ci():
            raise RuntimeError("headless Chromium is required under CI: install Debian's chromium and chromium-driver")
        pytest.skip("Debian's chromium/chromium-driver not installed")
    page = output / "pingtan" / "2022" / "audit.html"
    with browser.chromium() as driver:
        driver.get(page.as_uri())
        assert driver.title == "审计视图 · 平潭综合实验区2022年政府信息公开工作年度报告"
        assert driver.execute_script("return document.scripts.length") == 0
        assert browser.failed_requests(driver) == []
        assert browser.console_errors(driver) == []
        browser.full_page_screenshot(driver, paths.output_dir() / "screenshots" / "pingtan-2022-audit-view.png")


def test_approve_appends_a_chained_record_of_every_published_file(report):
    first = approvals.approve(report, "张三", "审核", "数字已核对", now=WHEN)
    second = approvals.approve(report, "李四", "签发", now=WHEN)
    lines = approvals.log_path(report).read_text(encoding="utf-8").splitlines()
    assert approvals.log_path(report) == report.parent / "2021.approvals.jsonl"
    assert [json.loads(line)["by"] for line in lines] == ["张三", "李四"]
    assert first.prev == approvals.GENESIS and second.prev == first.hash and second.seq == 2
    assert sorted(first.files) == ["audit.html", "report.html", "report.ipynb", "run.json"]
    assert first.inputs_key == record.read(report).inputs_key
    state = approvals.approval_state(report)
    assert state.label == "已审核（张三 审核 2026-11-30 10:00:00 UTC；李四 签发 2026-11-30 10:00:00 UTC）"
    assert approvals.verify_lines(report) == ([], [
        "审核：已审核（张三 审核 2026-11-30 10:00:00 UTC；李四 签发 2026-11-30 10:00:00 UTC）："
        "审核时的文件与现发布的文件逐字节相同"])


def test_approve_refuses_bad_role_empty_name_and_a_folder_without_report(report, tmp_path):
    with pytest.raises(ApprovalError, match=r"^审核角色应为 审核 或 签发，实际为 校对$"):
        approvals.approve(report, "张三", "校对")
    with pytest.raises(ApprovalError, match=r"^审核人（--by）不能为空$"):
        approvals.approve(report, " ")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ApprovalError, match=r"不是已发布的报告目录（缺少可读的 run\.json），无法审核$"):
        approvals.approve(tmp_path / "empty", "张三")


def _tamper(report: Path, how: str) -> None:
    log = approvals.log_path(report)
    lines = log.read_text(encoding="utf-8").splitlines(keepends=True)
    if how == "edited":
        lines[0] = lines[0].replace("张三", "王五")
    elif how == "removed":
        del lines[0]
    else:
        lines[0], lines[1] = lines[1], lines[0]
    log.write_text("".join(lines), encoding="utf-8")


MOVED = "2021.approvals.jsonl 第 1 行 的前一记录哈希为 {h0}，实际前一行为 000000000000：记录被删除、插入或调换了顺序"


@pytest.mark.parametrize(("how", "first_problem"), [
    ("edited", "2021.approvals.jsonl 第 1 行 已被改动：内容与其哈希 {h0} 不符"),
    ("removed", MOVED),
    ("reordered", MOVED),
])
def test_a_tampered_log_is_detected_by_verify(report, how, first_problem):
    a = approvals.approve(report, "张三", now=WHEN)
    b = approvals.approve(report, "李四", "签发", now=WHEN)
    approvals.approve(report, "赵六", now=WHEN)
    _tamper(report, how)
    expected = first_problem.format(h0=(a.hash if how == "edited" else b.prev)[:12])
    result = CliRunner().invoke(cli.main, ["verify", str(report)])
    lines = result.output.splitlines()
    assert result.exit_code == 1
    assert lines[0] == f"{report}：不一致"
    assert lines[1] == f"  {expected}"
    assert approvals.approval_state(report).state == "审核记录已被改动"
    with pytest.raises(ApprovalError, match="已被改动，不再追加审核记录"):
        approvals.approve(report, "孙七")


def test_approve_edit_republish_shows_changed_and_the_guard(output, tmp_path):
    params = tmp_path / "params" / "pingtan"
    shutil.copytree(PARAMS / "pingtan", params)
    out = tmp_path / "out"
    run_report(params / "2021.yaml", RunOptions(output=out))
    dest = out / "pingtan" / "2021"
    assert approvals.approval_state(dest).state == "未审核"
    result = CliRunner().invoke(cli.main, ["approve", str(dest), "--by", "张三", "--note", "已核对"])
    assert result.exit_code == 0, result.output
    assert approvals.approval_state(dest).approved
    text = (params / "2021.yaml").read_text(encoding="utf-8")
    (params / "2021.yaml").write_text(text.replace("date: \"2022-02-08\"", "date: \"2022-02-09\"", 1), encoding="utf-8")
    with pytest.raises(ApprovedReport) as refused:
        run_report(params / "2021.yaml", RunOptions(output=out))
    assert str(refused.value).endswith("：不覆盖已审核的版本；确需重新发布请加 --replace-approved"
                                       "（发布后状态为 审核后已变更，需重新审核）")
    assert "的现行版本已审核（张三 审核 " in str(refused.value)
    batch = run_batch(params.parent, RunOptions(output=out), workers=1)
    refused_2021 = next(o for o in batch.outcomes if o.year == "2021")
    assert (refused_2021.status, refused_2021.label) == ("refused", "已审核，未覆盖")
    assert refused_2021.approval.startswith("已审核（张三 审核 ")
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "已审核未覆盖 1（未加 --replace-approved）" in index
    run_report(params / "2021.yaml", RunOptions(output=out, replace_approved=True))
    state = approvals.approval_state(dest)
    assert state.state == "审核后已变更" and state.label.startswith("审核后已变更（上次审核：张三 审核 ")
    lines = approvals.verify_lines(dest)[1]
    assert lines[0].endswith("：现发布的文件与审核时不同（audit.html、report.html、report.ipynb、run.json）")
    batch = run_batch(params.parent, RunOptions(output=out), workers=1)
    assert next(o for o in batch.outcomes if o.year == "2021").approval.startswith("审核后已变更（上次审核：张三")
    assert '<td class="approval-审核后已变更">审核后已变更（上次审核：张三 审核 ' in (out / "index.html").read_text()
