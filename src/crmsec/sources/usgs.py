"""USGS Mineral Commodity Summaries: world production by country (MCS 2024 world tables, MCS 2026 data release).

Sources
-------
[1] National Minerals Information Center (2024). U.S. Geological Survey Mineral Commodity Summaries 2024 Data
    Release (ver. 2.0, March 2024). https://doi.org/10.5066/P144BA54 — files ``mcs2024-<code>_world.csv``.
[2] U.S. Geological Survey (2026). Mineral Commodity Summaries 2026 Data Release (v1.0).
    https://doi.org/10.5066/P1WKQ63T — file ``MCS2026_Commodities_Data.csv`` (cp1252).

Notes
-----
* Unit conversions (all to metric tonnes ``t`` where the quantity is a mass): MCS 2024 encodes the unit in the
  column name — ``t`` x1, ``kt`` x1,000, ``kg`` x0.001, ``mmt`` (million t) x1,000,000; MCS 2026 gives it in
  ``Unit`` — "metric tons" x1, "thousand metric (dry) tons" x1,000, "kilograms" x0.001, "million metric tons"
  x1,000,000. Non-mass units are kept as they are: ``Mct`` (million carats, industrial diamond), ``million m3``
  (helium), ``million L`` (neon, krypton, xenon).
* Cell codes [2, metadata]: ``W`` withheld, ``NA`` not available, ``s`` small, ``XX`` not calculable -> NaN with
  that reason in ``value_flag``; "—" means zero in the USGS convention -> 0.0 with flag ``zero_dash``.
* ``estimated`` is True for MCS 2024 columns named ``*_est_<year>`` and MCS 2026 rows whose note says
  "Estimated".
* Stage: mine production -> ``extraction``; refinery/smelter/plant production -> ``processing`` (per alias in
  ``material_aliases.csv``). Basis per alias (``contained``, ``gross``, ``oxide:REO`` …).
* "World total" rows are dropped (their count is in ``meta``). "Other countries" rows are kept with country
  ``_OTH`` so shares can be computed on the full total (reported countries + others); do not treat ``_OTH`` as
  one country when computing concentration.
* MCS 2024 country cells carry footnote markers ("Japane", "Germany6", "United\\xa0States1") and qualifiers
  ("Brazil (beneficiated)", "Argentina, crude ore"); digits, non-breaking spaces and lower-case qualifiers are
  stripped before the country registry resolves the name (its regexes absorb the trailing "e" marker).
* Rows of one country that map to the same (material, stage, basis) — ilmenite + rutile TiO2, mica sheet +
  scrap — are summed.
"""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path

import numpy as np
import pandas as pd

from crmsec.errors import DataError
from crmsec.registry.materials import resolve_materials
from crmsec.sources import raw_dir, raw_path
from crmsec.sources._util import (
    OTHERS,
    PRODUCTION_COLUMNS,
    aggregate_production,
    parse_numbers,
    resolve_country_names,
)

log = logging.getLogger(__name__)
SOURCE_DIR = "usgs_mcs"
MCS2024_DIR = "mcs2024_world"
MCS2026_FILE = "mcs2026_commodities/MCS2026_Commodities_Data.csv"

#: Raw column -> tidy column (MCS 2026 long file).
COLUMN_MAP = {
    "Commodity": "commodity",
    "Country": "country_name",
    "Statistics": "statistics",
    "Statistics_detail": "detail",
    "Unit": "unit_raw",
    "Year": "year",
    "Value": "value",
    "Notes": "notes",
    "Section": "section",
}

_UNIT_2024 = {"t": ("t", 1.0), "kt": ("t", 1e3), "kg": ("t", 1e-3), "mmt": ("t", 1e6), "mct": ("Mct", 1.0),
              "kct": ("Mct", 1e-3), "mcm": ("million m3", 1.0)}
_UNIT_2026 = {"metric tons": ("t", 1.0), "thousand metric tons": ("t", 1e3), "thousand metric dry tons": ("t", 1e3),
              "kilograms": ("t", 1e-3), "million metric tons": ("t", 1e6), "million carats": ("Mct", 1.0),
              "thousands of carats": ("Mct", 1e-3), "million cubic meters": ("million m3", 1.0),
              "million liters": ("million L", 1.0)}
_PROD_COL = re.compile(r"^Prod_(?:Sponge_)?(?P<unit>[a-z]+)_(?P<est>[Ee]st_)?(?P<year>\d{4})$")
_FILE_RE = re.compile(r"^mcs2024-(?P<code>[a-z]+)_world\.csv$", re.IGNORECASE)


def _clean_country(name: pd.Series) -> pd.Series:
    """Strip USGS footnote digits, non-breaking spaces and lower-case qualifiers from country cells."""
    s = name.astype("string").str.replace("\xa0", " ", regex=False).str.strip()
    s = s.str.replace(r"\s*\((?=[a-z])[^)]*\)", "", regex=True)  # "(beneficiated)", "(from Cliffside Field)"
    s = s.str.replace(r",\s+[a-z].*$", "", regex=True)  # "Argentina, crude ore"
    s = s.str.replace(r"\d+$", "", regex=True).str.strip()
    return s


