"""Dashboard pages (server-rendered Jinja2 + Plotly figures built on the server)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from crmsec.api import engines, figures, services
from crmsec.api.deps import CurrentUser, LangDep, StoreDep
from crmsec.api.i18n import translator
from crmsec.api.routers.materials import MaterialId, factsheet, material_public
from crmsec.api.web import render

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, user: CurrentUser) -> HTMLResponse:
    return render(request, "pages/home.html", user, engines=engines.status())


@router.get("/materials", response_class=HTMLResponse)
def materials_page(request: Request, user: CurrentUser, con: StoreDep, lang: LangDep) -> HTMLResponse:
    mats = [material_public(r) for r in services.records(services.materials(con))]
    return render(request, "pages/materials.html", user, materials=mats)


@router.get("/materials/{material_id}", response_class=HTMLResponse)
def factsheet_page(request: Request, material_id: MaterialId, user: CurrentUser, con: StoreDep,
                   lang: LangDep) -> HTMLResponse:
    _ = translator(lang)
    fs = factsheet(con, material_id, lang)
    name = fs.material.name_nl if lang == "nl" and fs.material.name_nl else fs.material.name_en
    maps, stage_tables = [], []
    for stage in sorted({p.stage for p in fs.producer_shares}):
        rows = [p for p in fs.producer_shares if p.stage == stage]
        year = rows[0].year if rows else None
        maps.append({
            "id": f"map-{stage}", "stage": stage,
            "figure": figures.world_map([p.country for p in rows], [p.share for p in rows],
                                        [p.country_name or p.country for p in rows],
                                        f"{_(stage.capitalize())} {year} — {rows[0].source}", _("share")),
            "label": _("World map of producer shares, stage {stage}, {year}").format(stage=_(stage), year=year),
            "rows": [p.model_dump() for p in rows[:12]], "hhi": fs.stage_hhi.get(stage),
        })
    trade_fig = None
    if fs.trade_partners:
        trade_fig = figures.bars([p.country_name or p.country for p in fs.trade_partners],
                                 [p.share for p in fs.trade_partners],
                                 _("Largest suppliers to the Netherlands ({year}, tonnes)").format(
                                     year=fs.trade_partners[0].year), _("share of imports"), percent=True)
    trend_fig = None
    if fs.geopolrisk_trend:
        trend_fig = figures.lines([p.year for p in fs.geopolrisk_trend],
                                  {"GeoPolRisk NL": [p.value for p in fs.geopolrisk_trend]},
                                  _("GeoPolRisk of Dutch imports"), _("year"), _("score"))
    return render(request, "pages/factsheet.html", user, fs=fs, name=name, maps=maps, trade_fig=trade_fig,
                  trend_fig=trend_fig, stage_tables=stage_tables)
