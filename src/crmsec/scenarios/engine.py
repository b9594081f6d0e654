"""Shortfall engine: scenario → supply lost per material and stage → Dutch/EU sectors (pure core).

Model (methods.md §5.2 [1]) — for region r (``NLD`` or ``EU27``), material m and the ordered stages
k = extraction → processing → component of its chain:

* **Direct exposure** (specification-bound products: REE, Ga, Ge, graphite, He, W, Mg, …). With the
  region's sourcing mix sh_{r,k,c} (share of r's supply at stage k from supplier c; the part not allocated
  to a named supplier is kept as an "unallocated" supplier) and the scenario's exposure e_{c,r} (1 for an
  actor's export measure, the route share for a chokepoint closure, 0 otherwise)::

      a_{r,k} = Σ_c sh_{r,k,c} · (1 − d · e_{c,r}) · u_{k−1}(c)           # availability at stage k
      u_{k−1}(c) = a_{r,k−1}          if c is inside r (domestic processors use r's own upstream mix)
                 = 1                   if c is an actor (export measures do not hit domestic supply)
                 = 1 − d · W_{k−1}(c)  otherwise (third-country processors lose the actor's share of the
                                        world upstream market, W = Σ_{c'≠c} e_{c'} · w_{k−1,c'})
      shortfall share s0 = 1 − min_k a_{r,k}   (the binding stage, methods §5.2)          # Eq. 1 in [1]

  so a refining ban hits users of friendly ore, and an ore ban propagates to third-country refiners.
* **Market-share exposure** (exchange-traded, fungible metals: Al, Cu, Ni, Zn, Co metal)::

      L_k = max(0, d · Σ_c e_c · w_{k,c} − spare_k)        # share of world supply lost at stage k
      (an export measure on ore counts only the ore beyond the actor's own refinery output, same basis)
      s0  = 1 − Π_k (1 − L_k)                               # every buyer loses pro rata   Eq. 2 in [1]
      dP/P ≈ s0 / (|ε_d| + ε_s)                              # short-run price shock        Eq. 2b in [1]

* **Rerouting over time**: for t in [0, T) after onset, s(t) = s0 · (1 − R · ramp(t)), ramp = 0 before the
  lag, linear to 1 over the ramp; the effective days are ∫ s(t)/s0 dt (closed form below).
* **Volume short** ``shortfall_t = s0 · C_r / 365 · effective_days`` (C_r = region consumption [t/yr]).
* **Sector impact** (Leontief, binding input): VA_at_risk_k = VA_k · φ_k · max_m (s0_m · effdays_m) / 365,
  with φ_k the output elasticity (1 = no substitution or buffer, an upper bound) — Eq. 4 in [1].
* **Days until stocks run out**: with stocks of S days of normal consumption, the first t with
  ∫_0^t s(τ) dτ ≥ S (NaN with reason when S is unknown; ``inf`` when the stocks outlast the disruption).

References
----------
[1] methods.md §5.2 "Shortfall propagation model" (Eq. 1 direct, Eq. 2 market share with price shock, the
    stage logic, Eq. 4 sector impact). [2] methods.md §5.5 edge cases (stock forms, price rationing).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from crmsec.errors import InputError
from crmsec.scenarios.cases import (
    CENTRAL_STOCK_DAYS,
    STOCK_LEVELS,
    buffered_shortfall,
    central_shortfall_days,
    price_response,
)
from crmsec.scenarios.spec import Measure, Scenario

STAGE_ORDER = {"extraction": 0, "processing": 1, "component": 2, "end_product": 3}
UNALLOCATED = "_OTHER"


@dataclass(frozen=True)
class SupplyInputs:
    """Everything the engine needs, as tidy frames (built from the store by ``inputs.from_store``).

    mixes : region, material_id, stage, country, share [-], mix_basis — region's sourcing mix per stage.
    world : material_id, stage, country, quantity, unit — world production (for world-market effects).
    consumption : region, material_id, consumption, unit, basis, source — region's annual use [unit/yr].
    sector_use : region, material_id, nace, use_share, va_meur, va_basis — which sectors use the material
        and the sector's annual value added [M EUR/yr] (NaN when unknown).
    params : material_id, mode (direct|market), eps_d, eps_s, spare_share, reroute_lag_days,
        reroute_ramp_days, reroute_max, stock_days, phi, source — per-material defaults.
    chokepoints : chokepoint, exporter, importer, material_id, route_share, source.
    members : region → set of member ISO3 codes (``EU27`` → 27 members, ``NLD`` → {NLD}).
    """

    mixes: pd.DataFrame
    world: pd.DataFrame
    consumption: pd.DataFrame
    sector_use: pd.DataFrame
    params: pd.DataFrame
    chokepoints: pd.DataFrame
    members: dict[str, frozenset[str]]
    material_names: dict[str, str] = field(default_factory=dict)
    substitution: dict[str, float] = field(default_factory=dict)  # SI_EI per material (EU CRM 2023), central case


# ----------------------------------------------------------------------------------------------
# exposure of a supplier → importer flow to a scenario
# ----------------------------------------------------------------------------------------------


class _Index:
    """Dictionary lookups over the input frames (built once per :class:`SupplyInputs`)."""

    def __init__(self, inputs: SupplyInputs) -> None:
        self.mix = {k: g for k, g in inputs.mixes.groupby(["region", "material_id"], sort=False)}
        # sourcing shares summed per supplier, per (region, material, stage): the same for every scenario
        agg = inputs.mixes.groupby(["region", "material_id", "stage", "country"], as_index=False)["share"].sum()
        self.mix_stage = {k: g[["country", "share"]].reset_index(drop=True)
                          for k, g in agg.groupby(["region", "material_id", "stage"], sort=False)}
        self.world = {
            k: g.groupby("country", as_index=False).agg(quantity=("quantity", "sum"), unit=("unit", "first"))
            for k, g in inputs.world.groupby(["material_id", "stage"], sort=False)
        }
        self.world_stages = {m: set(g["stage"]) for m, g in inputs.world.groupby("material_id", sort=False)}
        self.cons = {(r["region"], r["material_id"]): r for r in inputs.consumption.to_dict("records")}
        self.params = {r["material_id"]: r for r in inputs.params.to_dict("records")}
        self.choke: dict[tuple[str, str], list[tuple[str, str, float]]] = {}
        for r in inputs.chokepoints.to_dict("records"):
            self.choke.setdefault((r["chokepoint"], r["exporter"]), []).append(
                (r["importer"], r["material_id"], float(r["route_share"])))


_INDEX: dict[int, tuple[SupplyInputs, _Index]] = {}


def _index(inputs: SupplyInputs) -> _Index:
    hit = _INDEX.get(id(inputs))
    if hit is None or hit[0] is not inputs:
        if len(_INDEX) > 8:
            _INDEX.clear()
        hit = (inputs, _Index(inputs))
        _INDEX[id(inputs)] = hit
    return hit[1]


def _route_share(inputs: SupplyInputs, name: str, exporter: str, importer: str, material: str) -> float:
    """Share of the exporter→importer flow of ``material`` that crosses chokepoint ``name`` [-].

    Lookup order: exact importer ISO3/region, then a group containing the importer, then ``*``; material
    exact before ``*``. 0 when no row matches (the route does not cross the chokepoint).
    """
    rows = _index(inputs).choke.get((name, exporter))
    if not rows:
        return 0.0
    groups = inputs.members
    best: tuple[int, float] | None = None
    for imp, mat, share in rows:
        if mat not in (material, "*"):
            continue
        if imp == importer:
            rank = 0
        elif imp in groups and (
            importer in groups[imp] or (importer in groups and groups[importer] <= groups[imp])
        ):
            rank = 1
        elif imp == "*":
            rank = 2
        else:
            continue
        rank = rank * 2 + (0 if mat == material else 1)
        if best is None or rank < best[0]:
            best = (rank, share)
    return 0.0 if best is None else best[1]


def exposure(scenario: Scenario, inputs: SupplyInputs, exporter: str, importer: str, material: str,
             stage: str) -> float:
    """e_{c,r} ∈ [0, 1]: share of the exporter→importer flow the measure cuts at depth 1 [-]."""
    if material not in scenario.materials and "*" not in scenario.materials:
        return 0.0
    if stage not in scenario.stages:
        return 0.0
    members = inputs.members
    for ex in scenario.exempt_importers:
        if importer == ex or importer in members.get(ex, frozenset()):
            return 0.0
    if exporter == UNALLOCATED:
        return 0.0
    if scenario.measure is Measure.chokepoint_closure:
        return _route_share(inputs, scenario.chokepoint or "", exporter, importer, material)
    if exporter not in scenario.actors:
        return 0.0
    if importer == exporter or exporter in members.get(importer, frozenset()):
        return 0.0  # domestic supply is not an export
    return 1.0


# ----------------------------------------------------------------------------------------------
# compiled blocks: one per (scenario, region, material); evaluated on depth arrays
# ----------------------------------------------------------------------------------------------


@dataclass
class StageBlock:
    stage: str
    shares: np.ndarray  # (n_sup,) sourcing shares incl. unallocated
    expo: np.ndarray  # (n_sup,) e_{c,r}
    kind: np.ndarray  # (n_sup,) 0 domestic, 1 actor (own supply unaffected upstream), 2 third
    upstream_world: np.ndarray  # (n_sup,) W_{k-1}(c): world upstream share lost at depth 1 for supplier c
    suppliers: tuple[str, ...]
    world_loss_share: float  # Σ_c e_c^world w_{k,c}: share of world production at this stage hit at depth 1
    world_at_risk: float  # Σ_c e_c^world Q_{k,c} [unit/yr]
    world_unit: str


@dataclass
class Block:
    scenario_id: str
    region: str
    material_id: str
    mode: str  # direct | market
    stages: list[StageBlock]
    consumption: float  # [unit/yr], NaN when unknown
    unit: str
    mix_basis: str
    reason: str  # why a figure is NaN / caveats
    spare: float
    eps: float  # |eps_d| + eps_s
    params: dict[str, float]
    no_stage: bool = False  # the scenario hits no stage the data cover → shortfall NaN (never a silent 0)


def _world_exposure(scenario: Scenario, inputs: SupplyInputs, material: str, stage: str) -> pd.DataFrame:
    w = _index(inputs).world.get((material, stage))
    if w is None or w.empty:
        return pd.DataFrame({"country": [], "quantity": [], "unit": [], "e": []})
    e = [
        _world_flow_exposure(scenario, inputs, c, material, stage)
        for c in w["country"]
    ]
    return w.assign(e=e)


def _world_flow_exposure(scenario: Scenario, inputs: SupplyInputs, exporter: str, material: str,
                         stage: str) -> float:
    """Share of exporter's production leaving the world market under the scenario at depth 1."""
    if material not in scenario.materials and "*" not in scenario.materials:
        return 0.0
    if stage not in scenario.stages:
        return 0.0
    if scenario.measure is Measure.chokepoint_closure:
        return _route_share(inputs, scenario.chokepoint or "", exporter, "*", material)
    return 1.0 if exporter in scenario.actors else 0.0


