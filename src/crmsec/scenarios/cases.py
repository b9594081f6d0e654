"""Central case next to the upper bound, stock-out ranges, the price rule and sector attribution (pure core).

Every scenario result carries two labelled cases (issue 13, methods §5.2 Eq. 4 [1]):

* **upper bound** — φ = 1 (no substitution), no stocks, no priority allocation, the whole sector stops while its
  binding input is short: ``VA_ub = VA_k · max_m(s0_m · effdays_m) / 365`` (rerouting as modelled).
* **central estimate** — substitution at the EU CRM 2023 substitution index for economic importance (SI_EI, 0..1,
  1 = no substitute [2]), stock draw-down of ``central_stock_days`` of consumption before any loss
  (``data/exposure_params.csv``; default ``CENTRAL_STOCK_DAYS``; cobalt calibrated on the 2025 DRC suspension), only the
  share of sector output that depends on the material (``dependency``):
  ``VA_c = VA_k · dep_k · SI_EI_m · max_m(max(0, s0_m · effdays_m − S_c)) / 365``. ``dep_k`` comes from the
  assumption table ``data/sector_dependency.csv`` (one column per NACE division, one row per material, a ``*``
  row of defaults, every row with ``basis`` and ``source``), never from the material's end-use share: the EU EI
  end-use share A_s [4] is the share of the *material* going to sector k, not the share of *sector k's output*
  that needs the material (e.g. 40 % of Nd going to C20 does not make 40 % of chemicals output Nd-dependent).

Days to stock-out: NaN whenever the shortfall is NaN (unknown shortfall stays unknown); when user stocks are
unknown the result shows the range for working stocks of :data:`STOCK_LEVELS` days instead of a blank.

Price: ``dP/P = min(cap, max(0, s0 − b) / (|ε_d| + ε_s))`` with an inventory buffer b (share of annual supply
in visible stocks) and a cap, all from ``data/exposure_params.csv`` (assumption table, labelled [D]).

Sector attribution: the EU EI convention books NdFeB magnets under C25 (fabricated metal products); the sectors
that stop without them are C27–C29. ``data/sector_attribution.csv`` (application, EU-EI NACE → stopping NACE,
source) re-books them; ``attribution="eu_ei"`` keeps the EU convention.

References
----------
[1] methods.md §5.2 (Eq. 4 sector impact, φ). [2] European Commission (2023), Study on the critical raw
    materials for the EU 2023 — substitution indexes SI_EI. [3] Stock levels: 30/60/90 days is a design range
    [D] spanning typical working stocks of weeks to a quarter (Gulf smelters hold 3–4 weeks of alumina, Reuters
    5 Mar 2026; Japan's JOGMEC rare-metal stockpile target of 60 days of consumption).
[4] European Commission (2017), Methodology for establishing the EU list of critical raw materials — EI = Σ_s A_s ·
    Q_s (end-use share × sector VA); methods.md §1.
"""

from __future__ import annotations

import math
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

from crmsec.errors import DataError

STOCK_LEVELS = (30.0, 60.0, 90.0)
CENTRAL_STOCK_DAYS = 60.0
UPPER_LABEL = "upper bound (φ = 1: no substitution, stocks or priority)"
CENTRAL_LABEL = ("central estimate (SI_EI substitution, stock draw-down, sector dependency from an assumption "
                 "table: design assumptions, not measured)")


def central_shortfall_days(s0: np.ndarray | float, eff_days: np.ndarray | float,
                           stock_days: float = CENTRAL_STOCK_DAYS) -> np.ndarray:
    """Days of full consumption short after drawing down ``stock_days`` of stocks: max(0, s0·eff − S) [d]."""
    x = np.asarray(s0, float) * np.asarray(eff_days, float)
    return np.where(np.isnan(x), np.nan, np.maximum(0.0, x - stock_days))


def buffered_shortfall(s0: np.ndarray | float, buffer: float) -> np.ndarray:
    """World shortfall share left after visible inventories (``buffer``, share of annual supply) absorb the first
    part: max(0, s0 − buffer); an unknown buffer counts as none, an unknown shortfall stays NaN."""
    return np.maximum(0.0, np.asarray(s0, float) - (buffer if np.isfinite(buffer) else 0.0))


def price_response(s0: float, eps: float, buffer: float, cap: float) -> tuple[float, str]:
    """Short-run price change dP/P (module docstring) and a note saying when the cap binds."""
    if not (np.isfinite(s0) and np.isfinite(eps) and eps > 0):
        return math.nan, "no_price: elasticities or shortfall unknown"
    raw = float(buffered_shortfall(s0, buffer)) / eps
    if np.isfinite(cap) and raw > cap:
        return cap, f"capped at +{cap:.0%} (uncapped rule gives +{raw:.0%})"
    return raw, ""


