"""The report as the notebook holds it: a validated model, its parts and its frames."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from kit import paths
from kit.check import validate
from kit.check.validate import Validated, validate_data, validate_file
from kit.content import narrative, tables
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
        if self.model.rollup is not None and self.model.rollup.summed:
            self.summed_from_units = True
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


def load_report(params_file: str | Path | None, data: dict[str, Any] | None = None,
                previous: dict[str, Any] | None = None, previous_file_name: str | None = None) -> Report:
    """The notebook's entry point: validate the parameters and return the report.

    The file is read and validated as ``kit validate`` does (its problems carry line numbers),
    afresh at each call, so a re-run picks up an edit. ``data`` (and ``previous``) is the content
    ``kit run`` injects, so the executed notebook records the values themselves: when the file no
    longer holds it, the injected content is validated on its own (without line numbers).
    ``params_file`` relative and not found from the working directory is read from the project
    root; ``None`` is the file ``make lab PARAMS=…`` opened (``$KIT_PARAMS``), else the example.

    Raises :class:`~kit.exceptions.ValidationFailed` (shown in the notebook as the list of
    problems, without a traceback) when the file has errors.
    """
    name = str(params_file if params_file is not None else lab_params())
    with validate.memo():
        validate.seed(validate.handed_over())  # a batch's worker's validations of a government's units
        validated = _validated_file(paths.input_path(name), data, previous)
    if validated is None:
        prev = validate_data(previous, previous_file_name or "previous") if previous is not None else None
        validated = validate_data(data or {}, name, previous=prev)
    validated.raise_for_errors()
    return Report(validated)


EXAMPLE = "params/ninghai-commerce/2020.yaml"


def lab_params() -> str:
    """The parameter file of a notebook run by hand without one: ``$KIT_PARAMS``, else the example."""
    return os.environ.get("KIT_PARAMS") or EXAMPLE


def _validated_file(path: Path, data: dict[str, Any] | None,
                    previous: dict[str, Any] | None) -> Validated | None:
    """``path`` validated as ``kit validate`` does, when it holds ``data`` (and its previous
    year ``previous``), or when nothing is injected; None when the injected content differs."""
    if data is None:
        return validate_file(path)
    if not path.is_file():
        return None
    validated = validate_file(path)
    prev = validated.previous.data if validated.previous is not None else None
    return validated if validated.data == data and prev == previous else None
