"""Benchmark of the project appraisal (issue 7): 10,000 paths × 30 years × 5 instrument packages.

Prints wall-clock figures (best of N repeats) for:
* the full appraisal (price simulation with FX and by-product, baseline + 5 packages, all metrics incl.
  vectorised IRR, DSCR/default waterfall, payback, fan-chart percentiles);
* the same without fan-chart percentiles;
* a 1,000,000-path one-year price floor (Black–Scholes check) for scale;
* a portfolio MIP over 60 projects × 6 packages and a 10-point efficient frontier.

Run: .venv/bin/python benchmarks/bench_projects.py
"""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd

from crmsec.projects import appraise, load_case, package
from crmsec.projects.data import EXAMPLE_CASE
from crmsec.projects.portfolio import OPTION_COLUMNS, efficient_frontier, optimise_portfolio


def best_of(fn, repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    case = load_case(EXAMPLE_CASE)
    assert case.n_years == 30
    packages = [
        package("grant", "grant:amount=6e7"),
        package("guarantee", "guarantee:share=0.8,spread=0.01,fee=0.005,debt_share=0.7"),
        package("floor", "floor:strike=14000"),
        package("cfd+first_loss", "cfd:strike=15000,years=10", "first_loss:amount=5e7"),
        package("offtake+equity", "offtake:share=0.3,price=15000", "equity:share=0.2"),
    ]
    appraise(case, packages, n_paths=2_000)  # warm-up
    t_full = best_of(lambda: appraise(case, packages, n_paths=10_000))
    t_nofan = best_of(lambda: appraise(case, packages, n_paths=10_000, with_fan=False))
    print(f"appraisal 10,000 paths x 30 years x (baseline + 5 packages), with fan chart: {t_full:.3f} s")
    print(f"appraisal 10,000 paths x 30 years x (baseline + 5 packages), summary only:  {t_nofan:.3f} s")

    one = load_case({"name": "bs", "n_years": 1, "capex": [0, 0], "tax_rate": 0.0, "risk_free": math.exp(0.03) - 1,
                     "products": [{"name": "m", "quantity": [0, 1],
                                   "price": {"kind": "gbm", "p0": 20000, "sigma": 0.35}}]})
    res = {}

    def floor() -> None:
        res["r"] = appraise(one, [package("floor", "floor:strike=18000"), package("cfd", "cfd:strike=18000")],
                            n_paths=1_000_000, valuation="risk_neutral", with_fan=False)

    t_bs = best_of(floor, 2)
    s = res["r"].summary.set_index("package")
    print(f"price floor, 1,000,000 paths: {t_bs:.3f} s; put {s.loc['floor', 'delta_investor_value']:.2f} EUR/t "
          f"(Black-Scholes 1,526.47); CfD {s.loc['cfd', 'delta_investor_value']:.2f} EUR/t (-2,531.98)")

    rng = np.random.default_rng(0)
    rows = []
    for i in range(60):
        base = rng.uniform(100, 5000)
        rows.append((f"P{i:02d}", "none", 0.0, 0.0, base * rng.uniform(0.2, 0.8)))
        for k in range(5):
            cost = rng.uniform(-2e7, 2e8)
            rows.append((f"P{i:02d}", f"pkg{k}", cost, abs(cost) * rng.uniform(1.2, 3), base * rng.uniform(0.5, 1.0)))
    opt = pd.DataFrame(rows, columns=list(OPTION_COLUMNS))
    t_mip = best_of(lambda: optimise_portfolio(opt, 1e9, risk_limit=4e9), 3)
    t_front = best_of(lambda: efficient_frontier(opt, np.linspace(0, 3e9, 10), risk_limit=6e9), 1)
    print(f"portfolio MIP, 60 projects x 6 options: {t_mip:.3f} s; efficient frontier (10 budgets): {t_front:.3f} s")


if __name__ == "__main__":
    main()
