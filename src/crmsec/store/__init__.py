"""Vintage store: one DuckDB file per data vintage with tidy long tables (build, open, describe).

``open_store``/``store_path`` come from :mod:`crmsec.store.paths` (no pandas); ``build_store`` and
``store_status`` are imported on first use so that opening the store stays light.
"""

from crmsec.store.paths import DEFAULT_STORE, open_store, store_path

__all__ = ["DEFAULT_STORE", "build_store", "open_store", "store_path", "store_status"]


def __getattr__(name: str):  # PEP 562: the builder (pandas, every source loader) only when asked for
    if name in ("build_store", "store_status", "build"):
        import importlib

        build = importlib.import_module("crmsec.store.build")
        return build if name == "build" else getattr(build, name)
    raise AttributeError(f"module 'crmsec.store' has no attribute {name!r}")
