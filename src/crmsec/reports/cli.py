"""`crmsec brief material|scenario|list|club`: write a briefing as HTML, PDF and/or XLSX."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from crmsec.output import stderr

app = typer.Typer(help="Bilingual briefings (HTML, PDF, XLSX) for a material, a scenario, the annual list or a club case.",
                  no_args_is_help=True)


class Lang(StrEnum):
    en = "en"
    nl = "nl"


class Fmt(StrEnum):
    html = "html"
    pdf = "pdf"
    xlsx = "xlsx"
    all = "all"


LangOpt = Annotated[Lang, typer.Option("--lang", help="language of the briefing")]
FmtOpt = Annotated[Fmt, typer.Option("--format", help="html, pdf, xlsx or all")]
OutOpt = Annotated[Path, typer.Option("--output", "-o", help="output folder")]
StoreOpt = Annotated[Path | None, typer.Option(help="DuckDB vintage (default data/store/default.duckdb)")]


def _write(b, fmt: Fmt, out: Path) -> None:  # noqa: ANN001
    from crmsec.reports.briefing import write

    formats = ("html", "pdf", "xlsx") if fmt is Fmt.all else (fmt.value,)
    for path in write(b, out, formats):
        stderr.print(f"[green]wrote[/green] {path}")


def _store(store: Path | None):
    from crmsec.store import open_store

    return open_store(store)


def _engine_guard(fn):  # noqa: ANN001, ANN202
    from crmsec.api.engines import EngineUnavailable
    from crmsec.errors import InputError

    try:
        return fn()
    except EngineUnavailable as err:
        raise InputError(str(err)) from err


@app.command("material")
def brief_material(material_id: str, lang: LangOpt = Lang.en, fmt: FmtOpt = Fmt.all,
                   output: OutOpt = Path("out"), store: StoreOpt = None) -> None:
    """Briefing on one material (registry id, e.g. ``gallium``)."""
    from crmsec.reports.briefing import material_briefing

    _write(_engine_guard(lambda: material_briefing(_store(store), material_id, lang.value)), fmt, output)


@app.command("scenario")
def brief_scenario(name: str, lang: LangOpt = Lang.en, fmt: FmtOpt = Fmt.all, output: OutOpt = Path("out"),
                   draws: Annotated[int, typer.Option(min=0, help="ensemble draws (0 = deterministic)")] = 0,
                   store: StoreOpt = None) -> None:
    """Briefing on a built-in scenario (see ``crmsec scenario list``)."""
    from crmsec.reports.briefing import scenario_briefing

    _write(_engine_guard(lambda: scenario_briefing(_store(store), name, lang.value, draws)), fmt, output)


@app.command("list")
def brief_list(year: Annotated[int | None, typer.Option(help="list year (default: latest)")] = None,
               lang: LangOpt = Lang.nl, fmt: FmtOpt = Fmt.all, output: OutOpt = Path("out"),
               store: StoreOpt = None) -> None:
    """Briefing on the annual Dutch national list with its year-over-year diff."""
    from crmsec.reports.briefing import list_briefing

    _write(_engine_guard(lambda: list_briefing(_store(store), year, lang.value)), fmt, output)


@app.command("club")
def brief_club(case: Annotated[str, typer.Argument(help="built-in club case (see ``crmsec club cases``)")] = "ndpr_oxide",
               lang: LangOpt = Lang.en, fmt: FmtOpt = Fmt.all, output: OutOpt = Path("out"),
               paths: Annotated[int, typer.Option(min=2, max=20_000, help="Monte Carlo paths")] = 2000,
               seed: Annotated[int, typer.Option(help="random seed")] = 20260325) -> None:
    """Briefing on a plurilateral club case: headline cards per package (fiscal cost, NL burden, induced
    capacity, export-ban shortfall) next to the no-club baseline."""
    from crmsec.reports.club_briefing import club_briefing

    _write(club_briefing(case, lang.value, paths, seed), fmt, output)
