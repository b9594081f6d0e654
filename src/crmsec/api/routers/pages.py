"""Dashboard pages (server-rendered Jinja2 + Plotly figures built on the server)."""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse

from crmsec.api import engines, figures, services
from crmsec.api.deps import (
    AnalystUser,
    CsrfDep,
    CurrentUser,
    JobsDep,
    LangDep,
    ProjectsDep,
    SettingsDep,
    StoreDep,
    StoreFactoryDep,
    get_store,
)
from crmsec.api.i18n import N_, translator
from crmsec.api.pagecache import cached_page
from crmsec.api.routers.materials import factsheet, material_public
from crmsec.api.web import render
from crmsec.errors import CrmsecError, InputError

PageYear = Annotated[int | None, Query(ge=1990, le=2100)]  # bounded: a huge integer once reached DuckDB (500)

router = APIRouter(include_in_schema=False)
#: material ids in page addresses are case-insensitive (redirected to the registry's lower-case id)
PageMaterialId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_]{1,64}$", description="registry material_id")]


@router.get("/", response_class=HTMLResponse)
@cached_page()
def home(request: Request, user: CurrentUser, lang: LangDep) -> HTMLResponse:
    """Start page: the current national list at a glance, links to every view, engines in this build."""
    headline = None
    try:
        con = request.app.state.open_store().cursor() if get_store not in request.app.dependency_overrides else None
        if con is not None:
            try:
                res = engines.national_list(con, None)
                names = services.material_names(con, lang)
            finally:
                con.close()
            on = res["table"][res["table"]["on_list"].astype(bool)].sort_values("rank")
            headline = {"year": res["year"], "materials": [(m, names.get(m, m)) for m in on["material_id"]],
                        "vs": res.get("vs"), "diff": res.get("diff")}
            if headline["diff"] is not None:
                d = headline["diff"]
                headline["entered"] = [names.get(m, m) for m in d[d["change"] == "entered"]["material_id"]]
                headline["left"] = [names.get(m, m) for m in d[d["change"] == "left"]["material_id"]]
    except (engines.EngineUnavailable, CrmsecError):
        headline = None
    return render(request, "pages/home.html", user, engines=engines.status(), headline=headline)


@router.get("/materials", response_class=HTMLResponse)
@cached_page()
def materials_page(request: Request, user: CurrentUser, con: StoreDep, lang: LangDep,
                   q: Annotated[str, Query(max_length=64)] = "", on_list: bool = False) -> HTMLResponse:
    """All materials sorted by name in the reader's language; search by name or id, filter to the NL list."""
    mats = [material_public(r) for r in services.records(services.materials(con))]
    listed: set[str] | None = None
    try:
        nl = engines.national_list(con, None)["table"]
        listed = set(nl.loc[nl["on_list"].astype(bool), "material_id"])
    except Exception:  # noqa: BLE001 - list engine or its inputs missing: no filter offered
        listed = None

    def name(m) -> str:  # noqa: ANN001
        return (m.name_nl if lang == "nl" and m.name_nl else m.name_en) or m.material_id

    needle = q.strip().lower()
    rows = [m for m in mats if (not needle or needle in name(m).lower() or needle in m.material_id)
            and (not on_list or (listed is not None and m.material_id in listed))]
    rows.sort(key=lambda m: name(m).casefold())
    return render(request, "pages/materials.html", user, materials=rows, names={m.material_id: name(m) for m in rows},
                  q=q, on_list=on_list, listed=listed, total=len(mats))


