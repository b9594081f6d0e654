"""The EU-method uncertainty model over the store (Monte Carlo of SR/EI inputs + Sobol drivers), and the
NL list probabilities joined from the structural Monte Carlo of :mod:`crmsec.criticality.nl_uncertainty`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmsec.criticality import eu_method as eu
from crmsec.criticality import national_list as nl
from crmsec.criticality.pipeline import CriticalityData, _by_source, nl_inputs_and_mix, stage_inputs_2023


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
    # the NL list probabilities come from the structural Monte Carlo over the analyst's choices
    # (crmsec.criticality.nl_uncertainty): calibrated against the backtest, Annex II entries only
    from crmsec.criticality.nl_uncertainty import list_uncertainty

    cfg = config or nl.ListConfig()
    st = list_uncertainty(data, year, draws=max(200, min(draws, 20_000)), seed=seed, list_n=cfg.n)
    nl_cols = ["p_on_list", "rank_p05", "rank_p50", "rank_p95"]
    mc = mc.drop(columns=nl_cols).merge(st[["material_id", *nl_cols, "robustness"]], on="material_id", how="outer")
    mc.attrs["notes"] = [*model.notes, "p_on_list: structural Monte Carlo (weights, window, form, VA basis, floor)"]
    return mc
