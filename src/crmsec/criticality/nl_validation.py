"""Validation of the NL trade view against CBS (2025): China is NL's largest supplier of 8 critical materials.

CBS (2025, via ANP 2025-09-29; ``data/raw/cbs_critical_materials_facts``): "Nederland importeert 8 kritieke
materialen (bariet, bismut, kobalt, magnesium, mangaan, strontium, tantaal en vloeispaat) het meest uit
China" (2024, cross-border trade). :func:`cbs_validation` compares the top origin of the default NL view
(processed forms, HK/MO → China, EU hubs looked through, 3-year window ending 2024) with that statement and
gives the form used and, for each disagreement, its cause (``criticality/data/cbs_validation_causes.csv``).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd

from crmsec.sources.cbs_facts import CHINA_TOP_SUPPLIER_2024


def cbs_validation(data, year: int = 2024, **opts: object) -> pd.DataFrame:
    """One row per CBS material: ``cbs_top_origin`` (CHN), ``nl_top_origin``, ``nl_top_share``, ``agrees``,
    ``covered`` (an NL view exists), ``form`` (stage, source, codes), ``nl_window`` (the years actually averaged),
    ``nl_imports_meur`` (NL imports of the chosen form, M EUR/yr, mean over the window) and ``cause``.

    CBS's statement is about one year (2024); the list view averages a window (default 3 years). The columns
    ``nl_top_origin_ref_year`` / ``nl_top_share_ref_year`` / ``agrees_ref_year`` give the same view restricted
    to CBS's reference year (window 1), so a period effect is visible instead of asserted in the cause text.
    """
    from crmsec.criticality import nl_inputs as NI

    o = NI._opts_from_kwargs(opts)
    inputs, _ = NI.nl_inputs_and_mix(data, year, o)
    f = inputs.set_index("material_id")
    one = f if o.window == 1 else NI.nl_inputs_and_mix(
        data, year, NI._opts_from_kwargs({**opts, "window": 1}))[0].set_index("material_id")
    path = Path(str(resources.files("crmsec.criticality").joinpath("data/cbs_validation_causes.csv")))
    causes = pd.read_csv(path, keep_default_na=False).set_index("material_id")["cause"]
    window = f"{year - o.window + 1}-{year}" if o.window > 1 else str(year)
    rows = []
    for m in CHINA_TOP_SUPPLIER_2024:
        r, r1 = f.loc[m], one.loc[m]
        top = r["top_origin"] if isinstance(r["top_origin"], str) else ""
        top1 = r1["top_origin"] if isinstance(r1["top_origin"], str) else ""
        covered = bool(top)
        agrees = top == "CHN"
        rows.append({"material_id": m, "material": r["material"], "cbs_top_origin": "CHN", "cbs_year": 2024,
                     "nl_top_origin": top or "n/a", "nl_top_share": r["top_origin_share"], "agrees": agrees,
                     "covered": covered,
                     "form": f"{r['form_stage']} ({r['form_source']}: {r['form_codes']})" if covered else "",
                     "nl_window": window, "nl_imports_meur": r.get("imports_meur", float("nan")),
                     "nl_top_origin_ref_year": top1 or "n/a", "nl_top_share_ref_year": r1["top_origin_share"],
                     "agrees_ref_year": top1 == "CHN",
                     "cause": causes.get(m, "unexplained") if not agrees
                     else _fragile(year, top1, r1["top_origin_share"], r1.get("imports_meur", float("nan")))})
    return pd.DataFrame(rows)


def _fragile(year: int, top1: str, share1: float, imports1: float) -> str:
    """Cause text for an agreement that holds on the window but not in CBS's reference year alone."""
    if top1 in ("", "CHN"):
        return ""
    return (f"agrees on the window only: in {year} alone the top origin is {top1} ({100 * share1:.0f} %) "
            f"on NL imports of {imports1:.2f} M EUR — fragile")
