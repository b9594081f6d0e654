"""Registries as data: materials and countries (CSV in this folder, loaded and validated once)."""

from crmsec.registry.countries import countries, group_members, iso3_from_baci, resolve_countries

# --- material registry (helper block) ---
from crmsec.registry.materials import (  # noqa: E402
    aliases,
    content_factors,
    descendants,
    hs6_map,
    ignored,
    materials,
    resolve_hs6,
    resolve_materials,
)

__all__ = [
    "countries", "group_members", "iso3_from_baci", "resolve_countries",
    "aliases", "content_factors", "descendants", "hs6_map", "ignored", "materials",
    "resolve_hs6", "resolve_materials",
]
