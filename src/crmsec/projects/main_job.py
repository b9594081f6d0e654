"""``crmsec run`` step for strategic projects: the public pipeline and an appraisal with instrument packages.

Writes ``projects_pipeline.csv`` (the 60 CRMA Strategic Projects, public fields, from a fresh registry in the
output folder) and ``projects_appraisal.csv`` / ``projects_fan.csv`` for the *illustrative* refinery case of
``examples/illustrative_refinery.yaml`` (labelled as not real data) under five instrument packages.
"""

from __future__ import annotations

from pathlib import Path

from crmsec.output import write_frame
from crmsec.projects.appraisal import appraise
from crmsec.projects.case import load_case
from crmsec.projects.data import EXAMPLE_CASE
from crmsec.projects.service import as_packages, open_registry

# One package per instrument family; strikes in EUR/t of the illustrative case's main product (nickel-like,
# p0 15,500 USD/t), amounts in EUR. Illustrative settings for the demo run, not a policy proposal.
MAIN_JOB_PACKAGES: dict[str, list[str]] = {
    "grant_50m": ["grant:amount=5e7"],
    "guarantee_80pct": ["guarantee:share=0.8,spread=0.01"],
    "floor_13000": ["floor:strike=13000"],
    "cfd_14500": ["cfd:strike=14500"],
    "offtake_half_floored": ["offtake:share=0.5,floor=13000"],
}


def write_outputs(out_dir: Path, con: object = None, store: Path | None = None) -> list[Path]:
    out_dir = Path(out_dir)
    registry = open_registry(f"sqlite:///{out_dir / 'projects.sqlite'}")
    pipeline = registry.list_projects(role="public")
    write_frame(pipeline, out_dir / "projects_pipeline.csv")
    case = load_case(EXAMPLE_CASE)
    packages = [p for name, specs in MAIN_JOB_PACKAGES.items() for p in as_packages(specs, name=name)]
    result = appraise(case, packages, n_paths=10_000, seed=20250325)
    write_frame(result.summary, out_dir / "projects_appraisal.csv")
    write_frame(result.fan, out_dir / "projects_fan.csv")
    return [out_dir / "projects_pipeline.csv", out_dir / "projects_appraisal.csv", out_dir / "projects_fan.csv"]
