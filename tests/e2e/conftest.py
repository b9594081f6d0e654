"""End-to-end fixtures: the app served by uvicorn on a free localhost port (session store, a project
registry with a restricted test project, test users) and headless Chromium driven by Playwright.

Chromium is the Debian package (/usr/bin/chromium, installed by .ci/run); the tests skip with a reason when
it is missing. Playwright's own browser download is never used.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
from e2ehelp import PASSWORD, RESTRICTED_CODE, RESTRICTED_NAME  # noqa: E402


def _seed_projects(url: str) -> None:
    import yaml

    from crmsec.projects.registry import ProjectRegistry

    reg = ProjectRegistry(url)
    reg.add({"code": "NL-E2E-PUBLIC", "name": "E2E public refinery", "countries": ["NLD"], "materials": ["nickel"],
             "stages": ["processing"], "status": "feasibility", "confidentiality": "public"})
    reg.add({"code": RESTRICTED_CODE, "name": RESTRICTED_NAME, "countries": ["NLD"], "materials": ["neodymium"],
             "stages": ["recycling"], "status": "permitting", "confidentiality": "restricted"})
    case = Path(__file__).resolve().parents[2] / "src/crmsec/projects/examples/illustrative_refinery.yaml"
    reg.set_case("NL-E2E-PUBLIC", yaml.safe_load(case.read_text(encoding="utf-8")))
    reg.close()


@pytest.fixture(scope="session")
def live_server(store_path, tmp_path_factory):
    """Base URL of the running app (stopped at the end of the session)."""
    from crmsec.api import Settings, create_app
    from crmsec.api.auth import UserStore
    from crmsec.api.devserver import serve_in_thread

    url = f"sqlite:///{tmp_path_factory.mktemp('e2e-projects') / 'projects.sqlite'}"
    _seed_projects(url)
    users = UserStore(rounds=4)
    users.add("analyst", PASSWORD, "analyst")
    settings = Settings(secret_key="e2e-secret-0123456789abcdef", store_path=store_path, projects_db_url=url,
                        bcrypt_rounds=4)
    with serve_in_thread(create_app(settings, users=users)) as base:
        yield base


@pytest.fixture(scope="session")
def browser():
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (apt-get install chromium chromium-driver; .ci/run does it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser, live_server):
    ctx = browser.new_context(base_url=live_server, locale="en-GB", accept_downloads=True,
                              viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(30_000)
    pg = ctx.new_page()
    yield pg
    ctx.close()


