"""Stage 3 on a file with schema errors: run the rules on what did validate.

A misspelt key or a bad cell must not hide the arithmetic errors of the rest of the
file. The parts that failed are dropped, the rest is validated again, the rules run
on it, and a rule's finding is kept only when no dropped part could have caused it.
"""

from __future__ import annotations

import copy
from typing import Any

from pydantic import ValidationError as PydanticValidationError
from pydantic_core import ErrorDetails

from kit.content import tables
from kit.exceptions import Problem
from kit.spec.model import ReportParams

_ROUNDS = 3  # dropping a part rarely uncovers new errors; give up after a few rounds


# Required fields no rule reads: a bad value is replaced, so the rules still run (a new file's
# empty 单位名称 must not hide its other problems).
PLACEHOLDERS = {("agency", "id"): "placeholder", ("agency", "name"): "？", ("agency", "kind"): "department"}


def _drop(data: dict[str, Any], loc: tuple) -> None:
    """Remove the value at ``loc`` (or put a placeholder there); a path through a list removes
    the whole list."""
    node: Any = data
    for i, key in enumerate(loc):
        if not isinstance(node, dict) or key not in node:
            return
        if loc[:i + 1] in PLACEHOLDERS:
            node[key] = PLACEHOLDERS[loc[:i + 1]]
            return
        if i == len(loc) - 1 or isinstance(node[key], list):
            del node[key]
            return
        node = node[key]


def _tainted(err: ErrorDetails) -> tuple:
    """What an error makes unreliable: the cell itself, or for an unknown key the mapping holding it
    (its value was meant for a sibling)."""
    loc = tuple(err["loc"])
    cut = next((i for i, k in enumerate(loc) if isinstance(k, int)), len(loc))  # a list item: the list
    loc = loc[:cut]
    return loc[:-1] if err["type"] == "extra_forbidden" and cut == len(err["loc"]) else loc


def salvage(model_cls: type[ReportParams], data: dict[str, Any],
            errors: list[ErrorDetails]) -> tuple[ReportParams | None, list[tuple]]:
    """The model of ``data`` without the parts that failed, and those parts; None when a
    required field failed (nothing sensible is left to check)."""
    data, tainted = copy.deepcopy(data), list[tuple]()
    for _ in range(_ROUNDS):
        if any(err["type"] == "missing" for err in errors):
            return None, tainted
        for err in errors:
            if tuple(err["loc"])[:2] not in PLACEHOLDERS:  # a placeholder changes nothing a rule reads
                tainted.append(_tainted(err))
            _drop(data, tuple(err["loc"]))
        try:
            return model_cls.model_validate(data), tainted
        except PydanticValidationError as exc:
            errors = exc.errors()
    return None, tainted


def _caused_by(problem: Problem, loc: tuple) -> bool:
    """Could the dropped part ``loc`` have caused this finding of a rule?"""
    if not loc:
        return False  # an unknown top-level key: no table lost a value
    if problem.rule in {"N1", "E1"}:
        return True  # the text is compared with every table; emptiness with everything
    path = problem.path.split(".")
    if path[0] != loc[0]:
        return False
    if loc[0] == "table3" and loc[-1] in tables.COLUMN_KEYS:  # one column of 表三: its column, the totals
        return path[-1] in {loc[-1], tables.TOTAL}
    return True


def unaffected(problems: list[Problem], tainted: list[tuple]) -> list[Problem]:
    """The rule findings no dropped part could have caused."""
    return [p for p in problems if not any(_caused_by(p, loc) for loc in tainted)]
