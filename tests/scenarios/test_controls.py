"""Export-control ledger: status as of a date, base-rate probabilities, scenarios from measures, library links."""

from __future__ import annotations

import io
import math
from datetime import date

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from crmsec.cli import app
from crmsec.errors import DataError, InputError
from crmsec.scenarios.controls import (
    base_rate,
    ledger_status,
    scenario_from_measure,
    status_of,
    vendored_ledger,
)
from crmsec.scenarios.spec import builtin_scenarios, parse_scenario

runner = CliRunner()


def test_ledger_has_the_required_measures_each_sourced():
    led = vendored_ledger()
    assert len(led) >= 16
    ids = set(led["measure_id"])
    assert {"CN-2023-23-GaGe", "CN-2025-18-REE", "CN-2024-33-Sb", "CN-2025-10-WTeBiMoIn", "CD-2025-ARECOMS-004",
            "ID-2020-Ni-ore", "CN-2025-70-suspension"} <= ids
    assert (led["source_url"].str.len() > 10).all()
    assert (led["legal_reference"].str.len() > 5).all()


def test_status_as_of_dates():
    led = vendored_ledger().set_index("measure_id")
    pkg = led.loc["CN-2025-57-HREE"].to_dict()
    assert status_of(pkg, date(2025, 10, 20)) == "announced; in force from 2025-11-08"
    assert status_of(pkg, date(2026, 6, 1)) == "suspended until 2026-11-10"
    lapsed = status_of(pkg, date(2026, 12, 1))
    assert lapsed.startswith("suspension lapsed 2026-11-10") and "not verified" in lapsed
    drc = led.loc["CD-2025-ARECOMS-001"].to_dict()
    assert status_of(drc, date(2025, 3, 1)) == "in force"
    assert status_of(drc, date(2025, 11, 1)) == "ended 2025-10-15"
    assert status_of(led.loc["CN-2025-18-REE"].to_dict(), date(2025, 1, 1)) == "not yet announced"


def test_base_rate_closed_form():
    led = pd.DataFrame([
        {"measure_id": "a", "issuer_iso3": "XXX", "materials": "m1", "announced": "2020-01-01",
         "measure_class": "licensing"},
        {"measure_id": "b", "issuer_iso3": "XXX", "materials": "m1;m2", "announced": "2020-01-01",
         "measure_class": "licensing"},  # same day: one package
        {"measure_id": "c", "issuer_iso3": "XXX", "materials": "m1", "announced": "2022-05-01",
         "measure_class": "suspension"},  # suspensions do not count
        {"measure_id": "d", "issuer_iso3": "YYY", "materials": "m1", "announced": "2021-01-01",
         "measure_class": "ban"},
    ])
    br = base_rate(led, "XXX", ["m1"], date(2023, 1, 1))
    years = (date(2023, 1, 1) - date(2019, 1, 1)).days / 365.25
    assert br["events"] == 1
    assert br["rate"] == pytest.approx(1.5 / years)
    assert br["probability"] == pytest.approx(1 - math.exp(-1.5 / years))
    assert "λ" in br["basis"] and "a, b" in br["basis"]


def test_library_probabilities_come_from_the_ledger():
    for sc in builtin_scenarios():
        assert sc.probability is not None and 0 < sc.probability < 1
        assert sc.probability_basis, sc.id
        if sc.measure.value != "chokepoint_closure":
            assert sc.ledger and sc.probability_basis.startswith("base rate"), sc.id


def test_indonesia_no_longer_bans_ore_that_is_not_exported():
    """Since 2020 no Indonesian nickel ore is exported: no built-in scenario may remove it (issue 13)."""
    for sc in builtin_scenarios():
        if "IDN" in sc.actors and "nickel" in sc.materials:
            assert "extraction" not in sc.stages and sc.measure.value != "ban", sc.id
            assert "ID-2020-Ni-ore" not in sc.ledger


def test_new_library_entries_present():
    ids = {s.id for s in builtin_scenarios()}
    assert {"china_antimony_2024", "china_w_te_bi_mo_in_2025", "china_oct2025_package", "drc_cobalt_quota_2026",
            "indonesia_nickel_intermediates"} <= ids
    hormuz = next(s for s in builtin_scenarios() if s.id == "hormuz_closure")
    assert "alumina" in hormuz.description and {"aluminium", "helium"} <= set(hormuz.materials)


