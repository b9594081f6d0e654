"""USGS MCS loader: parsing, units, codes, country cleaning, and HHI 2022 recomputed by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmsec.indicators.concentration import hhi, shares
from crmsec.sources import usgs
from crmsec.sources._util import OTHERS, PRODUCTION_COLUMNS


@pytest.fixture(scope="module")
def mcs2024() -> pd.DataFrame:
    frame, meta = usgs.read_mcs2024_world()
    assert meta["files"] == 77
    return frame


@pytest.fixture(scope="module")
def mcs2026() -> pd.DataFrame:
    return usgs.read_mcs2026()[0]


def test_schema_and_no_world_totals(mcs2024, mcs2026):
    for frame in (mcs2024, mcs2026):
        assert list(frame.columns) == PRODUCTION_COLUMNS
        assert frame["country"].str.fullmatch(r"[A-Z]{3}|_OTH").all()
        assert frame["stage"].isin(["extraction", "processing"]).all()
        assert not frame.duplicated(["material_id", "stage", "country", "year", "basis"]).any()
    assert set(mcs2024["year"]) == {2022, 2023}
    assert set(mcs2026["year"]) == {2024, 2025}
    assert mcs2024["vintage"].eq("usgs-mcs-2024").all() and mcs2026["vintage"].eq("usgs-mcs-2026").all()


def test_units_codes_and_footnotes(mcs2024, mcs2026):
    """Spot values read from the source files (kt -> t, kg -> t, W, —, footnote-marked country names)."""
    def val(frame, m, c, y, stage="extraction", basis=None):
        sel = (frame["material_id"] == m) & (frame["country"] == c) & (frame["year"] == y) & (frame["stage"] == stage)
        if basis:
            sel &= frame["basis"] == basis
        assert sel.sum() == 1, (m, c, y)
        return frame[sel].iloc[0]

    # mcs2024-coppe_world.csv: Chile mine production 2022 = 5,330 kt -> 5,330,000 t
    r = val(mcs2024, "copper", "CHL", 2022)
    assert r["quantity"] == 5_330_000 and r["unit"] == "t"
    # mcs2024-galli_world.csv: "Japane" (footnote e) 3,000 kg -> 3 t, processing
    r = val(mcs2024, "gallium", "JPN", 2022, stage="processing")
    assert r["quantity"] == pytest.approx(3.0)
    # mcs2024-lithi_world.csv: United States "W" -> NaN, flag withheld
    r = val(mcs2024, "lithium", "USA", 2022)
    assert np.isnan(r["quantity"]) and r["value_flag"] == "withheld"
    # MCS 2026: cobalt DRC 2024 = "226,000" t
    r = val(mcs2026, "cobalt", "COD", 2024)
    assert r["quantity"] == 226_000 and bool(r["estimated"])
    # MCS 2026: "—" is zero in the USGS convention (metadata of the Value attribute)
    zero = mcs2026[mcs2026["value_flag"] == "zero_dash"]
    assert len(zero) > 50 and (zero["quantity"] == 0).all()
    # ilmenite + rutile TiO2 summed per country (Australia 2022: 400 + 180 kt... checked against the file)
    r = val(mcs2024, "titanium", "AUS", 2022)
    assert r["basis"] == "oxide:TiO2" and r["quantity"] > 0


def test_rare_earths_basis_and_stage(mcs2024):
    ree = mcs2024[mcs2024["material_id"] == "rare_earths"]
    assert set(ree["basis"]) == {"oxide:REO"} and set(ree["stage"]) == {"extraction"}


# Hand computation, MCS 2024 world tables, year 2022 (t). Shares are taken over the full total including the
# "Other countries" row; the HHI sums the squared shares of the named countries (others = unnamed producers, so
# the value is a lower bound). Tonnages copied from data/raw/usgs_mcs/mcs2024_world/mcs2024-<code>_world.csv.
HAND_2022 = {
    # cobalt (contained Co): total 196,940 t; DRC 144,000/196,940 = 0.7312 -> 0.5346; IDN 0.0487 -> 0.0024;
    # RUS 0.0467 -> 0.0022; the other ten named countries add 0.0026 -> HHI 0.5418
    "cobalt": ({"USA": 500, "AUS": 5790, "CAN": 3060, "COD": 144000, "CUB": 3700, "IDN": 9600, "MDG": 3500,
                "NCL": 2000, "PNG": 2990, "PHL": 3900, "RUS": 9200, "TUR": 2100, OTHERS: 6600}, 0.541814),
    # lithium (Li content, US withheld): total 146,450 t; AUS 0.5101 -> 0.2602; CHL 0.2595 -> 0.0673;
    # CHN 0.1543 -> 0.0238; ARG 0.0450 -> 0.0020; rest 0.0004 -> HHI 0.3537
    "lithium": ({"ARG": 6590, "AUS": 74700, "BRA": 2630, "CAN": 520, "CHL": 38000, "CHN": 22600, "PRT": 380,
                 "ZWE": 1030, OTHERS: 0}, 0.353730),
    # rare earths (REO): total 296,920 t; CHN 0.7073 -> 0.5002; USA 0.1415 -> 0.0200; AUS 0.0606 -> 0.0037;
    # MMR 0.0404 -> 0.0016; rest 0.0008 -> HHI 0.5263
    "rare_earths": ({"USA": 42000, "AUS": 18000, "BRA": 80, "MMR": 12000, "CAN": 0, "CHN": 210000, "GRL": 0,
                     "IND": 2900, "MDG": 960, "MYS": 80, "RUS": 2600, "ZAF": 0, "TZA": 0, "THA": 7100, "VNM": 1200},
                    0.526306),
    # natural graphite (gross): total 1,675,970 t; CHN 0.7220 -> 0.5212; MOZ 0.0990 -> 0.0098;
    # MDG 0.0776 -> 0.0060; BRA 0.0430 -> 0.0018; rest 0.0005 -> HHI 0.5394
    "natural_graphite": ({"USA": 0, "AUT": 500, "BRA": 72000, "CAN": 13000, "CHN": 1210000, "DEU": 170, "IND": 11000,
                          "PRK": 8100, "KOR": 23800, "MDG": 130000, "MEX": 2000, "MOZ": 166000, "NOR": 10380,
                          "RUS": 16000, "LKA": 2600, "TZA": 6120, "TUR": 2800, "UKR": 1000, "VNM": 500}, 0.539391),
}


@pytest.mark.parametrize("material", list(HAND_2022))
def test_hhi_2022_matches_hand_computation(mcs2024, material):
    """HHI (0..1) of world mine production 2022, USGS MCS 2024; tolerance 1e-6 (hand values rounded to 6 dp).

    Source: USGS MCS 2024 Data Release (doi:10.5066/P144BA54), world tables; arithmetic in HAND_2022 comments.
    """
    tonnes, expected = HAND_2022[material]
    # 1) plain-Python hand computation from the tonnages written above
    total = sum(tonnes.values())
    hand = sum((q / total) ** 2 for c, q in tonnes.items() if c != OTHERS)
    assert hand == pytest.approx(expected, abs=1e-6)
    # 2) the same from the loader's production frame, through the indicator building blocks
    sel = mcs2024[(mcs2024["material_id"] == material) & (mcs2024["year"] == 2022)
                  & (mcs2024["stage"] == "extraction")].dropna(subset=["quantity"])
    got = dict(zip(sel["country"], sel["quantity"], strict=True))
    assert got == pytest.approx(tonnes)
    sh = shares(sel["quantity"].to_numpy())
    named = (sel["country"] != OTHERS).to_numpy()
    assert float(hhi(sh[named])) == pytest.approx(expected, abs=1e-6)


def test_world_total_consistency(mcs2024):
    """Sum of country rows is within rounding of the published world total (cobalt 2022: 197,000 rounded)."""
    sel = mcs2024[(mcs2024["material_id"] == "cobalt") & (mcs2024["year"] == 2022)]
    assert sel["quantity"].sum() == pytest.approx(197_000, rel=0.005)


def test_load_tables(mcs2024, mcs2026):
    tables = usgs.load_tables()
    assert set(tables) == {"production"}
    assert len(tables["production"]) == len(mcs2024) + len(mcs2026)


@pytest.mark.parametrize("material", list(HAND_2022))
def test_hhi_2022_from_the_store_matches_hand_computation(store, material):
    """Same check on the built vintage store (table ``production``), issue 3 check "HHI … from the store".

    Source and arithmetic as in HAND_2022; tolerance 1e-6.
    """
    rows = store.execute(
        "select country, quantity from production where source = 'usgs' and vintage = 'usgs-mcs-2024' "
        "and year = 2022 and stage = 'extraction' and material_id = ? and quantity is not null", [material]
    ).df()
    tonnes, expected = HAND_2022[material]
    assert dict(zip(rows["country"], rows["quantity"], strict=True)) == pytest.approx(tonnes)
    sh = shares(rows["quantity"].to_numpy())
    assert float(hhi(sh[(rows["country"] != OTHERS).to_numpy()])) == pytest.approx(expected, abs=1e-6)
