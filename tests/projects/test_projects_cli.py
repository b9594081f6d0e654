"""End-to-end CLI: crmsec project seed|add|import|list|show|history|appraise|calibrate and crmsec portfolio."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from crmsec.cli import app
from crmsec.projects.data import EXAMPLE_CASE

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "projects.sqlite")


def test_seed_list_add_show_history(db: str) -> None:
    r = runner.invoke(app, ["project", "seed", "--db", db])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["project", "list", "--db", db, "--format", "csv", "--material", "graphite"])
    assert r.exit_code == 0
    frame = pd.read_csv(io.StringIO(r.stdout))
    assert len(frame) == 15 and frame["materials"].str.contains("graphite").all()
    r = runner.invoke(app, ["project", "add", "NL-REC-1", "--name", "Black mass refinery", "--country", "NLD",
                            "--material", "lithium", "--material", "nickel", "--stage", "recycling",
                            "--confidentiality", "restricted", "--case", str(EXAMPLE_CASE), "--db", db])
    assert r.exit_code == 0, r.output
    public = runner.invoke(app, ["project", "list", "--db", db, "--format", "json"])
    assert "NL-REC-1" not in public.stdout
    analyst = runner.invoke(app, ["project", "list", "--db", db, "--format", "json", "--role", "analyst"])
    rows = json.loads(analyst.stdout)
    assert len(rows) == 61 and any(r["code"] == "NL-REC-1" and r["has_case"] for r in rows)
    r = runner.invoke(app, ["project", "history", "NL-REC-1", "--db", db, "--format", "csv"])
    assert r.exit_code == 0
    hist = pd.read_csv(io.StringIO(r.stdout))
    assert list(hist["action"]) == ["create", "update"]  # the add and the stored case
    assert json.loads(hist["after"].iloc[0])["confidentiality"] == "restricted"


def test_import_reports_row_and_field(db: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"code": ["A-1", "A-2"], "name": ["a", "b"], "start_year": ["2028", "soon"]}).to_csv(bad, index=False)
    r = runner.invoke(app, ["project", "import", str(bad), "--db", db])
    assert r.exit_code != 0
    assert isinstance(r.exception, Exception) and "row 3" in str(r.exception) and "start_year" in str(r.exception)
    good = tmp_path / "good.xlsx"
    pd.DataFrame({"code": ["A-1"], "name": ["a"], "start_year": ["2028"]}).to_excel(good, index=False)
    r = runner.invoke(app, ["project", "import", str(good), "--db", db, "--format", "csv"])
    assert r.exit_code == 0, r.output
    assert "A-1,create" in r.stdout


def test_appraise_example_with_instruments() -> None:
    r = runner.invoke(app, ["project", "appraise", "demo", "--case", "example", "--paths", "2000",
                            "--instrument", "floor:strike=14000", "--instrument", "grant:amount=5e7",
                            "--package", "cfd@cfd:strike=15000,years=10", "--format", "json"])
    assert r.exit_code == 0, r.output
    rows = {row["package"]: row for row in json.loads(r.stdout)}
    assert set(rows) == {"none", "floor+grant", "cfd"}
    assert rows["floor+grant"]["public_cost_mean"] > 5e7
    r = runner.invoke(app, ["project", "appraise", "demo", "--case", "example", "--paths", "1000", "--fan",
                            "--format", "csv"])
    fan = pd.read_csv(io.StringIO(r.stdout))
    assert {"year", "p05", "p50", "p95", "variable"} <= set(fan.columns)


def test_appraise_errors_exit_1(db: str) -> None:
    import subprocess
    import sys

    runner.invoke(app, ["project", "seed", "--db", db])
    proc = subprocess.run([sys.executable, "-m", "crmsec.cli", "project", "appraise", "SP-NO-SUCH-PROJECT",
                           "--db", db], capture_output=True, text=True)
    assert proc.returncode == 1
    assert "SP-NO-SUCH-PROJECT" in proc.stderr and "Traceback" not in proc.stderr
    r = runner.invoke(app, ["project", "appraise", "x", "--case", "example", "--instrument", "bogus:x=1"])
    assert r.exit_code != 0 and "Types" in str(r.exception)


def test_portfolio_from_options_and_frontier(tmp_path: Path) -> None:
    opt = tmp_path / "options.csv"
    pd.DataFrame([("A", "none", 0, 0, 10), ("A", "grant", 50, 60, 30), ("B", "none", 0, 0, 0),
                  ("B", "grant", 40, 40, 20)], columns=["project", "package", "public_cost", "risk", "contribution"]
                 ).to_csv(opt, index=False)
    r = runner.invoke(app, ["portfolio", "--budget", "60", "--options", str(opt), "--format", "csv"])
    assert r.exit_code == 0, r.output
    chosen = pd.read_csv(io.StringIO(r.stdout))
    assert set(zip(chosen["project"], chosen["package"], strict=True)) == {("A", "grant")}
    r = runner.invoke(app, ["portfolio", "--budget", "100", "--options", str(opt), "--frontier", "3",
                            "--format", "csv"])
    front = pd.read_csv(io.StringIO(r.stdout))
    assert front["contribution"].tolist() == [10.0, 30.0, 50.0]


def test_portfolio_from_registry_cases(db: str, store_path, monkeypatch) -> None:
    monkeypatch.setenv("CRMSEC_STORE", str(store_path))  # seeded hosts outside the EU/EEA need WGI PV
    runner.invoke(app, ["project", "add", "FI-1", "--name", "Refinery", "--country", "FIN",
                        "--case", str(EXAMPLE_CASE), "--db", db])
    r = runner.invoke(app, ["portfolio", "--budget", "1e8", "--db", db, "--paths", "1000",
                            "--package", "g@grant:amount=6e7", "--format", "csv"])
    assert r.exit_code == 0, r.output
    chosen = pd.read_csv(io.StringIO(r.stdout))
    # the 60 seeded projects take part with their archetype case, next to FI-1's own case
    assert "FI-1" in set(chosen["project"]) and len(chosen) == 61


def test_calibrate_command() -> None:
    r = runner.invoke(app, ["project", "calibrate", "copper", "zinc", "--format", "csv"])
    assert r.exit_code == 0, r.output
    frame = pd.read_csv(io.StringIO(r.stdout))
    assert list(frame["commodity"]) == ["copper", "zinc"] and (frame["sigma"] > 0).all()


def test_update_sets_fields_and_case(db: str) -> None:
    runner.invoke(app, ["project", "seed", "--db", db])
    r = runner.invoke(app, ["project", "update", "SP-EU1-04", "--set", "status=construction", "--set",
                            "capex_meur=85", "--case", str(EXAMPLE_CASE), "--db", db])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["project", "appraise", "SP-EU1-04", "--db", db, "--paths", "500", "--format", "csv"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["project", "update", "SP-EU1-04", "--set", "status=dreaming", "--db", db])
    assert r.exit_code != 0 and "status" in str(r.exception)


@pytest.mark.slow
def test_security_command(store, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    import crmsec.store

    monkeypatch.setattr(crmsec.store, "open_store", lambda *a, **k: store)
    r = runner.invoke(app, ["project", "security", "--material", "lithium", "--stage", "processing",
                            "--q-share", "0.1", "--host", "DEU", "--format", "csv"])
    assert r.exit_code == 0, r.output
    frame = pd.read_csv(io.StringIO(r.stdout))
    assert list(frame["counterfactual"]) == ["displacement", "additive"]
    assert (frame["delta_sr"] < 0).all()
