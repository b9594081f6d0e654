"""Strategic stockpile sizing: coverage-days rule, two-stage stochastic LP, and pooled coalition stocks.

Three methods of methods §5.3 [1]:

(a) :func:`coverage_days_stock` — the policy rule ``S_m = D_m * C_m / 365 * e_m / a_m`` with risk tiers
    (30/60/90/180 days, sourced table ``data/coverage_tiers.csv``) tied to criticality scores.
(b) :func:`size_stockpile` — the two-stage stochastic LP: first-stage stock ``S_m`` under a budget, second
    stage release and unmet demand per scenario, with carrying cost, value of lost load (VOLL) per tier and
    an optional CVaR term (Rockafellar–Uryasev [3]).
(c) :func:`pool_stockpile` — a coalition of member states holds one stock per material; releases go where
    the shortfall is (solidarity flows); contributions and release shares follow a rule (proportional to
    consumption as in the IEA [4], or to exposure); the saving versus national stocks is reported.

Scenario input format (a tidy frame or CSV; the scenario engine writes exactly this)
-----------------------------------------------------------------------------------
One row per scenario × material (× member country for pooling):

=============== ======== ==============================================================================
column          unit     meaning
=============== ======== ==============================================================================
scenario_id     –        scenario label; the same ``probability`` on all its rows
probability     1/yr     annual probability of the scenario; scenarios are mutually exclusive and
                         their sum must be <= 1 (the rest is "no disruption", loss 0)
material_id     –        registry id of the material
shortfall_t     t        tonnes not delivered over the whole disruption (after rerouting, §5.2)
duration_days   d        optional; length of the disruption (release-rate limit, tier demand caps)
country         ISO3     optional; member state hit (required by :func:`pool_stockpile`)
=============== ======== ==============================================================================

Material parameters (frame, one row per material): ``material_id``, ``price_eur_per_t``, either
``carrying_rate`` [1/yr] (cost of capital + storage + insurance + price risk, so ``c = P * rate``) or
``carrying_cost_eur_per_t_yr``, ``voll_eur_per_t`` (penalty per unmet tonne; may be left out when VOLL
tiers or a service level are given), and optional ``consumption_t_per_yr`` (for days of cover and tier
caps), ``release_rate_t_per_day``, ``availability_factor`` (usable share of the stock, IEA uses 0.9),
``release_cost_eur_per_t``.

VOLL tiers (optional frame): ``material_id, tier, share, voll_eur_per_t`` — the share of consumption in
each tier (shares of a material sum to 1) and its loss per unmet tonne. Unmet tonnes go to the cheapest
tier first, up to the tier's demand during the disruption ``share * consumption * duration / 365`` (or
``share * shortfall`` when consumption or duration are unknown — then the split is pro rata).

References
----------
.. [1] crmsec methods specification, §5.3 (A)–(D) and §5.5; worked example §5.3(C), reference values §8.9.
.. [2] Birge, J.R., Louveaux, F. (2011). *Introduction to Stochastic Programming*, 2nd ed. Springer
   (two-stage recourse; newsvendor critical fractile).
.. [3] Rockafellar, R.T., Uryasev, S. (2000). Optimization of conditional value-at-risk. *Journal of Risk*
   2(3), 21–41.
.. [4] IEA (1974). *Agreement on an International Energy Program* (collective action shares in
   proportion to oil consumption).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from importlib import resources
from typing import Literal

import numpy as np
import pandas as pd

from crmsec.errors import InputError
from crmsec.optimize._highs import INF, LinearProgram, solve

REQUIRED_SCENARIO_COLUMNS = ("scenario_id", "probability", "material_id", "shortfall_t")
TIER_ORDER = ("low", "medium", "high", "very_high")


def _show(value) -> str:
    """repr of a cell value without numpy wrappers (``-1.0``, not ``np.float64(-1.0)``)."""
    return repr(value.item() if isinstance(value, np.generic) else value)


# --- (a) coverage-days rule -------------------------------------------------------------------------------
def coverage_tiers() -> pd.DataFrame:
    """The sourced tier → days-of-cover table (``risk_tier, days, source, note``)."""
    with resources.files("crmsec.optimize").joinpath("data/coverage_tiers.csv").open(encoding="utf-8") as fh:
        return pd.read_csv(fh)


def risk_tiers(
    score: pd.Series | np.ndarray, quantiles: tuple[float, float, float] = (0.5, 0.75, 0.9)
) -> np.ndarray:
    """Risk tier per material from a risk score (e.g. EU supply risk ``sr`` or a GeoPolRisk score).

    Tiers by percentile among the materials given (methods §5.3(A): "tie tiers to SR_NL or GeoPolRisk
    percentiles"): below the first quantile ``low``, then ``medium``, ``high``, and ``very_high`` at or
    above the last. NaN scores give tier ``""`` (no tier, no stock by this rule).
    """
    s = np.asarray(score, float)
    out = np.full(s.shape, "", dtype=object)
    ok = ~np.isnan(s)
    if not ok.any():
        return out
    cuts = np.quantile(s[ok], quantiles)
    idx = np.searchsorted(cuts, s[ok], side="right")
    out[ok] = np.asarray(TIER_ORDER, dtype=object)[idx]
    return out


def coverage_days_stock(
    materials: pd.DataFrame,
    *,
    score: str = "sr",
    quantiles: tuple[float, float, float] = (0.5, 0.75, 0.9),
    tier_days: dict[str, float] | None = None,
    availability_factor: float = 0.9,
) -> pd.DataFrame:
    """Stock target by the coverage-days rule (methods §5.3(A)).

    .. math:: S_m = D_m \\, C_m / 365 \\, e_m / a_m

    Parameters
    ----------
    materials : frame with ``material_id``, ``consumption_t_per_yr`` [t/yr] and one of ``days`` [d],
        ``risk_tier`` (low/medium/high/very_high) or a score column (default ``sr``; e.g. criticality
        results with ``material_id, sr, ei``). Optional ``exposed_share`` e_m [-] (share of consumption
        from risky sources, default 1) and ``availability_factor`` a_m [-].
    score : the score column used for tiering when neither ``days`` nor ``risk_tier`` is given.
    quantiles : percentile cuts for :func:`risk_tiers`.
    tier_days : override of the days per tier (default: :func:`coverage_tiers`).
    availability_factor : a_m when the frame has none (IEA deducts 10 %: 0.9).

    Returns
    -------
    DataFrame ``material_id, risk_tier, days, consumption_t_per_yr, exposed_share, availability_factor,
    stock_t, tier_basis``.
    """
    if "material_id" not in materials or "consumption_t_per_yr" not in materials:
        raise InputError("coverage-days rule needs columns material_id and consumption_t_per_yr")
    df = materials.copy()
    days_map = tier_days
    if not days_map:
        table = coverage_tiers()  # read once
        days_map = dict(zip(table["risk_tier"], table["days"], strict=True))
    if "days" in df:
        df["risk_tier"] = df.get("risk_tier", "")
        basis = "days given"
    elif "risk_tier" in df:
        basis = "risk_tier given"
    elif score in df:
        df["risk_tier"] = risk_tiers(df[score], quantiles)
        basis = f"{score} percentile {quantiles}"
    else:
        raise InputError(f"coverage-days rule needs a 'days', 'risk_tier' or '{score}' column")
    if "days" not in df:
        unknown = sorted(set(df["risk_tier"].dropna()) - set(days_map) - {""})
        if unknown:
            raise InputError(f"risk_tier {unknown[0]!r} unknown; use one of {', '.join(days_map)}")
        df["days"] = df["risk_tier"].map(days_map).astype(float)
    e = df["exposed_share"].astype(float) if "exposed_share" in df else pd.Series(1.0, index=df.index)
    a = (
        df["availability_factor"].astype(float)
        if "availability_factor" in df
        else pd.Series(availability_factor, index=df.index)
    )
    for col, ser in (("exposed_share", e), ("availability_factor", a)):
        bad = ~((ser > 0) & (ser <= 1)) if col == "availability_factor" else ~((ser >= 0) & (ser <= 1))
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(
                f"{col} of {df['material_id'].iat[i]!r} is {_show(ser.iat[i])}; give a share in (0, 1]"
            )
    c = df["consumption_t_per_yr"].astype(float)
    if (c < 0).any():
        i = int(np.flatnonzero((c < 0).to_numpy())[0])
        raise InputError(f"consumption_t_per_yr of {df['material_id'].iat[i]!r} is negative")
    df["exposed_share"] = e
    df["availability_factor"] = a
    df["stock_t"] = df["days"] * c / 365.0 * e / a  # Eq. 5.3-A in [1]
    df["tier_basis"] = basis
    return df[
        [
            "material_id",
            "risk_tier",
            "days",
            "consumption_t_per_yr",
            "exposed_share",
            "availability_factor",
            "stock_t",
            "tier_basis",
        ]
    ].reset_index(drop=True)


# --- closed form --------------------------------------------------------------------------------------------
def critical_fractile_stock(
    shortfall_t, probability, carrying_cost_eur_per_t_yr: float, penalty_eur_per_t: float
) -> float:
    """Optimal single-material stock by the critical fractile (newsvendor) rule, methods §5.3(B) [1], [2].

    ``S* = smallest S with P(L > S) <= c / p`` over the discrete shortfall distribution
    (scenarios with annual probabilities; the rest of the probability mass is L = 0).

    Parameters
    ----------
    shortfall_t : shortfall L_s per scenario [t].
    probability : annual probability pi_s per scenario [1/yr], sum <= 1.
    carrying_cost_eur_per_t_yr : c [EUR/t/yr].
    penalty_eur_per_t : p, loss per unmet tonne [EUR/t].

    Returns
    -------
    float : S* [t].
    """
    L = np.asarray(shortfall_t, float)
    pi = np.asarray(probability, float)
    ratio = carrying_cost_eur_per_t_yr / penalty_eur_per_t
    cand = np.concatenate([[0.0], np.sort(L)])
    tail = (pi[None, :] * (L[None, :] > cand[:, None] + 1e-12)).sum(axis=1)  # P(L > S)
    ok = np.flatnonzero(tail <= ratio + 1e-15)
    return float(cand[ok[0]])


def expected_cost(
    stock_t: float, shortfall_t, probability, carrying_cost_eur_per_t_yr: float, penalty_eur_per_t: float
) -> float:
    """Expected annual cost ``c S + p E[(L - S)^+]`` [EUR/yr] of a single-material stock (methods §5.3(C))."""
    L = np.asarray(shortfall_t, float)
    pi = np.asarray(probability, float)
    return float(
        carrying_cost_eur_per_t_yr * stock_t + penalty_eur_per_t * (pi * np.maximum(L - stock_t, 0)).sum()
    )


# --- input validation ----------------------------------------------------------------------------------------
def validate_scenarios(
    scenarios: pd.DataFrame, *, source: str = "scenarios", need_country: bool = False
) -> pd.DataFrame:
    """Check a scenario frame (format in the module docstring); return a clean copy.

    Errors name the row as a spreadsheet user counts it (header = row 1).
    """
    need = list(REQUIRED_SCENARIO_COLUMNS) + (["country"] if need_country else [])
    missing = [c for c in need if c not in scenarios.columns]
    if missing:
        raise InputError(
            f"{source}: missing column(s) {', '.join(missing)}; the format is "
            "scenario_id, probability, material_id, shortfall_t[, duration_days][, country]"
        )
    df = scenarios.copy().reset_index(drop=True)
    if df.empty:
        raise InputError(f"{source}: no scenario rows")
    df["scenario_id"] = df["scenario_id"].astype(str)
    df["material_id"] = df["material_id"].astype(str)
    df["_row"] = np.arange(len(df)) + 2  # spreadsheet row (header = 1)
    # unknown shortfall (e.g. consumption unknown in the scenario engine): skipped with a reason, never 0
    unknown = pd.to_numeric(df["shortfall_t"], errors="coerce").isna() & df["shortfall_t"].isna()
    skipped = df.loc[unknown, [c for c in ("scenario_id", "material_id", "country") if c in df]].copy()
    skipped["reason"] = "shortfall_unknown"
    df = df.loc[~unknown].reset_index(drop=True)
    if df.empty:
        raise InputError(f"{source}: every shortfall_t is missing; nothing to size")
    for col in ("probability", "shortfall_t") + (("duration_days",) if "duration_days" in df else ()):
        vals = pd.to_numeric(df[col], errors="coerce")
        bad = vals.isna() | ~np.isfinite(vals)
        if col == "probability":
            bad |= (vals < 0) | (vals > 1)
        elif col == "shortfall_t":
            bad |= vals < 0
        else:
            bad |= vals <= 0
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            rule = {
                "probability": "a number in [0, 1]",
                "shortfall_t": "a number >= 0 (t)",
                "duration_days": "a number > 0 (days)",
            }[col]
            raise InputError(
                f"{source}: row {df['_row'].iat[i]}, field '{col}', value {_show(df[col].iat[i])}: give {rule}"
            )
        df[col] = vals.astype(float)
    nprob = df.groupby("scenario_id")["probability"].nunique()
    if (nprob > 1).any():
        sid = nprob.index[nprob > 1][0]
        raise InputError(
            f"{source}: scenario {sid!r} has different probabilities on its rows; "
            "give one probability per scenario_id"
        )
    total = df.groupby("scenario_id")["probability"].first().sum()
    if total > 1 + 1e-9:
        raise InputError(
            f"{source}: scenario probabilities sum to {total:.6g} > 1; scenarios must be mutually "
            "exclusive annual probabilities (the remainder is 'no disruption')"
        )
    keys = ["scenario_id", "material_id"] + (["country"] if "country" in df else [])
    dup = df.duplicated(keys)
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise InputError(
            f"{source}: row {df['_row'].iat[i]} repeats {dict(df.loc[i, keys])}; one row per {'/'.join(keys)}"
        )
    df = df.drop(columns="_row")
    df.attrs["skipped"] = skipped.reset_index(drop=True)
    return df


def _material_params(materials: pd.DataFrame, needed: list[str], *, need_voll: bool) -> pd.DataFrame:
    if "material_id" not in materials:
        raise InputError("materials: missing column material_id")
    mp = materials.copy()
    mp["material_id"] = mp["material_id"].astype(str)
    if mp["material_id"].duplicated().any():
        raise InputError(
            f"materials: material_id {mp['material_id'][mp['material_id'].duplicated()].iat[0]!r} repeated"
        )
    absent = sorted(set(needed) - set(mp["material_id"]))
    if absent:
        raise InputError(
            f"materials: no parameters for material_id {absent[0]!r} that the scenarios use; add a row"
        )
    mp = mp.set_index("material_id").loc[needed]
    if "carrying_cost_eur_per_t_yr" not in mp:
        if "carrying_rate" not in mp or "price_eur_per_t" not in mp:
            raise InputError(
                "materials: give carrying_cost_eur_per_t_yr, or price_eur_per_t and carrying_rate"
            )
        mp["carrying_cost_eur_per_t_yr"] = mp["price_eur_per_t"] * mp["carrying_rate"]  # c = P (r + h + ...)
    defaults = {
        "price_eur_per_t": np.nan,
        "voll_eur_per_t": np.nan,
        "consumption_t_per_yr": np.nan,
        "release_rate_t_per_day": np.inf,
        "availability_factor": 1.0,
        "release_cost_eur_per_t": 0.0,
    }
    for col, val in defaults.items():
        mp[col] = pd.to_numeric(mp[col], errors="coerce").fillna(val) if col in mp else val
    checks = {
        "carrying_cost_eur_per_t_yr": lambda s: s > 0,
        "availability_factor": lambda s: (s > 0) & (s <= 1),
        "release_rate_t_per_day": lambda s: s >= 0,
        "release_cost_eur_per_t": lambda s: s >= 0,
    }
    for col, ok in checks.items():
        vals = pd.to_numeric(mp[col], errors="coerce")
        bad = ~ok(vals).fillna(False).to_numpy()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"materials: field '{col}' of {mp.index[i]!r} is {_show(mp[col].iat[i])}; "
                "carrying cost must be > 0, shares in (0, 1], rates and costs >= 0"
            )
    if need_voll:
        bad = ~(mp["voll_eur_per_t"] > 0).to_numpy()
        if bad.any():
            raise InputError(
                f"materials: voll_eur_per_t of {mp.index[int(np.flatnonzero(bad)[0])]!r} is missing or <= 0; "
                "give a value of lost load per unmet tonne, VOLL tiers, or a service level"
            )
    return mp


# --- generic two-stage LP -------------------------------------------------------------------------------------
@dataclass
class _Structure:
    """Index structure of a two-stage stock problem (units = demand nodes, holders = stock variables)."""

    sc: pd.DataFrame  # distinct scenarios: scenario_id, probability
    units: pd.DataFrame  # material_id, country, consumption_t_per_yr
    L: np.ndarray  # shortfall [U, S]
    dur: np.ndarray  # duration days [U, S] (NaN unknown)
    holders: pd.DataFrame  # material_id, country ('' = pool), cost, price, avail, rate, release_cost
    arcs: np.ndarray  # (n_arcs, 2): holder, unit


def _structure(
    scn: pd.DataFrame, mp: pd.DataFrame, *, pooled: bool | None, members: pd.DataFrame | None
) -> _Structure:
    sc = scn.groupby("scenario_id", sort=False)["probability"].first().reset_index()
    s_pos = pd.Series(np.arange(len(sc)), index=sc["scenario_id"])
    if "country" not in scn:
        scn = scn.assign(country="")
    scn = scn.assign(country=scn["country"].astype(str))
    if members is not None:
        units = members[["material_id", "country"]].drop_duplicates().reset_index(drop=True)
        extra = scn[["material_id", "country"]].drop_duplicates().merge(units, how="left", indicator=True)
        out = extra[extra["_merge"] == "left_only"]
        if len(out):
            raise InputError(
                f"scenarios: country {out['country'].iat[0]!r} / material {out['material_id'].iat[0]!r} "
                "is hit in a scenario but not listed in members"
            )
        cons = members.set_index(["material_id", "country"])["consumption_t_per_yr"]
        units["consumption_t_per_yr"] = cons.reindex(
            pd.MultiIndex.from_frame(units[["material_id", "country"]])
        ).to_numpy()
    else:
        units = scn[["material_id", "country"]].drop_duplicates().reset_index(drop=True)
        units["consumption_t_per_yr"] = mp.loc[units["material_id"], "consumption_t_per_yr"].to_numpy()
    u_pos = pd.Series(
        np.arange(len(units)), index=pd.MultiIndex.from_frame(units[["material_id", "country"]])
    )
    ui = u_pos.reindex(pd.MultiIndex.from_frame(scn[["material_id", "country"]])).to_numpy()
    si = s_pos.reindex(scn["scenario_id"]).to_numpy()
    L = np.zeros((len(units), len(sc)))
    L[ui, si] = scn["shortfall_t"].to_numpy()
    dur = np.full((len(units), len(sc)), np.nan)
    if "duration_days" in scn:
        dur[ui, si] = scn["duration_days"].to_numpy()
    if pooled:
        holders = units[["material_id"]].drop_duplicates().reset_index(drop=True).assign(country="")
        h_pos = pd.Series(np.arange(len(holders)), index=holders["material_id"])
        arcs = np.column_stack([h_pos.reindex(units["material_id"]).to_numpy(), np.arange(len(units))])
    else:
        holders = units[["material_id", "country"]].copy()
        arcs = np.column_stack([np.arange(len(units)), np.arange(len(units))])
    p = mp.loc[holders["material_id"]]
    holders["carrying_cost_eur_per_t_yr"] = p["carrying_cost_eur_per_t_yr"].to_numpy()
    holders["price_eur_per_t"] = p["price_eur_per_t"].to_numpy()
    holders["availability_factor"] = p["availability_factor"].to_numpy()
    holders["release_rate_t_per_day"] = p["release_rate_t_per_day"].to_numpy()
    if pooled:
        # the pooled stock sits in the members' facilities: its release capacity is the sum of theirs
        n_members = units.groupby("material_id").size().reindex(holders["material_id"]).to_numpy()
        holders["release_rate_t_per_day"] = holders["release_rate_t_per_day"] * n_members
    holders["release_cost_eur_per_t"] = p["release_cost_eur_per_t"].to_numpy()
    return _Structure(sc=sc, units=units, L=L, dur=dur, holders=holders, arcs=arcs)


def _tier_table(units: pd.DataFrame, mp: pd.DataFrame, tiers: pd.DataFrame | None) -> pd.DataFrame:
    """Tier rows per unit: unit, tier, share, voll."""
    rows = []
    if tiers is not None:
        need = {"material_id", "tier", "share", "voll_eur_per_t"}
        if not need <= set(tiers.columns):
            raise InputError(f"tiers: need columns {', '.join(sorted(need))}")
        t = tiers.copy()
        t["material_id"] = t["material_id"].astype(str)
        bad = ~((t["share"] >= 0) & (t["share"] <= 1) & (t["voll_eur_per_t"] > 0))
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(
                f"tiers: row {i + 2} ({t['material_id'].iat[i]}/{t['tier'].iat[i]}): share must be in "
                "[0, 1] and voll_eur_per_t > 0"
            )
        sums = t.groupby("material_id")["share"].sum()
        off = sums[(sums - 1).abs() > 1e-6]
        if len(off):
            raise InputError(f"tiers: shares of {off.index[0]!r} sum to {off.iat[0]:.6g}; they must sum to 1")
    tiered = set(t["material_id"]) if tiers is not None else set()
    for u, mat in enumerate(units["material_id"]):
        if mat in tiered:
            for r in t[t["material_id"] == mat].itertuples(index=False):
                rows.append((u, str(r.tier), float(r.share), float(r.voll_eur_per_t)))
        else:
            v = mp.at[mat, "voll_eur_per_t"]
            rows.append((u, "all", 1.0, float(v) if np.isfinite(v) else 0.0))
    return pd.DataFrame(rows, columns=["unit", "tier", "share", "voll_eur_per_t"])


@dataclass(frozen=True)
class StockpileResult:
    """Outcome of :func:`size_stockpile`.

    Attributes
    ----------
    stock : per material (and country for national stocks): ``material_id, country, stock_t, days_of_cover,
        capital_eur, carrying_cost_eur_yr, expected_shortfall_t, expected_release_t, expected_unmet_t,
        expected_loss_eur_yr, marginal_value_eur_per_t_yr, total_cost_eur_yr``. The marginal value is the
        expected annual loss avoided by one more tonne (LP duals); at an optimum with stock > 0 it equals the
        carrying cost, plus price × budget dual when the budget binds (methods §5.3(D)).
    scenarios : per scenario × material (× country): ``scenario_id, probability, material_id, country,
        shortfall_t, release_t, unmet_t, loss_eur``.
    summary : ``expected_annual_cost_eur``, ``carrying_cost_eur_yr``, ``expected_loss_eur_yr``, ``cvar_eur``,
        ``budget_dual``, status, model size, solve time.
    explanation : short plain-language text.
    skipped : scenario rows left out with a ``reason`` (``shortfall_unknown``: NaN shortfall_t).
    """

    stock: pd.DataFrame
    scenarios: pd.DataFrame
    summary: dict = field(default_factory=dict)
    explanation: str = ""
    skipped: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["scenario_id", "material_id", "reason"])
    )

    def to_dict(self) -> dict:
        """JSON-safe form: every table as a list of records, NaN as None (for the REST API)."""
        from crmsec.optimize._json import result_to_dict

        return result_to_dict(self)


def _solve_two_stage(
    st: _Structure,
    tier_tab: pd.DataFrame,
    *,
    budget_eur: float | None,
    cvar_alpha: float | None,
    cvar_weight: float,
    service_level: float | None,
    time_limit: float | None,
    what: str,
    prorata: bool = False,
):
    U, S = st.L.shape
    H = len(st.holders)
    pi = st.sc["probability"].to_numpy()
    lp = LinearProgram()
    hold = st.holders
    s_cols = lp.add_cols("S", H, cost=hold["carrying_cost_eur_per_t_yr"].to_numpy())
    # release columns per (arc, scenario) where the arc's unit has a shortfall
    a_h, a_u = st.arcs[:, 0], st.arcs[:, 1]
    act_arc, act_s = np.nonzero(st.L[a_u, :] > 0)
    r_h, r_u = a_h[act_arc], a_u[act_arc]
    rc = hold["release_cost_eur_per_t"].to_numpy()[r_h]
    r_cols = lp.add_cols("R", act_arc.size, cost=pi[act_s] * rc, hi=st.L[r_u, act_s])
    # unmet per tier, per (unit, scenario) with a shortfall
    act_u, act_us = np.nonzero(st.L > 0)
    us_pos = np.full((U, S), -1)
    us_pos[act_u, act_us] = np.arange(act_u.size)
    tiers_by_unit = tier_tab.groupby("unit")
    q_rows, q_unit, q_s, q_cap, q_voll = [], [], [], [], []
    cons = st.units["consumption_t_per_yr"].to_numpy(float)
    for u, grp in tiers_by_unit:
        sel = np.flatnonzero(act_u == u)
        if sel.size == 0:
            continue
        s_idx = act_us[sel]
        Ls = st.L[u, s_idx]
        base = np.where(
            np.isfinite(st.dur[u, s_idx]) & np.isfinite(cons[u]), cons[u] * st.dur[u, s_idx] / 365.0, np.nan
        )
        if np.isfinite(base).all() and (base + 1e-9 < Ls).any():
            j = int(np.argmax(base + 1e-9 < Ls))
            raise InputError(
                f"scenarios: scenario {st.sc['scenario_id'].iat[s_idx[j]]!r}, material "
                f"{st.units['material_id'].iat[u]!r}: shortfall {Ls[j]:.6g} t exceeds consumption during the "
                f"disruption ({base[j]:.6g} t); check shortfall_t, duration_days or consumption_t_per_yr"
            )
        base = np.where(np.isfinite(base), base, Ls)
        for r in grp.itertuples(index=False):
            q_rows.append(sel)
            q_unit.append(np.full(sel.size, u))
            q_s.append(s_idx)
            q_cap.append(r.share * base if len(grp) > 1 else np.full(sel.size, INF))
            q_voll.append(np.full(sel.size, r.voll_eur_per_t))
    q_row = np.concatenate(q_rows) if q_rows else np.zeros(0, int)
    q_unit_a = np.concatenate(q_unit) if q_unit else np.zeros(0, int)
    q_s_a = np.concatenate(q_s) if q_s else np.zeros(0, int)
    q_cap_a = np.concatenate(q_cap) if q_cap else np.zeros(0)
    q_voll_a = np.concatenate(q_voll) if q_voll else np.zeros(0)
    # a tiny penalty where VOLL is 0 (service-level mode) makes the LP release what it holds
    eps = 1e-6 * float(hold["carrying_cost_eur_per_t_yr"].min())
    q_cols = lp.add_cols("q", q_row.size, cost=pi[q_s_a] * np.maximum(q_voll_a, eps), hi=q_cap_a)
    # demand balance per active (unit, scenario): sum R + sum q = L
    bal_r = us_pos[r_u, act_s]
    lp.add_rows(
        "balance",
        act_u.size,
        np.concatenate([bal_r, q_row]),
        np.concatenate([r_cols, q_cols]),
        1.0,
        lo=st.L[act_u, act_us],
        hi=st.L[act_u, act_us],
    )
    # holder capacity per (holder, scenario): sum R - a S <= 0 ; rate: sum R <= rho * duration
    hs = r_h * S + act_s
    keys, hs_row = np.unique(hs, return_inverse=True)
    kh = keys // S
    avail = hold["availability_factor"].to_numpy()
    lp.add_rows(
        "capacity",
        keys.size,
        np.concatenate([hs_row, np.arange(keys.size)]),
        np.concatenate([r_cols, s_cols[kh]]),
        np.concatenate([np.ones(r_cols.size), -avail[kh]]),
        hi=0.0,
    )
    if prorata:
        # a short pool serves every member hit by the same share nu of its shortfall: R = nu[h,s] L[u,s]
        nu = lp.add_cols("nu", keys.size, lo=0.0, hi=1.0)
        n_r = r_cols.size
        lp.add_rows(
            "prorata",
            n_r,
            np.concatenate([np.arange(n_r), np.arange(n_r)]),
            np.concatenate([r_cols, nu[hs_row]]),
            np.concatenate([np.ones(n_r), -st.L[r_u, act_s]]),
            lo=0.0,
            hi=0.0,
        )
    rate = hold["release_rate_t_per_day"].to_numpy()[kh]
    if np.isfinite(rate).any():
        dmax = np.full(keys.size, np.nan)
        dr = st.dur[r_u, act_s]
        np.fmax.at(dmax, hs_row, dr)
        lim = rate * dmax
        use = np.isfinite(lim)
        if (np.isfinite(rate) & ~np.isfinite(dmax)).any():
            raise InputError(
                "scenarios: release_rate_t_per_day is given but duration_days is missing; "
                "add duration_days to the scenarios"
            )
        sel = np.flatnonzero(use[hs_row])
        rowmap = np.full(keys.size, -1)
        rowmap[use] = np.arange(use.sum())
        lp.add_rows("rate", int(use.sum()), rowmap[hs_row[sel]], r_cols[sel], 1.0, hi=lim[use])
    if budget_eur is not None:
        price = hold["price_eur_per_t"].to_numpy()
        if not np.isfinite(price).all():
            raise InputError("materials: a budget needs price_eur_per_t for every material")
        lp.add_rows("budget", 1, np.zeros(H), s_cols, price, hi=float(budget_eur))
    if service_level is not None:
        if not 0 < service_level <= 1:
            raise InputError(f"service_level {service_level:g}: give a share in (0, 1]")
        # expected unmet <= (1 - SL) expected shortfall, per unit (material x country)
        el = (st.L * pi[None, :]).sum(axis=1)
        lp.add_rows("service", U, q_unit_a, q_cols, pi[q_s_a], hi=(1 - service_level) * el + 1e-9)
    cvar = None
    if cvar_alpha is not None and cvar_weight > 0:
        if not 0 < cvar_alpha < 1:
            raise InputError(f"cvar_alpha {cvar_alpha:g}: give a level in (0, 1), e.g. 0.95")
        eta = lp.add_cols("eta", 1, lo=-INF, cost=cvar_weight)
        p0 = max(0.0, 1.0 - pi.sum())
        z = lp.add_cols("z", S + 1, cost=cvar_weight / (1 - cvar_alpha) * np.append(pi, p0))
        # z_s - loss_s + eta >= 0 ; loss_s = sum voll q + sum rc R  (Rockafellar-Uryasev, Eq. 1-2 in [3])
        rows = np.concatenate([np.arange(S + 1), np.arange(S + 1), q_s_a, act_s])
        cols = np.concatenate([z, np.full(S + 1, eta[0]), q_cols, r_cols])
        vals = np.concatenate([np.ones(S + 1), np.ones(S + 1), -q_voll_a, -rc])
        lp.add_rows("cvar", S + 1, rows, cols, vals, lo=0.0)
        cvar = (eta, z)
    sol = solve(lp, what=what, time_limit=time_limit)
    x = sol.x
    S_val = np.clip(lp.col(x, "S"), 0, None)
    R_val = np.clip(lp.col(x, "R"), 0, None)
    q_val = np.clip(lp.col(x, "q"), 0, None)
    rel = np.zeros((U, S))
    np.add.at(rel, (r_u, act_s), R_val)
    unmet = np.zeros((U, S))
    np.add.at(unmet, (q_unit_a, q_s_a), q_val)
    loss = np.zeros((U, S))
    np.add.at(loss, (q_unit_a, q_s_a), q_val * q_voll_a)
    np.add.at(loss, (r_u, act_s), R_val * rc)
    # marginal value of one more tonne of stock (methods §5.3(D)): sum_s a_h * (-dual of capacity row h,s)
    mv = np.zeros(H)
    np.add.at(mv, kh, -lp.row(sol.row_dual, "capacity") * avail[kh])
    out = {
        "S": S_val,
        "rel": rel,
        "unmet": unmet,
        "loss": loss,
        "sol": sol,
        "lp": lp,
        "marginal_value": mv,
        "R": (r_h, r_u, act_s, R_val),
    }
    if cvar is not None:
        eta_v = float(x[cvar[0][0]])
        z_v = x[cvar[1]]
        out["cvar"] = eta_v + (np.append(pi, max(0.0, 1 - pi.sum())) * z_v).sum() / (1 - cvar_alpha)
    if budget_eur is not None:
        out["budget_dual"] = -float(lp.row(sol.row_dual, "budget")[0])
    return out


def _stock_frame(st: _Structure, res: dict) -> pd.DataFrame:
    pi = st.sc["probability"].to_numpy()
    hold = st.holders
    H = len(hold)
    a_h, a_u = st.arcs[:, 0], st.arcs[:, 1]
    # expected quantities per holder: over units it serves (national: one; pooled: all members)
    el = (st.L * pi).sum(axis=1)
    eu = (res["unmet"] * pi).sum(axis=1)
    eloss = (res["loss"] * pi).sum(axis=1)
    cons = st.units["consumption_t_per_yr"].to_numpy(float)

    def per_holder(v):
        out = np.zeros(H)
        np.add.at(out, a_h, v[a_u])
        return out

    r_h, _, act_s, R_val = res["R"]
    erel = np.zeros(H)
    np.add.at(erel, r_h, R_val * pi[act_s])
    S_val = res["S"]
    c_h = per_holder(cons)
    df = pd.DataFrame(
        {
            "material_id": hold["material_id"],
            "country": hold["country"],
            "stock_t": S_val,
            "days_of_cover": np.where(c_h > 0, S_val / np.where(c_h > 0, c_h, 1) * 365.0, np.nan),
            "capital_eur": S_val * hold["price_eur_per_t"].to_numpy(),
            "carrying_cost_eur_yr": S_val * hold["carrying_cost_eur_per_t_yr"].to_numpy(),
            "expected_shortfall_t": per_holder(el),
            "expected_release_t": erel,
            "expected_unmet_t": per_holder(eu),
            "expected_loss_eur_yr": per_holder(eloss),
            "marginal_value_eur_per_t_yr": res["marginal_value"],
        }
    )
    df["total_cost_eur_yr"] = df["carrying_cost_eur_yr"] + df["expected_loss_eur_yr"]
    return df


def _scenario_frame(st: _Structure, res: dict) -> pd.DataFrame:
    uu, ss = np.nonzero(st.L > 0)
    return pd.DataFrame(
        {
            "scenario_id": st.sc["scenario_id"].to_numpy()[ss],
            "probability": st.sc["probability"].to_numpy()[ss],
            "material_id": st.units["material_id"].to_numpy()[uu],
            "country": st.units["country"].to_numpy()[uu],
            "shortfall_t": st.L[uu, ss],
            "release_t": res["rel"][uu, ss],
            "unmet_t": res["unmet"][uu, ss],
            "loss_eur": res["loss"][uu, ss],
        }
    )


def _cost_summary(res: dict, stock: pd.DataFrame) -> dict:
    """Solver status and the cost totals of a stock frame (shared by national and pooled sizing)."""
    return {
        "status": res["sol"].status,
        "expected_annual_cost_eur": float(stock["total_cost_eur_yr"].sum()),
        "carrying_cost_eur_yr": float(stock["carrying_cost_eur_yr"].sum()),
        "expected_loss_eur_yr": float(stock["expected_loss_eur_yr"].sum()),
        "capital_eur": float(np.nansum(stock["capital_eur"])),
        "objective": res["sol"].objective,
    }


def size_stockpile(
    scenarios: pd.DataFrame,
    materials: pd.DataFrame,
    *,
    tiers: pd.DataFrame | None = None,
    budget_eur: float | None = None,
    cvar_alpha: float | None = None,
    cvar_weight: float = 0.0,
    service_level: float | None = None,
    country: str | None = None,
    time_limit: float | None = 300.0,
) -> StockpileResult:
    """Economically optimal stock per material by the two-stage stochastic LP (methods §5.3(B)).

    .. code-block:: text

        min  sum_m c_m S_m + sum_s pi_s [ sum_{m,k} VOLL_{m,k} q_{m,k,s} + sum_m c_rel_m R_{m,s} ]
             + lambda * CVaR_alpha(loss)                                          (Eq. 5.3-B in [1])
        s.t. sum_m P_m S_m <= Budget ;  R_{m,s} <= a_m S_m ;  R_{m,s} <= rho_m T_s
             R_{m,s} + sum_k q_{m,k,s} = L_{m,s} ;  0 <= q_{m,k,s} <= share_k D_{m,s}

    The second stage is aggregated over each disruption (one period per scenario; the release-rate
    limit applies to the whole duration). Stock left after a scenario is kept (annualised carrying cost).

    Parameters
    ----------
    scenarios : scenario frame (format in the module docstring); a ``country`` column, if any, is kept
        as separate demand nodes each with its own national stock.
    materials : material parameters (module docstring).
    tiers : optional VOLL tiers (module docstring).
    budget_eur : capital limit on ``sum P_m S_m`` [EUR].
    cvar_alpha, cvar_weight : CVaR level alpha and weight lambda [-] (Rockafellar–Uryasev [3]); the
        objective becomes expected cost + lambda CVaR_alpha(second-stage loss).
    service_level : optional: expected unmet tonnes <= (1 - service_level) × expected shortfall, per
        material (and country).
    country : keep only the scenario rows of this member (ISO3) when the frame has a ``country``
        column; a frame with several countries needs it (or use :func:`pool_stockpile`).
    time_limit : HiGHS time limit [s].

    Returns
    -------
    StockpileResult
    """
    t0 = time.perf_counter()
    scn = validate_scenarios(scenarios)
    if "country" in scn:
        countries = sorted(scn["country"].astype(str).unique())
        if country is not None:
            if country not in countries:
                raise InputError(
                    f"country {country!r} has no scenario rows; the scenarios cover {', '.join(countries)}"
                )
            skipped = scn.attrs.get("skipped")
            scn = scn[scn["country"].astype(str) == country].drop(columns="country").reset_index(drop=True)
            scn.attrs["skipped"] = skipped
        elif len(countries) > 1:
            raise InputError(
                f"scenarios cover several countries ({', '.join(countries)}); choose one with "
                "country=/--country, or size a coalition stock with pool_stockpile/--pool"
            )
        else:
            scn = scn.drop(columns="country")
    mats = list(dict.fromkeys(scn["material_id"]))
    mp = _material_params(materials, mats, need_voll=tiers is None and service_level is None)
    st = _structure(scn, mp, pooled=False, members=None)
    tier_tab = _tier_table(st.units, mp, tiers)
    res = _solve_two_stage(
        st,
        tier_tab,
        budget_eur=budget_eur,
        cvar_alpha=cvar_alpha,
        cvar_weight=cvar_weight,
        service_level=service_level,
        time_limit=time_limit,
        what="stockpile two-stage LP",
    )
    stock = _stock_frame(st, res)
    scen = _scenario_frame(st, res)
    skipped = scn.attrs.get("skipped")
    if skipped is None:
        skipped = pd.DataFrame(columns=["scenario_id", "material_id", "reason"])
    summary = {
        **_cost_summary(res, stock),
        "cvar_eur": res.get("cvar", float("nan")),
        "cvar_alpha": cvar_alpha,
        "cvar_weight": cvar_weight,
        "budget_eur": budget_eur,
        "budget_dual": res.get("budget_dual", float("nan")),
        "service_level": service_level,
        "n_skipped": len(skipped),
        "n_scenarios": len(st.sc),
        "n_materials": len(mats),
        "n_variables": res["lp"].n_col,
        "n_constraints": res["lp"].n_row,
        "seconds": time.perf_counter() - t0,
    }
    return StockpileResult(
        stock=stock,
        scenarios=scen,
        summary=summary,
        explanation=_explain_stock(stock, summary, skipped),
        skipped=skipped,
    )


def _explain_stock(stock: pd.DataFrame, summary: dict, skipped: pd.DataFrame | None = None) -> str:
    lines = [
        f"Stock sized over {summary['n_scenarios']} disruption scenarios for {summary['n_materials']} material(s)."
    ]
    for r in stock.itertuples(index=False):
        where = f" ({r.country})" if r.country else ""
        days = f" = {r.days_of_cover:.0f} days of consumption" if np.isfinite(r.days_of_cover) else ""
        lines.append(
            f"{r.material_id}{where}: hold {r.stock_t:.4g} t{days}; carrying cost {r.carrying_cost_eur_yr:,.0f} EUR/yr; "
            f"expected unmet {r.expected_unmet_t:.4g} of {r.expected_shortfall_t:.4g} t/yr shortfall, "
            f"expected loss {r.expected_loss_eur_yr:,.0f} EUR/yr."
        )
    if skipped is not None and len(skipped):
        lines.append(
            f"Skipped {len(skipped)} scenario row(s) with unknown shortfall (materials: "
            f"{', '.join(sorted(skipped['material_id'].unique()))}); they carry no stock by this model."
        )
    lines.append(
        f"Expected annual cost {summary['expected_annual_cost_eur']:,.0f} EUR "
        f"({summary['carrying_cost_eur_yr']:,.0f} carrying + {summary['expected_loss_eur_yr']:,.0f} expected loss)."
    )
    if summary.get("budget_eur") is not None and summary.get("budget_dual", 0) > 1e-9:
        lines.append(f"The budget binds: one more EUR of capital saves {summary['budget_dual']:.3g} EUR/yr.")
    if summary.get("cvar_weight"):
        lines.append(
            f"Risk aversion: CVaR at {summary['cvar_alpha']:.0%} of scenario losses is "
            f"{summary['cvar_eur']:,.0f} EUR (weight {summary['cvar_weight']:g})."
        )
    return "\n".join(lines)


# --- (c) pooled coalition stocks ------------------------------------------------------------------------------
@dataclass(frozen=True)
class PoolResult:
    """Outcome of :func:`pool_stockpile`.

    Attributes
    ----------
    comparison : per material: ``material_id, national_stock_t, pooled_stock_t, national_cost_eur_yr,
        pooled_cost_eur_yr, saving_eur_yr, saving_share``.
    members : per member × material: ``country, material_id, share, national_stock_t, pooled_holding_t,
        contribution_eur_yr, national_cost_eur_yr, pooled_cost_eur_yr, saving_eur_yr``; the pooled cost of a
        member is its contribution (share of carrying cost) plus its own expected loss.
    flows : solidarity flows per scenario × material × member: ``scenario_id, probability, material_id,
        country, shortfall_t, received_t, released_from_own_share_t, net_inflow_t`` (positive = the member
        receives from partners' shares).
    national, pooled : the two underlying :class:`StockpileResult`.
    summary, explanation : totals and plain text.
    """

    comparison: pd.DataFrame
    members: pd.DataFrame
    flows: pd.DataFrame
    national: StockpileResult
    pooled: StockpileResult
    summary: dict = field(default_factory=dict)
    explanation: str = ""

    def to_dict(self) -> dict:
        """JSON-safe form: every table as a list of records, NaN as None (for the REST API)."""
        from crmsec.optimize._json import result_to_dict

        return result_to_dict(self)


def pool_stockpile(
    scenarios: pd.DataFrame,
    materials: pd.DataFrame,
    members: pd.DataFrame,
    *,
    rule: Literal["consumption", "exposure"] = "consumption",
    split: Literal["prorata", "optimal"] = "prorata",
    tiers: pd.DataFrame | None = None,
    service_level: float | None = None,
    budget_eur: float | None = None,
    time_limit: float | None = 300.0,
) -> PoolResult:
    """Pooled coalition stock versus national stocks (methods §5.3(B), §5.5 multi-country sharing).

    National case: each member holds its own stock per material, released only at home. Pooled case: one
    stock per material, released to any member (solidarity arcs) — a relaxation of the national case, so
    it never costs more; it costs strictly less when shortfalls are imperfectly correlated.

    Contributions and release shares per member and material follow ``rule``:
    ``consumption`` — share of the coalition's consumption (IEA collective action [4]);
    ``exposure`` — share of the coalition's expected shortfall ``sum_s pi_s L_{j,s}``.
    Each member holds ``share * S`` and pays ``share * carrying cost``; in a scenario it contributes
    ``share * total release`` and receives what the LP sends it; the difference is its solidarity flow.

    Parameters
    ----------
    scenarios : scenario frame with a ``country`` column (module docstring).
    materials : material parameters (prices and costs are common to the coalition).
    members : ``country, material_id, consumption_t_per_yr`` per member and material.
    rule : ``consumption`` or ``exposure``.
    split : how a pool that cannot cover every member hit in a scenario is shared: ``prorata`` — every
        member hit receives the same share of its shortfall (solidarity by default); ``optimal`` — wherever
        the loss is largest (members with equal VOLL are then served in arbitrary order).
    tiers : optional VOLL tiers (shared by members).
    service_level : if given, both cases must reach the same per-member service level (expected unmet
        <= (1 - SL) × expected shortfall for each member and material); compare at equal service.
    budget_eur : optional capital limit (applies to each case's total).

    Returns
    -------
    PoolResult
    """
    if split not in ("prorata", "optimal"):
        raise InputError(f"split {split!r}: use 'prorata' or 'optimal'")
    if rule not in ("consumption", "exposure"):
        raise InputError(f"rule {rule!r}: use 'consumption' (IEA) or 'exposure'")
    scn = validate_scenarios(scenarios, need_country=True)
    skipped = scn.attrs.get("skipped")
    n_skipped = 0 if skipped is None else len(skipped)
    need = {"country", "material_id", "consumption_t_per_yr"}
    if not need <= set(members.columns):
        raise InputError(f"members: need columns {', '.join(sorted(need))}")
    mem = members.copy()
    mem["country"] = mem["country"].astype(str)
    mem["material_id"] = mem["material_id"].astype(str)
    if (pd.to_numeric(mem["consumption_t_per_yr"], errors="coerce").fillna(-1) < 0).any():
        raise InputError("members: consumption_t_per_yr must be a number >= 0")
    scn["country"] = scn["country"].astype(str)
    mats = list(dict.fromkeys(scn["material_id"]))
    mp = _material_params(materials, mats, need_voll=tiers is None and service_level is None)
    mem = mem[mem["material_id"].isin(mats)]
    out = {}
    for pooled in (False, True):
        st = _structure(scn, mp, pooled=pooled, members=mem)
        tier_tab = _tier_table(st.units, mp, tiers)
        res = _solve_two_stage(
            st,
            tier_tab,
            budget_eur=budget_eur,
            cvar_alpha=None,
            cvar_weight=0.0,
            service_level=service_level,
            time_limit=time_limit,
            what="pooled stockpile LP" if pooled else "national stockpile LP",
            prorata=pooled and split == "prorata",
        )
        stock = _stock_frame(st, res)
        summary = {
            **_cost_summary(res, stock),
            "n_scenarios": len(st.sc),
            "n_materials": len(mats),
            "service_level": service_level,
            "budget_eur": budget_eur,
            "cvar_weight": 0.0,
            "seconds": 0.0,
        }
        out[pooled] = (
            st,
            res,
            StockpileResult(
                stock=stock,
                scenarios=_scenario_frame(st, res),
                summary=summary,
                explanation=_explain_stock(stock, summary),
            ),
        )
    st_n, res_n, nat = out[False]
    st_p, res_p, poo = out[True]
    pi = st_p.sc["probability"].to_numpy()
    units = st_p.units.copy()
    el = (st_p.L * pi).sum(axis=1)
    basis = units["consumption_t_per_yr"].to_numpy(float) if rule == "consumption" else el
    units["basis"] = basis
    tot = units.groupby("material_id")["basis"].transform("sum").to_numpy()
    units["share"] = np.divide(basis, tot, out=np.full(len(units), np.nan), where=tot > 0)
    if units["share"].isna().any():
        bad = units[units["share"].isna()]
        raise InputError(
            f"members: the {rule} basis of {bad['material_id'].iat[0]!r} is zero or missing for all "
            "members; give consumption_t_per_yr or use the other rule"
        )
    pooled_stock = poo.stock.set_index("material_id")
    S_m = pooled_stock["stock_t"].reindex(units["material_id"]).to_numpy()
    carry_m = pooled_stock["carrying_cost_eur_yr"].reindex(units["material_id"]).to_numpy()
    eloss_p = (res_p["loss"] * pi).sum(axis=1)
    nat_stock = nat.stock.set_index(["material_id", "country"])
    key = pd.MultiIndex.from_frame(units[["material_id", "country"]])
    members_df = pd.DataFrame(
        {
            "country": units["country"],
            "material_id": units["material_id"],
            "share": units["share"],
            "national_stock_t": nat_stock["stock_t"].reindex(key).to_numpy(),
            "pooled_holding_t": units["share"].to_numpy() * S_m,
            "contribution_eur_yr": units["share"].to_numpy() * carry_m,
            "national_cost_eur_yr": nat_stock["total_cost_eur_yr"].reindex(key).to_numpy(),
            "pooled_cost_eur_yr": units["share"].to_numpy() * carry_m + eloss_p,
        }
    )
    members_df["saving_eur_yr"] = members_df["national_cost_eur_yr"] - members_df["pooled_cost_eur_yr"]
    # solidarity flows
    uu, ss = np.nonzero(st_p.L > 0)
    flows = pd.DataFrame(
        {
            "scenario_id": st_p.sc["scenario_id"].to_numpy()[ss],
            "probability": pi[ss],
            "material_id": units["material_id"].to_numpy()[uu],
            "country": units["country"].to_numpy()[uu],
            "shortfall_t": st_p.L[uu, ss],
            "received_t": res_p["rel"][uu, ss],
        }
    )
    # every member contributes to a release by its share, also when it is not hit itself
    rel_by = (
        flows.groupby(["scenario_id", "material_id"], sort=False)["received_t"]
        .sum()
        .rename("total_release_t")
    )
    grid = units[["material_id", "country", "share"]].merge(
        rel_by.reset_index(), on="material_id", how="inner"
    )
    flows = grid.merge(flows, on=["scenario_id", "material_id", "country"], how="left")
    flows["probability"] = flows["scenario_id"].map(st_p.sc.set_index("scenario_id")["probability"])
    flows[["shortfall_t", "received_t"]] = flows[["shortfall_t", "received_t"]].fillna(0.0)
    flows["released_from_own_share_t"] = flows["share"] * flows["total_release_t"]
    flows["net_inflow_t"] = flows["received_t"] - flows["released_from_own_share_t"]
    flows = flows.sort_values(["scenario_id", "material_id", "country"], kind="stable").reset_index(drop=True)
    flows = flows[
        [
            "scenario_id",
            "probability",
            "material_id",
            "country",
            "shortfall_t",
            "received_t",
            "released_from_own_share_t",
            "net_inflow_t",
        ]
    ]
    comp = pd.DataFrame(
        {
            "material_id": mats,
            "national_stock_t": nat.stock.groupby("material_id")["stock_t"].sum().reindex(mats).to_numpy(),
            "pooled_stock_t": pooled_stock["stock_t"].reindex(mats).to_numpy(),
            "national_cost_eur_yr": nat.stock.groupby("material_id")["total_cost_eur_yr"]
            .sum()
            .reindex(mats)
            .to_numpy(),
            "pooled_cost_eur_yr": pooled_stock["total_cost_eur_yr"].reindex(mats).to_numpy(),
        }
    )
    comp["saving_eur_yr"] = comp["national_cost_eur_yr"] - comp["pooled_cost_eur_yr"]
    comp.loc[comp["saving_eur_yr"].abs() <= 1e-7 * comp["national_cost_eur_yr"].abs(), "saving_eur_yr"] = 0.0
    comp["saving_share"] = np.divide(
        comp["saving_eur_yr"],
        comp["national_cost_eur_yr"],
        out=np.full(len(comp), np.nan),
        where=comp["national_cost_eur_yr"].to_numpy() > 0,
    )
    summary = {
        "rule": rule,
        "split": split,
        "service_level": service_level,
        "members": sorted(units["country"].unique()),
        "national_cost_eur_yr": float(comp["national_cost_eur_yr"].sum()),
        "pooled_cost_eur_yr": float(comp["pooled_cost_eur_yr"].sum()),
        "saving_eur_yr": float(comp["saving_eur_yr"].sum()),
        "n_skipped": n_skipped,
    }
    text = [
        f"Coalition of {len(summary['members'])} members ({', '.join(summary['members'])}); "
        f"contributions and release shares proportional to {rule}."
    ]
    if n_skipped:
        text.append(
            f"Skipped {n_skipped} scenario row(s) with unknown shortfall_t (reason shortfall_unknown)."
        )
    if service_level is not None:
        text.append(
            f"Both cases reach the same service level: expected unmet <= {1 - service_level:.0%} of expected shortfall "
            "per member and material."
        )
    for r in comp.itertuples(index=False):
        text.append(
            f"{r.material_id}: national stocks {r.national_stock_t:.4g} t in total vs one pooled stock of "
            f"{r.pooled_stock_t:.4g} t; cost {r.national_cost_eur_yr:,.0f} vs {r.pooled_cost_eur_yr:,.0f} EUR/yr "
            f"(saving {r.saving_eur_yr:,.0f} EUR/yr)."
        )
    if summary["saving_eur_yr"] > 1e-6 * max(1.0, summary["national_cost_eur_yr"]):
        text.append(
            "Pooling pays because members are rarely hit at the same time; a release to one member is a "
            "solidarity flow from the others' shares (see flows)."
        )
    else:
        text.append(
            "Pooling saves nothing here: the members' shortfalls that the stock should cover occur together."
        )
    return PoolResult(
        comparison=comp,
        members=members_df,
        flows=flows,
        national=nat,
        pooled=poo,
        summary=summary,
        explanation="\n".join(text),
    )
