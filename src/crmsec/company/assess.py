r"""Company self-assessment: how exposed is a manufacturer to critical raw materials? (pure core)

For each material the company buys (validated purchases, :mod:`crmsec.company.inputs`) and the context from the
store (:class:`crmsec.company.context.CompanyContext`):

1. **Lists** — on the Dutch national list (rank), EU CRM 2023 / CRMA strategic (Annex I) / critical (Annex II),
   EU SR and EI (2023 exercise).
2. **Own sourcing concentration** versus the world and EU mix of the same stage::

       sh_c  = q_c / Σ q  (or the given share_of_purchases)
       HHI   = Σ_c sh_c²                                   # Eq. 1 in [1], on fractions 0..1
       HHI_WGI,t = Σ_c sh_c² · WGI_c · t_c                  # Eq. 2 in [2] (t = 0.8 for EU27 suppliers, else 1)

   NaN with reason when part of the purchases has no supplier country (``unallocated_suppliers``) or a supplier
   lacks WGI data (``no_wgi``).
3. **Scenario exposure** — for every built-in scenario that reaches the material, the company's shortfall share::

       s = Σ_c sh_c · d · e_c + sh_unalloc · s_NL           # own sourcing (direct-exposure materials)
       s = s_NL                                             # market-share materials: every buyer pro rata [3]

   with d·e_c the share of the c → NL flow the scenario cuts (engine ``exposure`` × central depth) and s_NL the
   engine's shortfall share for the Dutch mix. Then ``tonnes_at_risk = Q · s · effdays / 365`` [t per event],
   ``revenue_at_risk = R · s · effdays / 365`` [M EUR per event, upper bound: no substitution, φ = 1; Eq. 4 in
   [3]], and days until the stocks run out from the engine's ``days_to_stockout`` [3].
4. **Ranking** by the exposure index ``max_scenarios(s · effdays / 365)`` (share of one year's supply lost in
   the worst built-in scenario), ties by the number of list flags; drivers in plain words; actions from the
   cited rule table ``data/actions.csv``.

Upstream propagation to the company's suppliers' own sources is not modelled for own sourcing (the national
figure ``shortfall_share_nl`` shows it for the Dutch average mix).

References
----------
[1] methods.md §1.3 / EC (2017) Methodology for establishing the EU list of CRMs (HHI). [2] EC (2017) Study on the
review of the list of CRMs, §2.1 and Table 18 (HHI_WGI,t). [3] methods.md §5.2 (shortfall engine, Eq. 1, 2, 4;
days until stock-out).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from crmsec.company.context import CompanyContext
from crmsec.criticality.eu_method import EU_T
from crmsec.indicators.concentration import effective_suppliers, hhi
from crmsec.indicators.governance import hhi_wgi_t

ACTIONS_CSV = Path(__file__).parent / "data" / "actions.csv"
UNALLOCATED = "_UNALLOCATED"


@dataclass(frozen=True)
class CompanyAssessment:
    """Result frames (all in memory; nothing is stored).

    materials : one row per material, ranked (exposure_rank 1 = most exposed), with drivers and actions.
    scenarios : material × built-in scenario (shortfall share, tonnes/revenue at risk, days to stock-out).
    products : product × scenario revenue at risk (binding input).
    actions : material × recommended action with its source.
    """

    materials: pd.DataFrame
    scenarios: pd.DataFrame
    products: pd.DataFrame
    actions: pd.DataFrame

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"materials": self.materials, "scenarios": self.scenarios, "products": self.products,
                "actions": self.actions}


@cache
def action_rules() -> pd.DataFrame:
    """The cited rule table (rule_id, trigger, action_en, action_nl, source, note)."""
    return pd.read_csv(ACTIONS_CSV, dtype=str, keep_default_na=False).set_index("rule_id")


def own_shares(purchases: pd.DataFrame) -> pd.DataFrame:
    """Company sourcing shares per material × supplier country [-] (``_UNALLOCATED`` = no country given).

    Weights: ``share_of_purchases`` where given (the remainder to 1 is unallocated), else ``quantity_t``.
    """
    p = purchases.assign(country=purchases["supplier_country"].astype(object).where(
        purchases["supplier_country"].notna(), UNALLOCATED))
    has_share = p.groupby("material_id")["share_of_purchases"].transform(lambda s: s.notna().all())
    w = np.where(has_share, p["share_of_purchases"], p["quantity_t"])
    p = p.assign(w=w).groupby(["material_id", "country"], as_index=False)["w"].sum()
    tot = p.groupby("material_id")["w"].transform("sum")
    by_share = p["material_id"].map(has_share.groupby(purchases["material_id"]).first())
    p["share"] = np.where(by_share, p["w"], p["w"] / tot.where(tot > 0))
    rest = (1.0 - p[by_share.astype(bool)].groupby("material_id")["share"].sum()).clip(lower=0)
    rest = rest[rest > 1e-9]
    if len(rest):
        p = pd.concat([p, pd.DataFrame({"material_id": rest.index, "country": UNALLOCATED, "share": rest.values})])
    p = p.groupby(["material_id", "country"], as_index=False)["share"].sum()
    return p[["material_id", "country", "share"]]


def _matrix(frame: pd.DataFrame, index: list[str]) -> pd.DataFrame:
    return frame.pivot_table(index="material_id", columns="country", values="share", aggfunc="sum").reindex(index)


def concentration(own: pd.DataFrame, ctx: CompanyContext, stages: pd.Series) -> pd.DataFrame:
    """Own, world and EU supplier concentration (HHI, N_eff, HHI_WGI,t) per material, vectorised over materials.

    ``stages`` : material_id → stage of the world/EU mix to compare with (``mix_stage``).
    """
    mids = list(stages.index)
    out = pd.DataFrame(index=pd.Index(mids, name="material_id"))
    out["mix_stage"] = stages
    mat = _matrix(own[own["country"] != UNALLOCATED], mids).fillna(0.0)
    unalloc = own[own["country"] == UNALLOCATED].set_index("material_id")["share"].reindex(mids).fillna(0.0)
    known = mat.sum(axis=1) > 0
    sh = mat.to_numpy(float)
    wgi = ctx.wgi_scaled.reindex(mat.columns).to_numpy(float)
    t = np.where(mat.columns.isin(list(ctx.eu_members)), EU_T, 1.0)
    own_h = hhi(sh) if sh.shape[1] else np.full(len(mids), np.nan)
    out["own_hhi"] = np.where(known & (unalloc <= 1e-9), own_h, np.nan)  # Eq. 1 in [1]
    out["own_n_eff"] = effective_suppliers(out["own_hhi"].to_numpy(float))
    own_w = hhi_wgi_t(sh, wgi[None, :], t[None, :]) if sh.shape[1] else np.full(len(mids), np.nan)
    out["own_hhi_wgi"] = np.where(out["own_hhi"].notna(), own_w, np.nan)  # Eq. 2 in [2]
    top = (mat.idxmax(axis=1) if mat.shape[1] else pd.Series(np.nan, index=mat.index, dtype=object)).where(known)
    out["own_top_country"] = top
    out["own_top_share"] = mat.max(axis=1).where(known)
    out["own_unallocated_share"] = unalloc
    reason = pd.Series("", index=out.index, dtype=object)
    reason[~known] = "no_supplier_country"
    reason[known & (unalloc > 1e-9)] = "unallocated_suppliers: part of the purchases has no supplier country"
    nowgi = out["own_hhi"].notna() & out["own_hhi_wgi"].isna()
    reason[nowgi] = "no_wgi: a supplier country has no WGI data"
    for scope in ("global", "eu"):
        m = ctx.mixes[(ctx.mixes["scope"] == scope)]
        m = m[m["stage"].to_numpy() == m["material_id"].map(stages).to_numpy()]
        mm = _matrix(m, mids)
        ok = mm.notna().any(axis=1).to_numpy()
        msh = mm.fillna(0.0).to_numpy(float)
        mw = ctx.wgi_scaled.reindex(mm.columns).to_numpy(float)
        mt = np.where(mm.columns.isin(list(ctx.eu_members)), EU_T, 1.0)
        name = "world" if scope == "global" else "eu"
        out[f"{name}_hhi"] = np.where(ok, hhi(msh), np.nan)
        out[f"{name}_hhi_wgi"] = np.where(ok, hhi_wgi_t(msh, mw[None, :], mt[None, :]), np.nan)
        miss = ~ok
        reason[miss] = reason[miss].map(lambda r, n=name: "; ".join(x for x in (r, f"no_{n}_mix") if x))
    out["concentration_reason"] = reason
    return out


def _mix_stage(purchases: pd.DataFrame, ctx: CompanyContext) -> pd.Series:
    """Stage to compare with: the alias's stage, else processing (companies buy refined products), else extraction."""
    avail = ctx.mixes[ctx.mixes["scope"] == "global"].groupby("material_id")["stage"].agg(set)
    alias = purchases.groupby("material_id")["stage"].agg(lambda s: next((x for x in s if x), ""))

    def pick(mid: str) -> str:
        have = avail.get(mid, set())
        for st in (alias.get(mid, ""), "processing", "extraction"):
            if st and st in have:
                return st
        return ""

    return pd.Series({m: pick(m) for m in alias.index}, name="mix_stage")


