"""Club briefing (``crmsec brief club``): headline cards per package in Dutch and English, HTML/PDF/XLSX."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from typer.testing import CliRunner

from crmsec.cli import app
from crmsec.errors import InputError
from crmsec.reports.briefing import to_html, to_xlsx
from crmsec.reports.club_briefing import PACKAGE_LABELS, club_briefing


def _sp(text: str) -> str:
    return text.replace("\xa0", " ").replace("\u202f", " ")  # Babel's non-breaking spaces in "2.25 %"


@pytest.fixture(scope="module")
def briefs():
    return {lang: club_briefing("ndpr_oxide", lang, paths=200) for lang in ("en", "nl")}


def test_cards_per_package_with_money_basis_and_bound_label(briefs):
    en, nl = briefs["en"], briefs["nl"]
    groups = [g for g, _ in en.card_groups]
    assert groups == [PACKAGE_LABELS[p] for p in ("floor_110_mp", "floor_110_club", "standards_20", "subsidy_30",
                                                  "offtake_90", "joint_purchasing", "national_tenders")]
    for _g, cards in en.card_groups:
        keys = [_sp(k) for k, _v in cards]
        assert keys[0].startswith("fiscal cost, mean / P95 (million EUR, present value at 2.25 % real")
        assert "Dutch share of the burden" in keys[1] and "proxy" in keys[1]
        assert keys[2] == "induced capacity (t/yr)"
        assert "neither an upper nor a lower bound" in keys[3]
    assert ("money basis", "million EUR, present value at 2.25 % real, at 0.885 EUR/USD") in [(_sp(k), _sp(v)) for k, v in en.facts]
    # the same cards in Dutch, Dutch number format
    for _g, cards in nl.card_groups:
        keys = [_sp(k) for k, _v in cards]
        assert keys[0].startswith("begrotingskosten, gemiddelde / P95 (mln EUR, contante waarde tegen 2,25 % reëel")
        assert "geen boven- en geen ondergrens" in keys[3]
    assert ("grondslag bedragen", "mln EUR, contante waarde tegen 2,25 % reëel, bij 0,885 EUR/USD") in [(_sp(k), _sp(v)) for k, v in nl.facts]
    assert nl.card_groups[0][0] == "Amerikaanse minimumprijs 110 USD/kg voor MP Materials (DoD-deal)"


def test_card_values_are_the_engine_results(briefs):
    en = briefs["en"]
    s = en.tables["summary"].set_index("package")
    cards = dict(en.card_groups[1][1])  # club-wide floor
    mean, p95 = (float(x.replace(",", "")) for x in cards[next(k for k in cards if k.startswith("fiscal"))].split(" / "))
    assert mean == pytest.approx(round(s.loc["floor_110_club", "fiscal_cost_mean_meur"]))
    assert p95 == pytest.approx(round(s.loc["floor_110_club", "fiscal_cost_p95_meur"]))
    assert cards["induced capacity (t/yr)"] == f"{round(s.loc['floor_110_club', 'induced_capacity_t']):,}"


def test_html_and_xlsx_in_both_languages(briefs):
    html_en, html_nl = to_html(briefs["en"]), to_html(briefs["nl"])
    assert "Packages side by side" in html_en and "Existing non-Chinese capacity (2025, sourced)" in html_en
    assert "Pakketten naast elkaar" in html_nl and "Bestaande niet-Chinese capaciteit (2025, met bron)" in html_nl
    for english in ("Packages side by side", "induced capacity", "fiscal cost", "neither an upper"):
        assert english not in html_nl
    book = pd.read_excel(io.BytesIO(to_xlsx(briefs["nl"])), sheet_name=None)
    assert {"summary", "by_year", "projects", "assumptions", "existing_capacity", "sources"} <= set(book)


def test_bad_input_is_a_clear_error():
    with pytest.raises(InputError, match="paths"):
        club_briefing("ndpr_oxide", "en", paths=10**6)
    with pytest.raises(InputError, match="lang"):
        club_briefing("ndpr_oxide", "de", paths=10)


def test_cli_brief_club_writes_the_files(tmp_path):
    res = CliRunner().invoke(app, ["brief", "club", "ndpr_oxide", "--lang", "nl", "--paths", "100",
                                   "--format", "all", "--output", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"briefing-club-ndpr_oxide-nl.{x}" for x in
                                                          ("html", "pdf", "xlsx")]
    assert "Clubmarkt" in (tmp_path / "briefing-club-ndpr_oxide-nl.html").read_text(encoding="utf-8")