def _finish(frame: pd.DataFrame, source_key: str, file: Path, vintage: str, meta: dict) -> pd.DataFrame:
    """Drop world totals, resolve materials and countries, convert units, return production rows."""
    world = frame["country_clean"].str.match(r"(?i)^world")
    meta["world_total_rows_dropped"] = meta.get("world_total_rows_dropped", 0) + int(world.sum())
    frame = frame[~world].copy()
    marker = frame["value_flag"] == "estimate_marker"
    frame.loc[marker, "estimated"] = True
    frame.loc[marker, "value_flag"] = ""
    res = resolve_materials(frame["alias"], source_key, file=file, rows=frame["row"].to_numpy(), field="Type")
    keep = ~res["ignored"].to_numpy()
    meta["ignored_rows_dropped"] = meta.get("ignored_rows_dropped", 0) + int((~keep).sum())
    log.info("%s: dropped %d world-total rows and %d rows of ignored names (ignored_names.csv)", file,
             int(world.sum()), int((~keep).sum()))
    frame, res = frame[keep], res[keep]
    others = frame["country_clean"].str.match(r"(?i)^others?\b")
    iso = pd.Series(OTHERS, index=frame.index, dtype="string")
    if (~others).any():
        named = frame[~others]
        iso[~others] = resolve_country_names(named["country_clean"], "usgs", file=file, rows=named["row"].to_numpy())
    if iso.isna().any():
        pos = int(np.flatnonzero(iso.isna().to_numpy())[0])
        raise DataError("country name resolves to an aggregate that is not 'Other countries'", file=file,
                        row=int(frame["row"].iloc[pos]), field="Country", value=frame["country_raw"].iloc[pos],
                        hint="add the name to country_aliases.csv or to the USGS loader's aggregate rules")
    out = pd.DataFrame({
        "material_id": res["material_id"].to_numpy(),
        "stage": res["stage"].to_numpy(),
        "country": iso.to_numpy(),
        "year": frame["year"].astype(int).to_numpy(),
        "quantity": frame["quantity"].to_numpy(dtype=float),
        "unit": frame["unit"].to_numpy(),
        "basis": res["basis"].to_numpy(),
        "source": "usgs",
        "vintage": vintage,
        "estimated": frame["estimated"].to_numpy(dtype=bool),
        "value_flag": frame["value_flag"].to_numpy(),
    })
    return aggregate_production(out)


def read_mcs2024_world(path: str | Path | None = None) -> tuple[pd.DataFrame, dict]:
    """World mine/refinery production by country, 2022 and 2023 (estimates), from the MCS 2024 world tables.

    Parameters
    ----------
    path : folder holding ``mcs2024-<code>_world.csv`` (default: the vendored copy).

    Returns
    -------
    (production, meta) — production rows (see :data:`crmsec.sources._util.PRODUCTION_COLUMNS`), quantity in
    ``unit`` (t for masses); meta with file count and dropped-row counts.
    """
    folder = Path(path) if path is not None else raw_dir() / SOURCE_DIR / MCS2024_DIR
    if not folder.is_dir():
        raise DataError("USGS MCS 2024 world-table folder not found", file=folder,
                        hint="restore data/raw/usgs_mcs/ or set CRMSEC_RAW_DIR")
    files = sorted(p for p in folder.iterdir() if _FILE_RE.match(p.name))
    if not files:
        raise DataError("no mcs2024-<code>_world.csv files found", file=folder)
    meta: dict = {"source": "usgs", "vintage": "usgs-mcs-2024", "files": len(files), "doi": "10.5066/P144BA54"}
    parts = []
    for f in files:
        code = _FILE_RE.match(f.name).group("code").lower()  # type: ignore[union-attr]
        try:
            raw = pd.read_csv(f, encoding="utf-8-sig", dtype=str, keep_default_na=False)
        except UnicodeDecodeError:
            raw = pd.read_csv(f, encoding="cp1252", dtype=str, keep_default_na=False)
        if "Country" not in raw.columns:
            raise DataError("column 'Country' missing", file=f, row=1, field="Country")
        raw["row"] = np.arange(len(raw)) + 2
        raw = raw[raw["Country"].str.strip() != ""]
        if "Type" in raw.columns:
            types = raw["Type"]
        else:  # mcs2024-fluor_world.csv: the third header is the type
            types = pd.Series(raw.columns[2], index=raw.index)
        alias = code + ": " + types.str.strip()
        prod_cols = [(c, _PROD_COL.match(c)) for c in raw.columns if _PROD_COL.match(c)]
        if not prod_cols:  # capacity-only tables (abrasives): still resolved, so unknown types raise
            prod_cols = [(None, None)]
        for col, m in prod_cols:
            if m is not None and m.group("unit") not in _UNIT_2024:
                raise DataError("unknown unit in production column name", file=f, row=1, field=col,
                                value=m.group("unit"), hint=f"known units: {', '.join(_UNIT_2024)}")
            unit, factor = _UNIT_2024[m.group("unit")] if m is not None else ("", np.nan)
            parts.append(pd.DataFrame({
                "alias": alias, "country_raw": raw["Country"], "year": int(m.group("year")) if m else 0,
                "text": raw[col] if col else "", "field": col or "", "factor": factor, "unit": unit,
                "estimated": bool(m and m.group("est")), "row": raw["row"], "file": str(f),
            }))
    long = pd.concat(parts, ignore_index=True)
    long["country_clean"] = _clean_country(long["country_raw"])

    def parse(frame: pd.DataFrame) -> pd.DataFrame:
        qty, flag = parse_numbers(frame["text"], file=frame["file"].iloc[0], field=frame["field"].iloc[0],
                                  rows=frame["row"].to_numpy())
        return frame.assign(quantity=qty * frame["factor"], value_flag=flag.where(frame["field"] != "", "capacity_only"))

    try:  # fast path: one pass over all files; on error, redo per file and column for a precise message
        long = parse(long)
    except DataError:
        for _, part in long.groupby(["file", "field"], sort=False):
            parse(part)
        raise
    try:
        out = _finish(long, "usgs_mcs2024", folder, "usgs-mcs-2024", meta)
    except DataError:
        meta.clear()
        for fname, part in long.groupby("file", sort=True):
            _finish(part, "usgs_mcs2024", Path(str(fname)), "usgs-mcs-2024", {})
        raise
    meta["rows"] = len(out)
    return out, meta


