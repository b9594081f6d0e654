"""Registries as data: materials and countries (CSV in this folder, loaded and validated once)."""

from crmsec.registry.countries import countries, group_members, iso3_from_baci, resolve_countries

__all__ = ["countries", "group_members", "iso3_from_baci", "resolve_countries"]
