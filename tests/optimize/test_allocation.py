"""Tests of the crisis allocation LP–MIP (crmsec.optimize.allocation)."""

from __future__ import annotations

from importlib import resources

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmsec.errors import InputError, SolverError
from crmsec.optimize import AllocationProblem, allocate, load_allocation, parse_allocation
from crmsec.optimize._highs import LinearProgram, solve

EXAMPLES = resources.files("crmsec.optimize") / "examples"


@pytest.fixture
def methods_5_4_example() -> AllocationProblem:
    """Methods §5.4 worked example [C, HiGHS] and §8.9 'crisis allocation'.

    One material, four users, demand (10, 25, 40, 25) t, essential floors (10, 20, 10, 0) t, market 45 t +
    release 15 t = 60 t, wE = (1000, 800, 300, 100), wN = (50, 40, 20, 10). Expected (tolerance 1e-3 t):
    weighted x = (10, 25, 25, 0); max–min lambda* = 0.60, x = (6, 15, 24, 15); floors + pro-rata
    x = (10, 21.67, 20, 8.33) (exactly 10, 20 + 5/3, 20, 25/3).
    """
    return AllocationProblem(
        sectors=("health", "defence", "industry", "other"),
        materials=("m",),
        periods=("w1",),
        tiers=("T1", "T1", "T2", "T3"),
        tier_rank=[1, 1, 2, 3],
        demand=np.array([10, 25, 40, 25.0]).reshape(4, 1, 1),
        essential=np.array([10, 20, 10, 0.0]).reshape(4, 1, 1),
        weight_essential=[1000, 800, 300, 100],
        weight_nonessential=[50, 40, 20, 10],
        availability=[[45.0]],
        stock=[15.0],
        release_limit=[15.0],
        reserve_floor=[0.0],
    )


def test_weighted_worked_example(methods_5_4_example):
    res = allocate(methods_5_4_example, "weighted")
    np.testing.assert_allclose(res.allocation["allocated_t"], [10, 25, 25, 0], atol=1e-3)
    assert res.allocation["unmet_essential_t"].sum() == pytest.approx(0, abs=1e-9)
    assert res.materials["release_t"].iat[0] == pytest.approx(15)
    # one more tonne would go to the industry's non-essential use, worth its weight wN = 20
    assert res.materials["value_per_t"].iat[0] == pytest.approx(20, rel=1e-6)
    assert res.materials["marginal_sector"].iat[0] == "industry (non-essential)"
    assert "one more tonne is worth 20" in " ".join(res.binding["explanation"])


def test_maxmin_worked_example(methods_5_4_example):
    res = allocate(methods_5_4_example, "maxmin")
    assert res.summary["lambda"] == pytest.approx(0.60, abs=1e-6)
    np.testing.assert_allclose(res.allocation["allocated_t"], [6, 15, 24, 15], atol=1e-3)
    # max–min violates the health and defence floors (methods §5.4)
    assert not res.sectors.set_index("sector").loc[["health", "defence"], "essential_met"].any()


def test_floors_prorata_worked_example(methods_5_4_example):
    res = allocate(methods_5_4_example, "floors_prorata")
    np.testing.assert_allclose(res.allocation["allocated_t"], [10, 20 + 5 / 3, 20, 25 / 3], atol=1e-3)


def test_strict_tiers_and_proportional_floor(methods_5_4_example):
    res = allocate(methods_5_4_example, "strict_tiers")
    np.testing.assert_allclose(res.allocation["allocated_t"], [10, 25, 25, 0], atol=1e-3)
    res = allocate(methods_5_4_example, "proportional_floor", alpha=0.8)
    x = res.allocation["allocated_t"].to_numpy()
    floor = 0.8 * np.array([10, 25, 40, 25]) * 60 / 100  # alpha d (A + R*) / sum d
    assert (x >= floor - 1e-6).all()
    assert x.sum() == pytest.approx(60)
    assert x[3] == pytest.approx(12)  # 'other' gets exactly its guaranteed share


