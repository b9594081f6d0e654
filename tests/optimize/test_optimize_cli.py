"""End-to-end tests of ``crmsec allocate`` and ``crmsec stockpile`` (typer CliRunner and the installed script)."""

from __future__ import annotations

import io
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from crmsec.cli import app
from crmsec.errors import InputError

EXAMPLES = Path(str(resources.files("crmsec.optimize") / "examples"))
runner = CliRunner()


def test_allocate_worked_example_csv():
    res = runner.invoke(
        app,
        [
            "allocate",
            str(EXAMPLES / "worked_example_5_4.yaml"),
            "--rule",
            "floors_prorata",
            "--format",
            "csv",
            "--table",
            "allocation",
        ],
    )
    assert res.exit_code == 0, res.output
    frame = pd.read_csv(io.StringIO(res.stdout))
    assert frame["allocated_t"].round(2).tolist() == [10, 21.67, 20, 8.33]


def test_allocate_table_and_report(tmp_path):
    res = runner.invoke(
        app, ["allocate", str(EXAMPLES / "allocation_example.yaml"), "--report", str(tmp_path)]
    )
    assert res.exit_code == 0, res.output
    assert "Binding constraints" in res.stdout
    tables = {"allocation.csv", "sectors.csv", "materials.csv", "binding.csv"}
    # each CSV with its provenance sidecar (crmsec.output.write_frame)
    assert {p.name for p in tmp_path.iterdir()} == tables | {t + ".provenance.json" for t in tables} | {"explanation.txt"}
    assert "Allocation by rule" in (tmp_path / "explanation.txt").read_text()


def test_allocate_bad_input_is_input_error(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        (EXAMPLES / "worked_example_5_4.yaml").read_text().replace("essential_t: 20", "essential_t: 30")
    )
    res = runner.invoke(app, ["allocate", str(bad)])
    assert res.exit_code == 1
    assert isinstance(res.exception, InputError)
    assert "demand[1].essential_t (30 t) is above demand_t (25 t)" in str(res.exception)


def test_stockpile_size_worked_example_json():
    res = runner.invoke(
        app,
        [
            "stockpile",
            "size",
            "--scenarios",
            str(EXAMPLES / "worked_example_5_3c_scenarios.csv"),
            "--materials",
            str(EXAMPLES / "worked_example_5_3c_materials.csv"),
            "--format",
            "json",
        ],
    )
    assert res.exit_code == 0, res.output
    frame = pd.read_json(io.StringIO(res.stdout))
    assert frame["stock_t"].iat[0] == pytest.approx(172.6, abs=0.1)
    assert frame["total_cost_eur_yr"].iat[0] == pytest.approx(776712, abs=1)


def test_stockpile_pool_and_coverage(tmp_path):
    out = tmp_path / "pool.csv"
    res = runner.invoke(
        app,
        [
            "stockpile",
            "size",
            "--scenarios",
            str(EXAMPLES / "stockpile_scenarios_example.csv"),
            "--materials",
            str(EXAMPLES / "stockpile_materials_example.csv"),
            "--pool",
            "NLD,DEU,BEL",
            "--members",
            str(EXAMPLES / "stockpile_members_example.csv"),
            "--output",
            str(out),
            "--format",
            "csv",
        ],
    )
    assert res.exit_code == 0, res.output
    comp = pd.read_csv(out)
    assert (comp["pooled_cost_eur_yr"] <= comp["national_cost_eur_yr"] + 1e-6).all()
    res = runner.invoke(
        app, ["stockpile", "coverage", str(EXAMPLES / "coverage_example.csv"), "--format", "csv"]
    )
    assert res.exit_code == 0, res.output
    assert "very_high" in res.stdout


def test_script_error_contract(tmp_path):
    """The installed entry point prints the error without a traceback and exits 1; csv stdout stays clean."""
    exe = Path(sys.executable).with_name("crmsec")
    if not exe.exists():
        pytest.skip("crmsec script not installed next to the interpreter")
    scen = tmp_path / "s.csv"
    scen.write_text("scenario_id,probability,material_id,shortfall_t\na,0.7,x,10\nb,0.6,x,20\n")
    proc = subprocess.run(
        [
            str(exe),
            "stockpile",
            "size",
            "--scenarios",
            str(scen),
            "--materials",
            str(EXAMPLES / "worked_example_5_3c_materials.csv"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert "probabilities sum to 1.3" in proc.stderr
    assert "Traceback" not in proc.stderr
    proc = subprocess.run(
        [str(exe), "allocate", str(EXAMPLES / "worked_example_5_4.yaml"), "--format", "csv"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0
    assert proc.stdout.splitlines()[0].startswith("sector,tier,")  # no HiGHS banner on stdout


def test_run_examples(tmp_path):
    from crmsec.optimize.demo import run_examples

    files = run_examples(tmp_path / "optimize")
    names = {p.name for p in files}
    assert {
        "allocation_weighted_sectors.csv",
        "stockpile_pool_comparison.csv",
        "stockpile_coverage_days.csv",
    } <= names
    ref = pd.read_csv(tmp_path / "optimize" / "stockpile_worked_example_5_3c.csv")
    assert ref["total_cost_eur_yr"].iat[0] == pytest.approx(776712, abs=1)


def test_pool_unknown_country_code():
    res = runner.invoke(
        app,
        [
            "stockpile",
            "size",
            "--scenarios",
            str(EXAMPLES / "stockpile_scenarios_example.csv"),
            "--materials",
            str(EXAMPLES / "stockpile_materials_example.csv"),
            "--pool",
            "NL,XX",
            "--members",
            str(EXAMPLES / "stockpile_members_example.csv"),
        ],
    )
    assert res.exit_code == 1
    assert "country code 'XX' unknown" in str(res.exception)
