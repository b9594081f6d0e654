"""Benchmark: ensemble of 1,000,000 draws over all built-in scenarios (target ≥ 1 M draws/min on 2 cores).

Usage: ``.venv/bin/python benchmarks/bench_scenarios.py [--draws N] [--dask]`` (needs the default store,
``crmsec data build``). Prints compile time, in-process throughput and, with ``--dask``, the throughput on a
local 2-worker Dask cluster and whether its statistics equal the in-process ones (same seed).
"""

from __future__ import annotations

import argparse
import time


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--draws", type=int, default=1_000_000)
    ap.add_argument("--chunk-size", type=int, default=100_000)
    ap.add_argument("--dask", action="store_true")
    args = ap.parse_args()

    from crmsec.scenarios.api import store_inputs
    from crmsec.scenarios.ensemble import compile_ensemble, run_ensemble
    from crmsec.scenarios.spec import builtin_scenarios

    scenarios = builtin_scenarios()
    t0 = time.perf_counter()
    inputs = store_inputs()
    t1 = time.perf_counter()
    model = compile_ensemble(scenarios, inputs)
    t2 = time.perf_counter()
    print(f"scenarios: {len(scenarios)}; blocks: {len(model.blocks)}; material columns: {len(model.mat_keys)}; "
          f"sector columns: {len(model.sec_keys)}")
    print(f"store inputs: {t1 - t0:.2f} s; compile: {t2 - t1:.2f} s")
    t3 = time.perf_counter()
    res = run_ensemble(scenarios, inputs, args.draws, seed=0, chunk_size=args.chunk_size, model=model)
    dt = time.perf_counter() - t3
    print(f"in-process: {args.draws:,} draws in {dt:.2f} s = {args.draws / dt * 60:,.0f} draws/min")
    top = res.stats[res.stats["metric"] == "va_lost"].sort_values("mean", ascending=False).head(5)
    print(top[["region", "key", "mean", "p95", "cvar95"]].to_string(index=False))
    if args.dask:
        from dask.distributed import Client, LocalCluster

        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cl, \
                Client(cl) as client:
            t4 = time.perf_counter()
            dres = run_ensemble(scenarios, inputs, args.draws, seed=0, chunk_size=args.chunk_size, model=model,
                                scheduler=client)
            dd = time.perf_counter() - t4
        print(f"dask LocalCluster (2 workers): {dd:.2f} s = {args.draws / dd * 60:,.0f} draws/min; "
              f"identical statistics: {res.stats.equals(dres.stats)}")


if __name__ == "__main__":
    main()
