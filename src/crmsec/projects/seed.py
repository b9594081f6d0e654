"""Seed the registry with the 60 CRMA Strategic Projects of 2025 (public fields only, evidence level kept).

Source: ``data/raw/crma_strategic_projects/strategic_projects.csv`` (see its PROVENANCE.md): Commission
Decisions C(2025) 1904 (47 projects in the EU, 25 March 2025) and C(2025) 3491 (13 outside the EU, 4 June 2025).
Figures that the source does not give stay empty (NULL); a capacity given as a range or with qualifiers is
kept as text in ``capacity_text`` and not turned into a number.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

import pandas as pd

from crmsec.errors import DataError, UnknownNameError

SOURCE = "crma_strategic_projects"
FILE = "strategic_projects.csv"

#: source material wording → registry material_id (qualifiers such as "(battery grade)" are kept in
#: ``materials_text``); anything not listed maps to itself and must exist in the material registry.
MATERIAL_MAP = {
    "rare earth elements": "rare_earths",
    "platinum group metals": "pgm",
    "bauxite/alumina/aluminium": "aluminium",
}


def _slug(text: str, n: int = 32) -> str:
    ascii_ = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    full = re.sub(r"[^a-z0-9]+", "-", ascii_.lower()).strip("-")
    if len(full) <= n:
        return full
    cut = full[: n + 1]
    return cut[: cut.rfind("-")] if "-" in cut else full[:n]


def _material_id(name: str) -> str:
    base = re.sub(r"\s*\(.*?\)", "", name).replace("- substitution", "").strip().lower()
    return MATERIAL_MAP.get(base, base.replace(" ", "_"))


def _number(v: str) -> float | None:
    v = v.strip().replace(",", "")
    return float(v) if re.fullmatch(r"\d+(\.\d+)?", v) else None


def strategic_project_records(path: str | Path | None = None) -> list[dict[str, Any]]:
    """Registry records (dicts in :data:`crmsec.projects.registry.FIELDS` layout) of the 60 projects."""
    if path is None:
        from crmsec.sources import raw_path

        path = raw_path(SOURCE, FILE)
    path = Path(path)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError) as err:
        raise DataError(f"cannot read the strategic-projects file: {err}", file=path) from err
    from crmsec.registry import resolve_countries

    try:
        from crmsec.registry.materials import materials

        known = set(materials()["material_id"])
    except ImportError:  # pragma: no cover - registry always ships with the package
        known = None
    # all host names resolved in one call; the index is the frame row, so an unknown name reports its file row
    hosts = frame["host_country"].map(lambda h: [c.strip() for c in h.split(";") if c.strip()]).explode().dropna()
    iso_by_row = resolve_countries(hosts, SOURCE, file=path).dropna().groupby(level=0).agg(list)
    out = []
    for i, r in frame.iterrows():
        row = int(i) + 2
        batch_code = "EU1" if r["batch"].startswith("EU-1") else "XEU1"
        entry = r["annex_entry"].strip()
        code = f"SP-{batch_code}-{int(entry):02d}" if entry else f"SP-{batch_code}-{_slug(r['project'])}"
        mats_text = [m.strip() for m in r["materials"].split(";") if m.strip()]
        mats = []
        for m in mats_text:
            mid = _material_id(m)
            if known is not None and mid not in known:
                raise UnknownNameError("material not in the material registry", file=path, row=row,
                                       field="materials", value=m, hint="add it to MATERIAL_MAP in projects/seed.py")
            if mid not in mats:
                mats.append(mid)
        stages_text = [s.strip() for s in r["stages"].split(";") if s.strip()]
        stages = list(dict.fromkeys(re.sub(r"\s*\(.*?\)", "", s) for s in stages_text))
        notes = r["notes"].strip()
        if stages_text != stages:
            notes = (notes + " " if notes else "") + f"[stages as stated: {r['stages'].strip()}]"
        cap_raw = r["capacity"].strip()
        cap = _number(cap_raw) if cap_raw else None
        out.append({
            "code": code,
            "name": r["project"].strip(),
            "sponsor": r["promoter"].strip() or None,
            "countries": iso_by_row.get(i, []),
            "host_country_text": r["host_country"].strip() or None,
            "inside_eu": r["inside_eu"].strip() or None,
            "materials": mats,
            "materials_text": r["materials"].strip() or None,
            "stages": stages,
            "status": "recognised",
            "capacity": cap,
            "capacity_unit": r["capacity_unit"].strip() or None,
            "capacity_text": cap_raw if cap_raw and cap is None else None,
            "capex_meur": _number(r["capex_meur"]) if r["capex_meur"].strip() else None,
            "start_year": int(float(r["start_year"])) if r["start_year"].strip() else None,
            "batch": r["batch"].strip(),
            "decision_date": r["decision_date"].strip() or None,
            "annex_entry": int(entry) if entry else None,
            "evidence_level": r["evidence_level"].strip() or None,
            "source_url": r["source_url"].strip() or None,
            "notes": notes or None,
            "confidentiality": "public",
        })
    return out


def seed_strategic_projects(registry: Any, path: str | Path | None = None, *, actor: str = "seed") -> pd.DataFrame:
    """Upsert the 60 Strategic Projects into ``registry`` in one transaction (idempotent)."""
    recs = strategic_project_records(path)
    src = str(path) if path is not None else f"data/raw/{SOURCE}/{FILE}"
    return registry.import_records(recs, actor=actor, source=src, file=src)
