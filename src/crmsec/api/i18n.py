"""Dutch and English texts via Babel catalogs (``locales/<lang>/LC_MESSAGES/messages.po``).

Source strings are English; ``nl`` translates them. The ``.po`` files are the only committed form: each is
compiled in memory at first use (a few ms), so no binary ``.mo`` can drift from its source or from the Babel
version that wrote it, and a fresh clone needs no build step. Pages receive ``_`` bound to the user's
language (cookie ``crmsec_lang``); the reports use :func:`translator` directly.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent
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


# --- numbers and dates in the reader's locale (Babel; one implementation for pages and briefings) ---------
def _finite(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def format_number(value: Any, digits: int = 2, lang: str = "en") -> str:
    """A number in the reader's locale (Babel): nl ``12.100``/``0,34``, en ``12,100``/``0.34``; never
    scientific notation; integers without decimals; missing → "–"."""
    if isinstance(value, str):
        return value
    v = _finite(value)
    if v is None:
        return "–"
    locale = lang
    if isinstance(value, int) or abs(v) >= 1e4 or (v.is_integer() and abs(v) >= 100):
        return format_decimal(round(v), "#,##0", locale=locale)
    if v != 0 and abs(v) < 10 ** -digits:  # small values keep two significant digits instead of 0.00
        digits = min(8, digits + int(-math.floor(math.log10(abs(v)))) - 1)
    return format_decimal(v, "#,##0." + "0" * digits, locale=locale)


def format_share(value: Any, digits: int = 1, lang: str = "en") -> str:
    """A share in [0, 1] as a percentage in the reader's locale (nl ``34,0 %``); missing → "–"."""
    v = _finite(value)
    if v is None:
        return "–"
    return format_percent(v, "#,##0." + "0" * digits + "\u00a0%", locale=lang)


def format_day(value: Any, lang: str = "en") -> str:
    """A date (or ISO string) as ``5 december 2026`` / ``5 December 2026``."""
    if value is None:
        return "–"
    try:
        d = date.fromisoformat(str(value)[:10]) if not isinstance(value, date) else value
    except ValueError:
        return str(value)
    return format_date(d, "d MMMM y", locale=lang)



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
