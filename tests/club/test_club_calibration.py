"""Calibration of the club price model against NdPr prices 2021–2026 (crmsec.club.calibration)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crmsec.club.calibration import (
    SPOT_FEB_2026,
    USGS_NDPR_2021_2025,
    baseline_moments,
    calibrate,
    log_change_sd,
    with_shock,
)
from crmsec.club.spec import assumption_values, load_case
from crmsec.errors import InputError

PRICES = Path(__file__).resolve().parents[2] / "data" / "raw" / "prices" / "prices_annual.csv"


def test_observed_series_is_the_vendored_usgs_series():
    f = pd.read_csv(PRICES)
    s = f[(f["commodity"] == "ree_ndpr_oxide") & f["year"].between(2021, 2025)].sort_values("year")
    assert tuple(s["price"]) == USGS_NDPR_2021_2025


def test_log_change_sd_closed_form():
    # log changes ln(124/92), ln(75/124), ln(55/75), ln(69/55): sample sd 0.3953
    assert log_change_sd(USGS_NDPR_2021_2025) == pytest.approx(0.3953, abs=1e-4)
    assert log_change_sd([1.0, np.e, 1.0]) == pytest.approx(np.sqrt(2.0))
    with pytest.raises(InputError):
        log_change_sd([1.0, 0.0, 2.0])


def test_calibrated_baseline_reproduces_2021_2026_prices():
    case = load_case("ndpr_oxide")
    a = assumption_values()
    assert case.uncertainty.demand_sigma == a["demand_sigma"] == 0.19
    m = baseline_moments(case, n_paths=2000)
    assert m["sd"] == pytest.approx(log_change_sd(USGS_NDPR_2021_2025), rel=0.05)
    assert m["p95_y1"] == pytest.approx(SPOT_FEB_2026, rel=0.05)
    old = baseline_moments(with_shock(case, 0.12, 0.7), n_paths=2000)  # the values before recalibration
    assert old["p95_y1"] < 0.85 * SPOT_FEB_2026 < m["p95_y1"]


def test_calibrate_ranks_by_loss():
    case = load_case("ndpr_oxide")
    rows = calibrate(case, [0.12, 0.19], [0.3], target_sd=0.395, target_p95=123.0, n_paths=400)
    assert [r["sigma"] for r in rows] == [0.19, 0.12]
    assert rows[0]["loss"] <= rows[1]["loss"]


def test_by_year_reports_the_price_spread():
    from crmsec.club.results import run_case

    r = run_case(load_case("ndpr_oxide"), ["floor_110_mp"], n_paths=400, appraisal_paths=64)
    by = r.by_year[r.by_year["package"] == "none"].set_index("year")
    assert (by["world_price_p05"] <= by["world_price_mean"]).all()
    assert (by["world_price_mean"] <= by["world_price_p95"]).all()
    assert by.loc[2026, "world_price_p95"] > 105  # was 98-99 USD/kg before recalibration
