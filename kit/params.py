"""Stage 1: read a parameter file (YAML) into plain Python data, closing YAML's traps.

* safe loading only (a SafeLoader subclass);
* only ``true``/``false`` are booleans: ``yes``/``no``/``on``/``off`` stay strings;
* only plain decimal integers are integers: ``012`` or ``0x1A`` stay strings, so an
  agency code keeps its leading zero and a count written that way is an error;
* dates stay strings;
* a duplicate key is an error with its line;
* a file that isn't YAML gets its line and column.

Alongside the data, the line of every field is kept so errors can point at it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kit.exceptions import ParamsError


class KitLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml's parser when the wheel has it
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


def _construct_mapping(loader: KitLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict[Any, yaml.Node] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            first = seen[key].start_mark.line + 1
            raise yaml.constructor.ConstructorError(
                None, None, f"重复的键 {key!r}（第一次出现在第 {first} 行）", key_node.start_mark
            )
        seen[key] = key_node
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


KitLoader.add_constructor(
    "tag:yaml.org,2002:map", lambda loader, node: _construct_mapping(loader, node, deep=True)
)


@dataclass
class Loaded:
    """A parameter file read from disk: its data and the line of each field path."""

    file: str
    data: dict[str, Any]
    lines: dict[tuple, int] = field(default_factory=dict)
    text: str = ""

    def line_of(self, loc: tuple) -> int | None:
        """The line of the deepest field of ``loc`` that the file has."""
        for n in range(len(loc), 0, -1):
            if loc[:n] in self.lines:
                return self.lines[loc[:n]]
        return None


def _index_lines(node: yaml.Node, prefix: tuple, out: dict[tuple, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            loc = (*prefix, key_node.value)
            out[loc] = key_node.start_mark.line + 1
            _index_lines(value_node, loc, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            out[(*prefix, i)] = item.start_mark.line + 1
            _index_lines(item, (*prefix, i), out)


def parse(text: str, file: str) -> Loaded:
    """Parse YAML text; ``file`` is only used to name it in errors."""
    loader = KitLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "无法解析"
        line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
        raise ParamsError(file, f"不是有效的 YAML：{problem}", line, col) from None
    except yaml.YAMLError as exc:
        raise ParamsError(file, f"不是有效的 YAML：{exc}") from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise ParamsError(file, "参数文件的顶层应是键值映射（mapping）")
    lines: dict[tuple, int] = {}
    _index_lines(node, (), lines)
    return Loaded(file=file, data=data, lines=lines, text=text)


def read(path: Path | str, name: str | None = None) -> Loaded:
    """Read a parameter file from disk."""
    path = Path(path)
    label = name or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ParamsError(label, "文件不存在") from None
    except UnicodeDecodeError:
        raise ParamsError(label, "文件不是 UTF-8 编码") from None
    return parse(text, label)