def test_strict_tiers_protects_tier1_where_weights_do_not():
    """Weights that favour a large tier-2 essential need: strict tiers still serve tier 1 first."""
    p = AllocationProblem(
        sectors=("hospital", "fab"),
        materials=("ga",),
        periods=("w1",),
        tiers=("T1", "T2"),
        tier_rank=[1, 2],
        demand=np.array([10.0, 10.0]).reshape(2, 1, 1),
        essential=np.array([10.0, 10.0]).reshape(2, 1, 1),
        weight_essential=[100, 500],
        weight_nonessential=[1, 1],
        availability=[[10.0]],
        stock=[0.0],
        release_limit=[np.inf],
        reserve_floor=[0.0],
    )
    assert allocate(p, "weighted").allocation["allocated_t"].tolist() == pytest.approx([0, 10], abs=1e-6)
    assert allocate(p, "strict_tiers").allocation["allocated_t"].tolist() == pytest.approx([10, 0], abs=1e-6)


def test_stock_reserve_floor_and_timing():
    """Two weeks, stock 20 t with release limit 8 t/week and reserve floor 5 t: at most 15 t released."""
    p = AllocationProblem(
        sectors=("a",),
        materials=("m",),
        periods=("w1", "w2"),
        tiers=("T1",),
        tier_rank=[1],
        demand=np.full((1, 1, 2), 20.0),
        essential=np.full((1, 1, 2), 18.0),
        weight_essential=[10],
        weight_nonessential=[1],
        availability=[[10.0, 10.0]],
        stock=[20.0],
        release_limit=[8.0],
        reserve_floor=[5.0],
    )
    res = allocate(p)
    rel = res.materials["release_t"].to_numpy()
    assert rel.sum() == pytest.approx(15)
    assert (rel <= 8 + 1e-9).all()
    assert res.materials["stock_end_t"].iat[-1] == pytest.approx(5)
    assert set(res.binding["constraint"]) >= {"availability", "reserve_floor", "essential_unmet"}
    # essential 2 x 18 t against 20 t market + 15 t stock: exactly 1 t essential short
    assert res.allocation["unmet_essential_t"].sum() == pytest.approx(1)
    assert res.materials["value_per_t"].max() == pytest.approx(10)  # the marginal tonne is essential (wE)


def test_mip_minimum_operating_level_shuts_plant():
    """A plant needing >= 60 % of its 10 t cannot run on 5 t: it is shut and the tonnes go elsewhere."""
    p = AllocationProblem(
        sectors=("smelter", "other"),
        materials=("m",),
        periods=("w1",),
        tiers=("T2", "T3"),
        tier_rank=[2, 3],
        demand=np.array([10.0, 10.0]).reshape(2, 1, 1),
        essential=np.zeros((2, 1, 1)),
        weight_essential=[100, 50],
        weight_nonessential=[20, 10],
        availability=[[5.0]],
        stock=[0.0],
        release_limit=[0.0],
        reserve_floor=[0.0],
        min_operating_share=[0.6, np.nan],
        va_meur_per_period=[2.0, 1.0],
    )
    lp_res = allocate(
        AllocationProblem(**{**p.__dict__, "min_operating_share": None})  # LP: smelter takes all 5 t
    )
    assert lp_res.allocation["allocated_t"].tolist() == pytest.approx([5, 0])
    res = allocate(p)
    assert res.summary["mip"]
    assert res.allocation["allocated_t"].tolist() == pytest.approx([0, 5])
    assert res.sectors.set_index("sector").at["smelter", "periods_shut"] == 1
    # VA lost (Leontief, Eq. 5.2-4): smelter 2 MEUR x 100 %, other 1 MEUR x 50 %
    assert res.summary["va_lost_meur"] == pytest.approx(2.5)


