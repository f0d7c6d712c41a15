"""The kit's shape: no process-wide state from importing it, one derived shadow list, generated docs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from papermill.engines import papermill_engines
from papermill.translators import PythonTranslator, papermill_translators

from kit import cli
from kit.run import execute, forkserver
from tests.helpers import ROOT

SNAPSHOT = """
import ast, atexit, os, pathlib, pkgutil, importlib, click.core
for source in pathlib.Path("kit").rglob("*.py"):  # what the kit imports, first: their own hooks are theirs
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                 else [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
        for name in names:
            if not name.startswith("kit"):
                importlib.import_module(name)
from papermill.engines import papermill_engines
from papermill.translators import papermill_translators

def state():
    return (dict(os.environ), set(papermill_engines._engines), papermill_translators._translators["python"],
            click.core._, atexit._ncallbacks())

before = state()
import kit
for module in pkgutil.walk_packages(kit.__path__, "kit."):
    importlib.import_module(module.name)
after = state()
print([i for i, (a, b) in enumerate(zip(before, after)) if a != b])
"""


def test_importing_every_kit_module_changes_no_process_state():
    out = subprocess.run([sys.executable, "-c", SNAPSHOT], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"  # environment, papermill's registries, click's words, exit hooks


HEAVY = ("papermill", "nbclient", "jupyter_client", "nbconvert", "matplotlib", "openpyxl", "selenium")


@pytest.mark.parametrize("modules", ["kit", "kit.cli", "kit.batch, kit.api"])
def test_the_cli_and_the_batch_driver_start_without_what_only_running_a_report_needs(modules: str):
    """An unchanged batch decides without running anything, and `kit --help` prints at once: neither
    imports papermill, the kernel client, nbconvert or a writer's libraries until a report runs."""
    code = f"import sys, {modules}; print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"


def test_the_notebooks_import_kit_offers_what_it_always_did():
    import kit

    assert kit.show.part and kit.load_report.__module__ == "kit.content.report"
    assert kit.Report.__name__ == "Report" and kit.run_report.__module__ == "kit.api"
    assert set(kit.__all__) <= set(dir(kit))
    with pytest.raises(AttributeError, match="module 'kit' has no attribute 'nope'"):
        kit.nope  # noqa: B018


def test_the_kit_engine_and_translator_are_registered_only_inside_kit_papermill():
    assert execute.ENGINE_NAME not in papermill_engines._engines
    with execute.kit_papermill(), execute.kit_papermill():  # nested, as threads running reports at once
        assert papermill_engines.get_engine(execute.ENGINE_NAME) is execute.SaveOnceEngine
        assert papermill_translators.find_translator("python3", "python") is execute.ReadableTranslator
    assert execute.ENGINE_NAME not in papermill_engines._engines
    assert papermill_translators.find_translator("python3", "python") is PythonTranslator


def test_shadowed_names_come_from_the_preloaded_modules_and_what_they_loaded():
    assert {name.partition(".")[0] for name in forkserver.PRELOAD} <= forkserver.SHADOWED
    assert {"sqlite3", "runpy", "faulthandler"} <= forkserver.SHADOWED  # preloaded, once missing from the list
    loaded = forkserver.shadowable(["zmq.sugar.context", "json.decoder", "_pytest.main", "numpy.linalg"])
    assert loaded - forkserver.SHADOWED == {"zmq"}  # json: standard library, not preloaded; _pytest: private


def test_a_working_folder_shadowing_a_preloaded_stdlib_module_gets_a_stock_kernel(tmp_path: Path):
    env = {"HOME": "/root"}
    (tmp_path / "sqlite3.py").write_text("x = 1\n")
    assert forkserver.refusal(str(tmp_path), env, env) == f"工作目录 {tmp_path} 含有会遮蔽已预载模块的 sqlite3"
    (tmp_path / "sqlite3.py").unlink()
    (tmp_path / "traitlets").mkdir()
    assert forkserver.refusal(str(tmp_path), env, env) is None  # not preloaded by name: only the server knows
    assert forkserver.refusal(str(tmp_path), env, env, forkserver.shadowable(["traitlets.config"])) == \
        f"工作目录 {tmp_path} 含有会遮蔽已预载模块的 traitlets"


def test_docs_cli_md_is_current():
    assert (ROOT / "docs" / "cli.md").read_text(encoding="utf-8") == cli.cli_reference(), "run `kit docs`"


def test_cli_reference_has_every_command_s_help():
    text = cli.cli_reference()
    assert re.findall(r"^## (.+)$", text, re.M) == ["kit", *(f"kit {name}" for name in sorted(cli.main.commands))]
    assert "用法: kit verify [选项] REPORT_DIR..." in text


def test_docs_check_fails_when_the_cli_reference_is_stale(monkeypatch):
    monkeypatch.setattr(cli, "cli_reference", lambda: "# 旧的命令参考\n")
    result = CliRunner().invoke(cli.main, ["docs", "--check"])
    assert (result.exit_code, result.output.splitlines()[-1]) == (1, "docs/cli.md 已过期：请运行 kit docs")


def test_readme_layout_names_every_module():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = readme[readme.index("## Layout"):]
    rows: dict[str, set[str]] = {}
    package = ""
    for line in layout.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")] if line.startswith("|") else []
        if len(cells) == 3 and cells[1].startswith("`"):
            package = cells[0].strip("`") or package
            rows.setdefault(package, set()).update(re.findall(r"`([\w.]+\.py)`", cells[1]))
    modules = {(f"{p.parent.relative_to(ROOT).as_posix()}/", p.name) for p in (ROOT / "kit").rglob("*.py")
               if p.name != "__init__.py" or p.parent == ROOT / "kit"}
    missing = sorted(f"{folder}{name}" for folder, name in modules if name not in rows.get(folder, set()))
    assert missing == []


def test_tests_import_shared_helpers_from_the_helpers_module_not_conftest():
    offenders = [p.name for p in sorted((ROOT / "tests").glob("test_*.py"))
                 if re.search(r"^\s*from (tests\.)?conftest import|^\s*import (tests\.)?conftest",
                              p.read_text(encoding="utf-8"), re.M)]
    assert offenders == []


def test_every_public_function_or_class_another_module_uses_has_a_docstring():
    import ast

    sources = {p: p.read_text(encoding="utf-8") for p in sorted((ROOT / "kit").rglob("*.py"))}
    missing = []
    for path, text in sources.items():
        for node in ast.parse(text).body:
            if (isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                    and not node.name.startswith("_") and not ast.get_docstring(node)):
                used = re.compile(rf"\b{path.stem}\.{node.name}\b|^from [\w.]+ import [^\n]*\b{node.name}\b"
                                  rf"|^\s+{node.name},?\s*\)?$", re.M)
                if any(used.search(other) for p, other in sources.items() if p != path):
                    missing.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    assert missing == []
