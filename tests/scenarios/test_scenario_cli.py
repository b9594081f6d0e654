"""CLI end-to-end: crmsec scenario list|show|run, crmsec crma, crmsec chains (CliRunner + one subprocess)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from crmsec.cli import app
from crmsec.errors import InputError
from crmsec.scenarios.spec import load_scenario_file

runner = CliRunner()


def test_scenario_list_and_show():
    r = runner.invoke(app, ["scenario", "list", "--format", "csv"])
    assert r.exit_code == 0, r.output
    f = pd.read_csv(io.StringIO(r.stdout))
    assert len(f) >= 12 and {"hormuz_closure", "china_gallium_germanium_2023"} <= set(f["scenario_id"])
    r = runner.invoke(app, ["scenario", "show", "hormuz_closure", "--format", "json"])
    assert r.exit_code == 0
    fields = {d["field"]: d["value"] for d in json.loads(r.stdout)}
    assert fields["chokepoint"] == "Strait of Hormuz" and "Reuters" in fields["sources"]


def test_scenario_run_materials_and_scenario_set(store_path, tmp_path):
    r = runner.invoke(app, ["scenario", "run", "china_gallium_germanium_2023", "--depth", "1", "--store",
                            str(store_path), "--format", "csv"])
    assert r.exit_code == 0, r.output
    f = pd.read_csv(io.StringIO(r.stdout))
    assert f.loc[f["material_id"] == "gallium", "shortfall_share"].tolist() == pytest.approx([0.69, 0.69])
    out = tmp_path / "set.csv"
    r = runner.invoke(app, ["scenario", "run", "all", "--table", "scenario_set", "--store", str(store_path),
                            "--output", str(out), "--format", "csv"])
    assert r.exit_code == 0, r.output
    s = pd.read_csv(out)
    assert list(s.columns) == ["scenario_id", "probability", "material_id", "shortfall_t", "duration_days"]
    assert s["scenario_id"].nunique() == 12


def test_scenario_run_ensemble(store_path):
    r = runner.invoke(app, ["scenario", "run", "all", "--draws", "20000", "--chunk-size", "5000", "--seed", "1",
                            "--store", str(store_path), "--format", "csv"])
    assert r.exit_code == 0, r.output
    f = pd.read_csv(io.StringIO(r.stdout))
    assert {"mean", "p95", "cvar95"} <= set(f.columns)
    assert (f["cvar95"].dropna() >= f["p95"].dropna().reindex(f["cvar95"].dropna().index) - 1e-9).all()


def test_crma_and_chains(store_path):
    r = runner.invoke(app, ["crma", "--store", str(store_path), "--format", "csv"])
    assert r.exit_code == 0, r.output
    f = pd.read_csv(io.StringIO(r.stdout))
    assert {"extraction", "processing", "recycling_eol_rir_proxy", "diversification", "reference_period"} <= set(
        f.columns)
    r = runner.invoke(app, ["chains", "show", "magnets", "--store", str(store_path), "--format", "csv"])
    assert r.exit_code == 0, r.output
    f = pd.read_csv(io.StringIO(r.stdout))
    assert f["weakest"].sum() == 1
    r = runner.invoke(app, ["chains", "show", "batteries", "--graph", "--format", "json"])
    assert r.exit_code == 0 and json.loads(r.stdout)[0]["id"]


def test_bad_yaml_names_field_and_value(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("id: x\nname: x\nmeasure: ban\nactors: [China]\nmaterials: [gallium]\ndepth: 1.5\n"
                 "duration_days: 30\nprobability: 0.1\nsources: [{title: t}]\n")
    with pytest.raises(InputError) as err:
        load_scenario_file(p)
    msg = str(err.value)
    assert "bad.yaml" in msg and "actors" in msg and "'China'" in msg
    p.write_text("id: x\n  name: [\n")
    with pytest.raises(InputError, match="not valid YAML"):
        load_scenario_file(p)


def test_cli_error_exit_1_without_traceback(store_path):
    exe = Path(sys.executable).with_name("crmsec")
    env = {**os.environ, "CRMSEC_STORE": str(store_path)}
    p = subprocess.run([str(exe), "scenario", "run", "no_such_scenario"], capture_output=True, text=True, env=env,
                       timeout=120)
    assert p.returncode == 1
    assert "unknown scenario" in p.stderr and "Traceback" not in p.stderr
