"""National import dependence from bilateral trade (BACI), with the re-export/transit adjustment.

The Netherlands is a transit hub: BACI records the declared partner of each flow, so Rotterdam's
re-exports and quasi-transit inflate NL imports, and intra-EU arrivals hide the ultimate origin. This module
turns the store's ``trade`` table into a national sourcing view per material:

* :func:`partner_flows` — imports (and exports) of one reporter by partner, averaged over a year window;
* :func:`adjust_reexports` — methods §7.3 in order of preference: CBS imports for domestic use (hook),
  CBS re-export totals (hook), else the trade-only approximation RX ≈ min(X, M), M_dom = max(0, M − X)
  allocated pro rata; hub flag when X/M > 0.8;
* :func:`look_through` — EU partners replaced by the origin mix of their own supply (absorbing Markov
  chain over the EU trade network; domestic origin ≈ net exports when production is not given);
* :func:`import_dependence` — the §7.2 metrics per material (shares, HHI, N_eff, CR3, extra-EU share,
  X/M, hub flag, M_dom, IR_dom).

Basis: partner shares default to **value** (kUSD), because a material's HS6 codes mix ores, compounds
and refined metal whose tonnes must not be added without content factors (methods §7.2); ``basis="tonnes"``
uses BACI quantities (flows without a quantity are dropped and their value share reported).

References
----------
.. [1] crmsec methods spec §7.1–§7.5 (metrics, re-export adjustment, look-through, NL 2022 examples).
.. [2] Gaulier, G., Zignago, S. (2010). BACI. CEPII WP 2010-23.
.. [3] CBS, "Internationale handel en doorvoer" survey description (re-exports vs quasi-transit).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from crmsec.errors import InputError

Basis = Literal["value", "tonnes"]
#: X/M above which a material is a "hub material" (methods §7.3 step 3).
HUB_THRESHOLD = 0.8


def _qty_col(basis: Basis) -> str:
    if basis == "value":
        return "value_kusd"
    if basis == "tonnes":
        return "tonnes"
    raise InputError(f"unknown trade basis {basis!r}; use 'value' or 'tonnes'")


def partner_flows(
    trade: pd.DataFrame,
    reporter: str,
    years: Sequence[int],
    *,
    basis: Basis = "value",
    materials: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Imports of ``reporter`` by (material_id, partner), annual mean over ``years``.

    Parameters
    ----------
    trade : store table ``trade`` (reporter = importer ISO3, partner = exporter ISO3, ``tonnes`` [t],
        ``value_kusd`` [kUSD], ``material_id``).
    reporter : ISO3 of the importing country (e.g. ``NLD``).
    years : window; flows are summed and divided by the number of years (methods §7.5: use 3–5 years).
    basis : ``value`` (kUSD, additive across HS codes) or ``tonnes`` (gross weight).

    Returns
    -------
    Frame ``material_id``, ``partner``, ``imports`` [kUSD/yr or t/yr], ``value_no_quantity`` [kUSD/yr,
    value of flows without a BACI quantity; only meaningful for ``tonnes``].
    """
    col = _qty_col(basis)
    years = list(years)
    if not years:
        raise InputError("years is empty; give at least one year")
    sel = trade[(trade["reporter"] == reporter) & trade["year"].isin(years) & trade["material_id"].notna()]
    if materials is not None:
        sel = sel[sel["material_id"].isin(list(materials))]
    q = sel[col].astype(float)
    nq = np.where(q.isna(), sel["value_kusd"].astype(float).fillna(0.0), 0.0)
    g = sel.assign(_q=q.fillna(0.0), _nq=nq).groupby(["material_id", "partner"], as_index=False)[["_q", "_nq"]].sum()
    g["imports"] = g.pop("_q") / len(years)
    g["value_no_quantity"] = g.pop("_nq") / len(years)
    return g


def total_exports(trade: pd.DataFrame, exporter: str, years: Sequence[int], *, basis: Basis = "value") -> pd.Series:
    """Exports of ``exporter`` per material_id, annual mean over ``years`` (same basis as imports)."""
    col = _qty_col(basis)
    years = list(years)
    sel = trade[(trade["partner"] == exporter) & trade["year"].isin(years) & trade["material_id"].notna()]
    return (sel.groupby("material_id")[col].sum(min_count=1).fillna(0.0) / len(years)).rename("exports")


