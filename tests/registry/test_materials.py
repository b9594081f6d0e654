"""Material registry: schema, list flags, HS6 coverage, content factors, alias coverage of every source name."""

from __future__ import annotations

import importlib
import re
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crmsec.errors import DataError, UnknownNameError
from crmsec.registry import (
    aliases,
    content_factors,
    descendants,
    hs6_map,
    ignored,
    materials,
    resolve_hs6,
    resolve_materials,
)

reg = importlib.import_module("crmsec.registry.materials")  # the package exports a function of that name
RAW = Path(__file__).resolve().parents[2] / "data" / "raw"


# ---------------------------------------------------------------- schema and content
def test_registry_loads_and_is_consistent():
    m = materials()
    assert m["material_id"].is_unique
    assert list(m.columns) == list(reg.MATERIAL_COLUMNS)
    assert len(m) >= 100
    # parent chain: neodymium -> lree -> rare_earths, platinum -> pgm
    parent = m.set_index("material_id")["parent_id"]
    assert parent["neodymium"] == "lree" and parent["lree"] == "rare_earths" and parent["rare_earths"] == ""
    assert parent["platinum"] == "pgm"
    assert set(descendants("lree")) == {"lanthanum", "cerium", "praseodymium", "neodymium", "samarium"}
    assert len([d for d in descendants("hree")]) == 10
    assert {"lree", "hree", "neodymium", "dysprosium"} <= set(descendants("rare_earths"))
    # groups are consistent with parents
    grp = m.set_index("material_id")["group"]
    assert (parent[grp == "LREE"] == "lree").all() and (parent[grp == "HREE"] == "hree").all()
    assert (parent[grp == "PGM"] == "pgm").all()


def test_dutch_names_spot_checks():
    nl = materials().set_index("material_id")["name_nl"]
    assert nl["cobalt"] == "Kobalt"
    assert nl["tungsten"] == "Wolfraam"
    assert nl["copper"] == "Koper"
    assert nl["rare_earths"] == "Zeldzame aardmetalen"
    assert nl["natural_graphite"] == "Natuurlijk grafiet"
    assert nl["pgm"] == "Platinagroepmetalen"


def test_eu_2023_flags_are_annex_ii_and_count_34_entries():
    """EU 2023 list = the 34 CRMs of CRMA Annex II (synthetic graphite excepted: not assessed in 2023)."""
    annex = pd.read_csv(RAW / "crma_lists" / "crma_annex_lists.csv", dtype=str)
    assert (annex["annex"] == "II").sum() == 34 and (annex["annex"] == "I").sum() == 17
    m = materials().set_index("material_id")
    diff = m.index[(m["eu_crm_2023"] != m["crma_critical"])]
    assert set(diff) == {"synthetic_graphite", "graphite"}
    # every Annex II entry covers at least one material flagged eu_crm_2023
    al = aliases("crma")
    for entry in annex.loc[annex["annex"] == "II", "entry"]:
        ids = al.loc[al["alias"] == entry, "material_id"]
        assert (m.loc[ids, "eu_crm_2023"] == 1).any(), entry


def test_crma_flags_equal_the_annex_file():
    from crmsec.sources.crma import crma_flags

    derived = crma_flags()
    m = materials().set_index("material_id")[["crma_strategic", "crma_critical"]]
    pd.testing.assert_frame_equal(m.astype("int8"), derived.loc[m.index], check_names=False)
    assert m.loc["cobalt"].tolist() == [1, 1]
    assert m.loc["neodymium", "crma_strategic"] == 1 and m.loc["lanthanum", "crma_strategic"] == 0
    assert m.loc["lanthanum", "crma_critical"] == 1
    assert m.loc["zinc"].tolist() == [0, 0]


@pytest.mark.parametrize("year", [2020, 2023])
def test_eu_lists_match_the_assessment_thresholds(year):
    """Materials with SR >= 1 and EI >= 2.8 in Annex 4 of the 2023 study are flagged for that year.

    Source: dimension_CRMsOverTime.csv (EU 2023 study, Annex 4). For 2020 the flagged assessed entries equal
    the threshold set exactly; for 2023 Annex II adds copper and nickel (strategic, below threshold).
    """
    from crmsec.sources.eu_crm import read_crms_over_time

    tab, _ = read_crms_over_time()
    tab = tab[(tab["year"] == year) & tab["sr"].notna()]  # "-" = not assessed that year (bauxite 2023: with aluminium)
    above = set(tab.loc[(tab["sr"] >= 1.0) & (tab["ei"] >= 2.8), "material_id"])
    m = materials().set_index("material_id")[f"eu_crm_{year}"]
    flagged_assessed = {x for x in tab["material_id"] if m[x] == 1}
    if year == 2020:
        assert flagged_assessed == above
    else:
        assert above <= flagged_assessed
        assert flagged_assessed - above == {"copper", "nickel"}


