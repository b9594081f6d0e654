"""Price processes for project appraisal: calibration (OLS) and vectorised, correlated path simulation.

Two one-factor models of the log price X = ln P (methods §6.2):

* geometric Brownian motion (GBM, trend-following, no reversion), and
* Ornstein–Uhlenbeck mean reversion in log price (one-factor Schwartz-type), exact discretisation.

Several risk factors (main product, by-products, EUR per USD) are simulated jointly with a Cholesky factor of
their innovation correlation matrix; antithetic variates halve the Monte Carlo variance of near-linear payoffs.
All arrays are ``(n_paths, n_years + 1)``; column 0 is the (deterministic) price today.

References
----------
.. [1] Schwartz, E.S. (1997). The stochastic behavior of commodity prices: implications for valuation and
   hedging. Journal of Finance 52(3), 923–973. doi:10.1111/j.1540-6261.1997.tb02721.x
.. [2] Dixit, A.K., Pindyck, R.S. (1994). Investment under Uncertainty, ch. 3. Princeton University Press.
.. [3] crmsec methods spec §6.2 (price processes, OLS calibration, Cholesky correlation, antithetics).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import pandas as pd

from crmsec.errors import DataError, InputError

Measure = Literal["real_world", "risk_neutral"]


@dataclass(frozen=True)
class PriceModel:
    """One risk factor's price process (annual time step in simulation).

    Parameters
    ----------
    kind : ``"gbm"`` or ``"ou"`` (mean reversion in log price).
    p0 : price today [currency per unit, e.g. USD/t or EUR per USD for FX].
    sigma : volatility of the log price [1/sqrt(yr)].
    mu : GBM drift of the price (real-world) [1/yr]; E[P_t] = p0·exp(mu·t).
    kappa : OU speed of mean reversion [1/yr]; half-life = ln 2 / kappa.
    theta : OU long-run mean of the log price [ln(currency/unit)]; long-run median price = exp(theta).
    convenience_yield : y [1/yr], used only under the risk-neutral measure (GBM drift r − y).
    market_price_of_risk : lambda [-], used only under the risk-neutral measure for OU:
        theta_Q = theta − lambda·sigma/kappa (Schwartz 1997 [1], eq. 4).
    name, unit, source : label, unit string and calibration provenance.
    """

    kind: Literal["gbm", "ou"]
    p0: float
    sigma: float
    mu: float = 0.0
    kappa: float = float("nan")
    theta: float = float("nan")
    convenience_yield: float = 0.0
    market_price_of_risk: float = 0.0
    name: str = ""
    unit: str = ""
    source: str = "user input"

    def __post_init__(self) -> None:
        if self.kind not in ("gbm", "ou"):
            raise InputError(f"price model '{self.name}': kind must be 'gbm' or 'ou', not {self.kind!r}")
        if not (self.p0 > 0 and math.isfinite(self.p0)):
            raise InputError(f"price model '{self.name}': p0 must be a positive price, got {self.p0!r}")
        if not (self.sigma >= 0 and math.isfinite(self.sigma)):
            raise InputError(f"price model '{self.name}': sigma must be >= 0, got {self.sigma!r}")
        if self.kind == "ou" and not (self.kappa > 0 and math.isfinite(self.theta)):
            raise InputError(
                f"price model '{self.name}': an OU model needs kappa > 0 and a finite theta "
                f"(got kappa={self.kappa!r}, theta={self.theta!r})"
            )

    @property
    def half_life(self) -> float:
        """Half-life of a deviation from the long-run level [yr] (OU only; inf for GBM)."""
        return math.log(2) / self.kappa if self.kind == "ou" else math.inf


def calibrate_gbm(log_prices: np.ndarray, dt: float) -> tuple[float, float]:
    """GBM drift and volatility from a log-price series.

    Parameters
    ----------
    log_prices : equally spaced log prices, oldest first.
    dt : spacing [yr] (1/12 for monthly data).

    Returns
    -------
    mu, sigma : price drift [1/yr] (E[P_t] = P_0 e^{mu t}) and log volatility [1/sqrt(yr)].

    Notes
    -----
    Log returns r = ΔX are i.i.d. N((mu − sigma²/2)dt, sigma² dt) under GBM (methods §6.2), so
    sigma = sd(r)/sqrt(dt) and mu = mean(r)/dt + sigma²/2.
    """
    x = np.asarray(log_prices, dtype=float)
    r = np.diff(x)
    if r.size < 3 or not np.all(np.isfinite(r)):
        raise DataError("GBM calibration needs at least 4 finite, equally spaced log prices", value=r.size)
    sigma = float(np.std(r, ddof=1) / math.sqrt(dt))
    mu = float(np.mean(r) / dt + 0.5 * sigma**2)
    return mu, sigma


def calibrate_ou(log_prices: np.ndarray, dt: float) -> dict[str, float]:
    """OU parameters of the log price by OLS on X_{t+1} = a + b·X_t + e (methods §6.2).

    Returns
    -------
    dict with ``kappa`` [1/yr] = −ln(b)/dt, ``theta`` = a/(1 − b), ``sigma`` [1/sqrt(yr)] =
    sd(e)·sqrt(2·kappa/(1 − b²)), the raw ``a``, ``b``, ``resid_sd`` and ``reverts`` (False when b >= 1:
    no mean reversion, the caller must fall back to GBM).
    """
    x = np.asarray(log_prices, dtype=float)
    if x.size < 5 or not np.all(np.isfinite(x)):
        raise DataError("OU calibration needs at least 5 finite log prices", value=x.size)
    x0, x1 = x[:-1], x[1:]
    design = np.column_stack([np.ones_like(x0), x0])
    (a, b), *_ = np.linalg.lstsq(design, x1, rcond=None)
    resid = x1 - (a + b * x0)
    sd_e = float(np.std(resid, ddof=2))
    out = {"a": float(a), "b": float(b), "resid_sd": sd_e, "reverts": bool(0 < b < 1)}
    if not 0 < b < 1:
        out.update(kappa=float("nan"), theta=float("nan"), sigma=float("nan"))
        return out
    kappa = -math.log(b) / dt  # methods §6.2
    theta = a / (1 - b)
    sigma = sd_e * math.sqrt(2 * kappa / (1 - b**2))
    out.update(kappa=kappa, theta=theta, sigma=sigma)
    return out


def _innovations(frame: pd.DataFrame, model: str) -> pd.DataFrame:
    """Residual innovations per column of a log-price frame (aligned months), for the correlation matrix."""
    cols = {}
    for col in frame.columns:
        x = frame[col].to_numpy()
        if model == "ou":
            cal = calibrate_ou(x, 1 / 12)
            cols[col] = x[1:] - (cal["a"] + cal["b"] * x[:-1])
        else:
            cols[col] = np.diff(x)
    return pd.DataFrame(cols, index=frame.index[1:])


def deflator_muv(annual: pd.DataFrame, commodity: str) -> pd.Series:
    """World Bank MUV deflator by year (2010 = 1), implied by the nominal/real annual series of one metal.

    The World Bank deflates its annual nominal prices by the MUV index to constant 2010 USD, so
    nominal/real = MUV(y)/MUV(2010) for every metal (World Bank Pink Sheet, annual, "Annual Prices (Real)").
    """
    sub = annual[annual["commodity"] == commodity]
    nom = sub[sub["real_or_nominal"] == "nominal"].set_index("year")["price"]
    real = sub[sub["real_or_nominal"] == "real_2010_usd"].set_index("year")["price"]
    muv = (nom / real).dropna()
    if muv.empty:
        raise DataError(f"no World Bank nominal and real annual prices for '{commodity}' to derive the MUV deflator")
    return muv.rename("muv")


def real_monthly_log_prices(monthly: pd.DataFrame, annual: pd.DataFrame, commodities: list[str]) -> pd.DataFrame:
    """Monthly log prices in constant USD of the last deflator year, for calibration of real-terms models.

    Monthly nominal prices (World Bank Pink Sheet) are deflated with the MUV index (see :func:`deflator_muv`),
    interpolated log-linearly between annual values placed at mid-year, and rebased to the last year with a
    MUV value. Months after that year are dropped (no deflator), so nothing is extrapolated.
    """
    missing = [c for c in commodities if c not in set(monthly["commodity"])]
    if missing:
        known = sorted(set(monthly["commodity"]))
        raise InputError(f"no World Bank monthly price series for {missing}; available: {known}")
    muv = deflator_muv(annual, commodities[0])
    wide = monthly[monthly["commodity"].isin(commodities)].pivot(index="date", columns="commodity", values="price")
    wide.index = pd.to_datetime(wide.index)
    wide = wide[commodities].dropna()
    t_month = wide.index.year + (wide.index.month - 0.5) / 12
    t_year = muv.index.to_numpy(dtype=float) + 0.5
    keep = (t_month >= t_year[0]) & (wide.index.year <= int(muv.index.max()))
    wide = wide[keep]
    t_month = t_month[keep]
    log_muv = np.interp(t_month, t_year, np.log(muv.to_numpy()))
    log_muv_last = math.log(float(muv.iloc[-1]))
    return np.log(wide).sub(log_muv - log_muv_last, axis=0)


def calibrate_from_world_bank(
    monthly: pd.DataFrame,
    annual: pd.DataFrame,
    commodities: list[str],
    *,
    model: Literal["gbm", "ou"] = "ou",
    start: str | None = "1990-01-01",
    to_per_tonne: dict[str, float] | None = None,
) -> tuple[list[PriceModel], np.ndarray]:
    """Calibrate one price model per commodity and their innovation correlation on World Bank monthly data.

    Parameters
    ----------
    monthly, annual : the ``prices_monthly.csv`` / ``prices_annual.csv`` frames of ``data/raw/prices``.
    commodities : World Bank commodity keys (``copper``, ``nickel``, ``aluminium``, ``zinc``, ...).
    model : ``"ou"`` (falls back to GBM per series when OLS gives b >= 1) or ``"gbm"``.
    start : first month used (default 1990, the post-1980s market regime); None = whole series.
    to_per_tonne : optional factors converting the series unit to USD/t (e.g. 32,150.7 for USD/troy oz).

    Returns
    -------
    models : list of :class:`PriceModel` in real USD of the last deflator year; ``p0`` = last real
        monthly price.
    corr : innovation correlation matrix (monthly residuals) between the series.
    """
    logp = real_monthly_log_prices(monthly, annual, commodities)
    if start is not None:
        logp = logp[logp.index >= pd.Timestamp(start)]
    scale = to_per_tonne or {}
    models = []
    kinds = []
    for com in commodities:
        x = logp[com].to_numpy() + math.log(scale.get(com, 1.0))
        src = f"World Bank Pink Sheet monthly {logp.index[0]:%Y-%m}..{logp.index[-1]:%Y-%m}, MUV-deflated"
        if model == "ou":
            cal = calibrate_ou(x, 1 / 12)
            if cal["reverts"]:
                models.append(
                    PriceModel("ou", p0=math.exp(x[-1]), sigma=cal["sigma"], kappa=cal["kappa"],
                               theta=cal["theta"], name=com, unit="USD/t", source=src + ", OU by OLS")
                )
                kinds.append("ou")
                continue
            src += ", OLS b >= 1 so GBM fallback"
        mu, sigma = calibrate_gbm(x, 1 / 12)
        models.append(PriceModel("gbm", p0=math.exp(x[-1]), sigma=sigma, mu=mu, name=com, unit="USD/t", source=src))
        kinds.append("gbm")
    innov = pd.concat(
        [_innovations(logp[[c]], k)[c] for c, k in zip(commodities, kinds, strict=True)], axis=1
    ).dropna()
    corr = np.corrcoef(innov.to_numpy().T) if len(commodities) > 1 else np.ones((1, 1))
    return models, np.atleast_2d(corr)


def correlated_normals(
    n_paths: int, n_steps: int, corr: np.ndarray, rng: np.random.Generator, *, antithetic: bool = True
) -> np.ndarray:
    """Standard normal shocks ``(n_factors, n_paths, n_steps)`` with factor correlation ``corr``.

    With ``antithetic`` the second half of the paths is the negative of the first half, which keeps the Monte
    Carlo mean of odd payoffs exact and lowers the variance of monotone ones [3]. For an odd ``n_paths`` the
    last antithetic partner is dropped (one unpaired path).
    """
    corr = np.atleast_2d(np.asarray(corr, dtype=float))
    k = corr.shape[0]
    if corr.shape != (k, k) or not np.allclose(corr, corr.T) or not np.allclose(np.diag(corr), 1.0):
        raise InputError("correlation matrix must be square, symmetric with a unit diagonal")
    try:
        chol = np.linalg.cholesky(corr)
    except np.linalg.LinAlgError as err:
        raise InputError("correlation matrix is not positive definite; check the entered correlations") from err
    if n_paths < 1:
        raise InputError(f"n_paths must be >= 1, got {n_paths}")
    if antithetic:
        half = rng.standard_normal((k, (n_paths + 1) // 2, n_steps))
        z = np.concatenate([half, -half], axis=1)[:, :n_paths]
    else:
        z = rng.standard_normal((k, n_paths, n_steps))
    return np.einsum("ij,jpt->ipt", chol, z)


def simulate_log_paths(
    model: PriceModel, z: np.ndarray, *, dt: float = 1.0, measure: Measure = "real_world", rate: float = 0.0
) -> np.ndarray:
    """Log-price paths ``(n_paths, n_steps + 1)`` for one factor given its standard normal shocks ``z``.

    Parameters
    ----------
    model : the process.
    z : shocks ``(n_paths, n_steps)`` (one row of :func:`correlated_normals`).
    dt : step [yr].
    measure : ``"real_world"`` (drift mu / theta) or ``"risk_neutral"`` (GBM drift ``rate`` − y;
        OU theta shifted by the market price of risk).
    rate : continuously compounded risk-free rate [1/yr], used only under ``risk_neutral``.

    Notes
    -----
    GBM: X_{t+dt} = X_t + (mu − sigma²/2) dt + sigma sqrt(dt) Z (methods §6.2).
    OU:  X_{t+dt} = X_t e^{−kappa dt} + theta (1 − e^{−kappa dt}) + sigma sqrt((1 − e^{−2 kappa dt})/(2 kappa)) Z
    (exact discretisation, methods §6.2).
    """
    n_paths, n_steps = z.shape
    x = np.empty((n_paths, n_steps + 1))
    x[:, 0] = math.log(model.p0)
    if model.kind == "gbm":
        mu = (rate - model.convenience_yield) if measure == "risk_neutral" else model.mu
        incr = (mu - 0.5 * model.sigma**2) * dt + model.sigma * math.sqrt(dt) * z  # GBM, methods §6.2
        x[:, 1:] = x[:, :1] + np.cumsum(incr, axis=1)
        return x
    theta = model.theta
    if measure == "risk_neutral":
        theta = theta - model.market_price_of_risk * model.sigma / model.kappa  # Eq. 4 in [1]
    decay = math.exp(-model.kappa * dt)
    sd = model.sigma * math.sqrt((1 - math.exp(-2 * model.kappa * dt)) / (2 * model.kappa))
    eps = theta * (1 - decay) + sd * z  # OU exact step, methods §6.2
    # X_n = decay^n X_0 + sum_k decay^(n-k) eps_k, evaluated by a short loop over years (vectorised over paths)
    for t in range(n_steps):
        x[:, t + 1] = x[:, t] * decay + eps[:, t]
    return x


@dataclass(frozen=True)
class PriceSet:
    """The joint price environment of a project: product prices plus an optional FX factor.

    Parameters
    ----------
    products : price models, one per product (names must match the products of the case).
    corr : correlation of the innovations of [products..., fx] (identity when None).
    fx : EUR per unit of the products' currency (None = prices already in EUR).
    """

    products: tuple[PriceModel, ...]
    corr: np.ndarray | None = None
    fx: PriceModel | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def n_factors(self) -> int:
        return len(self.products) + (1 if self.fx is not None else 0)

    def correlation(self) -> np.ndarray:
        if self.corr is None:
            return np.eye(self.n_factors)
        corr = np.asarray(self.corr, dtype=float)
        if corr.shape != (self.n_factors, self.n_factors):
            raise InputError(
                f"price correlation matrix has shape {corr.shape}, expected {(self.n_factors, self.n_factors)} "
                "(products then FX)"
            )
        return corr

    def with_product(self, name: str, **changes: float) -> PriceSet:
        prods = tuple(replace(p, **changes) if p.name == name else p for p in self.products)
        return replace(self, products=prods)


def simulate_prices(
    prices: PriceSet,
    n_years: int,
    *,
    n_paths: int = 10_000,
    seed: int | np.random.Generator = 20250325,
    antithetic: bool = True,
    measure: Measure = "real_world",
    rate: float = 0.0,
    foreign: set[str] | None = None,
) -> dict[str, np.ndarray]:
    """Joint price paths in EUR: ``{product name: (n_paths, n_years + 1)}`` plus ``"fx"`` when modelled.

    Products named in ``foreign`` (default: all, when an FX factor is given) are quoted in the foreign
    currency and multiplied by the FX path (EUR = price × EUR per unit); the others are already in EUR.
    ``rate`` is the continuously compounded EUR risk-free rate of the risk-neutral drift.

    Under ``risk_neutral`` with a GBM FX factor, the FX path is simulated as a martingale (drift 0) and each
    foreign GBM product's drift is quanto-adjusted by −rho·sigma_P·sigma_X, so the EUR price
    P·X has the risk-neutral drift ``rate`` − y exactly (Hull, ch. 30, quanto adjustment). An OU FX factor is
    used as given (its level shifted by its market price of risk) — a stated approximation.
    """
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    corr = prices.correlation()
    z = correlated_normals(n_paths, n_years, corr, rng, antithetic=antithetic)
    out: dict[str, np.ndarray] = {}
    fx = None
    fx_model = prices.fx
    if fx_model is not None:
        if measure == "risk_neutral" and fx_model.kind == "gbm":
            fx = np.exp(simulate_log_paths(replace(fx_model, mu=0.0), z[-1], measure="real_world"))
        else:
            fx = np.exp(simulate_log_paths(fx_model, z[-1], measure=measure, rate=rate))
        out["fx"] = fx
    names = {m.name for m in prices.products} if foreign is None else set(foreign)
    for i, model in enumerate(prices.products):
        in_fx = fx is not None and model.name in names
        m = model
        if in_fx and measure == "risk_neutral" and model.kind == "gbm" and fx_model is not None \
                and fx_model.kind == "gbm":
            quanto = corr[i, -1] * model.sigma * fx_model.sigma
            m = replace(model, convenience_yield=model.convenience_yield + quanto)
        p = np.exp(simulate_log_paths(m, z[i], measure=measure, rate=rate))
        out[model.name] = p * fx if in_fx else p
    return out
