"""The NdPr case's existing capacity: 2023 output against the store (IEA CMDE magnet REE processing 2023), 2025
capacity from the sourced table club/existing_capacity.csv (company quarterly run rates)."""

from __future__ import annotations

import pytest

from crmsec.club.existing import existing_capacity_table, existing_from_store
from crmsec.club.spec import assumption_values, load_case


def test_ndpr_existing_2023_output_matches_the_store(store):
    f = assumption_values()["ndpr_oxide_per_contained"]
    ex = existing_from_store(store, "magnet_rees", "processing", 2023, f).set_index("country")
    case = load_case("ndpr_oxide")
    out23 = existing_capacity_table().set_index("region")["output_2023_t"]
    assert case.dominant.capacity == pytest.approx(ex.loc["CHN", "capacity_t"], rel=2e-3)
    assert out23["MYS"] == pytest.approx(ex.loc["MYS", "capacity_t"], rel=2e-3)
    assert out23["USA"] == pytest.approx(ex.loc["USA", "capacity_t"], rel=2e-3)
    assert out23["OTH"] == pytest.approx(ex.loc["_OTH", "capacity_t"], rel=2e-3)
    assert ex.loc["CHN", "share"] == pytest.approx(0.921, abs=0.002)  # China ≈ 92 % of magnet REE processing
    world = assumption_values()["ndpr_world_q0"]
    assert world == pytest.approx(ex["capacity_t"].sum(), rel=2e-3)
    assert ex.loc["AUS", "reason"] == "zero_output"


def test_ndpr_existing_capacity_2025_is_sourced_and_used():
    tab = existing_capacity_table().set_index("block")
    case = load_case("ndpr_oxide")
    existing = {b.name: b for b in case.blocks if not b.candidate}
    assert set(tab.index) == set(existing)
    for name, r in tab.iterrows():
        assert existing[name].capacity == r["capacity_2025_t"]
        assert r["capacity_2025_t"] >= r["output_2023_t"]
        assert isinstance(r["capacity_source"], str) and "20" in r["capacity_source"]
    # company reports: Lynas Sept-quarter 2025 2,003 t NdPr; MP Materials Q4 2025 718 t NdPr oxide (run rate × 4)
    assert tab.loc["Lynas Malaysia (existing)", "capacity_2025_t"] == 4 * 2003
    assert tab.loc["MP Materials Mountain Pass (existing)", "capacity_2025_t"] == 4 * 718
    # the base year clears at p0: world demand = China's quota + existing non-China capacity = club + rest of world
    a = assumption_values()
    assert a["ndpr_world_q0_2025"] == pytest.approx(case.dominant.capacity + tab["capacity_2025_t"].sum())
    assert case.club.q0 + case.row.q0 == pytest.approx(a["ndpr_world_q0_2025"])


def test_candidate_expansions_exclude_built_capacity():
    """Already-built capacity is not a candidate: MP and Lynas totals (existing + candidate) stay at their targets."""
    case = load_case("ndpr_oxide")
    cap = {b.name: b.capacity for b in case.blocks}
    assert cap["MP Materials Mountain Pass (existing)"] + cap["MP Materials expansion"] == pytest.approx(6222)
    assert cap["Lynas Malaysia (existing)"] + cap["Lynas expansion"] == pytest.approx(12000)
