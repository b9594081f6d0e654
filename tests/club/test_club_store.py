"""The NdPr case's existing capacity against the store (IEA CMDE magnet REE processing 2023)."""

from __future__ import annotations

import pytest

from crmsec.club.existing import existing_from_store
from crmsec.club.spec import assumption_values, load_case


def test_ndpr_existing_blocks_match_the_store(store):
    f = assumption_values()["ndpr_oxide_per_contained"]
    ex = existing_from_store(store, "magnet_rees", "processing", 2023, f).set_index("country")
    case = load_case("ndpr_oxide")
    blocks = {b.region: b.capacity for b in case.blocks if not b.candidate}
    assert case.dominant.capacity == pytest.approx(ex.loc["CHN", "capacity_t"], rel=2e-3)
    assert blocks["MYS"] == pytest.approx(ex.loc["MYS", "capacity_t"], rel=2e-3)
    assert blocks["USA"] == pytest.approx(ex.loc["USA", "capacity_t"], rel=2e-3)
    assert blocks["OTH"] == pytest.approx(ex.loc["_OTH", "capacity_t"], rel=2e-3)
    assert ex.loc["CHN", "share"] == pytest.approx(0.921, abs=0.002)  # China ≈ 92 % of magnet REE processing
    world = assumption_values()["ndpr_world_q0"]
    assert world == pytest.approx(ex["capacity_t"].sum(), rel=2e-3)
    assert ex.loc["AUS", "reason"] == "zero_output"