def test_restart_cost_keeps_plant_off():
    """Shut in w1 (no supply); restarting in w2 for 6 t would gain 6*20=120 < restart cost 500 → stays off."""
    p = AllocationProblem(
        sectors=("smelter", "other"),
        materials=("m",),
        periods=("w1", "w2"),
        tiers=("T2", "T3"),
        tier_rank=[2, 3],
        demand=np.full((2, 1, 2), 10.0),
        essential=np.zeros((2, 1, 2)),
        weight_essential=[100, 50],
        weight_nonessential=[20, 10],
        availability=[[0.0, 10.0]],
        stock=[0.0],
        release_limit=[0.0],
        reserve_floor=[0.0],
        min_operating_share=[0.6, np.nan],
        restart_cost=[500.0, 0.0],
    )
    res = allocate(p)
    x = res.allocation.set_index(["sector", "period"])["allocated_t"]
    assert x[("smelter", "w2")] == pytest.approx(0)
    assert x[("other", "w2")] == pytest.approx(10)
    cheap = allocate(AllocationProblem(**{**p.__dict__, "restart_cost": [50.0, 0.0]}))
    assert cheap.allocation.set_index(["sector", "period"])["allocated_t"][
        ("smelter", "w2")
    ] == pytest.approx(10)


@pytest.mark.parametrize(
    ("patch", "match"),
    [
        ({"essential": np.array([12, 20, 10, 0.0]).reshape(4, 1, 1)}, "essential floor above demand"),
        ({"stock": [-1.0]}, "stock of material 'm' is negative"),
        ({"reserve_floor": [20.0]}, "reserve_floor of material 'm'"),
        ({"weight_nonessential": [50, 40, 20, 200]}, "every essential weight must exceed"),
        ({"demand": np.ones((4, 2, 1))}, "shape"),
    ],
)
def test_invalid_problem_names_the_field(methods_5_4_example, patch, match):
    with pytest.raises(InputError, match=match):
        AllocationProblem(**{**methods_5_4_example.__dict__, **patch})


def test_yaml_worked_example_and_errors():
    inp = load_allocation(EXAMPLES / "worked_example_5_4.yaml")
    res = allocate(inp, "floors_prorata")
    np.testing.assert_allclose(res.allocation["allocated_t"], [10, 21.6667, 20, 8.3333], atol=1e-3)
    base = inp.model_dump()
    bad = {**base, "demand": [dict(base["demand"][0], essential_t=12), *base["demand"][1:]]}
    with pytest.raises(InputError, match=r"demand\[0\]\.essential_t \(12 t\) is above demand_t"):
        parse_allocation(bad, source="x.yaml")
    bad = {**base, "materials": [dict(base["materials"][0], stock_t=-5)]}
    with pytest.raises(InputError, match=r"materials\[0\]\.stock_t.*greater than or equal to 0"):
        parse_allocation(bad, source="x.yaml")
    bad = {**base, "sectors": [*base["sectors"], {"sector": "ports", "tier": "T9"}]}
    with pytest.raises(InputError, match=r"sectors\[4\] \('ports'\): tier 'T9' has no weight"):
        parse_allocation(bad, source="x.yaml")
    tiers = [dict(t, weight_essential=None, weight_nonessential=None) for t in base["tiers"]]
    sectors = [dict(s, weight_essential=None, weight_nonessential=None) for s in base["sectors"]]
    with pytest.raises(InputError, match="tier 'T1' has no weight"):
        parse_allocation({**base, "tiers": tiers, "sectors": sectors}, source="x.yaml")


def test_illustrative_example_runs_all_rules():
    inp = load_allocation(EXAMPLES / "allocation_example.yaml")
    for rule in ("weighted", "strict_tiers", "maxmin", "floors_prorata", "proportional_floor"):
        res = allocate(inp, rule)
        assert len(res.allocation) == len(inp.demand) * 6
        assert res.explanation
        assert (res.allocation["allocated_t"] >= -1e-9).all()


def test_solver_failure_raises_with_status():
    lp = LinearProgram()
    x = lp.add_cols("x", 1, hi=1.0)
    lp.add_rows("impossible", 1, [0], x, 1.0, lo=2.0)
    with pytest.raises(SolverError, match="HiGHS status: Infeasible"):
        solve(lp, what="toy")


