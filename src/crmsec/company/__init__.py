"""Company self-assessment: a manufacturer's exposure to critical raw materials (mission item 5).

Python API::

    from crmsec.company import assess_file
    result = assess_file("purchases.csv", lang="nl")      # CompanyAssessment (materials, scenarios, products, actions)

Pure core: :func:`crmsec.company.assess.assess_company` (validated purchases + :class:`CompanyContext`);
inputs in :mod:`crmsec.company.inputs`; store access in :mod:`crmsec.company.context`. Company data are processed
in memory only.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from crmsec._lazy import lazy_exports

if TYPE_CHECKING:
    from crmsec.company.assess import CompanyAssessment

#: exported name → defining module, imported on first use (crmsec._lazy)
_EXPORTS = {
    "CompanyAssessment": "crmsec.company.assess",
    "assess_company": "crmsec.company.assess",
    "CompanyContext": "crmsec.company.context",
    "build_context": "crmsec.company.context",
    "read_purchases": "crmsec.company.inputs",
    "validate_purchases": "crmsec.company.inputs",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = ["CompanyAssessment", "CompanyContext", "assess_bytes", "assess_company", "assess_file", "build_context",
           "read_purchases", "validate_purchases"]


def assess_bytes(data: bytes, name: str, *, lang: str = "en", con: object | None = None) -> CompanyAssessment:
    """Assess an uploaded file held in memory (``name`` decides CSV/XLSX)."""
    from crmsec.company.assess import assess_company
    from crmsec.company.context import build_context
    from crmsec.company.inputs import read_purchases

    purchases = read_purchases(data, name)
    return assess_company(purchases, build_context(purchases, con), lang=lang)  # type: ignore[arg-type]


def assess_file(path: str | Path, *, lang: str = "en", store: str | Path | None = None,
                con: object | None = None) -> CompanyAssessment:
    """Assess a purchases file (CSV/XLSX) against the store (default vintage unless ``store``/``con``)."""
    from crmsec.company.assess import assess_company
    from crmsec.company.context import build_context
    from crmsec.company.inputs import read_purchases

    purchases = read_purchases(path)
    if con is None:
        from crmsec.store import open_store

        con = open_store(store)
    return assess_company(purchases, build_context(purchases, con), lang=lang)  # type: ignore[arg-type]
