"""Export-control ledger: measures by China, DR Congo and Indonesia on critical-raw-material items.

Source
------
``data/raw/export_controls/export_control_ledger.csv`` (see its PROVENANCE.md): MOFCOM announcements
2023–2026 (mirrored texts), ARECOMS decisions 2025, Indonesian ESDM regulation 2019 and RKAB quota 2026, each
row with its legal reference, dates and source URL.

``load_tables()`` → ``export_controls`` (one row per measure; dates as ISO strings, empty = none).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from crmsec.errors import DataError
from crmsec.sources import raw_path

SOURCE_DIR = "export_controls"
FILENAME = "export_control_ledger.csv"
COLUMNS = ["measure_id", "issuer", "issuer_iso3", "legal_reference", "announced", "effective", "suspended_from",
           "suspended_until", "ended", "materials", "items", "hs_codes", "control_type", "measure_class",
           "source_url", "source_note"]
DATE_COLUMNS = ("announced", "effective", "suspended_from", "suspended_until", "ended")
CLASSES = ("licensing", "ban", "quota", "destination_ban", "extraterritorial", "technology", "suspension")


def read_export_controls(path: str | Path | None = None) -> tuple[pd.DataFrame, dict]:
    """The ledger as a frame (validated: unique ids, ISO dates, known classes and material ids, a source)."""
    from crmsec.registry.materials import materials

    file = Path(path) if path is not None else raw_path(SOURCE_DIR, FILENAME)
    raw = pd.read_csv(file, dtype=str, keep_default_na=False)
    missing = [c for c in COLUMNS if c not in raw.columns]
    if missing:
        raise DataError("column missing", file=file, row=1, field=missing[0])
    known = set(materials()["material_id"])
    for i, r in enumerate(raw.to_dict("records")):
        row = i + 2
        if not r["measure_id"].strip():
            raise DataError("empty measure_id", file=file, row=row, field="measure_id")
        for col in DATE_COLUMNS:
            v = r[col].strip()
            if v and pd.isna(pd.to_datetime(v, format="%Y-%m-%d", errors="coerce")):
                raise DataError("date must be YYYY-MM-DD (or empty)", file=file, row=row, field=col, value=v)
        if r["measure_class"] not in CLASSES:
            raise DataError(f"measure_class must be one of {', '.join(CLASSES)}", file=file, row=row,
                            field="measure_class", value=r["measure_class"])
        bad = [m for m in r["materials"].split(";") if m and m not in known]
        if bad:
            raise DataError("unknown material id (use registry ids)", file=file, row=row, field="materials",
                            value=bad[0])
        if not r["source_url"].strip():
            raise DataError("every measure needs a source_url", file=file, row=row, field="source_url")
    dup = raw["measure_id"][raw["measure_id"].duplicated()]
    if not dup.empty:
        pos = int(np.flatnonzero(raw["measure_id"].duplicated().to_numpy())[0])
        raise DataError("duplicate measure_id", file=file, row=pos + 2, field="measure_id", value=dup.iloc[0])
    return raw[COLUMNS].copy(), {"measures": len(raw)}


def load_tables() -> dict[str, pd.DataFrame]:
    """Store table ``export_controls``."""
    frame, _ = read_export_controls()
    return {"export_controls": frame.assign(source="export_control_ledger")}
