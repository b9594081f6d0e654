"""The club market in one year: world and club price under a package's standard, floor and subsidies.

Two demand regions (club members and the rest of the world, linear), supply blocks with a compliance flag and
the dominant supplier (non-compliant). A standards-based market charges a penalty τ per unit on non-compliant
supply sold to club buyers (τ large = club buyers may count only compliant supply). Arbitrage gives
P_w <= P_c <= P_w + τ (world price P_w, club price P_c paid by club buyers and received by compliant supply),
with three exact regimes, each solved by :func:`crmsec.club.market.solve_market`:

1. premium binding (compliant output short of club demand): P_c = P_w + τ; the integrated market is solved
   with club demand shifted down by b_c·τ and compliant costs shifted down by τ; non-compliant supply fills
   the rest of club demand and pays τ (tariff revenue);
2. no premium (compliant output covers club demand at P_c = P_w): the integrated market, P_c = P_w;
3. segmented (in between): the club clears on compliant supply alone and the rest of the world on
   non-compliant supply and the dominant supplier; where the club price falls outside [P_w, P_w + τ] it is
   clipped into it and the market is flagged ``regime = 4`` (approximate: the two sub-markets are not an
   exact fixed point there); results report the share of such path-years (``share_approximate``).

Regime 1 is taken when consistent, else regime 2, else 3. With τ = 0 regimes 1 and 2 are the integrated
market, so the club equals the baseline (a property test).

Regional demands are added linearly (D = a_c + a_r − (b_c + b_r)P), which is exact while the price stays
below each region's choke price a/b; with one elasticity for both regions (the built-in cases) the choke
prices coincide (NdPr: p0·(1 + 1/ε) ≈ 299 USD/kg). :func:`crmsec.club.results.run_case` reports the share of
path-years beyond the club's choke price (``share_beyond_choke``), which should be 0.

Floor and subsidies act on eligible (compliant) blocks through their effective cost: a block whose cash cost
is below the floor F (or below a fixed offtake price) runs whatever the market price (must-run: cost 0 in
the merit order); a production subsidy s lowers its cost by s. The fund's payment max(F − P_c, 0) per tonne
is computed in :mod:`crmsec.club.engine`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from crmsec.club.market import solve_market


@dataclass(frozen=True)
class ClubMarket:
    """Arrays over N markets; ``output`` is (N, K) per block; tonnes [t/yr], prices [price unit]."""

    world_price: np.ndarray
    club_price: np.ndarray
    club_demand: np.ndarray
    row_demand: np.ndarray
    output: np.ndarray
    dominant: np.ndarray
    noncompliant_to_club: np.ndarray
    regime: np.ndarray


def clear(a_c: np.ndarray, b_c: np.ndarray, a_r: np.ndarray, b_r: np.ndarray, cost: np.ndarray, cap: np.ndarray,
          compliant: np.ndarray, dominant_cost: np.ndarray, dominant_cap: np.ndarray, conduct: str | np.ndarray,
          tariff: float = 0.0, *, group: np.ndarray | None = None, tol: float = 1e-6) -> ClubMarket:
    """Equilibrium of N club markets (see module docstring).

    Parameters
    ----------
    a_c, b_c, a_r, b_r : (N,) linear demand of club and rest of world, D(P) = a − bP.
    cost, cap : (N, K) — or (G, K) rows shared via ``group`` (N,) — effective block costs (after floor/subsidy)
        and capacities; compliant : (K,) bool.
    dominant_cost, dominant_cap : (N,); conduct : conduct name, or (N,) names or integer codes.
    tariff : τ >= 0 [price unit] on non-compliant supply to club buyers.
    """
    comp = np.asarray(compliant, dtype=bool)[None, :]
    n = a_c.shape[0]
    grp = np.arange(n) if group is None else np.asarray(group, dtype=np.intp)

    def pick(x, idx):  # noqa: ANN001, ANN202 - conduct may be a name or a per-market array
        return x if isinstance(x, str) else np.asarray(x)[idx]

    if tariff <= 0:
        integ = solve_market(a_c + a_r, b_c + b_r, cost, cap, dominant_cost, dominant_cap, conduct, grp)
        q_c = np.maximum(a_c - b_c * integ.price, 0.0)
        return ClubMarket(integ.price, integ.price, q_c, integ.demand - q_c, integ.fringe, integ.dominant,
                          np.maximum(q_c - (integ.fringe * comp).sum(1), 0.0), np.full(n, 2, dtype=np.int8))
    # regime 1: premium binding
    c1 = np.where(comp, np.maximum(cost - tariff, 0.0), cost)
    r1 = solve_market(np.maximum(a_c - b_c * tariff, 0.0) + a_r, b_c + b_r, c1, cap, dominant_cost, dominant_cap,
                      conduct, grp)
    pc1 = r1.price + tariff
    qc1 = np.maximum(a_c - b_c * pc1, 0.0)
    comp1 = (r1.fringe * comp).sum(1)
    ok1 = comp1 <= qc1 + tol
    pw, pc, qc = r1.price.copy(), pc1, qc1.copy()
    out, dom = r1.fringe.copy(), r1.dominant.copy()
    nc_club = np.where(ok1, np.maximum(qc1 - comp1, 0.0), 0.0)
    regime = np.ones(n, dtype=np.int8)
    s2 = np.nonzero(~ok1)[0]
    if s2.size:  # regime 2 (integrated, no premium) where consistent, else regime 3 (segmented)
        integ = solve_market(a_c[s2] + a_r[s2], b_c[s2] + b_r[s2], cost, cap, dominant_cost[s2], dominant_cap[s2],
                             pick(conduct, s2), grp[s2])
        qc2 = np.maximum(a_c[s2] - b_c[s2] * integ.price, 0.0)
        ok2 = (integ.fringe * comp).sum(1) >= qc2 - tol
        i2 = s2[ok2]
        pw[i2], pc[i2], qc[i2] = integ.price[ok2], integ.price[ok2], qc2[ok2]
        out[i2], dom[i2], regime[i2] = integ.fringe[ok2], integ.dominant[ok2], 2
        s3 = s2[~ok2]
        if s3.size:
            z = np.zeros(s3.size)
            club = solve_market(a_c[s3], b_c[s3], cost, np.where(comp, cap, 0.0), z, z, "competitive", grp[s3])
            row = solve_market(a_r[s3], b_r[s3], cost, np.where(comp, 0.0, cap), dominant_cost[s3],
                               dominant_cap[s3], pick(conduct, s3), grp[s3])
            pw[s3] = row.price
            pc[s3] = np.clip(club.price, row.price, row.price + tariff)
            qc[s3] = club.demand
            out[s3], dom[s3] = club.fringe + row.fringe, row.dominant
            # 3 = consistent; 4 = the club price had to be clipped into [P_w, P_w + τ] (approximate; reported)
            regime[s3] = np.where((club.price < row.price - tol) | (club.price > row.price + tariff + tol), 4, 3)
    total = out.sum(1) + dom
    return ClubMarket(pw, pc, qc, total - qc, out, dom, nc_club, regime)
