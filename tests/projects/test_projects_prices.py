"""Price processes: OLS calibration, correlated antithetic shocks, reproducibility, World Bank calibration."""

from __future__ import annotations

import math

import numpy as np
import pytest

from crmsec.errors import InputError
from crmsec.projects.prices import (
    PriceModel,
    PriceSet,
    calibrate_gbm,
    calibrate_ou,
    correlated_normals,
    simulate_log_paths,
    simulate_prices,
)


def test_ou_calibration_recovers_parameters() -> None:
    """Simulate monthly OU with kappa 0.5/yr, theta ln 8000, sigma 0.25; OLS (methods §6.2) recovers them."""
    m = PriceModel("ou", p0=8000, sigma=0.25, kappa=0.5, theta=math.log(8000))
    z = np.random.default_rng(1).standard_normal((1, 12 * 400))
    x = simulate_log_paths(m, z, dt=1 / 12)[0]
    cal = calibrate_ou(x, 1 / 12)
    assert cal["reverts"]
    assert cal["kappa"] == pytest.approx(0.5, rel=0.25)
    assert math.exp(cal["theta"]) == pytest.approx(8000, rel=0.1)
    assert cal["sigma"] == pytest.approx(0.25, rel=0.05)


def test_ou_rejected_when_no_reversion() -> None:
    x = np.log(100) + 0.01 * np.arange(200)  # explosive trend: b >= 1
    cal = calibrate_ou(x + np.random.default_rng(0).normal(0, 1e-4, 200), 1 / 12)
    assert not cal["reverts"] and math.isnan(cal["kappa"])


def test_gbm_calibration() -> None:
    m = PriceModel("gbm", p0=100, sigma=0.3, mu=0.04)
    z = np.random.default_rng(2).standard_normal((1, 12 * 300))
    mu, sigma = calibrate_gbm(simulate_log_paths(m, z, dt=1 / 12)[0], 1 / 12)
    assert sigma == pytest.approx(0.3, rel=0.03)
    assert mu == pytest.approx(0.04, abs=0.04)


def test_correlated_antithetic_normals() -> None:
    corr = np.array([[1.0, 0.6, -0.3], [0.6, 1.0, 0.0], [-0.3, 0.0, 1.0]])
    z = correlated_normals(20_000, 5, corr, np.random.default_rng(0))
    assert z.shape == (3, 20_000, 5)
    np.testing.assert_array_equal(z[:, :10_000], -z[:, 10_000:])  # antithetic pairs
    est = np.corrcoef(z.reshape(3, -1))
    np.testing.assert_allclose(est, corr, atol=0.02)
    with pytest.raises(InputError, match="positive definite"):
        correlated_normals(10, 2, np.array([[1, 1.2], [1.2, 1]]), np.random.default_rng(0))
    odd = correlated_normals(11, 2, np.eye(1), np.random.default_rng(0))
    assert odd.shape == (1, 11, 2)
    np.testing.assert_array_equal(odd[:, :5], -odd[:, 6:11])  # five pairs and one unpaired path


def test_gbm_risk_neutral_mean_and_reproducibility() -> None:
    ps = PriceSet(products=(PriceModel("gbm", p0=20_000, sigma=0.35, mu=0.10, name="m"),))
    a = simulate_prices(ps, 3, n_paths=200_000, seed=7, measure="risk_neutral", rate=0.03)
    b = simulate_prices(ps, 3, n_paths=200_000, seed=7, measure="risk_neutral", rate=0.03)
    np.testing.assert_array_equal(a["m"], b["m"])  # bit-for-bit with the same seed
    assert a["m"][:, 3].mean() == pytest.approx(20_000 * math.exp(0.09), rel=0.005)
    rw = simulate_prices(ps, 3, n_paths=200_000, seed=7)
    assert rw["m"][:, 3].mean() == pytest.approx(20_000 * math.exp(0.30), rel=0.01)


