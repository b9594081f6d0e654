"""Routers, one per resource (API) plus the dashboard pages."""

from crmsec.api.routers import auth, materials, pages, system

ROUTERS = [system.router, auth.router, materials.router, pages.router]
