"""Market shares and concentration: shares, HHI, effective number of suppliers, concentration ratios.

All functions work on the trailing axis of an array (countries last), so the same call serves one material,
a material × country matrix or a draw × material × country Monte Carlo cube. A total of zero (no supply
recorded) gives NaN, never 0: "no data" must not read as "no concentration" (methods §0.4.6).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

ArrayLike = npt.ArrayLike


def shares(quantity: ArrayLike, axis: int = -1) -> np.ndarray:
    r"""Fractional shares of each supplier in a mix.

    .. math:: sh_c = Q_c / \sum_c Q_c

    Parameters
    ----------
    quantity : array-like, non-negative [any unit, one basis]
        Quantities per supplier along ``axis``. NaN entries count as missing (treated as 0 in the sum only
        when at least one supplier has data).
    axis : int
        Supplier axis.

    Returns
    -------
    ndarray of shares in [0, 1], NaN where the total is 0 or all entries are NaN.

    References
    ----------
    methods.md §0.4 (building block 1).
    """
    q = np.asarray(quantity, dtype=float)
    if np.any(q < 0):
        raise ValueError("quantities must be non-negative to form shares; found a negative value")
    total = np.nansum(q, axis=axis, keepdims=True)
    all_nan = np.all(np.isnan(q), axis=axis, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where((total > 0) & ~all_nan, np.nan_to_num(q) / np.where(total > 0, total, 1.0), np.nan)
    return out


def hhi(share: ArrayLike, axis: int = -1) -> np.ndarray:
    r"""Herfindahl–Hirschman index on fractional shares, range (0, 1].

    .. math:: HHI = \sum_c sh_c^2

    Multiply by 10,000 only for display (antitrust scale). NaN shares propagate only when all are NaN.

    References
    ----------
    Herfindahl, O.C. (1950); Hirschman, A.O. (1945). methods.md §0.4 (building block 2).
    """
    s = np.asarray(share, dtype=float)
    all_nan = np.all(np.isnan(s), axis=axis)
    out = np.nansum(s * s, axis=axis)
    return np.where(all_nan, np.nan, out)


def effective_suppliers(hhi_value: ArrayLike) -> np.ndarray:
    """Effective number of equal-sized suppliers, N_eff = 1 / HHI (methods §0.4.2); NaN for HHI ≤ 0 or NaN."""
    h = np.asarray(hhi_value, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(h > 0, 1.0 / h, np.nan)


def concentration_ratio(share: ArrayLike, k: int = 1, axis: int = -1) -> np.ndarray:
    """CR_k: combined share of the ``k`` largest suppliers (CR_1 = largest single supplier share)."""
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    s = np.moveaxis(np.asarray(share, dtype=float), axis, -1)
    all_nan = np.all(np.isnan(s), axis=-1)
    top = -np.sort(-np.nan_to_num(s, nan=0.0), axis=-1)[..., :k]
    return np.where(all_nan, np.nan, top.sum(axis=-1))


def shares_frame(frame: pd.DataFrame, value: str, by: list[str]) -> pd.Series:
    """Shares of ``value`` within each group ``by`` of a long frame (same index as ``frame``).

    NaN where the group total is 0 (see :func:`shares`).
    """
    total = frame.groupby(by, dropna=False)[value].transform("sum")
    return (frame[value] / total.where(total > 0)).rename("share")


def hhi_frame(frame: pd.DataFrame, share: str, by: list[str]) -> pd.Series:
    """HHI per group of a long frame of shares (Series indexed by ``by``)."""
    sq = frame[share] ** 2
    grouped = sq.groupby([frame[b] for b in by])
    out = grouped.sum(min_count=1)
    return out.rename("hhi")
