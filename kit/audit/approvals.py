"""Sign-off: an append-only, hash-chained log of who approved which bytes of a report.

``kit approve output/<agency>/<year> --by NAME`` appends one line to
``output/<agency>/<year>.approvals.jsonl``. The log lives beside the report's link, at the
agency level, not inside the version folder: publishing swaps the link to a new folder, and
the log — the history of every version's approvals — stays where it is.

Each line names who, in which role, when (UTC), a note, the sha256 of every file of the
published version (the executed notebook, the page, the audit view, … and run.json), the
inputs key, the previous line's hash and its own: a line edited, removed or moved breaks the
chain, and :func:`check_chain` says where. A report's state (:func:`approval_state`) is
未审核 (never approved), 已审核 (its current bytes are the approved bytes) or 审核后已变更
(approved once, published again since with other bytes).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from kit.audit import record
from kit.exceptions import ApprovalError

ROLES = ("审核", "签发")
GENESIS = "0" * 64
SUFFIX = ".approvals.jsonl"
NOT_APPROVED, APPROVED, CHANGED, BROKEN = "未审核", "已审核", "审核后已变更", "审核记录已被改动"


class Approval(BaseModel):
    """One line of the log."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seq: int
    by: str
    role: str
    at_utc: str
    note: str
    agency: str
    year: int
    inputs_key: str
    files: dict[str, str]  # name → sha256 of the approved version's files
    prev: str  # the previous line's hash (GENESIS for the first)
    hash: str  # sha256 of this line's other fields (canonical JSON)

    def line(self) -> str:
        return json.dumps(self.model_dump(), ensure_ascii=False, sort_keys=True) + "\n"

    def summary(self) -> str:
        return f"{self.by} {self.role} {self.at_utc.replace('T', ' ').removesuffix('+00:00')} UTC"


def log_path(report_dir: Path | str) -> Path:
    """The approvals log of ``output/<agency>/<year>``: ``output/<agency>/<year>.approvals.jsonl``."""
    folder = Path(report_dir)
    folder = Path(os.path.normpath(folder.absolute()))  # "output/x/2020/" and "…/2020/." name the same log
    return folder.parent / f"{folder.name}{SUFFIX}"


def content_hash(fields: dict[str, Any]) -> str:
    """The hash a line carries: its fields other than ``hash``, as canonical JSON."""
    body = {k: v for k, v in fields.items() if k != "hash"}
    return hashlib.sha256(json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
                          .encode()).hexdigest()


