"""``/docs``: Swagger UI served from the package's own static files (offline, CSP ``script-src 'self'``)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

ASSETS = "/static/vendor/swagger-ui"

PAGE = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>crmsec API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="{ASSETS}/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="{ASSETS}/swagger-ui-bundle.js"></script>
<script src="{ASSETS}/init.js"></script>
</body></html>"""


def mount_docs(app: FastAPI) -> None:
    """Add ``GET /docs`` (the FastAPI default loads Swagger UI from a CDN with an inline script)."""

    @app.get("/docs", include_in_schema=False, response_class=HTMLResponse)
    def swagger_ui() -> HTMLResponse:
        return HTMLResponse(PAGE)
