"""Appraisal engine and instruments: reference values of methods §6.2/§8.9, deterministic cash flows against
numpy-financial, and path-wise identities between instruments."""

from __future__ import annotations

import math

import numpy as np
import numpy_financial as npf
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmsec.errors import InputError
from crmsec.projects.appraisal import _tax_with_loss_carry_forward, appraise, debt_schedule
from crmsec.projects.case import load_case, production_profile
from crmsec.projects.data import EXAMPLE_CASE
from crmsec.projects.instruments import package, parse_instrument


@pytest.fixture
def price_floor_reference() -> dict[str, float]:
    """One-year price floor, methods §6.4 worked check and §8.9: P0 20,000 EUR/t, K 18,000, sigma 35 %,
    r 3 % (continuously compounded), T 1, no convenience yield. Black–Scholes put 1,526.47 EUR/t (Monte
    Carlo tolerance ±5 EUR/t); two-sided CfD K·e^{−rT} − P0 = −2,531.98 EUR/t. Source: methods.md §6.4."""
    return {"p0": 20_000.0, "k": 18_000.0, "sigma": 0.35, "r": 0.03, "put": 1_526.47, "cfd": -2_531.98, "tol": 5.0}


def _one_year_case(ref: dict[str, float]):
    # the engine uses annual effective rates; r = 3 % continuous ⇔ e^0.03 − 1 effective (drift ln(1 + r_eff))
    return load_case({
        "name": "one-year floor", "n_years": 1, "capex": [0, 0], "tax_rate": 0.0,
        "risk_free": math.exp(ref["r"]) - 1,
        "products": [{"name": "metal", "quantity": [0, 1],
                      "price": {"kind": "gbm", "p0": ref["p0"], "sigma": ref["sigma"], "mu": 0.08}}],
    })


def test_price_floor_and_cfd_match_black_scholes(price_floor_reference: dict[str, float]) -> None:
    ref = price_floor_reference
    case = _one_year_case(ref)
    res = appraise(case, [package("floor", f"floor:strike={ref['k']}"), package("cfd", f"cfd:strike={ref['k']}")],
                   n_paths=1_000_000, seed=20250325, valuation="risk_neutral", with_fan=False)
    s = res.summary.set_index("package")
    assert (s["valuation"] == "risk_neutral").all()
    put = s.loc["floor", "delta_investor_value"]
    assert put == pytest.approx(ref["put"], abs=ref["tol"])
    assert s.loc["floor", "public_cost_mean"] == pytest.approx(put, rel=1e-12)  # state pays what the project gets
    assert s.loc["cfd", "delta_investor_value"] == pytest.approx(ref["cfd"], abs=ref["tol"])
    # closed-form cross-check of the reference values themselves
    d1 = (math.log(ref["p0"] / ref["k"]) + (ref["r"] + ref["sigma"] ** 2 / 2)) / ref["sigma"]
    d2 = d1 - ref["sigma"]
    ncdf = lambda x: 0.5 * (1 + math.erf(x / math.sqrt(2)))  # noqa: E731
    bs_put = ref["k"] * math.exp(-ref["r"]) * ncdf(-d2) - ref["p0"] * ncdf(-d1)
    assert bs_put == pytest.approx(ref["put"], abs=0.005)
    assert ref["k"] * math.exp(-ref["r"]) - ref["p0"] == pytest.approx(ref["cfd"], abs=0.005)


def _deterministic_case(**over):
    q = production_profile(1_000.0, 8, first_year=2, ramp=(0.5,))
    base = {
        "name": "deterministic", "n_years": 8,
        "products": [{"name": "m", "quantity": q, "payable": 0.9, "tc_rc": 100.0,
                      "price": {"kind": "gbm", "p0": 10_000.0, "sigma": 0.0, "mu": 0.0}}],
        "capex": [6e6, 4e6, 0, 0, 0, 0, 0, 0, 0], "opex_fixed": 1e6, "opex_variable": 2_000.0,
        "royalty_rate": 0.03, "tax_rate": 0.25, "depreciation_years": 5, "wc_fraction": 0.1,
        "closure_cost": 5e5, "cost_of_equity": 0.1, "wacc": 0.07,
    }
    base.update(over)
    return load_case(base)


