"""Generated sentences: every figure from the tables (N1), without a kernel."""

import pytest

from kit.check.validate import validate_data
from kit.content import narrative, tables
from kit.content.report import Report, build_parts, load_report
from tests.factories import balanced_2021, minimal
from tests.helpers import SEED_PARAMS


@pytest.mark.parametrize(("n", "text"), [(1, "一"), (6, "六"), (7, "七"), (10, "十"), (12, "十二"), (20, "二十"),
                                         (21, "二十一"), (99, "九十九")])
def test_chinese_number(n, text):
    assert narrative.chinese_number(n) == text


@pytest.mark.parametrize("n", [0, 100, -1])
def test_chinese_number_range(n):
    with pytest.raises(ValueError):
        narrative.chinese_number(n)


def test_seed_proactive_sentence_carries_every_category():
    m = load_report(SEED_PARAMS).model
    assert narrative.proactive(m) == (
        "2020年，我局政府网站主动公开信息61条，涉及公开内容包括：更新机构概况1条、领导信息9条、内设机构4条、"
        "政务公开指南1条、其它文件类10条、重大决策预公开1条、计划总结12条、提案议案类9条、商务预测等数据统计类10条、"
        "人事任免类1条、预算决算等财务信息类2条、年度报告1条。")


def test_seed_opening_names_seven_parts_and_the_period():
    r = load_report(SEED_PARAMS)
    assert narrative.opening(r.model, [p.title for p in r.parts]) == (
        "本报告根据《中华人民共和国政府信息公开条例》（以下简称《条例》）、《国务院办公厅政府信息与政务公开办公室关于印发"
        "<中华人民共和国政府信息公开工作年度报告格式（试行）>的通知》（国办公开办函〔2019〕60号）等文件要求，"
        "按照2020年宁海县商务局政府信息公开工作实际编制而成。"
        "本报告由总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况、政府信息公开行政复议、行政诉讼情况、"
        "监督保障机制、存在的主要问题及改进情况、其他需要报告的事项等七个部分组成。"
        "本报告中所列数据的统计期限自2020年1月1日起至2020年12月31日止。")


def test_seed_parts_are_renumbered_around_the_extra_section():
    assert [p.heading for p in load_report(SEED_PARAMS).parts] == [
        "一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
        "四、政府信息公开行政复议、行政诉讼情况", "五、监督保障机制", "六、存在的主要问题及改进情况",
        "七、其他需要报告的事项"]


def test_extra_sections_keep_file_order_at_one_place():
    data = minimal(extra_sections=[{"title": "甲", "after": "overview", "text": ""},
                                   {"title": "乙", "after": "overview", "text": ""},
                                   {"title": "丙", "after": "other", "text": ""}])
    m = validate_data(data, "f.yaml").model
    assert [p.heading for p in build_parts(m)] == [
        "一、总体情况", "二、甲", "三、乙", "四、主动公开政府信息情况", "五、收到和处理政府信息公开申请情况",
        "六、政府信息公开行政复议、行政诉讼情况", "七、存在的主要问题及改进情况", "八、其他需要报告的事项", "九、丙"]


def balanced() -> Report:
    return Report(validate_data(balanced_2021(), "f.yaml"))


def test_requests_sentence_figures_equal_table_cells():
    r = balanced()
    t3 = r.table3
    text = narrative.requests(r.model, t3)
    assert text == ("本年度我局共收到政府信息公开申请13件（其中自然人10件，法人或其他组织3件），上年结转1件；"
                    "办结12件，结转下年度继续办理2件。")
    # N1: 收到 = 新收·总计, 办结 = （七）总计, 结转 = 四
    assert f"收到政府信息公开申请{t3.loc['new', tables.TOTAL]}件" in text
    assert f"办结{t3.loc['outcomes.total', tables.TOTAL]}件" in text
    assert f"继续办理{t3.loc['carry_out', tables.TOTAL]}件" in text


def test_no_requests_sentence():
    r = Report(validate_data(minimal(), "f.yaml"))
    assert narrative.requests(r.model, r.table3) == "本年度我局未收到政府信息公开申请。"
    assert narrative.outcomes(r.table3) == ""


def test_outcome_subtotals_the_table_does_not_print():
    t3 = balanced().table3
    assert narrative.outcome_counts(t3) == {"granted": 6, "partial": 1, "refused": 1, "unavailable": 3,
                                            "not_processed": 1, "other": 0}
    # N2: shares over （七）总计 (12)
    assert narrative.outcomes(t3) == ("本年度办结申请12件。其中，予以公开6件，占50.0%；部分公开1件，占8.3%；"
                                      "不予公开1件，占8.3%；无法提供3件，占25.0%；不予处理1件，占8.3%。")


