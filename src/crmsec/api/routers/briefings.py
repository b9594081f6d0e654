"""Briefings for download: material, scenario, annual list, club case — HTML, PDF or XLSX, Dutch or English."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse, Response

from crmsec.api.deps import AnalystUser, StoreDep
from crmsec.api.models import Problem
from crmsec.api.routers.common import engine_call
from crmsec.reports import briefing as br

router = APIRouter(prefix="/api/v1/briefings", tags=["briefings"])
Fmt = Literal["html", "pdf", "xlsx"]
LangQ = Annotated[Literal["en", "nl"], Query(description="language of the briefing")]
MEDIA = {"html": "text/html; charset=utf-8", "pdf": "application/pdf",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
FILE_RESPONSES = {200: {"content": {m: {} for m in MEDIA.values()}}, 404: {"model": Problem}}


def _respond(b: br.Briefing, fmt: str) -> Response:
    if fmt == "html":
        return HTMLResponse(br.to_html(b))
    body = br.to_pdf(b) if fmt == "pdf" else br.to_xlsx(b)
    return Response(body, media_type=MEDIA[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{b.filename}.{fmt}"'})


@router.get("/material/{material_id}.{fmt}", response_class=Response, responses=FILE_RESPONSES)
def material(material_id: Annotated[str, Path(pattern=r"^[a-z0-9_]{1,64}$")], fmt: Fmt, con: StoreDep,
             lang: LangQ = "en") -> Response:
    """Briefing on one material (producers by stage, NL suppliers, criticality, sources and vintages)."""
    return _respond(engine_call(lambda: br.material_briefing(con, material_id, lang)), fmt)


@router.get("/list.{fmt}", response_class=Response, responses=FILE_RESPONSES)
def annual_list(fmt: Fmt, con: StoreDep, lang: LangQ = "nl",
                year: Annotated[int | None, Query(ge=1990, le=2100)] = None) -> Response:
    """Briefing on the annual national list with its diff to the previous year."""
    return _respond(engine_call(lambda: br.list_briefing(con, year, lang)), fmt)


@router.get("/scenario/{name}.{fmt}", response_class=Response, responses=FILE_RESPONSES)
def scenario(name: Annotated[str, Path(pattern=r"^[a-z0-9_]{1,64}$")], fmt: Fmt, con: StoreDep,
             user: AnalystUser, lang: LangQ = "en") -> Response:
    """Briefing on a built-in scenario (deterministic run; analyst role, as scenario runs are)."""
    return _respond(engine_call(lambda: br.scenario_briefing(con, name, lang)), fmt)


@router.get("/club/{case}.{fmt}", response_class=Response, responses=FILE_RESPONSES)
def club(case: Annotated[str, Path(pattern=r"^[a-z0-9_]{1,64}$")], fmt: Fmt, user: AnalystUser,
         lang: LangQ = "en", paths: Annotated[int, Query(ge=2, le=2000, description="Monte Carlo paths")] = 1000,
         ) -> Response:
    """Briefing on a built-in club case: headline cards per package next to the no-club baseline (analyst role,
    as club runs are; at most 2,000 paths on the web — more with ``crmsec brief club``)."""
    from fastapi import HTTPException

    from crmsec.club.spec import builtin_cases
    from crmsec.reports.club_briefing import club_briefing

    if case not in builtin_cases():
        raise HTTPException(404, f"no built-in club case '{case}'; cases: {builtin_cases()}")
    return _respond(engine_call(lambda: club_briefing(case, lang, paths)), fmt)
