"""Strategic projects: pipeline registry, Monte Carlo appraisal with public instruments, security contribution,
portfolio choice (methods §6).

Public API (stable):

* registry: :class:`ProjectRegistry` (``list_projects(role=...)``, ``get``, ``add``, ``update``, ``delete``,
  ``import_file``, ``export_file``, ``history``), :func:`seed_strategic_projects`, :func:`list_projects`;
* appraisal: :class:`Case`, :func:`load_case`, :func:`appraise`, :func:`appraise_project`,
  :class:`AppraisalResult`; instruments :func:`parse_instrument`, :func:`package` and the instrument classes;
* prices: :class:`PriceModel`, :func:`calibrate_ou`, :func:`calibrate_gbm`, :func:`world_bank_price_models`;
* security: :func:`secure_tonnes`, :func:`concentration_change`, :func:`delta_supply_risk`,
  :func:`project_delta_sr` (store edge: :func:`project_delta_sr_from_store`), :func:`benchmark_contribution`;
* portfolio: :func:`optimise_portfolio`, :func:`efficient_frontier`, :func:`options_from_appraisals`.
"""

from crmsec._lazy import lazy_exports

#: exported name → defining module, imported on first use (crmsec._lazy)
_EXPORTS = {
    "AppraisalResult": "crmsec.projects.appraisal",
    "appraise": "crmsec.projects.appraisal",
    "simulate_case_prices": "crmsec.projects.appraisal",
    "Case": "crmsec.projects.case",
    "load_case": "crmsec.projects.case",
    "production_profile": "crmsec.projects.case",
    "project_delta_sr_from_store": "crmsec.projects.data",
    "usgs_annual_check": "crmsec.projects.data",
    "world_bank_price_models": "crmsec.projects.data",
    "irr": "crmsec.projects.finance",
    "npv": "crmsec.projects.finance",
    "payback_period": "crmsec.projects.finance",
    "CapexGrant": "crmsec.projects.instruments",
    "Collar": "crmsec.projects.instruments",
    "ContractForDifference": "crmsec.projects.instruments",
    "FirstLossTranche": "crmsec.projects.instruments",
    "LoanGuarantee": "crmsec.projects.instruments",
    "Offtake": "crmsec.projects.instruments",
    "Package": "crmsec.projects.instruments",
    "PriceFloor": "crmsec.projects.instruments",
    "PublicEquity": "crmsec.projects.instruments",
    "package": "crmsec.projects.instruments",
    "parse_instrument": "crmsec.projects.instruments",
    "efficient_frontier": "crmsec.projects.portfolio",
    "optimise_portfolio": "crmsec.projects.portfolio",
    "options_from_appraisals": "crmsec.projects.portfolio",
    "PriceModel": "crmsec.projects.prices",
    "calibrate_gbm": "crmsec.projects.prices",
    "calibrate_ou": "crmsec.projects.prices",
    "ProjectRegistry": "crmsec.projects.registry",
    "benchmark_contribution": "crmsec.projects.security",
    "benchmark_deltas": "crmsec.projects.security",
    "concentration_change": "crmsec.projects.security",
    "delta_supply_risk": "crmsec.projects.security",
    "project_delta_sr": "crmsec.projects.security",
    "secure_tonnes": "crmsec.projects.security",
    "shares_after": "crmsec.projects.security",
    "seed_strategic_projects": "crmsec.projects.seed",
    "appraise_project": "crmsec.projects.service",
    "list_projects": "crmsec.projects.service",
    "open_registry": "crmsec.projects.service",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = [
    "AppraisalResult", "CapexGrant", "Case", "Collar", "ContractForDifference", "FirstLossTranche",
    "LoanGuarantee", "Offtake", "Package", "PriceFloor", "PriceModel", "ProjectRegistry", "PublicEquity",
    "appraise", "appraise_project", "benchmark_contribution", "benchmark_deltas", "calibrate_gbm", "calibrate_ou",
    "concentration_change", "delta_supply_risk", "efficient_frontier", "irr", "list_projects", "load_case",
    "npv", "open_registry", "optimise_portfolio", "options_from_appraisals", "package", "parse_instrument",
    "payback_period", "production_profile", "secure_tonnes", "seed_strategic_projects", "simulate_case_prices",
    "world_bank_price_models", "project_delta_sr", "project_delta_sr_from_store", "shares_after",
    "usgs_annual_check",
]
