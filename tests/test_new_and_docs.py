"""``kit new`` and the generated parameter-file reference."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from kit import cli
from kit.check.validate import validate_file
from kit.read import params
from kit.read.new import NewFileError, new_params
from kit.spec.schema_doc import reference
from tests.factories import PROBLEMS, balanced_2021
from tests.helpers import ROOT


def test_docs_params_md_is_current():
    assert (ROOT / "docs" / "params.md").read_text(encoding="utf-8") == reference(), "run `kit docs`"


def test_reference_lists_fields_with_full_labels():
    text = reference()
    assert ("| `table3.outcomes.refused.state_secret.natural` | 整数 ≥ 0 |  | "
            "表三 › 三、本年度办理结果 › （三）不予公开 › 1.属于国家秘密 › 自然人 |") in text
    assert ("| `table2.procurement.amount` | 数字（万元） ≥ 0 |  | "
            "表二 › 第二十条第（九）项 › 政府集中采购 › 采购总金额 |") in text
    assert text.count("## 20") == 2


def test_new_file_has_every_field_labelled_and_validates_once_named(tmp_path):
    target = new_params("test-agency", 2023, params_dir=tmp_path)
    text = target.read_text(encoding="utf-8")
    assert "      state_secret:  # 1.属于国家秘密" in text
    assert '    amount: 0  # 本年收费金额（单位：万元）' in text
    result = validate_file(target)
    assert [(p.path, p.message) for p in result.errors] == [  # every problem at once
        ("agency.name", "不能为空"),
        ("problems", "五、存在的主要问题及改进情况未填写：应写明本年度存在的主要问题和改进措施")]
    assert [p.rule for p in result.warnings] == ["P2", "E1"]
    target.write_text(text.replace('name: ""', 'name: "测试局"'), encoding="utf-8")
    result = validate_file(target)  # named, but still empty: part 五 must be written
    assert [p.rule for p in result.errors] == ["S5"]
    assert [p.rule for p in result.warnings] == ["P2", "E1"]
    text = text.replace('name: ""', 'name: "测试局"').replace('problems: ""', f'problems: "{PROBLEMS}"')
    target.write_text(text.replace("total: ~", "total: 0", 1), encoding="utf-8")
    assert validate_file(target).problems == []


def test_new_file_carries_last_years_details_and_carry_over(tmp_path):
    import yaml

    folder = tmp_path / "test-agency"
    folder.mkdir()
    (folder / "2022.yaml").write_text(yaml.safe_dump(balanced_2021(2022), allow_unicode=True), encoding="utf-8")
    target = new_params("test-agency", 2023, params_dir=tmp_path)
    data = params.read(target).data
    assert data["agency"] == {"id": "test-agency", "name": "测试县测试局", "kind": "department", "self_name": "我局"}
    assert data["table3"]["carry_in"] == {"natural": 2, "commercial": 0, "research": 0, "public_interest": 0,
                                          "legal_services": 0, "other": 0}
    assert data["format"] == "2021"
    result = validate_file(target)
    assert [p.rule for p in result.errors] == ["R1", "S5"]  # 结转 2 must now be handled or carried again


def test_new_refuses_to_overwrite(tmp_path):
    new_params("test-agency", 2023, params_dir=tmp_path)
    with pytest.raises(NewFileError, match="已存在；如需覆盖请加 --force"):
        new_params("test-agency", 2023, params_dir=tmp_path)
    new_params("test-agency", 2023, params_dir=tmp_path, force=True)


def test_new_2020_uses_the_2019_format(tmp_path):
    text = new_params("test-agency", 2020, params_dir=tmp_path).read_text(encoding="utf-8")
    assert text.splitlines()[0] == "# 2020年政府信息公开工作年度报告参数文件（2019 版格式，国办公开办函〔2019〕60号）"
    assert "  procurement:  # 第二十条第（九）项 › 政府集中采购" in text


def test_cli_docs_check():
    result = CliRunner().invoke(cli.main, ["docs", "--check"])
    assert result.exit_code == 0, result.output


def test_new_file_carries_the_compiling_office_contact_and_signoff_name(tmp_path):
    import yaml

    folder = tmp_path / "test-agency"
    folder.mkdir()
    contact = {"office": "测试县测试局办公室", "address": "测试县人民路1号", "postcode": "315600", "phone": "0574-1",
               "email": "a@b.cn", "website": "测试县政府网站"}
    last = {**balanced_2021(2022), "contact": contact, "signoff": {"name": "测试县测试局办公室", "date": "2023-01-20"}}
    (folder / "2022.yaml").write_text(yaml.safe_dump(last, allow_unicode=True), encoding="utf-8")
    data = params.read(new_params("test-agency", 2023, params_dir=tmp_path)).data
    assert data["contact"] == contact
    assert data["signoff"] == {"name": "测试县测试局办公室", "date": ""}  # this year's date is new
    text = (folder / "2023.yaml").read_text(encoding="utf-8")
    assert "  date: \"\"  # 发布日期（YYYY-MM-DD，如 2025-01-20；不填则落款不写日期）" in text
