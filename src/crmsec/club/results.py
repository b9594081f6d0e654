"""Results per package, side by side with the no-club baseline: security bought and cost to whom.

Money in million EUR (present value at the public rate unless ``_by_year``), tonnes of the case's product.

* ``fiscal_cost_*``: net floor payments [max(F − P_c, 0) − u·max(P_c − F, 0)]·Q_eligible (u = the floor's upside
  share paid back, 0.30 in the DoD–MP deal) + production subsidies + capex grants + public
  offtake net cost V·(K − P_c) − standards penalties collected (τ·non-compliant tonnes sold to the club); a
  negative fiscal cost is a net revenue of the treasuries (e.g. the standards package's penalties);
  mean, P95 and CVaR95 (mean of the worst 5 %) over paths; ``fiscal_cost_bad_decade`` = CVaR95 of the first
  ten years only.
* ``burden_<member>``: the mean fiscal cost split by the package's key (GDP, consumption or a negotiated
  key); ``burden_nl`` = the EU's part × NL's share of EU GDP (of EU use under the consumption key) — a proxy.
* ``consumer_cost_club``: extra cost to club buyers, Σ_t DF_t·(P_c − P_c^base)·q_c, plus buyers' tender
  net cost V·(K − P_c); ``consumer_cost_nl`` = × EU consumption share × NL share of EU use (proxy).
* ``club_price_mean`` is paid by club buyers; ``eligible_price_mean`` is received by floor-eligible supply,
  max(P_c, F) while the floor runs.
* ``leakage``: gain to non-members from a lower world price, −Σ_t DF_t·(P_w − P_w^base)·q_row.
* Security: ``ban_shortfall_club_t`` = max(0, club demand − non-dominant capacity) in the ban year [t of the
  case's product in that year] (China stops exports to the club; all non-dominant capacity is diverted to the
  club). Neither an upper nor a lower bound: no stocks and no substitution overstate the gap, full diversion of
  all non-Chinese capacity (nothing left for other buyers, no ramp-up limits) understates it. NL by NL's share of
  club use (proxy). ``security_gain_t`` can be negative when a package lowers the club price and so raises club
  demand (e.g. a production subsidy that induces no new capacity).
* Concentration of club supply in the final year: compliant output serves club buyers first; the rest of
  club demand is served pro rata by non-compliant blocks and the dominant supplier; shares by region → HHI.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crmsec.club.clearing import ClubMarket
from crmsec.club.engine import (
    KG_PER_T,
    Blocks,
    Paths,
    blocks_of,
    built_capacity,
    decide,
    draw_paths,
    floor_eligible,
    floor_net,
    run_market,
)
from crmsec.club.spec import ClubCase, Package
from crmsec.errors import InputError
from crmsec.indicators.concentration import hhi, shares
from crmsec.projects.finance import discount_factors, expected_shortfall

METHOD = "crmsec.club v1 (linear demand, capacity blocks, dominant supplier; sequential entry)"


@dataclass
class ClubResult:
    case: ClubCase
    n_paths: int
    seed: int
    summary: pd.DataFrame
    by_year: pd.DataFrame
    projects: pd.DataFrame
    fiscal_paths: dict[str, np.ndarray]
    method: str = METHOD


def _grid(x: np.ndarray, p: int) -> np.ndarray:
    return x.reshape(p, -1)


def payments(case: ClubCase, pkg: Package, blk: Blocks, entrants: np.ndarray, m: ClubMarket, p: int,
             tender: np.ndarray) -> dict[str, np.ndarray]:
    """Per path and year (P, T) payments in USD: fiscal components and buyers' tender cost."""
    t_n = case.n_years + 1
    t = np.arange(t_n)
    out = m.output.reshape(p, t_n, -1)  # t/yr per block
    pc = _grid(m.club_price, p)
    res: dict[str, np.ndarray] = {}
    zero = np.zeros((p, t_n))
    if pkg.floor is not None:
        elig = floor_eligible(pkg, blk)[None, None, :] & (t < pkg.floor.years)[None, :, None]
        q = (out * elig).sum(2)
        # club fund pays max(F − P, 0) and receives the upside share u·max(P − F, 0) back
        res["floor"] = q * floor_net(pkg.floor.price, pkg.floor.upside_share, pc) * KG_PER_T
    comp_q = (out * blk.compliant[None, None, :]).sum(2)
    res["production_subsidy"] = comp_q * pkg.production_subsidy * KG_PER_T if pkg.production_subsidy else zero
    grant = zero.copy()
    if pkg.capex_subsidy:
        grant[:, 0] = pkg.capex_subsidy * float((blk.capex * (blk.candidate & entrants & blk.compliant)).sum()) * 1e6
    res["capex_grant"] = grant
    supported = blk.candidate & entrants
    live = (t[:, None] >= blk.start[None, :])
    if pkg.offtake is not None:
        span = live & (t[:, None] < blk.start[None, :] + pkg.offtake.years) & (supported & blk.compliant)[None, :]
        vol = (span * blk.capacity[None, :] * pkg.offtake.volume_share).sum(1)  # (T,)
        cost = vol[None, :] * (pkg.offtake.price - pc) * KG_PER_T
        res["offtake" if pkg.offtake.payer == "treasury" else "buyers_offtake"] = cost
    res["penalty_revenue"] = -pkg.tariff * _grid(m.noncompliant_to_club, p) * KG_PER_T
    if pkg.joint_purchasing is not None:
        jp = pkg.joint_purchasing
        span = live & (t[:, None] < blk.start[None, :] + jp.years) & supported[None, :]
        vol = (span * blk.capacity[None, :] * tender[None, :]).sum(1)
        res["buyers_tender"] = vol[None, :] * (jp.price - pc) * KG_PER_T
    return res


