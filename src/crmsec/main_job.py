"""The main job behind ``crmsec run`` / ``make run``: every capability's headline output into ``out/``.

Each step is one public function of a capability (imported by dotted path so a failing step names
itself); the job stops at the first failure with that step's error (CLI exit 1 for data/input errors).
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from crmsec.provenance import note, recording
from crmsec.store import open_store
from crmsec.store.build import store_path


@dataclass(frozen=True)
class Step:
    label: str
    target: str  # "module:function"; called as f(out_dir, con, store) and returns the written paths
    methods: tuple[str, ...] = ()  # crmsec.provenance.METHODS named in the provenance of the step's files


STEPS: tuple[Step, ...] = (
    Step("criticality matrix, GeoPolRisk and national list", "crmsec.criticality.main_job:write_outputs",
         ("national_list", "eu_method", "geopolrisk")),
    Step("CRMA benchmarks and built-in scenarios", "crmsec.main_job:_scenarios_step", ("crma_benchmarks", "scenarios")),
    Step("crisis allocation and stockpile sizing (example inputs)", "crmsec.optimize.main_job:write_outputs",
         ("allocation", "stockpile")),
    Step("strategic project pipeline and appraisal", "crmsec.projects.main_job:write_outputs",
         ("project_registry", "appraisal", "price_models")),
    Step("circularity: NL battery urban mine, secondary supply", "crmsec.circularity.api:write_outputs",
         ("circularity",)),
    Step("annual briefing (NL and EN)", "crmsec.main_job:_briefing_step", ("briefing", "national_list")),
)


def _scenarios_step(out_dir: Path, con, store: Path) -> list[Path]:
    from crmsec.scenarios.api import write_outputs

    return write_outputs(out_dir, con, n_draws=100_000)


def _briefing_step(out_dir: Path, con, store: Path) -> list[Path]:
    from crmsec.reports.briefing import list_briefing, write

    # on the job's open store connection (the list itself is cached per store vintage by the engines)
    return [path for lang in ("nl", "en") for path in write(list_briefing(con, None, lang), out_dir)]


def _resolve(target: str) -> Callable:
    module, func = target.split(":")
    return getattr(importlib.import_module(module), func)


def run_main_job(out_dir: Path, store: Path | None = None, *,
                 on_step: Callable[[str], None] | None = None) -> list[dict]:
    """Run every step into ``out_dir``; returns one summary row per step (label, files, seconds)."""
    store = Path(store) if store else store_path()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    con = open_store(store)
    summary = []
    try:
        for step in STEPS:
            if on_step:
                on_step(step.label)
            t0 = time.perf_counter()
            # one provenance scope per step: its files name the tables/sources this step read and its methods
            with recording("crmsec run", {"out": str(out_dir), "store": str(store), "step": step.label}):
                note(f"store:{Path(store).resolve()}", *(f"method:{m}" for m in step.methods))
                paths = _resolve(step.target)(out_dir, con, store)
            summary.append({"step": step.label, "files": len(paths), "seconds": round(time.perf_counter() - t0, 2),
                            "first_file": str(paths[0]) if paths else ""})
    finally:
        con.close()
    return summary
