"""Issue 15 (remaining gaps): English *data* text — scenario names and descriptions, chain nodes, end-uses,
ledger statuses — must not reach the Dutch pages and briefings; the Dutch form must."""

from __future__ import annotations

import html

import pytest

from crmsec.scenarios.spec import builtin_scenarios, get_scenario, parse_scenario


def test_every_builtin_scenario_has_a_dutch_name_and_description():
    for s in builtin_scenarios():
        assert s.name_nl and s.description_nl, s.id
        assert s.name_nl != s.name and s.description_nl != s.description, s.id
        assert s.text("nl") == (s.name_nl, s.description_nl) and s.text("en") == (s.name, s.description)


def test_an_uploaded_scenario_without_dutch_text_falls_back_to_english():
    data = get_scenario("hormuz_closure").model_dump(mode="json", exclude={"name_nl", "description_nl"})
    s = parse_scenario(data)
    assert s.text("nl") == (s.name, s.description)


def test_dutch_scenarios_page_shows_dutch_names_and_descriptions_only(client):
    hormuz = get_scenario("hormuz_closure")
    page = html.unescape(client.get("/scenarios?lang=nl").text)
    assert hormuz.name_nl in page and hormuz.description_nl.split(".")[0] in page
    assert hormuz.description.split(".")[0] not in page and hormuz.name not in page
    en = html.unescape(client.get("/scenarios?lang=en").text)
    assert hormuz.description.split(".")[0] in en and hormuz.description_nl.split(".")[0] not in en
    for s in builtin_scenarios():
        assert s.name not in page, s.id


@pytest.mark.parametrize("path", ["/briefings", "/materials/gallium"])
def test_dutch_briefings_and_factsheet_pages_name_scenarios_in_dutch(client, path):
    page = html.unescape(client.get(path + "?lang=nl").text)
    for s in builtin_scenarios():
        assert s.name not in page, (path, s.id)
    if path == "/materials/gallium":
        assert get_scenario("china_gallium_germanium_2023").name_nl in page


def test_dutch_scenario_briefing_has_the_dutch_title_and_narrative(store):
    from crmsec.reports.briefing import scenario_briefing

    h = get_scenario("hormuz_closure")
    nl = scenario_briefing(store, "hormuz_closure", "nl")
    assert h.name_nl in nl.title and nl.summary == h.description_nl and h.name not in nl.title
    en = scenario_briefing(store, "hormuz_closure", "en")
    assert h.name in en.title and en.summary == h.description
