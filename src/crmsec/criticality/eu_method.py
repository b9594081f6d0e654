"""EU criticality method (EC 2017 guidelines, used for the 2017, 2020 and 2023 lists).

Pure, vectorised functions: supply risk (SR), economic importance (EI), import reliance, the
data-availability cases, the bottleneck-stage rule, thresholds with a near-threshold flag and group
averages. Every function takes arrays/Series/frames and returns the same; nothing reads files.

References
----------
.. [1] European Commission; Deloitte, BGS, BRGM, TNO (2017). *Study on the review of the list of Critical
   Raw Materials — Criticality Assessments*, Final Report, doi:10.2873/876644 (§2.1, pp. 33, 48–54, Table 3).
.. [2] European Commission (2017). *Methodology for establishing the EU list of critical raw materials —
   Guidelines*, ISBN 978-92-79-68051-9.
.. [3] European Commission (2023). *Study on the critical raw materials for the EU 2023 — Final Report*,
   doi:10.2873/725585.
.. [4] crmsec methods spec, ``methods.md`` §1.2–§1.16 (formulas, presets and verification numbers).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import numpy as np
import pandas as pd

from crmsec.errors import InputError

METHOD_VERSION = "eu-crm-2017-guidelines/crmsec-1"

#: Criticality thresholds (one-decimal values; SR ≥ 1.0 and EI ≥ 2.8) [1] §3.2, methods §1.1.
SR_THRESHOLD = 1.0
EI_THRESHOLD = 2.8
#: |value − threshold| below this flags a material as near the threshold (methods §0.4 item 5).
NEAR_THRESHOLD_BAND = 0.05

#: Trade-related variable t of EU-27 suppliers in HHI_WGI,t (EC 2017 Table 18; methods §1.3, §1.5, §1.16).
EU_T = 0.8

#: Largest 2-digit manufacturing-sector VA in the 2023 end-use table (C28, M EUR) — the EI scaling
#: constant inferred in methods §1.11/§1.16 (not stated in the study; keep as a parameter).
EI_SCALING_2023_MEUR = 204_200.0

#: Scaled-WGI presets of methods §1.16, implemented once in :func:`crmsec.indicators.governance.eu_scaled_wgi`:
#: ``eu2017`` 10·(3 − mean6)/6 (Nigeria 2010–14 → 6.92), ``eu2023`` 2·(2.5 − mean6) (2023 stage SRs).
WGI_PRESETS: tuple[str, ...] = ("eu2017", "eu2023")
#: Supply-data window per assessment (5-year averages, [1] §2.1.2): 2017 → 2010–2014 ([1]); 2023 → 2016–2020
#: (best fit of methods §1.16; 2015–19 … 2018–22 fit about equally); 2020 → 2012–2016 is an ASSUMPTION
#: (the 2020 study's window was not checked) — pass ``window=`` explicitly where it matters.
WGI_WINDOWS: dict[int, tuple[int, int]] = {2017: (2010, 2014), 2020: (2012, 2016), 2023: (2016, 2020)}

CASES: tuple[str, ...] = ("GS+EU", "GS only", "EU only")
_CASE_ALIASES: dict[str, str] = {
    "gs+eu": "GS+EU",
    "gs+eus": "GS+EU",
    "gs+eu28": "GS+EU",
    "blend": "GS+EU",
    "default": "GS+EU",
    "gs only": "GS only",
    "gsonly": "GS only",
    "gs": "GS only",
    "eu only": "EU only",
    "euonly": "EU only",
    "eus only": "EU only",
    "eusonly": "EU only",
    "eu": "EU only",
}

Case = Literal["GS+EU", "GS only", "EU only"]


def normalise_case(case: object) -> str:
    """Map a data-availability case label to one of :data:`CASES` (``GS+EU``, ``GS only``, ``EU only``).

    Accepts the spellings of the 2017 table (``GS+EUS``, ``EUS only``) and of the 2023 results extraction
    (``GSonly``, ``EUonly``). Raises :class:`InputError` naming the value otherwise.
    """
    key = str(case).strip().lower().replace("_", " ")
    if key in _CASE_ALIASES:
        return _CASE_ALIASES[key]
    key2 = key.replace(" ", "")
    for k, v in _CASE_ALIASES.items():
        if k.replace(" ", "") == key2:
            return v
    raise InputError(f"unknown supply-data case {case!r}; use one of {', '.join(CASES)}")


def _case_codes(case: object, n: int) -> np.ndarray:
    """Case per element as int codes 0 = GS+EU, 1 = GS only, 2 = EU only (broadcast a scalar)."""
    if isinstance(case, str):
        return np.full(n, CASES.index(normalise_case(case)), dtype=np.int8)
    if isinstance(case, np.ndarray) and np.issubdtype(case.dtype, np.integer):
        codes = case.ravel()
        if codes.size not in (1, n):
            raise InputError(f"case has {codes.size} elements but the inputs have {n}")
        if codes.size and (codes.min() < 0 or codes.max() > 2):
            raise InputError("integer case codes must be 0 (GS+EU), 1 (GS only) or 2 (EU only)")
        return np.broadcast_to(codes.astype(np.int8), (n,)) if codes.size == 1 else codes.astype(np.int8)
    arr = np.asarray(case, dtype=object).ravel()
    if arr.size == 1:
        return np.full(n, CASES.index(normalise_case(arr[0])), dtype=np.int8)
    if arr.size != n:
        raise InputError(f"case has {arr.size} elements but the inputs have {n}")
    lookup = {c: CASES.index(normalise_case(c)) for c in set(arr.tolist())}
    return np.fromiter((lookup[c] for c in arr), dtype=np.int8, count=n)


def _like(template: object, values: np.ndarray) -> np.ndarray | pd.Series:
    if isinstance(template, pd.Series):
        return pd.Series(values, index=template.index)
    return values


def import_reliance(
    production_t: np.ndarray | pd.Series | float,
    imports_t: np.ndarray | pd.Series | float,
    exports_t: np.ndarray | pd.Series | float,
) -> np.ndarray | pd.Series:
    """EU import reliance IR = (M − X) / (P_EU + M − X), clipped below at 0.

    Parameters
    ----------
    production_t, imports_t, exports_t : EU domestic production, extra-EU imports and exports of the
        commodity form of the assessed stage [t, same basis].

    Returns
    -------
    IR [0..1]; 0 where the EU is a net exporter (M − X < 0, as the 2017 study harmonised it); NaN where
    the denominator P + M − X ≤ 0 (undefined — callers fall back to ``GS only``, methods §1.16).

    References
    ----------
    [1] p. 48 and p. 51; methods §1.6.
    """
    p = np.asarray(production_t, dtype=float)
    m = np.asarray(imports_t, dtype=float)
    x = np.asarray(exports_t, dtype=float)
    net = m - x
    denom = p + net
    with np.errstate(divide="ignore", invalid="ignore"):
        ir = np.where(denom > 0, net / denom, np.nan)  # Eq. IR in [1] p. 48
    ir = np.where(np.isfinite(ir), np.clip(ir, 0.0, 1.0), np.nan)
    return _like(imports_t, ir)


def supply_risk(
    hhi_gs: np.ndarray | pd.Series | float,
    hhi_eu: np.ndarray | pd.Series | float,
    ir: np.ndarray | pd.Series | float,
    eol_rir: np.ndarray | pd.Series | float,
    si_sr: np.ndarray | pd.Series | float,
    case: object = "GS+EU",
) -> np.ndarray | pd.Series:
    """Supply risk SR of the EU method, vectorised over materials (and draws).

    SR = [HHI_GS · IR/2 + HHI_EU · (1 − IR/2)] · (1 − EoL_RIR) · SI_SR   (case ``GS+EU``)
    SR = HHI_GS · (1 − EoL_RIR) · SI_SR                                   (case ``GS only``)
    SR = HHI_EU · (1 − EoL_RIR) · SI_SR                                   (case ``EU only``)

    Parameters
    ----------
    hhi_gs, hhi_eu : governance- and trade-weighted HHI (HHI_WGI,t) of global supply and of EU sourcing
        [0..~15, dimensionless]. May be NaN where the case does not use them.
    ir : import reliance [0..1]; negative values are treated as 0 (as the study does). Unused for the
        single-mix cases.
    eol_rir : end-of-life recycling input rate [0..1].
    si_sr : substitution index for supply risk [dimensionless, observed 0.59–1.0; never clipped].
    case : one label or one per element: ``GS+EU``, ``GS only``, ``EU only`` (aliases accepted, see
        :func:`normalise_case`), or an integer array of codes 0/1/2 in that order (fast path for Monte
        Carlo). ``GS only`` replaces the blend; it is not the blend with IR = 2.

    Returns
    -------
    SR, unrounded, same shape (a Series keeps the index of ``hhi_gs``). NaN where an input the case
    needs is NaN.

    References
    ----------
    [1] pp. 48–51 (formula and cases), Table 3; methods §1.2, §1.7.
    """
    gs = np.asarray(hhi_gs, dtype=float)
    eu = np.asarray(hhi_eu, dtype=float)
    irr = np.asarray(ir, dtype=float)
    eol = np.asarray(eol_rir, dtype=float)
    si = np.asarray(si_sr, dtype=float)
    shape = np.broadcast_shapes(gs.shape, eu.shape, irr.shape, eol.shape, si.shape)
    n = int(np.prod(shape)) if shape else 1
    codes = _case_codes(case, n).reshape(shape) if shape else _case_codes(case, 1)[0]
    irc = np.clip(irr, 0.0, 1.0)
    blend = gs * irc / 2.0 + eu * (1.0 - irc / 2.0)  # Eq. SR in [1] p. 51 (methods §1.2)
    core = np.where(codes == 0, blend, np.where(codes == 1, gs, eu))
    sr = core * (1.0 - eol) * si  # Eq. SR in [1] p. 51
    template = next((v for v in (hhi_gs, hhi_eu, ir) if isinstance(v, pd.Series)), None)
    if template is not None and np.ndim(sr) == 1:
        return pd.Series(sr, index=template.index, name="sr")
    return sr


def economic_importance(
    share: np.ndarray,
    va_meur: np.ndarray,
    si_ei: np.ndarray | float,
    scaling_meur: float = EI_SCALING_2023_MEUR,
    *,
    renormalise: bool = False,
) -> np.ndarray:
    """Economic importance EI = SI_EI · 10 · Σ_s A_s · Q_s / max_s' Q_s'.

    Parameters
    ----------
    share : end-use shares A_s allocated to NACE 2-digit sectors [0..1], shape (..., n_sectors); NaN
        entries count as 0 (an application absent for this material). Rows whose shares are all NaN give NaN.
    va_meur : gross value added Q_s of each sector [M EUR], broadcastable to ``share``.
    si_ei : substitution index for EI [dimensionless], shape (...).
    scaling_meur : the scaling constant max_s' Q_s' [M EUR]; default 204,200 (C28 in the 2023 table,
        methods §1.11/§1.16).
    renormalise : divide by Σ A_s when it differs from 1 (the 2023 extraction has sums 0.90–1.13).

    Returns
    -------
    EI [0..10 scale], unrounded, shape (...).

    References
    ----------
    JRC RMIS "revised methodology: Economic Importance"; [1] §2.2; methods §1.11 (scaling constant
    inferred from the 2023 data, §1.16).
    """
    a = np.asarray(share, dtype=float)
    q = np.asarray(va_meur, dtype=float)
    if scaling_meur <= 0 or not np.isfinite(scaling_meur):
        raise InputError(f"EI scaling constant must be a positive number of M EUR, got {scaling_meur!r}")
    present = ~np.isnan(a)
    total = np.where(present, a, 0.0).sum(axis=-1)
    weighted = np.where(present, a * q, 0.0).sum(axis=-1)
    any_present = present.any(axis=-1)
    if renormalise:
        with np.errstate(divide="ignore", invalid="ignore"):
            weighted = np.where(total > 0, weighted / total, np.nan)
    raw = np.asarray(si_ei, dtype=float) * weighted  # EI_raw = SI_EI · Σ A_s Q_s (RMIS)
    ei = 10.0 * raw / scaling_meur  # EI = 10 · EI_raw / max Q (methods §1.11)
    return np.where(any_present, ei, np.nan)


def economic_importance_from_end_uses(
    end_use: pd.DataFrame,
    si_ei: Mapping[str, float] | pd.Series,
    scaling_meur: float | None = None,
    *,
    renormalise: bool = False,
) -> pd.DataFrame:
    """EI per material from a tidy end-use table (``material_id``, ``share``, ``nace``, ``va_meur``).

    Each row is one application with its share A and the VA Q of the NACE sector it is mapped to, as the
    2023 study tabulates them (the VA is taken per row, as published). ``scaling_meur`` defaults to the
    largest VA in ``end_use`` (the 2023 rule; 204,200 M EUR for C28 in the 2023 table).

    Returns a frame with ``material_id``, ``ei``, ``share_sum``, ``sum_aq_meur``, ``si_ei``, ``top_nace``,
    ``top_nace_share`` and ``reason`` (``no_si_ei`` where the SI is missing, ``share_sum_ne_1`` when
    |Σ A − 1| > 0.02).

    References
    ----------
    JRC RMIS "revised methodology: Economic Importance"; methods §1.11, §1.16, §8.3.
    """
    need = {"material_id", "share", "nace", "va_meur"}
    missing = need - set(end_use.columns)
    if missing:
        raise InputError(f"end-use table lacks columns {sorted(missing)}; it needs {sorted(need)}")
    eu = end_use.dropna(subset=["share"]).copy()
    if scaling_meur is None:
        scaling_meur = float(eu["va_meur"].max())
    if not (scaling_meur > 0):
        raise InputError(f"EI scaling constant must be a positive number of M EUR, got {scaling_meur!r}")
    eu["_aq"] = eu["share"].astype(float) * eu["va_meur"].astype(float)
    g = eu.groupby("material_id", sort=True)
    share_sum = g["share"].sum()
    sum_aq = g["_aq"].sum(min_count=1)
    by_nace = eu.groupby(["material_id", "nace"])["share"].sum()
    top = by_nace.groupby(level=0).idxmax().map(lambda t: t[1])
    top_share = by_nace.groupby(level=0).max()
    si = pd.Series(si_ei, dtype=float).reindex(share_sum.index)
    weighted = sum_aq / share_sum.where(share_sum > 0) if renormalise else sum_aq
    ei = si * 10.0 * weighted / scaling_meur  # EI = SI_EI · 10 · Σ A_s Q_s / max Q (methods §1.11)
    reason = np.where(si.isna(), "no_si_ei", np.where((share_sum - 1).abs() > 0.02, "share_sum_ne_1", ""))
    return pd.DataFrame(
        {
            "material_id": share_sum.index,
            "ei": ei.to_numpy(),
            "share_sum": share_sum.to_numpy(),
            "sum_aq_meur": sum_aq.to_numpy(),
            "si_ei": si.to_numpy(),
            "scaling_meur": scaling_meur,
            "top_nace": top.reindex(share_sum.index).to_numpy(),
            "top_nace_share": top_share.reindex(share_sum.index).to_numpy(),
            "reason": reason,
        }
    ).reset_index(drop=True)


def round_half_up(x: np.ndarray | pd.Series | float, decimals: int = 1) -> np.ndarray:
    """Round half away from zero to ``decimals`` (the study's one-decimal display; 0.95 → 1.0).

    A tiny epsilon absorbs binary representation (0.95 is 0.9499999…).
    """
    a = np.asarray(x, dtype=float)
    f = 10.0**decimals
    return np.sign(a) * np.floor(np.abs(a) * f + 0.5 + 1e-9) / f


def is_critical(
    sr: np.ndarray | pd.Series | float,
    ei: np.ndarray | pd.Series | float,
    *,
    sr_threshold: float = SR_THRESHOLD,
    ei_threshold: float = EI_THRESHOLD,
    rounded: bool = True,
) -> np.ndarray | pd.Series:
    """Criticality rule SR ≥ 1.0 AND EI ≥ 2.8, decided on values rounded half-up to one decimal.

    NaN in either input gives ``False`` (not assessable); use :func:`near_threshold` and the ``reason``
    column of the assessment frame to tell the cases apart.

    References
    ----------
    [1] §3.2; methods §1.1 and §1.12 (coking coal and natural rubber 2017 at exactly 1.0 are critical).
    """
    s = np.asarray(sr, dtype=float)
    e = np.asarray(ei, dtype=float)
    if rounded:
        s, e = round_half_up(s), round_half_up(e)
    with np.errstate(invalid="ignore"):
        out = (s >= sr_threshold - 1e-9) & (e >= ei_threshold - 1e-9)
    template = sr if isinstance(sr, pd.Series) else ei
    return _like(template, out)


def near_threshold(
    sr: np.ndarray | pd.Series | float,
    ei: np.ndarray | pd.Series | float,
    *,
    band: float = NEAR_THRESHOLD_BAND,
    sr_threshold: float = SR_THRESHOLD,
    ei_threshold: float = EI_THRESHOLD,
) -> np.ndarray | pd.Series:
    """True when the unrounded SR or EI lies within ``band`` (inclusive) of its threshold (methods §0.4 item 5)."""
    s = np.asarray(sr, dtype=float)
    e = np.asarray(ei, dtype=float)
    with np.errstate(invalid="ignore"):
        out = (np.abs(s - sr_threshold) <= band + 1e-12) | (np.abs(e - ei_threshold) <= band + 1e-12)
    template = sr if isinstance(sr, pd.Series) else ei
    return _like(template, out)


def bottleneck(sr_by_stage: pd.DataFrame, *, default_stage: str = "extraction") -> pd.DataFrame:
    """Bottleneck-stage rule: keep the stage with the highest SR.

    Parameters
    ----------
    sr_by_stage : wide frame, one row per material, one column per stage (e.g. ``extraction``,
        ``processing``) holding that stage's SR (NaN = not assessed).
    default_stage : stage used when no stage has an SR (result NaN) — methods §1.10 rule 1.

    Returns
    -------
    Frame with ``sr`` (max over available stages), ``stage_assessed`` and ``bottleneck_reason``
    (``only_stage_assessed``, ``highest_sr_of_stages``, ``no_stage_sr``).

    References
    ----------
    [1] §2.1.1 and glossary ("bottleneck"); methods §1.10.
    """
    vals = sr_by_stage.to_numpy(float)
    n_avail = (~np.isnan(vals)).sum(axis=1)
    safe = np.where(np.isnan(vals), -np.inf, vals)
    idx = safe.argmax(axis=1)
    sr = np.where(n_avail > 0, safe[np.arange(len(vals)), idx], np.nan)
    stages = np.asarray(sr_by_stage.columns, dtype=object)
    stage = np.where(n_avail > 0, stages[idx], default_stage)
    reason = np.where(n_avail == 0, "no_stage_sr", np.where(n_avail == 1, "only_stage_assessed", "highest_sr_of_stages"))
    return pd.DataFrame({"sr": sr, "stage_assessed": stage, "bottleneck_reason": reason}, index=sr_by_stage.index)


def group_average(frame: pd.DataFrame, groups: Mapping[str, list[str]], cols: tuple[str, ...] = ("sr", "ei")) -> pd.DataFrame:
    """Group results (LREE, HREE, PGM) as the plain average of the members' SR and EI.

    ``frame`` is indexed by ``material_id``; ``groups`` maps a group id to member ids. Members missing from
    ``frame`` are ignored; a group with no member present is omitted.

    References
    ----------
    [1] §3.5.2; methods §1.12.
    """
    rows = []
    for gid, members in groups.items():
        present = [m for m in members if m in frame.index]
        if not present:
            continue
        sub = frame.loc[present, list(cols)]
        rows.append({"material_id": gid, **{c: float(sub[c].mean()) for c in cols}, "n_members": len(present)})
    return pd.DataFrame(rows).set_index("material_id") if rows else pd.DataFrame(columns=[*cols, "n_members"])


# --------------------------------------------------------------------------------------------------
# SR per stage from supply shares (tidy inputs)
# --------------------------------------------------------------------------------------------------


def scaled_wgi_window(
    governance: pd.DataFrame,
    years: tuple[int, int],
    preset: str = "eu2023",
) -> pd.Series:
    """Scaled WGI per country averaged over a window of years (the EU method's 5-year average).

    Parameters
    ----------
    governance : tidy WGI table with ``country`` (ISO3), ``year``, ``dimension`` (va, pv, ge, rq, rl, cc)
        and ``estimate`` (the store table ``governance``).
    years : inclusive window, e.g. (2016, 2020) for the 2023 assessment, (2010, 2014) for 2017. The window
        is a documented parameter: methods §1.16 found 2015–19 … 2018–22 fit the 2023 numbers about equally.
    preset : ``eu2017`` or ``eu2023`` (:func:`crmsec.indicators.governance.eu_scaled_wgi`).

    Returns
    -------
    Series indexed by ISO3: mean over the window of the yearly mean of the available dimensions, mapped
    with the preset to the 0–10 scale (10 = worst). Countries without any estimate are absent.

    References
    ----------
    [1] p. 42 (Nigeria 6.92); methods §1.4, §1.16.
    """
    from crmsec.indicators import governance as gov

    y0, y1 = years
    if y0 > y1:
        raise InputError(f"WGI window {years}: first year after last year")
    if preset not in WGI_PRESETS:
        raise InputError(f"unknown scaled-WGI preset {preset!r}; use one of {', '.join(WGI_PRESETS)}")
    mean6 = gov.six_dimension_mean(governance, range(y0, y1 + 1)).dropna()
    if mean6.empty:
        raise InputError(f"no WGI estimates in the window {y0}–{y1}; the WGI data cover other years")
    return pd.Series(gov.eu_scaled_wgi(mean6.to_numpy(), preset), index=mean6.index, name="wgi_scaled")


def hhi_wgi_t_long(
    shares: pd.DataFrame,
    wgi_scaled: pd.Series,
    *,
    keys: tuple[str, ...] = ("material_id", "stage"),
    missing_wgi: Literal["skip", "nan"] = "skip",
) -> pd.DataFrame:
    """Governance- and trade-weighted HHI Σ_c sh_c² · WGI_c · t_c per key, from a tidy share table.

    Parameters
    ----------
    shares : columns ``keys`` + ``country`` (ISO3), ``share`` [fraction 0..1] and ``t`` [dimensionless,
        trade-related variable; NaN → 1.0, the default of methods §1.5].
    wgi_scaled : scaled WGI by ISO3 (:func:`scaled_wgi_window`).
    missing_wgi : ``skip`` drops countries without a WGI value from the sum and reports their share in
        ``share_no_wgi`` (explicit, logged policy); ``nan`` makes the whole HHI NaN.

    Returns
    -------
    Frame indexed by ``keys`` with ``hhi_wgi_t``, ``share_sum``, ``share_no_wgi`` and ``n_countries``.

    References
    ----------
    [1] p. 43 (HHI_WGI,t); methods §1.3 (fractional shares, 0–10 scale, t multiplicative per country).
    """
    from crmsec.indicators import governance as gov

    keys_l = list(keys)
    s = shares[[*keys_l, "country", "share", "t"]].copy()
    s["t"] = s["t"].astype(float).fillna(1.0)
    w = s["country"].map(wgi_scaled).astype(float)
    s["_has_wgi"] = w.notna()
    s["_w"] = w
    grouped = s.groupby(keys_l, sort=True)
    codes = grouped.ngroup().to_numpy()
    n_groups = int(codes.max()) + 1 if len(codes) else 0
    # dense (group × position) matrices so the one HHI_WGI,t building block is applied vectorised
    pos = grouped.cumcount().to_numpy()
    width = int(pos.max()) + 1 if len(pos) else 0
    sh = np.zeros((n_groups, width))
    wg = np.zeros((n_groups, width))
    tt = np.ones((n_groups, width))
    use = s["_has_wgi"].to_numpy()
    sh[codes, pos] = np.where(use, s["share"].to_numpy(float), 0.0)
    wg[codes, pos] = np.where(use, s["_w"].to_numpy(float), 0.0)
    tt[codes, pos] = s["t"].to_numpy(float)
    hhi = np.asarray(gov.hhi_wgi_t(sh, wg, tt), dtype=float)  # Σ sh² · WGI · t (methods §1.3)
    out = grouped.agg(
        share_sum=("share", "sum"),
        n_countries=("country", "size"),
    )
    out["share_no_wgi"] = s.loc[~s["_has_wgi"]].groupby(keys_l)["share"].sum().reindex(out.index).fillna(0.0)
    out["hhi_wgi_t"] = hhi
    if missing_wgi == "nan":
        out.loc[out["share_no_wgi"] > 0, "hhi_wgi_t"] = np.nan
    return out


def stage_supply_risk(
    global_shares: pd.DataFrame,
    eu_shares: pd.DataFrame,
    wgi_scaled: pd.Series,
    stage_inputs: pd.DataFrame,
    *,
    missing_wgi: Literal["skip", "nan"] = "skip",
) -> pd.DataFrame:
    """SR per (material, stage) from supply shares, scaled WGI, t and the non-share inputs.

    Parameters
    ----------
    global_shares, eu_shares : tidy share tables (``material_id``, ``stage``, ``country``, ``share``, ``t``)
        of global supply and EU sourcing (EU members carry t = 0.8 in the 2023 data).
    wgi_scaled : scaled WGI by ISO3 (:func:`scaled_wgi_window`).
    stage_inputs : one row per (``material_id``, ``stage``) with ``case``, ``ir`` [0..1], ``eol_rir`` [0..1]
        and ``si_sr``.

    Returns
    -------
    ``stage_inputs`` plus ``hhi_gs``, ``hhi_eu``, ``sr`` and ``reason`` (``no_global_shares``,
    ``no_eu_shares``, ``no_ir``, ``no_si_sr``, ``partial_wgi`` — empty when complete).

    References
    ----------
    [1] pp. 48–51; methods §1.2, §1.3, §1.7, §1.16.
    """
    keys = ["material_id", "stage"]
    si = stage_inputs.copy()
    si["case"] = [normalise_case(c) for c in si["case"]]
    gs = hhi_wgi_t_long(global_shares, wgi_scaled, missing_wgi=missing_wgi)
    eu = hhi_wgi_t_long(eu_shares, wgi_scaled, missing_wgi=missing_wgi)
    idx = pd.MultiIndex.from_frame(si[keys])
    si["hhi_gs"] = gs["hhi_wgi_t"].reindex(idx).to_numpy()
    si["hhi_eu"] = eu["hhi_wgi_t"].reindex(idx).to_numpy()
    no_wgi = np.fmax(gs["share_no_wgi"].reindex(idx).to_numpy(), eu["share_no_wgi"].reindex(idx).to_numpy())
    si["sr"] = np.asarray(supply_risk(si["hhi_gs"].to_numpy(), si["hhi_eu"].to_numpy(), si["ir"].to_numpy(float),
                                      si["eol_rir"].to_numpy(float), si["si_sr"].to_numpy(float),
                                      si["case"].to_numpy()))
    case = si["case"].to_numpy()
    need_gs = case != "EU only"
    need_eu = case != "GS only"
    reason = np.full(len(si), "", dtype=object)
    reason = np.where(need_gs & si["hhi_gs"].isna().to_numpy(), "no_global_shares", reason)
    reason = np.where((reason == "") & need_eu & si["hhi_eu"].isna().to_numpy(), "no_eu_shares", reason)
    reason = np.where((reason == "") & (case == "GS+EU") & si["ir"].isna().to_numpy(), "no_ir", reason)
    reason = np.where((reason == "") & si["si_sr"].isna().to_numpy(), "no_si_sr", reason)
    reason = np.where((reason == "") & (np.nan_to_num(no_wgi) > 0), "partial_wgi", reason)
    si["share_no_wgi"] = no_wgi
    si["reason"] = reason
    return si
