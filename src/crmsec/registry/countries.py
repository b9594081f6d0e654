"""Country registry: ISO3 as the one key; BACI, WGI and ISO2 codes, EN/NL names and groups.

Derived once from country_converter 1.3.2 (Stadler 2017, doi:10.21105/joss.00332), the BACI V202401b
country list and the WGI 2024 update by ``scripts/build_country_registry.py``; Dutch names from the Unicode
CLDR (Babel). BACI code 490 "Other Asia, nes" is Taiwan (TWN) — CEPII's documented convention.
Groups: EU27, OECD, G7, G20 (country_converter), NATO (nato.int), EU trade agreements in force with their
date (``eu_trade_agreements.csv``, DG Trade overview) and like-minded partners of the plurilateral initiative
(``like_minded_partners.csv`` — a documented assumption: the Minerals Security Partnership; EU members count
via the EU).
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from crmsec.errors import DataError, UnknownNameError

_REQUIRED = ["iso3", "iso2", "baci_code", "wgi_code", "name_en", "name_nl", "eu27", "oecd", "g7", "g20", "nato"]
GROUPS = ("eu27", "oecd", "g7", "g20", "nato", "eu_fta", "like_minded")


def _registry_file(name: str) -> Path:
    return Path(str(resources.files("crmsec.registry").joinpath(name)))


def _check_unique(frame: pd.DataFrame, column: str, path: Path) -> None:
    values = frame[column].dropna()
    values = values[values.astype(str) != ""]
    dup = values[values.duplicated()]
    if not dup.empty:
        row = int(dup.index[0]) + 2
        raise DataError("duplicate key in registry", file=path, row=row, field=column, value=dup.iloc[0],
                        hint="each code must identify one country")


@cache
def countries() -> pd.DataFrame:
    """The validated country registry, one row per ISO3 code, with group flags as booleans.

    Columns: iso3, iso2, iso_numeric, baci_code (Int64), wgi_code, name_en, name_nl, eu27, oecd, g7, g20,
    nato, nato_since, continent, eu_fta (bool), eu_fta_in_force (date), eu_fta_agreement, like_minded.
    """
    path = _registry_file("countries.csv")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in _REQUIRED if c not in frame.columns]
    if missing:
        raise DataError("registry file lacks columns", file=path, field=", ".join(missing))
    for col in ("iso3", "iso2", "baci_code", "wgi_code"):
        _check_unique(frame, col, path)
    bad = frame[~frame["iso3"].str.fullmatch(r"[A-Z]{3}")]
    if not bad.empty:
        raise DataError("ISO3 code must be three capital letters", file=path, row=int(bad.index[0]) + 2,
                        field="iso3", value=bad["iso3"].iloc[0])
    frame["baci_code"] = pd.to_numeric(frame["baci_code"].replace("", None)).astype("Int64")
    for col in ("eu27", "oecd", "g7", "g20", "nato"):
        frame[col] = frame[col] == "1"
    fta = pd.read_csv(_registry_file("eu_trade_agreements.csv"), dtype=str, keep_default_na=False)
    unknown = set(fta["iso3"]) - set(frame["iso3"])
    if unknown:
        raise UnknownNameError("unknown ISO3 in EU trade agreements table",
                               file=_registry_file("eu_trade_agreements.csv"), value=sorted(unknown)[0])
    fta = fta.drop_duplicates("iso3").set_index("iso3")
    frame["eu_fta"] = frame["iso3"].isin(fta.index)
    frame["eu_fta_in_force"] = pd.to_datetime(frame["iso3"].map(fta["in_force"]))
    frame["eu_fta_agreement"] = frame["iso3"].map(fta["agreement"])
    lm = pd.read_csv(_registry_file("like_minded_partners.csv"), dtype=str, keep_default_na=False)
    frame["like_minded"] = frame["iso3"].isin(lm["iso3"]) | frame["eu27"]
    return frame.set_index("iso3", drop=False).rename_axis(None)


def group_members(group: str) -> list[str]:
    """ISO3 codes of a country group (one of :data:`GROUPS`)."""
    if group not in GROUPS:
        raise UnknownNameError(f"unknown country group '{group}'; choose one of {', '.join(GROUPS)}")
    reg = countries()
    return sorted(reg.loc[reg[group], "iso3"])


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", name.lower()).strip()


@cache
def _aliases() -> pd.DataFrame:
    path = _registry_file("country_aliases.csv")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    unknown = frame[(frame["iso3"] != "") & ~frame["iso3"].isin(countries()["iso3"])]
    if not unknown.empty:
        raise UnknownNameError("alias points to an unknown ISO3", file=path, row=int(unknown.index[0]) + 2,
                               field="iso3", value=unknown["iso3"].iloc[0])
    return frame


@cache
def _exact_lookup() -> dict[str, str]:
    reg = countries()
    table: dict[str, str] = {}
    for col in ("name_en", "name_official", "name_nl"):
        for iso3, name in zip(reg["iso3"], reg[col], strict=True):
            if name:
                table.setdefault(_norm(name), iso3)
    for iso3 in reg["iso3"]:
        table[iso3.lower()] = iso3
    return table


@cache
def _name_regexes() -> list[tuple[re.Pattern[str], str]]:
    """country_converter's name regexes, compiled once."""
    reg = countries()
    return [(re.compile(rx, re.IGNORECASE), iso3) for iso3, rx in zip(reg["iso3"], reg["regex"], strict=True) if rx]


