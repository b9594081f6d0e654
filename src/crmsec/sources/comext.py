"""Eurostat Comext: EU-27 imports by partner of processed and raw forms of critical raw materials (CN8, EUR).

Source
------
[1] Eurostat, Comext DS-045409 (bulk ``full_v2_2022/2023/202452``), FLOW = 1 (imports), normal trade
    (STAT_PROCEDURE = 1), 66 CN8 codes selected by the public repository ``burvolapp-arch/isi-backend``
    (commit 6e7d59d7); vendored in ``data/raw/comext_crm_imports/`` (see its PROVENANCE.md). Values only
    (EUR), no quantities and no exports: re-exports cannot be netted from this file alone.

Partner codes are Eurostat ISO2 (``GR`` Greece; ``XS`` Serbia, ``XK`` Kosovo, ``XC`` Ceuta → Spain) and are
mapped to ISO3 through the country registry; an unknown code stops the load with its row.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from crmsec.errors import DataError, UnknownNameError
from crmsec.sources import raw_path

SOURCE_DIR = "comext_crm_imports"
FILENAME = "comext_eu27_crm_cn8_imports_2022_2024.csv"
MAPPING = "comext_crm_cn8_mapping_v01.csv"
#: Eurostat codes that are not ISO 3166 alpha-2 (Eurostat GEONOM)
#: (GB and NA are listed because the country registry row of GBR / NAM lacks a usable iso2 cell)
EUROSTAT_ISO2 = {"XS": "SRB", "XK": "XKX", "XC": "ESP", "EL": "GRC", "UK": "GBR", "GB": "GBR", "NA": "NAM", "GR": "GRC"}
MAX_ROWS = 2_000_000


def _iso3(codes: pd.Series, file: Path) -> pd.Series:
    from crmsec.registry import countries

    c = countries()
    table = dict(zip(c["iso2"].astype(str), c["iso3"], strict=True)) | EUROSTAT_ISO2
    table.pop("", None)
    out = codes.map(table)
    bad = out.isna() & codes.notna()
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise UnknownNameError("unknown Eurostat partner/declarant code", file=file, row=pos + 2,
                               field="PARTNER_ISO", value=codes.iloc[pos],
                               hint="add it to EUROSTAT_ISO2 in crmsec/sources/comext.py or to the country registry")
    return out


def read_comext(path: str | Path | None = None) -> tuple[pd.DataFrame, dict]:
    """Imports as ``reporter`` (ISO3), ``partner`` (ISO3), ``cn8`` (int), ``year``, ``value_eur``."""
    file = Path(path) if path is not None else raw_path(SOURCE_DIR, FILENAME)
    raw = pd.read_csv(file, dtype={"DECLARANT_ISO": str, "PARTNER_ISO": str, "PRODUCT_NC": str},
                      keep_default_na=False, na_values={"VALUE_IN_EUROS": [""]})
    need = ["DECLARANT_ISO", "PARTNER_ISO", "PRODUCT_NC", "FLOW", "PERIOD", "VALUE_IN_EUROS"]
    if missing := [c for c in need if c not in raw.columns]:
        raise DataError("Comext file lacks columns", file=file, field=", ".join(missing))
    if len(raw) > MAX_ROWS:
        raise DataError(f"Comext file has {len(raw):,} rows (limit {MAX_ROWS:,})", file=file)
    if (raw["FLOW"] != 1).any():
        raise DataError("Comext file holds non-import flows (FLOW != 1)", file=file, field="FLOW")
    out = pd.DataFrame({
        "reporter": _iso3(raw["DECLARANT_ISO"], file).to_numpy(),
        "partner": _iso3(raw["PARTNER_ISO"], file).to_numpy(),
        "cn8": raw["PRODUCT_NC"].astype(int).to_numpy(),
        "year": raw["PERIOD"].astype(int).to_numpy(),
        "value_eur": pd.to_numeric(raw["VALUE_IN_EUROS"], errors="coerce").to_numpy(float),
        "source": "eurostat_comext",
    })
    if out["value_eur"].isna().any():
        pos = int(np.flatnonzero(out["value_eur"].isna().to_numpy())[0])
        raise DataError("non-numeric import value", file=file, row=pos + 2, field="VALUE_IN_EUROS")
    return out, {"rows": len(out), "years": sorted(out["year"].unique().tolist())}


def read_mapping(path: str | Path | None = None) -> pd.DataFrame:
    """The upstream CN8 list with material group and stage (a starting point; crmsec's own assignment of
    codes to CRMA entries is ``criticality/data/nl_trade_forms.csv``)."""
    file = Path(path) if path is not None else raw_path(SOURCE_DIR, MAPPING)
    m = pd.read_csv(file, dtype={"cn8_code": str})
    return m.rename(columns={"cn8_code": "cn8"}).assign(cn8=lambda f: f["cn8"].astype(int))


def load_tables() -> dict[str, pd.DataFrame]:
    """Store table ``comext_imports`` (all EU-27 reporters, imports by partner, EUR)."""
    return {"comext_imports": read_comext()[0]}
