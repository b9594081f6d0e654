"""API results carry ``meta`` (provenance) next to ``data``: store vintage id, sources read, method, request."""

from __future__ import annotations

import io

import pytest

from crmsec import provenance

pytestmark = pytest.mark.slow




def _sources(meta: dict) -> dict[str, dict]:
    return {s["source"]: s for s in meta["sources"]}


def test_result_endpoints_carry_meta(real, store_path):
    c, _, _ = real
    vid = provenance.store_info(store_path)["vintage_id"]
    crit = c.get("/api/v1/criticality?scope=eu&year=2023").json()
    meta = crit["meta"]
    assert meta["command"] == "GET /api/v1/criticality" and meta["parameters"] == {"scope": "eu", "year": "2023"}
    assert meta["store"]["vintage_id"] == vid and "path" not in meta["store"]  # no server paths leave the server
    assert [m["name"] for m in meta["methods"]] == ["eu_method"]
    assert "eu_assessment" in _sources(meta)["eu_crm_2023_assessment"]["tables"]
    assert c.get("/api/v1/criticality?scope=eu&year=2023").json()["meta"] == meta  # cached answer, same meta
    for path, table, source in [("/api/v1/national-list", "trade", "baci_geopolrisk"),
                                ("/api/v1/national-list/diff", "trade", "baci_geopolrisk"),  # cache replays reads
                                ("/api/v1/crma/benchmarks", "eu_assessment", "eu_crm_2023_assessment"),
                                ("/api/v1/chains/magnets", "production", "usgs_mcs"),
                                ("/api/v1/materials", "materials", provenance.REGISTRY)]:
        body = c.get(path).json()
        assert body["meta"]["store"]["vintage_id"] == vid, path
        assert table in _sources(body["meta"]).get(source, {}).get("tables", []), (path, body["meta"]["sources"])


def test_job_result_carries_meta(real, store_path):
    c, headers, app = real
    job = c.post("/api/v1/stockpile-runs", headers=headers, json={"pool": True}).json()
    assert app.state.jobs.wait(job["id"], timeout=60).status == "done"
    res = c.get(f"/api/v1/jobs/{job['id']}/result", headers=headers).json()
    assert res["tables"] and res["meta"]["command"] == "job stockpile"
    assert [m["name"] for m in res["meta"]["methods"]] == ["stockpile"]


def test_openapi_meta_is_typed(real):
    c, _, _ = real
    schemas = c.get("/openapi.json").json()["components"]["schemas"]
    assert {"ProvenancePublic", "StoreRefPublic", "SourceRefPublic"} <= set(schemas)
    for model in ("TablePublic", "CriticalityPublic", "MaterialsPublic", "JobResultPublic", "ChainPublic"):
        assert "ProvenancePublic" in str(schemas[model]["properties"]["meta"]), model


def test_briefing_xlsx_has_provenance_sheet(real, store_path):
    import openpyxl

    c, _, _ = real
    r = c.get("/api/v1/briefings/material/gallium.xlsx?lang=nl")
    assert r.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames[-1] == "provenance"
    rows = dict(wb["provenance"].iter_rows(min_row=2, values_only=True))
    assert rows["command"] == "GET /api/v1/briefings/material/gallium.xlsx"
    assert rows["store.vintage_id"] == provenance.store_info(store_path)["vintage_id"]