@router.get("/materials/{material_id}", response_class=HTMLResponse)
@cached_page()
def factsheet_page(request: Request, material_id: PageMaterialId, user: CurrentUser, con: StoreDep,
                   lang: LangDep) -> HTMLResponse:
    if material_id != material_id.lower():  # /materials/Gallium → the canonical lower-case address
        return RedirectResponse(f"/materials/{material_id.lower()}", status_code=308)  # type: ignore[return-value]
    _ = translator(lang)
    fs = factsheet(con, material_id, lang)
    name = fs.material.name_nl if lang == "nl" and fs.material.name_nl else fs.material.name_en
    maps = []
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
    trend_fig, trend_reason = None, None
    if fs.geopolrisk_trend and all(p.value is None for p in fs.geopolrisk_trend):
        trend_reason = ", ".join(sorted({p.reason for p in fs.geopolrisk_trend if p.reason})) or "NaN"
    elif fs.geopolrisk_trend:
        trend_fig = figures.lines([p.year for p in fs.geopolrisk_trend],
                                  {"GeoPolRisk NL": [p.value for p in fs.geopolrisk_trend]},
                                  _("GeoPolRisk of Dutch imports"), _("year"), _("score"))
    from crmsec.api import factsheet_extra as fx

    return render(request, "pages/factsheet.html", user, fs=fs, name=name, maps=maps, trade_fig=trade_fig,
                  trend_fig=trend_fig, trend_reason=trend_reason,
                  position=fx.list_position(con, fs.material.material_id, lang),
                  scenarios=fx.scenarios_hitting(fs.material.material_id, lang),
                  controls=fx.export_controls_hitting(con, fs.material.material_id, lang),
                  end_uses=fx.end_uses(con, fs.material.material_id, lang), price=fx.reference_price(fs.material.material_id))


def _try(fn):  # noqa: ANN001, ANN202
    """(result, None) or (None, reason) when the engine is not in this build."""
    try:
        return fn(), None
    except engines.EngineUnavailable as err:
        return None, str(err)


@router.get("/criticality", response_class=HTMLResponse)
@cached_page()
def criticality_page(request: Request, user: CurrentUser, con: StoreDep, lang: LangDep,
                     scope: Literal["eu", "nl"] = "eu", year: PageYear = None) -> HTMLResponse:
    _ = translator(lang)
    shown_note = None
    try:
        res, missing = _try(lambda: engines.criticality(con, scope, year, "eu"))
    except InputError:  # e.g. an EU assessment year carried over to the NL view: show the latest instead
        res, missing = _try(lambda: engines.criticality(con, scope, None, "eu"))
        shown_note = _("{year} is not available for this scope; showing the latest year.").format(year=year)
    fig, rows, years = None, [], []
    if res is not None:
        names = services.material_names(con, lang)
        table = res["table"].assign(material=lambda f: f["material_id"].map(names).fillna(f["material_id"]))
        if scope == "nl" and "drivers" in table:  # the NL view's drivers come from the national-list engine
            from crmsec.criticality.national_list import localise_text

            table = table.assign(drivers=table["drivers"].map(lambda t: localise_text(t, lang)))
        rows = services.records(table)
        years = res.get("years", [res["year"]])
        title = _("Criticality matrix, {scope}, {year}").format(scope=scope.upper(), year=res["year"])
        nl_view = scope == "nl"
        fig = figures.criticality_matrix(
            rows, res.get("sr_threshold"), res.get("ei_threshold"), _, title,
            x_label=_("Dutch value added exposed (M EUR)") if nl_view else None,
            y_label=_("Supply risk for the Netherlands (SR_NL; EU SR where borrowed)") if nl_view else None,
            highlight=_("on the national list") if nl_view else None)
    n_points = sum(1 for r in rows if r.get("sr") is not None and r.get("ei") is not None)
    steps = {b - a for a, b in zip(years, years[1:], strict=False)}
    year_step = steps.pop() if len(steps) == 1 else 1
    notes = list(res.get("notes", [])) if res else []
    if res is not None and scope == "nl" and lang != "en":  # the engine's borrowed-view note, in the page's language
        from crmsec.criticality.national_list import eu_view_note

        english = eu_view_note(res["table"])
        notes = [eu_view_note(table, lang) if english and n == english else n for n in notes]
    return render(request, "pages/criticality.html", user, fig=fig, rows=rows, years=years, scope=scope,
                  year=res["year"] if res else year, missing=missing, n_points=n_points, year_step=year_step,
                  notes=([shown_note] if shown_note else []) + notes)


