"""`crmsec data build|status` (filled in by the store module)."""

import typer

app = typer.Typer(help="Build and inspect the data vintage store.", no_args_is_help=True)
