"""Pure core of the circularity model: labelled series filling, dynamic stock (flodym), collection, recycling.

No I/O. Every array is indexed by model year ``t`` (and, for element flows, by element ``e``). Flows are in the
unit of the product (t battery, vehicles, ...) or in t contained element (graphite as material).

References
----------
.. [1] Lauinger, D. et al. (2021), flodym / ODYM: Open Dynamic Material Systems Model,
   https://github.com/pik-piam/flodym (inflow-driven dynamic stock model: S_t = sum_c I_c * sf(t - c),
   O_t = sum_c I_c * pdf(t - c)).
.. [2] Regulation (EU) 2023/1542 (Batteries Regulation), Art. 59/60 collection rate = collected in year t /
   mean quantity put on the market in t, t-1, t-2; Annex XII Part C material-recovery targets.
.. [3] Forti, V., Iattoni, G., Baldé, C.P. (2023), WEEE calculation tool manual, Annex III (Weibull lifetimes).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import flodym as fd
import numpy as np

from crmsec.errors import InputError

#: labels of the inflow (and rate) basis per year — every value says where it came from
OBSERVED = "observed"
INTERPOLATED = "interpolated_linear"
EXTRAPOLATED = "extrapolated_constant"
BACKCAST_CONSTANT = "backcast_constant"
BACKCAST_RAMP = "backcast_linear_ramp_from_zero"
BACKCAST_ZERO = "backcast_zero"


def fill_series(observed: dict[int, tuple[float, str]], years: np.ndarray, *, backcast: str = "constant",
                ramp_start: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Fill a yearly series from sparse observations with an explicit, per-year labelled policy.

    Policy: observed years keep their value and label (``observed``/``derived...``); gaps between two
    observations are linear interpolations (``interpolated_linear``); years after the last observation hold
    its value (``extrapolated_constant``); years before the first observation follow ``backcast``:
    ``"constant"`` (hold the first value) or ``"ramp"`` (0 at ``ramp_start``, linear up to the first value;
    0 before ``ramp_start``).

    Parameters
    ----------
    observed : {year: (value, label)}; at least one entry, values finite and >= 0.
    years : model years (sorted, consecutive).
    backcast : "constant" or "ramp".
    ramp_start : first year of the ramp (required for "ramp"; must precede the first observation).

    Returns
    -------
    values, labels : arrays over ``years``.
    """
    if not observed:
        raise InputError("fill_series: no observation given; give at least one (year, value)")
    obs_years = np.array(sorted(observed), dtype=float)
    obs_vals = np.array([observed[int(y)][0] for y in obs_years], dtype=float)
    if not np.all(np.isfinite(obs_vals)) or np.any(obs_vals < 0):
        raise InputError(f"fill_series: observations must be finite and >= 0, got {obs_vals.tolist()}")
    years = np.asarray(years)
    values = np.interp(years, obs_years, obs_vals)  # constant outside the observed range
    labels = np.where(years > obs_years[-1], EXTRAPOLATED, INTERPOLATED).astype(object)
    first = obs_years[0]
    before = years < first
    if backcast == "constant":
        labels[before] = BACKCAST_CONSTANT
    elif backcast == "ramp":
        if ramp_start is None or ramp_start >= first:
            raise InputError(f"fill_series: ramp_start must precede the first observation {int(first)}, "
                             f"got {ramp_start}")
        frac = np.clip((years - ramp_start) / (first - ramp_start), 0.0, 1.0)
        values = np.where(before, obs_vals[0] * frac, values)
        labels[before] = np.where(years[before] < ramp_start, BACKCAST_ZERO, BACKCAST_RAMP)
    else:
        raise InputError(f"fill_series: backcast must be 'constant' or 'ramp', got {backcast!r}")
    for y, (_, label) in observed.items():
        labels[years == y] = label
    return values, labels


