"""Reading and validating a company's purchases file (CSV or XLSX) into a tidy frame.

Columns (header names are case-insensitive; ``*`` = required):

* ``material``\\* — any name the material registry knows (material_id, English or Dutch name, or an alias of
  any source, e.g. "Gallium", "Koper", "natural graphite");
* ``quantity_t``\\* — tonnes per year bought in this row [t/yr];
* ``basis``\\* — ``gross`` (product weight) or ``contained`` (element content); one basis per material;
* ``supplier_country`` — ISO3 code or country name (English, Dutch or official);
* ``share_of_purchases`` — this supplier's share of the company's purchases of the material [fraction 0..1];
  when absent, the shares come from ``quantity_t``;
* ``product``, ``nace`` — the product (and its NACE code) that needs the material;
* ``revenue_meur`` — annual revenue of that product [M EUR/yr];
* ``stock_days`` — stocks held of the material, in days of normal use [d].

Every problem raises :class:`~crmsec.errors.InputError` naming the file, the spreadsheet row (header = 1),
the field, the value and the fix. Nothing is stored.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from crmsec.errors import InputError, UnknownNameError
from crmsec.safe_input import read_csv_strict, read_xlsx_strict, short

REQUIRED = ("material", "quantity_t", "basis")
OPTIONAL = ("supplier_country", "share_of_purchases", "product", "nace", "revenue_meur", "stock_days")
BASES = ("gross", "contained")
#: validated frame columns
COLUMNS = ["row", "material_id", "material", "stage", "quantity_t", "basis", "supplier_country",
           "share_of_purchases", "product", "nace", "revenue_meur", "stock_days"]
MAX_ROWS = 5_000


def _err(file: str, row: int | None, field: str, value: object, fix: str) -> InputError:
    where = f"{file}, row {row}" if row is not None else file
    return InputError(f"{where}, field '{field}': value {short(value)} — {fix}")


def read_table(data: bytes | str | Path, name: str | None = None) -> tuple[pd.DataFrame, str]:
    """Raw string frame from a CSV/XLSX path or bytes (``name`` decides the type for bytes)."""
    if isinstance(data, str | Path):
        path = Path(data)
        name = name or str(path)
        if not path.is_file():
            raise InputError(f"{name}: file not found; give the path of a CSV or XLSX purchases file")
        data = path.read_bytes()
    name = name or "upload"
    try:
        if name.lower().endswith((".xlsx", ".xlsm")):
            # zip/size/row-count checks before parsing; rows streamed and cut at the limit
            frame = read_xlsx_strict(data, name, max_rows=MAX_ROWS)
        elif name.lower().endswith(".csv"):
            text = data.decode("utf-8-sig")
            sep = ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
            # refuses ragged rows (an extra field would otherwise shift one column), then pandas
            frame = read_csv_strict(text, name, text=True, sep=sep, dtype=str, keep_default_na=False)
        else:
            raise InputError(f"{name}: expected a .csv or .xlsx file")
    except UnicodeDecodeError as err:
        raise InputError(f"{name}: not UTF-8 text (byte {err.start}); save the CSV as UTF-8") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, KeyError, OSError) as err:
        if isinstance(err, InputError):
            raise
        raise InputError(f"{name}: not a readable table ({err})") from None
    return frame, name


def _material_lookup() -> dict[str, tuple[str, str]]:
    """Lower-cased name → (material_id, stage implied by the alias or '') over ids, EN/NL names and all aliases.

    Aliases that map to different materials in different sources are left out (ambiguous)."""
    from crmsec.registry.materials import aliases, materials

    reg = materials()
    table: dict[str, tuple[str, str]] = {}
    al = aliases()
    groups = al.assign(key=al["alias"].str.strip().str.lower()).groupby("key")
    for key, g in groups:
        if g["material_id"].nunique() == 1:
            stages = g["stage"].fillna("").unique()
            table[key] = (g["material_id"].iloc[0], stages[0] if len(stages) == 1 else "")
    for col in ("name_nl", "name_en", "material_id"):  # registry names win over aliases
        for mid, name in zip(reg["material_id"], reg[col], strict=True):
            if isinstance(name, str) and name.strip():
                table[name.strip().lower()] = (mid, "")
                table[name.strip().lower().replace("_", " ")] = (mid, "")
    return table


def _number(frame: pd.DataFrame, col: str, file: str, *, lo: float = 0.0, hi: float | None = None,
            fix: str) -> pd.Series:
    raw = frame[col].astype(str).str.strip().str.replace(",", ".", regex=False) if col in frame else None
    if raw is None:
        return pd.Series(np.nan, index=frame.index)
    num = pd.to_numeric(raw.where(raw != ""), errors="coerce")
    bad = (raw != "") & (num.isna() | ~np.isfinite(num) | (num < lo) | (num > (hi if hi is not None else 1e15)))
    if bad.any():
        i = bad.to_numpy().nonzero()[0][0]
        raise _err(file, int(frame["row"].iloc[i]), col, frame[col].iloc[i], fix)
    return num.astype(float)


def validate_purchases(raw: pd.DataFrame, file: str = "purchases") -> pd.DataFrame:
    """Validate a raw string frame (one row per purchase line) into :data:`COLUMNS`.

    Raises
    ------
    InputError naming file, row, field, value and the fix for: missing columns, unknown material or country,
    non-numeric or negative numbers, shares outside 0..1 or summing above 1 per material, mixed bases of one
    material, one product with two revenues.
    """
    frame = raw.copy()
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise InputError(f"{file}: missing column(s) {', '.join(missing)}; the header needs "
                         f"{', '.join(REQUIRED)} (optional: {', '.join(OPTIONAL)})")
    frame = frame[[c for c in (*REQUIRED, *OPTIONAL) if c in frame.columns]]
    frame = frame.replace(r"^\s*$", "", regex=True).astype(str)
    frame = frame[(frame != "").any(axis=1)]  # blank lines are not purchases
    if frame.empty:
        raise InputError(f"{file}: no purchase rows; add one row per material (and supplier)")
    if len(frame) > MAX_ROWS:
        raise InputError(f"{file}: {len(frame):,} rows; at most {MAX_ROWS:,} — aggregate per material and supplier")
    frame.insert(0, "row", frame.index.to_numpy() + 2)  # spreadsheet row (header = 1)
    frame = frame.reset_index(drop=True)

    # material
    lookup = _material_lookup()
    names = frame["material"].str.strip()
    hits = names.str.lower().map(lookup)
    if hits.isna().any():
        i = int(hits.isna().to_numpy().nonzero()[0][0])
        raise UnknownNameError("unknown material", file=file, row=int(frame["row"].iloc[i]), field="material",
                               value=names.iloc[i],
                               hint="use a material_id or name from `crmsec materials` (e.g. gallium, copper, "
                                    "natural_graphite) or a known alias")
    frame["material_id"] = hits.map(lambda t: t[0])
    frame["stage"] = hits.map(lambda t: t[1])
    from crmsec.registry.materials import materials

    names_en = materials().set_index("material_id")["name_en"]
    frame["material"] = frame["material_id"].map(names_en).fillna(frame["material_id"])

    # basis
    basis = frame["basis"].str.strip().str.lower()
    bad = ~basis.isin(BASES)
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise _err(file, int(frame["row"].iloc[i]), "basis", frame["basis"].iloc[i],
                   "write 'gross' (product weight) or 'contained' (element content)")
    frame["basis"] = basis
    mixed = frame["basis"] != frame.groupby("material_id")["basis"].transform("first")  # rows deviating from the first
    if mixed.any():
        i = int(mixed.to_numpy().nonzero()[0][0])
        raise _err(file, int(frame["row"].iloc[i]), "basis", frame["basis"].iloc[i],
                   f"all rows of {frame['material_id'].iloc[i]} must use one basis (tonnes on different bases "
                   "cannot be added); convert them to one basis")

    frame["quantity_t"] = _number(frame, "quantity_t", file, fix="give tonnes per year as a number ≥ 0 (e.g. 12.5)")
    if frame["quantity_t"].isna().any():
        i = int(frame["quantity_t"].isna().to_numpy().nonzero()[0][0])
        raise _err(file, int(frame["row"].iloc[i]), "quantity_t", "",
                   "quantity_t is required on every row: tonnes per year bought (an estimate is better than none)")
    frame["share_of_purchases"] = _number(frame, "share_of_purchases", file, hi=1.0,
                                          fix="give a fraction between 0 and 1 (60 % → 0.6)")
    frame["revenue_meur"] = _number(frame, "revenue_meur", file, fix="give M EUR per year as a number ≥ 0")
    frame["stock_days"] = _number(frame, "stock_days", file, fix="give days of normal use as a number ≥ 0")

    share = frame["share_of_purchases"]
    partial = share.isna().groupby(frame["material_id"]).transform(lambda s: 0 < s.sum() < len(s))
    if partial.any():
        i = int((partial & share.isna()).to_numpy().nonzero()[0][0])
        raise _err(file, int(frame["row"].iloc[i]), "share_of_purchases", "",
                   f"give share_of_purchases on every row of {frame['material_id'].iloc[i]} or on none")
    total = share.groupby(frame["material_id"]).transform("sum")
    over = total > 1.0 + 1e-6
    if over.any():
        i = int(over.to_numpy().nonzero()[0][0])
        raise _err(file, int(frame["row"].iloc[i]), "share_of_purchases", f"sum {total.iloc[i]:.3g}",
                   f"the shares of {frame['material_id'].iloc[i]} add up to more than 1; they are fractions of "
                   "the company's purchases of that material")

    # supplier country
    if "supplier_country" in frame:
        country = frame["supplier_country"].str.strip()
        iso = pd.Series(pd.NA, index=frame.index, dtype="string")
        given = country != ""
        if given.any():
            from crmsec.registry.countries import resolve_countries

            sub = country[given]
            try:
                iso[given] = resolve_countries(sub.reset_index(drop=True), "company", file=file).to_numpy()
            except UnknownNameError as err:
                bad_i = sub.index[sub == err.value].tolist() if hasattr(err, "value") else []
                row = int(frame["row"].iloc[bad_i[0]]) if bad_i else None
                raise _err(file, row, "supplier_country", getattr(err, "value", "?"),
                           "use an ISO3 code (CHN, DEU) or an English/Dutch country name") from None
        frame["supplier_country"] = iso
    else:
        frame["supplier_country"] = pd.Series(pd.NA, index=frame.index, dtype="string")

    for col in ("product", "nace"):
        frame[col] = frame[col].str.strip() if col in frame else ""
    rev = frame[frame["revenue_meur"].notna() & (frame["product"] != "")]
    clash = rev.groupby("product")["revenue_meur"].transform("nunique") > 1
    if clash.any():
        r = rev[clash].iloc[0]
        raise _err(file, int(r["row"]), "revenue_meur", r["revenue_meur"],
                   f"product {r['product']!r} has different revenues on different rows; give the same annual "
                   "revenue on each row of a product")
    return frame[COLUMNS]


def read_purchases(data: bytes | str | Path, name: str | None = None) -> pd.DataFrame:
    """Read and validate a purchases file (path, or bytes with ``name``); see :func:`validate_purchases`."""
    raw, name = read_table(data, name)
    return validate_purchases(raw, name)
