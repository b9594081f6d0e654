"""Country registry: codes, groups, name resolution with clear errors."""

import pandas as pd
import pytest

from crmsec.errors import UnknownNameError
from crmsec.registry import countries, group_members, iso3_from_baci, resolve_countries


def test_registry_shape_and_groups():
    reg = countries()
    assert reg["iso3"].is_unique and len(reg) > 240
    assert len(group_members("eu27")) == 27
    assert len(group_members("g7")) == 7
    assert len(group_members("nato")) == 32
    assert "NLD" in group_members("eu27") and "NLD" in group_members("nato")
    assert reg.loc["JPN", "eu_fta"] and str(reg.loc["JPN", "eu_fta_in_force"].date()) == "2019-02-01"
    assert reg.loc["AUS", "like_minded"] and reg.loc["DEU", "like_minded"] and not reg.loc["CHN", "like_minded"]
    assert reg.loc["NLD", "name_nl"] == "Nederland"


def test_baci_490_is_taiwan_explicitly():
    assert iso3_from_baci(pd.Series([490, 251, 842, 58, 528])).tolist() == ["TWN", "FRA", "USA", "BEL", "NLD"]
    with pytest.raises(UnknownNameError, match="unknown BACI country code"):
        iso3_from_baci(pd.Series([999]))


def test_resolve_names_from_sources():
    names = pd.Series(["China", "Congo (Kinshasa)", "Other countries", "Burma", "Korea, Republic of", "Viet Nam"])
    out = resolve_countries(names, "usgs").tolist()
    assert out[:2] == ["CHN", "COD"] and pd.isna(out[2]) and out[3:] == ["MMR", "KOR", "VNM"]


def test_unknown_name_names_file_row_and_value():
    with pytest.raises(UnknownNameError, match=r"file x\.csv, row 3, field 'country', value 'Atlantis'"):
        resolve_countries(pd.Series(["China", "Atlantis"]), "usgs", file="x.csv")
