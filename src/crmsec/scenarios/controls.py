"""Export-control ledger → status as of a date, base-rate probabilities and scenarios (pure core + small I/O).

The ledger (``data/raw/export_controls/export_control_ledger.csv``, store table ``export_controls``) lists
measures with dates announced / effective / suspended / ended. This module

* computes each measure's **status as of a date** (:func:`ledger_status`): announced, in force, suspended
  (until …), ended; default date today; dates after the ledger's knowledge date are marked "not verified";
* derives an **annual probability of a new measure** for an issuer and a set of materials from the ledger's
  history (:func:`base_rate`), so the scenario library carries no hand-typed probabilities:

      events  = number of distinct announcement dates of the issuer's measures touching the materials
                (suspensions excluded; one package announced on one day counts once)
      λ       = (events + ½) / years of the observation window        [1/yr]  (Jeffreys-prior Poisson rate [1])
      P(≥ 1 new measure within a year) = 1 − exp(−λ)

  The window runs from ``WINDOW_START`` (2019-01-01, start of the ledger's coverage: Indonesia's ore-ban
  regulation of 2019; China's Export Control Law took effect on 1 Dec 2020 and its first CRM measure in the ledger
  is of July 2023, so 2019–2022 count as years without a Chinese CRM measure) to the status date.
  The method and its inputs travel with every result (``probability_basis``).
* turns a ledger entry into a :class:`~crmsec.scenarios.spec.Scenario` (:func:`scenario_from_measure`) with
  the default depth/duration of :data:`CLASS_DEFAULTS` (labelled design assumptions [D]).

References
----------
[1] Jeffreys prior for a Poisson rate: posterior mean (n + ½)/T — e.g. Gelman et al. (2013), Bayesian Data
    Analysis, 3rd ed., §2.6. [2] Ledger sources: data/raw/export_controls/PROVENANCE.md.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date
from functools import lru_cache

import pandas as pd

from crmsec.errors import InputError

KNOWLEDGE_DATE = date(2026, 6, 17)  # the ledger's compilation date (mirror commit), PROVENANCE.md
# last public-source check of the statuses (PROVENANCE.md "Status check"): no source found on what followed the
# end of the suspensions on 2026-11-10 (No. 70/2025) and 2026-11-27 (No. 72/2025)
LAST_CHECKED = date(2026, 12, 5)
WINDOW_START = date(2019, 1, 1)
# default scenario parameters per measure class (design assumptions [D]; shown in every generated scenario)
CLASS_DEFAULTS: dict[str, dict[str, object]] = {
    "licensing": {"measure": "licensing_delay", "depth": [0.3, 0.8], "duration_days": [90, 365]},
    "ban": {"measure": "ban", "depth": [0.8, 1.0], "duration_days": [90, 365]},
    "quota": {"measure": "quota", "depth": [0.2, 0.5], "duration_days": [180, 365]},
    "destination_ban": {"measure": "licensing_delay", "depth": [0.05, 0.2], "duration_days": [90, 365]},
    "extraterritorial": {"measure": "licensing_delay", "depth": [0.2, 0.6], "duration_days": [90, 365]},
}


@lru_cache(maxsize=1)
def vendored_ledger() -> pd.DataFrame:
    """The validated ledger from the vendored file (the same rows the store table ``export_controls`` holds)."""
    from crmsec.sources.export_controls import read_export_controls

    frame, _ = read_export_controls()
    return frame


def ledger_from_store(con: object | None = None) -> pd.DataFrame:
    """The ledger from the store (table ``export_controls``); the vendored file when the store lacks it."""
    if con is None:
        return vendored_ledger()
    has = con.execute(  # type: ignore[attr-defined]
        "select count(*) from information_schema.tables where table_name = 'export_controls'").fetchone()[0]
    if not has:
        return vendored_ledger()
    return con.execute("select * from export_controls").df().fillna("")  # type: ignore[attr-defined]


def _d(text: object) -> date | None:
    s = str(text or "").strip()
    return date.fromisoformat(s) if s else None


def today() -> date:
    """Today's date (the default status date; a function so tests can fix it)."""
    return date.today()


def status_of(row: dict, as_of: date, knowledge: date = KNOWLEDGE_DATE) -> str:
    """Status of one measure on ``as_of`` (see module docstring)."""
    ann, eff, s_from, s_until, end = (_d(row.get(k)) for k in
                                      ("announced", "effective", "suspended_from", "suspended_until", "ended"))
    caveat = (f" (not verified: ledger sources to {knowledge.isoformat()}, no later source found on "
              f"{LAST_CHECKED.isoformat()})") if as_of > knowledge else ""
    if row.get("measure_class") == "suspension":
        return ("statement published" if ann and ann <= as_of else "not yet announced") + caveat
    if ann and as_of < ann:
        return "not yet announced"
    if end and as_of > end:
        return f"ended {end.isoformat()}" + caveat
    if s_from and as_of >= s_from and (s_until is None or as_of < s_until):
        return (f"suspended until {s_until.isoformat()}" if s_until else "suspended") + caveat
    if s_until and as_of >= s_until:
        return f"suspension lapsed {s_until.isoformat()}: in force unless extended" + caveat
    if eff and as_of < eff:
        return f"announced; in force from {eff.isoformat()}"
    return "in force" + caveat


