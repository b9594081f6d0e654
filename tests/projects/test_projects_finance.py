"""Vectorised NPV / IRR / payback against numpy-financial and hand cases."""

from __future__ import annotations

import numpy as np
import numpy_financial as npf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmsec.projects.finance import expected_shortfall, irr, npv, payback_period

flows = st.lists(st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False), min_size=2, max_size=30)


@settings(max_examples=200, deadline=None)
@given(flows, st.floats(-0.5, 1.0))
def test_npv_equals_numpy_financial(cf: list[float], rate: float) -> None:
    """NPV convention: first flow at t = 0 undiscounted, as numpy_financial.npv."""
    assert npv(rate, np.array(cf)) == pytest.approx(npf.npv(rate, cf), rel=1e-9, abs=1e-6)


@settings(max_examples=200, deadline=None)
@given(st.floats(1e3, 1e6), st.lists(st.floats(0.0, 1e6).map(lambda v: round(v, 2)), min_size=1, max_size=25))
def test_irr_conventional_flows_match_numpy_financial(outlay: float, inflows: list[float]) -> None:
    cf = np.array([-outlay, *inflows])
    r = irr(cf)
    if sum(inflows) == 0:
        assert np.isnan(r)  # no sign change
        return
    ref = npf.irr(cf)
    if -0.95 < ref < 2.0:
        assert r == pytest.approx(ref, abs=1e-7)
        assert abs(npv(r, cf)) <= 1e-6 * outlay
    else:
        assert np.isnan(r)  # outside the search range → reported as undefined, not clipped


def test_irr_nan_without_sign_change_and_with_two_roots() -> None:
    """methods §6.1: NaN when there is no sign change or several roots."""
    cfs = np.array([
        [100.0, 50.0, 20.0],  # all inflows
        [-100.0, -50.0, 0.0],  # all outflows
        [0.0, 0.0, 0.0],
        [-1.0, 2.3, -1.32],  # roots at 10 % and 20 %
        [-100.0, 60.0, 60.0],  # one root
    ])
    r = irr(cfs)
    assert np.isnan(r[:4]).all()
    assert r[4] == pytest.approx(npf.irr(cfs[4]), abs=1e-9)


def test_irr_vectorised_equals_rowwise() -> None:
    rng = np.random.default_rng(3)
    cf = np.hstack([-rng.uniform(50, 150, (500, 1)), rng.normal(15, 10, (500, 15))])
    vec = irr(cf)
    row = np.array([irr(c) for c in cf])
    np.testing.assert_allclose(vec, row, equal_nan=True)


def test_payback_interpolates_and_is_nan_when_never_recovered() -> None:
    cf = np.array([[-100.0, 30.0, 30.0, 60.0, -200.0], [-100.0, 10.0, 10.0, 10.0, 10.0], [10.0, 10.0, 0.0, 0.0, 0.0]])
    pb = payback_period(cf)
    assert pb[0] == pytest.approx(2 + 40 / 60)  # later closure outflow does not undo the payback
    assert np.isnan(pb[1]) and np.isnan(pb[2])


def test_expected_shortfall_tails() -> None:
    v = np.arange(100.0)
    assert expected_shortfall(v, 0.05, tail="low") == pytest.approx(2.0)
    assert expected_shortfall(v, 0.05, tail="high") == pytest.approx(97.0)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6).map(lambda v: round(v, 2)), min_size=3, max_size=20),
       st.floats(0.0, 0.3), st.floats(0.0, 0.3))
def test_mirr_equals_numpy_financial(cf: list[float], fin: float, rein: float) -> None:
    from crmsec.projects.finance import mirr

    ref = npf.mirr(cf, fin, rein)
    got = mirr(np.array(cf), fin, rein)
    if np.isnan(ref):
        assert np.isnan(got)
    else:
        assert got == pytest.approx(ref, rel=1e-9, abs=1e-12)
