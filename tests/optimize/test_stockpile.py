"""Tests of stockpile sizing (crmsec.optimize.stockpile)."""

from __future__ import annotations

from importlib import resources

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmsec.errors import InputError, SolverError
from crmsec.optimize import (
    coverage_days_stock,
    coverage_tiers,
    critical_fractile_stock,
    expected_cost,
    pool_stockpile,
    risk_tiers,
    size_stockpile,
    validate_scenarios,
)

EXAMPLES = resources.files("crmsec.optimize") / "examples"


@pytest.fixture
def methods_5_3c_example() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Methods §5.3(C) worked example [C: HiGHS via scipy.linprog, matches the closed form]; §8.9.

    Consumption 1,000 t/yr, price 30,000 EUR/t, carrying 10 %/yr (c = 3,000 EUR/t/yr), penalty
    p = 150,000 EUR/t; 70 % cut with annual probabilities 0.10 (30 d), 0.04 (90 d), 0.01 (180 d): shortfalls
    57.5, 172.6, 345.2 t. Expected S* = 172.6 t = 63 days, expected annual cost 776,712 EUR
    (517,808 carrying + 258,904 expected penalty). Tolerance: 0.1 t, 1 EUR.
    """
    days = np.array([30, 90, 180])
    scen = pd.DataFrame(
        {
            "scenario_id": ["d30", "d90", "d180"],
            "probability": [0.10, 0.04, 0.01],
            "material_id": "x",
            "shortfall_t": 0.7 * 1000 * days / 365,
            "duration_days": days,
        }
    )
    mats = pd.DataFrame(
        {
            "material_id": ["x"],
            "price_eur_per_t": [30000.0],
            "carrying_rate": [0.10],
            "voll_eur_per_t": [150000.0],
            "consumption_t_per_yr": [1000.0],
        }
    )
    return scen, mats


def test_worked_example_5_3c(methods_5_3c_example):
    scen, mats = methods_5_3c_example
    res = size_stockpile(scen, mats)
    row = res.stock.iloc[0]
    assert row["stock_t"] == pytest.approx(172.6, abs=0.1)
    assert row["days_of_cover"] == pytest.approx(63, abs=0.1)
    assert res.summary["expected_annual_cost_eur"] == pytest.approx(776712, abs=1)
    assert row["carrying_cost_eur_yr"] == pytest.approx(517808, abs=1)
    assert row["expected_loss_eur_yr"] == pytest.approx(258904, abs=1)
    assert critical_fractile_stock(scen["shortfall_t"], scen["probability"], 3000, 150000) == pytest.approx(
        172.6, abs=0.1
    )
    # methods §5.3(D): at the optimum the marginal value of stock equals the carrying cost
    assert row["marginal_value_eur_per_t_yr"] == pytest.approx(3000, rel=1e-6)


def test_worked_example_5_3c_tie_at_double_penalty(methods_5_3c_example):
    """With p = 300,000 EUR/t (c/p = 0.01) every S in [172.6, 345.2] t is optimal (methods §5.3(C))."""
    scen, mats = methods_5_3c_example
    res = size_stockpile(scen, mats.assign(voll_eur_per_t=300000.0))
    s = res.stock["stock_t"].iat[0]
    assert 172.6 - 0.1 <= s <= 345.2 + 0.1
    cost_at = expected_cost(172.6027, scen["shortfall_t"], scen["probability"], 3000, 300000)
    assert res.summary["expected_annual_cost_eur"] == pytest.approx(cost_at, rel=1e-6)


def test_worked_example_from_packaged_csv():
    scen = pd.read_csv(EXAMPLES / "worked_example_5_3c_scenarios.csv")
    mats = pd.read_csv(EXAMPLES / "worked_example_5_3c_materials.csv")
    assert size_stockpile(scen, mats).summary["expected_annual_cost_eur"] == pytest.approx(776712, abs=1)


@settings(max_examples=40, deadline=None)
@given(
    shortfall=st.lists(st.floats(1, 500), min_size=1, max_size=6),
    raw_p=st.lists(st.floats(0.001, 1), min_size=6, max_size=6),
    total_p=st.floats(0.01, 0.95),
    c=st.floats(100, 5000),
    ratio=st.floats(1.5, 300),
)
def test_lp_agrees_with_critical_fractile(shortfall, raw_p, total_p, c, ratio):
    """Property: the two-stage LP and the closed-form critical fractile give the same optimum (§5.3(B))."""
    n = len(shortfall)
    prob = np.array(raw_p[:n]) / np.sum(raw_p[:n]) * total_p
    p = c * ratio
    scen = pd.DataFrame(
        {
            "scenario_id": [f"s{i}" for i in range(n)],
            "probability": prob,
            "material_id": "m",
            "shortfall_t": shortfall,
        }
    )
    mats = pd.DataFrame({"material_id": ["m"], "carrying_cost_eur_per_t_yr": [c], "voll_eur_per_t": [p]})
    res = size_stockpile(scen, mats)
    s_lp = res.stock["stock_t"].iat[0]
    s_cf = critical_fractile_stock(shortfall, prob, c, p)
    cost_cf = expected_cost(s_cf, shortfall, prob, c, p)
    assert res.summary["expected_annual_cost_eur"] == pytest.approx(cost_cf, rel=1e-7, abs=1e-6)
    # the optimum is unique unless some tail probability equals c/p exactly
    cand = np.concatenate([[0.0], np.sort(shortfall)])
    tails = np.array([(prob * (np.array(shortfall) > s)).sum() for s in cand])
    if np.all(np.abs(tails - c / p) > 1e-9):
        assert s_lp == pytest.approx(s_cf, rel=1e-7, abs=1e-6)


def test_cvar_and_budget(methods_5_3c_example):
    scen, mats = methods_5_3c_example
    neutral = size_stockpile(scen, mats).stock["stock_t"].iat[0]
    averse = size_stockpile(scen, mats, cvar_alpha=0.95, cvar_weight=1.0)
    # worst 5 %: d90 (0.04) and d180 (0.01); above 172.6 t one more tonne cuts CVaR by 0.2 p = 30,000 EUR
    assert averse.stock["stock_t"].iat[0] == pytest.approx(345.2, abs=0.1)
    assert averse.stock["stock_t"].iat[0] > neutral
    assert np.isfinite(averse.summary["cvar_eur"])
    capped = size_stockpile(scen, mats, budget_eur=30000 * 100)
    assert capped.stock["stock_t"].iat[0] == pytest.approx(100)
    # marginal value of budget: (p * P(L > 100) - c) / P = (150000 * 0.05 - 3000) / 30000
    assert capped.summary["budget_dual"] == pytest.approx((150000 * 0.05 - 3000) / 30000, rel=1e-6)
    # with a binding budget: marginal value = c + P * budget dual = p * P(L > 100) = 7,500 EUR/t/yr
    assert capped.stock["marginal_value_eur_per_t_yr"].iat[0] == pytest.approx(7500, rel=1e-6)


def test_voll_tiers_cover_essential_share_first():
    """Two tiers: essential 30 % at 1,000,000 EUR/t, other 70 % at 10,000 EUR/t; c = 3,000 EUR/t/yr.

    One scenario (p = 0.1/yr, 90 days, consumption 1,000 t/yr → demand 246.6 t) with shortfall 200 t. Unmet
    tonnes go to 'other' first (cap 0.7 × 246.6 = 172.6 t). Stock: covering the last 27.4 t (essential)
    saves 0.1 × 1e6 > c, covering 'other' saves 0.1 × 1e4 = 1,000 < c → S* = 200 − 172.6 = 27.4 t.
    """
    scen = pd.DataFrame(
        {
            "scenario_id": ["s"],
            "probability": [0.1],
            "material_id": "m",
            "shortfall_t": [200.0],
            "duration_days": [90.0],
        }
    )
    mats = pd.DataFrame(
        {"material_id": ["m"], "carrying_cost_eur_per_t_yr": [3000.0], "consumption_t_per_yr": [1000.0]}
    )
    tiers = pd.DataFrame(
        {
            "material_id": ["m", "m"],
            "tier": ["essential", "other"],
            "share": [0.3, 0.7],
            "voll_eur_per_t": [1e6, 1e4],
        }
    )
    res = size_stockpile(scen, mats, tiers=tiers)
    assert res.stock["stock_t"].iat[0] == pytest.approx(200 - 0.7 * 1000 * 90 / 365, abs=1e-6)


def test_service_level_and_infeasible_budget(methods_5_3c_example):
    scen, mats = methods_5_3c_example
    res = size_stockpile(scen, mats.drop(columns="voll_eur_per_t"), service_level=1.0)
    assert res.stock["stock_t"].iat[0] == pytest.approx(345.2, abs=0.1)
    with pytest.raises(SolverError, match="HiGHS status: Infeasible"):
        size_stockpile(scen, mats.drop(columns="voll_eur_per_t"), service_level=1.0, budget_eur=1e6)


def test_release_rate_limits_stock_use(methods_5_3c_example):
    scen, mats = methods_5_3c_example
    res = size_stockpile(scen, mats.assign(release_rate_t_per_day=1.0))  # at most 1 t/day released
    sc = res.scenarios.set_index("scenario_id")
    assert (sc["release_t"] <= sc.index.map({"d30": 30, "d90": 90, "d180": 180}) + 1e-6).all()


@pytest.mark.parametrize(
    ("patch", "match"),
    [
        ({"probability": [0.6, 0.3, 0.2]}, "probabilities sum to 1.1"),
        ({"shortfall_t": [-1.0, 2.0, 3.0]}, "row 2, field 'shortfall_t', value -1.0"),
        ({"probability": [0.1, 1.5, 0.1]}, "row 3, field 'probability'"),
        ({"scenario_id": ["a", "a", "b"]}, "different probabilities"),
    ],
)
def test_scenario_validation(methods_5_3c_example, patch, match):
    scen, _ = methods_5_3c_example
    with pytest.raises(InputError, match=match):
        validate_scenarios(scen.assign(**patch))


def test_missing_columns_and_unknown_shortfall(methods_5_3c_example):
    scen, mats = methods_5_3c_example
    with pytest.raises(InputError, match="missing column"):
        validate_scenarios(scen.drop(columns="probability"))
    with pytest.raises(InputError, match="no parameters for material_id 'y'"):
        size_stockpile(pd.concat([scen, scen.iloc[[0]].assign(material_id="y")]), mats)
    # NaN shortfall (unknown consumption in the scenario engine) is skipped with a reason, not read as 0
    more = pd.concat([scen, scen.iloc[[1]].assign(material_id="y", shortfall_t=np.nan)], ignore_index=True)
    res = size_stockpile(more, mats)
    assert res.skipped["reason"].tolist() == ["shortfall_unknown"]
    assert res.summary["n_skipped"] == 1
    assert "Skipped 1 scenario row" in res.explanation
    with pytest.raises(InputError, match="exceeds consumption during the disruption"):
        size_stockpile(scen.assign(shortfall_t=scen["shortfall_t"] * 2), mats)


def test_coverage_days_rule():
    frame = pd.DataFrame(
        {
            "material_id": ["a", "b", "c", "d"],
            "consumption_t_per_yr": [365.0] * 4,
            "sr": [0.5, 1.0, 2.0, 4.0],
            "exposed_share": [1.0, 0.5, 1.0, 1.0],
        }
    )
    out = coverage_days_stock(frame, availability_factor=0.9)
    # percentile cuts of sr (0.5, 1, 2, 4) at 50/75/90 %: 1.5, 2.5, 3.4
    assert out["risk_tier"].tolist() == ["low", "low", "medium", "very_high"]
    # S = D C/365 e/a with C/365 = 1 t/d
    np.testing.assert_allclose(out["stock_t"], [30 / 0.9, 30 * 0.5 / 0.9, 60 / 0.9, 180 / 0.9])
    given_days = coverage_days_stock(
        frame.assign(risk_tier="high").drop(columns="sr"), availability_factor=1.0
    )
    np.testing.assert_allclose(given_days["stock_t"], [90, 45, 90, 90])
    assert set(coverage_tiers()["source"].str.len() > 0) == {True}
    assert risk_tiers([np.nan, 1.0])[0] == ""
    with pytest.raises(InputError, match="risk_tier 'extreme' unknown"):
        coverage_days_stock(frame.drop(columns="sr").assign(risk_tier="extreme"))


@pytest.fixture
def three_member_coalition() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Hand-checkable pooling instance (designed for issue 6).

    Members A, B, C (1,000 t/yr each) lose 100 t each: alone in scenarios sA, sB, sC (p = 0.05 each) and all
    together in 'sall' (p = 0.02): imperfectly correlated. Service level 0.9 (expected unmet <= 10 % of the
    expected shortfall 7 t/yr, i.e. 0.7 t/yr per member). National: 0.07 (100 − S) <= 0.7 → S = 90 t each,
    270 t in total. Pooled: S >= 100 covers any lone shortfall; in 'sall' each gets S/3 and
    0.02 (100 − S/3) <= 0.7 → S = 195 t. c = 3,000 EUR/t/yr: 810,000 vs 585,000 EUR/yr.
    """
    rows = [(f"s{c}", 0.05, "x", 100.0, c) for c in "ABC"] + [("sall", 0.02, "x", 100.0, c) for c in "ABC"]
    scen = pd.DataFrame(rows, columns=["scenario_id", "probability", "material_id", "shortfall_t", "country"])
    members = pd.DataFrame({"country": list("ABC"), "material_id": "x", "consumption_t_per_yr": 1000.0})
    mats = pd.DataFrame({"material_id": ["x"], "price_eur_per_t": [30000.0], "carrying_rate": [0.1]})
    return scen, mats, members