def _per_material(purchases: pd.DataFrame) -> pd.DataFrame:
    """Per material: name, total quantity_t (NaN when none given), basis, smallest stock_days and its rows."""
    return purchases.groupby("material_id").agg(
        material=("material", "first"), quantity_t=("quantity_t", lambda s: s.sum(min_count=1)),
        basis=("basis", "first"), stock_days=("stock_days", "min"),
        n_rows=("row", "size"), rows=("row", lambda s: ", ".join(map(str, s))))


def _product_rows(purchases: pd.DataFrame) -> pd.DataFrame:
    """Purchase rows with a revenue; a row without a product name is its own product (``row N``)."""
    return purchases[purchases["revenue_meur"].notna()].assign(
        product=lambda f: f["product"].where(f["product"] != "", "row " + f["row"].astype(str)))


def scenario_exposure(purchases: pd.DataFrame, own: pd.DataFrame, ctx: CompanyContext) -> pd.DataFrame:
    """Material × scenario: company shortfall share, tonnes and revenue at risk, days until stock-out."""
    from crmsec.scenarios.engine import days_to_stockout

    sc = ctx.scenarios.copy()
    if sc.empty:
        return pd.DataFrame(columns=["material_id", "scenario_id", "shortfall_share"])
    loss = ctx.supplier_loss
    o = own.merge(sc[["scenario_id", "material_id"]], on="material_id")
    o = o.merge(loss, on=["scenario_id", "material_id", "country"], how="left")
    o["loss"] = o["loss"].where(o["country"] != UNALLOCATED).fillna(0.0)
    known = o[o["country"] != UNALLOCATED].assign(c=lambda f: f["share"] * f["loss"])  # Σ_c sh_c·d·e_c
    direct = known.groupby(["scenario_id", "material_id"])["c"].sum()
    known_share = known.groupby(["scenario_id", "material_id"])["share"].sum()
    key = pd.MultiIndex.from_frame(sc[["scenario_id", "material_id"]])
    direct = direct.reindex(key).fillna(0.0).to_numpy()
    ks = known_share.reindex(key).fillna(0.0).to_numpy()
    s_nl = sc["shortfall_share_nl"].to_numpy(float)
    rest = np.where(ks < 1.0 - 1e-9, (1.0 - ks) * s_nl, 0.0)  # unallocated part at the Dutch-mix share
    own_s = direct + rest  # Eq. 1 in [3] restricted to the company's own suppliers
    market = (sc["mode"] == "market").to_numpy()
    sc["shortfall_share_own"] = np.where(ks > 0, own_s, np.nan)
    sc["shortfall_share"] = np.where(market | (ks <= 0), s_nl, own_s)
    sc["share_basis"] = np.select(
        [market, ks <= 0, ks < 1 - 1e-9], ["world_market (pro rata, Eq. 2 in [3])", "nl_mix (no supplier given)",
                                           "own_sourcing + nl_mix for the unallocated part"], "own_sourcing")
    mat = _per_material(purchases)[["material", "quantity_t", "basis", "stock_days"]]
    prod = _product_rows(purchases)
    rev = prod.drop_duplicates(["material_id", "product"]).groupby("material_id")["revenue_meur"].sum()
    sc = sc.join(mat, on="material_id")
    sc["revenue_meur"] = sc["material_id"].map(rev)
    year_share = sc["shortfall_share"] * sc["effective_days"] / 365.0
    sc["supply_lost_share_year"] = year_share
    sc["tonnes_at_risk"] = sc["quantity_t"] * year_share
    sc["revenue_at_risk_meur"] = sc["revenue_meur"] * year_share  # Eq. 4 in [3], upper bound
    sc["days_to_stockout"] = [
        days_to_stockout(s, sd, T, lag, ramp, rmax) if np.isfinite(s) else np.nan
        for s, sd, T, lag, ramp, rmax in zip(sc["shortfall_share"], sc["stock_days"].fillna(np.nan),
                                             sc["duration_days"], sc["lag_days"], sc["ramp_days"],
                                             sc["reroute_max"], strict=True)]
    sc["stocks_run_out"] = (sc["days_to_stockout"] < sc["duration_days"]).where(sc["stock_days"].notna())
    reason = np.where(sc["shortfall_share"].isna(), "no_mix: " + sc["reason_nl"].fillna("").astype(str), "")
    reason = np.where(sc["quantity_t"].isna(), np.char.add(reason.astype(str), "; no_quantity"), reason)
    reason = np.where(sc["stock_days"].isna(), np.char.add(reason.astype(str), "; no_stock_data"), reason)
    reason = np.where(sc["revenue_meur"].isna(), np.char.add(reason.astype(str), "; no_revenue"), reason)
    sc["reason"] = pd.Series(reason).str.strip("; ").to_numpy()
    cols = ["material_id", "material", "scenario_id", "name", "actors", "mode", "share_basis", "shortfall_share",
            "shortfall_share_own", "shortfall_share_nl", "duration_days", "effective_days",
            "supply_lost_share_year", "quantity_t", "basis", "tonnes_at_risk", "revenue_meur",
            "revenue_at_risk_meur", "stock_days", "days_to_stockout", "stocks_run_out", "reason"]
    return sc[cols].sort_values(["material_id", "supply_lost_share_year"], ascending=[True, False],
                                na_position="last").reset_index(drop=True)


