"""Adapters from the web face to the engines' public Python functions.

The web face never re-implements a method: each adapter calls the engine's public function and reshapes
its result for JSON/pages. An engine that is not part of this build raises :class:`EngineUnavailable`,
which the API turns into a 404 with a clear message and the pages into a "not available in this build"
panel — never into made-up numbers.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from crmsec.api.services import clean
from crmsec.errors import UnknownNameError

log = logging.getLogger(__name__)

#: engine name → (module, attribute that must exist for the engine to count as present)
ENGINES: dict[str, tuple[str, str]] = {
    "criticality": ("crmsec.criticality", "__name__"),
    "chains": ("crmsec.chains", "__name__"),
    "crma": ("crmsec.crma", "__name__"),
    "scenarios": ("crmsec.scenarios", "__name__"),
    "optimize": ("crmsec.optimize", "__name__"),
    "projects": ("crmsec.projects", "__name__"),
}


class EngineUnavailable(LookupError):
    """The engine (or the function the web face needs from it) is not part of this build."""

    def __init__(self, engine: str, detail: str = "") -> None:
        self.engine = engine
        msg = f"the {engine} engine is not available in this build"
        super().__init__(msg + (f" ({detail})" if detail else ""))


def _import(module: str, engine: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise EngineUnavailable(engine, str(err)) from err


def status() -> list[dict[str, Any]]:
    out = []
    for name, (module, attr) in ENGINES.items():
        try:
            mod = _import(module, name)
            ok = hasattr(mod, attr)
            out.append({"name": name, "available": ok, "detail": None if ok else f"{module}.{attr} missing"})
        except EngineUnavailable as err:
            out.append({"name": name, "available": False, "detail": str(err)})
    return out


def geopolrisk_trend(con: Any, material_id: str, country: str = "NLD") -> list[dict[str, Any]] | None:
    """GeoPolRisk score of ``country``'s imports of ``material_id`` by year, or None when not in this build."""
    return None


def material_criticality(con: Any, material_id: str) -> dict[str, Any] | None:
    """Latest EU-method SR/EI of one material, or None when the criticality engine is not in this build."""
    try:
        res = criticality(con, "eu", None, "eu")
    except EngineUnavailable:
        return None
    rows = res["table"]
    rows = rows[rows["material_id"] == material_id]
    if rows.empty:
        return None
    out = {k: clean(v) for k, v in rows.iloc[0].items()}
    out["year"] = res["year"]
    return out


def criticality(con: Any, scope: str, year: int | None, method: str) -> dict[str, Any]:
    """Criticality results (engine :mod:`crmsec.criticality`): ``{"table", "year", "years", ...}``."""
    raise EngineUnavailable("criticality", "store pipeline (crmsec.criticality.pipeline) not in this build")


def national_list(con: Any, year: int | None = None, vs: int | None = None) -> dict[str, Any]:
    """The national list of ``year`` (latest when None) with its diff to the year before."""
    raise EngineUnavailable("criticality", "national list pipeline not in this build")


def crma_benchmarks(con: Any) -> dict[str, Any]:
    raise EngineUnavailable("crma")


def chains_list(con: Any) -> list[dict[str, Any]]:
    raise EngineUnavailable("chains")


def chain(con: Any, chain_id: str) -> dict[str, Any]:
    raise EngineUnavailable("chains")


# --- scenarios -----------------------------------------------------------------------------------------
def _scenarios() -> Any:
    return _import("crmsec.scenarios", "scenarios")


def scenario_list() -> pd.DataFrame:
    return _scenarios().list_scenarios()


def scenario_get(name: str) -> Any:
    sc = _scenarios()
    if name not in {s.id for s in sc.builtin_scenarios()}:
        raise UnknownNameError(f"unknown scenario '{name}'", field="name", value=name,
                               hint="list them with GET /api/v1/scenarios")
    return sc.get_scenario(name)


def scenario_parse(data: dict[str, Any], where: str = "upload") -> Any:
    from crmsec.scenarios.spec import parse_scenario

    return parse_scenario(data, where=where)


def run_scenario(con: Any, scenario: Any, *, draws: int = 0, seed: int = 0,
                 progress: Callable[[float, str], None] | None = None) -> dict[str, Any]:
    """Run a scenario (by id or :class:`~crmsec.scenarios.Scenario`) on the store; ensemble when ``draws``."""
    sc = _scenarios()
    if isinstance(scenario, str):
        scenario = scenario_get(scenario)
    step = progress or (lambda f, m="": None)
    step(0.05, "reading supply inputs")
    res = sc.run_scenario_from_store(con, scenario)
    step(0.6 if draws else 0.95, "deterministic run done")
    out: dict[str, Any] = {
        "title": scenario.name, "description": scenario.description, "scenario": scenario.id,
        "tables": {"materials": res.materials, "sectors": res.sectors, "timeline": res.timeline,
                   "stages": res.stages},
        "sources": [s.title + (f" ({s.year})" if getattr(s, "year", None) else "") for s in scenario.sources],
        "notes": list(scenario.assumptions),
    }
    if draws:
        from crmsec.scenarios.inputs import supply_inputs

        ens = sc.run_ensemble([scenario], supply_inputs(con), draws, seed=seed)
        out["tables"]["ensemble"] = _ensemble_frame(ens)
        step(0.95, f"ensemble of {draws} draws done")
    return out


