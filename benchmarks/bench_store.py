"""Benchmark: `crmsec data build` on the vendored data (target < 60 s on 2 cores).

Run: .venv/bin/python benchmarks/bench_store.py
"""

import tempfile
import time
from pathlib import Path

from crmsec.store import build_store


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.duckdb"
        t0 = time.perf_counter()
        summary = build_store(path)
        wall = time.perf_counter() - t0
        size = path.stat().st_size / 1e6
    rows = sum(summary["tables"].values())
    print(f"store build: {wall:.1f} s wall, {rows:,} rows in {len(summary['tables'])} tables, {size:.0f} MB")
    for table, n in sorted(summary["tables"].items()):
        print(f"  {table:<20} {n:>10,}")


if __name__ == "__main__":
    main()