def product_exposure(purchases: pd.DataFrame, scen: pd.DataFrame) -> pd.DataFrame:
    """Product × scenario revenue at risk: R_p · max_{m ∈ p}(s_m · effdays_m / 365) (binding input, Eq. 4 in [3])."""
    prod = _product_rows(purchases)
    cols = ["product", "nace", "scenario_id", "revenue_meur", "binding_material", "supply_lost_share_year",
            "revenue_at_risk_meur"]
    if prod.empty or scen.empty:
        return pd.DataFrame(columns=cols)
    pm = prod[["product", "nace", "material_id", "revenue_meur"]].drop_duplicates(["product", "material_id"])
    j = pm.merge(scen[["material_id", "scenario_id", "supply_lost_share_year"]], on="material_id")
    j = j.dropna(subset=["supply_lost_share_year"])
    idx = j.groupby(["product", "scenario_id"])["supply_lost_share_year"].idxmax()
    out = j.loc[idx].rename(columns={"material_id": "binding_material"})
    out["revenue_at_risk_meur"] = out["revenue_meur"] * out["supply_lost_share_year"]  # Eq. 4 in [3]
    return out[cols].sort_values(["revenue_at_risk_meur"], ascending=False).reset_index(drop=True)


def _pct(x: float) -> str:
    return f"{100 * x:.0f} %"


