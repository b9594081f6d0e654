"""Step of ``crmsec run``: the national list, the criticality matrix and GeoPolRisk for NL into ``out/``.

:func:`criticality_matrix` puts EU (published + recomputed), the NL list and GeoPolRisk (NL, both modes) side
by side per material; :func:`run_main_job` writes them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from crmsec.criticality import national_list as nl
from crmsec.criticality.pipeline import (
    ASSESSMENT_YEARS,
    CriticalityData,
    eu_assessment,
    geopolrisk_table,
    load_data,
    national_list,
)


def write_outputs(out_dir: Path, con: object, store: Path | None = None) -> list[Path]:
    """Write ``national_list.csv/.xlsx``, ``criticality_matrix.csv``, ``geopolrisk_nl.csv`` and the notes."""
    return run_main_job(out_dir, con=con)


def criticality_matrix(data: CriticalityData, year: int, *, nl_year: int | None = None,
                       gpr_year: int | None = None, nl_frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """EU (published + recomputed), NL list and GeoPolRisk (NL, both modes) per material, side by side."""
    eu_y = max(y for y in ASSESSMENT_YEARS if y <= max(year, 2011))
    e = eu_assessment(data, eu_y)[["material_id", "material", "sr", "ei", "critical", "stage_assessed",
                                   "near_threshold"]].rename(columns={"sr": "sr_eu", "ei": "ei_eu",
                                                                      "critical": "critical_eu"})
    n = (nl_frame if nl_frame is not None else national_list(data, nl_year or year))[
        ["material_id", "rank", "score", "on_list", "sr_nl", "va_exposed_meur", "va_basis", "drivers"]]
    m = e.merge(n, on="material_id", how="outer")
    if data.production is not None and data.trade is not None and data.wgi_pv is not None:
        gy = gpr_year or min(year, int(data.production["year"].max()))
        parts = {}
        for mode in ("compatible", "corrected"):
            g = geopolrisk_table(data, mode, years=[gy], countries=["NLD"])  # type: ignore[arg-type]
            parts[mode] = g.set_index("material_id")[["score", "wta", "hhi", "reason"]]
        m["gpr_score_nl"] = m["material_id"].map(parts["corrected"]["score"])
        m["gpr_wta_nl"] = m["material_id"].map(parts["corrected"]["wta"])
        m["gpr_score_nl_compatible"] = m["material_id"].map(parts["compatible"]["score"])
        m["gpr_reason"] = m["material_id"].map(parts["corrected"]["reason"])
        m["gpr_year"] = gy
    names = data.material_names()
    m["material"] = m["material"].fillna(m["material_id"].map(names))
    m["eu_year"] = eu_y
    return m.sort_values(["on_list", "rank"], ascending=[False, True]).reset_index(drop=True)


def run_main_job(out_dir: Path | str = "out", *, year: int | None = None, con: object | None = None,
                 config: nl.ListConfig | None = None) -> list[Path]:
    """Write the NL list, the criticality matrix and GeoPolRisk for NL to ``out_dir``; returns the paths.

    Files: ``national_list.csv`` / ``.xlsx`` (every candidate, ``on_list`` marks the N selected, drivers and
    the VA-basis label on every row), ``national_list_NOTES.txt`` (proxy assumptions), ``criticality_matrix.csv``
    (EU · NL · GeoPolRisk side by side), ``geopolrisk_nl.csv`` (both modes, all years). ``year`` defaults to
    the latest year with BACI trade and WGI data. Called by ``crmsec run`` (``crmsec.criticality.main_job``).
    """
    from crmsec.output import write_frame

    data = load_data(con)
    if year is None:
        year = data.latest_year()
    out_dir = Path(out_dir)
    lst = national_list(data, year, config)
    mat = criticality_matrix(data, year, nl_frame=lst)
    gpr_nl = pd.concat([geopolrisk_table(data, m, countries=["NLD"]) for m in ("compatible", "corrected")],  # type: ignore[arg-type]
                       ignore_index=True)
    paths = [out_dir / "national_list.csv", out_dir / "national_list.xlsx", out_dir / "criticality_matrix.csv",
             out_dir / "geopolrisk_nl.csv"]
    write_frame(lst, paths[0])
    write_frame(lst, paths[1])
    write_frame(mat, paths[2])
    write_frame(gpr_nl, paths[3])
    notes = out_dir / "national_list_NOTES.txt"
    notes.write_text("\n".join([f"NL critical raw materials list {year} ({nl.METHOD_VERSION}, data vintage "
                                f"{data.vintage}; N = {(config or nl.ListConfig()).n}; candidates: CRMA Annex II)",
                                f"trade years {lst.attrs.get('window')}, value basis k EUR (BACI + Comext forms, "
                                f"EU hubs looked through), materiality floor {lst.attrs.get('floor_meur')} M EUR/yr; "
                                "EU inputs: 2023 assessment",
                                *lst.attrs.get("va_notes", ()),
                                # entries on the EU's SR are named as borrowed (column sr_basis in the CSV)
                                *([note] if (note := nl.eu_view_note(lst)) else [])]) + "\n", encoding="utf-8")
    paths.append(notes)
    return paths