def read_mcs2026(path: str | Path | None = None) -> tuple[pd.DataFrame, dict]:
    """World production by country, 2024 and 2025 (estimates), from the MCS 2026 data release (cp1252 CSV).

    Only rows of the world tables (``Section`` starting "World") with ``Statistics == "Production"`` are used.
    """
    file = Path(path) if path is not None else raw_path(SOURCE_DIR, MCS2026_FILE)
    if not file.is_file():
        raise DataError("USGS MCS 2026 data file not found", file=file)
    raw = pd.read_csv(file, encoding="cp1252", dtype=str, keep_default_na=False)
    missing = [c for c in COLUMN_MAP if c not in raw.columns]
    if missing:
        raise DataError("columns missing in the MCS 2026 file", file=file, row=1, field=missing[0])
    raw = raw.rename(columns=COLUMN_MAP)
    raw["row"] = np.arange(len(raw)) + 2
    world = raw[raw["section"].str.startswith("World") & (raw["statistics"] == "Production")].copy()
    meta: dict = {"source": "usgs", "vintage": "usgs-mcs-2026", "doi": "10.5066/P1WKQ63T", "rows_in_file": len(raw)}
    units = world["unit_raw"].str.strip().map(_UNIT_2026)
    if units.isna().any():
        pos = int(np.flatnonzero(units.isna().to_numpy())[0])
        raise DataError("unknown unit", file=file, row=int(world["row"].iloc[pos]), field="Unit",
                        value=world["unit_raw"].iloc[pos], hint=f"known units: {', '.join(_UNIT_2026)}")
    qty, flag = parse_numbers(world["value"], file=file, field="Value", rows=world["row"].to_numpy(),
                              allow_ranges=True)
    year = pd.to_numeric(world["year"], errors="coerce")
    if year.isna().any():
        pos = int(np.flatnonzero(year.isna().to_numpy())[0])
        raise DataError("year is not a number", file=file, row=int(world["row"].iloc[pos]), field="Year",
                        value=world["year"].iloc[pos])
    frame = pd.DataFrame({
        "alias": world["commodity"].str.strip() + ": " + world["detail"].str.strip(),
        "country_raw": world["country_name"],
        "country_clean": world["country_name"].str.replace("\xa0", " ", regex=False).str.strip(),
        "year": year.astype(int),
        "quantity": qty * units.map(lambda u: u[1]).astype(float),
        "unit": units.map(lambda u: u[0]),
        "estimated": world["notes"].str.contains("stimated", na=False),
        "value_flag": flag,
        "row": world["row"],
    })
    out = _finish(frame, "usgs_mcs2026", file, "usgs-mcs-2026", meta)
    meta["rows"] = len(out)
    return out, meta


def load_tables() -> dict[str, pd.DataFrame]:
    """Store tables contributed by USGS: ``production`` (MCS 2024 world tables + MCS 2026)."""
    t0 = time.perf_counter()
    a, _ = read_mcs2024_world()
    b, _ = read_mcs2026()
    prod = pd.concat([a, b], ignore_index=True)[PRODUCTION_COLUMNS]
    prod.attrs["load_seconds"] = time.perf_counter() - t0
    return {"production": prod}