def test_2017_list_differs_from_thresholds_only_by_coking_coal():
    """Coking coal (SR 1.0, EI 2.3) was kept on the 2017 list (methods.md §1.12, rounding note)."""
    from crmsec.sources.eu_crm import read_crms_over_time

    tab, _ = read_crms_over_time()
    tab = tab[tab["year"] == 2017]
    above = set(tab.loc[(tab["sr"] >= 1.0) & (tab["ei"] >= 2.8), "material_id"])
    m = materials().set_index("material_id")["eu_crm_2017"]
    flagged = {x for x in tab["material_id"] if m[x] == 1}
    assert flagged - above == {"coking_coal"} and above <= flagged


# ---------------------------------------------------------------- HS6
def test_every_baci_hs6_code_maps_or_is_ignored():
    codes = pd.read_csv(RAW / "baci_geopolrisk" / "hs6_codes_included.csv", dtype=str)["k"]
    assert len(codes) == 74
    mapped = resolve_hs6(codes, file="hs6_codes_included.csv")
    ig = set(ignored("hs6")["name"])
    assert set(codes[mapped.isna()]) == ig
    assert mapped.notna().sum() == 66
    assert hs6_map().index.is_unique
    assert mapped[codes == "282200"].iloc[0] == "cobalt"
    assert set(mapped[codes.isin(["282520", "283691"])]) == {"lithium"}
    with pytest.raises(UnknownNameError) as err:
        resolve_hs6(pd.Series(["282200", "999999"]), file="x.csv")
    assert err.value.row == 3 and err.value.value == "999999"


def test_wmd_hs_map_codes_agree_with_registry():
    """Main HS code of each WMD sheet is assigned to the same material in the registry (where both exist)."""
    from crmsec.sources.wmd import read_hs_map

    hs, _ = read_hs_map()
    table = hs6_map()
    hs = hs[hs["hs6"].isin(table.index)]
    assert len(hs) >= 40
    mismatch = hs[table.loc[hs["hs6"]].to_numpy() != hs["material_id"].to_numpy()]
    assert mismatch.empty, mismatch[["sheet_name", "material_id", "hs6"]]


# ---------------------------------------------------------------- content factors
ATOMIC_WEIGHT = {"Li": 6.94, "O": 15.999, "C": 12.011, "H": 1.008, "Al": 26.982, "Ti": 47.867, "Nb": 92.906,
                 "Ta": 180.95, "Cr": 51.996, "P": 30.974, "K": 39.098, "Mg": 24.305, "As": 74.922, "U": 238.03,
                 "Nd": 144.24}  # IUPAC CIAAW 2021 abridged standard atomic weights


def _mass(formula: str) -> float:
    formula = formula.replace(".H2O", "H2O")
    return sum(ATOMIC_WEIGHT[el] * (int(n) if n else 1) for el, n in re.findall(r"([A-Z][a-z]?)(\d*)", formula))


def test_content_factors_reproduce_stoichiometry():
    """Factor = n·A(element) / M(compound) from IUPAC atomic weights, to 1e-5 (rounding of the CSV)."""
    cf = content_factors()
    assert cf["source"].str.len().gt(0).all()
    element = {"lithium": "Li", "alumina": "Al", "titanium": "Ti", "niobium": "Nb", "tantalum": "Ta",
               "chromium": "Cr", "phosphate_rock": "P", "potash": "K", "magnesite": "Mg", "arsenic": "As",
               "uranium": "U", "neodymium": "Nd"}
    checked = 0
    for r in cf.itertuples():
        if r.material_id not in element:
            continue
        formula = r.from_basis.split(":")[1]
        el = element[r.material_id]
        n = dict((e, int(k) if k else 1) for e, k in re.findall(r"([A-Z][a-z]?)(\d*)", formula.replace(".H2O", "")))[el]
        assert r.factor == pytest.approx(n * ATOMIC_WEIGHT[el] / _mass(formula), abs=1e-5), r
        checked += 1
    assert checked >= 13
    from crmsec.indicators.units import basis_factor

    assert basis_factor("lithium", "compound:Li2CO3", "contained") == pytest.approx(0.1879, abs=1e-4)
    assert basis_factor("lithium", "oxide:Li2O", "contained") == pytest.approx(0.4645, abs=1e-4)
    assert basis_factor("cobalt", "contained", "contained") == 1.0
    with pytest.raises(DataError, match="no content factor"):
        basis_factor("cobalt", "oxide:Co3O4", "contained")


