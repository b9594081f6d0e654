"""CLI: ``crmsec club cases|assumptions|run|compare|partners|floor`` — the plurilateral club market.

Registered on the root app with one line: ``register(app)``. Heavy imports (pandas, numpy, the engine) happen
inside the commands so ``crmsec --help`` stays fast.
"""

from __future__ import annotations

import enum
from pathlib import Path

import typer

from crmsec.output import Format, emit, stderr

club_app = typer.Typer(help="Plurilateral club market (EU–US–Japan): floor, standards, subsidies, offtake, "
                            "joint purchasing — security bought and cost to whom.", no_args_is_help=True)


class Table(str, enum.Enum):  # noqa: UP042 - typer needs a str-mixin Enum for choices
    summary = "summary"
    by_year = "by_year"
    projects = "projects"


COMPARE_ROWS = (
    "induced_capacity_t", "bankable_projects", "world_price_mean", "club_price_mean", "compliant_share_club_final",
    "dominant_share_club_final", "hhi_club_final", "fiscal_cost_mean_meur", "fiscal_cost_p95_meur",
    "fiscal_cost_cvar95_meur", "fiscal_cost_bad_decade_meur", "burden_eu_meur", "burden_us_meur", "burden_jp_meur",
    "burden_nl_meur", "consumer_cost_club_meur", "consumer_cost_nl_meur", "leakage_meur", "ban_shortfall_club_t",
    "ban_shortfall_nl_t", "security_gain_t", "security_gain_t_per_meur",
)


@club_app.command("cases")
def cases_command(fmt: Format = typer.Option(Format.table, "--format"),
                  output: Path | None = typer.Option(None, "--output")) -> None:
    """List the built-in club cases and their packages."""
    import pandas as pd

    from crmsec.club.spec import builtin_cases, load_case

    rows = []
    for cid in builtin_cases():
        c = load_case(cid)
        rows.append({"case": cid, "title": c.title, "material_id": c.material_id, "base_year": c.base_year,
                     "n_years": c.n_years, "packages": ", ".join(p.name for p in c.packages)})
    emit(pd.DataFrame(rows), fmt, output, title="Club cases")


@club_app.command("assumptions")
def assumptions_command(fmt: Format = typer.Option(Format.table, "--format"),
                        output: Path | None = typer.Option(None, "--output")) -> None:
    """The labelled assumption table (value, unit, evidence A/C/D/M, source, note)."""
    from crmsec.club.spec import assumptions

    emit(assumptions(), fmt, output, title="Club-market assumptions (A = assumption, C = computed, D = data, M = memory)")


class Conduct(str, enum.Enum):  # noqa: UP042 - typer needs a str-mixin Enum for choices
    competitive = "competitive"
    cournot = "cournot"
    leader = "leader"


CONDUCT_HELP = "Override the dominant supplier's conduct outside flooding episodes (sensitivity)."


@club_app.command("blocks")
def blocks_command(spec: str = typer.Argument("ndpr_oxide", help="Built-in case id or case YAML file."),
                   fmt: Format = typer.Option(Format.table, "--format"),
                   output: Path | None = typer.Option(None, "--output")) -> None:
    """The case's supply blocks: capacity, cash cost, annualised capex, compliance (flag, rule, basis), source."""
    from crmsec.club.partners import compliance_table
    from crmsec.club.spec import load_case

    emit(compliance_table(load_case(spec)), fmt, output, title="Supply blocks (costs in the case's price unit)")


def _run(spec: str, packages: list[str] | None, paths: int, seed: int, appraisal_paths: int,  # noqa: ANN202
         conduct: Conduct | None = None):
    from crmsec.club.results import run_case
    from crmsec.club.spec import load_case

    case = load_case(spec)
    if conduct is not None:
        case = case.model_copy(update={"dominant": case.dominant.model_copy(update={"conduct": conduct.value})})
    stderr.print(f"club case {case.id}: {paths:,} paths × {case.n_years + 1} years, seed {seed}")
    return run_case(case, packages or None, n_paths=paths, seed=seed, appraisal_paths=appraisal_paths)


@club_app.command("run")
def run_command(
    spec: str = typer.Argument(..., help="Built-in case id (e.g. ndpr_oxide) or a case YAML file."),
    package: list[str] = typer.Option(None, "--package", "-p", help="Package(s) to run (default: all of the case)."),
    table: Table = typer.Option(Table.summary, "--table", help="summary | by_year | projects"),
    paths: int = typer.Option(10_000, "--paths", min=2, max=200_000, help="Monte Carlo paths."),
    appraisal_paths: int = typer.Option(256, "--appraisal-paths", min=2, max=20_000,
                                        help="Paths used for the candidates' investment decisions."),
    seed: int = typer.Option(20260325, "--seed"),
    conduct: Conduct | None = typer.Option(None, "--conduct", help=CONDUCT_HELP),
    fmt: Format = typer.Option(Format.table, "--format"),
    output: Path | None = typer.Option(None, "--output"),
) -> None:
    """Run the no-club baseline and the case's packages; one row per package (money in MEUR, PV)."""
    res = _run(spec, package, paths, seed, appraisal_paths, conduct)
    frame = getattr(res, table.value)
    if table is Table.summary and fmt is Format.table and output is None:
        frame = frame[["package", "induced_capacity_t", "world_price_mean", "fiscal_cost_mean_meur",
                       "fiscal_cost_p95_meur", "burden_nl_meur", "consumer_cost_club_meur", "ban_shortfall_club_t",
                       "security_gain_t"]]
    emit(frame, fmt, output, title=f"Club market {res.case.id}: {table.value} ({res.case.price_unit}, MEUR PV)")


