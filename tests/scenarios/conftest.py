"""Small in-memory engine inputs (hand-checkable numbers; not real data)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from crmsec.scenarios.engine import SupplyInputs
from crmsec.scenarios.inputs import chokepoint_table, exposure_params

EU = frozenset({"DEU", "FRA", "NLD"})


def _mix(material: str, stage: str, shares: dict[str, float]) -> list[dict]:
    return [{"material_id": material, "stage": stage, "country": c, "share": s} for c, s in shares.items()]


@pytest.fixture(scope="module")
def toy_inputs() -> SupplyInputs:
    rows = (
        _mix("gallium", "processing", {"CHN": 0.69, "DEU": 0.02, "GBR": 0.09, "USA": 0.10})
        + _mix("neodymium", "extraction", {"CHN": 0.43, "AUS": 0.30, "USA": 0.16})
        + _mix("neodymium", "processing", {"CHN": 0.85, "MYS": 0.11, "DEU": 0.02})
        + _mix("neodymium", "component", {"CHN": 0.90})
        + _mix("helium", "processing", {"DZA": 0.29, "QAT": 0.34, "USA": 0.21, "POL": 0.05})
    )
    eu = pd.DataFrame(rows).assign(region="EU27", mix_basis="toy")
    mixes = pd.concat([eu, eu.assign(region="NLD", mix_basis="eu27_sourcing_proxy")], ignore_index=True)
    world = pd.DataFrame([
        {"material_id": "aluminium", "stage": "processing", "country": c, "quantity": q, "unit": "kt"}
        for c, q in {"CHN": 41000, "BHR": 1600, "ARE": 2700, "OMN": 400, "IND": 4100, "NOR": 1300}.items()
    ] + [
        {"material_id": "helium", "stage": "extraction", "country": c, "quantity": q, "unit": "mcm"}
        for c, q in {"USA": 79, "QAT": 66, "DZA": 10, "RUS": 8}.items()
    ] + [
        {"material_id": "neodymium", "stage": "processing", "country": c, "quantity": q, "unit": "t"}
        for c, q in {"CHN": 90, "MYS": 8, "EST": 2}.items()
    ])
    consumption = pd.DataFrame([
        {"region": "EU27", "material_id": "gallium", "consumption": 100.0, "unit": "t"},
        {"region": "NLD", "material_id": "gallium", "consumption": 5.0, "unit": "t"},
        {"region": "EU27", "material_id": "aluminium", "consumption": 9000.0, "unit": "kt"},
        {"region": "NLD", "material_id": "helium", "consumption": math.nan, "unit": "mcm",
         "reason": "no_consumption: toy"},
    ])
    sector_use = pd.DataFrame([
        {"region": "EU27", "material_id": "gallium", "nace": "C26", "use_share": 1.0, "va_meur": 1000.0, "va_basis": "toy"},
        {"region": "NLD", "material_id": "gallium", "nace": "C26", "use_share": 1.0, "va_meur": math.nan, "va_basis": ""},
        {"region": "EU27", "material_id": "neodymium", "nace": "C29", "use_share": 1.0, "va_meur": 500.0, "va_basis": "toy"},
    ])
    members = {"EU27": EU, "NLD": frozenset({"NLD"}), "EUROPE": EU | {"GBR"}}
    return SupplyInputs(mixes=mixes, world=world, consumption=consumption, sector_use=sector_use,
                        params=exposure_params(), chokepoints=chokepoint_table(), members=members)
