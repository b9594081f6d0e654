"""Club-market dynamics over 10–20 years and Monte Carlo paths: investment, fiscal cost, burden, security.

Per package (the no-club baseline ``none`` always first, common random numbers across packages):

1. **Paths.** Demand of each region grows at its rate and carries a multiplicative shock exp(X_t), X an
   Ornstein–Uhlenbeck process in logs simulated with :func:`crmsec.projects.prices.simulate_prices`
   (antithetic, seeded); the dominant supplier floods (prices at cash cost, ``conduct = flood``) in episodes
   that start with an annual probability and last a fixed number of years.
2. **Investment (expectation rule: sequential entry, a fixed point).** A candidate is financeable when its
   contracted share (private offtakes + the package's offtake + 1 if a floor covers it + a joint-purchasing
   tender allocation) reaches the lenders' minimum, and bankable when, in addition, its expected investor NPV
   (:func:`crmsec.projects.appraisal.evaluate_package` on the club price paths the kernel produces with the
   entrants so far, package instruments as :mod:`crmsec.projects.instruments`) is >= 0. Candidates enter one
   at a time, best expected NPV first, the market re-solved after each entry; entry stops when no remaining
   candidate is bankable. Each entrant is therefore bankable given all earlier entrants (the last entrant
   given all); an early entrant is not re-appraised after later ones enter (stated limitation).
3. **Market.** Every path-year is cleared by :func:`crmsec.club.clearing.clear` with the entrants' capacity
   from their start year.
4. **Money.** Floor payments max(F − P_c, 0) per tonne of eligible output, production subsidies, capex grants
   and public offtake net cost, less standards penalties collected; discounted at the public rate, reported
   in million EUR (USD converted at the ``eur_per_usd`` assumption).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from crmsec.club.clearing import ClubMarket, clear
from crmsec.club.market import CONDUCTS
from crmsec.club.spec import MAX_PATHS, ClubCase, Package
from crmsec.errors import InputError

KG_PER_T = 1000.0


@dataclass(frozen=True)
class Paths:
    """Demand and regime paths, (P, T) each; T = n_years + 1 (t = 0 is the base year)."""

    a_c: np.ndarray
    b_c: np.ndarray
    a_r: np.ndarray
    b_r: np.ndarray
    flood: np.ndarray
    dominant_cap: np.ndarray

    @property
    def n(self) -> int:
        return self.a_c.shape[0]

    def head(self, k: int) -> Paths:
        return Paths(*(x[:k] for x in (self.a_c, self.b_c, self.a_r, self.b_r, self.flood, self.dominant_cap)))


def draw_paths(case: ClubCase, n_paths: int, seed: int) -> Paths:
    """Demand shocks (OU via projects.prices) and flooding episodes; see module docstring."""
    from crmsec.club.market import linear_demand
    from crmsec.projects.prices import PriceModel, PriceSet, simulate_prices

    if not 1 <= n_paths <= MAX_PATHS:
        raise InputError(f"n_paths must be between 1 and {MAX_PATHS:,}, got {n_paths}")
    u = case.uncertainty
    t_n = case.n_years
    shock_model = PriceModel(kind="ou", p0=1.0, sigma=u.demand_sigma, kappa=u.demand_kappa, theta=0.0,
                             name="demand_index", unit="-", source=u.source)
    rng = np.random.default_rng(seed)
    shock = simulate_prices(PriceSet(products=(shock_model,)), t_n, n_paths=n_paths, seed=rng,
                            antithetic=n_paths % 2 == 0)["demand_index"]
    t = np.arange(t_n + 1)
    q_c = case.club.q0 * (1 + case.club.growth) ** t * shock
    q_r = case.row.q0 * (1 + case.row.growth) ** t * shock
    a_c, b_c = linear_demand(q_c, case.p0, case.club.elasticity)
    a_r, b_r = linear_demand(q_r, case.p0, case.row.elasticity)
    starts = rng.random((n_paths, t_n + 1)) < u.flood_probability
    flood = np.zeros_like(starts)
    for lag in range(u.flood_years):  # an episode started at s floods years s..s+L−1
        flood[:, lag:] |= starts[:, : t_n + 1 - lag]
    kd = case.dominant.capacity * (1 + case.dominant.capacity_growth) ** t[None, :]
    kd = np.where(flood, kd * case.dominant.flood_capacity_factor, kd)
    return Paths(a_c, b_c, a_r, b_r, flood, kd)


@dataclass(frozen=True)
class Blocks:
    """The case's blocks as arrays (K,)."""

    name: list[str]
    region: list[str]
    capacity: np.ndarray
    cost: np.ndarray
    capex: np.ndarray
    compliant: np.ndarray
    start: np.ndarray  # year index t of first production
    candidate: np.ndarray
    contracted: np.ndarray


