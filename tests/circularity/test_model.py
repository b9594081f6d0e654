"""Numerical core of the circularity model: closed-form stock checks, Weibull survival vs scipy, mass balance,
labelled series filling, legal-basis collection."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from crmsec.circularity.model import (
    BACKCAST_CONSTANT,
    BACKCAST_RAMP,
    BACKCAST_ZERO,
    EXTRAPOLATED,
    INTERPOLATED,
    Lifetime,
    Product,
    collected_share,
    dynamic_stock,
    fill_series,
    mass_balance_residual,
    run_product,
)
from crmsec.errors import InputError

YEARS = np.arange(2000, 2041)


def test_fixed_lifetime_constant_inflow_closed_form():
    """Constant inflow I with a fixed lifetime L: S_t = I·min(t+1, L), O_t = 0 before age L, then I (exact)."""
    inflow, life = 10.0, 6
    stock, outflow, bal = dynamic_stock(np.full(len(YEARS), inflow), YEARS, Lifetime("fixed", mean=life))
    k = np.arange(len(YEARS))
    np.testing.assert_allclose(stock, inflow * np.minimum(k + 1, life), rtol=0, atol=1e-12)
    np.testing.assert_allclose(outflow, np.where(k >= life, inflow, 0.0), rtol=0, atol=1e-12)
    assert np.max(np.abs(bal)) < 1e-12


def test_weibull_steady_state_stock_equals_inflow_times_mean_lifetime():
    """Long constant inflow: steady-state stock → I·E[L] with E[L] = scale·Γ(1+1/shape) (mid-year inflow,
    annual steps; tolerance 1 % for the discretisation), and outflow → I."""
    years = np.arange(1900, 2051)
    shape, scale = 1.56, 6.26
    stock, outflow, _ = dynamic_stock(np.full(len(years), 5.0), years, Lifetime("weibull", shape=shape, scale=scale))
    mean = scipy.stats.weibull_min.mean(shape, scale=scale)
    assert stock[-1] == pytest.approx(5.0 * mean, rel=0.01)
    assert outflow[-1] == pytest.approx(5.0, rel=1e-9)


def test_weibull_single_cohort_survival_matches_scipy():
    """One cohort of 1 unit in the first year: its stock at year k equals scipy's Weibull sf at age k + 0.5
    (flodym puts inflow at mid-year), to 1e-12."""
    shape, scale = 1.45, 10.25
    inflow = np.zeros(len(YEARS))
    inflow[0] = 1.0
    stock, outflow, _ = dynamic_stock(inflow, YEARS, Lifetime("weibull", shape=shape, scale=scale))
    ages = np.arange(len(YEARS)) + 0.5
    np.testing.assert_allclose(stock, scipy.stats.weibull_min.sf(ages, shape, scale=scale), atol=1e-12)
    assert outflow.sum() + stock[-1] == pytest.approx(1.0, abs=1e-12)


def test_normal_lifetime_matches_scipy():
    inflow = np.zeros(len(YEARS))
    inflow[0] = 2.0
    stock, _, _ = dynamic_stock(inflow, YEARS, Lifetime("normal", mean=15.0, sd=4.0))
    np.testing.assert_allclose(stock, 2.0 * scipy.stats.norm.sf(np.arange(len(YEARS)) + 0.5, 15.0, 4.0),
                               atol=1e-12)


def test_bad_lifetime_is_an_input_error():
    with pytest.raises(InputError, match="Weibull"):
        dynamic_stock(np.ones(5), np.arange(5), Lifetime("weibull", shape=-1, scale=5))
    with pytest.raises(InputError, match="kind"):
        dynamic_stock(np.ones(5), np.arange(5), Lifetime("gamma"))


def test_fill_series_labels_every_year():
    years = np.arange(2010, 2026)
    obs = {2013: (10.0, "observed"), 2016: (16.0, "derived_x"), 2019: (13.0, "observed")}
    v, lab = fill_series(obs, years, backcast="constant")
    assert v[years == 2014][0] == pytest.approx(12.0) and lab[years == 2014][0] == INTERPOLATED
    assert lab[years == 2016][0] == "derived_x"
    assert (v[years > 2019] == 13.0).all() and set(lab[years > 2019]) == {EXTRAPOLATED}
    assert (v[years < 2013] == 10.0).all() and set(lab[years < 2013]) == {BACKCAST_CONSTANT}
    v, lab = fill_series(obs, years, backcast="ramp", ramp_start=2011)
    assert v[years == 2010][0] == 0 and lab[years == 2010][0] == BACKCAST_ZERO
    assert v[years == 2012][0] == pytest.approx(5.0) and lab[years == 2012][0] == BACKCAST_RAMP
    with pytest.raises(InputError, match="ramp_start"):
        fill_series(obs, years, backcast="ramp", ramp_start=2014)
    with pytest.raises(InputError, match="at least one"):
        fill_series({}, years)
    with pytest.raises(InputError, match=">= 0"):
        fill_series({2012: (-1.0, "observed")}, years)


def test_collection_legal_basis_uses_three_year_mean_and_caps():
    """rate × mean(POM_t, POM_t-1, POM_t-2) / outflow, capped at 1 and flagged."""
    pom = np.array([3.0, 6.0, 9.0, 12.0])
    out = np.array([1.0, 1.0, 4.0, 100.0])
    share, capped = collected_share("pom_avg3", np.full(4, 0.5), pom, out)
    np.testing.assert_allclose(share, [1.0, 1.0, 0.5 * 6.0 / 4.0, 0.5 * 9.0 / 100.0])
    assert capped.tolist() == [True, True, False, False]
    with pytest.raises(InputError, match="fraction"):
        collected_share("eol_share", np.array([1.2]), pom[:1], out[:1])


def _product(inflow, rate=0.6, kind="eol_share"):
    n = len(inflow)
    return Product(name="x", unit="t", inflow=np.asarray(inflow, float), inflow_basis=np.full(n, "observed"),
                   lifetime=Lifetime("weibull", shape=1.6, scale=7.0), content={"cobalt": 0.02, "graphite": 0.1},
                   collection_kind=kind, collection_rate=np.full(n, rate))


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=1e6), min_size=len(YEARS), max_size=len(YEARS)),
       st.floats(min_value=0, max_value=1), st.sampled_from(["eol_share", "pom_avg3"]))
def test_mass_balance_closes_for_any_inflow(inflow, rate, kind):
    """Use phase, collection and recycling nodes balance to 1e-9 (relative) for any non-negative inflow."""
    r = run_product(_product(inflow, rate, kind), YEARS, {"cobalt": np.full(len(YEARS), 0.9)})
    assert mass_balance_residual(r) < 1e-9
    assert np.all(r.el_collected <= r.el_outflow * (1 + 1e-12) + 1e-9)
    assert np.all(np.isnan(r.el_recovered[:, 1]))  # graphite: no recovery rate → NaN, never 0
    np.testing.assert_allclose(r.el_recovered[:, 0], 0.9 * r.el_collected[:, 0])


def test_element_flows_scale_with_content():
    r = run_product(_product(np.full(len(YEARS), 100.0)), YEARS, {"cobalt": np.full(len(YEARS), 1.0)})
    np.testing.assert_allclose(r.el_outflow[:, 0], 0.02 * r.outflow)
    np.testing.assert_allclose(r.el_collected[:, 0], 0.6 * 0.02 * r.outflow)