@st.composite
def instances(draw):
    K = draw(st.integers(2, 6))
    M = draw(st.integers(1, 2))
    T = draw(st.integers(1, 3))
    fl = st.one_of(st.just(0.0), st.floats(0.01, 50))  # demands below 1 g are outside the solver tolerance
    demand = np.array(draw(st.lists(fl, min_size=K * M * T, max_size=K * M * T))).reshape(K, M, T)
    frac = np.array(draw(st.lists(st.floats(0, 1), min_size=K * M * T, max_size=K * M * T))).reshape(K, M, T)
    wn = np.array(draw(st.lists(st.floats(1, 10), min_size=K, max_size=K)))
    we = np.array(draw(st.lists(st.floats(11, 1000), min_size=K, max_size=K)))
    q = st.one_of(st.just(0.0), st.floats(0.01, 120))
    avail = np.array(draw(st.lists(q, min_size=M * T, max_size=M * T))).reshape(M, T)
    stock = np.array(draw(st.lists(q, min_size=M, max_size=M)))
    ranks = np.array(draw(st.lists(st.integers(1, 3), min_size=K, max_size=K)), float)
    return AllocationProblem(
        sectors=tuple(f"k{i}" for i in range(K)),
        materials=tuple(f"m{i}" for i in range(M)),
        periods=tuple(f"w{i}" for i in range(T)),
        tiers=tuple(f"T{int(r)}" for r in ranks),
        tier_rank=ranks,
        demand=demand,
        essential=demand * frac,
        weight_essential=we,
        weight_nonessential=wn,
        availability=avail,
        stock=stock,
        release_limit=np.full(M, 25.0),
        reserve_floor=np.zeros(M),
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(p=instances(), rule=st.sampled_from(["weighted", "strict_tiers", "floors_prorata"]))
def test_essential_never_short_while_nonessential_served(p, rule):
    """Property (issue 6): in no material-week is an essential need short while non-essential volume is served."""
    res = allocate(p, rule)
    a = res.allocation
    served_ne = (a["allocated_t"] - a["essential_t"]) > 1e-6
    short_e = a["unmet_essential_t"] > 1e-6
    g = a.assign(served_ne=served_ne, short_e=short_e).groupby(["material_id", "period"])
    both = g["served_ne"].any() & g["short_e"].any()
    assert not both.any(), a
    # supply is never exceeded
    m = res.materials
    assert (m["allocated_t"] <= m["availability_t"] + m["release_t"] + 1e-6).all()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(p=instances(), scope=st.sampled_from(["all", "nonessential"]))
def test_maxmin_aggregate_equals_per_cell_form(p, scope):
    """The fast aggregated max-lambda stage equals the per-cell LP x >= lambda d of methods §5.4 F2,
    and the final allocation honours x >= lambda* d (all) or x - e >= lambda* (d - e) (nonessential)."""
    from crmsec.optimize.allocation import _build, _max_lambda_aggregate, _max_lambda_cells

    model = _build(p)
    coef = model.d if scope == "all" else model.d - model.e
    fast = _max_lambda_aggregate(p, model, coef, "test", None)
    slow = _max_lambda_cells(model.lp, model, coef, scope, "test", None)
    assert fast == pytest.approx(slow, abs=1e-7)
    res = allocate(p, "maxmin", maxmin_scope=scope)
    a = res.allocation
    lhs = a["allocated_t"] if scope == "all" else a["allocated_t"] - a["essential_t"] + a["unmet_essential_t"]
    rhs = a["demand_t"] if scope == "all" else a["demand_t"] - a["essential_t"]
    assert (lhs >= res.summary["lambda"] * rhs - 1e-6).all()


def test_maxmin_with_mip_terms(methods_5_4_example):
    p = AllocationProblem(
        **{**methods_5_4_example.__dict__, "min_operating_share": [np.nan, np.nan, 0.5, np.nan]}
    )
    res = allocate(p, "maxmin")
    assert res.summary["lambda"] == pytest.approx(0.60, abs=1e-6)
    np.testing.assert_allclose(res.allocation["allocated_t"], [6, 15, 24, 15], atol=1e-3)


def test_demand_below_solver_tolerance_is_reported(methods_5_4_example):
    demand = methods_5_4_example.demand.copy()
    demand[3] = 1e-8
    essential = np.minimum(methods_5_4_example.essential, demand)
    res = allocate(
        AllocationProblem(**{**methods_5_4_example.__dict__, "demand": demand, "essential": essential})
    )
    assert res.summary["n_cells_below_tolerance"] == 1
    assert "below 1e-06 t were left out" in res.explanation
    assert len(res.allocation) == 3


def test_conversion_arc_brings_other_stock_form_to_users():
    """Methods §5.5: 10 t of oxide stock, yield 0.5 t metal per t, refining capacity 4 t oxide per week.

    Metal demand 5 t/week (all essential), no market supply, two weeks: each week at most 4 × 0.5 = 2 t of
    metal reaches users, so 3 t/week stay short and the refining capacity binds.
    """
    import pandas as pd

    p = AllocationProblem(
        sectors=("hospital",),
        materials=("metal", "oxide"),
        periods=("w1", "w2"),
        tiers=("T1",),
        tier_rank=[1],
        demand=np.array([[[5.0, 5.0], [0.0, 0.0]]]),
        essential=np.array([[[5.0, 5.0], [0.0, 0.0]]]),
        weight_essential=[100],
        weight_nonessential=[1],
        availability=np.zeros((2, 2)),
        stock=[0.0, 10.0],
        release_limit=[np.inf, np.inf],
        reserve_floor=[0.0, 0.0],
        conversions=pd.DataFrame(
            {
                "from_material": ["oxide"],
                "to_material": ["metal"],
                "conversion_yield": [0.5],
                "capacity_t_per_period": [4.0],
            }
        ),
    )
    res = allocate(p)
    np.testing.assert_allclose(res.allocation["allocated_t"], [2, 2], atol=1e-6)
    m = res.materials.set_index(["material_id", "period"])
    assert m.at[("metal", "w1"), "converted_in_t"] == pytest.approx(2)
    assert m.at[("oxide", "w2"), "converted_out_t"] == pytest.approx(4)
    assert m.at[("oxide", "w2"), "stock_end_t"] == pytest.approx(2)
    assert "conversion_capacity" in set(res.binding["constraint"])
    assert res.materials["value_per_t"].max() == pytest.approx(100)
    lam = allocate(p, "maxmin").summary["lambda"]
    assert lam == pytest.approx(0.4)  # 2 of 5 t
    with pytest.raises(InputError, match=r"conversions\[0\]\.to_material 'steel'"):
        AllocationProblem(**{**p.__dict__, "conversions": p.conversions.assign(to_material="steel")})


def test_allocation_result_json_safe(methods_5_4_example):
    import json

    d = allocate(methods_5_4_example, "maxmin").to_dict()
    json.dumps(d, allow_nan=False)
    assert d["summary"]["lambda"] == pytest.approx(0.6)
    assert d["sectors"][0]["va_lost_meur"] is None  # NaN (no VA given) → null, not 0


def test_input_from_long_frames():
    import pandas as pd

    from crmsec.optimize import AllocationInput

    tiers = pd.DataFrame(
        {
            "tier": ["T1", "T3"],
            "rank": [1, 3],
            "weight_essential": [1000.0, 100.0],
            "weight_nonessential": [50.0, 10.0],
        }
    )
    sectors = pd.DataFrame({"sector": ["health", "other"], "tier": ["T1", "T3"]})
    materials = pd.DataFrame({"material_id": ["m"], "availability_t": [6.0], "stock_t": [0.0]})
    demand = pd.DataFrame(
        {
            "sector": ["health", "health", "other", "other"],
            "material_id": "m",
            "period": ["w1", "w2", "w1", "w2"],
            "demand_t": [4.0, 5.0, 4.0, 4.0],
            "essential_t": [4.0, 5.0, 0.0, 0.0],
        }
    )
    inp = AllocationInput.from_frames(
        periods=2, tiers=tiers, sectors=sectors, materials=materials, demand=demand
    )
    res = allocate(inp)
    x = res.allocation.set_index(["sector", "period"])["allocated_t"]
    assert x[("health", "w2")] == pytest.approx(5) and x[("other", "w2")] == pytest.approx(1)
    with pytest.raises(InputError, match="period 'w9'"):
        AllocationInput.from_frames(
            periods=2, tiers=tiers, sectors=sectors, materials=materials, demand=demand.assign(period="w9")
        )
