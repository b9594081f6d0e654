"""Strategic projects: pipeline, one project, appraisals (background jobs), CSV import.

Confidentiality: restricted projects never leave the server for the public role (neither in lists nor by
code: a hidden project answers 404 exactly like a missing one), and the confidential fields of public
projects (the business case and the audit trail: company data) are withheld from the public role.
"""

from __future__ import annotations

from pathlib import Path as FsPath
from typing import Annotated, Any

from fastapi import APIRouter, File, HTTPException, Path, Query, UploadFile, status
from pydantic import Field

from crmsec.api import engines, figures
from crmsec.api.auth import User
from crmsec.api.deps import AnalystUser, CsrfDep, CurrentUser, JobsDep, ProjectsDep, SettingsDep
from crmsec.api.i18n import translator
from crmsec.api.models import JobPublic, Problem, ProjectPublic, RequestBody, TablePublic
from crmsec.api.routers.common import QUEUE_FULL_RESPONSES, engine_call, table
from crmsec.api.routers.jobs import job_public
from crmsec.api.services import clean
from crmsec.api.uploads import parse_csv, read_upload
from crmsec.errors import InputError

router = APIRouter(prefix="/api/v1/projects", tags=["projects"])
Code = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.\-]{1,64}$")]
#: fields withheld from the public role even on public projects (``version`` counts edits, incl. business-case ones)
CONFIDENTIAL_FIELDS = ("case", "has_case", "history", "version")


def visible_projects(registry, user: User, **filters: Any):  # noqa: ANN001, ANN201
    frame = registry.list_projects(role=user.role, **filters)
    if user.role == "public":
        frame = frame.drop(columns=[c for c in CONFIDENTIAL_FIELDS if c in frame.columns])
    return frame


def visible_project(registry, code: str, user: User) -> dict[str, Any]:  # noqa: ANN001
    try:
        rec = registry.get(code, role=user.role)
    except InputError:
        raise HTTPException(404, f"project '{code}' not found") from None
    rec = {k: (clean(v) if not isinstance(v, list | dict | tuple) else v) for k, v in rec.items()}
    if user.role == "public":
        for key in CONFIDENTIAL_FIELDS:
            rec.pop(key, None)
    return rec


@router.get("", response_model=TablePublic)
def list_projects(user: CurrentUser, projects: ProjectsDep,
                  material: Annotated[str | None, Query(pattern=r"^[a-z0-9_]{1,64}$")] = None,
                  country: Annotated[str | None, Query(pattern=r"^[A-Za-z]{3}$")] = None,
                  project_status: Annotated[str | None, Query(alias="status", max_length=30)] = None) -> TablePublic:
    """Projects visible to the caller's role (public: public projects, without confidential fields)."""
    frame = engine_call(lambda: visible_projects(projects, user, material=material, country=country,
                                                 status=project_status))
    return table(frame, "projects")


# before /{code}: a path route defined later would be shadowed for other methods (OPTIONS → wrong Allow)
@router.post("/import", dependencies=[CsrfDep],
             responses={403: {"model": Problem}, 413: {"model": Problem}, 415: {"model": Problem},
                        422: {"model": Problem}})
async def import_projects(file: Annotated[UploadFile, File(description="project CSV (registry columns)")],
                          user: AnalystUser, projects: ProjectsDep, settings: SettingsDep) -> TablePublic:
    """Import projects from a CSV (size-limited, parsed in memory; all rows validated first, all-or-nothing,
    audited). Making a restricted project public needs the admin role (403 otherwise, nothing written)."""
    text = await read_upload(file, settings.max_upload_bytes, "csv")
    name = FsPath(file.filename or "projects.csv").name
    frame = parse_csv(text, name)  # ragged rows refused, naming the row
    done = projects.import_frame(frame, actor=user.username or "api", file=name, role=user.role)
    return table(done, "imported")


@router.get("/{code}", response_model=ProjectPublic, response_model_exclude_unset=True,
            responses={404: {"model": Problem}})
def get_project(code: Code, user: CurrentUser, projects: ProjectsDep) -> ProjectPublic:
    """One project; 404 when it does not exist or is restricted and the caller is public."""
    rec = visible_project(projects, code, user)
    rec["capacity_by_year"] = [{"year": y, "quantity": q, "unit": u} for y, q, u in rec.get("capacity_by_year") or []]
    return ProjectPublic(**rec)


class AppraisalIn(RequestBody):
    instruments: list[str] = Field(default_factory=list, max_length=8,
                                   description="instrument specs, e.g. 'floor:strike=18000', 'grant:amount=5e7'")
    n_paths: int = Field(10_000, ge=100, le=50_000)
    seed: int = Field(20250325, ge=0, le=2**31 - 1)


def appraisal_figure(result: dict[str, Any]):  # noqa: ANN201
    def build(lang: str) -> dict[str, Any]:
        _ = translator(lang)
        fan = result["tables"]["fan"]
        pkg = "package" if (fan["package"] == "package").any() else "none"
        sel = fan[(fan["package"] == pkg) & (fan["variable"] == "equity_cf_cumulative")].sort_values("year")
        bands = {k: (sel[k] / 1e6).tolist() for k in ("p05", "p10", "p25", "p50", "p75", "p90", "p95") if k in sel}
        title = _("Cumulative equity cash flow (fan chart)") + (" — " + _("with instruments") if pkg != "none" else "")
        return figures.fan(sel["year"].tolist(), bands, title, _("year"), "M EUR")

    return build


@router.post("/{code}/appraisals", response_model=JobPublic, status_code=status.HTTP_202_ACCEPTED,
             dependencies=[CsrfDep], responses={**QUEUE_FULL_RESPONSES, 404: {"model": Problem}, 422: {"model": Problem}})
def start_appraisal(code: Code, body: AppraisalIn, user: AnalystUser, jobs: JobsDep,
                    projects: ProjectsDep) -> JobPublic:
    """Monte Carlo appraisal of the project's stored business case, with an optional instrument package."""
    rec = visible_project(projects, code, user)
    from crmsec.projects.instruments import parse_instrument
    from crmsec.projects.service import record_case

    case_data, _archetype = record_case(rec)  # stored case, else the labelled archetype; InputError → 422

    for spec in body.instruments:
        parse_instrument(spec)  # InputError → 422 now

    def work(progress):  # noqa: ANN001, ANN202
        res = engines.appraise_project(case_data, body.instruments, body.n_paths, body.seed, progress)
        res["figure"] = appraisal_figure(res)
        res["display"] = res["tables"]["summary"]
        return res

    return job_public(jobs.submit("appraisal", work, {"code": code, **body.model_dump()}, user.username))
