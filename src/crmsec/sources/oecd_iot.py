"""OECD National Input-Output Tables (2023 edition): value added and output by industry, NL and EU-27.

Source
------
[1] OECD (2023), National Input-Output Tables, 2023 edition, "Domestic output and imports" table, current
    million USD, ISIC Rev.4 / NACE Rev.2 industries (45), 1995–2020; CC BY 4.0. Vendored in
    ``data/raw/oecd_iot_nl_eu_value_added/`` via ``Wendyyu-08/EPQ`` (commit 98ec8e11) — see its PROVENANCE.md.
    The EU-27 file is the sum of the 27 member tables computed upstream (not an official aggregate).

Industry codes are normalised to the NACE division codes used by the end-use table (``C20``; combined OECD
industries keep their range, e.g. ``C10T12``, ``B05_06``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from crmsec.errors import DataError
from crmsec.sources import raw_path

SOURCE_DIR = "oecd_iot_nl_eu_value_added"
FILES = {"NLD": "oecd_iot2023_NLD_industry_1995_2020.csv",
         "EU27": "oecd_iot2023_EU27sum_industry_va_output_1995_2020.csv"}


def read_oecd_iot(path: str | Path, unit: str) -> pd.DataFrame:
    """One vendored OECD IOT long file → ``country``, ``year``, ``industry``, ``measure``, ``value_musd``."""
    file = Path(path)
    raw = pd.read_csv(file)
    need = ["country", "year", "industry", "measure", "value_musd"]
    if missing := [c for c in need if c not in raw.columns]:
        raise DataError("OECD IOT file lacks columns", file=file, field=", ".join(missing))
    raw["country"] = unit
    raw["year"] = raw["year"].astype(int)
    raw["value_musd"] = pd.to_numeric(raw["value_musd"], errors="coerce")
    return raw[need]


def load_tables() -> dict[str, pd.DataFrame]:
    """Store table ``oecd_iot_industry`` (NL and EU-27 sum; VALU, OUTPUT and, for NL, trade measures)."""
    frames = [read_oecd_iot(raw_path(SOURCE_DIR, f), unit) for unit, f in FILES.items()]
    out = pd.concat(frames, ignore_index=True)
    out["source"] = "oecd_iot_2023"
    return {"oecd_iot_industry": out}
