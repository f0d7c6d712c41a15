"""``kit import PAGE.html`` / ``FILE.docx``: last year's published report read back (issue 14 §2)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from kit.check.validate import validate_data
from kit.cli import main
from kit.content import narrative, tables
from kit.content.report import load_report
from kit.exceptions import ParamsError
from kit.read import base, page, published, worddoc
from kit.read.imports import import_source
from kit.read.new import NewFileError, new_params
from kit.spec import formats
from kit.write import word
from tests.helpers import ROOT, SHARED

EXAMPLES = SHARED / "domain" / "examples"
PARAMS = sorted((ROOT / "params").glob("*/*.yaml"))
PROACTIVE_UNREAD = ("overview.proactive.total", "正文里的条数未必是全年主动公开信息的总条数，请核对后填写")


def unread(imported: base.Loaded) -> list[tuple[str, str]]:
    return [(p.path, p.message.removeprefix("未能确定地读取，已留空：")) for p in imported.unread]


def json_cells(year: int) -> list[tuple[tuple[str, ...], int | float]]:
    """Every table cell of the example's JSON as (field path, value), totals included."""
    fig = json.loads((EXAMPLES / f"pingtan_{year}.json").read_text(encoding="utf-8"))
    spec = formats.for_year(year)
    cells: list[tuple[tuple[str, ...], int | float]] = []
    for block in spec.table2:
        rows = fig["table2"][block.caption]["rows"]
        for row_key, label in block.rows:
            for col, value in zip(block.columns, rows[label], strict=True):
                cells.append((("table2", row_key, col.key), value))
    by_label = {row.labels[-1]: row for row in spec.table3}
    columns = dict((label, key) for key, label in formats.TABLE3_COLUMNS) | {"总计": "total"}
    for row in fig["table3"]["rows"]:
        spec_row = by_label[row["label"].split("｜")[-1]]
        cells += [(("table3", *spec_row.path, columns[c]), v) for c, v in row["cells"].items()]
    groups = {label: key for key, label in formats.TABLE4_GROUPS}
    results = dict((label, key) for key, label in formats.TABLE4_RESULTS) | {"总计": "total"}
    for group, values in fig["table4"].items():
        cells += [(("table4", groups[group.split("｜")[-1]], results[r]), v) for r, v in values.items()]
    return cells


def at(data: dict, path: tuple[str, ...]):
    for part in path:
        data = data[part]
    return data


@pytest.mark.parametrize("year", [2021, 2022])
def test_the_real_pages_give_every_table_cell_of_their_json(year):
    imported = base.read(EXAMPLES / f"pingtan_{year}.page.html")
    cells = json_cells(year)
    assert [(path, at(imported.data, path)) for path, _ in cells] == cells
    assert len(cells) == 10 + 25 * 7 + 15  # 表二 10, 表三 175, 表四 15: 200 cells compared per page
    assert unread(imported) == [PROACTIVE_UNREAD]


def test_the_real_pages_narrative_and_contact():
    data = base.read(EXAMPLES / "pingtan_2021.page.html").data
    assert data["agency"] == {"name": "平潭综合实验区", "kind": "government"} and data["year"] == 2021
    assert data["signoff"] == {"date": "2022-02-08"}  # the page's PubDate, as the JSON's "published"
    assert data["contact"] == {
        "office": "平潭综合实验区政府信息公开工作领导小组办公室",
        "address": "平潭综合实验区北厝金井湾片区管委会大楼主楼14层",
        "postcode": "350400",
        "phone": "0591-23165370",
        "website": "平潭综合实验区党工委管委会政府门户网站（www.pingtan.gov.cn）的“政府信息公开专栏”中",
    }
    overview = data["overview"]
    assert overview["intro"].startswith("2021年，我区以习近平新时代")
    assert overview["intro"].endswith("助力服务型政府建设。")
    assert [s["title"] for s in overview["subsections"]] == [
        "主动公开方面", "依申请公开方面", "政府信息管理方面", "平台载体建设方面", "监督保障方面"]
    assert overview["subsections"][4]["text"].startswith("常态化开展督查检查，组织4次季度政务公开检查")
    assert data["problems"].startswith("（一）存在的主要问题:政策解读形式不够丰富")
    assert data["problems"].endswith("充分发挥政府网站和政务新媒体作用。")
    # 六 said “2021年，无收取信息处理费情况。”: the kit writes that sentence from processing_fee; no site footer
    assert (data["processing_fee"], data["other"]) == (0, "")


def _imported(doc: published.Document, agency_id: str):
    imported = published.from_document(doc, "page")
    imported.data["agency"]["id"] = agency_id
    return imported, validate_data(imported.data, "page")


