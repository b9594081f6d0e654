"""Store-backed context of a company assessment: criticality flags, world/EU supply mixes, governance and the
built-in scenarios evaluated for the company's materials and supplier countries (I/O edge; the arithmetic is in
:mod:`crmsec.company.assess`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import duckdb
import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from crmsec.criticality.pipeline import CriticalityData


@dataclass(frozen=True)
class CompanyContext:
    """Everything :func:`crmsec.company.assess.assess_company` needs besides the purchases.

    flags : indexed by material_id — name_en, name_nl, nl_entry (the list entry: the material or its EU group
        LREE/HREE/PGM), nl_on_list, nl_rank (of that entry), nl_year, eu_crm_2023, crma_strategic,
        crma_critical, sr, ei, eu_critical, stage_assessed, eol_rir, si_sr.
    mixes : material_id, stage, scope (``global`` world supply | ``eu`` EU sourcing), country, share [-].
    wgi_scaled : ISO3 → EU scaled WGI 0..10 (10 = worst), preset eu2023.
    eu_members : ISO3 codes of the EU27.
    scenarios : scenario_id, name, actors, material_id, mode, shortfall_share_nl, duration_days, effective_days,
        lag_days, ramp_days, reroute_max, reason — the engine's NLD result at central values.
    supplier_loss : scenario_id, material_id, country, loss [-] — share of a flow from ``country`` to the
        Netherlands the scenario cuts (depth × exposure, max over the scenario's stages).
    """

    flags: pd.DataFrame
    mixes: pd.DataFrame
    wgi_scaled: pd.Series
    eu_members: frozenset[str]
    scenarios: pd.DataFrame
    supplier_loss: pd.DataFrame
    wgi_window: str = ""


def _flags(data: CriticalityData) -> pd.DataFrame:
    from crmsec.criticality import pipeline as P
    from crmsec.registry.materials import materials

    reg = materials().set_index("material_id")
    out = reg[["name_en", "name_nl"]].copy()
    for col in ("eu_crm_2023", "crma_strategic", "crma_critical"):
        out[col] = pd.to_numeric(reg[col], errors="coerce").fillna(0).astype(bool)
    nl = P.national_list(data, data.latest_year()).set_index("material_id")
    # the list ranks LREE, HREE and PGM as groups (EU granularity): an element inherits its group's status,
    # named in ``nl_entry`` (e.g. neodymium → lree), so a buyer of neodymium sees that it is on the list
    entry = pd.Series(out.index, index=out.index)
    for group, members in P.group_members(data).items():
        entry.loc[entry.index.intersection(members)] = group
    out["nl_entry"] = entry
    out["nl_on_list"] = nl["on_list"].reindex(entry.to_numpy()).astype("boolean").to_numpy()
    out["nl_rank"] = nl["rank"].reindex(entry.to_numpy()).to_numpy()
    out["nl_year"] = int(nl["year"].iloc[0]) if len(nl) else np.nan
    eu = P.eu_assessment(data, 2023).set_index("material_id")
    for src, dst in (("sr", "sr"), ("ei", "ei"), ("critical", "eu_critical"), ("stage_assessed", "stage_assessed"),
                     ("eol_rir", "eol_rir"), ("si_sr", "si_sr")):
        out[dst] = eu[src].reindex(out.index)
    return out


def _wgi(gov: pd.DataFrame) -> tuple[pd.Series, str]:
    from crmsec.criticality.eu_method import scaled_wgi_window

    last = int(gov["year"].max())
    window = (last - 4, last)  # latest 5-year window (the EU 2023 exercise used 2016–2020)
    return scaled_wgi_window(gov, window, "eu2023"), f"{window[0]}-{window[1]}"


def _scenarios(con: duckdb.DuckDBPyConnection, material_ids: list[str],
               countries: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    from crmsec.scenarios import builtin_scenarios, run_scenario_from_store
    from crmsec.scenarios.api import store_inputs
    from crmsec.scenarios.engine import central_value, exposure, exposure_params

    inputs = store_inputs(con)
    rows, loss_rows = [], []
    for sc in builtin_scenarios():
        res = run_scenario_from_store(sc, con, regions=("NLD",), inputs=inputs)
        mat = res.materials
        mat = mat[mat["material_id"].isin(material_ids)]
        d = central_value(sc.depth, 1.0)
        for r in mat.to_dict("records"):
            p = exposure_params(inputs, r["material_id"])
            rows.append({
                "scenario_id": sc.id, "name": sc.name, "actors": ", ".join(sc.actors) or (sc.chokepoint or ""),
                "material_id": r["material_id"], "mode": r["mode"], "shortfall_share_nl": r["shortfall_share"],
                "duration_days": r["duration_days"], "effective_days": r["effective_days"],
                "lag_days": central_value(sc.reroute_lag_days, p.get("reroute_lag_days", 0.0)),
                "ramp_days": central_value(sc.reroute_ramp_days, p.get("reroute_ramp_days", 0.0)),
                "reroute_max": r["reroute_max"], "reason_nl": r["reason"],
            })
            for c in countries:
                e = max(exposure(sc, inputs, c, "NLD", r["material_id"], st) for st in sc.stages)
                loss_rows.append({"scenario_id": sc.id, "material_id": r["material_id"], "country": c,
                                  "loss": d * e})
    scen = pd.DataFrame(rows)
    loss = pd.DataFrame(loss_rows, columns=["scenario_id", "material_id", "country", "loss"])
    return scen, loss


def build_context(purchases: pd.DataFrame, con: duckdb.DuckDBPyConnection | None = None) -> CompanyContext:
    """Context for the materials and supplier countries in ``purchases`` (validated frame) from the store."""
    from crmsec.criticality.pipeline import load_data
    from crmsec.registry.countries import group_members

    if con is None:
        from crmsec.store import open_store

        con = open_store()
    mids = sorted(set(purchases["material_id"]))
    countries = sorted(set(purchases["supplier_country"].dropna()))
    data = load_data(con)  # one read of the criticality tables for flags, mixes and governance
    flags = _flags(data)
    sh = data.eu_supply_shares
    mixes = sh.loc[sh["scope"].isin(["global", "eu"]) & sh["material_id"].isin(mids),
                   ["material_id", "stage", "scope", "country", "share"]].reset_index(drop=True)
    wgi, window = _wgi(data.governance)
    scen, loss = _scenarios(con, mids, countries)
    return CompanyContext(flags=flags, mixes=mixes, wgi_scaled=wgi, eu_members=frozenset(group_members("eu27")),
                          scenarios=scen, supplier_loss=loss, wgi_window=window)


__all__ = ["CompanyContext", "build_context"]
