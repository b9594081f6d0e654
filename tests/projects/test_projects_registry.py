"""Pipeline registry: seed, roles, audit, CSV/XLSX round trip, row-level validation and all-or-nothing import
(simulated failure and a killed process), on SQLite and — when available — a real PostgreSQL server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from crmsec.errors import DataError, InputError
from crmsec.projects.registry import ProjectRegistry
from crmsec.projects.seed import seed_strategic_projects, strategic_project_records

REPO = Path(__file__).resolve().parents[2]


def _state(reg: ProjectRegistry) -> tuple[pd.DataFrame, int]:
    return reg.list_projects(role="admin"), len(reg.history())


def test_seed_60_strategic_projects(registry: ProjectRegistry) -> None:
    """60 projects (47 EU-1 + 13 XEU-1) as in Decisions C(2025) 1904 / 3491 (PROVENANCE.md country totals)."""
    res = seed_strategic_projects(registry)
    assert (res["action"] == "create").sum() == 60
    df = registry.list_projects(role="public")
    assert len(df) == 60
    assert df["batch"].str.startswith("EU-1").sum() == 47
    assert df["batch"].str.startswith("XEU-1").sum() == 13
    assert df["evidence_level"].notna().all()
    # missing figures stay NULL, never invented (PROVENANCE: 11 capacities, 2 capex in EUR, 3 start years)
    assert (df["capacity"].notna() | df["capacity_text"].notna()).sum() == 11
    assert df["capex_meur"].notna().sum() == 2
    assert df["start_year"].notna().sum() == 4  # incl. Kolmisoppi 2028 (Terrafame statement)
    assert df.loc[df["code"] == "SP-EU1-portovesme-crm-hub", "capacity_text"].item() == "50000-70000"
    assert pd.isna(df.loc[df["code"] == "SP-EU1-portovesme-crm-hub", "capacity"].item())
    # no project hosted in the Netherlands (PROVENANCE "Dutch involvement")
    assert not df["countries"].fillna("").str.contains("NLD").any()
    fr = df["countries"].fillna("").str.split(";").map(lambda c: "FRA" in c).sum()
    assert fr == 9  # FR 9 incl. the FR/NA/DE graphite project
    # seeding again changes nothing and writes no audit rows
    n_audit = len(registry.history())
    again = seed_strategic_projects(registry)
    assert set(again["action"]) == {"unchanged"}
    assert len(registry.history()) == n_audit


def test_role_filter_hides_restricted(registry: ProjectRegistry) -> None:
    registry.add({"code": "PUB-1", "name": "Public one", "countries": "NLD", "materials": "lithium",
                  "stages": "recycling", "status": "feasibility"})
    registry.add({"code": "RES-1", "name": "Secret one", "confidentiality": "restricted", "status": "financing",
                  "capex_meur": 120})
    assert list(registry.list_projects(role="public")["code"]) == ["PUB-1"]
    assert sorted(registry.list_projects(role="analyst")["code"]) == ["PUB-1", "RES-1"]
    assert list(registry.list_projects(role="admin", material="lithium")["code"]) == ["PUB-1"]
    with pytest.raises(InputError, match="not found"):
        registry.get("RES-1", role="public")
    assert registry.get("RES-1", role="analyst")["capex_meur"] == 120
    with pytest.raises(InputError, match="role"):
        registry.list_projects(role="guest")  # type: ignore[arg-type]


def test_every_change_has_an_audit_row(registry: ProjectRegistry) -> None:
    registry.add({"code": "A-1", "name": "Alpha", "capacity_by_year": "2028:1000 t/yr;2029:2000 t/yr"})
    registry.update("A-1", {"status": "construction", "capex_meur": 50})
    registry.delete("A-1")
    h = registry.history("A-1")
    assert list(h["action"]) == ["create", "update", "delete"]
    assert h.iloc[1]["before"]["status"] == "recognised" and h.iloc[1]["after"]["status"] == "construction"
    assert h.iloc[0]["after"]["capacity_by_year"] == [[2028, 1000.0, "t/yr"], [2029, 2000.0, "t/yr"]]
    assert registry.count() == 0
    with pytest.raises(InputError, match="already exists"):
        registry.add({"code": "B-1", "name": "B"})
        registry.add({"code": "B-1", "name": "B again"})


def test_csv_and_xlsx_round_trip(registry: ProjectRegistry, tmp_path: Path) -> None:
    seed_strategic_projects(registry)
    registry.add({"code": "X-9", "name": "Restricted", "confidentiality": "restricted",
                  "capacity_by_year": "2030:500 t/yr"})
    for suffix in (".csv", ".xlsx"):
        path = tmp_path / f"export{suffix}"
        registry.export_file(path, role="admin")
        other = ProjectRegistry(tmp_path / f"copy{suffix}.sqlite")
        res = other.import_file(path)
        assert (res["action"] == "create").sum() == 61
        a = registry.export_frame(role="admin").reset_index(drop=True)
        b = other.export_frame(role="admin").reset_index(drop=True)
        pd.testing.assert_frame_equal(a, b, check_dtype=False)
        other.close()
    public = tmp_path / "public.csv"
    registry.export_file(public, role="public")
    assert "X-9" not in pd.read_csv(public)["code"].tolist()


def test_invalid_row_reports_row_and_field_and_writes_nothing(registry: ProjectRegistry, tmp_path: Path) -> None:
    seed_strategic_projects(registry)
    before = _state(registry)
    path = tmp_path / "bad.csv"
    pd.DataFrame({
        "code": ["N-1", "N-2", "N-3"],
        "name": ["one", "two", "three"],
        "capex_meur": ["10", "lots", "30"],
    }).to_csv(path, index=False)
    with pytest.raises(DataError) as info:
        registry.import_file(path)
    err = info.value
    assert err.row == 3 and err.field == "capex_meur" and err.value == "lots"
    assert "row 3" in str(err) and "capex_meur" in str(err)
    after = _state(registry)
    pd.testing.assert_frame_equal(before[0], after[0])
    assert before[1] == after[1]

    pd.DataFrame({"code": ["N-1"], "name": ["x"], "countries": ["Atlantis"]}).to_csv(path, index=False)
    with pytest.raises(DataError, match="countries"):
        registry.import_file(path)
    pd.DataFrame({"code": ["N-1"], "name": ["x"], "stages": ["smelting"]}).to_csv(path, index=False)
    with pytest.raises(DataError, match="unknown stage"):
        registry.import_file(path)
    pd.DataFrame({"code": ["N-1", "N-1"], "name": ["x", "y"]}).to_csv(path, index=False)
    with pytest.raises(DataError, match="duplicate") as dup:
        registry.import_file(path)
    assert dup.value.row == 3
    assert registry.count() == 60


def test_exception_mid_import_rolls_back(registry: ProjectRegistry, monkeypatch: pytest.MonkeyPatch) -> None:
    """Simulated failure after 25 of 60 rows (an exception inside the write transaction)."""
    registry.add({"code": "KEEP-1", "name": "existing"})
    before = _state(registry)
    real = ProjectRegistry._write_one
    calls = {"n": 0}

    def failing(self, *args, **kwargs):  # noqa: ANN001, ANN202
        calls["n"] += 1
        if calls["n"] > 25:
            raise RuntimeError("simulated crash during import")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(ProjectRegistry, "_write_one", failing)
    with pytest.raises(RuntimeError, match="simulated crash"):
        seed_strategic_projects(registry)
    assert calls["n"] == 26
    after = _state(registry)
    pd.testing.assert_frame_equal(before[0], after[0])
    assert before[1] == after[1]


KILL_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from crmsec.projects.registry import ProjectRegistry
    from crmsec.projects.seed import seed_strategic_projects

    reg = ProjectRegistry(sys.argv[1])
    real = ProjectRegistry._write_one
    n = {"rows": 0}

    def slow(self, *a, **k):
        out = real(self, *a, **k)
        n["rows"] += 1
        if n["rows"] == 30:
            print("HALFWAY", flush=True)
            time.sleep(120)
        return out

    ProjectRegistry._write_one = slow
    seed_strategic_projects(reg)
    print("FINISHED", flush=True)
    """
)


