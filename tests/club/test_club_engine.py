"""Club engine: floor payoff vs Black–Scholes, policy properties, joint purchasing, spec errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

from crmsec.club.engine import blocks_of, draw_paths, run_market, tender_bankable
from crmsec.club.results import payments, run_case
from crmsec.club.spec import load_case
from crmsec.errors import InputError


@pytest.fixture(scope="module")
def case():
    return load_case("ndpr_oxide")


def _bs_put(s0, k, t, r, sigma):
    """Black–Scholes put with continuous rate r (Hull, Options, Futures and Other Derivatives, ch. 15)."""
    d1 = (math.log(s0 / k) + (r + 0.5 * sigma**2) * t) / (sigma * math.sqrt(t))
    d2 = d1 - sigma * math.sqrt(t)
    return k * math.exp(-r * t) * norm.cdf(-d2) - s0 * norm.cdf(-d1)


def test_floor_cost_equals_black_scholes_puts():
    """$110/kg 10-year floor on a 10 kt/yr NdPr producer, fixed volume, no market response: the expected fiscal
    cost (the one floor payoff of projects.appraisal) equals Σ_t Q·Put_BS(S0=69, K=110, t) within 1 %
    (risk-neutral GBM, sigma 0.35 assumed, r_f = 2 %)."""
    from crmsec.projects.appraisal import Rates, evaluate_package, simulate_case_prices
    from crmsec.projects.case import Case, PriceSpec, Product
    from crmsec.projects.instruments import Package, PriceFloor

    q = 10_000.0
    c = Case(name="ndpr_10kt", n_years=10, products=(Product(name="ndpr", quantity=(0.0,) + (q,) * 10,
             price=PriceSpec(kind="gbm", p0=69_000.0, sigma=0.35)),), capex=(0.0,) * 11, risk_free=0.02)
    prices = simulate_case_prices(c, n_paths=40_000, seed=7, valuation="risk_neutral")
    out = evaluate_package(c, prices, Package(name="floor", instruments=(PriceFloor(strike=110_000.0, years=10),)),
                           Rates.of(c, "risk_neutral"))
    r = math.log1p(0.02)
    expected = sum(q * _bs_put(69_000.0, 110_000.0, t, r, 0.35) for t in range(1, 11))
    assert out.public_cost.mean() == pytest.approx(expected, rel=0.01)
    assert expected / 1e6 == pytest.approx(4_331.4, rel=1e-4)  # closed form: 4.33 bn USD undiscounted-volume PV


def test_club_floor_payment_is_the_appraisal_payoff(case):
    """The club fund's net floor payment per path (floor minus the 30 % upside share of the DoD deal) equals
    projects.appraisal's PriceFloor + Collar public cost on the same prices."""
    from crmsec.club.engine import floor_instruments
    from crmsec.projects.appraisal import Rates, evaluate_package
    from crmsec.projects.case import Case, PriceSpec, Product
    from crmsec.projects.instruments import Package

    pkg = case.package("floor_110_mp")
    assert pkg.floor.upside_share == 0.3
    paths = draw_paths(case, 50, 3)
    blk = blocks_of(case)
    entrants = np.zeros(blk.capacity.size, dtype=bool)
    m = run_market(case, pkg, paths, blk, entrants)
    pay = payments(case, pkg, blk, entrants, m, 50, np.zeros(blk.capacity.size))["floor"]
    k = blk.name.index("MP Materials Mountain Pass (existing)")
    n = case.n_years + 1
    q = tuple(blk.capacity[k] for _ in range(n))
    pc = Case(name="mp", n_years=case.n_years, products=(Product(name="x", quantity=q,
              price=PriceSpec(kind="gbm", p0=1.0, sigma=0.0)),), capex=(0.0,) * n, public_rate=0.0)
    out = evaluate_package(pc, {"x": m.club_price.reshape(50, n) * 1000}, Package(
        name="f", instruments=tuple(floor_instruments(110_000.0, 0.3, 10))), Rates.of(pc, "real_world"))
    assert pay.sum(axis=1) == pytest.approx(out.public_cost, rel=1e-9)


def test_floor_net_upside_share():
    """max(F − P, 0) − u·max(P − F, 0): the DoD deal's 30 % of the upside above 110 USD/kg comes back to the fund."""
    from crmsec.club.engine import floor_net

    p = np.array([80.0, 110.0, 150.0])
    assert floor_net(110.0, 0.3, p) == pytest.approx([30.0, 0.0, -12.0])
    assert floor_net(110.0, 0.0, p) == pytest.approx([30.0, 0.0, 0.0])