def world_at_risk(scenario: Scenario, inputs: SupplyInputs, material: str) -> dict[str, float]:
    """World production under the measure at depth 1, per stage [unit/yr]: Σ_c e_c · Q_{m,st,c}."""
    out: dict[str, float] = {}
    for st in sorted(_index(inputs).world_stages.get(material, set())):
        wx = _world_exposure(scenario, inputs, material, st)
        out[st] = float((wx["e"] * wx["quantity"]).sum()) if not wx.empty else math.nan
    return out


def exposure_params(inputs: SupplyInputs, material: str) -> dict[str, object]:
    """Exposure/rerouting parameters of a material (its row of the parameter table, else the '*' default row)."""
    params = _index(inputs).params
    p = params.get(material, params.get("*"))
    if p is None:
        raise InputError(
            f"no exposure parameters for material {material!r} and no '*' default row in the parameter table"
        )
    return dict(p)


def compile_blocks(scenario: Scenario, inputs: SupplyInputs, regions: Sequence[str]) -> list[Block]:
    """Pre-compute, per region and material the scenario touches, the stage arrays of Eq. 1/2."""
    mats = scenario.materials
    if "*" in mats:
        mats = sorted(set(inputs.chokepoints["material_id"]) - {"*"} | set(inputs.mixes["material_id"]))
    blocks: list[Block] = []
    idx = _index(inputs)
    empty_mix = inputs.mixes.iloc[0:0]
    world_expo: dict[tuple[str, str], pd.DataFrame] = {}  # per (material, stage); the same for every region
    for region in regions:
        for material in mats:
            mix = idx.mix.get((region, material), empty_mix)
            prm = exposure_params(inputs, material)
            cons = idx.cons.get((region, material))
            consumption = float(cons["consumption"]) if cons is not None else math.nan
            unit = str(cons["unit"]) if cons is not None else "t"
            reasons = []
            if cons is None or not np.isfinite(consumption):
                why = str(cons.get("reason", "")) if cons is not None else ""
                reasons.append(why if why and why != "nan" else "no_consumption: region consumption unknown")
            stage_names = sorted(set(mix["stage"]), key=lambda s: STAGE_ORDER.get(s, 9))
            mode = str(prm.get("mode", "direct"))
            if mode == "market":
                stage_names = sorted(
                    set(stage_names) | idx.world_stages.get(material, set()),
                    key=lambda s: STAGE_ORDER.get(s, 9),
                )
            proxy_basis = ""
            if mode == "direct" and scenario.measure is not Measure.chokepoint_closure:
                # an actor's measure at a stage the region's mix lacks: use world production shares as the
                # region's sourcing proxy at that stage (flagged), e.g. battery-grade graphite processing
                for st in scenario.stages:
                    w = idx.world.get((material, st))
                    if st not in stage_names and w is not None and float(w["quantity"].sum()) > 0:
                        proxy = w.assign(share=w["quantity"] / float(w["quantity"].sum()), stage=st)
                        mix = pd.concat([mix, proxy[["country", "share", "stage"]]], ignore_index=True)
                        stage_names = sorted([*stage_names, st], key=lambda x: STAGE_ORDER.get(x, 9))
                        proxy_basis = f"world_production_proxy:{st}"
                        reasons.append(f"world_production_proxy: no sourcing mix at {st}; world production shares used")
            if not stage_names:
                reasons.append("no_mix: no sourcing mix or world production for this material")
            no_stage = bool(stage_names) and mode == "direct" and not set(scenario.stages) & set(stage_names)
            if no_stage:
                reasons.append(
                    f"no_stage_data: the scenario hits {', '.join(scenario.stages)}; the data cover only "
                    f"{', '.join(stage_names)} — shortfall unknown"
                )
            members = inputs.members.get(region, frozenset({region}))
            sblocks: list[StageBlock] = []
            prev_world: pd.DataFrame | None = None
            for st in stage_names:
                m = idx.mix_stage.get((region, material, st))
                if m is None:  # a world-production proxy stage, or a market-mode stage without a mix
                    m = mix[mix["stage"] == st].groupby("country", as_index=False)["share"].sum()
                total = float(m["share"].sum())
                if total > 1.0 + 1e-9:
                    m = m.assign(share=m["share"] / total)
                    reasons.append(f"mix_renormalised: {st} shares summed to {total:.3f}")
                    total = 1.0
                sup = [*m["country"].tolist(), UNALLOCATED]
                shares = np.array([*m["share"].tolist(), max(0.0, 1.0 - total)], dtype=float)
                expo = np.array([exposure(scenario, inputs, c, region, material, st) for c in sup])
                kind = np.array(
                    [0 if c in members else (1 if c in scenario.actors else 2) for c in sup], dtype=np.int8
                )
                if prev_world is not None and not prev_world.empty:
                    q = prev_world["quantity"].to_numpy(float)
                    lost_c = dict(zip(prev_world["country"], prev_world["e"].to_numpy(float) * q, strict=True))
                    tot, lost = float(q.sum()), float(sum(lost_c.values()))
                    # W(c): world upstream share lost, excluding supplier c's own production
                    upstream = np.array([(lost - lost_c.get(c, 0.0)) / tot if tot > 0 else 0.0 for c in sup])
                else:
                    upstream = np.zeros(len(sup))
                wx = world_expo.get((material, st))
                if wx is None:
                    wx = world_expo[(material, st)] = _world_exposure(scenario, inputs, material, st)
                wtot = float(wx["quantity"].sum()) if not wx.empty else 0.0
                at_risk = float((wx["e"] * wx["quantity"]).sum()) if not wx.empty else math.nan
                wshare = at_risk / wtot if wtot > 0 else math.nan
                wp = idx.world.get((material, "processing"))
                if (mode == "market" and st == "extraction" and scenario.measure is not Measure.chokepoint_closure
                        and wp is not None and wtot > 0):
                    # an export measure on ore does not stop the actor's own refineries: only ore beyond the
                    # actor's refinery output (same contained basis) leaves the world market
                    own = dict(zip(wp["country"], wp["quantity"].to_numpy(float), strict=True))
                    exported = np.maximum(wx["quantity"].to_numpy(float)
                                          - np.array([own.get(c, 0.0) for c in wx["country"]]), 0.0)
                    wshare = float((wx["e"].to_numpy(float) * exported).sum()) / wtot
                    reasons.append("ore_export_only: the actor's own refinery output is not counted as lost ore")
                sblocks.append(
                    StageBlock(
                        stage=st, shares=shares, expo=expo, kind=kind, upstream_world=upstream,
                        suppliers=tuple(sup), world_loss_share=wshare, world_at_risk=at_risk,
                        world_unit=str(wx["unit"].iloc[0]) if not wx.empty else "",
                    )
                )
                prev_world = wx
            basis = ";".join(sorted(set(mix["mix_basis"].dropna().astype(str)))) if "mix_basis" in mix else ""
            if proxy_basis:
                basis = ";".join(x for x in (basis, proxy_basis) if x)
            if mode == "market":
                basis = "world_market_share"
            blocks.append(
                Block(
                    no_stage=no_stage, scenario_id=scenario.id, region=region, material_id=material, mode=mode, stages=sblocks,
                    consumption=consumption, unit=unit, mix_basis=basis, reason="; ".join(reasons),
                    spare=float(scenario.spare_share if scenario.spare_share is not None
                                else (prm.get("spare_share", 0.0) or 0.0)),
                    eps=abs(float(prm.get("eps_d", math.nan))) + float(prm.get("eps_s", math.nan)),
                    params={k: float(prm[k]) for k in (
                        "reroute_lag_days", "reroute_ramp_days", "reroute_max", "stock_days", "phi",
                        "inventory_buffer", "price_cap", "central_stock_days",
                    ) if k in prm and prm[k] is not None and not (isinstance(prm[k], str))},
                )
            )
    return blocks


