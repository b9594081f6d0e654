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

# --- sub-apps: each capability keeps its commands next to its code ----------------------------------
from crmsec.api.cli import serve  # noqa: E402
from crmsec.circularity.cli import register as _circularity  # noqa: E402  crmsec circularity run|assumptions
from crmsec.company.cli import app as _company  # noqa: E402  crmsec company assess
from crmsec.criticality.cli import register as _criticality  # noqa: E402  crmsec assess / list nl
from crmsec.optimize.cli import register as _optimize  # noqa: E402  crmsec allocate / stockpile
from crmsec.projects.cli import register as _projects  # noqa: E402  crmsec project … / portfolio
from crmsec.reports.cli import app as _brief  # noqa: E402  crmsec brief …
from crmsec.scenarios.cli import register as _scenarios  # noqa: E402  crmsec chains / crma / scenario
from crmsec.store.cli import app as _data  # noqa: E402  crmsec data build|status

app.add_typer(_data, name="data")
app.command("serve")(serve)
app.add_typer(_brief, name="brief")
app.add_typer(_company, name="company")
for _register in (_optimize, _projects, _scenarios, _criticality, _circularity):
    _register(app)


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
