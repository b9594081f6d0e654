"""Babel catalogs: every string of the web face and the briefings has a Dutch translation, and the committed
``.mo`` files are exactly what the ``.po`` files compile to (so a fresh clone needs no build step)."""

from __future__ import annotations

import pytest

from crmsec.api import i18n_tools
from crmsec.api.i18n import pick_lang, translations


def test_every_message_has_a_dutch_translation():
    source = {m.id for m in i18n_tools.extract() if m.id}
    nl = i18n_tools.read("nl")
    translated = {m.id for m in nl if m.id and m.string and not m.fuzzy}
    missing = sorted(source - translated)
    assert not missing, f"untranslated (run python -m crmsec.api.i18n_tools and fill nl/messages.po): {missing}"


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_committed_mo_matches_po(lang):
    mo = i18n_tools.po_path(lang).with_suffix(".mo").read_bytes()
    assert mo == i18n_tools.compile_mo(i18n_tools.read(lang)), "recompile: python -m crmsec.api.i18n_tools"


def test_translation_and_language_choice():
    assert translations("nl").gettext("Criticality matrix") == "Kritikaliteitsmatrix"
    assert translations("en").gettext("Criticality matrix") == "Criticality matrix"
    assert pick_lang(cookie="nl", query=None, accept="en-US", default="en") == "nl"
    assert pick_lang(cookie="nl", query="en", accept=None, default="nl") == "en"
    assert pick_lang(cookie=None, query=None, accept="nl-NL,nl;q=0.9", default="en") == "nl"
    assert pick_lang(cookie="xx", query=None, accept=None, default="en") == "en"
