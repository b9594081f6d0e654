"""IEA Critical Minerals Data Explorer (May 2024): mining and refining supply by country, 2023–2040 (base case).

Source
------
[1] IEA (2024), Critical Minerals Data Explorer, IEA, Paris,
    https://www.iea.org/data-and-statistics/data-tools/critical-minerals-data-explorer (CC BY 4.0).
    Sheet "2 Total supply for key minerals" of ``IEA_Critical_Minerals_Data_Explorer_May2024.xlsx``.

Notes
-----
* Unit conversion: the sheet is in kt; quantities are returned in t (x1,000).
* Layout: blocks per mineral, two side by side (mining in columns A–E, refining in G–K); each block starts with
  a header "<Mineral> - <Stage>" (the alias, ``material_aliases.csv`` source ``iea``), then country rows, then
  "Rest of world" (kept as country ``_OTH``), "Total" (dropped, checked: sum of rows = total within 0.5 kt) and
  "Top 3 share" (dropped). Where the country rows do not add up to the printed total (Nickel - Mining: rows
  3,561.9 kt vs total 3,450.5 kt in 2023, the gap equals the Australia row) the block's rows carry
  ``value_flag = block_total_mismatch`` and ``meta['total_mismatch']`` lists the figures.
* 2023 is the base year (``scenario = "reported"``); 2030, 2035 and 2040 are the IEA base-case projections
  from the project pipeline (``scenario = "base_case"``).
* Basis: contained metal (lithium: Li content, both mining and chemicals); graphite battery grade includes
  synthetic graphite (material ``graphite``); magnet REEs = Nd, Pr, Dy, Tb (material ``magnet_rees``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from crmsec.errors import DataError
from crmsec.registry.materials import resolve_materials
from crmsec.sources import raw_path
from crmsec.sources._util import OTHERS, PRODUCTION_COLUMNS, resolve_country_names

SOURCE_DIR = "iea_critical_minerals"
FILENAME = "IEA_Critical_Minerals_Data_Explorer_May2024.xlsx"
SHEET = "2 Total supply for key minerals"
VINTAGE = "iea-cmde-2024"
_BLOCK_COLS = ((0, [1, 2, 3, 4]), (6, [7, 8, 9, 10]))
_SKIP = {"Top 3 share"}
_TOTAL = {"Total", "Total clean technologies"}  # the cobalt refining total is mislabelled in the source

#: Sheet column (by position) -> tidy column.
COLUMN_MAP = {"A/G": "label (block header, country, Rest of world, Total)", "B–E/H–K": "quantity [kt] per year"}


def read_iea_supply(path: str | Path | None = None) -> tuple[pd.DataFrame, dict]:
    """Mining and refining supply by country (t), 2023 and base-case projections 2030/2035/2040.

    Returns production rows plus a ``scenario`` column.
    """
    file = Path(path) if path is not None else raw_path(SOURCE_DIR, FILENAME)
    if not file.is_file():
        raise DataError("IEA workbook not found", file=file)
    try:
        sheet = pd.read_excel(file, sheet_name=SHEET, header=None)
    except ValueError as err:
        raise DataError(f"sheet '{SHEET}' not readable ({err})", file=file) from err
    year_row = sheet.index[sheet[1].astype(str).str.fullmatch(r"2023(\.0)?")]
    if len(year_row) == 0:
        raise DataError("year header row (2023, 2030, …) not found", file=file, field=SHEET)
    header = int(year_row[0])
    records = []
    totals = []
    for label_col, value_cols in _BLOCK_COLS:
        years = [int(float(sheet.iat[header, c])) for c in value_cols]
        alias = None
        for i in range(header + 1, len(sheet)):
            label = sheet.iat[i, label_col]
            if pd.isna(label):
                continue
            label = str(label).strip()
            values = sheet.iloc[i, value_cols]
            if values.isna().all():
                if " - " in label and not label.startswith(("Notes", "“")):
                    alias = label
                continue
            if alias is None:
                raise DataError("data row before any block header", file=file, row=i + 1, field=SHEET, value=label)
            if label in _SKIP:
                continue
            num = pd.to_numeric(values, errors="coerce")
            if num.isna().any():
                raise DataError("supply value is not a number", file=file, row=i + 1, field=SHEET,
                                value=values[num.isna()].iloc[0])
            if label in _TOTAL:
                totals.append((alias, i + 1, num.to_numpy()))
                continue
            for y, v in zip(years, num.to_numpy(), strict=True):
                records.append((alias, label, y, float(v) * 1e3, i + 1))
    frame = pd.DataFrame(records, columns=["alias", "label", "year", "quantity", "row"])
    # check: country rows add up to the block total; a block where they do not is flagged, not dropped
    sums = frame.groupby(["alias", "year"])["quantity"].sum()
    mismatch = {}
    for alias, _row, tot in totals:
        got = sums.loc[alias].to_numpy() / 1e3
        if not np.allclose(got, tot, atol=0.5):
            mismatch[alias] = {"rows_kt": got.round(1).tolist(), "total_kt": tot.round(1).tolist()}
    res = resolve_materials(frame["alias"], "iea", file=file, rows=frame["row"].to_numpy(), field="block header")
    others = frame["label"].eq("Rest of world")
    iso = pd.Series(OTHERS, index=frame.index, dtype="string")
    named = frame[~others]
    iso[~others] = resolve_country_names(named["label"], "iea", file=file, rows=named["row"].to_numpy())
    out = pd.DataFrame({
        "material_id": res["material_id"].to_numpy(), "stage": res["stage"].to_numpy(), "country": iso.to_numpy(),
        "year": frame["year"].to_numpy(), "quantity": frame["quantity"].to_numpy(), "unit": "t",
        "basis": res["basis"].to_numpy(), "source": "iea", "vintage": VINTAGE,
        "estimated": frame["year"].to_numpy() > 2023,
        "value_flag": np.where(frame["alias"].isin(list(mismatch)), "block_total_mismatch", ""),
        "scenario": np.where(frame["year"].to_numpy() > 2023, "base_case", "reported"),
    })
    return out[[*PRODUCTION_COLUMNS, "scenario"]], {"rows": len(out), "blocks": frame["alias"].nunique(),
                                                    "totals_checked": len(totals), "total_mismatch": mismatch}


def load_tables() -> dict[str, pd.DataFrame]:
    """Store tables: ``iea_supply`` (production rows with a ``scenario`` column; 2023 rows are the reported base
    year, later years projections — kept apart from ``production`` so projections never mix with statistics)."""
    return {"iea_supply": read_iea_supply()[0]}
