"""Fixtures of the web-face tests: an app with test users and a small DuckDB store built in ``tmp_path``.

The mini store uses the real registries (materials.csv, countries.csv) and a handful of hand-made production
and trade rows (test data, labelled ``source='test'``) so the frame is tested without the full vintage.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from crmsec.api import Settings, create_app
from crmsec.api.auth import UserStore
from crmsec.api.deps import get_store

REG = Path(__file__).resolve().parents[2] / "src" / "crmsec" / "registry"
from apihelp import PASSWORDS, RESTRICTED_CODE, RESTRICTED_NAME  # noqa: E402


def build_mini_store(path: Path) -> Path:
    con = duckdb.connect(str(path))
    con.register("m", pd.read_csv(REG / "materials.csv", dtype=str))
    con.execute("CREATE TABLE materials AS SELECT * FROM m")
    con.register("c", pd.read_csv(REG / "countries.csv", dtype=str, keep_default_na=False))
    con.execute("CREATE TABLE countries AS SELECT * FROM c")
    prod = pd.DataFrame({
        "material_id": ["gallium"] * 4 + ["gallium"] * 2,
        "stage": ["processing"] * 4 + ["processing"] * 2,
        "country": ["CHN", "JPN", "KOR", "RUS", "CHN", "JPN"],
        "year": [2023] * 4 + [2022] * 2,
        "quantity": [750.0, 10.0, 3.0, 5.0, 600.0, 9.0],
        "unit": ["t"] * 6, "basis": ["contained"] * 6, "source": ["test"] * 6, "vintage": ["test-1"] * 6,
    })
    con.register("p", prod)
    con.execute("CREATE TABLE production AS SELECT * FROM p")
    trade = pd.DataFrame({
        "reporter": ["NLD", "NLD", "NLD", "DEU"], "partner": ["CHN", "DEU", "JPN", "CHN"],
        "hs6": ["811292"] * 4, "year": [2022] * 4, "tonnes": [8.0, 2.0, 1.0, 30.0],
        "value_kusd": [3000.0, 900.0, 400.0, 9000.0], "material_id": ["gallium"] * 4,
    })
    con.register("t", trade)
    con.execute("CREATE TABLE trade AS SELECT * FROM t")
    con.close()
    return path


@pytest.fixture(scope="session")
def mini_store_path(tmp_path_factory) -> Path:
    return build_mini_store(tmp_path_factory.mktemp("ministore") / "mini.duckdb")


@pytest.fixture(scope="session")
def test_users() -> UserStore:
    users = UserStore(rounds=4)
    users.add("ana", PASSWORDS["ana"], "analyst")
    users.add("root", PASSWORDS["root"], "admin")
    return users


@pytest.fixture()
def settings() -> Settings:
    return Settings(secret_key="test-secret-key-0123456789", bcrypt_rounds=4, cookie_secure=True,
                    max_upload_bytes=2048)


@pytest.fixture(scope="session")
def projects_url(tmp_path_factory) -> str:
    """A SQLite project registry with one public project (with an illustrative business case) and one
    restricted project (test records)."""
    import yaml

    from crmsec.projects.registry import ProjectRegistry

    url = f"sqlite:///{tmp_path_factory.mktemp('projects') / 'projects.sqlite'}"
    reg = ProjectRegistry(url)
    reg.add({"code": "NL-PUBLIC-1", "name": "Public test refinery", "countries": ["NLD"], "materials": ["nickel"],
             "stages": ["processing"], "status": "feasibility", "confidentiality": "public", "capex_meur": 600.0})
    reg.add({"code": RESTRICTED_CODE, "name": RESTRICTED_NAME, "countries": ["NLD"], "materials": ["gallium"],
             "stages": ["recycling"], "status": "feasibility", "confidentiality": "restricted",
             "capex_meur": 42.0})
    case = yaml.safe_load((REG.parent / "projects" / "examples" / "illustrative_refinery.yaml").read_text())
    reg.set_case("NL-PUBLIC-1", case)
    reg.close()
    return url


@pytest.fixture()
def app(settings, test_users, mini_store_path, projects_url):
    from crmsec.api.deps import get_projects
    from crmsec.projects.registry import ProjectRegistry

    application = create_app(settings, users=test_users)
    registry = ProjectRegistry(projects_url)
    application.dependency_overrides[get_projects] = lambda: registry
    con = duckdb.connect(str(mini_store_path), read_only=True)

    def _store():
        cur = con.cursor()
        try:
            yield cur
        finally:
            cur.close()

    application.dependency_overrides[get_store] = _store
    yield application
    con.close()


@pytest.fixture()
def client(app):
    with TestClient(app, base_url="https://testserver") as c:
        yield c




@pytest.fixture(scope="module")
def real(store_path, tmp_path_factory):
    """The app over the session's full store (not the mini store), an analyst's bearer header, the app."""
    users = UserStore(rounds=4)
    users.add("ana", "analyst-pass-1", "analyst")
    url = f"sqlite:///{tmp_path_factory.mktemp('p') / 'p.sqlite'}"
    app = create_app(Settings(secret_key="store-backed-secret-0123", store_path=store_path, projects_db_url=url,
                              bcrypt_rounds=4), users=users)
    with TestClient(app, base_url="https://testserver") as c:
        tok = c.post("/api/v1/auth/token", data={"username": "ana", "password": "analyst-pass-1"}).json()
        yield c, {"Authorization": f"Bearer {tok['access_token']}"}, app