def resolve_countries(names: pd.Series, source: str, *, file: str | Path | None = None) -> pd.Series:
    """Map source country names or codes to ISO3.

    Order: the source's alias table rows (``country_aliases.csv``: source, alias, iso3 — an empty iso3 marks
    an aggregate such as "Other countries", returned as ``<NA>`` so callers drop it explicitly), ISO3 codes,
    exact EN/official/NL names, then country_converter's name regexes. A name that matches nothing raises
    :class:`UnknownNameError` naming the file, the row (``names.index`` + 2, the spreadsheet row when the index
    is the default RangeIndex) and the name.
    """
    aliases = _aliases()
    own = aliases[aliases["source"].isin([source, "*"])]
    alias_map = {_norm(a): iso for a, iso in zip(own["alias"], own["iso3"], strict=True)}
    exact = _exact_lookup()
    regexes = _name_regexes()
    cache_: dict[str, object] = {}

    def one(name: object) -> object:
        key = _norm(str(name))
        if key in cache_:
            return cache_[key]
        if key in alias_map:
            out: object = alias_map[key] or pd.NA
        elif key in exact:
            out = exact[key]
        else:
            hits = {iso3 for rx, iso3 in regexes if rx.search(str(name))}
            out = hits.pop() if len(hits) == 1 else None
        cache_[key] = out
        return out

    uniques = pd.unique(names.astype(str))
    mapped = {u: one(u) for u in uniques}
    bad = [u for u, v in mapped.items() if v is None]
    if bad:
        first = names[names.astype(str) == bad[0]].index[0]
        row = int(first) + 2 if isinstance(first, (int, np.integer)) else None
        raise UnknownNameError(
            f"unknown country name from source '{source}'", file=file, row=row, field="country", value=bad[0],
            hint=f"add a row '{source},<name>,<ISO3>' to src/crmsec/registry/country_aliases.csv "
            "(empty ISO3 for an aggregate)",
        )
    return names.astype(str).map(mapped).astype("string")


def iso3_from_baci(codes: pd.Series, *, file: str | Path | None = None) -> pd.Series:
    """Map BACI numeric codes to ISO3 (490 → TWN; 58 → BEL, 280 → DEU, 736 → SDN; 200, 278, 530, 810, 891 and the BACI aggregates map to none).

    Unknown codes raise :class:`UnknownNameError`; historic aggregates without a present-day country map to NA.
    """
    table = baci_code_table()
    out = codes.map(table)
    unknown = codes[~codes.isin(table.index)]
    if not unknown.empty:
        raise UnknownNameError("unknown BACI country code", file=file, field="country_code", value=int(unknown.iloc[0]),
                               hint="add it to the country registry (baci_code) or BACI_HISTORIC")
    return out.astype("string")


# BACI historic/aggregate codes (country_codes_V202401b.csv): present-day successor or None (no single country).
BACI_HISTORIC: dict[int, str | None] = {58: "BEL", 280: "DEU", 736: "SDN", 200: None, 278: None, 891: None, 530: None, 810: None,
                                        697: None, 711: None, 849: None}


@cache
def baci_code_table() -> pd.Series:
    reg = countries().dropna(subset=["baci_code"])
    table = pd.Series(reg["iso3"].to_numpy(), index=reg["baci_code"].astype(int).to_numpy(), dtype=object)
    extra = pd.Series(BACI_HISTORIC, dtype=object)
    return pd.concat([table, extra])
