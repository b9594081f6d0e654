"""Company self-assessment: upload a purchases file (CSV/XLSX) → exposure ranking, scenarios, actions.

Confidentiality: company data are processed in memory for the signed-in analyst who uploaded them and are
never written to disk, the job store or a cache, and never shown to anyone else (the answer goes only to the
uploading request). Public visitors get 401 (anonymous) / 403 (signed in below analyst).
"""

from __future__ import annotations

from typing import Annotated, Any

import duckdb
from fastapi import APIRouter, File, Form, HTTPException, Query, Request, UploadFile, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from crmsec.api.deps import AnalystUser, CsrfDep, CurrentUser, SettingsDep, StoreDep
from crmsec.api.models import Problem, TablePublic
from crmsec.api.routers.common import table
from crmsec.api.uploads import read_upload
from crmsec.api.web import render
from crmsec.errors import CrmsecError, InputError, StoreError

router = APIRouter(tags=["company"])
XLSX = (".xlsx", ".xlsm")

#: page texts (kept here, bilingual, so the shared Babel catalog needs no new entries)
TEXT = {
    "en": {
        "title": "Company self-assessment", "lead": "How exposed is your company to critical raw materials? Upload "
        "your purchases (bill of materials) as CSV or XLSX: one row per material and supplier.",
        "required": "Required columns:", "optional": "optional:",
        "private": "Your file is processed in memory for you only: it is not stored and nobody else sees it.",
        "signin": "The company self-assessment is for analysts. Sign in as an analyst to upload a file.",
        "file": "Purchases file (CSV or XLSX, at most {kb} kB)", "lang": "Language of drivers and actions",
        "submit": "Assess", "ranking": "Exposure ranking (1 = most exposed)", "scenarios": "Built-in scenarios",
        "products": "Revenue at risk per product (binding input, upper bound)", "actions": "Recommended actions",
        "example": "An ILLUSTRATIVE example file ships with crmsec: src/crmsec/company/examples/example_company.csv.",
        "method": "Exposure index = share of one year's supply lost in the worst built-in scenario (shortfall share "
        "× effective days / 365). Concentration: HHI of your own sourcing vs the world/EU supply mix of the same "
        "stage. A dash (–) means missing data; the reason column says which.",
    },
    "nl": {
        "title": "Zelfbeoordeling voor bedrijven", "lead": "Hoe kwetsbaar is uw bedrijf voor kritieke grondstoffen? "
        "Upload uw inkoop (stuklijst) als CSV of XLSX: één regel per materiaal en leverancier.",
        "required": "Verplichte kolommen:", "optional": "optioneel:",
        "private": "Uw bestand wordt alleen voor u in het geheugen verwerkt: het wordt niet opgeslagen en niemand "
        "anders ziet het.",
        "signin": "De zelfbeoordeling is voor analisten. Meld u aan als analist om een bestand te uploaden.",
        "file": "Inkoopbestand (CSV of XLSX, hoogstens {kb} kB)", "lang": "Taal van oorzaken en acties",
        "submit": "Beoordeel", "ranking": "Rangorde van kwetsbaarheid (1 = meest kwetsbaar)",
        "scenarios": "Ingebouwde scenario's", "products": "Omzet in gevaar per product (bindende grondstof, "
        "bovengrens)", "actions": "Aanbevolen acties",
        "example": "Een ILLUSTRATIEF voorbeeldbestand zit in crmsec: src/crmsec/company/examples/example_company.csv.",
        "method": "Kwetsbaarheidsindex = deel van een jaar aanvoer dat wegvalt in het zwaarste ingebouwde scenario "
        "(tekortaandeel × effectieve dagen / 365). Concentratie: HHI van uw eigen inkoop tegenover de wereld-/EU-mix "
        "van dezelfde fase. NaN betekent ontbrekende gegevens; de kolom reason zegt welke.",
    },
}
RANKING_COLUMNS = ["exposure_rank", "material", "quantity_t", "basis", "exposure_index", "worst_scenario",
                   "worst_tonnes_at_risk", "worst_revenue_at_risk_meur", "stock_days", "worst_days_to_stockout",
                   "nl_on_list", "crma_strategic", "own_hhi", "world_hhi", "drivers", "actions", "reason"]


class CompanyAssessmentPublic(BaseModel):
    """The assessment tables (materials ranking, scenarios, products, actions) and notes."""

    tables: dict[str, TablePublic]
    notes: list[str]


