"""CLI for crisis allocation and stockpile sizing: ``crmsec allocate`` and ``crmsec stockpile …``.

Registered on the root app by :func:`register`. Result tables follow DESIGN §2a (``--format``,
``--output``); the plain-language explanation goes to stderr (so csv/json on stdout stay clean) and,
with ``--report DIR``, to ``DIR/explanation.txt`` next to one CSV per result table.
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.panel import Panel

from crmsec.errors import InputError
from crmsec.output import PROVENANCE_OPT, Format, emit, stderr, write_frame

if TYPE_CHECKING:  # pandas is imported where a frame is built: `--help` stays light
    import pandas as pd

stockpile_app = typer.Typer(
    help="Strategic stockpile sizing: coverage days, two-stage LP, pooled coalition stocks.",
    no_args_is_help=True,
)


class RuleOpt(enum.StrEnum):
    weighted = "weighted"
    strict_tiers = "strict_tiers"
    maxmin = "maxmin"
    floors_prorata = "floors_prorata"
    proportional_floor = "proportional_floor"


class AllocTable(enum.StrEnum):
    allocation = "allocation"
    sectors = "sectors"
    materials = "materials"
    binding = "binding"


class PoolSplit(enum.StrEnum):
    prorata = "prorata"
    optimal = "optimal"


class PoolRule(enum.StrEnum):
    consumption = "consumption"
    exposure = "exposure"


def _read_csv(path: Path, what: str) -> pd.DataFrame:
    """A CSV option's file; ragged rows (more/fewer fields than the header) are refused naming the row."""
    from crmsec.safe_input import read_csv_strict

    return read_csv_strict(path, f"{what} {path}")


def _iso3(codes: list[str]) -> list[str]:
    """Member codes as ISO3; two-letter codes (NL, DE, …) are mapped with the country registry."""
    if all(len(c) == 3 for c in codes):
        return codes
    from crmsec.registry.countries import countries

    reg = countries()
    iso2 = dict(zip(reg["iso2"].astype(str).str.upper(), reg["iso3"], strict=True))
    known = set(reg["iso3"])
    out = []
    for c in codes:
        if c in known:
            out.append(c)
        elif c in iso2:
            out.append(iso2[c])
        else:
            raise InputError(f"--pool: country code {c!r} unknown; use ISO3 (NLD) or ISO2 (NL) codes")
    return out


def _explain(text: str, title: str) -> None:
    stderr.print(Panel(text, title=title, expand=False))


def _report(report: Path | None, frames: dict[str, pd.DataFrame], text: str) -> None:
    if report is None:
        return
    report.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        write_frame(frame, report / f"{name}.csv")
    (report / "explanation.txt").write_text(text + "\n", encoding="utf-8")
    stderr.print(f"[green]wrote[/green] {len(frames)} tables and explanation.txt to {report}")


def allocate_cmd(
    input_file: Path = typer.Argument(
        ..., help="Allocation problem (YAML/JSON), see crmsec/optimize/inputs.py"
    ),
    rule: RuleOpt = typer.Option(RuleOpt.weighted, "--rule", help="Fairness rule"),
    alpha: float = typer.Option(
        0.8, help="Share of the pro-rata allocation guaranteed (rule proportional_floor)"
    ),
    table: AllocTable = typer.Option(
        AllocTable.sectors,
        "--table",
        help="Table for --format csv/json or --output (table format shows sectors, "
        "materials and binding constraints)",
    ),
    fmt: Format = typer.Option(Format.table, "--format", help="table | csv | json"),
    output: Path | None = typer.Option(None, "--output", help="Write the chosen table to this file"),
    provenance: bool = PROVENANCE_OPT,
    report: Path | None = typer.Option(
        None, "--report", help="Write every table as CSV + explanation.txt here"
    ),
) -> None:
    """Allocate scarce material and stock releases to sectors by priority (methods §5.4)."""
    from crmsec.optimize.allocation import allocate
    from crmsec.optimize.inputs import load_allocation
    from crmsec.safe_input import check_options

    check_options(alpha=(alpha, 1e-9, 1))
    problem = load_allocation(input_file)
    stderr.print(f"solving allocation ({rule.value}) …")
    res = allocate(problem, rule.value, alpha=alpha)
    frames = {
        "allocation": res.allocation,
        "sectors": res.sectors,
        "materials": res.materials,
        "binding": res.binding,
    }
    title = f"{problem.name or input_file.name} — rule {rule.value}"
    if fmt is Format.table and output is None:
        emit(res.sectors, fmt, None, title=f"Sectors: {title}")
        emit(res.materials, fmt, None, title="Materials by period (value_per_t = value of one more tonne)")
        if len(res.binding):
            emit(res.binding[["constraint", "explanation"]], fmt, None, title="Binding constraints")
    else:
        emit(frames[table.value], fmt, output, title=title)
    _explain(res.explanation, "Explanation")
    _report(report, frames, res.explanation)


