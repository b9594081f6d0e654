"""Response and request models of the REST API (``*Public`` = what leaves the server)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Scalar = float | int | str | bool | None


class RequestBody(BaseModel):
    """Base of the JSON request bodies: strict types, so the schema's types are what is accepted (``false`` is
    not a number, ``"3"`` is not an integer; an integer is a valid number)."""

    model_config = ConfigDict(strict=True)


class Problem(BaseModel):
    detail: str


class MethodRefPublic(BaseModel):
    name: str
    version: str


class StoreRefPublic(BaseModel):
    vintage: str | None = None
    vintage_id: str | None = Field(None, description="'v' + first 12 hex digits of manifest_sha256")
    built_at: str | None = None
    built_by: str | None = None
    manifest_sha256: str | None = Field(None, description="sha256 of the sorted (file, sha256) manifest of raw files")
    manifest_files: int | None = None


class SourceRefPublic(BaseModel):
    source: str = Field(description="vendored raw source (data/raw/<source>) or the crmsec registry")
    vintages: list[str] = Field(default_factory=list)
    tables: list[str] = Field(default_factory=list, description="store tables read that come from this source")
    files: int | None = None
    sha256: str | None = Field(None, description="sha256 of this source's part of the manifest")


class ProvenancePublic(BaseModel):
    """Which data and which method produced a result (crmsec.provenance)."""

    crmsec_version: str
    generated_at: str
    command: str = Field(description="API route (method, path) or job kind")
    parameters: dict[str, Any] = Field(default_factory=dict)
    methods: list[MethodRefPublic] = Field(default_factory=list)
    store: StoreRefPublic | None = None
    other_stores: list[StoreRefPublic] | None = None
    sources: list[SourceRefPublic] = Field(default_factory=list)


META = Field(None, description="provenance: store vintage, sources read, method, version, request")


class FieldError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ValidationProblem(BaseModel):
    """The 422 body of request validation errors: one readable line plus the errors by field."""

    detail: str
    errors: list[FieldError] = Field(default_factory=list)


class MaterialPublic(BaseModel):
    material_id: str
    name_en: str
    name_nl: str | None = None
    eu_crm_2023: bool | None = None
    crma_strategic: bool | None = None
    crma_critical: bool | None = None
    stages: list[str] = Field(default_factory=list)


class MaterialsPublic(BaseModel):
    data: list[MaterialPublic]
    count: int
    meta: ProvenancePublic | None = META


class ProducerSharePublic(BaseModel):
    stage: str
    country: str
    country_name: str | None = None
    year: int
    quantity: float | None
    unit: str | None = None
    basis: str | None = None
    source: str | None = None
    vintage: str | None = None
    share: float | None = Field(None, description="share of world production of this stage [0–1]")


class TradePartnerPublic(BaseModel):
    country: str
    country_name: str | None = None
    year: int
    tonnes: float | None
    value_kusd: float | None
    share: float | None = Field(None, description="share of the reporter's imports by tonnes [0–1]")


class SourcePublic(BaseModel):
    source: str | None
    vintage: str | None
    year_min: int | None = None
    year_max: int | None = None


class TrendPointPublic(BaseModel):
    year: int
    value: float | None
    reason: str | None = Field(None, description="why the value is missing (NaN), when it is")


class FactsheetPublic(BaseModel):
    material: MaterialPublic
    producer_shares: list[ProducerSharePublic]
    stage_hhi: dict[str, float | None] = Field(description="HHI of world production per stage [0–1]")
    trade_partners: list[TradePartnerPublic] = Field(description="largest exporters to NL, latest BACI year")
    geopolrisk_trend: list[TrendPointPublic] | None = Field(
        None, description="GeoPolRisk score of NL imports by year; null when the engine is not in this build"
    )
    sources: list[SourcePublic]
    eu_criticality: CriticalityRowPublic | None = Field(
        None, description="EU method, latest assessment year; null when not assessed or not in this build")
    meta: ProvenancePublic | None = META


class CriticalityRowPublic(BaseModel):
    model_config = ConfigDict(extra="allow")
    material_id: str
    material: str | None = None
    sr: float | None = None
    ei: float | None = None
    critical: bool | None = None
    stage_assessed: str | None = None
    near_threshold: bool | None = None
    score: float | None = None
    drivers: str | None = None


class CriticalityPublic(BaseModel):
    scope: Literal["eu", "nl"]
    year: int
    method: Literal["eu", "geopolrisk"]
    sr_threshold: float | None = None
    ei_threshold: float | None = None
    method_version: str | None = None
    data: list[CriticalityRowPublic]
    count: int
    notes: list[str] = Field(default_factory=list)
    meta: ProvenancePublic | None = META


class TablePublic(BaseModel):
    """A generic result table (columns + rows) as the engines return it, NaN → null."""

    title: str | None = None
    columns: list[str]
    data: list[dict[str, Any]]
    count: int
    notes: list[str] = Field(default_factory=list)
    meta: ProvenancePublic | None = META


class JobPublic(BaseModel):
    id: str
    kind: str
    status: Literal["queued", "running", "done", "failed"]
    progress: float = Field(ge=0, le=1)
    message: str = ""
    error: str | None = None
    status_url: str
    result_url: str | None = None


class TokenPublic(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


class UserPublic(BaseModel):
    username: str | None
    role: Literal["public", "analyst", "admin"]


class EngineStatusPublic(BaseModel):
    name: str
    available: bool
    detail: str | None = None


class CapacityPointPublic(BaseModel):
    year: int
    quantity: float | None
    unit: str | None = None


class ProjectPublic(BaseModel):
    """One project as the caller's role may see it; ``case`` (the business case) only for analyst/admin."""

    code: str
    name: str
    sponsor: str | None = None
    countries: list[str] = Field(default_factory=list)
    host_country_text: str | None = None
    inside_eu: str | None = None
    materials: list[str] = Field(default_factory=list)
    materials_text: str | None = None
    stages: list[str] = Field(default_factory=list)
    status: str
    capacity: float | None = None
    capacity_unit: str | None = None
    capacity_text: str | None = None
    capex_meur: float | None = None
    opex_meur_per_year: float | None = None
    start_year: int | None = None
    batch: str | None = None
    decision_date: str | None = None
    annex_entry: int | None = None
    evidence_level: str | None = None
    source_url: str | None = None
    notes: str | None = None
    confidentiality: Literal["public", "restricted"]
    capacity_by_year: list[CapacityPointPublic] = Field(default_factory=list)
    version: int | None = None
    has_case: bool | None = Field(None, description="analyst/admin only")
    case: dict[str, Any] | None = Field(None, description="business case (analyst/admin only)")


class JobResultPublic(BaseModel):
    """A finished job's result: tables (``view=tables``) or the dashboard figure (``view=figure``)."""

    summary: dict[str, Any] = Field(default_factory=dict)
    text: str = ""
    tables: dict[str, TablePublic] | None = None
    figure: dict[str, Any] | None = Field(None, description="Plotly figure specification")
    table_html: str | None = None
    meta: ProvenancePublic | None = META


class ChainPublic(BaseModel):
    chain_id: str
    name: str
    weakest: str = Field(description="the weakest supply stage(s): highest concentration × governance risk")
    nodes: list[dict[str, Any]]
    edges: list[dict[str, Any]]
    risk: list[dict[str, Any]] = Field(description="per supply stage: HHI, largest supplier, risk, source")
    sectors: list[dict[str, Any]] = Field(description="dependent NACE sectors with NL/EU value added")
    meta: ProvenancePublic | None = META


FactsheetPublic.model_rebuild()
