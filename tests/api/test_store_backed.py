"""API on the session store: the numbers are the engines' numbers, passed through unchanged."""

from __future__ import annotations

import math
import re

import pytest

pytestmark = pytest.mark.slow




def test_criticality_is_the_engine_result(real, store_path):
    from crmsec.criticality import pipeline as P
    from crmsec.store import open_store

    c, _, _ = real
    api = c.get("/api/v1/criticality?scope=eu&year=2023").json()
    eng = P.eu_assessment(P.load_data(open_store(store_path)), 2023)
    assert api["count"] == len(eng)
    by_id = {r["material_id"]: r for r in api["data"]}
    for row in eng.itertuples():
        got = by_id[row.material_id]
        assert got["critical"] == bool(row.critical)
        assert (got["sr"] is None and math.isnan(row.sr)) or got["sr"] == pytest.approx(row.sr)
    # threshold rule on the published one-decimal values
    assert all(r["critical"] == (round(r["sr"], 1) >= 1.0 and round(r["ei"], 1) >= 2.8)
               for r in api["data"] if r["sr"] is not None and r["ei"] is not None)
    # a year inside the documented range without an EU assessment: 404 naming the years that exist
    r = c.get("/api/v1/criticality?scope=eu&year=2012")
    assert r.status_code == 404 and "no data for year 2012" in r.json()["detail"] and "2023" in r.json()["detail"]


def test_national_list_and_diff(real):
    c, _, _ = real
    lst = c.get("/api/v1/national-list").json()
    on = [r for r in lst["data"] if r["on_list"]]
    assert len(on) == 17 and all(r["drivers"] for r in on)
    # entries on the EU's SR are labelled borrowed in the API rows, the notes and the page (issue 12 review)
    borrowed = [r for r in on if r["sr_basis"] == "EU SR 2023 (borrowed)"]
    assert borrowed and all("BORROWED" in r["drivers"] for r in borrowed)
    assert any("borrowed" in n for n in lst["notes"])
    page = c.get("/list?lang=nl").text
    assert "EU-SR 2023 (geleend)" in page and "EU-leveringsrisico 2023" in page
    assert "EU SR 2023 (borrowed)" in c.get("/list?lang=en").text
    diff = c.get("/api/v1/national-list/diff").json()
    assert diff["count"] > 0 and "cause" in diff["columns"]
    nl = c.get("/api/v1/criticality?scope=nl").json()
    assert sum(1 for r in nl["data"] if r["critical"]) == 17


def test_crma_chains_factsheet(real):
    c, _, _ = real
    crma = c.get("/api/v1/crma/benchmarks").json()
    assert crma["count"] > 10 and {"extraction", "processing", "recycling_eol_rir_proxy", "diversification",
                                   "reference_period"} <= set(crma["columns"])
    chains = {r["chain_id"] for r in c.get("/api/v1/chains").json()["data"]}
    assert {"magnets", "batteries", "defence", "aluminium", "helium"} <= chains
    mag = c.get("/api/v1/chains/magnets").json()
    assert any(r["weakest"] for r in mag["risk"])
    assert c.get("/api/v1/chains/unicorns").status_code == 404
    fs = c.get("/api/v1/materials/cobalt/factsheet").json()
    for stage in {r["stage"] for r in fs["producer_shares"]}:
        assert math.isclose(sum(r["share"] for r in fs["producer_shares"] if r["stage"] == stage), 1.0)


def test_scenario_run_with_an_edited_depth(real):
    c, headers, app = real
    shares = {}
    for depth in (0.25, 1.0):
        job = c.post("/api/v1/scenario-runs", headers=headers,
                     json={"scenario": "china_gallium_germanium_2023", "depth": depth}).json()
        done = app.state.jobs.wait(job["id"], timeout=120)
        assert done.status == "done", done.error
        res = c.get(f"/api/v1/jobs/{job['id']}/result", headers=headers).json()
        rows = res["tables"]["materials"]["data"]
        shares[depth] = next(r["shortfall_share"] for r in rows if r["region"] == "NLD" and r["material_id"] == "gallium")
    assert 0 < shares[0.25] < shares[1.0]
    assert c.post("/api/v1/scenario-runs", headers=headers, json={"scenario": "no_such_thing"}).status_code == 404


def test_scenario_briefing_via_api_and_cli(real, tmp_path, store_path):
    import io

    import pypdf
    from typer.testing import CliRunner

    from crmsec.cli import app as cli

    c, headers, _ = real
    r = c.get("/api/v1/briefings/scenario/hormuz_closure.pdf?lang=nl", headers=headers)
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(r.content)).pages)
    assert "Scenario: Sluiting van de Straat van Hormuz" in text and "Bronnen en dataversies" in text
    assert "NaN" not in text and not re.search(r"\d[.,]?\d*e[+-]\d", text)  # issue 15: Dutch, no NaN/exponents
    assert c.get("/api/v1/briefings/scenario/hormuz_closure.pdf").status_code == 401  # analyst only
    res = CliRunner().invoke(cli, ["brief", "scenario", "hormuz_closure", "--format", "xlsx", "--output",
                                   str(tmp_path), "--store", str(store_path)])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "briefing-scenario-hormuz_closure-en.xlsx").exists()