def test_ou_long_run_median() -> None:
    m = PriceModel("ou", p0=5_000, sigma=0.3, kappa=0.7, theta=math.log(9_000), name="x")
    p = simulate_prices(PriceSet(products=(m,)), 40, n_paths=20_000, seed=1)["x"]
    assert np.median(p[:, -1]) == pytest.approx(9_000, rel=0.03)
    assert m.half_life == pytest.approx(math.log(2) / 0.7)


def test_fx_multiplies_product_prices() -> None:
    ps = PriceSet(products=(PriceModel("gbm", p0=10_000, sigma=0.2, name="cu"),),
                  fx=PriceModel("gbm", p0=0.9, sigma=0.0, name="fx"), corr=np.eye(2))
    p = simulate_prices(ps, 2, n_paths=100, seed=1)
    np.testing.assert_allclose(p["cu"][:, 0], 9_000)
    np.testing.assert_allclose(p["fx"], 0.9)


def test_world_bank_calibration_on_vendored_series() -> None:
    """OU by OLS on the vendored World Bank monthly series (real, MUV-deflated) gives sane parameters."""
    from crmsec.projects.data import world_bank_price_models

    models, corr = world_bank_price_models(["copper", "nickel", "aluminium"])
    for m in models:
        assert m.kind in ("ou", "gbm") and 0.05 < m.sigma < 0.6 and m.p0 > 0
        assert "World Bank" in m.source
    assert corr.shape == (3, 3) and np.all(np.linalg.eigvalsh(corr) > 0)
    assert 0.2 < corr[0, 1] < 0.9  # base metals co-move
    with pytest.raises(InputError, match="cobalt"):
        world_bank_price_models(["cobalt"])


def test_usgs_annual_level_and_volatility_check() -> None:
    """USGS MCS nickel (LME cash, latest vintage) vs the World Bank-calibrated model: same order of level and
    one-year volatility (a check, not a calibration)."""
    from crmsec.errors import DataError
    from crmsec.projects.data import usgs_annual_check, world_bank_price_models

    (nickel,), _ = world_bank_price_models(["nickel"])
    chk = usgs_annual_check("nickel_lme_cash", nickel).set_index("metric")
    assert 0.5 < chk.loc["latest_price_usd_per_t", "model"] / chk.loc["latest_price_usd_per_t", "usgs"] < 2
    assert 0.5 < chk.loc["annual_log_change_sd", "model"] / chk.loc["annual_log_change_sd", "usgs"] < 2
    lb = usgs_annual_check("cobalt_lme_cash").set_index("metric")
    assert lb.loc["latest_price_usd_per_t", "usgs"] == pytest.approx(15.0 * 1000 / 0.45359237)
    with pytest.raises(DataError, match="available"):
        usgs_annual_check("unobtainium")


def test_risk_neutral_eur_price_of_a_usd_product_is_quanto_adjusted() -> None:
    """Under Q the EUR value P·X of a USD-priced product grows at the EUR rate (no double drift via FX)."""
    prod = PriceModel("gbm", p0=10_000, sigma=0.3, mu=0.1, name="ni")
    fx = PriceModel("gbm", p0=0.9, sigma=0.1, mu=0.05, name="fx")
    ps = PriceSet(products=(prod,), fx=fx, corr=np.array([[1.0, -0.4], [-0.4, 1.0]]))
    p = simulate_prices(ps, 5, n_paths=400_000, seed=3, measure="risk_neutral", rate=0.03)
    assert p["ni"][:, 5].mean() == pytest.approx(9_000 * math.exp(0.15), rel=0.004)
    assert p["fx"][:, 5].mean() == pytest.approx(0.9, rel=0.004)
    eur = simulate_prices(ps, 5, n_paths=1_000, seed=3, foreign=set())
    assert eur["ni"][0, 0] == pytest.approx(10_000)  # EUR-priced product is not converted
