"""The forms in which the Netherlands imports each CRMA Annex II entry, and the Dutch sourcing mix built from them.

``criticality/data/nl_trade_forms.csv`` lists per entry the trade codes by value-chain stage (``ore``,
``intermediate``, ``refined``, ``compound``, ``semi``, ``mixed``): BACI HS6 where the vendored BACI selection
has the code (imports *and* exports, so re-exports can be netted), Eurostat Comext CN8 where only Comext
has it (imports by partner, all EU-27 reporters, 2022–2024, EUR). Both are put on one value basis, k EUR
(BACI k USD ÷ the ECB annual USD/EUR rate), so shares are value-weighted.

Per entry and window (:func:`nl_sourcing`):

1. Hong Kong and Macao are attributed to China (re-export hubs of Chinese supply).
2. The stage that counts is the one with the largest mean annual NL import value in the window (stated in
   ``form_stage``); ``stage_rule="pooled"`` pools all stages (an alternative drawn by the uncertainty model).
3. Re-exports: BACI forms get the trade-only adjustment of methods §7.3 (``hub`` where X/M > 0.8); EU
   partners are looked through to ultimate origin **by default** with the other EU reporters' imports of
   the same form (:func:`crmsec.indicators.trade.look_through`); ``look_through=False`` gives the direct view.
4. Materiality floor: the NL view counts only when gross NL imports of the chosen stage reach ``floor_meur``
   (M EUR) in every year of the window that the stage's source covers; otherwise ``reason =
   below_materiality`` and the EU view is used.

References
----------
.. [1] CEPII BACI (HS6 trade); Eurostat Comext DS-045409 (CN8 imports) — see data/raw PROVENANCE files.
.. [2] crmsec methods spec §7.2–7.5 (import dependence, re-exports, look-through, windows).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from crmsec.errors import DataError

STAGES = ("ore", "intermediate", "refined", "compound", "semi", "mixed")
CHINA_ALIASES = {"HKG": "CHN", "MAC": "CHN"}
COMEXT_YEARS = (2022, 2023, 2024)
DEFAULT_FLOOR_MEUR = 1.0


def trade_forms(path: Path | None = None) -> pd.DataFrame:
    """The forms table with a clear error for an unknown stage or source."""
    path = path or Path(str(resources.files("crmsec.criticality").joinpath("data/nl_trade_forms.csv")))
    f = pd.read_csv(path, dtype={"code": int}, keep_default_na=False)
    for col, allowed in (("stage", STAGES), ("source", ("baci", "comext"))):
        bad = ~f[col].isin(allowed)
        if bad.any():
            pos = int(np.flatnonzero(bad.to_numpy())[0])
            raise DataError(f"unknown {col}", file=path, row=pos + 2, field=col, value=f[col].iloc[pos],
                            hint=f"use one of {', '.join(allowed)}")
    return f


@dataclass
class FormFlows:
    """All reporters' imports of every (entry, stage) key, k EUR, with the years each key's source covers."""

    flows: pd.DataFrame  # material_id (= "entry:stage"), reporter, partner, year, value_kusd (k EUR!), source
    years: dict[str, set[int]]  # key → years with data of its source


def form_flows(trade: pd.DataFrame, comext: pd.DataFrame | None, forms: pd.DataFrame | None = None) -> FormFlows:
    """Long frame of imports per (entry:stage) key from BACI (k USD → k EUR) and Comext (EUR → k EUR).

    The value column keeps the name ``value_kusd`` so the trade helpers apply unchanged; its unit is k EUR.
    """
    forms = forms if forms is not None else trade_forms()
    forms = forms.assign(key=forms["entry_id"] + ":" + forms["stage"])
    from crmsec.criticality.nl_value_added import eur_usd_rates

    rates = eur_usd_rates()
    parts = []
    b = forms[forms["source"] == "baci"]
    if len(b):
        t = trade[trade["hs6"].astype(int).isin(b["code"])]
        t = t.merge(b[["code", "key"]], left_on=t["hs6"].astype(int), right_on="code")
        rate = t["year"].map(rates).to_numpy(float)
        parts.append(pd.DataFrame({"material_id": t["key"].to_numpy(), "reporter": t["reporter"].astype(str).to_numpy(),
                                   "partner": t["partner"].astype(str).to_numpy(), "year": t["year"].to_numpy(),
                                   "value_kusd": t["value_kusd"].to_numpy(float) / rate, "source": "baci"}))
    c = forms[forms["source"] == "comext"]
    if len(c) and comext is not None and len(comext):
        x = comext[comext["cn8"].isin(c["code"])].merge(c[["code", "key"]], left_on="cn8", right_on="code")
        parts.append(pd.DataFrame({"material_id": x["key"].to_numpy(), "reporter": x["reporter"].to_numpy(),
                                   "partner": x["partner"].to_numpy(), "year": x["year"].to_numpy(),
                                   "value_kusd": x["value_eur"].to_numpy(float) / 1000.0, "source": "comext"}))
    cols = ["material_id", "reporter", "partner", "year", "value_kusd", "source"]
    flows = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)
    flows["partner"] = flows["partner"].replace(CHINA_ALIASES)
    flows["reporter"] = flows["reporter"].replace(CHINA_ALIASES)
    flows = flows[flows["partner"] != flows["reporter"]]
    flows = flows.groupby(["material_id", "reporter", "partner", "year", "source"], as_index=False)["value_kusd"].sum()
    # years a key covers: the years in which any reporter records its codes (CN8 codes such as 28469060 exist
    # only from 2023; a missing year is not a zero import)
    years = {key: set() for key in forms["key"].unique()}
    for key, ys in flows.groupby("material_id")["year"]:
        years[key] = set(ys.unique().tolist())
    return FormFlows(flows, years)


def nl_sourcing(ff: FormFlows, years: list[int], eu27: list[str], *, reporter: str = "NLD",
                look_through: bool = True, floor_meur: float = DEFAULT_FLOOR_MEUR,
                stage_rule: str = "value", forms: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per entry: chosen stage, gross NL imports, partners, hub flag, floor test; and the sourcing mix.

    Returns ``(summary, mix)``: ``summary`` one row per entry with ``form_stage``, ``form_source``,
    ``form_codes``, ``imports_meur`` (mean annual gross NL imports of the stage, M EUR), ``imports_min_meur``
    (smallest covered year), ``n_partners``, ``x_over_m``, ``hub``, ``below_floor``, ``years_covered``;
    ``mix`` the partner values ``v`` (k EUR/yr, look-through applied) with ``material_id`` = entry.
    """
    from crmsec.indicators import trade as T

    forms = forms if forms is not None else trade_forms()
    fl = ff.flows
    keys = sorted(ff.years)
    summary_rows, mixes = [], []
    nl_imp = fl[(fl["reporter"] == reporter) & fl["year"].isin(years)]
    by_key = {}
    for key in keys:
        cov = [y for y in years if y in ff.years[key]]
        k = nl_imp[nl_imp["material_id"] == key]
        annual = k.groupby("year")["value_kusd"].sum().reindex(cov).fillna(0.0)
        by_key[key] = (cov, annual)
    entries = sorted({k.split(":")[0] for k in keys})
    alt = forms[forms.get("role", pd.Series("primary", index=forms.index)) == "alternative"]
    alternative = set(alt["entry_id"] + ":" + alt["stage"])
    for entry in entries:
        ek = [k for k in keys if k.startswith(entry + ":")]
        means = {k: (float(by_key[k][1].mean()) if by_key[k][0] else 0.0) for k in ek}
        primary = [k for k in ek if k not in alternative]
        if stage_rule == "pooled":
            chosen = ek
        elif stage_rule == "value":
            # stage by value; "mixed" (REE aggregates) only when no specific stage has imports
            specific = {k: means[k] for k in primary if not k.endswith(":mixed")}
            pool = {k: means[k] for k in primary} or means
            best = max(specific, key=specific.get) if specific and max(specific.values()) > 0 else max(pool, key=pool.get)
            chosen = [best]
        else:
            raise DataError(f"unknown stage rule {stage_rule!r}", field="stage_rule", hint="use 'value' or 'pooled'")
        cov = sorted(set().union(*[set(by_key[k][0]) for k in chosen]))
        annual = sum((by_key[k][1].reindex(cov).fillna(0.0) for k in chosen), pd.Series(0.0, index=cov))
        stage = "+".join(k.split(":")[1] for k in chosen)
        f_rows = forms[(forms["entry_id"] == entry) & forms["stage"].isin([k.split(":")[1] for k in chosen])]
        sel = fl[fl["material_id"].isin(chosen) & fl["year"].isin(cov)].assign(material_id=entry)
        row = {"material_id": entry, "form_stage": stage,
               "form_source": "+".join(sorted(set(f_rows["source"]))),
               "form_codes": ";".join(str(c) for c in f_rows["code"]),
               "years_covered": ",".join(map(str, cov)),
               "imports_meur": float(annual.mean()) / 1000.0 if cov else np.nan,
               "imports_min_meur": float(annual.min()) / 1000.0 if cov else np.nan}
        if not cov or sel.empty:
            row.update({"n_partners": 0, "x_over_m": np.nan, "hub": False, "below_floor": True})
            summary_rows.append(row)
            continue
        flows_e = T.partner_flows(sel, reporter, cov)
        flows_e = flows_e[flows_e["imports"] > 0]
        exports = T.total_exports(sel, reporter, cov)
        adj = T.adjust_reexports(flows_e, exports)
        row["n_partners"] = int((flows_e["imports"] > 0).sum())
        row["x_over_m"] = float(adj["x_over_m"].iloc[0]) if len(adj) else np.nan
        row["hub"] = bool(adj["hub"].iloc[0]) if len(adj) else False
        row["below_floor"] = bool(annual.min() / 1000.0 < floor_meur)
        dom_tot = adj["imports_dom"].sum()
        adj["mix_value"] = adj["imports_dom"] if dom_tot > 0 else adj["imports"]
        if look_through:
            lt = T.look_through(adj, sel, cov, [c for c in eu27 if c != reporter], value_col="mix_value")
            m = lt.rename(columns={"mix_value": "v"})[["material_id", "partner", "v", "via_eu"]]
        else:
            m = adj.rename(columns={"mix_value": "v"})[["material_id", "partner", "v"]].assign(via_eu=0.0)
        mixes.append(m[m["v"] > 0])
        summary_rows.append(row)
    mix = pd.concat(mixes, ignore_index=True) if mixes else pd.DataFrame(columns=["material_id", "partner", "v", "via_eu"])
    return pd.DataFrame(summary_rows), mix
