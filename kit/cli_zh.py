"""click's own words in Chinese: "Usage:", "Error: Missing argument", option help …

click looks every message up through ``gettext`` (each of its modules binds
``gettext.gettext`` as ``_`` and ``gettext.ngettext``); :func:`installed` replaces
those two hooks with lookups in :data:`CATALOGUE` while a command runs, so the kit needs no compiled
message catalogue and no locale settings. A message not in the catalogue stays
as click wrote it.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

CATALOGUE: dict[str, str] = {
    "Usage:": "用法:",  # click adds the colon of its other headings itself: 选项: 命令:
    "Options": "选项",
    "Commands": "命令",
    "Positional arguments": "位置参数",
    "Show this message and exit.": "显示本帮助并退出。",
    "Show the version and exit.": "显示版本并退出。",
    "%(prog)s, version %(version)s": "%(prog)s，版本 %(version)s",
    "Error: {message}": "错误：{message}",
    "Try '{command} {option}' for help.": "运行 “{command} {option}” 查看帮助。",
    "Aborted!": "已中止！",
    "Missing argument": "缺少参数",
    "Missing option": "缺少选项",
    "Missing parameter": "缺少参数",
    "Missing {param_type}": "缺少{param_type}",
    "Missing parameter: {param_name}": "缺少参数：{param_name}",
    "Missing command.": "缺少命令。",
    "No such option {name!r}.": "没有选项 {name!r}。",
    "No such command {name!r}.": "没有命令 {name!r}。",
    "Did you mean {possibility}?": "是不是想写 {possibility}？",
    "(Did you mean one of: {possibilities}?)": "（是不是想写其中之一：{possibilities}？）",
    "Got unexpected extra argument ({args})": "多余的参数（{args}）",
    "Got unexpected extra arguments ({args})": "多余的参数（{args}）",
    "Option {name!r} requires an argument.": "选项 {name!r} 需要一个值。",
    "Option {name!r} requires {nargs} arguments.": "选项 {name!r} 需要 {nargs} 个值。",
    "Option {name!r} does not take a value.": "选项 {name!r} 不接受值。",
    "Argument {name!r} takes {nargs} values.": "参数 {name!r} 需要 {nargs} 个值。",
    "Invalid value: {message}": "取值无效：{message}",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的取值无效：{message}",
    "{value!r} is not a valid {number_type}.": "{value!r} 不是有效的{number_type}。",
    "{value} is not in the range {range}.": "{value} 不在范围 {range} 内。",
    "{value!r} is not {choice}.": "{value!r} 不是 {choice}。",
    "{value!r} is not one of {choices}.": "{value!r} 不是 {choices} 之一。",
    "file": "文件",
    "directory": "目录",
    "path": "路径",
    "{name} {filename!r} does not exist.": "{name} {filename!r} 不存在。",
    "{name} {filename!r} is a file.": "{name} {filename!r} 是文件，应为目录。",
    "{name} {filename!r} is a directory.": "{name} {filename!r} 是目录，应为文件。",
    "{name} {filename!r} is not readable.": "{name} {filename!r} 不可读。",
    "{name} {filename!r} is not writable.": "{name} {filename!r} 不可写。",
    "Could not open file {filename!r}: {message}": "无法打开文件 {filename!r}：{message}",
    "default: {default}": "默认：{default}",
    "env var: {var}": "环境变量：{var}",
    "Choose from:\n\t{choices}": "可选：\n\t{choices}",
    "unknown error": "未知错误",
}

# click names its value types in messages ("'x' is not a valid integer") and metavars (INTEGER)
TYPE_NAMES: dict[type[click.ParamType], str] = {click.types.IntParamType: "整数", click.types.FloatParamType: "小数",
              click.types.BoolParamType: "布尔值", click.types.StringParamType: "文本"}

_MODULES = ("core", "decorators", "exceptions", "formatting", "parser", "types", "termui", "utils")


def gettext(message: str) -> str:
    """click's message in Chinese (the message itself when the catalogue lacks it)."""
    return CATALOGUE.get(message, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """click's singular or plural message in Chinese."""
    return gettext(singular if n == 1 else plural)


@contextmanager
def installed() -> Iterator[None]:
    """click speaking Chinese while the block runs (a command's whole invocation); click as it was after."""
    hooks: dict[str, object] = {"_": gettext, "ngettext": ngettext}
    saved: list[tuple[object, str, object]] = []
    for name in _MODULES:
        module = importlib.import_module(f"click.{name}")
        for attr, hook in hooks.items():
            if hasattr(module, attr):
                saved.append((module, attr, getattr(module, attr)))
                setattr(module, attr, hook)
    for cls, word in TYPE_NAMES.items():
        saved.append((cls, "name", cls.name))
        cls.name = word
    try:
        yield
    finally:
        for owner, attr, before in reversed(saved):
            setattr(owner, attr, before)


class Path(click.Path):
    """click's Path, named in Chinese in its messages (click looks the name up as the type is made)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        with installed():
            super().__init__(*args, **kwargs)


class Command(click.Command):
    """A command whose usage line reads 用法: kit run [选项] PARAMS_FILE."""

    def __init__(self, name: str | None, **kwargs: Any) -> None:
        kwargs.setdefault("options_metavar", "[选项]")
        super().__init__(name, **kwargs)


class Group(click.Group):
    """The ``kit`` group: 用法: kit [选项] 命令 [参数]...; its commands are :class:`Command`."""

    command_class = Command

    def __init__(self, name: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("options_metavar", "[选项]")
        kwargs.setdefault("subcommand_metavar", "命令 [参数]...")
        super().__init__(name, **kwargs)

    def main(self, *args: Any, **kwargs: Any) -> Any:
        """Run the command with click's words in Chinese (from parsing to the last message)."""
        with installed():
            return super().main(*args, **kwargs)
