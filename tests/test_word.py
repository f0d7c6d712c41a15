"""report.docx (GB/T 9704 layout), the opening paragraph and 落款, project formats and the writer registry."""

from __future__ import annotations

import io
import zipfile
from types import SimpleNamespace

import docx
import pytest
from docx.oxml.ns import qn

from kit import project
from kit.audit import htmltext
from kit.check.validate import validate_data
from kit.content import render
from kit.content.report import load_report
from kit.exceptions import ProjectError, UnknownWriterError
from kit.write import word, writers
from tests.helpers import ROOT, SEED_PARAMS, docx_grids, table_grids

PINGTAN = ROOT / "params" / "pingtan" / "2022.yaml"


@pytest.fixture(scope="module")
def pingtan():
    return load_report(PINGTAN)


@pytest.fixture(scope="module")
def pingtan_docx(pingtan):
    return word.report_docx(pingtan, "2023-02-20")


def read_docx(data: bytes):
    return docx.Document(io.BytesIO(data))


def test_every_table_cell_label_and_merge_equals_the_page(pingtan, pingtan_docx):
    page = table_grids(word.page_html(pingtan))
    assert [len(g) for g in page] == [14, 28, 4]  # 表二, 表三, 表四
    assert docx_grids(read_docx(pingtan_docx)) == page


@pytest.mark.parametrize("params_file", [SEED_PARAMS, ROOT / "params" / "pingtan" / "2021.yaml"])
def test_2019_format_and_another_year_have_the_pages_grid(params_file):
    report = load_report(params_file)
    page = table_grids(word.page_html(report))
    assert len(page) == 3 and docx_grids(read_docx(word.report_docx(report, "2021-01-20"))) == page


def test_page_is_gbt9704_a4(pingtan_docx):
    s = read_docx(pingtan_docx).sections[0]
    mm = [round(x / 36000, 1) for x in (s.page_width, s.page_height, s.top_margin, s.left_margin,
                                        s.page_width - s.left_margin - s.right_margin,
                                        s.page_height - s.top_margin - s.bottom_margin)]
    assert mm == [210, 297, 37, 28, 156, 225]


def test_every_run_names_its_east_asian_font(pingtan_docx):
    doc = read_docx(pingtan_docx)
    runs = doc.element.body.iter(qn("w:r"))
    missing = [r for r in runs if r.find(qn("w:rPr")) is None
               or r.find(qn("w:rPr")).find(qn("w:rFonts")) is None
               or not r.find(qn("w:rPr")).find(qn("w:rFonts")).get(qn("w:eastAsia"))]
    assert missing == []
    fonts = {r.font.name for p in doc.paragraphs for r in p.runs}
    assert {"方正小标宋简体", "黑体", "楷体_GB2312", "仿宋_GB2312"} <= fonts


def test_page_number_field_odd_right_even_left(pingtan_docx):
    doc = read_docx(pingtan_docx)
    assert doc.settings.odd_and_even_pages_header_footer
    section = doc.sections[0]
    for footer, align in ((section.footer, "right"), (section.even_page_footer, "left")):
        p = footer.paragraphs[0]
        assert p._p.xpath("string(.//w:instrText)").strip() == "PAGE"
        assert p.text == "— 1 —"
        assert p.paragraph_format.alignment.name.lower() == align
        assert {r.font.name for r in p.runs} == {"宋体"}


def test_tables_repeat_header_rows_and_never_split_rows(pingtan_docx):
    doc = read_docx(pingtan_docx)
    t2, t3, t4 = doc.tables
    headers = [[tr.trPr is not None and tr.trPr.find(qn("w:tblHeader")) is not None for tr in t._tbl.tr_lst]
               for t in (t2, t3, t4)]
    assert headers == [[False] * 14, [True] * 3 + [False] * 25, [True] * 3 + [False]]
    assert all(tr.trPr.find(qn("w:cantSplit")) is not None for t in doc.tables for tr in t._tbl.tr_lst)


