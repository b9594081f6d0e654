"""Market kernel against closed forms solved by hand, and its clearing properties (hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmsec.club.market import linear_demand, solve_market
from crmsec.errors import InputError

TOL = 1e-6


def _one(conduct, a=100.0, b=1.0, cf=20.0, kf=30.0, cd=10.0, kd=1e9):
    return solve_market([a], [b], [[cf]], [[kf]], [cd], [kd], conduct)


def test_cournot_fringe_in_closed_form():
    """Cournot dominant vs price-taking fringe, fringe fully in: P = (a − K_f + b·c_d)/(2b) = 40, q_d = b(P − c_d) = 30
    (Salant 1976; D = 100 − P, c_d = 10, one fringe block c_f = 20, K_f = 30; solved by hand)."""
    s = _one("cournot")
    assert s.price[0] == pytest.approx(40.0, abs=TOL)
    assert s.dominant[0] == pytest.approx(30.0, abs=TOL)
    assert s.fringe[0, 0] == pytest.approx(30.0, abs=TOL)


def test_cournot_fringe_at_its_cost_closed_form():
    """c_f = 50: fringe-in price 40 < 50 and fringe-out price 55 > 50, so P = c_f = 50, q_d = b(P − c_d) = 40,
    fringe = D(50) − 40 = 10 (partial block); solved by hand."""
    s = _one("cournot", cf=50.0)
    assert s.price[0] == pytest.approx(50.0, abs=TOL)
    assert s.dominant[0] == pytest.approx(40.0, abs=TOL)
    assert s.fringe[0, 0] == pytest.approx(10.0, abs=TOL)


def test_leader_limit_pricing_closed_form():
    """Dominant-firm price leadership with K_f = 80 at c_f = 20: with the fringe in, residual is 0 at P >= 20;
    limit price P = 20 keeps the fringe out: profit (20 − 10)·80 = 800 > 0 (Carlton–Perloff ch. 4). Cournot
    differs: P = 20, q_d = 10, fringe 70."""
    s = _one("leader", kf=80.0)
    assert s.price[0] == pytest.approx(20.0, abs=TOL)
    assert s.dominant[0] == pytest.approx(80.0, abs=TOL)
    assert s.fringe[0, 0] == pytest.approx(0.0, abs=TOL)
    assert s.dominant_profit[0] == pytest.approx(800.0, abs=TOL)
    c = _one("cournot", kf=80.0)
    assert (c.price[0], c.dominant[0], c.fringe[0, 0]) == pytest.approx((20.0, 10.0, 70.0), abs=TOL)


def test_leader_interior_closed_form():
    """K_f = 30: fringe-in vertex P = (100 − 30 + 10)/2 = 40 (profit 900) beats the limit price 20 (profit 800)."""
    s = _one("leader")
    assert s.price[0] == pytest.approx(40.0, abs=TOL)
    assert s.dominant_profit[0] == pytest.approx(900.0, abs=TOL)


def test_competitive_and_capacity_bound():
    """Competitive: dominant at c_d = 10 with K_d = 50 and the fringe at 20 (K_f = 30): D(20) = 80 = 50 + 30,
    so P = 20 exactly at the fringe step; with K_d = 40, P = (100 − 40 − 30)/1 = 30."""
    s = _one("competitive", kd=50.0)
    assert s.price[0] == pytest.approx(20.0, abs=TOL)
    assert s.demand[0] == pytest.approx(80.0, abs=TOL)
    s = _one("competitive", kd=40.0)
    assert s.price[0] == pytest.approx(30.0, abs=TOL)


def test_linear_demand_calibration():
    a, b = linear_demand(84_500.0, 69.0, 0.3)
    assert a - b * 69.0 == pytest.approx(84_500.0)
    assert b * 69.0 / 84_500.0 == pytest.approx(0.3)  # point elasticity at p0


def test_bad_inputs_are_clear_errors():
    with pytest.raises(InputError, match="conduct"):
        _one("monopoly")
    with pytest.raises(InputError, match="slope"):
        solve_market([100.0], [0.0], [[1.0]], [[1.0]], [1.0], [1.0])


@settings(max_examples=150, deadline=None)
@given(
    a=st.floats(10, 1e4), b=st.floats(0.05, 50), cd=st.floats(0, 100), kd=st.floats(0, 1e4),
    blocks=st.lists(st.tuples(st.floats(0, 200), st.floats(0, 3e3)), min_size=1, max_size=6),
    conduct=st.sampled_from(["competitive", "flood", "cournot", "leader"]),
)
def test_market_clears(a, b, cd, kd, blocks, conduct):
    """Demand = fringe + dominant output; outputs within [0, capacity]; price >= 0; price-takers in the money run."""
    cost = np.array([[c for c, _ in blocks]])
    cap = np.array([[k for _, k in blocks]])
    s = solve_market([a], [b], cost, cap, [cd], [kd], conduct)
    p = s.price[0]
    assert p >= 0
    assert s.demand[0] == pytest.approx(max(a - b * p, 0.0), rel=1e-9, abs=1e-6)
    assert s.fringe.sum() + s.dominant[0] == pytest.approx(s.demand[0], rel=1e-9, abs=1e-6)
    assert np.all(s.fringe >= -1e-9) and np.all(s.fringe <= cap + 1e-6)
    assert -1e-9 <= s.dominant[0] <= kd + 1e-6
    if conduct != "leader":  # price takers: every block below the price runs at capacity
        assert np.all(np.where(cost[0] < p - 1e-9, s.fringe[0] >= cap[0] - 1e-6, True))
    assert s.dominant_profit[0] >= -1e-6


@settings(max_examples=80, deadline=None)
@given(a=st.floats(100, 1e4), b=st.floats(0.5, 20), cd=st.floats(0, 50), kd=st.floats(10, 1e4),
       c=st.floats(0, 100), k=st.floats(0, 2e3), extra=st.floats(1, 2e3))
def test_more_fringe_capacity_never_raises_price(a, b, cd, kd, c, k, extra):
    """A must-run block added (as a floor does) never raises the world price, for every conduct."""
    for conduct in ("competitive", "cournot", "leader"):
        base = solve_market([a], [b], [[c, 0.0]], [[k, 0.0]], [cd], [kd], conduct)
        more = solve_market([a], [b], [[c, 0.0]], [[k, extra]], [cd], [kd], conduct)
        assert more.price[0] <= base.price[0] + 1e-7
