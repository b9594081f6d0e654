"""Plurilateral club market: built-in cases, assumption table, partners, package runs as background jobs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, status
from fastapi.responses import HTMLResponse
from pydantic import Field

from crmsec.api import figures
from crmsec.api.deps import AnalystUser, CsrfDep, CurrentUser, JobsDep
from crmsec.api.i18n import translator
from crmsec.api.models import JobPublic, Problem, RequestBody, TablePublic
from crmsec.api.routers.common import QUEUE_FULL_RESPONSES, table
from crmsec.api.routers.jobs import job_public

router = APIRouter(prefix="/api/v1/club", tags=["club"])
page_router = APIRouter(include_in_schema=False)
CaseId = Annotated[str, Path(pattern=r"^[a-z0-9_]{1,64}$")]
DISPLAY = ["package", "induced_capacity_t", "world_price_mean", "fiscal_cost_mean_meur", "fiscal_cost_p95_meur",
           "fiscal_cost_cvar95_meur", "burden_nl_meur", "consumer_cost_club_meur", "consumer_cost_nl_meur",
           "leakage_meur", "ban_shortfall_club_t", "security_gain_t"]


class ClubRunIn(RequestBody):
    case: str = Field("ndpr_oxide", pattern=r"^[a-z0-9_]{1,64}$", description="id of a built-in club case")
    packages: list[Annotated[str, Field(pattern=r"^[a-z0-9_]{1,64}$")]] | None = Field(
        None, max_length=12, description="packages to run (default: all of the case); the baseline is always run")
    paths: int = Field(2000, ge=2, le=5_000, description="Monte Carlo paths (more: use the CLI)")
    seed: int = Field(20260325, ge=0, le=2**31 - 1)


@router.get("/cases", response_model=TablePublic)
def list_cases() -> TablePublic:
    """The built-in club cases and their packages."""
    import pandas as pd

    from crmsec.club.spec import builtin_cases, load_case

    rows = []
    for cid in builtin_cases():
        c = load_case(cid)
        rows.append({"case": cid, "title": c.title, "material_id": c.material_id, "base_year": c.base_year,
                     "packages": ", ".join(p.name for p in c.packages)})
    return table(pd.DataFrame(rows), "club cases")


@router.get("/cases/{case_id}", responses={404: {"model": Problem}})
def get_case(case_id: CaseId) -> dict[str, Any]:
    """One case's full specification (assumption references resolved to their values)."""
    from fastapi import HTTPException

    from crmsec.club.spec import builtin_cases, load_case

    if case_id not in builtin_cases():
        raise HTTPException(404, f"no built-in club case '{case_id}'; cases: {builtin_cases()}")
    return load_case(case_id).model_dump(mode="json")


@router.get("/assumptions", response_model=TablePublic)
def list_assumptions() -> TablePublic:
    """Every assumption of the club model with value, unit, evidence (A/C/D/M) and source."""
    from crmsec.club.spec import assumptions

    return table(assumptions(), "club assumptions", ["evidence: A = assumption, C = computed, D = data, "
                                                     "M = from memory (verify)",
                                                     "'illustrative — verify' in source: no public source yet "
                                                     "(a placeholder for sensitivity, not a fact)"])


@router.get("/partners", response_model=TablePublic)
def list_partners(kind: Annotated[str, Query(pattern=r"^(registry)$")] = "registry") -> TablePublic:
    """The raw-materials partnership registry (EU MoUs with dates, ODA, G7, EU FTA, MSP)."""
    from crmsec.club.partners import partner_registry

    del kind
    return table(partner_registry(), "partnerships", ["'verify' marks entries transcribed from memory"])


def club_figure(result: dict[str, Any]):  # noqa: ANN201
    """Figure factory: security gain per package (bar) and fiscal cost by year (fan, first package)."""

    def build(lang: str) -> dict[str, Any]:
        _ = translator(lang)
        s = result["tables"]["summary"]
        fig = figures.bars(s["package"].tolist(), s["security_gain_t"].tolist(),
                           _("Security gain: club shortfall avoided in the ban year (t)"), _("t"))
        by = result["tables"]["by_year"]
        pk = [p for p in s["package"] if p != "none"]
        if pk:
            one = by[by["package"] == pk[0]]
            fan = figures.fan(one["year"].tolist(), {"p05": one["fiscal_cost_p05_meur"].tolist(),
                                                     "p50": one["fiscal_cost_p50_meur"].tolist(),
                                                     "p95": one["fiscal_cost_p95_meur"].tolist()},
                              "", _("year"), _("million EUR"))
            for tr in fan["data"]:
                tr.update(xaxis="x2", yaxis="y2")
            fig["data"] += fan["data"]
            fig["layout"].update(
                xaxis={"domain": [0, 0.45], "title": {"text": _("t")}}, yaxis={"automargin": True},
                xaxis2={"domain": [0.58, 1], "anchor": "y2", "title": {"text": _("year")}},
                yaxis2={"anchor": "x2", "title": {"text": _("Fiscal cost per year (million EUR)") + f" — {pk[0]}"}},
                height=460)
        return fig

    return build


@router.post("/runs", response_model=JobPublic, status_code=status.HTTP_202_ACCEPTED, dependencies=[CsrfDep],
             responses={**QUEUE_FULL_RESPONSES, 403: {"model": Problem}, 422: {"model": Problem}})
def start_run(body: ClubRunIn, user: AnalystUser, jobs: JobsDep) -> JobPublic:
    """Run the baseline and packages of a built-in case as a background job (result: summary, by_year, projects)."""
    from fastapi import HTTPException

    from crmsec.club.spec import builtin_cases, load_case

    if body.case not in builtin_cases():
        raise HTTPException(422, f"no built-in club case '{body.case}'; cases: {builtin_cases()}")
    case = load_case(body.case)
    for p in body.packages or []:
        case.package(p)  # unknown package → 422 before the job starts

    def work(progress):  # noqa: ANN001, ANN202
        from crmsec.club.results import run_case

        res = run_case(case, body.packages, n_paths=body.paths, seed=body.seed, appraisal_paths=min(256, body.paths))
        out: dict[str, Any] = {"tables": {"summary": res.summary, "by_year": res.by_year, "projects": res.projects}}
        out["display"] = res.summary[DISPLAY]
        out["summary"] = {"case": case.id, "title": case.title, "paths": body.paths, "seed": body.seed,
                          "price_unit": case.price_unit, "product": case.product,
                          "money": f"million EUR, present value at the public rate {case.finance.public_rate:.2%} "
                                   f"real, {case.eur_per_usd} EUR/USD (assumed); negative fiscal cost = net revenue",
                          "tonnes": f"t/yr of {case.product}",
                          "prices": f"{case.price_unit}, mean over model paths and years {case.base_year}–"
                                    f"{case.base_year + case.n_years}",
                          "shortfall": f"ban year {case.base_year + case.ban.year_offset}; "
                                       + str(res.summary["shortfall_basis"].iloc[0]),
                          "status": "model results on labelled assumptions (/api/v1/club/assumptions), not a forecast"}
        out["figure"] = club_figure(out)
        return out

    return job_public(jobs.submit("club", work, {"case": body.case, "paths": body.paths}, user.username))


@page_router.get("/club", response_class=HTMLResponse)
def club_page(request: Request, user: CurrentUser) -> HTMLResponse:
    """Dashboard page: run and compare the packages of a case; the assumption table."""
    from crmsec.api.services import records
    from crmsec.api.web import render
    from crmsec.club.spec import assumptions

    return render(request, "pages/club.html", user, cases=list_cases().data, assumptions=records(assumptions()))
