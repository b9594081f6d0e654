"""Club-market API: cases, assumptions, partners, a package run as a job with its figure."""

from __future__ import annotations

from apihelp import bearer, login


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


def test_club_run_summary_and_page_state_units(client, app):
    """The run's summary states money basis, tonnes, price period and shortfall basis; the page carries the
    units caption and the assumption notes in English and Dutch."""
    headers = bearer(client, "ana")
    job = client.post("/api/v1/club/runs", json={"packages": ["standards_20"], "paths": 20}, headers=headers).json()
    assert app.state.jobs.wait(job["id"], timeout=120).status == "done"
    s = client.get(f"/api/v1/jobs/{job['id']}/result", headers=headers).json()["summary"]
    assert "2.25% real" in s["money"] and "net revenue" in s["money"]
    assert s["tonnes"] == "t/yr of NdPr oxide (99 % min)" and "ban year 2030" in s["shortfall"]
    assert "neither an upper nor a lower bound" in s["shortfall"] and "not a forecast" in s["status"]
    login(client, "ana")
    en = client.get("/club?lang=en").text
    assert "Units: prices in USD/kg NdPr oxide" in en and "not a precedent" in en
    nl = client.get("/club?lang=nl").text
    assert "Eenheden: prijzen in USD/kg NdPr-oxide" in nl and "Toelichting" in nl


def test_club_page_is_in_the_navigation(client):
    """The /club page is reachable from every page's navigation (label in both languages)."""
    page = client.get("/club?lang=nl").text
    assert 'href="/club"' in page and "Clubmarkt" in page


def test_club_briefing_download(client):
    headers = bearer(client, "ana")
    r = client.get("/api/v1/briefings/club/ndpr_oxide.html?lang=nl&paths=40", headers=headers)
    assert r.status_code == 200 and "Clubmarkt" in r.text and "geen boven- en geen ondergrens" in r.text
    x = client.get("/api/v1/briefings/club/ndpr_oxide.xlsx?paths=40", headers=headers)
    assert x.status_code == 200 and x.content[:2] == b"PK"
    assert client.get("/api/v1/briefings/club/nope.html", headers=headers).status_code == 404
    assert client.get("/api/v1/briefings/club/ndpr_oxide.html?paths=100000", headers=headers).status_code == 422
    assert client.get("/api/v1/briefings/club/ndpr_oxide.html").status_code == 401  # analyst only
