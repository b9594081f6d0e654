"""Build :class:`SupplyInputs` for the engine from the vintage store and the shipped assumption tables (I/O edge).

What comes from where (each frame keeps its basis/source columns):

* sourcing mixes: ``eu_supply_shares`` (EU CRM 2023 study, Appendix 7, EU sourcing = domestic production +
  imports, suppliers ≥ 1 %) for ``EU27``. ``NLD`` uses the EU27 mix as a proxy by default (``mix_basis =
  eu27_sourcing_proxy``): no NL sourcing by ultimate origin is available (Comext/CBS missing; BACI lacks
  Ga/Ge/REE metals); ``nl_mix="trade"`` uses NL import-partner shares from BACI where possible (shipping
  country, transit not removed).
  Component-stage mixes (magnets, cells) come from the chain assumption table (``crmsec.chains``).
* world production: ``production`` (USGS MCS / WMD), per material and stage the source-year with the widest
  country coverage among the three most recent years (USGS lumps e.g. Saudi Arabia and Qatar aluminium into
  "Other countries", WMD lists them); IEA 2023 reported supply fills pairs USGS/WMD lack (battery-grade
  graphite refining, magnet REEs).
* consumption: EU27 = EU output at the material's last stage / EU members' share of the EU sourcing mix at
  that stage (same basis as the production table; only when that share ≥ 5 %); NLD = net imports of the
  material's HS6 products from ``trade`` (BACI, gross weight, transit not removed — flagged). NaN with a
  reason otherwise.
* sectors: ``end_use`` (EU CRM 2023 study, Appendix 6: use shares by NACE 2-digit and the EU sector VA used
  in the EI calculation) for EU27. NLD sector VA comes from a ``sector_va`` store table when present,
  otherwise NaN with the reason ``no_sector_va`` (CBS C10–C33 not available, see data/README).
* assumptions shipped here: ``data/exposure_params.csv`` (market vs direct mode, elasticities, rerouting,
  stocks), ``data/chokepoints.csv`` (route shares), ``data/route_groups.csv`` (importer groups).
"""

from __future__ import annotations

import math
from functools import lru_cache
from importlib import resources

import duckdb
import numpy as np
import pandas as pd

from crmsec.errors import DataError, InputError, StoreError
from crmsec.scenarios.engine import SupplyInputs
from crmsec.scenarios.spec import Scenario

EU_SCOPES = ("eu", "EU", "eu_sourcing", "EU sourcing", "eu27", "EU27")
MIN_SELF_SHARE = 0.05


def _data_file(name: str) -> pd.DataFrame:
    path = resources.files("crmsec.scenarios") / "data" / name
    with resources.as_file(path) as p:
        return pd.read_csv(p, keep_default_na=False, na_values=[""])


@lru_cache(maxsize=1)
def exposure_params() -> pd.DataFrame:
    """Per-material exposure parameters (assumption table with a ``source`` column)."""
    frame = _data_file("exposure_params.csv")
    bad = frame[~frame["mode"].isin(["direct", "market"])]
    if not bad.empty:
        raise DataError("exposure mode must be 'direct' or 'market'", file="scenarios/data/exposure_params.csv",
                        row=int(bad.index[0]) + 2, field="mode", value=bad["mode"].iloc[0])
    if "*" not in set(frame["material_id"]):
        raise DataError("exposure parameter table needs a '*' default row", file="scenarios/data/exposure_params.csv")
    return frame


@lru_cache(maxsize=1)
def chokepoint_table() -> pd.DataFrame:
    """Chokepoint route shares: chokepoint, exporter, importer, material_id, route_share, source, note."""
    frame = _data_file("chokepoints.csv")
    bad = frame[(frame["route_share"] < 0) | (frame["route_share"] > 1) | frame["route_share"].isna()]
    if not bad.empty:
        raise DataError("route_share must lie in [0, 1]", file="scenarios/data/chokepoints.csv",
                        row=int(bad.index[0]) + 2, field="route_share", value=bad["route_share"].iloc[0])
    return frame


def region_groups(eu27: list[str] | None = None) -> dict[str, frozenset[str]]:
    """Importer regions and route groups: ``EU27``, ``NLD``, ``EUROPE`` (+ every EU27 member as itself)."""
    if eu27 is None:
        from crmsec.registry import group_members

        eu27 = group_members("eu27")
    groups: dict[str, frozenset[str]] = {"EU27": frozenset(eu27), "NLD": frozenset({"NLD"})}
    rg = _data_file("route_groups.csv")
    for name, g in rg.groupby("group"):
        members: set[str] = set()
        for code in g["iso3"]:
            members |= set(groups[code]) if code in groups else {code}
        groups[str(name)] = frozenset(members)
    return groups


