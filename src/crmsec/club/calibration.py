"""Calibration of the club price model (demand-shock volatility σ and mean reversion κ) against NdPr prices.

The club kernel has no price process of its own: the world price comes out of clearing demand shocks
exp(X_t) (X an Ornstein–Uhlenbeck process, σ = ``demand_sigma``, κ = ``demand_kappa``) against the merit order,
plus flooding episodes. σ and κ are chosen so the no-club baseline (no entrants) reproduces two observed moments:

* ``sd``: the standard deviation of annual changes in log price, 0.395 for the USGS annual averages
  2021–2025 (92, 124, 75, 55, 69 USD/kg; USGS MCS 2026 data release, doi:10.5066/P1WKQ63T,
  ``data/raw/prices/prices_annual.csv``) — :func:`log_change_sd`;
* ``p95``: the 95th percentile of the model price one year after the base year should reach the highest observed
  one-year-ahead outcome, 123 USD/kg on 18 February 2026 (China NdPr oxide 850,000 CNY/t; Reuters) against the
  2025 average of 69 USD/kg. One observed point, not a distribution: a labelled calibration assumption.

κ is not identified by five annual points; the grid's best pair is reported with both moments
(:func:`calibrate`), and the chosen values are rows of ``club/assumptions.csv`` (evidence A).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from crmsec.club.spec import ClubCase
from crmsec.errors import InputError

#: USGS MCS 2026 data release, NdPr oxide 99 % min, annual average price [USD/kg], 2021–2025 (2025 estimated)
USGS_NDPR_2021_2025 = (92.0, 124.0, 75.0, 55.0, 69.0)
#: Reuters, 18 February 2026: China NdPr oxide 850,000 CNY/t ≈ 123 USD/kg (one spot observation)
SPOT_FEB_2026 = 123.0


def log_change_sd(prices: Iterable[float]) -> float:
    """Sample standard deviation (ddof = 1) of annual changes in log price."""
    p = np.asarray(list(prices), dtype=float)
    if p.size < 3 or not np.all(p > 0):
        raise InputError("log_change_sd needs at least three positive prices")
    return float(np.std(np.diff(np.log(p)), ddof=1))


def baseline_moments(case: ClubCase, n_paths: int = 4000, seed: int = 20260325, years: int = 5) -> dict[str, float]:
    """The no-club baseline's world price (no entrants): sd of annual log changes over the first ``years``
    years (pooled over paths) and the 5/50/95th percentiles of the price one year after the base year."""
    from crmsec.club.engine import blocks_of, draw_paths, run_market

    blk = blocks_of(case)
    paths = draw_paths(case, n_paths, seed)
    m = run_market(case, case.package("none"), paths, blk, np.zeros(len(blk.name), dtype=bool))
    pw = m.world_price.reshape(n_paths, -1)
    dl = np.diff(np.log(pw[:, : years + 1]), axis=1)
    p05, p50, p95 = np.percentile(pw[:, 1], [5, 50, 95])
    return {"sd": float(dl.std()), "p05_y1": float(p05), "p50_y1": float(p50), "p95_y1": float(p95)}


def with_shock(case: ClubCase, sigma: float, kappa: float) -> ClubCase:
    """The case with other demand-shock parameters (a copy)."""
    u = case.uncertainty.model_copy(update={"demand_sigma": sigma, "demand_kappa": kappa})
    return case.model_copy(update={"uncertainty": u})


def calibrate(case: ClubCase, sigmas: Iterable[float], kappas: Iterable[float], *, target_sd: float,
              target_p95: float, n_paths: int = 2000, seed: int = 20260325) -> list[dict[str, float]]:
    """Grid search: each (σ, κ) with its moments and loss = (sd/target − 1)² + (p95/target − 1)², best first."""
    rows = []
    for s in sigmas:
        for k in kappas:
            mom = baseline_moments(with_shock(case, float(s), float(k)), n_paths, seed)
            loss = (mom["sd"] / target_sd - 1) ** 2 + (mom["p95_y1"] / target_p95 - 1) ** 2
            rows.append({"sigma": float(s), "kappa": float(k), **mom, "loss": loss})
    return sorted(rows, key=lambda r: r["loss"])
