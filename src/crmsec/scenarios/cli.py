"""CLI: ``crmsec chains list|show``, ``crmsec crma``, ``crmsec scenario list|show|run``.

Registered on the root app with one line: ``register(app)``.
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from crmsec.errors import InputError
from crmsec.output import PROVENANCE_OPT, Format, emit, stderr

if TYPE_CHECKING:  # pandas is imported where a frame is built: `--help` stays light
    pass

chains_app = typer.Typer(help="Value chains: who mines, refines and makes the parts; weakest stage.",
                         no_args_is_help=True)
scenario_app = typer.Typer(help="Disruption scenarios: export controls, bans, closed straits.", no_args_is_help=True)
controls_app = typer.Typer(help="Export-control ledger: measures, status as of a date, scenario from a measure.",
                           no_args_is_help=True)


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
                output: Path | None = typer.Option(None, "--output"),
                provenance: bool = PROVENANCE_OPT) -> None:
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
    provenance: bool = PROVENANCE_OPT,
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
    cols = ["node_id", "label", "stage", "material_id", "data_status", "top_country", "top_share", "hhi", "risk",
            "weakest", "weakest_caveat", "sectors", "source", "reason"]
    if fmt is Format.table and output is None:
        cols = [c for c in cols if c not in ("source", "material_id")]
    emit(risk[cols], fmt, output, title=f"{chain.name}: concentration × governance per stage")
    if output is None and fmt is Format.table:
        weakest = risk[risk["weakest"]]
        if not weakest.empty:
            w = weakest.iloc[0]
            stderr.print(f"weakest stage: [bold]{w['label']}[/bold] (top supplier {w['top_country']} "
                         f"{w['top_share']:.0%}, HHI {w['hhi']:.2f}, risk {w['risk']:.2f}) → sectors {w['sectors']}"
                         + (f"; {w['weakest_caveat']}" if w["weakest_caveat"] else ""))
        emit(chain_sectors(name, con), fmt, None, title="Dependent sectors (NL and EU value added, M EUR)")


def crma_command(
    long: bool = typer.Option(False, "--long", help="One row per material and benchmark, with data and flags."),
    store: Path | None = typer.Option(None, "--store", help="Store file (default vintage)."),
    fmt: Format = typer.Option(Format.table, "--format"),
    output: Path | None = typer.Option(None, "--output"),
    provenance: bool = PROVENANCE_OPT,
) -> None:
    """CRMA 2030 benchmarks per strategic raw material: extraction ≥ 10 %, processing ≥ 40 %,
    recycling ≥ 25 %, single third country ≤ 65 % (Regulation (EU) 2024/1252 Art. 5)."""
    from crmsec.crma import crma_table, crma_wide
    from crmsec.crma.api import TITLE

    table = crma_table(_store(store))
    frame = table if long else crma_wide(table)
    if not long and fmt is Format.table and output is None:
        frame = frame[["material", "level", "extraction_display", "processing_display",
                       "recycling_eol_rir_proxy_display", "diversification_display", "largest_third_country",
                       "worst_stage", "nl_processing_display", "reference_period"]].rename(columns={
            "extraction_display": "extraction", "processing_display": "processing",
            "recycling_eol_rir_proxy_display": "recycling (EoL-RIR proxy)",
            "diversification_display": "largest 3rd country", "largest_third_country": "country",
            "nl_processing_display": "NL processing"})
    emit(frame, fmt, output, title=TITLE)


@scenario_app.command("list")
def scenario_list(fmt: Format = typer.Option(Format.table, "--format"),
                  output: Path | None = typer.Option(None, "--output"),
                  provenance: bool = PROVENANCE_OPT) -> None:
    """List the built-in scenario library."""
    from crmsec.scenarios.api import list_scenarios

    emit(list_scenarios(), fmt, output, title="Built-in scenarios")


@scenario_app.command("show")
def scenario_show(name: str = typer.Argument(..., help="Built-in id or path to a scenario YAML file."),
                  fmt: Format = typer.Option(Format.table, "--format"),
                  output: Path | None = typer.Option(None, "--output"),
                  provenance: bool = PROVENANCE_OPT) -> None:
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
    attribution: str = typer.Option("stop", "--attribution",
                                    help="Sectors hit: stop (sectors that stop, e.g. magnets → C27–C29) or eu_ei "
                                    "(EU EI convention, magnets → C25)."),
    annual: bool = typer.Option(False, "--annual", help="With --draws: the annual mixture instead of statistics "
                                "conditional on each event."),
    store: Path | None = typer.Option(None, "--store", help="Store file (default vintage)."),
    fmt: Format = typer.Option(Format.table, "--format"),
    output: Path | None = typer.Option(None, "--output"),
    provenance: bool = PROVENANCE_OPT,
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
    if attribution not in ("stop", "eu_ei"):
        raise InputError(f"--attribution {attribution!r}: choose stop or eu_ei")
    inputs = store_inputs(con, nl_mix=nl_mix, attribution=attribution)
    if draws > 0:
        if table not in (None, Table.ensemble):
            raise InputError("--table: with --draws only 'ensemble' is available")
        with Progress(TextColumn("ensemble"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=stderr) as bar:
            task = bar.add_task("draws", total=draws * (1 if annual else len(scenarios)))
            res = ensemble_from_store(scenarios, draws, seed=seed, scheduler=scheduler, chunk_size=chunk_size,
                                      inputs=inputs, progress=lambda done, total: bar.update(task, completed=done),
                                      conditional=not annual)
        stats = res.stats[res.stats["region"].isin(region)]
        what = ("annual mixture: events drawn with their annual probabilities" if annual else
                "conditional on each event; annual probability and expected loss in their own columns")
        emit(stats, fmt, output, title=f"Ensemble of {draws:,} draws, seed {seed} (mean, P95, CVaR95; {what}; "
             "va_lost = upper bound φ = 1, va_lost_central = central case)")
        return
    which = table or Table.materials
    if which is Table.ensemble:
        raise InputError("--table ensemble needs --draws N")
    frames = []
    for sc in scenarios:
        res = run_scenario_from_store(sc, inputs=inputs, regions=region, depth=depth, duration_days=duration,
                                      stock_days=stock_days)
        frames.append(getattr(res, which.value))
    if which is Table.scenario_set and len(frames) > 1:
        from crmsec.scenarios.impact import scenario_set_all

        frame = scenario_set_all(frames)  # mutually exclusive annual probabilities for the optimiser
    else:
        import pandas as pd

        frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if which is Table.materials:
        keep = ["scenario_id", "region", "material_id", "binding_stage", "shortfall_share", "shortfall_t_central",
                "shortfall_t_upper_bound", "unit", "duration_days", "effective_days", "days_to_stockout",
                "days_to_stockout_30d", "days_to_stockout_60d", "days_to_stockout_90d", "price_shock", "reason"]
        if fmt is Format.table and output is None:
            frame = frame[keep]
    what = {"sectors": " (va_at_risk_central_meur = central ESTIMATE: SI_EI substitution, stock draw-down, sector "
                        "dependency from an assumption table; va_at_risk_upper_bound_meur = UPPER BOUND, φ = 1)",
            "materials": " (shortfall_t_central = central estimate; shortfall_t_upper_bound = upper bound; "
                         "days_to_stockout_30d/60d/90d = range for 30/60/90 d of working stocks)"}.get(which.value, "")
    emit(frame, fmt, output, title=f"Scenario {name}: {which.value}{what}")


def _as_of(text: str | None):
    from datetime import date

    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"--as-of {text!r}: give a date as YYYY-MM-DD") from None


@controls_app.command("list")
def controls_list(
    as_of: str | None = typer.Option(None, "--as-of", help="Status date YYYY-MM-DD (default: today; statuses "
                                     "after the ledger's knowledge date say 'not verified')."),
    store: Path | None = typer.Option(None, "--store", help="Store file (default vintage)."),
    fmt: Format = typer.Option(Format.table, "--format"),
    output: Path | None = typer.Option(None, "--output"),
) -> None:
    """Export-control measures (China, DR Congo, Indonesia) with dates, materials, source and status."""
    from crmsec.scenarios.controls import ledger_from_store, ledger_status

    day = _as_of(as_of)
    frame = ledger_status(ledger_from_store(_store(store)), day)
    cols = ["measure_id", "issuer_iso3", "legal_reference", "announced", "effective", "materials", "measure_class",
            "status", "status_as_of", "verified_to", "source_url"]
    if fmt is Format.table and output is None:
        cols = ["measure_id", "announced", "effective", "materials", "measure_class", "status", "source_url"]
    emit(frame[cols], fmt, output, title=f"Export-control ledger (status as of {frame['status_as_of'].iloc[0]}; "
         f"sources verified to {frame['verified_to'].iloc[0]})")


@controls_app.command("show")
def controls_show(
    measure_id: str = typer.Argument(..., help="Ledger id, e.g. CN-2025-18-REE."),
    as_of: str | None = typer.Option(None, "--as-of", help="Status date YYYY-MM-DD."),
    store: Path | None = typer.Option(None, "--store", help="Store file (default vintage)."),
    fmt: Format = typer.Option(Format.table, "--format"),
    output: Path | None = typer.Option(None, "--output"),
) -> None:
    """One measure: legal reference, dates, items, customs codes, source, status and base-rate probability."""
    from crmsec.scenarios.controls import base_rate, ledger_from_store, ledger_status

    led = ledger_from_store(_store(store))
    frame = ledger_status(led, _as_of(as_of))
    row = frame[frame["measure_id"] == measure_id]
    if row.empty:
        raise InputError(f"unknown measure {measure_id!r}; see `crmsec controls list` for the ids")
    rec = row.iloc[0].to_dict()
    br = base_rate(led, str(rec["issuer_iso3"]), str(rec["materials"]).split(";"), _as_of(as_of))
    rec.update(base_rate_probability=f"{br['probability']:.2f}/yr", base_rate_basis=br["basis"])
    import pandas as pd

    emit(pd.DataFrame({"field": list(rec), "value": [str(v) for v in rec.values()]}), fmt, output, title=measure_id)


@controls_app.command("scenario")
def controls_scenario(
    measure_id: str = typer.Argument(..., help="Ledger id, e.g. CN-2025-10-WTeBiMoIn."),
    stage: list[str] = typer.Option(None, "--stage", help="Stage(s) the measure hits (default by issuer/class)."),
    as_of: str | None = typer.Option(None, "--as-of", help="Status date YYYY-MM-DD."),
    store: Path | None = typer.Option(None, "--store", help="Store file (default vintage)."),
    output: Path | None = typer.Option(None, "--output", help="Write the scenario YAML here (default: stdout)."),
) -> None:
    """Turn a ledger measure into a scenario YAML (class defaults labelled [D]); run it with `crmsec scenario run FILE`."""
    import yaml

    from crmsec.scenarios.controls import ledger_from_store, scenario_from_measure
    from crmsec.scenarios.spec import parse_scenario

    data = scenario_from_measure(ledger_from_store(_store(store)), measure_id, stages=stage or None,
                                 as_of=_as_of(as_of))
    parse_scenario(data, where=f"ledger {measure_id}")  # validate before writing
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    if output is None:
        typer.echo(text)
    else:
        output.write_text(text, encoding="utf-8")
        stderr.print(f"wrote {output}; run it with `crmsec scenario run {output}`")


def register(app: typer.Typer) -> None:
    """Add ``chains``, ``crma``, ``scenario`` and ``controls`` to the root CLI."""
    app.add_typer(chains_app, name="chains")
    app.command("crma")(crma_command)
    app.add_typer(scenario_app, name="scenario")
    app.add_typer(controls_app, name="controls")
