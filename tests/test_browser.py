"""The published page in a real browser: headless Chromium, network off."""

from __future__ import annotations

import re

import pytest
from selenium.webdriver.common.by import By

from kit import paths
from tests import browser
from tests.helpers import all_labels, in_ci

pytestmark = [pytest.mark.browser, pytest.mark.slow]

if not browser.available():
    if in_ci():  # under CI=true this test must run, not skip
        raise RuntimeError("headless Chromium is required under CI: install Debian's chromium and chromium-driver")
    pytest.skip("Debian's chromium/chromium-driver not installed", allow_module_level=True)

SCREENSHOTS = paths.output_dir() / "screenshots"


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_seed_report_renders_every_label_offline(seed_run):
    with browser.chromium() as driver:
        driver.get(seed_run.html.as_uri())
        assert driver.title == "宁海县商务局2020年政府信息公开工作年度报告"
        rendered = squash(driver.find_element(By.TAG_NAME, "body").text)  # what a reader sees (innerText)
        missing = [label for label in all_labels("2019") if squash(label) not in rendered]
        assert missing == []
        assert "主动公开信息61条" in rendered
        tables = driver.find_elements(By.TAG_NAME, "table")
        assert len(tables) == 3 and all(t.is_displayed() and t.size["height"] > 50 for t in tables)
        assert browser.failed_requests(driver) == []
        assert browser.console_errors(driver) == []
        shot = SCREENSHOTS / "ninghai-commerce-2020-desktop.png"
        browser.full_page_screenshot(driver, shot)
        assert shot.stat().st_size > 20_000


def test_phone_width_scrolls_tables_not_the_page(seed_run):
    with browser.chromium(width=390, height=844) as driver:
        driver.get(seed_run.html.as_uri())
        page_overflow = driver.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert page_overflow <= 0
        wraps = driver.execute_script(
            "return [...document.querySelectorAll('.table-wrap')].map(w => w.scrollWidth > w.clientWidth)")
        assert wraps == [True, True, True]
        browser.full_page_screenshot(driver, SCREENSHOTS / "ninghai-commerce-2020-phone.png")
