from __future__ import annotations

import pytest

from kit import project
from kit.api import RunOptions, run_report
from tests.helpers import SEED_PARAMS


@pytest.fixture(scope="session")
def seed_run(tmp_path_factory):
    """The seed agency-year run once, for real (papermill, a fresh kernel), into a temp output/."""
    out = tmp_path_factory.mktemp("output")
    result = run_report(SEED_PARAMS, RunOptions(output=out, project=project.Project()))
    return result


@pytest.fixture(scope="session")
def seed_html(seed_run) -> str:
    return seed_run.html.read_text(encoding="utf-8")


@pytest.fixture(autouse=True)
def _html_only(monkeypatch):
    """Tests publish HTML only unless they pass a Project (the repository's own publishes PDF and Word too)."""
    monkeypatch.setattr(project, "load", lambda root=None: project.Project())


@pytest.fixture
def empty_project(tmp_path, monkeypatch):
    """A project of its own with an empty params/, the working directory (kit new, kit import)."""
    monkeypatch.setenv("KIT_ROOT", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "params").mkdir()
    return tmp_path
