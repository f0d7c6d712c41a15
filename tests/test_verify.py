"""kit verify: a report rebuilt from the inputs its record names, every part compared; nothing run from the record."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner

from kit import cli, project
from kit.api import RunOptions, execute_plan, plan, run_report
from kit.audit import inputs, record
from kit.write import pdf
from tests.helpers import ROOT

PINGTAN = ROOT / "params" / "pingtan"
NATURAL = "表三 › 一、本年新收政府信息公开申请数量 › 自然人"


@pytest.fixture(scope="module")
def original(tmp_path_factory) -> Path:
    # module-scoped: before the autouse html-only fixture, so the project is given here
    return run_report(PINGTAN / "2021.yaml", RunOptions(output=tmp_path_factory.mktemp("out"),
                                                        project=project.Project())).html.parent


@pytest.fixture
def report(original, tmp_path) -> Path:
    """A copy of the published report folder, to tamper with."""
    return Path(shutil.copytree(original, tmp_path / "report"))


def run_verify(*folders: Path) -> tuple[int, list[str]]:
    result = CliRunner().invoke(cli.main, ["verify", *map(str, folders)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output.splitlines()


def edit_cell(folder: Path, cell_id: str, edit) -> None:
    path = folder / record.NOTEBOOK_NAME
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.get("id") == cell_id)
    cell.source = edit(cell.source)
    nbformat.write(nb, path)


def edit_json(path: Path, **changes) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    data.update(changes)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


@pytest.mark.slow
def test_record_is_typed_with_a_schema_version(original):
    run = record.read(original)
    nb = nbformat.read(original / record.NOTEBOOK_NAME, as_version=4)
    assert isinstance(run, record.Record) and run.schema_version == record.SCHEMA_VERSION == 1
    assert record.from_notebook(nb) == run
    assert nb.metadata["kit"]["schema_version"] == 1
    assert json.loads((original / "run.json").read_bytes())["schema_version"] == 1
    assert run.files == ["report.html", "audit.html", "report.ipynb"]
    assert run.params_file == "params/pingtan/2021.yaml" and run.previous_file is None


@pytest.mark.slow
def test_an_untampered_report_is_consistent(original):
    assert run_verify(original) == (0, [f"{original}：一致：由记录的输入重新生成，各文件逐字节相同（执行时间除外）"])


@pytest.mark.slow
def test_a_figure_changed_in_the_injected_cell(report):
    edit_cell(report, "injected-parameters", lambda s: s.replace("'natural': 64", "'natural': 46", 1))
    assert run_verify(report) == (1, [f"{report}：不一致",
                                      f"  report.ipynb：单元格 injected-parameters 的参数 params.table3.new.natural"
                                      f"（{NATURAL}）：记录 46，重算 64"])


@pytest.mark.slow
def test_the_provenance_section_changed(report):
    edit_cell(report, "provenance", lambda s: s.replace("校验：0 个错误", "校验：1 个错误"))
    assert run_verify(report) == (1, [f"{report}：不一致",
                                      "  report.ipynb：单元格 provenance 的内容第 10 行："
                                      "记录 - 校验：1 个错误，1 个警告，重算 - 校验：0 个错误，1 个警告"])


@pytest.mark.slow
def test_metadata_kit_changed(report):
    path = report / record.NOTEBOOK_NAME
    nb = nbformat.read(path, as_version=4)
    nb.metadata["kit"]["kernel_forked"] = True
    nbformat.write(nb, path)
    assert run_verify(report) == (1, [f"{report}：不一致",
                                      "  report.ipynb：元数据 kit.kernel_forked：记录 true，重算 false"])


@pytest.mark.slow
def test_run_json_fields_changed(report):
    edit_json(report / "run.json", title="平潭综合实验区2021年政务公开工作年度报告", year=2020)
    assert run_verify(report) == (1, [f"{report}：不一致",
                                      "  run.json：字段 title：记录 平潭综合实验区2021年政务公开工作年度报告，"
                                      "重算 平潭综合实验区2021年政府信息公开工作年度报告"])


@pytest.mark.slow
def test_run_json_with_a_field_no_record_has(report):
    edit_json(report / "run.json", approved_by="某某")
    assert run_verify(report) == (1, [f"{report}：不一致", "  run.json 的字段 approved_by 无效：记录中不应有此字段"])


@pytest.mark.slow
def test_a_code_cell_from_the_record_is_never_run(report):
    mark = Path(f"/tmp/kit-verify-ran-{os.getpid()}")
    edit_cell(report, "load", lambda s: f"open({str(mark)!r}, 'w').write('x')\n{s}")
    code, lines = run_verify(report)
    ran = mark.exists()
    mark.unlink(missing_ok=True)
    assert not ran
    assert (code, lines) == (1, [f"{report}：不一致",
                                 f"  report.ipynb：单元格 load 的源代码第 1 行："
                                 f"记录 open({str(mark)!r}, 'w').write('x')，"
                                 "重算 import kit"])


@pytest.mark.slow
def test_a_record_forged_with_the_kits_own_functions_from_other_figures(tmp_path):
    """The genuine file's hashes and name, the report itself made from other figures."""
    other = tmp_path / "other" / "pingtan" / "2021.yaml"
    other.parent.mkdir(parents=True)
    other.write_text((PINGTAN / "2021.yaml").read_text(encoding="utf-8").replace("decisions: 2293", "decisions: 2294"),
                     encoding="utf-8")
    options = RunOptions(output=tmp_path / "out")
    genuine = plan(PINGTAN / "2021.yaml", options)
    forged = execute_plan(dataclasses.replace(genuine, validated=plan(other, options).validated), options)
    folder = forged.html.parent
    assert record.read(folder).inputs == genuine.inputs
    label = "表二 › 第二十条第（五）项 › 行政许可 › 本年处理决定数量"
    code, lines = run_verify(folder)
    assert code == 1 and lines[0] == f"{folder}：不一致"
    assert lines[1].startswith("  report.html：第 108 行：记录 <p>本年度行政规范性文件制发69件、废止3件，"
                               "现行有效665件；行政许可处理决定2294件；")
    assert lines[2].startswith('  audit.html：第 176 行：记录 <tr><td class="path">table2.licensing.decisions</td>')
    assert lines[3] == ("  report.ipynb：元数据 papermill.parameters 的参数 params.table2.licensing.decisions"
                        f"（{label}）：记录 2294，重算 2293")
    # the cells that show the figure: the validation list, 二's part, the page preview
    assert lines[4:] == ["  单元格 load 的输出不同", "  单元格 proactive 的输出不同", "  单元格 preview 的输出不同",
                         f"  {label}：发布 2294，重算 2293"]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["report.html", "report.ipynb", "run.json"])
