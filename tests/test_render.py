"""HTML fragments without a kernel: exact skeleton structure, escaping of free text."""

import pytest

from kit import show
from kit.check.validate import validate_data
from kit.content import render
from kit.content.report import Report, load_report
from tests.factories import balanced_2021, minimal
from tests.helpers import SEED_PARAMS, skeleton_grids, table_grids


def report_of(data) -> Report:
    return Report(validate_data(data, "test.yaml"))


def seed_values_2019():
    t2 = ["0"] * 20 + ["2", "3万元"]
    return [t2, ["0"] * (23 * 7), ["0"] * 15]


def test_seed_tables_have_the_skeleton_structure_and_values():
    report = load_report(SEED_PARAMS)
    html = render.table2_html(report) + render.table3_html(report) + render.table4_html(report)
    assert table_grids(html) == skeleton_grids("2019", seed_values_2019())


def test_2021_tables_have_the_skeleton_structure_and_computed_totals():
    report = report_of(balanced_2021())
    html = render.table2_html(report) + render.table3_html(report) + render.table4_html(report)
    t2 = ["1", "0", "5", "4", "1", "20", "120", "7", "2", "12.5"]
    zero = ["0"] * 7
    rows = {
        0: ["10", "3", "0", "0", "0", "0", "13"],   # 新收
        1: ["1", "0", "0", "0", "0", "0", "1"],     # 上年结转
        2: ["4", "2", "0", "0", "0", "0", "6"],     # 予以公开
        3: ["1", "0", "0", "0", "0", "0", "1"],     # 部分公开
        7: ["1", "0", "0", "0", "0", "0", "1"],     # 4.保护第三方合法权益
        12: ["2", "1", "0", "0", "0", "0", "3"],    # 1.本机关不掌握
        16: ["1", "0", "0", "0", "0", "0", "1"],    # 2.重复申请
        23: ["9", "3", "0", "0", "0", "0", "12"],   # （七）总计, computed
        24: ["2", "0", "0", "0", "0", "0", "2"],    # 结转下年度
    }
    t3 = [v for i in range(25) for v in rows.get(i, zero)]
    t4 = ["1", "0", "0", "1", "2", "0", "1", "0", "0", "1", "0", "0", "0", "0", "0"]
    assert table_grids(html) == skeleton_grids("2021", [t2, t3, t4])


@pytest.mark.parametrize(
    ("text", "present", "absent"),
    [
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;", "<script"),
        ('<img src=x onerror="alert(1)">', "&lt;img src=x", "<img"),
        ("[点我](javascript:alert(1))", "[点我](javascript:alert(1))", "<a "),
        ("![图](http://example.com/x.png)", "图（http://example.com/x.png）", "<img"),
        ("<style>body{display:none}</style>", "&lt;style&gt;", "<style"),
        ("**加粗**", "<strong>加粗</strong>", "**"),
    ],
)
def test_markdown_free_text_is_escaped(text, present, absent):
    html = str(render.markdown(text))
    assert present in html
    assert absent not in html


def test_every_free_text_field_is_escaped_in_the_fragments():
    evil = "<script>alert('x')</script>"
    data = minimal(
        2022,
        overview={"intro": evil, "subsections": [{"title": evil, "text": evil}]},
        problems=evil,
        other=evil,
        extra_sections=[{"title": evil, "after": "review", "text": evil}],
    )
    data["agency"]["name"] = evil
    data["agency"]["self_name"] = evil
    report = report_of(data)
    html = show.title(report).html + "".join(show.part(report, k).html for k in
                                              ("overview", "proactive", "requests", "review", "problems", "other"))
    assert "<script" not in html
    assert html.count("&lt;script&gt;") >= 8


def test_fragment_plain_text_repr_is_readable():
    report = load_report(SEED_PARAMS)
    text = repr(show.part(report, "review"))
    assert text.splitlines()[0] == "四、政府信息公开行政复议、行政诉讼情况"
    assert "五、监督保障机制" in text
