"""Shortfall engine (methods §5.2) on hand-checkable toy inputs."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmsec.scenarios.engine import (
    compile_blocks,
    effective_days,
    run_scenario,
    stage_losses,
)
from crmsec.scenarios.ensemble import availability_polys
from crmsec.scenarios.spec import parse_scenario

BAN = {
    "id": "t", "name": "t", "measure": "ban", "actors": ["CHN"], "materials": ["gallium"],
    "stages": ["processing"], "depth": 1.0, "duration_days": 365, "probability": 0.1,
    "reroute_max": 0.0, "sources": [{"title": "test"}],
}


def test_full_chinese_gallium_ban_equals_chinese_share(toy_inputs):
    """100 % Chinese ban on gallium → shortfall share = China's share of the processing mix (0.69, hand value)."""
    res = run_scenario(parse_scenario(BAN), toy_inputs)
    m = res.materials.set_index("region")
    assert m.loc["EU27", "shortfall_share"] == pytest.approx(0.69, abs=1e-12)
    assert m.loc["NLD", "shortfall_share"] == pytest.approx(0.69, abs=1e-12)
    # volume: 0.69 × 100 t/yr × 365/365 (no rerouting) = 69 t
    assert m.loc["EU27", "shortfall_t"] == pytest.approx(69.0)
    assert m.loc["NLD", "shortfall_t"] == pytest.approx(0.69 * 5.0)
    assert m.loc["EU27", "binding_stage"] == "processing"


def test_gallium_ban_zero_without_china(toy_inputs):
    mixes = toy_inputs.mixes[toy_inputs.mixes["country"] != "CHN"]
    inp = toy_inputs.__class__(**{**toy_inputs.__dict__, "mixes": mixes})
    res = run_scenario(parse_scenario(BAN), inp)
    assert (res.materials["shortfall_share"] == 0).all()


def test_partial_depth_is_linear_for_single_stage(toy_inputs):
    res = run_scenario(parse_scenario({**BAN, "depth": 0.5}), toy_inputs)
    assert res.materials["shortfall_share"].iloc[0] == pytest.approx(0.345)


def test_refining_ban_propagates_to_component_makers(toy_inputs):
    """A Chinese processing ban hits non-Chinese magnet makers through their oxide supply (friendly ore)."""
    sc = parse_scenario({**BAN, "materials": ["neodymium"], "stages": ["processing"]})
    res = run_scenario(sc, toy_inputs, regions=["EU27"])
    # hand: extraction a_E = 1 (not in stages). processing: a_P = 1 − 0.85 = 0.15 (CHN cut; others unaffected
    # upstream because the extraction stage is not hit). component: CHN makers (actor) keep their own oxide
    # (u = 1, and component is not a listed stage) → 0.90; the unallocated 10 % are third-country makers that
    # lose China's share of world processing excluding themselves: W = 90/100 → u = 0.1 → 0.1 × 0.1 = 0.01.
    a = 0.90 + 0.10 * (1 - 0.90)
    stages = res.stages.set_index("stage")
    assert stages.loc["component", "availability"] == pytest.approx(a)
    assert stages.loc["processing", "availability"] == pytest.approx(0.15)
    # binding stage (methods §5.2): processing, where availability is lowest
    assert res.materials["shortfall_share"].iloc[0] == pytest.approx(0.85)
    assert res.materials["binding_stage"].iloc[0] == "processing"


def test_hormuz_takes_out_gulf_aluminium_and_qatari_helium(toy_inputs):
    """World supply at risk = Σ route_share × production of exporters inside the Gulf (hand: BHR + ARE; OMN 0)."""
    sc = parse_scenario({
        "id": "h", "name": "h", "measure": "chokepoint_closure", "chokepoint": "Strait of Hormuz",
        "materials": ["aluminium", "helium"], "stages": ["extraction", "processing"], "depth": 1.0,
        "duration_days": 365, "probability": 0.03, "reroute_max": 0.0, "sources": [{"title": "t"}],
    })
    res = run_scenario(sc, toy_inputs, regions=["EU27"])
    m = res.materials.set_index("material_id")
    assert m.loc["aluminium", "world_at_risk_processing"] == pytest.approx(1600 + 2700)
    assert m.loc["helium", "world_at_risk_extraction"] == pytest.approx(66)
    # aluminium is exchange-traded (market mode): every buyer loses the world share
    world_al = 41000 + 1600 + 2700 + 400 + 4100 + 1300
    assert m.loc["aluminium", "mode"] == "market"
    assert m.loc["aluminium", "shortfall_share"] == pytest.approx((1600 + 2700) / world_al)
    # price rule: (s0 − inventory buffer 0.05) / (|ε_d| + ε_s), capped at +200 % (exposure_params.csv)
    assert m.loc["aluminium", "price_shock"] == pytest.approx(((1600 + 2700) / world_al - 0.05) / 0.2)
    # helium is direct: Qatar's share of the EU sourcing mix
    assert m.loc["helium", "shortfall_share"] == pytest.approx(0.34)


def test_missing_consumption_is_nan_with_reason(toy_inputs):
    sc = parse_scenario({**BAN, "actors": ["QAT"], "materials": ["helium"]})
    res = run_scenario(sc, toy_inputs, regions=["NLD"])
    row = res.materials.iloc[0]
    assert row["shortfall_share"] == pytest.approx(0.34)
    assert math.isnan(row["shortfall_t"])
    assert "no_consumption" in row["reason"]


def test_sector_va_at_risk(toy_inputs):
    res = run_scenario(parse_scenario({**BAN, "duration_days": 73}), toy_inputs)
    s = res.sectors.set_index("region")
    # VA 1000 M EUR/yr × φ 1 × 0.69 × 73/365
    assert s.loc["EU27", "va_at_risk_meur"] == pytest.approx(1000 * 0.69 * 73 / 365)
    assert math.isnan(s.loc["NLD", "va_at_risk_meur"])
    assert "no_sector_va" in s.loc["NLD", "reason"]


