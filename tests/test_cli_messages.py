"""Issue 11 §5 at the command line: nothing vanishes silently; the CLI speaks Chinese; paths
printed are correct from the directory it runs in."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from kit import cli
from tests.factories import PROBLEMS
from tests.helpers import ROOT

LAST = ("year: 2021\nagency: {id: test-agency, name: 测试局, kind: department}\n"
        "overview: {proactive: {total: 3}}\ntable3: {new: {natural: -2}}\n" f"problems: {PROBLEMS}\n")
THIS = ("year: 2022\nagency: {id: test-agency, name: 测试局, kind: department}\n"
        "overview: {proactive: {total: 5}}\ntable2: {fees: {amount: 1.234}}\n"
        "table3: {new: {natural: 2}, carry_in: {natural: 1}, outcomes: {granted: {natural: 3}}}\n"
        f"problems: {PROBLEMS}\n")
X0 = ("params/test-agency/2022.yaml: 警告[X0]：上年参数文件 params/test-agency/2021.yaml 无效，有 1 个错误"
      "（第 4 行 table3.new.natural：不能为负数）：本报告不做跨年度检查（X1、X2），也不写与上年的比较")
M1 = ("params/test-agency/2022.yaml:4: 警告[M1] table2.fees.amount（表二 › 第二十条第（八）项 › 行政事业性收费 › "
      "本年收费金额（单位：万元））：金额以万元为单位，一般保留两位小数；请核对是否把元当作万元或多抄了小数位"
      "（应为 至多2位小数，实际为 1.234）")
LAST_ERROR = ("params/test-agency/2021.yaml:4: 错误[schema] table3.new.natural"
              "（表三 › 一、本年新收政府信息公开申请数量 › 自然人）：不能为负数（应为 ≥ 0，实际为 -2）")


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A folder with params/test-agency/2021.yaml (invalid) and 2022.yaml; the current directory."""
    folder = tmp_path / "params" / "test-agency"
    folder.mkdir(parents=True)
    (folder / "2021.yaml").write_text(LAST, encoding="utf-8")
    (folder / "2022.yaml").write_text(THIS, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def lines(result) -> list[str]:
    return result.output.splitlines()


def test_validate_uses_params_of_the_current_directory_and_says_an_invalid_previous_year(project):
    result = CliRunner().invoke(cli.main, ["validate"])
    assert result.exit_code == 3
    assert lines(result) == ["参数目录 params", LAST_ERROR, M1, X0, "已校验 2 个文件：1 个错误，2 个警告"]


def test_validate_prints_paths_correct_from_a_subdirectory(project, monkeypatch):
    monkeypatch.chdir(project / "params")
    result = CliRunner().invoke(cli.main, ["validate", "test-agency/2022.yaml"])
    assert lines(result) == [M1.removeprefix("params/"), X0.replace("params/", ""),
                             "已校验 1 个文件：0 个错误，2 个警告"]


def test_validate_without_params_here_uses_the_projects_and_prints_paths_from_here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli.main, ["validate"])
    assert result.exit_code == 0, result.output
    assert lines(result)[0] == f"参数目录 {ROOT / 'params'}"
    problems = lines(result)[1:-1]
    assert problems and all(line.startswith(f"{ROOT}/params/") for line in problems)


def test_kit_root_names_the_project_whose_params_are_the_default(project, tmp_path, monkeypatch):
    monkeypatch.setenv("KIT_ROOT", str(ROOT))  # explicit: the project's params/, not ./params
    result = CliRunner().invoke(cli.main, ["validate"])
    assert lines(result)[0] == f"参数目录 {ROOT / 'params'}"
    assert lines(result)[-1].startswith("已校验 15 个文件：")  # the project's fifteen, not ./params's two