@router.get("/list", response_class=HTMLResponse)
@cached_page()
def list_page(request: Request, user: CurrentUser, con: StoreDep, lang: LangDep,
              year: PageYear = None) -> HTMLResponse:
    res, missing = _try(lambda: engines.national_list(con, year))
    rows, diff = [], []
    if res is not None:
        names = services.material_names(con, lang)
        from crmsec.criticality.national_list import localise_text

        table = res["table"].assign(material=lambda f: f["material_id"].map(names))
        if "drivers" in table:
            table = table.assign(drivers=table["drivers"].map(lambda t: localise_text(t, lang)))
        rows = services.records(table)
        from crmsec.criticality.national_list import eu_view_note

        res = {**res, "eu_view_note": eu_view_note(table, lang)}
        if res.get("diff") is not None:
            d = res["diff"].assign(material=lambda f: f["material_id"].map(names))
            if "cause" in d:
                d = d.assign(cause=d["cause"].map(lambda t: localise_text(t, lang)))
            diff = services.records(d)
    fig = None
    if res is not None:
        _ = translator(lang)
        top = [r for r in rows if r.get("score") is not None][:30]
        fig = figures.bars([r.get("material") or r["material_id"] for r in top], [r["score"] for r in top],
                           _("National list {year}: score of the 30 highest-ranked materials").format(year=res["year"]),
                           _("score"))
        fig["data"][0]["marker"]["color"] = [figures.PALETTE[1] if r.get("on_list") else figures.PALETTE[0]
                                             for r in top][::-1]
    return render(request, "pages/list.html", user, res=res, rows=rows, diff=diff, missing=missing, fig=fig)


@router.get("/chains", response_class=HTMLResponse)
@cached_page()
def chains_page(request: Request, user: CurrentUser, con: StoreDep, lang: LangDep,
                chain: str | None = None) -> HTMLResponse:
    _ = translator(lang)
    chains, missing = _try(lambda: engines.chains_list(con))
    detail = None
    if chains:
        ids = [c["chain_id"] for c in chains]
        # the cabinet's focus first: magnets, then batteries and defence (issue 15), else the first shipped
        default = next((c for c in ("magnets", "batteries", "defence") if c in ids), ids[0])
        chain_id = chain or default
        res, missing = _try(lambda: engines.chain(con, chain_id))
        if res is not None:
            texts = engines.chain_texts(chain_id, lang)
            risk = res["risk"].assign(label=lambda f: f["node_id"].map(texts["nodes"]).fillna(f["label"]))
            rmap = dict(zip(risk["node_id"], risk["risk"], strict=True))
            nodes = [{**n, "label": texts["nodes"].get(n["id"]) or _(str(n.get("label") or n["id"]))}
                     for n in services.records(res["nodes"])]
            fig = figures.sankey(nodes, list(res["edges"][["source", "target"]]
                                                                      .itertuples(index=False, name=None)),
                                 rmap, _("Value chain: {name}").format(name=texts["name"]),
                                 link_label=_("supply link: equal widths, not a quantity"))
            rcols = [c for c in ("label", "stage", "n_suppliers", "hhi", "top_country", "top_share", "risk", "source",
                                 "reason") if c in risk.columns]
            scols = [c for c in res["sectors"].columns if c != "chain_id"]  # the page heading names the chain
            detail = {"name": texts["name"], "description": texts["description"], "figure": fig,
                      "weakest": _weakest(risk, lang), "tables": {
                N_("Supply stages: concentration and governance risk"): {"columns": rcols,
                                                                        "rows": services.records(risk[rcols])},
                N_("Dependent sectors"): {"columns": scols, "rows": services.records(res["sectors"])}}}
    chain_names = {c["chain_id"]: engines.chain_texts(c["chain_id"], lang)["name"] for c in chains or []}
    return render(request, "pages/chains.html", user, chains=chains or [], detail=detail, missing=missing,
                  chain=chain, chain_names=chain_names)


