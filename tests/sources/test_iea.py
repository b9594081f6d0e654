"""IEA Critical Minerals Data Explorer (May 2024), sheet 2: supply by country."""

from __future__ import annotations

import pytest

from crmsec.sources import iea


@pytest.fixture(scope="module")
def supply():
    frame, meta = iea.read_iea_supply()
    assert meta["blocks"] == 12 and meta["totals_checked"] == 12
    return frame, meta


def test_values_units_and_scenarios(supply):
    f, _ = supply
    r = f.query("material_id == 'cobalt' and stage == 'extraction' and country == 'COD' and year == 2023")
    assert r["quantity"].item() == pytest.approx(157_000)  # 157 kt in the sheet
    assert set(f["year"]) == {2023, 2030, 2035, 2040}
    assert set(f.loc[f["year"] == 2023, "scenario"]) == {"reported"}
    assert set(f.loc[f["year"] > 2023, "scenario"]) == {"base_case"}
    assert "_OTH" in set(f["country"])
    assert set(f["material_id"]) == {"copper", "cobalt", "lithium", "nickel", "natural_graphite", "graphite",
                                     "magnet_rees"}


def test_block_totals_checked_and_mismatch_flagged(supply):
    """Cobalt mining 2023: country rows add to the printed total 239.8 kt; Nickel mining does not (flagged)."""
    f, meta = supply
    co = f.query("material_id == 'cobalt' and stage == 'extraction' and year == 2023")["quantity"].sum()
    assert co == pytest.approx(239_800, abs=1)
    assert "Nickel - Mining" in meta["total_mismatch"]
    ni = f.query("material_id == 'nickel' and stage == 'extraction'")
    assert (ni["value_flag"] == "block_total_mismatch").all()
    assert "Cobalt - Mining" not in meta["total_mismatch"]


def test_load_tables():
    assert set(iea.load_tables()) == {"iea_supply"}
