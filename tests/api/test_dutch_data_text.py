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
        assert len(s.assumptions_nl) == len(s.assumptions) and s.notes("en") == s.assumptions, s.id
        assert not any(" --" in t for t in s.text("en") + s.text("nl")), s.id  # descriptions show on pages: no CLI flags


def test_dutch_assumptions_must_match_the_english_ones_one_to_one():
    from crmsec.errors import InputError

    data = get_scenario("hormuz_closure").model_dump(mode="json")
    data["assumptions_nl"] = data["assumptions_nl"][:1]
    with pytest.raises(InputError, match="assumptions_nl"):
        parse_scenario(data)


def test_base_rate_basis_reads_in_dutch_with_dutch_numbers():
    from crmsec.api.labels import basis_text

    en = get_scenario("china_gallium_germanium_2023").probability_basis
    nl = basis_text(en, "nl")
    assert nl.startswith("basisfrequentie: ") and "1 januari 2019" in nl and "0,28 per jaar" in nl
    assert basis_text(en, "en") == en and basis_text("free text", "nl") == "free text"


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
    notes = " ".join(nl.notes)
    assert h.assumptions_nl[0] in notes and h.assumptions[0] not in notes and h.probability_basis_nl in notes
    en = scenario_briefing(store, "hormuz_closure", "en")
    assert h.name in en.title and en.summary == h.description


def test_dutch_rare_earth_briefing_has_no_catalog_header_or_english_reason_ids(store):
    from crmsec.reports.briefing import scenario_briefing, to_html

    page = to_html(scenario_briefing(store, "china_rare_earths_2025", "nl"))
    assert "Project-Id-Version" not in page  # gettext("") of a blank stage once printed the catalog header
    for english in ("no mix", "mix renormalised", "world production proxy", "no stage data"):
        assert english not in page, english


@pytest.mark.parametrize(("status", "nl", "en"), [
    ("in force", "van kracht", "in force"),
    ("ended 2025-10-15", "beëindigd op 15 oktober 2025", "ended on 15 October 2025"),
    ("suspended until 2026-11-10", "opgeschort tot 10 november 2026", "suspended until 10 November 2026"),
    ("suspension lapsed 2026-11-10: in force unless extended (not verified: ledger sources to 2026-06-17, no later "
     "source found on 2026-12-05)", "opschorting verlopen op 10 november 2026: van kracht tenzij verlengd (niet "
     "geverifieerd: bronnen van het register tot 17 juni 2026, geen latere bron gevonden op 5 december 2026)", None),
    ("something new", "something new", "something new"),
])
def test_ledger_status_sentences_are_localised_with_dates(status, nl, en):
    from crmsec.api.factsheet_extra import status_text

    assert status_text(status, "nl") == nl
    if en is not None:
        assert status_text(status, "en") == en


def test_ledger_group_entries_hit_members_only_when_they_do_not_enumerate_them():
    from crmsec.api.factsheet_extra import _hits, reference_text

    parents = {"holmium": "hree", "dysprosium": "hree", "hree": "rare_earths", "neodymium": "lree",
               "lree": "rare_earths"}
    assert _hits({"gallium"}, "gallium", parents) == "direct"
    assert _hits({"rare_earths", "hree", "lree"}, "neodymium", parents) == "lree"
    assert _hits({"dysprosium", "hree"}, "holmium", parents) is None  # the entry lists its members: not holmium
    assert _hits({"rare_earths"}, "holmium", parents) == "rare_earths"
    assert reference_text("MOFCOM/GACC Announcement No. 58 of 2025 (lithium-battery materials)", "X", "nl") == \
        "MOFCOM/GACC-bekendmaking nr. 58 van 2025"
    assert reference_text("annual quota (RKAB) for nickel ore", "ID-2026-Ni-RKAB", "nl") == "ID-2026-Ni-RKAB"


def test_crma_reasons_become_short_codes_with_a_legend():
    from crmsec.api import crma_page

    codes = crma_page.reason_codes("no_eu_data_for_stage: at extraction for gallium | no_eol_rir: none | "
                                   "no_eu_data_for_stage: at processing", "nl")
    assert [c["code"] for c in codes] == ["E", "R"] and "geen EU-gegevens" in codes[0]["title"]
    legend = {entry["code"] for entry in crma_page.legend("en")}
    assert {"E", "M", "R", "S"} == legend
    assert crma_page.period_text("2016-20, 2023", "nl") == "2016–20, 2023"
    assert crma_page.period_text("no data (see reasons)", "nl") == "geen gegevens (zie de redencodes)"
    assert "2016–2020" in crma_page.eu_period("nl")


def test_every_builtin_chain_node_other_than_a_sector_has_a_dutch_label():
    from crmsec.chains.model import chains

    for c in chains().values():
        assert c.name_nl and c.description_nl, c.id
        missing = [n.id for n in c.nodes if n.type != "sector" and not n.label_nl]
        assert not missing, (c.id, missing)


def test_every_end_use_application_of_the_store_has_a_dutch_name(store):
    from crmsec.api.factsheet_extra import application_names_nl, end_uses

    apps = set(store.execute("SELECT DISTINCT application FROM end_use").df()["application"])
    assert apps and not apps - set(application_names_nl())
    nl = end_uses(store, "gallium", "nl")
    assert "Geïntegreerde schakelingen" in {r["application"] for r in nl}
    assert "Integrated circuits" in {r["application"] for r in end_uses(store, "gallium", "en")}