def _hand_cash_flows(case) -> np.ndarray:
    """An independent, loop-by-year implementation of methods §6.1 for a no-debt deterministic case."""
    p = case.products[0]
    n = case.n_years + 1
    price = p.price.p0
    capex = list(case.capex)
    dep = [0.0] * n
    for t, c in enumerate(capex):
        for k in range(t + 1, min(n, t + 1 + case.depreciation_years)):
            dep[k] += c / case.depreciation_years
        dep[-1] += c - c / case.depreciation_years * max(0, min(n, t + 1 + case.depreciation_years) - (t + 1))
    lcf, wc_prev, out = 0.0, 0.0, []
    for t in range(n):
        q = p.quantity[t]
        rev = q * p.payable * price - p.tc_rc * q
        opex = (case.opex_fixed if q > 0 else 0.0) + case.opex_variable * q
        ebitda = rev - opex - case.royalty_rate * max(rev, 0.0)
        closure = case.closure_cost if t == n - 1 else 0.0
        taxable = ebitda - dep[t] - closure
        use = min(lcf, max(taxable, 0.0))
        tax = case.tax_rate * max(taxable - use, 0.0)
        lcf = lcf - use + max(-taxable, 0.0)
        wc = case.wc_fraction * rev if t < n - 1 else 0.0
        out.append(ebitda - tax - capex[t] - (wc - wc_prev) - closure)
        wc_prev = wc
    return np.array(out)


def test_deterministic_npv_equals_numpy_financial() -> None:
    case = _deterministic_case()
    res = appraise(case, n_paths=4, with_fan=False)
    out = res.outcomes["none"]
    cf = _hand_cash_flows(case)
    np.testing.assert_allclose(out.project_fcf[0], cf, rtol=1e-12, atol=1e-6)
    assert out.investor_npv[0] == pytest.approx(npf.npv(case.cost_of_equity, cf), rel=1e-12)
    assert out.project_npv[0] == pytest.approx(npf.npv(case.wacc, cf), rel=1e-12)
    assert out.irr[0] == pytest.approx(npf.irr(cf), abs=1e-8)
    assert np.all(out.investor_npv == out.investor_npv[0])  # sigma = 0: every path identical


def test_tax_loss_carry_forward_hand_case() -> None:
    taxable = np.array([[-100.0, 40.0, 80.0, -10.0, 50.0]])
    tax = _tax_with_loss_carry_forward(taxable, 0.25)
    np.testing.assert_allclose(tax[0], [0, 0, 0.25 * 20, 0, 0.25 * 40])


def test_debt_schedule_annuity() -> None:
    capex = np.array([50.0, 50.0, 0, 0, 0, 0, 0, 0])
    s = debt_schedule(capex, first_op=2, share=0.6, rate=0.05, tenor=4, grace=1)
    assert s.draws.sum() == pytest.approx(60.0)
    assert s.principal.sum() == pytest.approx(60.0)
    assert s.service[2] == pytest.approx(0.05 * 60)  # grace year: interest only
    annuity = 60 * 0.05 / (1 - 1.05**-4)
    np.testing.assert_allclose(s.service[3:7], annuity)
    assert s.interest[1] == pytest.approx(0.05 * 30)  # interest during construction on the first draw


@pytest.fixture(scope="module")
def example():
    return load_case(EXAMPLE_CASE)


