"""Briefings (HTML/PDF via WeasyPrint, XLSX) for a material, a scenario or the annual national list, NL or EN."""

from crmsec.reports.briefing import (
    Briefing,
    list_briefing,
    material_briefing,
    scenario_briefing,
    to_html,
    to_pdf,
    to_xlsx,
    write_annual_briefing,
)

__all__ = ["Briefing", "list_briefing", "material_briefing", "scenario_briefing", "to_html", "to_pdf", "to_xlsx",
           "write_annual_briefing"]
