"""The Excel workbook (issue 14 §1): kit new --xlsx lays out the official tables, kit import reads them back."""

from __future__ import annotations

import copy
import csv
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from kit import cli
from kit.check.validate import validate_file
from kit.exceptions import ParamsError
from kit.read import base, new, params, workbook
from kit.read.imports import import_source
from kit.read.new import new_workbook
from kit.spec import formats
from kit.spec.model import schema_for
from tests.factories import balanced_2021
from tests.helpers import ROOT, in_ci, table_grids

SKELETON = ROOT.parent / "shared" / "domain" / "format_{}_skeleton.html"
PARAM_FILES = sorted((ROOT / "params").rglob("*.yaml"))


def model(data: dict[str, Any]) -> Any:
    """The validated model of plain data: what "the same data" means (the 2019 format's optional
    typed totals aside, which the workbook computes)."""
    spec = formats.get(data["format"]) if data.get("format") else formats.for_year(data["year"])
    validated = schema_for(spec.version).model_validate({**data, "format": spec.version})
    return validated.model_dump(warnings=False)  # a Decimal field's default is the int 0: compared as numbers


def without_typed_totals(data: dict[str, Any]) -> dict[str, Any]:
    """A file's data with the totals an analyst may type (checked, never needed) left out."""
    data = copy.deepcopy(data)
    for table in ("table3", "table4"):
        stack = [data.get(table, {})]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                if isinstance(node.get("total"), (int, type(None))) and "total" in node:
                    del node["total"]
                stack.extend(node.values())
    return data


def book_of(data: dict[str, Any], tmp_path: Path, name: str = "book.xlsx") -> Path:
    return workbook.write(data, tmp_path / name)


def grid(ws: Worksheet, inputs: set[str]) -> list[list[tuple[str, int, int]]]:
    """A sheet as the skeleton's tables are compared: rows of (text, rowspan, colspan), a cell the
    analyst types or a formula shown as "{}", cells inside a merged range left out."""
    spans = {(r.min_row, r.min_col): (r.max_row - r.min_row + 1, r.max_col - r.min_col + 1)
             for r in ws.merged_cells.ranges}
    covered = {(row, col) for r in ws.merged_cells.ranges for row in range(r.min_row, r.max_row + 1)
               for col in range(r.min_col, r.max_col + 1)} - set(spans)
    rows = []
    for line in ws.iter_rows():
        cells = []
        for c in line:
            if (c.row, c.column) in covered:
                continue
            text = "{}" if c.coordinate in inputs or str(c.value).startswith("=") else str(c.value)
            cells.append((text, *spans.get((c.row, c.column), (1, 1))))
        while cells and cells[-1][0] == "None":
            cells.pop()
        if cells:
            rows.append(cells)
    return rows


@pytest.mark.parametrize("version", ["2019", "2021"])
def test_tables_are_laid_out_exactly_like_the_official_form(version, tmp_path):
    year = 2020 if version == "2019" else 2022
    path = book_of(new.nested(new.carried("test-agency", year)), tmp_path)
    wb = load_workbook(path)
    lay = workbook.layout(formats.get(version))
    expected = table_grids(SKELETON.with_name(f"format_{version}_skeleton.html").read_text(encoding="utf-8"))
    got = [grid(wb[name], {inp.address.split("!")[1] for inp in lay.inputs if inp.sheet == name})
           for name in (workbook.TABLE2, workbook.TABLE3, workbook.TABLE4)]
    assert got == expected
    assert wb.sheetnames == ["基本信息", "表二", "表三", "表四", "正文", "校验"]


