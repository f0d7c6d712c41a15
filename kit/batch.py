"""Regenerate every agency-year report under a folder, going on past failures."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kit.api import RunOptions, RunResult, run_report
from kit.exceptions import KitError


@dataclass
class BatchResult:
    done: list[RunResult] = field(default_factory=list)
    failed: list[tuple[Path, KitError]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed


def param_files(root: Path) -> list[Path]:
    """Every parameter file under ``root``, earlier years first (X1 reads last year's)."""
    files = [p for p in Path(root).rglob("*") if p.suffix in {".yaml", ".yml"} and p.is_file()]
    return sorted(files, key=lambda p: (p.stem, str(p)))


def run_batch(root: Path, options: RunOptions | None = None,
              on_result: Callable[[Path, RunResult | KitError], None] | None = None) -> BatchResult:
    """Run every report under ``root``; one agency's failure never stops the others."""
    result = BatchResult()
    for path in param_files(root):
        try:
            outcome: RunResult | KitError = run_report(path, options)
            result.done.append(outcome)
        except KitError as exc:
            outcome = exc
            result.failed.append((path, exc))
        if on_result is not None:
            on_result(path, outcome)
    return result
