"""The tracker against the EC/JRC 2022 reference status (``data/jrc_2022_status.csv``, see data/README.md).

:func:`compare_reference` places every named material × benchmark of the reference table against the tracker
value: ``in_band`` True/False (NaN when the tracker has no figure) and, for each disagreement, its ``cause``:
a documented cause from :data:`KNOWN_CAUSES` where the difference is understood, else the generic reason
(different reference years, data basis). A value shown as "< 1 %" (below the listing threshold) counts as
lying in [0, 0.01].
"""

from __future__ import annotations

import math
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

# Understood disagreements between the tracker (EU CRM 2023 study, 2016–2020 averages) and the EC/JRC 2022 status.
KNOWN_CAUSES = {
    ("hree", "recycling"): "EU CRM 2023 EoL-RIR of HREE is 1 %; the JRC 2022 status band (5–22 %) rests on a "
                           "recycling-capacity basis, not on EoL-RIR (this tracker's proxy)",
    ("lree", "recycling"): "EU CRM 2023 EoL-RIR of LREE is 1 %; the JRC 2022 band (5–22 %) rests on a "
                           "recycling-capacity basis, not on EoL-RIR (this tracker's proxy)",
    ("titanium_metal", "recycling"): "EU CRM 2023 EoL-RIR of titanium metal is 1 %; the JRC 2022 band (5–22 %) "
                                     "refers to titanium incl. new scrap recycling, which EoL-RIR omits",
}


@lru_cache(maxsize=1)
def reference_bands() -> pd.DataFrame:
    """The committed EC/JRC 2022 status table: material_id, benchmark, band_low, band_high, band_label."""
    path = resources.files("crmsec.crma") / "data" / "jrc_2022_status.csv"
    with resources.as_file(path) as p:
        return pd.read_csv(p)


def compare_reference(table: pd.DataFrame, bands: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per reference entry: tracker value/display, band, in_band, cause (empty when in band)."""
    ref = reference_bands() if bands is None else bands
    t = table.set_index(["material_id", "benchmark"])
    rows = []
    for r in ref.itertuples(index=False):
        key = (r.material_id, r.benchmark)
        if key not in t.index:
            rows.append({**r._asdict(), "value": math.nan, "display": "", "in_band": math.nan,
                         "cause": "material not in the tracker"})
            continue
        row = t.loc[key]
        value = float(row["value"])
        display = str(row.get("display", ""))
        probe = value if np.isfinite(value) else (0.005 if display == "< 1 %" else math.nan)
        if not np.isfinite(probe):
            rows.append({**r._asdict(), "value": value, "display": display, "in_band": math.nan,
                         "cause": f"tracker has no figure: {row['reason']}"})
            continue
        inside = bool(r.band_low - 1e-9 <= probe <= r.band_high + 1e-9)
        cause = "" if inside else KNOWN_CAUSES.get(key, (
            f"tracker {display} ({row['data']}) vs JRC 2022 {r.band_label}: different reference period "
            f"({row['reference_period']} vs 2022) and basis"))
        rows.append({**r._asdict(), "value": value, "display": display, "in_band": inside, "cause": cause})
    return pd.DataFrame(rows)


def cap_breach_share(table: pd.DataFrame) -> tuple[int, int]:
    """(Annex-level entries breaching the 65 % cap, Annex-level entries with a figure)."""
    d = table[(table["benchmark"] == "diversification") & (table.get("level", "annex") == "annex")]
    d = d[d["value"].notna()]
    return int((d["meets"] == 0).sum()), int(len(d))