def _ensemble_frame(ens: Any) -> pd.DataFrame:
    for name in ("sectors", "summary", "materials", "table"):
        frame = getattr(ens, name, None)
        if isinstance(frame, pd.DataFrame):
            return frame
    return pd.DataFrame()


# --- crisis (optimize) ---------------------------------------------------------------------------------
def _optimize_examples() -> Path:
    mod = _import("crmsec.optimize", "optimize")
    return Path(mod.__file__).parent / "examples"


def allocation_example() -> dict[str, Any]:
    import yaml

    return yaml.safe_load((_optimize_examples() / "allocation_example.yaml").read_text(encoding="utf-8"))


def run_allocation(problem: dict[str, Any] | None, rule: str, alpha: float,
                   progress: Callable[[float, str], None] | None = None) -> dict[str, Any]:
    """Allocation LP (engine :func:`crmsec.optimize.allocation.allocate`); default: the illustrative example."""
    _import("crmsec.optimize.allocation", "optimize")
    from crmsec.optimize.allocation import allocate
    from crmsec.optimize.inputs import parse_allocation

    step = progress or (lambda f, m="": None)
    example = problem is None
    data = allocation_example() if example else problem
    parsed = parse_allocation(data, source="allocation input")
    step(0.2, "solving the allocation LP")
    res = allocate(parsed, rule, alpha=alpha)
    notes = ["ILLUSTRATIVE INPUT — NOT DATA: the bundled example uses invented round numbers "
             "(crmsec/optimize/examples/allocation_example.yaml)."] if example else []
    return {"title": parsed.name, "tables": {"sectors": res.sectors, "materials": res.materials,
                                             "allocation": res.allocation, "binding": res.binding},
            "summary": {k: clean(v) for k, v in res.summary.items() if _scalar(v)},
            "text": res.explanation, "notes": notes, "illustrative": example}


def run_stockpile(service_level: float | None, budget_eur: float | None,
                  progress: Callable[[float, str], None] | None = None) -> dict[str, Any]:
    """Two-stage stockpile LP on the bundled illustrative scenario set (engine :mod:`crmsec.optimize`)."""
    _import("crmsec.optimize.stockpile", "optimize")
    from crmsec.optimize.stockpile import size_stockpile

    ex = _optimize_examples()
    step = progress or (lambda f, m="": None)
    scn = pd.read_csv(ex / "stockpile_scenarios_example.csv")
    mats = pd.read_csv(ex / "stockpile_materials_example.csv")
    tiers = pd.read_csv(ex / "stockpile_tiers_example.csv")
    step(0.2, "solving the two-stage stockpile LP")
    res = size_stockpile(scn, mats, tiers=tiers, budget_eur=budget_eur, service_level=service_level, country="NLD")
    return {"title": "stockpile", "tables": {"stock": res.stock, "scenarios": res.scenarios},
            "summary": {k: clean(v) for k, v in res.summary.items() if _scalar(v)},
            "text": res.explanation, "illustrative": True,
            "notes": ["ILLUSTRATIVE INPUT — NOT DATA: crmsec/optimize/examples/stockpile_*_example.csv."]}


def _scalar(v: Any) -> bool:
    return isinstance(v, int | float | str | bool | np.generic) or v is None


# --- projects ------------------------------------------------------------------------------------------
def project_registry(url: str | None) -> Any:
    _import("crmsec.projects.registry", "projects")
    from crmsec.projects.registry import ProjectRegistry

    return ProjectRegistry(url)


def appraise_project(case_data: dict[str, Any], instruments: list[str], n_paths: int, seed: int,
                     progress: Callable[[float, str], None] | None = None) -> dict[str, Any]:
    """Monte Carlo appraisal (engine :func:`crmsec.projects.appraisal.appraise`) with one instrument package."""
    _import("crmsec.projects.appraisal", "projects")
    from crmsec.projects.appraisal import appraise
    from crmsec.projects.case import load_case
    from crmsec.projects.instruments import package

    step = progress or (lambda f, m="": None)
    case = load_case(case_data)
    pkgs = [package("package", *instruments)] if instruments else []
    step(0.1, f"simulating {n_paths} price paths")
    res = appraise(case, pkgs, n_paths=n_paths, seed=seed)
    return {"title": case.name if hasattr(case, "name") else "appraisal",
            "tables": {"summary": res.summary, "fan": res.fan},
            "summary": {"n_paths": res.n_paths, "seed": res.seed, "valuation": res.valuation, "method": res.method}}