def stage_losses(block: Block, depth: np.ndarray | float) -> tuple[np.ndarray, list[np.ndarray]]:
    """Shortfall share s0 (Eq. 1 or 2) and the availability after each stage, for an array of depths.

    Parameters
    ----------
    block : compiled block. depth : d ∈ [0, 1], shape (n,) or scalar.

    Returns
    -------
    s0 : shape (n,), share of the region's supply of the material lost [-].
    avail : list of availability arrays a_{r,k}, one per stage.
    """
    d = np.atleast_1d(np.asarray(depth, dtype=float))
    avail: list[np.ndarray] = []
    if not block.stages or block.no_stage:
        return np.full(d.shape, np.nan), avail
    if block.mode == "market":
        a = np.ones_like(d)
        for sb in block.stages:
            ws = 0.0 if not np.isfinite(sb.world_loss_share) else sb.world_loss_share
            loss = np.maximum(0.0, d * ws - block.spare)  # Eq. 2 in [1]
            a = a * (1.0 - loss)
            avail.append(a.copy())
        return np.clip(1.0 - a, 0.0, 1.0), avail
    a_prev: np.ndarray | None = None
    for sb in block.stages:
        # u: upstream availability per supplier, shape (n, n_sup)
        third = 1.0 - d[:, None] * sb.upstream_world[None, :]
        u = np.where(sb.kind[None, :] == 1, 1.0, third)
        if a_prev is not None:
            u = np.where(sb.kind[None, :] == 0, a_prev[:, None], u)
        a = ((1.0 - d[:, None] * sb.expo[None, :]) * u) @ sb.shares  # Eq. 1 in [1]
        avail.append(a)
        a_prev = a
    # binding stage: the lowest availability over the chain's stages (methods §5.2 stage logic)
    return np.clip(1.0 - np.min(np.stack(avail), axis=0), 0.0, 1.0), avail


