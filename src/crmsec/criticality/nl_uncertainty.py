"""Calibrated probabilities for the Dutch national list: Monte Carlo over the analyst's structural choices
(score weights, trade window, HS-form rule, value-added basis, materiality floor) next to the data noise,
and the backtest of the 90 % rank intervals against the next year's list.

Structural draws (documented defaults of :class:`StructuralSpec`): w_sr, w_ei log-uniform on [0.5, 2];
window uniform on 1–5 years; stage rule "value" (p = 0.8) or "pooled"; VA basis OECD 2020 (0.6), OECD
mean 2016–2020 (0.3) or EU structure (0.1); floor log-uniform on [0.5, 2] M EUR/yr. Data noise: log-normal
σ = 0.15 on SR_NL and on VA exposed; entries on the EU fallback (no Dutch trade view, or below the floor)
get σ = 0.35 on SR, because the EU SR says little about Dutch supply (they can never be near-certain).

Per entry: ``p_on_list``, ``rank_p05``/``rank_p50``/``rank_p95`` and ``robustness`` = ``robust``
(p ≥ 0.9), ``contested`` (0.1 < p < 0.9) or ``outside`` (p ≤ 0.1).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from crmsec.errors import InputError

MAX_DRAWS = 200_000


@dataclass(frozen=True)
class StructuralSpec:
    windows: tuple[int, ...] = (1, 2, 3, 4, 5)
    stage_rules: tuple[str, ...] = ("value", "pooled")
    stage_p: tuple[float, ...] = (0.8, 0.2)
    va_bases: tuple[tuple[str, int], ...] = (("oecd", 1), ("oecd", 5), ("eu_structure", 1))
    va_p: tuple[float, ...] = (0.6, 0.3, 0.1)
    w_range: tuple[float, float] = (0.5, 2.0)
    floor_range: tuple[float, float] = (0.5, 2.0)
    sr_sigma: float = 0.15
    va_sigma: float = 0.15
    fallback_sigma: float = 0.35


@dataclass
class ScenarioArrays:
    """Inputs per structural scenario: SR_NL without a floor (n_s, n_m), smallest yearly NL imports
    (n_s, n_m, M EUR), EU SR (n_m), VA exposed per VA basis (n_v, n_m); ``scen_keys`` name the scenarios."""

    materials: list[str]
    sr_nl: np.ndarray
    imports_min: np.ndarray
    sr_eu: np.ndarray
    va: np.ndarray
    scen_keys: list[tuple[int, str]]
    list_n: int = 17


def classify(p: np.ndarray) -> np.ndarray:
    return np.where(p >= 0.9, "robust", np.where(p <= 0.1, "outside", "contested"))


def structural_monte_carlo(arr: ScenarioArrays, spec: StructuralSpec | None = None, draws: int = 4000,
                           seed: int = 0) -> pd.DataFrame:
    """Vectorised draws → ``p_on_list``, rank interval and robustness class per entry (pure numpy)."""
    spec = spec or StructuralSpec()
    if not 1 <= draws <= MAX_DRAWS:
        raise InputError(f"--draws must be 1–{MAX_DRAWS:,}, got {draws}")
    rng = np.random.default_rng(seed)
    n_s, n_m = arr.sr_nl.shape
    d = draws
    # scenario index: window × stage rule (keys ordered as built), drawn with the stage-rule probabilities
    win_idx = rng.integers(0, len(spec.windows), d)
    rule_idx = rng.choice(len(spec.stage_rules), size=d, p=np.asarray(spec.stage_p))
    s_idx = win_idx * len(spec.stage_rules) + rule_idx
    v_idx = rng.choice(len(spec.va_bases), size=d, p=np.asarray(spec.va_p))
    lo, hi = np.log(spec.w_range)
    w_sr, w_ei = np.exp(rng.uniform(lo, hi, d)), np.exp(rng.uniform(lo, hi, d))
    flo, fhi = np.log(spec.floor_range)
    floor = np.exp(rng.uniform(flo, fhi, d))
    raw = arr.sr_nl[s_idx]  # (d, n_m)
    imin = arr.imports_min[s_idx]
    use_nl = np.isfinite(raw) & (np.nan_to_num(imin, nan=-1.0) >= floor[:, None])
    sigma = np.where(use_nl, spec.sr_sigma, spec.fallback_sigma)
    sr = np.where(use_nl, raw, arr.sr_eu[None]) * np.exp(sigma * rng.standard_normal((d, n_m)))
    va = arr.va[v_idx] * np.exp(spec.va_sigma * rng.standard_normal((d, n_m)))
    with np.errstate(invalid="ignore", divide="ignore"):
        a = (sr / np.nanmax(sr, axis=1, keepdims=True)) ** w_sr[:, None]
        b = (va / np.nanmax(va, axis=1, keepdims=True)) ** w_ei[:, None]
    score = np.where(np.isfinite(a * b), a * b, -np.inf)
    order = np.argsort(-score, axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(1, n_m + 1)[None].repeat(d, axis=0), axis=1)
    on = rank <= arr.list_n
    p = on.mean(axis=0)
    q = np.percentile(rank, [5, 50, 95], axis=0, method="inverted_cdf")
    return pd.DataFrame({"material_id": arr.materials, "p_on_list": p, "rank_p05": q[0], "rank_p50": q[1],
                         "rank_p95": q[2], "robustness": classify(p), "p_nl_view": use_nl.mean(axis=0),
                         "draws": d})


def scenario_arrays(data, year: int, spec: StructuralSpec | None = None, list_n: int = 17) -> ScenarioArrays:
    """Run the NL inputs once per (window, stage rule) with floor 0 and per VA basis (store I/O edge)."""
    from crmsec.criticality import nl_inputs as NI
    from crmsec.criticality import nl_trade_forms as F
    from crmsec.criticality.national_list import sr_nl

    spec = spec or StructuralSpec()
    ff = F.form_flows(data.trade, getattr(data, "comext", None))
    keys = list(itertools.product(spec.windows, spec.stage_rules))
    srs, mins, mats, sr_eu = [], [], None, None
    base = None
    for w, rule in keys:
        inp, _ = NI.nl_inputs_and_mix(data, year, NI.NlOptions(window=w, stage_rule=rule, floor_meur=0.0), ff=ff)
        mats = inp["material_id"].tolist()
        srs.append(sr_nl(inp))
        mins.append(inp["imports_min_meur"].to_numpy(float))
        sr_eu = inp["sr_eu"].to_numpy(float)
        base = inp
    vas = []
    groups = {g: m for g, m in __import__("crmsec.criticality.pipeline", fromlist=["group_members"])
              .group_members(data).items() if g in NI.GROUPS}
    for basis, yrs in spec.va_bases:
        v = NI._add_value_added(data, base.copy(), year, NI.NlOptions(va_basis=basis, va_years=yrs), groups)
        vas.append(v["va_exposed_meur"].to_numpy(float))
    return ScenarioArrays(mats, np.vstack(srs), np.vstack(mins), sr_eu, np.vstack(vas), keys, list_n)


def list_uncertainty(data, year: int, draws: int = 4000, seed: int = 0, spec: StructuralSpec | None = None,
                     list_n: int = 17) -> pd.DataFrame:
    """Calibrated ``p_on_list`` / rank interval / robustness class per Annex II entry for ``year``."""
    return structural_monte_carlo(scenario_arrays(data, year, spec, list_n), spec, draws, seed)


def backtest(data, years: list[int], draws: int = 2000, seed: int = 0, list_n: int = 17) -> tuple[pd.DataFrame, dict]:
    """For each year y: the MC of y against the deterministic list of y + 1.

    Returns the per (material, year) frame and the summary: ``coverage`` (share of next-year ranks inside
    the 90 % interval), ``hit_high`` (share of p ≥ 0.9 on next year's list), ``hit_low`` (share of p ≤ 0.1
    on next year's list), ``n_pairs``.
    """
    from crmsec.criticality import nl_inputs as NI

    rows = []
    for y in years:
        mc = list_uncertainty(data, y, draws, seed, list_n=list_n)
        nxt = NI.national_list(data, y + 1).set_index("material_id")
        mc["year"] = y
        mc["rank_next"] = mc["material_id"].map(nxt["rank"])
        mc["on_next"] = mc["material_id"].map(nxt["on_list"]).astype(bool)
        rows.append(mc)
    f = pd.concat(rows, ignore_index=True)
    inside = (f["rank_next"] >= f["rank_p05"]) & (f["rank_next"] <= f["rank_p95"])
    hi, lo = f["p_on_list"] >= 0.9, f["p_on_list"] <= 0.1
    summary = {"coverage": float(inside.mean()), "n_pairs": int(len(f)),
               "hit_high": float(f.loc[hi, "on_next"].mean()) if hi.any() else float("nan"), "n_high": int(hi.sum()),
               "hit_low": float(f.loc[lo, "on_next"].mean()) if lo.any() else float("nan"), "n_low": int(lo.sum())}
    f["inside_90"] = inside
    return f, summary
