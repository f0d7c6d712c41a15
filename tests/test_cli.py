"""The CLI is a thin layer: arguments reach the library; errors become messages and exit codes."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from kit import api, cli
from tests.factories import PROBLEMS
from tests.helpers import SEED_PARAMS


def test_run_passes_its_options_to_the_library(monkeypatch, tmp_path):
    seen = {}

    def fake_run_report(path, options):
        seen["path"], seen["options"] = path, options
        html = tmp_path / "report.html"
        html.write_text("x", encoding="utf-8")
        return api.RunResult("params/x/2020.yaml", html, tmp_path / "report.ipynb", 1.25)

    monkeypatch.setattr(api, "run_report", fake_run_report)
    result = CliRunner().invoke(cli.main, ["run", str(SEED_PARAMS), "--output", str(tmp_path), "--timeout", "30"])
    assert result.exit_code == 0, result.output
    assert seen["path"] == SEED_PARAMS
    assert seen["options"] == api.RunOptions(output=tmp_path, timeout=30)
    assert "用时 1.2 秒" in result.output or "用时 1.3 秒" in result.output


def test_validate_clean_params_dir():
    result = CliRunner().invoke(cli.main, ["validate"])
    assert result.exit_code == 0, result.output
    # 平潭 2021's 收费金额 has six decimals (24252.311082 万元, as published): a warning;
    # 平潭 2022's text quotes 收到75件（自然人72件） where 表三 has 新收 74 (71): acknowledged in the file
    assert result.output.strip().splitlines()[-1] == "已校验 15 个文件：0 个错误，1 个警告，2 处已确认的差异"
    assert "已确认[N1]" in result.output and "〔指纹 N1-0de6390be1〕；确认理由：原文“收到75件”" in result.output


def write(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "test-agency"
    folder.mkdir(exist_ok=True)
    f = folder / "2022.yaml"
    f.write_text(text + f"problems: {PROBLEMS}\noverview: {{proactive: {{total: 0}}}}\n", encoding="utf-8")
    return f


def test_validate_reports_errors_and_exits_3(tmp_path):
    f = write(tmp_path, "year: 2022\nagency: {id: test-agency, name: 测试局, kind: department}\n"
                        "table3:\n  new: {natural: 2}\n")
    result = CliRunner().invoke(cli.main, ["validate", str(f)])
    assert result.exit_code == 3
    assert "错误[R1] table3.carry_out.natural（表三 › 四、结转下年度继续办理 › 自然人）" in result.output
    assert result.output.strip().splitlines()[-1] == "已校验 1 个文件：1 个错误，0 个警告"


def test_validate_reports_unreadable_yaml(tmp_path):
    f = write(tmp_path, "year: 2022\nyear: 2023\n")
    result = CliRunner().invoke(cli.main, ["validate", str(f)])
    assert result.exit_code == 3
    assert ":2:1: 不是有效的 YAML：重复的键 'year'（第一次出现在第 1 行）" in result.output


def test_run_refuses_an_invalid_file_with_its_exit_code(tmp_path):
    f = write(tmp_path, "year: 2022\nagency: {id: test-agency, name: 测试局, kind: department}\n"
                        "table3:\n  new: {natural: 2}\n")
    result = CliRunner().invoke(cli.main, ["run", str(f), "--output", str(tmp_path / "out")])
    assert result.exit_code == 3
    assert "参数文件有 1 个错误" in result.output
    assert not (tmp_path / "out").exists()