def reroute_integral(duration: np.ndarray, lag: np.ndarray, ramp: np.ndarray) -> np.ndarray:
    """∫_0^T ramp(t) dt [d] for ramp(t) = clip((t − lag)/ramp, 0, 1) (ramp = 0 → a step at the lag)."""
    x = np.maximum(np.asarray(duration, float) - lag, 0.0)
    ramp = np.asarray(ramp, float)
    safe = np.where(ramp > 0, ramp, 1.0)
    within = np.minimum(x, ramp)
    return np.where(ramp > 0, within**2 / (2.0 * safe) + np.maximum(x - ramp, 0.0), x)


def effective_days(duration: np.ndarray, lag: np.ndarray, ramp: np.ndarray, rmax: np.ndarray) -> np.ndarray:
    """∫_0^T (1 − R·ramp(t)) dt [d]: days of full-depth shortfall equivalent after rerouting."""
    return np.asarray(duration, float) - np.asarray(rmax, float) * reroute_integral(duration, lag, ramp)


def days_to_stockout(s0: float, stock_days: float, duration: float, lag: float, ramp: float,
                     rmax: float) -> float:
    """First day t with ∫_0^t s(τ) dτ ≥ stock_days [d]; inf when stocks outlast the disruption.

    NaN when the stocks or the shortfall are unknown: an unknown shortfall never becomes "no stock-out".
    """
    if not (np.isfinite(stock_days) and np.isfinite(s0)):
        return math.nan
    if s0 <= 0:
        return math.inf
    total = s0 * float(effective_days(np.array(duration), np.array(lag), np.array(ramp), np.array(rmax)))
    if total < stock_days:
        return math.inf
    lo, hi = 0.0, float(duration)
    for _ in range(60):  # bisection on a monotone integral
        mid = 0.5 * (lo + hi)
        if s0 * float(effective_days(np.array(mid), np.array(lag), np.array(ramp), np.array(rmax))) >= stock_days:
            hi = mid
        else:
            lo = mid
    return hi