def blocks_of(case: ClubCase) -> Blocks:
    b = case.blocks
    return Blocks(
        [x.name for x in b], [x.region for x in b], np.array([x.capacity for x in b]),
        np.array([x.cash_cost for x in b]), np.array([x.capex_musd for x in b]),
        np.array([x.compliant for x in b]), np.array([max(0, x.start_year - case.base_year) for x in b]),
        np.array([x.candidate for x in b]), np.array([x.contracted_share for x in b]),
    )


def annualised_capex(capex_musd: np.ndarray, capacity: np.ndarray, rate: float, life: int = 20) -> np.ndarray:
    """Capital cost per unit of capacity per year [USD/kg]: capex · CRF(rate, life) / capacity, with
    CRF = r/(1 − (1 + r)^−life) (Brealey–Myers–Allen, annuity factor)."""
    from crmsec.projects.finance import annuity_factor

    crf = annuity_factor(rate, life)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(capacity > 0, capex_musd * 1e6 * crf / (capacity * KG_PER_T), np.nan)


def tender_bankable(needed_t: np.ndarray, member_volumes_t: np.ndarray, pooled: bool) -> np.ndarray:
    """Which projects (in the given merit order) a joint or national tender can contract at minimum scale.

    Pooled: one tender of Σ member volumes; projects are taken in order when their needed volume fits in what
    is left, and skipped otherwise.
    National: each project needs one member's tender to cover its volume alone (the largest member first).
    A project needing 0 t is always covered. Volumes [t/yr].
    """
    need = np.asarray(needed_t, dtype=float)
    vols = np.asarray(member_volumes_t, dtype=float)
    ok = np.zeros(need.size, dtype=bool)
    if pooled:
        left = float(vols.sum())
        for i, v in enumerate(need):  # merit order; a project that does not fit is skipped
            if v <= left + 1e-9:
                ok[i] = True
                left -= v
        return ok | (need <= 0)
    left_m = np.sort(vols)[::-1].copy()
    for i, v in enumerate(need):
        j = int(np.argmax(left_m)) if left_m.size else -1
        if v <= 0:
            ok[i] = True
        elif j >= 0 and v <= left_m[j] + 1e-9:
            ok[i] = True
            left_m[j] -= v
    return ok


def floor_net(strike: float, upside_share: float, price: np.ndarray) -> np.ndarray:
    """Net floor payment per unit from the fund: max(F − P, 0) − u·max(P − F, 0) (u = upside share paid back).

    The same payoff as :mod:`crmsec.projects.appraisal`'s PriceFloor(F) plus a Collar(ε, F, share u) — see
    :func:`project_instruments`; a test checks the two agree.
    """
    return np.maximum(strike - price, 0.0) - upside_share * np.maximum(price - strike, 0.0)


def floor_eligible(pkg: Package, blk: Blocks) -> np.ndarray:
    """(K,) blocks covered by the package's floor: the named ones, else all compliant blocks."""
    if pkg.floor is None:
        return np.zeros(blk.capacity.size, dtype=bool)
    if pkg.floor.eligible is None:
        return blk.compliant.copy()
    return np.isin(np.array(blk.name), list(pkg.floor.eligible))


def built_capacity(blk: Blocks, entrants: np.ndarray, t_n: int) -> np.ndarray:
    """(T, K) capacity in place each year [t/yr]: existing blocks and entrant candidates from their start year."""
    t = np.arange(t_n + 1)[:, None]
    return np.where((~blk.candidate | entrants)[None, :] & (t >= blk.start[None, :]), blk.capacity[None, :], 0.0)