def _club_mix(case: ClubCase, blk: Blocks, m: ClubMarket, p: int) -> tuple[np.ndarray, np.ndarray]:
    """Dominant share and HHI of club supply in the final year, per path."""
    t_n = case.n_years + 1
    out = m.output.reshape(p, t_n, -1)[:, -1, :]
    dom = _grid(m.dominant, p)[:, -1]
    qc = _grid(m.club_demand, p)[:, -1]
    comp = np.where(blk.compliant[None, :], out, 0.0)
    comp_tot = comp.sum(1)
    comp_to_club = np.minimum(comp_tot, qc)
    with np.errstate(invalid="ignore", divide="ignore"):
        comp_scale = np.where(comp_tot > 0, comp_to_club / comp_tot, 0.0)
        nc = np.where(blk.compliant[None, :], 0.0, out)
        rest = np.maximum(qc - comp_to_club, 0.0)
        pool = nc.sum(1) + dom
        nc_scale = np.where(pool > 0, rest / pool, 0.0)
    regions = sorted(set(blk.region) | {case.dominant.region})
    mix = np.zeros((p, len(regions)))
    for k, r in enumerate(blk.region):
        mix[:, regions.index(r)] += comp[:, k] * comp_scale + nc[:, k] * nc_scale
    mix[:, regions.index(case.dominant.region)] += dom * nc_scale
    sh = shares(mix, axis=1)
    return sh[:, regions.index(case.dominant.region)], hhi(sh, axis=1)


def _stat(x: np.ndarray) -> tuple[float, float, float]:
    return float(x.mean()), float(np.percentile(x, 95)), expected_shortfall(x, 0.05, tail="high")


