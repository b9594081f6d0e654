"""GeoPolRisk in compatible and corrected modes (methods §3, §8.6)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmsec.criticality import geopolrisk as gpr

DATA = Path(__file__).parent / "data"

#: geopolrisk-py tests/data "Testing case - tool.xlsx", sheet GeoPolRisk, USA 2022 (methods §3.7a / §8.6):
#: HHI, domestic production [t], numerator, F [t], WTA, score, price [USD/kg], CF.
REGRESSION_USA_2022 = {
    "nickel": ("Nickel", 0.267490, 17_500.0, 21.179741, 37.495, 0.001208, 0.000323, 4.806774, 0.003793),
    "manganese": ("Manganese", 0.203518, 0.0, 191_198.003477, 350_700.567, 0.545189, 0.110956, 0.400735, 0.108604),
    "natural_graphite": ("Graphite", 0.470663, 0.0, 50_585.910847, 86_586.111, 0.584227, 0.274974, 2.226907, 1.495658),
}


@pytest.fixture(scope="module")
def wmd_regression_production() -> pd.DataFrame:
    """WMD 2022 production (GitHub build b453938) for nickel, manganese and graphite — see data/README.md."""
    raw = pd.read_csv(DATA / "wmd_github_b453938_2022_ni_mn_graphite.csv")
    sheet_to_id = {v[0]: k for k, v in REGRESSION_USA_2022.items()}
    return pd.DataFrame(
        {
            "material_id": raw["wmd_sheet"].map(sheet_to_id),
            "country": raw["country_iso"],
            "year": raw["year"],
            "quantity_t": pd.to_numeric(raw["quantity"], errors="coerce"),
        }
    )


def test_regression_hhi_usa_2022(wmd_regression_production):
    """HHI of world production, truncated to integers as the library does, equals the workbook to 6 dp.

    Source: geopolrisk-py regression workbook (methods §3.7a); tolerance 5e-7 (6 decimals).
    """
    hhi = gpr.production_hhi(wmd_regression_production, truncate=True)["hhi"]
    for mid, ref in REGRESSION_USA_2022.items():
        assert hhi.loc[(mid, 2022)] == pytest.approx(ref[1], abs=5e-7), mid


def test_regression_compatible_usa_2022(wmd_regression_production):
    """Compatible mode reproduces HHI, WTA and score (6 dp) and CF of the USA 2022 case.

    Source: methods §3.7a (geopolrisk-py workbook). The workbook's partner rows are not vendored, so each
    material's imports enter as one pseudo-partner carrying F tonnes with g = Num/F and value = price·F
    (the same Σq·g and Σv/Σq the library forms); production, HHI and domestic production come from the
    WMD rows. Tolerance 5e-7 on HHI/WTA/score, 5e-6 on CF.
    """
    rows, inst = [], []
    for mid, (_, _, _, num, f, *_rest) in REGRESSION_USA_2022.items():
        price = REGRESSION_USA_2022[mid][7]
        partner = f"X{mid[:2].upper()}"
        rows.append({"reporter": "USA", "partner": partner, "material_id": mid, "year": 2022, "tonnes": f,
                     "value_kusd": price * f})
        inst.append({"country": partner, "year": 2022, "g": num / f})
    out = gpr.geopolrisk(wmd_regression_production, pd.DataFrame(rows), pd.DataFrame(inst), mode="compatible",
                         units={"USA": ["USA"]})
    out = out.set_index("material_id")
    for mid, (_, hhi, dom, num, f, wta, score, price, cf) in REGRESSION_USA_2022.items():
        r = out.loc[mid]
        assert r["hhi"] == pytest.approx(hhi, abs=5e-7)
        assert r["domestic_production_t"] == pytest.approx(dom)
        assert r["numerator"] == pytest.approx(num, abs=1e-6)
        assert r["import_t"] == pytest.approx(f, abs=1e-9)
        assert r["wta"] == pytest.approx(wta, abs=5e-7)
        assert r["score"] == pytest.approx(score, abs=5e-7)
        assert r["price_usd_per_kg"] == pytest.approx(price, abs=5e-7)
        assert r["cf"] == pytest.approx(cf, abs=5e-6)


def test_wta_score_hand_check_nickel():
    """Hand check of methods §3.7a: WTA = 21.179741/(37.495 + 17,500) = 0.0012077; CF 0.003793."""
    out = gpr.wta_score(21.179741, 37.495, 17_500, 0.267490, 4.806774)
    assert out["wta"] == pytest.approx(0.0012077, abs=1e-7)
    assert out["score"] == pytest.approx(0.000323, abs=5e-7)
    assert out["cf"] == pytest.approx(0.003793, abs=5e-6)
    assert np.isnan(gpr.wta_score(1.0, 0.0, 0.0, 0.5)["wta"])


def _toy():
    """Two-country region R = {AAA, BBB}, outside exporters CHN (g .6) and TWN; AAA produces 10 t."""
    prod = pd.DataFrame({"material_id": ["m"] * 3, "country": ["CHN", "AAA", "ZZZ"], "year": [2022] * 3,
                         "quantity_t": [60.0, 10.0, 30.0]})
    trade = pd.DataFrame(
        {
            "reporter": ["AAA", "AAA", "BBB", "BBB"],
            "partner": ["CHN", "BBB", "CHN", "TWN"],
            "material_id": ["m"] * 4,
            "year": [2022] * 4,
            "tonnes": [20.0, 15.0, 30.0, 5.0],
            "value_kusd": [40.0, 30.0, 60.0, 10.0],
        }
    )
    wgi_pv = pd.DataFrame({"country": ["CHN", "AAA", "BBB", "TWN"], "year": [2022] * 4,
                           "estimate": [-0.5, 1.0, 0.5, 0.5], "normalized_packaged": [0.6, 0.3, 0.4, 0.4]})
    return prod, trade, wgi_pv


def test_region_compatible_double_counts_and_corrected_does_not():
    """Compatible keeps intra-region flows in F with g = 0 and Taiwan at 0.5; corrected drops them, maps TWN."""
    prod, trade, wgi_pv = _toy()
    units = {"R": ["AAA", "BBB"]}
    c = gpr.geopolrisk(prod, trade, gpr.instability_table(wgi_pv, "compatible"), mode="compatible", units=units).iloc[0]
    # F = 20 + 15 + 30 + 5 = 70; Num = 0.6·50 + 0·15 + 0.5·5 = 32.5; p = 10
    assert c["import_t"] == pytest.approx(70.0)
    assert c["numerator"] == pytest.approx(32.5)
    assert c["wta"] == pytest.approx(32.5 / 80.0)
    k = gpr.geopolrisk(prod, trade, gpr.instability_table(wgi_pv, "corrected"), mode="corrected", units=units).iloc[0]
    # corrected: AAA←BBB dropped; F = 55; g(TWN) = (2.5-0.5)/5 = 0.4; Num = 30 + 2 = 32
    assert k["import_t"] == pytest.approx(55.0)
    assert k["numerator"] == pytest.approx(0.6 * 50 + 0.4 * 5)
    assert k["wta"] == pytest.approx(32.0 / 65.0)
    hhi = 0.6**2 + 0.1**2 + 0.3**2
    assert k["score"] == pytest.approx(hhi * 32.0 / 65.0)


def test_missing_governance_nan_not_zero():
    """Corrected: a partner without PV makes WTA NaN with reason no_wgi; compatible reads the packaged 0.0."""
    prod, trade, wgi_pv = _toy()
    wgi_pv.loc[wgi_pv["country"] == "CHN", ["estimate", "normalized_packaged"]] = [np.nan, 0.0]
    k = gpr.geopolrisk(prod, trade, gpr.instability_table(wgi_pv, "corrected"), mode="corrected").set_index("country")
    assert np.isnan(k.loc["AAA", "wta"]) and k.loc["AAA", "reason"] == "no_wgi"
    assert k.loc["AAA", "share_no_wgi"] == pytest.approx(20 / 35)
    c = gpr.geopolrisk(prod, trade, gpr.instability_table(wgi_pv, "compatible"), mode="compatible").set_index("country")
    assert c.loc["AAA", "numerator"] == pytest.approx(0.0 * 20 + 0.4 * 15)
    imp = gpr.instability_table(wgi_pv, "corrected", impute=0.5)
    assert imp.loc[imp["country"] == "CHN", "reason"].item() == "imputed"


def test_no_trade_no_production_is_nan_in_corrected_zero_in_compatible():
    prod, trade, wgi_pv = _toy()
    units = {"R": ["AAA"], "EMPTY": ["QQQ"]}
    k = gpr.geopolrisk(prod, trade, gpr.instability_table(wgi_pv, "corrected"), mode="corrected", units=units)
    e = k.set_index("country").loc["EMPTY"]
    assert np.isnan(e["score"]) and e["reason"] == "no_trade_no_production"
    c = gpr.geopolrisk(prod, trade, gpr.instability_table(wgi_pv, "compatible"), mode="compatible", units=units)
    assert c.set_index("country").loc["EMPTY", "score"] == 0.0


def test_compare_modes_reports_per_material():
    prod, trade, wgi_pv = _toy()
    c = gpr.geopolrisk(prod, trade, gpr.instability_table(wgi_pv, "compatible"), mode="compatible")
    k = gpr.geopolrisk(prod, trade, gpr.instability_table(wgi_pv, "corrected"), mode="corrected")
    diff = gpr.compare_modes(c, k)
    assert list(diff["material_id"]) == ["m"]
    assert diff["max_abs_diff"].iloc[0] > 0


@settings(max_examples=40, deadline=None)
@given(
    q=st.lists(st.floats(0, 1e6), min_size=3, max_size=3),
    g=st.lists(st.floats(0, 1), min_size=3, max_size=3),
    p=st.floats(0, 1e6),
)
def test_wta_bounded_by_partner_instability(q, g, p):
    """Property: 0 ≤ WTA ≤ max g (a weighted mean of g diluted by production), score ≤ HHI."""
    trade = pd.DataFrame({"reporter": "AAA", "partner": ["B1", "B2", "B3"], "material_id": "m", "year": 2022,
                          "tonnes": q, "value_kusd": 1.0})
    inst = pd.DataFrame({"country": ["B1", "B2", "B3"], "year": 2022, "g": g})
    prod = pd.DataFrame({"material_id": ["m", "m"], "country": ["AAA", "B1"], "year": 2022, "quantity_t": [p, 5.0]})
    out = gpr.geopolrisk(prod, trade, inst, mode="corrected", units={"AAA": ["AAA"]}).iloc[0]
    if sum(q) + p > 0:
        assert -1e-12 <= out["wta"] <= max(g) + 1e-12
        assert out["score"] <= out["hhi"] + 1e-12
    else:
        assert np.isnan(out["wta"])


@pytest.mark.slow
def test_nl_graphite_2022_from_store(store):
    """methods §3.7(b) / §8.9 (shared BACI + PyPI wgi.db + WMD, depends on the vintage): NL natural graphite 2022,
    compatible mode: HHI 0.4667, Num 7,999.9, F 18,583.6 t, WTA 0.4305, score 0.2009, price 0.980, CF 0.481.
    Tolerances: 5e-5 on WTA/score/HHI, 0.5 on Num, 1 t on F, 5e-4 on CF."""
    from crmsec.criticality import pipeline as P

    data = P.load_data(store)
    g = P.geopolrisk_table(data, "compatible", years=[2022], countries=["NLD"]).set_index("material_id")
    r = g.loc["natural_graphite"]
    assert r["hhi"] == pytest.approx(0.4667, abs=5e-5)
    assert r["numerator"] == pytest.approx(7_999.9, abs=0.5)
    assert r["import_t"] == pytest.approx(18_583.6, abs=1)
    assert r["wta"] == pytest.approx(0.4305, abs=5e-5)
    assert r["score"] == pytest.approx(0.2009, abs=5e-5)
    assert r["price_usd_per_kg"] == pytest.approx(0.980, abs=5e-4)
    assert r["cf"] == pytest.approx(0.481, abs=5e-4)
    k = P.geopolrisk_table(data, "corrected", years=[2022], countries=["NLD"]).set_index("material_id")
    # corrected: Taiwan (0.007 t) gets its own PV instead of 0.5 — the score barely moves
    assert k.loc["natural_graphite", "score"] == pytest.approx(r["score"], abs=1e-6)
    diff = gpr.compare_modes(g.reset_index(), k.reset_index())
    assert {"material_id", "median_ratio", "main_cause"} <= set(diff.columns)


@pytest.mark.slow
def test_all_countries_materials_years_one_call(store):
    """Every country × material × year of the store in one call; corrected never reports a silent 0 for a
    unit without trade and production (NaN + reason instead)."""
    from crmsec.criticality import pipeline as P

    data = P.load_data(store)
    k = P.geopolrisk_table(data, "corrected")
    assert len(k) > 50_000
    none = k["reason"] == "no_trade_no_production"
    assert none.any() and k.loc[none, "score"].isna().all()
    c = P.geopolrisk_table(data, "compatible")
    lib0 = c[(c["reason"] == "library_zero_for_no_trade_no_production") & c["hhi"].notna()]
    assert len(lib0) > 0 and (lib0["score"] == 0).all()


@pytest.mark.slow
def test_trade_read_keeps_missing_quantities(store):
    """BACI flows without a quantity stay NaN through the fast categorical read (never 0)."""
    from crmsec.criticality import pipeline as P

    t = P._read_trade(store)
    n_null = store.execute("select count(*) from trade where tonnes is null and material_id is not null").fetchone()[0]
    n_rows = store.execute("select count(*) from trade where material_id is not null").fetchone()[0]
    assert len(t) == n_rows
    assert int(t["tonnes"].isna().sum()) == n_null > 0
