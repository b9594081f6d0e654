"""Dashboard end-to-end in headless Chromium (issue 8 checks)."""

from __future__ import annotations

import io

import pytest
from e2ehelp import RESTRICTED_CODE, RESTRICTED_NAME, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_matrix_renders_one_point_per_material(page):
    api = page.request.get("/api/v1/criticality?scope=eu&year=2023").json()
    expected = sum(1 for r in api["data"] if r["sr"] is not None and r["ei"] is not None)
    assert expected > 30
    page.goto("/criticality?scope=eu&year=2023")
    page.wait_for_selector("#matrix[data-rendered=true]")
    points = page.locator("#matrix .scatterlayer .trace .points path").count()
    assert points == expected
    assert page.locator("#matrix-count").get_attribute("data-points") == str(expected)
    # the threshold lines are drawn (two dashed shapes)
    assert page.locator("#matrix .layer-above .shapelayer path, #matrix .layer-below .shapelayer path").count() >= 2


def test_switching_to_dutch_changes_the_labels(page):
    page.goto("/criticality")
    assert page.locator("h1").inner_text() == "Criticality matrix"
    page.click("#switch-lang")
    page.wait_for_selector("html[lang=nl]")
    assert page.locator("h1").inner_text() == "Kritikaliteitsmatrix"
    assert "Nationale lijst" in page.locator("nav").inner_text()
    page.wait_for_selector("#matrix[data-rendered=true]")
    assert "Economisch belang (EI)" in page.locator("#matrix .xtitle").text_content()
    page.goto("/materials")  # the choice sticks (cookie)
    assert page.locator("h1").inner_text() == "Grondstoffen"


def test_scenario_run_from_the_page_finishes_with_its_chart(page):
    sign_in(page)
    page.goto("/scenarios")
    page.select_option("#scenario", "china_gallium_germanium_2023")
    page.click("#run-scenario")
    page.wait_for_selector("#run-chart[data-rendered=true]", timeout=90_000)
    assert page.locator("#run-progress").evaluate("e => e.value") == 1
    assert page.locator("#run-chart .scatterlayer .trace").count() >= 1
    assert page.locator("#run-table table tbody tr").count() >= 1


def test_public_user_cannot_see_a_confidential_project(page):
    page.goto("/projects")
    body = page.locator("main").inner_text()
    assert "E2E public refinery" in body and RESTRICTED_NAME not in body
    assert page.request.get(f"/api/v1/projects/{RESTRICTED_CODE}").status == 404
    codes = {r["code"] for r in page.request.get("/api/v1/projects").json()["data"]}
    assert RESTRICTED_CODE not in codes and "NL-E2E-PUBLIC" in codes
    assert page.goto(f"/projects/{RESTRICTED_CODE}").status == 404
    sign_in(page)  # the same browser, signed in as analyst, does see it: the test can fail
    page.goto("/projects")
    assert RESTRICTED_NAME in page.locator("main").inner_text()


def test_pdf_briefing_downloads_with_more_than_one_page(page):
    import pypdf

    page.goto("/briefings")
    with page.expect_download() as info:
        page.click("#brief-list-pdf")
    download = info.value
    assert download.suggested_filename.endswith(".pdf")
    data = open(download.path(), "rb").read()
    pdf = pypdf.PdfReader(io.BytesIO(data))
    assert len(pdf.pages) > 1
    assert "National list" in pdf.pages[0].extract_text()


A11Y_CHECK = """() => {
  const problems = [];
  if (!document.documentElement.lang) problems.push('no lang attribute');
  for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
    const labelled = (el.id && document.querySelector('label[for="' + el.id + '"]')) || el.closest('label')
      || el.getAttribute('aria-label');
    if (!labelled) problems.push('unlabelled ' + el.tagName + ' ' + (el.name || el.id));
  }
  for (const el of document.querySelectorAll('div.chart')) {
    if (!el.getAttribute('aria-label')) problems.push('chart without aria-label ' + el.id);
  }
  if (document.querySelectorAll('h1').length !== 1) problems.push('not exactly one h1');
  return problems;
}"""


def test_accessibility_basics(page):
    from e2ehelp import sign_in as _sign_in

    pages = ["/", "/criticality", "/list", "/materials/cobalt", "/chains", "/crma", "/projects", "/briefings",
             "/login"]
    for path in pages:
        page.goto(path)
        assert page.evaluate(A11Y_CHECK) == [], path
    page.goto("/criticality")
    page.keyboard.press("Tab")  # the first Tab stop is the skip link, visible when focused
    assert page.evaluate("document.activeElement.className") == "skip"
    _sign_in(page)
    for path in ("/scenarios", "/crisis", "/projects/NL-E2E-PUBLIC"):
        page.goto(path)
        assert page.evaluate(A11Y_CHECK) == [], path


def test_year_slider_and_eu_nl_toggle(page):
    page.goto("/criticality?scope=eu&year=2023")
    page.focus("#year")
    page.keyboard.press("ArrowLeft")  # one assessment step back: 2020
    assert page.locator("#year-out").inner_text() == "2020"
    page.click("form.controls button[type=submit]")
    page.wait_for_url("**year=2020**")
    page.wait_for_selector("#matrix[data-rendered=true]")
    api = page.request.get("/api/v1/criticality?scope=eu&year=2020").json()
    expected = sum(1 for r in api["data"] if r["sr"] is not None and r["ei"] is not None)
    assert page.locator("#matrix .scatterlayer .trace .points path").count() == expected
    assert "2020" in page.locator("#matrix .gtitle").text_content()
    page.check("input[name=scope][value=nl]")  # the toggle submits by itself
    page.wait_for_url("**scope=nl**")
    page.wait_for_selector("#matrix[data-rendered=true]")
    # first trace = materials on the national list
    assert page.locator("#matrix .scatterlayer .trace").first.locator(".points path").count() == 17
