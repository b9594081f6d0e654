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
    try:
        monthly = pd.read_csv(monthly_path)
    except (OSError, pd.errors.ParserError) as err:
        raise DataError(f"cannot read World Bank prices: {err}", file=monthly_path) from err
    annual = _read_annual_all()
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


#: unit → factor to USD per tonne (1 lb = 0.45359237 kg exactly, NIST SP 811 App. B; 1 t = 1,000 kg)
_TO_USD_PER_T = {"USD/t": 1.0, "USD/kg": 1_000.0, "USD/lb": 1_000.0 / 0.45359237,
                 "USD/troy oz": TROY_OZ_PER_TONNE}


def usgs_annual_check(series: str, model: PriceModel | None = None) -> pd.DataFrame:
    """Level and volatility check of a price model against a USGS annual price series (latest vintage).

    The USGS Mineral Commodity Summaries series are annual and short (2018–2025), so they serve only as
    checks, never for calibration (issue 7; ``data/raw/prices/PROVENANCE.md``). Returns rows ``metric``
    (``latest_price_usd_per_t``, ``annual_log_change_sd``, ``n_years``, ``last_year``) with the USGS value and,
    when ``model`` is given, the model's value (p0; sigma for GBM; for OU the one-year conditional sd of the log
    price, sigma·sqrt((1 − e^{−2κ})/(2κ))). Nominal USGS prices vs real model parameters: a level check only.
    """
    annual_all = _read_annual_all()
    sub = annual_all[(annual_all["commodity"] == series) & (annual_all["latest_vintage"] == "yes")].sort_values("year")
    if sub.empty:
        known = sorted(annual_all.loc[annual_all["source"].str.contains("USGS", na=False), "commodity"].unique())
        raise DataError(f"no USGS annual price series '{series}'", hint=f"available: {', '.join(known)}")
    unit = str(sub["unit"].iloc[0])
    if unit not in _TO_USD_PER_T:
        raise DataError(f"USGS series '{series}' is in {unit!r}, which has no conversion to USD/t here",
                        hint="compare in the series' own unit")
    p = sub["price"].to_numpy(dtype=float) * _TO_USD_PER_T[unit]
    sd = float(np.std(np.diff(np.log(p)), ddof=1)) if p.size > 2 else float("nan")
    rows = [
        {"metric": "latest_price_usd_per_t", "usgs": float(p[-1])},
        {"metric": "annual_log_change_sd", "usgs": sd},
        {"metric": "n_years", "usgs": float(p.size)},
        {"metric": "last_year", "usgs": float(sub["year"].iloc[-1])},
    ]
    frame = pd.DataFrame(rows)
    if model is not None:
        if model.kind == "gbm":
            one_year_sd = model.sigma
        else:
            one_year_sd = model.sigma * float(np.sqrt((1 - np.exp(-2 * model.kappa)) / (2 * model.kappa)))
        frame["model"] = [model.p0, one_year_sd, np.nan, np.nan]
    frame.insert(0, "series", series)
    return frame


def _read_annual_all() -> pd.DataFrame:
    from crmsec.sources import raw_path

    path = raw_path(SOURCE, "prices_annual.csv")
    try:
        return pd.read_csv(path, low_memory=False)
    except (OSError, pd.errors.ParserError) as err:
        raise DataError(f"cannot read annual prices: {err}", file=path) from err


def project_delta_sr_from_store(
    material_id: str, stage: str, q_share: float, host: str, *, counterfactual: str = "displacement",
    con: object | None = None, window: tuple[int, int] | None = None,
) -> dict[str, object]:
    """ΔSR of a project with the 2023 EU assessment inputs from the vintage store (I/O edge of
    :func:`crmsec.projects.security.project_delta_sr`): App. 7 shares and t, six-dimension scaled WGI over the
    2023 window (2016–2020), IR / EoL-RIR / SI_SR and the supply case of the 2023 results."""
    from crmsec.criticality import eu_method as eu
    from crmsec.criticality.pipeline import load_data, stage_inputs_2023
    from crmsec.projects.security import project_delta_sr
    from crmsec.registry import group_members

    data = load_data(con, tables=("eu_assessment", "eu_supply_shares", "governance"))
    eu27 = set(group_members("eu27"))
    w = eu.scaled_wgi_window(data.governance, window or eu.WGI_WINDOWS[2023], "eu2023")
    sh = data.eu_supply_shares
    return project_delta_sr(
        sh[sh["scope"] == "global"], sh[sh["scope"] == "eu"], w, stage_inputs_2023(data),
        material_id=material_id, stage=stage, q_share=q_share, host=host.upper(),
        host_in_eu=host.upper() in eu27, counterfactual=counterfactual, eu_members=eu27,  # type: ignore[arg-type]
    )
