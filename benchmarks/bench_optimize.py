"""Benchmark of crmsec.optimize: allocation LP and stockpile LP build + solve times.

Run: ``.venv/bin/python benchmarks/bench_optimize.py [--quick]``. Prints the figures (not a timed test).

* Allocation: 100 sectors x 34 materials x 52 weeks (176,800 sector-material-weeks; every cell has demand),
  each rule; target < 10 s build + solve on 2 cores.
* Stockpile: 1,000 scenarios x 17 materials two-stage LP (plus CVaR), and a 3-member pooled vs national run.
Inputs are random synthetic instances (seeded), not data.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from crmsec.optimize import AllocationProblem, allocate, pool_stockpile, size_stockpile


def allocation_instance(K: int = 100, M: int = 34, T: int = 52, seed: int = 1) -> AllocationProblem:
    rng = np.random.default_rng(seed)
    demand = rng.uniform(1, 100, (K, M, T))
    essential = demand * rng.uniform(0, 0.6, (K, M, T))
    tier_rank = rng.integers(1, 4, K).astype(float)
    we = np.select([tier_rank == 1, tier_rank == 2], [1000.0, 500.0], 200.0) * rng.uniform(0.8, 1.2, K)
    wn = np.select([tier_rank == 1, tier_rank == 2], [50.0, 30.0], 10.0) * rng.uniform(0.8, 1.2, K)
    avail = demand.sum(axis=0) * rng.uniform(0.4, 1.1, (M, T))
    stock = demand.sum(axis=(0, 2)) * rng.uniform(0.02, 0.1, M)
    return AllocationProblem(
        sectors=tuple(f"k{i}" for i in range(K)),
        materials=tuple(f"m{i}" for i in range(M)),
        periods=tuple(f"w{i + 1}" for i in range(T)),
        tiers=tuple(f"T{int(r)}" for r in tier_rank),
        tier_rank=tier_rank,
        demand=demand,
        essential=essential,
        weight_essential=we,
        weight_nonessential=wn,
        availability=avail,
        stock=stock,
        release_limit=stock / 8,
        reserve_floor=stock * 0.1,
        va_meur_per_period=rng.uniform(1, 50, K),
    )


def stockpile_instance(S: int = 1000, M: int = 17, seed: int = 2, countries: tuple[str, ...] = ("",)):
    rng = np.random.default_rng(seed)
    mats = pd.DataFrame(
        {
            "material_id": [f"m{i}" for i in range(M)],
            "price_eur_per_t": rng.uniform(5e3, 2e6, M),
            "carrying_rate": 0.08,
            "consumption_t_per_yr": rng.uniform(10, 5000, M),
        }
    )
    mats["voll_eur_per_t"] = mats["price_eur_per_t"] * rng.uniform(3, 20, M)
    prob = rng.dirichlet(np.ones(S)) * 0.3
    rows, members = [], []
    dur = rng.choice([30, 60, 90, 180], S)
    for c in countries:
        hit = rng.random((S, M)) < 0.3
        depth = rng.uniform(0.1, 0.9, (S, M))
        s_idx, m_idx = np.nonzero(hit)
        scale = 1.0 if not c else rng.uniform(0.2, 1.0)
        cons = mats["consumption_t_per_yr"].to_numpy()[m_idx] * scale
        members.append(
            pd.DataFrame(
                {
                    "country": c,
                    "material_id": mats["material_id"],
                    "consumption_t_per_yr": mats["consumption_t_per_yr"] * scale,
                }
            )
        )
        rows.append(
            pd.DataFrame(
                {
                    "scenario_id": [f"s{i}" for i in s_idx],
                    "probability": prob[s_idx],
                    "material_id": [f"m{j}" for j in m_idx],
                    "shortfall_t": depth[s_idx, m_idx] * cons * dur[s_idx] / 365,
                    "duration_days": dur[s_idx],
                    **({"country": c} if c else {}),
                }
            )
        )
    return pd.concat(rows, ignore_index=True), mats, pd.concat(members, ignore_index=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="smaller instances")
    args = ap.parse_args()
    K, M, T = (30, 10, 12) if args.quick else (100, 34, 52)
    p = allocation_instance(K, M, T)
    print(f"allocation: {K} sectors x {M} materials x {T} weeks = {K * M * T:,} cells")
    for rule in ("weighted", "floors_prorata", "maxmin", "strict_tiers", "proportional_floor"):
        t0 = time.perf_counter()
        res = allocate(p, rule)
        total = time.perf_counter() - t0
        s = res.summary
        print(
            f"  {rule:18s} columns {s['n_variables']:>8,}  rows {s['n_constraints']:>7,}  "
            f"build {s['build_seconds']:6.2f} s  build+solve {total:6.2f} s  "
            f"unmet essential {sum(s['unmet_essential_t_by_material'].values()):,.0f} t"
        )
    mos = np.full(K, np.nan)
    mos[: K // 10] = 0.7
    rc = np.where(np.isnan(mos), 0.0, 5000.0)
    q = AllocationProblem(**{**p.__dict__, "min_operating_share": mos, "restart_cost": rc})
    t0 = time.perf_counter()
    res = allocate(q, "weighted")
    print(
        f"  weighted + MIP ({K // 10} sectors with a 70 % minimum operating level and restart cost): "
        f"columns {res.summary['n_variables']:,}, build+solve {time.perf_counter() - t0:.2f} s, "
        f"plant-weeks shut {res.sectors['periods_shut'].sum():.0f}"
    )
    S = 100 if args.quick else 1000
    scen, mats, _ = stockpile_instance(S, 17)
    for label, kw in (("risk-neutral", {}), ("CVaR 0.95 w=1", {"cvar_alpha": 0.95, "cvar_weight": 1.0})):
        t0 = time.perf_counter()
        res = size_stockpile(scen, mats, **kw)
        print(
            f"stockpile {S} scenarios x 17 materials ({len(scen):,} rows), {label}: columns "
            f"{res.summary['n_variables']:,}, build+solve {time.perf_counter() - t0:.2f} s, "
            f"expected cost {res.summary['expected_annual_cost_eur']:,.0f} EUR/yr"
        )
    scen, mats, members = stockpile_instance(S, 17, countries=("NLD", "DEU", "BEL"))
    t0 = time.perf_counter()
    res = pool_stockpile(scen, mats.drop(columns="consumption_t_per_yr"), members)
    print(
        f"pool 3 members x {S} scenarios x 17 materials: national + pooled build+solve "
        f"{time.perf_counter() - t0:.2f} s, saving {res.summary['saving_eur_yr']:,.0f} EUR/yr "
        f"({res.summary['saving_eur_yr'] / res.summary['national_cost_eur_yr']:.1%})"
    )


if __name__ == "__main__":
    main()
