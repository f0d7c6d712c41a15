"""The published PDF and Word files read by real readers: Chromium's PDF, report.docx through LibreOffice."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from kit.api import RunOptions, run_report
from kit.audit import htmltext
from kit.project import Project
from tests import browser
from tests.helpers import ROOT, all_labels, in_ci

pytestmark = [pytest.mark.browser, pytest.mark.slow]

if not browser.available() or not shutil.which("pdftotext") or not shutil.which("soffice"):
    if in_ci():
        raise RuntimeError("CI needs Debian's chromium, poppler-utils and libreoffice-writer-nogui: "
                           ".ci/run installs them")
    pytest.skip("chromium / poppler-utils / libreoffice not installed", allow_module_level=True)

ALL = Project(formats=("html", "pdf", "docx"))


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def pages_of(pdf) -> list[str]:
    n = int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True,
                                                          check=True).stdout).group(1))
    return [squash(subprocess.run(["pdftotext", "-f", str(i), "-l", str(i), "-raw", str(pdf), "-"],
                                  capture_output=True, text=True, check=True).stdout) for i in range(1, n + 1)]


def first_page(pages: list[str], text: str) -> int:
    return next(i for i, page in enumerate(pages) if squash(text) in page)


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    out = tmp_path_factory.mktemp("print")
    result = run_report(ROOT / "params" / "pingtan" / "2022.yaml",
                        RunOptions(output=out, project=ALL, generated_on="2023-02-20"))
    return result


def test_every_format_is_published_and_listed(published):
    assert [p.name for p in published.files] == ["report.html", "report.pdf", "report.docx", "audit.html",
                                                 "report.ipynb", "run.json"]


def test_chromium_pdf_keeps_tables_with_their_headings(published):
    pages = pages_of(published.html.parent / "report.pdf")
    # each table's heading (its caption) on the page of its first row
    assert first_page(pages, "二、主动公开政府信息情况") == first_page(pages, "第二十条第（一）项")
    first_row = first_page(pages, "一、本年新收政府信息公开申请数量")
    assert first_page(pages, "三、收到和处理政府信息公开申请情况") == first_row
    assert first_page(pages, "四、政府信息公开行政复议、行政诉讼情况") == first_page(pages, "未经复议直接起诉")
    # 表二 fits on a page: all of it on one
    t2 = first_page(pages, "第二十条第（一）项")
    assert "第二十条第（八）项" in pages[t2] and "9116.36" in pages[t2]
    # 表三 spans two pages here: its header rows are printed again on the second
    start, end = first_page(pages, "一、本年新收政府信息公开申请数量"), first_page(pages, "四、结转下年度继续办理")
    assert end == start + 1
    assert all("申请人情况" in pages[i] and "法人或其他组织" in pages[i] for i in (start, end))
    assert [f"—{n}—" in page for n, page in enumerate(pages, 1)] == [True] * len(pages)


def test_libreoffice_reads_the_docx_with_every_label_and_figure(published, tmp_path):
    folder = published.html.parent
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/lo", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(folder / "report.docx")], check=True, capture_output=True,
                   timeout=300)
    pdf = tmp_path / "report.pdf"
    pages = pages_of(pdf)
    text = "".join(pages)
    # LibreOffice places “ ” as glyph runs of their own, which pdftotext prints apart from the words they quote
    unquoted = re.sub("[“”]", "", text)
    assert [label for label in all_labels("2021") if re.sub("[“”]", "", squash(label)) not in unquoted] == []
    assert "3.“”危及三安全一稳定" in text or "3.危及“三安全一稳定”" in text
    figures = htmltext.data_cells(published.html.read_text(encoding="utf-8"))
    assert len(figures) == 10 + 25 * 7 + 15 and [f for f in figures if f not in text] == []
    assert "平潭综合实验区2023年2月20日" in pages[-1]
    assert abs(len(pages) - len(pages_of(folder / "report.pdf"))) <= 1


def test_docx_and_pdf_are_byte_identical_on_rerun(published, tmp_path):
    again = run_report(ROOT / "params" / "pingtan" / "2022.yaml",
                       RunOptions(output=tmp_path, project=ALL, generated_on="2023-02-20"))
    first, second = published.html.parent, again.html.parent
    assert (first / "report.docx").read_bytes() == (second / "report.docx").read_bytes()
    assert (first / "report.pdf").read_bytes() == (second / "report.pdf").read_bytes()
    assert b"/CreationDate (D:20230220000000" in (second / "report.pdf").read_bytes()
    assert (first / "report.html").read_bytes() == (second / "report.html").read_bytes()
