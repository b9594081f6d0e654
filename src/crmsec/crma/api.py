"""Store-backed CRMA tracker (I/O edge): inputs from the store and the chain assumption table → :func:`crma_benchmarks`."""

from __future__ import annotations

import math

import duckdb
import pandas as pd

from crmsec.crma.benchmarks import EU_PERIOD, GROUPS, crma_benchmarks

# Group rows shown as element detail under an Annex I entry although the registry does not flag them strategic:
# the EU 2023 study and the EC/JRC 2022 status report HREE and LREE as groups.
DETAIL_GROUPS = {"hree": "magnet_rees", "lree": "magnet_rees"}
# Intermediate stages of the battery-grade and magnet entries (chain assumption table, global capacity shares):
# (chain_id, node_id) → (stage name, materials). Annex I: "graphite battery grade", "lithium/nickel/manganese
# battery grade", "rare earth elements for magnets".
INTERMEDIATES = {
    ("batteries", "anode"): ("anode material", ["graphite"]),
    ("batteries", "pcam"): ("cathode precursor (pCAM)", ["nickel", "manganese"]),
    ("batteries", "cathode"): ("cathode material", ["lithium"]),
    ("magnets", "ndfeb_magnets"): ("magnet", ["magnet_rees", "neodymium", "praseodymium", "terbium", "dysprosium",
                                              "gadolinium", "samarium", "cerium", "hree", "lree"]),
}
TITLE = ("CRMA 2030 benchmarks (share of EU consumption; EU data " + EU_PERIOD
         + "; fallbacks: world production latest year, as labelled per row)")


def strategic_materials() -> pd.DataFrame:
    """Annex I strategic raw materials from the registry (+ HREE/LREE detail): material_id, material, level, parent."""
    from crmsec.registry.materials import materials

    reg = materials()
    flag = reg["crma_strategic"].astype(str).isin(["1", "True", "true"])
    out = reg.loc[flag, ["material_id", "name_en", "parent_id"]].rename(columns={"name_en": "material"})
    strategic = set(out["material_id"])
    member_of = {m: g for g, ms in GROUPS.items() if g in strategic for m in ms}
    parent = [p if isinstance(p, str) and p in strategic else (member_of.get(m, "") if member_of.get(m, "") in
              strategic else "") for m, p in zip(out["material_id"], out["parent_id"], strict=True)]
    out = out.assign(parent=parent, level=["element" if p else "annex" for p in parent]).drop(columns="parent_id")
    extra = reg[reg["material_id"].isin(list(DETAIL_GROUPS))][["material_id", "name_en"]].rename(
        columns={"name_en": "material"})
    extra = extra.assign(parent=extra["material_id"].map(DETAIL_GROUPS), level="element")
    out = pd.concat([out, extra], ignore_index=True)
    return out[["material_id", "material", "level", "parent"]].reset_index(drop=True)


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