@stockpile_app.command("size")
def size_cmd(
    scenarios: Path = typer.Option(
        ...,
        "--scenarios",
        help="Scenario set CSV: scenario_id, probability, material_id, "
        "shortfall_t[, duration_days][, country]",
    ),
    materials: Path = typer.Option(
        ..., "--materials", help="Material parameters CSV (price, carrying cost, VOLL, …)"
    ),
    tiers: Path | None = typer.Option(
        None, "--tiers", help="VOLL tiers CSV: material_id, tier, share, voll_eur_per_t"
    ),
    budget: float | None = typer.Option(None, "--budget", help="Capital budget [EUR]"),
    cvar_alpha: float | None = typer.Option(None, "--cvar-alpha", help="CVaR level, e.g. 0.95"),
    cvar_weight: float = typer.Option(0.0, "--cvar-weight", help="Weight of CVaR in the objective"),
    service_level: float | None = typer.Option(
        None, "--service-level", help="Required share of expected shortfall covered, e.g. 0.9"
    ),
    country: str | None = typer.Option(None, "--country", help="Member (ISO3) whose scenario rows to use"),
    pool: str | None = typer.Option(
        None, "--pool", help="Coalition members, e.g. NL,DE,BE or NLD,DEU,BEL: pooled vs national"
    ),
    members: Path | None = typer.Option(
        None, "--members", help="Members CSV (country, material_id, consumption_t_per_yr); needed with --pool"
    ),
    pool_rule: PoolRule = typer.Option(
        PoolRule.consumption, "--pool-rule", help="Contribution/release shares"
    ),
    pool_split: PoolSplit = typer.Option(
        PoolSplit.prorata, "--pool-split", help="Sharing a short pool: prorata to shortfall, or optimal"
    ),
    fmt: Format = typer.Option(Format.table, "--format", help="table | csv | json"),
    output: Path | None = typer.Option(None, "--output", help="Write the main table to this file"),
    provenance: bool = PROVENANCE_OPT,
    report: Path | None = typer.Option(
        None, "--report", help="Write every table as CSV + explanation.txt here"
    ),
) -> None:
    """Size strategic stocks with the two-stage stochastic LP (methods §5.3(B)), optionally pooled (§5.3(c))."""
    from crmsec.optimize.stockpile import pool_stockpile, size_stockpile
    from crmsec.safe_input import check_options

    check_options(budget=(budget, 0, 1e15), cvar_alpha=(cvar_alpha, 0, 0.999999), cvar_weight=(cvar_weight, 0, 1e6),
                  service_level=(service_level, 0, 1))
    scn = _read_csv(scenarios, "--scenarios")
    mats = _read_csv(materials, "--materials")
    tier_frame = _read_csv(tiers, "--tiers") if tiers is not None else None
    if pool:
        if members is None:
            raise InputError("--pool needs --members (country, material_id, consumption_t_per_yr)")
        codes = _iso3([c.strip().upper() for c in pool.split(",") if c.strip()])
        if len(codes) < 2:
            raise InputError(f"--pool {pool!r}: give at least two member codes, e.g. NLD,DEU,BEL")
        mem = _read_csv(members, "--members")
        if "country" not in scn.columns:
            raise InputError("--pool needs a country column in the scenarios")
        scn = scn[scn["country"].astype(str).str.upper().isin(codes)].copy()
        mem = mem[mem["country"].astype(str).str.upper().isin(codes)].copy()
        scn["country"] = scn["country"].astype(str).str.upper()
        mem["country"] = mem["country"].astype(str).str.upper()
        missing = sorted(set(codes) - set(mem["country"]))
        if missing:
            raise InputError(f"--pool: member {missing[0]} has no rows in --members {members}")
        stderr.print(f"solving national and pooled stock LPs for {', '.join(codes)} …")
        res = pool_stockpile(
            scn,
            mats,
            mem,
            rule=pool_rule.value,
            split=pool_split.value,
            tiers=tier_frame,
            service_level=service_level,
            budget_eur=budget,
        )
        frames = {
            "comparison": res.comparison,
            "members": res.members,
            "flows": res.flows,
            "national_stock": res.national.stock,
            "pooled_stock": res.pooled.stock,
        }
        if fmt is Format.table and output is None:
            emit(res.comparison, fmt, None, title="Pooled vs national stocks")
            emit(res.members, fmt, None, title=f"Members (shares by {pool_rule.value})")
        else:
            emit(res.comparison, fmt, output, title="Pooled vs national stocks")
        _explain(res.explanation, "Explanation")
        _report(report, frames, res.explanation)
        return
    stderr.print("solving the two-stage stockpile LP …")
    res = size_stockpile(
        scn,
        mats,
        tiers=tier_frame,
        budget_eur=budget,
        cvar_alpha=cvar_alpha,
        cvar_weight=cvar_weight,
        service_level=service_level,
        country=country,
    )
    if len(res.skipped):
        stderr.print(
            f"[yellow]warning:[/yellow] {len(res.skipped)} scenario row(s) with unknown shortfall_t skipped"
        )
    frames = {"stock": res.stock, "scenarios": res.scenarios, "skipped": res.skipped}
    emit(res.stock, fmt, output, title="Optimal stock per material")
    _explain(res.explanation, "Explanation")
    _report(report, frames, res.explanation)


