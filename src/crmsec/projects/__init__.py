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

from crmsec.projects.appraisal import AppraisalResult, appraise, simulate_case_prices
from crmsec.projects.case import Case, load_case, production_profile
from crmsec.projects.data import project_delta_sr_from_store, usgs_annual_check, world_bank_price_models
from crmsec.projects.finance import irr, npv, payback_period
from crmsec.projects.instruments import (
    CapexGrant,
    Collar,
    ContractForDifference,
    FirstLossTranche,
    LoanGuarantee,
    Offtake,
    Package,
    PriceFloor,
    PublicEquity,
    package,
    parse_instrument,
)
from crmsec.projects.portfolio import efficient_frontier, optimise_portfolio, options_from_appraisals
from crmsec.projects.prices import PriceModel, calibrate_gbm, calibrate_ou
from crmsec.projects.registry import ProjectRegistry
from crmsec.projects.security import (
    benchmark_contribution,
    benchmark_deltas,
    concentration_change,
    delta_supply_risk,
    project_delta_sr,
    secure_tonnes,
    shares_after,
)
from crmsec.projects.seed import seed_strategic_projects
from crmsec.projects.service import appraise_project, list_projects, open_registry

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
