"""Benchmarks of crmsec.criticality (prints the figures; not a timed test).

1. GeoPolRisk for every country × material × year in the store, as ONE CLI call (whole process: Python
   start, store read, both computation and writing a Parquet file) — target < 5 s.
2. Monte Carlo uncertainty, 100,000 draws over all materials (model built) — target < 10 s on 2 cores.
3. Full deterministic assessment (EU 2023 SR/EI recomputation + NL list + GeoPolRisk all countries/years,
   both modes) after the store is built: store read + compute — target < 2 s.

Run: ``.venv/bin/python benchmarks/bench_criticality.py`` (needs ``crmsec data build`` first).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _best(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    from crmsec.criticality import pipeline as P
    from crmsec.criticality import uncertainty as U
    from crmsec.store import open_store

    print(f"load average before: {os.getloadavg()}")
    crmsec = Path(sys.executable).with_name("crmsec")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "gpr.parquet"
        cmd = [str(crmsec), "assess", "--scope", "world", "--method", "geopolrisk", "--format", "csv",
               "--output", str(out)]
        walls = []
        for _ in range(3):
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True)
            walls.append(time.perf_counter() - t0)
        import pandas as pd

        g = pd.read_parquet(out)
        print(f"[1] GeoPolRisk CLI, {g['country'].nunique()} units × {g['material_id'].nunique()} materials × "
              f"{g['year'].nunique()} years = {len(g):,} rows: whole process {min(walls):.2f} s (best of 3; "
              f"runs {', '.join(f'{w:.2f}' for w in walls)})")

    con = open_store()
    t0 = time.perf_counter()
    data = P.load_data(con)
    t_load = time.perf_counter() - t0
    t_gc = _best(lambda: P.geopolrisk_table(data, "corrected"))
    t_gp = _best(lambda: P.geopolrisk_table(data, "compatible"))
    print(f"    in-process compute: corrected {t_gc:.2f} s, compatible {t_gp:.2f} s; store read {t_load:.2f} s")

    model = P.uncertainty_model(data, 2023)
    U.monte_carlo(model, 5_000, seed=0)  # warm-up
    t0 = time.perf_counter()
    mc = U.monte_carlo(model, 100_000, seed=0)
    t_mc = time.perf_counter() - t0
    print(f"[2] Monte Carlo 100,000 draws × {len(model.materials)} materials: {t_mc:.2f} s "
          f"(materials with 0 < p_critical < 1: {int(((mc['p_critical'] > 0) & (mc['p_critical'] < 1)).sum())})")
    t0 = time.perf_counter()
    U.sobol_drivers(model, scope="eu")
    print(f"    Sobol drivers (SALib, N=256, 6 inputs) all materials: {time.perf_counter() - t0:.2f} s")

    def full() -> None:
        d = P.load_data(con)
        P.eu_assessment(d, 2023)
        P.national_list(d, 2023)
        P.geopolrisk_table(d, "corrected")
        P.geopolrisk_table(d, "compatible")

    def compute_only() -> None:
        P.eu_assessment(data, 2023)
        P.national_list(data, 2023)
        P.geopolrisk_table(data, "corrected")
        P.geopolrisk_table(data, "compatible")

    t_full = _best(full)
    t_comp = _best(compute_only)
    print(f"[3] full deterministic assessment (EU 2023 + NL list + GeoPolRisk both modes, all units/years): "
          f"{t_full:.2f} s with store read, {t_comp:.2f} s compute only (best of 3)")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
