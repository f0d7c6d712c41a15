"""Valid parameter data built in memory, for tests that need no file."""

from __future__ import annotations

import copy
from typing import Any

PROBLEMS = "存在的问题是主动公开的深度不够；改进措施是加强培训，规范发布审核。"


def minimal(year: int = 2022, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "year": year,
        "agency": {"id": "test-agency", "name": "测试县测试局", "kind": "department", "self_name": "我局"},
        "overview": {"proactive": {"total": 0}},
        "problems": PROBLEMS,
    }
    data.update(copy.deepcopy(extra))
    return data


def balanced_2021(year: int = 2022) -> dict[str, Any]:
    """A 2021-format file with figures in every table, everything balancing.

    Per column: 新收 + 结转 = 办结 + 结转下年度 (自然人 10 + 1 = 9 + 2; 商业企业 3 + 0 = 3 + 0).
    """
    return minimal(
        year,
        overview={"proactive": {"categories": [{"name": "政策文件", "count": 12}, {"name": "工作动态", "count": 30}]}},
        table2={
            "regulations": {"issued": 1, "repealed": 0, "in_force": 5},
            "normative_documents": {"issued": 4, "repealed": 1, "in_force": 20},
            "licensing": {"decisions": 120},
            "penalties": {"decisions": 7},
            "enforcement": {"decisions": 2},
            "fees": {"amount": 12.5},
        },
        table3={
            "new": {"natural": 10, "commercial": 3},
            "carry_in": {"natural": 1},
            "outcomes": {
                "granted": {"natural": 4, "commercial": 2},
                "partial": {"natural": 1},
                "refused": {"third_party": {"natural": 1}},
                "unavailable": {"not_held": {"natural": 2, "commercial": 1}},
                "not_processed": {"repeated": {"natural": 1}},
                "other": {"other": {}},
            },
            "carry_out": {"natural": 2},
        },
        table4={"review": {"upheld": 1, "pending": 1}, "litigation_direct": {"corrected": 1}},
    )


def balanced_unit(agency: str, name: str, parent: str, year: int, seed: int) -> dict[str, Any]:
    """A department's 2021-format file with figures drawn from ``seed``, every table balancing."""
    import random

    rnd = random.Random(seed)
    new = {"natural": rnd.randint(0, 40), "commercial": rnd.randint(0, 5), "legal_services": rnd.randint(0, 2)}
    carry_in = {"natural": rnd.randint(0, 3)}
    outcomes: dict[str, Any] = {"granted": {}, "partial": {}, "unavailable": {"not_held": {}}, "refused": {
        "third_party": {}}}
    carry_out: dict[str, int] = {}
    for column in new:
        left = new[column] + carry_in.get(column, 0)
        carry_out[column] = rnd.randint(0, min(2, left))
        left -= carry_out[column]
        for target in (outcomes["partial"], outcomes["unavailable"]["not_held"], outcomes["refused"]["third_party"]):
            target[column] = rnd.randint(0, left // 4)
            left -= target[column]
        outcomes["granted"][column] = left
    return minimal(
        year,
        agency={"id": agency, "name": name, "kind": "department", "self_name": "我局", "parent": parent},
        overview={"proactive": {"total": rnd.randint(10, 500)}},
        table2={"normative_documents": {"issued": rnd.randint(0, 5), "in_force": rnd.randint(5, 30)},
                "licensing": {"decisions": rnd.randint(0, 300)}, "penalties": {"decisions": rnd.randint(0, 50)},
                "fees": {"amount": rnd.randint(0, 900) / 100}},
        table3={"new": new, "carry_in": carry_in, "outcomes": outcomes, "carry_out": carry_out},
        table4={"review": {"upheld": rnd.randint(0, 2), "corrected": rnd.randint(0, 1)},
                "litigation_direct": {"upheld": rnd.randint(0, 1)}},
    )


def government(agency: str, name: str, year: int, parent: str | None = None, **rollup: Any) -> dict[str, Any]:
    """A government's file that sums its units (``rollup`` settings as keyword arguments)."""
    data = minimal(year, agency={"id": agency, "name": name, "kind": "government", "self_name": "我县"},
                   rollup=rollup)
    del data["overview"]
    if parent:
        data["agency"]["parent"] = parent
    return data


def write_county(params, units: int = 30, year: int = 2022, county: str = "county", parent: str | None = None,
                 **rollup: Any):
    """params/<county>/<year>.yaml summing ``units`` departments params/<county>-dNN/<year>.yaml."""
    import yaml

    def write(agency: str, data: dict[str, Any]) -> None:
        (params / agency).mkdir(parents=True, exist_ok=True)
        (params / agency / f"{year}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")

    for i in range(units):
        write(f"{county}-d{i:02d}", balanced_unit(f"{county}-d{i:02d}", f"测试县第{i}局", county, year, seed=i))
    write(county, government(county, "测试县人民政府", year, parent, **rollup))
    return params / county / f"{year}.yaml"