def _weakest(risk, lang: str) -> str:  # noqa: ANN001
    """The weakest stage(s) of a chain in ``lang``: label (HHI, largest supplier and share), plus the stages
    without data that could be weaker (engine flags ``weakest``/``weakest_caveat``, crmsec.chains.model)."""
    from crmsec.api.i18n import format_number, format_share

    _ = translator(lang)
    if "weakest" not in risk:
        return ""
    weak = risk[risk["weakest"].astype(bool)]
    parts = [f"{r.label} (HHI {format_number(r.hhi, 2, lang)}, {r.top_country or '–'} {format_share(r.top_share, 0, lang)})"
             for r in weak.itertuples()]
    blank = risk.loc[risk["risk"].isna(), "label"].tolist()
    if parts and blank:
        parts.append(_("{n} stage(s) without data could be weaker: {stages}").format(n=len(blank),
                                                                                      stages=", ".join(blank)))
    return "; ".join(parts)


@router.get("/crma", response_class=HTMLResponse)
@cached_page()
def crma_page(request: Request, user: CurrentUser, con: StoreDep, lang: LangDep) -> HTMLResponse:
    _ = translator(lang)
    res, missing = _try(lambda: engines.crma_benchmarks(con))
    rows, columns = [], []
    if res is not None:
        wide = res["table"]
        names = services.material_names(con, lang)
        shown = wide.assign(material=wide["material_id"].map(names).fillna(wide["material"]))
        from crmsec.api import crma_page

        rows = crma_page.decorate(services.records(shown), lang)
        columns = [c for c in crma_page.COLUMNS if c in wide.columns]  # no ids, no duplicate text columns
        long = res["long"]
        bm = [c for c in ("extraction", "processing", "recycling", "diversification") if c in set(long["benchmark"])]
        order = list(wide["material_id"])
        val = long.pivot_table(index="material_id", columns="benchmark", values="value", aggfunc="first",
                               dropna=False).reindex(index=order, columns=bm)
        met = long.pivot_table(index="material_id", columns="benchmark", values="meets", aggfunc="first",
                               dropna=False).reindex(index=order, columns=bm)
        labels = shown["material"].fillna(shown["material_id"]).tolist()
        res = {**res, "figure": figures.heatmap(
            labels, [_(b) for b in bm], val.to_numpy().tolist(), met.to_numpy().tolist(),
            _("CRMA benchmarks: EU shares, {period} (targets 10/40/25 %, max 65 %)").format(
                period=crma_page.eu_period(lang)),
            (_("target not met"), _("target met"))), "period": crma_page.eu_period(lang),
            "legend": crma_page.legend(lang)}
    return render(request, "pages/crma.html", user, res=res, rows=rows, columns=columns, missing=missing)


@router.get("/scenarios", response_class=HTMLResponse)
@cached_page()
def scenarios_page(request: Request, user: CurrentUser, con: StoreDep, lang: LangDep) -> HTMLResponse:
    lib, missing = _try(engines.scenario_list)
    rows = services.records(lib) if lib is not None else []
    texts = engines.scenario_texts(lang) if lib is not None else {}
    rows = [{**r, "title": texts.get(r["scenario_id"], (r["name"], ""))[0],
             "text": texts.get(r["scenario_id"], ("", ""))[1]} for r in rows]
    return render(request, "pages/scenarios.html", user, scenarios=rows, missing=missing,
                  material_names=services.material_names(con, lang))


@router.get("/crisis", response_class=HTMLResponse)
@cached_page()
def crisis_page(request: Request, user: CurrentUser, lang: LangDep) -> HTMLResponse:
    ok, missing = _try(lambda: engines._import("crmsec.optimize.allocation", "optimize"))
    return render(request, "pages/crisis.html", user, missing=missing)


@router.get("/projects", response_class=HTMLResponse)
@cached_page(with_registry=True)
def projects_page(request: Request, user: CurrentUser, projects: ProjectsDep, lang: LangDep) -> HTMLResponse:
    from crmsec.api.routers.projects import visible_projects

    _ = translator(lang)
    frame, missing = _try(lambda: visible_projects(projects, user))
    rows = services.records(frame) if frame is not None else []
    fig = None
    if frame is not None and not frame.empty:
        stages = frame.assign(stage=frame["stages"].fillna("").str.split(";")).explode("stage")
        stages["stage"] = stages["stage"].replace("", "unknown")
        counts = stages.groupby(["stage", "status"]).size().unstack(fill_value=0)
        fig = {"data": [{"type": "bar", "name": _(str(s)), "x": [_(str(i)) for i in counts.index],
                         "y": counts[s].tolist()} for s in counts.columns],
               "layout": {"title": {"text": _("Project pipeline by stage and status")}, "barmode": "stack",
                          "font": figures.FONT, "height": 340, "yaxis": {"title": {"text": _("projects")}},
                          "margin": {"t": 50, "r": 20, "b": 50, "l": 60}}}
    return render(request, "pages/projects.html", user, rows=rows, missing=missing, fig=fig)


