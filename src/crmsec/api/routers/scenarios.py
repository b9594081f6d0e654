"""Disruption scenarios: library, upload of a scenario YAML, runs as background jobs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Path, UploadFile, status
from pydantic import Field

from crmsec.api import engines, figures, services
from crmsec.api.deps import AnalystUser, CsrfDep, JobsDep, SettingsDep, StoreFactoryDep
from crmsec.api.i18n import translator
from crmsec.api.models import JobPublic, Problem, RequestBody, TablePublic
from crmsec.api.routers.common import QUEUE_FULL_RESPONSES, engine_call, table
from crmsec.api.routers.jobs import job_public
from crmsec.api.uploads import parse_yaml, read_upload

router = APIRouter(prefix="/api/v1", tags=["scenarios"])
ScenarioName = Annotated[str, Path(pattern=r"^[a-z0-9_]{1,64}$")]


class ScenarioRunIn(RequestBody):
    scenario: str = Field(pattern=r"^[a-z0-9_]{1,64}$", description="id of a built-in scenario")
    draws: int = Field(0, ge=0, le=100_000, description="ensemble draws (0 = deterministic run only)")
    seed: int = Field(0, ge=0, le=2**31 - 1)
    depth: float | None = Field(None, ge=0, le=1, description="override: share of the actor's exports cut")
    duration_days: float | None = Field(None, gt=0, le=3650, description="override: length of the disruption [d]")


@router.get("/scenarios", response_model=TablePublic)
def list_scenarios() -> TablePublic:
    """The built-in scenario library (id, name, measure, materials, probability, sources)."""
    return table(engine_call(engines.scenario_list), "scenarios")


@router.get("/scenarios/{name}", responses={404: {"model": Problem}})
def get_scenario(name: ScenarioName) -> dict[str, Any]:
    """One scenario's full specification."""
    return engine_call(lambda: engines.scenario_get(name)).model_dump(mode="json")


def scenario_figure(result: dict[str, Any], names: dict[str, dict[str, str]] | None = None):  # noqa: ANN201
    """Figure factory (language chosen when the dashboard asks): NL shortfall share over time per material
    (helium included), value added at risk per Dutch sector (upper bound, basis named) and the ensemble."""

    def build(lang: str) -> dict[str, Any]:
        from crmsec.api.i18n import format_number, format_share
        from crmsec.api.labels import humanise, label, result_text

        _ = translator(lang)
        mat_names = (names or {}).get(lang, {})
        tl = result["tables"]["timeline"]
        tl = tl[tl["region"] == "NLD"]
        if tl.empty:
            return {"data": [], "layout": {"title": {"text": _("No shortfall in this scenario")}}}
        lines = [(mat_names.get(m, label(m, lang)), g["day"].tolist(), g["shortfall_share"].tolist())
                 for m, g in tl.sort_values("day").groupby("material_id", sort=True)]
        secs = result["tables"].get("sectors")
        bars, notes = [], []
        if secs is not None and not secs.empty:
            nl = secs[secs["region"] == "NLD"].sort_values("va_at_risk_meur", ascending=False)
            bars = [(f"{r.nace} ({mat_names.get(r.binding_material, r.binding_material)})", r.va_at_risk_meur)
                    for r in nl.itertuples()]
            basis = sorted({humanise(b, lang) for b in nl.get("va_basis", []) if isinstance(b, str) and b})
            if basis:
                notes.append(_("Value added at risk is an upper bound; basis: {basis}").format(basis="; ".join(basis)))
        ens = result["tables"].get("ensemble")
        if ens is not None and not ens.empty:
            days = ens[(ens["metric"] == "shortfall_days") & (ens["region"] == "NLD")]
            for r in days.itertuples():
                notes.append(_("Ensemble, {material}: probability of the event {p}; mean {mean} and CVaR95 {cvar} "
                               "days of supply lost").format(
                    material=mat_names.get(r.key, label(r.key, lang)), p=format_share(r.p_nonzero, 1, lang),
                    mean=format_number(r.mean, 2, lang), cvar=format_number(r.cvar95, 2, lang)))
        title = _("Shortfall over time (NL)") + " — " + result_text(result, "title", lang)
        return figures.scenario_chart(lines, bars, title, {
            "day": _("day"), "share": _("share of supply lost"), "va": _("value added at risk (M EUR)")}, notes)

    return build


def _submit_scenario(jobs, con_factory, user, scenario: Any, draws: int, seed: int,  # noqa: ANN001
                     depth: float | None = None, duration_days: float | None = None) -> JobPublic:
    def work(progress):  # noqa: ANN001, ANN202
        con = con_factory()
        try:
            res = engines.run_scenario(con, scenario, draws=draws, seed=seed, progress=progress, depth=depth,
                                       duration_days=duration_days)
            names = {lg: services.material_names(con, lg) for lg in ("en", "nl")}
        finally:
            con.close()
        res["figure"] = scenario_figure(res, names)
        res["display"] = res["tables"]["materials"][
            [c for c in ("region", "material", "binding_stage", "shortfall_share", "shortfall_t_central",
                         "shortfall_t_upper_bound", "effective_days", "days_to_stockout", "days_to_stockout_30d",
                         "days_to_stockout_90d", "reason") if c in res["tables"]["materials"].columns]]
        res["summary"] = {"scenario": res["scenario"], "draws": draws, "seed": seed, "depth": depth,
                          "duration_days": duration_days}
        return res

    name = scenario if isinstance(scenario, str) else scenario.id
    return job_public(jobs.submit("scenario", work, {"scenario": name, "draws": draws}, user.username))


@router.post("/scenario-runs", response_model=JobPublic, status_code=status.HTTP_202_ACCEPTED,
             dependencies=[CsrfDep], responses={**QUEUE_FULL_RESPONSES, 404: {"model": Problem}, 401: {"model": Problem}})
def start_scenario_run(body: ScenarioRunIn, user: AnalystUser, jobs: JobsDep,
                       con_factory: StoreFactoryDep) -> JobPublic:
    """Start a scenario run in the background; poll ``status_url``, then fetch ``result_url``."""
    engine_call(lambda: engines.scenario_get(body.scenario))
    return _submit_scenario(jobs, con_factory, user, body.scenario, body.draws, body.seed, body.depth,
                            body.duration_days)


@router.post("/scenario-runs/upload", response_model=JobPublic, status_code=status.HTTP_202_ACCEPTED,
             dependencies=[CsrfDep], responses={**QUEUE_FULL_RESPONSES, 413: {"model": Problem}, 415: {"model": Problem},
                                                422: {"model": Problem}})
async def upload_scenario_run(file: Annotated[UploadFile, File(description="scenario YAML")], user: AnalystUser,
                              jobs: JobsDep, settings: SettingsDep,
                              con_factory: StoreFactoryDep) -> JobPublic:
    """Upload a scenario YAML (size-limited, validated against the scenario schema) and run it."""
    name = file.filename or "scenario.yaml"
    text = await read_upload(file, settings.max_upload_bytes, "yaml")
    scenario = engine_call(lambda: engines.scenario_parse(parse_yaml(text, name), where=name))
    return _submit_scenario(jobs, con_factory, user, scenario, 0, 0)
