"""Hostile and broken parameter files (issue 12 §2, issue 11 §4's input points): each gets the
kit's own message, in Chinese, naming the file, the field and its label; none reaches a
Python error, none costs more than a small file should."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner

from kit import cli
from kit.api import RunOptions, plan
from kit.batch import run_batch
from kit.check import checks
from kit.check.validate import validate_data, validate_file
from kit.content import charts, render
from kit.exceptions import ExportError, ParamsError
from kit.read import params
from kit.write.export import guard, to_html
from tests.helpers import prepared

FILE = "params/test-agency/2022.yaml"
HEAD = "year: 2022\nagency:\n  id: test-agency\n  name: 测试局\n  kind: department\n"


def parse_error(text: str) -> str:
    with pytest.raises(ParamsError) as info:
        params.parse(text, FILE)
    return str(info.value)


# What a file this short also gets, whatever else is wrong with it: no 主动公开 total (P2),
# no part 五 (S5), nothing at all (E1). The tests here are about the other problems.
INCOMPLETE = {"P2", "S5", "E1"}


def problems(text: str) -> list[str]:
    loaded = params.parse(text, FILE)
    return [str(p) for p in validate_data(loaded.data, FILE, loaded=loaded).problems if p.rule not in INCOMPLETE]


# --- reading: aliases, limits, what is not a file ------------------------------------------------

def test_aliases_are_refused_before_any_expansion():
    # three levels here (9 ** 3 values); the same at nine levels took 23.7 GB before
    laughs = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n" for p, n in zip("ab", "bc", strict=True))
    assert parse_error(laughs) == f"{FILE}:2:8: 不支持 YAML 别名（*a）：参数文件中每个值都请直接写出"


def test_nesting_beyond_the_limit_is_refused():
    assert parse_error("x: " + "[" * 100 + "]" * 100 + "\n") == (
        f"{FILE}:1:23: 嵌套层数超过 20 层：参数文件不需要这么深的结构")
    # libyaml's own limit is met first in the stream of events: the same words
    assert parse_error("x: " + "[" * 5000 + "]" * 5000 + "\n") == (
        f"{FILE}:1:1003: 不是有效的 YAML：嵌套层数超过 20 层：参数文件不需要这么深的结构")


def test_a_complex_mapping_key_is_refused():
    assert parse_error(HEAD + "table3:\n  ? [a, b]\n  : 1\n") == (
        f"{FILE}:7:5: 不是有效的 YAML：键只能是一个名字，不能是列表或映射（“? [a, b]”这样的写法）")


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path):
    big = tmp_path / "2022.yaml"
    big.write_text(HEAD + "problems: '" + "很" * 400_000 + "'\n", encoding="utf-8")
    with pytest.raises(ParamsError) as info:
        params.read(big, FILE)
    assert str(info.value) == f"{FILE}: 文件太大（{big.stat().st_size} 字节，上限 1048576 字节）"


def test_a_directory_or_device_is_refused(tmp_path):
    folder = tmp_path / "2022.yaml"
    folder.mkdir()
    with pytest.raises(ParamsError) as info:
        params.read(folder, FILE)
    assert str(info.value) == f"{FILE}: 不是普通文件（是目录）：参数文件应是一个 .yaml 文本文件"
    with pytest.raises(ParamsError) as info:
        params.read("/dev/null", FILE)
    assert str(info.value) == f"{FILE}: 不是普通文件（是设备或特殊文件）：参数文件应是一个 .yaml 文本文件"


def test_a_fifo_is_refused_without_opening_it(tmp_path):
    fifo = tmp_path / "2022.yaml"
    os.mkfifo(fifo)
    writer = threading.Thread(target=fifo.write_text, args=(HEAD,), daemon=True)  # blocks until a reader opens
    writer.start()
    try:
        with pytest.raises(ParamsError) as info:
            params.read(fifo, FILE)
    finally:
        fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # let the writer finish if nobody read
        writer.join()
        os.close(fd)
    assert str(info.value) == f"{FILE}: 不是普通文件（是管道（FIFO））：参数文件应是一个 .yaml 文本文件"


# --- YAML syntax errors in Chinese, at the line of the usual slip --------------------------------

@pytest.mark.parametrize(
    ("text", "message"),
    [
        (HEAD.replace("name: 测试局", "name：测试局"),
         ":4:7: 不是有效的 YAML：找不到键后面的冒号“:”；第 4 行键后面是全角冒号“：”：请改为半角冒号加空格“: ”"),
        (HEAD + "problems：改进\n",
         ":6:9: 不是有效的 YAML：找不到键后面的冒号“:”；第 6 行键后面是全角冒号“：”：请改为半角冒号加空格“: ”"),
        (HEAD.replace("  name", "\tname"),
         ":4:1: 不是有效的 YAML：不能用制表符（Tab）缩进；第 4 行用了制表符（Tab）缩进：YAML 只能用空格缩进"),
        (HEAD.replace("  name", "\u3000name"),
         ":4:1: 不是有效的 YAML：这里不能出现“键: 值”（冒号位置或缩进不对）；第 4 行有全角空格“　”：请改为半角空格"),
        (HEAD.replace("kind: department", "kind:department"),
         ":5:7: 不是有效的 YAML：找不到键后面的冒号“:”；第 5 行冒号后缺少空格：应写成“键: 值”"),
        (HEAD.replace("name: 测试局", 'name: "测试局'),
         ":4:9: 不是有效的 YAML：第 4 行的引号没有配对（缺少结尾的引号）"),
        (HEAD.replace("测试局", "测试\x07局"),
         ":4:11: 不是有效的 YAML：含有不允许的控制字符 U+0007：请删去"),
    ],
    ids=["full-width-colon", "full-width-colon-top", "tab", "full-width-space", "no-space", "quote", "control"],
)
def test_syntax_errors_in_chinese_with_a_hint(text, message):
    assert parse_error(text) == FILE + message


def test_a_missing_space_that_still_parses_gets_the_hint():
    assert problems(HEAD + "table3:\n  new:\n    natural:2\n") == [
        f"{FILE}:7: 错误[schema] table3.new（表三 › 一、本年新收政府信息公开申请数量）：应为键值映射；"
        "“natural:2”像是冒号后缺少空格，应写成“natural: 2”（应为 键值映射，实际为 “natural:2”（文本））"]


# --- cells ---------------------------------------------------------------------------------------

NEW = "表三 › 一、本年新收政府信息公开申请数量"
FEES = "表二 › 第二十条第（八）项 › 行政事业性收费 › 本年收费金额（单位：万元）"


def test_null_cells_are_one_message_per_file():
    assert problems(HEAD + "table3:\n  new: {natural: , commercial: ~}\n  outcomes: {granted: {natural: null}}\n") == [
        f"{FILE}:7: 错误[schema] table3.new.natural（{NEW} › 自然人）："
        "有 3 处空值（null，多为从表格复制来的空白单元格）："
        "没有发生的事项请填 0，或删去该行；空值在：table3.new.natural（第 7 行）、table3.new.commercial（第 7 行）、"
        "table3.outcomes.granted.natural（第 8 行）（应为 0 或删去该行，实际为 空值）"]


def test_a_misspelt_key_left_blank_is_named_as_misspelt():
    assert problems(HEAD + "table3:\n  new: {natural: ~, social: ~}\n") == [
        f"{FILE}:7: 错误[schema] table3.new.social（{NEW}）：未知的键 'social'"
        "（可用的键：natural, commercial, research, public_interest, legal_services, other, total）",
        f"{FILE}:7: 错误[schema] table3.new.natural（{NEW} › 自然人）："
        "有 1 处空值（null，多为从表格复制来的空白单元格）："
        "没有发生的事项请填 0，或删去该行；空值在：table3.new.natural（第 7 行）（应为 0 或删去该行，实际为 空值）"]


@pytest.mark.parametrize("cell", ["/", "—", "不适用"])
def test_not_applicable_cells_are_refused_saying_write_0(cell):
    assert problems(HEAD + f"table3:\n  new: {{natural: {cell}}}\n") == [
        f"{FILE}:7: 错误[schema] table3.new.natural（{NEW} › 自然人）：“{cell}”不是数字：格式要求没有发生的事项填 0"
        f"（或删去该行），不能写“/”“—”或“不适用”（应为 整数（没有发生的填 0），实际为 “{cell}”（文本））"]


@pytest.mark.parametrize(
    ("amount", "message"),
    [("12万", "金额只写数字，不带单位：应写 12（单位已是万元）"),
     ('"100"', "金额应写成数字，不要加引号：应写 100（单位：万元）"),
     ("1e3", "金额请写成普通数字（如 1000），不用科学计数法（单位：万元）"),
     ("5元", "这里的单位是万元：5元应写成 0.0005"),
     ("约5万", "金额应为数字（单位：万元），不要带单位或文字")],
)
def test_money_typed_with_units_or_quotes(amount, message):
    actual = amount.strip('"')
    assert problems(HEAD + f"table2:\n  fees: {{amount: {amount}}}\n") == [
        f"{FILE}:7: 错误[schema] table2.fees.amount（{FEES}）：{message}"
        f"（应为 数字（单位：万元），实际为 “{actual}”（文本））"]


def test_the_processing_fee_is_in_yuan():
    assert problems(HEAD + "processing_fee: 12万\n") == [
        f"{FILE}:6: 错误[schema] processing_fee（本年收取的信息处理费（单位：元））："
        "这里的单位是元：12万元应写成 120000"
        "（应为 数字（单位：元），实际为 “12万”（文本））"]


def test_integers_beyond_64_bits_and_sums_that_would_overflow():
    assert problems(HEAD + "table3:\n  new: {natural: 99999999999999999999999}\n") == [
        f"{FILE}:7: 错误[schema] table3.new.natural（{NEW} › 自然人）：超出允许的范围"
        "（应为 ≤ 1000000000000，实际为 99999999999999999999999）"]
    # each below 2**63, their sum not: refused, never printed as a negative total
    big = 2**63 - 1
    found = problems(HEAD + f"table3:\n  new: {{natural: {big}, commercial: {big}}}\n")
    assert found[1] == (f"{FILE}:7: 错误[schema] table3.new.commercial（{NEW} › 商业企业）：超出允许的范围"
                        f"（应为 ≤ 1000000000000，实际为 {big}）")
    assert len(found) == 2


def test_a_negative_change_beyond_the_bound_says_the_bound():
    text = HEAD.replace("2022", "2020") + "table2:\n  licensing: {previous: 1, change: -10000000000000}\n"
    assert problems(text) == [
        f"{FILE}:7: 错误[schema] table2.licensing.change（表二 › 第二十条第（五）项 › 行政许可 › 本年增/减）："
        "超出允许的范围（应为 ≥ -1000000000000，实际为 -10000000000000）"]


def test_a_year_typed_as_a_string_gets_one_message():
    assert problems(HEAD.replace("year: 2022", "year: '2022'")) == [
        f"{FILE}:1: 错误[schema] year（报告年度）：数字不要加引号：应写 2022"
        "（应为 整数（不加引号），实际为 “2022”（文本））"]


@pytest.mark.parametrize(("escape", "name"), [("\\u202E", "RIGHT-TO-LEFT OVERRIDE"), ("\\u200B", "ZERO WIDTH SPACE"),
                                              ("\\u2066", "LEFT-TO-RIGHT ISOLATE"), ("\\x1b", "控制字符")])
def test_invisible_characters_are_refused_not_stripped(escape, name):
    code = escape.replace("\\u", "").replace("\\x", "").upper().rjust(4, "0")
    assert problems(HEAD + f'problems: "加强培训{escape}，改进工作"\n') == [
        f"{FILE}:6: 错误[schema] problems（五、存在的主要问题及改进情况（Markdown））："
        f"含有看不见的字符 U+{code}（{name}）："
        "它们会让页面显示的文字与文件不同，已拒绝（不会自动删去），请删去后再校验"]


def test_a_hundred_extra_sections():
    sections = "".join(f"  - {{title: 第{i}节, after: other, text: 内容}}\n" for i in range(100))
    assert problems(HEAD + "extra_sections:\n" + sections) == [
        f"{FILE}:6: 错误[schema] extra_sections（本单位增加的部分）：项数太多（应为 不超过 20 项，实际为 100 项）"]


# --- free text that is harmless must publish -----------------------------------------------------

def test_a_dollar_in_a_category_name_is_printed_as_written():
    data = {"year": 2022, "agency": {"id": "test-agency", "name": "测试局", "kind": "department"},
            "overview": {"proactive": {"categories": [{"name": "费用$\\frac$类", "count": 3},
                                                      {"name": "a$b$c", "count": 2}]}}}
    svg = charts.proactive_categories(validate_data(data, FILE).model)
    assert ">费用$\\frac$类</text>" in svg and ">a$b$c</text>" in svg


def notebook(html: str, title: str = "测试局2022年政府信息公开工作年度报告") -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("kit.show.part(report, 'problems')")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": html})]
    nb.cells = [cell]
    nb.metadata["kit"] = {"title": title, "version_line": "kit 0.1"}
    return nb


def test_template_syntax_and_urls_in_free_text_publish_as_text():
    text = "改进 {{ x }} 与 {% if %}，参考 url(https://example.org/a.png) 和 src=//cdn.example/x"
    page = to_html(notebook(str(render.markdown(text)), title="{{测试}}局2022年政府信息公开工作年度报告"))
    assert "<p>改进 {{ x }} 与 {% if %}，参考 url(https://example.org/a.png) 和 src=//cdn.example/x</p>" in page
    assert "<title>{{测试}}局2022年政府信息公开工作年度报告</title>" in page


def test_the_guard_still_refuses_what_the_template_writes():
    nb = notebook("<p>正文</p>")
    with pytest.raises(ExportError) as info:
        guard(nb, "<html><body>{{ leftover }}<p>正文</p></body></html>")
    assert str(info.value) == "导出的 HTML 含有不应出现的内容：'{{'（位置 12）"
    with pytest.raises(ExportError) as info:
        guard(nb, '<html><head><style>@import "x.css";</style></head><p>正文</p></html>')
    assert str(info.value) == "导出的 HTML 含有不应出现的内容：'@import'（位置 19）"
    with pytest.raises(ExportError) as info:  # markup in an output that fetches: the line and column
        guard(notebook('<p>正文</p>\n<img src="https://cdn.example/a.png">'),
              '<html><body><p>正文</p>\n<img src="https://cdn.example/a.png"></body></html>')
    assert str(info.value) == "导出的 HTML 含有不应出现的内容：'src=\"https://'（第 2 行第 1 列）"


# --- one file never takes the others down; files that clash; links --------------------------------

SEED = (Path(__file__).resolve().parents[1] / "params" / "ninghai-commerce" / "2020.yaml").read_text(encoding="utf-8")


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("KIT_ROOT", str(tmp_path))
    monkeypatch.chdir(tmp_path)  # the CLI prints paths as seen from the working directory
    return tmp_path


def put(root: Path, relative: str, text: str = SEED) -> Path:
    f = root / relative
    f.parent.mkdir(parents=True, exist_ok=True)
    f.write_text(text.replace("id: ninghai-commerce", f"id: {f.parent.name}"), encoding="utf-8")
    return f


def test_a_kit_defect_on_one_file_is_that_file_s_error(project, monkeypatch):
    put(project, "params/good/2020.yaml")
    put(project, "params/crash/2020.yaml", SEED.replace("projects: 2", "projects: 3"))
    real = checks.check

    def check(ctx, *rules):
        if ctx.params.agency.id == "crash":
            raise ZeroDivisionError("division by zero")
        return real(ctx, *rules)

    monkeypatch.setattr(checks, "check", check)
    result = CliRunner().invoke(cli.main, ["validate", str(project / "params")])
    assert result.exit_code == 3
    assert result.output.splitlines() == [
        "错误 params/crash/2020.yaml: 校验时发生内部错误（ZeroDivisionError: division by zero）：这是 kit 的缺陷，"
        "请把这个文件报告给维护者",
        "已校验 2 个文件：1 个错误，0 个警告"]
    refused, todo = prepared([project / "params/crash/2020.yaml", project / "params/good/2020.yaml"], RunOptions())
    assert [(o.params_file, o.status) for o in refused] == [("params/crash/2020.yaml", "invalid")]
    assert [p.validated.file for p in todo] == ["params/good/2020.yaml"]


def test_two_files_for_one_agency_year_are_one_error_naming_both(project):
    put(project, "params/dup/2020.yaml")
    put(project, "params/dup/2020.yml")
    put(project, "params/other/dup/2020.yaml")  # the same agency.id under another folder
    put(project, "params/single/2020.yaml")
    message = ("同一单位同一年度有 3 个参数文件：params/dup/2020.yaml、params/dup/2020.yml、"
               "params/other/dup/2020.yaml；请只保留一个（不会任选其一）")
    result = CliRunner().invoke(cli.main, ["validate", str(project / "params")])
    assert result.exit_code == 3
    assert result.output.splitlines() == [f"错误 {message}", "已校验 4 个文件：1 个错误，0 个警告"]
    files = sorted((project / "params").rglob("*.y*ml"))
    refused, todo = prepared(files, RunOptions(output=project / "output"))
    assert {(o.params_file, o.status, o.message) for o in refused} == {
        ("params/dup/2020.yaml", "invalid", message), ("params/dup/2020.yml", "invalid", message),
        ("params/other/dup/2020.yaml", "invalid", message)}
    assert [p.validated.file for p in todo] == ["params/single/2020.yaml"]


def test_a_linked_file_gets_the_same_answer_everywhere(project, tmp_path_factory):
    target = put(project, "shared/linked/2020.yaml")
    target = target.rename(target.parent / "source.yaml")  # a name that is not params/<agency>/<year>.yaml
    inside = project / "params" / "linked" / "2020.yaml"
    inside.parent.mkdir(parents=True)
    inside.symlink_to(os.path.relpath(target, inside.parent))
    outside_target = put(tmp_path_factory.mktemp("elsewhere"), "far/2020.yaml")
    outside = project / "params" / "far" / "2020.yaml"
    outside.parent.mkdir(parents=True)
    outside.symlink_to(outside_target)

    # allowed within the project, read at the link's place: validate, run's plan and batch agree
    assert validate_file(inside).ok
    assert plan(inside).validated.file == "params/linked/2020.yaml"
    refused, todo = prepared([inside], RunOptions(output=project / "output"))
    assert (refused, [p.validated.file for p in todo]) == ([], ["params/linked/2020.yaml"])

    # refused everywhere when it leads out of the project, with the reason
    message = (f"params/far/2020.yaml: 是指向项目之外的符号链接（→ {outside_target}）：参数文件须在项目之内，"
               "请复制该文件")
    with pytest.raises(ParamsError) as info:
        validate_file(outside)
    assert str(info.value) == message
    result = CliRunner().invoke(cli.main, ["run", str(outside), "--output", str(project / "output")])
    assert (result.exit_code, result.output) == (2, message + "\n")
    refused, todo = prepared([outside], RunOptions(output=project / "output"))
    assert ([(o.status, o.message) for o in refused], todo) == ([("invalid", message)], [])
    result = CliRunner().invoke(cli.main, ["validate", str(outside)])
    assert result.output.splitlines() == [f"错误 {message}", "已校验 1 个文件：1 个错误，0 个警告"]
    # a linked folder leading out of the project: the same refusal for the files in it
    (project / "params" / "farther").symlink_to(outside_target.parent)
    with pytest.raises(ParamsError) as info:
        validate_file(project / "params" / "farther" / "2020.yaml")
    assert str(info.value) == message.replace("params/far/", "params/farther/")


@pytest.mark.slow
def test_a_batch_publishes_a_linked_file_as_validate_reads_it(project):
    """The workers read the file by its link, as the driver did (they resolved it, and refused it
    for a name that is not ``<year>.yaml``)."""
    root = Path(__file__).resolve().parents[1]
    (project / "notebooks").mkdir()
    shutil.copy(root / "notebooks" / "report.ipynb", project / "notebooks" / "report.ipynb")
    shutil.copy(root / "requirements.lock", project / "requirements.lock")
    target = put(project, "shared/linked/2020.yaml").rename(project / "shared" / "linked" / "source.yaml")
    link = project / "params" / "linked" / "2020.yaml"
    link.parent.mkdir(parents=True)
    link.symlink_to(os.path.relpath(target, link.parent))
    result = run_batch(project / "params", RunOptions(output=project / "output"), workers=1, kernel="stock")
    assert [(o.params_file, o.status, o.message) for o in result.outcomes] == [
        ("params/linked/2020.yaml", "published", "")]
    assert (project / "output" / "linked" / "2020" / "report.html").exists()
