"""Disruption scenarios: specification, built-in library, shortfall engine and ensembles.

Python API (used by the dashboard and ``crmsec run``):

* :func:`list_scenarios` → frame of the built-in library.
* :func:`get_scenario` → a :class:`Scenario` by id or YAML path.
* :func:`run_scenario` (engine, pure) and :func:`run_scenario_from_store` (store-backed).
* :func:`run_ensemble` → :class:`EnsembleResult` (in-process or Dask).
* :func:`write_outputs` → CRMA table and built-in scenario results into ``out/``.
"""

from crmsec._lazy import lazy_exports

#: exported name → defining module, imported on first use (crmsec._lazy)
_EXPORTS = {
    "list_scenarios": "crmsec.scenarios.api",
    "run_scenario_from_store": "crmsec.scenarios.api",
    "write_outputs": "crmsec.scenarios.api",
    "ScenarioResult": "crmsec.scenarios.engine",
    "SupplyInputs": "crmsec.scenarios.engine",
    "run_scenario": "crmsec.scenarios.engine",
    "EnsembleResult": "crmsec.scenarios.ensemble",
    "run_ensemble": "crmsec.scenarios.ensemble",
    "Measure": "crmsec.scenarios.spec",
    "Scenario": "crmsec.scenarios.spec",
    "builtin_scenarios": "crmsec.scenarios.spec",
    "get_scenario": "crmsec.scenarios.spec",
    "load_scenario_file": "crmsec.scenarios.spec",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = [
    "EnsembleResult", "Measure", "Scenario", "ScenarioResult", "SupplyInputs", "builtin_scenarios",
    "get_scenario", "list_scenarios", "load_scenario_file", "run_ensemble", "run_scenario",
    "run_scenario_from_store", "write_outputs",
]