def test_review_sentence_adds_both_litigation_totals():
    r = balanced()
    assert narrative.review(r.model, r.table4) == (
        "本年度我局发生因政府信息公开引起的行政复议2件（结果维持1件，尚未审结1件）；行政诉讼1件（结果纠正1件）。")


def test_review_sentence_when_none():
    r = Report(validate_data(minimal(), "f.yaml"))
    assert narrative.review(r.model, r.table4) == "本年度我局未发生因政府信息公开引起的行政复议、行政诉讼案件。"


def test_table3_frame_totals_are_computed():
    t3 = balanced().table3
    assert t3.loc["outcomes.total"].tolist() == [9, 3, 0, 0, 0, 0, 12]
    assert t3["total"].tolist()[:2] == [13, 1]
    assert list(t3.index[:3]) == ["new", "carry_in", "outcomes.granted"]
    assert len(t3) == 25


@pytest.mark.parametrize(("value", "suffix", "text"), [(0, "", "0"), (7, "", "7"), (-3, "", "-3")])
def test_format_value_integers(value, suffix, text):
    assert tables.format_value(value, suffix) == text


@pytest.mark.parametrize(("value", "text"), [("3", "3万元"), ("3.00", "3万元"), ("12.50", "12.5万元"), ("0", "0万元"),
                                             ("24252.311082", "24252.311082万元")])
def test_format_value_money(value, text):
    from decimal import Decimal

    assert tables.format_value(Decimal(value), "万元") == text


@pytest.mark.parametrize(("kind", "year", "text"), [("department", 2020, "2021年1月31日"),
                                                     ("government", 2022, "2023年3月31日")])
def test_deadline_follows_from_the_kind(kind, year, text):
    data = minimal(year)
    data["agency"]["kind"] = kind
    assert narrative.deadline(validate_data(data, "f.yaml").model) == text


@pytest.mark.parametrize(
    ("now", "before", "unit", "text"),
    [(15, 12, "件", "，较上年增加3件，增长25.0%"), (9, 12, "件", "，较上年减少3件，下降25.0%"),
     (5, 5, "件", "，与上年持平"), (4, 0, "件", "，上年为0件"), (4, None, "件", ""),
     (14571, 2645, "条", "，较上年增加11926条，增长450.9%")],
)
def test_year_over_year_change(now, before, unit, text):
    assert narrative.change(now, before, unit) == text


def test_year_over_year_in_the_2022_report():
    from tests.helpers import ROOT

    r = load_report(ROOT / "params" / "pingtan" / "2022.yaml")
    assert r.previous is not None
    assert narrative.requests(r.model, r.table3, r.last_table3) == (
        "本年度我区共收到政府信息公开申请74件（其中自然人71件，法人或其他组织3件），较上年增加4件，增长5.7%，"
        "上年结转1件；办结75件，结转下年度继续办理0件。")
    assert narrative.review(r.model, r.table4, r.last_table4) == (
        "本年度我区发生因政府信息公开引起的行政复议2件（结果纠正1件，其他结果1件），较上年减少1件，下降33.3%；"
        "行政诉讼1件（结果维持1件），较上年减少11件，下降91.7%。")
    assert narrative.proactive(r.model, r.previous) == (
        "2022年，我区主动公开信息14571条，较上年增加11926条，增长450.9%。")
    assert narrative.proactive_table(r.model, r.table2, "2021", r.last_table2) == (
        "本年度行政规范性文件制发88件、废止55件，现行有效698件；行政许可处理决定10690件，较上年增加8397件，增长366.2%；"
        "行政处罚处理决定2113件，较上年增加831件，增长64.8%；"
        "行政事业性收费9116.36万元，较上年减少15135.95万元，下降62.4%。")


def test_seed_table2_sentence():
    r = load_report(SEED_PARAMS)
    assert narrative.proactive_table(r.model, r.table2, "2019") == "本年度政府集中采购项目2个，采购总金额3万元。"


@pytest.mark.parametrize(("fee", "text"), [
    (0, "2022年，我局未收取政府信息公开信息处理费。"),
    (150, "2022年，我局依据《政府信息公开信息处理费管理办法》收取信息处理费150元。")])
def test_2021_format_always_states_the_processing_fee(fee, text):
    m = validate_data(minimal(2022, processing_fee=fee), "f.yaml").model
    assert narrative.processing_fee(m) == text


def test_2019_format_has_no_processing_fee_field():
    assert validate_data(minimal(2020, processing_fee=0), "f.yaml").errors[0].message.startswith("未知的键")
