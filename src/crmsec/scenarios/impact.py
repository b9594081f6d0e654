"""Scenario results downstream of the shortfall: sector impact (upper bound and central case) and the optimiser's
scenario set (pure core; split from :mod:`crmsec.scenarios.engine`).

References
----------
[1] methods.md §5.2 "Shortfall propagation model" (Eq. 4 sector impact). Central case: :mod:`crmsec.scenarios.cases`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd

from crmsec.scenarios.cases import CENTRAL_STOCK_DAYS, central_shortfall_days
from crmsec.scenarios.engine import SupplyInputs, exposure_params
from crmsec.scenarios.spec import Scenario


def sector_impact(materials: pd.DataFrame, inputs: SupplyInputs) -> pd.DataFrame:
    """VA at risk per region × NACE sector: the upper bound and the central case side by side (``cases``).

    ``va_at_risk_upper_bound_meur`` = VA_k · φ_k · max_m(s0_m · effdays_m)/365 (Eq. 4 in [1], φ = 1: no
    substitution, stocks or priority — the whole sector stops while its binding input is short);
    ``va_at_risk_central_meur`` = VA_k · dep_k · SI_EI_m · max_m(max(0, s0_m · effdays_m − S_c,m))/365, dep_k from
    the dependency assumption table (``dependency_basis`` names the row), S_c,m the central stock draw-down.
    ``va_at_risk_meur`` repeats the upper bound (kept for existing readers; ``bound`` says so).
    """
    cols = ["scenario_id", "region", "nace", "binding_material", "shortfall_share", "va_meur", "phi",
            "va_at_risk_meur", "va_at_risk_upper_bound_meur", "va_at_risk_central_meur", "dependency",
            "dependency_basis", "substitution_si_ei", "attribution", "va_basis", "bound", "reason"]
    if materials.empty:
        return pd.DataFrame(columns=cols)
    su = inputs.sector_use
    m = materials.assign(sdays=materials["shortfall_share"] * materials["effective_days"])
    s0c = m["shortfall_share_central"] if "shortfall_share_central" in m else m["shortfall_share"]
    si_m = m["material_id"].map(inputs.substitution).astype(float).fillna(1.0)
    cstock = m["central_stock_days"] if "central_stock_days" in m else CENTRAL_STOCK_DAYS
    m = m.assign(cdays=central_shortfall_days(s0c, m["effective_days"], cstock) * si_m)  # SI_EI-weighted
    j = m.merge(su, on=["region", "material_id"], how="inner")
    if j.empty:
        return pd.DataFrame(columns=cols)
    rows = []
    for (sid, region, nace), g in j.groupby(["scenario_id", "region", "nace"], sort=True):
        k = int(np.nanargmax(g["sdays"].to_numpy())) if g["sdays"].notna().any() else 0
        top = g.iloc[k]
        mat = str(top["material_id"])
        phi = float(exposure_params(inputs, mat).get("phi", 1.0) or 1.0)
        si = float(inputs.substitution.get(mat, 1.0))
        dep = float(g["dependency"].max()) if "dependency" in g else 1.0
        dbasis = (str(g.loc[g["dependency"].idxmax(), "dependency_basis"])
                  if "dependency_basis" in g and g["dependency"].notna().any() else "")
        va = float(g["va_meur"].iloc[0])
        reason = "" if np.isfinite(va) else f"no_sector_va: no value added for {region} {nace}"
        if not np.isfinite(float(top["sdays"])):
            reason = "; ".join(x for x in (reason, "shortfall unknown: value added at risk unknown") if x)
        cmax = float(np.nanmax(g["cdays"].to_numpy())) if g["cdays"].notna().any() else math.nan
        upper = va * phi * float(top["sdays"]) / 365.0  # Eq. 4 in [1]
        rows.append({
            "scenario_id": sid, "region": region, "nace": nace, "binding_material": mat,
            "shortfall_share": float(top["shortfall_share"]), "va_meur": va, "phi": phi,
            "va_at_risk_meur": upper, "va_at_risk_upper_bound_meur": upper,
            "va_at_risk_central_meur": va * dep * cmax / 365.0, "dependency": dep,
            "dependency_basis": dbasis, "substitution_si_ei": si,
            "attribution": str(g["attribution"].iloc[0]) if "attribution" in g else "eu_ei",
            "va_basis": str(g["va_basis"].iloc[0]) if "va_basis" in g else "",
            "bound": "upper" if phi >= 1.0 else "central",
            "reason": reason,
        })
    return pd.DataFrame(rows, columns=cols)


def scenario_set_frame(scenarios: Iterable[Scenario], materials: pd.DataFrame, region: str = "NLD") -> pd.DataFrame:
    """Tidy frame for the stockpile optimiser: scenario_id, probability, material_id, shortfall_t, duration_days.

    ``shortfall_t`` is the volume short over the whole disruption (after rerouting) in the unit of the
    region's consumption; rows with unknown consumption keep NaN (the optimiser must skip them).
    """
    prob = {s.id: s.probability for s in scenarios}
    sel = materials[materials["region"] == region] if not materials.empty else materials
    out = pd.DataFrame({
        "scenario_id": sel.get("scenario_id", pd.Series(dtype=str)),
        "probability": sel.get("scenario_id", pd.Series(dtype=str)).map(prob),
        "material_id": sel.get("material_id", pd.Series(dtype=str)),
        "shortfall_t": sel.get("shortfall_t", pd.Series(dtype=float)),
        "duration_days": sel.get("duration_days", pd.Series(dtype=float)),
    })
    return out.reset_index(drop=True)


def exclusive_probabilities(probabilities: dict[str, float]) -> dict[str, float]:
    """Independent annual event probabilities → mutually exclusive 'only this event this year' probabilities.

    P_excl(s) = π_s · Π_{j ≠ s} (1 − π_j); Σ_s P_excl ≤ 1, the remainder is 'no event or several events'
    (the stockpile optimiser needs mutually exclusive scenarios; years with two events are not in its set).
    """
    keys = list(probabilities)
    p = np.array([float(probabilities[k]) for k in keys])
    if p.size == 0:
        return {}
    q = np.clip(1.0 - p, 0.0, 1.0)
    out = {}
    for i, k in enumerate(keys):
        others = np.prod(np.delete(q, i))
        out[k] = float(p[i] * others)
    return out


def scenario_set_all(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate per-scenario scenario sets with mutually exclusive probabilities (:func:`exclusive_probabilities`)."""
    if not frames:
        return pd.DataFrame(columns=["scenario_id", "probability", "material_id", "shortfall_t", "duration_days"])
    f = pd.concat(frames, ignore_index=True)
    first = f.drop_duplicates("scenario_id").set_index("scenario_id")["probability"]
    excl = exclusive_probabilities(first.to_dict())
    return f.assign(probability=f["scenario_id"].map(excl))
