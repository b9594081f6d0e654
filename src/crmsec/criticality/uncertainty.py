"""Uncertainty of criticality status: Monte Carlo over the inputs and Sobol sensitivity.

Monte Carlo (vectorised over draws; chunks of draws are the unit of work, never single draws):

* supply shares of every mix (global supply, EU sourcing, NL imports) — multiplicative log-normal noise on
  each of the K largest shares, renormalised to the original covered share (a Dirichlet-like perturbation;
  the tail beyond K enters as a fixed term); NL import flows get the larger ``trade_sigma``;
* scaled WGI per country — normal with the standard error of the six-dimension mean,
  se = factor · sqrt(Σ_d se_d²)/6 from the WGI std errors (``governance.std_err``), clipped to [0, 10];
* IR ± ``ir_abs``, EoL-RIR ± max(``eol_abs``, ``eol_rel``·EoL) and SI_SR/SI_EI ± ``si_abs`` — uniform,
  clipped to their admissible ranges; EI additionally carries ``ei_rel`` relative normal noise
  (end-use shares and sector VA).

Outputs per material: ``p_critical`` (EU rule on the draws), ``p_on_list`` (NL list of size N), ``rank_p05``
and ``rank_p95`` (NL rank interval), plus the deterministic values. Chunks run in-process, or on a Dask
cluster when a scheduler address (or ``distributed.Client``) is given; per-chunk seeds come from
``numpy.random.SeedSequence(seed).spawn`` so results are identical either way.

Sobol (SALib, Saltelli sampling, first and total order) on factor multipliers of the same inputs tells
which input drives each material's EU criticality margin and NL score.

References
----------
.. [1] Saltelli, A. et al. (2010). Variance based sensitivity analysis of model output. Comput. Phys.
   Commun. 181, 259–270; Herman, J., Usher, W. (2017). SALib. JOSS 2(9), 97.
.. [2] Kaufmann, D., Kraay, A. Worldwide Governance Indicators (standard errors of the estimates).
.. [3] crmsec methods spec §1.2, §1.14 (formulas), §0.4 (building blocks).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from crmsec.criticality.eu_method import EI_THRESHOLD, SR_THRESHOLD, round_half_up
from crmsec.errors import InputError

#: index of the supply-data case in :attr:`UncertaintyModel.case`
CASE_CODES = {"GS+EU": 0, "GS only": 1, "EU only": 2}


@dataclass
class Mix:
    """A padded supply mix per material: K largest shares, their country index and t, plus a fixed tail."""

    share: np.ndarray  # (n_m, K) fractions, 0 where padded
    country: np.ndarray  # (n_m, K) int index into the country axis, 0 where padded
    t: np.ndarray  # (n_m, K)
    tail: np.ndarray  # (n_m,) Σ over the remaining countries of sh² · WGI · t (deterministic)
    valid: np.ndarray  # (n_m,) bool: the mix exists

    @staticmethod
    def from_long(frame: pd.DataFrame, materials: list[str], countries: pd.Index, wgi: np.ndarray,
                  k: int = 8) -> Mix:
        """Build from a tidy frame (``material_id``, ``country``, ``share``, ``t``)."""
        n = len(materials)
        share = np.zeros((n, k))
        cidx = np.zeros((n, k), dtype=np.int64)
        tt = np.ones((n, k))
        tail = np.zeros(n)
        valid = np.zeros(n, dtype=bool)
        pos = {m: i for i, m in enumerate(materials)}
        f = frame[frame["material_id"].isin(pos) & frame["country"].isin(countries)]
        f = f.assign(_ci=countries.get_indexer(f["country"]))
        f = f[np.isfinite(wgi[f["_ci"].to_numpy()])]
        f = f.sort_values(["material_id", "share"], ascending=[True, False])
        f = f.assign(_rank=f.groupby("material_id").cumcount())
        top = f[f["_rank"] < k]
        rows = top["material_id"].map(pos).to_numpy()
        cols = top["_rank"].to_numpy()
        share[rows, cols] = top["share"].to_numpy(float)
        cidx[rows, cols] = top["_ci"].to_numpy()
        tt[rows, cols] = top["t"].fillna(1.0).to_numpy(float)
        rest = f[f["_rank"] >= k]
        if len(rest):
            contrib = rest["share"].to_numpy(float) ** 2 * wgi[rest["_ci"].to_numpy()] * rest["t"].fillna(1.0).to_numpy()
            np.add.at(tail, rest["material_id"].map(pos).to_numpy(), contrib)
        valid[np.unique(f["material_id"].map(pos).to_numpy()).astype(int)] = True
        return Mix(share, cidx, tt, tail, valid)

    def hhi(self, wgi: np.ndarray) -> np.ndarray:
        """Deterministic HHI_WGI,t with the given scaled WGI per country (n_m,)."""
        return np.where(self.valid, (self.share**2 * wgi[self.country] * self.t).sum(axis=1) + self.tail, np.nan)


@dataclass
class UncertaintyModel:
    """Everything the Monte Carlo needs, as arrays over materials (n_m) and countries (n_c)."""

    materials: list[str]
    names: list[str]
    countries: pd.Index
    wgi_mean: np.ndarray  # (n_c,) scaled WGI
    wgi_se: np.ndarray  # (n_c,) standard error of the scaled WGI
    gs: Mix
    eu: Mix
    nl: Mix
    case: np.ndarray  # (n_m,) int codes (CASE_CODES)
    ir: np.ndarray
    eol: np.ndarray
    si_sr: np.ndarray
    si_ei: np.ndarray
    ei: np.ndarray  # deterministic EI (published, EU view)
    ir_nl: np.ndarray
    va_exposed: np.ndarray  # NL VA exposed [M EUR]
    sr_fallback: np.ndarray  # EU SR used when the NL mix is missing
    candidate: np.ndarray | None = None  # (n_m,) bool: ranked for the NL list (default: all)
    wgi_mean_nl: np.ndarray | None = None  # (n_c,) scaled WGI of the NL window (default: wgi_mean)
    list_n: int = 17
    w_sr: float = 1.0
    w_ei: float = 1.0
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class NoiseSpec:
    """Uncertainty ranges (documented defaults; all assumptions, change per study)."""

    share_sigma: float = 0.10  # log-normal σ on each supply share
    trade_sigma: float = 0.25  # log-normal σ on each NL import flow (BACI mirror/quantity noise)
    ir_abs: float = 0.05
    eol_abs: float = 0.02
    eol_rel: float = 0.20
    si_abs: float = 0.05
    ei_rel: float = 0.05
    wgi: bool = True


def _flat(mix: Mix) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Non-padded entries of a mix: material index, share, country, t, indicator matrix (E × n_m), cover."""
    mi, ki = np.nonzero(mix.share > 0)
    a = np.zeros((len(mi), mix.share.shape[0]), dtype=np.float32)
    a[np.arange(len(mi)), mi] = 1.0
    return (mi, mix.share[mi, ki].astype(np.float32), mix.country[mi, ki], mix.t[mi, ki].astype(np.float32), a,
            mix.share.sum(axis=1).astype(np.float32))


