"""Names a package exports but imports only when first used (``import sesslog`` stays light)."""

from __future__ import annotations

import importlib

#: ``typing.TYPE_CHECKING`` without importing ``typing`` (``import sesslog`` stays light).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

__all__ = ["TYPE_CHECKING", "lazy_getattr"]


def lazy_getattr(namespace: dict[str, Any], names: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports each of ``names`` from its module on first use.

    Args:
        namespace: The package's ``globals()``: a name, once imported, is kept there.
        names: Each lazily exported name and the module it lives in (for a module exported
            under its own name, the module itself).
    """

    def __getattr__(name: str) -> Any:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {namespace['__name__']!r} has no attribute {name!r}")
        found = importlib.import_module(module)
        value = found if found.__name__.rpartition(".")[2] == name else getattr(found, name)
        namespace[name] = value
        return value

    return __getattr__