def test_floor_deal_upside_share_lowers_cost_when_prices_exceed_the_floor(case):
    """A floor below the market (strike 40 USD/kg) costs the fund nothing without an upside share and is a net
    revenue with one."""
    from crmsec.club.floor_deal import floor_deal

    kw = {"capacity_t": 1_000.0, "strike": 40.0, "years": 10, "n_paths": 200, "seed": 5}
    plain = floor_deal(case, **kw)["summary"].iloc[0]
    shared = floor_deal(case, upside_share=0.3, **kw)["summary"].iloc[0]
    assert shared["upside_share"] == 0.3 and shared["product"] == case.product
    assert plain["pv_mean_musd"] >= 0.0
    assert shared["pv_mean_musd"] < plain["pv_mean_musd"] - 1.0  # at least 1 MUSD of upside paid back
    with pytest.raises(InputError):
        floor_deal(case, upside_share=1.5, **kw)


@pytest.fixture(scope="module")
def result(case):
    return run_case(case, n_paths=400, seed=11, appraisal_paths=100)


def test_costs_non_negative_and_baseline_zero(result):
    s = result.summary.set_index("package")
    assert (s["share_beyond_choke"] == 0).all()  # linear demand aggregation valid on every path-year
    assert (s["share_approximate"] == 0).all()  # no flagged segmented solution in the NdPr case
    assert s.loc["none", "fiscal_cost_mean_meur"] == 0.0
    for name in ("floor_110_mp", "floor_110_club", "subsidy_30"):
        assert s.loc[name, "fiscal_cost_mean_meur"] >= 0
    for name in ("floor_110_club", "subsidy_30"):  # no upside share: never a net revenue
        assert (result.fiscal_paths[name] >= -1e-9).all()
    # the DoD-style floor pays back 30 % of max(P − 110, 0): on high-price paths it is a net revenue
    assert result.fiscal_paths["floor_110_mp"].min() < s.loc["floor_110_mp", "fiscal_cost_mean_meur"]
    assert s.loc["standards_20", "fiscal_cost_mean_meur"] <= 0  # penalties collected, no outlays


def test_joint_purchasing_pooled_beats_national(result):
    """Pooled tenders (EU+US+JP, 50 % of demand, 95 USD/kg) contract MP's 3.35 kt expansion (needs 3,000 t of offtake,
    more than Japan's 3,000·… national tender left after Lynas); national tenders do not."""
    p = result.projects.set_index(["package", "project"])
    assert p.loc[("joint_purchasing", "MP Materials expansion"), "bankable"]
    assert not p.loc[("national_tenders", "MP Materials expansion"), "bankable"]
    s = result.summary.set_index("package")
    assert s.loc["joint_purchasing", "induced_capacity_t"] > s.loc["national_tenders", "induced_capacity_t"]
    # with the 2025 run rates of Lynas and MP the club's ban gap is small: pooling closes it at least as well
    assert s.loc["joint_purchasing", "ban_shortfall_club_t"] <= s.loc["national_tenders", "ban_shortfall_club_t"]
    assert s.loc["joint_purchasing", "ban_shortfall_club_t"] < s.loc["none", "ban_shortfall_club_t"]


def test_zero_tariff_equals_baseline(case):
    base = run_case(case, [], n_paths=60, seed=5, appraisal_paths=20).summary
    data = case.model_dump()
    data["packages"] = [{"name": "tau0", "tariff": 0.0}]
    c0 = load_case(data)
    s = run_case(c0, ["tau0"], n_paths=60, seed=5, appraisal_paths=20).summary
    cols = ["world_price_mean", "club_price_mean", "induced_capacity_t", "ban_shortfall_club_t", "hhi_club_final"]
    assert s.iloc[1][cols].to_numpy(float) == pytest.approx(base.iloc[0][cols].to_numpy(float), rel=1e-12)


@settings(max_examples=6, deadline=None)
@given(f1=st.floats(60, 140), df=st.floats(1, 60))
def test_higher_floor_properties(case, f1, df):
    """A higher club floor never lowers induced capacity or fiscal cost, never raises the world price and never
    lowers the price received by floor-eligible supply (common paths)."""
    data = case.model_dump()
    data["packages"] = [{"name": "lo", "floor": {"price": f1, "years": 10}},
                        {"name": "hi", "floor": {"price": f1 + df, "years": 10}}]
    s = run_case(load_case(data), n_paths=40, seed=2, appraisal_paths=20).summary.set_index("package")
    assert s.loc["hi", "induced_capacity_t"] >= s.loc["lo", "induced_capacity_t"]
    assert s.loc["hi", "fiscal_cost_mean_meur"] >= s.loc["lo", "fiscal_cost_mean_meur"] - 1e-9
    assert s.loc["hi", "world_price_mean"] <= s.loc["lo", "world_price_mean"] + 1e-9
    assert s.loc["hi", "eligible_price_mean"] >= s.loc["lo", "eligible_price_mean"] - 1e-9