def adjust_reexports(
    imports: pd.DataFrame,
    exports: pd.Series,
    *,
    production: pd.Series | None = None,
    domestic_use: pd.DataFrame | None = None,
    reexports: pd.Series | None = None,
    hub_threshold: float = HUB_THRESHOLD,
) -> pd.DataFrame:
    """Imports for domestic use by partner (methods §7.3), with the method used and a hub flag.

    Parameters
    ----------
    imports : :func:`partner_flows` output (``material_id``, ``partner``, ``imports``).
    exports : total exports per material (same basis and window).
    production : national production/processing output per material (same basis); where > 0 the
        trade-only rule is not applied (exports may be own output), imports are kept whole.
    domestic_use : CBS "imports for domestic use" by (``material_id``, ``partner``, ``imports_dom``) —
        preference 1; used as given for the materials it covers.
    reexports : CBS total re-exports RX per material — preference 2: M_dom_p = M_p·(1 − RX/M).

    Returns
    -------
    ``imports`` plus ``imports_dom`` and per-material columns ``exports``, ``x_over_m``, ``hub``
    (X/M > ``hub_threshold``: the import structure says little about domestic dependence) and
    ``adjustment`` (``cbs_domestic_use``, ``cbs_reexports``, ``trade_only``, ``own_production``).
    """
    out = imports.copy()
    m_tot = out.groupby("material_id")["imports"].transform("sum")
    x = out["material_id"].map(exports).fillna(0.0).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        x_over_m = np.where(m_tot > 0, x / m_tot, np.nan)
    out["exports"] = x
    out["x_over_m"] = x_over_m
    out["hub"] = np.nan_to_num(x_over_m, nan=0.0) > hub_threshold
    # preference 3: trade-only approximation RX ≈ min(X, M); M_dom = max(0, M − X) pro rata (methods §7.3)
    keep = np.clip(1.0 - np.divide(x, m_tot, out=np.zeros(len(out)), where=m_tot > 0), 0.0, 1.0)
    out["imports_dom"] = out["imports"] * keep
    out["adjustment"] = "trade_only"
    if production is not None:
        own = out["material_id"].map(production).fillna(0.0).to_numpy(float) > 0
        out.loc[own, "imports_dom"] = out.loc[own, "imports"]
        out.loc[own, "adjustment"] = "own_production"
    if reexports is not None:  # preference 2: CBS total re-exports, proportional pass-through
        rx = out["material_id"].map(reexports)
        has = rx.notna().to_numpy()
        frac = np.clip(1.0 - rx.to_numpy(float) / np.where(m_tot > 0, m_tot, np.nan), 0.0, 1.0)
        out.loc[has, "imports_dom"] = (out["imports"].to_numpy() * frac)[has]
        out.loc[has, "adjustment"] = "cbs_reexports"
    if domestic_use is not None:  # preference 1: CBS imports for domestic use, used as given
        need = {"material_id", "partner", "imports_dom"}
        if missing := need - set(domestic_use.columns):
            raise InputError(f"domestic_use table lacks columns {sorted(missing)}")
        covered = out["material_id"].isin(domestic_use["material_id"])
        dom = domestic_use.set_index(["material_id", "partner"])["imports_dom"]
        idx = pd.MultiIndex.from_frame(out.loc[covered, ["material_id", "partner"]])
        out.loc[covered, "imports_dom"] = dom.reindex(idx).fillna(0.0).to_numpy()
        out.loc[covered, "adjustment"] = "cbs_domestic_use"
    return out


