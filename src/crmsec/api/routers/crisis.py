"""Crisis response: allocation of scarce volumes and stockpile sizing (analyst role: stock levels are
restricted information and never reach the public role)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, UploadFile, status
from pydantic import Field, StrictBool

from crmsec.api import engines, figures
from crmsec.api.deps import AnalystUser, CsrfDep, JobsDep, SettingsDep
from crmsec.api.i18n import translator
from crmsec.api.models import JobPublic, Problem, RequestBody
from crmsec.api.routers.common import QUEUE_FULL_RESPONSES, engine_call
from crmsec.api.routers.jobs import job_public
from crmsec.api.uploads import parse_yaml, read_upload

router = APIRouter(prefix="/api/v1", tags=["crisis"])
Rule = Literal["weighted", "strict_tiers", "maxmin", "floors_prorata", "proportional_floor"]


class AllocationRunIn(RequestBody):
    rule: Rule = "weighted"
    alpha: float = Field(0.8, gt=0, le=1, description="guaranteed share for proportional_floor")
    problem: dict[str, Any] | None = Field(
        None, description="allocation input (periods, tiers, sectors, materials, demand); default: the "
                          "bundled illustrative example")


class StockpileRunIn(RequestBody):
    service_level: float | None = Field(None, ge=0, le=1)
    budget_eur: float | None = Field(None, ge=0, le=1e12)
    pool: StrictBool = Field(False, description="pool the example coalition's stocks and compare with national stocks")
    pool_rule: Literal["consumption", "exposure"] = "consumption"


def allocation_figure(result: dict[str, Any]):  # noqa: ANN201
    def build(lang: str) -> dict[str, Any]:
        _ = translator(lang)
        alloc = result["tables"]["allocation"]
        served = alloc.groupby(["sector", "period"], sort=False)[["allocated_t", "demand_t"]].sum().reset_index()
        served["service"] = served["allocated_t"] / served["demand_t"]
        periods = list(dict.fromkeys(served["period"]))
        series = {s: g.set_index("period").reindex(periods)["service"].tolist() for s, g in served.groupby("sector")}
        fig = figures.lines(periods, series, _("Service level by sector and week"), _("week"), _("service level"))
        fig["layout"]["yaxis"]["tickformat"] = ".0%"
        return fig

    return build


def stockpile_figure(result: dict[str, Any]):  # noqa: ANN201
    def build(lang: str) -> dict[str, Any]:
        _ = translator(lang)
        if result.get("pooled"):
            cmp_ = result["tables"]["comparison"]
            x = cmp_["material_id"].tolist()
            return {"data": [
                {"type": "bar", "name": _("national stocks"), "x": x, "y": (cmp_["national_cost_eur_yr"] / 1e3).tolist()},
                {"type": "bar", "name": _("pooled stock"), "x": x, "y": (cmp_["pooled_cost_eur_yr"] / 1e3).tolist()}],
                "layout": {"title": {"text": _("Expected annual cost: national versus pooled stocks (k EUR)")},
                           "barmode": "group", "font": figures.FONT, "height": 380,
                           "yaxis": {"title": {"text": "k EUR / yr"}}, "margin": {"t": 50, "r": 20, "b": 50, "l": 70}}}
        stock = result["tables"]["stock"]
        return figures.bars(stock["material_id"].tolist(), stock["stock_t"].tolist(),
                            _("Optimal strategic stock per material (t)"), "t", horizontal=False)

    return build


@router.post("/allocation-runs", response_model=JobPublic, status_code=status.HTTP_202_ACCEPTED,
             dependencies=[CsrfDep], responses={**QUEUE_FULL_RESPONSES, 401: {"model": Problem}, 403: {"model": Problem}})
def start_allocation(body: AllocationRunIn, user: AnalystUser, jobs: JobsDep) -> JobPublic:
    """Solve the crisis allocation LP (methods §5.4) in the background; a given ``problem`` is validated (sizes
    bounded, e.g. at most 520 periods) before the job starts: errors are a 422 now, not a failed job later."""
    if body.problem is not None:
        from crmsec.optimize.inputs import parse_allocation

        parse_allocation(body.problem, source="problem")
    return _submit_allocation(jobs, user, body.problem, body.rule, body.alpha)


def _submit_allocation(jobs, user, problem, rule, alpha) -> JobPublic:  # noqa: ANN001
    engine_call(lambda: engines._import("crmsec.optimize.allocation", "optimize"))

    def work(progress):  # noqa: ANN001, ANN202
        res = engines.run_allocation(problem, rule, alpha, progress)
        res["figure"] = allocation_figure(res)
        res["display"] = res["tables"]["sectors"]
        return res

    return job_public(jobs.submit("allocation", work, {"rule": rule}, user.username))


@router.post("/allocation-runs/upload", response_model=JobPublic, status_code=status.HTTP_202_ACCEPTED,
             dependencies=[CsrfDep], responses={**QUEUE_FULL_RESPONSES, 413: {"model": Problem}, 415: {"model": Problem},
                                                422: {"model": Problem}})
async def upload_allocation(file: Annotated[UploadFile, File(description="allocation YAML")], user: AnalystUser,
                            jobs: JobsDep, settings: SettingsDep,
                            rule: Annotated[Rule, Form()] = "weighted") -> JobPublic:
    """Upload an allocation YAML (size-limited; validated before the job starts) and solve it."""
    name = file.filename or "allocation.yaml"
    data = parse_yaml(await read_upload(file, settings.max_upload_bytes, "yaml"), name)
    from crmsec.optimize.inputs import parse_allocation

    parse_allocation(data, source=name)  # validation errors → 422 now, not a failed job later
    return _submit_allocation(jobs, user, data, rule, 0.8)


@router.post("/stockpile-runs", response_model=JobPublic, status_code=status.HTTP_202_ACCEPTED,
             dependencies=[CsrfDep], responses={**QUEUE_FULL_RESPONSES, 401: {"model": Problem}})
def start_stockpile(body: StockpileRunIn, user: AnalystUser, jobs: JobsDep) -> JobPublic:
    """Size strategic stocks with the two-stage stochastic LP (methods §5.3) on the illustrative scenario set."""
    engine_call(lambda: engines._import("crmsec.optimize.stockpile", "optimize"))

    def work(progress):  # noqa: ANN001, ANN202
        res = engines.run_stockpile(body.service_level, body.budget_eur, progress, pool=body.pool,
                                    pool_rule=body.pool_rule)
        res["figure"] = stockpile_figure(res)
        res["display"] = res["tables"]["members" if body.pool else "stock"]
        return res

    return job_public(jobs.submit("stockpile", work, body.model_dump(), user.username))