def effective_costs(pkg: Package, blk: Blocks, entrants: np.ndarray, t_n: int) -> tuple[np.ndarray, np.ndarray]:
    """(T, K) merit-order costs and capacities under a package: floor/offtake make eligible blocks must-run."""
    t = np.arange(t_n + 1)[:, None]
    cap = built_capacity(blk, entrants, t_n)
    cost = np.broadcast_to(blk.cost, cap.shape).astype(float)
    elig = blk.compliant[None, :]
    cost = np.where(elig, np.maximum(cost - pkg.production_subsidy, 0.0), cost)
    if pkg.floor is not None:
        on = (t < pkg.floor.years) & floor_eligible(pkg, blk)[None, :] & (blk.cost[None, :] < pkg.floor.price)
        cost = np.where(on, 0.0, cost)
    if pkg.offtake is not None:
        span = (t >= blk.start[None, :]) & (t < blk.start[None, :] + pkg.offtake.years)
        on = span & elig & (blk.candidate & entrants)[None, :] & (blk.cost[None, :] < pkg.offtake.price)
        cost = np.where(on, 0.0, cost)
    return cost, cap


def run_market(case: ClubCase, pkg: Package, paths: Paths, blk: Blocks, entrants: np.ndarray) -> ClubMarket:
    """Clear every path-year; arrays come back flattened over (P·T)."""
    t_n = case.n_years
    cost, cap = effective_costs(pkg, blk, entrants, t_n)
    p = paths.n
    conduct: str | np.ndarray = case.dominant.conduct
    if paths.flood.any():
        conduct = np.where(paths.flood, CONDUCTS.index("flood"), CONDUCTS.index(case.dominant.conduct)).reshape(-1)
    flat = [x.reshape(-1) for x in (paths.a_c, paths.b_c, paths.a_r, paths.b_r)]
    year = np.tile(np.arange(t_n + 1), p)  # market (path, year) → supply row of its year
    return clear(*flat, cost, cap, blk.compliant, np.full(p * (t_n + 1), case.dominant.cash_cost),
                 np.ascontiguousarray(paths.dominant_cap).reshape(-1), conduct, pkg.tariff, group=year)


@dataclass
class Appraisal:
    npv_musd: np.ndarray  # (K,) expected investor NPV, NaN for non-candidates
    financeable: np.ndarray  # (K,) contracted-share gate


def _project_case(case: ClubCase, blk: Blocks, k: int, pkg: Package):  # noqa: ANN202
    from crmsec.projects.case import Case, PriceSpec, Product

    n = case.n_years + 1
    s = int(blk.start[k])
    q = tuple(float(blk.capacity[k]) if t >= s else 0.0 for t in range(n))
    capex = np.zeros(n)
    build = max(s, 1)
    capex[:build] = blk.capex[k] * 1e6 / build
    opex = max(blk.cost[k] - (pkg.production_subsidy if blk.compliant[k] else 0.0), 0.0) * KG_PER_T
    return Case(
        name=blk.name[k], n_years=case.n_years, start_year=case.base_year,
        products=(Product(name="main", quantity=q, price=PriceSpec(kind="gbm", p0=case.p0 * KG_PER_T, sigma=0.0,
                                                                 unit="USD/t", source="club kernel paths")),),
        capex=tuple(capex), opex_variable=opex, cost_of_equity=case.finance.hurdle_rate, tax_rate=case.finance.tax_rate,
        wacc=case.finance.hurdle_rate, public_rate=case.finance.public_rate,
    )


def floor_instruments(strike: float, upside_share: float, years: int) -> list:
    """A floor F with upside share u as :mod:`crmsec.projects.instruments`: PriceFloor(F) and, if u > 0, a
    Collar with a floor of 1e-9 (never binding for positive prices) and cap F on share u, i.e. −u·max(P − F, 0)."""
    from crmsec.projects.instruments import Collar, PriceFloor

    out: list = [PriceFloor(strike=strike, years=years)]
    if upside_share > 0:
        out.append(Collar(floor=1e-9, cap=strike, share=upside_share, years=years))
    return out