def ledger_status(ledger: pd.DataFrame, as_of: date | None = None) -> pd.DataFrame:
    """The ledger with ``status``, ``status_as_of`` and ``verified_to`` columns (default date: today).

    The default is today, not the ledger's knowledge date: a status printed "as of" a past date reads as current
    (expert review: the Oct 2025 package showed "suspended until 2026-11-10" weeks after that date). Statuses
    after the knowledge date carry "not verified".
    """
    day = as_of or today()
    recs = ledger.to_dict("records")
    return ledger.assign(status=[status_of(r, day) for r in recs], status_as_of=day.isoformat(),
                         verified_to=KNOWLEDGE_DATE.isoformat())


def base_rate(ledger: pd.DataFrame, issuer_iso3: str, materials: Iterable[str],
              as_of: date | None = None) -> dict[str, object]:
    """Annual probability of a new measure by ``issuer_iso3`` on any of ``materials`` (module docstring)."""
    day = as_of or KNOWLEDGE_DATE
    mats = set(materials)
    sub = ledger[(ledger["issuer_iso3"] == issuer_iso3) & (ledger["measure_class"] != "suspension")]
    hit = sub[[bool(mats & set(str(m).split(";"))) for m in sub["materials"]]]
    dates = sorted({d for d in hit["announced"].astype(str) if d and date.fromisoformat(d) <= day})
    years = (day - WINDOW_START).days / 365.25
    if years <= 0:
        raise InputError(f"as-of date {day} lies before the ledger window start {WINDOW_START}")
    lam = (len(dates) + 0.5) / years
    p = 1.0 - math.exp(-lam)
    ids = ", ".join(hit.loc[hit["announced"].isin(dates), "measure_id"])
    basis = (f"base rate: {len(dates)} {issuer_iso3} measure date(s) on these materials "
             f"{WINDOW_START.isoformat()}..{day.isoformat()} ({years:.2f} yr) [{ids or 'none'}]; "
             f"λ = (n + ½)/T = {lam:.3f}/yr; P = 1 − e^−λ = {p:.2f}/yr (probability of a NEW measure of this "
             "kind within a year, not of the modelled one recurring)")
    return {"events": len(dates), "years": years, "rate": lam, "probability": p, "basis": basis,
            "measures": ids}


def resolve_probability(scenario: object, ledger: pd.DataFrame | None = None) -> object:
    """The scenario with its probability from the ledger base rate when it names ledger entries and no number."""
    sc = scenario
    if getattr(sc, "probability", None) is not None or not getattr(sc, "ledger", None):
        return sc
    led = vendored_ledger() if ledger is None else ledger
    known = led[led["measure_id"].isin(sc.ledger)]  # type: ignore[attr-defined]
    missing = sorted(set(sc.ledger) - set(known["measure_id"]))  # type: ignore[attr-defined]
    if missing:
        raise InputError(f"scenario {sc.id!r}: field 'ledger': unknown measure id(s) {', '.join(missing)}; "  # type: ignore[attr-defined]
                         "see `crmsec controls list`")
    issuer = str(known["issuer_iso3"].iloc[0])
    br = base_rate(led, issuer, sc.materials)  # type: ignore[attr-defined]
    return sc.model_copy(update={"probability": br["probability"], "probability_basis": br["basis"]})  # type: ignore[attr-defined]


def scenario_from_measure(ledger: pd.DataFrame, measure_id: str, *, stages: list[str] | None = None,
                          as_of: date | None = None) -> dict[str, object]:
    """A scenario mapping (YAML-ready) for one ledger measure, with class defaults labelled [D]."""
    rows = ledger[ledger["measure_id"] == measure_id]
    if rows.empty:
        raise InputError(f"unknown measure {measure_id!r}; see `crmsec controls list` for the ids")
    r = rows.iloc[0].to_dict()
    cls = str(r["measure_class"])
    if cls not in CLASS_DEFAULTS:
        raise InputError(f"measure {measure_id} is of class {cls!r}: it has no direct volume effect to model "
                         f"(classes with a scenario: {', '.join(CLASS_DEFAULTS)})")
    dflt = CLASS_DEFAULTS[cls]
    mats = [m for m in str(r["materials"]).split(";") if m]
    br = base_rate(ledger, str(r["issuer_iso3"]), mats, as_of)
    st = stages or (["extraction"] if cls in ("ban", "quota") and r["issuer_iso3"] in ("COD", "IDN") else ["processing"])
    sid = "ledger_" + "".join(ch if ch.isalnum() else "_" for ch in measure_id.lower())
    status = status_of(r, as_of or today())
    return {
        "id": sid, "name": f"{r['issuer']}: {r['legal_reference']}",
        "description": f"Generated from ledger entry {measure_id} ({r['control_type']}): {r['items']}. "
                       f"Ledger status {status}.",
        "measure": dflt["measure"], "actors": [r["issuer_iso3"]], "materials": mats, "stages": st,
        "depth": dflt["depth"], "duration_days": dflt["duration_days"],
        "ledger": [measure_id], "probability_basis": br["basis"],
        "sources": [{"title": str(r["legal_reference"]), "url": str(r["source_url"]),
                     "note": str(r["source_note"]) or None}],
        "assumptions": [f"depth {dflt['depth']} and duration {dflt['duration_days']} d are the class defaults "
                        f"for '{cls}' measures (crmsec.scenarios.controls.CLASS_DEFAULTS) [D]",
                        f"stages {st}: default for the issuer and class [D]; override with --stage"],
    }