def test_inputs_are_unlocked_and_validated_totals_are_locked_shaded_formulas(tmp_path):
    wb = load_workbook(book_of(balanced_2021(), tmp_path))
    t3 = wb["表三"]
    assert all(wb[name].protection.sheet for name in wb.sheetnames)
    assert wb["表三"].protection.password is None
    assert (t3["D4"].value, t3["D4"].protection.locked) == (10, False)
    assert (t3["J4"].value, t3["J4"].protection.locked, t3["J4"].fill.fgColor.rgb) == ("=SUM(D4:I4)", True, "00D9D9D9")
    total = 4 + [r.key for r in formats.FORMAT_2021.table3].index("outcomes.total")
    assert t3.cell(total, 4).value == "=" + "+".join(f"D{n}" for n in range(6, total))
    assert t3.cell(total, 4).protection.locked
    rules = [(dv.type, dv.operator, dv.formula1, dv.formula2, set(str(dv.sqref).split()))
             for dv in t3.data_validations.dataValidation]
    cells = {f"{c}{n}" for c in "DEFGHI" for n in [*range(4, total), total + 1]}
    assert rules == [("whole", "between", "0", "1000000000000", cells)]
    t2 = wb["表二"]
    money = [dv for dv in t2.data_validations.dataValidation if dv.type == "custom"]
    assert [(dv.formula1, str(dv.sqref)) for dv in money] == [("AND(ISNUMBER(B14),B14>=0,ROUND(B14,2)=B14)", "B14")]
    assert (t2["A14"].value, t2["B14"].value, t2["B13"].value) == ("行政事业性收费", 12.5, "本年收费金额（单位：万元）")
    assert sorted(str(t2.merged_cells).split()) == sorted(
        ["A1:D1", "A5:D5", "B6:D6", "B7:D7", "A8:D8", "B9:D9", "B10:D10", "B11:D11", "A12:D12", "B13:D13", "B14:D14"])
    assert wb["表四"]["E4"].value == "=SUM(A4:D4)" and wb["表四"]["O4"].value == "=SUM(K4:N4)"


def test_the_check_sheet_states_r1_to_r4_as_formulas(tmp_path):
    ws = load_workbook(book_of(balanced_2021(), tmp_path))["校验"]
    rows = [[c.value for c in line] for line in ws.iter_rows()]
    assert rows[0] == ["规则", "列", "左边", "右边", "结果"]
    assert rows[1] == ["R1 一+二=三（七）+四", "表三 自然人", "=表三!D4+表三!D5", "=表三!D27+表三!D28",
                       '=IF(C2=D2,"平衡","不平衡")']
    assert [r[0][:2] for r in rows[1:]] == ["R1"] * 7 + ["R2"] * 7 + ["R3"] * 4 + ["R4"] * 3
    assert rows[-1][1:4] == ["表四 复议后起诉", "=表四!O4", "=SUM(表四!K4:N4)"]