@pytest.mark.parametrize("params_file", PARAMS, ids=lambda p: f"{p.parent.name}/{p.name}")
@pytest.mark.parametrize("kind", ["html", "docx"])
def test_the_kits_own_page_and_word_file_read_back_to_the_files_tables(params_file, kind):
    report = load_report(params_file)
    doc = (page.document(word.page_html(report).encode("utf-8")) if kind == "html"
           else worddoc.document(word.report_docx(report, "2024-01-20")))
    imported, validated = _imported(doc, report.validated.model.agency.id)
    assert unread(imported) == [PROACTIVE_UNREAD]
    assert validated.model is not None, [str(p) for p in validated.errors]
    spec = validated.spec
    assert tables.table2_frame(validated.model, spec).equals(report.table2)
    assert tables.table3_frame(validated.model, spec).equals(report.table3)
    assert tables.table4_frame(validated.model).equals(report.table4)
    mine, theirs = validated.model, report.validated.model
    assert (mine.contact, mine.signoff) == (theirs.contact, theirs.signoff)
    assert [(e.title, e.after) for e in mine.extra_sections] == [(e.title, e.after) for e in theirs.extra_sections]
    assert mine.other.strip() == theirs.other.strip()  # the 落款 under 六 is the signoff, not text


def word_pasted(html: str) -> str:
    """The kit's page as a site's Word-pasted template shows it: every cell's text in nested spans and
    fonts, digits full-width, &nbsp; around them, labels split across lines, all in a layout table."""
    def cell(match: re.Match) -> str:
        text = match.group(2).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
        text = text.replace("、", "、<br>\n   ", 1)
        return (f'{match.group(1)}<p class="MsoNormal"><span style="x"><font face="仿宋">&nbsp;{text}&nbsp;</font>'
                f'</span></p></{match.group(3)}>')
    body = re.sub(r"(<(t[dh])[^>]*>)(.*?)</\2>", lambda m: cell(re.match(r"(.*)\x00(.*)\x00(.*)", "\x00".join(
        (m.group(1), m.group(3), m.group(2))), re.S)), html, flags=re.S)
    return f'<html><body><div class="nav"><p>首页</p></div><table><tr><td>{body}</td></tr></table>' \
           '<div class="footer"><p>版权所有</p></div></body></html>'


def test_word_pasted_markup_full_width_digits_and_split_cells_read_the_same():
    report = load_report(ROOT / "params" / "pingtan" / "2021.yaml")
    pasted = word_pasted(word.page_html(report))
    # the template did its worst
    assert "&nbsp;６４&nbsp;" in pasted and "一、<br>" in pasted and "<td>0</td>" not in pasted
    imported, validated = _imported(page.document(pasted.encode("utf-8")), "pingtan")
    assert unread(imported) == [PROACTIVE_UNREAD]
    assert tables.table3_frame(validated.model, validated.spec).equals(report.table3)
    assert tables.table2_frame(validated.model, validated.spec).equals(report.table2)


def test_a_cell_that_is_not_a_figure_is_listed_and_left_out():
    report = load_report(ROOT / "params" / "pingtan" / "2022.yaml")
    html = word.page_html(report).replace('<td colspan="3">10690</td>', '<td colspan="3">/</td>', 1)
    assert '<td colspan="3">/</td>' in html
    imported, validated = _imported(page.document(html.encode("utf-8")), "pingtan")
    assert "licensing" not in imported.data["table2"] and validated.model.table2.licensing.decisions == 0
    assert [str(p) for p in imported.unread[:1]] == [
        "page:表1第7行: 警告[I1] table2.licensing.decisions"
        "（表二 › 第二十条第（五）项 › 行政许可 › 本年处理决定数量）："
        "未能确定地读取，已留空：表1第7行该格为“/”，不是数字"]


def test_a_page_without_tables_is_refused():
    html = "<html><body><h1>某县2022年政府信息公开工作年度报告</h1><p>一、总体情况</p><p>正文</p></body></html>"
    with pytest.raises(ParamsError) as err:
        published.from_document(page.document(html.encode("utf-8")), "page.html")
    assert str(err.value) == ("page.html: 没有表格：这不像一份完整的政府信息公开工作年度报告"
                              "（应有主动公开、依申请公开和行政复议行政诉讼三张表）")


def test_a_page_that_is_not_a_report_is_refused():
    with pytest.raises(ParamsError) as err:
        published.from_document(page.document(b"<html><body><p>hello</p><table><tr><td>1</td></tr></table>"), "p.html")
    assert str(err.value) == "p.html: 没有找到报告标题（“××××年政府信息公开工作年度报告”），无法确定单位和年度"


def test_the_wrong_year_and_a_missing_agency_are_refused(tmp_path):
    source = EXAMPLES / "pingtan_2022.page.html"
    with pytest.raises(ParamsError) as err:
        import_source(source, agency="pingtan", year=2021, params_dir=tmp_path)
    assert err.value.message == "这是2022年度的报告，不是要导入的2021年度（--year 2021）"
    with pytest.raises(ParamsError) as err:
        import_source(source, params_dir=tmp_path)
    assert err.value.message == "请用 --agency 给出单位标识（输出目录名，如 pingtan）：已发布的报告里没有它"
    assert not list(tmp_path.iterdir())


