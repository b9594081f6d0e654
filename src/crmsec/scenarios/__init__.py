"""Disruption scenarios: specification, built-in library, shortfall engine and ensembles.

Python API (used by the dashboard and ``crmsec run``):

* :func:`list_scenarios` → frame of the built-in library.
* :func:`get_scenario` → a :class:`Scenario` by id or YAML path.
* :func:`run_scenario` (engine, pure) and :func:`run_scenario_from_store` (store-backed).
* :func:`run_ensemble` → :class:`EnsembleResult` (in-process or Dask).
* :func:`write_outputs` → CRMA table and built-in scenario results into ``out/``.
"""

from crmsec.scenarios.api import list_scenarios, run_scenario_from_store, write_outputs
from crmsec.scenarios.engine import ScenarioResult, SupplyInputs, run_scenario
from crmsec.scenarios.ensemble import EnsembleResult, run_ensemble
from crmsec.scenarios.spec import Measure, Scenario, builtin_scenarios, get_scenario, load_scenario_file

__all__ = [
    "EnsembleResult", "Measure", "Scenario", "ScenarioResult", "SupplyInputs", "builtin_scenarios",
    "get_scenario", "list_scenarios", "load_scenario_file", "run_ensemble", "run_scenario",
    "run_scenario_from_store", "write_outputs",
]
