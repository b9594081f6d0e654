"""Background jobs: status with progress, and results (owner or admin only)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query

from crmsec.api.auth import User
from crmsec.api.deps import AnalystUser, JobsDep, LangDep
from crmsec.api.jobs import Job
from crmsec.api.models import JobPublic, JobResultPublic, Problem
from crmsec.api.services import records

router = APIRouter(prefix="/api/v1/jobs", tags=["jobs"])
JobId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]


def job_public(job: Job) -> JobPublic:
    return JobPublic(
        id=job.id, kind=job.kind, status=job.status, progress=job.progress, message=job.message, error=job.error,
        status_url=f"/api/v1/jobs/{job.id}",
        result_url=f"/api/v1/jobs/{job.id}/result" if job.status == "done" else None,
    )


def owned_job(jobs, job_id: str, user: User) -> Job:  # noqa: ANN001
    job = jobs.get(job_id)
    if job is None or (job.owner != user.username and user.role != "admin"):
        raise HTTPException(404, "job not found (jobs are kept in memory and visible to their owner only)")
    return job


@router.get("/{job_id}", response_model=JobPublic, responses={404: {"model": Problem}})
def job_status(job_id: JobId, user: AnalystUser, jobs: JobsDep) -> JobPublic:
    return job_public(owned_job(jobs, job_id, user))


def result_payload(result: dict[str, Any], view: str, lang: str) -> dict[str, Any]:
    """A job result as JSON: tables as records; ``view=figure`` adds the Plotly figure and an HTML table."""
    from crmsec.api.web import render_fragment

    out: dict[str, Any] = {"summary": result.get("summary", {}), "text": result.get("text", "")}
    if view == "figure":
        out["figure"] = result["figure"](lang) if callable(result.get("figure")) else result.get("figure")
        frame = result.get("display")
        if frame is not None:
            out["table_html"] = render_fragment("table_fragment.html", lang, columns=list(frame.columns),
                                                rows=records(frame))
        return out
    out["tables"] = {name: {"columns": [str(c) for c in f.columns], "data": records(f), "count": len(f)}
                     for name, f in result.get("tables", {}).items()}
    return out


@router.get("/{job_id}/result", response_model=JobResultPublic, response_model_exclude_none=True,
            responses={404: {"model": Problem}, 409: {"model": Problem}})
def job_result(job_id: JobId, user: AnalystUser, jobs: JobsDep, lang: LangDep,
               view: Annotated[Literal["tables", "figure"], Query()] = "tables") -> dict[str, Any]:
    """The result tables of a finished job (``view=figure`` for the dashboard chart)."""
    job = owned_job(jobs, job_id, user)
    if job.status == "failed":
        raise HTTPException(409, f"job failed: {job.error}")
    if job.status != "done":
        raise HTTPException(409, f"job is {job.status} ({job.progress:.0%}); poll {job_public(job).status_url}")
    return {**result_payload(job.result, view, lang), "meta": getattr(job, "meta", None)}