def check_scenario_materials(scenario: Scenario, known: set[str]) -> None:
    """Every material id of a scenario must exist in the material registry."""
    unknown = [m for m in scenario.materials if m != "*" and m not in known]
    if unknown:
        raise InputError(
            f"scenario {scenario.id!r}: field 'materials': unknown material id(s) {', '.join(unknown)}; "
            "use registry ids (`crmsec` material registry, e.g. gallium, natural_graphite, neodymium)"
        )


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(con.execute(
        "select count(*) from information_schema.tables where table_name = ?", [name]
    ).fetchone()[0])


def _table(con: duckdb.DuckDBPyConnection, name: str) -> pd.DataFrame:
    if not _has_table(con, name):
        raise StoreError(f"the store has no table '{name}'; rebuild it with `crmsec data build`")
    return con.execute(f'select * from "{name}"').df()


def eu_mixes(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """EU27 sourcing mix per material and stage from ``eu_supply_shares`` (share as a fraction 0..1)."""
    ss = _table(con, "eu_supply_shares")
    ss = ss[ss["scope"].astype(str).isin(EU_SCOPES)]
    out = ss[["material_id", "stage", "country", "share"]].copy()
    out["share"] = pd.to_numeric(out["share"], errors="coerce")
    if out["share"].max() > 1.0 + 1e-9:  # stored as percent
        out["share"] = out["share"] / 100.0
    out = out.dropna(subset=["share"])
    out = out.groupby(["material_id", "stage", "country"], as_index=False)["share"].sum()
    return out.assign(region="EU27", mix_basis="eu_crm_2023_eu_sourcing")


def world_production(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """World production by country, per material and stage: latest year of the best-covered source."""
    prod = _table(con, "production")
    prod = prod[prod["country"].astype(str).str.fullmatch(r"[A-Z]{3}") & prod["quantity"].notna()]
    if prod.empty:
        return pd.DataFrame(columns=["material_id", "stage", "country", "quantity", "unit", "source", "year"])
    cover = prod.groupby(["material_id", "stage", "source", "year", "unit"]).agg(n=("country", "nunique")).reset_index()
    latest = cover.groupby(["material_id", "stage"])["year"].transform("max")
    cover = cover[cover["year"] >= latest - 2]  # recent years only; then the widest country coverage
    cover = cover.sort_values(["material_id", "stage", "n", "year"], ascending=[True, True, False, False])
    best = cover.drop_duplicates(["material_id", "stage"])[["material_id", "stage", "source", "year", "unit"]]
    sel = prod.merge(best, on=["material_id", "stage", "source", "year", "unit"])
    out = sel.groupby(["material_id", "stage", "country", "unit", "source", "year"], as_index=False)["quantity"].sum()
    if _has_table(con, "iea_supply"):  # IEA 2023 reported supply fills (material, stage) pairs USGS/WMD lack
        iea = con.execute(
            "select material_id, stage, country, unit, source, year, sum(quantity) quantity from iea_supply "
            "where scenario = 'reported' and quantity is not null and regexp_full_match(country, '[A-Z]{3}|_OTH') "
            "group by 1, 2, 3, 4, 5, 6"
        ).df()
        have = set(zip(out["material_id"], out["stage"], strict=True))
        iea = iea[[(m, s) not in have for m, s in zip(iea["material_id"], iea["stage"], strict=True)]]
        out = pd.concat([out, iea], ignore_index=True)
    return out


def consumption(con: duckdb.DuckDBPyConnection, mixes: pd.DataFrame, world: pd.DataFrame,
                eu27: frozenset[str]) -> pd.DataFrame:
    """Annual consumption per region and material (see module docstring), NaN with a reason."""
    rows = []
    for mat, g in mixes[mixes["region"] == "EU27"].groupby("material_id"):
        stages = [st for st in ("processing", "extraction") if st in set(g["stage"])]
        found, whys = False, []
        for st in stages:  # the material's own stages, processing first (consumption at the stage of use)
            self_share = float(g.loc[(g["stage"] == st) & g["country"].isin(eu27), "share"].sum())
            w = world[(world["material_id"] == mat) & (world["stage"] == st)]
            eu_out = float(w.loc[w["country"].isin(eu27), "quantity"].sum()) if not w.empty else math.nan
            if self_share >= MIN_SELF_SHARE and np.isfinite(eu_out) and eu_out > 0:
                rows.append({"region": "EU27", "material_id": mat, "consumption": eu_out / self_share,
                             "unit": str(w["unit"].iloc[0]), "reason": "",
                             "basis": f"derived: EU {st} output / EU members' share {self_share:.0%} of EU sourcing",
                             "source": f"production ({w['source'].iloc[0]} {int(w['year'].iloc[0])}); eu_supply_shares"})
                found = True
                break
            whys.append(f"EU members' share of EU sourcing at {st} is {self_share:.0%} (< 5 %)"
                        if self_share < MIN_SELF_SHARE else f"no EU {st} output in the production table")
        if not found:
            rows.append({"region": "EU27", "material_id": mat, "consumption": math.nan, "unit": "t", "basis": "",
                         "source": "", "reason": "no_consumption: " + ("; ".join(whys) or "no sourcing mix")})
    if _has_table(con, "trade"):
        tr = con.execute(
            """
            with imp as (select material_id, year, sum(tonnes) t from trade where reporter = 'NLD'
                         and material_id is not null group by 1, 2),
                 exp as (select material_id, year, sum(tonnes) t from trade where partner = 'NLD'
                         and material_id is not null group by 1, 2),
                 y as (select max(year) y from trade)
            select imp.material_id, imp.year, imp.t as imports, coalesce(exp.t, 0) as exports
            from imp left join exp using (material_id, year), y where imp.year = y.y
            """
        ).df()
        for r in tr.itertuples(index=False):
            net = float(r.imports) - float(r.exports)
            rows.append({
                "region": "NLD", "material_id": r.material_id,
                "consumption": net if net > 0 else math.nan, "unit": "t",
                "basis": "net imports of the material's HS6 products, gross weight, transit not removed (BACI)",
                "source": f"trade (BACI) {int(r.year)}",
                "reason": "" if net > 0 else "no_consumption: NL is a net exporter (transit hub) of these HS6 products",
            })
    out = pd.DataFrame(rows)
    if "reason" not in out:
        out["reason"] = ""
    return out


def sector_use(con: duckdb.DuckDBPyConnection, regions: tuple[str, ...] = ("NLD", "EU27"),
               attribution: str = "stop") -> pd.DataFrame:
    """Material → NACE sector links with the sector's VA [M EUR/yr] per region.

    ``attribution``: ``stop`` (default) re-books applications to the sectors that stop without them
    (``crmsec.scenarios.cases.attribute_sectors``, e.g. magnets C25 → C27–C29); ``eu_ei`` keeps the EU EI
    convention. ``dependency`` is the share of the sector's output that needs the material (1 = whole sector),
    from the assumption table ``scenarios/data/sector_dependency.csv`` (``dependency_basis`` says which row).
    """
    from crmsec.scenarios.cases import attribute_sectors, dependency_shares

    eu = _table(con, "end_use")
    va_col = next((c for c in ("va_meur", "va", "va_million_eur") if c in eu.columns), None)
    nace = eu["nace"].fillna("").astype(str).str.strip()
    if "nace_label" in eu:  # some rows carry the code only in the label ("C29 - Manufacture of …")
        from_label = eu["nace_label"].fillna("").astype(str).str.extract(r"^([A-U]\d{2})\b")[0].fillna("")
        nace = nace.where(nace != "", from_label)
    eu = eu.assign(nace=nace)
    eu = eu[eu["nace"] != ""]
    va_by_nace = eu.groupby("nace")[va_col].max() if va_col else pd.Series(dtype=float)
    eu = attribute_sectors(eu, attribution)
    base = eu.groupby(["material_id", "nace"], as_index=False).agg(
        use_share=("share", "sum"), attribution=("attribution", "first"))
    base = dependency_shares(base)  # assumption table, not the end-use share (cases module docstring)
    base["va_meur"] = base["nace"].map(va_by_nace).astype(float)
    parts = [base.assign(region="EU27", va_basis="EU sector VA used in the EU CRM 2023 EI (Appendix 6)")]
    if "NLD" in regions:
        nl = base.assign(region="NLD", va_meur=math.nan, va_basis="")
        if _has_table(con, "sector_va"):
            # ``basis`` says whether this is CBS data or the labelled proxy; it travels into every result row
            sva = con.execute("select nace, va_meur, basis from sector_va where country = 'NLD'").df()
            sva = sva.assign(nace=sva["nace"].astype(str)).drop_duplicates("nace")
            nl = nl.drop(columns=["va_meur", "va_basis"]).merge(sva, on="nace", how="left")
            nl = nl.rename(columns={"basis": "va_basis"})
        parts.append(nl)
    return pd.concat(parts, ignore_index=True)


def nl_trade_mixes(con: duckdb.DuckDBPyConnection, years: int = 3) -> pd.DataFrame:
    """NL import-partner shares (BACI tonnes, mean of the last ``years`` years) per material at the stage of
    its primary HS6 code (``wmd_hs_map.hs_stage``). Partners are the *shipping* countries: re-exports through
    Belgium/Germany are not traced to the ultimate origin (methods §7.3) — flag ``transit_not_removed``."""
    if not (_has_table(con, "trade") and _has_table(con, "wmd_hs_map")):
        return pd.DataFrame(columns=["material_id", "stage", "country", "share", "mix_basis"])
    df = con.execute(
        f"""
        with m as (select material_id, hs_stage as stage, hs6 from wmd_hs_map
                   where hs_stage in ('extraction', 'processing') and hs6 is not null and hs6 <> ''),
             y as (select max(year) y from trade)
        select m.material_id, m.stage, t.partner as country, m.hs6, sum(t.tonnes) / {years} as tonnes
        from trade t join m on t.hs6 = m.hs6 and t.material_id = m.material_id, y
        where t.reporter = 'NLD' and t.partner <> 'NLD' and t.year > y.y - {years} and t.tonnes > 0
        group by 1, 2, 3, 4
        """
    ).df()
    if df.empty:
        return pd.DataFrame(columns=["material_id", "stage", "country", "share", "mix_basis"])
    tot = df.groupby(["material_id", "stage"])["tonnes"].transform("sum")
    return df.assign(share=df["tonnes"] / tot,
                     mix_basis="baci_nl_imports:" + df["hs6"].astype(str) + " (transit_not_removed)")[
        ["material_id", "stage", "country", "share", "mix_basis"]]


def supply_inputs(con: duckdb.DuckDBPyConnection, *, extra_mixes: pd.DataFrame | None = None,
                  regions: tuple[str, ...] = ("NLD", "EU27"), nl_mix: str = "eu_proxy",
                  attribution: str = "stop") -> SupplyInputs:
    """Assemble the engine inputs from the store (+ chain component mixes in ``extra_mixes``).

    ``nl_mix``: ``eu_proxy`` (default; NL sourcing = the EU27 sourcing mix) or ``trade`` (NL import-partner
    shares from BACI where the material has an HS6 code of known stage, EU proxy elsewhere).
    """
    from crmsec.registry.materials import materials as registry_materials

    if nl_mix not in ("eu_proxy", "trade"):
        raise InputError(f"nl_mix {nl_mix!r}: choose 'eu_proxy' or 'trade'")
    groups = region_groups()
    mixes = eu_mixes(con)
    if extra_mixes is not None and not extra_mixes.empty:
        mixes = pd.concat([mixes, extra_mixes.assign(region="EU27")], ignore_index=True)
    nl = mixes[mixes["region"] == "EU27"].assign(region="NLD", mix_basis="eu27_sourcing_proxy")
    if nl_mix == "trade":
        tm = nl_trade_mixes(con)
        keys = set(zip(tm["material_id"], tm["stage"], strict=True))
        nl = nl[[(m, s) not in keys for m, s in zip(nl["material_id"], nl["stage"], strict=True)]]
        nl = pd.concat([nl, tm.assign(region="NLD")], ignore_index=True)
    mixes = pd.concat([mixes, nl], ignore_index=True)
    world = world_production(con)
    cons = consumption(con, mixes, world, groups["EU27"])
    subst: dict[str, float] = {}
    if _has_table(con, "eu_assessment"):
        cols = set(con.execute("select column_name from information_schema.columns "
                               "where table_name = 'eu_assessment'").df()["column_name"])
        if "si_ei" in cols:
            si = con.execute("select material_id, max(si_ei) si from eu_assessment where year = 2023 "
                             "and si_ei is not null group by 1").df()
            subst = dict(zip(si["material_id"], si["si"].astype(float), strict=True))
    reg = registry_materials()
    names = dict(zip(reg["material_id"], reg["name_en"], strict=True))
    return SupplyInputs(
        mixes=mixes, world=world, consumption=cons, sector_use=sector_use(con, regions, attribution),
        params=exposure_params(), chokepoints=chokepoint_table(), members=groups, material_names=names,
        substitution=subst,
    )