def look_through(
    flows: pd.DataFrame,
    trade: pd.DataFrame,
    years: Sequence[int],
    eu_members: Sequence[str],
    *,
    basis: Basis = "value",
    value_col: str = "imports_dom",
    production: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Replace EU partners by the ultimate origin of their supply (methods §7.3 step 4).

    Each EU country p is a transient state of an absorbing Markov chain: its supply (domestic origin D_p plus
    imports by partner M_{p,o}) is passed on in proportion, so O_{p,o} = (D_p·[o = p] + M_{p,o}) / (D_p + M_p).
    Non-EU partners and EU domestic origin are absorbing. Origin shares s*_o = Σ_p sh_p · B_{p,o} with
    B = (I − Q)⁻¹ R (Q: EU→EU, R: EU→origin). D_p is ``production`` when given (same basis), else the
    trade-only estimate max(0, X_p − M_p) (a net exporter must produce or process the difference).

    Parameters
    ----------
    flows : national flows by partner (``material_id``, ``partner``, ``value_col``).
    trade : world trade table (all reporters) for the origin mixes.
    eu_members : ISO3 codes looked through.
    production : optional ``material_id``, ``country``, ``quantity`` in the trade basis.

    Returns
    -------
    Frame ``material_id``, ``partner`` (= ultimate origin), ``value_col`` re-allocated (totals preserved),
    ``via_eu`` (part of the value that came through an EU partner).
    """
    col = _qty_col(basis)
    eu = list(dict.fromkeys(eu_members))
    eu_set = set(eu)
    years = list(years)
    world = trade[trade["year"].isin(years) & trade["material_id"].isin(flows["material_id"].unique())]
    world = world.assign(**{c: world[c].astype(str) for c in ("material_id", "reporter", "partner")})
    world = world.groupby(["material_id", "reporter", "partner"], as_index=False)[col].sum(min_count=1)
    world[col] = world[col].fillna(0.0) / len(years)
    results = []
    for mid, f in flows.groupby("material_id", sort=False):
        w = world[world["material_id"] == mid]
        m_in = w[w["reporter"].isin(eu_set)]
        origins = sorted(set(m_in["partner"]) - eu_set | set(f["partner"]) - eu_set)
        k = len(eu)
        o_idx = {o: i for i, o in enumerate(origins)}
        e_idx = {c: i for i, c in enumerate(eu)}
        imp = np.zeros((k, k + len(origins)))  # columns: EU members (transient) then non-EU origins
        rep = m_in["reporter"].map(e_idx).to_numpy()
        col_of = {**e_idx, **{o: k + i for o, i in o_idx.items()}}
        par = m_in["partner"].map(col_of).to_numpy()
        np.add.at(imp, (rep, par), m_in[col].to_numpy(float))
        np.fill_diagonal(imp[:, :k], 0.0)
        m_tot = imp.sum(axis=1)
        if production is not None:
            pr = production[production["material_id"] == mid].set_index("country")["quantity"]
            dom = np.array([float(pr.get(c, 0.0)) for c in eu])
        else:
            x_tot = w[w["partner"].isin(eu_set)].groupby("partner")[col].sum().reindex(eu).fillna(0.0).to_numpy()
            dom = np.maximum(0.0, x_tot - m_tot)
        supply = dom + m_tot
        with np.errstate(divide="ignore", invalid="ignore"):
            q_mat = np.where(supply[:, None] > 0, imp[:, :k] / supply[:, None], 0.0)
            r_mat = np.where(supply[:, None] > 0, imp[:, k:] / supply[:, None], 0.0)
            d_vec = np.where(supply > 0, dom / supply, 1.0)  # no recorded supply: treat as own origin
        absorb = np.linalg.solve(np.eye(k) - q_mat, np.hstack([np.diag(d_vec), r_mat]))  # B = (I − Q)⁻¹ R
        labels = eu + origins
        fv = f.set_index("partner")[value_col]
        alloc = np.zeros(len(labels))
        via = np.zeros(len(labels))
        for p, v in fv.items():
            if p in e_idx:
                passed = v * absorb[e_idx[p]]
                alloc += passed
                via += passed
            else:
                j = k + o_idx[p]
                alloc[j] += v
        keep = alloc > 0
        results.append(pd.DataFrame({"material_id": mid, "partner": np.asarray(labels)[keep],
                                     value_col: alloc[keep], "via_eu": via[keep]}))
    if not results:
        return pd.DataFrame(columns=["material_id", "partner", value_col, "via_eu"])
    return pd.concat(results, ignore_index=True)


def import_dependence(
    flows: pd.DataFrame,
    eu_members: Sequence[str],
    *,
    value_col: str = "imports_dom",
    production: pd.Series | None = None,
) -> pd.DataFrame:
    """Import-dependence metrics per material (methods §7.2) from flows by partner.

    Returns one row per material with ``imports``, ``imports_dom``, ``exports``, ``x_over_m``, ``hub``,
    ``top_partner``, ``top_share``, ``cr3``, ``hhi_imp``, ``n_eff``, ``extra_eu_share``, ``ir_dom``
    (= M_dom / (P + M_dom)) and ``reason`` (``no_imports`` where M = 0; shares are then NaN).
    """
    from crmsec.indicators import concentration as conc

    eu_set = set(eu_members)
    rows = []
    for mid, f in flows.groupby("material_id", sort=True):
        v = f[value_col].to_numpy(float)
        sh = conc.shares(v)
        order = np.argsort(-np.nan_to_num(sh))
        total = float(np.nansum(v))
        extra = float(np.nansum(v[~f["partner"].isin(eu_set).to_numpy()]))
        p = float(production.get(mid, 0.0)) if production is not None else 0.0
        row = {
            "material_id": mid,
            "imports": float(f["imports"].sum()) if "imports" in f else np.nan,
            "imports_dom": total,
            "exports": float(f["exports"].iloc[0]) if "exports" in f else np.nan,
            "x_over_m": float(f["x_over_m"].iloc[0]) if "x_over_m" in f else np.nan,
            "hub": bool(f["hub"].iloc[0]) if "hub" in f else False,
            "top_partner": f["partner"].iloc[order[0]] if total > 0 else None,
            "top_share": float(conc.concentration_ratio(sh, 1)),
            "cr3": float(conc.concentration_ratio(sh, 3)),
            "hhi_imp": float(conc.hhi(sh)),
            "extra_eu_share": extra / total if total > 0 else np.nan,
            "ir_dom": total / (p + total) if (p + total) > 0 else np.nan,
            "reason": "" if total > 0 else "no_imports",
        }
        row["n_eff"] = float(conc.effective_suppliers(row["hhi_imp"]))
        rows.append(row)
    return pd.DataFrame(rows)
