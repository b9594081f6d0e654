"""Step of ``crmsec run``: the national list, the criticality matrix and GeoPolRisk for NL into ``out/``."""

from __future__ import annotations

from pathlib import Path


def write_outputs(out_dir: Path, con: object, store: Path | None = None) -> list[Path]:
    """Write ``national_list.csv/.xlsx``, ``criticality_matrix.csv``, ``geopolrisk_nl.csv`` and the notes."""
    from crmsec.criticality.pipeline import run_main_job

    return run_main_job(out_dir, con=con)
