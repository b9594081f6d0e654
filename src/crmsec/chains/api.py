"""Store-backed chain functions (I/O edge) and the Python API the dashboard calls."""

from __future__ import annotations

import duckdb
import pandas as pd

from crmsec.chains.model import (
    chain_graph,
    chains,
    get_chain,
    stage_risk,
    stage_share_assumptions,
)

GLOBAL_SCOPES = ("global", "Global", "gs", "GS", "world")
WGI_WINDOW = range(2018, 2023)
# Territories the WGI does not rate: the sovereign's governance stands in (assumption [D], shown in ``source``).
TERRITORY_WGI = {"NCL": "FRA", "PYF": "FRA", "GUF": "FRA", "GRL": "DNK"}
UNALLOCATED = ("_OTH", "_OTHER")


def list_chains() -> pd.DataFrame:
    """Built-in chains: chain_id, name, description, materials, n_nodes, n_edges."""
    rows = []
    for cid, c in sorted(chains().items()):
        mats = sorted({n.material_id for n in c.nodes if n.material_id})
        rows.append({"chain_id": cid, "name": c.name, "description": c.description,
                     "materials": ", ".join(mats), "n_nodes": len(c.nodes), "n_edges": len(c.edges)})
    return pd.DataFrame(rows)


def chain_graph_frames(chain_id: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(nodes, edges) frames of a chain: nodes id/type/label/material_id/stage/nace/level; edges source/target."""
    return chain_graph(get_chain(chain_id))


def wgi_scaled_from_store(con: duckdb.DuckDBPyConnection, years: range = WGI_WINDOW) -> pd.Series:
    """EU-scaled WGI (preset eu2023) per ISO3 from the store's governance table, mean over ``years``."""
    from crmsec.criticality.eu_method import scaled_wgi_window

    gov = con.execute("select country, year, dimension, estimate from governance").df()
    w = scaled_wgi_window(gov, (years[0], years[-1]))
    extra = {t: w[s] for t, s in TERRITORY_WGI.items() if t not in w.index and s in w.index}
    return pd.concat([w, pd.Series(extra, dtype=float)]) if extra else w


def node_shares_from_store(con: duckdb.DuckDBPyConnection, chain_id: str) -> pd.DataFrame:
    """Supplier shares per supply node: world production (store) → EU 2023 global shares → assumption table."""
    from crmsec.scenarios.inputs import world_production

    chain = get_chain(chain_id)
    world = world_production(con)
    gs = con.execute("select material_id, stage, scope, country, share from eu_supply_shares").df()
    gs = gs[gs["scope"].astype(str).isin(GLOBAL_SCOPES)]
    if not gs.empty and gs["share"].max() > 1.0 + 1e-9:
        gs = gs.assign(share=gs["share"] / 100.0)
    ass = stage_share_assumptions()
    parts = []
    for n in chain.nodes:
        if n.material_id and n.stage in ("extraction", "processing"):
            w = world[(world["material_id"] == n.material_id) & (world["stage"] == n.stage)]
            if not w.empty and w["quantity"].sum() > 0:
                parts.append(pd.DataFrame({
                    "node_id": n.id, "country": w["country"], "share": w["quantity"] / w["quantity"].sum(),
                    "source": f"production {w['source'].iloc[0]} {int(w['year'].iloc[0])}",
                }))
                continue
            g = gs[(gs["material_id"] == n.material_id) & (gs["stage"] == n.stage)]
            if not g.empty:
                g = g.groupby("country", as_index=False)["share"].sum()
                parts.append(g.assign(node_id=n.id, source="eu_supply_shares global (EU CRM 2023 App. 7)"))
                continue
        sub = ass[(ass["chain_id"] == chain_id) & (ass["node_id"] == n.id)]
        if not sub.empty:
            parts.append(sub[["node_id", "country", "share"]].assign(
                source="assumption: " + sub["source"].astype(str)))
    if not parts:
        return pd.DataFrame(columns=["node_id", "country", "share", "source"])
    out = pd.concat(parts, ignore_index=True)[["node_id", "country", "share", "source"]]
    # the IEA "rest of world" row is the unallocated remainder, not a supplier (not counted in the HHI)
    return out[~out["country"].isin(UNALLOCATED)].reset_index(drop=True)


def chain_risk(chain_id: str, con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Per supply stage: HHI, largest supplier, governance-weighted risk and the weakest stage (store-backed)."""
    return stage_risk(get_chain(chain_id), node_shares_from_store(con, chain_id), wgi_scaled_from_store(con))


def chain_sectors(chain_id: str, con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Dutch (and EU) sectors that depend on the chain, with VA where the store has it (NaN + reason)."""
    chain = get_chain(chain_id)
    secs = [n for n in chain.nodes if n.type == "sector"]
    eu = con.execute("select * from end_use").df()
    va_col = next((c for c in ("va_meur", "va") if c in eu.columns), None)
    eu_va = eu.assign(nace=eu["nace"].astype(str)).groupby("nace")[va_col].max() if va_col else pd.Series(dtype=float)
    nl_va = pd.Series(dtype=float)
    has = con.execute("select count(*) from information_schema.tables where table_name='sector_va'").fetchone()[0]
    if has:
        t = con.execute("select nace, va_meur from sector_va where country = 'NLD'").df()
        nl_va = t.assign(nace=t["nace"].astype(str)).groupby("nace")["va_meur"].max()
    rows = []
    for n in secs:
        code = str(n.nace)
        key = code[1:] if code[:1].isalpha() and code[1:].isdigit() else code
        eu_v = eu_va.get(code, eu_va.get(key, float("nan")))
        nl_v = nl_va.get(code, nl_va.get(key, float("nan")))
        reason = "" if pd.notna(nl_v) else "no_sector_va: NL value added by NACE division not in the store"
        rows.append({"chain_id": chain_id, "nace": code, "sector": n.label, "nl_va_meur": nl_v,
                     "eu_va_meur": eu_v, "reason": reason})
    return pd.DataFrame(rows)
