"""What a factsheet page adds to the API factsheet (issue 15): the material's place on the national list,
the scenarios that hit it, its end-uses and a reference price — each from the engine or table that owns it,
each None/empty with the reason when missing (never made up)."""

from __future__ import annotations

from typing import Any

from crmsec.api import engines, services
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
    from crmsec.api.i18n import translator

    _ = translator(lang)
    out = []
    for s in services.records(lib):
        mats = [m.strip() for m in str(s.get("materials") or "").split(",")]
        if material_id in mats or "*" in mats:
            name = (s.get("name_nl") if lang == "nl" else None) or s["name"]
            out.append({"id": s["scenario_id"], "name": str(name), "measure": label(s.get("measure"), lang),
                        "actor": s.get("actor"), "probability": s.get("probability"),
                        "all_materials": material_id not in mats})
    return out


def end_uses(con: Any, material_id: str) -> list[dict[str, Any]]:
    """End-use shares with their NACE sector (EU CRM 2023 Appendix 6, table ``end_use``)."""
    try:
        frame = con.execute("SELECT application, share, nace, nace_label, source FROM end_use "
                            "WHERE material_id = ? ORDER BY share DESC NULLS LAST", [material_id]).df()
    except Exception:  # noqa: BLE001 - a store without the table
        return []
    return services.records(frame)


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
