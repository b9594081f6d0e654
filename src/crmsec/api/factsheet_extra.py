"""What a factsheet page adds to the API factsheet (issue 15): the material's place on the national list,
the scenarios and export-control ledger entries that hit it, its end-uses and a reference price — each from the engine or table that owns it,
each None/empty with the reason when missing (never made up)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from crmsec.api import engines, services
from crmsec.api.i18n import N_, format_day, translator
from crmsec.api.labels import humanise, label


def list_position(con: Any, material_id: str, lang: str) -> dict[str, Any] | None:
    """Rank, score, on-list flag and drivers of the latest national list, or None when not computed."""
    try:
        res = engines.national_list(con, None)
    except Exception:  # noqa: BLE001 - list engine missing or store without its inputs: the page says so
        return None
    table = res["table"]
    row = table[table["material_id"] == material_id]
    if row.empty:
        return {"year": res["year"], "n": len(table), "rank": None}
    r = services.records(row)[0]
    return {"year": res["year"], "n": len(table), "rank": r.get("rank"), "score": r.get("score"),
            "on_list": bool(r.get("on_list")), "drivers": humanise(r.get("drivers"), lang),
            "reason": humanise(r.get("nl_reason") or r.get("reason"), lang)}


def scenarios_hitting(material_id: str, lang: str) -> list[dict[str, Any]]:
    """Library scenarios (export controls, bans, chokepoints) whose materials include this one (or all)."""
    try:
        lib = engines.scenario_list()
    except engines.EngineUnavailable:
        return []
    _ = translator(lang)
    out = []
    for s in services.records(lib):
        mats = [m.strip() for m in str(s.get("materials") or "").split(",")]
        if material_id in mats or "*" in mats:
            name = (s.get("name_nl") if lang == "nl" else None) or s["name"]
            out.append({"id": s["scenario_id"], "name": str(name), "measure": label(s.get("measure"), lang),
                        "actor": _(str(s["actor"])) if s.get("actor") and s.get("measure") == "chokepoint_closure"
                        else s.get("actor"), "probability": s.get("probability"),
                        "all_materials": material_id not in mats})
    return out


@lru_cache(maxsize=1)
def application_names_nl() -> dict[str, str]:
    """Dutch names of the EU CRM 2023 end-use applications (``api/data/end_use_nl.csv``, PROVENANCE.md there)."""
    import csv
    from importlib import resources

    with resources.files("crmsec.api").joinpath("data/end_use_nl.csv").open(encoding="utf-8") as fh:
        return {r["application"]: r["application_nl"] for r in csv.DictReader(fh)}


def end_uses(con: Any, material_id: str, lang: str = "en") -> list[dict[str, Any]]:
    """End-use shares with their NACE sector (EU CRM 2023 Appendix 6, table ``end_use``); application names in
    ``lang`` (English where no Dutch name is on file)."""
    try:
        frame = con.execute("SELECT application, share, nace, nace_label, source FROM end_use "
                            "WHERE material_id = ? ORDER BY share DESC NULLS LAST", [material_id]).df()
    except Exception:  # noqa: BLE001 - a store without the table
        return []
    rows = services.records(frame)
    if lang == "nl":
        names = application_names_nl()
        rows = [{**r, "application": names.get(str(r["application"]), r["application"])} for r in rows]
    return rows


def reference_price(material_id: str) -> dict[str, Any] | None:
    """Latest annual price of the material's series (data/raw/prices) in EUR/t, when one is mapped."""
    try:
        from crmsec.projects.archetypes import material_table
        from crmsec.projects.archetypes import reference_price as price_of

        mats = material_table().set_index("material_id")
        if material_id not in mats.index:
            return None
        return {**price_of(str(mats.loc[material_id, "price_series"])), "product": mats.loc[material_id, "product"]}
    except Exception:  # noqa: BLE001 - projects engine or price file missing: no price shown, said on the page
        return None


#: control types of the export-control ledger (data/raw/export_controls) — marked for the Dutch catalog
CONTROL_TYPES = {
    "export licensing (dual-use)": N_("export licensing (dual-use)"),
    "extraterritorial re-export licensing (0.1 % rule)": N_("extraterritorial re-export licensing (0.1 % rule)"),
    "suspension": N_("suspension of earlier measures"), "export ban (temporary)": N_("export ban (temporary)"),
    "export quota": N_("export quota"), "export ban (ore)": N_("export ban (ore)"),
    "technology export ban": N_("technology export ban"),
    "destination-specific ban (United States only)": N_("destination-specific ban (United States only)"),
    "technology export licensing": N_("technology export licensing"),
    "mining quota (production cap)": N_("mining quota (production cap)"),
}
_DATE = r"(\d{4}-\d{2}-\d{2})"
#: status sentences of :func:`crmsec.scenarios.controls.status_of` → catalog text with {date} slots
_STATUS = [
    (re.compile(rf"^ended {_DATE}$"), N_("ended on {date}")),
    (re.compile(rf"^suspended until {_DATE}$"), N_("suspended until {date}")),
    (re.compile(rf"^suspension lapsed {_DATE}: in force unless extended$"),
     N_("suspension lapsed on {date}: in force unless extended")),
    (re.compile(rf"^announced; in force from {_DATE}$"), N_("announced; in force from {date}")),
    (re.compile(r"^in force$"), N_("in force")), (re.compile(r"^suspended$"), N_("suspended")),
    (re.compile(r"^statement published$"), N_("statement published")),
    (re.compile(r"^not yet announced$"), N_("not yet announced")),
]
_CAVEAT = re.compile(rf" \(not verified: ledger sources to {_DATE}, no later source found on {_DATE}\)$")


