"""Every rule, table-driven: each case breaks exactly the rule it names and gets the exact message."""

from __future__ import annotations

import copy

import pytest

from kit.check.validate import validate_data, validate_file
from kit.exceptions import ValidationFailed
from tests.factories import PROBLEMS, balanced_2021, minimal
from tests.helpers import SEED_PARAMS

F = "params/test-agency/2022.yaml"


def change(data: dict, path: str, value) -> dict:
    data = copy.deepcopy(data)
    node = data
    *head, last = path.split(".")
    for key in head:
        node = node.setdefault(key, {})
    node[last] = value
    return data


def messages(data, previous=None) -> list[str]:
    prev = validate_data(previous, "params/test-agency/2021.yaml") if previous else None
    return [str(p) for p in validate_data(data, F, previous=prev).problems]


def test_balanced_file_is_clean():
    assert messages(balanced_2021()) == []


def test_seed_file_is_clean():
    result = validate_file(SEED_PARAMS)
    assert result.ok and result.problems == []
    assert result.spec.version == "2019"


RULE_CASES = [
    pytest.param(
        "table3.carry_out.natural", 3,
        f"{F}: 错误[R1] table3.carry_out.natural（表三 › 四、结转下年度继续办理 › 自然人）："
        "一、本年新收 + 二、上年结转应等于（七）总计 + 四、结转下年度：10 + 1 ≠ 9 + 3（应为 2，实际为 3）",
        id="R1"),
    pytest.param(
        "table3.outcomes.total", {"natural": 8, "commercial": 3},
        f"{F}: 错误[R2] table3.outcomes.total.natural（表三 › 三、本年度办理结果 › （七）总计 › 自然人）："
        "（七）总计应等于（一）至（六）各项办理结果之和（应为 9，实际为 8）",
        id="R2"),
    pytest.param(
        "table3.new.total", 12,
        f"{F}: 错误[R3] table3.new.total（表三 › 一、本年新收政府信息公开申请数量 › 总计）："
        "总计应等于自然人与五类法人或其他组织之和（应为 13，实际为 12）",
        id="R3"),
    pytest.param(
        "table4.review.total", 0,
        f"{F}: 错误[R4] table4.review.total（表四 › 行政复议 › 总计）："
        "总计应等于结果维持、结果纠正、其他结果、尚未审结之和（应为 2，实际为 0）",
        id="R4"),
    pytest.param(
        "table4.litigation_direct.total", 3,
        f"{F}: 错误[R4] table4.litigation_direct.total（表四 › 行政诉讼 › 未经复议直接起诉 › 总计）："
        "总计应等于结果维持、结果纠正、其他结果、尚未审结之和（应为 1，实际为 3）",
        id="R4-litigation"),
    pytest.param(
        "table3.outcomes.granted.natural", -1,
        f"{F}: 错误[schema] table3.outcomes.granted.natural（表三 › 三、本年度办理结果 › （一）予以公开 › 自然人）："
        "不能为负数（应为 ≥ 0，实际为 -1）",
        id="R5-negative"),
    pytest.param(
        "table3.new.natural", 10.0,
        f"{F}: 错误[schema] table3.new.natural（表三 › 一、本年新收政府信息公开申请数量 › 自然人）："
        "件数/条数应为整数，不能是小数（应为 整数，实际为 10.0（小数））",
        id="R5-float"),
    pytest.param(
        "table2.fees.amount", -2,
        f"{F}: 错误[schema] table2.fees.amount"
        "（表二 › 第二十条第（八）项 › 行政事业性收费 › 本年收费金额（单位：万元））："
        "不能为负数（应为 ≥ 0，实际为 -2）",
        id="R5-money"),
    pytest.param(
        "overview.proactive.total", 40,
        f"{F}: 错误[P1] overview.proactive.total"
        "（一、总体情况 › 主动公开 › 主动公开信息总条数（列出类别时可不填，由各类别相加））："
        "主动公开信息总条数应等于各类别条数之和（应为 42，实际为 40）",
        id="P1"),
]


@pytest.mark.parametrize(("path", "value", "message"), RULE_CASES)
def test_each_rule_names_file_path_label_expected_actual(path, value, message):
    assert messages(change(balanced_2021(), path, value)) == [message]


def test_typed_totals_that_agree_are_accepted():
    data = change(balanced_2021(), "table3.new.total", 13)
    data = change(data, "table3.outcomes.total", {"natural": 9, "commercial": 3, "total": 12})
    data = change(data, "table4.review.total", 2)
    assert messages(data) == []


def test_x1_carry_over_between_years():
    last = change(balanced_2021(2021), "table3.carry_out.natural", 2)
    this = change(balanced_2021(2022), "table3.carry_in.natural", 1)  # last year carried 2 out
    assert messages(this, last)[0] == (
        f"{F}: 错误[X1] table3.carry_in.natural（表三 › 二、上年结转政府信息公开申请数量 › 自然人）："
        "本年上年结转应等于2021年报告的结转下年度继续办理（应为 2，实际为 1）")


def test_x1_holds():
    last = balanced_2021(2021)
    this = balanced_2021(2022)  # carry_in natural 1 ... last carry_out natural 2
    this = change(this, "table3.carry_in.natural", 2)
    this = change(this, "table3.new.natural", 9)
    prev = validate_data(last, "last.yaml")
    assert validate_data(this, F, previous=prev).errors == []


