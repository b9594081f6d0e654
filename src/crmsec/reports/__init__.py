"""Briefings (HTML/PDF via WeasyPrint, XLSX) for a material, a scenario or the annual national list, NL or EN."""

from crmsec._lazy import lazy_exports

#: exported name → defining module, imported on first use (crmsec._lazy)
_EXPORTS = {
    "Briefing": "crmsec.reports.briefing",
    "list_briefing": "crmsec.reports.briefing",
    "material_briefing": "crmsec.reports.briefing",
    "scenario_briefing": "crmsec.reports.briefing",
    "to_html": "crmsec.reports.briefing",
    "to_pdf": "crmsec.reports.briefing",
    "to_xlsx": "crmsec.reports.briefing",
    "write_annual_briefing": "crmsec.reports.briefing",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = ["Briefing", "list_briefing", "material_briefing", "scenario_briefing", "to_html", "to_pdf", "to_xlsx",
           "write_annual_briefing"]
