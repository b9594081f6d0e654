"""Benchmark of the club market (issue 14): 6 packages × 10,000 price paths × 20 years for NdPr oxide.

Prints wall-clock figures for:
* the whole process, wall and CPU time (a fresh interpreter: imports, case load, baseline + 6 packages with sequential entry on
  256 appraisal paths, 10,000-path market runs, all results) — the issue's target is < 5 s;
* in-process: the same run without interpreter start;
* the market kernel alone: 1,000,000 markets × 10 blocks per conduct.

Run: .venv/bin/python benchmarks/bench_club.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import numpy as np

PACKAGES = ["floor_110_mp", "floor_110_club", "standards_20", "subsidy_30", "offtake_90", "joint_purchasing"]
SCRIPT = ("from crmsec.club.spec import load_case; from crmsec.club.results import run_case; "
          f"run_case(load_case('ndpr_oxide'), {PACKAGES!r}, n_paths=10_000)")


def main() -> None:
    before = os.times()
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", SCRIPT], check=True)
    whole = time.perf_counter() - t
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    print(f"whole process, 6 packages × 10,000 paths × 20 years: wall {whole:.2f} s, CPU {cpu:.2f} s "
          f"(target < 5 s; wall time depends on machine load, load average {os.getloadavg()[0]:.1f})")

    from crmsec.club.market import solve_market
    from crmsec.club.results import run_case
    from crmsec.club.spec import load_case

    case = load_case("ndpr_oxide")
    t = time.perf_counter()
    res = run_case(case, PACKAGES, n_paths=10_000)
    print(f"in-process run: {time.perf_counter() - t:.2f} s "
          f"({len(res.summary)} packages incl. baseline, {res.case.n_years + 1} years)")

    rng = np.random.default_rng(0)
    n, k = 1_000_000, 10
    a = rng.uniform(50, 150, n)
    b = np.ones(n)
    cost = rng.uniform(0, 80, (n, k))
    cap = rng.uniform(0, 10, (n, k))
    for conduct in ("competitive", "cournot", "leader"):
        t = time.perf_counter()
        solve_market(a, b, cost, cap, np.full(n, 10.0), np.full(n, 60.0), conduct)
        print(f"kernel {conduct}: 1,000,000 markets × {k} blocks in {time.perf_counter() - t:.2f} s")


if __name__ == "__main__":
    main()