TEXT = {
    "en": {"nl": "on the Dutch national list (rank {r:.0f})", "strat": "CRMA strategic raw material",
           "nl_group": "on the Dutch national list as part of the group {g} (rank {r:.0f})",
           "crit": "EU critical raw material (SR {sr:.1f}, EI {ei:.1f})",
           "conc": "{p} of your purchases from {c} (your HHI {o:.2f} vs world {w:.2f})",
           "scen": "worst scenario '{n}': {s} of your supply cut, {y} of a year's supply lost",
           "tonnes": "{t:.3g} t at risk", "rev": "{v:.3g} M EUR revenue at risk",
           "stock": "stocks run out on day {d:.0f} of {T:.0f}", "none": "no built-in scenario reaches it"},
    "nl": {"nl": "op de Nederlandse nationale lijst (positie {r:.0f})", "strat": "strategische grondstof (CRMA)",
           "nl_group": "op de Nederlandse nationale lijst als deel van de groep {g} (positie {r:.0f})",
           "crit": "kritieke grondstof EU (SR {sr:.1f}, EI {ei:.1f})",
           "conc": "{p} van uw inkoop uit {c} (uw HHI {o:.2f}, wereld {w:.2f})",
           "scen": "zwaarste scenario '{n}': {s} van uw aanvoer valt weg, {y} van uw jaaraanvoer",
           "tonnes": "{t:.3g} t in gevaar", "rev": "{v:.3g} mln EUR omzet in gevaar",
           "stock": "voorraad op na dag {d:.0f} van {T:.0f}", "none": "geen ingebouwd scenario raakt dit materiaal"},
}