def test_days_to_stockout(toy_inputs):
    res = run_scenario(parse_scenario(BAN), toy_inputs, stock_days=69.0)
    # shortfall 0.69 of consumption per day without rerouting: 69 days of stock last 100 days
    assert res.materials["days_to_stockout"].iloc[0] == pytest.approx(100.0, rel=1e-6)
    res = run_scenario(parse_scenario(BAN), toy_inputs)
    assert math.isnan(res.materials["days_to_stockout"].iloc[0])
    assert "no_stock_data" in res.materials["reason"].iloc[0]


def test_scenario_set_frame(toy_inputs):
    res = run_scenario(parse_scenario(BAN), toy_inputs)
    f = res.scenario_set
    assert list(f.columns) == ["scenario_id", "probability", "material_id", "shortfall_t", "duration_days"]
    assert f["shortfall_t"].iloc[0] == pytest.approx(0.69 * 5.0)
    assert f["probability"].iloc[0] == 0.1


def test_timeline_rerouting(toy_inputs):
    sc = parse_scenario({**BAN, "reroute_lag_days": 30, "reroute_ramp_days": 60, "reroute_max": 0.5,
                         "duration_days": 180})
    res = run_scenario(sc, toy_inputs, regions=["EU27"], step_days=1.0)
    t = res.timeline.set_index("day")
    assert t.loc[10.0, "shortfall_share"] == pytest.approx(0.69)
    assert t.loc[60.0, "shortfall_share"] == pytest.approx(0.69 * (1 - 0.5 * 0.5))
    assert t.loc[120.0, "shortfall_share"] == pytest.approx(0.69 * 0.5)
    # total: 180 − 0.5 × (60²/(2·60) + (150 − 60)) = 180 − 0.5 × 120 = 120 effective days
    assert res.materials["effective_days"].iloc[0] == pytest.approx(120.0)


@settings(max_examples=50, deadline=None)
@given(T=st.floats(0, 400), lag=st.floats(0, 200), ramp=st.floats(0, 200), r=st.floats(0, 1))
def test_effective_days_matches_numeric_integral(T, lag, ramp, r):
    t = np.linspace(0, T, 20001)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        ramp_t = np.clip((t - lag) / ramp, 0, 1) if ramp > 0 else (t >= lag).astype(float)
    numeric = np.trapezoid(1 - r * ramp_t, t) if T > 0 else 0.0
    assert float(effective_days(np.array(T), np.array(lag), np.array(ramp), np.array(r))) == pytest.approx(
        numeric, abs=max(0.05, 1e-3 * T))


@settings(max_examples=40, deadline=None)
@given(d=st.lists(st.floats(0, 1), min_size=1, max_size=20))
def test_polynomial_equals_stage_recursion(toy_inputs, d):
    """The ensemble's polynomial form equals the engine's stage recursion for any depth."""
    sc = parse_scenario({**BAN, "materials": ["neodymium", "gallium"], "stages": ["extraction", "processing",
                                                                                  "component"]})
    for b in compile_blocks(sc, toy_inputs, ["EU27", "NLD"]):
        s0, avail = stage_losses(b, np.array(d))
        polys = availability_polys(b)
        for a, poly in zip(avail, polys, strict=True):
            np.testing.assert_allclose(a, np.polynomial.polynomial.polyval(np.array(d), poly), atol=1e-12)
        low = np.min([np.polynomial.polynomial.polyval(np.array(d), p) for p in polys], axis=0)
        np.testing.assert_allclose(s0, 1 - low, atol=1e-12)
        assert np.all((s0 >= -1e-12) & (s0 <= 1 + 1e-12))


def test_shortfall_monotone_in_depth(toy_inputs):
    sc = parse_scenario({**BAN, "materials": ["neodymium"], "stages": ["extraction", "processing", "component"]})
    (b,) = compile_blocks(sc, toy_inputs, ["EU27"])
    s0, _ = stage_losses(b, np.linspace(0, 1, 101))
    assert np.all(np.diff(s0) >= -1e-12)
    assert s0[0] == 0


def test_exempt_importer(toy_inputs):
    res = run_scenario(parse_scenario({**BAN, "exempt_importers": ["EU27"]}), toy_inputs)
    assert res.materials.set_index("region").loc["EU27", "shortfall_share"] == 0
    assert res.materials.set_index("region").loc["NLD", "shortfall_share"] == 0  # NLD ∈ EU27


def test_result_frames_have_contract_columns(toy_inputs):
    res = run_scenario(parse_scenario(BAN), toy_inputs)
    for col in ("shortfall_t", "shortfall_share", "material_id", "region"):
        assert col in res.materials
    assert "va_at_risk_meur" in res.sectors
    assert isinstance(res.timeline, pd.DataFrame) and not res.timeline.empty


def test_spare_capacity_offsets_market_loss(toy_inputs):
    sc = parse_scenario({
        "id": "h", "name": "h", "measure": "chokepoint_closure", "chokepoint": "Strait of Hormuz",
        "materials": ["aluminium"], "stages": ["processing"], "depth": 1.0, "duration_days": 365,
        "probability": 0.03, "reroute_max": 0.0, "spare_share": 0.05, "sources": [{"title": "t"}],
    })
    res = run_scenario(sc, toy_inputs, regions=["EU27"])
    world_al = 41000 + 1600 + 2700 + 400 + 4100 + 1300
    assert res.materials["shortfall_share"].iloc[0] == pytest.approx((1600 + 2700) / world_al - 0.05)