def _mix_draws(mix: Mix, rng: np.random.Generator, sigma: float, wgi_d: np.ndarray, d: int) -> np.ndarray:
    """(d, n_m) HHI_WGI,t with log-normally perturbed shares (covered share preserved) and WGI draws.

    Only the non-padded entries are drawn (float32); group sums are matrix products with the entry→material
    indicator, so the cost is O(d · entries).
    """
    mi, share, country, t, a, cover = _flat(mix)
    if len(mi) == 0:
        return np.full((d, mix.share.shape[0]), np.nan)
    z = rng.standard_normal((d, len(mi)), dtype=np.float32)
    s = share[None] * np.exp(np.float32(sigma) * z)
    tot = s @ a  # (d, n_m)
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(tot > 0, cover[None] / tot, 0.0).astype(np.float32)
    s *= f[:, mi]
    h = ((s * s) * wgi_d[:, country].astype(np.float32) * t[None]) @ a
    return np.where(mix.valid[None], h.astype(np.float64) + mix.tail[None], np.nan)


def _draw_chunk(model: UncertaintyModel, noise: NoiseSpec, seed: np.random.SeedSequence, d: int) -> dict:
    """One chunk of ``d`` draws → counts (critical, on list) and a rank histogram; all vectorised."""
    from crmsec.criticality.eu_method import supply_risk

    rng = np.random.default_rng(seed)
    n = len(model.materials)
    if noise.wgi:
        wgi_d = np.clip(model.wgi_mean[None] + model.wgi_se[None] * rng.standard_normal((d, len(model.countries))),
                        0.0, 10.0)
    else:
        wgi_d = np.broadcast_to(model.wgi_mean, (d, len(model.countries)))
    h_gs = _mix_draws(model.gs, rng, noise.share_sigma, wgi_d, d)
    h_eu = _mix_draws(model.eu, rng, noise.share_sigma, wgi_d, d)
    if model.wgi_mean_nl is not None:
        wgi_nl = np.clip(wgi_d + (model.wgi_mean_nl - model.wgi_mean)[None], 0.0, 10.0)
    else:
        wgi_nl = wgi_d
    h_nl = _mix_draws(model.nl, rng, noise.trade_sigma, wgi_nl, d)
    u = rng.uniform(-1.0, 1.0, size=(5, d, n))
    ir = np.clip(model.ir[None] + noise.ir_abs * u[0], 0.0, 1.0)
    eol_w = np.maximum(noise.eol_abs, noise.eol_rel * model.eol)
    eol = np.clip(model.eol[None] + eol_w[None] * u[1], 0.0, 1.0)
    si_sr = np.clip(model.si_sr[None] + noise.si_abs * u[2], 0.5, 1.0)
    si_ei = np.clip(model.si_ei[None] + noise.si_abs * u[3], 0.5, 1.0)
    ei_scale = np.where(model.si_ei > 0, si_ei / np.where(model.si_ei > 0, model.si_ei, 1.0), 1.0)
    ei = model.ei[None] * ei_scale * (1.0 + noise.ei_rel * rng.standard_normal((d, n)))
    case = np.broadcast_to(model.case, (d, n))  # integer case codes (CASE_CODES), no per-element parsing
    sr = np.asarray(supply_risk(h_gs, h_eu, ir, eol, si_sr, case))
    crit = (round_half_up(sr) >= SR_THRESHOLD - 1e-9) & (round_half_up(ei) >= EI_THRESHOLD - 1e-9)
    # NL view: SR_NL with IR_NL, EoL, SI_SR shared with the EU draw; VA exposed scales with SI_EI and ei noise
    sr_nl = np.asarray(supply_risk(h_gs, h_nl, np.broadcast_to(model.ir_nl, (d, n)), eol, si_sr, "GS+EU"))
    sr_nl = np.where(np.isnan(sr_nl), model.sr_fallback[None] * (si_sr / np.where(model.si_sr > 0, model.si_sr, 1.0)),
                     sr_nl)
    va = model.va_exposed[None] * ei_scale * (1.0 + noise.ei_rel * u[4])
    with np.errstate(invalid="ignore", divide="ignore"):
        a = (sr_nl / np.nanmax(sr_nl, axis=1, keepdims=True)) ** model.w_sr
        b = (va / np.nanmax(va, axis=1, keepdims=True)) ** model.w_ei
    cand = model.candidate if model.candidate is not None else np.ones(n, dtype=bool)
    score = np.where(np.isfinite(a * b) & cand[None], a * b, -np.inf)
    order = np.argsort(-score, axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(1, n + 1)[None].repeat(d, axis=0), axis=1)
    scorable = np.isfinite(model.va_exposed) & (np.isfinite(model.sr_fallback) | model.nl.valid) & cand
    on = (rank <= model.list_n) & scorable[None]
    flat_idx = (np.arange(n)[None] * (n + 1) + rank).ravel()
    hist = np.bincount(flat_idx, minlength=n * (n + 1)).reshape(n, n + 1)
    return {"n": d, "critical": crit.sum(axis=0), "on_list": on.sum(axis=0), "rank_hist": hist,
            "sr_sum": np.nansum(sr, axis=0), "sr_sq": np.nansum(sr**2, axis=0)}