def central_value(rng: object, default: float) -> float:
    """Central value of a scenario parameter range (midpoint of low..high), or ``default`` when unset."""
    if rng is None:
        return default
    return 0.5 * (rng.low + rng.high)  # type: ignore[attr-defined]


def _reroute_params(scenario: Scenario, block: Block) -> tuple[float, float, float]:
    p = block.params
    lag = central_value(scenario.reroute_lag_days, p.get("reroute_lag_days", 0.0))
    ramp = central_value(scenario.reroute_ramp_days, p.get("reroute_ramp_days", 0.0))
    rmax = central_value(scenario.reroute_max, p.get("reroute_max", 0.0))
    return lag, ramp, rmax


# ----------------------------------------------------------------------------------------------
# deterministic run
# ----------------------------------------------------------------------------------------------


@dataclass
class ScenarioResult:
    """Result frames of one deterministic scenario run (central values of every range).

    materials : one row per region × material (shortfall_share, shortfall_t, …).
    stages : availability after each stage (explains the binding stage).
    sectors : value added at risk per region × NACE sector.
    timeline : shortfall over time (day, shortfall_share, cumulative shortfall_t).
    scenario_set : the tidy frame the stockpile optimiser consumes (NLD rows).
    """

    scenario: Scenario
    materials: pd.DataFrame
    stages: pd.DataFrame
    sectors: pd.DataFrame
    timeline: pd.DataFrame
    scenario_set: pd.DataFrame