def test_batch_prints_each_reports_warnings_and_counts_them(project):
    f = project / "params" / "test-agency" / "2022.yaml"  # refused too: no kernel starts
    f.write_text(THIS.replace("carry_in: {natural: 1}", "carry_in: {natural: 2}"), encoding="utf-8")
    result = CliRunner().invoke(cli.main, ["batch", "--output", "out"])
    assert result.exit_code == 1
    r1 = ("params/test-agency/2022.yaml:5: 错误[R1] table3.carry_out.natural"
          "（表三 › 四、结转下年度继续办理 › 自然人）："
          "一、本年新收 + 二、上年结转应等于（七）总计 + 四、结转下年度：2 + 2 ≠ 3 + 0（应为 1，实际为 0）")
    assert lines(result) == [
        "参数目录 params",
        "参数无效 params/test-agency/2021.yaml",
        "参数无效 params/test-agency/2022.yaml",
        f"    {M1}",
        f"    {X0}",
        "共 2 个报告：已发布 0，未变化 0，失败 0，参数无效 2，警告 2；总览 out/index.html",
        "— 参数无效 params/test-agency/2021.yaml：参数文件有 1 个错误",
        f"    {LAST_ERROR}",
        "— 参数无效 params/test-agency/2022.yaml：参数文件有 1 个错误",
        f"    {r1}",
    ]


@pytest.mark.slow
def test_run_and_batch_say_the_previous_year_is_invalid_and_still_publish(project):
    result = CliRunner().invoke(cli.main, ["run", "params/test-agency/2022.yaml", "--output", "out"])
    assert result.exit_code == 0, result.output
    assert lines(result)[:3] == [M1, X0, "已发布 out/test-agency/2022/report.html（" + lines(result)[2].split("（")[1]]
    html = (project / "out" / "test-agency" / "2022" / "report.html").read_text(encoding="utf-8")
    assert "本年度我单位共收到政府信息公开申请2件（其中自然人2件，法人或其他组织0件），上年结转1件；" in html
    assert "较上年" not in html and "上年为" not in html and "与上年持平" not in html
    result = CliRunner().invoke(cli.main, ["batch", "--output", "out", "--force"])
    assert lines(result)[1:7] == ["参数无效 params/test-agency/2021.yaml", lines(result)[2],
                                  "    out/test-agency/2022/report.html", "    out/test-agency/2022/audit.html",
                                  f"    {M1}", f"    {X0}"]
    assert lines(result)[2].startswith("已发布 params/test-agency/2022.yaml（")
    assert lines(result)[7] == "共 2 个报告：已发布 1，未变化 0，失败 0，参数无效 1，警告 2；总览 out/index.html"


def test_click_speaks_chinese():
    runner = CliRunner()
    result = runner.invoke(cli.main, ["--help"], prog_name="kit")
    assert lines(result)[0] == "用法: kit [选项] 命令 [参数]..."
    assert "  --help     显示本帮助并退出。" in lines(result)
    assert "选项:" in lines(result) and "命令:" in lines(result)
    result = runner.invoke(cli.main, ["run"], prog_name="kit")
    assert result.exit_code == 2
    assert lines(result) == ["用法: kit run [选项] PARAMS_FILE", "运行 “kit run --help” 查看帮助。", "",
                             "错误：缺少参数 'PARAMS_FILE'."]
    result = runner.invoke(cli.main, ["validate", "nope.yaml"])
    assert lines(result)[-1] == "错误：'[PATHS]...' 的取值无效：路径 'nope.yaml' 不存在。"
    result = runner.invoke(cli.main, ["batch", "--workers", "x"])
    assert lines(result)[-1] == "错误：'--workers' 的取值无效：'x' 不是有效的整数。"
    result = runner.invoke(cli.main, ["batch", "--help"])
    assert "  --timeout SECONDS      每个单元格的时间上限（秒）  [默认：600]" in lines(result)
    result = runner.invoke(cli.main, ["rn"])
    assert lines(result)[-1] == "错误：没有命令 'rn'。 是不是想写 'run'？"