def _drivers(r: pd.Series, worst: pd.Series | None, lang: str) -> str:
    t = TEXT[lang]
    parts = []
    if worst is not None and np.isfinite(worst["supply_lost_share_year"]) and worst["supply_lost_share_year"] > 0:
        parts.append(t["scen"].format(n=worst["scenario_id"], s=_pct(worst["shortfall_share"]),
                                      y=_pct(worst["supply_lost_share_year"])))
        if np.isfinite(worst["tonnes_at_risk"]):
            parts.append(t["tonnes"].format(t=worst["tonnes_at_risk"]))
        if np.isfinite(worst["revenue_at_risk_meur"]):
            parts.append(t["rev"].format(v=worst["revenue_at_risk_meur"]))
        if worst["stocks_run_out"] is True:
            parts.append(t["stock"].format(d=worst["days_to_stockout"], T=worst["duration_days"]))
    else:
        parts.append(t["none"])
    if isinstance(r["own_top_country"], str) and np.isfinite(r["own_hhi"]) and np.isfinite(r["world_hhi"]):
        parts.append(t["conc"].format(p=_pct(r["own_top_share"]), c=r["own_top_country"], o=r["own_hhi"],
                                      w=r["world_hhi"]))
    if r["nl_on_list"] is True:
        entry = r.get("nl_entry")
        if isinstance(entry, str) and entry != r.name:  # an element listed through its EU group
            parts.append(t["nl_group"].format(g=entry.upper(), r=r["nl_rank"]))
        else:
            parts.append(t["nl"].format(r=r["nl_rank"]))
    if r["crma_strategic"]:
        parts.append(t["strat"])
    elif r["eu_crm_2023"] and np.isfinite(r["sr"]):
        parts.append(t["crit"].format(sr=r["sr"], ei=r["ei"]))
    return "; ".join(parts)


