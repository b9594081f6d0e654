"""CLI: ``crmsec chains list|show``, ``crmsec crma``, ``crmsec scenario list|show|run``.

Registered on the root app with one line: ``register(app)``.
"""

from __future__ import annotations

import enum
from pathlib import Path

import pandas as pd
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from crmsec.errors import InputError
from crmsec.output import Format, emit, stderr

chains_app = typer.Typer(help="Value chains: who mines, refines and makes the parts; weakest stage.",
                         no_args_is_help=True)
scenario_app = typer.Typer(help="Disruption scenarios: export controls, bans, closed straits.", no_args_is_help=True)


class Table(str, enum.Enum):  # noqa: UP042 - typer needs a str-mixin Enum for choices
    materials = "materials"
    sectors = "sectors"
    stages = "stages"
    timeline = "timeline"
    scenario_set = "scenario_set"
    ensemble = "ensemble"


def _store(path: Path | None):
    from crmsec.store import open_store

    return open_store(path)


@chains_app.command("list")
def chains_list(fmt: Format = typer.Option(Format.table, "--format"),
                output: Path | None = typer.Option(None, "--output")) -> None:
    """List the built-in value chains."""
    from crmsec.chains import list_chains

    emit(list_chains(), fmt, output, title="Value chains")


@chains_app.command("show")
def chains_show(
    name: str = typer.Argument(..., help="Chain id: magnets, batteries, defence, aluminium, helium."),
    graph: bool = typer.Option(False, "--graph", help="Print the graph (nodes and edges) instead of the stage risks."),
    store: Path | None = typer.Option(None, "--store", help="Store file (default vintage)."),
    fmt: Format = typer.Option(Format.table, "--format"),
    output: Path | None = typer.Option(None, "--output"),
) -> None:
    """Stage-by-stage supplier concentration × governance risk, the weakest stage and the dependent sectors."""
    from crmsec.chains import chain_graph_frames, chain_risk, chain_sectors, get_chain

    chain = get_chain(name)
    if graph:
        nodes, edges = chain_graph_frames(name)
        emit(nodes, fmt, output, title=f"{chain.name}: nodes")
        if output is None and fmt is Format.table:
            emit(edges, fmt, None, title=f"{chain.name}: edges")
        return
    con = _store(store)
    risk = chain_risk(name, con)
    cols = ["node_id", "label", "stage", "material_id", "top_country", "top_share", "hhi", "risk", "weakest",
            "sectors", "source", "reason"]
    if fmt is Format.table and output is None:
        cols = [c for c in cols if c not in ("source", "material_id")]
    emit(risk[cols], fmt, output, title=f"{chain.name}: concentration × governance per stage")
    if output is None and fmt is Format.table:
        weakest = risk[risk["weakest"]]
        if not weakest.empty:
            w = weakest.iloc[0]
            stderr.print(f"weakest stage: [bold]{w['label']}[/bold] (top supplier {w['top_country']} "
                         f"{w['top_share']:.0%}, HHI {w['hhi']:.2f}, risk {w['risk']:.2f}) → sectors {w['sectors']}")
        emit(chain_sectors(name, con), fmt, None, title="Dependent sectors (NL and EU value added, M EUR)")


def crma_command(
    long: bool = typer.Option(False, "--long", help="One row per material and benchmark, with data and flags."),
    store: Path | None = typer.Option(None, "--store", help="Store file (default vintage)."),
    fmt: Format = typer.Option(Format.table, "--format"),
    output: Path | None = typer.Option(None, "--output"),
) -> None:
    """CRMA 2030 benchmarks per strategic raw material: extraction ≥ 10 %, processing ≥ 40 %,
    recycling ≥ 25 %, single third country ≤ 65 % (Regulation (EU) 2024/1252 Art. 5)."""
    from crmsec.crma import crma_table, crma_wide

    table = crma_table(_store(store))
    emit(table if long else crma_wide(table), fmt, output, title="CRMA 2030 benchmarks (share of EU consumption)")


@scenario_app.command("list")
def scenario_list(fmt: Format = typer.Option(Format.table, "--format"),
                  output: Path | None = typer.Option(None, "--output")) -> None:
    """List the built-in scenario library."""
    from crmsec.scenarios.api import list_scenarios

    emit(list_scenarios(), fmt, output, title="Built-in scenarios")


