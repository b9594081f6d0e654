"""Portfolio of strategic projects × instrument packages under a public budget and a risk limit (MIP, HiGHS).

Model (one binary x_{i,k} per project i and package k, at most one package per project):

    max   Σ_{i,k} s_{i,k} x_{i,k}                       (expected security contribution)
    s.t.  Σ_k x_{i,k} <= 1                              for every project i
          Σ_{i,k} c_{i,k} x_{i,k} <= B                  (expected public cost within budget B)
          risk(x) <= R                                  (optional risk limit)

``s_{i,k}`` is normally P(project goes ahead | package k) × the project's secure tonnes, so a package
"buys" contribution through its additionality. The risk limit is either the sum of the options' CVaR95 of
public cost (a conservative upper bound, CVaR being sub-additive) or, when per-path costs are given, the
exact portfolio CVaR95 by the Rockafellar–Uryasev linearisation [1] over the Monte Carlo paths.

References
----------
.. [1] Rockafellar, R.T., Uryasev, S. (2000). Optimization of conditional value-at-risk. Journal of Risk 2(3).
.. [2] crmsec methods spec §6.4 (additionality, public cost) and §6.5 item 5 (explicit weights).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from crmsec.errors import InputError
from crmsec.optimize._highs import INF, LinearProgram, solve
from crmsec.projects.finance import expected_shortfall

OPTION_COLUMNS = ("project", "package", "public_cost", "risk", "contribution")


def options_from_appraisals(
    appraisals: Mapping[str, object], contribution: Mapping[str, float], *,
    cost_col: str = "public_cost_mean", risk_col: str = "public_cost_cvar95", weight_by_go: bool = True,
) -> pd.DataFrame:
    """Option table (project, package, public_cost, risk, contribution) from appraisal results.

    Parameters
    ----------
    appraisals : project code → :class:`crmsec.projects.appraisal.AppraisalResult`.
    contribution : project code → security contribution if the project goes ahead (e.g. expected secure
        tonnes per year, or a weighted composite with explicit weights).
    weight_by_go : multiply by P(investor NPV >= hurdle | package) (the chance the project proceeds).
    """
    rows = []
    for code, res in appraisals.items():
        if code not in contribution:
            raise InputError(f"no security contribution given for project '{code}'")
        summ = res.summary  # type: ignore[attr-defined]
        for rec in summ.to_dict(orient="records"):
            w = rec["p_go"] if weight_by_go else 1.0
            rows.append({"project": code, "package": rec["package"], "public_cost": rec[cost_col],
                         "risk": rec[risk_col], "contribution": w * float(contribution[code])})
    return pd.DataFrame(rows, columns=list(OPTION_COLUMNS))


@dataclass
class PortfolioResult:
    """Chosen package per project, totals and solver status."""

    chosen: pd.DataFrame
    contribution: float
    public_cost: float
    risk: float
    budget: float
    risk_limit: float | None
    status: str


def optimise_portfolio(
    options: pd.DataFrame, budget: float, *, risk_limit: float | None = None,
    cost_paths: Mapping[tuple[str, str], np.ndarray] | None = None, alpha: float = 0.95,
) -> PortfolioResult:
    """Choose at most one package per project to maximise contribution within budget and risk limit.

    Parameters
    ----------
    options : frame with :data:`OPTION_COLUMNS` (one row per project × package; include the baseline
        package ``none`` with zero cost if doing nothing for a project is an option that still counts).
    budget : maximum total expected public cost B [EUR].
    risk_limit : maximum public-cost risk R [EUR]: sum of option ``risk`` values, or the exact portfolio
        CVaR at ``alpha`` when ``cost_paths`` are given.
    cost_paths : (project, package) → per-path public cost [EUR], all of equal length.
    """
    miss = set(OPTION_COLUMNS) - set(options.columns)
    if miss:
        raise InputError(f"options frame lacks columns {sorted(miss)}")
    if options.empty:
        raise InputError("no portfolio options given")
    opt = options.reset_index(drop=True)
    for col in ("public_cost", "contribution") + (("risk",) if risk_limit is not None and cost_paths is None else ()):
        if not np.all(np.isfinite(opt[col].to_numpy(dtype=float))):
            raise InputError(f"options column '{col}' has missing values; appraise every option first")
    n = len(opt)
    lp = LinearProgram()
    x = lp.add_cols("x", n, cost=-opt["contribution"].to_numpy(float), lo=0.0, hi=1.0, integer=True)
    proj_codes, proj_idx = np.unique(opt["project"].to_numpy(), return_inverse=True)
    lp.add_rows("one_package", len(proj_codes), proj_idx, x, 1.0, hi=1.0)
    lp.add_rows("budget", 1, np.zeros(n), x, opt["public_cost"].to_numpy(float), hi=float(budget))
    if risk_limit is not None:
        if cost_paths is None:
            lp.add_rows("risk", 1, np.zeros(n), x, opt["risk"].to_numpy(float), hi=float(risk_limit))
        else:
            keys = list(zip(opt["project"], opt["package"], strict=True))
            missing = [k for k in keys if k not in cost_paths]
            if missing:
                raise InputError(f"cost_paths lacks option(s) {missing[:3]}")
            mat = np.vstack([np.asarray(cost_paths[k], dtype=float) for k in keys])  # (n, n_paths)
            n_p = mat.shape[1]
            zeta = lp.add_cols("zeta", 1, lo=-INF)
            u = lp.add_cols("u", n_p, lo=0.0)
            # u_p >= Σ_k L_kp x_k − zeta   ->  Σ_k L_kp x_k − zeta − u_p <= 0
            rows = np.concatenate([np.repeat(np.arange(n_p), n), np.arange(n_p), np.arange(n_p)])
            cols = np.concatenate([np.tile(x, n_p), np.full(n_p, zeta[0]), u])
            vals = np.concatenate([mat.T.ravel(), -np.ones(n_p), -np.ones(n_p)])
            lp.add_rows("cvar_tail", n_p, rows, cols, vals, hi=0.0)
            # zeta + 1/((1−alpha) N) Σ u <= R   (Rockafellar–Uryasev [1])
            lp.add_rows("cvar", 1, np.zeros(n_p + 1), np.concatenate([zeta, u]),
                        np.concatenate([[1.0], np.full(n_p, 1.0 / ((1 - alpha) * n_p))]), hi=float(risk_limit))
    sol = solve(lp, what="project portfolio MIP", duals=False)  # only the choice is used
    pick = np.round(lp.col(sol.x, "x")) > 0.5
    chosen = opt[pick].reset_index(drop=True)
    if cost_paths is not None and risk_limit is not None and len(chosen):
        tot = np.sum([cost_paths[(r.project, r.package)] for r in chosen.itertuples()], axis=0)
        risk = expected_shortfall(tot, 1 - alpha, tail="high")  # exact portfolio CVaR of the chosen paths
    else:
        risk = float(chosen["risk"].sum()) if len(chosen) else 0.0
    return PortfolioResult(chosen, float(chosen["contribution"].sum()), float(chosen["public_cost"].sum()), risk,
                           float(budget), risk_limit, sol.status)


def efficient_frontier(
    options: pd.DataFrame, budgets: Sequence[float], *, risk_limit: float | None = None,
    cost_paths: Mapping[tuple[str, str], np.ndarray] | None = None,
) -> pd.DataFrame:
    """Maximum contribution for each budget (budget vs contribution), with the chosen packages."""
    rows = []
    for b in budgets:
        r = optimise_portfolio(options, b, risk_limit=risk_limit, cost_paths=cost_paths)
        rows.append({
            "budget": float(b), "contribution": r.contribution, "public_cost": r.public_cost, "risk": r.risk,
            "n_supported": int((r.chosen["package"] != "none").sum()),
            "packages": "; ".join(f"{p}={k}" for p, k in zip(r.chosen["project"], r.chosen["package"], strict=True)),
        })
    return pd.DataFrame(rows)
