"""Existing capacity of a club case from the store: stage output by country (IEA Critical Minerals Data Explorer).

The built-in NdPr case carries its existing blocks explicitly (each with its source); this module rebuilds
them from the store so they can be checked against a new data vintage (a test does) and used for a new case:
one row per country with its output converted to the case's product,

    capacity_t = quantity_t (contained, table ``iea_supply``) × factor (e.g. NdPr oxide per contained
    magnet REE, ``ndpr_oxide_per_contained`` in the assumption table).

Countries with zero or missing output are dropped and reported in ``reason`` (missing is not zero).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from crmsec.errors import DataError


def existing_from_store(con, material_id: str, stage: str, year: int, factor: float) -> pd.DataFrame:  # noqa: ANN001
    """Output per country [t/yr of the product] in the store's ``iea_supply`` table (reported values only).

    Returns columns country, quantity_contained_t, capacity_t, share, source, reason.
    """
    frame = con.execute(
        "select country, quantity, unit, basis, vintage from iea_supply where material_id = ? and stage = ? "
        "and year = ? and not estimated", [material_id, stage, year]).df()
    if frame.empty:
        raise DataError(f"iea_supply has no reported {material_id} {stage} output for {year}; "
                        "rebuild the store (crmsec data build) or pick a year the IEA reports",
                        file="store:iea_supply", field="year", value=year)
    frame = frame.rename(columns={"quantity": "quantity_contained_t"})
    frame["reason"] = ""
    frame.loc[frame["quantity_contained_t"].isna(), "reason"] = "no_quantity"
    frame.loc[frame["quantity_contained_t"] == 0, "reason"] = "zero_output"
    frame["capacity_t"] = frame["quantity_contained_t"] * factor
    total = frame["capacity_t"].sum()
    frame["share"] = frame["capacity_t"] / total
    frame["source"] = "IEA CMDE (" + frame["vintage"] + "), " + f"{material_id} {stage} {year} × {factor}"
    cols = ["country", "quantity_contained_t", "capacity_t", "share", "source", "reason"]
    return frame.sort_values("capacity_t", ascending=False)[cols].reset_index(drop=True)


EXISTING_CAPACITY = Path(__file__).parent / "existing_capacity.csv"


def existing_capacity_table() -> pd.DataFrame:
    """The sourced 2025 capacity of the NdPr case's existing blocks (``existing_capacity.csv``): per block its
    2023 output (the store check) and its 2025 capacity with basis and source (company quarterly run rates)."""
    return pd.read_csv(EXISTING_CAPACITY)
