"""REST API and dashboard (FastAPI): ``create_app(settings)`` builds the app; ``crmsec serve`` runs it.

The names below are imported lazily so that ``crmsec <any command>`` does not pay for FastAPI's import.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["Settings", "create_app", "get_settings"]
_LAZY = {"create_app": "crmsec.api.app", "Settings": "crmsec.api.config", "get_settings": "crmsec.api.config"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'crmsec.api' has no attribute {name!r}")