def test_charts_are_pngs_with_alt_text_or_left_out(pingtan, pingtan_docx):
    doc = read_docx(pingtan_docx)
    described = [el.get("descr") for el in doc.element.body.iter(qn("wp:docPr"))]
    assert described[0] == ("办理结果（共75件）：予以公开21件，部分公开9件，不予公开4件，无法提供37件，"
                            "不予处理0件，其他处理4件")
    assert len(described) == 3
    assert all(p.content_type == "image/png" for p in doc.part.package.parts if "media" in str(p.partname))
    plain = read_docx(word.report_docx(pingtan, "2023-02-20", with_charts=False))
    assert list(plain.element.body.iter(qn("wp:docPr"))) == []


def test_docx_bytes_are_the_same_on_every_build(pingtan, pingtan_docx):
    again = word.report_docx(load_report(PINGTAN), "2023-02-20")
    assert again == pingtan_docx
    with zipfile.ZipFile(io.BytesIO(again)) as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    props = read_docx(again).core_properties
    assert (props.created.date().isoformat(), props.modified.date().isoformat()) == ("2023-02-20", "2023-02-20")
    assert props.author == "平潭综合实验区" and "python-docx" not in again.decode("latin-1")


CONTACT = {"office": "宁海县商务局办公室", "address": "宁海县桃源街道金水路1号", "postcode": "315600",
           "phone": "0574-65580000", "email": "nhsw@example.cn", "website": "宁海县人民政府门户网站"}


def seed_with_contact(**extra):
    from kit.read import params
    data = {**params.read(SEED_PARAMS).data, "contact": CONTACT, "signoff": {"date": "2021-01-20"}, **extra}
    report = load_report(SEED_PARAMS)
    report.__init__(validate_data(data, str(SEED_PARAMS)))
    return report


DEPARTMENT_OPENING = (
    "本报告根据《中华人民共和国政府信息公开条例》（以下简称《条例》）、《国务院办公厅政府信息与政务公开办公室关于印发"
    "<中华人民共和国政府信息公开工作年度报告格式（试行）>的通知》（国办公开办函〔2019〕60号）等文件要求，"
    "由宁海县商务局办公室按照2020年宁海县商务局政府信息公开工作实际编制而成。"
    "本报告由总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况、政府信息公开行政复议、行政诉讼情况、"
    "监督保障机制、存在的主要问题及改进情况、其他需要报告的事项等七个部分组成。"
    "本报告中所列数据的统计期限自2020年1月1日起至2020年12月31日止。"
    "本报告的电子版可在宁海县人民政府门户网站下载。对本报告如有疑问，请与宁海县商务局办公室联系"
    "（地址：宁海县桃源街道金水路1号，邮编：315600，电话：0574-65580000，电子邮箱：nhsw@example.cn）。")
GOVERNMENT_OPENING = (
    "本报告根据《中华人民共和国政府信息公开条例》（以下简称《条例》）、《国务院办公厅政府信息与政务公开办公室关于印发"
    "<中华人民共和国政府信息公开工作年度报告格式>的通知》（国办公开办函〔2021〕30号）等文件要求，"
    "由平潭综合实验区管委会办公室保密与电子政务处{how}。"
    "本报告由总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况、政府信息公开行政复议、行政诉讼情况、"
    "存在的主要问题及改进情况、其他需要报告的事项等六个部分组成。"
    "本报告中所列数据的统计期限自2022年1月1日起至2022年12月31日止。"
    "对本报告如有疑问，请与平潭综合实验区管委会办公室保密与电子政务处联系"
    "（地址：平潭综合实验区金井湾商务营运中心7号楼14层，邮编：350400，电话：0591-23165385）。")


def opening_and_signoff(report) -> tuple[list[str], list[str]]:
    """The opening and the last two paragraphs, as the page shows them and as report.docx does."""
    page = [b.text for b in htmltext.blocks(word.page_html(report)) if b.kind == "p"]
    doc = [p.text for p in read_docx(word.report_docx(report, "2023-02-20")).paragraphs if p.text]
    return [page[0], *page[-2:]], [doc[1], *doc[-2:]]


