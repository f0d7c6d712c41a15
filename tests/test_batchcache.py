"""Issue 15 §4: a batch over an unchanged tree decides from the last batch's state, without validating."""

from __future__ import annotations

import json

import pytest

from kit import batch, batchcache
from kit.api import RunOptions
from kit.audit import approvals
from kit.check import validate
from tests import factories

YEAR = 2022


def summary(result: batch.BatchResult) -> list[tuple]:
    return [(o.params_file, o.status, o.agency, o.year, o.title, o.warnings, o.files) for o in result.outcomes]


@pytest.mark.slow
def test_an_unchanged_tree_is_decided_without_validating_and_as_the_slow_way_decides(tmp_path, monkeypatch):
    params, output = tmp_path / "params", tmp_path / "output"
    factories.write_county(params, 2)
    options = RunOptions(output=output)
    first = batch.run_batch(params, options, workers=2)
    assert [o.status for o in first.outcomes] == ["published"] * 3
    seen = json.loads((output / batchcache.CACHE_NAME).read_text(encoding="utf-8"))
    assert sorted(seen["reports"]) == sorted(str(params / a / f"{YEAR}.yaml")
                                             for a in ("county", "county-d00", "county-d01"))
    assert seen["status_pages"] == [f"county/{YEAR}/status.html"]
    page = output / "county" / str(YEAR) / "status.html"
    written = page.stat().st_mtime_ns

    validated: list[str] = []
    real = validate.validate_file
    monkeypatch.setattr(validate, "validate_file", lambda path, **kw: validated.append(str(path)) or real(path, **kw))
    fast = batch.run_batch(params, options, workers=2)
    assert validated == [] and [o.status for o in fast.outcomes] == ["unchanged"] * 3
    assert page.stat().st_mtime_ns == written  # the same day, the same reports: the page stands

    (output / batchcache.CACHE_NAME).write_text("{not json", encoding="utf-8")  # the normal way, for comparison
    slow = batch.run_batch(params, options, workers=2)
    assert validated and summary(slow) == summary(fast)
    assert page.stat().st_mtime_ns != written

    # a sign-off, another day: the status page is written anew, the reports stay unchanged
    approvals.approve(output / "county-d00" / str(YEAR), "张三")
    validated.clear()
    signed = batch.run_batch(params, options, workers=2)
    assert [o.status for o in signed.outcomes] == ["unchanged"] * 3
    assert "已审核（张三 审核 " in page.read_text(encoding="utf-8")
    monkeypatch.setattr(batchcache, "today", lambda: "2099-01-01")
    written = page.stat().st_mtime_ns
    batch.run_batch(params, options, workers=2)
    assert page.stat().st_mtime_ns != written

    # one byte changed anywhere: the normal way, which re-runs that department and its county only
    unit = params / "county-d01" / f"{YEAR}.yaml"
    unit.write_text(unit.read_text(encoding="utf-8").replace("year: 2022", "year: 2022\n# 改过"), encoding="utf-8")
    changed = batch.run_batch(params, options, workers=2)
    assert {o.agency: o.status for o in changed.outcomes} == {
        "county": "published", "county-d00": "unchanged", "county-d01": "published"}
