"""`crmsec serve`: run the REST API and dashboard with uvicorn on localhost."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from crmsec.output import stderr


def serve(
    host: Annotated[str, typer.Option(help="interface to bind (localhost by default)")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    store: Annotated[Path | None, typer.Option(help="DuckDB vintage (default data/store/default.duckdb)")] = None,
    insecure_cookies: Annotated[bool, typer.Option(
        "--insecure-cookies", help="drop the Secure flag on cookies (plain http on a non-localhost name)")] = False,
    hash_password: Annotated[bool, typer.Option(
        "--hash-password", help="read a password from stdin, print its bcrypt hash for the users file, exit")] = False,
) -> None:
    """Start the API (``/api/v1``, OpenAPI at ``/docs``) and the dashboard (``/``).

    Users: ``CRMSEC_ADMIN_PASSWORD`` bootstraps ``admin``; ``CRMSEC_USERS_FILE`` adds more (bcrypt hashes).
    """
    if hash_password:
        import sys

        from crmsec.api.auth import hash_password as _hash

        typer.echo(_hash(sys.stdin.readline().rstrip("\n")))
        raise typer.Exit(0)
    import uvicorn

    from crmsec.api import Settings, create_app

    overrides: dict = {}
    if store is not None:
        overrides["store_path"] = store
    if insecure_cookies:
        overrides["cookie_secure"] = False
    from pydantic import ValidationError

    try:
        settings = Settings(**overrides)
    except ValidationError as err:  # e.g. a weak CRMSEC_SECRET_KEY / CRMSEC_ADMIN_PASSWORD
        for e in err.errors():
            stderr.print(f"[red]error[/red]: {e['msg'].removeprefix('Value error, ')}", highlight=False)
        raise typer.Exit(1) from None
    application = create_app(settings)
    if len(application.state.users) == 0:
        stderr.print("[yellow]no users configured[/yellow]: set CRMSEC_ADMIN_PASSWORD or CRMSEC_USERS_FILE to sign in")
    stderr.print(f"serving on http://{host}:{port}  (API docs: http://{host}:{port}/docs)")
    uvicorn.run(application, host=host, port=port, log_level="warning")
