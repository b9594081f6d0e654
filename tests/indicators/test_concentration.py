"""Concentration building blocks: closed forms, edge cases and properties (hypothesis)."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from crmsec.indicators.concentration import (
    concentration_ratio,
    effective_suppliers,
    hhi,
    hhi_frame,
    shares,
    shares_frame,
)

quantities = arrays(float, st.integers(1, 12), elements=st.floats(0, 1e9, allow_nan=False))


def test_shares_closed_form():
    np.testing.assert_allclose(shares([60, 30, 10]), [0.6, 0.3, 0.1])


def test_hhi_closed_form_and_antitrust_scale():
    # 0.6² + 0.3² + 0.1² = 0.36 + 0.09 + 0.01 = 0.46 (4,600 on the 10,000 scale)
    assert hhi(shares([60, 30, 10])) == pytest.approx(0.46)
    assert effective_suppliers(0.46) == pytest.approx(1 / 0.46)
    assert concentration_ratio([0.6, 0.3, 0.1], k=2) == pytest.approx(0.9)


def test_zero_total_is_nan_not_zero():
    assert np.isnan(shares([0.0, 0.0])).all()
    assert np.isnan(hhi(shares([0.0, 0.0])))
    assert np.isnan(effective_suppliers(np.nan))
    assert np.isnan(concentration_ratio([np.nan, np.nan]))


def test_negative_quantity_rejected():
    with pytest.raises(ValueError, match="non-negative"):
        shares([1.0, -1.0])


def test_vectorised_over_leading_axes():
    q = np.array([[[1, 1], [3, 1]], [[2, 0], [0, 0]]], dtype=float)  # draw × material × country
    h = hhi(shares(q))
    np.testing.assert_allclose(h[0], [0.5, 0.625])
    assert h[1, 0] == 1.0 and np.isnan(h[1, 1])


@given(quantities)
def test_hhi_bounds(q):
    s = shares(q)
    h = hhi(s)
    if q.sum() > 0:
        assert np.isclose(np.nansum(s), 1.0)
        n = (q > 0).sum()
        assert 1.0 / n - 1e-9 <= h <= 1.0 + 1e-9
        cr1 = concentration_ratio(s, 1)
        assert cr1**2 - 1e-9 <= h <= cr1 + 1e-9  # HHI is bracketed by CR1² and CR1
    else:
        assert np.isnan(h)


@given(quantities, st.floats(1e-3, 1e3))
def test_hhi_scale_invariant(q, factor):
    np.testing.assert_allclose(hhi(shares(q)), hhi(shares(q * factor)), rtol=1e-9, equal_nan=True)


def test_frame_helpers_match_arrays():
    f = pd.DataFrame({"m": ["a", "a", "a", "b"], "c": ["X", "Y", "Z", "X"], "q": [60.0, 30, 10, 5]})
    f["share"] = shares_frame(f, "q", ["m"])
    out = hhi_frame(f, "share", ["m"])
    assert out["a"] == pytest.approx(0.46) and out["b"] == pytest.approx(1.0)
