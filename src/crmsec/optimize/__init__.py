"""Crisis prioritisation and strategic stockpile sizing (methods §5.3–§5.5).

Public API (pure, no I/O except the ``load_*`` helpers):

* :func:`allocate` ``(problem, rule="weighted", *, alpha=0.8, maxmin_scope="all", time_limit=120.0)
  -> AllocationResult`` — the allocation LP–MIP with four fairness rules.
* :class:`AllocationProblem` (array form), :class:`AllocationInput` (pydantic YAML/JSON form;
  ``AllocationInput.from_frames(periods=, tiers=, sectors=, materials=, demand=, conversions=None)``),
  :func:`load_allocation` (file), :func:`parse_allocation` (dict).
* :func:`size_stockpile` ``(scenarios, materials, *, tiers=None, budget_eur=None, cvar_alpha=None,
  cvar_weight=0.0, service_level=None, country=None, time_limit=300.0) -> StockpileResult``.
* :func:`pool_stockpile` ``(scenarios, materials, members, *, rule="consumption", split="prorata",
  tiers=None, service_level=None, budget_eur=None, time_limit=300.0) -> PoolResult``.
* :func:`coverage_days_stock`, :func:`risk_tiers`, :func:`coverage_tiers`, :func:`critical_fractile_stock`,
  :func:`expected_cost`, :func:`validate_scenarios`.

Every result (``AllocationResult``, ``StockpileResult``, ``PoolResult``) is a frozen dataclass of pandas
frames + ``summary`` dict + ``explanation`` text, with ``to_dict()`` giving a JSON-safe form (NaN → null).
Main-job step: :func:`crmsec.optimize.main_job.write_outputs`; example runner:
:func:`crmsec.optimize.demo.run_examples`.
"""

from crmsec._lazy import lazy_exports

#: exported name → defining module, imported on first use (crmsec._lazy)
_EXPORTS = {
    "RULES": "crmsec.optimize.allocation",
    "AllocationProblem": "crmsec.optimize.allocation",
    "AllocationResult": "crmsec.optimize.allocation",
    "allocate": "crmsec.optimize.allocation",
    "AllocationInput": "crmsec.optimize.inputs",
    "load_allocation": "crmsec.optimize.inputs",
    "parse_allocation": "crmsec.optimize.inputs",
    "PoolResult": "crmsec.optimize.stockpile",
    "StockpileResult": "crmsec.optimize.stockpile",
    "coverage_days_stock": "crmsec.optimize.stockpile",
    "coverage_tiers": "crmsec.optimize.stockpile",
    "critical_fractile_stock": "crmsec.optimize.stockpile",
    "expected_cost": "crmsec.optimize.stockpile",
    "pool_stockpile": "crmsec.optimize.stockpile",
    "risk_tiers": "crmsec.optimize.stockpile",
    "size_stockpile": "crmsec.optimize.stockpile",
    "validate_scenarios": "crmsec.optimize.stockpile",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = [
    "RULES",
    "AllocationInput",
    "AllocationProblem",
    "AllocationResult",
    "PoolResult",
    "StockpileResult",
    "allocate",
    "coverage_days_stock",
    "coverage_tiers",
    "critical_fractile_stock",
    "expected_cost",
    "load_allocation",
    "parse_allocation",
    "pool_stockpile",
    "risk_tiers",
    "size_stockpile",
    "validate_scenarios",
]
