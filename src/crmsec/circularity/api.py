"""Public API of the circularity model: NL urban mine of batteries → secondary supply of CRMs.

:func:`run` returns the tidy flow frame (t contained element; graphite as material) with registry material ids;
:func:`secondary_supply` the per-material, per-year supply with its share of consumption and its contribution to
the CRMA 25 % recycling benchmark (NaN with a reason where the store has no consumption figure).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from crmsec.circularity.inputs import (
    NO_FLOW_MATERIALS,
    build_products,
    recovery_rates,
    recycled_content_minima,
)
from crmsec.circularity.model import ProductResult, mass_balance_residual, run_product
from crmsec.errors import DataError

BALANCE_TOL = 1e-9  # relative (flows scaled by the largest inflow)
FLOWS = ("put_on_market", "in_use_stock", "end_of_life", "collected", "not_collected", "process_loss",
         "secondary_supply")
REASON_NO_FLOW = ("no_product_flow: no NL put-on-market or content data for magnet-bearing products "
                  "(EV motors, wind turbines, phones) in the vendored data")
REASON_NO_CONSUMPTION = "no_consumption: no consumption figure in the store or input"


@dataclass(frozen=True)
class CircularityResult:
    """Flows (tidy), unit-level product flows, the max mass-balance residual and the assumptions used."""

    scenario: str
    flows: pd.DataFrame
    products: pd.DataFrame
    balance_residual: float


def _names() -> pd.Series:
    from crmsec.registry import materials

    return materials().set_index("material_id")["name_en"]


def run(scenario: str = "baseline", until: int = 2050, pom_growth: float = 0.0) -> CircularityResult:
    """Run every product system and return the tidy flows.

    Columns of ``flows``: scenario, year, product, material_id, material, flow, value, unit (t or t/yr), basis,
    inflow_basis (label of the put-on-market figure of that year), reason. ``pom_growth`` [fraction/yr]: growth
    of products put on the market after the last NL figure (default 0: held constant; see
    :func:`~crmsec.circularity.inputs.build_products`).
    Raises DataError when the mass balance does not close (relative residual > 1e-9).
    """
    products, years = build_products(scenario, until, pom_growth)
    recovery, no_rate = recovery_rates(scenario, years)
    names = _names()
    frames, unit_rows, worst = [], [], 0.0
    for p in products:
        r: ProductResult = run_product(p, years, recovery)
        res = mass_balance_residual(r)
        worst = max(worst, res)
        if not res <= BALANCE_TOL:
            raise DataError(f"mass balance of {p.name} does not close (relative residual {res:.2e})")
        unit_rows.append(pd.DataFrame({
            "scenario": scenario, "year": years, "product": p.name, "unit": p.unit,
            "put_on_market": r.inflow, "in_use_stock": r.stock, "end_of_life": r.outflow,
            "collected_share_of_eol": r.collected_share, "collection_capped": r.capped,
            "collection_rate_input": p.collection_rate, "collection_rate_basis": p.collection_basis,
            "inflow_basis": p.inflow_basis, "lifetime": p.lifetime.source}))
        arrays = {"put_on_market": r.el_inflow, "in_use_stock": r.el_stock, "end_of_life": r.el_outflow,
                  "collected": r.el_collected, "not_collected": r.el_not_collected,
                  "process_loss": r.el_process_loss, "secondary_supply": r.el_recovered}
        for j, m in enumerate(r.elements):
            for flow, arr in arrays.items():
                reason = no_rate.get(m, "") if flow in ("process_loss", "secondary_supply") else ""
                frames.append(pd.DataFrame({
                    "scenario": scenario, "year": years, "product": p.name, "material_id": m,
                    "flow": flow, "value": arr[:, j], "unit": "t" if flow == "in_use_stock" else "t/yr",
                    "inflow_basis": p.inflow_basis, "reason": np.where(np.isnan(arr[:, j]), reason, "")}))
    for m in NO_FLOW_MATERIALS:
        frames.append(pd.DataFrame({"scenario": scenario, "year": years, "product": "all", "material_id": m,
                                    "flow": "secondary_supply", "value": np.nan, "unit": "t/yr",
                                    "inflow_basis": "", "reason": REASON_NO_FLOW}))
    flows = pd.concat(frames, ignore_index=True)
    flows.insert(4, "material", flows["material_id"].map(names))
    flows.insert(flows.columns.get_loc("unit") + 1, "basis",
                 np.where(flows["material_id"] == "graphite", "contained (graphite as material)",
                          "contained element"))
    return CircularityResult(scenario=scenario, flows=flows, products=pd.concat(unit_rows, ignore_index=True),
                             balance_residual=worst)


def _crma_recycling(con) -> pd.DataFrame:
    from crmsec.crma import crma_table

    t = crma_table(con)
    t = t[t["benchmark"] == "recycling"].drop_duplicates("material_id").set_index("material_id")
    return t[["value", "target", "reason"]].rename(columns={"value": "crma_recycling_eu", "target": "crma_target",
                                                            "reason": "crma_reason"})


def secondary_supply(result: CircularityResult, con=None, consumption: pd.DataFrame | None = None) -> pd.DataFrame:
    """Secondary supply [t/yr contained] by material and year (all products summed), with coverage figures.

    ``consumption`` (optional drop-in): columns material_id, region (NL or EU27), year, tonnes (same basis).
    share_nl_consumption = supply / NL consumption; crma_contribution = supply / EU27 consumption — the NL
    urban mine's contribution to the CRMA Art. 5(1)(a)(iii) benchmark (25 % of EU consumption from recycling).
    Without a consumption figure both are NaN with reason ``no_consumption``.
    share_of_nl_battery_pom = supply / contained element in batteries put on the NL market in the same year
    (the embedded NL battery consumption), shown next to ``recycled_content_minimum`` (Reg. (EU) 2023/1542
    Art. 8, from its deadline year; indicative comparison only). ``crma_recycling_eu`` is the
    EU-wide recycling figure of :func:`crmsec.crma.crma_table` (EoL-RIR) where the store has it.
    """
    return _secondary_supply(result, _crma_recycling(con) if con is not None else None, consumption)


def _secondary_supply(result: CircularityResult, crma: pd.DataFrame | None,
                      consumption: pd.DataFrame | None) -> pd.DataFrame:
    """:func:`secondary_supply` with the CRMA recycling frame (``_crma_recycling``) given, or None (no store)."""
    f = result.flows
    # sum over products keeping NaN when any product's value is NaN (never a silent 0)
    sums = f.groupby(["material_id", "year", "flow"])["value"].apply(lambda s: s.sum(min_count=len(s)))
    wide = sums.unstack("flow")
    out = wide.reindex(columns=[c for c in FLOWS if c in wide.columns]).reset_index()
    out = out.rename(columns={c: f"{c}_t" for c in FLOWS})
    out.insert(0, "scenario", result.scenario)
    out.insert(2, "material", out["material_id"].map(_names()))
    reasons = f[f["reason"] != ""].drop_duplicates("material_id").set_index("material_id")["reason"]
    out["reason"] = out["material_id"].map(reasons).fillna("")
    # own-market coverage: secondary supply / contained element in batteries put on the NL market that year,
    # set against the Art. 8 recycled-content minima (indicative: the minima apply to active materials of
    # EV/SLI/industrial (and later LMT) batteries, not to the whole NL battery market)
    out["share_of_nl_battery_pom"] = out["secondary_supply_t"] / out["put_on_market_t"]
    yrs = np.sort(out["year"].unique())
    minima = recycled_content_minima(yrs)
    out["recycled_content_minimum"] = [
        float(minima[m][np.searchsorted(yrs, y)]) if m in minima else np.nan
        for m, y in zip(out["material_id"], out["year"], strict=True)]
    missing_regions = []
    cons = consumption if consumption is not None else pd.DataFrame(columns=["material_id", "region", "year",
                                                                             "tonnes"])
    for region, col in (("NL", "share_nl_consumption"), ("EU27", "crma_contribution")):
        c = cons[cons["region"] == region].set_index(["material_id", "year"])["tonnes"]
        denom = pd.Series(list(zip(out["material_id"], out["year"], strict=True))).map(c).astype(float).to_numpy()
        out[col] = out["secondary_supply_t"].to_numpy() / denom
        missing_regions.append(np.isnan(denom) & out["secondary_supply_t"].notna().to_numpy())
    for miss, label in ((missing_regions[0] & missing_regions[1], "NL, EU27"),
                        (missing_regions[0] & ~missing_regions[1], "NL"),
                        (~missing_regions[0] & missing_regions[1], "EU27")):
        out.loc[miss, "reason"] = f"{REASON_NO_CONSUMPTION} ({label})"
    if crma is not None:
        out = out.merge(crma, left_on="material_id", right_index=True, how="left")
    else:
        out["crma_recycling_eu"], out["crma_target"], out["crma_reason"] = np.nan, np.nan, "no_store"
    out["crma_reason"] = out["crma_reason"].fillna("not a strategic raw material in crma_table")
    return out


def write_outputs(out_dir: Path, con, store: Path | None = None) -> list[Path]:
    """Main-job step: flows, secondary supply and assumptions for both scenarios into ``out_dir/circularity``."""
    from crmsec.circularity.inputs import assumptions
    from crmsec.output import write_frame

    crma = _crma_recycling(con) if con is not None else None  # the same for every scenario
    d = Path(out_dir) / "circularity"
    d.mkdir(parents=True, exist_ok=True)
    paths = []
    for scen in ("baseline", "targets"):
        res = run(scen, 2050)
        for name, frame in ((f"flows_{scen}.csv", res.flows), (f"products_{scen}.csv", res.products),
                            (f"secondary_supply_{scen}.csv", _secondary_supply(res, crma, None))):
            write_frame(frame, d / name)
            paths.append(d / name)
    write_frame(assumptions(), d / "assumptions.csv")
    paths.append(d / "assumptions.csv")
    return paths
