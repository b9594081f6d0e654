"""Benchmark + headline figures of the circularity model (prints; not a timed test).

Run: .venv/bin/python benchmarks/bench_circularity.py
"""

from __future__ import annotations

import time

import numpy as np

from crmsec.circularity import run, secondary_supply
from crmsec.circularity.model import Lifetime, dynamic_stock


def main() -> None:
    for scen in ("baseline", "targets"):
        t0 = time.perf_counter()
        res = run(scen, 2050)
        dt = time.perf_counter() - t0
        s = secondary_supply(res).set_index(["material_id", "year"])
        print(f"[{scen}] full model 1995–2050 (3 products × 5 materials): {dt * 1000:.0f} ms; "
              f"max mass-balance residual {res.balance_residual:.1e}")
        for m in ("cobalt", "lithium", "nickel"):
            vals = ", ".join(f"{y}: {s.loc[(m, y), 'secondary_supply_t']:.0f} t" for y in (2030, 2035, 2050))
            print(f"    NL secondary {m:8s} {vals}")
    years = np.arange(1900, 2101)
    inflow = np.random.default_rng(0).uniform(0, 1, (len(years), 200))
    t0 = time.perf_counter()
    dynamic_stock(inflow, years, Lifetime("weibull", shape=1.5, scale=8.0))
    print(f"flodym inflow-driven DSM, 201 years × 200 series: {(time.perf_counter() - t0) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