def test_a_deleted_file(report, name):
    (report / name).unlink()
    assert run_verify(report) == (1, [f"{report}：不一致", f"  {name}：文件缺失"])


@pytest.mark.slow
def test_a_file_the_inputs_dont_produce(report):
    (report / "report.pdf").write_bytes(b"%PDF-1.4")
    assert run_verify(report) == (1, [f"{report}：不一致", "  report.pdf：记录的输入不生成此文件"])


@pytest.mark.slow
def test_a_record_of_another_shape(report):
    edit_json(report / "run.json", schema_version=None)
    assert run_verify(report) == (2, [f"{report}：用不同版本生成，无法按记录核对",
                                      "  run.json 的记录格式版本为 None，本 kit 的记录格式版本为 1"])


@pytest.mark.slow
def test_an_empty_folder_is_a_message(tmp_path):
    assert run_verify(tmp_path) == (2, [f"{tmp_path}：{tmp_path} 不是已发布的报告目录"
                                        "（缺少 run.json 和 report.ipynb）"])


@pytest.mark.slow
def test_an_unknown_kernel_is_a_message(report):
    edit_json(report / "run.json", kernel="python-没有")
    assert run_verify(report) == (2, [f"{report}：run.json 记录的内核 'python-没有' 在本机不存在，无法重新生成报告"])


@pytest.mark.slow
def test_a_record_of_another_kit_version(report, monkeypatch):
    run = record.read(report)
    monkeypatch.setattr(inputs, "kit_code_sha256", lambda: "0" * 64)
    assert run_verify(report) == (2, [f"{report}：用不同版本生成，无法按记录核对",
                                      f"  kit 代码和模板的 sha256：记录 {run.inputs['kit_code'][:16]}，"
                                      "已安装 0000000000000000"])


@pytest.mark.slow
def test_a_later_commit_with_the_same_kit_code_still_reproduces(report, monkeypatch):
    """The kit's code is in the inputs by its hash; the git commit is a circumstance of the run
    (a commit that changed only the docs or the tests does not make earlier reports unverifiable)."""
    from kit.audit import provenance

    monkeypatch.setattr(provenance, "git_commit", lambda: "0123456789ab")
    assert record.read(report).git_commit != "0123456789ab"
    code, lines = run_verify(report)
    assert (code, lines[0]) == (0, f"{report}：一致：由记录的输入重新生成，各文件逐字节相同（执行时间除外）")


@pytest.mark.slow
def test_a_record_of_another_master_notebook(report, tmp_path, monkeypatch):
    project = tmp_path / "project"
    shutil.copytree(ROOT / "notebooks", project / "notebooks")
    shutil.copy(ROOT / "requirements.lock", project)
    shutil.copytree(PINGTAN, project / "params" / "pingtan")
    master = project / "notebooks" / "report.ipynb"
    master.write_text(master.read_text(encoding="utf-8").replace("import kit", "import kit  # changed"),
                      encoding="utf-8")
    monkeypatch.setenv("KIT_ROOT", str(project))
    run = record.read(report)
    assert run_verify(report) == (2, [f"{report}：用不同版本生成，无法按记录核对",
                                      "  主笔记本 notebooks/report.ipynb 的 sha256："
                                      f"记录 {run.inputs['notebook'][:16]}，"
                                      f"已安装 {inputs.sha256_file(master)[:16]}"])