@pytest.mark.parametrize("params_file", PARAM_FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_yaml_to_workbook_to_yaml_gives_the_same_data(params_file, tmp_path):
    data = params.read(params_file).data
    path = book_of(data, tmp_path)
    loaded = base.read(path, "book.xlsx")
    assert model(loaded.data) == model(without_typed_totals(data))
    text = new.render(loaded.data, "book.xlsx")
    assert model(params.parse(text, "x.yaml").data) == model(without_typed_totals(data))


def test_the_written_file_reads_like_a_hand_written_one(tmp_path):
    loaded = base.read(book_of(balanced_2021(), tmp_path), "book.xlsx")
    text = new.render(loaded.data, "book.xlsx")
    assert text.splitlines()[:8] == [
        "# 2022年政府信息公开工作年度报告参数文件（2021 版格式，国办公开办函〔2021〕30号）",
        "# 由 book.xlsx 导入（kit import）。",
        "# 每个字段后的注释是它在报告中的中文标签。为 0 的格子没有写出；总计由工具计算。",
        'format: "2021"  # 报告格式版本（可不填，由年度决定）',
        "year: 2022  # 报告年度",
        "agency:  # 单位",
        "  id: test-agency  # 单位标识（输出目录名）",
        "  name: 测试县测试局  # 单位名称",
    ]
    assert "  fees:  # 第二十条第（八）项 › 行政事业性收费\n    amount: 12.5  # 本年收费金额（单位：万元）\n" in text
    assert ("    refused:  # （三）不予公开\n      third_party:  # 4.保护第三方合法权益\n"
            "        natural: 1  # 自然人\n") in text
    assert "state_secret" not in text and "commercial: 0" not in text  # zeros are not written


def test_a_long_or_multiline_text_is_a_block_and_reads_back_the_same():
    data = {**balanced_2021(), "problems": "一是……\n\n二是……" + "很长" * 40, "other": "  前导空格与“引号”: #"}
    text = new.render(data)
    assert "problems: |-  # 五、存在的主要问题及改进情况（Markdown）\n  一是……\n\n  二是……" in text
    assert 'other: "  前导空格与“引号”: #"' in text
    back = params.parse(text, "x.yaml").data
    assert (back["problems"], back["other"]) == (data["problems"], data["other"])


def test_new_xlsx_carries_last_years_details_and_carry_over(tmp_path):
    import yaml

    folder = tmp_path / "test-agency"
    folder.mkdir()
    last = {**balanced_2021(2022), "contact": {"office": "县政府办公室", "phone": "0574-1"}}
    (folder / "2022.yaml").write_text(yaml.safe_dump(last, allow_unicode=True), encoding="utf-8")
    path = new_workbook("test-agency", 2023, tmp_path / "b.xlsx", params_dir=tmp_path)
    data = base.read(path, "b.xlsx").data
    assert data["agency"] == {"id": "test-agency", "name": "测试县测试局", "kind": "department", "self_name": "我局"}
    assert data["contact"]["office"] == "县政府办公室" and data["contact"]["phone"] == "0574-1"
    assert data["table3"] == {"carry_in": {"natural": 2}}  # last year's 四、结转下年度
    assert (data["year"], data["format"]) == (2023, "2021")
    wb = load_workbook(path)
    assert (wb["表三"]["A5"].value, wb["表三"]["D5"].value) == ("二、上年结转政府信息公开申请数量", 2)


def test_cli_new_xlsx_then_import_writes_the_parameter_file(empty_project):
    runner = CliRunner()
    result = runner.invoke(cli.main, ["new", "test-agency", "2022", "--xlsx"])
    assert (result.exit_code, result.output) == (0, "已生成 test-agency-2022.xlsx\n")
    again = runner.invoke(cli.main, ["new", "test-agency", "2022", "--xlsx"])
    assert (again.exit_code, again.output) == (2, "test-agency-2022.xlsx 已存在；如需覆盖请加 --force\n")
    data = balanced_2021()
    data["problems"] = "本年度信息公开工作仍有不足，明年将继续改进。"
    workbook.write(data, empty_project / "test-agency-2022.xlsx")
    result = runner.invoke(cli.main, ["import", "test-agency-2022.xlsx"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-2:] == ["已导入 test-agency-2022.xlsx → params/test-agency/2022.yaml",
                                               "校验：0 个错误，0 个警告"]
    written = empty_project / "params" / "test-agency" / "2022.yaml"
    assert validate_file(written).ok
    assert model(params.read(written).data) == model(data)
    printed = runner.invoke(cli.main, ["import", "test-agency-2022.xlsx", "-"])
    assert printed.stdout == written.read_text(encoding="utf-8")
    refused = runner.invoke(cli.main, ["import", "test-agency-2022.xlsx"])
    assert (refused.exit_code, refused.output) == (2, "params/test-agency/2022.yaml 已存在；如需覆盖请加 --force\n")


def test_a_rule_error_names_the_cell_and_the_file_is_still_written(empty_project):
    data = balanced_2021()
    data["table3"]["new"]["natural"] = 11  # R1: 11 + 1 ≠ 9 + 2
    workbook.write(data, empty_project / "b.xlsx")
    result = CliRunner().invoke(cli.main, ["import", "b.xlsx"])
    assert result.exit_code == 3
    assert ("b.xlsx:表三!D28: 错误[R1] table3.carry_out.natural（表三 › 四、结转下年度继续办理 › 自然人）："
            "一、本年新收 + 二、上年结转应等于（七）总计 + 四、结转下年度：11 + 1 ≠ 9 + 2"
            "（应为 3，实际为 2）") in result.output
    assert (empty_project / "params" / "test-agency" / "2022.yaml").exists()


def edited(tmp_path: Path, change) -> Path:
    path = book_of(balanced_2021(), tmp_path)
    wb = load_workbook(path)
    change(wb)
    wb.save(path)
    return path


def problems_of(path: Path) -> list[str]:
    return [str(p) for p in import_source(path, output="-", params_dir=path.parent).validated.errors]


def test_a_typed_letter_names_its_cell(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = edited(tmp_path, lambda wb: wb["表三"].__setitem__("E6", "两"))
    assert problems_of(path) == [
        "book.xlsx:表三!E6: 错误[schema] table3.outcomes.granted.commercial"
        "（表三 › 三、本年度办理结果 › （一）予以公开 › 商业企业）：应为整数（应为 整数，实际为 “两”（文本））"]


def test_a_negative_number_names_its_cell(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = edited(tmp_path, lambda wb: wb["表四"].__setitem__("B4", -1))
    assert problems_of(path) == [
        "book.xlsx:表四!B4: 错误[schema] table4.review.corrected（表四 › 行政复议 › 结果纠正）："
        "不能为负数（应为 ≥ 0，实际为 -1）"]


def test_a_typed_letter_refuses_the_import_without_writing(empty_project):
    edited(empty_project, lambda wb: wb["表二"].__setitem__("B14", "12.5万"))
    result = CliRunner().invoke(cli.main, ["import", "book.xlsx"])
    assert result.exit_code == 3
    assert result.output.splitlines()[-2:] == ["未写入参数文件：请在原文件中改正上面的错误后重新导入",
                                               "校验：1 个错误，0 个警告"]
    assert "book.xlsx:表二!B14: 错误[schema] table2.fees.amount" in result.output
    assert not (empty_project / "params" / "test-agency").exists()


def swap_rows(wb: Any) -> None:
    ws = wb["表三"]
    for col in range(1, 11):
        if col == 3:
            a, b = ws.cell(8, col).value, ws.cell(9, col).value
            ws.cell(8, col).value, ws.cell(9, col).value = b, a


def test_a_moved_row_is_refused_naming_where_it_went(tmp_path):
    path = edited(tmp_path, swap_rows)
    with pytest.raises(ParamsError) as info:
        base.read(path, "book.xlsx")
    assert str(info.value) == (
        "book.xlsx: 工作簿的格式被改动了，无法按标签找到格子：\n"
        "  表三!C8 应为“1.属于国家秘密”，实际为“2.其他法律行政法规禁止公开”；"
        "“1.属于国家秘密”被移到了 表三!C9（行或列被移动了）\n"
        "  表三!C9 应为“2.其他法律行政法规禁止公开”，实际为“1.属于国家秘密”；"
        "“2.其他法律行政法规禁止公开”被移到了 表三!C8（行或列被移动了）\n"
        "请恢复原样，或用 kit new --xlsx 重新生成工作簿后再填写")


def test_a_changed_label_is_refused(tmp_path):
    path = edited(tmp_path, lambda wb: wb["表二"].__setitem__("A4", "行政规范文件"))
    with pytest.raises(ParamsError, match="表二!A4 应为“行政规范性文件”，实际为“行政规范文件”（标签被改动了）"):
        base.read(path, "book.xlsx")


def test_a_label_the_form_repeats_is_not_said_to_have_moved(tmp_path):
    path = edited(tmp_path, lambda wb: wb["表二"].__setitem__("B6", 120))  # typed over a header, not into B7
    with pytest.raises(ParamsError) as info:
        base.read(path, "book.xlsx")
    assert str(info.value).splitlines()[1] == "  表二!B6 应为“本年处理决定数量”，实际为“120”（标签被改动了）"


def test_a_renamed_sheet_is_refused(tmp_path):
    path = edited(tmp_path, lambda wb: setattr(wb["表三"], "title", "表3"))
    with pytest.raises(ParamsError) as info:
        base.read(path, "book.xlsx")
    assert str(info.value) == ("book.xlsx: 找不到工作表“表三”"
                               "（工作簿中的工作表：基本信息、表二、表3、表四、正文、校验）："
                               "请不要重命名或删除工作表")


def test_a_formula_overwritten_by_a_number_is_refused(tmp_path):
    path = edited(tmp_path, lambda wb: wb["表三"].__setitem__("J4", 13))
    with pytest.raises(ParamsError) as info:
        base.read(path, "book.xlsx")
    assert str(info.value).splitlines()[1] == (
        "  表三!J4（表三 › 一、本年新收政府信息公开申请数量 › 总计）应为公式 =SUM(D4:I4)，被改成了 13："
        "总计由公式计算，不要填写")


def test_a_missing_text_row_is_refused(tmp_path):
    def drop(wb: Any) -> None:
        ws = wb["正文"]
        for row in ws.iter_rows():
            if row[0].value == "五、存在的主要问题及改进情况（Markdown）":
                row[0].value = "五、存在的问题"
    with pytest.raises(ParamsError, match="正文 中找不到“五、存在的主要问题及改进情况（Markdown）”这一行"):
        base.read(edited(tmp_path, drop), "book.xlsx")


def test_the_workbook_reader_is_in_the_registry():
    assert isinstance(base.for_path("x/2022.xlsx"), workbook.WorkbookReader)
    assert base.suffixes() == [".docx", ".htm", ".html", ".xlsx", ".yaml", ".yml"]


counts = st.integers(min_value=0, max_value=10**6)


@st.composite
def valid_data(draw: st.DrawFn) -> dict[str, Any]:
    year = draw(st.sampled_from([2020, 2022]))
    spec = formats.for_year(year)
    data: dict[str, Any] = {"year": year, "agency": {"id": "a", "name": draw(st.text(min_size=1, max_size=8).filter(
        lambda s: s.strip() == s and s.isprintable())), "kind": "government"}}
    for inp in workbook.layout(spec).inputs:
        if draw(st.booleans()):
            kind = inp.kind
            value: Any = (draw(st.integers(-1000, 1000)) if kind == "delta" else
                          Decimal(draw(st.integers(0, 10**8))) / 100 if kind == "money" else draw(counts))
            node = data
            for part in inp.loc[:-1]:
                node = node.setdefault(str(part), {})
            node[str(inp.loc[-1])] = value
    data["overview"] = {"proactive": {"total": draw(counts)},
                        "subsections": [{"title": "标题", "text": draw(st.text(max_size=30).filter(str.isprintable))}]}
    return data


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=valid_data())
def test_random_valid_data_to_workbook_and_back_is_the_same(data, tmp_path):
    loaded = base.read(book_of(data, tmp_path), "book.xlsx")
    assert model(loaded.data) == model(data)
    assert model(params.parse(new.render(loaded.data), "x.yaml").data) == model(data)


needs_calc = pytest.mark.skipif(not shutil.which("soffice") and not in_ci(), reason="LibreOffice not installed")


@needs_calc
@pytest.mark.browser
def test_libreoffice_computes_the_totals_and_checks(tmp_path):
    data = balanced_2021()
    data["table3"]["carry_out"]["natural"] = 1  # R1 out of balance in 自然人
    path = book_of(data, tmp_path)
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/lo", "--headless", "--convert-to",
                    "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
                    "--outdir", str(tmp_path), str(path)], check=True, capture_output=True, timeout=300)

    assert (tmp_path / "book-表三.csv").exists(), "LibreOffice Calc is needed: Debian's libreoffice-calc-nogui"

    def sheet(name: str) -> list[list[str]]:
        with open(tmp_path / f"book-{name}.csv", encoding="utf-8") as handle:
            return list(csv.reader(handle))

    t3, t4, checks = sheet("表三"), sheet("表四"), sheet("校验")
    assert t3[3][3:10] == ["10", "3", "0", "0", "0", "0", "13"]  # 一、本年新收 and its 总计
    assert t3[26][1:10] == ["（七）总计", "", "9", "3", "0", "0", "0", "0", "12"]
    assert t4[3] == ["1", "0", "0", "1", "2", "0", "1", "0", "0", "1", "0", "0", "0", "0", "0"]
    assert checks[1] == ["R1 一+二=三（七）+四", "表三 自然人", "11", "10", "不平衡"]
    # R1 fails in 自然人 and so in 总计; R2–R4 hold, the totals being formulas
    assert [row[4] for row in checks[1:]] == ["不平衡"] + ["平衡"] * 5 + ["不平衡"] + ["平衡"] * 14


def test_openpyxl_is_imported_with_a_workbook_not_with_the_kit():
    import sys

    code = "import sys, kit.read, kit.cli; print('openpyxl' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout == "False\n"
