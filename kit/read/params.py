"""Stage 1: read a parameter file (YAML) into plain Python data, closing YAML's traps.

* safe loading only (a SafeLoader subclass);
* only ``true``/``false`` are booleans: ``yes``/``no``/``on``/``off`` stay strings;
* only plain decimal integers are integers: ``012`` or ``0x1A`` stay strings, so an
  agency code keeps its leading zero and a count written that way is an error;
* dates stay strings;
* a duplicate key is an error with its line; a key must be a scalar (no ``? [a, b]``);
* hostile files are refused before they cost anything: no aliases (``*a``: a parameter file
  needs none, and their expansion is the "billion laughs"), at most :data:`MAX_BYTES` bytes
  and :data:`MAX_DEPTH` levels of nesting, only regular files (a directory, FIFO or device is
  refused without reading it), symbolic links only to a file inside the project;
* a file that isn't YAML gets the line of the likely cause, in Chinese, with a hint for the
  usual slips (full-width colon or space, tab indentation, no space after a colon, an
  unclosed quote).

Alongside the data, the line of every field is kept so errors can point at it.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import yaml

from kit import paths
from kit.exceptions import ParamsError
from kit.read.base import Loaded, Place

MAX_BYTES = 1024 * 1024  # the largest real parameter file is ~20 KB
MAX_DEPTH = 20  # the schema nests 6 levels deep


if TYPE_CHECKING:
    _SafeLoader = yaml.SafeLoader
else:  # libyaml's parser when the wheel has it
    _SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class KitLoader(_SafeLoader):
    """SafeLoader with YAML 1.2-like scalars and duplicate-key detection."""


KitLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in {
        "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:timestamp"}]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
KitLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
KitLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$"), list("-+0123456789")
)


def _construct_int(loader: KitLoader, node: yaml.ScalarNode) -> int:
    return int(loader.construct_scalar(node))


KitLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)


class _Refused(yaml.constructor.ConstructorError):
    """A construction error the kit raises, already in Chinese."""


def _construct_mapping(loader: KitLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict[Any, yaml.Node] = {}
    for key_node, _ in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise _Refused(
                None, None, "键只能是一个名字，不能是列表或映射（“? [a, b]”这样的写法）", key_node.start_mark)
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            first = seen[key].start_mark.line + 1
            raise _Refused(
                None, None, f"重复的键 {key!r}（第一次出现在第 {first} 行）", key_node.start_mark
            )
        seen[key] = key_node
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


def _construct_deep_mapping(loader: KitLoader, node: yaml.MappingNode) -> dict:
    return _construct_mapping(loader, node, deep=True)


KitLoader.add_constructor("tag:yaml.org,2002:map", _construct_deep_mapping)


def _index_lines(node: yaml.Node, prefix: tuple, out: dict[tuple, Place]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            loc = (*prefix, key_node.value)
            out[loc] = key_node.start_mark.line + 1
            _index_lines(value_node, loc, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            out[(*prefix, i)] = item.start_mark.line + 1
            _index_lines(item, (*prefix, i), out)


# libyaml's problems, in the words an analyst reads.
_PROBLEMS = (
    ("could not find expected ':'", "找不到键后面的冒号“:”"),
    ("mapping values are not allowed", "这里不能出现“键: 值”（冒号位置或缩进不对）"),
    ("tab character", "不能用制表符（Tab）缩进"),
    ("found character '\\t'", "不能用制表符（Tab）缩进"),
    ("cannot start any token", "这个字符不能出现在值的开头（含特殊字符的文本请加引号）"),
    ("unexpected end of stream", "文件在未结束的内容中意外结束"),
    ("did not find expected key", "找不到应有的键（缩进不一致？）"),
    ("did not find expected '-' indicator", "列表项应以“- ”开头（缩进不一致？）"),
    ("expected <block end>", "缩进不一致"),
    ("did not find expected node content", "缺少值"),
    ("did not find expected ',' or", "括号没有配对或缺少逗号"),
    ("found unknown escape character", "双引号文本中有无效的转义（\\ 后的字符）"),
    ("control characters are not allowed", "含有不允许的控制字符"),
    ("could not determine a constructor", "不支持的标签（以 ! 开头的写法）"),
    ("found undefined tag handle", "不支持的标签（以 ! 开头的写法）"),
    ("found unhashable key", "键只能是一个名字，不能是列表或映射"),
    ("expected a single document", "一个文件只能有一个文档（不要用“---”分隔多个文档）"),
    ("exceeded maximum nesting depth", f"嵌套层数超过 {MAX_DEPTH} 层：参数文件不需要这么深的结构"),
)

# The usual slips, each found on a line: (pattern, hint). The hint names the line.
_SLIPS = (
    (re.compile(r"^[ ]*\t"), "用了制表符（Tab）缩进：YAML 只能用空格缩进"),
    (re.compile(r"\u3000"), "有全角空格“　”：请改为半角空格"),
    (re.compile(r"^\s*(?:-\s+)?[^\s:：#'\"{\[][^:：#]*："), "键后面是全角冒号“：”：请改为半角冒号加空格“: ”"),
    (re.compile(r"^\s*(?:-\s+)?[A-Za-z_][\w-]*:(?=[^\s/])"), "冒号后缺少空格：应写成“键: 值”"),
)


def _syntax_error(text: str, file: str, problem: str, line: int | None, col: int | None,
                  context: str | None = None, context_mark: yaml.Mark | None = None) -> ParamsError:
    """A YAML syntax error in Chinese, at the line of its likely cause when one is found."""
    words = next((zh for en, zh in _PROBLEMS if en in problem), f"无法解析（{problem}）")
    if context and "quoted scalar" in context and context_mark is not None:
        n = context_mark.line + 1
        return ParamsError(file, f"不是有效的 YAML：第 {n} 行的引号没有配对（缺少结尾的引号）", n,
                           context_mark.column + 1)
    lines = text.splitlines()
    last = min(line or len(lines), len(lines))
    for n in range(last, 0, -1):  # the nearest slip at or above the error
        for pattern, hint in _SLIPS:
            found = pattern.search(lines[n - 1])
            if found:
                column = found.end() if hint.startswith("键后") or hint.startswith("冒号") else found.start() + 1
                return ParamsError(file, f"不是有效的 YAML：{words}；第 {n} 行{hint}", n, column)
    return ParamsError(file, f"不是有效的 YAML：{words}", line, col)


class _Mark(Protocol):
    line: int
    column: int


def _position(mark: _Mark | None) -> tuple[int | None, int | None]:
    """A YAML mark as the 1-based line and column a ParamsError prints (None, None: no mark)."""
    return (mark.line + 1, mark.column + 1) if mark is not None else (None, None)


def _scan(text: str, file: str) -> None:
    """Refuse aliases and deep nesting from the event stream, before anything is built."""
    depth = 0
    for event in yaml.parse(text, Loader=KitLoader):
        if isinstance(event, yaml.AliasEvent):
            raise ParamsError(file, f"不支持 YAML 别名（*{event.anchor}）：参数文件中每个值都请直接写出",
                              *_position(event.start_mark))
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise ParamsError(file, f"嵌套层数超过 {MAX_DEPTH} 层：参数文件不需要这么深的结构",
                                  *_position(event.start_mark))
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def parse(text: str, file: str) -> Loaded:
    """Parse YAML text; ``file`` is only used to name it in errors."""
    loader = None
    try:
        _scan(text, file)
        loader = KitLoader(text)
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "无法解析"
        line, col = _position(mark)
        if isinstance(exc, _Refused):
            raise ParamsError(file, f"不是有效的 YAML：{problem}", line, col) from None
        raise _syntax_error(text, file, problem, line, col, exc.context, exc.context_mark) from None
    except yaml.reader.ReaderError as exc:  # libyaml counts the position in UTF-8 bytes
        before = text.encode("utf-8")[:exc.position].decode("utf-8", errors="ignore")
        raise ParamsError(file, f"不是有效的 YAML：含有不允许的控制字符 U+{exc.character:04X}：请删去",
                          before.count("\n") + 1, len(before) - before.rfind("\n")) from None
    except yaml.YAMLError as exc:
        raise ParamsError(file, f"不是有效的 YAML：{exc}") from None
    finally:
        if loader is not None:
            loader.dispose()
    if node is None or not isinstance(data, dict):
        raise ParamsError(file, "参数文件的顶层应是键值映射（mapping）")
    lines: dict[tuple, Place] = {}
    _index_lines(node, (), lines)
    return Loaded(file=file, data=data, lines=lines, text=text)


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def read_bytes(path: Path | str, label: str) -> bytes:
    """A parameter file's bytes, refusing what is not one: a missing file, a link out of the
    project, a directory, FIFO or device (without opening it), a file over :data:`MAX_BYTES`."""
    path = Path(path)
    target = path.resolve()
    # a link on the way (the file or a folder above it) must lead inside the project
    if target != Path(os.path.abspath(path)) and not _inside(target, paths.project_root()):
        raise ParamsError(label, f"是指向项目之外的符号链接（→ {target}）：参数文件须在项目之内，请复制该文件")
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ParamsError(label, "文件不存在") from None
    except OSError as exc:
        raise ParamsError(label, f"无法读取：{exc.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        mode = info.st_mode
        kind = "目录" if stat.S_ISDIR(mode) else "管道（FIFO）" if stat.S_ISFIFO(mode) else "设备或特殊文件"
        raise ParamsError(label, f"不是普通文件（是{kind}）：参数文件应是一个 .yaml 文本文件")
    if info.st_size > MAX_BYTES:
        raise ParamsError(label, f"文件太大（{info.st_size} 字节，上限 {MAX_BYTES} 字节）")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # never waits on something swapped in since the stat
    except OSError as exc:
        raise ParamsError(label, f"无法读取：{exc.strerror}") from None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise ParamsError(label, "不是普通文件：参数文件应是一个 .yaml 文本文件")
        data = handle.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ParamsError(label, f"文件太大（超过上限 {MAX_BYTES} 字节）")
    return data


def read(path: Path | str, name: str | None = None) -> Loaded:
    """Read a parameter file from disk."""
    label = name or str(path)
    try:
        text = read_bytes(path, label).decode("utf-8")
    except UnicodeDecodeError:
        raise ParamsError(label, "文件不是 UTF-8 编码") from None
    return parse(text, label)


@dataclass(frozen=True)
class YamlReader:
    """The parameter file as analysts write it: YAML, every field's line kept."""

    name: str = "yaml"
    suffixes: tuple[str, ...] = (".yaml", ".yml")

    def read(self, path: Path, name: str) -> Loaded:
        return read(path, name)
