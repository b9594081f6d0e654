"""EU method core on small in-memory inputs (methods §1.2–§1.13)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmsec.criticality import eu_method as eu
from crmsec.errors import InputError
from crmsec.indicators.governance import eu_scaled_wgi


@pytest.mark.parametrize(
    ("name", "case", "gs", "eu_", "ir", "eol", "si", "expected"),
    [
        # methods §1.13(a) worked examples (2017 study Table 3/18 inputs; tolerance 0.005)
        ("cobalt", "GS+EUS", 3.6, 1.3, 0.32, 0.00, 1.0, 1.668),
        ("tungsten", "GS+EUS", 7.5, 1.9, 0.44, 0.42, 1.0, 1.8154),
        ("bauxite", "GS+EUS", 0.6, 3.1, 0.85, 0.00, 1.0, 2.0375),
        ("natural graphite", "GS+EUS", 3.2, 2.9, 0.99, 0.03, 1.0, 2.9574),
        ("gold", "GS only", 0.3, np.nan, np.nan, 0.20, 1.0, 0.24),
        ("feldspar", "GS+EUS", 0.5, 0.7, 0.00, 0.10, 1.0, 0.63),
    ],
)
def test_supply_risk_worked_examples(name, case, gs, eu_, ir, eol, si, expected):
    """methods §1.13(a): e.g. cobalt 3.6·0.16 + 1.3·0.84 = 1.668; gold GS only 0.3·0.8 = 0.24."""
    assert float(eu.supply_risk(gs, eu_, ir, eol, si, case)) == pytest.approx(expected, abs=5e-3), name


def test_supply_risk_vectorised_mixed_cases_and_series():
    gs = pd.Series([3.6, 0.3, 2.3], index=["co", "au", "p"])
    eu_ = pd.Series([1.3, np.nan, 4.5], index=gs.index)
    ir = pd.Series([0.32, np.nan, 1.0], index=gs.index)
    sr = eu.supply_risk(gs, eu_, ir, [0.0, 0.2, 0.0], [1.0, 1.0, 0.9], ["GS+EU", "GSonly", "EUS only"])
    assert isinstance(sr, pd.Series) and list(sr.index) == ["co", "au", "p"]
    np.testing.assert_allclose(sr.to_numpy(), [1.668, 0.24, 4.05], atol=1e-9)
    # draws × materials broadcasting
    cube = eu.supply_risk(np.full((5, 3), 2.0), np.full((5, 3), 1.0), 0.5, 0.0, 1.0, "GS+EU")
    assert cube.shape == (5, 3) and np.allclose(cube, 2.0 * 0.25 + 1.0 * 0.75)


def test_gs_only_is_not_blend_with_ir_2():
    """methods §1.7: 'GS only' replaces the blend (it is not IR = 2)."""
    assert float(eu.supply_risk(2.0, 5.0, 1.0, 0.0, 1.0, "GS only")) == 2.0
    assert float(eu.supply_risk(2.0, 5.0, 1.0, 0.0, 1.0, "EU only")) == 5.0


def test_unknown_case_is_input_error():
    with pytest.raises(InputError, match="unknown supply-data case"):
        eu.supply_risk(1.0, 1.0, 0.5, 0.0, 1.0, "both")


def test_import_reliance_edge_cases():
    """methods §1.6: net exporter → 0; denominator ≤ 0 → NaN."""
    ir = eu.import_reliance([10.0, 100.0, 0.0], [90.0, 5.0, 5.0], [0.0, 20.0, 10.0])
    assert ir[0] == pytest.approx(0.9)
    assert ir[1] == 0.0
    assert np.isnan(ir[2])


def test_thresholds_on_rounded_values():
    """methods §1.12: 0.95 rounds to 1.0 and passes (coking coal 2017); 2.75 → 2.8 passes; NaN is not critical."""
    sr = np.array([0.95, 0.94, 1.2, np.nan, 1.0])
    ei = np.array([3.0, 3.0, 2.75, 5.0, 2.74])
    np.testing.assert_array_equal(eu.is_critical(sr, ei), [True, False, True, False, False])
    near = eu.near_threshold(sr, ei)
    np.testing.assert_array_equal(near, [True, False, True, False, True])


def test_economic_importance_cobalt_2023():
    """methods §8.3: cobalt Σ A·Q = 143,566 M EUR → 10·Σ/204,200 = 7.03; × SI_EI 0.97 → 6.82 (pub. 6.8)."""
    ei = eu.economic_importance(np.array([1.0]), np.array([143_566.0]), 0.97)
    assert float(ei) == pytest.approx(6.82, abs=0.005)


def test_economic_importance_frame_renormalise():
    end_use = pd.DataFrame(
        {
            "material_id": ["a", "a", "b"],
            "share": [0.6, 0.5, 1.0],
            "nace": ["C28", "C29", "C28"],
            "va_meur": [204_200.0, 100_000.0, 204_200.0],
        }
    )
    raw = eu.economic_importance_from_end_uses(end_use, {"a": 1.0, "b": 0.9}).set_index("material_id")
    assert raw.loc["a", "ei"] == pytest.approx(10 * (0.6 * 204_200 + 0.5 * 100_000) / 204_200)
    assert raw.loc["a", "reason"] == "share_sum_ne_1"
    assert raw.loc["b", "ei"] == pytest.approx(9.0)
    ren = eu.economic_importance_from_end_uses(end_use, {"a": 1.0}, renormalise=True).set_index("material_id")
    assert ren.loc["a", "ei"] == pytest.approx(10 * (0.6 * 204_200 + 0.5 * 100_000) / 1.1 / 204_200)
    assert np.isnan(ren.loc["b", "ei"]) and ren.loc["b", "reason"] == "no_si_ei"


def test_bottleneck_keeps_highest_stage():
    frame = pd.DataFrame({"extraction": [0.5, np.nan, np.nan], "processing": [1.2, 0.3, np.nan]}, index=["w", "x", "y"])
    b = eu.bottleneck(frame)
    assert list(b["stage_assessed"]) == ["processing", "processing", "extraction"]
    assert b.loc["w", "sr"] == 1.2 and np.isnan(b.loc["y", "sr"])
    assert list(b["bottleneck_reason"]) == ["highest_sr_of_stages", "only_stage_assessed", "no_stage_sr"]


def test_group_average():
    f = pd.DataFrame({"sr": [5.0, 4.0], "ei": [3.0, 4.0]}, index=["nd", "pr"])
    g = eu.group_average(f, {"lree": ["nd", "pr", "la"]})
    assert g.loc["lree", "sr"] == 4.5 and g.loc["lree", "n_members"] == 2


def test_nigeria_scaled_wgi_eu2017():
    """methods §1.16: NGA 2010–14 six-dimension mean −1.154 → 6.92 with the eu2017 preset (2017 study p. 42)."""
    assert float(eu_scaled_wgi(-1.154, "eu2017")) == pytest.approx(6.92, abs=0.005)


def test_stage_supply_risk_from_shares():
    """Tidy shares → HHI_WGI,t → SR; a country without WGI is skipped and reported."""
    gs = pd.DataFrame({"material_id": ["m", "m", "m"], "stage": ["extraction"] * 3, "country": ["CHN", "AUS", "XXX"],
                       "share": [0.7, 0.2, 0.1], "t": [1.1, 1.0, 1.0]})
    eus = pd.DataFrame({"material_id": ["m", "m"], "stage": ["extraction"] * 2, "country": ["FIN", "CHN"],
                        "share": [0.5, 0.5], "t": [0.8, 1.1]})
    w = pd.Series({"CHN": 6.0, "AUS": 1.0, "FIN": 0.5})
    inputs = pd.DataFrame({"material_id": ["m"], "stage": ["extraction"], "case": ["GS+EU"], "ir": [0.8],
                           "eol_rir": [0.1], "si_sr": [0.9]})
    out = eu.stage_supply_risk(gs, eus, w, inputs).iloc[0]
    hgs = 0.49 * 6.0 * 1.1 + 0.04 * 1.0
    heu = 0.25 * 0.5 * 0.8 + 0.25 * 6.0 * 1.1
    assert out["hhi_gs"] == pytest.approx(hgs)
    assert out["hhi_eu"] == pytest.approx(heu)
    assert out["sr"] == pytest.approx((hgs * 0.4 + heu * 0.6) * 0.9 * 0.9)
    assert out["reason"] == "partial_wgi" and out["share_no_wgi"] == pytest.approx(0.1)


@settings(max_examples=60, deadline=None)
@given(
    gs=st.floats(0, 15), eu_=st.floats(0, 15), ir=st.floats(-1, 1), eol=st.floats(0, 1), si=st.floats(0.5, 1.0)
)
def test_supply_risk_properties(gs, eu_, ir, eol, si):
    """SR lies between the single-mix SRs; it is monotone in EoL-RIR (more recycling, less risk)."""
    sr = float(eu.supply_risk(gs, eu_, ir, eol, si))
    lo, hi = sorted([gs, eu_])
    f = (1 - eol) * si
    assert lo * f - 1e-9 <= sr <= hi * f + 1e-9
    assert float(eu.supply_risk(gs, eu_, ir, min(1.0, eol + 0.1), si)) <= sr + 1e-12


@settings(max_examples=50, deadline=None)
@given(
    shares=st.lists(st.floats(0, 1), min_size=1, max_size=6),
    va=st.lists(st.floats(1, 3e5), min_size=6, max_size=6),
    si=st.floats(0.5, 1.0),
    k=st.floats(0.1, 10.0),
)
def test_economic_importance_properties(shares, va, si, k):
    """EI is linear in SI_EI and in the shares, and invariant to a common rescaling of VA and the constant."""
    a = np.array(shares)
    q = np.array(va[: len(shares)])
    base = float(eu.economic_importance(a, q, si, 204_200.0))
    assert float(eu.economic_importance(a, q, si / 2, 204_200.0)) == pytest.approx(base / 2, rel=1e-9, abs=1e-12)
    assert float(eu.economic_importance(a * 0.5, q, si, 204_200.0)) == pytest.approx(base / 2, rel=1e-9, abs=1e-12)
    assert float(eu.economic_importance(a, q * k, si, 204_200.0 * k)) == pytest.approx(base, rel=1e-9, abs=1e-12)
    assert base >= 0
