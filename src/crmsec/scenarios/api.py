"""Python API of the scenario engine (store-backed; what the dashboard and ``crmsec run`` call)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import duckdb
import pandas as pd

from crmsec.scenarios.engine import ScenarioResult, SupplyInputs, run_scenario
from crmsec.scenarios.ensemble import EnsembleResult, run_ensemble
from crmsec.scenarios.spec import Scenario, builtin_scenarios, get_scenario

Progress = Callable[[int, int], None]


def list_scenarios() -> pd.DataFrame:
    """Built-in library: scenario_id, name, name_nl (Dutch name), measure, actors/chokepoint, materials, stages, depth, duration, probability."""
    rows = []
    status: pd.DataFrame | None = None  # the ledger's statuses, computed once for all scenarios
    for s in builtin_scenarios():
        if s.ledger and status is None:
            status = _ledger_statuses()
        rows.append({
            "scenario_id": s.id, "name": s.name, "name_nl": s.text("nl")[0], "measure": s.measure.value,
            "actor": ", ".join(s.actors) if s.actors else (s.chokepoint or ""),
            "materials": ", ".join(s.materials), "stages": ", ".join(s.stages),
            "depth": f"{s.depth.low:g}–{s.depth.high:g}",
            "duration_days": f"{s.duration_days.low:g}–{s.duration_days.high:g}",
            "probability": s.probability, "probability_basis": s.probability_basis,
            "ledger": ", ".join(s.ledger), "ledger_status": _ledger_status(s.ledger, status), "n_sources": len(s.sources),
        })
    return pd.DataFrame(rows)


def _ledger_statuses() -> pd.DataFrame:
    """The vendored ledger with each measure's status (:func:`crmsec.scenarios.controls.ledger_status`)."""
    from crmsec.scenarios.controls import ledger_status, vendored_ledger

    return ledger_status(vendored_ledger())


def _ledger_status(ids: list[str], status: pd.DataFrame | None) -> str:
    """Status of the scenario's ledger measures (e.g. 'suspended until …'), from :func:`_ledger_statuses`."""
    if not ids or status is None:
        return ""
    st = status[status["measure_id"].isin(ids)]
    return "; ".join(sorted(set(st["status"])))


def scenario_detail(name: str) -> pd.DataFrame:
    """One scenario as a field/value frame (for ``crmsec scenario show``)."""
    s = get_scenario(name)
    data = s.model_dump(mode="json")
    rows = []
    for k, v in data.items():
        if isinstance(v, dict) and set(v) == {"low", "high"}:
            v = f"{v['low']:g}–{v['high']:g}"
        elif isinstance(v, list) and v and isinstance(v[0], dict):
            v = " | ".join("; ".join(str(x) for x in d.values() if x) for d in v)
        elif isinstance(v, list):
            v = ", ".join(str(x) for x in v)
        rows.append({"field": k, "value": "" if v is None else str(v)})
    return pd.DataFrame(rows)


def _open(con: duckdb.DuckDBPyConnection | None) -> duckdb.DuckDBPyConnection:
    if con is not None:
        return con
    from crmsec.store import open_store

    return open_store()


def store_inputs(con: duckdb.DuckDBPyConnection | None = None, *, with_chains: bool = True,
                 nl_mix: str = "eu_proxy", attribution: str = "stop") -> SupplyInputs:
    """Engine inputs from the store, with the chain component-stage mixes when ``with_chains``.

    ``nl_mix``: ``eu_proxy`` (NL sourcing = EU27 mix) or ``trade`` (NL import partners from BACI where possible).
    ``attribution``: ``stop`` (sectors that stop) or ``eu_ei`` (EU EI convention), see ``scenarios.cases``.
    """
    from crmsec.chains.model import component_mixes
    from crmsec.scenarios.inputs import supply_inputs

    return supply_inputs(_open(con), extra_mixes=component_mixes() if with_chains else None, nl_mix=nl_mix,
                         attribution=attribution)


def _validated(scenario: Scenario | str) -> Scenario:
    from crmsec.registry.materials import materials
    from crmsec.scenarios.inputs import check_scenario_materials

    sc = get_scenario(scenario) if isinstance(scenario, str | Path) else scenario
    check_scenario_materials(sc, set(materials()["material_id"]))
    return sc


