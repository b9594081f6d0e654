"""Store-backed CRMA tracker (I/O edge)."""

from __future__ import annotations

import math

import duckdb
import pandas as pd

from crmsec.crma.benchmarks import crma_benchmarks


def strategic_materials() -> pd.DataFrame:
    """Annex I strategic raw materials from the registry: material_id, material."""
    from crmsec.registry.materials import materials

    reg = materials()
    flag = reg["crma_strategic"].astype(str).isin(["1", "True", "true"])
    return reg.loc[flag, ["material_id", "name_en"]].rename(columns={"name_en": "material"}).reset_index(drop=True)


def eol_rir_from_store(con: duckdb.DuckDBPyConnection) -> pd.Series:
    """EoL-RIR [0..1] per material_id from the first store table that carries an ``eol_rir`` column."""
    cols = con.execute(
        "select table_name from information_schema.columns where column_name = 'eol_rir'"
    ).df()["table_name"].tolist()
    for table in sorted(cols, key=lambda t: (t != "eu_assessment", t)):
        has_year = bool(con.execute(
            "select count(*) from information_schema.columns where table_name = ? and column_name = 'year'", [table]
        ).fetchone()[0])
        order = "order by year desc" if has_year else ""
        df = con.execute(f'select material_id, eol_rir from "{table}" where eol_rir is not null {order}').df()
        if df.empty:
            continue
        s = df.drop_duplicates("material_id").set_index("material_id")["eol_rir"].astype(float)
        if s.max() > 1.0 + 1e-9:
            s = s / 100.0
        return s
    return pd.Series(dtype=float)


def crma_table(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The CRMA benchmark table for every strategic raw material (see :func:`crma_benchmarks`)."""
    from crmsec.registry import group_members
    from crmsec.scenarios.inputs import eu_mixes

    mix = eu_mixes(con)
    return crma_benchmarks(strategic_materials(), mix, eol_rir_from_store(con), set(group_members("eu27")))


def crma_wide(table: pd.DataFrame) -> pd.DataFrame:
    """One row per material with the four figures side by side (NaN kept) — for display."""
    wide = table.pivot_table(index=["material_id", "material"], columns="benchmark", values="value",
                             aggfunc="first", dropna=False)
    wide = wide.reindex(columns=["extraction", "processing", "recycling", "diversification"])
    out = wide.reset_index()
    out.columns = [str(c) for c in out.columns]
    div = table[table["benchmark"] == "diversification"].set_index("material_id")
    out["largest_third_country"] = out["material_id"].map(div["country"]).fillna("")
    out["nl_processing"] = out["material_id"].map(
        table[table["benchmark"] == "processing"].set_index("material_id")["nl_contribution"]
    ).fillna(math.nan)
    reasons = table[table["reason"] != ""].groupby("material_id")["reason"].apply(
        lambda s: " | ".join(s))
    out["reasons"] = out["material_id"].map(reasons).fillna("")
    return out
