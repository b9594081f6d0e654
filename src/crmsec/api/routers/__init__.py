"""Routers, one per resource (API) plus the dashboard pages."""

from crmsec.api.routers import (
    auth,
    briefings,
    club,
    company,
    crisis,
    criticality,
    jobs,
    materials,
    pages,
    projects,
    scenarios,
    system,
)

ROUTERS = [system.router, auth.router, materials.router, criticality.router, scenarios.router, crisis.router,
           projects.router, jobs.router, briefings.router, company.router, club.router, club.page_router,
           pages.router]
