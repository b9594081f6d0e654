"""Command-line interface: ``crmsec <command>`` (typer + rich).

Exit codes (DESIGN.md §2a): 0 success; 1 domain error (bad data or input the engine refused: one message, no
traceback); 2 usage error (unknown option, missing argument, bad choice or number: one message and a hint, no
traceback) and internal errors (bugs, with a traceback).

Start-up is part of the user's wait: the sub-commands live next to the code they drive and are imported only
when invoked (:class:`LazyGroup`); ``crmsec --help`` lists them from :data:`COMMANDS` without importing any
engine, pandas or the store.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import typer
from typer.core import TyperGroup

#: top-level command → (module, attribute, one-line help). The attribute is either a sub-app (``typer.Typer``),
#: a command function, or ``register`` (a function that adds its commands to a root app).
COMMANDS: dict[str, tuple[str, str, str]] = {
    "data": ("crmsec.store.cli", "app", "Build and inspect the pinned data vintage (DuckDB)."),
    "assess": ("crmsec.criticality.cli", "register", "EU criticality (SR × EI), GeoPolRisk and the Dutch view."),
    "list": ("crmsec.criticality.cli", "register", "National critical raw materials lists (17 of the EU's 34)."),
    "chains": ("crmsec.scenarios.cli", "register", "Value chains: who mines, refines and makes the parts."),
    "crma": ("crmsec.scenarios.cli", "register", "CRMA 2030 benchmark tracker (10/40/25/65 %)."),
    "scenario": ("crmsec.scenarios.cli", "register", "Disruption scenarios: export controls, bans, closed straits."),
    "allocate": ("crmsec.optimize.cli", "register", "Allocate scarce volumes to priority sectors (explicit rule)."),
    "stockpile": ("crmsec.optimize.cli", "register", "Size national and pooled stockpiles."),
    "project": ("crmsec.projects.cli", "register", "Strategic-project pipeline and appraisal with public instruments."),
    "portfolio": ("crmsec.projects.cli", "register", "Choose a portfolio of projects under a public budget."),
    "club": ("crmsec.club.cli", "register", "Plurilateral club market: floor, standards, subsidies, offtake, joint buying."),
    "circularity": ("crmsec.circularity.cli", "register", "NL urban mine of batteries → secondary supply of CRMs."),
    "company": ("crmsec.company.cli", "app", "Company self-assessment: how exposed is my bill of materials?"),
    "brief": ("crmsec.reports.cli", "app", "Bilingual briefings (HTML, PDF, XLSX)."),
    "serve": ("crmsec.api.cli", "serve", "REST API and web dashboard on localhost."),
}


def _load(name: str):  # noqa: ANN202 - returns a click command of whichever click typer uses
    """Import the module behind ``name`` and return its click command."""
    module_name, attr, _help = COMMANDS[name]
    target = getattr(importlib.import_module(module_name), attr)
    holder = typer.Typer()
    holder.callback()(lambda: None)  # a callback keeps a one-command app a group, so lookup by name works
    if isinstance(target, typer.Typer):
        holder.add_typer(target, name=name)
    elif attr == "register":
        target(holder)
    else:
        holder.command(name)(target)
    return typer.main.get_command(holder).commands.get(name)


class LazyGroup(TyperGroup):
    """A typer group whose sub-commands are imported on first use; help lists them from :data:`COMMANDS`."""

    _listing = False

    def list_commands(self, ctx):  # noqa: ANN001, ANN201
        return [*COMMANDS, *super().list_commands(ctx)]

    def get_command(self, ctx, cmd_name):  # noqa: ANN001, ANN201
        if cmd_name not in COMMANDS:
            return super().get_command(ctx, cmd_name)
        if self._listing:  # only the name and the one-line help are needed to list it
            return TyperGroup(name=cmd_name, help=COMMANDS[cmd_name][2])
        return _load(cmd_name)

    def format_help(self, ctx, formatter):  # noqa: ANN001, ANN201
        self._listing = True
        try:
            return super().format_help(ctx, formatter)
        finally:
            self._listing = False


app = typer.Typer(
    name="crmsec",
    cls=LazyGroup,
    help="Security of supply of critical raw materials for the Netherlands (EU CRMA).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """Security of supply of critical raw materials for the Netherlands (EU CRMA)."""



@app.command("run")
def run(
    out: Path = typer.Option(Path("out"), help="Output folder."),
    store: Path | None = typer.Option(None, help="Store file (default: data/store/default.duckdb)."),
) -> None:
    """The main job: criticality and national list, CRMA tracker, scenarios, crisis, projects, briefings → OUT."""
    import pandas as pd
    from rich.console import Console

    from crmsec.main_job import run_main_job
    from crmsec.output import rich_table, stderr

    with stderr.status("running") as status:
        summary = run_main_job(out, store, on_step=lambda label: status.update(f"running: {label}"))
    console = Console()
    nl_list = out / "national_list.csv"
    if nl_list.exists():
        frame = pd.read_csv(nl_list, comment="#")
        cols = [c for c in ("rank", "material", "score", "sr_nl", "va_exposed_meur", "top_origin", "top_origin_share",
                            "hub") if c in frame.columns]
        shown = frame[frame["on_list"]] if "on_list" in frame else frame
        console.print(rich_table(shown[cols], "National critical raw materials list (drivers per material in "
                                 f"{nl_list})"))
    console.print(rich_table(pd.DataFrame(summary), f"crmsec run — outputs in {out}/"))


def _is(err: BaseException, *names: str) -> bool:
    """Whether ``err`` is a click exception of one of ``names`` — by class name, so it holds whether typer uses
    the ``click`` package or a vendored copy (typer ≥ 0.29 bundles its own)."""
    return any(cls.__name__ in names for cls in type(err).__mro__)


def _usage_error(err: BaseException) -> int:
    """Print a click usage/parameter error as two lines (what was wrong; where to look) and return its code."""
    from rich.console import Console
    from rich.markup import escape

    console = Console(stderr=True, highlight=False)
    ctx = getattr(err, "ctx", None)
    if _is(err, "NoArgsIsHelpError") and ctx is not None:  # bare group: show its help, not an error
        console.print(ctx.get_help(), markup=False)
        return 0
    console.print(f"[bold red]error:[/bold red] {escape(err.format_message())}")
    if _is(err, "UsageError") and ctx is not None:
        console.print(f"Try '{ctx.command_path} --help' for the options and valid values.")
    return int(getattr(err, "exit_code", 2))


def main(argv: list[str] | None = None) -> None:
    """Entry point with the error contract (module docstring): never a traceback for a user error."""
    try:
        code = app(args=argv, prog_name="crmsec", standalone_mode=False)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.stderr.write("aborted\n")
        sys.exit(130)
    except Exception as err:  # noqa: BLE001 - classified below; only a bug shows a traceback
        from crmsec.errors import CrmsecError

        if isinstance(err, CrmsecError):
            from rich.console import Console
            from rich.markup import escape

            Console(stderr=True, highlight=False).print(f"[bold red]error:[/bold red] {escape(str(err))}")
            sys.exit(1)
        if _is(err, "Exit"):
            sys.exit(getattr(err, "exit_code", 0) or 0)
        if _is(err, "Abort"):
            sys.stderr.write("aborted\n")
            sys.exit(1)
        if _is(err, "ClickException"):
            sys.exit(_usage_error(err))
        from rich.console import Console

        Console(stderr=True).print_exception()
        sys.exit(2)
    # standalone_mode=False returns the exit code of a typer.Exit instead of raising it
    sys.exit(code if isinstance(code, int) and not isinstance(code, bool) else 0)


if __name__ == "__main__":
    main()
