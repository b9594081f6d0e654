"""Vectorised financial primitives over Monte Carlo paths: discount factors, NPV, IRR, payback, tail risk.

Every function takes cash flows as ``(n_paths, n_periods)`` (a 1-D array is one path), period 0 = today,
annual periods, annual effective discount rates (the convention of ``numpy_financial.npv``).

References
----------
.. [1] Brealey, R.A., Myers, S.C., Allen, F. Principles of Corporate Finance, ch. 2 and 5 (NPV, IRR, payback).
.. [2] Rockafellar, R.T., Uryasev, S. (2000). Optimization of conditional value-at-risk. Journal of Risk 2(3).
.. [3] crmsec methods spec §6.1 (IRR is NaN when there is no sign change or several roots) and §6.3.
"""

from __future__ import annotations

import numpy as np


def discount_factors(rate: float, n_periods: int) -> np.ndarray:
    """DF_t = (1 + rate)^-t for t = 0..n_periods-1 [-] (annual effective ``rate`` [1/yr])."""
    return (1.0 + rate) ** -np.arange(n_periods, dtype=float)


def annuity_factor(rate: float, n_periods: int) -> float:
    """Capital recovery factor r / (1 − (1 + r)^−n): the level annual payment per unit of present value over
    ``n_periods`` years (1/n at r = 0) [1]."""
    return 1.0 / n_periods if abs(rate) < 1e-12 else rate / (1 - (1 + rate) ** -n_periods)


def npv(rate: float, cash_flows: np.ndarray) -> np.ndarray:
    """Net present value per path: sum_t CF_t / (1 + r)^t (methods §6.1), first flow undiscounted.

    Equal to ``numpy_financial.npv(rate, cf)`` for one path.
    """
    cf = np.asarray(cash_flows, dtype=float)
    return cf @ discount_factors(rate, cf.shape[-1])  # methods §6.1 NPV


def _npv_at(cf: np.ndarray, rates: np.ndarray) -> np.ndarray:
    """NPV of each path at its own rate (rates shape (n_paths,)), by Horner's rule in x = 1/(1 + r)."""
    x = 1.0 / (1.0 + rates)
    acc = cf[:, -1].copy()
    for t in range(cf.shape[1] - 2, -1, -1):  # loop over periods, vectorised over paths
        acc = acc * x + cf[:, t]
    return acc


def irr(
    cash_flows: np.ndarray, *, low: float = -0.95, high: float = 2.0, n_grid: int = 120, tol: float = 1e-10
) -> np.ndarray:
    """Internal rate of return per path [1/yr]; NaN where undefined (methods §6.1).

    The IRR is the rate r with NPV(r) = 0. NPV is evaluated for all paths on a grid of rates in
    [``low``, ``high``] (one matrix product); a path gets an IRR only when NPV changes sign exactly once on the
    grid, i.e. there is one root in the range. Paths whose cash flows never change sign, or whose NPV curve
    has several roots (non-conventional flows, [3]), get NaN. The bracketing grid cell is then refined by
    vectorised bisection over all paths at once (no loop over paths).

    Parameters
    ----------
    cash_flows : ``(n_paths, n_periods)`` or ``(n_periods,)``.
    low, high : search range of the rate [1/yr]; roots outside it are reported as NaN.
    n_grid : number of grid rates (log-spaced in 1 + r).
    tol : absolute tolerance of the returned rate.
    """
    cf = np.atleast_2d(np.asarray(cash_flows, dtype=float))
    n_paths, n_per = cf.shape
    out = np.full(n_paths, np.nan)
    signs = np.sign(cf)
    nz = signs != 0
    # no sign change at all -> no IRR (all inflows or all outflows)
    has_pos = np.any(signs > 0, axis=1)
    has_neg = np.any(signs < 0, axis=1)
    candidate = has_pos & has_neg & np.all(np.isfinite(cf), axis=1) & np.any(nz, axis=1)
    if not candidate.any():
        return out if np.ndim(cash_flows) > 1 else out[0]
    grid = np.expm1(np.linspace(np.log1p(low), np.log1p(high), n_grid))
    t = np.arange(n_per, dtype=float)
    dfm = np.exp(-np.outer(t, np.log1p(grid)))  # (n_per, n_grid)
    c = cf[candidate]
    vals = c @ dfm  # NPV on the grid, (n_cand, n_grid)
    s = np.sign(vals)
    change = (s[:, :-1] * s[:, 1:]) < 0
    exact = s == 0
    n_roots = change.sum(axis=1) + exact.sum(axis=1)
    unique = n_roots == 1
    idx_exact = np.argmax(exact, axis=1)
    idx_change = np.argmax(change, axis=1)
    res = np.full(c.shape[0], np.nan)
    on_grid = unique & exact.any(axis=1)
    res[on_grid] = grid[idx_exact[on_grid]]
    bis = unique & ~exact.any(axis=1)
    if bis.any():
        cb = c[bis]
        lo = grid[idx_change[bis]]
        hi = grid[idx_change[bis] + 1]
        f_lo = vals[bis, idx_change[bis]]
        f_hi = vals[bis, idx_change[bis] + 1]
        side = np.zeros(lo.size, dtype=np.int8)
        for _ in range(200):  # Illinois regula falsi, vectorised over paths (superlinear, always bracketed)
            new = hi - f_hi * (hi - lo) / (f_hi - f_lo)
            f_new = _npv_at(cb, new)
            same_as_lo = np.sign(f_new) == np.sign(f_lo)
            # replace the end with the same sign; halve the stale end's value when it is kept twice
            lo, f_lo, hi, f_hi = (
                np.where(same_as_lo, new, lo), np.where(same_as_lo, f_new, f_lo),
                np.where(same_as_lo, hi, new), np.where(same_as_lo, f_hi, f_new),
            )
            f_hi = np.where(same_as_lo & (side == 1), 0.5 * f_hi, f_hi)
            f_lo = np.where(~same_as_lo & (side == -1), 0.5 * f_lo, f_lo)
            side = np.where(same_as_lo, 1, -1).astype(np.int8)
            done = ((hi - lo) < tol) | (f_lo == 0) | (f_hi == 0)
            if done.all():
                break
        res[bis] = np.where(np.abs(f_lo) < np.abs(f_hi), lo, hi)
    out[candidate] = res
    return out if np.ndim(cash_flows) > 1 else out[0]


