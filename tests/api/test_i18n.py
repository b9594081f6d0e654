"""Babel catalogs: every string of the web face and the briefings has a Dutch translation; the ``.po`` files
are the only committed form (compiled in memory), so nothing here depends on the Babel version's bytes."""

from __future__ import annotations

from crmsec.api import i18n_tools
from crmsec.api.i18n import pick_lang, translations


def test_every_message_has_a_dutch_translation():
    source = {m.id for m in i18n_tools.extract() if m.id}
    nl = i18n_tools.read("nl")
    translated = {m.id for m in nl if m.id and m.string and not m.fuzzy}
    missing = sorted(source - translated)
    assert not missing, f"untranslated (run python -m crmsec.api.i18n_tools and fill nl/messages.po): {missing}"


def test_no_compiled_catalog_is_committed():
    """A committed .mo would carry the writing Babel's version in its header and drift from its .po."""
    assert not list(i18n_tools.po_path("nl").parents[2].rglob("*.mo"))


def test_translation_and_language_choice():
    assert translations("nl").gettext("Criticality matrix") == "Kritikaliteitsmatrix"
    assert translations("en").gettext("Criticality matrix") == "Criticality matrix"
    assert pick_lang(cookie="nl", query=None, accept="en-US", default="en") == "nl"
    assert pick_lang(cookie="nl", query="en", accept=None, default="nl") == "en"
    assert pick_lang(cookie=None, query=None, accept="nl-NL,nl;q=0.9", default="en") == "nl"
    assert pick_lang(cookie="xx", query=None, accept=None, default="en") == "en"
