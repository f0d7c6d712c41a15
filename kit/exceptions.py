"""One exception hierarchy for the kit, rooted in :class:`KitError`.

Errors carry structured fields and build their message from them; they pickle,
because a batch moves them between processes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One finding about a parameter file: an error or a warning.

    ``path`` is the field path in the file (``table3.outcomes.total.natural``),
    ``label`` the cell's printed Chinese label path.
    """

    rule: str
    severity: str  # "error" | "warning"
    file: str
    path: str
    label: str
    message: str
    expected: str | None = None
    actual: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        kind = "错误" if self.severity == "error" else "警告"
        text = f"{where}: {kind}[{self.rule}] {self.path}"
        if self.label:
            text += f"（{self.label}）"
        text += f"：{self.message}"
        if self.expected is not None or self.actual is not None:
            text += f"（应为 {self.expected}，实际为 {self.actual}）"
        return text


class HasProblems:
    """Errors and warnings among ``self.problems`` (a validation result, a refused file)."""

    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


class KitError(Exception):
    """Root of every error the kit raises on purpose."""

    exit_code = 1

    def __reduce__(self):  # keep structured fields across pickling
        return (self.__class__, self._args())

    def _args(self) -> tuple:
        return tuple(self.args)


class UnknownName(KitError):
    """A name no registry entry has; the message lists the known ones."""

    what, plural = "名称", "名称"

    def __init__(self, name: str, known: list[str]) -> None:
        self.name, self.known = name, known
        super().__init__(f"未知的{self.what} {name!r}；可用的{self.plural}：{', '.join(known)}")

    def _args(self) -> tuple:
        return (self.name, self.known)


class UnknownFormatError(UnknownName):
    what, plural = "报告格式版本", "版本"

    @property
    def version(self) -> str:
        return self.name


class ParamsError(KitError):
    """A parameter file that cannot be read as YAML (or not at all)."""

    exit_code = 2

    def __init__(self, file: str, message: str, line: int | None = None, column: int | None = None) -> None:
        self.file, self.message, self.line, self.column = file, message, line, column
        where = file if line is None else f"{file}:{line}:{column}"
        super().__init__(f"{where}: {message}")

    def _args(self) -> tuple:
        return (self.file, self.message, self.line, self.column)


class ValidationFailed(HasProblems, KitError):
    """A parameter file that breaks the schema or the format's rules."""

    exit_code = 3

    def __init__(self, file: str, problems: list[Problem]) -> None:
        self.file, self.problems = file, list(problems)
        lines = "\n".join(str(p) for p in self.errors)
        super().__init__(f"{file}: 参数文件有 {len(self.errors)} 个错误：\n{lines}")

    def _args(self) -> tuple:
        return (self.file, self.problems)


class ExecutionError(KitError):
    """The master notebook failed in the kernel; the failed notebook is kept."""

    exit_code = 4

    def __init__(self, file: str, message: str, notebook: str | None = None) -> None:
        self.file, self.message, self.notebook = file, message, notebook
        extra = f"（已保存执行失败的笔记本：{notebook}）" if notebook else ""
        super().__init__(f"{file}: 报告笔记本执行失败：{message}{extra}")

    def _args(self) -> tuple:
        return (self.file, self.message, self.notebook)


class ExportError(KitError):
    exit_code = 5


class PathError(KitError):
    """An output path that cannot be built (bad agency id or year)."""

    exit_code = 2


class UnknownWriterError(UnknownName):
    """An output format no writer is registered for."""

    exit_code = 2
    what, plural = "输出格式", "格式"


class ProjectError(KitError):
    """The project's settings (kit.toml, or [tool.kit] in pyproject.toml) cannot be used."""

    exit_code = 2
