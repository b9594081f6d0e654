"""Two builds of one store at once (issue 16): serialised by a lock, unique temp files, readers never fail."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from crmsec.errors import StoreError
from crmsec.store import build as B


@pytest.fixture()
def tiny_build(monkeypatch):
    """build_store with tiny tables and a slow loader, so two builds overlap."""
    calls = []

    def collect(progress=None):
        calls.append(time.monotonic())
        time.sleep(0.3)
        return {"production": pd.DataFrame({"x": range(1000)})}, [{"source": "test", "rows": 1000}]

    monkeypatch.setattr(B, "collect_tables", collect)
    monkeypatch.setattr(B, "_derived_tables", lambda tables: {})
    monkeypatch.setattr(B, "_registry_tables", lambda: {})
    monkeypatch.setattr(B, "_manifest", lambda: pd.DataFrame({"file": ["t"], "sha256": ["0"]}))
    return calls


def test_concurrent_builds_are_serialised_and_readers_never_fail(tmp_path: Path, tiny_build):
    target = tmp_path / "store.duckdb"
    B.build_store(target)
    errors: list[BaseException] = []
    done = threading.Event()

    def build():
        try:
            B.build_store(target)
        except BaseException as err:  # noqa: BLE001 - collected and asserted below
            errors.append(err)

    def read():
        while not done.is_set():
            try:
                con = B.open_store(target)
                assert con.execute("select count(*) from production").fetchone()[0] == 1000
                con.close()
            except BaseException as err:  # noqa: BLE001
                errors.append(err)

    reader = threading.Thread(target=read)
    reader.start()
    builders = [threading.Thread(target=build) for _ in range(2)]
    for t in builders:
        t.start()
    for t in builders:
        t.join()
    done.set()
    reader.join()
    assert errors == []
    starts = tiny_build[1:]
    assert len(starts) == 2 and abs(starts[1] - starts[0]) >= 0.3  # the second build waited for the first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store.duckdb", "store.duckdb.lock"]  # no temp left


def test_a_build_that_cannot_get_the_lock_gives_up_with_a_clear_error(tmp_path: Path):
    target = tmp_path / "store.duckdb"
    with B.build_lock(target):
        with pytest.raises(StoreError, match="still running"):
            with B.build_lock(target, wait_s=0.3, poll_s=0.05):
                pass


def test_stale_temp_files_of_a_killed_build_are_removed(tmp_path: Path, tiny_build):
    target = tmp_path / "store.duckdb"
    (tmp_path / "store.duckdb.1234-abcd.tmp").write_bytes(b"half")
    B.build_store(target)
    assert not list(tmp_path.glob("*.tmp"))
