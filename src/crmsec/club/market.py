"""Annual partial-equilibrium market kernel for one material: linear demand, capacity blocks, a dominant supplier.

Pure and vectorised: every argument is an array over N independent markets (paths × years flattened), the
fringe as ``(N, K)`` capacity blocks. No iterative solver: each market is solved exactly on the merit order.

Model (all prices in the material's price unit, e.g. USD/kg; quantities in t/yr)::

    demand      D(P) = a − b·P                       (world = club + rest of world, linear)
    fringe      block k supplies cap_k when P > c_k, any share of cap_k when P = c_k (price takers)
    dominant    cost c_d, capacity K_d, one of four conducts:

    competitive   a price-taking block like the fringe (q_d = K_d·1[P > c_d]);
    flood         the same — the dominant offers its whole capacity at cash cost c_d to deter entry;
    cournot       Nash in quantities against the price-taking fringe: given fringe output S it sets
                  q_d = clip((a − S − b·c_d)/2, 0, K_d); equivalently it supplies q_d(P) = clip(b·(P − c_d), 0, K_d)
                  along the equilibrium (its first-order condition P − c_d = q_d/b);
    leader        dominant-firm price leadership (Stackelberg leader against a price-taking fringe): it picks
                  P to maximise (P − c_d)·(D(P) − S_f(P)) with S_f the fringe supply; at a fringe block's cost the
                  block stays out (limit pricing, the usual tie-break).

For ``competitive``/``flood``/``cournot`` the equilibrium is the unique crossing of the decreasing net demand
for fringe output and the increasing fringe step supply: with the blocks sorted by cost, the number k of
blocks whose cost lies strictly below the price is the count of blocks with P(S_m) > c_m (a monotone test),
and the price is either P(S_k) (inside a step) or the next block's cost (on a step, partial block). For
``leader`` the profit is concave on each step, so the optimum on each step is the clipped vertex
(a − S_m + b·c_d)/(2b); the best step wins. Prices are bounded below by 0 (free disposal).

References
----------
.. [1] Carlton, D.W., Perloff, J.M. (2005). Modern Industrial Organization, 4th ed., ch. 4 (dominant firm with a
   competitive fringe; limit pricing).
.. [2] Gaskins, D.W. (1971). Dynamic limit pricing: optimal pricing under threat of entry. J. Econ. Theory 3(3).
.. [3] Salant, S.W. (1976). Exhaustible resources and industrial structure: a Nash-Cournot approach to the world
   oil market. J. Political Economy 84(5) (Cournot dominant supplier with a price-taking fringe).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from crmsec.errors import InputError

Conduct = Literal["competitive", "flood", "cournot", "leader"]
CONDUCTS: tuple[str, ...] = ("competitive", "flood", "cournot", "leader")
MAX_MARKETS = 50_000_000  # N·K upper bound checked before work starts


@dataclass(frozen=True)
class MarketSolution:
    """Equilibrium of N markets: price [price unit], quantities [t/yr].

    ``fringe`` is ``(N, K)`` in the caller's block order; ``demand`` = ``fringe.sum(1) + dominant`` (the market
    clears); ``dominant_profit`` is (P − c_d)·q_d [price unit · t/yr].
    """

    price: np.ndarray
    demand: np.ndarray
    dominant: np.ndarray
    fringe: np.ndarray
    dominant_profit: np.ndarray


def linear_demand(q0: np.ndarray | float, p0: np.ndarray | float, elasticity: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """Intercept a [t/yr] and slope b [t/yr per price unit] of D(P) = a − bP through (p0, q0) with point
    elasticity −ε there: b = ε·q0/p0, a = q0·(1 + ε) (standard calibration of a linear demand to a point
    elasticity, e.g. Perloff, Microeconomics, ch. 2)."""
    q0, p0, eps = (np.asarray(x, dtype=float) for x in (q0, p0, elasticity))
    if np.any(p0 <= 0) or np.any(q0 < 0) or np.any(eps <= 0):
        raise InputError("linear demand needs p0 > 0, q0 >= 0 and a positive elasticity (its absolute value)")
    b = eps * q0 / p0
    return q0 * (1.0 + eps), b


def _check(a: np.ndarray, b: np.ndarray, cost: np.ndarray, cap: np.ndarray, group: np.ndarray) -> None:
    if cost.shape != cap.shape or cost.ndim != 2:
        raise InputError(f"market: cost and capacity must be (G, K) arrays of one shape, got {cost.shape}, {cap.shape}")
    if group.shape != a.shape or (group.size and (group.min() < 0 or group.max() >= cost.shape[0])):
        raise InputError(f"market: group must hold N = {a.shape[0]} row indices into the {cost.shape[0]} supply rows")
    if a.size * cost.shape[1] > MAX_MARKETS:
        raise InputError(f"market: {a.size * cost.shape[1]:,} market-blocks exceed the limit {MAX_MARKETS:,}; "
                         "use fewer paths or blocks")
    if np.any(b <= 0) or np.any(cap < 0) or np.any(~np.isfinite(cost)):
        raise InputError("market: demand slope must be > 0, capacities >= 0 and costs finite")


def _net_price(s: np.ndarray, a: np.ndarray, b: np.ndarray, cd: np.ndarray, kd: np.ndarray, conduct: str) -> np.ndarray:
    """Price at which net demand for fringe output, D(P) − q_d(P), equals s (vectorised; s broadcast)."""
    p0 = (a - s) / b  # dominant out (P <= c_d)
    if conduct == "cournot":
        p1 = 0.5 * (p0 + cd)  # interior q_d = b(P − c_d)
        p2 = p0 - kd / b  # capacity binds
        return np.where(p0 <= cd, p0, np.where(b * (p1 - cd) <= kd, p1, p2))
    p2 = p0 - kd / b  # competitive / flood: dominant is a block at c_d
    return np.where(p0 <= cd, p0, np.maximum(p2, cd))


@dataclass(frozen=True)
class _Supply:
    """Fringe supply rows sorted by cost, gathered per market: c, q (N, K), cumulative S_0..S_K (N, K + 1)."""

    c: np.ndarray
    q: np.ndarray
    s: np.ndarray
    inv: np.ndarray  # (N, K) position of each original block in the sorted order


def _sorted_supply(cost: np.ndarray, cap: np.ndarray, group: np.ndarray) -> _Supply:
    order = np.argsort(cost, axis=1, kind="stable")  # per supply row (G, K), cheap
    c_g = np.take_along_axis(cost, order, 1)
    q_g = np.take_along_axis(cap, order, 1)
    s_g = np.concatenate([np.zeros((c_g.shape[0], 1)), np.cumsum(q_g, axis=1)], axis=1)
    inv_g = np.argsort(order, axis=1)
    return _Supply(c_g[group], q_g[group], s_g[group], inv_g[group])


def _unsort(x: np.ndarray, inv: np.ndarray) -> np.ndarray:
    return np.take_along_axis(x, inv, 1)


def _clearing(a: np.ndarray, b: np.ndarray, sup: _Supply, cd: np.ndarray, kd: np.ndarray,
              conduct: str) -> MarketSolution:
    c, q, s_cum = sup.c, sup.q, sup.s
    n, k = c.shape
    # block m (1-based) fully in iff P(S_m) > c_m; the test is monotone in m
    p_full = _net_price(s_cum[:, 1:], a[:, None], b[:, None], cd[:, None], kd[:, None], conduct)
    n_in = (p_full > c).sum(axis=1)
    rows = np.arange(n)
    s_k = s_cum[rows, n_in]
    p_inside = _net_price(s_k, a, b, cd, kd, conduct)
    c_next = np.where(n_in < k, c[rows, np.minimum(n_in, k - 1)], np.inf) if k else np.full(n, np.inf)
    price = np.maximum(np.where(p_inside >= c_next, c_next, p_inside), 0.0)
    if conduct == "cournot":
        q_d = np.clip(b * (price - cd), 0.0, kd)
    else:
        q_d = np.where(price > cd, kd, 0.0)
    dem = np.maximum(a - b * price, 0.0)
    # fringe: blocks below the price run full; blocks at the price take the rest in order; dominant partial at c_d
    below = c < price[:, None]
    fr_sorted = np.where(below, q, 0.0)
    rest = dem - q_d - fr_sorted.sum(axis=1)
    room = np.where((c == price[:, None]) & ~below, q, 0.0)
    room_cum = np.cumsum(room, axis=1)
    take = np.clip(rest[:, None] - (room_cum - room), 0.0, room)
    fr_sorted += take
    rest = rest - take.sum(axis=1)
    if conduct != "cournot":  # dominant on its own step (price == c_d) absorbs the remainder
        q_d = q_d + np.where((price == cd) & (rest > 0), np.minimum(rest, kd), 0.0)
    fringe = _unsort(fr_sorted, sup.inv)
    return MarketSolution(price, fringe.sum(axis=1) + q_d, q_d, fringe, (price - cd) * q_d)


def _leader(a: np.ndarray, b: np.ndarray, sup: _Supply, cd: np.ndarray, kd: np.ndarray) -> MarketSolution:
    n, k = sup.c.shape
    c = np.maximum(sup.c, 0.0)
    s = sup.s  # fringe supply on step m = 0..K
    lo_c = np.concatenate([np.zeros((n, 1)), c], axis=1)  # step m spans [c_m, c_{m+1}]
    hi_c = np.concatenate([c, np.full((n, 1), np.inf)], axis=1)
    a2, b2, cd2, kd2 = a[:, None], b[:, None], cd[:, None], kd[:, None]
    lo = np.maximum(lo_c, (a2 - s - kd2) / b2)  # residual <= K_d
    hi = np.minimum(hi_c, (a2 - s) / b2)  # residual >= 0
    vertex = (a2 - s + b2 * cd2) / (2 * b2)
    p = np.clip(vertex, lo, hi)
    resid = a2 - s - b2 * p
    profit = np.where(lo <= hi, (p - cd2) * resid, -np.inf)
    best = np.argmax(profit, axis=1)
    rows = np.arange(n)
    best_profit = profit[rows, best]
    comp = _clearing(a, b, sup, cd, kd, "competitive")
    use = best_profit > np.maximum(comp.dominant_profit, 0.0)
    price = np.where(use, p[rows, best], comp.price)
    q_d = np.where(use, np.maximum(resid[rows, best], 0.0), comp.dominant)
    fringe_l = _unsort(np.where(np.arange(k)[None, :] < best[:, None], sup.q, 0.0), sup.inv)
    fringe = np.where(use[:, None], fringe_l, comp.fringe)
    return MarketSolution(price, fringe.sum(axis=1) + q_d, q_d, fringe, (price - cd) * q_d)


def solve_market(
    a: np.ndarray, b: np.ndarray, cost: np.ndarray, cap: np.ndarray, dominant_cost: np.ndarray,
    dominant_cap: np.ndarray, conduct: Conduct | np.ndarray = "competitive", group: np.ndarray | None = None,
) -> MarketSolution:
    """Equilibrium of N one-material markets (see the module docstring for the model).

    Parameters
    ----------
    a, b : (N,) linear demand D(P) = a − bP [t/yr], [t/yr per price unit].
    cost, cap : (N, K) fringe block unit cash cost [price unit] (a must-run block: cost 0) and capacity [t/yr];
        or (G, K) supply rows shared by many markets, with ``group`` (N,) naming each market's row (e.g. the
        year: all paths of a year face the same blocks) — the merit order is then sorted once per row.
    dominant_cost, dominant_cap : (N,) the dominant supplier's cash cost and capacity.
    conduct : one conduct for all markets, or an (N,) array of conduct names or integer codes into ``CONDUCTS``
        (e.g. a flooding regime per path).
    group : (N,) row index into ``cost``/``cap`` (default: market i uses row i).
    """
    a, b, cd, kd = (np.atleast_1d(np.asarray(x, dtype=float)) for x in (a, b, dominant_cost, dominant_cap))
    cost = np.asarray(cost, dtype=float)
    cap = np.asarray(cap, dtype=float)
    n = a.shape[0]
    a, b, cd, kd = (np.broadcast_to(x, (n,)) for x in (a, b, cd, kd))
    grp = np.arange(n) if group is None else np.asarray(group, dtype=np.intp)
    _check(a, b, cost, cap, grp)
    if isinstance(conduct, str):
        if conduct not in CONDUCTS:
            raise InputError(f"market conduct must be one of {CONDUCTS}, not {conduct!r}")
        sup = _sorted_supply(cost, cap, grp)
        if conduct == "leader":
            return _leader(a, b, sup, cd, kd)
        return _clearing(a, b, sup, cd, kd, "cournot" if conduct == "cournot" else "competitive")
    modes = np.asarray(conduct)
    if modes.dtype.kind in "iu":  # integer codes: index into CONDUCTS (fast path for regime paths)
        if modes.size and (modes.min() < 0 or modes.max() >= len(CONDUCTS)):
            raise InputError(f"market conduct codes must be 0..{len(CONDUCTS) - 1} ({CONDUCTS})")
        codes = modes.astype(np.int8)
    else:
        bad = set(np.unique(modes).tolist()) - set(CONDUCTS)
        if bad:
            raise InputError(f"market conduct must be one of {CONDUCTS}, not {sorted(bad)}")
        codes = np.select([modes == c for c in CONDUCTS], list(range(len(CONDUCTS)))).astype(np.int8)
    present = np.bincount(codes, minlength=len(CONDUCTS)) > 0
    if present.sum() == 1:
        return solve_market(a, b, cost, cap, cd, kd, CONDUCTS[int(np.argmax(present))], grp)
    out = {f: np.zeros(n) for f in ("price", "demand", "dominant", "dominant_profit")}
    fringe = np.zeros((n, cost.shape[1]))
    for i in np.nonzero(present)[0]:
        sel = codes == i
        sol = solve_market(a[sel], b[sel], cost, cap, cd[sel], kd[sel], CONDUCTS[i], grp[sel])
        for f in out:
            out[f][sel] = getattr(sol, f)
        fringe[sel] = sol.fringe
    return MarketSolution(out["price"], out["demand"], out["dominant"], fringe, out["dominant_profit"])