def test_pooling_beats_national_stocks(three_member_coalition):
    scen, mats, members = three_member_coalition
    res = pool_stockpile(scen, mats, members, service_level=0.9)
    comp = res.comparison.iloc[0]
    assert comp["national_stock_t"] == pytest.approx(270, abs=1e-4)
    assert comp["pooled_stock_t"] == pytest.approx(195, abs=1e-4)
    assert comp["national_cost_eur_yr"] == pytest.approx(810000, abs=1)
    assert comp["pooled_cost_eur_yr"] == pytest.approx(585000, abs=1)
    assert res.summary["saving_eur_yr"] == pytest.approx(225000, abs=1)
    # IEA rule: equal consumption → equal shares, holdings 65 t each
    np.testing.assert_allclose(res.members["share"], 1 / 3)
    np.testing.assert_allclose(res.members["pooled_holding_t"], 65, atol=1e-4)
    # solidarity: when only A is hit, A receives 100 t, of which 2/3 come from B's and C's shares
    f = res.flows.set_index(["scenario_id", "country"])
    assert f.at[("sA", "A"), "received_t"] == pytest.approx(100, abs=1e-4)
    assert f.at[("sA", "A"), "net_inflow_t"] == pytest.approx(200 / 3, abs=1e-4)
    assert f.at[("sA", "B"), "net_inflow_t"] == pytest.approx(-100 / 3, abs=1e-4)
    assert res.flows.groupby("scenario_id")["net_inflow_t"].sum().abs().max() < 1e-6


