"""High-level entry points used by the CLI and the web dashboard (thin: they wire registry, case and core)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from crmsec.errors import InputError
from crmsec.projects.appraisal import AppraisalResult, Valuation, appraise
from crmsec.projects.case import Case, load_case
from crmsec.projects.instruments import Instrument, Package, package, parse_instrument
from crmsec.projects.registry import ProjectRegistry, Role


def open_registry(url: str | Path | None = None, *, seed_if_new: bool = True) -> ProjectRegistry:
    """The project registry at ``url`` (SQLAlchemy URL or SQLite path; default see :func:`registry.default_url`).

    With ``seed_if_new`` a brand-new registry (no projects and no audit history) is seeded with the 60 CRMA
    Strategic Projects, so the pipeline is real from day one; a registry whose projects were deleted on
    purpose is never re-seeded.
    """
    reg = ProjectRegistry(url)
    if seed_if_new and reg.count() == 0 and reg.history().empty:
        from crmsec.projects.seed import seed_strategic_projects

        seed_strategic_projects(reg, actor="seed (new registry)")
    return reg


def list_projects(role: Role = "public", *, registry: ProjectRegistry | None = None, url: str | None = None,
                  **filters: str | None) -> pd.DataFrame:
    """Projects visible to ``role`` (public never sees restricted ones); filters: material, country, stage,
    status."""
    reg = registry or open_registry(url)
    return reg.list_projects(role=role, **filters)


def as_packages(instruments: Sequence[Package | Instrument | str | dict] | None, *, name: str | None = None) -> list[Package]:
    """Normalise user input to packages: Package objects pass through; loose instruments (objects, dicts or
    ``type:key=value`` strings) form ONE combined package, named ``name`` or after their types."""
    if not instruments:
        return []
    pkgs = [i for i in instruments if isinstance(i, Package)]
    loose = [i if not isinstance(i, str | dict) else parse_instrument(i) for i in instruments if not isinstance(i, Package)]
    if loose:
        label = name or "+".join(i.type for i in loose)
        pkgs.append(package(label, *loose))
    return pkgs


def record_case(rec: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """(case data, is_archetype) of a registry record: its stored case, else the labelled archetype case
    (:mod:`crmsec.projects.archetypes`); InputError when the record has neither (no material named)."""
    if rec.get("case"):
        return rec["case"], False
    from crmsec.projects.archetypes import archetype_case

    return archetype_case(rec), True


def project_case(code: str, *, registry: ProjectRegistry | None = None, role: Role = "analyst") -> Case:
    """The economic case of a registry project: the stored one, else its labelled archetype case."""
    reg = registry or ProjectRegistry()
    data, _archetype = record_case(reg.get(code, role=role))
    return load_case(data)


def appraise_project(
    code: str | None = None,
    instruments: Sequence[Package | Instrument | str | dict] | None = None,
    *,
    case: Case | dict[str, Any] | str | Path | None = None,
    registry: ProjectRegistry | None = None,
    role: Role = "analyst",
    n_paths: int = 10_000,
    seed: int = 20250325,
    valuation: Valuation = "real_world",
) -> AppraisalResult:
    """Appraise a registry project (by ``code``) or a given ``case`` with instrument packages.

    Returns an :class:`~crmsec.projects.appraisal.AppraisalResult`: ``summary`` (one row per package incl. the
    baseline ``none``) and ``fan`` (package, variable, year, mean, p05..p95 — fan-chart percentiles per year).
    """
    if case is None:
        if code is None:
            raise InputError("give a project code or a case")
        the_case = project_case(code, registry=registry, role=role)
    else:
        the_case = case if isinstance(case, Case) else load_case(case)
    return appraise(the_case, as_packages(instruments), n_paths=n_paths, seed=seed, valuation=valuation)
