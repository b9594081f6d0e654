"""Command-line interface: ``crmsec <command>`` (typer + rich).

Exit codes (DESIGN.md §2a): 0 success, 1 user/input/data error (message, no traceback), 2 internal error.
Each capability registers its own sub-app here; the commands live next to the code they drive.
"""

from __future__ import annotations

import sys

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
