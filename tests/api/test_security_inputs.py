"""Small or malformed inputs never give a 500 or write wrong data (issue 16); declassification needs an admin."""

from __future__ import annotations

import io
import time

import pytest
from apihelp import bearer
from fastapi.testclient import TestClient

from crmsec.api import Settings
from crmsec.api.deps import get_projects
from crmsec.projects.registry import ProjectRegistry

BOMB = (b'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
        + b"".join(f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]\n".encode()
                   for i in range(8)))


@pytest.fixture()
def settings() -> Settings:
    """The test settings with a 256 KiB upload limit (room for a 100 KB deep YAML and a zip bomb)."""
    return Settings(secret_key="test-secret-key-0123456789", bcrypt_rounds=4, max_upload_bytes=256 * 1024)


@pytest.fixture()
def fresh(app, tmp_path):
    """The test app with its own (writable) project registry: one restricted project."""
    reg = ProjectRegistry(f"sqlite:///{tmp_path / 'p.sqlite'}")
    reg.add({"code": "SECRET-01", "name": "Secret plant", "countries": ["NLD"], "materials": ["gallium"],
             "stages": ["processing"], "status": "feasibility", "confidentiality": "restricted"})
    app.dependency_overrides[get_projects] = lambda: reg
    with TestClient(app, base_url="https://testserver") as c:
        yield c, reg


def _import(c, headers, body: bytes):
    return c.post("/api/v1/projects/import", headers=headers, files={"file": ("p.csv", body)})


def test_analyst_cannot_declassify_by_import_admin_can_and_it_is_audited(fresh):
    c, reg = fresh
    r = _import(c, bearer(c, "ana"), b"code,confidentiality\nSECRET-01,public\n")
    assert r.status_code == 403 and "admin" in r.json()["detail"]
    assert reg.get("SECRET-01", role="admin")["confidentiality"] == "restricted"  # nothing changed
    assert c.get("/api/v1/projects/SECRET-01").status_code == 404  # still hidden from the public
    r = _import(c, bearer(c, "root"), b"code,confidentiality\nSECRET-01,public\n")
    assert r.status_code == 200 and r.json()["data"][0]["action"] == "declassify"
    hist = reg.history("SECRET-01")
    assert hist.iloc[-1]["action"] == "declassify" and hist.iloc[-1]["actor"] == "root"
    pub = c.get("/api/v1/projects/SECRET-01").json()
    assert pub["confidentiality"] == "public" and "version" not in pub  # public view omits version


def test_analyst_may_still_restrict_or_edit(fresh):
    c, reg = fresh
    r = _import(c, bearer(c, "ana"), b"code,name\nSECRET-01,Renamed plant\n")
    assert r.status_code == 200 and reg.get("SECRET-01", role="admin")["name"] == "Renamed plant"


def test_csv_row_with_an_extra_field_is_refused_and_nothing_written(fresh):
    c, reg = fresh
    before = len(reg.list_projects(role="admin"))
    r = _import(c, bearer(c, "ana"), b"code,name\nNEWX,a,extra\n")
    assert r.status_code == 422 and "row 2" in r.json()["detail"] and "3 fields" in r.json()["detail"]
    assert len(reg.list_projects(role="admin")) == before
    assert "/tmp" not in r.json()["detail"]  # no server paths in messages (parsed in memory)


@pytest.mark.parametrize("body, needle", [
    (BOMB, "aliases"),
    (b"[" * 50_000 + b"]" * 50_000, "deeper than"),
    (b"id: x\nid: y\n", "duplicate key"),
])
def test_yaml_bombs_are_a_fast_422(client, body, needle):
    h = bearer(client, "ana")
    t = time.perf_counter()
    for url in ("/api/v1/scenario-runs/upload", "/api/v1/allocation-runs/upload"):
        r = client.post(url, headers=h, files={"file": ("s.yaml", body)})
        assert r.status_code == 422 and needle in r.json()["detail"], r.text
    assert time.perf_counter() - t < 2.0  # bounded work (both uploads together)


def test_allocation_periods_and_non_finite_values_are_refused_before_the_job(client):
    h = bearer(client, "ana")
    problem = {"periods": 3_000_000, "tiers": [{"tier": "T", "rank": 1, "weight_essential": 1}],
               "sectors": [{"sector": "a", "tier": "T"}], "materials": [{"material_id": "g", "availability_t": 1}],
               "demand": [{"sector": "a", "material_id": "g", "demand_t": 1}]}
    r = client.post("/api/v1/allocation-runs", json={"problem": problem}, headers=h)
    assert r.status_code == 422 and "periods" in r.json()["detail"] and "520" in r.json()["detail"]
    r = client.post("/api/v1/allocation-runs/upload", headers=h,
                    files={"file": ("a.yaml", b"periods: 4\nmaterials: [{material_id: g, availability_t: .inf}]\n"
                                              b"tiers: []\nsectors: [{sector: a, tier: T}]\n"
                                              b"demand: [{sector: a, material_id: g, demand_t: 1e300}]\n")})
    assert r.status_code == 422 and "availability_t" in r.json()["detail"] and "demand_t" in r.json()["detail"]


def test_malformed_xlsx_and_zip_bomb_are_422(client):
    import zipfile

    h = bearer(client, "ana")
    url = "/api/v1/company/assessments"
    r = client.post(url, headers=h, files={"file": ("bom.xlsx", b"material,quantity_t,basis\n")})
    assert r.status_code == 422 and "not an XLSX" in r.json()["detail"]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", b" " * (100 * 2**20))
    assert len(buf.getvalue()) < 256 * 1024  # fits the upload limit, unpacks to 100 MB
    r = client.post(url, headers=h, files={"file": ("bom.xlsx", buf.getvalue())})
    assert r.status_code == 422 and "unpacks to" in r.json()["detail"]


def test_company_csv_with_an_extra_field_names_the_row(client):
    r = client.post("/api/v1/company/assessments", headers=bearer(client, "ana"),
                    files={"file": ("bom.csv", b"material,quantity_t,basis\ngallium,1,contained,oops\n")})
    assert r.status_code == 422 and "row 2" in r.json()["detail"] and "4 fields" in r.json()["detail"]


def test_huge_integers_are_a_422_not_a_500(client):
    for url in ("/criticality?year=99999999999999999999999", "/list?year=-99999999999999999999999"):
        assert client.get(url).status_code == 422
    r = client.post("/api/v1/scenario-runs", headers=bearer(client, "ana"),
                    json={"scenario": "x", "draws": 2**70})
    assert r.status_code == 422


def test_json_bodies_are_strictly_typed(client):
    """The schema's JSON types are what is accepted: no bool → number or string → bool/number coercion
    (schemathesis ``negative_data_rejection``); the page forms send typed JSON (static/js/app.js)."""
    h = bearer(client, "ana")
    for url, body, field in [("/api/v1/stockpile-runs", {"budget_eur": False}, "budget_eur"),
                             ("/api/v1/stockpile-runs", {"pool": "true"}, "pool"),
                             ("/api/v1/club/runs", {"seed": False}, "seed"),
                             ("/api/v1/scenario-runs", {"scenario": "x", "draws": "3"}, "draws")]:
        r = client.post(url, json=body, headers=h)
        assert r.status_code == 422 and field in r.json()["detail"], (url, body, r.text)
    # an integer is a valid JSON number; a boolean where the schema says boolean is accepted
    assert client.post("/api/v1/stockpile-runs", json={"budget_eur": 1000, "pool": True},
                       headers=h).status_code in (202, 429)
