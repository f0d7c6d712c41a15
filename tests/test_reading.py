"""The report as people read it: free text never runs, every report loads offline, print and PDF."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By

from kit import paths
from kit.api import RunOptions, run_report
from kit.project import Project
from tests import browser
from tests.helpers import ROOT, SEED_PARAMS, all_labels, in_ci

pytestmark = [pytest.mark.browser, pytest.mark.slow]

if not browser.available() or not shutil.which("pdftoppm"):
    if in_ci():
        raise RuntimeError("CI needs Debian's chromium, chromium-driver and poppler-utils: .ci/run installs them")
    pytest.skip("chromium / poppler-utils not installed", allow_module_level=True)

SHOTS = paths.output_dir() / "screenshots"
PAYLOADS = [
    "<script>window.__pwned = 1</script>",
    '<img src=x onerror="window.__pwned = 2">',
    "[点我](javascript:window.__pwned=3)",
    "<style>body { display: none }</style>",
    '<a href="javascript:window.__pwned = 4">链接</a>',
    '"><svg onload="window.__pwned = 5">',
    "<iframe srcdoc='<script>parent.__pwned = 6</script>'></iframe>",
]
EVIL = " ".join(PAYLOADS)


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def evil_params(tmp_path):
    import yaml

    data = yaml.safe_load(SEED_PARAMS.read_text(encoding="utf-8"))
    data["agency"]["id"] = "evil"
    data["agency"]["name"] = "测试局" + EVIL
    data["agency"]["self_name"] = "我局" + EVIL
    data["overview"]["intro"] = EVIL
    data["overview"]["proactive"]["channel"] = EVIL
    data["overview"]["proactive"]["categories"][0]["name"] = EVIL
    data["overview"]["subsections"] = [{"title": EVIL, "text": EVIL}]
    data["extra_sections"] = [{"title": EVIL, "after": "review", "text": EVIL}]
    data["problems"] = EVIL
    data["other"] = EVIL
    folder = tmp_path / "evil"
    folder.mkdir()
    f = folder / "2020.yaml"
    f.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return f


def test_script_from_a_parameter_file_never_runs(tmp_path):
    report = run_report(evil_params(tmp_path), RunOptions(output=tmp_path / "out"))
    html = report.html.read_text(encoding="utf-8")
    assert "<script" not in html.lower() and "<iframe" not in html.lower() and "javascript:" not in \
        re.sub(r"&[a-z]+;|\[[^\]]*\]\([^)]*\)", "", html).split("<body>")[1].replace("javascript:window", "")
    with browser.chromium() as driver:
        driver.get(report.html.as_uri())
        assert driver.execute_script("return window.__pwned === undefined")
        with pytest.raises(NoAlertPresentException):
            driver.switch_to.alert.text  # noqa: B018 - no dialog was opened
        assert driver.find_elements(By.CSS_SELECTOR, "main script, main img, main iframe, main a, main style") == []
        body = driver.find_element(By.TAG_NAME, "body")
        assert body.is_displayed()
        text = body.text
        assert text.count("<script>window.__pwned = 1</script>") >= 8  # shown as text, field after field
        assert '<img src=x onerror="window.__pwned = 2">' in text
        assert "[点我](javascript:window.__pwned=3)" in text
        assert browser.console_errors(driver) == []
        browser.full_page_screenshot(driver, SHOTS / "evil-2020-desktop.png")


@pytest.mark.parametrize("params", ["ninghai-commerce/2020.yaml", "pingtan/2021.yaml", "pingtan/2022.yaml"])
def test_every_report_loads_offline_with_tables_visible(tmp_path, params):
    report = run_report(ROOT / "params" / params, RunOptions(output=tmp_path))
    name = params.replace("/", "-").removesuffix(".yaml")
    version = "2019" if params.endswith("2020.yaml") else "2021"
    with browser.chromium() as driver:
        driver.get(report.html.as_uri())
        assert browser.failed_requests(driver) == []
        assert browser.console_errors(driver) == []
        rendered = squash(driver.find_element(By.TAG_NAME, "body").text)
        assert [label for label in all_labels(version) if squash(label) not in rendered] == []
        tables = driver.find_elements(By.CSS_SELECTOR, "table")
        assert len(tables) == 3 and all(t.is_displayed() and t.size["height"] > 40 for t in tables)
        for fig in driver.find_elements(By.CSS_SELECTOR, "figure.chart"):
            assert fig.is_displayed() and fig.get_attribute("aria-label")
        browser.full_page_screenshot(driver, SHOTS / f"{name}-desktop.png")
    with browser.chromium(width=390, height=844) as driver:
        driver.get(report.html.as_uri())
        assert driver.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0
        assert driver.execute_script(
            "return [...document.querySelectorAll('.table-wrap')].every(w => w.scrollWidth > w.clientWidth)")
        browser.full_page_screenshot(driver, SHOTS / f"{name}-phone.png")


def test_pdf_is_a4_with_every_label_and_page_numbers(tmp_path):
    report = run_report(ROOT / "params" / "pingtan" / "2022.yaml",
                        RunOptions(output=tmp_path, project=Project(formats=("html", "pdf"))))
    pdf = report.html.parent / "report.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Page size:\s+59\d(\.\d+)? x 84\d(\.\d+)? pts \(A4\)", info)
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert pages >= 3
    text = subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = squash(text)
    missing = [label for label in all_labels("2021") if squash(label) not in flat]
    assert missing == []
    assert [f"—{n}—" in flat for n in range(1, pages + 1)] == [True] * pages
    SHOTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "3", "-l", "3", "-singlefile", str(pdf),
                    str(SHOTS / "pingtan-2022-pdf-page3")], check=True)
    assert (SHOTS / "pingtan-2022-pdf-page3.png").stat().st_size > 10_000
