"""The project's settings: which formats it publishes and how the page looks.

They live in ``kit.toml`` at the project root, or else in ``[tool.kit]`` of its
``pyproject.toml`` (same keys), so every run of the project — ``kit run``,
``kit batch``, ``make reports`` — publishes the same set of files::

    [tool.kit]
    formats = ["html", "pdf", "docx"]   # html is always published
    show_version = false                # the 版本信息 line on the page (it is always in the metadata)
    docx_charts = true                  # charts as images in report.docx
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from kit import paths
from kit.exceptions import ProjectError

KNOWN_FORMATS = ("html", "pdf", "docx")  # also the order files are written in


@dataclass(frozen=True)
class Project:
    """The project's settings: the formats it publishes (html first), the version line, the charts in Word."""

    formats: tuple[str, ...] = ("html",)
    show_version: bool = False
    docx_charts: bool = True

    def key(self) -> str:
        """What of the settings changes a report's files (part of its inputs key)."""
        return f"formats={','.join(self.formats)};show_version={self.show_version};docx_charts={self.docx_charts}"


def config_file(root: Path | None = None) -> tuple[Path, dict] | None:
    """The file holding the settings and the settings' table, or None when the project has none."""
    root = root or paths.project_root()
    own = root / "kit.toml"
    if own.is_file():
        return own, _read(own)
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        table = _read(pyproject).get("tool", {}).get("kit")
        if table is not None:
            return pyproject, table
    return None


def _read(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ProjectError(f"{paths.relative_to_root(path)}：无法读取项目设置：{exc}") from None


def load(root: Path | None = None) -> Project:
    """The project's settings (defaults when it has none); a wrong value is refused, naming the key."""
    found = config_file(root)
    if found is None:
        return Project()
    path, table = found
    where = paths.relative_to_root(path) + ("" if path.name == "kit.toml" else " [tool.kit]")
    unknown = sorted(set(table) - {"formats", "show_version", "docx_charts"})
    if unknown:
        raise ProjectError(f"{where}：未知的设置 {', '.join(unknown)}（可用：formats、show_version、docx_charts）")
    formats = table.get("formats", ["html"])
    if not isinstance(formats, list) or not all(isinstance(f, str) for f in formats):
        raise ProjectError(f"{where}：formats（发布格式）应为字符串列表，如 [\"html\", \"pdf\", \"docx\"]，"
                           f"实际为 {formats!r}")
    bad = [f for f in formats if f not in KNOWN_FORMATS]
    if bad:
        raise ProjectError(f"{where}：formats（发布格式）中的 {', '.join(bad)} 不是已知格式"
                           f"（已知：{'、'.join(KNOWN_FORMATS)}）")
    flags = {}
    for key, label in (("show_version", "在页面上显示版本信息"), ("docx_charts", "Word 文件中插入图表")):
        value = table.get(key, getattr(Project, key))
        if not isinstance(value, bool):
            raise ProjectError(f"{where}：{key}（{label}）应为 true 或 false，实际为 {value!r}")
        flags[key] = value
    chosen = tuple(f for f in KNOWN_FORMATS if f == "html" or f in formats)
    return Project(formats=chosen, **flags)