def run_scenario_from_store(scenario: Scenario | str, con: duckdb.DuckDBPyConnection | None = None, *,
                            regions: Sequence[str] = ("NLD", "EU27"), depth: float | None = None,
                            duration_days: float | None = None, stock_days: float | None = None,
                            step_days: float = 7.0, progress: Progress | None = None,
                            inputs: SupplyInputs | None = None) -> ScenarioResult:
    """Run one scenario (id, YAML path or :class:`Scenario`) on the store; frames over time in ``.timeline``."""
    sc = _validated(scenario)
    inp = inputs or store_inputs(con)
    return run_scenario(sc, inp, regions=regions, depth=depth, duration_days=duration_days,
                        stock_days=stock_days, step_days=step_days, progress=progress)


def ensemble_from_store(scenarios: Sequence[Scenario | str] | None = None, n_draws: int = 10_000, *,
                        con: duckdb.DuckDBPyConnection | None = None, seed: int = 0,
                        scheduler: object | None = None, chunk_size: int = 100_000,
                        progress: Progress | None = None, inputs: SupplyInputs | None = None,
                        conditional: bool = False) -> EnsembleResult:
    """Ensemble over the given scenarios (default: the whole built-in library) on the store.

    ``conditional=True``: per-scenario statistics conditional on the event, with the annual probability and the
    annual expected loss in their own columns (:func:`crmsec.scenarios.ensemble.run_conditional`); otherwise the
    annual mixture (each draw one year, events with their probabilities).
    """
    from crmsec.scenarios.ensemble import run_conditional

    scs = [_validated(s) for s in (scenarios or builtin_scenarios())]
    inp = inputs or store_inputs(con)
    if conditional:
        return run_conditional(scs, inp, n_draws, seed=seed, scheduler=scheduler, chunk_size=chunk_size,
                               progress=progress)
    return run_ensemble(scs, inp, n_draws, seed=seed, scheduler=scheduler, chunk_size=chunk_size,
                        progress=progress)


def write_outputs(out_dir: str | Path, con: duckdb.DuckDBPyConnection | None = None, *,
                  n_draws: int = 100_000, seed: int = 0, progress: Progress | None = None) -> list[Path]:
    """Write the CRMA table and the built-in scenario results into ``out_dir`` (called by ``crmsec run``).

    Files: ``crma_benchmarks.csv``, ``scenarios_materials.csv``, ``scenarios_sectors.csv``,
    ``scenarios_stages.csv``, ``scenario_set.csv`` (for ``crmsec.optimize``), ``scenarios_ensemble.csv``
    (conditional on each event, with annual probability and expected loss), ``scenarios_ensemble_annual.csv``.
    """
    from crmsec.crma import crma_table
    from crmsec.output import write_frame

    con = _open(con)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    frame = crma_table(con)
    write_frame(frame, out / "crma_benchmarks.csv")
    written.append(out / "crma_benchmarks.csv")
    inp = store_inputs(con)
    results = [run_scenario_from_store(s, inputs=inp) for s in builtin_scenarios()]
    from crmsec.scenarios.impact import scenario_set_all

    for attr, name in (("materials", "scenarios_materials"), ("sectors", "scenarios_sectors"),
                       ("stages", "scenarios_stages"), ("scenario_set", "scenario_set")):
        f = (scenario_set_all([r.scenario_set for r in results]) if attr == "scenario_set"
             else pd.concat([getattr(r, attr) for r in results], ignore_index=True))
        write_frame(f, out / f"{name}.csv")
        written.append(out / f"{name}.csv")
    ens = ensemble_from_store(None, n_draws, seed=seed, inputs=inp, progress=progress, conditional=True)
    write_frame(ens.stats, out / "scenarios_ensemble.csv")
    written.append(out / "scenarios_ensemble.csv")
    ann = ensemble_from_store(None, n_draws, seed=seed, inputs=inp)
    write_frame(ann.stats.assign(statistic="annual mixture (events drawn with their annual probabilities)"),
                out / "scenarios_ensemble_annual.csv")
    written.append(out / "scenarios_ensemble_annual.csv")
    return written