@settings(max_examples=200, deadline=None)
@given(need=st.lists(st.floats(0, 5e3), min_size=1, max_size=8),
       vols=st.lists(st.floats(0, 5e3), min_size=1, max_size=4), more=st.floats(0, 5e3))
def test_adding_members_never_lowers_pooled_capacity(need, vols, more):
    """Pooled tender: one more member (more volume) never contracts less in total."""
    need = np.array(need)
    before = need[tender_bankable(need, np.array(vols), True)].sum()
    after = need[tender_bankable(need, np.array([*vols, more]), True)].sum()
    assert after >= before - 1e-9


def test_unknown_assumption_and_member_are_errors(case):
    with pytest.raises(InputError, match="assumption 'nope'"):
        load_case({**case.model_dump(), "p0": {"assumption": "nope"}})
    data = case.model_dump()
    data["packages"] = [{"name": "x", "joint_purchasing": {"members": ["CN"], "tender_share": 0.1, "price": 90}}]
    with pytest.raises(InputError, match="not club members"):
        load_case(data)
    with pytest.raises(InputError, match="n_paths"):
        run_case(case, [], n_paths=10**7)


def test_negotiated_burden_key(result):
    """The DoD-style floor is paid by the US alone (negotiated key): EU and NL burden 0."""
    s = result.summary.set_index("package").loc["floor_110_mp"]
    assert s["burden_us_meur"] == pytest.approx(s["fiscal_cost_mean_meur"])
    assert s["burden_eu_meur"] == 0 and s["burden_nl_meur"] == 0
    g = result.summary.set_index("package").loc["floor_110_club"]  # GDP key
    assert g["burden_eu_meur"] + g["burden_us_meur"] + g["burden_jp_meur"] == pytest.approx(g["fiscal_cost_mean_meur"])
    assert g["burden_nl_meur"] == pytest.approx(g["burden_eu_meur"] * 0.063)


def test_compliance_flags_follow_the_rule_or_name_an_exception(case):
    from crmsec.club.partners import compliance_table

    t = compliance_table(case)
    differ = t[t["compliant"] != t["rule_compliant"]]
    assert (differ["compliance_basis"] != "rule").all(), differ[["block", "region"]]
    assert set(t.loc[t["region"].isin(["USA", "AUS", "FRA", "SWE", "MWI"]), "rule_compliant"]) == {True}
    assert t.loc[t["block"] == "MP Materials expansion", "annualised_capex"].iloc[0] == pytest.approx(
        558e6 * 0.1174596 / 3.35e6, rel=1e-4)  # CRF(10 %, 20 yr) = 0.11746


def test_shortfall_basis_is_not_called_a_bound(result):
    """The ban shortfall mixes overstating (no stocks, no substitution) and understating (full diversion)
    assumptions: its label must say so, with the unit."""
    basis = result.summary["shortfall_basis"].iloc[0]
    assert "neither an upper nor a lower bound" in basis and "t/yr" in basis
    assert "lower bound of the physical gap" not in (run_case.__module__ and __import__(
        "crmsec.club.results", fromlist=["x"]).__doc__)


def test_assumption_sources_are_cited_or_marked_illustrative():
    """No assumption row is sourced by the bare word 'assumption'; the export-ban year is not called a precedent."""
    from crmsec.club.spec import assumptions

    a = assumptions().set_index("parameter")
    bare = [k for k, src in a["source"].items() if str(src).strip().lower().rstrip(".") in {"assumption", ""}
            or str(src).lower().startswith("assumption (half-life")]
    assert not bare, bare
    assert "not a precedent" in a.loc["ban_year_offset", "source"]
    assert "illustrative — verify" in a.loc["ndpr_china_cash_cost", "source"]


def test_missing_gain_per_euro_has_a_reason(result):
    """security_gain_t_per_meur is NaN (not 0) where the fiscal cost is zero or a revenue, with the reason."""
    s = result.summary.set_index("package")
    for name in ("standards_20", "joint_purchasing"):
        assert np.isnan(s.loc[name, "security_gain_t_per_meur"])
        assert "ratio not defined" in s.loc[name, "security_gain_t_per_meur_note"]
    assert s.loc["floor_110_club", "security_gain_t_per_meur_note"] == ""
