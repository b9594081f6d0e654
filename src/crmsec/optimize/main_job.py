"""Step of the main job (``crmsec run``): crisis allocation and stockpile sizing outputs.

Writes, under ``out_dir/optimize/``, the results of the packaged example inputs (worked examples of methods
§5.3(C) and §5.4, and clearly labelled ILLUSTRATIVE inputs — see :mod:`crmsec.optimize.demo`), and
``out_dir/stockpile_coverage_nl.csv``: the IEA-style coverage-days rule (methods §5.3(A)) applied to NL net
imports from BACI and the EU 2023 supply-risk scores in the store.

Coverage-days on store data — what it is and is not
---------------------------------------------------
* Consumption basis: NL **net imports** ``max(0, M - X)`` in tonnes (the IEA oil rule counts net imports;
  net exporters are exempt: stock 0 with reason ``net_exporter``), mean over ``years``, from BACI (importer =
  reporter). Only materials whose trade rows are one HS6 product are sized: tonnes of ores, compounds and
  metal must not be added (methods §7.2) — others get NaN with reason ``mixed_hs_forms``. The tonnes are the
  gross weight of that HS6 product, stated in ``basis``.
* Exposure ``e``: share of NL import value from outside the EU27 (value basis, same years).
* Risk tier: percentile of the EU 2023 supply risk ``sr`` among the sized materials (30/60/90/180 days,
  ``data/coverage_tiers.csv``). Availability factor 0.9 (IEA).
* BACI overstates NL use of transit goods (re-exports, quasi-transit); ``M - X`` removes re-exports only
  roughly. Replace with CBS imports for domestic use when available (methods §7.3).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from crmsec.optimize.stockpile import coverage_days_stock
from crmsec.output import write_frame


def nl_coverage_from_trade(
    trade: pd.DataFrame,
    supply_risk: pd.DataFrame,
    eu_members: Sequence[str],
    *,
    years: Sequence[int],
    country: str = "NLD",
    availability_factor: float = 0.9,
) -> pd.DataFrame:
    """Coverage-days stock targets from bilateral trade and supply-risk scores (pure; methods §5.3(A)).

    Parameters
    ----------
    trade : rows of the store's ``trade`` table (``reporter`` = importer, ``partner`` = exporter, ``hs6``,
        ``year``, ``tonnes`` [t], ``value_kusd``, ``material_id``) with ``country`` as reporter or partner.
    supply_risk : ``material_id, sr`` (e.g. EU 2023 assessment).
    eu_members : ISO3 codes of the EU27 (for the exposure share).
    years : the years averaged (a window smooths one-off shipments).
    country : the member state (ISO3).
    availability_factor : usable share of the stock a_m [-] (IEA 0.9).

    Returns
    -------
    DataFrame ``material_id, hs6, sr, risk_tier, days, imports_t_per_yr, exports_t_per_yr,
    net_imports_t_per_yr, exposed_share, availability_factor, stock_t, basis, reason``.
    """
    yrs = list(years)
    t = trade[trade["year"].isin(yrs)]
    imp = t[t["reporter"] == country]
    exp = t[t["partner"] == country]
    forms = pd.concat([imp, exp]).groupby("material_id")["hs6"].nunique()
    eu = set(eu_members)
    rows = []
    sr = supply_risk.drop_duplicates("material_id").set_index("material_id")["sr"]
    for mid in sorted(forms.index):
        i_m = imp[imp["material_id"] == mid]
        e_m = exp[exp["material_id"] == mid]
        row = {"material_id": mid, "sr": float(sr.get(mid, np.nan)), "reason": ""}
        if forms[mid] > 1:
            row.update(
                hs6="|".join(str(h) for h in sorted(pd.concat([i_m, e_m])["hs6"].unique())),
                reason="mixed_hs_forms",
            )
            rows.append(row)
            continue
        row["hs6"] = str(pd.concat([i_m, e_m])["hs6"].iat[0])
        if i_m["tonnes"].isna().all() and e_m["tonnes"].isna().all():
            row["reason"] = "no_tonnes"
            rows.append(row)
            continue
        m_t = i_m["tonnes"].sum() / len(yrs)
        x_t = e_m["tonnes"].sum() / len(yrs)
        val = i_m["value_kusd"].sum()
        row.update(
            imports_t_per_yr=m_t,
            exports_t_per_yr=x_t,
            net_imports_t_per_yr=max(0.0, m_t - x_t),
            exposed_share=(i_m.loc[~i_m["partner"].isin(eu), "value_kusd"].sum() / val)
            if val > 0
            else np.nan,
        )
        if m_t - x_t <= 0:
            row["reason"] = "net_exporter"
        rows.append(row)
    df = pd.DataFrame(rows)
    for col in ("imports_t_per_yr", "exports_t_per_yr", "net_imports_t_per_yr", "exposed_share"):
        if col not in df:
            df[col] = np.nan
    sized = (df["reason"].isin(["", "net_exporter"])) & df["sr"].notna() & df["exposed_share"].notna()
    df.loc[(df["reason"] == "") & df["sr"].isna(), "reason"] = "no_sr"
    df.loc[(df["reason"] == "") & df["exposed_share"].isna(), "reason"] = "no_import_value"
    cov = coverage_days_stock(
        df.loc[sized, ["material_id", "sr", "exposed_share"]].assign(
            consumption_t_per_yr=df.loc[sized, "net_imports_t_per_yr"]
        ),
        score="sr",
        availability_factor=availability_factor,
    )
    df = df.merge(
        cov[["material_id", "risk_tier", "days", "availability_factor", "stock_t"]],
        on="material_id",
        how="left",
    )
    df.loc[df["reason"] == "net_exporter", "stock_t"] = 0.0  # IEA rule: net exporters are exempt
    df["basis"] = np.where(
        df["reason"].isin(["", "net_exporter"]),
        f"{country} net imports (M - X), BACI gross tonnes of HS6 "
        + df["hs6"].astype(str)
        + f", mean {min(yrs)}-{max(yrs)}",
        "",
    )
    cols = [
        "material_id",
        "hs6",
        "sr",
        "risk_tier",
        "days",
        "imports_t_per_yr",
        "exports_t_per_yr",
        "net_imports_t_per_yr",
        "exposed_share",
        "availability_factor",
        "stock_t",
        "basis",
        "reason",
    ]
    return df[cols]


def write_outputs(out_dir: Path, con, store: Path) -> list[Path]:
    """Main-job step: example results under ``out_dir/optimize/`` and the NL coverage-days table."""
    from crmsec.optimize.demo import run_examples
    from crmsec.registry import group_members, materials

    out_dir = Path(out_dir)
    paths = run_examples(out_dir / "optimize")
    last = con.sql("select max(year) from trade where reporter = 'NLD'").fetchall()[0][0]
    years = [last - 2, last - 1, last] if last is not None else []
    trade = con.execute(
        "select reporter, partner, hs6, year, tonnes, value_kusd, material_id from trade "
        "where (reporter = 'NLD' or partner = 'NLD') and material_id is not null and year >= ?",
        [years[0] if years else None],
    ).df()  # only the averaged years (the table holds ~30)
    sr = con.sql(
        "select material_id, sr from eu_assessment where year = (select max(year) from eu_assessment) "
        "and sr is not null"
    ).df()
    cov = nl_coverage_from_trade(trade, sr, group_members("eu27"), years=years)
    names = materials().set_index("material_id")["name_en"]
    cov.insert(1, "material", cov["material_id"].map(names))
    path = out_dir / "stockpile_coverage_nl.csv"
    write_frame(cov, path)
    paths.append(path)
    return paths
