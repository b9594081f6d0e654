"""Scenario ensembles: sample N annual draws over a scenario library → distributions (mean, P95, CVaR).

Each draw is one year. Scenario s occurs with probability π_s (independent Bernoulli draws); when it
occurs its depth, duration and rerouting parameters are drawn uniformly from their ranges (one common
random number per scenario and parameter, so materials hit by one event move together). Per draw:

    shortfall_days_{r,m} = Σ_s B_s · s0_{s,r,m}(d_s) · effdays_s                    [d of consumption]
    shortfall_t_{r,m}    = shortfall_days_{r,m} · C_{r,m} / 365                      [unit]
    va_lost_{r,k}        = Σ_s B_s · VA_k · φ_k · max_m (s0_{s,r,m} · effdays_s) / 365  [M EUR]

capped at one year of consumption and of value added; durations are clipped to the one-year horizon.
s0(d) is the engine's Eq. 1/2 written with polynomials in the depth d (direct mode: exact, each stage's
availability is a polynomial in d and s0 = 1 − min over stages) or as a product of clipped linear terms (market mode), so a chunk of draws is
evaluated with a few vectorised numpy operations — no Python loop per draw.

Statistics per column: mean, P95 (``numpy.quantile(method="inverted_cdf")``), CVaR95 = mean of the worst
⌈(1 − α)·N⌉ draws [3], and P(shortfall > 0). Chunks are seeded with ``SeedSequence(seed).spawn(n_chunks)``,
so the same seed gives bit-identical statistics in-process and on a Dask cluster.

References
----------
[1] methods.md §5.2 (shortfall model). [2] methods.md §5.3(B) (scenario inputs; CVaR for risk aversion).
[3] Rockafellar, R.T., Uryasev, S. (2000). Optimization of conditional value-at-risk. J. Risk 2(3), 21–41.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.polynomial.polynomial as npp
import pandas as pd

from crmsec.errors import InputError
from crmsec.scenarios.cases import CENTRAL_STOCK_DAYS, buffered_shortfall, central_shortfall_days
from crmsec.scenarios.engine import Block, SupplyInputs, compile_blocks, effective_days, exposure_params
from crmsec.scenarios.spec import Scenario

HORIZON_DAYS = 365.0


def availability_polys(block: Block) -> list[np.ndarray]:
    """Coefficients (ascending powers of d) of a_{r,k}(d) for every stage of a direct-mode block (Eq. 1)."""
    prev: np.ndarray | None = None
    out: list[np.ndarray] = []
    for sb in block.stages:
        acc = np.zeros(1)
        for sh, e, kind, w in zip(sb.shares, sb.expo, sb.kind, sb.upstream_world, strict=True):
            if sh == 0:
                continue
            if kind == 1:
                u = np.array([1.0])
            elif kind == 0 and prev is not None:
                u = prev
            else:
                u = np.array([1.0, -w])
            acc = npp.polyadd(acc, sh * npp.polymul(np.array([1.0, -e]), u))
        prev = acc
        out.append(np.asarray(acc, dtype=float))
    return out or [np.array([1.0])]


def _is_one(poly: np.ndarray) -> bool:
    return bool(np.allclose(poly, [1.0] + [0.0] * (len(poly) - 1), atol=1e-15))


@dataclass
class _BlockSpec:
    scen: int
    mode: str
    polys: list[np.ndarray]  # direct: availability polynomial per stage (s0 = 1 − min over stages)
    world_shares: np.ndarray  # market: per-stage world loss share at d = 1
    spare: float
    mat_col: int
    consumption: float
    sec_cols: np.ndarray  # sector columns this block feeds
    si: float  # substitution index SI_EI of the material (central case)
    buffer: float  # market mode: inventory buffer (share of annual supply) absorbed first in the central case
    cstock: float  # central stock draw-down [d] (exposure_params.csv central_stock_days)
    lag: tuple[float, float]
    ramp: tuple[float, float]
    rmax: tuple[float, float]

    def key(self) -> bytes:
        """Identity of the sampled shortfall (blocks with equal keys give equal draws)."""
        head = np.array([*self.lag, *self.ramp, *self.rmax, self.spare, float(self.mode == "direct"), self.si,
                         self.buffer, self.cstock])
        return head.tobytes() + b"|".join(p.tobytes() for p in self.polys) + b"#" + self.world_shares.tobytes()


@dataclass
class EnsembleModel:
    """Compiled, picklable ensemble model (numpy arrays only)."""

    probability: np.ndarray  # (S,)
    depth: np.ndarray  # (S, 2)
    duration: np.ndarray  # (S, 2)
    blocks: list[_BlockSpec]
    mat_keys: list[tuple[str, str]]  # (region, material_id)
    sec_keys: list[tuple[str, str]]  # (region, nace)
    va_phi: np.ndarray  # (n_sec,) VA_k · φ_k [M EUR/yr] (upper bound)
    va_dep: np.ndarray  # (n_sec,) VA_k · dependency_k [M EUR/yr] (central case)
    consumption: np.ndarray  # (n_mat,)
    scenario_ids: list[str]
    units: list[str]  # unit of consumption per material column


def _rng_of(r: object | None, default: float) -> tuple[float, float]:
    if r is None:
        return (default, default)
    return (float(r.low), float(r.high))  # type: ignore[attr-defined]


def compile_ensemble(scenarios: Sequence[Scenario], inputs: SupplyInputs,
                     regions: Sequence[str] = ("NLD", "EU27")) -> EnsembleModel:
    """Compile scenarios × regions × materials into arrays for :func:`run_ensemble`."""
    if not scenarios:
        raise InputError("an ensemble needs at least one scenario")
    mat_index: dict[tuple[str, str], int] = {}
    sec_index: dict[tuple[str, str], int] = {}
    va: dict[int, float] = {}
    va_dep: dict[int, float] = {}
    cons: dict[int, float] = {}
    units: dict[int, str] = {}
    specs: list[_BlockSpec] = []
    su = inputs.sector_use
    su_by = {k: g for k, g in su.groupby(["region", "material_id"], sort=False)}
    for si, sc in enumerate(scenarios):
        for b in compile_blocks(sc, inputs, regions):
            if not b.stages or b.no_stage:
                continue
            polys = availability_polys(b) if b.mode == "direct" else [np.array([1.0])]
            polys = [p for p in polys if not _is_one(p)] or [np.array([1.0])]
            wsh = np.array([0.0 if not np.isfinite(s.world_loss_share) else s.world_loss_share for s in b.stages])
            no_loss = (_is_one(polys[0]) and len(polys) == 1) if b.mode == "direct" else not np.any(wsh > b.spare)
            if no_loss:  # the scenario cannot cut this region × material at any depth: nothing to sample
                continue
            key = (b.region, b.material_id)
            col = mat_index.setdefault(key, len(mat_index))
            cons[col] = b.consumption
            units[col] = b.unit
            rows = su_by.get(key, su.iloc[0:0])
            phi = float(exposure_params(inputs, b.material_id).get("phi", 1.0) or 1.0)
            scols = []
            deps = rows["dependency"] if "dependency" in rows else pd.Series(1.0, index=rows.index)
            for nace, v, dep in zip(rows["nace"], rows["va_meur"], deps, strict=True):
                j = sec_index.setdefault((b.region, str(nace)), len(sec_index))
                va[j] = float(v) * phi
                va_dep[j] = max(va_dep.get(j, 0.0), float(v) * float(dep))
                scols.append(j)
            p = b.params
            specs.append(_BlockSpec(
                scen=si, mode=b.mode,
                polys=polys, world_shares=wsh,
                spare=b.spare, mat_col=col, consumption=b.consumption, sec_cols=np.array(scols, dtype=int),
                si=float(inputs.substitution.get(b.material_id, 1.0)),
                buffer=float(b.params.get("inventory_buffer", 0.0)) if b.mode == "market" else 0.0,
                cstock=float(b.params.get("central_stock_days", CENTRAL_STOCK_DAYS)),
                lag=_rng_of(sc.reroute_lag_days, p.get("reroute_lag_days", 0.0)),
                ramp=_rng_of(sc.reroute_ramp_days, p.get("reroute_ramp_days", 0.0)),
                rmax=_rng_of(sc.reroute_max, p.get("reroute_max", 0.0)),
            ))
    return EnsembleModel(
        probability=np.array([s.probability for s in scenarios]),
        depth=np.array([[s.depth.low, s.depth.high] for s in scenarios]),
        duration=np.array([[s.duration_days.low, s.duration_days.high] for s in scenarios]),
        blocks=specs,
        mat_keys=sorted(mat_index, key=mat_index.__getitem__),
        sec_keys=sorted(sec_index, key=sec_index.__getitem__),
        va_phi=np.array([va[j] for j in range(len(sec_index))]),
        va_dep=np.array([va_dep[j] for j in range(len(sec_index))]),
        consumption=np.array([cons[j] for j in range(len(mat_index))]),
        scenario_ids=[s.id for s in scenarios],
        units=[units[j] for j in range(len(mat_index))],
    )


def simulate_chunk(model: EnsembleModel, n: int, seed: np.random.SeedSequence) -> dict[str, np.ndarray]:
    """Draw ``n`` years; returns per-draw arrays ``shortfall_days`` (n, n_mat) and ``va_lost`` (n, n_sec)."""
    rng = np.random.default_rng(seed)
    S = len(model.probability)
    n_mat, n_sec = len(model.mat_keys), len(model.sec_keys)
    occurs = rng.random((n, S)) < model.probability[None, :]
    u_depth = rng.random((n, S))
    u_dur = rng.random((n, S))
    u_lag = rng.random((n, S))
    u_ramp = rng.random((n, S))
    u_rmax = rng.random((n, S))
    depth = model.depth[:, 0] + (model.depth[:, 1] - model.depth[:, 0]) * u_depth
    dur = np.minimum(model.duration[:, 0] + (model.duration[:, 1] - model.duration[:, 0]) * u_dur, HORIZON_DAYS)
    sdays = np.zeros((n, n_mat))
    va_lost = np.zeros((n, n_sec))
    va_central = np.zeros((n, n_sec))
    by_scen: dict[int, list[_BlockSpec]] = {}
    for b in model.blocks:
        by_scen.setdefault(b.scen, []).append(b)
    for s, blocks in by_scen.items():
        occ = occurs[:, s]
        idx = np.flatnonzero(occ)
        if idx.size == 0:
            continue
        d = depth[idx, s]
        T = dur[idx, s]
        sec_max = np.zeros((idx.size, n_sec)) if n_sec else None
        sec_max_c = np.zeros((idx.size, n_sec)) if n_sec else None
        ul, ur, um = u_lag[idx, s], u_ramp[idx, s], u_rmax[idx, s]
        cache: dict[bytes, np.ndarray] = {}
        for b in blocks:
            key = b.key()
            hit = cache.get(key)
            if hit is not None:
                sd, sdc = hit
            else:
                if b.mode == "direct":
                    a = npp.polyval(d, b.polys[0])
                    for poly in b.polys[1:]:
                        a = np.minimum(a, npp.polyval(d, poly))
                    s0 = 1.0 - a
                else:
                    a = np.ones_like(d)
                    for ws in b.world_shares:
                        a = a * (1.0 - np.maximum(0.0, d * ws - b.spare))
                    s0 = 1.0 - a
                lag = b.lag[0] + (b.lag[1] - b.lag[0]) * ul
                ramp = b.ramp[0] + (b.ramp[1] - b.ramp[0]) * ur
                rmax = b.rmax[0] + (b.rmax[1] - b.rmax[0]) * um
                eff = effective_days(T, lag, ramp, rmax)
                sd = np.clip(s0, 0.0, 1.0) * eff
                sdc = central_shortfall_days(np.minimum(buffered_shortfall(s0, b.buffer), 1.0), eff, b.cstock) * b.si
                cache[key] = (sd, sdc)
            sdays[idx, b.mat_col] += sd
            if sec_max is not None and b.sec_cols.size:
                sec_max[:, b.sec_cols] = np.maximum(sec_max[:, b.sec_cols], sd[:, None])
                sec_max_c[:, b.sec_cols] = np.maximum(sec_max_c[:, b.sec_cols], sdc[:, None])
        if sec_max is not None:
            va_lost[idx] += sec_max * (model.va_phi[None, :] / HORIZON_DAYS)
            va_central[idx] += sec_max_c * (model.va_dep[None, :] / HORIZON_DAYS)
    np.minimum(sdays, HORIZON_DAYS, out=sdays)
    if n_sec:
        np.minimum(va_lost, model.va_phi[None, :], out=va_lost)
        np.minimum(va_central, model.va_dep[None, :], out=va_central)
    return {"shortfall_days": sdays, "va_lost": va_lost, "va_lost_central": va_central}


def _tail_k(n_total: int, alpha: float) -> tuple[int, int]:
    k_p = n_total - math.ceil(alpha * n_total - 1e-9) + 1  # rank of the inverted-cdf quantile from the top
    k_c = max(1, n_total - math.floor(alpha * n_total + 1e-9))  # draws in the CVaR tail
    return k_p, k_c


def _top_k(values: np.ndarray, k: int) -> np.ndarray:
    """The k largest of a 1-D array (unordered)."""
    if values.size <= k:
        return values
    return np.partition(values, values.size - k)[values.size - k:]


def _tails(x: np.ndarray, k: int) -> list[np.ndarray]:
    """Per column: the k largest *positive* values (zeros are implicit: draws without a shortfall)."""
    xt = np.ascontiguousarray(x.T)
    return [_top_k(col[col > 0], k) for col in xt]


def _chunk_summary(model: EnsembleModel, n: int, seed: np.random.SeedSequence, k: int) -> dict[str, object]:
    out = simulate_chunk(model, n, seed)
    res: dict[str, object] = {}
    for name, x in out.items():
        res[f"{name}_sum"] = x.sum(axis=0)
        res[f"{name}_nonzero"] = (x > 0).sum(axis=0)
        res[f"{name}_tail"] = _tails(x, k)
    return res


@dataclass
class EnsembleResult:
    """Statistics of an ensemble: ``stats`` frame (metric, region, key, mean, p95, cvar95, p_nonzero, unit)."""

    stats: pd.DataFrame
    n_draws: int
    seed: int
    alpha: float
    scenario_ids: list[str]


def run_ensemble(scenarios: Sequence[Scenario], inputs: SupplyInputs, n_draws: int, *, seed: int = 0,
                 regions: Sequence[str] = ("NLD", "EU27"), chunk_size: int = 100_000, alpha: float = 0.95,
                 scheduler: object | None = None, progress: Callable[[int, int], None] | None = None,
                 model: EnsembleModel | None = None) -> EnsembleResult:
    """Sample ``n_draws`` years over ``scenarios`` and summarise shortfall and VA lost.

    Parameters
    ----------
    scenarios : scenario library. inputs : :class:`SupplyInputs`. n_draws : number of draws (years).
    seed : root seed; chunk i uses ``SeedSequence(seed).spawn(n_chunks)[i]``.
    chunk_size : draws per chunk (memory ~ chunk_size × columns × 8 B × 3).
    alpha : tail level for P-alpha and CVaR-alpha (0.95).
    scheduler : ``None`` (in-process), a Dask scheduler address ``tcp://host:port`` or a
        ``dask.distributed.Client``; results are identical for the same seed and chunk_size.
    progress : callable ``progress(done_draws, total_draws)``.

    Returns
    -------
    EnsembleResult
    """
    if n_draws < 1:
        raise InputError(f"--draws must be >= 1, got {n_draws}")
    if chunk_size < 1:
        raise InputError(f"chunk_size must be >= 1, got {chunk_size}")
    if not 0 < alpha < 1:
        raise InputError(f"alpha must lie in (0, 1), got {alpha}")
    model = model or compile_ensemble(scenarios, inputs, regions)
    sizes = [chunk_size] * (n_draws // chunk_size) + ([n_draws % chunk_size] if n_draws % chunk_size else [])
    seeds = np.random.SeedSequence(seed).spawn(len(sizes))
    k_p, k_c = _tail_k(n_draws, alpha)
    k = max(k_p, k_c)
    results: list[dict[str, np.ndarray] | None] = [None] * len(sizes)
    done = 0
    if scheduler is None:
        for i, (n, ss) in enumerate(zip(sizes, seeds, strict=True)):
            results[i] = _chunk_summary(model, n, ss, k)
            done += n
            if progress:
                progress(done, n_draws)
    else:
        from dask.distributed import Client, as_completed

        client = scheduler if isinstance(scheduler, Client) else Client(str(scheduler))
        try:
            mf = client.scatter(model, broadcast=True)
            futures = [client.submit(_chunk_summary, mf, n, ss, k, pure=False, key=f"crmsec-chunk-{seed}-{i}")
                       for i, (n, ss) in enumerate(zip(sizes, seeds, strict=True))]
            pos = {f.key: i for i, f in enumerate(futures)}
            for fut in as_completed(futures):
                i = pos[fut.key]
                results[i] = fut.result()
                done += sizes[i]
                if progress:
                    progress(done, n_draws)
        finally:
            if not isinstance(scheduler, Client):
                client.close()
    stats = _merge(model, [r for r in results if r is not None], n_draws, k_p, k_c, k)
    return EnsembleResult(stats=stats, n_draws=n_draws, seed=seed, alpha=alpha, scenario_ids=model.scenario_ids)


def _merge(model: EnsembleModel, parts: list[dict[str, object]], n: int, k_p: int, k_c: int,
           k: int) -> pd.DataFrame:
    """Exact mean, P-alpha (inverted cdf) and CVaR-alpha from chunk sums and positive tails."""
    rows = []
    for name, keys, unit in (("shortfall_days", model.mat_keys, "d"), ("va_lost", model.sec_keys, "M EUR"),
                             ("va_lost_central", model.sec_keys, "M EUR")):
        if not keys:
            continue
        total = np.sum(np.stack([p[f"{name}_sum"] for p in parts]), axis=0)  # chunk order: deterministic
        nonzero = np.sum(np.stack([p[f"{name}_nonzero"] for p in parts]), axis=0)
        mean = total / n
        for j, (region, key) in enumerate(keys):
            tail = _top_k(np.concatenate([p[f"{name}_tail"][j] for p in parts]), k)
            tail = -np.sort(-tail)  # descending; draws beyond len(tail) are 0
            p95 = float(tail[k_p - 1]) if tail.size >= k_p else 0.0
            cvar = float(tail[:k_c].sum()) / k_c
            row = {"metric": name, "region": region, "key": key, "mean": float(mean[j]), "p95": p95,
                   "cvar95": cvar, "p_nonzero": nonzero[j] / n, "unit": unit, "reason": "",
                   "case": {"va_lost": "upper_bound", "va_lost_central": "central"}.get(name, "")}
            if name.startswith("va_lost") and not np.isfinite(model.va_phi[j]):
                row.update(mean=math.nan, p95=math.nan, cvar95=math.nan,
                           reason="no_sector_va: no value added for this region and sector")
            rows.append(row)
            if name == "shortfall_days":
                c = model.consumption[j]
                f = c / 365.0 if np.isfinite(c) else math.nan
                rows.append({**row, "metric": "shortfall_t", "mean": row["mean"] * f, "p95": p95 * f,
                             "cvar95": cvar * f, "unit": model.units[j],
                             "reason": "" if np.isfinite(c) else "no_consumption: region consumption unknown"})
    return pd.DataFrame(rows, columns=["metric", "region", "key", "mean", "p95", "cvar95", "p_nonzero", "unit",
                                       "case", "reason"])


def run_conditional(scenarios: Sequence[Scenario], inputs: SupplyInputs, n_draws: int, *, seed: int = 0,
                    regions: Sequence[str] = ("NLD", "EU27"), chunk_size: int = 100_000, alpha: float = 0.95,
                    scheduler: object | None = None,
                    progress: Callable[[int, int], None] | None = None) -> EnsembleResult:
    """Statistics **conditional on the event**, per scenario, with the annual probability shown separately.

    Each scenario is sampled ``n_draws`` times with its probability set to 1 (depth, duration and rerouting drawn
    from their ranges), so mean / P95 / CVaR95 describe what happens *if* the event occurs. The annual
    probability π_s and its basis are columns of their own; ``annual_expected = π_s · mean`` is the expected
    loss per year. (Mixing π_s into the draws makes P95 = 0 for any event rarer than 5 %/yr.)
    Scenario s uses seed ``seed + s``.
    """
    if not scenarios:
        raise InputError("an ensemble needs at least one scenario")
    frames = []
    total = n_draws * len(scenarios)
    for i, sc in enumerate(scenarios):
        forced = sc.model_copy(update={"probability": 1.0})
        prog = (lambda d, _t, i=i: progress(i * n_draws + d, total)) if progress else None
        res = run_ensemble([forced], inputs, n_draws, seed=seed + i, regions=regions, chunk_size=chunk_size,
                           alpha=alpha, scheduler=scheduler, progress=prog)
        p = float(sc.probability or 0.0)
        st = res.stats.assign(scenario_id=sc.id, statistic="conditional on the event", annual_probability=p,
                              annual_expected=lambda f, p=p: p * f["mean"],
                              probability_basis=getattr(sc, "probability_basis", ""))
        frames.append(st)
    stats = pd.concat(frames, ignore_index=True)
    front = ["scenario_id", "statistic", "metric", "case", "region", "key"]
    stats = stats[front + [c for c in stats.columns if c not in front]]
    return EnsembleResult(stats=stats, n_draws=n_draws, seed=seed, alpha=alpha,
                          scenario_ids=[s.id for s in scenarios])