def test_opening_and_signoff_of_a_department_word_for_word():
    page, doc = opening_and_signoff(seed_with_contact())
    assert page == doc == [DEPARTMENT_OPENING, "宁海县商务局", "2021年1月20日"]


def test_opening_and_signoff_of_a_government_word_for_word(pingtan):
    page, doc = opening_and_signoff(pingtan)
    department_style = GOVERNMENT_OPENING.format(how="按照2022年平潭综合实验区政府信息公开工作实际编制而成")
    assert page == doc == [department_style, "平潭综合实验区", "2023年2月20日"]
    pingtan.summed_from_units = True  # what the roll-up will set
    try:
        page, _ = opening_and_signoff(pingtan)
    finally:
        del pingtan.summed_from_units
    assert page[0] == GOVERNMENT_OPENING.format(how="汇总平潭综合实验区各有关单位政府信息公开工作情况编制而成")


def test_each_opening_sentence_can_be_the_analysts_own():
    own = {"basis": "本报告由县商务局编制。", "parts": "", "period": "统计期限为2020年全年。",
           "contact": "联系电话：1。"}
    report = seed_with_contact(opening=own)
    html = render.title_html(report)
    assert htmltext.blocks(html)[1].text == (
        "本报告由县商务局编制。本报告由总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况、政府信息公开行政复议、"
        "行政诉讼情况、监督保障机制、存在的主要问题及改进情况、其他需要报告的事项等七个部分组成。统计期限为2020年全年。联系电话：1。")


def test_bad_publication_date_and_postcode_are_refused_with_their_labels():
    from kit.read import params
    data = {**params.read(SEED_PARAMS).data, "contact": {"postcode": "3156"}, "signoff": {"date": "2021-02-30"}}
    messages = [str(e) for e in validate_data(data, "x.yaml").errors]
    assert any("contact.postcode" in m and "邮编（6位数字）" in m for m in messages), messages
    assert any("signoff.date" in m and "发布日期" in m for m in messages), messages


def test_project_formats_from_kit_toml_or_pyproject(tmp_path, monkeypatch):
    monkeypatch.undo()  # the real project.load
    assert project.load(tmp_path) == project.Project(("html",))
    (tmp_path / "pyproject.toml").write_text('[tool.kit]\nformats = ["docx", "pdf"]\n', encoding="utf-8")
    assert project.load(tmp_path).formats == ("html", "pdf", "docx")
    (tmp_path / "kit.toml").write_text('formats = ["pdf"]\n', encoding="utf-8")  # kit.toml first
    assert project.load(tmp_path).formats == ("html", "pdf")


def test_project_settings_are_checked(tmp_path, monkeypatch):
    monkeypatch.undo()  # the real project.load
    (tmp_path / "kit.toml").write_text('formats = ["html", "docx", "pdf"]\nshow_version = true\n', encoding="utf-8")
    assert project.load(tmp_path) == project.Project(("html", "pdf", "docx"), True, True)
    (tmp_path / "kit.toml").write_text('formats = ["odt"]\n', encoding="utf-8")
    with pytest.raises(ProjectError) as err:
        project.load(tmp_path)
    assert str(err.value).endswith("kit.toml：formats（发布格式）中的 odt 不是已知格式（已知：html、pdf、docx）")
    (tmp_path / "kit.toml").write_text("show_version = 1\n", encoding="utf-8")
    with pytest.raises(ProjectError, match="show_version（在页面上显示版本信息）应为 true 或 false，实际为 1"):
        project.load(tmp_path)


def test_the_repository_publishes_html_pdf_and_word(monkeypatch):
    monkeypatch.undo()
    assert project.load(ROOT).formats == ("html", "pdf", "docx")


def test_writer_registry():
    assert [writers.get(n).filename for n in ("html", "pdf", "docx")] == ["report.html", "report.pdf", "report.docx"]
    with pytest.raises(UnknownWriterError) as err:
        writers.get("odt")
    assert str(err.value) == "未知的输出格式 'odt'；可用的格式：audit, docx, html, pdf"


