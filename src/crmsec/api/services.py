"""Read-only queries on the vintage store for the web face and the briefings (I/O edge, no methods).

The numbers themselves come from the store's tidy tables and from the engines' public functions
(:mod:`crmsec.api.engines`); this module only selects, joins and shapes them. Shares and HHI use the one
implementation in :mod:`crmsec.indicators.concentration`.
"""

from __future__ import annotations

import math
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from crmsec.errors import StoreError, UnknownNameError
from crmsec.indicators.concentration import hhi, shares

_NAME = {"en": "name_en", "nl": "name_nl"}


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return set(con.execute("SELECT table_name FROM information_schema.tables").df()["table_name"])


def _need(con: duckdb.DuckDBPyConnection, table: str) -> None:
    if table not in _tables(con):
        raise StoreError(f"store has no table '{table}'; rebuild it with `crmsec data build`")


def clean(value: Any) -> Any:
    """JSON-safe scalar: NaN/inf → None, numpy scalars → Python."""
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Frame → list of JSON-safe dicts (NaN → None)."""
    cols = list(frame.columns)
    return [{c: clean(v) for c, v in zip(cols, row, strict=True)} for row in frame.itertuples(index=False)]


def materials(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The material registry as stored in the vintage (one row per ``material_id``)."""
    _need(con, "materials")
    return con.execute("SELECT * FROM materials ORDER BY material_id").df()


def material(con: duckdb.DuckDBPyConnection, material_id: str) -> dict[str, Any]:
    frame = con.execute("SELECT * FROM materials WHERE material_id = ?", [material_id]).df()
    if frame.empty:
        raise UnknownNameError(f"unknown material_id '{material_id}'", field="material_id", value=material_id,
                               hint="list the ids with GET /api/v1/materials")
    return records(frame)[0]


def material_names(con: duckdb.DuckDBPyConnection, lang: str = "en") -> dict[str, str]:
    col = _NAME.get(lang, "name_en")
    frame = con.execute(f"SELECT material_id, coalesce({col}, name_en, material_id) AS n FROM materials").df()
    return dict(zip(frame["material_id"], frame["n"], strict=True))


def country_names(con: duckdb.DuckDBPyConnection, lang: str = "en") -> dict[str, str]:
    if "countries" not in _tables(con):
        return {}
    col = _NAME.get(lang, "name_en")
    frame = con.execute(f"SELECT iso3, coalesce({col}, name_en, iso3) AS n FROM countries").df()
    return dict(zip(frame["iso3"], frame["n"], strict=True))


def producer_shares(con: duckdb.DuckDBPyConnection, material_id: str) -> pd.DataFrame:
    """Latest producer shares per stage: one (source, unit, basis) series per stage, never summed across them.

    Per stage the series with the most recent year wins (ties: more reporting countries). Returns
    ``stage, country, year, quantity, unit, basis, source, vintage, share`` plus per-stage ``hhi`` [0–1].
    """
    _need(con, "production")
    prod = con.execute(
        """SELECT stage, country, year, quantity, unit, basis, source, vintage FROM production
           WHERE material_id = ? AND quantity IS NOT NULL AND quantity >= 0""",
        [material_id],
    ).df()
    if prod.empty:
        return prod.assign(share=pd.Series(dtype=float), hhi=pd.Series(dtype=float))
    key = ["stage", "source", "unit", "basis", "vintage"]
    latest = prod.groupby(key, dropna=False)["year"].transform("max")
    prod = prod[prod["year"] == latest]
    summary = prod.groupby(key, dropna=False).agg(year=("year", "max"), n=("country", "nunique")).reset_index()
    summary = summary.sort_values(["stage", "year", "n"], ascending=[True, False, False])
    best = summary.drop_duplicates("stage")[key]
    out = prod.merge(best, on=key)
    # world/aggregate rows (e.g. 'WLD') are not producers
    out = out[out["country"].str.len() == 3]
    out = out[~out["country"].isin(["WLD", "OTH", "XXX"])]
    frames = []
    for _stage, grp in out.groupby("stage", sort=True):
        grp = grp.sort_values("quantity", ascending=False).copy()
        grp["share"] = shares(grp["quantity"].to_numpy(dtype=float))
        grp["hhi"] = float(hhi(grp["share"].to_numpy()))
        frames.append(grp)
    return pd.concat(frames, ignore_index=True) if frames else out.assign(share=[], hhi=[])


def trade_partners(con: duckdb.DuckDBPyConnection, material_id: str, reporter: str = "NLD",
                   top: int = 10) -> pd.DataFrame:
    """Largest exporters to ``reporter`` in the latest BACI year (tonnes, kUSD, share of tonnes)."""
    _need(con, "trade")
    frame = con.execute(
        """WITH t AS (SELECT * FROM trade WHERE material_id = ? AND reporter = ?),
                y AS (SELECT max(year) AS year FROM t)
           SELECT t.partner AS country, t.year, sum(t.tonnes) AS tonnes, sum(t.value_kusd) AS value_kusd
           FROM t JOIN y USING (year) GROUP BY t.partner, t.year ORDER BY tonnes DESC NULLS LAST""",
        [material_id, reporter],
    ).df()
    if frame.empty:
        return frame.assign(share=pd.Series(dtype=float))
    frame["share"] = shares(frame["tonnes"].fillna(0.0).to_numpy(dtype=float))
    return frame.head(top).reset_index(drop=True)


def vintages(con: duckdb.DuckDBPyConnection, material_id: str | None = None) -> pd.DataFrame:
    """Sources and vintages behind the production numbers (for the 'sources' section of pages/briefings)."""
    if "production" not in _tables(con):
        return pd.DataFrame(columns=["source", "vintage", "year_min", "year_max", "rows"])
    where, args = ("WHERE material_id = ?", [material_id]) if material_id else ("", [])
    return con.execute(
        f"""SELECT source, vintage, min(year) AS year_min, max(year) AS year_max, count(*) AS rows
            FROM production {where} GROUP BY source, vintage ORDER BY source, vintage""",
        args,
    ).df()


def trade_vintage(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    if "trade" not in _tables(con):
        return {}
    row = con.execute("SELECT min(year), max(year) FROM trade").fetchone()
    return {"source": "CEPII BACI HS92", "year_min": clean(row[0]), "year_max": clean(row[1])}
