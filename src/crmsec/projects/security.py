"""Supply-security contribution of a project (methods §6.5): secure tonnes, concentration change of the
sourcing mix (additive and displacement counterfactuals), ΔSR and the contribution to the CRMA 2030 benchmarks.

Pure functions over arrays/frames; no I/O. Concentration and governance building blocks come from
:mod:`crmsec.indicators` (one implementation), the SR formula from :mod:`crmsec.criticality.eu_method`.

References
----------
.. [1] crmsec methods spec §6.5 (security contribution), §1.2 (SR), §1.3 (HHI_WGI,t), §1.15 (CRMA benchmarks).
.. [2] Regulation (EU) 2024/1252 (Critical Raw Materials Act), Art. 5: 2030 benchmarks 10 % extraction,
   40 % processing, 25 % recycling of EU consumption; at most 65 % from a single third country.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import numpy as np
import pandas as pd

from crmsec.errors import InputError
from crmsec.indicators.concentration import hhi, shares
from crmsec.indicators.governance import hhi_wgi_t, pv_instability

Counterfactual = Literal["additive", "displacement"]

#: CRMA 2030 benchmarks [2]; direction "min" = value must reach at least the target, "max" = at most.
CRMA_TARGETS = pd.DataFrame(
    {
        "benchmark": ["extraction", "processing", "recycling", "diversification"],
        "target": [0.10, 0.40, 0.25, 0.65],
        "direction": ["min", "min", "min", "max"],
        "source": ["Regulation (EU) 2024/1252 Art. 5(1)(a)"] * 4,
    }
)


def host_instability(pv_estimate: float | np.ndarray, in_eea: bool | np.ndarray) -> np.ndarray:
    """Host-country risk g_host [0..1]: 0 inside the EU/EEA, else the GeoPolRisk instability
    g = clip((2.5 − PV)/5, 0, 1) of the WGI political-stability estimate (methods §6.5 item 1, §3.3).

    NaN when a third country has no PV estimate (never imputed here).
    """
    g = pv_instability(pv_estimate)
    return np.where(np.asarray(in_eea, dtype=bool), 0.0, g)


def secure_tonnes(
    quantity: np.ndarray | float,
    g_host: float | np.ndarray,
    *,
    availability: float | np.ndarray = 1.0,
    routed_to_eu: bool | np.ndarray = True,
) -> pd.DataFrame:
    """Gross and risk-adjusted secure tonnes per year (methods §6.5 item 1).

    .. math:: SecT_t = Q_t · avail_t · (1 − g_{host}) · 1[\\text{offtake routed to EU/NL}]

    Parameters
    ----------
    quantity : output Q_t [t/yr] (scalar or per year).
    g_host : host-country instability [0..1] (:func:`host_instability`).
    availability : expected availability/utilisation [0..1].
    routed_to_eu : whether the offtake reaches the EU/NL.

    Returns
    -------
    frame with ``gross_t`` (Q·avail·routed) and ``secure_t`` (risk-adjusted), reported separately.
    """
    q = np.atleast_1d(np.asarray(quantity, dtype=float))
    g = np.asarray(g_host, dtype=float)
    if np.any((g < 0) | (g > 1)):
        raise InputError(f"g_host must be in [0, 1], got {g_host!r}")
    gross = q * np.asarray(availability, dtype=float) * np.asarray(routed_to_eu, dtype=float)
    secure = gross * (1.0 - g)  # methods §6.5 item 1
    return pd.DataFrame({"gross_t": np.broadcast_to(gross, q.shape), "secure_t": np.broadcast_to(secure, q.shape)})


def mix_after(
    supply: Mapping[str, float] | pd.Series, quantity: float, host: str, *,
    counterfactual: Counterfactual = "additive", displaced: str | None = None,
) -> pd.Series:
    """Sourcing mix (t by supplier) after adding a project of ``quantity`` t/yr in ``host``.

    * additive: V'_host = V_host + Q, total V + Q (methods §6.5 item 2);
    * displacement: the dominant supplier ``displaced`` (default: the largest supplier other than the host)
      loses Q: V'_d = V_d − Q (total unchanged). If Q exceeds V_d, V'_d = 0 and the rest is additive.
    """
    s = pd.Series(supply, dtype=float)
    if (s < 0).any() or s.isna().any():
        raise InputError("sourcing mix quantities must be >= 0 and not missing")
    if quantity < 0:
        raise InputError(f"project quantity must be >= 0, got {quantity}")
    out = s.copy()
    out[host] = out.get(host, 0.0) + quantity
    if counterfactual == "displacement":
        d = displaced or s.drop(host, errors="ignore").idxmax()
        if d not in s.index:
            raise InputError(f"displaced supplier '{d}' is not in the sourcing mix {list(s.index)}")
        out[d] = max(s[d] - quantity, 0.0)  # methods §6.5 item 2 (displacement)
    elif counterfactual != "additive":
        raise InputError(f"counterfactual must be 'additive' or 'displacement', not {counterfactual!r}")
    return out


def concentration_change(
    supply: Mapping[str, float] | pd.Series,
    quantity: float,
    host: str,
    *,
    counterfactual: Counterfactual = "additive",
    displaced: str | None = None,
    third_countries: list[str] | None = None,
    wgi_scaled: Mapping[str, float] | pd.Series | None = None,
    trade_t: Mapping[str, float] | pd.Series | None = None,
) -> dict[str, float]:
    """ΔHHI, Δ largest (third-country) supplier share and ΔHHI_WGI,t of a sourcing mix (methods §6.5 item 2).

    Parameters
    ----------
    supply : tonnes by supplier (EU or NL sourcing mix).
    quantity : project output delivered to the mix [t/yr]; host : the project's supplier label.
    counterfactual, displaced : see :func:`mix_after`.
    third_countries : suppliers counted for the "largest single third-country share" (default: all
        suppliers except the host when the host is inside the EU — pass the list explicitly otherwise).
    wgi_scaled, trade_t : per-supplier scaled WGI [0..10] and trade variable t for HHI_WGI,t (optional).

    Returns
    -------
    dict with hhi_before/after, delta_hhi, largest_share_before/after, delta_largest_share and, when
    ``wgi_scaled`` is given, hhi_wgi_t_before/after and delta_hhi_wgi_t.

    Examples
    --------
    Methods §6.5: CN 600, AU 250, CL 100, other 50 t; a 100 t EU project: HHI 0.435 → 0.368 (additive)
    or 0.335 (displacing China); China's share 0.600 → 0.545 or 0.500.
    """
    before = pd.Series(supply, dtype=float)
    after = mix_after(before, quantity, host, counterfactual=counterfactual, displaced=displaced)
    before = before.reindex(after.index, fill_value=0.0)
    sh_b = shares(before.to_numpy())
    sh_a = shares(after.to_numpy())
    third = third_countries if third_countries is not None else [c for c in after.index if c != host]
    mask = after.index.isin(third)
    out = {
        "hhi_before": float(hhi(sh_b)),
        "hhi_after": float(hhi(sh_a)),
        "largest_share_before": float(np.max(sh_b[mask])) if mask.any() else float("nan"),
        "largest_share_after": float(np.max(sh_a[mask])) if mask.any() else float("nan"),
    }
    out["delta_hhi"] = out["hhi_after"] - out["hhi_before"]
    out["delta_largest_share"] = out["largest_share_after"] - out["largest_share_before"]
    if wgi_scaled is not None:
        w = pd.Series(wgi_scaled, dtype=float).reindex(after.index)
        t = pd.Series(trade_t, dtype=float).reindex(after.index).fillna(1.0) if trade_t is not None else 1.0
        tt = t.to_numpy() if isinstance(t, pd.Series) else t
        out["hhi_wgi_t_before"] = float(hhi_wgi_t(sh_b, w.to_numpy(), tt))
        out["hhi_wgi_t_after"] = float(hhi_wgi_t(sh_a, w.to_numpy(), tt))
        out["delta_hhi_wgi_t"] = out["hhi_wgi_t_after"] - out["hhi_wgi_t_before"]
    return out


def delta_supply_risk(
    hhi_gs: float, hhi_eu_before: float, hhi_eu_after: float, ir_before: float, ir_after: float,
    eol_rir: float, si_sr: float,
) -> dict[str, float]:
    """ΔSR of the EU method when a project changes the EU sourcing mix and import reliance (methods §6.5 item 3).

    SR = [HHI_GS·IR/2 + HHI_EU·(1 − IR/2)]·(1 − EoL_RIR)·SI_SR (methods §1.2), evaluated by
    :func:`crmsec.criticality.eu_method.supply_risk` before and after.
    """
    from crmsec.criticality.eu_method import supply_risk

    sr_b = float(supply_risk(hhi_gs, hhi_eu_before, ir_before, eol_rir, si_sr))
    sr_a = float(supply_risk(hhi_gs, hhi_eu_after, ir_after, eol_rir, si_sr))
    return {"sr_before": sr_b, "sr_after": sr_a, "delta_sr": sr_a - sr_b}


def import_reliance_after(production: float, imports: float, exports: float, quantity: float,
                          counterfactual: Counterfactual = "displacement") -> tuple[float, float]:
    """Import reliance before/after an EU project adds ``quantity`` t of domestic production.

    IR = (I − X)/(P + I − X) (methods §1.6). Displacement: imports fall by Q (consumption unchanged);
    additive: consumption rises by Q. Returns (IR_before, IR_after).
    """
    from crmsec.criticality.eu_method import import_reliance

    before = float(import_reliance(production, imports, exports))
    if counterfactual == "displacement":
        after = float(import_reliance(production + quantity, max(imports - quantity, 0.0), exports))
    else:
        after = float(import_reliance(production + quantity, imports, exports))
    return before, after


def benchmark_contribution(benchmarks: pd.DataFrame, deltas: pd.DataFrame) -> pd.DataFrame:
    """Share of the gap to each CRMA 2030 benchmark that a project (or portfolio) closes (methods §6.5 item 4).

    Parameters
    ----------
    benchmarks : frame ``material_id, benchmark, value, target`` (current benchmark indicator B and target;
        ``benchmark`` in extraction / processing / recycling / diversification).
    deltas : frame ``material_id, benchmark, delta`` — the project's ΔB (e.g. Q_proc / C_EU from
        :func:`benchmark_deltas`; for diversification the change of the largest third-country share,
        negative = improvement).

    Returns
    -------
    frame with ``gap`` (max(0, target − value) for minimum benchmarks, max(0, value − target) for the
    diversification ceiling), ``delta`` and ``gap_closed`` = improvement / gap; NaN with ``reason``
    ``target_met`` when there is no gap, ``no_value`` when the current value is missing.
    """
    need = {"material_id", "benchmark", "value", "target"}
    if not need <= set(benchmarks.columns):
        raise InputError(f"benchmarks frame needs columns {sorted(need)}, has {list(benchmarks.columns)}")
    if not {"material_id", "benchmark", "delta"} <= set(deltas.columns):
        raise InputError("deltas frame needs columns material_id, benchmark, delta")
    unknown = set(benchmarks["benchmark"]) - set(CRMA_TARGETS["benchmark"])
    if unknown:
        raise InputError(f"unknown benchmark(s) {sorted(unknown)}; use {list(CRMA_TARGETS['benchmark'])}")
    f = benchmarks.merge(deltas, on=["material_id", "benchmark"], how="left")
    f["delta"] = f["delta"].fillna(0.0)
    ceiling = (f["benchmark"] == "diversification").to_numpy()
    value = f["value"].to_numpy(dtype=float)
    target = f["target"].to_numpy(dtype=float)
    gap = np.where(ceiling, np.maximum(0.0, value - target), np.maximum(0.0, target - value))
    improvement = np.where(ceiling, -f["delta"].to_numpy(dtype=float), f["delta"].to_numpy(dtype=float))
    with np.errstate(divide="ignore", invalid="ignore"):
        closed = np.where(gap > 0, improvement / gap, np.nan)  # ΔB / max(0, target − B), methods §6.5 item 4
    reason = np.where(np.isnan(value), "no_value", np.where(gap > 0, "", "target_met"))
    f["gap"] = np.where(np.isnan(value), np.nan, gap)
    f["gap_closed"] = closed
    f["reason"] = reason
    return f[["material_id", "benchmark", "value", "target", "gap", "delta", "gap_closed", "reason"]]


def benchmark_deltas(material_id: str, quantity_by_stage: Mapping[str, float], consumption_t: float) -> pd.DataFrame:
    """ΔB per stage = Q_stage / C_EU (methods §6.5 item 4) for an EU project.

    ``quantity_by_stage`` maps extraction / processing / recycling to contained tonnes per year;
    ``consumption_t`` is EU apparent consumption C_EU [t/yr, contained] (NaN result when not > 0).
    """
    rows = []
    for stage, q in quantity_by_stage.items():
        if stage not in ("extraction", "processing", "recycling"):
            raise InputError(f"stage '{stage}': a project adds capacity at extraction, processing or recycling")
        delta = q / consumption_t if consumption_t and consumption_t > 0 else float("nan")
        rows.append({"material_id": material_id, "benchmark": stage, "delta": delta})
    return pd.DataFrame(rows, columns=["material_id", "benchmark", "delta"])


def shares_after(
    shares: pd.DataFrame, q_share: float, host: str, *, host_t: float = 1.0,
    counterfactual: Counterfactual = "displacement", displaced: str | None = None,
) -> pd.DataFrame:
    """A tidy share table (``country``, ``share``, ``t``, …) of ONE mix after a project adds ``q_share``.

    ``q_share`` is the project's output as a fraction of the mix's volume S (q = Q / S). Shares are treated as
    volumes in units of S (they may sum to slightly less than 1 when small suppliers are not listed; that
    coverage is kept, never re-normalised away). Additive: v_host += q, total 1 + q; displacement: the
    dominant supplier ``displaced`` (default: the largest other than the host) loses q (not below 0) and the
    host gains q, total 1 + q − moved (methods §6.5 item 2).
    """
    if q_share < 0 or not np.isfinite(q_share):
        raise InputError(f"project share of the mix must be a finite number >= 0, got {q_share!r}")
    s = shares.copy()
    key_cols = [c for c in s.columns if c not in ("country", "share", "t", "share_flag", "source")]
    template = s.iloc[0][key_cols].to_dict() if len(s) else {}
    if counterfactual == "additive":
        moved = 0.0
    elif counterfactual == "displacement":
        d = displaced or s.loc[s["country"] != host].sort_values("share", ascending=False)["country"].iloc[0]
        if d not in set(s["country"]):
            raise InputError(f"displaced supplier '{d}' is not in the mix")
        moved = min(q_share, float(s.loc[s["country"] == d, "share"].sum()))
        s.loc[s["country"] == d, "share"] -= moved  # V'_d = V_d − Q
    else:
        raise InputError(f"counterfactual must be 'additive' or 'displacement', not {counterfactual!r}")
    if host in set(s["country"]):
        s.loc[s["country"] == host, "share"] += q_share
    else:
        s = pd.concat([s, pd.DataFrame([{**template, "country": host, "share": q_share, "t": host_t}])],
                      ignore_index=True)
    s["share"] = s["share"] / (1.0 + q_share - moved)
    return s


def project_delta_sr(
    global_shares: pd.DataFrame,
    eu_shares: pd.DataFrame,
    wgi_scaled: pd.Series,
    stage_inputs: pd.DataFrame,
    *,
    material_id: str,
    stage: str,
    q_share: float,
    host: str,
    host_in_eu: bool,
    counterfactual: Counterfactual = "displacement",
    displaced: str | None = None,
    host_t: float | None = None,
    eu_t: float = 0.8,
    eu_members: set[str] | None = None,
) -> dict[str, object]:
    """ΔSR of the EU method for a project supplying ``q_share`` of EU sourcing at a stage (methods §6.5 item 3).

    The EU sourcing mix changes as in :func:`shares_after`; import reliance changes with domestic
    production (S ≈ apparent consumption C, q = Q/C):

    * EU host, displacement (consumption unchanged, imports fall by Q): IR' = max(IR − q, 0);
    * EU host, additive (consumption grows by Q): IR' = IR / (1 + q);
    * non-EU host, displacement: IR' = IR (one import source replaces another);
    * non-EU host, additive: IR' = (IR + q) / (1 + q).

    With displacement, the displaced supplier defaults to the largest third-country supplier of the EU mix
    (``eu_members`` = the EU-27 ISO3 codes; the policy case of a project replacing the dominant third
    country). The global mix is left unchanged (a single project rarely moves world shares; pass modified
    ``global_shares`` to include it). SR is evaluated by :func:`crmsec.criticality.eu_method.stage_supply_risk`
    before and after (one implementation of the SR formula, methods §1.2).
    """
    from crmsec.criticality.eu_method import stage_supply_risk

    key = (stage_inputs["material_id"] == material_id) & (stage_inputs["stage"] == stage)
    if not key.any():
        have = sorted(stage_inputs.loc[stage_inputs["material_id"] == material_id, "stage"])
        raise InputError(f"no SR inputs for {material_id} at stage {stage}; assessed stages: {have or 'none'}")
    inp = stage_inputs[key].iloc[[0]].reset_index(drop=True)
    sel = lambda f: f[(f["material_id"] == material_id) & (f["stage"] == stage)]  # noqa: E731
    gs, eu = sel(global_shares), sel(eu_shares)
    if eu.empty:
        raise InputError(f"no EU sourcing shares for {material_id} at stage {stage}")
    t_host = host_t if host_t is not None else (eu_t if host_in_eu else float(
        eu.loc[eu["country"] == host, "t"].iloc[0]) if (eu["country"] == host).any() else 1.0)
    if displaced is None and counterfactual == "displacement" and eu_members is not None:
        third = eu.loc[~eu["country"].isin(eu_members | {host})].sort_values("share")
        displaced = str(third["country"].iloc[-1]) if len(third) else None
    eu_after = shares_after(eu, q_share, host, host_t=t_host, counterfactual=counterfactual, displaced=displaced)
    ir = float(inp["ir"].iloc[0])
    if host_in_eu:
        ir_after = max(ir - q_share, 0.0) if counterfactual == "displacement" else ir / (1 + q_share)
    else:
        ir_after = ir if counterfactual == "displacement" else (ir + q_share) / (1 + q_share)
    before = stage_supply_risk(gs, eu, wgi_scaled, inp)
    after = stage_supply_risk(gs, eu_after, wgi_scaled, inp.assign(ir=ir_after))
    outside = eu.loc[~eu["country"].isin((eu_members or set()) | {host})]
    lead_b = (outside if len(outside) else eu.loc[eu["country"] != host]).sort_values("share").iloc[-1]
    lead_a_share = float(eu_after.loc[eu_after["country"] == lead_b["country"], "share"].sum())
    return {
        "material_id": material_id, "stage": stage, "counterfactual": counterfactual, "host": host,
        "q_share": q_share, "case": before["case"].iloc[0],
        "hhi_eu_before": float(before["hhi_eu"].iloc[0]), "hhi_eu_after": float(after["hhi_eu"].iloc[0]),
        "ir_before": ir, "ir_after": ir_after,
        "sr_before": float(before["sr"].iloc[0]), "sr_after": float(after["sr"].iloc[0]),
        "delta_sr": float(after["sr"].iloc[0] - before["sr"].iloc[0]),
        "displaced": displaced if counterfactual == "displacement" else None,
        "leading_supplier": lead_b["country"], "leading_share_before": float(lead_b["share"]),
        "leading_share_after": lead_a_share,
        "reason": after["reason"].iloc[0],
    }