@pytest.mark.slow
def test_a_parameter_folder_outside_the_checkout_verified_from_another_directory(tmp_path, monkeypatch):
    """The record names the file it was made from, not a path that means another file elsewhere:
    here ``params/pingtan/2021.yaml`` relative to where `kit run` ran, which is also the name of the
    checkout's own (different) file."""
    decoy = tmp_path / "office"
    (decoy / "params" / "pingtan").mkdir(parents=True)
    text = (PINGTAN / "2021.yaml").read_text(encoding="utf-8")
    (decoy / "params" / "pingtan" / "2021.yaml").write_text(text.replace("加强案例指导", "加强案例研讨"),
                                                           encoding="utf-8")
    monkeypatch.chdir(decoy)
    folder = run_report(Path("params/pingtan/2021.yaml"), RunOptions(output=tmp_path / "out")).html.parent
    run = record.read(folder)
    assert run.params_file == (decoy / "params" / "pingtan" / "2021.yaml").as_posix()
    nb = nbformat.read(folder / record.NOTEBOOK_NAME, as_version=4)
    assert nb.metadata["papermill"]["parameters"]["params_file"] == run.params_file
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert run_verify(Path("../out/pingtan/2021")) == (0, ["../out/pingtan/2021：一致：由记录的输入重新生成，"
                                                           "各文件逐字节相同（执行时间除外）"])
    (decoy / "params" / "pingtan" / "2021.yaml").write_text(text, encoding="utf-8")  # now the checkout's content
    code, lines = run_verify(Path("../out/pingtan/2021"))
    assert (code, lines[:3]) == (2, ["../out/pingtan/2021：输入已改变，无法按记录核对", "  与发布时相比：",
                                     f"    {run.params_file} 已修改："])
    assert lines[3].startswith("      overview.subsections.1.text（") and "加强案例研讨" in lines[3]
    assert lines[4:] == []


def test_pdf_dates_are_the_generation_date_with_offsets_kept():
    stamped = b"1 0 obj\n<</CreationDate (D:20261130090024+00'00')\n/ModDate (D:20261130090025+00'00')>>\nendobj\n"
    fixed = pdf.fix_dates(stamped, "2021-01-29")
    assert fixed == (b"1 0 obj\n<</CreationDate (D:20210129000000+00'00')\n"
                     b"/ModDate (D:20210129000000+00'00')>>\nendobj\n")
    assert len(fixed) == len(stamped)


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.skipif(not any(map(shutil.which, pdf.CANDIDATES)), reason="需要 Chromium")
def test_pdf_compared_byte_for_byte(tmp_path):
    options = RunOptions(output=tmp_path, project=project.Project(formats=("html", "pdf")))
    folder = run_report(PINGTAN / "2022.yaml", options).html.parent
    assert record.read(folder).files == ["report.html", "report.pdf", "audit.html", "report.ipynb"]
    assert run_verify(folder)[0] == 0
    data = bytearray((folder / "report.pdf").read_bytes())
    data[1000] ^= 1
    (folder / "report.pdf").write_bytes(bytes(data))
    assert run_verify(folder) == (1, [f"{folder}：不一致",
                                      f"  report.pdf：自第 1000 字节起不同（记录 {len(data)} 字节，"
                                      f"重算 {len(data)} 字节）"])


@pytest.mark.slow
def test_last_years_file_checked_against_its_hash(tmp_path):
    office = tmp_path / "office" / "pingtan"
    office.mkdir(parents=True)
    this_year = office / "2022.yaml"
    shutil.copy(PINGTAN / "2022.yaml", this_year)
    folder = run_report(this_year, RunOptions(output=tmp_path / "out")).html.parent
    assert record.read(folder).previous_file is None
    shutil.copy(PINGTAN / "2021.yaml", office / "2021.yaml")  # last year's file appears after publication
    assert run_verify(folder) == (2, [f"{folder}：输入已改变，无法按记录核对", "  与发布时相比：",
                                      f"    上年参数文件：记录 无，现在 {(office / '2021.yaml').as_posix()}"])
    folder = run_report(this_year, RunOptions(output=tmp_path / "out")).html.parent
    assert record.read(folder).previous_file == (office / "2021.yaml").as_posix()
    last_year = office / "2021.yaml"
    last_year.write_text(last_year.read_text(encoding="utf-8").replace("issued: 69", "issued: 70"),
                         encoding="utf-8")
    assert run_verify(folder) == (2, [f"{folder}：输入已改变，无法按记录核对", "  与发布时相比：",
                                      f"    {last_year.as_posix()} 已修改：",
                                      "      table2.normative_documents.issued"
                                      "（表二 › 第二十条第（一）项 › 行政规范性文件 › 本年制发件数）：69 → 70"])
    last_year.unlink()
    assert run_verify(folder)[1][2] == f"    {last_year.as_posix()} 已不存在"