def test_import_writes_a_valid_file_and_the_published_mistakes_show(tmp_path):
    result = import_source(EXAMPLES / "pingtan_2022.page.html", agency="pingtan", params_dir=tmp_path)
    assert result.target == tmp_path / "pingtan" / "2022.yaml"
    text = result.target.read_text(encoding="utf-8")
    assert text.splitlines()[3:5] == [
        "# 以下字段未能确定地读取，已留空，请对照原报告填写：",
        "#   overview.proactive.total"
        "（一、总体情况 › 主动公开 › 主动公开信息总条数（列出类别时可不填，由各类别相加））："
        "正文里的条数未必是全年主动公开信息的总条数，请核对后填写"]
    # the page's text says 收到75件 where its table has 74: an error, as for a typed file
    assert [(p.rule, p.path, p.expected, p.actual) for p in result.validated.errors] == [
        ("N1", "overview.subsections.1.text", "74", "75"), ("N1", "overview.subsections.1.text", "71", "72")]
    with pytest.raises(NewFileError, match="已存在；如需覆盖请加 --force"):
        import_source(EXAMPLES / "pingtan_2022.page.html", agency="pingtan", params_dir=tmp_path)


def test_last_years_page_imported_once_starts_this_years_file(tmp_path):
    """The intended use: import 2021 from its page; `kit new` 2022 carries 结转 (X1) from it, and the
    2022 file, imported too, is checked against it and compared with it."""
    last = import_source(EXAMPLES / "pingtan_2021.page.html", agency="pingtan", params_dir=tmp_path)
    assert last.validated.ok and [p.rule for p in last.validated.warnings] == ["M1", "P2"]
    new = new_params("pingtan", 2022, params_dir=tmp_path)
    text = new.read_text(encoding="utf-8")
    carry_in = text[text.index("  carry_in:"):text.index("  outcomes:")]
    assert "    natural: 1  # 自然人" in carry_in and "    commercial: 0  # 商业企业" in carry_in
    assert "  name: \"平潭综合实验区\"" in text and "  office: \"平潭综合实验区政府信息公开工作领导小组办公室\"" in text
    new.unlink()
    this = import_source(EXAMPLES / "pingtan_2022.page.html", agency="pingtan", params_dir=tmp_path)
    assert this.validated.previous is not None and this.validated.previous.ok
    assert not [p for p in this.validated.problems if p.rule in {"X0", "X1", "X2"}]
    model, last = this.validated.model, this.validated.previous.model
    t3 = tables.table3_frame(model, this.validated.spec)
    sentence = narrative.requests(model, t3, tables.table3_frame(last, this.validated.spec))
    assert "较上年增加4件" in sentence, sentence  # 74 new requests against 2021's 70


def test_the_import_command(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    out = runner.invoke(main, ["import", str(EXAMPLES / "pingtan_2021.page.html"), "--agency", "pingtan", "-o", "-"])
    assert out.exit_code == 0, out.output
    assert out.stdout.splitlines()[5:8] == ["year: 2021  # 报告年度", "agency:  # 单位",
                                            "  id: pingtan  # 单位标识（输出目录名）"]
    assert out.stderr.splitlines()[-1] == "未能读取 1 项（已留空，见文件开头）；校验：0 个错误，2 个警告"
    wrong = runner.invoke(main, ["import", str(EXAMPLES / "pingtan_2021.page.html"), "--agency", "pingtan",
                                 "--year", "2022", "-o", "-"])
    assert wrong.exit_code == 2 and wrong.stderr.endswith("这是2021年度的报告，不是要导入的2022年度（--year 2022）\n")


def test_the_readers_are_registered_by_suffix():
    assert [base.for_path(Path(f"x{s}")).name for s in (".html", ".htm", ".docx", ".yaml")] == [
        "page", "page", "word", "yaml"]


def test_a_word_file_through_the_command_and_a_broken_one_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    report = load_report(ROOT / "params" / "ninghai-commerce" / "2020.yaml")
    (tmp_path / "report.docx").write_bytes(word.report_docx(report, "2021-01-20"))
    args = ["import", "report.docx", "--agency", "ninghai-commerce", "--year", "2020", "-o", "-"]
    out = CliRunner().invoke(main, args)
    assert out.exit_code == 0, out.output
    assert out.stdout.splitlines()[:2] == [
        "# 2020年政府信息公开工作年度报告参数文件（2019 版格式，国办公开办函〔2019〕60号）",
        "# 由 report.docx 导入（kit import）。"]
    assert "  name: 宁海县商务局  # 单位名称" in out.stdout.splitlines()
    (tmp_path / "broken.docx").write_bytes(b"not a zip")
    broken = CliRunner().invoke(main, ["import", "broken.docx", "--agency", "x", "-o", "-"])
    assert broken.exit_code == 2
    assert broken.stderr == "broken.docx: 不是可读取的 Word 文件（.docx）：File is not a zip file\n"