@router.get("/projects/{code}", response_class=HTMLResponse)
@cached_page(with_registry=True)
def project_page(request: Request, code: str, user: CurrentUser, projects: ProjectsDep,
                 lang: LangDep) -> HTMLResponse:
    from crmsec.api.routers.appraisal_page import _defaults, project_case_for_page
    from crmsec.api.routers.projects import visible_project

    rec = visible_project(projects, code, user)
    if not user.at_least("analyst"):
        return render(request, "pages/project.html", user, p=rec)
    data, archetype, notes, reason = project_case_for_page(rec)
    return render(request, "pages/project.html", user, p=rec, case_notes=notes, archetype=archetype,
                  no_case=reason, form={}, **_defaults(data))


@router.get("/briefings", response_class=HTMLResponse)
@cached_page()
def briefings_page(request: Request, user: CurrentUser, con: StoreDep, lang: LangDep) -> HTMLResponse:
    mats = [material_public(r) for r in services.records(services.materials(con))]
    lib, _missing = _try(engines.scenario_list)
    rows = services.records(lib) if lib is not None else []
    name_col = "name_nl" if lang == "nl" else "name"
    return render(request, "pages/briefings.html", user, materials=mats,
                  scenarios=[{**r, "name": r.get(name_col) or r["name"]} for r in rows])


@router.get("/briefings/material")
def briefing_material_redirect(con: StoreDep, material_id: Annotated[str, Query(max_length=64)],
                               fmt: Literal["pdf", "html", "xlsx"] = "pdf",
                               lang: Literal["en", "nl"] = "en") -> RedirectResponse:
    """The briefing of a known material; an unknown one gets the (translated) error page, not API JSON."""
    services_id = material_id.strip().lower()
    services.material(con, services_id)  # UnknownNameError → 404 page for browsers
    return RedirectResponse(f"/api/v1/briefings/material/{services_id}.{fmt}?lang={lang}", status_code=303)


@router.post("/scenarios/upload", response_class=HTMLResponse, dependencies=[CsrfDep])
async def scenario_upload_page(request: Request, file: Annotated[UploadFile, File()], user: AnalystUser,
                               jobs: JobsDep, settings: SettingsDep, con_factory: StoreFactoryDep):
    """Page form: upload a scenario YAML; errors are shown on the page, success opens the job page."""
    from crmsec.api.routers.scenarios import upload_scenario_run

    job = await upload_scenario_run(file, user, jobs, settings, con_factory)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


@router.post("/crisis/upload", response_class=HTMLResponse, dependencies=[CsrfDep])
async def allocation_upload_page(file: Annotated[UploadFile, File()], user: AnalystUser, jobs: JobsDep,
                                 settings: SettingsDep, rule: Annotated[str, Form()] = "weighted"):
    """Page form: upload an allocation YAML; validation errors are shown on the page, success opens the job."""
    from crmsec.api.routers.crisis import Rule, upload_allocation

    if rule not in get_args(Rule):
        rule = "weighted"
    job = await upload_allocation(file, user, jobs, settings, rule)  # type: ignore[arg-type]
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
def job_page(request: Request, job_id: str, user: AnalystUser, jobs: JobsDep) -> HTMLResponse:
    from crmsec.api.routers.jobs import job_public, owned_job

    job = owned_job(jobs, job_id, user)
    return render(request, "pages/job.html", user, job=job_public(job))


from crmsec.api.routers.appraisal_page import router as _appraisal_router  # noqa: E402 - after the page routes

router.include_router(_appraisal_router)
