"""Corrupted copies of real files give one clear error naming file, row, field and value."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from crmsec.errors import DataError, UnknownNameError
from crmsec.sources import crma, eu_crm, iea, usgs, wmd

RAW = Path(__file__).resolve().parents[2] / "data" / "raw"


def _usgs_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "mcs2024_world"
    shutil.copytree(RAW / "usgs_mcs" / "mcs2024_world", folder)
    return folder


def test_usgs_unknown_material(tmp_path):
    folder = _usgs_copy(tmp_path)
    f = folder / "mcs2024-cobal_world.csv"
    text = f.read_text(encoding="utf-8-sig").replace(
        "Congo (Kinshasa),\"Mine production, metric tons of contained cobalt\"",
        "Congo (Kinshasa),\"Mine production, metric tons of contained unobtainium\"")
    f.write_text(text, encoding="utf-8-sig")
    with pytest.raises(UnknownNameError) as err:
        usgs.read_mcs2024_world(folder)
    e = err.value
    assert e.file == str(f) and e.row == 5 and e.field == "Type"
    assert e.value == "cobal: Mine production, metric tons of contained unobtainium"
    assert "material_aliases.csv" in str(e)


def test_usgs_wrong_value_type(tmp_path):
    folder = _usgs_copy(tmp_path)
    f = folder / "mcs2024-lithi_world.csv"
    text = f.read_text(encoding="utf-8-sig").replace("Argentina,\"Mine production, lithium content\",6590",
                                                     "Argentina,\"Mine production, lithium content\",65 tonnes")
    f.write_text(text, encoding="utf-8-sig")
    with pytest.raises(DataError) as err:
        usgs.read_mcs2024_world(folder)
    e = err.value
    assert (e.file, e.row, e.field, e.value) == (str(f), 3, "Prod_t_2022", "65 tonnes")


def test_usgs_2026_wrong_value_and_missing_file(tmp_path):
    src = RAW / "usgs_mcs" / "mcs2026_commodities" / "MCS2026_Commodities_Data.csv"
    raw = pd.read_csv(src, encoding="cp1252", dtype=str, keep_default_na=False)
    i = raw.index[(raw["Commodity"] == "Cobalt") & (raw["Country"] == "Canada") & (raw["Statistics"] == "Production")][0]
    raw.loc[i, "Value"] = "about 3000"
    bad = tmp_path / "mcs2026.csv"
    raw.to_csv(bad, index=False, encoding="cp1252")
    with pytest.raises(DataError) as err:
        usgs.read_mcs2026(bad)
    assert (err.value.row, err.value.field, err.value.value) == (i + 2, "Value", "about 3000")
    with pytest.raises(DataError, match="not found") as err:
        usgs.read_mcs2026(tmp_path / "nope.csv")
    assert err.value.file == str(tmp_path / "nope.csv")


def _wmd_copy(tmp_path: Path) -> Path:
    db = tmp_path / "wmd.db"
    shutil.copy(RAW / "geopolrisk" / "world_mining_data.db", db)
    return db


def test_wmd_unknown_table_and_wrong_type(tmp_path):
    db = _wmd_copy(tmp_path)
    con = sqlite3.connect(db)
    con.execute('alter table "Cobalt" rename to "Unobtainium"')
    con.commit()
    con.close()
    with pytest.raises(UnknownNameError) as err:
        wmd.read_wmd(db)
    assert err.value.value == "Unobtainium" and err.value.field == "table" and err.value.file == str(db)

    (tmp_path / "b").mkdir()
    db = _wmd_copy(tmp_path / "b")
    con = sqlite3.connect(db)
    rowid = con.execute('select rowid from Nickel where Country_ISO = "IDN"').fetchone()[0]
    pos = [r[0] for r in con.execute("select rowid from Nickel order by rowid")].index(rowid)
    con.execute("update Nickel set \"2022\" = 'n/a!' where Country_ISO = 'IDN'")
    con.commit()
    con.close()
    with pytest.raises(DataError) as err:
        wmd.read_wmd(db)
    e = err.value
    assert e.file == f"{db}::Nickel" and e.row == pos + 2 and e.field == "2022" and e.value == "n/a!"


def test_wmd_missing_and_not_a_database(tmp_path):
    with pytest.raises(DataError, match="not found"):
        wmd.read_wmd(tmp_path / "none.db")
    junk = tmp_path / "junk.db"
    junk.write_text("this is not sqlite")
    with pytest.raises(DataError, match="SQLite"):
        wmd.read_wmd(junk)


def test_eu_unknown_material_and_wrong_type(tmp_path):
    src = RAW / "eu_crm_2023_assessment" / "dimension_CRMsOverTime.csv"
    raw = pd.read_csv(src, dtype=str, keep_default_na=False)
    bad = raw.copy()
    bad.loc[3, "Material"] = "Kryptonite"
    p = tmp_path / "a.csv"
    bad.to_csv(p, index=False)
    with pytest.raises(UnknownNameError) as err:
        eu_crm.read_crms_over_time(p)
    assert (err.value.file, err.value.row, err.value.field, err.value.value) == (str(p), 5, "Material", "Kryptonite")
    bad = raw.copy()
    bad.loc[10, "SR"] = "high"
    p = tmp_path / "b.csv"
    bad.to_csv(p, index=False)
    with pytest.raises(DataError) as err:
        eu_crm.read_crms_over_time(p)
    assert (err.value.row, err.value.field, err.value.value) == (12, "SR", "high")
    with pytest.raises(DataError, match="not found"):
        eu_crm.read_crms_over_time(tmp_path / "missing.csv")


def test_eu_share_not_a_percentage(tmp_path):
    src = RAW / "eu_crm_2023_assessment" / "fact_GlobalSupplyShares&t.csv"
    raw = pd.read_csv(src, dtype=str, keep_default_na=False, encoding="cp1252")
    raw.loc[0, "Share"] = "a lot"
    p = tmp_path / "g.csv"
    raw.to_csv(p, index=False, encoding="cp1252")
    with pytest.raises(DataError) as err:
        eu_crm.read_supply_shares(p)
    assert (err.value.file, err.value.row, err.value.field, err.value.value) == (str(p), 2, "Share", "a lot")


def test_eu_missing_column(tmp_path):
    src = RAW / "eu_crm_2017_study" / "eu_crm_2017_table3_table18.csv"
    raw = pd.read_csv(src, dtype=str, keep_default_na=False).drop(columns=["SI_SR"])
    p = tmp_path / "t.csv"
    raw.to_csv(p, index=False)
    with pytest.raises(DataError, match="column missing") as err:
        eu_crm.read_2017_table(p)
    assert err.value.field == "SI_SR" and err.value.row == 1


def test_iea_wrong_value_type(tmp_path):
    import openpyxl

    src = RAW / "iea_critical_minerals" / iea.FILENAME
    p = tmp_path / "iea.xlsx"
    wb = openpyxl.load_workbook(src)
    wb[iea.SHEET]["B7"] = "five thousand"  # Copper - Mining, Chile, 2023
    wb.save(p)
    with pytest.raises(DataError) as err:
        iea.read_iea_supply(p)
    assert (err.value.file, err.value.row, err.value.value) == (str(p), 7, "five thousand")
    with pytest.raises(DataError, match="not found"):
        iea.read_iea_supply(tmp_path / "none.xlsx")


def test_crma_unknown_entry(tmp_path):
    src = RAW / "crma_lists" / "crma_annex_lists.csv"
    raw = pd.read_csv(src, dtype=str, keep_default_na=False)
    raw.loc[4, "entry"] = "kryptonite"
    p = tmp_path / "c.csv"
    raw.to_csv(p, index=False)
    with pytest.raises(UnknownNameError) as err:
        crma.read_crma_lists(p)
    assert (err.value.row, err.value.field, err.value.value) == (6, "entry", "kryptonite")