def run_case(case: ClubCase, packages: list[str] | None = None, *, n_paths: int = 10_000, seed: int = 20260325,
             appraisal_paths: int = 256) -> ClubResult:
    """Run the baseline and the named packages (default: all of the case) on common paths."""
    names = ["none", *[n for n in (packages if packages is not None else [p.name for p in case.packages])
                       if n != "none"]]
    pkgs = [case.package(n) for n in names]
    if not 2 <= appraisal_paths <= 20_000:
        raise InputError(f"appraisal_paths must be between 2 and 20,000, got {appraisal_paths}")
    paths = draw_paths(case, n_paths, seed)
    sub = paths.head(min(appraisal_paths, n_paths))
    blk = blocks_of(case)
    eur = case.eur_per_usd / 1e6  # USD → MEUR
    df = discount_factors(case.finance.public_rate, case.n_years + 1)
    years = case.base_year + np.arange(case.n_years + 1)
    tb = case.ban.year_offset
    rows, yrows, prows, fiscal = [], [], [], {}
    base: dict[str, np.ndarray] = {}
    for pkg in pkgs:
        entrants, npv, gate, tender = decide(case, pkg, sub, blk)
        m = run_market(case, pkg, paths, blk, entrants)
        p = paths.n
        pay = payments(case, pkg, blk, entrants, m, p, tender)
        fiscal_t = sum(v for k, v in pay.items() if not k.startswith("buyers")) * eur  # MEUR (P, T)
        buyers_t = sum((v for k, v in pay.items() if k.startswith("buyers")), np.zeros((p, case.n_years + 1))) * eur
        fiscal_pv = fiscal_t @ df
        fiscal[pkg.name] = fiscal_pv
        pw, pc = _grid(m.world_price, p), _grid(m.club_price, p)
        qc, qr = _grid(m.club_demand, p), _grid(m.row_demand, p)
        received = pc  # price received by compliant (floor-eligible) supply: max(P_c, F) while the floor runs
        if pkg.floor is not None:  # P + max(F − P, 0) − u·max(P − F, 0)
            on = np.arange(case.n_years + 1) < pkg.floor.years
            received = np.where(on[None, :], pc + floor_net(pkg.floor.price, pkg.floor.upside_share, pc), pc)
        if pkg.name == "none":
            base = {"pw": pw, "pc": pc}
        consumer = ((pc - base["pc"]) * qc * KG_PER_T * eur + buyers_t) @ df
        leakage = -((pw - base["pw"]) * qr * KG_PER_T * eur) @ df
        cap = m.output.reshape(p, case.n_years + 1, -1)
        short = np.maximum(qc[:, tb] - built_capacity(blk, entrants, case.n_years)[tb].sum(), 0.0)
        dom_share, h = _club_mix(case, blk, m, p)
        comp_q = (cap[:, -1, :] * blk.compliant).sum(1)
        mean, p95, cvar = _stat(fiscal_pv)
        key = {mb.id: (pkg.burden_shares or {}).get(mb.id, 0.0) if pkg.burden_key == "negotiated"
               else mb.gdp_share if pkg.burden_key == "gdp" else mb.consumption_share for mb in case.members}
        nl_of_eu = case.nl_share_of_eu_consumption if pkg.burden_key == "consumption" else case.nl_share_of_eu_gdp
        eu_use = next((mb.consumption_share for mb in case.members if mb.id == "EU"), 0.0)
        row = {
            "package": pkg.name, "description": pkg.description,
            "induced_capacity_t": float(blk.capacity[entrants].sum()),
            "induced_compliant_capacity_t": float(blk.capacity[entrants & blk.compliant].sum()),
            "bankable_projects": "; ".join(np.array(blk.name)[entrants]) or "none",
            "world_price_mean": float(pw.mean()), "club_price_mean": float(pc.mean()),
            "eligible_price_mean": float(received.mean()),
            "world_price_final_mean": float(pw[:, -1].mean()),
            "compliant_share_club_final": float(np.mean(np.minimum(comp_q, qc[:, -1]) / qc[:, -1])),
            "dominant_share_club_final": float(np.nanmean(dom_share)), "hhi_club_final": float(np.nanmean(h)),
            "fiscal_cost_mean_meur": mean, "fiscal_cost_p95_meur": p95, "fiscal_cost_cvar95_meur": cvar,
            "fiscal_cost_bad_decade_meur": expected_shortfall(fiscal_t[:, :10] @ df[:10], 0.05, tail="high"),
            "burden_key": pkg.burden_key,
            **{f"burden_{k.lower()}_meur": mean * v for k, v in key.items()},
            "burden_nl_meur": mean * key.get("EU", 0.0) * nl_of_eu,
            "consumer_cost_club_meur": float(consumer.mean()),
            "consumer_cost_nl_meur": float(consumer.mean()) * eu_use * case.nl_share_of_eu_consumption,
            "leakage_meur": float(leakage.mean()),
            "ban_year": int(years[tb]),
            "shortfall_basis": "t/yr of the product in the ban year; ban on exports to the club; no stocks, no "
                               "substitution (overstate) and all non-dominant capacity diverted to the club "
                               "(understates): neither an upper nor a lower bound; NL = share of club use (proxy)",
            "ban_shortfall_club_t": float(short.mean()),
            "ban_shortfall_club_share": float(np.mean(short / qc[:, tb])),
            "ban_shortfall_nl_t": float(short.mean()) * eu_use * case.nl_share_of_eu_consumption,
            "price_unit": case.price_unit,
            "share_approximate": float(np.mean(m.regime == 4)),
            "share_beyond_choke": float(np.mean((pc >= paths.a_c / paths.b_c) | (pw >= paths.a_r / paths.b_r))),
        }
        rows.append(row)
        pct = np.percentile(fiscal_t, [5, 50, 95], axis=0)
        wq = np.percentile(pw, [5, 95], axis=0)  # the price spread (calibration: crmsec.club.calibration)
        for i, y in enumerate(years):
            yrows.append({"package": pkg.name, "year": int(y), "world_price_mean": float(pw[:, i].mean()),
                          "world_price_p05": float(wq[0, i]), "world_price_p95": float(wq[1, i]),
                          "club_price_mean": float(pc[:, i].mean()), "fiscal_cost_mean_meur": float(fiscal_t[:, i].mean()),
                          "fiscal_cost_p05_meur": float(pct[0, i]), "fiscal_cost_p50_meur": float(pct[1, i]),
                          "fiscal_cost_p95_meur": float(pct[2, i]), "club_demand_t": float(qc[:, i].mean())})
        for k in np.nonzero(blk.candidate)[0]:
            prows.append({"package": pkg.name, "project": blk.name[k], "region": blk.region[k],
                          "capacity_t": float(blk.capacity[k]), "compliant": bool(blk.compliant[k]),
                          "financeable": bool(gate[k]), "tender_share": float(tender[k]),
                          "e_npv_musd": float(npv[k]), "bankable": bool(entrants[k])})
    summary = pd.DataFrame(rows)
    base_short = summary.loc[summary["package"] == "none", "ban_shortfall_club_t"].iloc[0]
    summary["security_gain_t"] = base_short - summary["ban_shortfall_club_t"]
    with np.errstate(divide="ignore", invalid="ignore"):
        summary["security_gain_t_per_meur"] = np.where(summary["fiscal_cost_mean_meur"] > 1e-9,
                                                       summary["security_gain_t"] / summary["fiscal_cost_mean_meur"],
                                                       np.nan)
    fc = summary["fiscal_cost_mean_meur"]  # why a ratio is missing (missing is not zero)
    summary["security_gain_t_per_meur_note"] = np.select(
        [summary["package"] == "none", fc < -1e-9, fc.abs() <= 1e-9], ["baseline", "net fiscal revenue: ratio not "
         "defined", "no fiscal cost (buyers pay or no support): ratio not defined"], "")
    return ClubResult(case, n_paths, seed, summary, pd.DataFrame(yrows), pd.DataFrame(prows), fiscal)


__all__ = ["ClubResult", "Paths", "run_case", "payments"]
