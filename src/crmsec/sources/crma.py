"""CRMA annex lists: strategic (Annex I) and critical (Annex II) raw materials of Regulation (EU) 2024/1252.

Source
------
[1] Regulation (EU) 2024/1252 (Critical Raw Materials Act), OJ L 2024/1252, 3.5.2024, Annexes I and II
    (Section 1), transcribed in ``data/raw/crma_lists/crma_annex_lists.csv`` (see its PROVENANCE.md for how
    the English wording was established).

Notes
-----
* Each annex entry maps to one or more registry materials through the ``crma`` aliases; group entries are
  expanded to their members ("platinum group metals" -> pgm, platinum, palladium, …; "heavy rare earth
  elements" -> hree and its ten elements; "rare earth elements for permanent magnets (Nd, Pr, Tb, Dy, Gd, Sm,
  and Ce)" -> the seven elements and the IEA aggregate ``magnet_rees``).
* The registry flags ``crma_strategic`` / ``crma_critical`` must equal :func:`crma_flags` (tested).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from crmsec.errors import DataError, UnknownNameError
from crmsec.registry.materials import ALIASES_CSV, aliases, materials
from crmsec.sources import raw_path

SOURCE_DIR = "crma_lists"
FILENAME = "crma_annex_lists.csv"
COLUMN_MAP = {"annex": "annex", "entry_order": "entry_order", "point": "point", "entry": "entry",
              "scope_note": "scope_note", "entry_official_de": "entry_de"}


def read_crma_lists(path: str | Path | None = None) -> tuple[pd.DataFrame, dict]:
    """Annex entries expanded to registry materials: one row per (annex, entry, material_id)."""
    file = Path(path) if path is not None else raw_path(SOURCE_DIR, FILENAME)
    if not file.is_file():
        raise DataError("CRMA annex list not found", file=file)
    raw = pd.read_csv(file, dtype=str, keep_default_na=False)
    missing = [c for c in COLUMN_MAP if c not in raw.columns]
    if missing:
        raise DataError("column missing", file=file, row=1, field=missing[0])
    raw["row"] = np.arange(len(raw)) + 2
    bad = ~raw["annex"].isin(["I", "II"])
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError("annex must be I or II", file=file, row=pos + 2, field="annex", value=raw["annex"].iloc[pos])
    al = aliases("crma")[["alias", "material_id"]]
    unknown = ~raw["entry"].isin(al["alias"])
    if unknown.any():
        pos = int(np.flatnonzero(unknown.to_numpy())[0])
        raise UnknownNameError("unknown CRMA annex entry", file=file, row=pos + 2, field="entry",
                               value=raw["entry"].iloc[pos],
                               hint=f"add it to {ALIASES_CSV.name} (source=crma) with the materials it covers")
    out = raw.rename(columns=COLUMN_MAP).merge(al, left_on="entry", right_on="alias", how="left")
    out = out[["annex", "entry_order", "point", "entry", "scope_note", "material_id"]]
    out["entry_order"] = out["entry_order"].astype(int)
    return out.sort_values(["annex", "entry_order", "material_id"]).reset_index(drop=True), {"entries": len(raw)}


#: Aggregates that are not parents in the registry tree, with their members (IEA definition of magnet REEs).
COMPOSITES = {"magnet_rees": ["neodymium", "praseodymium", "dysprosium", "terbium"]}


def _close(covered: set[str]) -> set[str]:
    """Add every group whose members are all covered (registry parent tree + :data:`COMPOSITES`)."""
    mats = materials()
    groups = mats[mats["parent_id"] != ""].groupby("parent_id")["material_id"].apply(list).to_dict()
    groups.update(COMPOSITES)
    out = set(covered)
    changed = True
    while changed:
        changed = False
        for group, members in groups.items():
            if group not in out and all(m in out for m in members if m not in COMPOSITES):
                out.add(group)
                changed = True
    return out


def crma_flags(path: str | Path | None = None) -> pd.DataFrame:
    """``material_id`` -> ``crma_strategic``, ``crma_critical`` (0/1) as derived from the annex file.

    An entry covers the materials its alias rows list; a group is covered when all its members are (e.g.
    rare_earths when both heavy and light rare earth elements are listed) — the rule the registry flags follow.
    """
    lists, _ = read_crma_lists(path)
    ids = materials()["material_id"]
    out = pd.DataFrame(index=pd.Index(ids, name="material_id"))
    for col, annex in (("crma_strategic", "I"), ("crma_critical", "II")):
        covered = _close(set(lists.loc[lists["annex"] == annex, "material_id"]))
        out[col] = ids.isin(covered).astype("int8").to_numpy()
    return out


def load_tables() -> dict[str, pd.DataFrame]:
    """Store tables: ``crma_lists`` (annex entries expanded to registry materials)."""
    return {"crma_lists": read_crma_lists()[0]}