def project_instruments(pkg: Package, blk: Blocks, k: int, tender_share: np.ndarray):  # noqa: ANN201
    """The package's support of candidate k as :mod:`crmsec.projects.instruments` (one payoff implementation)."""
    from crmsec.projects.instruments import CapexGrant, Offtake
    from crmsec.projects.instruments import Package as ProjPackage

    inst = []
    s = int(blk.start[k])
    if floor_eligible(pkg, blk)[k] and pkg.floor.years > s:
        inst.extend(floor_instruments(pkg.floor.price * KG_PER_T, pkg.floor.upside_share, pkg.floor.years - s))
    if tender_share[k] > 0:
        jp = pkg.joint_purchasing
        inst.append(Offtake(share=float(tender_share[k]), price=jp.price * KG_PER_T, years=jp.years,
                            public_offtaker=False))
    if blk.compliant[k]:
        if pkg.offtake is not None:
            inst.append(Offtake(share=pkg.offtake.volume_share, price=pkg.offtake.price * KG_PER_T,
                                years=pkg.offtake.years, public_offtaker=pkg.offtake.payer == "treasury"))
    if pkg.capex_subsidy > 0 and blk.capex[k] > 0 and blk.compliant[k]:
        inst.append(CapexGrant(amount=pkg.capex_subsidy * blk.capex[k] * 1e6, year=0))
    return ProjPackage(name=pkg.name, instruments=tuple(inst))


def appraise_candidates(case: ClubCase, pkg: Package, blk: Blocks, club_price: np.ndarray, world_price: np.ndarray,
                        todo: np.ndarray, tender_share: np.ndarray) -> np.ndarray:
    """Expected investor NPV [MUSD] of the candidates in ``todo``: compliant ones on the club price paths,
    the others on the world price paths, both (P, T) [price unit]."""
    from crmsec.projects.appraisal import Rates, evaluate_package

    out = np.full(blk.capacity.size, np.nan)
    for k in np.nonzero(todo)[0]:
        pc = _project_case(case, blk, int(k), pkg)
        price = club_price if blk.compliant[k] else world_price
        res = evaluate_package(pc, {"main": price * KG_PER_T}, project_instruments(pkg, blk, int(k), tender_share),
                               Rates.of(pc, "real_world"))
        out[k] = float(res.investor_npv.mean()) / 1e6
    return out


def financeable(case: ClubCase, pkg: Package, blk: Blocks) -> tuple[np.ndarray, np.ndarray]:
    """Contracted-share gate per block and each block's tender share of capacity (allocated in merit order of
    full cost = cash cost + annualised capex)."""
    phi = case.finance.min_contracted_share
    share = blk.contracted.copy()
    if pkg.offtake is not None:
        share = share + np.where(blk.compliant, pkg.offtake.volume_share, 0.0)
    if pkg.floor is not None:
        share = share + np.where(floor_eligible(pkg, blk) & (blk.start < pkg.floor.years), 1.0, 0.0)
    tender = np.zeros(blk.capacity.size)
    jp = pkg.joint_purchasing
    if jp is not None:
        full = blk.cost + annualised_capex(blk.capex, blk.capacity, case.finance.hurdle_rate)
        order = np.argsort(np.where(blk.candidate & blk.compliant, full, np.inf), kind="stable")
        order = order[(blk.candidate & blk.compliant)[order]]
        need = np.maximum(phi - share[order], 0.0) * blk.capacity[order]
        keys = {m.id: m.consumption_share for m in case.members}
        vols = np.array([jp.tender_share * keys[m] * case.club.q0 for m in jp.members])
        ok = tender_bankable(need, vols, jp.pooled)
        tender[order[ok]] = need[ok] / blk.capacity[order[ok]]
    return share + tender >= phi - 1e-12, tender


@dataclass
class PackageRun:
    package: Package
    entrants: np.ndarray
    npv_musd: np.ndarray
    gate: np.ndarray
    tender: np.ndarray
    market: ClubMarket
    extra: dict[str, np.ndarray] = field(default_factory=dict)


def decide(case: ClubCase, pkg: Package, paths: Paths, blk: Blocks, max_rounds: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Sequential entry (module docstring): entrants mask, last NPVs [MUSD], gate, tender allocation."""
    gate, tender = financeable(case, pkg, blk)
    entrants = np.zeros(blk.capacity.size, dtype=bool)
    pool = blk.candidate & gate
    npv = np.full(blk.capacity.size, np.nan)
    for _ in range(max_rounds or int(blk.candidate.sum()) + 1):
        todo = pool & ~entrants
        if not todo.any():
            break
        m = run_market(case, pkg, paths, blk, entrants)
        shape = (paths.n, case.n_years + 1)
        v = appraise_candidates(case, pkg, blk, m.club_price.reshape(shape), m.world_price.reshape(shape), todo,
                                tender)
        npv = np.where(todo, v, npv)
        ok = todo & (v >= 0)
        if not ok.any():
            break
        entrants[int(np.nanargmax(np.where(ok, v, -np.inf)))] = True
    return entrants, npv, gate, tender
