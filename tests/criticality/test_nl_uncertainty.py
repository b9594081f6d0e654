"""Structural Monte Carlo of the NL list: probabilities, intervals, classes; the floor and fallback noise."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmsec.criticality import nl_uncertainty as U
from crmsec.errors import InputError


def _arrays(n_m: int = 6, list_n: int = 3, imports_min: float = 10.0) -> U.ScenarioArrays:
    spec = U.StructuralSpec()
    n_s = len(spec.windows) * len(spec.stage_rules)
    sr = np.tile(np.linspace(4.0, 1.0, n_m), (n_s, 1))
    va = np.tile(np.linspace(100.0, 50.0, n_m), (len(spec.va_bases), 1))
    keys = [(w, r) for w in spec.windows for r in spec.stage_rules]
    return U.ScenarioArrays([f"m{i}" for i in range(n_m)], sr, np.full((n_s, n_m), imports_min),
                            np.linspace(4.0, 1.0, n_m), va, keys, list_n)


def test_clear_leader_is_robust_and_tail_is_outside():
    mc = U.structural_monte_carlo(_arrays(), draws=3000, seed=1).set_index("material_id")
    assert mc.loc["m0", "robustness"] == "robust" and mc.loc["m5", "robustness"] == "outside"
    assert mc["p_on_list"].sum() == pytest.approx(3.0)  # exactly N slots per draw
    assert (mc["rank_p05"] <= mc["rank_p50"]).all() and (mc["rank_p50"] <= mc["rank_p95"]).all()


def test_eu_fallback_is_never_near_certain():
    """Below the floor in every scenario → EU SR with the wider fallback noise; the leader's p drops below 0.999."""
    a = _arrays(imports_min=0.1)
    a.sr_eu[:] = np.array([4.0, 3.9, 3.8, 3.7, 3.6, 3.5])
    mc = U.structural_monte_carlo(a, draws=3000, seed=2)
    assert (mc["p_nl_view"] == 0).all() and mc["p_on_list"].max() < 0.999


def test_draws_are_bounded():
    with pytest.raises(InputError, match="draws"):
        U.structural_monte_carlo(_arrays(), draws=0)


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=0, max_value=10_000), st.integers(min_value=1, max_value=5))
def test_probabilities_are_probabilities(seed, n):
    a = _arrays(list_n=n)
    mc = U.structural_monte_carlo(a, draws=200, seed=seed)
    assert mc["p_on_list"].between(0, 1).all() and mc["p_on_list"].sum() == pytest.approx(n)
    assert set(mc["robustness"]) <= {"robust", "contested", "outside"}
    assert (U.classify(np.array([0.95, 0.5, 0.05])) == ["robust", "contested", "outside"]).all()
