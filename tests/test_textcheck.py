"""Rule N1 (kit/check/textcheck.py): the analyst's text against the tables, sentence by sentence.

The file under test is ``balanced_2021()``: 新收 13 (自然人 10, 商业企业 3), 上年结转 1, 予以公开 6,
部分公开 1, 不予公开 1, 无法提供 3, 不予处理 1, 其他处理 0, （七）总计 12, 结转下年度 2; 行政复议 2
(维持 1, 尚未审结 1), 行政诉讼 1 (直接起诉, 纠正 1); 表二 规章 1/0/5, 行政规范性文件 4/1/20, 许可 120,
处罚 7, 强制 2, 收费 12.5 万元; 主动公开 42 (政策文件 12, 工作动态 30); 信息处理费 0.
Last year's (for year-over-year): the same with 新收 自然人 8 (新收 11) and 予以公开 自然人 2 (予以公开 4).
"""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kit.check import textcheck
from kit.check.validate import validate_data, validate_file
from kit.spec import formats
from tests.factories import balanced_2021
from tests.helpers import ROOT, SHARED

F = "params/test-agency/2022.yaml"
EXAMPLES = SHARED / "domain" / "examples"


def with_text(text: str, **changes) -> dict:
    data = balanced_2021()
    data["overview"]["subsections"] = [{"title": "依申请公开", "text": text}]
    data.update(changes)
    return data


def last_year():
    data = balanced_2021(2021)
    data["table3"]["new"]["natural"] = 8
    data["table3"]["outcomes"]["granted"]["natural"] = 2
    previous = validate_data(data, "params/test-agency/2021.yaml")
    assert previous.ok
    return previous


def n1(text: str, previous: bool = False, **changes) -> list[tuple]:
    result = validate_data(with_text(text, **changes), F, previous=last_year() if previous else None)
    return [(p.message, p.expected, p.actual) for p in result.problems if p.rule == "N1"]


def wrong(sentence: str, words: str, detail: str, expected=None, actual=None) -> tuple:
    return (f"正文“{sentence}”中“{words}”与表格不一致：{detail}", expected, actual)


NEW = "表三“一、本年新收政府信息公开申请数量”的总计"

# Each false-alarm class of issue 11 §1, and the right reading of each phrasing in PHRASES.md: no finding.
AGREES = [
    pytest.param("共受理政府信息公开申请13件，答复12件（含上年度结转申请1件，另有2件顺延到下年度答复）。",
                 id="含上年度结转 is 二 not 四; 顺延到下年度 is 四"),
    pytest.param("上一年度结转1件。", id="上一年度结转 is 二"),
    pytest.param("上年结转政府信息公开申请1件，2件结转下年度继续办理。", id="上年结转 and 结转下年度"),
    pytest.param("全年主动公开政府信息42条，其中其他主动公开类信息5条。",
                 id="a category named 主动公开 is not the total"),
    pytest.param("收到群众来信25件，受理群众诉求300件，收到咨询留言40条，受理建议、投诉12件。",
                 id="收到/受理 of letters, requests for help, consultations"),
    pytest.param("共收到政府信息公开申请 13 件。", id="spaces from a PDF"),
    pytest.param("共收到政府信息公开申请\n13 件。", id="a line break from a PDF"),
    pytest.param("全年共收到13件申请。", id="申请 after the number"),
    pytest.param("收到政府信息公开申请14件（含上年结转1件），其中自然人11件。",
                 id="收到 N（含上年结转 M） is 新收 + 结转"),
    pytest.param("收办申请14件。", id="收办 is 新收 + 结转"),
    pytest.param("主动公开政府信息40余条。", id="N余 is at least N"),
    pytest.param("主动公开信息约50条，近百件，1.5万条。", id="约/近/rounded 万: not compared"),
    pytest.param("予以公开6件，占50%；部分公开1件，占8.3%；予以公开及部分公开7件；不予公开1件，无法提供3件，"
                 "不予处理1件，其他处理0件。", id="outcome groups and shares"),
    pytest.param("部分公开1件，占8%。", id="a share within one rounding step"),
    pytest.param("收到申请13件，其中自然人10件、法人或其他组织3件。", id="columns of 新收"),
    pytest.param("办结率85.7%。", id="办结率"),
    pytest.param("行政复议2件，其中结果维持1件，尚未审结1件；行政诉讼1件，结果纠正1件。", id="表四 with its results"),
    pytest.param("发生行政复议、行政诉讼共3起。", id="复议与诉讼 together"),
    pytest.param("未经复议直接起诉1件，行政复议后起诉0件。", id="the two kinds of 行政诉讼"),
    pytest.param("制发规范性文件4件，废止1件，现行有效20件；新增规章1件。", id="表二 documents"),
    pytest.param("发布政策性文件11件，清理规范性文件30件。", id="政策性文件 and 清理 are not 表二"),
    pytest.param("办理行政许可120件，行政处罚7件，行政强制2件，收取行政事业性收费12.5万元。",
                 id="表二 decisions and fees"),
    pytest.param("公示行政许可事项300项，行政处罚信息50条。", id="items and records are not decisions"),
    pytest.param("收取行政事业性收费125000元。", id="fees in 元"),
    pytest.param("全年收取信息处理费0元。", id="信息处理费"),
    pytest.param("行政诉讼案件均已审结。", id="均已审结 true for 诉讼"),
    pytest.param("行政复议无被纠正情况。", id="无被纠正 true for 复议"),
    pytest.param("全年组织4次检查，在运维政务新媒体95个，合格率均为100%。", id="figures the tables don't hold"),
    pytest.param("自2022年1月1日至2022年12月31日。", id="dates"),
    pytest.param("转下年度办理2件。", id="转下年度办理 is 四"),
    pytest.param("予以公开6件（占50%）。", id="a share in parentheses"),
    pytest.param("被申请行政复议2件，提起行政诉讼1件。", id="被申请行政复议, 提起行政诉讼"),
    pytest.param("行政复议2项。", id="cases in 项"),
    pytest.param("共公布政府信息42条；全年公开信息42条。", id="共公布/全年公开 are the 主动公开 total"),
    pytest.param("设立规划专栏，通过专栏主动公开信息77条。", id="a column's count is not the total"),
    pytest.param("共收到政府信息公开申请1,3件，累计1,000余条。", id="a comma between numbers"),
    pytest.param("收取行政事业性收费12.50万元，约13万元。", id="money as the text rounds it"),
    pytest.param("全年未收取信息处理费。", id="未收取信息处理费 while none was"),
    pytest.param("无其他处理情形，无法提供3件。", id="无 a group that is 0; 无法提供 is not 无"),
]