@dataclass(frozen=True)
class Lifetime:
    """Lifetime distribution of one product [years]: ``weibull`` (shape, scale), ``normal`` (mean, sd) or
    ``fixed`` (mean)."""

    kind: str
    shape: float = float("nan")
    scale: float = float("nan")
    mean: float = float("nan")
    sd: float = float("nan")
    source: str = ""

    def flodym_model(self, dims: fd.DimensionSet) -> fd.LifetimeModel:
        """The flodym lifetime model over ``dims`` (time first); inflow at mid-year (flodym default)."""
        if self.kind == "weibull":
            if not (self.shape > 0 and self.scale > 0):
                raise InputError(f"Weibull lifetime needs shape > 0 and scale > 0, got {self.shape}, {self.scale}")
            return fd.WeibullLifetime(dims=dims, weibull_shape=self.shape, weibull_scale=self.scale)
        if self.kind == "normal":
            if not (self.mean > 0 and self.sd > 0):
                raise InputError(f"normal lifetime needs mean > 0 and sd > 0, got {self.mean}, {self.sd}")
            return fd.NormalLifetime(dims=dims, mean=self.mean, std=self.sd)
        if self.kind == "fixed":
            if not self.mean > 0:
                raise InputError(f"fixed lifetime needs mean > 0, got {self.mean}")
            return fd.FixedLifetime(dims=dims, mean=self.mean)
        raise InputError(f"lifetime kind must be weibull, normal or fixed, got {self.kind!r}")


@dataclass(frozen=True)
class Product:
    """One product system.

    ``inflow`` [unit/yr] over the model years with per-year basis labels; ``content`` [t element per unit]
    per element; ``collection_kind`` is ``"pom_avg3"`` (legal rate: collected / mean POM of t, t-1, t-2 [2])
    or ``"eol_share"`` (share of end-of-life outflow); ``collection_rate`` [fraction] per year.
    """

    name: str
    unit: str
    inflow: np.ndarray
    inflow_basis: np.ndarray
    lifetime: Lifetime
    content: dict[str, float]
    collection_kind: str
    collection_rate: np.ndarray
    collection_basis: np.ndarray = field(default_factory=lambda: np.array([], dtype=object))


@dataclass(frozen=True)
class ProductResult:
    """Flows of one product: unit-level arrays [unit or unit/yr] and element-level arrays [t, t/yr] (t × e)."""

    name: str
    unit: str
    elements: list[str]
    inflow: np.ndarray
    stock: np.ndarray
    outflow: np.ndarray
    collected_share: np.ndarray  # fraction of end-of-life outflow collected, per year
    capped: np.ndarray  # True where the legal-basis collection exceeded the modelled outflow (capped at 1)
    el_inflow: np.ndarray
    el_stock: np.ndarray
    el_outflow: np.ndarray
    el_collected: np.ndarray
    el_recovered: np.ndarray
    el_not_collected: np.ndarray
    el_process_loss: np.ndarray
    stock_balance: np.ndarray  # inflow - outflow - Δstock per year and element [t/yr] (flodym)


def dynamic_stock(inflow: np.ndarray, years: np.ndarray, lifetime: Lifetime) -> tuple[np.ndarray, np.ndarray,
                                                                                         np.ndarray]:
    """Inflow-driven dynamic stock model with flodym [1].

    S_t = Σ_{c≤t} I_c · sf(t − c),   O_t = Σ_{c≤t} I_c · pdf(t − c)   # Eqs. of the inflow-driven DSM in [1]

    Parameters
    ----------
    inflow : [unit/yr], shape (t,) or (t, e).
    years : model years (consecutive).
    lifetime : :class:`Lifetime`.

    Returns
    -------
    stock [unit], outflow [unit/yr], balance = I − O − ΔS [unit/yr] (flodym ``get_stock_balance``).
    """
    inflow = np.asarray(inflow, dtype=float)
    squeeze = inflow.ndim == 1
    arr = inflow[:, None] if squeeze else inflow
    dims = fd.DimensionSet(dim_list=[
        fd.Dimension(name="time", letter="t", items=[int(y) for y in years]),
        fd.Dimension(name="element", letter="e", items=list(range(arr.shape[1]))),
    ])
    dsm = fd.InflowDrivenDSM(dims=dims, inflow=fd.StockArray(dims=dims, values=arr.copy()),
                             lifetime_model=lifetime.flodym_model(dims))
    dsm.compute()
    stock, outflow, bal = dsm.stock.values.copy(), dsm.outflow.values.copy(), dsm.get_stock_balance()
    if squeeze:
        return stock[:, 0], outflow[:, 0], bal[:, 0]
    return stock, outflow, bal