def status_text(status: str, lang: str) -> str:
    """A ledger status (English engine sentence with ISO dates) in ``lang`` with dates in the reader's locale;
    an unknown sentence is returned unchanged (never dropped)."""
    _ = translator(lang)
    core, caveat = status, ""
    m = _CAVEAT.search(status)
    if m:
        core = status[:m.start()]
        caveat = " " + _("(not verified: ledger sources up to {known}, no later source found on {checked})").format(
            known=format_day(m.group(1), lang), checked=format_day(m.group(2), lang))
    for pattern, msg in _STATUS:
        hit = pattern.match(core)
        if hit:
            return _(msg).format(date=format_day(hit.group(1), lang) if hit.groups() else "") + caveat
    return status


_REF = re.compile(r"^(?P<who>[A-Z][\w/&]*(?: [A-Z][\w/&]*)*)? ?(?P<kind>Announcement|Decision|Regulation) "
                  r"No\. (?P<no>[\w/]+)(?: of (?P<year>\d{4}))?")
_KIND_NL = {"Announcement": "bekendmaking", "Decision": "besluit", "Regulation": "verordening"}


def reference_text(reference: object, measure_id: str, lang: str) -> str:
    """The legal reference of a ledger entry as shown: English in full; in Dutch the instrument and number
    (``MOFCOM/GACC-bekendmaking nr. 58 van 2025``) or, when the reference has no such form, the ledger id — the
    English title (a translation of the official text) stays in the link's tooltip."""
    text = str(reference or "").strip()
    if lang != "nl":
        return text or measure_id
    m = _REF.match(text)
    if not m:
        return measure_id
    who = f"{m.group('who')}-" if m.group("who") else ""
    year = f" van {m.group('year')}" if m.group("year") else ""
    return f"{who}{_KIND_NL[m.group('kind')]} nr. {m.group('no')}{year}"


def _hits(listed: set[str], material_id: str, parents: dict[str, str]) -> str | None:
    """'direct' when the entry names the material; the group id when it names the material's group (or a
    group above it) and none of the group's members — an entry listing members enumerates them; else None."""
    if material_id in listed:
        return "direct"
    group = parents.get(material_id)
    while group:
        members = {m for m, p in parents.items() if p == group}
        if group in listed and not (members & listed):
            return group
        group = parents.get(group)
    return None


def export_controls_hitting(con: Any, material_id: str, lang: str) -> dict[str, Any]:
    """Export-control ledger entries naming the material (or its group), with status as of today in ``lang``
    (``crmsec.scenarios.controls``: store table ``export_controls``, vendored ledger when the store lacks it)."""
    try:
        from crmsec.scenarios.controls import ledger_from_store, ledger_status
    except ImportError:
        return {"rows": [], "as_of": None}
    ledger = ledger_status(ledger_from_store(con))
    mats = services.records(services.materials(con))
    parents = {m["material_id"]: m.get("parent_id") for m in mats if m.get("parent_id")}
    names = services.material_names(con, lang)
    countries = services.country_names(con, lang)
    _ = translator(lang)
    rows, caveats = [], set()
    for r in ledger.to_dict("records"):
        via = _hits({m.strip() for m in str(r.get("materials") or "").split(";") if m.strip()}, material_id, parents)
        if via is None:
            continue
        ctype, status = str(r.get("control_type") or ""), str(r["status"])
        cav = _CAVEAT.search(status)
        if cav:  # the same "not verified" caveat on every row: said once above the table
            caveats.add(status_text("in force" + cav.group(0), lang).removeprefix(_("in force")).strip())
            status = status[:cav.start()]
        rows.append({"measure_id": r["measure_id"], "control": _(CONTROL_TYPES.get(ctype, ctype)),
                     "issuer": countries.get(r.get("issuer_iso3"), r.get("issuer_iso3")),
                     "effective": r.get("effective") or None, "status": status_text(status, lang),
                     "via": None if via == "direct" else names.get(via, label(via, lang)),
                     "reference": reference_text(r.get("legal_reference"), r["measure_id"], lang),
                     "reference_full": r.get("legal_reference"), "url": r.get("source_url") or None})
    rows.sort(key=lambda x: str(x["effective"] or ""), reverse=True)
    return {"rows": rows, "as_of": ledger["status_as_of"].iloc[0] if len(ledger) else None,
            "caveat": "; ".join(sorted(caveats)) or None}