@pytest.mark.parametrize("text", AGREES)
def test_text_agreeing_with_the_tables_gives_no_finding(text):
    assert n1(text) == []


S_CARRY = "上年结转申请2件。"
S_PDF = "共收到政府信息公开申请23件。"
S_RECEIVED = "收到政府信息公开申请15件（含上年结转1件）。"
S_DONE = "办结11件，结转下年度继续办理3件。"
S_GROUPS = "予以公开及部分公开8件，不予公开2件，无法提供4件，不予处理2件，其他处理1件。"
S_SHARE = "予以公开5件，占55%；"
S_COLUMNS = "收到申请13件，其中自然人11件、商业企业2件、法人或其他组织4件。"
S_T4 = "行政复议3起，其中结果维持2件；"
S_T2 = "制发规范性文件5件，废止2件，现行有效规范性文件21件。"
S_DECISIONS = "办理行政许可121件，行政处罚8件，行政强制3件，收取行政事业性收费12.6万元。"
S_LETTERS = "收到群众来信25件和政府信息公开申请14件。"
S_NONE = "本年度没有上年结转申请，无结转下年度的申请。"
T2 = "表二 第二十条第"

# Each comparison, with the exact message.
DISAGREES = [
    pytest.param(S_CARRY, [wrong(S_CARRY, "上年结转申请2件", "表三“二、上年结转政府信息公开申请数量”的总计为1",
                                 "1", "2")],
                 id="上年结转"),
    pytest.param("共收到政府信息公开申请\n23 件。",
                 [wrong(S_PDF, "收到政府信息公开申请23件", f"{NEW}为13", "13", "23")],
                 id="新收 across a line break"),
    pytest.param(S_LETTERS, [wrong(S_LETTERS, "和政府信息公开申请14件", f"{NEW}为13", "13", "14")],
                 id="新收 beside letters"),
    pytest.param(S_RECEIVED, [wrong(S_RECEIVED, "收到政府信息公开申请15件",
                                    "表三“一、本年新收与二、上年结转之和”的总计为14",
                                    "14", "15")], id="收到 N（含上年结转 M）"),
    pytest.param(S_DONE, [wrong(S_DONE, "办结11件", "表三“三、本年度办理结果（七）总计”的总计为12", "12", "11"),
                          wrong(S_DONE, "结转下年度继续办理3件", "表三“四、结转下年度继续办理”的总计为2", "2", "3")],
                 id="办结 and 结转下年度"),
    pytest.param(S_GROUPS, [
        wrong(S_GROUPS, "予以公开及部分公开8件", "表三“（一）予以公开与（二）部分公开之和”的总计为7", "7", "8"),
        wrong(S_GROUPS, "不予公开2件", "表三“（三）不予公开”的总计为1", "1", "2"),
        wrong(S_GROUPS, "无法提供4件", "表三“（四）无法提供”的总计为3", "3", "4"),
        wrong(S_GROUPS, "不予处理2件", "表三“（五）不予处理”的总计为1", "1", "2"),
        wrong(S_GROUPS, "其他处理1件", "表三“（六）其他处理”的总计为0", "0", "1")], id="outcome groups"),
    pytest.param(S_SHARE, [
        wrong(S_SHARE, "予以公开5件", "表三“（一）予以公开”的总计为6", "6", "5"),
        wrong(S_SHARE, "占55%", "按表格，（一）予以公开6件占三、本年度办理结果（七）总计12件的50.0%", "50.0%", "55%")],
        id="予以公开 and its share"),
    pytest.param("部分公开1件，占10%。", [
        wrong("部分公开1件，占10%。", "占10%", "按表格，（二）部分公开1件占三、本年度办理结果（七）总计12件的8.3%",
              "8.3%", "10%")], id="a share off by more than one rounding step"),
    pytest.param(S_COLUMNS, [
        wrong(S_COLUMNS, "自然人11件", "表三“一、本年新收政府信息公开申请数量”的自然人为10", "10", "11"),
        wrong(S_COLUMNS, "商业企业2件", "表三“一、本年新收政府信息公开申请数量”的商业企业为3", "3", "2"),
        wrong(S_COLUMNS, "法人或其他组织4件", "表三“一、本年新收政府信息公开申请数量”的法人或其他组织为3", "3", "4")],
        id="columns"),
    pytest.param("办结率100%。", [wrong("办结率100%。", "办结率100%",
                                      "按表格，办结率为（七）总计12除以新收与上年结转之和14，即85.7%",
                                      "85.7%", "100%")],
                 id="办结率"),
    pytest.param(S_T4, [wrong(S_T4, "行政复议3起", "表四行政复议总数为2", "2", "3"),
                        wrong(S_T4, "结果维持2件", "表四行政复议的结果维持为1", "1", "2")], id="行政复议 in 起"),
    pytest.param("行政复议后提起行政诉讼2件。", [wrong("行政复议后提起行政诉讼2件。", "行政复议后提起行政诉讼2件",
                                               "表四行政诉讼（复议后起诉）总数为0", "0", "2")], id="复议后起诉"),
    pytest.param("行政诉讼2宗。", [wrong("行政诉讼2宗。", "行政诉讼2宗", "表四行政诉讼总数为1", "1", "2")],
                 id="行政诉讼 in 宗"),
    pytest.param(S_T2, [
        wrong(S_T2, "规范性文件5件", f"{T2}（一）项 行政规范性文件 本年制发件数为4", "4", "5"),
        wrong(S_T2, "废止2件", f"{T2}（一）项 行政规范性文件 本年废止件数为1", "1", "2"),
        wrong(S_T2, "规范性文件21件", f"{T2}（一）项 行政规范性文件 现行有效件数为20", "20", "21")],
        id="表二 documents"),
    pytest.param(S_DECISIONS, [
        wrong(S_DECISIONS, "行政许可121件", f"{T2}（五）项 行政许可 本年处理决定数量为120", "120", "121"),
        wrong(S_DECISIONS, "行政处罚8件", f"{T2}（六）项 行政处罚 本年处理决定数量为7", "7", "8"),
        wrong(S_DECISIONS, "行政强制3件", f"{T2}（六）项 行政强制 本年处理决定数量为2", "2", "3"),
        wrong(S_DECISIONS, "行政事业性收费12.6万元", f"{T2}（八）项 行政事业性收费 本年收费金额（单位：万元）为12.5",
              "12.5", "12.6")], id="表二 decisions and fees"),
    pytest.param("全年收取信息处理费50元。", [wrong("全年收取信息处理费50元。", "信息处理费50元",
                                             "本年收取的信息处理费（元）为0", "0", "50")], id="信息处理费"),
    pytest.param("主动公开政府信息50余条。", [wrong("主动公开政府信息50余条。", "主动公开政府信息50余条",
                                            "主动公开信息总条数为42，少于所写的50余条", "42", "50余条")],
                 id="N余 above the table"),
    pytest.param("主动公开政府信息18万余条。", [wrong("主动公开政府信息18万余条。", "主动公开政府信息18万余条",
                                              "主动公开信息总条数为42，少于所写的18万余条", "42", "18万余条")],
                 id="N万余 above the table"),
    pytest.param("其中工作动态31条。", [wrong("其中工作动态31条。", "工作动态31条", "主动公开类别“工作动态”的条数为30",
                                        "30", "31")], id="a category by its name"),
    pytest.param("行政复议案件均获维持。", [wrong("行政复议案件均获维持。", "均获维持", "表四行政复议的尚未审结为1")],
                 id="均获维持"),
    pytest.param("行政复议、行政诉讼案件均已审结。", [
        wrong("行政复议、行政诉讼案件均已审结。", "均已审结", "表四行政复议的尚未审结为1")], id="均已审结"),
    pytest.param("行政诉讼无被纠正情况。", [wrong("行政诉讼无被纠正情况。", "无被纠正", "表四行政诉讼的结果纠正为1")],
                 id="无被纠正"),
    pytest.param("全年未发生政府信息公开行政复议、行政诉讼。", [
        wrong("全年未发生政府信息公开行政复议、行政诉讼。", "未发生政府信息公开行政复议、行政诉讼",
              "表四行政复议的结果维持为1、尚未审结为1"),
        wrong("全年未发生政府信息公开行政复议、行政诉讼。", "未发生政府信息公开行政复议、行政诉讼",
              "表四行政诉讼的结果纠正为1")], id="未发生 复议、诉讼"),
    pytest.param("全年未收到政府信息公开申请。", [wrong("全年未收到政府信息公开申请。", "未收到政府信息公开申请",
                                               f"{NEW}为13")], id="未收到申请"),
    pytest.param("共收到政府信息公开申请1,013件。", [
        wrong("共收到政府信息公开申请1013件。", "收到政府信息公开申请1013件", f"{NEW}为13", "13", "1013")],
        id="thousands separator"),
    pytest.param("行政复议、行政诉讼均已结案。", [
        wrong("行政复议、行政诉讼均已结案。", "均已结案", "表四行政复议的尚未审结为1")], id="均已结案"),
    pytest.param("收取行政事业性收费125001元。", [
        wrong("收取行政事业性收费125001元。", "行政事业性收费125001元",
              f"{T2}（八）项 行政事业性收费 本年收费金额（单位：万元）为125000", "125000", "125001")], id="fees in 元"),
    pytest.param("无不予公开情况。", [wrong("无不予公开情况。", "无不予公开情况", "表三“（三）不予公开”的总计为1")],
                 id="无不予公开"),
    pytest.param(S_NONE, [
        wrong(S_NONE, "没有上年结转申请", "表三“二、上年结转政府信息公开申请数量”的总计为1"),
        wrong(S_NONE, "无结转下年度的申请", "表三“四、结转下年度继续办理”的总计为2")],
        id="没有上年结转, 无结转下年度"),
    pytest.param("申请已全部办结。", [wrong("申请已全部办结。", "已全部办结", "表三“四、结转下年度继续办理”的总计为2")],
                 id="已全部办结"),
]


