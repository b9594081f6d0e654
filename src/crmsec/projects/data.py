"""I/O edge of the projects package: vendored World Bank prices and the packaged example case."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from crmsec.errors import DataError
from crmsec.projects.prices import PriceModel, calibrate_from_world_bank

SOURCE = "prices"
EXAMPLE_CASE = Path(__file__).resolve().parent / "examples" / "illustrative_refinery.yaml"

#: World Bank series quoted per troy ounce → USD/t (1 t = 32,150.7466 troy oz; NIST SP 811 App. B)
TROY_OZ_PER_TONNE = 32_150.7466


def read_world_bank_prices() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The vendored World Bank Pink Sheet monthly and annual price frames (``data/raw/prices``)."""
    from crmsec.sources import raw_path

    monthly_path = raw_path(SOURCE, "prices_monthly.csv")
    annual_path = raw_path(SOURCE, "prices_annual.csv")
    try:
        monthly = pd.read_csv(monthly_path)
        annual = pd.read_csv(annual_path, low_memory=False)
    except (OSError, pd.errors.ParserError) as err:
        raise DataError(f"cannot read World Bank prices: {err}", file=monthly_path) from err
    wb = annual["source"].str.startswith("World Bank", na=False)
    return monthly, annual[wb]


def world_bank_price_models(
    commodities: list[str], *, model: Literal["gbm", "ou"] = "ou", start: str | None = "1990-01-01"
) -> tuple[list[PriceModel], np.ndarray]:
    """Price models (real USD/t of the last MUV year) and innovation correlation calibrated by OLS on the
    World Bank monthly series (see :func:`crmsec.projects.prices.calibrate_from_world_bank`)."""
    monthly, annual = read_world_bank_prices()
    per_oz = {c: TROY_OZ_PER_TONNE for c in ("gold", "silver", "platinum")}
    return calibrate_from_world_bank(monthly, annual, commodities, model=model, start=start, to_per_tonne=per_oz)
