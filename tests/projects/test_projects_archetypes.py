"""Archetype business cases: every seeded CRMA project can be appraised (issue 15)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from crmsec.cli import app
from crmsec.errors import InputError
from crmsec.projects.appraisal import appraise
from crmsec.projects.archetypes import archetype_case, archetype_inputs, archetype_notes, archetype_table
from crmsec.projects.case import load_case
from crmsec.projects.seed import strategic_project_records

runner = CliRunner()
RECORDS = strategic_project_records()
NO_MATERIAL = [r["code"] for r in RECORDS if not r["materials"]]


def test_every_seeded_project_has_an_archetype_case_or_says_to_add_one() -> None:
    assert len(RECORDS) == 60 and NO_MATERIAL == []  # Kolmisoppi: nickel, cobalt from Terrafame's statement
    with pytest.raises(InputError, match="add the project's own case"):
        archetype_case(dict(RECORDS[0], materials=[]))  # a registry project without a material
    for rec in RECORDS:
        if rec["code"] in NO_MATERIAL:
            with pytest.raises(InputError, match="add the project's own case"):
                archetype_case(rec)
            continue
        case = load_case(archetype_case(rec))
        assert "archetype" in case.name and "not the promoter's figures" in case.name
        res = appraise(case, [], n_paths=64, with_fan=False)
        assert np.isfinite(res.summary["e_npv"]).all()
        assert any("not the promoter's figures" in n for n in archetype_notes(rec))


def test_archetype_capex_closed_form_and_registry_figures_win() -> None:
    rec = {"code": "T", "materials": ["copper"], "stages": ["extraction"], "capacity": None, "countries": ["SWE"]}
    inp = archetype_inputs(rec)
    a = archetype_table().set_index("archetype").loc["mine"]
    case = archetype_case(rec)
    assert sum(case["capex"]) == pytest.approx(a["capital_intensity"] * inp["capacity_t"] * inp["price"]["p0"])
    assert max(case["products"][0]["quantity"]) == inp["capacity_t"]
    # registry capacity in t/yr of product and capex in M EUR replace the archetype's
    rec2 = {**rec, "capacity": 28500.0, "capacity_unit": "t/yr lithium hydroxide", "capex_meur": 295.0,
            "materials": ["lithium"], "stages": ["processing"]}
    case2 = archetype_case(rec2)
    assert sum(case2["capex"]) == pytest.approx(295e6) and max(case2["products"][0]["quantity"]) == 28500.0
    # ore throughput is not a product capacity
    assert not archetype_inputs({**rec, "capacity": 5e5, "capacity_unit": "t/yr ore processed"})["capacity_from_registry"]


def test_cli_appraise_and_portfolio_on_seeded_projects(tmp_path, store_path, monkeypatch) -> None:
    monkeypatch.setenv("CRMSEC_STORE", str(store_path))  # WGI PV of hosts outside the EU/EEA
    db = str(tmp_path / "reg.sqlite")
    assert runner.invoke(app, ["project", "seed", "--db", db]).exit_code == 0
    for rec in RECORDS:
        r = runner.invoke(app, ["project", "appraise", rec["code"], "--db", db, "--paths", "64",
                                "--instrument", "grant:amount=1e6", "--format", "json"])
        if rec["code"] in NO_MATERIAL:
            assert r.exit_code != 0 and "add the project's own case" in str(r.exception)
            continue
        assert r.exit_code == 0, (rec["code"], r.output)
        assert {row["package"] for row in json.loads(r.stdout)} == {"none", "grant"}
    r = runner.invoke(app, ["portfolio", "--budget", "5e8", "--db", db, "--paths", "64",
                            "--package", "grant@grant:amount=2e7", "--format", "json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)