@pytest.mark.parametrize(("text", "expected"), DISAGREES)
def test_text_contradicting_the_tables_is_an_error_with_the_exact_message(text, expected):
    assert n1(text) == expected


S_YOY = "收到政府信息公开申请13件，较上年增加3件，同比增长20%。"
YOY = "按本年和2021年的表格，表三“一、本年新收政府信息公开申请数量”的总计由11变为13，"


@pytest.mark.parametrize(("text", "expected"), [
    pytest.param("收到政府信息公开申请13件，较上年增加2件，增长18.2%。", [], id="right"),
    pytest.param("予以公开6件，同比增长50%。", [], id="an outcome group"),
    pytest.param(S_YOY, [wrong(S_YOY, "较上年增加3件", f"{YOY}较上年增加2件", "较上年增加2件", "较上年增加3件"),
                         wrong(S_YOY, "同比增长20%", f"{YOY}较上年增长18.2%", "较上年增长18.2%", "同比增长20%")],
                 id="wrong change and rate"),
    pytest.param("收到政府信息公开申请13件，同比下降5%。", [
        wrong("收到政府信息公开申请13件，同比下降5%。", "同比下降5%", f"{YOY}较上年增长18.2%", "较上年增长18.2%",
              "同比下降5%")], id="wrong direction"),
    pytest.param("主动公开信息40余条，同比增长10%。", [], id="approximate: not computed as exact"),
])
def test_year_over_year_is_checked_against_last_years_file(text, expected):
    assert n1(text, previous=True) == expected


