"""Maintain the Babel catalogs: extract messages, merge them into the ``.po`` files.

``python -m crmsec.api.i18n_tools`` updates ``locales/{en,nl}/LC_MESSAGES/messages.po`` from the sources
(Python ``_()``/``N_()`` calls and Jinja templates of :mod:`crmsec.api` and :mod:`crmsec.reports`). Only the
``.po`` files are committed; :func:`crmsec.api.i18n.translations` compiles them in memory.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from crmsec.api.i18n import DOMAIN, LOCALE_DIR

PKG = Path(__file__).resolve().parents[1]
SOURCES = [PKG / "api", PKG / "reports"]
METHOD_MAP = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
KEYWORDS = {"_": None, "gettext": None, "N_": None}


def extract() -> Catalog:
    """All translatable strings of the web face and the briefings."""
    cat = Catalog(project="crmsec", domain=DOMAIN)
    for src in SOURCES:
        for filename, lineno, message, _comments, _ctx in extract_from_dir(
            str(src), METHOD_MAP, OPTIONS, keywords=KEYWORDS
        ):
            if isinstance(message, str) and message.strip():
                cat.add(message, locations=[(str(Path(src.name) / filename), lineno)])
    return cat


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def read(lang: str) -> Catalog:
    path = po_path(lang)
    if not path.exists():
        return Catalog(locale=lang, domain=DOMAIN, project="crmsec")
    with path.open("rb") as fh:
        return read_po(fh, locale=lang, domain=DOMAIN)



def update(langs: tuple[str, ...] = ("en", "nl")) -> None:
    template = extract()
    for lang in langs:
        cat = read(lang)
        cat.update(template, no_fuzzy_matching=True)
        path = po_path(lang)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            write_po(fh, cat, width=110, omit_header=False, sort_output=True, ignore_obsolete=True)


if __name__ == "__main__":
    update()