def test_killed_process_mid_import_leaves_previous_state(registry_url: str, tmp_path: Path) -> None:
    """SIGKILL of a process halfway through a 60-row import: the registry is exactly as before."""
    reg = ProjectRegistry(registry_url)
    reg.add({"code": "KEEP-1", "name": "existing", "capex_meur": 5})
    before = _state(reg)
    reg.close()
    script = tmp_path / "kill_me.py"
    script.write_text(KILL_SCRIPT)
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    proc = subprocess.Popen([sys.executable, str(script), registry_url], stdout=subprocess.PIPE, env=env, text=True)
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        assert line.strip() == "HALFWAY", f"import did not reach the midpoint (got {line!r})"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    reg = ProjectRegistry(registry_url)
    after = _state(reg)
    pd.testing.assert_frame_equal(before[0], after[0])
    assert before[1] == after[1]
    # and the registry still works afterwards
    assert (seed_strategic_projects(reg)["action"] == "create").sum() == 60
    reg.close()


def test_seed_records_use_registry_ids() -> None:
    recs = strategic_project_records(REPO / "data" / "raw" / "crma_strategic_projects" / "strategic_projects.csv")
    assert len(recs) == 60 and len({r["code"] for r in recs}) == 60
    mats = {m for r in recs for m in r["materials"]}
    assert {"lithium", "graphite", "rare_earths", "pgm", "aluminium"} <= mats
    assert all(len(c) == 3 for r in recs for c in r["countries"])


def test_default_url_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from crmsec.projects.registry import default_url

    monkeypatch.delenv("CRMSEC_PROJECTS_DB_URL", raising=False)
    monkeypatch.setenv("CRMSEC_PROJECTS_DB", str(tmp_path / "x.sqlite"))
    assert default_url() == f"sqlite:///{tmp_path / 'x.sqlite'}"
    monkeypatch.setenv("CRMSEC_PROJECTS_DB_URL", "postgresql+psycopg2://u@h/db")
    assert default_url() == "postgresql+psycopg2://u@h/db"


def test_new_registry_is_seeded_once(tmp_path: Path) -> None:
    from crmsec.projects.service import open_registry

    url = tmp_path / "fresh.sqlite"
    reg = open_registry(url)
    assert reg.count() == 60
    for code in reg.list_projects(role="admin")["code"]:
        reg.delete(code)
    reg.close()
    assert open_registry(url).count() == 0  # deleted on purpose: not re-seeded
