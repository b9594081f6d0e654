"""Where the store lives and how it is opened read-only — no pandas, so light CLI paths can use it."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_STORE = Path(__file__).resolve().parents[3] / "data" / "store" / "default.duckdb"


def store_path(vintage: str | None = None) -> Path:
    """Path of a vintage's store file (``default`` → ``data/store/default.duckdb``); ``$CRMSEC_STORE`` overrides."""
    env = os.environ.get("CRMSEC_STORE")
    if env and vintage is None:
        return Path(env)
    return DEFAULT_STORE.with_name(f"{vintage or 'default'}.duckdb")


def open_store(path: Path | str | None = None):  # -> duckdb.DuckDBPyConnection
    """Read-only connection to a store (default: ``data/store/default.duckdb`` or ``$CRMSEC_STORE``).

    The connection is a :class:`crmsec.provenance.TrackedConnection` (a thin delegate) that records the tables
    read, so every result written afterwards names its store vintage and sources.
    """
    import duckdb

    from crmsec.errors import StoreError
    from crmsec.provenance import track

    path = Path(path) if path else store_path()
    if not path.exists():
        raise StoreError(f"no data store at {path}; build it with `crmsec data build` (or `make data`)")
    con = track(duckdb.connect(str(path), read_only=True), path)  # records the tables each query reads
    # one thread: parallel float aggregation adds in a varying order, and results must be bit-reproducible
    # (DESIGN §1); the store is small enough that this costs nothing measurable (0.10 s vs 0.11–0.20 s per
    # NL trade aggregation on 2 cores)
    con.execute("SET threads = 1")
    return con
