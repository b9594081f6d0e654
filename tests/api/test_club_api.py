"""Club-market API: cases, assumptions, partners, a package run as a job with its figure."""

from __future__ import annotations

from apihelp import bearer


def test_club_reference_endpoints(client):
    cases = client.get("/api/v1/club/cases").json()
    assert any(r["case"] == "ndpr_oxide" for r in cases["data"])
    spec = client.get("/api/v1/club/cases/ndpr_oxide").json()
    assert spec["p0"] == 69.0 and spec["dominant"]["region"] == "CHN"
    assert client.get("/api/v1/club/cases/nope").status_code == 404
    a = client.get("/api/v1/club/assumptions").json()
    assert {"parameter", "value", "unit", "evidence", "source", "note"} <= set(a["columns"])
    p = client.get("/api/v1/club/partners").json()
    assert any(r["iso3"] == "NAM" for r in p["data"])


def test_club_run_job(client, app):
    headers = bearer(client, "ana")
    bad = client.post("/api/v1/club/runs", json={"packages": ["nope"]}, headers=headers)
    assert bad.status_code == 422 and "nope" in bad.text
    assert client.post("/api/v1/club/runs", json={"paths": 10**6}, headers=headers).status_code == 422
    job = client.post("/api/v1/club/runs", json={"packages": ["floor_110_mp"], "paths": 40},
                      headers=headers).json()
    done = app.state.jobs.wait(job["id"], timeout=120)
    assert done.status == "done", done.error
    res = client.get(f"/api/v1/jobs/{job['id']}/result", headers=headers).json()
    assert {"summary", "by_year", "projects"} <= set(res["tables"])
    fig = client.get(f"/api/v1/jobs/{job['id']}/result?view=figure&lang=nl", headers=headers).json()
    assert fig["figure"]["data"] and "<table>" in fig["table_html"]


def test_club_page_in_both_languages(client):
    en = client.get("/club?lang=en")
    assert en.status_code == 200 and "Plurilateral club market" in en.text and "ndpr_p0" in en.text
    nl = client.get("/club?lang=nl")
    assert nl.status_code == 200 and "Plurilaterale clubmarkt" in nl.text
