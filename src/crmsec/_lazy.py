"""Lazy package exports (PEP 562): ``from crmsec.<package> import name`` imports the defining submodule on first
use, so importing one light submodule (a CLI module, say) does not pull in every engine of its package.

Start-up is part of the user's wait: ``crmsec <command> --help`` should not import pandas, scipy or SQLAlchemy.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_exports(package: str, exports: dict[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``, resolving each name in ``exports`` (name → module)."""
    namespace = importlib.import_module(package).__dict__

    def __getattr__(name: str) -> Any:  # noqa: N807 - the PEP 562 hook
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value  # cache: the hook runs once per name
        return value

    def __dir__() -> list[str]:  # noqa: N807
        return sorted({*namespace, *exports})

    return __getattr__, __dir__
