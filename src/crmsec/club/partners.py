"""Partners and coalitions: the partnership registry and a what-if "source X t/yr from partner p".

The registry joins this module's ``partners.csv`` (EU strategic partnerships on raw materials, with dates;
"verify" where transcribed from memory) with the country registry's groups (G7, EU FTA partners, like-minded =
Minerals Security Partnership; :func:`crmsec.registry.countries.countries`).

The what-if adds a compliant must-run block of X t/yr in country p from ``start_offset`` years after the base
year (an offtake or processing investment in p) to the no-club baseline, on the case's common paths, and
reports the change in the dominant supplier's share and the HHI of club supply (final year), the change in the
club's shortfall in the ban year, and the cost: the present value of X·max(C_full − P_c, 0), the top-up to
make the supply viable at a full cost C_full (an assumption: the median full cost, cash plus annualised capex,
of the case's compliant candidates). Partners are ranked by security gain (t of ban shortfall avoided) per
million EUR, then by the HHI reduction.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from crmsec.club.engine import KG_PER_T, annualised_capex, blocks_of, built_capacity, draw_paths, run_market
from crmsec.club.spec import ClubCase
from crmsec.errors import InputError

PARTNERS = Path(__file__).resolve().parent / "partners.csv"


def partner_registry() -> pd.DataFrame:
    """One row per (country, partnership) with date, ODA eligibility, G7/FTA/MSP flags and source."""
    from crmsec.registry.countries import countries

    own = pd.read_csv(PARTNERS, dtype=str, keep_default_na=False)
    reg = countries().set_index("iso3")
    unknown = sorted(set(own["iso3"]) - set(reg.index))
    if unknown:
        raise InputError(f"{PARTNERS.name}: unknown ISO3 code(s) {unknown}; use codes of registry/countries.csv")
    own["g7"] = own["iso3"].map(reg["g7"]).astype(bool)
    own["eu_fta"] = own["iso3"].map(reg["eu_fta"]).astype(bool)
    own["msp"] = own["iso3"].map(reg["like_minded"]).astype(bool)
    return own


MATERIAL_CASES = {"neodymium": "ndpr_oxide", "praseodymium": "ndpr_oxide", "magnet_rees": "ndpr_oxide",
                  "ndpr_oxide": "ndpr_oxide"}


def case_for(material_or_case: str) -> str:
    """The built-in case id of a material id (or a case id / path passed through)."""
    return MATERIAL_CASES.get(material_or_case, material_or_case)


def partner_whatif(case: ClubCase, partners: list[str], volume_t: float, *, n_paths: int = 500, seed: int = 1,
                   start_offset: int = 2) -> pd.DataFrame:
    """Security gain and cost of sourcing ``volume_t`` t/yr from each partner (see module docstring)."""
    from crmsec.club.results import _club_mix
    from crmsec.projects.finance import discount_factors

    if not 0 < volume_t <= 1e7:
        raise InputError(f"volume must be in (0, 1e7] t/yr, got {volume_t}")
    if not partners:
        raise InputError("give at least one partner ISO3 code")
    paths = draw_paths(case, n_paths, seed)
    base_pkg = case.package("none")
    blk = blocks_of(case)
    cand = blk.candidate & blk.compliant
    full = blk.cost + annualised_capex(blk.capex, blk.capacity, case.finance.hurdle_rate)
    c_full = float(np.nanmedian(full[cand])) if cand.any() else float(np.nanmedian(blk.cost))
    df = discount_factors(case.finance.public_rate, case.n_years + 1)
    none = np.zeros(blk.capacity.size, dtype=bool)
    m0 = run_market(case, base_pkg, paths, blk, none)
    dom0, h0 = _club_mix(case, blk, m0, n_paths)
    tb = case.ban.year_offset
    qc0 = m0.club_demand.reshape(n_paths, -1)
    built0 = built_capacity(blk, none, case.n_years)[tb].sum()
    short0 = np.maximum(qc0[:, tb] - built0, 0.0).mean()
    rows = []
    for iso in partners:
        extra = dict(name=f"partner {iso}", region=iso, capacity=volume_t, cash_cost=0.0, compliant=True,
                     start_year=case.base_year + start_offset, source="what-if")
        c2 = case.model_copy(update={"blocks": (*case.blocks, type(case.blocks[0])(**extra))})
        b2 = blocks_of(c2)
        m = run_market(c2, base_pkg, paths, b2, np.zeros(b2.capacity.size, dtype=bool))
        dom, h = _club_mix(c2, b2, m, n_paths)
        qc = m.club_demand.reshape(n_paths, -1)
        built = built_capacity(b2, np.zeros(b2.capacity.size, dtype=bool), case.n_years)[tb].sum()
        short = np.maximum(qc[:, tb] - built, 0.0).mean()
        pc = m.club_price.reshape(n_paths, -1)
        on = np.arange(case.n_years + 1) >= start_offset
        cost = ((volume_t * on[None, :] * np.maximum(c_full - pc, 0.0) * KG_PER_T) @ df) * case.eur_per_usd / 1e6
        gain = short0 - short
        e_cost = float(cost.mean())
        rows.append({"partner": iso, "volume_t": volume_t, "delta_dominant_share": float(np.nanmean(dom - dom0)),
                     "delta_hhi": float(np.nanmean(h - h0)), "delta_ban_shortfall_t": float(short - short0),
                     "security_gain_t": float(gain), "cost_meur": e_cost,
                     "gain_t_per_meur": gain / e_cost if e_cost > 1e-9 else float("nan"),
                     "full_cost_assumed": c_full, "price_unit": case.price_unit})
    out = pd.DataFrame(rows).sort_values(["gain_t_per_meur", "delta_hhi"], ascending=[False, True],
                                         na_position="last")
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out.reset_index(drop=True)


__all__ = ["partner_registry", "partner_whatif"]


def compliance_table(case: ClubCase) -> pd.DataFrame:
    """The case's supply blocks with the compliance rule (assumption ``compliance_rule``) beside the case's flag.

    Rule: the block's country is in the EU27, a club member (USA, JPN), a Minerals Security Partnership member,
    or an EU raw-materials strategic partner (``partners.csv`` with a signed date). A block whose flag differs
    from the rule must name its exception in ``compliance_basis``. Also lists the annualised capital cost.
    """
    from crmsec.registry.countries import countries

    reg = countries().set_index("iso3")
    own = pd.read_csv(PARTNERS, dtype=str, keep_default_na=False)
    ok = set(reg.index[reg["eu27"] | reg["like_minded"]]) | {"USA", "JPN"} | set(own.loc[own["signed"] != "", "iso3"])
    blk = blocks_of(case)
    ann = annualised_capex(blk.capex, blk.capacity, case.finance.hurdle_rate)
    rows = []
    for i, b in enumerate(case.blocks):
        rule = b.region in ok
        rows.append({"block": b.name, "region": b.region, "candidate": b.candidate, "capacity_t": b.capacity,
                     "cash_cost": b.cash_cost, "annualised_capex": float(ann[i]) if b.capex_musd else 0.0,
                     "start_year": b.start_year, "compliant": b.compliant, "rule_compliant": rule,
                     "compliance_basis": b.compliance_basis, "source": b.source})
    return pd.DataFrame(rows)
