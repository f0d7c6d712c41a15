"""Stage 1: which parameter files a command reads, and files that claim the same agency-year.

``kit validate`` and ``kit batch`` list files the same way: every entry named ``*.yaml`` /
``*.yml`` under a folder that is not itself a folder (a FIFO or a broken link is listed, so
that reading refuses it with its reason instead of skipping it in silence).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable
from pathlib import Path

from kit import paths
from kit.read.params import YamlReader

SUFFIXES = YamlReader.suffixes  # the files a folder of parameter files is made of


def param_files(root: Path) -> list[Path]:
    """Every parameter file under ``root`` (or ``root`` itself when it is not a folder), by agency then year."""
    root = Path(root)
    if not root.is_dir():
        return [root]
    files = [p for p in root.rglob("*") if p.suffix in SUFFIXES and (p.is_symlink() or not p.is_dir())]
    return sorted(files, key=lambda p: (p.parent.name, p.stem, p.as_posix()))


def clashes(claims: Iterable[tuple[Path, Hashable | None]]) -> list[list[Path]]:
    """Groups of files that would make the same report, each group sorted.

    ``claims`` pairs each file with the agency-year its content names (None when it couldn't be
    read); two files in one folder with one stem (``2022.yaml`` and ``2022.yml``) clash as well."""
    groups: dict[Hashable, set[Path]] = defaultdict(set)
    for path, report in claims:
        path = Path(path)
        groups[("file", path.parent.resolve(), path.stem)].add(path)
        if report is not None:
            groups[("report", report)].add(path)
    merged: list[set[Path]] = []
    for members in (g for g in groups.values() if len(g) > 1):
        overlapping = [m for m in merged if m & members]
        for m in overlapping:
            merged.remove(m)
            members = members | m
        merged.append(members)
    return sorted(sorted(m) for m in merged)


def clash_message(files: list[Path]) -> str:
    """The error for files that claim one agency-year, naming each of them."""
    names = "、".join(paths.relative_to_root(f) for f in files)
    return f"同一单位同一年度有 {len(files)} 个参数文件：{names}；请只保留一个（不会任选其一）"