@lru_cache(maxsize=1)
def sector_attribution() -> pd.DataFrame:
    """The application → stopping-sector table (assumption table with sources)."""
    path = resources.files("crmsec.scenarios") / "data" / "sector_attribution.csv"
    with resources.as_file(path) as p:
        return pd.read_csv(p, keep_default_na=False)


DEPENDENCY_FILE = "scenarios/data/sector_dependency.csv"


@lru_cache(maxsize=1)
def sector_dependency() -> pd.DataFrame:
    """The dependency assumption table, long: material_id, nace, dependency (0, 1], basis, source.

    Wide on disk (one column per NACE division); a blank cell means "use the ``*`` default row"."""
    path = resources.files("crmsec.scenarios") / "data" / "sector_dependency.csv"
    with resources.as_file(path) as p:
        wide = pd.read_csv(p, dtype={"material_id": str, "basis": str, "source": str})
    return dependency_long(wide)


def dependency_long(wide: pd.DataFrame) -> pd.DataFrame:
    """Validate the wide dependency table and melt it to long form (blank cells dropped)."""
    for col in ("material_id", "basis", "source"):
        if col not in wide:
            raise DataError(f"missing column {col!r}", file=DEPENDENCY_FILE, field=col)
    if "*" not in set(wide["material_id"]):
        raise DataError("no '*' default row", file=DEPENDENCY_FILE, field="material_id")
    secs = [c for c in wide.columns if c not in ("material_id", "basis", "source")]
    long = wide.melt(id_vars=["material_id", "basis", "source"], value_vars=secs, var_name="nace",
                     value_name="dependency").dropna(subset=["dependency"])
    bad = long[(long["dependency"] <= 0) | (long["dependency"] > 1)]
    if not bad.empty:
        r = bad.iloc[0]
        raise DataError("dependency must lie in (0, 1]", file=DEPENDENCY_FILE,
                        row=int(wide.index[wide["material_id"] == r["material_id"]][0]) + 2, field=str(r["nace"]),
                        value=r["dependency"])
    blank = wide[wide["basis"].fillna("").str.strip() == ""]
    if not blank.empty:
        raise DataError("every row needs a basis (sourced or design assumption)", file=DEPENDENCY_FILE,
                        row=int(blank.index[0]) + 2, field="basis")
    return long.reset_index(drop=True)


def dependency_shares(links: pd.DataFrame, table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Add ``dependency`` and ``dependency_basis`` to material × NACE links from the assumption table.

    Material row first, else the ``*`` default of the sector (labelled "design assumption (default)"); a sector
    missing from the table gets the mean default, labelled the same way. End-use shares play no part.
    """
    t = sector_dependency() if table is None else table
    own = t[t["material_id"] != "*"].set_index(["material_id", "nace"])
    dflt = t[t["material_id"] == "*"].set_index("nace")
    keys = list(zip(links["material_id"].astype(str), links["nace"].astype(str), strict=True))
    dep, basis = [], []
    fallback = float(dflt["dependency"].mean())
    for m, n in keys:
        if (m, n) in own.index:
            r = own.loc[(m, n)]
            dep.append(float(r["dependency"]))
            basis.append(f"{r['basis']}: {m} × {n}")
        else:
            dep.append(float(dflt["dependency"].get(n, fallback)))
            basis.append("design assumption (default)")
    return links.assign(dependency=dep, dependency_basis=basis)


def attribute_sectors(end_use: pd.DataFrame, attribution: str = "stop") -> pd.DataFrame:
    """Re-book end-use rows (material_id, application, nace, share, …) to the sectors that stop.

    ``attribution="eu_ei"`` returns the rows unchanged. Only the NACE booking changes here; the dependent
    share of a sector's output comes from :func:`dependency_shares`.
    """
    out = end_use.assign(attribution="eu_ei")
    if attribution == "eu_ei":
        return out
    if attribution != "stop":
        raise ValueError(f"attribution {attribution!r}: use 'stop' or 'eu_ei'")
    table = sector_attribution()
    app = out["application"].astype(str) if "application" in out else pd.Series("", index=out.index)
    keys = set(zip(table["application"], table["eu_ei_nace"], strict=True))
    hit = pd.Series([(a, n) in keys for a, n in zip(app, out["nace"].astype(str), strict=True)], index=out.index)
    moved = out[hit].merge(table[["application", "eu_ei_nace", "stop_nace"]],
                           left_on=["application", "nace"], right_on=["application", "eu_ei_nace"])
    moved = moved.assign(nace=moved["stop_nace"], attribution="stop").drop(columns=["stop_nace", "eu_ei_nace"])
    return pd.concat([out[~hit], moved[out.columns]], ignore_index=True)
