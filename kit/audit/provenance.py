"""What an executed notebook records about how it was made (the audit record).

The record goes into the notebook's metadata, a short visible section at the
notebook's end, ``run.json`` beside the report, and — shortened to the
generation date, the kit version and a hash of the inputs — a 版本信息 line at
the end of the published page. The generation date is an input like the others
(``SOURCE_DATE_EPOCH`` when set, else the day of the first run), so that a
re-run from the recorded inputs gives the same bytes.
"""

from __future__ import annotations

import os
import platform
import subprocess
from datetime import UTC, datetime
from functools import cache
from importlib import metadata
from typing import TYPE_CHECKING, Any

from kit import paths
from kit.content.narrative import chinese_date

if TYPE_CHECKING:
    from kit.audit.record import Record

LIBRARIES = ("papermill", "nbclient", "nbconvert", "nbformat", "ipykernel", "jupyter_client", "pandas", "numpy",
             "pydantic", "PyYAML", "Jinja2", "markdown-it-py", "matplotlib", "click", "rich")


@cache
def library_versions() -> dict[str, str]:
    """Python's version and the installed versions of the libraries a report depends on."""
    versions = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "未安装"
    return versions


@cache
def git_commit() -> str | None:
    """The kit's git commit (``+dirty`` when the checkout has changes), or None outside a checkout."""
    root = paths.project_root()
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
                              check=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, check=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return head + ("+dirty" if dirty else "")


def generation_date() -> str:
    """``SOURCE_DATE_EPOCH`` (the reproducible-builds convention) if set, else today (UTC)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = datetime.fromtimestamp(int(epoch), UTC) if epoch else datetime.now(UTC)
    return moment.date().isoformat()


def version_line(kit_meta: dict[str, Any]) -> str:
    """The 版本信息 line of the published page."""
    return (f"版本信息：本报告于{chinese_date(kit_meta['generated_on'])}由 kit {kit_meta['kit_version']} 生成，"
            f"输入摘要 {kit_meta['inputs_key'][:12]}。")


def section(record: Record) -> str:
    """The visible provenance section appended to the executed notebook (Markdown)."""
    inputs = record.inputs
    validation = record.validation
    lines = [
        "## 执行记录 · provenance",
        "",
        f"- 参数文件 `{record.params_file}`：sha256 `{inputs['params']}`",
        f"- 上年参数文件 `{record.previous_file}`：sha256 `{inputs['previous_params']}`"
        if record.previous_file else "- 上年参数文件：无",
        f"- 主笔记本 `{record.notebook}`：sha256 `{inputs['notebook']}`",
        f"- 依赖锁定文件 `requirements.lock`：sha256 `{inputs['lock']}`",
        f"- kit {record.kit_version}，代码 sha256 `{inputs['kit_code']}`，"
        + (f"git 提交 `{record.git_commit}`" if record.git_commit else "不在 git 仓库中运行"),
        f"- 内核 `{record.kernel}`（{'由 fork 服务器派生' if record.kernel_forked else '标准启动'}）；"
        f"开始 {record.started_utc}，结束 {record.ended_utc}（UTC）；"
        f"生成日期 {record.generated_on}",
        "- 版本：" + "，".join(f"{k} {v}" for k, v in record.libraries.items()),
        f"- 校验：{len(validation.errors)} 个错误，{len(validation.warnings)} 个警告"
        + "".join(f"\n  - {w}" for w in validation.warnings),
        f"- 已确认的正文与表格差异：{len(validation.acknowledged)} 处"
        + "".join(f"\n  - `{a.fingerprint}`（{a.path}）：{a.finding}；确认理由：{a.reason}"
                  for a in validation.acknowledged),
        f"- 输入摘要（inputs key）`{record.inputs_key}`",
    ]
    return "\n".join(lines)