@pytest.mark.slow
def test_run_and_batch_print_every_file_index_links_them_and_formats_are_in_the_key(tmp_path, monkeypatch):
    import shutil

    from click.testing import CliRunner

    from kit import cli

    html_docx = project.Project(("html", "docx"))
    monkeypatch.setattr(project, "load", lambda root=None: html_docx)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli.main, ["run", str(SEED_PARAMS), "--output", str(out)])
    assert result.exit_code == 0, result.output
    shown = [line.split("（")[0] for line in result.output.splitlines() if line.startswith("已发布")]
    assert [s.rsplit("/", 3)[-3:] for s in shown] == [["ninghai-commerce", "2020", "report.html"],
                                                      ["ninghai-commerce", "2020", "report.docx"],
                                                      ["ninghai-commerce", "2020", "audit.html"]]
    params_dir = tmp_path / "params" / "ninghai-commerce"
    params_dir.mkdir(parents=True)
    shutil.copy(SEED_PARAMS, params_dir / "2020.yaml")
    batch = CliRunner().invoke(cli.main, ["batch", str(tmp_path / "params"), "--output", str(out), "--force"])
    assert batch.exit_code == 0, batch.output
    lines = batch.output.splitlines()
    assert lines[0].startswith("已发布 ") and [line.strip().rsplit("/", 1)[-1] for line in lines[1:3]] == [
        "report.html", "report.docx"]
    index = (out / "index.html").read_text(encoding="utf-8")
    links = ('<a href="ninghai-commerce/2020/report.html">报告</a> · '
             '<a href="ninghai-commerce/2020/report.docx">Word</a>')
    assert links in index and "report.pdf" not in index
    again = CliRunner().invoke(cli.main, ["batch", str(tmp_path / "params"), "--output", str(out)])
    assert again.output.splitlines()[0].startswith("未变化")
    monkeypatch.setattr(project, "load", lambda root=None: project.Project(("html",)))  # the project changed
    changed = CliRunner().invoke(cli.main, ["batch", str(tmp_path / "params"), "--output", str(out)])
    assert changed.output.splitlines()[0].startswith("已发布 ")
    assert not (out / "ninghai-commerce" / "2020" / "report.docx").exists()


@pytest.mark.slow
def test_verify_reports_a_changed_docx(tmp_path):
    from click.testing import CliRunner

    from kit import cli
    from kit.api import RunOptions, run_report
    from kit.audit.verify import verify

    published = run_report(SEED_PARAMS, RunOptions(output=tmp_path, project=project.Project(("html", "docx")),
                                                   generated_on="2021-01-20")).html.parent
    assert verify(published).status == "reproduced"
    docx_file = published / "report.docx"
    doc = read_docx(docx_file.read_bytes())
    doc.paragraphs[-1].runs[0].text = "宁海县商务局办公室"  # the 落款 edited by hand
    doc.save(docx_file)
    v = verify(published)
    assert (v.status, [part.split("：")[0] for part in v.parts], v.html_identical, v.cells) == (
        "differs", ["report.docx"], True, [])
    result = CliRunner().invoke(cli.main, ["verify", str(published)])
    assert result.exit_code == 1 and f"\n  {v.parts[0]}\n" in result.output


def test_the_docx_writer_reads_the_published_page(pingtan, pingtan_docx):
    from kit.write.writers import Executed

    page = "<html><head><title>x</title></head><body>" + word.page_html(pingtan) + "</body></html>"
    executed = Executed(None, pingtan, SimpleNamespace(generated_on="2023-02-20"), project.Project())
    written = writers.get("docx").write(executed, {"report.html": page.encode()})
    assert written == pingtan_docx
    edited = page.replace(">9116.36</td>", ">9116.37</td>")
    assert docx_grids(read_docx(word.report_docx(pingtan, "2023-02-20", html=edited)))[0][13][1][0] == "9116.37"
