"""Benchmark of the source loaders owned by the material-registry work: USGS, WMD, EU CRM, IEA, CRMA.

Run: ``.venv/bin/python benchmarks/bench_sources.py [--repeat N]``. Prints the wall time of each module's
``load_tables()`` (median of N runs, registry cache warm after the first run) and the rows per table, plus the
cold registry load. Not a timed test; the whole store build must stay < 60 s on 2 cores.
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    reg = importlib.import_module("crmsec.registry.materials")
    reg._registry.cache_clear()
    t0 = time.perf_counter()
    m = reg.materials()
    print(f"registry (cold, validated): {time.perf_counter() - t0:.3f} s — {len(m)} materials, "
          f"{len(reg.aliases())} aliases, {len(reg.ignored())} ignored names, {len(reg.content_factors())} factors")
    total = 0.0
    for name in ("usgs", "wmd", "eu_crm", "iea", "crma"):
        mod = importlib.import_module(f"crmsec.sources.{name}")
        times = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            tables = mod.load_tables()
            times.append(time.perf_counter() - t)
        med = statistics.median(times)
        total += med
        rows = ", ".join(f"{k} {len(v):,}" for k, v in tables.items())
        print(f"{name:7s} load_tables: median {med:.2f} s (min {min(times):.2f}) — {rows}")
    print(f"total (medians): {total:.2f} s")


if __name__ == "__main__":
    main()
