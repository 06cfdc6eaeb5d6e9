"""A package's names loaded from their modules on first use (PEP 562), so that a command
imports only what it runs."""

from __future__ import annotations

import importlib
from collections.abc import Callable


def lazy_names(package: str, homes: dict[str, str], eager: dict) -> tuple[Callable, Callable]:
    """The ``__getattr__`` and ``__dir__`` of `package`, whose names in `homes` live in the
    modules `homes` gives (relative to it); `eager` is its own globals()."""

    def __getattr__(name: str):
        if name in homes:
            return getattr(importlib.import_module(f".{homes[name]}", package), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return [*eager, *homes]

    return __getattr__, __dir__
