"""Vendored-data model run, labelled assumptions, scenario effects, coverage columns and the CLI end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from crmsec.circularity import assumptions, run, secondary_supply
from crmsec.circularity.inputs import battery_observations, build_products
from crmsec.cli import app
from crmsec.errors import InputError

runner = CliRunner()


@pytest.fixture(scope="module")
def baseline():
    return run("baseline", 2050)


@pytest.fixture(scope="module")
def targets():
    return run("targets", 2050)


def test_every_inflow_year_is_labelled(baseline):
    p = baseline.products
    assert p["inflow_basis"].notna().all() and (p["inflow_basis"] != "").all()
    port = p[p["product"] == "portable"].set_index("year")
    # nl_batteries_flows.csv: portable POM 2020 = 10.89 million kg (observed)
    assert port.loc[2020, "put_on_market"] == pytest.approx(10_890.0)
    assert port.loc[2020, "inflow_basis"] == "observed"
    # 2022: no POM figure → collected 4.09 million kg / 41.4 % (three-year mean POM, derived)
    assert port.loc[2022, "put_on_market"] == pytest.approx(4090.0 / 0.414)
    assert port.loc[2022, "inflow_basis"] == "derived_collected_over_rate"
    assert port.loc[2040, "inflow_basis"] == "extrapolated_constant"
    ev = p[p["product"] == "ev_car"].set_index("year")
    assert ev.loc[2023, "put_on_market"] == 113_961 and ev.loc[2010, "inflow_basis"] == "backcast_zero"


def test_derived_ebike_collection_rate():
    """e-bike 2022 legal-basis rate = 305 t / mean(1630, 1900, 2200) t = 15.97 % (derived, labelled)."""
    _, rate = battery_observations("ebike")
    assert rate[2022][0] == pytest.approx(305.0 / np.mean([1630.0, 1900.0, 2200.0]))
    assert rate[2022][1] == "derived_collected_over_pom"
    assert rate[2017] == (pytest.approx(0.267), "observed")


def test_assumption_table_is_labelled():
    a = assumptions()
    assert {"parameter", "product", "scenario", "value", "unit", "source", "note"} <= set(a.columns)
    assert a["source"].notna().all() and a["note"].notna().all()
    assert (a["source"].str.contains("ASSUMPTION")).sum() >= 8
    shares = a[a["parameter"] == "chemistry_share"].groupby("product")["value"].sum()
    np.testing.assert_allclose(shares, 1.0)


def test_mass_balance_and_units(baseline):
    assert baseline.balance_residual < 1e-9
    f = baseline.flows
    assert set(f["unit"]) == {"t", "t/yr"}
    assert set(f.loc[f["material_id"] == "graphite", "basis"]) == {"contained (graphite as material)"}
    w = f[f["product"] != "all"].pivot_table(index=["product", "material_id", "year"], columns="flow",
                                             values="value")
    np.testing.assert_allclose(w["end_of_life"], w["collected"] + w["not_collected"], rtol=1e-12, atol=1e-9)
    assert (w["in_use_stock"] >= -1e-9).all()


def test_targets_raise_secondary_supply(baseline, targets):
    b = secondary_supply(baseline).set_index(["material_id", "year"])
    t = secondary_supply(targets).set_index(["material_id", "year"])
    for m in ("cobalt", "lithium", "nickel"):
        assert t.loc[(m, 2035), "secondary_supply_t"] > b.loc[(m, 2035), "secondary_supply_t"] > 0
    # lithium recovery 50 % → 80 % from 2031 (Annex XII Part C): per collected tonne
    assert (t.loc[("lithium", 2032), "secondary_supply_t"] / t.loc[("lithium", 2032), "collected_t"]
            == pytest.approx(0.80))
    assert (b.loc[("lithium", 2032), "secondary_supply_t"] / b.loc[("lithium", 2032), "collected_t"]
            == pytest.approx(0.50))


def test_missing_data_is_nan_with_reason(baseline):
    s = secondary_supply(baseline)
    nd = s[s["material_id"] == "neodymium"]
    assert nd["secondary_supply_t"].isna().all() and nd["reason"].str.startswith("no_product_flow").all()
    gr = s[s["material_id"] == "graphite"]
    assert gr["secondary_supply_t"].isna().all() and gr["reason"].str.startswith("no_recovery_rate").all()
    co = s[(s["material_id"] == "cobalt") & (s["year"] == 2030)].iloc[0]
    assert np.isnan(co["share_nl_consumption"]) and co["reason"].startswith("no_consumption")


def test_consumption_drop_in(baseline):
    cons = pd.DataFrame({"material_id": ["cobalt", "cobalt"], "region": ["NL", "EU27"], "year": [2030, 2030],
                         "tonnes": [1000.0, 40_000.0]})
    s = secondary_supply(baseline, consumption=cons).set_index(["material_id", "year"])
    sup = s.loc[("cobalt", 2030), "secondary_supply_t"]
    assert s.loc[("cobalt", 2030), "share_nl_consumption"] == pytest.approx(sup / 1000.0)
    assert s.loc[("cobalt", 2030), "crma_contribution"] == pytest.approx(sup / 40_000.0)
    assert s.loc[("cobalt", 2030), "reason"] == ""


def test_crma_values_from_store(baseline, store):
    s = secondary_supply(baseline, store)
    co = s[s["material_id"] == "cobalt"].iloc[0]
    assert co["crma_target"] == pytest.approx(0.25)
    assert 0 <= co["crma_recycling_eu"] <= 1
    assert s["material"].notna().all()


def test_bad_scenario_and_until():
    with pytest.raises(InputError, match="scenario"):
        build_products("optimistic")
    with pytest.raises(InputError, match="until"):
        build_products("baseline", 2010)


def test_cli_run_json_and_errors(store_path, tmp_path):
    res = runner.invoke(app, ["circularity", "run", "--scenario", "targets", "--until", "2035", "--years",
                              "2030", "--format", "json", "--store", str(store_path)])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout[res.stdout.index("["):])
    co = next(r for r in rows if r["material_id"] == "cobalt")
    assert co["year"] == 2030 and co["secondary_supply_t"] > 0
    out = tmp_path / "flows.csv"
    res = runner.invoke(app, ["circularity", "run", "--view", "flows", "--years", "all", "--output", str(out),
                              "--format", "csv"])
    assert res.exit_code == 0 and pd.read_csv(out)["flow"].nunique() == 7
    res = runner.invoke(app, ["circularity", "run", "--years", "20x0"])
    assert res.exit_code == 1 and isinstance(res.exception, InputError) and "--years" in str(res.exception)
    res = runner.invoke(app, ["circularity", "assumptions", "--format", "csv"])
    assert res.exit_code == 0 and "ASSUMPTION" in res.stdout


def test_cli_subprocess_error_is_one_line():
    """Real entry point: a bad --until exits 1 with one message line and no traceback."""
    proc = subprocess.run([str(Path(sys.executable).parent / "crmsec"), "circularity", "run", "--until", "1990"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "--until must be between 2025 and 2100" in proc.stderr and "Traceback" not in proc.stderr


def test_pom_growth_is_labelled_and_applied():
    """EV: 113,961 vehicles in 2023 (last figure) × 1.05^7 in 2030, labelled extrapolated_growth."""
    res = run("baseline", 2035, pom_growth=0.05)
    ev = res.products[res.products["product"] == "ev_car"].set_index("year")
    assert ev.loc[2030, "put_on_market"] == pytest.approx(113_961 * 1.05 ** 7)
    assert ev.loc[2030, "inflow_basis"] == "extrapolated_growth_0.05_per_yr"
    assert ev.loc[2023, "inflow_basis"] == "observed"
    assert res.balance_residual < 1e-9
    with pytest.raises(InputError, match="pom-growth"):
        build_products("baseline", 2035, pom_growth=2.0)


def test_recycled_content_columns(targets):
    s = secondary_supply(targets).set_index(["material_id", "year"])
    assert np.isnan(s.loc[("cobalt", 2030), "recycled_content_minimum"])  # before the 2031 deadline
    assert s.loc[("cobalt", 2031), "recycled_content_minimum"] == pytest.approx(0.16)
    assert s.loc[("lithium", 2036), "recycled_content_minimum"] == pytest.approx(0.12)
    row = s.loc[("nickel", 2035)]
    assert row["share_of_nl_battery_pom"] == pytest.approx(row["secondary_supply_t"] / row["put_on_market_t"])
