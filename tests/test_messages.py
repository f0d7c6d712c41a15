"""Issue 11 §4: each message points at the fix, word for word; nothing hides another problem."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kit.check.validate import validate_data
from kit.content import narrative, render, tables
from tests.factories import balanced_2021, minimal
from tests.test_validate import F, change, messages

B = balanced_2021()
PROACTIVE = "（一、总体情况 › 主动公开 › 主动公开信息总条数（列出类别时可不填，由各类别相加））"
OUTCOMES_TOTAL = "（表三 › 三、本年度办理结果 › （七）总计"


def test_r1_when_outcomes_exceed_requests_says_so_and_proposes_no_negative_value():
    # 自然人: 新收 10 + 结转 1 = 11, but the outcome rows add up to 12 (and 2 are carried out)
    assert messages(change(B, "table3.outcomes.granted.natural", 7)) == [
        f"{F}: 错误[R1] table3.outcomes.total.natural{OUTCOMES_TOTAL} › 自然人）："
        "一、本年新收 + 二、上年结转应等于（七）总计 + 四、结转下年度：10 + 1 ≠ 12 + 2；"
        "（七）总计 12 已超过一、本年新收与二、上年结转之和 11，办理结果不能多于申请："
        "请核对（一）至（六）各项办理结果和一、二两行（应为 ≤ 11，实际为 12）"]


def test_outcome_total_rows_grand_total_is_checked_against_the_outcome_rows_and_says_so():
    # the typed columns are wrong (自然人 8 for 9) and the typed 总计 adds them up (11): the 总计 cell
    # is still wrong, against the sum of the outcome rows (12), and the message says that sum
    data = change(B, "table3.outcomes.total", {"natural": 8, "commercial": 3, "total": 11})
    assert messages(data) == [
        f"{F}: 错误[R2] table3.outcomes.total.natural{OUTCOMES_TOTAL} › 自然人）："
        "（七）总计应等于（一）至（六）各项办理结果之和（应为 9，实际为 8）",
        f"{F}: 错误[R3] table3.outcomes.total.total{OUTCOMES_TOTAL} › 总计）："
        "（七）总计行的总计应等于（一）至（六）各项办理结果的总计之和（应为 12，实际为 11）"]


def test_a_typed_total_row_checks_only_the_cells_typed():
    assert messages(change(B, "table3.outcomes.total", {"total": 12})) == []
    assert messages(change(B, "table3.outcomes.total", {"commercial": 3})) == []
    assert messages(change(B, "table3.outcomes.total", {"total": 11})) == [
        f"{F}: 错误[R3] table3.outcomes.total.total{OUTCOMES_TOTAL} › 总计）："
        "（七）总计行的总计应等于（一）至（六）各项办理结果的总计之和（应为 12，实际为 11）"]


def test_a_misspelt_key_does_not_hide_the_arithmetic_of_the_rest():
    data = change(change(B, "table3.new.naturel", 1), "table4.review.total", 0)
    assert messages(data) == [
        f"{F}: 错误[schema] table3.new.naturel（表三 › 一、本年新收政府信息公开申请数量）："
        "未知的键 'naturel'，是不是想写 'natural'？（可用的键：natural, commercial, research, "
        "public_interest, legal_services, other, total）",
        f"{F}: 错误[R4] table4.review.total（表四 › 行政复议 › 总计）："
        "总计应等于结果维持、结果纠正、其他结果、尚未审结之和（应为 2，实际为 0）"]


def test_a_bad_cell_hides_only_what_it_could_have_caused():
    # 自然人 is refused: its column's balance is unknown; 商业企业's own imbalance is still reported
    data = change(change(B, "table3.new.natural", -1), "table3.carry_out.commercial", 1)
    assert messages(data) == [
        f"{F}: 错误[schema] table3.new.natural（表三 › 一、本年新收政府信息公开申请数量 › 自然人）："
        "不能为负数（应为 ≥ 0，实际为 -1）",
        f"{F}: 错误[R1] table3.carry_out.commercial（表三 › 四、结转下年度继续办理 › 商业企业）："
        "一、本年新收 + 二、上年结转应等于（七）总计 + 四、结转下年度：3 + 0 ≠ 3 + 1（应为 0，实际为 1）"]


def test_a_missing_required_field_stops_the_rules():
    data = minimal()
    del data["agency"]["kind"]
    data = change(data, "table3.new.natural", 2)  # R1 would fire, but the file is not a report yet
    assert [p.rule for p in validate_data(data, F).problems] == ["schema"]


@pytest.mark.parametrize(("written", "printed", "base"), [
    ("5500余", "5500余", 5500), ("18万余条", "18万余", 180000), ("1.2万余", "1.2万余", 12000)])
def test_an_approximate_total_is_printed_as_written_without_year_over_year(written, printed, base):
    this = validate_data(change(minimal(), "overview.proactive.total", written), F)
    last = validate_data(change(minimal(2021), "overview.proactive.total", 5000), "last.yaml")
    assert this.problems == []
    assert tables.proactive_total(this.model) == base
    assert narrative.proactive(this.model, last.model) == f"2022年，我局政府网站主动公开信息{printed}条。"
    # nor is an exact figure compared with last year's approximate one
    exact = validate_data(change(minimal(2023), "overview.proactive.total", 6000), F)
    assert narrative.proactive(exact.model, this.model) == "2023年，我局政府网站主动公开信息6000条。"


def test_an_exact_total_still_gets_year_over_year():
    this = validate_data(change(minimal(), "overview.proactive.total", 6000), F)
    last = validate_data(change(minimal(2021), "overview.proactive.total", 5000), "last.yaml")
    assert narrative.proactive(this.model, last.model) == (
        "2022年，我局政府网站主动公开信息6000条，较上年增加1000条，增长20.0%。")


def test_an_approximate_total_and_its_categories():
    data = change(B, "overview.proactive.total", "50余")  # the categories add up to 42
    assert messages(data) == [
        f"{F}: 错误[P1] overview.proactive.total{PROACTIVE}："
        "主动公开信息总条数写作“50余条”，各类别条数之和应不少于 50（应为 ≥ 50，实际为 42）"]
    assert messages(change(B, "overview.proactive.total", "40余")) == []


def test_a_total_that_is_neither_a_count_nor_an_approximate_figure():
    assert messages(change(minimal(), "overview.proactive.total", "很多")) == [
        f"{F}: 错误[schema] overview.proactive.total{PROACTIVE}："
        "应为整数，或照报告原文写约数（应为 整数，或“5500余”“18万余”这样的约数，实际为 “很多”（文本））"]


def test_a_total_not_given_leaves_its_sentence_out_with_a_warning():
    data = change(minimal(), "overview.proactive", {})
    assert messages(data) == [
        f"{F}: 警告[P2] overview.proactive.total{PROACTIVE}："
        "未填写主动公开信息总条数，也未列出类别：报告不写主动公开信息条数这一句"]
    assert narrative.proactive(validate_data(data, F).model) == ""


def test_money_with_more_than_two_decimals_is_a_warning():
    assert messages(change(B, "table2.fees.amount", 12.345678)) == [
        f"{F}: 警告[M1] table2.fees.amount（表二 › 第二十条第（八）项 › 行政事业性收费 › 本年收费金额（单位：万元））："
        "金额以万元为单位，一般保留两位小数；请核对是否把元当作万元或多抄了小数位"
        "（应为 至多2位小数，实际为 12.345678）"]
    assert messages(change(B, "table2.fees.amount", 12.34)) == []


@pytest.mark.parametrize(("now", "before", "diff"), [
    ("9116.36", "24252.311082", "-15135.95"), ("12.5", "10", "2.5"), ("3", "1", "2"), ("0.105", "0.1", "0.01")])
def test_differences_of_amounts_are_rounded_to_the_inputs_precision(now, before, diff):
    assert tables.rounded_difference(Decimal(now), Decimal(before)) == Decimal(diff)
    assert str(tables.rounded_difference(Decimal(now), Decimal(before))) == diff


def test_an_empty_report_is_a_warning():
    data = {"year": 2022, "agency": minimal()["agency"]}
    assert messages(data) == [
        f"{F}: 警告[P2] overview.proactive.total{PROACTIVE}："
        "未填写主动公开信息总条数，也未列出类别：报告不写主动公开信息条数这一句",
        f"{F}: 警告[E1]：报告是空的：各表格数字均为 0，各部分正文均未填写；请确认参数文件填写完整",
        f"{F}: 错误[S5] problems（五、存在的主要问题及改进情况（Markdown））："
        "五、存在的主要问题及改进情况未填写：应写明本年度存在的主要问题和改进措施"
        "（应为 至少 10 个字的说明，实际为 0 个字）"]


@pytest.mark.parametrize(("text", "message"), [
    ("", "五、存在的主要问题及改进情况未填写：应写明本年度存在的主要问题和改进措施"
         "（应为 至少 10 个字的说明，实际为 0 个字）"),
    ("无", "五、存在的主要问题及改进情况只写了“无”：应写明本年度存在的主要问题和改进措施"
          "（应为 至少 10 个字的说明，实际为 1 个字）"),
    ("暂无问题。", "五、存在的主要问题及改进情况只写了“暂无问题。”：应写明本年度存在的主要问题和改进措施"
                 "（应为 至少 10 个字的说明，实际为 4 个字）"),
])
def test_part_five_must_say_something(text, message):
    assert messages(change(B, "problems", text)) == [
        f"{F}: 错误[S5] problems（五、存在的主要问题及改进情况（Markdown））：{message}"]


def test_part_six_saying_none_while_a_fee_was_collected_is_an_error():
    data = change(change(minimal(), "processing_fee", 50), "other", "无")
    assert messages(data) == [
        f"{F}: 错误[S6] other（六、其他需要报告的事项（Markdown））："
        "六、其他需要报告的事项写的是“无”，但本年收取了信息处理费50元：请删去“无”或写明其他需要报告的事项"
        "（应为 不写“无”，实际为 “无”）"]
    assert messages(change(minimal(), "other", "无")) == []  # no fee: the generated line says so


def test_a_fee_sentence_in_part_six_is_a_warning():
    assert messages(change(minimal(), "other", "本年收取信息处理费0元。")) == [
        f"{F}: 警告[S6] other（六、其他需要报告的事项（Markdown））："
        "文字中已写信息处理费，而报告还会按 processing_fee 生成一句，六、其他需要报告的事项将写两遍："
        "请从文字中删去这一句，只填 processing_fee"]
    assert messages(change(minimal(2020), "other", "本年收取信息处理费0元。")) == []  # 2019 format: no line


@pytest.mark.parametrize(("text", "html"), [
    ("详见[门户网站](http://www.example.gov.cn/a?b=1&c=2)。",
     "<p>详见门户网站（http://www.example.gov.cn/a?b=1&amp;c=2）。</p>\n"),
    ("[http://www.example.gov.cn](http://www.example.gov.cn)", "<p>http://www.example.gov.cn</p>\n"),
    ("见[**公开指南**](http://x.cn/g)", "<p>见<strong>公开指南</strong>（http://x.cn/g）</p>\n"),
])
def test_a_markdown_link_prints_as_its_text_and_address(text, html):
    assert str(render.markdown(text)) == html
