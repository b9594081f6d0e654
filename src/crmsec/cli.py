"""Command-line interface: ``crmsec <command>`` (typer + rich).

Exit codes (DESIGN.md §2a): 0 success, 1 user/input/data error (message, no traceback), 2 internal error.
Each capability registers its own sub-app here; the commands live next to the code they drive.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from crmsec.errors import CrmsecError
from crmsec.output import stderr

app = typer.Typer(
    name="crmsec",
    help="Security of supply of critical raw materials for the Netherlands (EU CRMA).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

# --- sub-apps (one line per capability) ---------------------------------------------------------
from crmsec.store.cli import app as data_app  # noqa: E402

app.add_typer(data_app, name="data")
from crmsec.api.cli import serve as _serve  # noqa: E402

app.command("serve")(_serve)
from crmsec.reports.cli import app as brief_app  # noqa: E402

app.add_typer(brief_app, name="brief")
__import__("crmsec.optimize.cli", fromlist=["register"]).register(app)  # crmsec allocate / crmsec stockpile
__import__("crmsec.projects.cli", fromlist=["register"]).register(app)  # crmsec project … / crmsec portfolio
__import__("crmsec.scenarios.cli", fromlist=["register"]).register(app)  # crmsec chains / crma / scenario
__import__("crmsec.criticality.cli", fromlist=["register"]).register(app)  # crmsec assess / crmsec list nl
app.add_typer(__import__("crmsec.company.cli", fromlist=["app"]).app, name="company")  # crmsec company assess
__import__("crmsec.circularity.cli", fromlist=["register"]).register(app)  # crmsec circularity run|assumptions


@app.command("run")
def run(
    out: Path = typer.Option(Path("out"), help="Output folder."),
    store: Path | None = typer.Option(None, help="Store file (default: data/store/default.duckdb)."),
) -> None:
    """The main job: criticality and national list, CRMA tracker, scenarios, crisis, projects, briefings → OUT."""
    import pandas as pd
    from rich.console import Console

    from crmsec.main_job import run_main_job
    from crmsec.output import rich_table

    with stderr.status("running") as status:
        summary = run_main_job(out, store, on_step=lambda label: status.update(f"running: {label}"))
    console = Console()
    nl_list = out / "national_list.csv"
    if nl_list.exists():
        frame = pd.read_csv(nl_list)
        cols = [c for c in ("rank", "material", "score", "sr_nl", "va_exposed_meur", "top_origin", "top_origin_share",
                            "hub") if c in frame.columns]
        shown = frame[frame["on_list"]] if "on_list" in frame else frame
        console.print(rich_table(shown[cols], "National critical raw materials list (drivers per material in "
                                 f"{nl_list}; NL value added is a labelled proxy until a CBS extract is added)"))
    console.print(rich_table(pd.DataFrame(summary), f"crmsec run — outputs in {out}/"))


def main() -> None:
    """Entry point with the error contract: CrmsecError → message + exit 1; anything else → exit 2."""
    try:
        app(standalone_mode=False)
    except CrmsecError as err:
        stderr.print(f"[bold red]error:[/bold red] {err}")
        sys.exit(1)
    except (typer.Exit, SystemExit) as ex:
        code = getattr(ex, "exit_code", getattr(ex, "code", 0))
        sys.exit(code or 0)
    except typer.Abort:
        stderr.print("aborted")
        sys.exit(1)
    except Exception as err:  # click usage errors are handled below; the rest is a bug
        import click

        if isinstance(err, click.ClickException):
            err.show()
            sys.exit(1)
        stderr.print_exception()
        sys.exit(2)


if __name__ == "__main__":
    main()