async def _read(file: UploadFile, limit: int) -> tuple[bytes, str]:
    """The upload's bytes: CSV through the shared checks (type, size, UTF-8); XLSX with the same size limit."""
    name = file.filename or "upload"
    if name.lower().endswith(XLSX):
        raw = await file.read(limit + 1)
        if len(raw) > limit:
            raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE,
                                f"{name}: larger than the upload limit of {limit:,} bytes; split or trim the file")
        if not raw:
            raise HTTPException(422, f"{name}: the file is empty")
        return raw, name
    text = await read_upload(file, limit, "csv")
    return text.encode("utf-8"), name


def _assess(raw: bytes, name: str, lang: str, con: duckdb.DuckDBPyConnection) -> Any:
    from crmsec.company import assess_bytes

    try:
        return assess_bytes(raw, name, lang=lang, con=con)
    except StoreError as err:
        raise HTTPException(503, str(err)) from None
    except CrmsecError as err:  # input problems (row, field, value, fix) — incl. unknown names
        raise HTTPException(422, str(err)) from None
    except (duckdb.Error, KeyError, ValueError) as err:  # a store without the tables this needs
        raise HTTPException(503, f"the data store lacks what the company assessment needs ({type(err).__name__}); "
                                 "rebuild it with `crmsec data build`") from None


def _public(result: Any) -> CompanyAssessmentPublic:
    notes = ["processed in memory for this request only; nothing is stored",
             "revenue_at_risk is an upper bound (no substitution, phi = 1)"]
    return CompanyAssessmentPublic(tables={k: table(v, k) for k, v in result.tables().items()}, notes=notes)


@router.post("/api/v1/company/assessments", response_model=CompanyAssessmentPublic, dependencies=[CsrfDep],
             responses={401: {"model": Problem}, 403: {"model": Problem}, 413: {"model": Problem},
                        415: {"model": Problem}, 422: {"model": Problem}, 503: {"model": Problem}})
async def assess_upload(file: Annotated[UploadFile, File(description="purchases CSV or XLSX")], user: AnalystUser,
                        settings: SettingsDep, con: StoreDep,
                        lang: Annotated[str, Query(pattern="^(nl|en)$")] = "en") -> CompanyAssessmentPublic:
    """Assess an uploaded purchases file (analyst only; processed in memory, never stored)."""
    raw, name = await _read(file, settings.max_upload_bytes)
    result = await run_in_threadpool(_assess, raw, name, lang, con)
    return _public(result)


def _page(request: Request, user: Any, status_code: int = 200, **ctx: Any) -> HTMLResponse:
    lang = request.state.lang if request.state.lang in TEXT else "en"
    kb = request.app.state.settings.max_upload_bytes // 1024
    return render(request, "pages/company.html", user, status_code=status_code, t=TEXT[lang], kb=kb, **ctx)


@router.get("/company", response_class=HTMLResponse, include_in_schema=False)
def company_page(request: Request, user: CurrentUser) -> HTMLResponse:
    """The upload form (analysts) or a sign-in notice."""
    return _page(request, user)


@router.post("/company", response_class=HTMLResponse, include_in_schema=False, dependencies=[CsrfDep])
async def company_page_upload(request: Request, file: Annotated[UploadFile, File()], user: AnalystUser,
                              settings: SettingsDep, con: StoreDep,
                              lang: Annotated[str, Form(pattern="^(nl|en)$")] = "en") -> HTMLResponse:
    """Page form: the result tables are rendered into the response only (nothing stored); errors on the page."""
    try:
        raw, name = await _read(file, settings.max_upload_bytes)
        result = await run_in_threadpool(_assess, raw, name, lang, con)
    except HTTPException as err:
        return _page(request, user, status_code=err.status_code, error=str(err.detail))
    except InputError as err:
        return _page(request, user, status_code=422, error=str(err))
    from crmsec.api.services import records

    m = result.materials
    return _page(request, user, result={
        "ranking": records(m[[c for c in RANKING_COLUMNS if c in m.columns]]),
        "ranking_pairs": [(c, c.replace("_", " ")) for c in RANKING_COLUMNS if c in m.columns],
        "scenarios": records(result.scenarios[["material", "scenario_id", "share_basis", "shortfall_share",
                                               "supply_lost_share_year", "tonnes_at_risk", "revenue_at_risk_meur",
                                               "days_to_stockout", "reason"]]),
        "products": records(result.products),
        "actions": records(result.actions[["exposure_rank", "material_id", "action", "source"]]),
    })
