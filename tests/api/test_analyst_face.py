"""Issue 15: localised numbers, human labels, appraisal from the page, offline API docs."""

from __future__ import annotations

import io

import pytest
from apihelp import RESTRICTED_CODE, csrf_of, login

from crmsec.api.labels import label
from crmsec.api.web import fmt_date, fmt_num, fmt_pct


@pytest.mark.parametrize(("value", "lang", "digits", "expected"), [
    (12100.0, "nl", 2, "12.100"), (12100.0, "en", 2, "12,100"), (0.341, "nl", 3, "0,341"),
    (0.341, "en", 3, "0.341"), (48980.4, "en", 2, "48,980"), (855600.0, "nl", 2, "855.600"),
    (11, "nl", 2, "11"), (float("nan"), "nl", 2, "–"), (None, "en", 2, "–"), (0.0004, "en", 2, "0.00040"),
])
def test_numbers_follow_the_locale_and_never_show_nan_or_exponents(value, lang, digits, expected):
    assert fmt_num(value, digits, lang=lang) == expected


def test_percent_and_date_follow_the_locale():
    assert fmt_pct(0.34, lang="nl") == "34,0\u00a0%" and fmt_pct(0.34, lang="en") == "34.0\u00a0%"
    assert fmt_pct(float("nan"), lang="nl") == "–"
    assert fmt_date("2026-12-05", lang="nl") == "5 december 2026"
    assert fmt_date("2026-12-05", lang="en") == "5 December 2026"


def test_ids_get_human_labels_in_both_languages():
    assert label("e_npv", "en") == "Expected equity NPV (M EUR)"
    assert label("licensing_delay", "nl") != "licensing_delay" and "_" not in label("grid_and_water", "en")
    assert label("some_new_key", "en") == "some new key"


def test_docs_are_served_from_the_package(client):
    page = client.get("/docs").text
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in page and "cdn" not in page.lower()
    assert "<script>" not in page  # the CSP allows no inline script
    assert client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200
    assert client.get("/static/vendor/swagger-ui/init.js").status_code == 200


def test_appraisal_from_the_page_with_floor_and_cfd(client):
    login(client, "ana")
    page = client.get(f"/projects/{RESTRICTED_CODE}").text
    assert "archetype-note" in page and 'name="a_floor_strike"' in page and 'name="b_cfd_strike"' in page
    token = csrf_of(client)
    form = {"csrf_token": token, "n_paths": "400", "a_name": "floor", "a_floor_strike": "400000",
            "b_name": "cfd", "b_cfd_strike": "500000", "b_cfd_years": "10"}
    r = client.post(f"/projects/{RESTRICTED_CODE}/appraise", data=form)
    assert r.status_code == 200, r.text
    assert 'id="appraisal-summary"' in r.text and "Public cost, mean (M EUR)" in r.text
    assert "no instrument" in r.text and ">floor<" in r.text and ">cfd<" in r.text
    assert "Additionality" in r.text and "appraisal-cost" in r.text and "NaN" not in r.text
    r = client.post(f"/projects/{RESTRICTED_CODE}/appraise", data={**form, "fmt": "xlsx"})
    assert r.status_code == 200 and r.content[:2] == b"PK"
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    assert wb["summary"].max_row == 4  # none, floor, cfd
    r = client.post(f"/projects/{RESTRICTED_CODE}/appraise", data={**form, "a_floor_strike": "abc"})
    assert r.status_code == 422 and "is not a number" in r.text and "Traceback" not in r.text
    r = client.get(f"/projects/{RESTRICTED_CODE}/case.yaml")
    assert r.status_code == 200 and "archetype" in r.text


def test_anonymous_pages_are_cached_per_vintage_without_sharing_csrf_tokens(app):
    from fastapi.testclient import TestClient

    from crmsec.api.pagecache import PLACEHOLDER

    one, two = TestClient(app, base_url="https://testserver"), TestClient(app, base_url="https://testserver")
    a, b = one.get("/materials"), two.get("/materials")
    assert a.status_code == b.status_code == 200 and PLACEHOLDER not in a.text
    tok_a, tok_b = one.cookies.get("crmsec_csrf"), two.cookies.get("crmsec_csrf")
    assert tok_a != tok_b and tok_a in a.text and tok_b in b.text and tok_a not in b.text
    assert len(app.state.page_cache.pages) == 1
    assert one.get("/materials?lang=nl").status_code == 200 and len(app.state.page_cache.pages) == 2
    # a registry write changes the key of the project pages
    one.get("/projects")
    n = len(app.state.page_cache.pages)
    from crmsec.api.deps import get_projects

    app.dependency_overrides[get_projects]().update("NL-PUBLIC-1", {"status": "construction"}, actor="test")
    one.get("/projects")
    assert len(app.state.page_cache.pages) == n + 1
    # signed-in pages are never cached
    login(one, "ana")
    one.get("/materials")
    assert len(app.state.page_cache.pages) == n + 1