def test_scenario_from_measure_validates_and_runs_through_the_schema():
    data = scenario_from_measure(vendored_ledger(), "CN-2025-10-WTeBiMoIn")
    sc = parse_scenario(yaml.safe_load(yaml.safe_dump(data)))
    assert sc.ledger == ["CN-2025-10-WTeBiMoIn"] and sc.actors == ["CHN"] and "tungsten" in sc.materials
    assert any("[D]" in a for a in sc.assumptions)
    with pytest.raises(InputError, match="no direct volume effect"):
        scenario_from_measure(vendored_ledger(), "CN-2025-62-REtech")
    with pytest.raises(InputError, match="unknown measure"):
        scenario_from_measure(vendored_ledger(), "nope")


def test_bad_ledger_row_names_file_row_field(tmp_path):
    from crmsec.sources.export_controls import read_export_controls

    led = vendored_ledger().copy()
    led.loc[3, "effective"] = "15/09/2024"
    path = tmp_path / "ledger.csv"
    led.to_csv(path, index=False)
    with pytest.raises(DataError, match="effective") as err:
        read_export_controls(path)
    assert "5" in str(err.value)


def test_controls_cli_list_show_scenario(store_path, tmp_path):
    r = runner.invoke(app, ["controls", "list", "--store", str(store_path), "--format", "csv",
                            "--as-of", "2026-06-17"])
    assert r.exit_code == 0, r.output
    f = pd.read_csv(io.StringIO(r.stdout))
    assert len(f) >= 16 and f["source_url"].notna().all() and (f["status_as_of"] == "2026-06-17").all()
    pkg = f[f["measure_id"].isin(["CN-2025-57-HREE", "CN-2025-58-LiB-graphite", "CN-2025-61-REextraterritorial"])]
    assert (pkg["status"] == "suspended until 2026-11-10").all()
    r = runner.invoke(app, ["controls", "show", "CN-2025-18-REE", "--store", str(store_path), "--format", "json"])
    assert r.exit_code == 0 and "base rate" in r.stdout
    out = tmp_path / "sb.yaml"
    r = runner.invoke(app, ["controls", "scenario", "CN-2024-33-Sb", "--store", str(store_path), "--output", str(out)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["scenario", "run", str(out), "--store", str(store_path), "--format", "csv"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["controls", "list", "--as-of", "13/11/2026"])
    assert r.exit_code == 1


def test_ledger_status_default_date_is_today(monkeypatch):
    """Expert review (Dec 2026): the default status date was the ledger's knowledge date 2026-06-17, so the Oct 2025
    package read "suspended until 2026-11-10" weeks after that date. The default is today, with "not verified"."""
    import crmsec.scenarios.controls as controls

    monkeypatch.setattr(controls, "today", lambda: date(2026, 12, 5))
    st = ledger_status(vendored_ledger()).set_index("measure_id")
    assert (st["status_as_of"] == "2026-12-05").all() and (st["verified_to"] == "2026-06-17").all()
    for mid in ("CN-2025-57-HREE", "CN-2025-61-REextraterritorial"):
        assert st.loc[mid, "status"].startswith("suspension lapsed 2026-11-10: in force unless extended")
        assert "not verified" in st.loc[mid, "status"]
    assert st.loc["CN-2024-46-US", "status"].startswith("suspension lapsed 2026-11-27")


def test_ledger_suspensions_match_mofcom_70_and_72_of_2025():
    """The Oct 2025 package was suspended by MOFCOM/GACC Announcement No. 70 of 2025 (7 Nov 2025), not by an April
    2026 statement; Art. 2 of No. 46/2024 (US) was suspended 9 Nov 2025 - 27 Nov 2026 by No. 72/2025."""
    led = vendored_ledger().set_index("measure_id")
    sus = led.loc["CN-2025-70-suspension"]
    assert sus["announced"] == "2025-11-07" and "No. 70 of 2025" in sus["legal_reference"]
    pkg = led[led["suspended_until"] == "2026-11-10"]
    assert len(pkg) == 6 and (pkg["suspended_from"] == "2025-11-07").all()
    us = led.loc["CN-2024-46-US"]
    assert (us["suspended_from"], us["suspended_until"]) == ("2025-11-09", "2026-11-27")
    assert status_of(us.to_dict(), date(2026, 6, 1)) == "suspended until 2026-11-27"