def test_a_fee_the_text_denies_is_found():
    text = "2022年，我局未收取政府信息公开信息处理费。"
    assert n1(text, processing_fee=50) == [
        wrong(text, "未收取政府信息公开信息处理费", "本年收取的信息处理费（元）为50")]


def test_a_long_sentence_is_quoted_around_its_figure():
    text = "我局" + "坚持以公开为常态、不公开为例外，" * 5 + "全年办结11件，" + "持续完善工作机制" * 6 + "。"
    [(message, _, _)] = n1(text)
    before, after = text.split("办结11件")
    assert message == (f"正文“…{before[-40:]}办结11件{after[:40]}…”中“办结11件”与表格不一致："
                       "表三“三、本年度办理结果（七）总计”的总计为12")
    assert before[-40:].startswith("公开为例外，坚持") and after[:40].endswith("持续完善工作机")


def test_year_over_year_without_last_years_file_is_not_compared():
    assert n1("收到政府信息公开申请13件，较上年增加3件，同比增长20%。") == []


def test_n1_is_an_error_printed_with_its_fingerprint():
    result = validate_data(with_text("办结11件。"), F)
    assert not result.ok
    assert [str(p) for p in result.errors] == [
        f"{F}: 错误[N1] overview.subsections.0.text（一、总体情况 › 总体情况小节 › 第1项 › 正文（Markdown））："
        "正文“办结11件。”中“办结11件”与表格不一致：表三“三、本年度办理结果（七）总计”的总计为12（应为 12，实际为 11）"
        "〔指纹 N1-b313642acc〕"]