def test_api_and_page_cache_serves_anonymous_readers_only(mini_store_path, projects_url, test_users, tmp_path):
    import shutil

    from fastapi.testclient import TestClient

    from crmsec.api import Settings, create_app
    from crmsec.api.apicache import PLACEHOLDER, ApiCache

    store = tmp_path / "store.duckdb"
    shutil.copy(mini_store_path, store)
    settings = Settings(secret_key="test-secret-key-0123456789", bcrypt_rounds=4, cookie_secure=True,
                        store_path=store, projects_db_url=projects_url)
    app = create_app(settings, users=test_users)
    with TestClient(app, base_url="https://testserver") as one, TestClient(app, base_url="https://testserver") as two:
        cache = next(m for m in _middleware(app) if isinstance(m, ApiCache))
        first = one.get("/api/v1/materials")
        assert first.status_code == 200 and len(cache.entries) == 1
        assert two.get("/api/v1/materials").content == first.content and len(cache.entries) == 1
        a, b = one.get("/materials"), two.get("/materials")
        tok_a, tok_b = one.cookies.get("crmsec_csrf"), two.cookies.get("crmsec_csrf")
        assert tok_a in a.text and tok_b in b.text and tok_a not in b.text
        assert PLACEHOLDER.decode() not in b.text and len(cache.entries) == 2
        # a signed-in reader is never served from (or stored in) the cache
        login(one, "ana")
        one.get("/api/v1/projects")
        assert len(cache.entries) == 2
        # a rebuilt store (new mtime) is a new vintage
        import os

        st = os.stat(store)
        os.utime(store, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
        two.get("/api/v1/materials")
        assert len(cache.entries) == 3


def _middleware(app):
    app.middleware_stack = app.middleware_stack or app.build_middleware_stack()
    node = app.middleware_stack
    while node is not None:
        yield node
        node = getattr(node, "app", None)


def test_error_pages_are_friendly_and_material_ids_case_insensitive(client):
    html = {"accept": "text/html"}
    r = client.get("/materials/Gallium", headers=html, follow_redirects=False)
    assert r.status_code == 308 and r.headers["location"] == "/materials/gallium"
    r = client.get("/materials/nosuchthing", headers=html)
    assert r.status_code == 404 and "nosuchthing" in r.text and "/api/v1" not in r.text
    r = client.get("/materials/bad-id!", headers=html)
    assert r.status_code in (404, 422) and "pattern" not in r.text and "^[" not in r.text
    r = client.get("/criticality?year=abc", headers=html)
    assert r.status_code == 422 and "Year" in r.text and "int_parsing" not in r.text and "valid integer" not in r.text
    r = client.get("/criticality?year=abc&lang=nl", headers=html)
    assert "Jaar" in r.text
    # API clients keep the precise JSON detail
    r = client.get("/api/v1/materials/nosuchthing")
    assert r.status_code == 404 and "nosuchthing" in r.json()["detail"]


def test_three_dutch_pdf_briefings_have_no_nan_exponents_or_raw_ids(store):
    import re

    import pypdf

    from crmsec.reports.briefing import list_briefing, material_briefing, scenario_briefing, to_pdf

    allowed = {"chokepoint_facts", "cbs_nl_value_added"}  # source/file names cited as such
    for b in (scenario_briefing(store, "hormuz_closure", "nl"), material_briefing(store, "cobalt", "nl"),
              list_briefing(store, None, "nl")):
        text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(to_pdf(b))).pages)
        assert "NaN" not in text and "Project-Id-Version" not in text
        assert not re.search(r"\d[.,]?\d*e[+-]\d", text), b.kind
        ids = set(re.findall(r"\b[a-z]+(?:_[a-z0-9]+)+\b", text)) - allowed
        assert not ids, (b.kind, sorted(ids)[:10])


def test_unknown_briefing_material_gets_an_error_page_not_json(client):
    r = client.get("/briefings/material?material_id=Unobtainium&fmt=pdf", headers={"accept": "text/html"})
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html") and "unobtainium" in r.text
    r = client.get("/briefings/material?material_id=Gallium&fmt=pdf", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/api/v1/briefings/material/gallium.pdf")
