"""A small name → object registry whose lookup error lists the known names (formats, writers)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    """Named items (formats, readers, writers); ``get`` of an unknown name raises ``unknown(name, known names)``."""
    def __init__(self, name_of: Callable[[T], str], unknown: Callable[[str, list[str]], Exception]) -> None:
        self._items: dict[str, T] = {}
        self._name_of, self._unknown = name_of, unknown

    def register(self, item: T) -> None:
        """Add ``item`` under its name (replacing one of the same name)."""
        self._items[self._name_of(item)] = item

    def get(self, name: str) -> T:
        """The item of that name; the registry's error, listing the known names, otherwise."""
        try:
            return self._items[name]
        except KeyError:
            raise self._unknown(name, self.names()) from None

    def names(self) -> list[str]:
        """The registered names, sorted."""
        return sorted(self._items)

    def __iter__(self) -> Iterator[T]:
        return iter(self._items.values())
