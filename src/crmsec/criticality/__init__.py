"""Criticality methods: EU SR/EI, GeoPolRisk, the Dutch national list and their uncertainty.

Pure cores: :mod:`~crmsec.criticality.eu_method` (``supply_risk``, ``economic_importance``, ``is_critical`` …),
:mod:`~crmsec.criticality.geopolrisk`, :mod:`~crmsec.criticality.national_list`,
:mod:`~crmsec.criticality.uncertainty`; store-reading pipelines in :mod:`~crmsec.criticality.pipeline`.

Convenience entry points for other capabilities (read the default store unless ``con`` is given)::

    from crmsec.criticality import eu_assessment, nl_critical_list
    frame = eu_assessment(2023)            # material_id, material, sr, ei, critical, stage_assessed, near_threshold, …
    nl17 = nl_critical_list(2023)             # rank, material_id, score, on_list, drivers, va_basis, …
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from crmsec.criticality.eu_method import economic_importance, is_critical, near_threshold, supply_risk

_EU_METHOD = ("economic_importance", "is_critical", "near_threshold", "supply_risk")


def __getattr__(name: str) -> object:
    """EU-method functions on first use (PEP 562), so ``crmsec assess --method geopolrisk`` imports no pandas."""
    if name in _EU_METHOD:
        from crmsec.criticality import eu_method

        return getattr(eu_method, name)
    raise AttributeError(f"module 'crmsec.criticality' has no attribute {name!r}")


__all__ = ["economic_importance", "eu_assessment", "is_critical", "near_threshold", "nl_critical_list", "supply_risk"]


def eu_assessment(year: int = 2023, con: object | None = None) -> pd.DataFrame:
    """EU criticality per material for an assessment year (DESIGN §2a columns); see
    :func:`crmsec.criticality.pipeline.eu_assessment`."""
    from crmsec.criticality import pipeline as P

    return P.eu_assessment(P.load_data(con), year)


def nl_critical_list(year: int | None = None, con: object | None = None, *, n: int = 17, w_sr: float = 1.0,
                  w_ei: float = 1.0, **kwargs: object) -> pd.DataFrame:
    """The Dutch national list for a data year (default: latest with trade and WGI data); see
    :func:`crmsec.criticality.pipeline.national_list`."""
    from crmsec.criticality import pipeline as P
    from crmsec.criticality.national_list import ListConfig

    data = P.load_data(con)
    if year is None:
        year = data.latest_year()
    return P.national_list(data, year, ListConfig(n=n, w_sr=w_sr, w_ei=w_ei), **kwargs)