@pytest.mark.parametrize("field", ["intro", "problems", "other", "extra"])
def test_every_free_text_field_is_read(field):
    data = balanced_2021()
    text = "办结11件。"
    if field == "intro":
        data["overview"]["intro"] = text
    elif field == "extra":
        data["extra_sections"] = [{"title": "监督保障", "after": "review", "text": "一是……\n\n" + text}]
    else:
        data[field] = text
    assert [p.actual for p in validate_data(data, F).problems if p.rule == "N1"] == ["11"]


def test_fingerprint_is_stable_and_depends_on_rule_field_and_both_values():
    fp = textcheck.fingerprint("N1", "table3.new.total", "75", "74")
    assert fp == "N1-0de6390be1"
    assert re.fullmatch(r"N1-[0-9a-f]{10}", fp)
    assert len({fp, textcheck.fingerprint("N1", "table3.new.total", "76", "74"),
                textcheck.fingerprint("N1", "table3.new.total", "75", "73"),
                textcheck.fingerprint("N1", "table3.new.natural", "75", "74")}) == 4


# --- acknowledgements ---------------------------------------------------------------------------------

def acknowledged(text: str, fingerprints: list[str], **table_changes):
    data = with_text(text, acknowledged=[{"fingerprint": fp, "reason": "正文所述为本办公室受理数量，表格为全区汇总"}
                                         for fp in fingerprints])
    for key, value in table_changes.items():
        data["table3"][key] = value
    return validate_data(data, F)


def test_an_acknowledged_difference_validates_and_is_shown_with_its_reason():
    result = acknowledged("本办公室受理政府信息公开申请5件。", ["N1-" + "0" * 10])
    [finding] = [p for p in result.problems if p.rule == "N1" and p.severity == "error"]
    fp = finding.fingerprint  # printed by kit validate next to the finding
    result = acknowledged("本办公室受理政府信息公开申请5件。", [fp])
    assert result.ok and result.warnings == []
    [ack] = result.acknowledged
    assert (ack.rule, ack.severity, ack.fingerprint, ack.expected, ack.actual) == ("N1", "acknowledged", fp, "13", "5")
    assert str(ack) == (
        f"{F}: 已确认[N1] overview.subsections.0.text（一、总体情况 › 总体情况小节 › 第1项 › 正文（Markdown））："
        "正文“本办公室受理政府信息公开申请5件。”中“受理政府信息公开申请5件”与表格不一致："
        f"{NEW}为13（应为 13，实际为 5）"
        f"〔指纹 {fp}〕；确认理由：正文所述为本办公室受理数量，表格为全区汇总")