# ---------------------------------------------------------------- resolve_materials
def test_resolve_materials_maps_ignores_and_raises():
    names = pd.Series(["Cobalt", "Rare Earths (REO)", "Steam Coal"])
    out = resolve_materials(names, "wmd", file="wmd.db")
    assert out["material_id"].iloc[0] == "cobalt" and out["basis"].iloc[1] == "oxide:REO"
    assert out["ignored"].tolist() == [False, False, True] and pd.isna(out["material_id"].iloc[2])
    with pytest.raises(UnknownNameError) as err:
        resolve_materials(pd.Series(["Cobalt", "Unobtainium"]), "wmd", file="some/file.csv", rows=[7, 8])
    e = err.value
    assert (e.file, e.row, e.value) == ("some/file.csv", 8, "Unobtainium")
    assert "material_aliases.csv" in str(e) and "ignored_names.csv" in str(e)


def test_crma_group_alias_is_ambiguous_for_one_to_one_resolution():
    with pytest.raises(DataError, match="several materials"):
        resolve_materials(pd.Series(["cobalt"]), "crma", file="x")


# ---------------------------------------------------------------- every source name is known
def _usgs2024_names() -> pd.Series:
    keys = []
    for f in sorted((RAW / "usgs_mcs" / "mcs2024_world").glob("*_world.csv")):
        code = re.match(r"mcs2024-(\w+)_world", f.name, re.I).group(1).lower()
        d = pd.read_csv(f, encoding="utf-8-sig", dtype=str, keep_default_na=False)
        d = d[d["Country"].str.strip() != ""]
        d = d[~d["Country"].str.match(r"(?i)^world")]
        types = d["Type"] if "Type" in d.columns else pd.Series(d.columns[2], index=d.index)
        keys += [f"{code}: {t.strip()}" for t in types.unique()]
    return pd.Series(sorted(set(keys)))


def test_every_usgs_mcs2024_world_table_name_is_known():
    names = _usgs2024_names()
    assert len(names) >= 100
    out = resolve_materials(names, "usgs_mcs2024", file="mcs2024_world")
    assert out["ignored"].sum() >= 20 and (~out["ignored"]).sum() >= 70
    hit = dict(zip(names, out["material_id"], strict=True))
    assert hit["raree: Rare earths, mine production, rare-earth-oxide equivalent, metric tons"] == "rare_earths"
    assert hit["graph: Mine production, graphite"] == "natural_graphite"


def test_every_usgs_mcs2026_production_name_is_known():
    d = pd.read_csv(RAW / "usgs_mcs" / "mcs2026_commodities" / "MCS2026_Commodities_Data.csv",
                    encoding="cp1252", dtype=str, keep_default_na=False)
    d = d[d["Section"].str.startswith("World") & (d["Statistics"] == "Production")]
    names = pd.Series(sorted(set(d["Commodity"].str.strip() + ": " + d["Statistics_detail"].str.strip())))
    out = resolve_materials(names, "usgs_mcs2026", file="MCS2026")
    assert (~out["ignored"]).sum() >= 80


def test_every_wmd_table_is_known():
    con = sqlite3.connect(f"file:{RAW / 'geopolrisk' / 'world_mining_data.db'}?mode=ro", uri=True)
    tables = [r[0] for r in con.execute("select name from sqlite_master where type='table'")]
    sheets = pd.read_sql_query('select Sheet_name from "HS Code Map"', con)["Sheet_name"]
    con.close()
    data_tables = pd.Series([t for t in tables if t not in {"HS Code Map", "Country_ISO", "logging"}])
    assert len(data_tables) == 65
    for names in (data_tables, sheets):
        out = resolve_materials(names, "wmd", file="world_mining_data.db")
        assert set(names[out["ignored"]]) == set(ignored("wmd")["name"])