def recommend(materials: pd.DataFrame, scen: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """Material × action from the rule table (vectorised triggers; one row per firing rule)."""
    rules = action_rules()
    m = materials.set_index("material_id")
    hit = scen[scen["supply_lost_share_year"].fillna(0) > 0]
    hit_any = m.index.isin(hit["material_id"])
    run_out = m.index.isin(hit.loc[hit["stocks_run_out"].fillna(False).astype(bool), "material_id"])
    actors = hit.assign(a=hit["actors"].str.split(", ")).explode("a")
    actor_hit = [(mid, c) in set(zip(actors["material_id"], actors["a"], strict=True))
                 for mid, c in zip(m.index, m["own_top_country"], strict=True)]
    world = np.fmax(m["world_hhi"].to_numpy(float), m["eu_hhi"].to_numpy(float))  # NaN only when both are missing
    trig = {
        "diversify": (m["own_hhi"].to_numpy(float) > world),
        "avoid_actor": np.asarray(actor_hit, bool),
        "stockpile": run_out,
        "record_stocks": hit_any & m["stock_days"].isna().to_numpy(),
        "recycle": (m["eol_rir"].to_numpy(float) < 0.10) & m["eu_crm_2023"].to_numpy(bool),
        "substitute": m["si_sr"].to_numpy(float) < 0.90,
        "hard_to_substitute": m["si_sr"].to_numpy(float) >= 0.95,
        "crma_risk_assessment": m["crma_strategic"].to_numpy(bool),
    }
    rows = []
    for rule, mask in trig.items():
        for mid in m.index[mask]:
            rows.append({"material_id": mid, "exposure_rank": m.at[mid, "exposure_rank"], "rule_id": rule,
                         "action": rules.at[rule, f"action_{lang}"], "trigger": rules.at[rule, "trigger"],
                         "source": rules.at[rule, "source"]})
    order = {k: i for i, k in enumerate(trig)}
    out = pd.DataFrame(rows, columns=["material_id", "exposure_rank", "rule_id", "action", "trigger", "source"])
    return out.sort_values(["exposure_rank", "rule_id"], key=lambda s: s.map(order) if s.name == "rule_id" else s
                           ).reset_index(drop=True)


def assess_company(purchases: pd.DataFrame, ctx: CompanyContext, *, lang: str = "en") -> CompanyAssessment:
    """Assess a company's exposure (pure: validated purchases + context → frames). See the module docstring."""
    if lang not in TEXT:
        from crmsec.errors import InputError

        raise InputError(f"lang {lang!r}: choose 'nl' or 'en'")
    own = own_shares(purchases)
    stages = _mix_stage(purchases, ctx)
    conc = concentration(own, ctx, stages)
    scen = scenario_exposure(purchases, own, ctx)
    prods = product_exposure(purchases, scen)
    base = _per_material(purchases)
    flags = ctx.flags.reindex(base.index)
    m = base.join(flags.drop(columns=["name_en", "name_nl"])).join(conc)
    if "nl_entry" not in m:  # a context without the group mapping: each material is its own list entry
        m["nl_entry"] = m.index.to_numpy()
    if lang == "nl":
        m["material"] = flags["name_nl"].where(flags["name_nl"].notna(), m["material"])
    if scen.empty:
        worst = pd.DataFrame(columns=scen.columns)
    else:
        s2 = scen.dropna(subset=["supply_lost_share_year"])
        worst = s2.loc[s2.groupby("material_id")["supply_lost_share_year"].idxmax()].set_index("material_id")
    for col in ("scenario_id", "shortfall_share", "supply_lost_share_year", "tonnes_at_risk",
                "revenue_at_risk_meur", "days_to_stockout"):
        m[f"worst_{col}" if col != "scenario_id" else "worst_scenario"] = worst[col].reindex(m.index) \
            if col in worst else np.nan
    m["exposure_index"] = m["worst_supply_lost_share_year"]
    m["worst_scenario"] = m["worst_scenario"].where(m["exposure_index"].fillna(0) > 0, "")  # none reaches it
    m["n_flags"] = (m["nl_on_list"].fillna(False).astype(int) + m["crma_strategic"].astype(int)
                    + m["eu_crm_2023"].astype(int))
    m = m.sort_values(["exposure_index", "n_flags", "own_hhi"], ascending=False, na_position="last")
    m["exposure_rank"] = np.arange(1, len(m) + 1)
    m["drivers"] = [_drivers(r, worst.loc[mid] if mid in worst.index else None, lang) for mid, r in m.iterrows()]
    m["reason"] = np.where(m["exposure_index"].isna(), "no_scenario_result", "")
    m["reason"] = (m["reason"] + "; " + m["concentration_reason"]).str.strip("; ")
    m = m.reset_index()
    acts = recommend(m, scen, lang)
    m["actions"] = m["material_id"].map(acts.groupby("material_id")["rule_id"].agg(", ".join)).fillna("")
    cols = ["exposure_rank", "material_id", "material", "quantity_t", "basis", "exposure_index", "worst_scenario",
            "worst_shortfall_share", "worst_tonnes_at_risk", "worst_revenue_at_risk_meur", "stock_days",
            "worst_days_to_stockout", "nl_on_list", "nl_rank", "nl_entry", "eu_crm_2023", "crma_strategic", "crma_critical",
            "sr", "ei", "mix_stage", "own_hhi", "own_n_eff", "own_top_country", "own_top_share",
            "own_unallocated_share", "world_hhi", "eu_hhi", "own_hhi_wgi", "world_hhi_wgi", "eol_rir", "si_sr",
            "drivers", "actions", "reason", "rows"]
    return CompanyAssessment(materials=m[cols], scenarios=scen, products=prods, actions=acts)