@scenario_app.command("show")
def scenario_show(name: str = typer.Argument(..., help="Built-in id or path to a scenario YAML file."),
                  fmt: Format = typer.Option(Format.table, "--format"),
                  output: Path | None = typer.Option(None, "--output")) -> None:
    """Show one scenario with its parameters, sources and assumptions."""
    from crmsec.scenarios.api import scenario_detail

    emit(scenario_detail(name), fmt, output, title=name)


@scenario_app.command("run")
def scenario_run(
    name: str = typer.Argument(..., help="Built-in id, path to a YAML file, or 'all' (the whole library)."),
    draws: int = typer.Option(0, "--draws", help="Ensemble draws (0 = one deterministic run at central values)."),
    seed: int = typer.Option(0, "--seed", help="Root seed of the ensemble."),
    scheduler: str | None = typer.Option(None, "--scheduler", help="Dask scheduler address, e.g. tcp://host:8786."),
    chunk_size: int = typer.Option(100_000, "--chunk-size", help="Draws per chunk."),
    table: Table | None = typer.Option(
        None, "--table", help="Which result to print/write (default: materials; ensemble when --draws > 0). "
        "'scenario_set' is the frame the stockpile optimiser reads."),
    region: list[str] = typer.Option(["NLD", "EU27"], "--region", help="Importer region(s): NLD, EU27."),
    stock_days: float | None = typer.Option(None, "--stock-days", help="User stocks in days of consumption."),
    depth: float | None = typer.Option(None, "--depth", help="Override the depth (0–1)."),
    duration: float | None = typer.Option(None, "--duration", help="Override the duration [days]."),
    nl_mix: str = typer.Option("eu_proxy", "--nl-mix",
                               help="NL sourcing mix: eu_proxy (EU27 mix) or trade (BACI import partners)."),
    store: Path | None = typer.Option(None, "--store", help="Store file (default vintage)."),
    fmt: Format = typer.Option(Format.table, "--format"),
    output: Path | None = typer.Option(None, "--output"),
) -> None:
    """Run a scenario: supply lost per material and stage for NL and the EU, sectors hit, VA at risk."""
    from crmsec.scenarios.api import ensemble_from_store, run_scenario_from_store, store_inputs
    from crmsec.scenarios.spec import builtin_scenarios, get_scenario

    for r in region:
        if r not in ("NLD", "EU27"):
            raise InputError(f"--region {r!r}: choose NLD or EU27")
    if depth is not None and not 0 <= depth <= 1:
        raise InputError(f"--depth {depth}: must lie in [0, 1]")
    from crmsec.safe_input import MAX_DRAWS, check_options

    check_options(draws=(draws, 0, MAX_DRAWS), seed=(seed, 0, 2**32 - 1), chunk_size=(chunk_size, 1, MAX_DRAWS),
                  stock_days=(stock_days, 0, 3650), duration=(duration, 1e-6, 3650))
    scenarios = builtin_scenarios() if name == "all" else [get_scenario(name)]
    con = _store(store)
    inputs = store_inputs(con, nl_mix=nl_mix)
    if draws > 0:
        if table not in (None, Table.ensemble):
            raise InputError("--table: with --draws only 'ensemble' is available")
        with Progress(TextColumn("ensemble"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=stderr) as bar:
            task = bar.add_task("draws", total=draws)
            res = ensemble_from_store(scenarios, draws, seed=seed, scheduler=scheduler, chunk_size=chunk_size,
                                      inputs=inputs, progress=lambda done, total: bar.update(task, completed=done))
        stats = res.stats[res.stats["region"].isin(region)]
        emit(stats, fmt, output, title=f"Ensemble of {draws:,} draws, seed {seed} (mean, P95, CVaR95)")
        return
    which = table or Table.materials
    if which is Table.ensemble:
        raise InputError("--table ensemble needs --draws N")
    frames = []
    for sc in scenarios:
        res = run_scenario_from_store(sc, inputs=inputs, regions=region, depth=depth, duration_days=duration,
                                      stock_days=stock_days)
        frames.append(getattr(res, which.value))
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if which is Table.materials:
        keep = ["scenario_id", "region", "material_id", "binding_stage", "shortfall_share", "shortfall_t", "unit",
                "duration_days", "effective_days", "days_to_stockout", "price_shock", "mix_basis", "reason"]
        if fmt is Format.table and output is None:
            frame = frame[keep]
    emit(frame, fmt, output, title=f"Scenario {name}: {which.value}")


def register(app: typer.Typer) -> None:
    """Add ``chains``, ``crma`` and ``scenario`` to the root CLI."""
    app.add_typer(chains_app, name="chains")
    app.command("crma")(crma_command)
    app.add_typer(scenario_app, name="scenario")
