"""REST API and dashboard: OpenAPI, materials/factsheets, auth, CSRF, roles, confidentiality, uploads, jobs."""

from __future__ import annotations

import math

import pytest
from apihelp import RESTRICTED_CODE, RESTRICTED_NAME, bearer, csrf_of, login

from crmsec.api import engines


def test_openapi_is_typed_and_lists_the_resources(client):
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for path in ("/api/v1/materials", "/api/v1/materials/{material_id}/factsheet", "/api/v1/criticality",
                 "/api/v1/national-list", "/api/v1/national-list/diff", "/api/v1/crma/benchmarks",
                 "/api/v1/chains", "/api/v1/scenario-runs", "/api/v1/jobs/{job_id}", "/api/v1/allocation-runs",
                 "/api/v1/stockpile-runs", "/api/v1/projects", "/api/v1/projects/{code}/appraisals",
                 "/api/v1/auth/token"):
        assert path in paths, path
    assert "FactsheetPublic" in spec["components"]["schemas"]
    assert not any(p.startswith(("/login", "/criticality")) for p in paths), "pages must stay out of the API spec"


def test_factsheet_shares_and_hhi(client):
    fs = client.get("/api/v1/materials/gallium/factsheet").json()
    proc = [r for r in fs["producer_shares"] if r["stage"] == "processing"]
    # only the latest year (2023) of the series, never summed with 2022
    assert {r["year"] for r in proc} == {2023}
    q = [750.0, 10.0, 5.0, 3.0]
    assert [r["country"] for r in proc] == ["CHN", "JPN", "RUS", "KOR"]
    assert math.isclose(sum(r["share"] for r in proc), 1.0)
    assert math.isclose(fs["stage_hhi"]["processing"], sum((x / sum(q)) ** 2 for x in q))
    partners = fs["trade_partners"]
    assert [p["country"] for p in partners] == ["CHN", "DEU", "JPN"]  # DEU's own imports are not NL's
    assert math.isclose(partners[0]["share"], 8 / 11)
    assert fs["sources"][0]["vintage"] == "test-1"


def test_unknown_material_is_404_with_a_hint(client):
    r = client.get("/api/v1/materials/unobtainium/factsheet")
    assert r.status_code == 404
    assert "unknown material_id 'unobtainium'" in r.json()["detail"]
    assert client.get("/api/v1/materials/Bad-Id!").status_code == 422


def test_token_auth(client):
    r = client.post("/api/v1/auth/token", data={"username": "ana", "password": "wrong"})
    assert r.status_code == 401
    r = client.post("/api/v1/auth/token", data={"username": "nobody", "password": "x"})
    assert r.status_code == 401
    me = client.get("/api/v1/auth/me", headers=bearer(client, "ana")).json()
    assert me == {"username": "ana", "role": "analyst"}
    assert client.get("/api/v1/auth/me").json() == {"username": None, "role": "public"}
    r = client.get("/api/v1/auth/me", headers={"Authorization": "Bearer forged.token.value"})
    assert r.status_code == 401