def test_pooling_perfectly_correlated_saves_nothing(three_member_coalition):
    scen, mats, members = three_member_coalition
    together = scen[scen["scenario_id"] == "sall"]
    res = pool_stockpile(together, mats, members, service_level=0.9)
    assert res.summary["saving_eur_yr"] == pytest.approx(0, abs=1e-3)
    assert "saves nothing" in res.explanation


def test_pooling_economic_mode_and_exposure_rule(three_member_coalition):
    scen, mats, members = three_member_coalition
    scen = scen.copy()
    scen.loc[scen["country"] == "A", "shortfall_t"] = 50.0  # A is less exposed
    res = pool_stockpile(scen, mats.assign(voll_eur_per_t=150000.0), members, rule="exposure")
    assert res.summary["pooled_cost_eur_yr"] <= res.summary["national_cost_eur_yr"] + 1e-6
    shares = res.members.set_index("country")["share"]
    assert shares["A"] == pytest.approx(0.2) and shares["B"] == pytest.approx(0.4)
    with pytest.raises(InputError, match="not listed in members"):
        pool_stockpile(scen, mats.assign(voll_eur_per_t=1e5), members[members["country"] != "C"])


def test_size_stockpile_needs_country_choice():
    scen = pd.read_csv(EXAMPLES / "stockpile_scenarios_example.csv")
    mats = pd.read_csv(EXAMPLES / "stockpile_materials_example.csv")
    with pytest.raises(InputError, match="several countries"):
        size_stockpile(scen, mats)
    res = size_stockpile(scen, mats, country="NLD")
    assert set(res.stock["material_id"]) == {"gallium", "germanium"}


