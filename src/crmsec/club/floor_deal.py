"""A single floor deal in the club market: e.g. the US DoD's 10-year 110 USD/kg NdPr floor for MP Materials.

Adds a compliant producer of ``capacity_t`` t/yr, running from the year after the base year, under a floor F
for ``years`` years (must-run while F exceeds its cash cost), to the no-club market of a case, and reports
the club fund's cost distribution: payments max(F − P_c, 0)·Q, computed with the one floor payoff of
:mod:`crmsec.projects.appraisal` (``PriceFloor``) on the kernel's club price paths — so the world price
reacts to the producer's extra, price-insensitive output and to the dominant supplier's flooding episodes.

Reported in million USD and million EUR: present value at the public rate (mean, P5, P50, P95, CVaR95) and
the undiscounted mean per year. Assumptions: those of the case (``club/assumptions.csv``) plus the
producer's cash cost (default: the case's median compliant candidate).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmsec.club.engine import KG_PER_T, blocks_of, draw_paths, run_market
from crmsec.club.spec import Block, ClubCase, Floor
from crmsec.errors import InputError
from crmsec.projects.finance import expected_shortfall


def floor_deal(case: ClubCase, *, capacity_t: float = 10_000.0, strike: float = 110.0, years: int = 10,
               cash_cost: float | None = None, n_paths: int = 10_000, seed: int = 20260325) -> dict[str, pd.DataFrame]:
    """Fiscal cost distribution of one floor deal (see module docstring); tables ``summary`` and ``by_year``."""
    from crmsec.projects.appraisal import Rates, evaluate_package
    from crmsec.projects.case import Case, PriceSpec, Product
    from crmsec.projects.instruments import Package, PriceFloor

    if not (0 < capacity_t <= 1e6 and 0 < strike <= 1e5 and 1 <= years <= case.n_years):
        raise InputError(f"floor deal: need 0 < capacity <= 1e6 t/yr, 0 < strike <= 1e5 and 1 <= years <= "
                         f"{case.n_years}; got {capacity_t}, {strike}, {years}")
    blk0 = blocks_of(case)
    cand = blk0.candidate & blk0.compliant
    cost = float(np.median(blk0.cost[cand])) if cash_cost is None else float(cash_cost)
    producer = Block(name="floor producer", region="USA", capacity=capacity_t, cash_cost=cost, compliant=True,
                     start_year=case.base_year + 1, source="floor_deal what-if")
    c2 = case.model_copy(update={"blocks": (*case.blocks, producer)})
    blk = blocks_of(c2)
    pkg = c2.package("none").model_copy(update={"floor": Floor(price=strike, years=years + 1, eligible=("floor producer",))})
    paths = draw_paths(c2, n_paths, seed)
    m = run_market(c2, pkg, paths, blk, np.zeros(blk.capacity.size, dtype=bool))
    n = case.n_years + 1
    pc = m.club_price.reshape(n_paths, n)
    q = tuple(capacity_t if 1 <= t <= years else 0.0 for t in range(n))
    proj = Case(name="floor producer", n_years=case.n_years, products=(Product(
        name="p", quantity=q, price=PriceSpec(kind="gbm", p0=case.p0 * KG_PER_T, sigma=0.0)),),
        capex=(0.0,) * n, public_rate=case.finance.public_rate)
    out = evaluate_package(proj, {"p": pc * KG_PER_T}, Package(name="floor", instruments=(
        PriceFloor(strike=strike * KG_PER_T, years=years),)), Rates.of(proj, "real_world"))
    pv = out.public_cost / 1e6  # MUSD
    per_year = (np.array(q)[None, :] * np.maximum(strike - pc, 0.0) * KG_PER_T / 1e6)
    eur = case.eur_per_usd
    summary = pd.DataFrame([{
        "capacity_t": capacity_t, "strike": strike, "years": years, "price_unit": case.price_unit,
        "cash_cost_assumed": cost, "public_rate": case.finance.public_rate,
        "pv_mean_musd": float(pv.mean()), "pv_p05_musd": float(np.percentile(pv, 5)),
        "pv_p50_musd": float(np.percentile(pv, 50)), "pv_p95_musd": float(np.percentile(pv, 95)),
        "pv_cvar95_musd": expected_shortfall(pv, 0.05, tail="high"), "pv_mean_meur": float(pv.mean()) * eur,
        "p_any_payment": float(np.mean(pv > 0)), "club_price_mean": float(pc[:, 1:years + 1].mean()),
    }])
    years_idx = np.arange(1, years + 1)
    by_year = pd.DataFrame({"year": case.base_year + years_idx, "club_price_mean": pc[:, years_idx].mean(0),
                            "payment_mean_musd": per_year[:, years_idx].mean(0),
                            "payment_p95_musd": np.percentile(per_year[:, years_idx], 95, axis=0),
                            "p_payment": (per_year[:, years_idx] > 0).mean(0)})
    return {"summary": summary, "by_year": by_year}
