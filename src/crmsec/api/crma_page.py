"""What the CRMA tracker page adds to the benchmark engine (issue 15): the reference period in words and the
reasons of each row as short codes with a legend — in the reader's language (Babel catalogs).

The codes stand for the engine's reason ids (:mod:`crmsec.crma.benchmarks`); the full engine text stays in
each code's tooltip so nothing is hidden. An id without a code here is shown by its label (never dropped)."""

from __future__ import annotations

import re
from typing import Any

from crmsec.api.i18n import N_, translator
from crmsec.api.labels import humanise, label

#: engine reason id → (short code, legend text)
REASON_CODES: dict[str, tuple[str, str]] = {
    "no_eu_data_for_stage": ("E", N_("no EU data for this stage: the EU 2023 study gives neither import reliance "
                                     "nor an EU sourcing mix")),
    "ir_sourcing_mismatch": ("M", N_("1 − import reliance and the sum of the EU sourcing shares disagree; 1 − import "
                                     "reliance is shown (the sourcing mix ignores exports and lists suppliers ≥ 1 % "
                                     "only)")),
    "no_eol_rir": ("R", N_("no end-of-life recycling input rate in the data store")),
    "no_supply_data": ("S", N_("no EU sourcing mix and no global supply share for any stage")),
}
#: columns of the page table, in order (the engine's ``*_display`` text twins, ids and parents are left out)
COLUMNS = ("material", "extraction", "processing", "recycling_eol_rir_proxy", "diversification",
           "largest_third_country", "worst_stage", "meets_65pct_cap", "nl_processing", "reference_period", "reasons")
#: stage words of ``worst_stage`` that are not supply-chain stages elsewhere — marked for the Dutch catalog
WORST_STAGES = (N_("anode material"), N_("cathode material"), N_("cathode precursor (pCAM)"), N_("magnet"))
_ID = re.compile(r"^([a-z][a-z0-9]*(?:_[a-z0-9]+)+):")
_YEARS = re.compile(r"(\d{4})-(\d{2,4})")


def reason_codes(text: object, lang: str) -> list[dict[str, str]]:
    """The reasons of one row (engine text ``id: detail | id: detail``) as ``[{code, title}]``; ``title`` is the
    full reason in ``lang`` (tooltip)."""
    if not isinstance(text, str) or not text.strip():
        return []
    _ = translator(lang)
    out: dict[str, dict[str, str]] = {}
    for part in (p.strip() for p in text.split(" | ")):
        m = _ID.match(part)
        if not m:
            continue
        rid = m.group(1)
        code, legend = REASON_CODES.get(rid, (label(rid, lang), ""))
        if code not in out:  # one code per reason id, first detail kept
            out[code] = {"code": code, "title": _(legend) if legend else str(humanise(part, lang))}
    return list(out.values())


def legend(lang: str) -> list[dict[str, str]]:
    """Code, label and explanation of every reason code, in ``lang``."""
    _ = translator(lang)
    return [{"code": code, "text": _(text)} for code, text in REASON_CODES.values()]


def period_text(period: object, lang: str) -> str:
    """A reference period of the wide table (``2016-20``, ``2016-20, 2023``, ``no data (see reasons)``) in
    ``lang``: year ranges with an en dash, the no-data marker translated."""
    _ = translator(lang)
    text = str(period or "").strip()
    if not text or text.startswith("no data"):
        return _("no data (see the reason codes)")
    return _YEARS.sub(lambda m: f"{m.group(1)}–{m.group(2)}", text)


def eu_period(lang: str) -> str:
    """The EU reference period of the benchmark shares in words (``crmsec.crma.benchmarks.EU_PERIOD``)."""
    from crmsec.crma.benchmarks import EU_PERIOD

    _ = translator(lang)
    m = _YEARS.search(EU_PERIOD)
    if not m:
        return EU_PERIOD
    return _("{start}–{end} average (EU CRM 2023 study)").format(start=m.group(1), end=m.group(2))


def decorate(rows: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """Rows with ``reason_codes`` and a localised ``reference_period`` for the page."""
    def _flag(v: object) -> bool | None:
        return None if v is None or v != v else bool(v)  # NaN (no data) stays missing, never "not met"

    return [{**r, "reason_codes": reason_codes(r.get("reasons"), lang),
             "reference_period": period_text(r.get("reference_period"), lang),
             "meets_65pct_cap": _flag(r.get("meets_65pct_cap"))} for r in rows]
