"""End-to-end: ``crmsec assess`` and ``crmsec list nl`` on the session store (CliRunner on crmsec.cli.app)."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from crmsec.cli import app

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def runner(store_path, monkeypatch_module):
    monkeypatch_module.setenv("CRMSEC_STORE", str(store_path))
    return CliRunner()


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


def test_assess_eu_2023_csv(runner):
    res = runner.invoke(app, ["assess", "--scope", "eu", "--year", "2023", "--format", "csv"])
    assert res.exit_code == 0, res.output
    frame = pd.read_csv(io.StringIO(res.stdout))
    assert int(frame.loc[frame["published_source"] == "annex4", "critical"].sum()) == 32
    assert "dysprosium" in set(frame["material_id"])  # individual REEs from the 2023 results
    assert {"material_id", "sr", "ei", "critical", "stage_assessed", "near_threshold"} <= set(frame.columns)


def test_assess_bad_year_exit_1(runner):
    res = runner.invoke(app, ["assess", "--scope", "eu", "--year", "2019"])
    assert res.exit_code != 0
    assert "assessed in" in str(res.exception) or "assessed in" in res.output


def test_list_nl_json_and_xlsx(runner, tmp_path):
    res = runner.invoke(app, ["list", "nl", "--year", "2023", "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert len(rows) == 17 and all(r["on_list"] for r in rows)
    assert all(r["va_basis"] == "OECD IOT 2020, NL" for r in rows)
    from crmsec.criticality.nl_inputs import ANNEX_II

    assert {r["material_id"] for r in rows} <= set(ANNEX_II.values())  # only the 34 Annex II entries
    singles = {"neodymium", "dysprosium", "terbium", "praseodymium", "samarium", "holmium", "rhodium",
               "ruthenium", "iridium", "platinum", "palladium"}
    assert not {r["material_id"] for r in rows} & singles
    assert all("imports_meur" in r and "n_partners" in r and r["sr_source"] for r in rows)
    # no member rests on Dutch imports below the floor: an NL-trade row has ≥ 1 M EUR in every covered year
    assert all(r["imports_min_meur"] >= 1.0 for r in rows if r["sr_source"] == "nl_trade")
    out = tmp_path / "nl.xlsx"
    res = runner.invoke(app, ["list", "nl", "--year", "2023", "--n", "10", "--output", str(out), "--format", "csv"])
    assert res.exit_code == 0 and out.exists()
    assert len(pd.read_excel(out)) == 10


def test_list_nl_validate_and_watch(runner):
    res = runner.invoke(app, ["list", "nl", "--validate", "--format", "csv"])
    assert res.exit_code == 0, res.output
    v = pd.read_csv(io.StringIO(res.stdout))
    assert len(v) == 8 and v.loc[~v["agrees"], "cause"].notna().all()
    res = runner.invoke(app, ["list", "nl", "--candidates", "watch", "--all", "--format", "csv"])
    assert res.exit_code == 0, res.output


def test_list_nl_vs(runner):
    res = runner.invoke(app, ["list", "nl", "--year", "2023", "--vs", "2021", "--format", "csv"])
    assert res.exit_code == 0, res.output
    diff = pd.read_csv(io.StringIO(res.stdout))
    assert {"entered", "left", "moved"} & set(diff["change"])
    assert diff["explanation"].notna().all()


def test_assess_geopolrisk_world_parquet(runner, tmp_path):
    out = tmp_path / "gpr.parquet"
    res = runner.invoke(app, ["assess", "--scope", "world", "--method", "geopolrisk", "--year", "2022",
                              "--format", "csv", "--output", str(out)])
    assert res.exit_code == 0, res.output
    frame = pd.read_parquet(out)
    assert frame["country"].nunique() > 150 and (frame["year"] == 2022).all()


def test_assess_nl_with_draws(runner):
    res = runner.invoke(app, ["assess", "--scope", "nl", "--year", "2023", "--draws", "500", "--format", "csv"])
    assert res.exit_code == 0, res.output
    frame = pd.read_csv(io.StringIO(res.stdout))
    assert {"p_critical", "p_on_list", "rank_p05", "rank_p95", "driver_nl"} <= set(frame.columns)
    assert frame["p_on_list"].between(0, 1).all()


def test_assess_all_matrix_and_compare_modes(runner):
    res = runner.invoke(app, ["assess", "--method", "all", "--year", "2023", "--format", "csv"])
    assert res.exit_code == 0, res.output
    m = pd.read_csv(io.StringIO(res.stdout))
    assert {"sr_eu", "sr_nl", "on_list", "gpr_score_nl", "gpr_score_nl_compatible"} <= set(m.columns)
    res = runner.invoke(app, ["assess", "--scope", "nl", "--method", "geopolrisk", "--compare-modes", "--format", "csv"])
    assert res.exit_code == 0, res.output
    d = pd.read_csv(io.StringIO(res.stdout))
    assert {"material_id", "median_ratio", "main_cause"} <= set(d.columns)


@pytest.mark.parametrize("args, needle", [
    (["--country", "XXX"], "'XXX' is not a known country"),
    (["--country", "Atlantis"], "ISO3 code or a name"),
    (["--year", "2030"], "valid years 2018–2024"),
    (["--year", "1990", "--mode", "compatible"], "valid years 2018–2024"),
])
def test_assess_geopolrisk_bad_country_or_year_exit_1(runner, args, needle):
    """Unknown country or a year outside the data: one clear error naming the valid choices/range, exit 1."""
    res = runner.invoke(app, ["assess", "--method", "geopolrisk", *args])
    assert res.exit_code == 1
    text = " ".join((res.output + str(res.exception or "")).split())
    assert needle in text
    assert "Traceback" not in res.output


def test_assess_geopolrisk_country_names_and_compatible_csv(runner):
    """Names resolve through the country registry (Netherlands, Duitsland); compatible mode prints all 53
    library materials per country-year, energy carriers included."""
    res = runner.invoke(app, ["assess", "--method", "geopolrisk", "--mode", "compatible", "--country", "Netherlands",
                              "--country", "Duitsland", "--year", "2022", "--format", "csv"])
    assert res.exit_code == 0, res.output
    frame = pd.read_csv(io.StringIO(res.stdout))
    assert set(frame["country"]) == {"NLD", "DEU"} and len(frame) == 2 * 53
    assert "natural_gas" in set(frame["material_id"]) and frame["score"].notna().all()
