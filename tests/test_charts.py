"""Charts: SVG inside the page, text kept as text, the same bytes every run, an alt text, none for zeros."""

from __future__ import annotations

import re

from kit.check.validate import validate_data
from kit.content import charts
from kit.content.report import Report, load_report
from tests.factories import minimal
from tests.helpers import ROOT, SEED_PARAMS

PINGTAN_2022 = ROOT / "params" / "pingtan" / "2022.yaml"


def test_outcome_mix_is_inline_svg_with_text_and_alt():
    r = load_report(PINGTAN_2022)
    html = charts.outcome_mix(r.table3)
    assert html.startswith('<figure class="chart" role="img" aria-label="办理结果（共75件）：'
                           '予以公开21件，部分公开9件，不予公开4件，无法提供37件，不予处理0件，其他处理4件">')
    assert "<svg" in html and "<figcaption>图：本年度办理结果（共75件）</figcaption>" in html
    texts = re.findall(r"<text[^>]*>([^<]+)", html)
    assert {"予以公开", "无法提供", " 37件"} <= set(texts)  # drawn by the browser's fonts, not as paths
    assert not re.search(r"https?://|xmlns|<\?xml|<!DOCTYPE|<metadata", html)


def test_charts_are_byte_identical_across_runs():
    r = load_report(PINGTAN_2022)
    first = charts.outcome_mix(r.table3) + charts.requests_trend(r) + charts.review_trend(r)
    again = charts.outcome_mix(r.table3) + charts.requests_trend(r) + charts.review_trend(r)
    assert first == again


def test_trends_compare_with_last_year():
    r = load_report(PINGTAN_2022)
    assert 'aria-label="图：依申请公开与上年比较：新收申请2021年70件，2022年74件；办结2021年69件，2022年75件"' in \
        charts.requests_trend(r)
    assert ('aria-label="图：行政复议、行政诉讼与上年比较：'
            '行政复议2021年3件，2022年2件；行政诉讼2021年12件，2022年1件"') in charts.review_trend(r)


def test_no_chart_where_figures_are_all_zero():
    seed = load_report(SEED_PARAMS)
    assert charts.outcome_mix(seed.table3) == ""  # no request in 2020: the sentence says so instead
    assert charts.requests_trend(seed) == "" and charts.review_trend(seed) == ""  # no earlier year
    assert charts.proactive_categories(seed.model).count("<figure") == 1
    empty = Report(validate_data(minimal(), "f.yaml"))
    assert charts.proactive_categories(empty.model) == ""
