"""``kit import``: one way in for a workbook and a published report (kit/read/imports.py)."""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from kit import cli
from kit.content.report import load_report
from kit.exceptions import ParamsError, PathError, WriteError
from kit.read import params, workbook
from kit.read.imports import import_source
from kit.read.new import NewFileError
from kit.write import publish, word
from tests.factories import balanced_2021
from tests.helpers import ROOT

PINGTAN_2022 = ROOT / "params" / "pingtan" / "2022.yaml"


def a_workbook(folder: Path, name: str = "book.xlsx") -> Path:
    """balanced_2021: agency test-agency, year 2022."""
    return workbook.write(balanced_2021(), folder / name)


def pages_of(params_file: Path, folder: Path) -> tuple[Path, Path]:
    """The same report as a workbook and as the kit's own published page."""
    book = workbook.write(params.read(params_file).data, folder / "book.xlsx")
    page = folder / "page.html"
    page.write_text(word.page_html(load_report(params_file)), encoding="utf-8")
    return book, page


def test_an_agency_other_than_the_workbooks_is_refused_naming_both(empty_project):
    book = a_workbook(empty_project)
    with pytest.raises(ParamsError) as err:
        import_source(book, agency="other-agency")
    assert err.value.message == ("单位标识是 test-agency（基本信息!B4），不是 --agency 给出的 other-agency："
                                 "请改正其中之一，或不加 --agency")
    refused = CliRunner().invoke(cli.main, ["import", "book.xlsx", "--agency", "other-agency"])
    assert (refused.exit_code, refused.stderr) == (2, f"book.xlsx: {err.value.message}\n")
    assert not list((empty_project / "params").iterdir())
    same = import_source(book, agency="test-agency")  # the workbook's own id: as without --agency
    assert same.target == empty_project / "params" / "test-agency" / "2022.yaml"


def test_a_workbook_without_its_id_needs_agency_which_must_name_a_folder(empty_project):
    data = balanced_2021()
    data["agency"]["id"] = ""
    book = workbook.write(data, empty_project / "book.xlsx")
    with pytest.raises(ParamsError) as err:
        import_source(book)
    assert err.value.message == "请用 --agency 给出单位标识（输出目录名，如 pingtan）：基本信息!B4 是空的"
    with pytest.raises(PathError, match="单位标识 'Test Agency' 不能用作输出目录名"):
        import_source(book, agency="Test Agency")
    assert not list((empty_project / "params").iterdir())
    assert import_source(book, agency="test-agency").target == empty_project / "params" / "test-agency" / "2022.yaml"


def test_year_on_a_workbook_is_checked_like_on_a_page(empty_project):
    book = a_workbook(empty_project)
    with pytest.raises(ParamsError) as err:
        import_source(book, year=2021)
    assert err.value.message == "这是2022年度的报告，不是要导入的2021年度（--year 2021）"
    assert not list((empty_project / "params").iterdir())
    assert import_source(book, year=2022).target == empty_project / "params" / "test-agency" / "2022.yaml"


def test_a_parameter_file_is_not_imported(empty_project):
    source = empty_project / "2022.yaml"
    source.write_bytes(PINGTAN_2022.read_bytes())
    message = ("这已是参数文件：kit import 读取的是工作簿或已发布的报告（.docx、.htm、.html、.xlsx）；"
               "参数文件请直接用 kit validate 校验")
    with pytest.raises(ParamsError) as err:
        import_source(source, agency="pingtan")
    assert err.value.message == message
    refused = CliRunner().invoke(cli.main, ["import", "2022.yaml", "--agency", "pingtan"])
    assert (refused.exit_code, refused.stderr) == (2, f"2022.yaml: {message}\n")
    assert not list((empty_project / "params").iterdir())


def section(text: str, key: str) -> list[str]:
    """The lines of one top-level field, its own line first."""
    lines = text.splitlines()
    start = lines.index(next(line for line in lines if line.startswith(f"{key}:")))
    end = next((i for i in range(start + 1, len(lines)) if re.match(r"[a-z]", lines[i])), len(lines))
    return lines[start:end]


