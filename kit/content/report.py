"""The report as the notebook holds it: a validated model, its parts and its frames."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from kit.check.validate import Validated, previous_file, validate_data
from kit.content import narrative, tables
from kit.read import base
from kit.spec import formats
from kit.spec.formats import FormatSpec
from kit.spec.model import ExtraSection, ReportParams, spec_of


@dataclass(frozen=True)
class Part:
    """One numbered part of the report; ``extra`` is set for an agency's own section."""

    key: str
    title: str
    number: str
    extra: ExtraSection | None = None

    @property
    def heading(self) -> str:
        return f"{self.number}、{self.title}"


def build_parts(model: ReportParams) -> list[Part]:
    """The six mandated parts with the agency's extra sections placed and all renumbered."""
    order: list[tuple[str, str, ExtraSection | None]] = []
    for key, title in formats.SECTION_TITLES:
        order.append((key, title, None))
        order += [(f"extra{i}", e.title, e) for i, e in enumerate(model.extra_sections) if e.after == key]
    return [Part(key, title, narrative.chinese_number(n), extra) for n, (key, title, extra) in enumerate(order, 1)]


class Report:
    """A validated agency-year, ready to be displayed section by section."""

    # True when the tables are summed from the agency's units (set by the roll-up): only then does a
    # government's opening say it was compiled by summing its units' work.
    summed_from_units: bool = False

    def __init__(self, validated: Validated) -> None:
        self.validated = validated
        self.model: ReportParams = validated.valid_model()
        self.spec: FormatSpec = spec_of(self.model)
        prev = validated.previous
        self.previous: ReportParams | None = prev.model if prev is not None and prev.ok else None

    @property
    def title(self) -> str:
        return narrative.title(self.model)

    @cached_property
    def parts(self) -> list[Part]:
        return build_parts(self.model)

    def part(self, key: str) -> Part:
        for part in self.parts:
            if part.key == key:
                return part
        raise KeyError(key)

    def extras_after(self, key: str) -> list[Part]:
        return [p for p in self.parts if p.extra is not None and p.extra.after == key]

    @cached_property
    def table2(self) -> pd.DataFrame:
        return tables.table2_frame(self.model, self.spec)

    @cached_property
    def table3(self) -> pd.DataFrame:
        return tables.table3_frame(self.model, self.spec)

    @cached_property
    def table4(self) -> pd.DataFrame:
        return tables.table4_frame(self.model)

    @cached_property
    def last_table2(self) -> pd.DataFrame | None:
        return None if self.previous is None else tables.table2_frame(self.previous, spec_of(self.previous))

    @cached_property
    def last_table3(self) -> pd.DataFrame | None:
        return None if self.previous is None else tables.table3_frame(self.previous, spec_of(self.previous))

    @cached_property
    def last_table4(self) -> pd.DataFrame | None:
        return None if self.previous is None else tables.table4_frame(self.previous)


def load_report(params_file: str | Path, data: dict[str, Any] | None = None,
                previous: dict[str, Any] | None = None, previous_file_name: str | None = None) -> Report:
    """The notebook's entry point: validate the parameters and return the report.

    ``data`` is the parameter file's content as injected by ``kit run`` (so the
    executed notebook records the values themselves); without it the file is read,
    which is how an analyst runs the notebook by hand.
    """
    name = str(params_file)
    prev: Validated | None = None
    if data is None:
        loaded = base.read(params_file, name)
        data = loaded.data
        prev_path = previous_file(Path(params_file))
        if previous is None and prev_path is not None:
            previous, previous_file_name = base.read(prev_path).data, str(prev_path)
    if previous is not None:
        prev = validate_data(previous, previous_file_name or "previous")
    return Report(validate_data(data, name, previous=prev))
