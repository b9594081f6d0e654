"""Crisis prioritisation: allocate scarce material (market supply + strategic stock) to sectors by week.

The model is the LP–MIP of methods §5.4 [1]. Sectors ``k`` sit in priority tiers (T1 health, defence,
critical infrastructure/grid, water; T2 supply-chain-critical industry; T3 other); each has a normal
demand ``d[k,m,t]`` [t per period] and an essential floor ``e[k,m,t] <= d`` [t per period] per material
``m`` and period ``t`` (weeks). Per material there is crisis availability ``A[m,t]`` [t], a stock ``I0[m]``
[t] with release limit ``rho[m]`` [t per period] and reserve floor ``Imin[m]`` [t].

Core LP (Eq. 5.4-1 in [1])::

    minimise  sum_{k,m,t} ( wE_k uE + wN_k uN )  -  eps * sum_m I[m,T]
    s.t.      x + uE + uN = d ;  0 <= uE <= e ;  0 <= uN <= d - e
              sum_k x[k,m,t] <= A[m,t] + R[m,t]
              I[m,t] = I[m,t-1] - R[m,t] ;  0 <= R <= rho ;  I >= Imin

The allocation ``x`` is eliminated (``x = d - uE - uN``) so only shortfalls are columns. Weights must satisfy
``min_k wE_k > max_k wN_k > 0``: then no essential need is left short while non-essential volume is
served anywhere (the piecewise-linear loss is convex) — this is checked on input.

Fairness rules (``rule=``):

* ``weighted`` — the core LP.
* ``strict_tiers`` (F1) — lexicographic: minimise the essential shortfall of tier 1 [t], fix it, then tier 2,
  …, then the weighted objective.
* ``maxmin`` (F2) — maximise the common service level ``lambda`` with ``x >= lambda d`` (all volume, or only
  the non-essential part), then re-solve the weighted objective with ``lambda >= lambda* - tol``.
* ``floors_prorata`` (F3) — essential floors first (by weight when they cannot all be met), the rest of
  each material-week shared in proportion to ``d - e`` (one common share ``mu[m,t]`` per material-week).
* ``proportional_floor`` (F4) — ``x >= alpha d (A + R*) / sum_k d`` with ``R*`` from a first weighted solve.

MIP terms (optional, per sector): a minimum operating level ``L = min_operating_share * d`` with an on/off
decision ``y[k,t]``: ``L y <= x <= d y`` (a plant below its minimum is better shut), and a restart cost
``f_k (y[k,t] - y[k,t-1])^+`` with every plant running before the crisis. Dual prices of a MIP are those
of the LP with the on/off decisions fixed.

Value added lost (methods §5.2 item 4, Leontief): ``VA_loss[k,t] = VA_k * phi_k * max_m (u[k,m,t] / d[k,m,t])``
[MEUR], with ``VA_k`` the sector's value added per period and ``phi_k`` its output elasticity to the
scarcest input.

References
----------
.. [1] crmsec methods specification, §5.2 (impact), §5.4 (crisis prioritisation LP–MIP), §5.5 (edge cases).
.. [2] Council Regulation (EU) 2022/1369 and Regulation (EU) 2017/1938 (protected customers served first;
   the "strict tiers" logic). COM(2022) 360 "Save gas for a safe winter" (floors + pro-rata practice).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from crmsec.errors import InputError
from crmsec.optimize._highs import LinearProgram, Solution, solve
from crmsec.optimize.inputs import AllocationInput

Rule = Literal["weighted", "strict_tiers", "maxmin", "floors_prorata", "proportional_floor"]
RULES: tuple[str, ...] = ("weighted", "strict_tiers", "maxmin", "floors_prorata", "proportional_floor")
RULE_TEXT = {
    "weighted": "weighted priority (essential needs by tier weight first, then non-essential volume)",
    "strict_tiers": "strict tiers (tier-1 essential needs first, then tier 2, …, then weights)",
    "maxmin": "max–min service level (the worst-served user as well off as possible)",
    "floors_prorata": "essential floors first, the rest pro rata to non-essential demand",
    "proportional_floor": "every user at least a fixed share of its pro-rata allocation",
}
TOL = 1e-6
# Demand below 1 g per cell is under the solver's feasibility tolerance (1e-7 in HiGHS): such cells are left
# out of the model and counted in ``summary["n_cells_below_tolerance"]`` (never silently).
MIN_DEMAND_T = 1e-6


def _as_array(name: str, value, shape: tuple[int, ...]) -> np.ndarray:
    arr = np.asarray(value, dtype=float)
    try:
        arr = np.broadcast_to(arr, shape).astype(float)
    except ValueError:
        raise InputError(f"{name}: shape {np.shape(value)} does not fit {shape}") from None
    if np.isnan(arr).any():
        raise InputError(f"{name}: contains NaN; give a number (0 if there is none)")
    return arr


@dataclass(frozen=True)
class AllocationProblem:
    """Array form of an allocation problem (what :func:`allocate` solves). Validated on creation.

    Parameters
    ----------
    sectors, materials, periods : labels of the axes k, m, t.
    tiers : tier label per sector (e.g. ``"T1"``).
    tier_rank : priority rank per sector (1 = highest; used by ``strict_tiers``).
    demand : normal demand d[k,m,t] [t per period].
    essential : essential floor e[k,m,t] [t per period], ``0 <= e <= d``.
    weight_essential, weight_nonessential : wE_k, wN_k [objective units per t], ``min wE > max wN > 0``.
    availability : crisis availability A[m,t] [t per period] (remaining imports + domestic + recycling).
    stock : I0[m] [t]; release_limit : rho[m] [t per period] (inf = none); reserve_floor : Imin[m] [t].
    va_meur_per_period : value added of each sector per period [MEUR] (NaN = unknown → VA lost NaN).
    output_elasticity : phi_k [-], 1 = Leontief.
    min_operating_share : minimum technical operating level as a share of demand [-] (NaN = no MIP term).
    restart_cost : cost of restarting a shut plant [objective units].
    weight_unit : unit of the weights, for the explanation (e.g. ``"EUR/t"`` or ``"points/t"``).
    """

    sectors: tuple[str, ...]
    materials: tuple[str, ...]
    periods: tuple[str, ...]
    tiers: tuple[str, ...]
    tier_rank: np.ndarray
    demand: np.ndarray
    essential: np.ndarray
    weight_essential: np.ndarray
    weight_nonessential: np.ndarray
    availability: np.ndarray
    stock: np.ndarray
    release_limit: np.ndarray
    reserve_floor: np.ndarray
    va_meur_per_period: np.ndarray | None = None
    output_elasticity: np.ndarray | None = None
    min_operating_share: np.ndarray | None = None
    restart_cost: np.ndarray | None = None
    weight_unit: str = "points/t"
    name: str = ""
    conversions: pd.DataFrame | None = None

    def conversion_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
        """(source index, target index, yield, capacity [t per period]) of the conversion arcs, or None."""
        c = self.conversions
        if c is None or len(c) == 0:
            return None
        pos = {m: i for i, m in enumerate(self.materials)}
        return (
            c["from_material"].map(pos).to_numpy(int),
            c["to_material"].map(pos).to_numpy(int),
            c["conversion_yield"].to_numpy(float),
            c["capacity_t_per_period"].fillna(np.inf).to_numpy(float),
        )

    def __post_init__(self) -> None:
        k, m, t = len(self.sectors), len(self.materials), len(self.periods)
        if min(k, m, t) == 0:
            raise InputError("allocation problem needs at least one sector, one material and one period")
        for label, items in (
            ("sectors", self.sectors),
            ("materials", self.materials),
            ("periods", self.periods),
        ):
            dup = pd.Index(items)[pd.Index(items).duplicated()]
            if len(dup):
                raise InputError(f"{label}: duplicate name {dup[0]!r}; names must be unique")
        if len(self.tiers) != k:
            raise InputError(f"tiers: {len(self.tiers)} labels for {k} sectors")
        set_ = object.__setattr__
        set_(self, "tier_rank", _as_array("tier_rank", self.tier_rank, (k,)))
        set_(self, "demand", _as_array("demand", self.demand, (k, m, t)))
        set_(self, "essential", _as_array("essential", self.essential, (k, m, t)))
        set_(self, "weight_essential", _as_array("weight_essential", self.weight_essential, (k,)))
        set_(self, "weight_nonessential", _as_array("weight_nonessential", self.weight_nonessential, (k,)))
        set_(self, "availability", _as_array("availability", self.availability, (m, t)))
        set_(self, "stock", _as_array("stock", self.stock, (m,)))
        rl = np.asarray(self.release_limit, float)
        set_(
            self,
            "release_limit",
            np.where(np.isnan(np.broadcast_to(rl, (m,))), np.inf, np.broadcast_to(rl, (m,))),
        )
        set_(self, "reserve_floor", _as_array("reserve_floor", self.reserve_floor, (m,)))
        opt = {
            "va_meur_per_period": np.nan,
            "output_elasticity": 1.0,
            "min_operating_share": np.nan,
            "restart_cost": 0.0,
        }
        for name, default in opt.items():
            val = getattr(self, name)
            arr = np.broadcast_to(np.asarray(default if val is None else val, float), (k,)).astype(float)
            set_(self, name, arr)

        def first(mask: np.ndarray) -> tuple[int, ...]:
            return tuple(int(i) for i in np.argwhere(mask)[0])

        if (self.demand < 0).any():
            i = first(self.demand < 0)
            raise InputError(
                f"demand of sector {self.sectors[i[0]]!r}, material {self.materials[i[1]]!r}, "
                f"period {self.periods[i[2]]!r} is negative ({self.demand[i]:g} t); demand must be >= 0"
            )
        if (self.essential < 0).any():
            i = first(self.essential < 0)
            raise InputError(
                f"essential floor of sector {self.sectors[i[0]]!r}, material {self.materials[i[1]]!r} "
                f"is negative ({self.essential[i]:g} t); floors must be >= 0"
            )
        over = self.essential > self.demand * (1 + 1e-9) + 1e-12
        if over.any():
            i = first(over)
            raise InputError(
                f"essential floor above demand: sector {self.sectors[i[0]]!r}, material {self.materials[i[1]]!r}, "
                f"period {self.periods[i[2]]!r}: essential_t {self.essential[i]:g} > demand_t {self.demand[i]:g}; "
                "the essential floor is part of demand, lower it or raise demand"
            )
        for name in ("availability", "stock", "reserve_floor"):
            arr = getattr(self, name)
            if (arr < 0).any():
                j = first(arr < 0)
                raise InputError(
                    f"{name} of material {self.materials[j[0]]!r} is negative ({arr[j]:g} t); "
                    "give a value >= 0"
                )
        if (self.release_limit < 0).any():
            j = first(self.release_limit < 0)
            raise InputError(
                f"release_limit of material {self.materials[j[0]]!r} is negative; give >= 0 t per period"
            )
        above = self.reserve_floor > self.stock + 1e-9
        if above.any():
            j = first(above)
            raise InputError(
                f"reserve_floor of material {self.materials[j[0]]!r} ({self.reserve_floor[j]:g} t) is above its stock "
                f"({self.stock[j]:g} t); the floor cannot be kept — lower reserve_floor_t or raise stock_t"
            )
        we, wn = self.weight_essential, self.weight_nonessential
        if (wn <= 0).any() or not np.isfinite(we).all() or not np.isfinite(wn).all():
            j = first((wn <= 0) | ~np.isfinite(wn) | ~np.isfinite(we))
            raise InputError(
                f"weights of sector {self.sectors[j[0]]!r} must be finite and > 0 "
                f"(weight_essential {we[j]:g}, weight_nonessential {wn[j]:g})"
            )
        if we.min() <= wn.max():
            raise InputError(
                f"every essential weight must exceed every non-essential weight (smallest weight_essential "
                f"{we.min():g} of sector {self.sectors[int(we.argmin())]!r} <= largest weight_nonessential "
                f"{wn.max():g} of sector {self.sectors[int(wn.argmax())]!r}); otherwise non-essential volume "
                "could be served while essential needs go short"
            )
        if self.conversions is not None and len(self.conversions):
            c = self.conversions
            need = {"from_material", "to_material", "conversion_yield", "capacity_t_per_period"}
            if not need <= set(c.columns):
                raise InputError(f"conversions: need columns {', '.join(sorted(need))}")
            for i, r in enumerate(c.itertuples(index=False)):
                for col in ("from_material", "to_material"):
                    if getattr(r, col) not in self.materials:
                        raise InputError(
                            f"conversions[{i}].{col} {getattr(r, col)!r} is not a material of the problem"
                        )
                if r.from_material == r.to_material:
                    raise InputError(f"conversions[{i}]: from_material and to_material are the same")
                if not (np.isfinite(r.conversion_yield) and r.conversion_yield > 0):
                    raise InputError(
                        f"conversions[{i}].conversion_yield is {r.conversion_yield!r}; give t out per t in > 0"
                    )
                if r.capacity_t_per_period is not None and r.capacity_t_per_period < 0:
                    raise InputError(f"conversions[{i}].capacity_t_per_period is negative")
        mos = self.min_operating_share
        if ((mos < 0) | (mos > 1)).any():
            j = first((mos < 0) | (mos > 1))
            raise InputError(
                f"min_operating_share of sector {self.sectors[j[0]]!r} is {mos[j]:g}; give a share in [0, 1]"
            )
        if (self.restart_cost < 0).any():
            j = first(self.restart_cost < 0)
            raise InputError(f"restart_cost of sector {self.sectors[j[0]]!r} is negative")


@dataclass(frozen=True)
class AllocationResult:
    """Outcome of :func:`allocate`.

    Attributes
    ----------
    allocation : one row per sector × material × period with demand: ``sector, tier, material_id, period,
        demand_t, essential_t, allocated_t, unmet_essential_t, unmet_nonessential_t, service_level``.
    sectors : per sector ``sector, tier, min_service_level, binding_material, essential_met,
        unmet_essential_share, va_lost_meur, periods_shut``.
    materials : per material × period ``material_id, period, availability_t, release_t, stock_end_t,
        demand_t, allocated_t, unmet_essential_t, unmet_nonessential_t, value_per_t, marginal_sector``;
        ``value_per_t`` is the dual price of the availability constraint: the objective gain of one more
        tonne [weight units per t].
    binding : the binding constraints with a plain-language ``explanation``.
    summary : rule, status, objective, lambda (max–min), totals, model size and solve time.
    explanation : short plain-language text for a briefing.
    """

    allocation: pd.DataFrame
    sectors: pd.DataFrame
    materials: pd.DataFrame
    binding: pd.DataFrame
    summary: dict = field(default_factory=dict)
    explanation: str = ""

    def to_dict(self) -> dict:
        """JSON-safe form: every table as a list of records, NaN as None (for the REST API)."""
        from crmsec.optimize._json import result_to_dict

        return result_to_dict(self)


@dataclass
class _Model:
    lp: LinearProgram
    cells: tuple[np.ndarray, np.ndarray, np.ndarray]
    d: np.ndarray
    e: np.ndarray
    cost: np.ndarray  # objective of the core LP (Eq. 5.4-1) over the columns built by _build


def _build(p: AllocationProblem) -> _Model:
    """Assemble the core LP (plus MIP terms) over the cells with positive demand."""
    K, M, T = p.demand.shape
    kk, mm, tt = np.nonzero(p.demand >= MIN_DEMAND_T)
    d = p.demand[kk, mm, tt]
    e = p.essential[kk, mm, tt]
    n = d.size
    lp = LinearProgram()
    scale = float(p.weight_nonessential.min())
    lp.add_cols("uE", n, cost=p.weight_essential[kk], hi=e)
    lp.add_cols("uN", n, cost=p.weight_nonessential[kk], hi=d - e)
    mt = M * T
    eps = 1e-4 * scale  # keeps unneeded stock in store (Eq. 5.4-1, -eps * I_T)
    sup_rows, sup_cols, sup_vals = _add_stock_block(lp, p, end_value=eps)
    # availability: -sum_k uE - sum_k uN - R - yield C <= A - sum_k d
    cell_row = mm * T + tt
    dsum = np.bincount(cell_row, weights=d, minlength=mt)
    ue0, _ = lp.blocks["uE"]
    un0, _ = lp.blocks["uN"]
    lp.add_rows(
        "availability",
        mt,
        np.concatenate([cell_row, cell_row, sup_rows]),
        np.concatenate([ue0 + np.arange(n), un0 + np.arange(n), sup_cols]),
        np.concatenate([-np.ones(2 * n), -sup_vals]),
        hi=p.availability.ravel() - dsum,
    )
    # MIP: minimum operating level and restart cost
    mos = p.min_operating_share
    mip_k = np.flatnonzero(~np.isnan(mos))
    if mip_k.size:
        kpos = np.full(K, -1)
        kpos[mip_k] = np.arange(mip_k.size)
        y = lp.add_cols("y", mip_k.size * T, lo=0.0, hi=1.0, integer=True)
        z = lp.add_cols("z", mip_k.size * T, cost=np.repeat(p.restart_cost[mip_k], T), lo=0.0, hi=1.0)
        sel = np.flatnonzero(kpos[kk] >= 0)
        ycol = y[kpos[kk[sel]] * T + tt[sel]]
        ns = sel.size
        r = np.arange(ns)
        # x <= d y  <=>  uE + uN + d y >= d
        lp.add_rows(
            "run_upper",
            ns,
            np.concatenate([r, r, r]),
            np.concatenate([ue0 + sel, un0 + sel, ycol]),
            np.concatenate([np.ones(ns), np.ones(ns), d[sel]]),
            lo=d[sel],
        )
        # x >= L y  <=>  uE + uN + L y <= d
        lmin = mos[kk[sel]] * d[sel]
        lp.add_rows(
            "run_lower",
            ns,
            np.concatenate([r, r, r]),
            np.concatenate([ue0 + sel, un0 + sel, ycol]),
            np.concatenate([np.ones(ns), np.ones(ns), lmin]),
            hi=d[sel],
        )
        # restart: z[k,t] - y[k,t] + y[k,t-1] >= 0 ; y[k,-1] = 1
        nk = mip_k.size * T
        rr = np.arange(nk)
        has_prev = rr[(rr % T) != 0]
        lo = np.where(rr % T == 0, -1.0, 0.0)
        lp.add_rows(
            "restart",
            nk,
            np.concatenate([rr, rr, has_prev]),
            np.concatenate([z, y, y[has_prev - 1]]),
            np.concatenate([np.ones(nk), -np.ones(nk), np.ones(has_prev.size)]),
            lo=lo,
        )
    return _Model(lp=lp, cells=(kk, mm, tt), d=d, e=e, cost=np.concatenate(lp.cost))


def _stock_flows(p: AllocationProblem, lp: LinearProgram, x: np.ndarray):
    """Release R, conversion inflow (yield × C, at the target) and outflow (C, at the source), each (M, T)."""
    M, T = p.availability.shape
    rel = np.clip(lp.col(x, "R"), 0, None).reshape(M, T)
    conv_in = np.zeros((M, T))
    conv_out = np.zeros((M, T))
    conv = p.conversion_arrays()
    if conv is not None and "C" in lp.blocks:
        src, dst, yld, _ = conv
        c = np.clip(lp.col(x, "C"), 0, None).reshape(src.size, T)
        np.add.at(conv_in, dst, yld[:, None] * c)
        np.add.at(conv_out, src, c)
    for arr in (rel, conv_in, conv_out):
        arr[arr < TOL] = 0.0
    return rel, conv_in, conv_out


def _add_stock_block(lp: LinearProgram, p: AllocationProblem, *, end_value: float = 0.0):
    """Stock columns and balance rows; returns the supply terms (row m*T+t, column, coefficient).

    ``I[m,t] - I[m,t-1] + R[m,t] + sum_j C[j,t] (j converts from m) = I0[m] (t = 0)`` with release
    ``0 <= R <= rho``, conversion ``0 <= C[j,t] <= capacity_j`` and ``I >= Imin``; the supply of material
    ``m`` in period ``t`` is ``R[m,t] + sum_j yield_j C[j,t]`` (j converts into m) — methods §5.5: a stock
    in another form (ore, oxide) reaches users only through a conversion arc with its yield and capacity.
    """
    M, T = p.availability.shape
    mt = M * T
    r_cols = lp.add_cols("R", mt, hi=np.repeat(p.release_limit, T))
    i_cost = np.zeros((M, T))
    i_cost[:, -1] = -end_value
    i_cols = lp.add_cols("I", mt, cost=i_cost.ravel(), lo=np.repeat(p.reserve_floor, T))
    rows = np.arange(mt)
    prev = rows[(rows % T) != 0]
    rhs = np.zeros((M, T))
    rhs[:, 0] = p.stock
    b_rows = [rows, rows, prev]
    b_cols = [i_cols, r_cols, i_cols[prev - 1]]
    b_vals = [np.ones(mt), np.ones(mt), -np.ones(prev.size)]
    sup_rows, sup_cols, sup_vals = [rows], [r_cols], [np.ones(mt)]
    conv = p.conversion_arrays()
    if conv is not None:
        src, dst, yld, cap = conv
        nc = src.size
        c_cols = lp.add_cols("C", nc * T, hi=np.repeat(cap, T))
        jt = np.arange(nc * T)
        j, t = jt // T, jt % T
        b_rows.append(src[j] * T + t)
        b_cols.append(c_cols)
        b_vals.append(np.ones(nc * T))
        sup_rows.append(dst[j] * T + t)
        sup_cols.append(c_cols)
        sup_vals.append(yld[j])
    lp.add_rows(
        "balance",
        mt,
        np.concatenate(b_rows),
        np.concatenate(b_cols),
        np.concatenate(b_vals),
        lo=rhs.ravel(),
        hi=rhs.ravel(),
    )
    return np.concatenate(sup_rows), np.concatenate(sup_cols), np.concatenate(sup_vals)


def _weighted_cost(model: _Model) -> np.ndarray:
    """Objective vector of the core LP for the current column layout (columns added after _build cost 0)."""
    return np.concatenate([model.cost, np.zeros(model.lp.n_col - model.cost.size)])


def _cap_shortfall(lp: LinearProgram, cap: np.ndarray) -> None:
    """Impose ``uE + uN <= cap`` per cell as column bounds instead of rows.

    Exact at the optimum of any objective with ``wE_k > wN_k`` (checked on input): a solution can always
    move shortfall from the essential to the non-essential part of the same cell at no higher cost, so
    ``uN <= min(d - e, cap)`` and ``uE <= max(0, cap - (d - e))`` lose nothing. Rows of this form made
    the 180k-cell model 5-30x slower in HiGHS (benchmarks/bench_optimize.py).
    """
    hi = np.concatenate(lp.col_hi)
    s_e, e_e = lp.blocks["uE"]
    s_n, e_n = lp.blocks["uN"]
    ne = hi[s_n:e_n].copy()  # d - e
    cap = np.maximum(cap, 0.0)
    hi[s_n:e_n] = np.minimum(ne, cap)
    hi[s_e:e_e] = np.minimum(hi[s_e:e_e], np.maximum(0.0, cap - ne))
    lp.col_hi = [hi]


def _max_lambda_aggregate(
    p: AllocationProblem, model: _Model, coef: np.ndarray, what: str, time_limit: float | None
) -> float:
    """Stage 1 of max–min without MIP terms: ``max lambda`` s.t. ``lambda sum_k coef <= A + R`` per
    material-period, with the stock dynamics. Equivalent to the per-cell form ``x >= lambda coef``
    because any ``lambda`` with enough total supply is met by ``x = lambda coef`` (methods §5.4 F2)."""
    M, T = p.availability.shape
    _, mm, tt = model.cells
    need = np.bincount(mm * T + tt, weights=coef, minlength=M * T)
    lp = LinearProgram()
    lam = lp.add_cols("lambda", 1, cost=-1.0, lo=0.0, hi=1.0)
    sup_rows, sup_cols, sup_vals = _add_stock_block(lp, p)
    use = np.flatnonzero(need > 0)
    row_of = np.full(M * T, -1)
    row_of[use] = np.arange(use.size)
    keep = row_of[sup_rows] >= 0
    # lambda need[m,t] - supply[m,t] <= A[m,t]
    lp.add_rows(
        "supply",
        use.size,
        np.concatenate([np.arange(use.size), row_of[sup_rows[keep]]]),
        np.concatenate([np.full(use.size, lam[0]), sup_cols[keep]]),
        np.concatenate([need[use], -sup_vals[keep]]),
        hi=p.availability.ravel()[use],
    )
    sol = solve(lp, what=f"{what}, stage max lambda", time_limit=time_limit)
    return float(sol.x[lam[0]])


def _max_lambda_cells(
    lp: LinearProgram, model: _Model, coef: np.ndarray, scope: str, what: str, time_limit: float | None
) -> float:
    """Stage 1 of max–min with MIP terms: the per-cell form ``x >= lambda coef`` on a copy of the model."""
    import copy

    lp1 = copy.deepcopy(lp)
    lam = lp1.add_cols("lambda", 1, lo=0.0, hi=1.0)
    ue0, _ = lp1.blocks["uE"]
    un0, _ = lp1.blocks["uN"]
    cells = np.flatnonzero(coef > 0)
    cols_u = [ue0 + cells, un0 + cells] if scope == "all" else [un0 + cells]
    r = np.arange(cells.size)
    # x >= lambda coef  <=>  (uE +) uN + coef lambda <= coef
    lp1.add_rows(
        "maxmin",
        cells.size,
        np.concatenate([r] * (len(cols_u) + 1)),
        np.concatenate([*cols_u, np.full(cells.size, lam[0])]),
        np.concatenate([np.ones(cells.size * len(cols_u)), coef[cells]]),
        hi=coef[cells],
    )
    cost = np.zeros(lp1.n_col)
    cost[lam[0]] = -1.0
    lp1.cost = [cost]
    sol = solve(lp1, what=f"{what}, stage max lambda", time_limit=time_limit, duals=False)
    return float(sol.x[lam[0]])


def _solve_rule(
    p: AllocationProblem,
    model: _Model,
    rule: str,
    *,
    alpha: float,
    maxmin_scope: str,
    time_limit: float | None,
) -> tuple[Solution, dict]:
    lp = model.lp
    d, e = model.d, model.e
    ue0, _ = lp.blocks["uE"]
    un0, _ = lp.blocks["uN"]
    what = f"allocation model (rule {rule})"
    extra: dict = {}
    if rule == "weighted":
        lp.cost = [_weighted_cost(model)]
        return solve(lp, what=what, time_limit=time_limit), extra
    if rule == "strict_tiers":
        kk = model.cells[0]
        ranks = np.unique(p.tier_rank)
        fixed = []
        for rank in ranks[:-1] if ranks.size > 1 else ranks:
            cells = np.flatnonzero(p.tier_rank[kk] == rank)
            if cells.size == 0:
                continue
            cost = np.zeros(lp.n_col)
            cost[ue0 + cells] = 1.0
            lp.cost = [cost]
            sol = solve(lp, what=f"{what}, stage tier rank {rank:g}", time_limit=time_limit, duals=False)
            opt = float(sol.objective)
            lp.add_rows(
                f"tier_{rank:g}", 1, np.zeros(cells.size), ue0 + cells, 1.0, hi=opt + 1e-9 * (1 + opt)
            )
            fixed.append({"tier_rank": float(rank), "unmet_essential_t": opt})
        extra["tier_stages"] = fixed
        lp.cost = [_weighted_cost(model)]
        return solve(lp, what=what, time_limit=time_limit), extra
    if rule == "maxmin":
        if maxmin_scope not in ("all", "nonessential"):
            raise InputError(f"maxmin_scope {maxmin_scope!r}: use 'all' or 'nonessential'")
        coef = d if maxmin_scope == "all" else d - e
        if "y" in lp.blocks:
            lam_star = _max_lambda_cells(lp, model, coef, maxmin_scope, what, time_limit)
        else:
            lam_star = _max_lambda_aggregate(p, model, coef, what, time_limit)
        extra["lambda"] = lam_star
        lam_fix = max(0.0, lam_star - 1e-9)
        if maxmin_scope == "all":
            _cap_shortfall(lp, (1 - lam_fix) * d)  # x >= lambda* d
        else:
            hi = np.concatenate(lp.col_hi)
            s_, e_ = lp.blocks["uN"]
            hi[s_:e_] = np.minimum(hi[s_:e_], (1 - lam_fix) * (d - e))  # x - e >= lambda* (d - e)
            lp.col_hi = [hi]
        lp.cost = [_weighted_cost(model)]
        return solve(lp, what=what, time_limit=time_limit), extra
    if rule == "floors_prorata":
        M, T = p.availability.shape
        mu = lp.add_cols("mu", M * T, lo=0.0, hi=1.0)
        _, mm, tt = model.cells
        cells = np.flatnonzero(d - e > 0)
        r = np.arange(cells.size)
        ne = (d - e)[cells]
        # uN = (d - e)(1 - mu)  <=>  uN + (d - e) mu = d - e
        lp.add_rows(
            "prorata",
            cells.size,
            np.concatenate([r, r]),
            np.concatenate([un0 + cells, mu[mm[cells] * T + tt[cells]]]),
            np.concatenate([np.ones(cells.size), ne]),
            lo=ne,
            hi=ne,
        )
        lp.cost = [_weighted_cost(model)]
        return solve(lp, what=what, time_limit=time_limit), extra
    if rule == "proportional_floor":
        if not 0 < alpha <= 1:
            raise InputError(f"alpha {alpha:g}: the proportional-floor share must be in (0, 1]")
        lp.cost = [_weighted_cost(model)]
        first = solve(lp, what=f"{what}, stage release", time_limit=time_limit, duals=False)
        M, T = p.availability.shape
        lo = np.concatenate(lp.col_lo)
        hi = np.concatenate(lp.col_hi)
        for block in ("R", "C"):
            if block in lp.blocks:
                s, e_ = lp.blocks[block]
                lo[s:e_] = first.x[s:e_]
                hi[s:e_] = first.x[s:e_]
        lp.col_lo, lp.col_hi = [lo], [hi]
        _, mm, tt = model.cells
        mt = mm * T + tt
        rel, conv_in, _ = _stock_flows(p, lp, first.x)
        supply = p.availability.ravel() + (rel + conv_in).ravel()
        dsum = np.bincount(mt, weights=d, minlength=M * T)
        share = np.minimum(1.0, np.divide(supply, dsum, out=np.ones_like(supply), where=dsum > 0))
        floor = alpha * d * share[mt]
        _cap_shortfall(lp, d - floor)  # x >= floor  <=>  uE + uN <= d - floor
        extra["alpha"] = alpha
        return solve(lp, what=what, time_limit=time_limit), extra
    raise InputError(f"rule {rule!r} unknown; choose one of {', '.join(RULES)}")


def allocate(
    problem: AllocationProblem | AllocationInput,
    rule: Rule = "weighted",
    *,
    alpha: float = 0.8,
    maxmin_scope: Literal["all", "nonessential"] = "all",
    time_limit: float | None = 120.0,
) -> AllocationResult:
    """Allocate scarce supply and stock releases to sectors per period (methods §5.4).

    Parameters
    ----------
    problem : :class:`AllocationProblem` (arrays) or :class:`AllocationInput` (validated YAML/JSON form).
    rule : fairness rule, one of ``weighted``, ``strict_tiers``, ``maxmin``, ``floors_prorata``,
        ``proportional_floor`` (see module docstring).
    alpha : policy share for ``proportional_floor`` [-], in (0, 1].
    maxmin_scope : ``all`` (x >= lambda d) or ``nonessential`` (x - e >= lambda (d - e)) for ``maxmin``.
    time_limit : HiGHS time limit per solve [s].

    Returns
    -------
    AllocationResult

    Raises
    ------
    InputError : inconsistent inputs (named field).
    SolverError : HiGHS did not reach an optimal solution (carries the HiGHS status).
    """
    if not isinstance(problem, AllocationProblem):
        problem = problem.to_problem()
    if rule not in RULES:
        raise InputError(f"rule {rule!r} unknown; choose one of {', '.join(RULES)}")
    t0 = time.perf_counter()
    model = _build(problem)
    t_build = time.perf_counter() - t0
    sol, extra = _solve_rule(
        problem, model, rule, alpha=alpha, maxmin_scope=maxmin_scope, time_limit=time_limit
    )
    t_total = time.perf_counter() - t0
    return _results(problem, model, sol, rule, extra, t_build, t_total)


def _results(
    p: AllocationProblem, model: _Model, sol: Solution, rule: str, extra: dict, t_build: float, t_total: float
) -> AllocationResult:
    lp = model.lp
    kk, mm, tt = model.cells
    d, e = model.d, model.e
    K, M, T = p.demand.shape
    ue = np.clip(lp.col(sol.x, "uE"), 0, None)
    un = np.clip(lp.col(sol.x, "uN"), 0, None)
    ue[ue < TOL] = 0.0
    un[un < TOL] = 0.0
    x = d - ue - un
    sectors = np.asarray(p.sectors, dtype=object)
    materials = np.asarray(p.materials, dtype=object)
    periods = np.asarray(p.periods, dtype=object)
    tiers = np.asarray(p.tiers, dtype=object)
    alloc = pd.DataFrame(
        {
            "sector": sectors[kk],
            "tier": tiers[kk],
            "material_id": materials[mm],
            "period": periods[tt],
            "demand_t": d,
            "essential_t": e,
            "allocated_t": x,
            "unmet_essential_t": ue,
            "unmet_nonessential_t": un,
            "service_level": x / d,
        }
    )
    # --- materials x periods
    release, conv_in, conv_out = _stock_flows(p, lp, sol.x)
    stock_end = lp.col(sol.x, "I").reshape(M, T)
    stock_end = np.where(np.abs(stock_end) < TOL, 0.0, stock_end)
    value = -lp.row(sol.row_dual, "availability").reshape(M, T)
    value[np.abs(value) < 1e-9] = 0.0
    mt = mm * T + tt
    agg = {
        name: np.bincount(mt, weights=w, minlength=M * T).reshape(M, T)
        for name, w in (
            ("demand_t", d),
            ("allocated_t", x),
            ("unmet_essential_t", ue),
            ("unmet_nonessential_t", un),
        )
    }
    # marginal user: the partly served cell with the highest weight in each material-period
    w_marg = np.where(ue > 0, p.weight_essential[kk], np.where(un > 0, p.weight_nonessential[kk], -np.inf))
    order = np.lexsort((-w_marg, mt))
    first = np.unique(mt[order], return_index=True)
    marginal = np.full(M * T, "", dtype=object)
    cand = order[first[1]]
    ok = np.isfinite(w_marg[cand])
    marginal[first[0][ok]] = [
        f"{sectors[kk[c]]} ({'essential' if ue[c] > 0 else 'non-essential'})" for c in cand[ok]
    ]
    mats = pd.DataFrame(
        {
            "material_id": np.repeat(materials, T),
            "period": np.tile(periods, M),
            "availability_t": p.availability.ravel(),
            "release_t": release.ravel(),
            "converted_in_t": conv_in.ravel(),
            "converted_out_t": conv_out.ravel(),
            "stock_end_t": stock_end.ravel(),
            **{k: v.ravel() for k, v in agg.items()},
            "value_per_t": value.ravel(),
            "marginal_sector": marginal,
        }
    )
    # --- sectors
    short = 1.0 - alloc["service_level"].to_numpy()
    k_t = kk * T + tt
    worst = np.zeros(K * T)
    np.maximum.at(worst, k_t, short)
    worst = worst.reshape(K, T)
    has_demand = np.zeros(K * T, bool)
    has_demand[k_t] = True
    va_lost = (p.va_meur_per_period[:, None] * p.output_elasticity[:, None] * worst).sum(
        axis=1
    )  # Eq. 5.2-4 in [1]
    shut = np.zeros(K, dtype=float)
    if "y" in lp.blocks:
        mip_k = np.flatnonzero(~np.isnan(p.min_operating_share))
        y = np.round(lp.col(sol.x, "y")).reshape(mip_k.size, T)
        shut[mip_k] = (y < 0.5).sum(axis=1)
    by_km = alloc.groupby(["sector", "material_id"], sort=False)[
        ["demand_t", "allocated_t", "essential_t", "unmet_essential_t"]
    ].sum()
    by_km["service_level"] = by_km["allocated_t"] / by_km["demand_t"]
    by_km["ess_share"] = np.divide(
        by_km["unmet_essential_t"],
        by_km["essential_t"],
        out=np.zeros(len(by_km)),
        where=by_km["essential_t"].to_numpy() > 0,
    )
    by_km = by_km.reset_index()
    idx = by_km.groupby("sector", sort=False)["service_level"].idxmin()
    sec = pd.DataFrame({"sector": list(p.sectors), "tier": list(p.tiers)})
    worst_row = by_km.loc[idx, ["sector", "service_level", "material_id"]].rename(
        columns={"service_level": "min_service_level", "material_id": "binding_material"}
    )
    sec = sec.merge(worst_row, on="sector", how="left")
    ess = by_km.groupby("sector")["ess_share"].max().rename("unmet_essential_share")
    sec = sec.merge(ess, on="sector", how="left")
    sec["essential_met"] = sec["unmet_essential_share"].fillna(0) <= TOL
    sec["va_lost_meur"] = va_lost
    sec["periods_shut"] = shut
    sec = sec[
        [
            "sector",
            "tier",
            "min_service_level",
            "binding_material",
            "essential_met",
            "unmet_essential_share",
            "va_lost_meur",
            "periods_shut",
        ]
    ]
    binding = _binding(p, lp, sol, mats, alloc, release, stock_end)
    summary = {
        "name": p.name,
        "rule": rule,
        "rule_text": RULE_TEXT[rule],
        "status": sol.status,
        "mip": sol.mip,
        "objective": sol.objective,
        "weight_unit": p.weight_unit,
        "n_cells_below_tolerance": int(((p.demand > 0) & (p.demand < MIN_DEMAND_T)).sum()),
        "n_variables": lp.n_col,
        "n_constraints": lp.n_row,
        "build_seconds": t_build,
        "total_seconds": t_total,
        "unmet_essential_t_by_material": alloc.groupby("material_id", sort=False)["unmet_essential_t"]
        .sum()
        .to_dict(),
        "va_lost_meur": float(np.nansum(va_lost)) if np.isfinite(va_lost).any() else float("nan"),
        **extra,
    }
    text = _explain(p, summary, mats, sec, binding)
    return AllocationResult(
        allocation=alloc, sectors=sec, materials=mats, binding=binding, summary=summary, explanation=text
    )


def _binding(p, lp, sol, mats, alloc, release, stock_end) -> pd.DataFrame:
    rows: list[dict] = []
    M, T = release.shape
    avail_val = mats["value_per_t"].to_numpy().reshape(M, T)
    conv_in = mats["converted_in_t"].to_numpy().reshape(M, T)
    slack = (
        (mats["availability_t"] + mats["release_t"] + mats["converted_in_t"] - mats["allocated_t"])
        .to_numpy()
        .reshape(M, T)
    )
    unit = p.weight_unit
    for m in range(M):
        name = p.materials[m]
        for t in np.flatnonzero((slack[m] <= 1e-6) & (mats["demand_t"].to_numpy().reshape(M, T)[m] > 0)):
            val = avail_val[m, t]
            marg = mats["marginal_sector"].iat[m * T + t]
            text = (
                f"{name}, {p.periods[t]}: all supply is used ({p.availability[m, t]:.4g} t market"
                f" + {release[m, t]:.4g} t from stock"
                + (f" + {conv_in[m, t]:.4g} t converted from another form" if conv_in[m, t] > 0 else "")
                + ")"
            )
            if val > 0:
                text += f"; one more tonne is worth {val:.4g} {unit}" + (
                    f" and would go to {marg}" if marg else ""
                )
            rows.append(
                {
                    "constraint": "availability",
                    "material_id": name,
                    "sector": "",
                    "period": p.periods[t],
                    "dual": val,
                    "explanation": text,
                }
            )
        lim = p.release_limit[m]
        if np.isfinite(lim) and lim > 0:
            for t in np.flatnonzero(release[m] >= lim - 1e-6):
                rows.append(
                    {
                        "constraint": "release_limit",
                        "material_id": name,
                        "sector": "",
                        "period": p.periods[t],
                        "dual": float("nan"),
                        "explanation": f"{name}, {p.periods[t]}: stock release at its limit of {lim:.4g} t per period",
                    }
                )
        floor = p.reserve_floor[m]
        if p.stock[m] > floor + 1e-9:
            hit = np.flatnonzero(stock_end[m] <= floor + 1e-6)
            if hit.size:
                t = hit[0]
                what = f"the reserve floor of {floor:.4g} t" if floor > 0 else "empty"
                rows.append(
                    {
                        "constraint": "reserve_floor" if floor > 0 else "stock_exhausted",
                        "material_id": name,
                        "sector": "",
                        "period": p.periods[t],
                        "dual": float("nan"),
                        "explanation": f"{name}: stock down to {what} from {p.periods[t]} on",
                    }
                )
    conv = p.conversion_arrays()
    if conv is not None and "C" in lp.blocks:
        src, dst, yld, cap = conv
        c = lp.col(sol.x, "C").reshape(src.size, T)
        for j in range(src.size):
            if not np.isfinite(cap[j]) or cap[j] <= 0:
                continue
            for t in np.flatnonzero(c[j] >= cap[j] - 1e-6):
                rows.append(
                    {
                        "constraint": "conversion_capacity",
                        "material_id": p.materials[dst[j]],
                        "sector": "",
                        "period": p.periods[t],
                        "dual": float("nan"),
                        "explanation": f"{p.periods[t]}: conversion of {p.materials[src[j]]} stock into "
                        f"{p.materials[dst[j]]} at its capacity of {cap[j]:.4g} t per period",
                    }
                )
    ue = alloc[alloc["unmet_essential_t"] > 1e-6]
    if len(ue):
        g = ue.groupby(["sector", "material_id"], sort=False).agg(
            unmet=("unmet_essential_t", "sum"),
            first=("period", "first"),
            last=("period", "last"),
            n=("period", "size"),
        )
        for (sector, mat), r in g.iterrows():
            span = r["first"] if r["n"] == 1 else f"{r['first']}–{r['last']} ({r['n']} periods)"
            rows.append(
                {
                    "constraint": "essential_unmet",
                    "material_id": mat,
                    "sector": sector,
                    "period": span,
                    "dual": float("nan"),
                    "explanation": f"{sector}: {r['unmet']:.4g} t of essential {mat} need cannot be met ({span})",
                }
            )
    cols = ["constraint", "material_id", "sector", "period", "dual", "explanation"]
    return pd.DataFrame(rows, columns=cols)


def _explain(p, summary, mats, sec, binding) -> str:
    lines = [f"Allocation by rule: {summary['rule_text']}."]
    if "lambda" in summary:
        lines.append(
            f"Every user receives at least {summary['lambda']:.1%} of normal demand (max–min level)."
        )
    scarce = mats[mats["unmet_essential_t"] + mats["unmet_nonessential_t"] > 1e-6]
    if scarce.empty:
        lines.append("All demand is met in every period; no material is scarce.")
    else:
        for mat, g in scarce.groupby("material_id", sort=False):
            val = g["value_per_t"]
            lines.append(
                f"{mat}: short in {len(g)} of {len(p.periods)} periods; {g['unmet_essential_t'].sum():.4g} t essential "
                f"and {g['unmet_nonessential_t'].sum():.4g} t non-essential demand unmet; stock released "
                f"{mats.loc[mats['material_id'] == mat, 'release_t'].sum():.4g} t; one more tonne is worth up to "
                f"{val.max():.4g} {p.weight_unit}."
            )
    hurt = sec[~sec["essential_met"]]
    if len(hurt):
        lines.append(
            "Essential needs not fully met: "
            + ", ".join(f"{s} ({t})" for s, t in zip(hurt["sector"], hurt["tier"], strict=True))
            + "."
        )
    else:
        lines.append("All essential needs are met.")
    if summary["n_cells_below_tolerance"]:
        lines.append(
            f"{summary['n_cells_below_tolerance']} sector-material-period demand(s) below {MIN_DEMAND_T:g} t "
            "were left out (below the solver tolerance)."
        )
    if np.isfinite(summary["va_lost_meur"]):
        lines.append(f"Value added lost: {summary['va_lost_meur']:.4g} MEUR over {len(p.periods)} periods.")
    if (sec["periods_shut"] > 0).any():
        shut = sec[sec["periods_shut"] > 0]
        lines.append(
            "Plants shut below their minimum operating level: "
            + ", ".join(
                f"{s} ({n:.0f} periods)" for s, n in zip(shut["sector"], shut["periods_shut"], strict=True)
            )
            + "."
        )
    return "\n".join(lines)