def import_reliance(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """IR per material and stage [0..1] from the EU CRM 2023 results (``ir_pct`` is the extraction-stage IR of
    materials assessed at extraction, ``ir_processing_pct`` the processing-stage IR)."""
    cols = set(con.execute("select column_name from information_schema.columns where table_name='eu_assessment'")
               .df()["column_name"])
    if not {"ir_pct", "ir_processing_pct", "stages_assessed"} <= cols:
        return pd.DataFrame(columns=["material_id", "stage", "ir"])
    df = con.execute("select material_id, ir_pct, ir_processing_pct, stages_assessed from eu_assessment "
                     "where year = 2023 and (ir_pct is not null or ir_processing_pct is not null)").df()
    ext = df[df["stages_assessed"].astype(str).str.contains("E") & df["ir_pct"].notna()]
    parts = [ext.assign(stage="extraction", ir=ext["ir_pct"] / 100.0),
             df[df["ir_processing_pct"].notna()].assign(stage="processing", ir=lambda d: d["ir_processing_pct"] / 100)]
    out = pd.concat(parts, ignore_index=True)[["material_id", "stage", "ir"]]
    return out.drop_duplicates(["material_id", "stage"])


def global_supply(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Global supply shares per material and stage, one source per pair in priority order: world production
    (store, latest year) → EU CRM 2023 global shares (2016–2020) → chain intermediate stages (assumption table)."""
    from crmsec.chains.model import stage_share_assumptions
    from crmsec.scenarios.inputs import world_production

    w = world_production(con)
    w = w[w["quantity"] > 0]
    tot = w.groupby(["material_id", "stage"])["quantity"].transform("sum")
    prod = w.assign(share=w["quantity"] / tot, basis="world production " + w["source"].astype(str).str.upper()
                    + " " + w["year"].astype(int).astype(str), period=w["year"].astype(int).astype(str))
    gs = con.execute("select material_id, stage, country, share from eu_supply_shares where scope = 'global'").df()
    gs = gs.assign(basis="EU CRM 2023 global supply", period=EU_PERIOD)
    ass = stage_share_assumptions()
    inter = []
    for (cid, node), (stage, mats) in INTERMEDIATES.items():
        sub = ass[(ass["chain_id"] == cid) & (ass["node_id"] == node)]
        for m in mats:
            inter.append(sub.assign(material_id=m, stage=stage, basis="chain assumption table: " + sub["source"],
                                    period=sub["year"].astype(str)))
    cols = ["material_id", "stage", "country", "share", "basis", "period"]
    frames = [prod[cols], gs[cols]] + [f[cols] for f in inter]
    out = pd.concat(frames, ignore_index=True)
    first = out.drop_duplicates(["material_id", "stage"])[["material_id", "stage", "basis"]]
    return out.merge(first, on=["material_id", "stage", "basis"])  # one source per (material, stage)


def crma_table(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The CRMA benchmark table for every strategic raw material (see :func:`crma_benchmarks`)."""
    from crmsec.registry import group_members
    from crmsec.scenarios.inputs import eu_mixes

    return crma_benchmarks(strategic_materials(), eu_mixes(con), eol_rir_from_store(con), set(group_members("eu27")),
                           supply=global_supply(con), ir=import_reliance(con))


def crma_wide(table: pd.DataFrame) -> pd.DataFrame:
    """One row per material with the four figures side by side (NaN kept; ``*_display`` says "< 1 %")."""
    order = list(dict.fromkeys(table["material_id"]))
    by = table.set_index(["material_id", "benchmark"])
    out = pd.DataFrame({"material_id": order})
    first = table.drop_duplicates("material_id").set_index("material_id")
    out["material"] = out["material_id"].map(first["material"])
    if "level" in first:
        out["level"] = out["material_id"].map(first["level"])
        out["parent"] = out["material_id"].map(first["parent"])
    for b in ("extraction", "processing", "recycling", "diversification"):
        col = "recycling_eol_rir_proxy" if b == "recycling" else b
        out[col] = [by.loc[(m, b), "value"] if (m, b) in by.index else math.nan for m in order]
        if "display" in by:
            out[f"{col}_display"] = [by.loc[(m, b), "display"] if (m, b) in by.index else "" for m in order]
    div = table[table["benchmark"] == "diversification"].set_index("material_id")
    out["largest_third_country"] = out["material_id"].map(div["country"]).fillna("")
    if "set_by" in div:  # group entries: which element sets the group figure ("max over elements: …")
        out["diversification_set_by"] = out["material_id"].map(div["set_by"]).fillna("")
    out["worst_stage"] = out["material_id"].map(div["stage"]).fillna("")
    out["meets_65pct_cap"] = out["material_id"].map(div["meets"])
    proc = table[table["benchmark"] == "processing"].set_index("material_id")
    out["nl_processing"] = out["material_id"].map(proc["nl_contribution"]).astype(float)
    out["nl_processing_display"] = out["material_id"].map(proc["nl_display"]) if "nl_display" in proc else ""
    if "reference_period" in table:
        short = table["reference_period"].str.replace(EU_PERIOD, "2016-20", regex=False)
        short = short.where(~short.str.startswith("EU CRM 2023 study (EoL"), "")
        per = short[short != ""].groupby(table["material_id"]).apply(lambda s: ", ".join(sorted(dict.fromkeys(s))))
        out["reference_period"] = out["material_id"].map(per).fillna("no data (see reasons)")
    reasons = table[table["reason"] != ""].groupby("material_id")["reason"].apply(lambda s: " | ".join(s))
    out["reasons"] = out["material_id"].map(reasons).fillna("")
    return out