def run_scenario(scenario: Scenario, inputs: SupplyInputs, *, regions: Sequence[str] = ("NLD", "EU27"),
                 depth: float | None = None, duration_days: float | None = None,
                 stock_days: float | None = None, step_days: float = 7.0,
                 progress: object | None = None) -> ScenarioResult:
    """Run one scenario at its central parameter values (or the given overrides).

    Parameters
    ----------
    scenario : the scenario. inputs : :class:`SupplyInputs`. regions : importers to evaluate.
    depth : override of the depth [-]. duration_days : override of the duration [d].
    stock_days : stocks held by users, in days of normal consumption [d] (default: per-material table; NaN
        with reason when unknown). step_days : timeline resolution [d].
    progress : optional callable ``progress(done, total)`` called once per region × material.

    Returns
    -------
    ScenarioResult
    """
    d = central_value(scenario.depth, 1.0) if depth is None else float(depth)
    T = central_value(scenario.duration_days, 0.0) if duration_days is None else float(duration_days)
    blocks = compile_blocks(scenario, inputs, regions)
    mat_rows, stage_rows, time_rows = [], [], []
    world_risks: dict[str, dict[str, float]] = {}
    grid = np.arange(0.0, T + step_days, step_days)
    grid[-1] = min(grid[-1], T)
    for i, b in enumerate(blocks):
        s0_arr, avail = stage_losses(b, np.array([d]))
        s0 = float(s0_arr[0])
        lag, ramp, rmax = _reroute_params(scenario, b)
        eff = float(effective_days(np.array(T), np.array(lag), np.array(ramp), np.array(rmax)))
        sd = b.params.get("stock_days", math.nan) if stock_days is None else float(stock_days)
        short_t = s0 * b.consumption / 365.0 * eff
        binding = ""
        if avail:
            lows = [float(a[0]) for a in avail]
            binding = b.stages[int(np.argmin(lows))].stage if min(lows) < 1.0 else ""
        reason = b.reason
        if not np.isfinite(s0):
            reason = "; ".join(x for x in (reason, "shortfall unknown: days to stock-out unknown") if x)
        elif not np.isfinite(sd):
            reason = "; ".join(x for x in (reason, "no_stock_data: user stocks unknown (range for 30/60/90 d of "
                                           "working stocks shown), pass --stock-days") if x)
        price, price_note = (price_response(s0, b.eps, b.params.get("inventory_buffer", 0.0),
                                            b.params.get("price_cap", math.nan))
                             if b.mode == "market" else (math.nan, ""))
        # central case, market mode: visible inventories (share of annual supply) absorb the first part of the
        # world shortfall, the same buffer as in the price rule (cases.price_response)
        s0c = float(buffered_shortfall(s0, b.params.get("inventory_buffer", 0.0))) if b.mode == "market" else s0
        cstock = b.params.get("central_stock_days", CENTRAL_STOCK_DAYS)  # central stock draw-down [d], table value
        stock_range = {f"days_to_stockout_{int(k)}d": days_to_stockout(s0, k, T, lag, ramp, rmax)
                       for k in STOCK_LEVELS}
        world_risk = world_risks.get(b.material_id)
        if world_risk is None:  # per material, not per region
            world_risk = world_risks[b.material_id] = world_at_risk(scenario, inputs, b.material_id)
        mat_rows.append({
            "scenario_id": scenario.id, "region": b.region, "material_id": b.material_id,
            "material": inputs.material_names.get(b.material_id, b.material_id), "mode": b.mode,
            "binding_stage": binding, "depth": d, "shortfall_share": s0,
            "consumption": b.consumption, "unit": b.unit, "shortfall_t": short_t,
            "shortfall_t_upper_bound": short_t,
            "shortfall_share_central": s0c,
            "shortfall_t_central": float(central_shortfall_days(s0c, eff, cstock)) * b.consumption / 365.0,
            "central_stock_days": cstock,
            "duration_days": T, "effective_days": eff, "reroute_max": rmax,
            "days_to_stockout": days_to_stockout(s0, sd, T, lag, ramp, rmax), **stock_range,
            "price_shock": price, "price_note": price_note, "annual_probability": scenario.probability,
            "world_at_risk_extraction": d * world_risk.get("extraction", math.nan),
            "world_at_risk_processing": d * world_risk.get("processing", math.nan),
            "mix_basis": b.mix_basis, "reason": reason,
        })
        for sb, a in zip(b.stages, avail if avail else [np.array([math.nan])] * len(b.stages), strict=True):
            direct = float(sb.shares @ (sb.expo * d))
            stage_rows.append({
                "scenario_id": scenario.id, "region": b.region, "material_id": b.material_id,
                "stage": sb.stage, "direct_loss_share": direct if b.mode == "direct" else sb.world_loss_share * d,
                "availability": float(a[0]), "world_loss_share": sb.world_loss_share * d,
                "world_at_risk": sb.world_at_risk * d if np.isfinite(sb.world_at_risk) else math.nan,
                "world_unit": sb.world_unit,
                "suppliers_hit": ", ".join(
                    f"{c} {sh:.0%}" for c, sh, e in zip(sb.suppliers, sb.shares, sb.expo, strict=True) if e > 0
                ),
            })
        ramp_t = np.clip((grid - lag) / ramp, 0, 1) if ramp > 0 else (grid >= lag).astype(float)
        s_t = s0 * (1.0 - rmax * ramp_t)
        cum = s0 * effective_days(grid, np.full_like(grid, lag), np.full_like(grid, ramp), np.full_like(grid, rmax))
        for day, s, c in zip(grid, s_t, cum, strict=True):
            time_rows.append({
                "scenario_id": scenario.id, "region": b.region, "material_id": b.material_id,
                "day": float(scenario.onset_days + day), "shortfall_share": float(s),
                "cumulative_shortfall_t": float(c) * b.consumption / 365.0,
                "cumulative_shortfall_days": float(c),
            })
        if callable(progress):
            progress(i + 1, len(blocks))
    materials = pd.DataFrame(mat_rows)
    from crmsec.scenarios.impact import scenario_set_frame, sector_impact

    sectors = sector_impact(materials, inputs)
    scen_set = scenario_set_frame([scenario], materials)
    return ScenarioResult(scenario, materials, pd.DataFrame(stage_rows), sectors, pd.DataFrame(time_rows),
                          scen_set)