@stockpile_app.command("coverage")
def coverage_cmd(
    materials: Path = typer.Argument(
        ...,
        help="CSV: material_id, consumption_t_per_yr, and days | risk_tier | sr "
        "[, exposed_share, availability_factor]",
    ),
    score: str = typer.Option("sr", "--score", help="Score column for percentile tiers (e.g. sr, score)"),
    availability_factor: float = typer.Option(
        0.9, "--availability-factor", help="Usable share of stock (IEA 0.9)"
    ),
    fmt: Format = typer.Option(Format.table, "--format", help="table | csv | json"),
    output: Path | None = typer.Option(None, "--output", help="Write the table to this file"),
    provenance: bool = PROVENANCE_OPT,
) -> None:
    """Stock targets by the coverage-days rule with risk tiers (methods §5.3(A))."""
    from crmsec.optimize.stockpile import coverage_days_stock, coverage_tiers

    frame = coverage_days_stock(
        _read_csv(materials, "materials"), score=score, availability_factor=availability_factor
    )
    emit(frame, fmt, output, title="Coverage-days stock targets")
    tiers = coverage_tiers()
    _explain(
        "Days of cover per risk tier: "
        + "; ".join(f"{t} {d:g} d" for t, d in zip(tiers["risk_tier"], tiers["days"], strict=True))
        + ". Tiers from percentiles of the score among the materials given (methods §5.3(A)); sources in "
        "crmsec/optimize/data/coverage_tiers.csv.",
        "Coverage rule",
    )


def register(app: typer.Typer) -> None:
    """Add ``allocate`` and ``stockpile`` to the root CLI."""
    app.command("allocate")(allocate_cmd)
    app.add_typer(stockpile_app, name="stockpile")
