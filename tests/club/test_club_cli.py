"""CLI of the club market: commands print tables/CSV; bad input exits 1 with a one-line message."""

from __future__ import annotations

import io

import pandas as pd
import typer
from typer.testing import CliRunner

from crmsec.club.cli import register

app = typer.Typer()


@app.callback()
def _root() -> None:
    """test root"""


register(app)
runner = CliRunner()


def test_run_csv_and_compare():
    r = runner.invoke(app, ["club", "run", "ndpr_oxide", "-p", "floor_110_mp", "--paths", "40",
                            "--appraisal-paths", "20", "--format", "csv"])
    assert r.exit_code == 0, r.output
    frame = pd.read_csv(io.StringIO(r.stdout))
    assert list(frame["package"]) == ["none", "floor_110_mp"]
    r = runner.invoke(app, ["club", "compare", "ndpr_oxide", "-p", "offtake_90", "--paths", "40",
                            "--appraisal-paths", "20", "--format", "csv"])
    assert r.exit_code == 0 and "fiscal_cost_mean_meur" in r.stdout


def test_floor_partners_and_assumptions():
    r = runner.invoke(app, ["club", "floor", "--paths", "100", "--format", "csv"])
    assert r.exit_code == 0, r.output
    s = pd.read_csv(io.StringIO(r.stdout)).iloc[0]
    assert s["pv_p95_musd"] >= s["pv_mean_musd"] >= 0 and s["capacity_t"] == 10_000
    r = runner.invoke(app, ["club", "partners", "neodymium", "--partner", "AUS", "--partner", "NAM",
                            "--paths", "50", "--format", "csv"])
    assert r.exit_code == 0 and "gain_t_per_meur" in r.stdout
    r = runner.invoke(app, ["club", "blocks", "--format", "csv"])
    assert r.exit_code == 0 and "rule_compliant" in r.stdout
    r = runner.invoke(app, ["club", "assumptions", "--format", "csv"])
    assert r.exit_code == 0 and "ndpr_p0" in r.stdout


def test_unknown_package_is_an_input_error():
    r = runner.invoke(app, ["club", "run", "ndpr_oxide", "-p", "nope", "--paths", "10"])
    assert r.exit_code != 0
    assert "no package 'nope'" in str(r.exception)
