"""The parameter schema walked field by field: for ``docs/params.md`` and ``kit new``.

One walker, so the reference and the template can never disagree with the schema.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from annotated_types import Ge, Le
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from kit.spec import formats
from kit.spec.model import MAX_FIGURE, schema_for

ModelClass = type[BaseModel]  # named outside FieldDoc, whose field ``type`` shadows the builtin


@dataclass(frozen=True)
class FieldDoc:
    path: tuple[str, ...]
    title: str
    label: str  # the whole label path, 表三 › … › 自然人
    type: str
    default: Any
    required: bool
    model: ModelClass | None  # set for a nested mapping
    is_list: bool

    @property
    def dotted(self) -> str:
        return ".".join(self.path)


def _args(annotation: Any) -> tuple[Any, ...]:
    return typing.get_args(annotation)


def _describe(annotation: Any, metadata: list[Any]) -> tuple[str, type[BaseModel] | None, bool]:
    args = _args(annotation)
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        extra = [m for a in args[1:] for m in
                 ([*a.metadata, *([a.description] if a.description else [])] if isinstance(a, FieldInfo) else [a])]
        return _describe(args[0], [*metadata, *extra])
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        text, model, is_list = _describe(inner[0], metadata)
        if len(inner) > 1:  # a count or an approximate figure: the alternative is described
            text += "".join(f"，或{m}" for m in metadata if isinstance(m, str))
        return text + ("（可不填）" if len(inner) < len(args) else ""), model, is_list
    if origin is typing.Literal:
        return "取值：" + " / ".join(str(a) for a in args), None, False
    if origin is list:
        _, model, _ = _describe(args[0], [])
        return "列表", model, True
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "映射", annotation, False
    # the overflow guard (±MAX_FIGURE) is said once, above the tables
    lower = next((m.ge for m in metadata if isinstance(m, Ge) and m.ge != -MAX_FIGURE), None)
    upper = next((m.le for m in metadata if isinstance(m, Le) and m.le != MAX_FIGURE), None)
    bounds = "".join([f" ≥ {lower}" if lower is not None else "", f"，≤ {upper}" if upper is not None else ""])
    if annotation is bool:
        return "true / false", None, False
    if annotation is int:
        return "整数" + (bounds or "（可为负）"), None, False
    if annotation is Decimal:
        unit = next((m for m in metadata if isinstance(m, str)), "")
        return f"数字（{unit}）" + bounds if unit else "数字" + bounds, None, False
    if annotation is str:
        return "文本", None, False
    return getattr(annotation, "__name__", str(annotation)), None, False


def walk(model: type[BaseModel], prefix: tuple[str, ...] = (), labels: tuple[str, ...] = ()) -> Iterator[FieldDoc]:
    """Every field of ``model``, depth first, in declaration order."""
    for name, info in model.model_fields.items():
        metadata = [*info.metadata, *([info.description] if info.description else [])]
        text, sub, is_list = _describe(info.annotation, metadata)
        default = None if info.default is PydanticUndefined else info.default
        title = info.title or ""
        path_labels = (*labels, *title.split(" › ")) if title else labels
        doc = FieldDoc((*prefix, name), title, " › ".join(path_labels), text, default, info.is_required(),
                       sub, is_list)
        yield doc
        if sub is not None:
            yield from walk(sub, (*prefix, name, "[]") if is_list else (*prefix, name), path_labels)


def reference() -> str:
    """``docs/params.md``: every field of every format version, its type and its Chinese label."""
    lines = [
        "# 参数文件说明 (parameter-file reference)",
        "",
        "Generated from the schema by `kit docs`; a test fails when this file is stale.",
        "A file lives at `params/<agency.id>/<year>.yaml`. Cells that are 0 may be left out;",
        "totals are computed by the kit, and checked when typed.",
        f"Every figure (count, change, amount) lies within ±{MAX_FIGURE:,}, so no sum can overflow.",
        "",
    ]
    for version in formats.versions():
        spec = formats.get(version)
        years = f"{spec.first_year}–{spec.last_year}" if spec.last_year else f"{spec.first_year} 年起"
        lines += [f"## {version} 版格式（{spec.document}，适用于 {years} 年度报告）", "",
                  "| 字段 | 类型 | 必填 | 中文标签 |", "|---|---|---|---|"]
        for doc in walk(schema_for(version)):
            label = doc.label.replace("|", "\\|")
            lines.append(f"| `{doc.dotted}` | {doc.type} | {'是' if doc.required else ''} | {label} |")
        lines.append("")
    return "\n".join(lines)
