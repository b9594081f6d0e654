"""EU CRM 2017 / 2023 loaders: assessment scores, supply shares, end use, trade parameters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmsec.sources import eu_crm
from crmsec.sources._util import parse_percent


@pytest.fixture(scope="module")
def tables():
    return eu_crm.load_tables()


def test_tables_and_counts(tables):
    assert set(tables) == {"eu_assessment", "eu_supply_shares", "end_use", "eu_trade_parameters"}
    a = tables["eu_assessment"]
    assert set(a["source"]) == {"eu-crm-2023-annex4", "eu-crm-2017-table3", "eu-crm-2023-results"}
    assert not a.duplicated(["material_id", "year", "source"]).any()
    assert len(tables["eu_supply_shares"]) == 2561 + 907  # data rows of the two Appendix 7 files
    assert len(tables["end_use"]) == 338  # 339 rows minus the duplicated magnesium "Construction 13 %" row


def test_annex4_values(tables):
    """Annex 4 of the EU 2023 study: cobalt 2023 SR 2.8 / EI 6.8; HREE 2023 SR 5.1 / EI 4.2; '-' -> NaN."""
    a = tables["eu_assessment"].query("source == 'eu-crm-2023-annex4'").set_index(["material_id", "year"])
    assert tuple(a.loc[("cobalt", 2023), ["sr", "ei"]]) == (2.8, 6.8)
    assert tuple(a.loc[("hree", 2023), ["sr", "ei"]]) == (5.1, 4.2)
    agg = a.loc[("aggregates", 2011)]
    assert np.isnan(agg["sr"]) and agg["value_flag"] == "not_assessed"
    assert ("natural_teak_wood", 2023) in a.index  # multi-line cell "Natural Teak\nwood"


def test_2017_inputs(tables):
    a = tables["eu_assessment"].query("source == 'eu-crm-2017-table3'").set_index("material_id")
    assert len(a) == 78
    r = a.loc["cobalt"]
    assert (r["sr"], r["ei"], r["ir_pct"], r["stage_assessed"], r["supply_case"]) == (1.6, 5.7, 32, "extraction", "GS+EU")


def test_2023_results_defects_are_repaired_and_flagged(tables):
    a = tables["eu_assessment"].query("source == 'eu-crm-2023-results'").set_index("material_id")
    assert a.index.is_unique  # duplicated Tungsten row dropped
    assert np.isnan(a.loc["lree", "sr_extraction"]) and a.loc["lree", "value_flag"] == "defect:supply_risk_primary=281%"
    cc = a.loc["coking_coal"]
    assert cc["sr_extraction"] == 1.0 and cc["value_flag"] == "repaired_shift" and cc["supply_case_processing"] == ""
    assert a.loc["molybdenum", "supply_case_processing"] == "EUonly"
    assert set(a["supply_case_extraction"]) <= {"GS+EU", "GSonly", "EUonly", ""}


def test_supply_shares(tables):
    s = tables["eu_supply_shares"]
    assert set(s["scope"]) == {"global", "eu"} and set(s["stage"]) == {"extraction", "processing"}
    assert s["country"].str.fullmatch(r"[A-Z]{3}").all()
    lt = s[s["share_flag"] == "lt_0.1pct"]
    assert len(lt) == 514 and (lt["share"] == 0.0005).all()
    co = s.query("material_id == 'cobalt' and stage == 'extraction' and scope == 'global'").set_index("country")
    assert co.loc["COD", "share"] == pytest.approx(0.63, abs=0.05)
    tot = s.groupby(["material_id", "stage", "scope"])["share"].sum()
    assert (tot.between(0.85, 1.03)).mean() > 0.9  # EU sourcing lists only partners >= 1 %


def test_parse_percent_cases():
    v, f = parse_percent(pd.Series(["1.5%", "<0.1%", "6", ">0%", "100%"]), file="x", field="Share")
    assert v.iloc[0] == pytest.approx(0.015) and v.iloc[1] == pytest.approx(0.0005) and v.iloc[2] == pytest.approx(0.06)
    assert np.isnan(v.iloc[3]) and v.iloc[4] == 1.0
    assert f.tolist() == ["", "lt_0.1pct", "no_percent_sign", "gt_0pct", ""]


def test_end_use_and_trade_parameters(tables):
    e = tables["end_use"]
    has = e["nace"] != ""
    assert e.loc[has, "va_meur"].notna().all() and e.loc[has, "nace"].str.match(r"^[A-Z]\d{0,2}$").all()
    assert (e.loc[~has, "va_flag"] == "no_sector").all() and e.loc[~has, "va_meur"].isna().all()
    assert e.loc[e["nace"] == "C29", "nace_label"].iloc[0] == "Manufacture of motor vehicles, trailers and semi-trailers"
    sums = e.groupby("material_id")["share"].sum()
    assert sums.between(0.95, 1.06).mean() > 0.9
    t = tables["eu_trade_parameters"]
    assert set(t["stage"]) == {"extraction", "processing"} and t["t"].between(0.5, 2).all()
