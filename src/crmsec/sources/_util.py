"""Shared parsing helpers of the source loaders (number cells, country resolution, production schema)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from crmsec.errors import DataError

#: Columns of the store table ``production`` as the loaders return them (the first nine are the schema of
#: DESIGN.md; ``estimated`` and ``value_flag`` carry the source's estimate marker and the reason a value is
#: missing or special).
PRODUCTION_COLUMNS = [
    "material_id", "stage", "country", "year", "quantity", "unit", "basis", "source", "vintage",
    "estimated", "value_flag",
]

#: Country code used for the "Other countries" / "Rest of world" rows: unnamed producers, kept so that shares
#: can be computed on the honest total (reported countries + others). Not an ISO3 code.
OTHERS = "_OTH"

# USGS MCS cell codes (MCS 2026 metadata, attribute domain of `Value`): W withheld, s small, NA not available,
# XX not calculable, E net exporter, — zero.
_MISSING_CODES = {
    "W": "withheld",
    "NA": "not_available",
    "N/A": "not_available",
    "XX": "not_calculable",
    "s": "small",
    "E": "net_exporter",
    "-": "not_assessed",
    "": "empty",
    "Less than ½ unit.": "small",
    "included with ilmenite": "included_elsewhere",
}
_ZERO_CODES = {"—", "--", "–"}
_NUM_RE = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")


def parse_numbers(
    values: pd.Series, *, file: str | Path, field: str, rows: np.ndarray | None = None, allow_ranges: bool = False
) -> tuple[pd.Series, pd.Series]:
    """Parse number cells written as text (thousands separators, USGS codes).

    Returns ``(number, flag)``: ``number`` is float (NaN for codes), ``flag`` the reason code ('' for a plain
    number; ``estimate_marker`` for a number written with the USGS prefix "e"; ``withheld``,
    ``not_available``, ``small``, ``zero_dash`` (USGS "—" = zero, kept as 0.0) …).
    Any other text raises :class:`DataError` naming file, row, field and value.
    """
    text = values.astype("string").str.replace("\xa0", " ", regex=False).str.strip().fillna("")
    marked = text.str.match(r"^e\s*\d")  # USGS prefix "e" = estimated ("e4,200")
    text = text.where(~marked, text.str.replace(r"^e\s*", "", regex=True))
    num = pd.to_numeric(text.str.replace(",", "", regex=False), errors="coerce")
    flag = pd.Series("", index=values.index, dtype=object)
    plain = text.str.match(_NUM_RE) | (num.notna() & text.ne(""))
    codes = text.map(_MISSING_CODES)
    zero = text.isin(_ZERO_CODES)
    rng = text.str.match(r"^[\d,.]+\s*-\s*[\d,.]+$") if allow_ranges else pd.Series(False, index=text.index)
    flag[codes.notna() & ~plain] = codes[codes.notna() & ~plain]
    flag[zero] = "zero_dash"
    flag[rng] = "range"
    flag[marked & plain] = "estimate_marker"
    num = num.where(plain, np.nan).astype(float)
    num[zero] = 0.0
    bad = ~(plain | codes.notna() | zero | rng)
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError("value is not a number or a known source code", file=file,
                        row=int(rows[pos]) if rows is not None else pos + 2, field=field,
                        value=values.iloc[pos], hint="fix the cell or add the code to crmsec.sources._util")
    return num, flag


def parse_percent(values: pd.Series, *, file: str | Path, field: str, rows: np.ndarray | None = None
                  ) -> tuple[pd.Series, pd.Series]:
    """Parse share cells like ``1.5%``, ``<0.1%``, ``>0%`` to fractions 0..1.

    ``<0.1%`` becomes 0.0005 (the midpoint of [0, 0.1%]) with flag ``lt_0.1pct``; ``>0%`` is NaN with flag
    ``gt_0pct`` (a positive share of unknown size); a bare number without ``%`` is read as percent with flag
    ``no_percent_sign``. Anything else raises DataError (file, row, field, value).
    """
    text = values.astype("string").str.strip().fillna("")
    flag = pd.Series("", index=values.index, dtype=object)
    m = text.str.extract(r"^(?P<lt><)?\s*(?P<num>\d+(?:\.\d+)?)\s*(?P<pct>%)?$")
    num = pd.to_numeric(m["num"], errors="coerce") / 100.0
    lt = m["lt"].notna() & num.notna()
    flag[lt] = "lt_" + m.loc[lt, "num"].astype(str) + "pct"
    num[lt] = num[lt] / 2.0
    nopct = m["pct"].isna() & num.notna() & ~lt
    flag[nopct] = "no_percent_sign"
    gt0 = text.eq(">0%")
    flag[gt0] = "gt_0pct"
    empty = text.eq("")
    flag[empty] = "empty"
    bad = num.isna() & ~gt0 & ~empty
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError("share is not a percentage", file=file, row=int(rows[pos]) if rows is not None else pos + 2,
                        field=field, value=values.iloc[pos], hint="write it like 12.5% or <0.1%")
    return num.astype(float), flag


def resolve_country_names(names: pd.Series, source: str, *, file: str | Path, rows: np.ndarray) -> pd.Series:
    """ISO3 per name through the country registry; the series index is set so errors report ``rows``.

    Aggregate names (e.g. "Other countries") come back as ``<NA>`` from the registry.
    """
    from crmsec.registry.countries import resolve_countries

    indexed = pd.Series(names.to_numpy(), index=pd.Index([int(r) - 2 for r in rows], dtype=object))
    out = resolve_countries(indexed, source, file=file)
    return pd.Series(out.to_numpy(), index=names.index, dtype="string")


def aggregate_production(frame: pd.DataFrame) -> pd.DataFrame:
    """Sum rows that share a production key (e.g. ilmenite + rutile TiO2, mica sheet + flake) per country.

    Sums are NaN only when every part is NaN (``min_count=1``, flags of the parts joined); a sum with some
    parts missing is a lower bound and gets ``value_flag = partial_sum:<reasons>``.
    """
    keys = ["material_id", "stage", "country", "year", "unit", "basis", "source", "vintage"]
    dup = frame.duplicated(keys, keep=False)
    if not dup.any():
        return frame[PRODUCTION_COLUMNS].reset_index(drop=True)
    parts = frame[dup].copy()
    parts["_nan_flag"] = parts["value_flag"].where(parts["quantity"].isna(), "")
    summed = parts.groupby(keys, sort=False, dropna=False).agg(
        quantity=("quantity", lambda s: s.sum(min_count=1)),
        estimated=("estimated", "any"),
        value_flag=("value_flag", lambda s: ";".join(sorted({x for x in s if x}))),
        nan_flag=("_nan_flag", lambda s: ";".join(sorted({x for x in s if x}))),
        n_nan=("quantity", lambda s: int(s.isna().sum())),
    ).reset_index()
    # a sum over parts of which some are missing is a lower bound: say so; zero parts ("—") need no flag
    partial = summed["quantity"].notna() & (summed["n_nan"] > 0)
    summed["value_flag"] = np.where(partial, "partial_sum:" + summed["nan_flag"],
                                    np.where(summed["quantity"].isna(), summed["value_flag"], ""))
    summed = summed.drop(columns=["nan_flag", "n_nan"])
    out = pd.concat([frame[~dup], summed], ignore_index=True)
    return out[PRODUCTION_COLUMNS].reset_index(drop=True)
