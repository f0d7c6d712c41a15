"""YAML traps closed by the loader."""

import pytest

from kit.exceptions import ParamsError
from kit.read import params


def load(text: str):
    return params.parse(text, "params/x/2022.yaml").data


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: yes", {"a": "yes"}),
        ("a: no", {"a": "no"}),
        ("a: on", {"a": "on"}),
        ("a: Off", {"a": "Off"}),
        ("a: true", {"a": True}),
        ("a: false", {"a": False}),
        ("a: 012", {"a": "012"}),
        ("a: 0x1A", {"a": "0x1A"}),
        ("a: 0o17", {"a": "0o17"}),
        ("a: 0", {"a": 0}),
        ("a: -3", {"a": -3}),
        ("a: 1200", {"a": 1200}),
        ("a: 3.50", {"a": 3.5}),
        ("a: 2022-01-31", {"a": "2022-01-31"}),
        ("a: 330226001", {"a": 330226001}),
        ("a: '330226001'", {"a": "330226001"}),
        ("a: ~", {"a": None}),
    ],
)
def test_scalars_are_never_silently_converted(text, expected):
    assert load(text) == expected


def test_duplicate_key_is_an_error_with_its_line():
    with pytest.raises(ParamsError) as info:
        load("year: 2022\nagency:\n  id: a\n  id: b\n")
    assert str(info.value) == ("params/x/2022.yaml:4:3: 不是有效的 YAML：重复的键 'id'（第一次出现在第 3 行）")


def test_invalid_yaml_gets_line_and_column():
    with pytest.raises(ParamsError) as info:
        load("year: 2022\nagency: {id: a\n")
    err = info.value
    assert (err.file, err.line) == ("params/x/2022.yaml", 3)
    assert str(err).startswith("params/x/2022.yaml:3:1: 不是有效的 YAML：")


def test_top_level_must_be_a_mapping():
    with pytest.raises(ParamsError, match="顶层应是键值映射"):
        load("- 1\n- 2\n")


def test_unsafe_tags_are_refused():
    with pytest.raises(ParamsError, match="不是有效的 YAML"):
        load("a: !!python/object/apply:os.system ['echo hi']\n")


def test_lines_of_fields_are_kept():
    loaded = params.parse("year: 2022\ntable3:\n  new:\n    natural: 1\n", "f.yaml")
    assert loaded.line_of(("table3", "new", "natural")) == 4
    assert loaded.line_of(("table3", "new", "commercial")) == 3


def test_missing_file():
    with pytest.raises(ParamsError, match="文件不存在"):
        params.read("/nonexistent/2022.yaml", "params/none/2022.yaml")


def test_every_format_model_is_a_report_params_and_only_2021_has_the_processing_fee():
    from kit.spec.model import ProcessingFee, ReportParams, schema_for

    common = ["format", "year", "agency", "contact", "opening", "signoff", "overview", "table2", "table3", "table4",
              "problems", "other"]
    assert list(schema_for("2019").model_fields) == [*common, "extra_sections", "rollup", "acknowledged"]
    assert list(schema_for("2021").model_fields) == [*common, "processing_fee", "extra_sections", "rollup",
                                                     "acknowledged"]
    assert all(issubclass(schema_for(v), ReportParams) for v in ("2019", "2021"))
    assert [issubclass(schema_for(v), ProcessingFee) for v in ("2019", "2021")] == [False, True]