def test_login_needs_csrf_and_sets_a_hardened_cookie(client):
    token = csrf_of(client)
    r = client.post("/login", data={"username": "ana", "password": "analyst-pass-1"}, follow_redirects=False)
    assert r.status_code == 403 and "CSRF" in r.text
    r = client.post("/login", data={"username": "ana", "password": "analyst-pass-1", "csrf_token": token,
                                    "next": "https://evil.example/"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"  # no open redirect
    cookie = r.headers["set-cookie"].lower()
    assert "crmsec_session=" in cookie and "httponly" in cookie and "secure" in cookie and "samesite=lax" in cookie
    assert client.get("/api/v1/auth/me").json()["role"] == "analyst"
    assert client.cookies.get("crmsec_csrf") != token  # the CSRF token is rotated at sign-in
    r = client.post("/login", data={"username": "ana", "password": "nope", "csrf_token": token})
    assert r.status_code == 403  # the pre-login token no longer passes
    r = client.post("/login", data={"username": "ana", "password": "nope", "csrf_token": csrf_of(client)})
    assert r.status_code == 401 and "Wrong username or password" in r.text


def test_roles_and_csrf_on_api_posts(client):
    assert client.post("/api/v1/allocation-runs", json={}).status_code in (401, 403)
    login(client, "ana")
    # cookie-authenticated POST without the CSRF header is refused
    assert client.post("/api/v1/allocation-runs", json={}).status_code == 403
    r = client.post("/api/v1/allocation-runs", json={"rule": "maxmin"},
                    headers={"X-CSRF-Token": client.cookies.get("crmsec_csrf")})
    assert r.status_code == 202, r.text


def test_allocation_job_runs_to_a_result(client, app):
    headers = bearer(client, "ana")
    job = client.post("/api/v1/allocation-runs", json={"rule": "weighted"}, headers=headers).json()
    assert job["status_url"] == f"/api/v1/jobs/{job['id']}"
    done = app.state.jobs.wait(job["id"], timeout=60)
    assert done.status == "done", done.error
    status = client.get(job["status_url"], headers=headers).json()
    assert status["progress"] == 1.0 and status["result_url"]
    res = client.get(status["result_url"], headers=headers).json()
    assert {"sectors", "materials", "allocation", "binding"} <= set(res["tables"])
    fig = client.get(status["result_url"] + "?view=figure", headers=headers).json()
    assert fig["figure"]["data"] and "<table>" in fig["table_html"]
    # another user (admin sees all; a second analyst would not) — the public role gets 401
    assert client.get(status["result_url"]).status_code == 401


def test_allocation_input_errors_are_422_with_the_field(client):
    r = client.post("/api/v1/allocation-runs", headers=bearer(client, "ana"),
                    json={"problem": {"periods": 2, "tiers": [], "sectors": [], "materials": [], "demand": []}})
    assert r.status_code == 422 and "sectors" in r.json()["detail"]  # validated before a job starts


def test_upload_limits_and_validation(client):
    headers = bearer(client, "ana")
    big = b"name: x\n" + b"#" * 5000
    r = client.post("/api/v1/allocation-runs/upload", headers=headers, files={"file": ("a.yaml", big)})
    assert r.status_code == 413 and "2,048 bytes" in r.json()["detail"]
    r = client.post("/api/v1/allocation-runs/upload", headers=headers, files={"file": ("a.exe", b"MZ")})
    assert r.status_code == 415
    r = client.post("/api/v1/allocation-runs/upload", headers=headers, files={"file": ("a.yaml", b"a: [1, 2\n")})
    assert r.status_code == 422 and "not valid YAML at line" in r.json()["detail"]
    r = client.post("/api/v1/allocation-runs/upload", headers=headers,
                    files={"file": ("a.yaml", b"periods: 2\ntiers: []\n")})
    assert r.status_code == 422 and "sectors" in r.json()["detail"]
    r = client.post("/api/v1/allocation-runs/upload", headers=headers, files={"file": ("a.yaml", b"\xff\xfe\x00")})
    assert r.status_code == 422 and "UTF-8" in r.json()["detail"]
    r = client.post("/api/v1/projects/import", headers=headers,
                    files={"file": ("p.csv", b"code,name,status\nX-1,Test,flying\n")})
    assert r.status_code == 422 and "row 2" in r.json()["detail"] and "status" in r.json()["detail"]


def test_public_never_sees_a_restricted_project(client):
    rows = client.get("/api/v1/projects").json()["data"]
    assert RESTRICTED_CODE not in {r["code"] for r in rows}
    assert all("case" not in r and "has_case" not in r for r in rows)
    assert client.get(f"/api/v1/projects/{RESTRICTED_CODE}").status_code == 404
    assert "case" not in client.get("/api/v1/projects/NL-PUBLIC-1").json()
    page = client.get("/projects").text
    assert RESTRICTED_NAME not in page and "Public test refinery" in page
    assert client.get(f"/projects/{RESTRICTED_CODE}").status_code == 404
    headers = bearer(client, "ana")
    rows = client.get("/api/v1/projects", headers=headers).json()["data"]
    assert RESTRICTED_CODE in {r["code"] for r in rows}
    assert client.get(f"/api/v1/projects/{RESTRICTED_CODE}", headers=headers).json()["name"] == RESTRICTED_NAME


def test_appraisal_job_gives_a_fan(client):
    headers = bearer(client, "ana")
    r = client.post("/api/v1/projects/NL-PUBLIC-1/appraisals", headers=headers,
                    json={"instruments": ["floor:strike=15000"], "n_paths": 400})
    assert r.status_code == 202, r.text
    done = client.app.state.jobs.wait(r.json()["id"], timeout=60)
    assert done.status == "done", done.error
    fig = client.get(f"/api/v1/jobs/{done.id}/result?view=figure", headers=headers).json()["figure"]
    assert any(t.get("fill") == "tonexty" for t in fig["data"])
    # a project without a stored case is appraised on its labelled archetype case
    r = client.post(f"/api/v1/projects/{RESTRICTED_CODE}/appraisals", headers=headers, json={"n_paths": 200})
    assert r.status_code == 202, r.text
    r = client.post("/api/v1/projects/NL-PUBLIC-1/appraisals", headers=headers, json={"instruments": ["magic:x=1"]})
    assert r.status_code == 422


def test_language_switch_by_cookie(client):
    page = client.get("/materials").text
    assert '<html lang="en">' in page and "Materials" in page
    token = csrf_of(client)
    r = client.post("/set-lang", data={"lang": "nl", "next": "/materials", "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/materials"
    page = client.get("/materials").text
    assert '<html lang="nl">' in page and "Grondstoffen" in page and "Aanmelden" in page


def test_missing_engine_is_said_not_faked(client, monkeypatch):
    def unavailable(*a, **k):
        raise engines.EngineUnavailable("crma")

    monkeypatch.setattr(engines, "crma_benchmarks", unavailable)
    r = client.get("/api/v1/crma/benchmarks")
    assert r.status_code == 404 and "not available in this build" in r.json()["detail"]
    page = client.get("/crma")
    assert page.status_code == 200 and 'id="unavailable"' in page.text and "<td" not in page.text


def test_security_headers(client):
    r = client.get("/")
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY"
    assert client.get("/vendor/plotly.min.js").headers["content-type"].startswith("application/javascript")
    assert client.get("/static/vendor/topojson/world_110m.json").status_code == 200


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_material_briefing_pdf_and_xlsx(client, lang):
    import io

    import openpyxl
    import pypdf

    r = client.get(f"/api/v1/briefings/material/gallium.pdf?lang={lang}")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    pdf = pypdf.PdfReader(io.BytesIO(r.content))
    assert len(pdf.pages) > 1
    text = pdf.pages[0].extract_text()
    assert ("Producers by stage" if lang == "en" else "Producenten per fase") in text
    r = client.get(f"/api/v1/briefings/material/gallium.xlsx?lang={lang}")
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    assert {"producers", "nl_suppliers", "sources"} <= set(wb.sheetnames)
    html = client.get(f"/api/v1/briefings/material/gallium.html?lang={lang}").text
    assert f'<html lang="{lang}">' in html and "<svg" in html and "test (test-1)" in html


def test_page_uploads_start_a_job_or_show_the_error(client, app):
    login(client, "ana")
    token = client.cookies.get("crmsec_csrf")
    body = b"""periods: 2
tiers:
  - {tier: T1, rank: 1, weight_essential: 100, weight_nonessential: 10}
sectors:
  - {sector: health, tier: T1, va_meur_per_period: 1}
materials:
  - {material_id: gallium, availability_t: [1.0, 0.5], stock_t: 0.2, release_limit_t: 0.1}
demand:
  - {sector: health, material_id: gallium, demand_t: 1.0, essential_t: 0.5}
"""
    r = client.post("/crisis/upload", data={"csrf_token": token, "rule": "maxmin"},
                    files={"file": ("crisis.yaml", body)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/jobs/")
    job_id = r.headers["location"].rsplit("/", 1)[1]
    assert app.state.jobs.wait(job_id, timeout=60).status == "done"
    page = client.get(r.headers["location"])
    assert page.status_code == 200 and f"/api/v1/jobs/{job_id}" in page.text
    r = client.post("/crisis/upload", data={"csrf_token": token}, headers={"Accept": "text/html"},
                    files={"file": ("crisis.yaml", b"periods: [1\n")})
    assert r.status_code == 422 and "not valid YAML" in r.text and "<html" in r.text
    # without the CSRF field the upload is refused
    r = client.post("/crisis/upload", files={"file": ("crisis.yaml", body)}, follow_redirects=False)
    assert r.status_code == 403


def test_store_is_reopened_after_a_rebuild(tmp_path, mini_store_path):
    import os
    import shutil

    from crmsec.api import Settings
    from crmsec.api.app import _StoreOpener

    path = tmp_path / "s.duckdb"
    shutil.copy(mini_store_path, path)
    opener = _StoreOpener(Settings(store_path=path))
    first = opener()
    assert opener() is first
    st = os.stat(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10_000_000))  # a rebuilt vintage
    assert opener() is not first
    opener.close()


def test_pooled_stockpile_run_compares_with_national(client, app):
    headers = bearer(client, "ana")
    job = client.post("/api/v1/stockpile-runs", headers=headers, json={"pool": True}).json()
    done = app.state.jobs.wait(job["id"], timeout=60)
    assert done.status == "done", done.error
    res = client.get(f"/api/v1/jobs/{job['id']}/result", headers=headers).json()
    cmp_ = res["tables"]["comparison"]["data"]
    # pooling three members with imperfectly correlated shortfalls costs less (engine result, passed through)
    assert all(r["pooled_cost_eur_yr"] <= r["national_cost_eur_yr"] for r in cmp_)
    fig = client.get(f"/api/v1/jobs/{job['id']}/result?view=figure", headers=headers).json()["figure"]
    assert [t["name"] for t in fig["data"]] == ["national stocks", "pooled stock"]


def test_oversized_request_bodies_are_refused(client):
    r = client.post("/api/v1/allocation-runs", headers=bearer(client, "ana"),
                    json={"problem": {"name": "x" * 100_000}})
    assert r.status_code == 413 and "larger than" in r.json()["detail"]