@pytest.mark.parametrize(
    ("file", "col", "encoding"),
    [("dimension_CRMsOverTime.csv", "Material", "utf-8"), ("fact_GlobalSupplyShares&t.csv", "Material", "cp1252"),
     ("fact_EUSupplyShares&t.csv", "Material", "cp1252"), ("fact_MaterialUseShares.csv", "Material", "cp1252")],
)
def test_every_eu_2023_assessment_material_is_known(file, col, encoding):
    d = pd.read_csv(RAW / "eu_crm_2023_assessment" / file, dtype=str, encoding=encoding, keep_default_na=False)
    out = resolve_materials(d[col], "eu2023", file=file)
    assert out["material_id"].notna().all()
    assert out["material_id"].nunique() >= 55


@pytest.mark.parametrize("file", ["eureport_results.csv", "eureport_tradeparameters.csv"])
def test_every_eu_2023_results_material_is_known(file):
    d = pd.read_csv(RAW / "eu_crm_2023_results" / file, dtype=str, keep_default_na=False)
    out = resolve_materials(d["material_name"], "eu2023_results", file=file)
    assert out["material_id"].notna().all()


# ---------------------------------------------------------------- corrupted registry copies
@pytest.fixture
def registry_copy(tmp_path, monkeypatch):
    """Copy the four registry CSVs to tmp and point the loader at them (cache cleared before and after)."""
    for name in ("materials.csv", "material_aliases.csv", "ignored_names.csv", "content_factors.csv"):
        shutil.copy(reg.REGISTRY_DIR / name, tmp_path / name)
    monkeypatch.setattr(reg, "MATERIALS_CSV", tmp_path / "materials.csv")
    monkeypatch.setattr(reg, "ALIASES_CSV", tmp_path / "material_aliases.csv")
    monkeypatch.setattr(reg, "IGNORED_CSV", tmp_path / "ignored_names.csv")
    monkeypatch.setattr(reg, "CONTENT_FACTORS_CSV", tmp_path / "content_factors.csv")
    reg._registry.cache_clear()
    yield tmp_path
    reg._registry.cache_clear()


def _edit(path: Path, row: int, col: str, value: str) -> None:
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df.loc[row - 2, col] = value
    df.to_csv(path, index=False)


@pytest.mark.parametrize(
    ("file", "row", "col", "value", "message"),
    [("materials.csv", 5, "eu_crm_2023", "yes", "0 or 1"),
     ("materials.csv", 10, "parent_id", "no_such_parent", "parent_id"),
     ("materials.csv", 12, "material_id", "Cobalt Metal", "snake_case"),
     ("materials.csv", 7, "stages", "mining", "unknown stage"),
     ("materials.csv", 4, "hs6", "26060", "six-digit"),
     ("material_aliases.csv", 3, "material_id", "unobtainium", "unknown material_id"),
     ("content_factors.csv", 2, "factor", "abc", "(0, 1]")],
)
def test_corrupted_registry_gives_one_clear_error(registry_copy, file, row, col, value, message):
    _edit(registry_copy / file, row, col, value)
    with pytest.raises(DataError) as err:
        materials()
    e = err.value
    assert e.file == str(registry_copy / file) and e.row == row and e.field == col and e.value == value
    assert message in str(e)


def test_missing_registry_file(registry_copy):
    (registry_copy / "materials.csv").unlink()
    with pytest.raises(DataError, match="registry file is missing"):
        materials()


def test_duplicate_hs6_is_rejected(registry_copy):
    df = pd.read_csv(registry_copy / "materials.csv", dtype=str, keep_default_na=False)
    i = int(np.flatnonzero(df["material_id"] == "zinc")[0])
    df.loc[i, "hs6"] = "260800;282200"  # 282200 belongs to cobalt
    df.to_csv(registry_copy / "materials.csv", index=False)
    with pytest.raises(DataError, match="two materials") as err:
        materials()
    assert err.value.value == "282200"


def test_production_stages_are_registry_stages():
    """Every production row of USGS, WMD and IEA has a stage listed for its material in the registry."""
    from crmsec.sources import iea, usgs, wmd

    stages = materials().set_index("material_id")["stages"].str.split(";")
    prod = pd.concat([usgs.load_tables()["production"], wmd.load_tables()["production"],
                      iea.load_tables()["iea_supply"]], ignore_index=True)
    pairs = prod[["material_id", "stage"]].drop_duplicates()
    bad = [(m, s) for m, s in zip(pairs["material_id"], pairs["stage"], strict=True) if s not in stages[m]]
    assert bad == []