def test_an_acknowledgement_lapses_when_a_value_changes():
    fp = textcheck.fingerprint("N1", "table3.new.total", "5", "13")
    assert acknowledged("本办公室受理政府信息公开申请5件。", [fp]).ok
    # the table changes (新收 14): the old acknowledgement matches nothing, the new difference is an error again
    result = acknowledged("本办公室受理政府信息公开申请5件。", [fp], new={"natural": 11, "commercial": 3},
                          carry_out={"natural": 3})
    assert [p.fingerprint for p in result.errors] == [textcheck.fingerprint("N1", "table3.new.total", "5", "14")]
    assert [str(p) for p in result.warnings] == [
        f"{F}: 警告[N1] acknowledged.0.fingerprint（已确认的正文与表格差异（N1；每年重新确认） › 第1项 › "
        f"差异的指纹（kit validate 在差异旁给出））：确认 {fp} 已失效：它不对应任何差异"
        "（正文或表格的数字已改变，或差异已改正）；"
        "请删除这条确认，或按 kit validate 给出的新指纹重新确认"]
    # the text is corrected: the acknowledgement has nothing left to acknowledge
    result = acknowledged("本办公室受理政府信息公开申请13件。", [fp])
    assert result.errors == [] and [p.path for p in result.warnings] == ["acknowledged.0.fingerprint"]


@pytest.mark.parametrize(("item", "message"), [
    ({"fingerprint": "N1-xyz", "reason": "理由"}, "格式不符合要求"),
    ({"fingerprint": "N1-0de6390be1", "reason": ""}, "不能为空"),
    ({"fingerprint": "N1-0de6390be1"}, "缺少必填字段"),
])
def test_an_acknowledgement_needs_a_fingerprint_and_a_reason(item, message):
    result = validate_data(with_text("", acknowledged=[item]), F)
    assert [p.message for p in result.errors] == [message]


# --- real reports: no false alarms ------------------------------------------------------------------------

def example_params(name: str) -> dict:
    """A parameter file built from an example's JSON tables and its text (PDF page markers removed)."""
    j = json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    spec = formats.get(j["format"])
    columns = {label: key for key, label in formats.TABLE3_COLUMNS}
    table3: dict = {}
    assert len(spec.table3) == len(j["table3"]["rows"])
    for row, published in zip(spec.table3, j["table3"]["rows"], strict=True):
        if not row.computed:
            node = table3
            for key in row.path[:-1]:
                node = node.setdefault(key, {})
            node[row.path[-1]] = {columns[c]: v for c, v in published["cells"].items() if c in columns}
    table2 = {key: dict(zip([c.key for c in block.columns], j["table2"][block.caption]["rows"][label], strict=True))
              for block in spec.table2 for key, label in block.rows}
    groups = {"行政复议": "review", "行政诉讼｜未经复议直接起诉": "litigation_direct",
              "行政诉讼｜复议后起诉": "litigation_after_review"}
    results = {label: key for key, label in formats.TABLE4_RESULTS}
    table4 = {groups[g]: {results[r]: v for r, v in cells.items() if r in results} for g, cells in j["table4"].items()}
    text = re.sub(r"(?m)^- \d+ -\n?", "", (EXAMPLES / f"{name}.txt").read_text(encoding="utf-8").split("=" * 50, 1)[1])

    def part(start: str, end: str | None) -> str:
        rest = text.split(start, 1)[1]
        return rest.split(end, 1)[0] if end else rest

    return {"year": j["year"], "agency": {"id": "huaian", "name": "淮安市人民政府", "kind": "government"},
            "overview": {"proactive": {"total": "5500余"}, "subsections": [
                {"title": "总体情况", "text": part("一、总体情况", "二、主动公开政府信息情况")}]},
            "table2": table2, "table3": table3, "table4": table4,
            "problems": part("五、存在的主要问题及改进情况", "六、其他需要报告的事项"),
            "other": part("六、其他需要报告的事项", None), "processing_fee": 3940}


@pytest.mark.parametrize("compact", [False, True], ids=["as extracted", "whitespace removed"])
def test_huaian_2024_a_correct_report_has_no_n1_finding(compact):
    data = example_params("huaian_city_2024")
    text = data["overview"]["subsections"][0]["text"]
    assert "含上年度结转申请 34 件" in text and "答\n复 3050 件" in text  # as the PDF's text layer has them
    if compact:  # the old check read this 34 as 四、结转下年度 (103)
        data["overview"]["subsections"][0]["text"] = re.sub(r"\s+", "", text)
    result = validate_data(data, "params/huaian/2024.yaml")
    # part 六's published text states the fee the kit also writes from processing_fee: S6 says so
    # (a warning, not N1: the figures agree)
    assert [(p.rule, p.severity) for p in result.problems] == [("S6", "warning")]


