"""Monte Carlo appraisal of a project business case with and without public instrument packages.

Pure computational core: takes a :class:`~crmsec.projects.case.Case`, simulated price paths and
:class:`~crmsec.projects.instruments.Package` objects; returns arrays and frames. Every quantity is an
array ``(n_paths, n_years + 1)`` (paths × years); the only Python loops run over years (tax-loss
carry-forward, debt waterfall) and over instruments, never over paths.

Cash flows follow methods §6.1, instrument effects and public cost §6.4, outputs §6.3:

    Revenue_t = Σ_j Q_{j,t} · payable_j · P_{j,t} − TC/RC_t (+ price-support payments of instruments)
    EBITDA_t  = Revenue_t − Opex_t − Royalty_t
    Tax_t     = τ · max(0, EBITDA_t − Dep_t − Interest_t − LossCarryForward_t)
    FCF_t     = EBITDA_t − Tax_t − Capex_t − ΔWC_t − Closure_t

Investor value is the NPV of the *private* equity cash flows after senior debt service (annuity debt, a debt
service reserve, default when cash available for debt service plus the reserve falls short of scheduled
service; equity receives nothing after default, while the asset keeps operating for the lenders, so
price-support payments continue). The project (unlevered) NPV is reported beside it. Not modelled:
offtaker counterparty default, construction delays and cost overruns (model them as scenarios of the case).

Valuation convention (methods §6.2) is one switch for the whole result, never mixed: ``real_world``
(calibrated drifts; investor at cost of equity, project at WACC, public cost at the public rate) or
``risk_neutral`` (GBM drift ln(1 + r_f) − y, OU level shifted by the market price of risk; everything
discounted at r_f).

References
----------
.. [1] crmsec methods spec §6.1–§6.4.
.. [2] Yescombe, E.R. (2014). Principles of Project Finance, 2nd ed., ch. 12–14 (DSCR, reserves, default).
.. [3] Hull, J.C. Options, Futures, and Other Derivatives, ch. 15 (Black–Scholes put; risk-neutral drift).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from crmsec.errors import InputError
from crmsec.projects.case import Case
from crmsec.projects.finance import (
    annuity_factor,
    discount_factors,
    expected_shortfall,
    irr,
    mirr,
    payback_period,
)
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
)
from crmsec.projects.prices import simulate_prices

Valuation = Literal["real_world", "risk_neutral"]
FAN_PERCENTILES = (5, 10, 25, 50, 75, 90, 95)
BASELINE = Package(name="none")


@dataclass(frozen=True)
class Rates:
    """Discount rates [1/yr, annual effective] and price measure of one appraisal (one convention)."""

    valuation: Valuation
    investor: float
    project: float
    public: float
    drift_rate: float  # continuously compounded rate for the risk-neutral drift (unused in real_world)

    @classmethod
    def of(cls, case: Case, valuation: Valuation) -> Rates:
        if valuation == "real_world":
            return cls(valuation, case.cost_of_equity, case.wacc, case.public_rate, 0.0)
        if valuation == "risk_neutral":
            rf = case.risk_free
            return cls(valuation, rf, rf, rf, math.log1p(rf))
        raise InputError(f"valuation must be 'real_world' or 'risk_neutral', not {valuation!r}")


def simulate_case_prices(
    case: Case, *, n_paths: int = 10_000, seed: int | np.random.Generator = 20250325,
    valuation: Valuation = "real_world", antithetic: bool = True,
) -> dict[str, np.ndarray]:
    """EUR price paths ``{product: (n_paths, n_years + 1)}`` for a case under the chosen measure.

    Products priced in USD are converted with the simulated EUR-per-USD path (quanto-adjusted under the
    risk-neutral measure, see :func:`crmsec.projects.prices.simulate_prices`); EUR-priced ones are not.
    """
    rates = Rates.of(case, valuation)
    return simulate_prices(
        case.price_set(), case.n_years, n_paths=n_paths, seed=seed, antithetic=antithetic,
        measure=valuation, rate=rates.drift_rate, foreign={p.name for p in case.products if p.currency == "USD"},
    )


def _tax_with_loss_carry_forward(taxable: np.ndarray, rate: float) -> np.ndarray:
    """Tax_t = τ·max(0, taxable_t − LCF_t) with unlimited loss carry-forward (methods §6.1), per path."""
    tax = np.zeros_like(taxable)
    lcf = np.zeros(taxable.shape[0])
    for t in range(taxable.shape[1]):  # loop over years, vectorised over paths
        ti = taxable[:, t]
        use = np.minimum(lcf, np.maximum(ti, 0.0))
        tax[:, t] = rate * np.maximum(ti - use, 0.0)  # Tax_t in methods §6.1
        lcf = lcf - use + np.maximum(-ti, 0.0)
    return tax


def _depreciation(capex: np.ndarray, years: int) -> np.ndarray:
    """Straight-line depreciation of each year's capex over ``years`` from the next year; the book value
    left at the horizon is written off in the final year."""
    n = capex.size
    dep = np.zeros(n)
    for t in np.nonzero(capex)[0]:
        annual = capex[t] / years
        end = min(n, t + 1 + years)
        dep[t + 1 : end] += annual
        left = capex[t] - annual * max(0, end - (t + 1))
        dep[n - 1] += left
    return dep


@dataclass(frozen=True)
class DebtSchedule:
    """Deterministic senior debt schedule per year (before any default) [EUR]."""

    draws: np.ndarray
    interest: np.ndarray  # incl. interest during construction (paid by equity)
    principal: np.ndarray
    outstanding: np.ndarray  # principal outstanding at the start of year t (after earlier draws)
    service: np.ndarray  # scheduled debt service from the first production year
    first_op: int


def debt_schedule(
    capex: np.ndarray, first_op: int, share: float, rate: float, tenor: int, grace: int = 0
) -> DebtSchedule:
    """Annuity debt: drawn pro rata with construction capex (t < first_op), interest-only for ``grace``
    years from the first production year, then repaid as an annuity over ``tenor`` years.

    Interest during construction is paid by equity. Debt still outstanding at the horizon is repaid in the
    final year (balloon). Annuity A = D·r / (1 − (1 + r)^−n) [2].
    """
    n = capex.size
    draws = np.zeros(n)
    draws[:first_op] = share * capex[:first_op]
    interest, principal, outstanding, service = (np.zeros(n) for _ in range(4))
    balance = 0.0
    d0 = draws.sum()
    annuity = d0 * annuity_factor(rate, tenor)
    for t in range(n):
        outstanding[t] = balance
        if t < first_op:
            interest[t] = rate * balance
            balance += draws[t]
            continue
        if balance <= 1e-9:
            continue
        interest[t] = rate * balance
        pay = annuity - interest[t] if t >= first_op + grace else 0.0
        if t == n - 1 or t == first_op + grace + tenor - 1:
            pay = balance
        principal[t] = min(pay, balance)
        balance -= principal[t]
        service[t] = interest[t] + principal[t]
    return DebtSchedule(draws, interest, principal, outstanding, service, first_op)


@dataclass
class PackageOutcome:
    """Per-path outcome of one package (arrays over paths; ``*_cf`` arrays are paths × years)."""

    package: Package
    investor_npv: np.ndarray
    project_npv: np.ndarray
    equity_cf: np.ndarray
    project_fcf: np.ndarray
    public_cost: np.ndarray
    public_cost_by_instrument: dict[str, np.ndarray]
    irr: np.ndarray
    mirr: np.ndarray
    payback: np.ndarray
    min_dscr: np.ndarray
    defaulted: np.ndarray


def evaluate_package(case: Case, prices: dict[str, np.ndarray], pkg: Package, rates: Rates) -> PackageOutcome:
    """Cash flows, investor value and public cost of one instrument package on given price paths."""
    n_paths = next(iter(prices.values())).shape[0]
    n = case.n_years + 1
    q = {p.name: np.asarray(p.quantity, dtype=float) for p in case.products}
    main = case.products[0].name
    q_main = q[main]
    prod_years = np.nonzero(q_main > 0)[0]
    first_op = int(prod_years[0]) if prod_years.size else n
    df_inv = discount_factors(rates.investor, n)
    df_proj = discount_factors(rates.project, n)
    df_pub = discount_factors(rates.public, n)
    capex = np.asarray(case.capex, dtype=float)

    # --- revenue and price-linked costs (methods §6.1) ---
    market_rev = np.zeros((n_paths, n))
    feed = np.zeros((n_paths, n))
    for p in case.products:
        pay_val = (q[p.name] * p.payable)[None, :] * prices[p.name]
        market_rev += pay_val - p.tc_rc * q[p.name]
        feed += p.feed_cost_share * pay_val
    support = np.zeros((n_paths, n))
    public: dict[str, np.ndarray] = {}

    def _tonnes(name: str | None, share: float, years: int | None) -> tuple[np.ndarray, np.ndarray]:
        prod = name or main
        if prod not in q:
            raise InputError(f"instrument refers to product '{prod}', not in case '{case.name}' ({list(q)})")
        spec = next(x for x in case.products if x.name == prod)
        tonnes = share * q[prod] * spec.payable
        if years is not None:
            on = np.nonzero(q[prod] > 0)[0]
            mask = np.zeros(n, dtype=bool)
            mask[on[:years]] = True
            tonnes = tonnes * mask
        return tonnes[None, :], prices[prod]

    grant = np.zeros(n)
    grant_taxable = np.zeros(n)
    guarantee: LoanGuarantee | None = None
    first_loss: FirstLossTranche | None = None
    equity_share = 0.0
    for k, inst in enumerate(pkg.instruments):
        key = f"{k}:{inst.type}"
        if isinstance(inst, PriceFloor):
            tq, pr = _tonnes(inst.product, inst.share, inst.years)
            s = tq * np.maximum(inst.strike - pr, 0.0)  # price floor, methods §6.4
        elif isinstance(inst, ContractForDifference):
            tq, pr = _tonnes(inst.product, inst.share, inst.years)
            s = tq * (inst.strike - pr)  # two-sided CfD, methods §6.4
        elif isinstance(inst, Collar):
            tq, pr = _tonnes(inst.product, inst.share, inst.years)
            s = tq * (np.maximum(inst.floor - pr, 0.0) - np.maximum(pr - inst.cap, 0.0))  # collar, §6.4
        elif isinstance(inst, Offtake):
            tq, pr = _tonnes(inst.product, inst.share, inst.years)
            if inst.price is not None:
                paid = np.full_like(pr, inst.price)
            else:
                paid = pr * (1 - inst.discount)
                if inst.floor is not None:
                    paid = np.maximum(paid, inst.floor)
                if inst.ceiling is not None:
                    paid = np.minimum(paid, inst.ceiling)
            s = tq * (paid - pr)  # offtake: phi·Q·(K_o − P), methods §6.4
            if not inst.public_offtaker:
                support += s
                continue
        elif isinstance(inst, CapexGrant):
            if inst.year >= n:
                raise InputError(f"grant year {inst.year} is beyond the horizon (n_years = {case.n_years})")
            grant[inst.year] += inst.amount
            if inst.taxable:
                grant_taxable[inst.year] += inst.amount
            public[key] = np.full(n_paths, inst.amount * df_pub[inst.year])  # public cost G, §6.4
            continue
        elif isinstance(inst, LoanGuarantee):
            guarantee = inst
            continue
        elif isinstance(inst, FirstLossTranche):
            first_loss = inst
            continue
        elif isinstance(inst, PublicEquity):
            equity_share = inst.share
            continue
        else:  # pragma: no cover - the discriminated union is closed
            raise InputError(f"unknown instrument {inst!r}")
        support += s
        public[key] = s @ df_pub

    revenue = market_rev + support
    active = (q_main > 0).astype(float)
    opex = case.opex_fixed * active[None, :] + case.opex_variable * q_main[None, :] + feed
    royalty = case.royalty_rate * np.maximum(market_rev, 0.0)
    ebitda = revenue - opex - royalty  # methods §6.1
    wc = case.wc_fraction * revenue
    wc[:, -1] = 0.0  # working capital released in the final year
    dwc = np.diff(wc, axis=1, prepend=0.0)
    closure = np.zeros(n)
    closure[-1] = case.closure_cost
    dep = _depreciation(capex, case.depreciation_years)

    # --- project (unlevered) view ---
    taxable_u = ebitda - dep[None, :] - closure[None, :] + grant_taxable[None, :]
    tax_u = _tax_with_loss_carry_forward(taxable_u, case.tax_rate)
    fcf = ebitda - tax_u - capex[None, :] - dwc - closure[None, :] + grant[None, :]  # FCF_t, methods §6.1
    project_npv = fcf @ df_proj

    # --- financing: senior debt with optional guarantee ---
    share = case.debt.share
    spread = case.debt.spread
    if guarantee is not None:
        spread = guarantee.spread
        share = guarantee.debt_share if guarantee.debt_share is not None else share
    sched = debt_schedule(capex, first_op, share, case.debt.base_rate + spread, case.debt.tenor,
                          case.debt.grace_years)
    g_share = guarantee.share if guarantee is not None else 0.0
    g_fee_rate = guarantee.fee if guarantee is not None else 0.0
    fee_sched = g_fee_rate * g_share * sched.outstanding

    taxable_l = taxable_u - sched.interest[None, :] - fee_sched[None, :]
    tax_l = _tax_with_loss_carry_forward(taxable_l, case.tax_rate)
    cash = ebitda - tax_l - dwc - closure[None, :] + grant[None, :]

    reserve_target = case.debt.reserve_years * (sched.service.max() if first_op < n else 0.0)
    eq = np.zeros((n_paths, n))
    alive = np.ones(n_paths, dtype=bool)
    defaulted = np.zeros(n_paths, dtype=bool)
    reserve = np.zeros(n_paths)
    guar_cost = np.zeros(n_paths)
    fee_income = np.zeros(n_paths)
    dscr = np.full((n_paths, n), np.nan)
    had_debt = sched.draws.sum() > 0
    for t in range(n):  # debt waterfall: loop over years, vectorised over paths
        fee_t = fee_sched[t]
        fee_income += np.where(alive, fee_t, 0.0) * df_pub[t]
        if t < first_op:
            flow = cash[:, t] - (capex[t] - sched.draws[t]) - sched.interest[t] - fee_t
            if had_debt and t == first_op - 1:
                flow = flow - reserve_target  # reserve funded by equity at the end of construction
                reserve[:] = reserve_target
            eq[:, t] = flow
            continue
        ds = sched.service[t]
        avail = cash[:, t] - capex[t] - ds - fee_t
        if ds > 0:
            dscr[:, t] = np.where(alive, (cash[:, t] - capex[t]) / ds, np.nan)  # CFADS / DS
            surplus = avail >= 0
            refill = np.where(surplus, np.minimum(avail, np.maximum(reserve_target - reserve, 0.0)), 0.0)
            draw = np.where(surplus, 0.0, np.minimum(-avail, reserve))
            short = ~surplus & (-avail > reserve + 1e-9)
            new_default = short & alive
            if new_default.any():
                ead = np.maximum(sched.outstanding[t] + sched.interest[t] - reserve, 0.0)
                guar_cost += np.where(new_default, g_share * ead * case.debt.lgd * df_pub[t], 0.0)  # §6.4
                defaulted |= new_default
                alive &= ~new_default
            reserve = reserve + refill - draw
            dist = np.where(surplus, avail - refill, 0.0)
        else:
            dist = avail
            if had_debt and t > first_op and sched.service[t - 1] > 0:
                dist = dist + reserve  # reserve released at maturity
                reserve = np.zeros(n_paths)
        eq[:, t] = np.where(alive, dist, 0.0)
    if guarantee is not None:
        public["guarantee"] = guar_cost - fee_income  # expected losses net of fees, §6.4

    # --- public equity and first-loss tranche on the private share ---
    if equity_share:
        public["equity"] = -equity_share * (eq @ df_pub)  # −eta·FCF, §6.4 (dividends are public income)
    priv = (1.0 - equity_share) * eq
    if first_loss is not None:
        f = first_loss.amount
        invested = -(np.minimum(priv, 0.0) @ df_inv)
        dist_pv = np.maximum(priv, 0.0) @ df_inv
        repaid = np.clip(dist_pv - (invested - f), 0.0, f)  # private is repaid first, then the tranche
        public["first_loss"] = f - repaid  # = min(Loss, F), §6.4
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = np.where(dist_pv > 0, repaid / dist_pv, 0.0)
        priv = priv - frac[:, None] * np.maximum(priv, 0.0)
        priv[:, 0] += f
    investor_npv = priv @ df_inv
    public_cost = np.sum(list(public.values()), axis=0) if public else np.zeros(n_paths)
    with np.errstate(invalid="ignore"):
        min_dscr = np.nanmin(np.where(np.isnan(dscr), np.inf, dscr), axis=1)
    min_dscr[~np.isfinite(min_dscr)] = np.nan
    return PackageOutcome(
        package=pkg, investor_npv=investor_npv, project_npv=project_npv, equity_cf=priv, project_fcf=fcf,
        public_cost=public_cost, public_cost_by_instrument=public, irr=irr(priv),
        mirr=mirr(priv, rates.investor, rates.investor), payback=payback_period(priv),
        min_dscr=min_dscr, defaulted=defaulted,
    )


def _pct(x: np.ndarray, q: float) -> float:
    x = x[np.isfinite(x)]
    return float(np.percentile(x, q)) if x.size else float("nan")


def summarise(out: PackageOutcome, base: PackageOutcome, case: Case, rates: Rates) -> dict[str, object]:
    """Scalar metrics of one package against the baseline (methods §6.3, §6.4)."""
    npv_ = out.investor_npv
    cost = out.public_cost
    e_cost = float(cost.mean())
    d_inv = float(npv_.mean() - base.investor_npv.mean())
    go = npv_ >= case.hurdle_npv
    go0 = base.investor_npv >= case.hurdle_npv
    has_debt = bool(np.isfinite(out.min_dscr).any())
    return {
        "package": out.package.name,
        "instruments": "; ".join(i.type for i in out.package.instruments) or "none",
        "valuation": rates.valuation,
        "e_npv": float(npv_.mean()),
        "npv_p10": _pct(npv_, 10),
        "npv_p50": _pct(npv_, 50),
        "npv_p90": _pct(npv_, 90),
        "p_npv_neg": float(np.mean(npv_ < 0)),
        "npv_es5": expected_shortfall(npv_, 0.05, tail="low"),
        "e_project_npv": float(out.project_npv.mean()),
        "irr_p10": _pct(out.irr, 10),
        "irr_p50": _pct(out.irr, 50),
        "irr_p90": _pct(out.irr, 90),
        "irr_undefined_share": float(np.mean(~np.isfinite(out.irr))),
        "mirr_p50": _pct(out.mirr, 50),
        "min_dscr_p5": _pct(out.min_dscr, 5) if has_debt else float("nan"),
        "min_dscr_p50": _pct(out.min_dscr, 50) if has_debt else float("nan"),
        "p_default": float(out.defaulted.mean()),
        "payback_p50": _pct(out.payback, 50),
        "p_payback": float(np.mean(np.isfinite(out.payback))),
        "delta_investor_value": d_inv,
        "public_cost_mean": e_cost,
        "public_cost_p95": _pct(cost, 95),
        "public_cost_cvar95": expected_shortfall(cost, 0.05, tail="high"),
        "p_go": float(go.mean()),
        "additionality": float(go.mean() - go0.mean()),  # methods §6.4
        "leverage": d_inv / e_cost if abs(e_cost) > 1e-9 else float("nan"),  # ΔE[private NPV] per EUR
    }


def fan(out: PackageOutcome, prices: dict[str, np.ndarray], case: Case) -> pd.DataFrame:
    """Fan-chart percentiles per year: main price, project FCF, private equity CF and its cumulative."""
    years = case.start_year + np.arange(case.n_years + 1)
    main = case.products[0].name
    series = {
        "price_" + main: prices[main],
        "project_fcf": out.project_fcf,
        "equity_cf": out.equity_cf,
        "equity_cf_cumulative": np.cumsum(out.equity_cf, axis=1),
    }
    rows = []
    for var, arr in series.items():
        pct = np.percentile(arr, FAN_PERCENTILES, axis=0)
        mean = arr.mean(axis=0)
        for i, y in enumerate(years):
            row = {"package": out.package.name, "variable": var, "year": int(y), "mean": float(mean[i])}
            row.update({f"p{q:02d}": float(pct[j, i]) for j, q in enumerate(FAN_PERCENTILES)})
            rows.append(row)
    return pd.DataFrame(rows)


@dataclass
class AppraisalResult:
    """Result of :func:`appraise`: one summary row per package, fan-chart percentiles, per-path outcomes."""

    case: Case
    valuation: Valuation
    n_paths: int
    seed: int | None
    summary: pd.DataFrame
    fan: pd.DataFrame
    outcomes: dict[str, PackageOutcome] = field(repr=False)
    method: str = "crmsec.projects.appraisal v1 (methods §6.1–6.4)"

    def public_cost_paths(self, package: str) -> np.ndarray:
        return self.outcomes[package].public_cost


def appraise(
    case: Case,
    packages: list[Package] | tuple[Package, ...] = (),
    *,
    n_paths: int = 10_000,
    seed: int = 20250325,
    valuation: Valuation = "real_world",
    antithetic: bool = True,
    with_fan: bool = True,
    prices: dict[str, np.ndarray] | None = None,
) -> AppraisalResult:
    """Appraise a case without support and with each package, on one common set of price paths.

    Parameters
    ----------
    case : the business case.
    packages : instrument packages; the no-support baseline ``"none"`` is always evaluated first.
    n_paths : Monte Carlo paths (>= 10,000 recommended, methods §6.2; even keeps every antithetic pair).
    seed : seed of ``numpy.random.default_rng``; results are reproducible bit-for-bit.
    valuation : ``"real_world"`` or ``"risk_neutral"`` for every number in the result (never mixed).
    with_fan : also compute fan-chart percentiles per year.
    prices : pre-simulated EUR price paths (advanced; must match ``valuation``).

    Returns
    -------
    AppraisalResult with ``summary`` (one row per package, columns of :func:`summarise`) and ``fan``
    (package, variable, year, mean, p05..p95).
    """
    rates = Rates.of(case, valuation)
    names = [p.name for p in packages]
    if "none" in names or len(set(names)) != len(names):
        raise InputError(f"package names must be unique and not 'none' (the baseline), got {names}")
    if prices is None:
        prices = simulate_case_prices(case, n_paths=n_paths, seed=seed, valuation=valuation, antithetic=antithetic)
    base = evaluate_package(case, prices, BASELINE, rates)
    outcomes = {"none": base}
    for pkg in packages:
        outcomes[pkg.name] = evaluate_package(case, prices, pkg, rates)
    summary = pd.DataFrame([summarise(o, base, case, rates) for o in outcomes.values()])
    fans = pd.concat([fan(o, prices, case) for o in outcomes.values()], ignore_index=True) if with_fan else pd.DataFrame()
    return AppraisalResult(case, valuation, n_paths, seed, summary, fans, outcomes)
