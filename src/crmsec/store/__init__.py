"""Vintage store: one DuckDB file per data vintage with tidy long tables (build, open, describe)."""

from crmsec.store.build import DEFAULT_STORE, build_store, open_store, store_status

__all__ = ["DEFAULT_STORE", "build_store", "open_store", "store_status"]
