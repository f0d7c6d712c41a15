"""One exception hierarchy for the kit, rooted in :class:`KitError`.

Errors carry structured fields and build their message from them; they pickle,
because a batch moves them between processes.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One finding about a parameter file: an error or a warning.

    ``path`` is the field path in the file (``table3.outcomes.total.natural``),
    ``label`` the cell's printed Chinese label path.
    """

    rule: str
    severity: str  # "error" | "warning" | "acknowledged" (an error the parameter file acknowledges)
    file: str
    path: str
    label: str
    message: str
    expected: str | None = None
    actual: str | None = None
    line: int | str | None = None  # a line number, or a cell such as "表三!D12" (kit.read.base.Place)
    fingerprint: str | None = None  # names the finding in an acknowledgement (rule N1)
    reason: str | None = None  # the acknowledgement's reason

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        kind = {"error": "错误", "warning": "警告"}.get(self.severity, "已确认")
        text = f"{where}: {kind}[{self.rule}]" + (f" {self.path}" if self.path else "")
        if self.label:
            text += f"（{self.label}）"
        text += f"：{self.message}"
        if self.expected is not None or self.actual is not None:
            text += f"（应为 {self.expected}，实际为 {self.actual}）"
        if self.fingerprint:
            text += f"〔指纹 {self.fingerprint}〕"
        if self.reason:
            text += f"；确认理由：{self.reason}"
        return text


def checked_summary(files: int, errors: int, warnings: int, acknowledged: int = 0) -> str:
    """The last line of ``kit validate`` (and of the notebook's validation list)."""
    noted = f"，{acknowledged} 处已确认的差异" if acknowledged else ""
    return f"已校验 {files} 个文件：{errors} 个错误，{warnings} 个警告{noted}"


class HasProblems:
    """Errors and warnings among ``self.problems`` (a validation result, a refused file)."""

    problems: list[Problem]

    def lines(self) -> list[str]:
        """Every problem as ``kit validate`` prints it (relative to the project root), then its summary line."""
        return [str(p) for p in self.problems] + [
            checked_summary(1, len(self.errors), len(self.warnings), len(self.acknowledged))]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def acknowledged(self) -> list[Problem]:
        """Errors the parameter file acknowledges with a reason: shown, kept in the audit record, not refused."""
        return [p for p in self.problems if p.severity == "acknowledged"]


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
    """A format version no registered format has."""

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


STOPPED = "报告在此停止：请改正参数文件中的错误，再运行全部单元格（Restart and Run All）"


class ValidationFailed(HasProblems, KitError):
    """A parameter file that breaks the schema or the format's rules."""

    exit_code = 3

    def __init__(self, file: str, problems: list[Problem]) -> None:
        self.file, self.problems = file, list(problems)
        lines = "\n".join(str(p) for p in self.errors)
        super().__init__(f"{file}: 参数文件有 {len(self.errors)} 个错误：\n{lines}")

    def _args(self) -> tuple:
        return (self.file, self.problems)

    def _render_traceback_(self) -> list[str]:
        """What IPython shows instead of a traceback (the notebook's validation cell): the list."""
        return [*self.lines(), STOPPED]


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
    """A published file could not be made from the executed notebook (HTML export, PDF printing)."""

    exit_code = 5


class PathError(KitError):
    """An output path that cannot be built (bad agency id or year)."""

    exit_code = 2


class OutputLocked(KitError):
    """Another kit process writes to the same output folder (a batch holds it alone; runs share it)."""

    exit_code = 6

    def __init__(self, lock: str, holder: str) -> None:
        self.lock, self.holder = lock, holder
        pid, _, command = holder.partition(" ")
        super().__init__(f"另一个 {command or 'kit 进程'} 正在写入同一输出目录（进程 {pid or '未知'}，锁文件 {lock}）："
                         "请等它结束后再运行")

    def _args(self) -> tuple:
        return (self.lock, self.holder)


# Why a write failed, for the errors a full disk or a read-only output folder give (errno → Chinese).
WRITE_FAILURES = {
    errno.ENOSPC: "磁盘空间已满",
    errno.EDQUOT: "超出磁盘配额",
    errno.EROFS: "文件系统是只读的",
    errno.EACCES: "没有写入权限",
    errno.EPERM: "没有写入权限",
    errno.EFBIG: "文件超出大小上限",
}


class WriteError(KitError):
    """The output could not be written: the disk is full, the folder read-only, …"""

    exit_code = 7

    def __init__(self, path: str, code: int) -> None:
        self.path, self.code = path, code
        reason = WRITE_FAILURES.get(code, "写入失败")
        super().__init__(f"无法写入 {path}：{reason}（{errno.errorcode.get(code, code)}）")

    def _args(self) -> tuple:
        return (self.path, self.code)


class Orphaned(KitError):
    """A batch worker whose driver is gone: it publishes nothing."""

    def __init__(self, dest: str) -> None:
        self.dest = dest
        super().__init__(f"批处理的主进程已退出：不再发布 {dest}")

    def _args(self) -> tuple:
        return (self.dest,)


class UnknownWriterError(UnknownName):
    """An output format no writer is registered for."""

    exit_code = 2
    what, plural = "输出格式", "格式"


class ProjectError(KitError):
    """The project's settings (kit.toml, or [tool.kit] in pyproject.toml) cannot be used."""

    exit_code = 2


class ApprovalError(KitError):
    """A report that cannot be approved (no published report, an unknown role, a broken log)."""

    exit_code = 2


class ApprovedReport(KitError):
    """Publishing would replace an approved version (``--replace-approved`` allows it)."""

    exit_code = 8

    def __init__(self, dest: str, approved: str) -> None:
        self.dest, self.approved = dest, approved
        super().__init__(f"{dest} 的现行版本{approved}：不覆盖已审核的版本；确需重新发布请加 --replace-approved"
                         "（发布后状态为 审核后已变更，需重新审核）")

    def _args(self) -> tuple:
        return (self.dest, self.approved)