def mirr(cash_flows: np.ndarray, finance_rate: float, reinvest_rate: float) -> np.ndarray:
    """Modified IRR per path [1/yr], reported where the IRR is ambiguous (methods §6.1).

    MIRR = (FV of inflows at ``reinvest_rate`` / PV of outflows at ``finance_rate``)^(1/(n − 1)) − 1 with n
    periods; NaN when there are no inflows or no outflows. Equals ``numpy_financial.mirr`` per path [1].
    """
    cf = np.atleast_2d(np.asarray(cash_flows, dtype=float))
    n = cf.shape[1]
    t = np.arange(n, dtype=float)
    pos = np.where(cf > 0, cf, 0.0) @ ((1 + reinvest_rate) ** (n - 1 - t))
    neg = np.where(cf < 0, cf, 0.0) @ ((1 + finance_rate) ** -t)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where((pos > 0) & (neg < 0), (pos / -neg) ** (1.0 / (n - 1)) - 1.0, np.nan)
    return out if np.ndim(cash_flows) > 1 else out[0]


def payback_period(cash_flows: np.ndarray) -> np.ndarray:
    """Undiscounted payback [yr]: first period at which cumulative cash flow turns >= 0 after being negative.

    Linear interpolation inside the crossing year; NaN when cumulative flows never recover (or never go
    negative, where payback is not defined).
    """
    cf = np.atleast_2d(np.asarray(cash_flows, dtype=float))
    cum = np.cumsum(cf, axis=1)
    neg = cum < 0
    n = cf.shape[1]
    first_neg = np.where(neg.any(axis=1), np.argmax(neg, axis=1), n)
    after = (~neg) & (np.arange(n)[None, :] > first_neg[:, None])
    recovered = after.any(axis=1)
    out = np.full(cf.shape[0], np.nan)
    rows = np.nonzero(recovered)[0]
    k = np.argmax(after[rows], axis=1)  # first period with cumulative >= 0 after going negative
    prev = cum[rows, k - 1]
    out[rows] = (k - 1) + (-prev / cf[rows, k])
    return out if np.ndim(cash_flows) > 1 else out[0]


def expected_shortfall(values: np.ndarray, alpha: float = 0.05, *, tail: str = "low") -> float:
    """Mean of the worst ``alpha`` share of outcomes [2].

    ``tail="low"`` averages the lowest values (expected shortfall of NPV); ``tail="high"`` the highest
    (CVaR of a cost).
    """
    v = np.sort(np.asarray(values, dtype=float)[np.isfinite(values)])
    if v.size == 0:
        return float("nan")
    k = max(1, int(np.ceil(alpha * v.size - 1e-9)))
    return float(v[:k].mean() if tail == "low" else v[-k:].mean())
