"""Archetype business cases for registry projects that have no case of their own (issue 15).

None of the 60 CRMA Strategic Projects publishes a business case. So that every seeded project can be
appraised from the page and the CLI, :func:`archetype_case` builds a case from the project's registry
fields (main material, value-chain stages, capacity and capex where the source gives them) and two
labelled assumption tables next to this module:

* ``archetypes.csv`` — one row per project type (mine, integrated mine+refinery, refinery, recycler,
  component/substitute plant): construction and life years, capital intensity (capex ÷ annual revenue at
  the reference price), feed and cash-cost shares of revenue, ramp-up, debt share. Evidence tag ``D``:
  design assumptions of crmsec, not published figures.
* ``archetype_materials.csv`` — per material: the price series of ``data/raw/prices`` that sets the
  reference price p0 (latest year of the latest vintage, converted to EUR/t) and its annual log-change
  volatility, and an archetype plant size used when the registry has no usable capacity (``D``).

Every case built here is named "… — archetype …, not the promoter's figures" and :func:`archetype_notes`
lists what was assumed; an analyst replaces it by storing the project's own case. A project whose
registry record names no material has no archetype: :class:`~crmsec.errors.InputError` says to add a case.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from crmsec.errors import DataError, InputError

HERE = Path(__file__).resolve().parent
ARCHETYPES = HERE / "archetypes.csv"
MATERIALS = HERE / "archetype_materials.csv"

#: ECB euro reference rate, annual average 2024: 1 EUR = 1.0824 USD (ECB Statistical Data Warehouse,
#: series EXR.A.USD.EUR.SP00.A). Used only to turn the USD reference prices into EUR.
USD_PER_EUR = 1.0824
#: volatility when a price series has fewer than three annual values (design assumption, evidence D)
DEFAULT_SIGMA = 0.30
#: unit → factor to USD per tonne of the priced content (1 mtu = 10 kg of contained WO3/Mn)
_MTU = {"USD/mtu WO3": 100.0, "USD/mtu Mn": 100.0}


@lru_cache(maxsize=1)
def archetype_table() -> pd.DataFrame:
    """The project-type assumptions (``archetypes.csv``)."""
    return pd.read_csv(ARCHETYPES)


@lru_cache(maxsize=1)
def material_table() -> pd.DataFrame:
    """The per-material reference price series and archetype plant sizes (``archetype_materials.csv``)."""
    return pd.read_csv(MATERIALS)


@lru_cache(maxsize=32)
def reference_price(series: str) -> dict[str, Any]:
    """Latest nominal price of ``series`` in EUR/t, its year, source and annual log-change sd."""
    from crmsec.projects.data import _TO_USD_PER_T, _read_annual_all

    annual = _read_annual_all()
    sub = annual[(annual["commodity"] == series) & (annual["latest_vintage"] == "yes")
                 & (annual["real_or_nominal"].fillna("nominal") == "nominal")].sort_values("year")
    if sub.empty:
        raise DataError(f"no annual price series '{series}' in data/raw/prices",
                        hint="fix archetype_materials.csv next to crmsec/projects/archetypes.py")
    unit = str(sub["unit"].iloc[-1])
    factor = {**_TO_USD_PER_T, **_MTU}.get(unit)
    if factor is None:
        raise DataError(f"price series '{series}' is in {unit!r}, which has no conversion to USD/t")
    p = sub["price"].to_numpy(dtype=float) * factor
    tail = p[-10:]
    sigma = float(np.std(np.diff(np.log(tail)), ddof=1)) if tail.size > 2 else DEFAULT_SIGMA
    return {"p0": float(p[-1]) / USD_PER_EUR, "year": int(sub["year"].iloc[-1]), "sigma": sigma,
            "source": str(sub["source"].iloc[-1]), "series": series}


def _archetype_of(stages: list[str]) -> tuple[str, bool]:
    """Project type from the registry stages; (type, assumed) — a project without a stage is a refinery."""
    s = {x.strip().lower() for x in stages if x}
    if not s:
        return "refinery", True
    if "recycling" in s:
        return "recycler", False
    if s & {"manufacturing", "substitution"}:
        return "component", False
    if "extraction" in s and "processing" in s:
        return "integrated", False
    if "extraction" in s:
        return "mine", False
    return "refinery", False


def _usable_capacity(rec: dict[str, Any]) -> float | None:
    """The registry capacity when it is a product rate in t/yr (not ore or black-mass throughput)."""
    cap, unit = rec.get("capacity"), str(rec.get("capacity_unit") or "")
    if cap is None or not np.isfinite(float(cap)) or float(cap) <= 0:
        return None
    if not unit.startswith("t/yr") or any(w in unit for w in ("ore", "black mass", "throughput")):
        return None
    return float(cap)


def archetype_inputs(rec: dict[str, Any]) -> dict[str, Any]:
    """What the archetype case of a registry record rests on (raises InputError when there is none)."""
    mats = material_table().set_index("material_id")
    main = next((m for m in rec.get("materials") or [] if m in mats.index), None)
    if main is None:
        named = ", ".join(rec.get("materials") or []) or "none"
        raise InputError(f"project '{rec.get('code')}' has no business case and no archetype for its materials "
                         f"({named}); add the project's own case (YAML/XLSX template on the project page)")
    kind, assumed_stage = _archetype_of(list(rec.get("stages") or []))
    arch = archetype_table().set_index("archetype").loc[kind]
    mrow = mats.loc[main]
    price = reference_price(str(mrow["price_series"]))
    cap = _usable_capacity(rec)
    capex_meur = rec.get("capex_meur")
    return {"material_id": main, "product": str(mrow["product"]), "archetype": kind,
            "stage_assumed": assumed_stage, "capacity_t": cap if cap is not None else float(mrow["reference_capacity_t"]),
            "capacity_from_registry": cap is not None,
            "capex_meur": float(capex_meur) if capex_meur is not None and np.isfinite(float(capex_meur)) else None,
            "price": price, "assumptions": arch.to_dict()}


def archetype_case(rec: dict[str, Any]) -> dict[str, Any]:
    """A case dict (:class:`crmsec.projects.case.Case` layout) for a registry record without its own case."""
    from crmsec.projects.case import production_profile

    inp = archetype_inputs(rec)
    a = inp["assumptions"]
    build, life = int(a["construction_years"]), int(a["life_years"])
    n_years = build + life
    ramp = tuple(float(x) for x in str(a["ramp"]).split(";"))
    q = production_profile(inp["capacity_t"], n_years, build, ramp)
    p0 = inp["price"]["p0"]
    revenue = inp["capacity_t"] * p0
    capex_total = inp["capex_meur"] * 1e6 if inp["capex_meur"] is not None else float(a["capital_intensity"]) * revenue
    capex = [capex_total / build if t < build else 0.0 for t in range(n_years + 1)]
    start = rec.get("start_year")
    hosts = rec.get("countries") or []
    return {
        "name": f"{rec.get('code')} — archetype {inp['archetype']}, not the promoter's figures",
        "n_years": n_years,
        "start_year": int(start) - build if start else 2026,
        "products": [{
            "name": inp["material_id"], "quantity": list(q),
            "price": {"kind": "gbm", "p0": p0, "sigma": inp["price"]["sigma"], "mu": 0.0, "unit": "EUR/t",
                      "source": f"{inp['price']['source']}, {inp['price']['series']} {inp['price']['year']} "
                                f"(archetype reference price)"},
            "feed_cost_share": float(a["feed_cost_share"]),
        }],
        "capex": capex,
        "opex_variable": float(a["opex_variable_share"]) * p0,
        "opex_fixed": float(a["opex_fixed_share"]) * revenue,
        "depreciation_years": min(life, 15),
        "debt": {"share": float(a["debt_share"])},
        "host_country": hosts[0] if hosts else None,
        "material_id": inp["material_id"],
        "stage": {"mine": "extraction", "integrated": "processing", "refinery": "processing",
                  "recycler": "recycling", "component": "manufacturing"}[inp["archetype"]],
    }


def archetype_notes(rec: dict[str, Any]) -> list[str]:
    """Plain-English statements of what the archetype case of ``rec`` assumed (for pages and reports)."""
    inp = archetype_inputs(rec)
    a, pr = inp["assumptions"], inp["price"]
    out = [f"archetype '{inp['archetype']}' (evidence {a['evidence']}: {a['source']}); not the promoter's figures",
           f"main product {inp['product']}: reference price {pr['p0']:,.0f} EUR/t ({pr['series']}, {pr['year']}, "
           f"{pr['source']}; 1 EUR = {USD_PER_EUR} USD), volatility {pr['sigma']:.2f}/yr"]
    out.append(f"capacity {inp['capacity_t']:,.0f} t/yr " + ("from the registry" if inp["capacity_from_registry"]
                                                            else "(archetype plant size, registry gives none)"))
    out.append(f"capex {inp['capex_meur']:,.0f} M EUR from the registry" if inp["capex_meur"] is not None
               else f"capex {a['capital_intensity']} × annual revenue at the reference price (archetype)")
    if inp["stage_assumed"]:
        out.append("stage not stated in the source: refinery assumed")
    others = [m for m in rec.get("materials") or [] if m != inp["material_id"]]
    if others:
        out.append(f"other materials not valued: {', '.join(others)}")
    return out
