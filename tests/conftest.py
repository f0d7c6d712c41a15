from __future__ import annotations

import os
from pathlib import Path

import pytest

from kit import project
from kit.api import RunOptions, run_report

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SEED_TEXT = SHARED / "seeds" / "000_92deafc51ce9e0f4.txt"
SEED_PARAMS = ROOT / "params" / "ninghai-commerce" / "2020.yaml"

if not SHARED.is_dir():  # the domain material is part of the test input: never skip silently
    raise RuntimeError(f"../shared is missing: expected it at {SHARED}")


@pytest.fixture(scope="session")
def seed_run(tmp_path_factory):
    """The seed agency-year run once, for real (papermill, a fresh kernel), into a temp output/."""
    out = tmp_path_factory.mktemp("output")
    result = run_report(SEED_PARAMS, RunOptions(output=out, project=project.Project()))
    return result


@pytest.fixture(scope="session")
def seed_html(seed_run) -> str:
    return seed_run.html.read_text(encoding="utf-8")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


@pytest.fixture(autouse=True)
def _html_only(monkeypatch):
    """Tests publish HTML only unless they pass a Project (the repository's own publishes PDF and Word too)."""
    monkeypatch.setattr(project, "load", lambda root=None: project.Project())