def test_grant_and_public_equity_identities(example) -> None:
    res = appraise(example, [package("grant", "grant:amount=5e7"), package("eq", "equity:share=0.25")],
                   n_paths=2_000, with_fan=False)
    base, grant, eq = (res.outcomes[k] for k in ("none", "grant", "eq"))
    # a non-taxable grant at t = 0 raises investor value by exactly G on every path; the state pays G
    assert np.all(np.isclose(grant.investor_npv - base.investor_npv, 5e7, rtol=0, atol=1e-3))
    np.testing.assert_allclose(grant.public_cost, 5e7)
    # public equity: private flows scaled by (1 − eta); the state's cost is −eta·PV(equity flows)
    np.testing.assert_allclose(eq.investor_npv, 0.75 * base.investor_npv, rtol=1e-12)
    df_pub = (1 + example.public_rate) ** -np.arange(example.n_years + 1)
    np.testing.assert_allclose(eq.public_cost, -0.25 * (base.equity_cf @ df_pub), rtol=1e-12)


def test_first_loss_public_cost_is_min_loss_f(example) -> None:
    f = 8e7
    res = appraise(example, [package("fl", f"first_loss:amount={f}")], n_paths=2_000, with_fan=False)
    base, fl = res.outcomes["none"], res.outcomes["fl"]
    df = (1 + example.cost_of_equity) ** -np.arange(example.n_years + 1)
    invested = -(np.minimum(base.equity_cf, 0) @ df)
    dist = np.maximum(base.equity_cf, 0) @ df
    loss = np.maximum(invested - dist, 0.0)
    np.testing.assert_allclose(fl.public_cost, np.minimum(loss, f), rtol=1e-9, atol=1e-3)  # methods §6.4
    np.testing.assert_allclose(fl.investor_npv - base.investor_npv, fl.public_cost, rtol=1e-9, atol=1e-3)
    assert np.all(fl.investor_npv >= base.investor_npv - 1e-6)


def test_price_instrument_identities(example) -> None:
    kf, kc = 12_000, 18_000
    pk = [package("collar", f"collar:floor={kf},cap={kc}"), package("floor_f", f"floor:strike={kf}"),
          package("floor_c", f"floor:strike={kc}"), package("cfd_c", f"cfd:strike={kc}"),
          package("offtake", "offtake:share=0.4,price=15000"), package("cfd40", "cfd:strike=15000,share=0.4")]
    res = appraise(example, pk, n_paths=2_000, with_fan=False)
    c = {k: v.public_cost for k, v in res.outcomes.items()}
    # collar = floor(K_f) − call(K_c), and call(K_c) = floor(K_c) − CfD(K_c)  (put–call parity per path)
    np.testing.assert_allclose(c["collar"], c["floor_f"] - c["floor_c"] + c["cfd_c"], rtol=1e-9, atol=1e-3)
    # a public fixed-price offtake of a share phi is a CfD on that share (methods §6.4)
    np.testing.assert_allclose(c["offtake"], c["cfd40"], rtol=1e-12)
    assert np.all(c["floor_f"] >= 0)


def test_guarantee_cost_scales_with_share(example) -> None:
    pk = [package("g40", "guarantee:share=0.4,spread=0.04"), package("g80", "guarantee:share=0.8,spread=0.04"),
          package("cheap", "guarantee:share=0.8,spread=0.005,fee=0.004")]
    res = appraise(example, pk, n_paths=2_000, with_fan=False)
    s = res.summary.set_index("package")
    assert s.loc["g40", "public_cost_mean"] > 0
    assert s.loc["g80", "public_cost_mean"] == pytest.approx(2 * s.loc["g40", "public_cost_mean"], rel=1e-9)
    assert s.loc["g40", "delta_investor_value"] == pytest.approx(0.0, abs=1e-6)  # same terms: no investor gain
    assert s.loc["cheap", "delta_investor_value"] > 0
    assert s.loc["cheap", "p_default"] <= s.loc["none", "p_default"]


