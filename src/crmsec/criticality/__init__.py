"""Criticality methods: EU SR/EI, GeoPolRisk, the Dutch national list and their uncertainty.

Modules: :mod:`~crmsec.criticality.eu_method`, :mod:`~crmsec.criticality.geopolrisk`,
:mod:`~crmsec.criticality.national_list`, :mod:`~crmsec.criticality.uncertainty`; the pipelines that read
the store live in :mod:`~crmsec.criticality.pipeline`.
"""
