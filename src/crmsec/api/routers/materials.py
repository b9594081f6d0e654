"""Materials and factsheets (from the vintage store)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from crmsec.api import engines, services
from crmsec.api.deps import LangDep, StoreDep
from crmsec.api.meta import api_meta
from crmsec.api.models import (
    CriticalityRowPublic,
    FactsheetPublic,
    MaterialPublic,
    MaterialsPublic,
    Problem,
    ProducerSharePublic,
    ProvenancePublic,
    SourcePublic,
    TradePartnerPublic,
    TrendPointPublic,
)

router = APIRouter(prefix="/api/v1/materials", tags=["materials"])
MaterialId = Annotated[str, Path(pattern=r"^[a-z0-9_]{1,64}$", description="registry material_id")]


def _flag(value: object) -> bool | None:
    if value is None:
        return None
    try:
        return bool(int(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def material_public(row: dict) -> MaterialPublic:
    stages = row.get("stages") or ""
    return MaterialPublic(
        material_id=row["material_id"],
        name_en=row.get("name_en") or row["material_id"],
        name_nl=row.get("name_nl"),
        eu_crm_2023=_flag(row.get("eu_crm_2023")),
        crma_strategic=_flag(row.get("crma_strategic")),
        crma_critical=_flag(row.get("crma_critical")),
        stages=[s for s in str(stages).replace(",", ";").split(";") if s],
    )


@router.get("", response_model=MaterialsPublic)
def list_materials(con: StoreDep) -> MaterialsPublic:
    """All materials of the registry with their EU/CRMA list membership."""
    data = [material_public(r) for r in services.records(services.materials(con))]
    return MaterialsPublic(data=data, count=len(data), meta=api_meta())


@router.get("/{material_id}", response_model=MaterialPublic, responses={404: {"model": Problem}})
def get_material(material_id: MaterialId, con: StoreDep) -> MaterialPublic:
    return material_public(services.material(con, material_id))


def factsheet(con, material_id: str, lang: str) -> FactsheetPublic:
    """Build a factsheet (shared by the API, the page and the briefing)."""
    mat = material_public(services.material(con, material_id))
    cnames = services.country_names(con, lang)
    prod = services.producer_shares(con, material_id)
    stage_hhi = {} if prod.empty else {s: services.clean(v) for s, v in prod.groupby("stage")["hhi"].first().items()}
    shares = [
        ProducerSharePublic(country_name=cnames.get(r["country"]), **{k: r[k] for k in (
            "stage", "country", "year", "quantity", "unit", "basis", "source", "vintage", "share")})
        for r in services.records(prod)
    ]
    trade = services.trade_partners(con, material_id)
    partners = [TradePartnerPublic(country_name=cnames.get(r["country"]), **r) for r in services.records(trade)]
    trend = engines.geopolrisk_trend(con, material_id)
    sources = [SourcePublic(**{k: r[k] for k in ("source", "vintage", "year_min", "year_max")})
               for r in services.records(services.vintages(con, material_id))]
    tv = services.trade_vintage(con)
    if tv and partners:
        sources.append(SourcePublic(source=tv["source"], vintage=None, year_min=tv["year_min"],
                                    year_max=tv["year_max"]))
    crit = engines.material_criticality(con, material_id)
    return FactsheetPublic(
        material=mat, producer_shares=shares, stage_hhi=stage_hhi, trade_partners=partners,
        geopolrisk_trend=None if trend is None else [TrendPointPublic(**p) for p in trend], sources=sources,
        eu_criticality=None if crit is None else CriticalityRowPublic(**crit),
    )


@router.get("/{material_id}/factsheet", response_model=FactsheetPublic, responses={404: {"model": Problem}})
def get_factsheet(material_id: MaterialId, con: StoreDep, lang: LangDep) -> FactsheetPublic:
    """Producer shares by stage (latest year per source), NL trade partners, GeoPolRisk trend, sources."""
    return factsheet(con, material_id, lang).model_copy(update={"meta": ProvenancePublic(**api_meta())})
