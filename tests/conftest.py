"""Shared fixtures. The store is built once per test session from the vendored data into a tmp dir."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

REPO = Path(__file__).resolve().parents[1]

# Property tests must not fail because a shared 2-core CI machine is slow: no per-example deadline, and
# reproducible examples (derandomize) so a CI run equals a local run.
settings.register_profile("crmsec", deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "crmsec"))


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


@pytest.fixture(scope="session", autouse=True)
def _patient_dask():
    """Dask LocalCluster tests run on a shared 2-core CI machine: generous comm timeouts and retries, so a slow
    heartbeat is not taken for a lost worker (results are compared bit for bit, so retries cannot hide an error)."""
    import dask

    with dask.config.set({"distributed.comm.timeouts.connect": "120s", "distributed.comm.timeouts.tcp": "300s",
                          "distributed.scheduler.allowed-failures": 10,
                          "distributed.scheduler.worker-ttl": None,
                          "distributed.worker.memory.pause": False, "distributed.worker.memory.terminate": False}):
        yield