def test_x2_documents_in_force_is_a_warning():
    last = balanced_2021(2021)
    this = change(balanced_2021(2022), "table3.carry_in.natural", 2)  # X1 holds
    this = change(this, "table3.new.natural", 9)  # 20 + 4 - 1 = 23, but 20 typed
    v = validate_data(this, F, previous=validate_data(last, "last.yaml"))
    assert v.ok
    assert [str(p) for p in v.warnings] == [
        f"{F}: 警告[X2] table2.regulations.in_force（表二 › 第二十条第（一）项 › 规章 › 现行有效件数）："
        "现行有效件数一般应等于2021年的现行有效件数加本年制发件数减本年废止件数（应为 6，实际为 5）",
        f"{F}: 警告[X2] table2.normative_documents.in_force"
        "（表二 › 第二十条第（一）项 › 行政规范性文件 › 现行有效件数）："
        "现行有效件数一般应等于2021年的现行有效件数加本年制发件数减本年废止件数（应为 23，实际为 20）",
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(change(minimal(), "table3.new.naturel", 1),
                     f"{F}: 错误[schema] table3.new.naturel（表三 › 一、本年新收政府信息公开申请数量）："
                     "未知的键 'naturel'，是不是想写 'natural'？（可用的键：natural, commercial, research, "
                     "public_interest, legal_services, other, total）", id="unknown-key"),
        pytest.param(change(minimal(), "table3.new.natural", "012"),
                     f"{F}: 错误[schema] table3.new.natural（表三 › 一、本年新收政府信息公开申请数量 › 自然人）："
                     "数字不能带前导零或写成八进制/十六进制（YAML 会误读），请写成普通十进制整数"
                     "（应为 整数，实际为 “012”（文本））", id="leading-zero"),
        pytest.param(change(minimal(), "table3.new.natural", "yes"),
                     f"{F}: 错误[schema] table3.new.natural（表三 › 一、本年新收政府信息公开申请数量 › 自然人）："
                     "“yes”在这里不是数字；应填写整数（应为 整数，实际为 “yes”（文本））", id="yes"),
        pytest.param(change(minimal(), "table3.new.natural", True),
                     f"{F}: 错误[schema] table3.new.natural（表三 › 一、本年新收政府信息公开申请数量 › 自然人）："
                     "应为整数（应为 整数，实际为 true（布尔值））", id="bool"),
        pytest.param(change(minimal(), "agency.id", 123),
                     f"{F}: 错误[schema] agency.id（单位 › 单位标识（输出目录名））："
                     "应为文本（数字形式的代码请加引号，如 \"0123\"）（应为 文本，实际为 123）", id="code-as-number"),
        pytest.param(change(minimal(), "agency.kind", "bureau"),
                     f"{F}: 错误[schema] agency.kind（单位 › 单位类型（department 部门 / government 政府））："
                     "取值不在允许范围内（应为 'department' or 'government'，实际为 “bureau”（文本））", id="kind"),
        pytest.param(change(minimal(2020), "format", "2021"),
                     f"{F}: 错误[format] format（报告格式版本）：2020年度的报告应使用 2019 版格式"
                     "（应为 2019，实际为 2021）", id="format-year"),
        pytest.param(change(minimal(2022), "table2.procurement", {"projects": 1}),
                     f"{F}: 错误[schema] table2.procurement（表二）：未知的键 'procurement'（可用的键："
                     "regulations, normative_documents, licensing, penalties, enforcement, fees）",
                     id="2019-row-in-2021"),
    ],
)
def test_schema_messages(data, message):
    assert messages(data) == [message]


def test_every_problem_of_a_file_at_once():
    data = change(minimal(), "table3.new.natural", -1)
    data = change(data, "table3.carry_in.natural", 1.5)
    data = change(data, "agency.kind", "x")
    data = change(data, "extra", 1)
    assert len(messages(data)) == 4


def test_errors_carry_the_line_of_the_file(tmp_path):
    folder = tmp_path / "test-agency"
    folder.mkdir()
    f = folder / "2022.yaml"
    f.write_text("year: 2022\nagency:\n  id: test-agency\n  name: 测试局\n  kind: department\n"
                 "table3:\n  new:\n    natural: 2\n"
                 f"problems: {PROBLEMS}\noverview: {{proactive: {{total: 0}}}}\n", encoding="utf-8")
    result = validate_file(f)
    # carry_out is not in the file: the error points at the closest line it has (table3:)
    assert [(p.rule, p.path, p.line) for p in result.errors] == [("R1", "table3.carry_out.natural", 6)]
    assert str(result.errors[0]).startswith(f"{result.file}:6: 错误[R1]")


def test_raise_for_errors_pickles():
    import pickle

    v = validate_data(change(minimal(), "table3.new.natural", -1), F)
    with pytest.raises(ValidationFailed) as info:
        v.raise_for_errors()
    again = pickle.loads(pickle.dumps(info.value))
    assert str(again) == str(info.value)
    assert again.problems == info.value.problems


def test_file_must_sit_at_agency_and_year(tmp_path):
    folder = tmp_path / "wrong-dir"
    folder.mkdir()
    f = folder / "2021.yaml"
    f.write_text("year: 2022\nagency: {id: test-agency, name: 测试局, kind: department}\n"
                 f"problems: {PROBLEMS}\n", encoding="utf-8")
    assert [(p.rule, p.path) for p in validate_file(f).errors] == [("F1", "year"), ("F1", "agency.id")]