def test_huaian_2024_figures_are_compared_not_skipped():
    """The text's figures are read as the cells they name (a changed cell is found in the sentence quoting it)."""
    data = example_params("huaian_city_2024")
    data["table3"]["carry_in"]["natural"] = 35  # 二、上年结转 34 → 35 (the text says 含上年度结转申请 34 件)
    data["table3"]["carry_out"]["natural"] = 104
    data["table4"]["review"]["pending"] = 38
    found = [(p.expected, p.actual) for p in validate_data(data, "params/huaian/2024.yaml").problems if p.rule == "N1"]
    assert found == [("35", "34"), ("104", "103"), ("352", "351"), ("38", "37")]


@pytest.mark.parametrize("path", sorted((ROOT / "params").rglob("*.yaml")), ids=lambda p: p.parent.name + "/" + p.name)
def test_project_params_have_no_unacknowledged_n1_finding(path):
    result = validate_file(path)
    assert [str(p) for p in result.problems if p.rule == "N1" and p.severity != "acknowledged"] == []


# --- where acknowledgements show: kit validate, kit new, the audit record ---------------------------------

def test_kit_validate_prints_the_fingerprint_and_refuses_an_unacknowledged_difference(tmp_path):
    import yaml
    from click.testing import CliRunner

    from kit import cli

    folder = tmp_path / "test-agency"
    folder.mkdir()
    f = folder / "2022.yaml"
    f.write_text(yaml.safe_dump(with_text("办结11件。"), allow_unicode=True), encoding="utf-8")
    result = CliRunner().invoke(cli.main, ["validate", str(f)])
    assert result.exit_code == 3
    assert "错误[N1]" in result.output and "〔指纹 N1-b313642acc〕" in result.output
    assert result.output.strip().splitlines()[-1] == "已校验 1 个文件：1 个错误，0 个警告"
    reason = "正文只计本办公室办结的申请"
    data = with_text("办结11件。", acknowledged=[{"fingerprint": "N1-b313642acc", "reason": reason}])
    f.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = CliRunner().invoke(cli.main, ["validate", str(f)])
    assert result.exit_code == 0
    assert "已确认[N1]" in result.output and f"〔指纹 N1-b313642acc〕；确认理由：{reason}" in result.output
    assert result.output.strip().splitlines()[-1] == "已校验 1 个文件：0 个错误，0 个警告，1 处已确认的差异"


def test_kit_new_does_not_carry_acknowledgements_to_the_next_year(tmp_path):
    import yaml

    from kit.read import params
    from kit.read.new import new_params

    folder = tmp_path / "pingtan"
    folder.mkdir()
    (folder / "2022.yaml").write_bytes((ROOT / "params" / "pingtan" / "2022.yaml").read_bytes())
    assert len(yaml.safe_load((folder / "2022.yaml").read_text(encoding="utf-8"))["acknowledged"]) == 2
    data = params.read(new_params("pingtan", 2023, params_dir=tmp_path)).data
    assert data["agency"]["name"] == "平潭综合实验区"  # last year's details do carry over
    assert data["acknowledged"] == []


def test_acknowledged_differences_are_kept_in_the_run_record_and_listed_in_provenance():
    from datetime import UTC, datetime

    from kit import api
    from kit.audit import provenance
    from kit.audit import record as records

    p = api.plan(ROOT / "params" / "pingtan" / "2022.yaml")
    moment = datetime(2023, 2, 20, tzinfo=UTC)
    made = records.make(p, api.RunOptions(), moment, moment)
    record = made.as_dict()
    first = {"fingerprint": "N1-0de6390be1", "path": "overview.subsections.1.text",
             "finding": p.validated.acknowledged[0].message, "table": "74", "text": "75",
             "reason": "原文“收到75件”为本年新收74件加上年结转1件，表三按格式分列"}
    assert record["validation"]["errors"] == [] and record["validation"]["warnings"] == []
    assert [a["fingerprint"] for a in record["validation"]["acknowledged"]] == ["N1-0de6390be1", "N1-ec9bfd82b6"]
    assert record["validation"]["acknowledged"][0] == first
    section = provenance.section(made)
    assert ("- 已确认的正文与表格差异：2 处\n"
            "  - `N1-0de6390be1`（overview.subsections.1.text）：正文“2022年，全区收到") in section
    assert "；确认理由：原文“自然人72件”含上年结转的1件（自然人），表三新收自然人为71件" in section


