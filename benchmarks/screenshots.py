"""Screenshots of the main dashboard pages into docs/screenshots/ (headless Debian Chromium + Playwright).

Serves the app on the default store with a temporary project registry seeded with the 60 CRMA Strategic
Projects (public fields), signs in as a temporary analyst, runs a scenario, an allocation and a stockpile
sizing from their pages, and saves full-page PNGs.

    .venv/bin/python benchmarks/screenshots.py [--out docs/screenshots] [--store PATH]
"""

from __future__ import annotations

import argparse
import secrets
import shutil
import tempfile
from pathlib import Path

ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    ap.add_argument("--store", type=Path, default=None)
    args = ap.parse_args()
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        raise SystemExit("chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    from crmsec.api import Settings, create_app
    from crmsec.api.auth import UserStore
    from crmsec.api.devserver import serve_in_thread
    from crmsec.projects.registry import ProjectRegistry
    from crmsec.projects.seed import seed_strategic_projects

    tmp = Path(tempfile.mkdtemp(prefix="crmsec-shots-"))
    url = f"sqlite:///{tmp / 'projects.sqlite'}"
    reg = ProjectRegistry(url)
    seed_strategic_projects(reg)
    # one clearly labelled ILLUSTRATIVE project carrying the example business case, to show the appraisal fan
    import yaml

    case_file = Path(__file__).resolve().parents[1] / "src/crmsec/projects/examples/illustrative_refinery.yaml"
    reg.add({"code": "ILLUSTRATIVE-REFINERY", "name": "ILLUSTRATIVE example refinery (not a real project)",
             "countries": ["NLD"], "materials": ["nickel", "cobalt"], "stages": ["processing"],
             "status": "feasibility", "confidentiality": "restricted",
             "notes": "illustrative case from crmsec/projects/examples; not data"})
    reg.set_case("ILLUSTRATIVE-REFINERY", yaml.safe_load(case_file.read_text(encoding="utf-8")))
    reg.close()
    password = secrets.token_urlsafe(12)
    users = UserStore(rounds=4)
    users.add("analyst", password, "analyst")
    settings = Settings(store_path=args.store, projects_db_url=url, bcrypt_rounds=4)
    args.out.mkdir(parents=True, exist_ok=True)
    shots: list[Path] = []
    with serve_in_thread(create_app(settings, users=users)) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=ARGS)
        page = browser.new_page(base_url=base, viewport={"width": 1360, "height": 900}, locale="en-GB")
        page.set_default_timeout(60_000)

        def shot(name: str, path: str, wait: str | None = "div.chart[data-rendered=true]") -> None:
            page.goto(path)
            if wait:
                page.wait_for_selector(wait)
            page.wait_for_timeout(400)
            out = args.out / f"{name}.png"
            save(out)

        def save(out: Path) -> None:
            height = min(page.evaluate("document.documentElement.scrollHeight"), 2000)
            page.screenshot(path=str(out), full_page=True, clip={"x": 0, "y": 0, "width": 1360, "height": height})
            shots.append(out)

        shot("home", "/", wait=None)
        shot("criticality-matrix-eu", "/criticality?scope=eu&year=2023")
        shot("criticality-matrix-nl", "/criticality?scope=nl")
        shot("national-list", "/list")
        shot("factsheet-cobalt", "/materials/cobalt")
        shot("value-chain-magnets", "/chains?chain=magnets")
        shot("crma-tracker", "/crma")
        shot("projects-public", "/projects", wait=None)
        page.goto("/login?next=/")
        page.fill("#username", "analyst")
        page.fill("#password", password)
        page.click("#login-submit")
        page.wait_for_url("**/")
        page.goto("/scenarios")
        page.select_option("#scenario", "china_gallium_germanium_2023")
        page.click("#run-scenario")
        page.wait_for_selector("#run-chart[data-rendered=true]", timeout=120_000)
        page.wait_for_timeout(400)
        save(args.out / "scenario-runner.png")
        page.goto("/crisis")
        page.click("#run-allocation")
        page.wait_for_selector("#alloc-chart[data-rendered=true]", timeout=120_000)
        page.click("#run-stockpile")
        page.wait_for_selector("#stock-chart[data-rendered=true]", timeout=120_000)
        page.wait_for_timeout(400)
        save(args.out / "crisis-allocation-stockpile.png")
        page.goto("/projects/ILLUSTRATIVE-REFINERY")
        page.fill("#a_name", "floor 14,000")
        page.fill("#a_floor_strike", "14000")
        page.fill("#b_name", "CfD 15,000")
        page.fill("#b_cfd_strike", "15000")
        page.click("#run-appraisal")
        page.wait_for_selector("#appraisal-fan[data-rendered=true]", timeout=120_000)
        page.wait_for_timeout(400)
        save(args.out / "project-appraisal-fan.png")
        page.goto("/projects/SP-EU1-04")  # a seeded project: labelled archetype case
        page.fill("#a_name", "grant 10 M EUR")
        page.fill("#a_grant_meur", "10")
        page.click("#run-appraisal")
        page.wait_for_selector("#appraisal-fan[data-rendered=true]", timeout=120_000)
        page.wait_for_timeout(400)
        save(args.out / "project-appraisal-archetype.png")
        page.click("#switch-lang")
        page.wait_for_selector("html[lang=nl]")
        shot("criticality-matrix-nl-language", "/criticality?scope=eu&year=2023")
        shot("briefings-nl", "/briefings", wait=None)
        shot("national-list-nl", "/list")
        shot("factsheet-gallium-nl", "/materials/gallium")
        shot("crma-tracker-nl", "/crma")
        shot("value-chain-magnets-nl", "/chains?chain=magnets")
        shot("materials-nl", "/materials", wait=None)
        shot("api-docs", "/docs", wait=".opblock")
        browser.close()
    shutil.rmtree(tmp, ignore_errors=True)
    for s in shots:
        print(s)


if __name__ == "__main__":
    main()