def _merge(parts: list[dict]) -> dict:
    out = {k: sum(p[k] for p in parts) for k in ("n", "critical", "on_list", "rank_hist", "sr_sum", "sr_sq")}
    return out


def _quantile_from_hist(hist: np.ndarray, q: float) -> np.ndarray:
    cum = np.cumsum(hist, axis=1)
    target = q * cum[:, -1:]
    return np.argmax(cum >= np.maximum(target, 1), axis=1).astype(float)


def monte_carlo(
    model: UncertaintyModel,
    draws: int = 10_000,
    *,
    seed: int | np.random.SeedSequence = 0,
    noise: NoiseSpec | None = None,
    chunk: int = 5_000,
    scheduler: str | object | None = None,
    progress: object | None = None,
) -> pd.DataFrame:
    """Probability of criticality (EU rule) and of a place on the NL list, with NL rank intervals.

    Parameters
    ----------
    model : :class:`UncertaintyModel` (build it with :func:`crmsec.criticality.pipeline.uncertainty_model`).
    draws : number of Monte Carlo draws.
    seed : integer or ``SeedSequence``; results are bit-identical for the same seed, chunk size and inputs,
        in-process or on Dask.
    noise : :class:`NoiseSpec` (default ranges).
    chunk : draws per vectorised chunk (memory ~ chunk × materials × K × 8 B per array).
    scheduler : Dask scheduler address (``"tcp://…"``) or a ``distributed.Client``; ``None`` runs in-process.
    progress : optional callable ``progress(done_draws, total_draws)``.

    Returns
    -------
    One row per material: ``material_id``, ``material``, ``p_critical``, ``p_on_list``, ``rank_p05``,
    ``rank_p50``, ``rank_p95``, ``sr_mean``, ``sr_sd``, ``draws``.
    """
    if draws < 1:
        raise InputError(f"--draws must be >= 1, got {draws}")
    noise = noise or NoiseSpec()
    n_chunks = -(-draws // chunk)
    sizes = [min(chunk, draws - i * chunk) for i in range(n_chunks)]
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(int(seed))
    seeds = ss.spawn(n_chunks)
    if scheduler is None:
        parts = []
        done = 0
        for s, d in zip(seeds, sizes, strict=True):
            parts.append(_draw_chunk(model, noise, s, d))
            done += d
            if callable(progress):
                progress(done, draws)
    else:
        from distributed import Client

        client = scheduler if isinstance(scheduler, Client) else Client(str(scheduler))
        try:
            fut_model = client.scatter(model, broadcast=True)
            futures = client.map(_draw_chunk, [fut_model] * n_chunks, [noise] * n_chunks, seeds, sizes,
                                 pure=False)
            parts = client.gather(futures)
        finally:
            if not isinstance(scheduler, Client):
                client.close()
    tot = _merge(parts)
    n = tot["n"]
    mean = tot["sr_sum"] / n
    sd = np.sqrt(np.maximum(tot["sr_sq"] / n - mean**2, 0.0))
    scorable = np.isfinite(model.va_exposed)
    if model.candidate is not None:
        scorable = scorable & model.candidate
    return pd.DataFrame({
        "material_id": model.materials,
        "material": model.names,
        "p_critical": tot["critical"] / n,
        "p_on_list": np.where(scorable, tot["on_list"] / n, np.nan),
        "rank_p05": np.where(scorable, _quantile_from_hist(tot["rank_hist"], 0.05), np.nan),
        "rank_p50": np.where(scorable, _quantile_from_hist(tot["rank_hist"], 0.50), np.nan),
        "rank_p95": np.where(scorable, _quantile_from_hist(tot["rank_hist"], 0.95), np.nan),
        "sr_mean": mean,
        "sr_sd": sd,
        "draws": n,
    })


SOBOL_INPUTS = ("hhi_gs", "hhi_eu_or_nl", "ir", "eol_rir", "si_sr", "si_ei")


def sobol_drivers(model: UncertaintyModel, *, n_base: int = 256, seed: int = 0, noise: NoiseSpec | None = None,
                  scope: str = "eu") -> pd.DataFrame:
    """Sobol first-order (S1) and total (ST) indices per material of the EU criticality margin or NL score.

    Factors (uniform): HHI_GS and the sourcing-mix HHI (EU or NL) × (1 ± 2σ) with σ the relative spread
    of the share noise, IR ± ``ir_abs``, EoL-RIR ± its range, SI_SR and SI_EI ± ``si_abs``. Output for
    ``scope="eu"``: margin = min(SR − 1.0, (EI − 2.8)/2.8) (its sign is the status); for ``"nl"`` the
    log of SR_NL · VA_exposed. One Saltelli sample is evaluated for all materials at once; SALib analyses
    each material. Returns ``material_id``, ``S1_<input>``, ``ST_<input>`` and ``driver`` (largest ST).
    """
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    from crmsec.criticality.eu_method import supply_risk

    noise = noise or NoiseSpec()
    problem = {"num_vars": len(SOBOL_INPUTS), "names": list(SOBOL_INPUTS), "bounds": [[-1.0, 1.0]] * len(SOBOL_INPUTS)}
    x = sobol_sample.sample(problem, n_base, calc_second_order=False, seed=seed)  # (N, 6) in [-1, 1]
    gs0 = model.gs.hhi(model.wgi_mean)
    mix0 = (model.eu if scope == "eu" else model.nl).hhi(model.wgi_mean)
    sig = noise.share_sigma if scope == "eu" else noise.trade_sigma
    col = {name: x[:, i][:, None] for i, name in enumerate(SOBOL_INPUTS)}
    h_gs = gs0[None] * (1 + 2 * noise.share_sigma * col["hhi_gs"])
    h_mx = mix0[None] * (1 + 2 * sig * col["hhi_eu_or_nl"])
    ir_base = model.ir if scope == "eu" else model.ir_nl
    ir = np.clip(ir_base[None] + noise.ir_abs * col["ir"], 0, 1)
    eol_w = np.maximum(noise.eol_abs, noise.eol_rel * model.eol)
    eol = np.clip(model.eol[None] + eol_w[None] * col["eol_rir"], 0, 1)
    si_sr = np.clip(model.si_sr[None] + noise.si_abs * col["si_sr"], 0.5, 1.0)
    si_ei = np.clip(model.si_ei[None] + noise.si_abs * col["si_ei"], 0.5, 1.0)
    scale_ei = si_ei / np.where(model.si_ei > 0, model.si_ei, 1.0)[None]
    n = len(model.materials)
    if scope == "eu":
        case = np.broadcast_to(model.case, h_gs.shape)
        sr = np.asarray(supply_risk(h_gs, h_mx, ir, eol, si_sr, case))
        y = np.minimum(sr - SR_THRESHOLD, (model.ei[None] * scale_ei - EI_THRESHOLD) / EI_THRESHOLD)
    elif scope == "nl":
        sr = np.asarray(supply_risk(h_gs, h_mx, ir, eol, si_sr, "GS+EU"))
        with np.errstate(divide="ignore", invalid="ignore"):
            y = np.log(sr * model.va_exposed[None] * scale_ei)
    else:
        raise InputError(f"unknown scope {scope!r}; use 'eu' or 'nl'")
    rows = []
    for j in range(n):
        yj = y[:, j]
        row: dict[str, object] = {"material_id": model.materials[j], "material": model.names[j]}
        if not np.all(np.isfinite(yj)) or np.var(yj) == 0:
            row.update({f"S1_{k}": np.nan for k in SOBOL_INPUTS} | {f"ST_{k}": np.nan for k in SOBOL_INPUTS})
            row["driver"] = ""
        else:
            si = sobol_analyze.analyze(problem, yj, calc_second_order=False, num_resamples=20, seed=seed)
            row.update({f"S1_{k}": float(v) for k, v in zip(SOBOL_INPUTS, si["S1"], strict=True)})
            row.update({f"ST_{k}": float(v) for k, v in zip(SOBOL_INPUTS, si["ST"], strict=True)})
            row["driver"] = SOBOL_INPUTS[int(np.nanargmax(si["ST"]))]
        rows.append(row)
    return pd.DataFrame(rows)