def published_hashes(report_dir: Path) -> dict[str, str]:
    """sha256 of each file the record lists, and of run.json; ApprovalError when there is no report."""
    run = record.read(report_dir)
    if run is None:
        raise ApprovalError(f"{report_dir} 不是已发布的报告目录（缺少可读的 {record.RECORD_NAME}），无法审核")
    out = {}
    for name in [*run.files, record.RECORD_NAME]:
        path = report_dir / name
        if not path.is_file():
            raise ApprovalError(f"{report_dir} 缺少已发布的文件 {name}，无法审核")
        out[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


@dataclass
class Chain:
    """The log as read: the lines that hold, and what is wrong with it (empty: intact)."""

    approvals: list[Approval] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def read_chain(report_dir: Path | str) -> Chain:
    """Read and check the log line by line: each line's own hash, its number and its link to the one before."""
    path = log_path(report_dir)
    chain = Chain()
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return chain
    prev = GENESIS
    for n, text in enumerate(lines, 1):
        where = f"{path.name} 第 {n} 行"
        try:
            fields = json.loads(text)
            approval = Approval.model_validate(fields)
        except (json.JSONDecodeError, ValidationError):
            chain.problems.append(f"{where} 不是审核记录（JSON 无效或字段不符）")
            prev = ""
            continue
        if content_hash(fields) != approval.hash:
            chain.problems.append(f"{where} 已被改动：内容与其哈希 {approval.hash[:12]} 不符")
        if approval.prev != prev:
            chain.problems.append(f"{where} 的前一记录哈希为 {approval.prev[:12]}，实际前一行为 "
                                  f"{prev[:12] or '无效行'}：记录被删除、插入或调换了顺序")
        if approval.seq != n:
            chain.problems.append(f"{where} 的序号为 {approval.seq}，应为 {n}")
        chain.approvals.append(approval)
        prev = approval.hash
    return chain


def approve(report_dir: Path | str, by: str, role: str = ROLES[0], note: str = "",
            now: datetime | None = None) -> Approval:
    """Append an approval of the published version in ``report_dir``; refuse a broken log."""
    folder = Path(report_dir)
    if not by.strip():
        raise ApprovalError("审核人（--by）不能为空")
    if role not in ROLES:
        raise ApprovalError(f"审核角色应为 {' 或 '.join(ROLES)}，实际为 {role}")
    files = published_hashes(folder)
    run = record.read(folder)
    assert run is not None  # published_hashes refused a folder without one
    path = log_path(folder)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # two approvers at once: one after the other
        chain = read_chain(folder)
        if chain.problems:
            raise ApprovalError(f"{path.name} 已被改动，不再追加审核记录：{chain.problems[0]}")
        fields: dict[str, Any] = {
            "seq": len(chain.approvals) + 1, "by": by.strip(), "role": role,
            "at_utc": (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds"),
            "note": note, "agency": run.agency, "year": run.year, "inputs_key": run.inputs_key, "files": files,
            "prev": chain.approvals[-1].hash if chain.approvals else GENESIS,
        }
        approval = Approval.model_validate({**fields, "hash": content_hash(fields)})
        os.write(fd, approval.line().encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    return approval


@dataclass(frozen=True)
class ApprovalState:
    """A report's sign-off state: ``state`` is one of 未审核 / 已审核 / 审核后已变更 / 审核记录已被改动."""

    state: str
    approvals: tuple[Approval, ...] = ()  # the approvals of the current bytes (已审核), or the last one (变更)
    problems: tuple[str, ...] = ()

    @property
    def approved(self) -> bool:
        return self.state == APPROVED

    @property
    def label(self) -> str:
        """As index.html and the status page print it: 已审核（张三 审核 2026-11-30 10:00:00 UTC）."""
        if self.state in (APPROVED, CHANGED) and self.approvals:
            what = "；".join(a.summary() for a in self.approvals)
            return f"{self.state}（{what}）" if self.state == APPROVED else f"{self.state}（上次审核：{what}）"
        return self.state


def current_hashes(report_dir: Path) -> dict[str, str] | None:
    try:
        return published_hashes(report_dir)
    except ApprovalError:
        return None


def approval_state(report_dir: Path | str) -> ApprovalState:
    """The state of the report published in ``report_dir`` (for index.html, the status page, verify)."""
    folder = Path(report_dir)
    chain = read_chain(folder)
    if chain.problems:
        return ApprovalState(BROKEN, problems=tuple(chain.problems))
    if not chain.approvals:
        return ApprovalState(NOT_APPROVED)
    now = current_hashes(folder)
    matching = tuple(a for a in chain.approvals if a.files == now)
    if matching:
        return ApprovalState(APPROVED, matching)
    return ApprovalState(CHANGED, (chain.approvals[-1],))


def verify_lines(report_dir: Path | str) -> tuple[list[str], list[str]]:
    """For ``kit verify``: (what is wrong with the log, what it says about the published bytes)."""
    folder = Path(report_dir)
    state = approval_state(folder)
    if state.state == BROKEN:
        return list(state.problems), []
    if state.state == NOT_APPROVED:  # nothing signed: nothing to say (verify's output stays as it was)
        return [], []
    if state.approved:
        return [], [f"审核：{state.label}：审核时的文件与现发布的文件逐字节相同"]
    last = state.approvals[-1]
    now = current_hashes(folder) or {}
    changed = [name for name in dict.fromkeys([*last.files, *now]) if last.files.get(name) != now.get(name)]
    return [], [f"审核：{state.label}：现发布的文件与审核时不同（{'、'.join(changed)}）"]
