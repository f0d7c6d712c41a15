"""Issue 15 §3: the office's status page."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By

from kit.batch import write_status_pages
from kit.write import status
from tests import browser, factories
from tests.helpers import in_ci
from tests.test_rollup import break_two_units

SHOTS = Path("/work/shots")


@pytest.fixture
def broken_county(tmp_path) -> Path:
    county = factories.write_county(tmp_path / "params", 30)
    break_two_units(county.parent.parent)
    return county


def test_the_status_page_lists_the_missing_and_the_invalid_unit_and_the_refused_report(broken_county, tmp_path):
    s = status.status_of(broken_county, tmp_path / "output", date(2023, 2, 5))
    by_id = {r.id: r for r in s.rows}
    assert len(s.rows) == 31 and s.rows[-1].id == "county"
    assert (by_id["county-d03"].label, by_id["county-d03"].deadline_state) == ("缺少参数文件", "已逾期 5 天")
    assert by_id["county-d03"].detail == f"缺少参数文件 {tmp_path}/params/county-d03/2022.yaml"
    assert by_id["county-d07"].label == "参数无效"
    assert by_id["county-d07"].detail.startswith("table3.carry_out.natural：一、本年新收 + 二、上年结转应等于")
    assert (by_id["county"].label, by_id["county"].deadline, by_id["county"].deadline_state) == (
        "参数无效", "3月31日", "未到期（还有 54 天）")
    assert by_id["county"].detail.startswith("有 2 个单位未能汇总：county-d03")
    assert by_id["county-d00"].figures == [27, 26, 3, 2, 1, 475]
    assert [c.text for c in by_id["county-d00"].indicators] == ["80.8%", "11.5%", "0.0%", "10.3%"]


def test_no_share_on_fewer_than_30_requests_is_judged():
    ind = status.INDICATORS[0]  # 实质公开率: good from 50 %, bad under 30 %
    assert [status.judge(ind, 0.1, 29), status.judge(ind, 0.1, 30), status.judge(ind, 0.9, 30),
            status.judge(ind, 0.4, 30), status.judge(ind, None, 100)] == ["", "bad", "good", "", ""]


def test_the_batch_writes_it_and_the_index_links_it(broken_county, tmp_path):
    output = tmp_path / "output"
    pages = write_status_pages(sorted((tmp_path / "params").glob("*/*.yaml")), output)
    assert pages == ["county/2022/status.html"]
    html = (output / "county" / "2022" / "status.html").read_text(encoding="utf-8")
    assert "<script" not in html and not re.search(r"(src|href)=\"https?:", html)
    assert html.count('data-label="状态">缺少参数文件') == 1


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("width", [1280, 390])
def test_the_status_page_reads_at_desktop_and_phone_width_offline(broken_county, tmp_path, width):
    if not browser.available():
        if in_ci():
            raise RuntimeError("headless Chromium is required under CI: install Debian's chromium and chromium-driver")
        pytest.skip("Debian's chromium/chromium-driver not installed")
    page = status.write_status(broken_county, tmp_path / "output", date(2023, 2, 5))
    with browser.chromium(width=width, height=900) as driver:
        driver.get(page.as_uri())
        assert driver.title == "测试县人民政府2022年度政府信息公开工作年度报告 · 各单位报送情况"
        assert driver.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0
        rows = driver.find_elements(By.CSS_SELECTOR, "table.status tbody tr")
        assert len(rows) == 31 and all(r.is_displayed() for r in rows)
        text = driver.find_element(By.TAG_NAME, "body").text
        assert "缺少参数文件" in text and "已逾期 5 天" in text
        assert browser.failed_requests(driver) == []
        assert browser.console_errors(driver) == []
        shot = SHOTS / f"status-{width}.png"
        browser.full_page_screenshot(driver, shot)
        assert shot.stat().st_size > 20_000
