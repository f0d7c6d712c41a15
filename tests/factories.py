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
