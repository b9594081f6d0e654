"""Shared fixtures. The store is built once per test session from the vendored data into a tmp dir."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Path of a store built for this test session (reuses $CRMSEC_TEST_STORE if set, for local speed)."""
    env = os.environ.get("CRMSEC_TEST_STORE")
    if env and Path(env).exists():
        return Path(env)
    from crmsec.store import build_store

    path = tmp_path_factory.mktemp("store") / "test.duckdb"
    build_store(path)
    return path


@pytest.fixture(scope="session")
def store(store_path: Path):
    """Read-only DuckDB connection to the session store."""
    from crmsec.store import open_store

    con = open_store(store_path)
    yield con
    con.close()