def test_summary_fan_and_reproducibility(example) -> None:
    pk = [package("floor", "floor:strike=13000")]
    a = appraise(example, pk, n_paths=1_000, seed=5)
    b = appraise(example, pk, n_paths=1_000, seed=5)
    assert a.summary.equals(b.summary)
    assert len(a.fan) == 2 * 4 * (example.n_years + 1)
    pcols = ["p05", "p10", "p25", "p50", "p75", "p90", "p95"]
    assert (np.diff(a.fan[pcols].to_numpy(), axis=1) >= -1e-6).all()
    s = a.summary.set_index("package")
    assert s.loc["none", "additionality"] == 0 and math.isnan(s.loc["none", "leverage"])
    assert 0 <= s.loc["floor", "p_default"] <= 1 and s.loc["floor", "p_npv_neg"] <= s.loc["none", "p_npv_neg"]
    assert s.loc["floor", "public_cost_cvar95"] >= s.loc["floor", "public_cost_p95"] >= 0
    rn = appraise(example, pk, n_paths=1_000, valuation="risk_neutral", with_fan=False)
    assert set(rn.summary["valuation"]) == {"risk_neutral"}
    with pytest.raises(InputError, match="valuation"):
        appraise(example, pk, n_paths=1_000, valuation="mixed")  # type: ignore[arg-type]


def test_instrument_and_case_validation() -> None:
    with pytest.raises(InputError, match="Types"):
        parse_instrument("subsidy:amount=5")
    with pytest.raises(InputError, match="floor"):
        parse_instrument("collar:floor=20000,cap=10000")
    with pytest.raises(InputError, match="key=value"):
        parse_instrument("floor:strike")
    assert parse_instrument({"type": "grant", "amount": 1e6}).amount == 1e6
    with pytest.raises(InputError, match="capex"):
        _deterministic_case(capex=[1.0, 2.0])
    with pytest.raises(InputError, match="fx"):
        _deterministic_case(products=[{"name": "m", "quantity": [0] * 9, "currency": "USD",
                                       "price": {"kind": "gbm", "p0": 1.0, "sigma": 0.1}}])
    with pytest.raises(InputError, match="unique"):
        appraise(_deterministic_case(), [package("none")], n_paths=2)


def test_case_defaults_match_the_assumption_table() -> None:
    """Every default of Case/Debt is documented with a source in assumptions.csv (and equal to it)."""
    from crmsec.projects.case import Case, Debt, assumptions

    table = assumptions().set_index("parameter")
    assert table["source"].notna().all() and set(table["evidence"]) <= {"V", "C", "S", "M", "D"}
    for param, row in table.iterrows():
        model, name = (Debt, param.split(".", 1)[1]) if param.startswith("debt.") else (Case, param)
        assert model.model_fields[name].default == pytest.approx(float(row["value"])), param


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.floats(5_000, 25_000), st.floats(100, 5_000))
def test_price_support_monotone_and_linear_in_strike(example_small, k: float, dk: float) -> None:
    """Floor cost >= 0 and non-decreasing in K; CfD cost linear in K: cost(K + dK) − cost(K) = dK·PV(tonnes)."""
    case, prices = example_small
    res = appraise(case, [package("f1", f"floor:strike={k}"), package("f2", f"floor:strike={k + dk}"),
                          package("c1", f"cfd:strike={k}"), package("c2", f"cfd:strike={k + dk}")],
                   n_paths=200, prices=prices, with_fan=False)
    c = {name: o.public_cost for name, o in res.outcomes.items()}
    assert np.all(c["f1"] >= 0) and np.all(c["f2"] >= c["f1"] - 1e-6)
    p = case.products[0]
    pv_tonnes = (np.asarray(p.quantity) * p.payable) @ ((1 + case.public_rate) ** -np.arange(case.n_years + 1))
    np.testing.assert_allclose(c["c2"] - c["c1"], dk * pv_tonnes, rtol=1e-9)


@pytest.fixture(scope="module")
def example_small(example):
    from crmsec.projects.appraisal import simulate_case_prices

    return example, simulate_case_prices(example, n_paths=200, seed=11)
