"""Tests of the optimize main-job step (coverage-days on store data) and its pure core."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmsec.optimize.main_job import nl_coverage_from_trade, write_outputs


def test_nl_coverage_from_trade_hand_computed():
    """Hand-checkable: material a (one HS6): NL imports 730 t/yr (365 from CHN, 365 from DEU by value 50/50),
    exports 0 → net 730 t/yr, e = 0.5; b: a net exporter; c: two HS6 forms (not added). sr: a 2.0, b 1.0.
    With two sized materials, a is at or above the 90th percentile → very_high, 180 days:
    S = 180 × 730/365 × 0.5 / 0.9 = 200 t."""
    trade = pd.DataFrame(
        [
            ("NLD", "CHN", 1, 2022, 365.0, 10.0, "a"),
            ("NLD", "DEU", 1, 2022, 365.0, 10.0, "a"),
            ("NLD", "CHN", 2, 2022, 10.0, 5.0, "b"),
            ("FRA", "NLD", 2, 2022, 50.0, 20.0, "b"),
            ("NLD", "CHN", 3, 2022, 10.0, 5.0, "c"),
            ("NLD", "CHN", 4, 2022, 10.0, 5.0, "c"),
            ("NLD", "CHN", 1, 2015, 9999.0, 1.0, "a"),  # outside the window
        ],
        columns=["reporter", "partner", "hs6", "year", "tonnes", "value_kusd", "material_id"],
    )
    sr = pd.DataFrame({"material_id": ["a", "b"], "sr": [2.0, 1.0]})
    out = nl_coverage_from_trade(trade, sr, ["DEU", "FRA", "NLD"], years=[2022]).set_index("material_id")
    assert out.at["a", "net_imports_t_per_yr"] == pytest.approx(730)
    assert out.at["a", "exposed_share"] == pytest.approx(0.5)
    assert out.at["a", "risk_tier"] == "very_high"
    assert out.at["a", "stock_t"] == pytest.approx(200)
    assert out.at["b", "reason"] == "net_exporter" and out.at["b", "stock_t"] == 0
    assert out.at["c", "reason"] == "mixed_hs_forms" and np.isnan(out.at["c", "stock_t"])


def test_write_outputs_on_store(store, tmp_path):
    paths = write_outputs(tmp_path, store, None)
    cov = pd.read_csv(tmp_path / "stockpile_coverage_nl.csv")
    assert {"material_id", "material", "stock_t", "reason", "basis"} <= set(cov.columns)
    sized = cov[cov["reason"].isna()]
    assert len(sized) > 5
    assert (sized["stock_t"] > 0).all()
    # every material without a stock figure says why
    assert cov.loc[cov["stock_t"].isna(), "reason"].notna().all()
    assert any(p.name == "stockpile_pool_comparison.csv" for p in paths)


def test_scenario_engine_output_feeds_the_stockpile_lp(store):
    """Contract with crmsec.scenarios: its ``scenario_set`` frame (NaN shortfall where consumption is
    unknown) is accepted as is; unknown rows are skipped with a reason, never read as 0."""
    from crmsec.optimize import size_stockpile
    from crmsec.scenarios.api import run_scenario_from_store, store_inputs
    from crmsec.scenarios.spec import builtin_scenarios

    inp = store_inputs(store)
    from crmsec.scenarios.impact import scenario_set_all

    frames = [run_scenario_from_store(s, inputs=inp).scenario_set for s in builtin_scenarios()]
    scen = scenario_set_all(frames)  # independent annual events → mutually exclusive scenario probabilities
    scen = scen[scen["shortfall_t"].isna() | (scen["shortfall_t"] >= 0)]
    assert scen["shortfall_t"].notna().any() and scen["shortfall_t"].isna().any()
    mats = pd.DataFrame({"material_id": sorted(scen["material_id"].unique())})
    mats["carrying_cost_eur_per_t_yr"] = 1000.0  # uniform test parameters, not data
    mats["voll_eur_per_t"] = 50000.0
    res = size_stockpile(scen, mats)
    assert res.summary["status"] == "Optimal"
    assert len(res.skipped) == int(scen["shortfall_t"].isna().sum())
    assert (res.stock["stock_t"] >= 0).all()
