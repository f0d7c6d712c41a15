"""The first difference between a published file and the one rebuilt from its inputs, in words.

Used by ``kit verify``: a notebook's difference names the cell or metadata key, a parameter that
differs is named by its field path and Chinese label; other files by line or by byte.
"""

from __future__ import annotations

import ast
import json
from typing import Any

from kit.api import INJECTED_ID
from kit.spec.model import label_for, schema_for

MISSING = "（无）"


def flatten(data: Any, prefix: tuple = ()) -> dict[tuple, Any]:
    """Nested mappings and lists as {(key, index, …): leaf}."""
    if isinstance(data, dict):
        out: dict[tuple, Any] = {}
        for k, v in data.items():
            out.update(flatten(v, (*prefix, k)))
        return out or {prefix: {}}
    if isinstance(data, list):
        out = {}
        for i, v in enumerate(data):
            out.update(flatten(v, (*prefix, i)))
        return out or {prefix: []}
    return {prefix: data}


def differing(old: Any, new: Any) -> list[tuple[tuple, Any, Any]]:
    """Every leaf that differs between two JSON-like values: (location, old, new), in order."""
    a, b = flatten(old), flatten(new)
    return [(loc, a.get(loc, MISSING), b.get(loc, MISSING)) for loc in dict.fromkeys([*a, *b])
            if a.get(loc, MISSING) != b.get(loc, MISSING)]


def _where(loc: tuple, version: str | None) -> str:
    """A field's path, with its Chinese label when it is a field of the parameter file."""
    label = label_for(schema_for(version), loc) if version else ""
    return ".".join(str(x) for x in loc) + (f"（{label}）" if label else "")


def field_changes(old: dict, new: dict, version: str) -> list[str]:
    """Every field that differs between two parameter files' data, with its Chinese label."""
    changes = sorted(differing(old, new), key=lambda c: [str(x) for x in c[0]])
    return [f"{_where(loc, version)}：{a!r} → {b!r}" for loc, a, b in changes]


def explain(name: str, actual: bytes, expected: bytes, version: str) -> str:
    """The first difference between a published file and the rebuilt one, in words."""
    if name.endswith((".ipynb", ".json")):
        try:
            a = json.loads(actual)
        except (UnicodeDecodeError, ValueError):
            return "不是有效的 JSON"
        b = json.loads(expected)
        return notebook_difference(a, b, version) if name.endswith(".ipynb") else json_difference(a, b, "字段 ")
    try:
        return text_difference(actual.decode(), expected.decode())
    except UnicodeDecodeError:
        return byte_difference(actual, expected)


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "…"


def json_difference(a: Any, b: Any, prefix: str, version: str | None = None) -> str:
    loc, old, new = differing(a, b)[0]
    return f"{prefix}{_where(loc, version)}：记录 {_short(old)}，重算 {_short(new)}"


def notebook_difference(a: dict, b: dict, version: str) -> str:
    meta_a, meta_b = a.get("metadata", {}), b.get("metadata", {})
    if meta_a != meta_b:
        for key in dict.fromkeys([*meta_a, *meta_b]):
            if meta_a.get(key) != meta_b.get(key):
                if key == "papermill" and isinstance(meta_a.get(key), dict):
                    return _papermill_difference(meta_a[key], meta_b[key], version)
                return json_difference({key: meta_a.get(key, MISSING)}, {key: meta_b[key]} if key in meta_b else {},
                                       "元数据 ")
    cells_a, cells_b = a.get("cells", []), b.get("cells", [])
    ids_a, ids_b = [c.get("id") for c in cells_a], [c.get("id") for c in cells_b]
    if ids_a != ids_b:
        return f"单元格不同：记录 {ids_a}，重算 {ids_b}"
    for ca, cb in zip(cells_a, cells_b, strict=True):
        if ca != cb:
            return cell_difference(ca, cb, version)
    return json_difference({k: v for k, v in a.items() if k not in ("cells", "metadata")},
                           {k: v for k, v in b.items() if k not in ("cells", "metadata")}, "")


def _papermill_difference(a: dict, b: dict, version: str) -> str:
    pa, pb = a.get("parameters"), b.get("parameters")
    if isinstance(pa, dict) and isinstance(pb, dict) and _params_differ(pa, pb):
        return _params_difference(pa, pb, "元数据 papermill.parameters 的参数 ", version)
    return json_difference(a, b, "元数据 papermill.")


def _params_differ(a: dict, b: dict) -> bool:
    return isinstance(a.get("params"), dict) and isinstance(b.get("params"), dict) and a["params"] != b["params"]


def _params_difference(a: dict, b: dict, prefix: str, version: str) -> str:
    """A parameter file's field that differs, with its Chinese label."""
    return json_difference(a["params"], b["params"], f"{prefix}params.", version)


def cell_difference(a: dict, b: dict, version: str) -> str:
    cid = b.get("id")
    if a.get("source") != b.get("source"):
        if cid == INJECTED_ID:
            pa, pb = injected(a.get("source", "")), injected(b["source"])
            if pa is not None and pb is not None and _params_differ(pa, pb):
                return _params_difference(pa, pb, f"单元格 {cid} 的参数 ", version)
        what = "源代码" if b.get("cell_type") == "code" else "内容"
        return f"单元格 {cid} 的{what}{text_difference(_text(a.get('source', '')), _text(b['source']))}"
    if a.get("outputs") != b.get("outputs"):
        return f"单元格 {cid} 的输出不同：{json_difference(a.get('outputs'), b.get('outputs'), 'outputs.')}"
    return json_difference(a, b, f"单元格 {cid} 的 ")


def _text(source: str | list) -> str:
    return "".join(source) if isinstance(source, list) else source


def injected(source: str | list) -> dict[str, Any] | None:
    """The values of papermill's injected cell, read as literals (never executed); None if it is not literals."""
    try:
        tree = ast.parse(_text(source))
        return {node.targets[0].id: ast.literal_eval(node.value) for node in tree.body
                if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)}
    except (SyntaxError, ValueError, TypeError):
        return None


def text_difference(a: str, b: str) -> str:
    lines_a, lines_b = a.splitlines(), b.splitlines()
    for i in range(max(len(lines_a), len(lines_b))):
        la = lines_a[i] if i < len(lines_a) else MISSING
        lb = lines_b[i] if i < len(lines_b) else MISSING
        if la != lb:
            return f"第 {i + 1} 行：记录 {_short(la.strip())}，重算 {_short(lb.strip())}"
    return "行尾或空白不同"


def byte_difference(a: bytes, b: bytes) -> str:
    at = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    return f"自第 {at} 字节起不同（记录 {len(a)} 字节，重算 {len(b)} 字节）"
