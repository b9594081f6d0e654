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
    ``covered`` (an NL view exists), ``form`` (stage, source, codes) and ``cause``."""
    from crmsec.criticality import nl_inputs as NI

    inputs, _ = NI.nl_inputs_and_mix(data, year, NI._opts_from_kwargs(opts))
    f = inputs.set_index("material_id")
    path = Path(str(resources.files("crmsec.criticality").joinpath("data/cbs_validation_causes.csv")))
    causes = pd.read_csv(path, keep_default_na=False).set_index("material_id")["cause"]
    rows = []
    for m in CHINA_TOP_SUPPLIER_2024:
        r = f.loc[m]
        top = r["top_origin"] if isinstance(r["top_origin"], str) else ""
        covered = bool(top)
        agrees = top == "CHN"
        rows.append({"material_id": m, "material": r["material"], "cbs_top_origin": "CHN", "cbs_year": 2024,
                     "nl_top_origin": top or "n/a", "nl_top_share": r["top_origin_share"], "agrees": agrees,
                     "covered": covered,
                     "form": f"{r['form_stage']} ({r['form_source']}: {r['form_codes']})" if covered else "",
                     "nl_window": f"{year - 2}-{year}", "cause": "" if agrees else causes.get(m, "unexplained")})
    return pd.DataFrame(rows)
