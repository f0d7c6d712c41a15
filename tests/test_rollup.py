"""Issue 15: a government's report rolled up from its units' files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from kit import api
from kit.check import rollup
from kit.check.validate import validate_file
from kit.content import narrative, render
from kit.content.report import Report
from tests import factories

YEAR = 2022


def flat(data: object, prefix: str = "") -> dict[str, object]:
    """Leaves of nested mappings as dotted paths."""
    if isinstance(data, dict):
        return {k: v for key, value in data.items() for k, v in flat(value, f"{prefix}{key}.").items()}
    return {prefix.rstrip("."): data}


def unit_files(params: Path, county: str = "county") -> list[Path]:
    return sorted(params.glob(f"{county}-d*/{YEAR}.yaml"))


def edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


@pytest.fixture
def county(tmp_path) -> Path:
    return factories.write_county(tmp_path / "params", 30)


def test_rolled_up_tables_equal_an_independent_sum(county):
    params = county.parent.parent
    long = pd.DataFrame.from_records(
        [{"unit": f.parent.name, "cell": cell, "value": float(value)}
         for f in unit_files(params)
         for table in rollup.TABLES
         for cell, value in flat(yaml.safe_load(f.read_text(encoding="utf-8"))[table], f"{table}.").items()])
    expected = long.groupby("cell")["value"].sum()
    result = validate_file(county)
    assert result.ok, [str(p) for p in result.problems]
    summed = flat({t: getattr(result.model, t).model_dump(warnings=False) for t in rollup.TABLES})
    assert len(expected) == 27
    for cell, value in expected.items():
        assert float(summed[cell]) == pytest.approx(value), cell
    untyped = {cell for cell, value in summed.items() if cell not in expected and value not in (0, None)}
    assert untyped == set()
    proactive = sum(yaml.safe_load(f.read_text(encoding="utf-8"))["overview"]["proactive"]["total"]
                    for f in unit_files(params))
    assert result.model.overview.proactive.total == proactive
    assert [u.id for u in result.model.rollup.summed] == [f"county-d{i:02d}" for i in range(30)]
    assert len(result.sources) == 30


def test_the_report_says_how_many_units_it_sums_and_its_annex_totals_are_its_figures(county):
    report = Report(validate_file(county))
    assert report.summed_from_units
    opening = narrative.opening(report.model, [p.title for p in report.parts], report.summed_from_units)
    assert "汇总测试县人民政府各有关单位（共30个）政府信息公开工作情况编制而成" in opening
    annex = render.annex_html(report)
    total_row = annex.split('<tr class="annex-total">')[1]
    t3, t4 = report.table3, report.table4
    figures = [t3.loc["new", "total"], t3.loc["outcomes.total", "total"], t3.loc["carry_out", "total"],
               t4.loc["review", "total"], t4.loc[["litigation_direct", "litigation_after_review"], "total"].sum(),
               report.model.overview.proactive.total]
    assert total_row.count("<td>") == 6
    assert [int(c.split("</td>")[0]) for c in total_row.split("<td>")[1:]] == [int(f) for f in figures]
    assert annex.count("<tr>") == 1 + 30  # the header row and one row per unit


def test_the_annex_can_be_turned_off(tmp_path):
    county = factories.write_county(tmp_path / "params", 3, annex=False)
    assert render.annex_html(Report(validate_file(county))) == ""


def test_a_typed_government_figure_that_differs_from_the_sum_is_refused_naming_the_units(tmp_path):
    county = factories.write_county(tmp_path / "params", 3)
    units = [validate_file(f).model for f in unit_files(county.parent.parent)]
    natural = [u.table3.new.natural for u in units]
    edit(county, lambda d: d.update(table3={"new": {"natural": sum(natural) + 1}}))
    result = validate_file(county)
    (u1,) = [p for p in result.errors if p.rule == "U1"]
    assert str(u1) == (
        f"{county}: 错误[U1] table3.new.natural：政府报告的数字应等于所属单位之和（测试县第0局 {natural[0]}、"
        f"测试县第1局 {natural[1]}、测试县第2局 {natural[2]}）（应为 {sum(natural)}，实际为 {sum(natural) + 1}）")
    edit(county, lambda d: d.update(table3={"new": {"natural": sum(natural)}}))
    assert validate_file(county).ok


def test_own_figures_are_added_as_a_unit_when_declared(tmp_path):
    county = factories.write_county(tmp_path / "params", 3, include_own=True)
    before = validate_file(county).model.table3.new.natural
    edit(county, lambda d: d.update(table3={"new": {"natural": 5}, "outcomes": {"granted": {"natural": 5}}}))
    result = validate_file(county)
    assert result.ok, [str(p) for p in result.errors]
    assert result.model.table3.new.natural == before + 5
    assert [(u.id, u.name) for u in result.model.rollup.summed][:2] == [("county", "测试县人民政府本级"),
                                                                         ("county-d00", "测试县第0局")]
    assert "（共4个，含本级）" in narrative.units_counted(result.model)


def break_two_units(params: Path) -> None:
    """county-d03 has no file this year (it reported last year); county-d07's tables don't balance."""
    this_year = params / "county-d03" / f"{YEAR}.yaml"
    this_year.rename(this_year.with_name(f"{YEAR - 1}.yaml"))
    edit(this_year.with_name(f"{YEAR - 1}.yaml"), lambda d: d.update(year=YEAR - 1))
    edit(params / "county-d07" / f"{YEAR}.yaml", lambda d: d["table3"]["carry_out"].update(natural=99))


def test_a_missing_and_an_invalid_unit_refuse_the_report(county):
    break_two_units(county.parent.parent)
    result = validate_file(county)
    (u2,) = [p for p in result.errors if p.rule == "U2"]
    assert u2.message.startswith(
        "有 2 个单位未能汇总：county-d03（county-d03，缺少参数文件 ")
    assert f"county-d03/{YEAR}.yaml）、测试县第7局（county-d07，参数无效：table3.carry_out.natural：" in u2.message
    assert u2.message.endswith(
        "；请改正这些单位的参数文件，或在 rollup.publish_without 中列出它们，明确不待其报告而发布")
    with pytest.raises(Exception, match="U2"):
        api.plan(county)


def test_publishing_without_them_is_explicit_said_in_the_report_and_recorded(county):
    break_two_units(county.parent.parent)
    edit(county, lambda d: d["rollup"].update(publish_without=["county-d03", "county-d07"]))
    p = api.plan(county)
    assert [u.id for u in p.validated.model.rollup.left_out] == ["county-d03", "county-d07"]
    assert len(p.validated.model.rollup.summed) == 28
    (warning,) = [w for w in p.validated.warnings if w.rule == "U2"]
    assert warning.message.startswith("本报告未汇总 2 个单位：county-d03（county-d03，缺少参数文件")
    report = Report(p.validated)
    opening = narrative.opening(report.model, [x.title for x in report.parts], True)
    assert "county-d03、测试县第7局共2个单位的数据未能汇总，未计入本报告。" in opening
    assert "（共28个）" in opening
    # the injected parameters (the notebook's record) name them, with the reason
    assert api.notebook_parameters(p)["params"]["rollup"]["left_out"][0]["id"] == "county-d03"


def test_one_unit_changed_reruns_exactly_its_county_and_the_city(tmp_path):
    params = tmp_path / "params"
    for county in ("north", "south"):
        factories.write_county(params, 4, county=county, parent="city")
    factories.write_county(params, 0, county="city")
    files = sorted(params.glob(f"*/{YEAR}.yaml"))
    assert len(files) == 11
    before = {f.parent.name: api.plan(f).key for f in files}
    edit(params / "north-d02" / f"{YEAR}.yaml", lambda d: d["table2"]["licensing"].update(decisions=1))
    after = {f.parent.name: api.plan(f).key for f in files}
    assert sorted(a for a in after if after[a] != before[a]) == ["city", "north", "north-d02"]
    city = validate_file(params / "city" / f"{YEAR}.yaml")
    assert city.ok and city.level == 2 and len(city.sources) == 10
    assert city.model.table3.new.natural == sum(validate_file(params / c / f"{YEAR}.yaml").model.table3.new.natural
                                                for c in ("north", "south"))


def test_tree_faults_are_clear_errors(tmp_path):
    params = tmp_path / "params"
    county = factories.write_county(params, 1)
    edit(params / "county-d00" / f"{YEAR}.yaml", lambda d: d["agency"].update(parent="nowhere"))
    (u3,) = [p for p in validate_file(params / "county-d00" / f"{YEAR}.yaml").errors if p.rule == "U3"]
    assert str(u3).endswith("错误[U3] agency.parent（单位 › 上级政府的单位标识（其报告汇总本单位））："
                            "上级政府 nowhere 没有 "
                            f"2022 年度的参数文件（应为 {params}/nowhere/2022.yaml，实际为 不存在）")
    edit(params / "county-d00" / f"{YEAR}.yaml", lambda d: d["agency"].update(parent="county-d00"))
    (u3,) = [p for p in validate_file(params / "county-d00" / f"{YEAR}.yaml").errors if p.rule == "U3"]
    assert u3.message == "单位不能以自己为上级"
    # a cycle: the county names its own unit as its parent, and that unit sums the county
    edit(params / "county-d00" / f"{YEAR}.yaml",
         lambda d: (d["agency"].update(parent="county", kind="government"), d.update(rollup={"units": ["county"]})))
    edit(county, lambda d: d["agency"].update(parent="county-d00"))
    result = validate_file(county)
    (u2,) = [p for p in result.errors if p.rule == "U2"]
    assert "汇总关系成环：county → county-d00 → county" in u2.message


def test_the_example_county_is_rolled_up_and_its_own_text_checked_against_the_sums(tmp_path):
    import shutil

    from kit import paths

    params = tmp_path / "params"
    for folder in paths.params_dir().glob("qingshan*"):
        shutil.copytree(folder, params / folder.name)
    county = params / "qingshan" / "2023.yaml"
    result = validate_file(county)
    assert result.problems == [] and result.previous is not None and result.previous.ok  # X1 ran on the sums
    assert [u.id for u in result.model.rollup.summed] == sorted(p.name for p in params.iterdir())[1:]
    assert result.model.table3.new.natural + result.model.table3.new.commercial + \
        result.model.table3.new.legal_services == 110
    county.write_text(county.read_text(encoding="utf-8").replace("申请110件", "申请111件"), encoding="utf-8")
    (n1,) = [p for p in validate_file(county).errors]
    assert (n1.rule, n1.expected, n1.actual) == ("N1", "110", "111")


def test_a_batch_validates_each_file_once(county):
    from kit.check import validate

    with validate.memo():
        first = validate_file(county)
        assert validate_file(county) is first
        unit = unit_files(county.parent.parent)[0]
        assert validate_file(unit) is validate_file(unit, within=("county",))
    assert validate_file(county) is not first


def test_kit_new_carries_the_parent_and_the_roll_up_settings_not_what_the_kit_filled_in():
    from kit import paths
    from kit.read.new import template

    county = template("qingshan", 2024, validate_file(paths.params_dir() / "qingshan" / "2023.yaml"))
    assert "rollup:  # 汇总（政府报告由所属单位汇总）\n  include_own: false" in county
    assert "  units:" not in county and "summed" not in county and "left_out" not in county
    unit = template("qingshan-hrss", 2024, validate_file(paths.params_dir() / "qingshan-hrss" / "2023.yaml"))
    assert '  parent: "qingshan"  # 上级政府的单位标识（其报告汇总本单位）' in unit and "rollup:" not in unit
    assert "parent:" not in template("other", 2024) and "rollup:" not in template("other", 2024)


@pytest.mark.slow
def test_a_real_batch_publishes_the_county_reruns_it_with_one_unit_and_its_status_page_shows_sign_off(tmp_path):
    from kit import batch
    from kit.api import RunOptions
    from kit.audit import approvals
    from kit.write import status

    params, output = tmp_path / "params", tmp_path / "output"
    county = factories.write_county(params, 3)
    options = RunOptions(output=output)
    first = batch.run_batch(params, options, workers=2)
    assert [(o.agency, o.status) for o in first.outcomes] == [
        ("county", "published"), ("county-d00", "published"), ("county-d01", "published"), ("county-d02", "published")]
    summed = sum(validate_file(params / f"county-d{i:02d}" / f"{YEAR}.yaml").model.table3.new.natural
                 for i in range(3))
    assert f"<td>{summed}</td>" in (output / "county" / str(YEAR) / "report.html").read_text(encoding="utf-8")
    approvals.approve(output / "county-d01" / str(YEAR), "张三")

    edit(params / "county-d02" / f"{YEAR}.yaml", lambda d: d["table2"]["licensing"].update(decisions=7))
    second = batch.run_batch(params, options, workers=2)
    assert {o.agency: o.status for o in second.outcomes} == {
        "county": "published", "county-d00": "unchanged", "county-d01": "unchanged", "county-d02": "published"}
    page = (output / "county" / str(YEAR) / "status.html").read_text(encoding="utf-8")
    rows = {r.id: r for r in status.status_of(county, output).rows}
    assert rows["county-d01"].approval.startswith("已审核（张三 审核 ")
    assert (rows["county-d00"].approval, rows["county-d00"].label) == ("未审核", "已发布")
    assert (rows["county-d00"].report, rows["county-d00"].audit) == (
        f"../../county-d00/{YEAR}/report.html", f"../../county-d00/{YEAR}/audit.html")
    assert f'href="../../county-d00/{YEAR}/audit.html"' in page and "已审核（张三 审核 " in page
    assert (output / "index.html").read_text(encoding="utf-8").count(f'href="county/{YEAR}/status.html"') == 1
    assert 'href="../../county-d00/2022/audit.html">审计视图</a>' in page
    # the status page sits in the county's folder but is the batch's, not the report's: verify rebuilds the rest
    from kit.audit.verify import verify

    checked = verify(output / "county" / str(YEAR))
    assert (checked.status, checked.parts) == ("reproduced", [])
    (output / "county" / str(YEAR) / "report.html").write_text("<p>forged</p>", encoding="utf-8")
    assert verify(output / "county" / str(YEAR)).status == "differs"


@pytest.mark.parametrize("params_file", sorted((Path(__file__).parents[1] / "params").glob("*/*.yaml")),
                         ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_a_units_counts_are_the_totals_of_its_table_frames(params_file):
    from kit.content import tables

    model = validate_file(params_file).model
    t3, t4 = tables.table3_frame(model, type(model).format_spec), tables.table4_frame(model)
    found = rollup.counts(model)
    assert found == {
        "received": t3.loc["new", "total"], "carry_in": t3.loc["carry_in", "total"],
        "closed": t3.loc["outcomes.total", "total"], "carried": t3.loc["carry_out", "total"],
        "review": t4.loc["review", "total"],
        "litigation": t4.loc["litigation_direct", "total"] + t4.loc["litigation_after_review", "total"],
        "proactive": tables.proactive_total(model),
        "disclosed": t3.loc["outcomes.granted", "total"] + t3.loc["outcomes.partial", "total"],
        "unavailable": t3.loc[[k for k in t3.index if k.startswith("outcomes.unavailable.")], "total"].sum(),
        "corrected": t4["corrected"].sum(), "cases": t4["total"].sum()}
    assert all(type(v) is int for v in found.values())


@pytest.mark.slow
@pytest.mark.parametrize("kernel", ["fork", "stock"])
def test_a_rolled_up_county_on_a_dask_cluster_is_the_county_of_the_process_pool(tmp_path, kernel):
    from distributed import Client, LocalCluster

    from kit import batch
    from kit.api import RunOptions

    params = tmp_path / "params"
    factories.write_county(params, 2)
    local = batch.run_batch(params, RunOptions(output=tmp_path / "local"), workers=2, kernel=kernel)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        remote = batch.run_batch(params, RunOptions(output=tmp_path / "dask"), kernel=kernel,
                                 executor=client.get_executor(pure=False))
    assert [(o.agency, o.status) for o in remote.outcomes] == [(o.agency, o.status) for o in local.outcomes] == [
        ("county", "published"), ("county-d00", "published"), ("county-d01", "published")]
    for agency in ("county", "county-d00", "county-d01"):
        page = f"{agency}/{YEAR}/report.html"
        assert (tmp_path / "dask" / page).read_bytes() == (tmp_path / "local" / page).read_bytes()
    county = (tmp_path / "dask" / "county" / str(YEAR) / "report.html").read_text(encoding="utf-8")
    assert "附表：各单位政府信息公开主要数据" in county and "（共2个）" in county
    assert (tmp_path / "dask" / "county" / str(YEAR) / "status.html").is_file()


def test_a_worker_takes_the_drivers_validations_of_unchanged_units_and_plans_the_same_report(tmp_path, monkeypatch):
    from kit.check import validate

    params = tmp_path / "params"
    for county in ("north", "south"):
        factories.write_county(params, 3, county=county, parent="city")
    city = factories.write_county(params, 0, county="city")
    with validate.memo():  # the driver
        driver = api.plan(city)
        carried = validate.carried_for(api.rolled_up_from(driver.validated))
    assert {Path(c.key[0]).parent.name for c in carried} == {
        "north", "south", *(f"{c}-d{i:02d}" for c in ("north", "south") for i in range(3))}

    validated: list[str] = []
    real = validate._validate_file
    monkeypatch.setattr(validate, "_validate_file", lambda path, *a, **k: validated.append(path.parent.name)
                        or real(path, *a, **k))
    with validate.memo():  # the worker
        assert validate.seed(carried) == len(carried)
        worker = api.plan(city)
    assert validated == ["city"]  # not its counties, not their departments
    assert worker.key == driver.key and worker.validated.model == driver.validated.model
    assert [str(p) for p in worker.validated.problems] == [str(p) for p in driver.validated.problems]

    # a department changed after the driver read it: its validation is not taken, and the key follows the file
    edit(params / "north-d01" / f"{YEAR}.yaml", lambda d: d["table2"]["licensing"].update(decisions=5))
    validated.clear()
    with validate.memo():
        assert validate.seed(carried) == len(carried) - 2  # the department, and north summed from it
        again = api.plan(city)
    assert sorted(validated) == ["city", "north", "north-d01"]
    assert again.key != driver.key and again.key == api.plan(city).key


@pytest.mark.slow
def test_a_rolled_up_reports_kernel_is_handed_its_units_validations_and_sums_none_again(tmp_path):
    """The worker leaves its validations of the units in the kernel's socket folder; the notebook's
    entry point (load_report, in a real kernel) takes them and validates only the city itself."""
    import asyncio
    import json
    import pickle

    from kit.check import validate
    from kit.run import execute
    from kit.run.kernel import IPCKernelManager

    params = tmp_path / "params"
    for county in ("north", "south"):
        factories.write_county(params, 3, county=county, parent="city")
    city = factories.write_county(params, 0, county="city")
    with validate.memo():
        p = api.plan(city)
        blob = api.handover(p)
        assert api.handover(api.plan(params / "north-d00" / f"{YEAR}.yaml")) == b""  # a unit sums nothing
        expected = api.plan(city).validated
    assert blob and len(validate.handed_over()) == 0  # outside a kernel nothing is handed over
    code = f"""
import json
from kit.check import validate
from kit.content.report import load_report
handed = validate.handed_over()
validated = []
real = validate._validate_file
validate._validate_file = lambda path, *a, **k: validated.append(path.parent.name) or real(path, *a, **k)
report = load_report({str(city)!r})
print(json.dumps([len(handed), validated, report.validated.model.model_dump(mode="json")]))
"""

    async def scenario() -> str:
        km = IPCKernelManager(kernel_name="python3")
        execute._handed(km, blob)
        await km.start_kernel()
        kc = km.client()
        kc.start_channels()
        out: list[str] = []
        try:
            await kc.wait_for_ready(timeout=60)
            reply = await kc.execute_interactive(code, timeout=60, output_hook=lambda m: out.append(
                m["content"].get("text", "")) if m["msg_type"] == "stream" else None)
            assert reply["content"]["status"] == "ok", out
        finally:
            kc.stop_channels()
            await km.shutdown_kernel(now=True)
        return "".join(out)

    handed, validated, model = json.loads(asyncio.run(scenario()))
    assert handed == len(pickle.loads(blob)) == 8  # the two counties and their six departments
    assert validated == ["city"]  # not its counties, not their departments
    assert model == expected.model.model_dump(mode="json")
