"""Governance transforms: presets, GeoPolRisk PV transform against the packaged wgi.db, missing values."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmsec.indicators.governance import eu_scaled_wgi, hhi_wgi_t, pv_instability, pv_instability_with_reason
from crmsec.sources.wgi import read_wgi_pv


def test_eu_presets_closed_form():
    # eu2023: 2·(2.5 − w); eu2017: 10·(3 − w)/6 (methods §1.16)
    assert eu_scaled_wgi(0.0, "eu2023") == pytest.approx(5.0)
    assert eu_scaled_wgi(-2.5, "eu2023") == pytest.approx(10.0)
    assert eu_scaled_wgi(0.0, "eu2017") == pytest.approx(5.0)
    # Nigeria 2010–14 in the 2017 study: 6.92 ⇔ mean6 = 3 − 0.692·6 = −1.152 (methods §1.16)
    assert eu_scaled_wgi(-1.152, "eu2017") == pytest.approx(6.92, abs=1e-9)
    with pytest.raises(ValueError, match="eu2023"):
        eu_scaled_wgi(0.0, "eu2020")


@given(st.floats(-3, 3))
def test_scaled_wgi_monotone_and_bounded(w):
    for preset in ("eu2023", "eu2017"):
        v = eu_scaled_wgi(w, preset)
        assert 0 <= v <= 10
        assert eu_scaled_wgi(w + 0.1, preset) <= v


def test_pv_transform_reproduces_packaged_normalized_on_every_country_year():
    """wgi.db 'Normalized' = clip((2.5 − PV)/5, 0, 1) (methods §3.3, §8.6): max abs error < 1e-12."""
    frame, _ = read_wgi_pv()
    calc = pv_instability(frame["estimate"].to_numpy())
    have = ~np.isnan(calc)
    assert have.sum() > 5000
    err = np.abs(calc[have] - frame["normalized_packaged"].to_numpy()[have])
    assert err.max() < 1e-12
    # where the estimate is missing the package writes 0.0 ("perfectly stable"); we give NaN with a reason
    missing = frame.loc[~have]
    assert len(missing) > 100 and (missing["normalized_packaged"].fillna(0.0) == 0.0).all()
    reasons = pv_instability_with_reason(missing["estimate"])
    assert reasons["g"].isna().all() and (reasons["reason"] == "no_wgi").all()


def test_hhi_wgi_t_closed_form_and_missing_governance():
    # 0.5²·8·1.1 + 0.5²·2·0.8 = 2.2 + 0.4 = 2.6
    assert hhi_wgi_t([0.5, 0.5], [8.0, 2.0], [1.1, 0.8]) == pytest.approx(2.6)
    assert np.isnan(hhi_wgi_t([0.5, 0.5], [8.0, np.nan]))
    # a supplier with zero share and no WGI does not matter
    assert hhi_wgi_t([1.0, 0.0], [4.0, np.nan]) == pytest.approx(4.0)
