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
    """EoL-RIR [0..1] per material_id: EU assessment (latest year with values, ``eol_rir_pct``), else the
    first store table with an ``eol_rir`` column (geopolrisk-packaged 2023 values)."""
    has = con.execute(
        "select count(*) from information_schema.columns where table_name='eu_assessment' and column_name='eol_rir_pct'"
    ).fetchone()[0]
    if has:
        df = con.execute(
            "select material_id, year, eol_rir_pct from eu_assessment where eol_rir_pct is not null "
            "order by year desc"
        ).df()
        if not df.empty:
            latest = df[df["year"] == df["year"].max()]
            return (latest.drop_duplicates("material_id").set_index("material_id")["eol_rir_pct"].astype(float)
                    / 100.0).rename(f"eol_rir_eu_{int(df['year'].max())}")
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
    order = list(dict.fromkeys(table["material_id"]))
    wide = table.pivot(index="material_id", columns="benchmark", values="value")
    wide = wide.reindex(index=order, columns=["extraction", "processing", "recycling", "diversification"])
    out = wide.reset_index()
    out.columns = [str(c) for c in out.columns]
    out.insert(1, "material", out["material_id"].map(table.drop_duplicates("material_id").set_index(
        "material_id")["material"]))
    div = table[table["benchmark"] == "diversification"].set_index("material_id")
    out["largest_third_country"] = out["material_id"].map(div["country"]).fillna("")
    out["nl_processing"] = out["material_id"].map(
        table[table["benchmark"] == "processing"].set_index("material_id")["nl_contribution"]
    ).fillna(math.nan)
    reasons = table[table["reason"] != ""].groupby("material_id")["reason"].apply(
        lambda s: " | ".join(s))
    out["reasons"] = out["material_id"].map(reasons).fillna("")
    return out
