"""Company self-assessment timings: the ILLUSTRATIVE example and a synthetic 2,000-row purchases file.

Run: ``.venv/bin/python benchmarks/bench_company.py`` (needs the default store). Prints seconds per stage.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from crmsec.company import assess_company, build_context, read_purchases, validate_purchases
from crmsec.registry import materials
from crmsec.store import open_store

EXAMPLE = "src/crmsec/company/examples/example_company.csv"


def main() -> None:
    con = open_store()
    t0 = time.perf_counter()
    p = read_purchases(EXAMPLE)
    t1 = time.perf_counter()
    ctx = build_context(p, con)
    t2 = time.perf_counter()
    assess_company(p, ctx)
    t3 = time.perf_counter()
    print(f"example: read {t1 - t0:.2f} s, context (store, 8 scenarios) {t2 - t1:.2f} s, assess {t3 - t2:.3f} s")

    rng = np.random.default_rng(0)
    mids = materials()["material_id"].to_numpy()
    countries = np.array(["CHN", "JPN", "DEU", "USA", "BRA", "ZAF", "AUS", "CHL", "IDN", "COD"])
    n = 2000
    raw = pd.DataFrame({"material": rng.choice(mids, n), "quantity_t": rng.uniform(0.1, 100, n).round(2).astype(str),
                        "basis": "contained", "supplier_country": rng.choice(countries, n),
                        "product": [f"p{i % 50}" for i in range(n)], "revenue_meur": "",
                        "stock_days": rng.integers(0, 120, n).astype(str)})
    t0 = time.perf_counter()
    big = validate_purchases(raw, "synthetic.csv")
    t1 = time.perf_counter()
    ctx = build_context(big, con)
    t2 = time.perf_counter()
    res = assess_company(big, ctx)
    t3 = time.perf_counter()
    print(f"synthetic {n} rows / {big['material_id'].nunique()} materials: validate {t1 - t0:.2f} s, "
          f"context {t2 - t1:.2f} s, assess {t3 - t2:.2f} s ({len(res.scenarios)} material×scenario rows)")


if __name__ == "__main__":
    main()