@pytest.mark.parametrize("year", [2021, 2022])
def test_pingtan_published_texts_whole_give_only_the_acknowledged_differences(year):
    """The published page's whole text (tables run together as the page's text has them) as one text field."""
    import yaml

    data = yaml.safe_load((ROOT / "params" / "pingtan" / f"{year}.yaml").read_text(encoding="utf-8"))
    page = (EXAMPLES / f"pingtan_{year}.txt").read_text(encoding="utf-8").split("正文 ====================", 1)[1]
    data["overview"]["subsections"] = [{"title": "全文", "text": page}]
    result = validate_data(data, f"params/pingtan/{year}.yaml")
    assert result.errors == []
    assert [p.fingerprint for p in result.acknowledged] == ([] if year == 2021 else ["N1-0de6390be1", "N1-ec9bfd82b6"])


def test_seed_report_text_agrees_and_its_categories_are_compared():
    import yaml

    from tests.helpers import SEED_PARAMS, SEED_TEXT

    overview = SEED_TEXT.read_text(encoding="utf-8").split("一、总体情况\n", 1)[1].split("\n", 1)[0]
    assert "主动公开信息61条" in overview and "领导信息9条" in overview
    data = yaml.safe_load(SEED_PARAMS.read_text(encoding="utf-8"))
    data["overview"]["intro"] = overview
    assert validate_data(data, "params/ninghai-commerce/2020.yaml").problems == []
    data["overview"]["proactive"]["categories"][1]["count"] = 8  # 领导信息 9 → 8: the total is 60 now, too
    found = [(p.message.split("与表格不一致：")[1], p.expected, p.actual)
             for p in validate_data(data, "params/ninghai-commerce/2020.yaml").problems]
    assert found == [("主动公开信息总条数为60", "60", "61"), ("主动公开类别“领导信息”的条数为8", "8", "9")]


@pytest.mark.parametrize(("text", "found"), [
    pytest.param("新制作规范性文件0件，新公开0件，对外公开总数0件；废止规章2件。", [], id="agrees; no 废止 in 2019"),
    pytest.param("新公开规范性文件1件。", [("表二 第二十条第（一）项 规范性文件 本年新公开数量为0", "0", "1")],
                 id="新公开"),
    pytest.param("采购项目2个，行政许可0件。", [], id="2019 rows"),
])
def test_2019_format_table2_columns(text, found):
    import yaml

    from tests.helpers import SEED_PARAMS

    data = yaml.safe_load(SEED_PARAMS.read_text(encoding="utf-8"))
    data["other"] = text
    result = validate_data(data, "params/ninghai-commerce/2020.yaml")
    assert [(p.message.split("与表格不一致：")[1], p.expected, p.actual) for p in result.problems] == found


PIECES = ["收到", "受理", "申请", "政府信息公开", "件", "条", "起", "项", "%", "占", "同比", "增长", "下降", "较上年",
          "增加", "含", "上年结转", "结转下年度", "予以公开", "部分公开", "及", "不予公开", "其他处理", "行政复议",
          "行政诉讼", "、", "复议后", "结果维持", "尚未审结", "均获维持", "均已审结", "未发生", "未收到", "已全部办结",
          "规范性文件", "规章", "制发", "废止", "现行有效", "万元", "元", "万", "余", "近", "约", "以上",
          "，", "。", "；",
          "（", "）", "\n", "\n\n", " ", "1", "0", "12", "3.5", "1,000", "2021年", "工作动态", "主动公开", "信息处理费",
          "行政许可", "行政事业性收费", "自然人", "法人或其他组织", "办结率", "群众来信", "-", "其中"]


@given(st.lists(st.sampled_from(PIECES), max_size=40).map("".join))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_any_text_is_read_without_an_exception_and_findings_are_errors_with_fingerprints(text):
    result = validate_data(with_text(text), F, previous=LAST_YEAR)
    for p in (p for p in result.problems if p.rule == "N1"):
        assert p.severity == "error" and re.fullmatch(r"N1-[0-9a-f]{10}", p.fingerprint)
        assert p.message.startswith("正文“") and "”与表格不一致：" in p.message


LAST_YEAR = last_year()


def test_an_unacknowledged_difference_refuses_the_report_before_any_kernel(tmp_path):
    import yaml

    from kit import api
    from kit.exceptions import ValidationFailed

    folder = tmp_path / "test-agency"
    folder.mkdir()
    f = folder / "2022.yaml"
    f.write_text(yaml.safe_dump(with_text("办结11件。"), allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValidationFailed) as refused:
        api.run_report(f, api.RunOptions(output=tmp_path / "output"))
    assert [p.fingerprint for p in refused.value.errors] == ["N1-b313642acc"]
    assert not (tmp_path / "output").exists()
