"""CRMA 2030 benchmark tracker (Regulation (EU) 2024/1252, Art. 5(1)) — pure core.

For every strategic raw material m (Annex I; groups with their element detail) and stage st (methods §1.15 [1]):

    B_ext  = EU extraction output / EU consumption at the extraction stage        target ≥ 0.10  Art. 5(1)(a)(i)
    B_proc = EU processing output / EU consumption at the processing stage        target ≥ 0.40  Art. 5(1)(a)(ii)
    B_rec  = EU recycling capacity / EU consumption  (proxy: EoL-RIR, below)      target ≥ 0.25  Art. 5(1)(a)(iii)
    B_div  = max over ALL relevant stages st and third countries c of the share of c at st   ≤ 0.65  Art. 5(1)(b)

Stages and data (every figure carries ``data``, ``reference_period`` and ``quality_flag``):

* **EU output / EU consumption** (B_ext, B_proc): 1 − IR_st, the EU CRM 2023 study's import reliance at the
  stage (IR = (imports − exports) / (production + imports − exports), the benchmark's own ratio [2]); where the
  study gives no IR, Σ of EU members' shares in the EU sourcing mix (domestic production + imports, suppliers
  ≥ 1 % listed → a lower bound that ignores exports). Both are 2016–2020 averages. When both exist and differ by
  more than :data:`MISMATCH` the row is flagged ``ir_sourcing_mismatch`` with both numbers shown. Where the
  sourcing mix is complete (third countries ≥ 99 % of supply) and names no EU member, it overrides 1 − IR: the
  figure is "< 1 %" (flags ``ir_sourcing_mismatch``, ``below_listing_threshold``). This is the LREE extraction case:
  the study's IR of 80 % for LREE/Nd/Pr/Sm would give 20 % EU output although the EU sourcing mix at extraction is
  China 43 %, Japan 30 %, USA 16 %, Malaysia 6 %, India 5 % and the EU mined no rare earths in 2016–2020
  (EC/JRC 2022: < 2 %). Group entries without their own mix are checked against their members' mixes.
  No EU member listed and no IR → NaN, shown as "< 1 %" (below the study's listing threshold), never 0.
* **Single third country** (B_div), per stage, first available of: the EU sourcing mix (2016–2020); world
  production shares (store ``production``/IEA, latest year; labelled ``global_supply_fallback``); the EU CRM 2023
  global supply shares (2016–2020, same label); the chain assumption table for intermediate stages of the
  battery-grade and magnet entries (spherical graphite/anode, cathode, magnets: global capacity shares,
  labelled). For a group entry (HREE, LREE, magnet REEs, PGMs) without own data at a stage: its worst member.
  The stage with the largest share is named (``stage``, ``country``); every stage's share is in ``data``.
  **Group figure = max over elements**, not a production-weighted mean: the Annex lists the group as one entry and
  the cap is breached when the Union depends on one country for any element it needs (ruthenium cannot be replaced
  by platinum). The element that sets the figure is named in ``display`` and ``set_by`` ("max over elements:
  ruthenium" for PGMs: South Africa 94 % of ruthenium, EU CRM 2023 global supply 2016–2020, while platinum is
  South Africa ~70 % and palladium Russia ~41 %); the element rows below the group show each element's figure.
* **Recycling**: the end-of-life recycling input rate EoL-RIR (EU CRM 2023) — a proxy of the benchmark's
  recycling *capacity* that omits new scrap (flag ``eol_rir_proxy``).
* **NL contribution**: NL share of the EU sourcing mix at processing; NaN ("< 1 %") when NL is not listed.

References
----------
[1] methods.md §1.15. [2] European Commission (2023), Study on the critical raw materials for the EU 2023
    (factsheets: IR and EU sourcing, 2016–2020 averages; EoL-RIR).
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
EU_PERIOD = "2016-2020 avg (EU CRM 2023 study)"
MISMATCH = 0.15
LISTING_THRESHOLD = 0.01
# Strategic entries whose EU 2023 data sit under another registry id (documented proxy).
DATA_PROXY = {"graphite": "natural_graphite", "alumina": "aluminium", "bauxite": "aluminium"}
# Group entries (Annex I wording / EU 2023 study groups) → members whose data stand in where the group has none.
GROUPS = {
    "magnet_rees": ["neodymium", "praseodymium", "terbium", "dysprosium", "gadolinium", "samarium", "cerium"],
    "hree": ["dysprosium", "terbium", "gadolinium"],
    "lree": ["neodymium", "praseodymium", "samarium", "cerium"],
    "pgm": ["platinum", "palladium", "rhodium", "ruthenium", "iridium", "osmium"],
}
STAGES = ("extraction", "processing")


def crma_benchmarks(strategic: pd.DataFrame, eu_mix: pd.DataFrame, eol_rir: pd.Series,
                    eu27: set[str] | frozenset[str], *, supply: pd.DataFrame | None = None,
                    ir: pd.DataFrame | None = None) -> pd.DataFrame:
    """Four benchmark figures per strategic raw material (long frame, one row per material × benchmark).

    Parameters
    ----------
    strategic : material_id, material [, level, parent] — Annex I entries (and their element detail rows).
    eu_mix : material_id, stage, country, share [0..1] — EU sourcing mix (EU CRM 2023, 2016–2020).
    eol_rir : EoL-RIR per material_id [0..1].
    eu27 : ISO3 codes of the EU member states (never "third countries").
    supply : material_id, stage, country, share, basis, period — global supply shares for stages the EU mix
        lacks (world production, EU 2023 global shares, chain assumption rows for intermediate stages).
    ir : material_id, stage, ir [0..1] — import reliance per stage (EU CRM 2023).

    Returns
    -------
    Frame: material_id, material, level, parent, benchmark, stage, value, display, target, gap, meets, country,
    nl_contribution, eu_sourcing_sum, one_minus_ir, article, data, reference_period, quality_flag, reason.
    """
    supply = supply if supply is not None else pd.DataFrame(columns=["material_id", "stage", "country", "share",
                                                                     "basis", "period"])
    ir = ir if ir is not None else pd.DataFrame(columns=["material_id", "stage", "ir"])
    mix_by = {k: g for k, g in eu_mix.groupby(["material_id", "stage"])}
    sup_by = {k: g for k, g in supply.groupby(["material_id", "stage"])}
    ir_by = {(r.material_id, r.stage): float(r.ir) for r in ir.itertuples(index=False) if np.isfinite(r.ir)}
    rows = []
    for m in strategic.itertuples(index=False):
        mid, name = str(m.material_id), str(m.material)
        head = {"material_id": mid, "material": name, "level": getattr(m, "level", "annex"),
                "parent": getattr(m, "parent", "")}
        did = mid if any((mid, s) in mix_by for s in STAGES) else DATA_PROXY.get(mid, mid)
        proxy = f"; proxy: EU 2023 data of '{did}'" if did != mid else ""
        for bench in STAGES:
            rows.append({**head, **_eu_share(mid, did, bench, mix_by.get((did, bench)), ir_by, eu27, proxy, mix_by)})
        rows.append({**head, **_recycling(mid, did, eol_rir)})
        rows.append({**head, **_diversification(mid, did, mix_by, sup_by, eu27, proxy)})
    return pd.DataFrame(rows)


def _eu_share(mid: str, did: str, stage: str, sub: pd.DataFrame | None, ir_by: dict, eu27, proxy: str,
              mix_by: dict | None = None) -> dict:
    """B_ext / B_proc for one material (module docstring): 1 − IR, else Σ EU sourcing shares."""
    members = GROUPS.get(mid, [])
    mix_by = mix_by or {}
    one_ir = next((1.0 - ir_by[(x, stage)] for x in (mid, did) if (x, stage) in ir_by), math.nan)
    ir_src = "own" if (mid, stage) in ir_by else did
    if not np.isfinite(one_ir) and members:
        vals = [(1.0 - ir_by[(x, stage)], x) for x in members if (x, stage) in ir_by]
        if vals:
            one_ir, ir_src = min(vals)
            ir_src = f"weakest member {ir_src}"
    eu_sum, nl, listed, nl_display = math.nan, math.nan, "", "no data"
    member_note = ""
    if (sub is None or sub.empty) and members:  # group entry without own sourcing: its members' (element detail)
        subs = [(x, mix_by[(x, stage)]) for x in members if (x, stage) in mix_by]
        if subs:
            who, sub = max(subs, key=lambda t: float(t[1].loc[t[1]["country"].isin(eu27), "share"].sum()))
            member_note = f" (members' EU sourcing, largest EU share: {who})"
    third_cover = (float(sub.loc[~sub["country"].isin(eu27), "share"].sum())
                   if sub is not None and not sub.empty else math.nan)
    if sub is not None and not sub.empty:
        part = sub[sub["country"].isin(eu27)]
        eu_sum = float(part["share"].sum())
        nl_s = sub.loc[sub["country"] == "NLD", "share"]
        nl = float(nl_s.sum()) if not nl_s.empty else math.nan
        nl_display = _pct(nl) if np.isfinite(nl) else "< 1 %"
        listed = ", ".join(f"{c} {s:.0%}" for c, s in zip(part["country"], part["share"], strict=True))
    flags = ["output_not_capacity"]
    reason = ""
    if np.isfinite(one_ir) and eu_sum == 0.0 and third_cover >= 1.0 - LISTING_THRESHOLD and one_ir > MISMATCH:
        # the sourcing mix accounts for the whole supply and names no EU producer: 1 − IR (e.g. LREE extraction
        # 80 % IR → 20 %) cannot be EU output — the EU had no REE mine in 2016–2020; EC/JRC 2022: < 2 %
        value = math.nan
        data = (f"EU sourcing ({stage}){member_note}: third countries {third_cover:.0%} of supply, no EU member "
                f"≥ 1 %; 1 − IR at {stage} ({ir_src}) = {one_ir:.0%} not used")
        flags += ["ir_sourcing_mismatch", "below_listing_threshold"]
        reason = (f"ir_sourcing_mismatch: 1 − IR {one_ir:.0%} ({ir_src}) contradicts a complete EU sourcing mix with "
                  "no EU member (third countries ≥ 99 %): shown as < 1 %, not as EU output")
    elif np.isfinite(one_ir):
        value, data = one_ir, f"1 − IR at {stage} ({ir_src}) = {one_ir:.0%}"
        if np.isfinite(eu_sum):
            data += f"; Σ EU members in EU sourcing{member_note} = {eu_sum:.0%} ({listed or 'none ≥ 1 %'})"
            if abs(eu_sum - one_ir) > MISMATCH:
                flags.append("ir_sourcing_mismatch")
                reason = (f"ir_sourcing_mismatch: 1 − IR {one_ir:.0%} vs Σ EU sourcing shares {eu_sum:.0%} "
                          "(sourcing ignores exports and lists suppliers ≥ 1 % only); 1 − IR shown")
    elif np.isfinite(eu_sum) and eu_sum > 0:
        value, data = eu_sum, f"Σ EU members in EU sourcing ({did}, {stage}) = {eu_sum:.0%}: {listed}"
        flags.append("shares_ge_1pct_lower_bound")
    elif np.isfinite(eu_sum):
        value, data = math.nan, f"EU sourcing ({did}, {stage}): no EU member listed"
        flags.append("below_listing_threshold")
        reason = "below_listing_threshold: no EU member ≥ 1 % in the EU sourcing mix and no IR: < 1 %, not 0"
    else:
        value, data = math.nan, ""
        reason = f"no_eu_data_for_stage: the EU 2023 study gives neither IR nor a sourcing mix at {stage} for {did}"
    out = _score(stage, value)
    display = _pct(value) if np.isfinite(value) else ("< 1 %" if "below_listing_threshold" in flags else "no data")
    return {**out, "stage": stage, "value": value, "display": display, "country": "",
            "nl_contribution": nl if stage == "processing" else math.nan, "nl_display": nl_display,
            "eu_sourcing_sum": eu_sum,
            "one_minus_ir": one_ir, "data": data + proxy, "reference_period": EU_PERIOD if data else "",
            "quality_flag": ";".join(flags) if data else "", "reason": reason}


def _recycling(mid: str, did: str, eol_rir: pd.Series) -> dict:
    members = GROUPS.get(mid, [])
    r = eol_rir.get(mid, eol_rir.get(did, math.nan)) if len(eol_rir) else math.nan
    src = "own" if mid in eol_rir.index else did
    if not np.isfinite(r) and members:
        vals = [(float(eol_rir[x]), x) for x in members if x in eol_rir.index and np.isfinite(eol_rir[x])]
        if vals:
            r, who = min(vals)
            src = f"weakest member {who}"
    ok = bool(np.isfinite(r))
    return {**_score("recycling", float(r) if ok else math.nan), "stage": "recycling",
            "value": float(r) if ok else math.nan, "display": _pct(r) if ok else "no data", "country": "",
            "nl_contribution": math.nan, "eu_sourcing_sum": math.nan, "one_minus_ir": math.nan,
            "data": f"EoL-RIR ({src}): proxy for recycling capacity, omits new scrap" if ok else "",
            "reference_period": "EU CRM 2023 study (EoL-RIR, latest factsheet year)" if ok else "",
            "quality_flag": "eol_rir_proxy" if ok else "",
            "reason": "" if ok else "no_eol_rir: no end-of-life recycling input rate in the store"}


def stage_top_shares(mid: str, did: str, mix_by: dict, sup_by: dict, eu27) -> list[dict]:
    """Largest third-country share per stage with its basis and period (EU sourcing first, then fallbacks)."""
    out = []
    stages = sorted({s for (m, s) in (*mix_by, *sup_by) if m in (mid, did)},
                    key=lambda s: (STAGES.index(s) if s in STAGES else 9, s))
    for st in stages:
        g = mix_by.get((mid, st))
        if g is None or g.empty:
            g = mix_by.get((did, st))
        if g is not None and not g.empty:
            third = g[~g["country"].isin(eu27)]
            if third.empty:
                continue
            k = int(np.argmax(third["share"].to_numpy()))
            out.append({"stage": st, "country": str(third["country"].iloc[k]),
                        "share": float(third["share"].iloc[k]), "basis": "EU sourcing", "period": EU_PERIOD})
            continue
        g = sup_by.get((mid, st))
        if g is None or g.empty:
            g = sup_by.get((did, st))
        if g is None or g.empty:
            continue
        third = g[~g["country"].isin(eu27) & (g["country"] != "_OTH")]
        if third.empty:
            continue
        k = int(np.argmax(third["share"].to_numpy()))
        out.append({"stage": st, "country": str(third["country"].iloc[k]), "share": float(third["share"].iloc[k]),
                    "basis": f"global_supply_fallback: {third['basis'].iloc[k]}",
                    "period": str(third["period"].iloc[k])})
    return out


def _diversification(mid: str, did: str, mix_by: dict, sup_by: dict, eu27, proxy: str) -> dict:
    tops = stage_top_shares(mid, did, mix_by, sup_by, eu27)
    have = {t["stage"] for t in tops}
    members = GROUPS.get(mid, [])
    for mem in members:  # group entry: a member's stage the group lacks (worst member per stage)
        for t in stage_top_shares(mem, mem, mix_by, sup_by, eu27):
            if t["stage"] in have:
                continue
            prev = next((x for x in tops if x["stage"] == t["stage"] and x.get("member")), None)
            if prev is None or t["share"] > prev["share"]:
                if prev is not None:
                    tops.remove(prev)
                tops.append({**t, "member": mem, "basis": f"worst member {mem}: {t['basis']}"})
    if not tops:
        return {**_score("diversification", math.nan), "stage": "", "value": math.nan, "display": "no data",
                "country": "", "nl_contribution": math.nan, "eu_sourcing_sum": math.nan, "one_minus_ir": math.nan,
                "set_by": "", "data": "", "reference_period": "", "quality_flag": "",
                "reason": "no_supply_data: no EU sourcing mix or global supply share for any stage"}
    tops.sort(key=lambda t: (STAGES.index(t["stage"]) if t["stage"] in STAGES else 9, t["stage"]))
    top = max(tops, key=lambda t: t["share"])
    set_by = f"max over elements: {top['member']}" if top.get("member") else ""
    data = (f"group figure = {set_by} at {top['stage']}; " if set_by else "") + "largest third-country share per stage: " + "; ".join(
        f"{t['stage']} {t['country']} {t['share']:.0%} ({t['basis']}, {t['period']})" for t in tops)
    flags = sorted({"global_supply_fallback" for t in tops if "fallback" in t["basis"]}
                   | ({"group_worst_member"} if any(t.get("member") for t in tops) else set()))
    return {**_score("diversification", top["share"]), "stage": top["stage"], "value": top["share"],
            "display": _pct(top["share"]) + (f" ({set_by})" if set_by else ""), "set_by": set_by,
            "country": top["country"], "nl_contribution": math.nan,
            "eu_sourcing_sum": math.nan, "one_minus_ir": math.nan, "data": data + proxy,
            "reference_period": top["period"], "quality_flag": ";".join(flags), "reason": ""}


def _pct(x: float) -> str:
    return f"{x:.0%}" if np.isfinite(x) else "no data"


def _score(bench: str, value: float) -> dict:
    target = TARGETS[bench]
    if not np.isfinite(value):
        gap = meets = math.nan
    elif bench == "diversification":
        gap, meets = max(0.0, value - target), float(value <= target)
    else:
        gap, meets = max(0.0, target - value), float(value >= target)
    return {"benchmark": bench, "target": target, "gap": gap, "meets": meets, "article": ARTICLES[bench]}