@club_app.command("compare")
def compare_command(
    spec: str = typer.Argument(..., help="Built-in case id or case YAML file."),
    package: list[str] = typer.Option(..., "--package", "-p", help="Packages to compare (baseline always included)."),
    paths: int = typer.Option(10_000, "--paths", min=2, max=200_000),
    appraisal_paths: int = typer.Option(256, "--appraisal-paths", min=2, max=20_000),
    seed: int = typer.Option(20260325, "--seed"),
    conduct: Conduct | None = typer.Option(None, "--conduct", help=CONDUCT_HELP),
    fmt: Format = typer.Option(Format.table, "--format"),
    output: Path | None = typer.Option(None, "--output"),
) -> None:
    """Packages side by side (one column per package, the baseline 'none' first)."""
    res = _run(spec, package, paths, seed, appraisal_paths, conduct)
    wide = res.summary.set_index("package")[list(COMPARE_ROWS)].T.reset_index(names="metric")
    emit(wide, fmt, output, title=f"Club packages compared — {res.case.title}")


@club_app.command("partners")
def partners_command(
    material: str = typer.Argument(..., help="Material id (e.g. neodymium) or club case id."),
    partner: list[str] = typer.Option(None, "--partner", help="ISO3 partner(s) (default: the partner registry)."),
    volume: float = typer.Option(2000.0, "--volume", help="t/yr sourced from (or processed in) the partner."),
    registry: bool = typer.Option(False, "--registry", help="Print the partnership registry instead."),
    paths: int = typer.Option(500, "--paths", min=2, max=200_000),
    fmt: Format = typer.Option(Format.table, "--format"),
    output: Path | None = typer.Option(None, "--output"),
) -> None:
    """Rank partners by security gain per EUR: Δ dominant share, ΔHHI, Δ ban shortfall of sourcing X t/yr."""
    from crmsec.club.partners import case_for, partner_registry, partner_whatif
    from crmsec.club.spec import load_case

    reg = partner_registry()
    if registry:
        emit(reg, fmt, output, title="Raw-materials partnerships (verify where marked)")
        return
    case = load_case(case_for(material))
    isos = list(partner) if partner else sorted(set(reg["iso3"]))
    emit(partner_whatif(case, isos, volume, n_paths=paths), fmt, output,
         title=f"Partners for {case.product}: {volume:,.0f} t/yr each (full cost assumed: median candidate)")


@club_app.command("floor")
def floor_command(
    spec: str = typer.Argument("ndpr_oxide", help="Built-in case id or case YAML file."),
    capacity: float = typer.Option(10_000.0, "--capacity", help="Producer under the floor [t/yr]."),
    strike: float = typer.Option(110.0, "--strike", help="Floor F [price unit of the case, e.g. USD/kg]."),
    years: int = typer.Option(10, "--years", min=1, max=40),
    cash_cost: float | None = typer.Option(None, "--cash-cost", help="Producer cash cost (default: median candidate)."),
    paths: int = typer.Option(10_000, "--paths", min=2, max=200_000),
    seed: int = typer.Option(20260325, "--seed"),
    by_year: bool = typer.Option(False, "--by-year", help="Print the payments per year instead of the summary."),
    fmt: Format = typer.Option(Format.table, "--format"),
    output: Path | None = typer.Option(None, "--output"),
) -> None:
    """Fiscal cost distribution of one floor deal (default: 110 USD/kg for 10 years on a 10 kt/yr NdPr producer)."""
    from crmsec.club.floor_deal import floor_deal
    from crmsec.club.spec import load_case

    res = floor_deal(load_case(spec), capacity_t=capacity, strike=strike, years=years, cash_cost=cash_cost,
                     n_paths=paths, seed=seed)
    frame = res["by_year"] if by_year else res["summary"]
    if not by_year and fmt is Format.table and output is None:  # one wide row reads better as metric | value
        frame = frame.T.reset_index().set_axis(["metric", "value"], axis=1)
    emit(frame, fmt, output, title=f"Floor {strike:g} for {years} years on {capacity:,.0f} t/yr (money: million USD, "
                                   "PV at the public rate; EUR at the assumed rate)")


def register(app: typer.Typer) -> None:
    """Add ``club`` to the root CLI."""
    app.add_typer(club_app, name="club")
