"""Portfolio MIP (HiGHS): hand-checkable optimum, risk limit (sum of CVaR and exact path CVaR), frontier."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmsec.errors import InputError, SolverError
from crmsec.projects.portfolio import (
    OPTION_COLUMNS,
    efficient_frontier,
    optimise_portfolio,
    options_from_appraisals,
)


@pytest.fixture
def options() -> pd.DataFrame:
    return pd.DataFrame([
        ("A", "none", 0.0, 0.0, 10.0), ("A", "grant", 50.0, 60.0, 30.0), ("A", "floor", 80.0, 200.0, 40.0),
        ("B", "none", 0.0, 0.0, 0.0), ("B", "grant", 40.0, 40.0, 20.0),
        ("C", "none", 0.0, 0.0, 5.0), ("C", "cfd", -10.0, 100.0, 15.0),
    ], columns=list(OPTION_COLUMNS))


def test_budget_only_optimum(options: pd.DataFrame) -> None:
    """Budget 60: A=grant (50) + C=cfd (−10, state revenue) → cost 40, contribution 45; adding B=grant (40)
    would need 80 > 60, and A=floor + C=cfd costs 70. Enumerated by hand."""
    r = optimise_portfolio(options, 60.0)
    assert dict(zip(r.chosen["project"], r.chosen["package"], strict=True)) == {"A": "grant", "C": "cfd"}
    assert r.contribution == pytest.approx(45.0) and r.public_cost == pytest.approx(40.0)
    assert r.status == "Optimal"


def test_risk_limit_changes_choice(options: pd.DataFrame) -> None:
    r = optimise_portfolio(options, 100.0, risk_limit=150.0)
    assert dict(zip(r.chosen["project"], r.chosen["package"], strict=True)) == {"A": "grant", "B": "grant", "C": "none"}
    assert r.contribution == pytest.approx(55.0) and r.risk <= 150.0


def test_exact_cvar_limit_respected(options: pd.DataFrame) -> None:
    rng = np.random.default_rng(1)
    paths = {(p, k): rng.normal(c, 5 + r / 3, 1_000) for p, k, c, r, _ in options.itertuples(index=False)}
    for limit in (60.0, 200.0):
        r = optimise_portfolio(options, 100.0, risk_limit=limit, cost_paths=paths)
        tot = np.sum([paths[(a, b)] for a, b in zip(r.chosen["project"], r.chosen["package"], strict=True)], axis=0)
        k = int(np.ceil(0.05 * tot.size))
        assert np.sort(tot)[-k:].mean() <= limit + 1e-6
        assert r.risk == pytest.approx(np.sort(tot)[-k:].mean())


def test_frontier_is_monotone(options: pd.DataFrame) -> None:
    f = efficient_frontier(options, [0.0, 30.0, 60.0, 100.0, 200.0])
    assert list(f["contribution"]) == sorted(f["contribution"])
    assert f["contribution"].iloc[0] == pytest.approx(25.0)  # A none + C cfd (negative cost) at zero budget
    assert f["contribution"].iloc[-1] == pytest.approx(75.0)
    assert (f["public_cost"] <= f["budget"] + 1e-9).all()


def test_infeasible_and_bad_input(options: pd.DataFrame) -> None:
    with pytest.raises(InputError, match="columns"):
        optimise_portfolio(options.drop(columns="risk"), 10.0)
    bad = options.copy()
    bad.loc[0, "public_cost"] = np.nan
    with pytest.raises(InputError, match="missing"):
        optimise_portfolio(bad, 10.0)
    only_costly = options[options["public_cost"] > 0]
    with pytest.raises(SolverError):
        optimise_portfolio(only_costly.assign(public_cost=only_costly["public_cost"] + 1e3), -1.0)


def test_options_from_appraisals_weights_by_go() -> None:
    from crmsec.projects.appraisal import appraise
    from crmsec.projects.case import load_case
    from crmsec.projects.data import EXAMPLE_CASE
    from crmsec.projects.instruments import package

    res = appraise(load_case(EXAMPLE_CASE), [package("floor", "floor:strike=14000")], n_paths=1_000, with_fan=False)
    opt = options_from_appraisals({"P": res}, {"P": 10_000.0})
    s = res.summary.set_index("package")
    assert list(opt["package"]) == ["none", "floor"]
    assert opt["contribution"].tolist() == pytest.approx([1e4 * s.loc["none", "p_go"], 1e4 * s.loc["floor", "p_go"]])
    with pytest.raises(InputError, match="contribution"):
        options_from_appraisals({"P": res}, {})
