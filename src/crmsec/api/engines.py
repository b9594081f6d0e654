"""Adapters from the web face to the engines' public Python functions.

The web face never re-implements a method: each adapter calls the engine's public function and reshapes
its result for JSON/pages. An engine that is not part of this build raises :class:`EngineUnavailable`,
which the API turns into a 404 with a clear message and the pages into a "not available in this build"
panel — never into made-up numbers.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

log = logging.getLogger(__name__)

#: engine name → (module, attribute that must exist for the engine to count as present)
ENGINES: dict[str, tuple[str, str]] = {
    "criticality": ("crmsec.criticality", "__name__"),
    "chains": ("crmsec.chains", "__name__"),
    "crma": ("crmsec.crma", "__name__"),
    "scenarios": ("crmsec.scenarios", "__name__"),
    "optimize": ("crmsec.optimize", "__name__"),
    "projects": ("crmsec.projects", "__name__"),
}


class EngineUnavailable(LookupError):
    """The engine (or the function the web face needs from it) is not part of this build."""

    def __init__(self, engine: str, detail: str = "") -> None:
        self.engine = engine
        msg = f"the {engine} engine is not available in this build"
        super().__init__(msg + (f" ({detail})" if detail else ""))


def _import(module: str, engine: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise EngineUnavailable(engine, str(err)) from err


def status() -> list[dict[str, Any]]:
    out = []
    for name, (module, attr) in ENGINES.items():
        try:
            mod = _import(module, name)
            ok = hasattr(mod, attr)
            out.append({"name": name, "available": ok, "detail": None if ok else f"{module}.{attr} missing"})
        except EngineUnavailable as err:
            out.append({"name": name, "available": False, "detail": str(err)})
    return out


def geopolrisk_trend(con: Any, material_id: str, country: str = "NLD") -> list[dict[str, Any]] | None:
    """GeoPolRisk score of ``country``'s imports of ``material_id`` by year, or None when not in this build."""
    return None