def test_a_workbook_and_a_page_write_the_same_labelled_file(empty_project):
    book, page = pages_of(PINGTAN_2022, empty_project)
    from_book = import_source(book, output="-")
    from_page = import_source(page, agency="pingtan", output="-")
    a, b = from_book.text.splitlines(), from_page.text.splitlines()
    assert a[0] == b[0] == "# 2022年政府信息公开工作年度报告参数文件（2021 版格式，国办公开办函〔2021〕30号）"
    assert (a[1], b[1]) == ("# 由 book.xlsx 导入（kit import）。", "# 由 page.html 导入（kit import）。")
    assert a[2] == b[2] == "# 每个字段后的注释是它在报告中的中文标签。为 0 的格子没有写出；总计由工具计算。"
    assert b[3] == "# 以下字段未能确定地读取，已留空，请对照原报告填写：" and not a[3].startswith("#")
    for key in ("agency", "contact", "signoff", "table2"):  # the same data, the same lines
        assert [line for line in section(from_book.text, key) if "self_name" not in line] == \
            section(from_page.text, key), key  # 我区 is the file's; a page's 自称 is not read
    assert "  id: pingtan  # 单位标识（输出目录名）" in b and "  licensing:  # 第二十条第（五）项 › 行政许可" in a
    assert unlabelled(from_book.text) == unlabelled(from_page.text) == []


def unlabelled(text: str) -> list[str]:
    """The field lines without their label, a list's items aside (the list carries it)."""
    out: list[str] = []
    item: int | None = None  # the indentation of the list item the line is in
    for line in text.splitlines():
        indent = len(line) - len(line.lstrip())
        if line.lstrip().startswith("- "):
            item = indent
        elif item is not None and indent > item:
            continue
        else:
            item = None
            if re.match(r"\s*[a-z_0-9]+:", line) and not re.search(r"  # \S", line):
                out.append(line)
    return out


@pytest.mark.parametrize("kind", ["workbook", "page"])
def test_an_existing_file_is_refused_the_same_way_and_left_byte_identical(empty_project, kind):
    book, page = pages_of(PINGTAN_2022, empty_project)
    source, agency = (book, None) if kind == "workbook" else (page, "pingtan")
    target = empty_project / "params" / "pingtan" / "2022.yaml"
    target.parent.mkdir()
    mine = "# 分析员手写的文件\nyear: 2022\n".encode() + bytes([0xE5, 0x20])  # not even valid UTF-8
    target.write_bytes(mine)
    with pytest.raises(NewFileError) as err:
        import_source(source, agency=agency)
    assert str(err.value) == "params/pingtan/2022.yaml 已存在；如需覆盖请加 --force"
    args = ["import", source.name, *(["--agency", agency] if agency else [])]
    refused = CliRunner().invoke(cli.main, args)
    assert (refused.exit_code, refused.stdout, refused.stderr) == (2, "", f"{err.value}\n")
    assert target.read_bytes() == mine and os.listdir(target.parent) == ["2022.yaml"]
    forced = import_source(source, agency=agency, force=True)
    assert target.read_text(encoding="utf-8") == forced.text and os.listdir(target.parent) == ["2022.yaml"]


def test_a_write_that_fails_leaves_the_old_file_and_no_temporary_one(empty_project, monkeypatch):
    book = a_workbook(empty_project)
    target = empty_project / "params" / "test-agency" / "2022.yaml"
    target.parent.mkdir()
    target.write_text("old\n", encoding="utf-8")

    def full(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(publish.os, "replace", full)
    with pytest.raises(WriteError, match="磁盘空间已满"):
        import_source(book, force=True)
    assert target.read_text(encoding="utf-8") == "old\n" and os.listdir(target.parent) == ["2022.yaml"]


def test_one_output_shape_for_every_source(empty_project):
    book, _ = pages_of(PINGTAN_2022, empty_project)
    runner = CliRunner()
    from_book = runner.invoke(cli.main, ["import", "book.xlsx"])
    assert (from_book.exit_code, from_book.stdout) == (
        0, "已导入 book.xlsx → params/pingtan/2022.yaml\n校验：0 个错误，0 个警告\n")
    (empty_project / "params" / "pingtan" / "2022.yaml").unlink()
    from_page = runner.invoke(cli.main, ["import", "page.html", "--agency", "pingtan"])
    # the page prints the text's 收到75件 that the file acknowledges (N1); a page has no acknowledgements
    assert (from_page.exit_code, from_page.stdout.splitlines()) == (3, [
        "已导入 page.html → params/pingtan/2022.yaml", "未能读取 1 项（已留空，见文件开头）；校验：2 个错误，1 个警告"])
    assert [re.sub(r"（.*", "", line) for line in from_page.stderr.splitlines()] == [
        "page.html: 警告[I1] overview.proactive.total", "page.html:一、总体情况: 错误[N1] overview.subsections.1.text",
        "page.html:一、总体情况: 错误[N1] overview.subsections.1.text", "page.html: 警告[P2] overview.proactive.total"]
    printed = runner.invoke(cli.main, ["import", "book.xlsx", "-"])
    assert printed.stdout == import_source(book, output="-").text  # only the file on stdout
    assert printed.stderr.splitlines()[-1] == "校验：0 个错误，0 个警告"  # the file's 2 acknowledged N1 above
