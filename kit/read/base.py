"""Readers as a role: every way in (YAML, a workbook, a published page, a Word file) ends in the
same plain data that validation takes, with a way to say where each field came from.

A reader has a ``name``, the file ``suffixes`` it reads and ``read(path, name) -> Loaded``.
``Loaded.where(loc)`` names the place of a field in its source — "第 6 行" for YAML,
"表三!D12" for a workbook — and ``Loaded.line_of(loc)`` gives the same place as the
``line`` a :class:`~kit.exceptions.Problem` prints after the file name (``file:6`` or
``book.xlsx:表三!D12``). Readers register themselves; :func:`read` picks one by suffix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from kit.exceptions import ParamsError, Problem, UnknownName
from kit.registry import Registry

Place = int | str  # a line number (text files) or a cell address such as "表三!D12"
UNREAD = "未能确定地读取，已留空："  # how an unread field's message starts (rule I1)


@dataclass
class Loaded:
    """A parameter source read into plain data: the data and the place of each field path; what the
    source holds but could not be read with certainty is left out of the data and listed in ``unread``
    (a published report's cell that is not a figure; never for a typed source)."""

    file: str
    data: dict[str, Any]
    lines: dict[tuple, Place] = field(default_factory=dict)
    text: str = ""
    unread: list[Problem] = field(default_factory=list)

    def line_of(self, loc: tuple) -> Place | None:
        """The place of the deepest field of ``loc`` that the source has."""
        for n in range(len(loc), 0, -1):
            if loc[:n] in self.lines:
                return self.lines[loc[:n]]
        return None

    def where(self, loc: tuple) -> str:
        """The place of a field in words: "第 6 行", "表三!D12", or "" when unknown."""
        place = self.line_of(loc)
        if place is None:
            return ""
        return f"第 {place} 行" if isinstance(place, int) else place


class Reader(Protocol):
    """One way in: a file of some type → :class:`Loaded`."""

    @property
    def name(self) -> str:
        """The reader's name in the registry (``yaml``)."""

    @property
    def suffixes(self) -> tuple[str, ...]:
        """The file suffixes it reads, lower case with the dot (``.yaml``)."""

    def read(self, path: Path, name: str) -> Loaded: ...


class UnknownReaderError(UnknownName):
    """No reader of that name."""

    exit_code = 2
    what, plural = "读取方式", "读取方式"


_REGISTRY: Registry[Reader] = Registry(lambda reader: reader.name, UnknownReaderError)
register, get, names = _REGISTRY.register, _REGISTRY.get, _REGISTRY.names


def suffixes() -> list[str]:
    """Every file suffix some reader reads."""
    return sorted(s for reader in _REGISTRY for s in reader.suffixes)


def for_path(path: Path | str, name: str | None = None) -> Reader:
    """The reader for a file, by its suffix; a ParamsError naming the readable types otherwise."""
    suffix = Path(path).suffix.lower()
    for reader in _REGISTRY:
        if suffix in reader.suffixes:
            return reader
    kind = suffix or "无扩展名的"
    raise ParamsError(name or str(path), f"不能读取 {kind} 文件；可读取的文件类型：{'、'.join(suffixes())}")


def read(path: Path | str, name: str | None = None) -> Loaded:
    """Read any parameter source the kit has a reader for."""
    return for_path(path, name).read(Path(path), name or str(path))