def collected_share(kind: str, rate: np.ndarray, inflow: np.ndarray, outflow: np.ndarray) -> tuple[np.ndarray,
                                                                                                     np.ndarray]:
    """Share of the end-of-life outflow that is collected [fraction], and a flag where it was capped at 1.

    ``pom_avg3``: collected_t = rate_t · (POM_t + POM_{t−1} + POM_{t−2}) / 3   # collection rate of [2]
    (fewer years at the start of the series), share = min(collected_t / O_t, 1).
    ``eol_share``: share = rate_t.
    """
    rate = np.asarray(rate, dtype=float)
    if np.any((rate < 0) | (rate > 1)) or not np.all(np.isfinite(rate)):
        raise InputError("collection rate must be a fraction in [0, 1] in every year")
    if kind == "eol_share":
        return rate.copy(), np.zeros(rate.shape, dtype=bool)
    if kind != "pom_avg3":
        raise InputError(f"collection kind must be 'pom_avg3' or 'eol_share', got {kind!r}")
    inflow = np.asarray(inflow, dtype=float)
    csum = np.cumsum(np.concatenate([[0.0], inflow]))
    idx = np.arange(len(inflow))
    lo = np.maximum(idx - 2, 0)
    avg3 = (csum[idx + 1] - csum[lo]) / (idx + 1 - lo)
    wanted = rate * avg3
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(outflow > 0, wanted / outflow, 0.0)
    capped = share > 1.0
    return np.minimum(share, 1.0), capped


def run_product(p: Product, years: np.ndarray, recovery: dict[str, np.ndarray]) -> ProductResult:
    """Run one product through stock → end of life → collection → recycling.

    Element flows [t/yr contained element] are the unit flows times ``content`` [t/unit]; recovered =
    collected · recovery rate (material recovery, Annex XII Part C of [2]); recovery NaN → recovered NaN.
    """
    elements = list(p.content)
    if len(p.inflow) != len(years) or len(p.collection_rate) != len(years):
        raise InputError(f"product {p.name}: inflow and collection rate must cover all {len(years)} model years")
    c = np.array([p.content[e] for e in elements], dtype=float)
    stock, outflow, _ = dynamic_stock(p.inflow, years, p.lifetime)
    el_in = p.inflow[:, None] * c[None, :]
    el_stock, el_out, bal = dynamic_stock(el_in, years, p.lifetime)
    share, capped = collected_share(p.collection_kind, p.collection_rate, p.inflow, outflow)
    el_coll = el_out * share[:, None]
    rec = np.column_stack([np.asarray(recovery.get(e, np.full(len(years), np.nan)), dtype=float)
                           for e in elements]) if elements else np.zeros((len(years), 0))
    el_rec = el_coll * rec
    return ProductResult(
        name=p.name, unit=p.unit, elements=elements, inflow=p.inflow, stock=stock, outflow=outflow,
        collected_share=share, capped=capped, el_inflow=el_in, el_stock=el_stock, el_outflow=el_out,
        el_collected=el_coll, el_recovered=el_rec, el_not_collected=el_out - el_coll,
        el_process_loss=el_coll - el_rec, stock_balance=bal,
    )


def mass_balance_residual(r: ProductResult) -> float:
    """Largest relative mass-balance residual over all years, elements and the three balance nodes.

    Nodes: use phase (I − O − ΔS = 0, from flodym), collection (O = collected + not collected), recycling
    (collected = recovered + process loss; only where recovery is known). Scaled by max(1, max |flow|).
    """
    scale = max(1.0, float(np.nanmax(np.abs(r.el_inflow))) if r.el_inflow.size else 1.0)
    res = [np.abs(r.stock_balance),
           np.abs(r.el_outflow - r.el_collected - r.el_not_collected)]
    known = np.isfinite(r.el_recovered)
    res.append(np.where(known, np.abs(r.el_collected - r.el_recovered - r.el_process_loss), 0.0))
    return float(max(np.max(x) if x.size else 0.0 for x in res) / scale)
