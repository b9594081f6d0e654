"""`crmsec data build|status`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from crmsec.output import PROVENANCE_OPT, Format, emit, rich_table, stderr
from crmsec.store.paths import store_path

app = typer.Typer(help="Build and inspect the data vintage store.", no_args_is_help=True)


@app.command("build")
def build(
    vintage: str = typer.Option("default", help="Vintage name; the store is data/store/<vintage>.duckdb."),
    path: Path | None = typer.Option(None, help="Explicit store file path (overrides --vintage)."),
    if_stale: bool = typer.Option(False, "--if-stale", help="Skip the build when the store is newer than every "
                                  "raw file and registry table."),
) -> None:
    """Parse every vendored source, harmonise it through the registries and write the store atomically."""
    target = path or store_path(vintage if vintage != "default" else None)
    from crmsec.store.build import build_store, is_stale

    if if_stale and not is_stale(target):
        stderr.print(f"store {target} is up to date (use without --if-stale to rebuild)")
        return
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=stderr) as bar:
        task = bar.add_task("building store", total=None)
        summary = build_store(path, vintage=vintage, progress=lambda s: bar.update(task, description=f"loading {s}"))
    stderr.print(f"[green]store written[/green] {summary['path']} in {summary['seconds']:.1f} s")
    for table, rows in sorted(summary["tables"].items()):
        stderr.print(f"  {table:<20} {rows:>10,} rows")
    from crmsec.registry.materials import ignored

    stderr.print(f"unmapped names: 0 (an unknown material, country or HS6 code stops the build with its file and row); "
                 f"{len(ignored())} source names ignored on purpose, each with a reason in registry/ignored_names.csv")


@app.command("status")
def status(
    path: Path | None = typer.Option(None, help="Store file (default: the default vintage)."),
    fmt: Format = typer.Option(Format.table, "--format"),
    output: Path | None = typer.Option(None, "--output"),
    provenance: bool = PROVENANCE_OPT,
) -> None:
    """Show what is in the store: tables, sources and vintages, coverage gaps."""
    from crmsec.store.build import store_status

    info = store_status(path or store_path())
    if fmt is not Format.table or output is not None:
        vid = info["build"]["vintage_id"].iloc[0] if "vintage_id" in info["build"] else None
        emit(info["sources"].assign(store_vintage_id=vid), fmt, output)
        return
    console = Console()
    if not info["build"].empty:
        b = info["build"].iloc[0]
        console.print(f"store vintage [bold]{b['vintage']}[/bold] (id [bold]{b.get('vintage_id')}[/bold]), "
                      f"built {b['built_at']} by crmsec {b['crmsec_version']}; manifest sha256 "
                      f"{b.get('manifest_sha256')} ({b.get('manifest_files')} raw files)")
    console.print(rich_table(info["tables"], "Tables"))
    console.print(rich_table(info["sources"], "Sources and vintages"))
    console.print(rich_table(info["gaps"], "Coverage gaps"))
