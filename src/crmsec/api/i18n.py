"""Dutch and English texts via Babel catalogs (``locales/<lang>/LC_MESSAGES/messages.po``).

Source strings are English; ``nl`` translates them. The ``.po`` files are the only committed form: each is
compiled in memory at first use (a few ms), so no binary ``.mo`` can drift from its source or from the Babel
version that wrote it, and a fresh clone needs no build step. Pages receive ``_`` bound to the user's
language (cookie ``crmsec_lang``); the reports use :func:`translator` directly.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from crmsec.api.config import LANGS

LOCALE_DIR = Path(__file__).parent / "locales"
DOMAIN = "messages"


@lru_cache
def translations(lang: str) -> NullTranslations:
    """The catalog of ``lang``, compiled from its ``.po`` file (English falls back to the source strings)."""
    if lang not in LANGS:
        lang = "en"
    path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.exists():
        return NullTranslations()
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=lang, domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return Translations(fp=buf, domain=DOMAIN)


def translator(lang: str) -> Callable[[str], str]:
    """``gettext`` bound to ``lang``."""
    return translations(lang).gettext


def pick_lang(cookie: str | None, query: str | None, accept: str | None, default: str) -> str:
    """Language of a request: ``?lang=`` beats the cookie, the cookie beats ``Accept-Language``."""
    for cand in (query, cookie):
        if cand in LANGS:
            return cand
    if accept:
        for part in accept.split(","):
            code = part.split(";")[0].strip().lower()[:2]
            if code in LANGS:
                return code
    return default


def N_(text: str) -> str:  # noqa: N802 - conventional name for "mark for extraction only"
    """Mark a string for extraction without translating it now."""
    return text


#: words that reach templates as data (stages, roles, changes) — marked here so the catalogs carry them
DYNAMIC = (
    N_("extraction"), N_("processing"), N_("refining"), N_("recycling"), N_("manufacturing"),
    N_("Extraction"), N_("Processing"), N_("Refining"), N_("Recycling"), N_("Manufacturing"),
    N_("public"), N_("analyst"), N_("admin"), N_("entered"), N_("left"), N_("stayed"), N_("moved"),
    N_("queued"), N_("running"), N_("done"), N_("failed"), N_("unknown"), N_("substitution"),
    N_("recognised"), N_("exploration"), N_("feasibility"), N_("permitting"), N_("financing"),
    N_("construction"), N_("operating"), N_("suspended"), N_("cancelled"), N_("diversification"),
)