@settings(max_examples=25, deadline=None)
@given(
    hits=st.lists(st.lists(st.floats(0, 50), min_size=3, max_size=3), min_size=1, max_size=6),
    raw_p=st.lists(st.floats(0.01, 1), min_size=6, max_size=6),
    voll_ratio=st.floats(2, 100),
    split=st.sampled_from(["prorata", "optimal"]),
    rate=st.sampled_from([np.inf, 0.2]),
)
def test_pooling_never_costs_more(hits, raw_p, voll_ratio, split, rate):
    """Property: one pooled stock never costs more than national stocks (single VOLL tier; the pooled stock
    has the summed release capacity of the members)."""
    n = len(hits)
    prob = np.array(raw_p[:n]) / np.sum(raw_p[:n]) * 0.5
    rows = [
        (f"s{i}", prob[i], "x", hits[i][j], 100.0, c)
        for i in range(n)
        for j, c in enumerate("ABC")
        if hits[i][j] > 0
    ]
    if not rows:
        return
    scen = pd.DataFrame(
        rows, columns=["scenario_id", "probability", "material_id", "shortfall_t", "duration_days", "country"]
    )
    members = pd.DataFrame({"country": list("ABC"), "material_id": "x", "consumption_t_per_yr": 500.0})
    mats = pd.DataFrame(
        {
            "material_id": ["x"],
            "carrying_cost_eur_per_t_yr": [1000.0],
            "voll_eur_per_t": [1000.0 * voll_ratio],
            "release_rate_t_per_day": [rate],
        }
    )
    res = pool_stockpile(scen, mats, members, split=split)
    assert res.summary["pooled_cost_eur_yr"] <= res.summary["national_cost_eur_yr"] * (1 + 1e-9) + 1e-6
    assert res.flows.groupby("scenario_id")["net_inflow_t"].sum().abs().max() < 1e-6


def test_results_are_json_safe(three_member_coalition, methods_5_3c_example):
    import json

    scen, mats, members = three_member_coalition
    d = pool_stockpile(scen, mats, members, service_level=0.9).to_dict()
    json.dumps(d, allow_nan=False)
    assert d["comparison"][0]["pooled_stock_t"] == pytest.approx(195, abs=1e-4)
    assert d["national"]["stock"][0]["stock_t"] == pytest.approx(90, abs=1e-4)
    scen, mats = methods_5_3c_example
    d = size_stockpile(scen, mats).to_dict()
    json.dumps(d, allow_nan=False)
    assert d["stock"][0]["stock_t"] == pytest.approx(172.6, abs=0.1)
