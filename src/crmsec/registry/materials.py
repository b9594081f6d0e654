"""Material registry: ids, names, list memberships, HS6 codes, source aliases and content factors.

The registry is data, kept as four CSV files next to this module and loaded once (cached):

``materials.csv``
    One row per material (``material_id`` = stable snake_case id). EN/NL names, element symbol, group
    (LREE/HREE/PGM), ``parent_id`` (e.g. neodymium -> lree -> rare_earths), EU CRM list membership per
    assessment year (2011, 2014, 2017, 2020, 2023), CRMA Annex I (strategic) and Annex II (critical)
    membership, supply-chain stages, the HS92 six-digit codes that carry its trade, and a note.
``material_aliases.csv``
    How each source spells a material (exact spelling), with the stage, basis and unit the alias implies.
``ignored_names.csv``
    Names a source uses that are deliberately *not* mapped (world totals, energy carriers, capacity rows…),
    each with a reason. A name that is in neither table is an error, never a silent drop.
``content_factors.csv``
    Tonnes of ``to_basis`` per tonne of ``from_basis`` (e.g. Li2O -> Li 0.46454), with their source.

List-membership rule (how the 0/1 flags were set): a listed group entry (e.g. "platinum group metals",
"heavy rare earth elements", EU 2011 "rare earths") covers all its members; a group is flagged itself when the
list names it or when all its members are covered (rare_earths when both LREE and HREE are listed).
EU CRM lists: COM(2011) 25, COM(2014) 297, COM(2017) 490, COM(2020) 474; 2023 = Annex II of
Regulation (EU) 2024/1252 as the 34 CRMs, except that synthetic graphite (covered by the CRMA's "graphite")
was not assessed by the 2023 study. CRMA flags are derived from ``data/raw/crma_lists/crma_annex_lists.csv``
through the ``crma`` aliases (a test checks the two agree).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import numpy as np
import pandas as pd

from crmsec.errors import DataError, UnknownNameError

REGISTRY_DIR = Path(__file__).resolve().parent
MATERIALS_CSV = REGISTRY_DIR / "materials.csv"
ALIASES_CSV = REGISTRY_DIR / "material_aliases.csv"
IGNORED_CSV = REGISTRY_DIR / "ignored_names.csv"
CONTENT_FACTORS_CSV = REGISTRY_DIR / "content_factors.csv"

EU_YEARS = (2011, 2014, 2017, 2020, 2023)
FLAG_COLUMNS = tuple(f"eu_crm_{y}" for y in EU_YEARS) + ("crma_strategic", "crma_critical")
STAGES = ("extraction", "processing")
GROUPS = ("LREE", "HREE", "PGM")
MATERIAL_COLUMNS = (
    "material_id", "name_en", "name_nl", "element", "group", "parent_id", *FLAG_COLUMNS, "stages", "hs6", "note",
)
ALIAS_COLUMNS = ("source", "alias", "material_id", "stage", "basis", "unit", "note")
IGNORED_COLUMNS = ("source", "name", "reason")
FACTOR_COLUMNS = ("material_id", "from_basis", "to_basis", "factor", "source", "note")

_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_HS6_RE = re.compile(r"^\d{6}$")
_BASIS_RE = re.compile(r"^(gross|contained|(oxide|compound):[A-Za-z0-9.()]+)$")


def _read(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    """Read a registry CSV as strings (empty cells -> ''), checking the header exactly."""
    if not path.is_file():
        raise DataError("registry file is missing", file=path, hint="restore it from the repository")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    if tuple(frame.columns) != columns:
        missing = [c for c in columns if c not in frame.columns]
        extra = [c for c in frame.columns if c not in columns]
        raise DataError(
            "registry file has unexpected columns",
            file=path,
            row=1,
            value={"missing": missing, "unexpected": extra},
            hint=f"the header must be: {','.join(columns)}",
        )
    return frame


def _fail(path: Path, frame: pd.DataFrame, mask: pd.Series, field: str, message: str, hint: str) -> None:
    """Raise DataError on the first row where ``mask`` is True (row numbers as a spreadsheet shows them)."""
    if mask.any():
        pos = int(np.flatnonzero(mask.to_numpy())[0])
        raise DataError(message, file=path, row=pos + 2, field=field, value=frame[field].iloc[pos], hint=hint)


def _validate_materials(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    ids = frame["material_id"]
    _fail(path, frame, ~ids.str.match(_ID_RE), "material_id", "material_id is not snake_case",
          "use lower-case letters, digits and underscores")
    _fail(path, frame, ids.duplicated(), "material_id", "duplicate material_id", "each id must be unique")
    for col in ("name_en", "name_nl"):
        _fail(path, frame, frame[col].str.strip() == "", col, f"{col} is empty", "give the material a name")
    _fail(path, frame, ~frame["group"].isin(("",) + GROUPS), "group", "unknown group",
          f"use one of {', '.join(GROUPS)} or leave empty")
    _fail(path, frame, ~frame["parent_id"].isin(set(ids) | {""}), "parent_id", "parent_id is not a material_id",
          "add the parent material first")
    for col in FLAG_COLUMNS:
        _fail(path, frame, ~frame[col].isin(("0", "1")), col, "list flag must be 0 or 1", "write 0 or 1")
    stage_ok = frame["stages"].map(lambda s: bool(s) and all(x in STAGES for x in s.split(";")))
    _fail(path, frame, ~stage_ok, "stages", "unknown stage",
          f"use a ';'-separated list of {', '.join(STAGES)}")
    hs_ok = frame["hs6"].map(lambda s: s == "" or all(_HS6_RE.match(x) for x in s.split(";")))
    _fail(path, frame, ~hs_ok, "hs6", "hs6 must be ';'-separated six-digit codes", "e.g. 282200;810510")
    codes = frame["hs6"].str.split(";").explode()
    codes = codes[codes != ""]
    dup = codes[codes.duplicated()]
    if len(dup):
        pos = int(dup.index[0])
        raise DataError("HS6 code assigned to two materials", file=path, row=pos + 2, field="hs6",
                        value=dup.iloc[0], hint="an HS6 code carries the trade of exactly one material")
    out = frame.copy()
    for col in FLAG_COLUMNS:
        out[col] = out[col].astype("int8")
    return out


def _validate_aliases(frame: pd.DataFrame, ids: set[str], path: Path) -> pd.DataFrame:
    _fail(path, frame, frame["source"].str.strip() == "", "source", "source is empty", "name the source")
    _fail(path, frame, frame["alias"] == "", "alias", "alias is empty", "write the exact source spelling")
    _fail(path, frame, ~frame["material_id"].isin(ids), "material_id", "alias points to an unknown material_id",
          "add the material to materials.csv or fix the id")
    _fail(path, frame, ~frame["stage"].isin(("",) + STAGES), "stage", "unknown stage",
          f"use one of {', '.join(STAGES)} or leave empty")
    _fail(path, frame, ~(frame["basis"].eq("") | frame["basis"].str.match(_BASIS_RE)), "basis", "unknown basis",
          "use gross, contained, oxide:<formula> or compound:<formula>")
    _fail(path, frame, frame.duplicated(["source", "alias", "material_id"]), "alias", "duplicate alias row",
          "remove the repeated row")
    return frame


def _validate_ignored(frame: pd.DataFrame, alias_frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    _fail(path, frame, frame["reason"].str.strip() == "", "reason", "ignored name without a reason",
          "say why the name is not mapped")
    _fail(path, frame, frame.duplicated(["source", "name"]), "name", "duplicate ignored name", "remove the repeated row")
    both = frame.set_index(["source", "name"]).index.isin(alias_frame.set_index(["source", "alias"]).index)
    _fail(path, frame, pd.Series(both, index=frame.index), "name", "name is both aliased and ignored",
          "keep it in one of material_aliases.csv / ignored_names.csv")
    return frame


def _validate_factors(frame: pd.DataFrame, ids: set[str], path: Path) -> pd.DataFrame:
    _fail(path, frame, ~frame["material_id"].isin(ids), "material_id", "unknown material_id", "fix the id")
    factor = pd.to_numeric(frame["factor"], errors="coerce")
    _fail(path, frame, ~((factor > 0) & (factor <= 1)), "factor", "factor must be a number in (0, 1]",
          "give tonnes of to_basis per tonne of from_basis")
    _fail(path, frame, frame["source"].str.strip() == "", "source", "content factor without a source", "cite it")
    for col in ("from_basis", "to_basis"):
        _fail(path, frame, ~frame[col].str.match(_BASIS_RE), col, "unknown basis",
              "use gross, contained, oxide:<formula> or compound:<formula>")
    out = frame.copy()
    out["factor"] = factor
    return out


@functools.cache
def _registry() -> dict[str, pd.DataFrame]:
    mats = _validate_materials(_read(MATERIALS_CSV, MATERIAL_COLUMNS), MATERIALS_CSV)
    ids = set(mats["material_id"])
    al = _validate_aliases(_read(ALIASES_CSV, ALIAS_COLUMNS), ids, ALIASES_CSV)
    ig = _validate_ignored(_read(IGNORED_CSV, IGNORED_COLUMNS), al, IGNORED_CSV)
    cf = _validate_factors(_read(CONTENT_FACTORS_CSV, FACTOR_COLUMNS), ids, CONTENT_FACTORS_CSV)
    return {"materials": mats, "aliases": al, "ignored": ig, "content_factors": cf}


def materials() -> pd.DataFrame:
    """The validated material registry (one row per ``material_id``; a fresh copy on every call)."""
    return _registry()["materials"].copy()


def aliases(source: str | None = None) -> pd.DataFrame:
    """Source spellings -> ``material_id`` (+ stage, basis, unit); optionally for one source."""
    al = _registry()["aliases"]
    return (al if source is None else al[al["source"] == source]).reset_index(drop=True).copy()


def ignored(source: str | None = None) -> pd.DataFrame:
    """Names deliberately not mapped, with the reason; optionally for one source."""
    ig = _registry()["ignored"]
    return (ig if source is None else ig[ig["source"] == source]).reset_index(drop=True).copy()


def content_factors() -> pd.DataFrame:
    """Conversion factors [t to_basis per t from_basis] with their source.

    Use :func:`crmsec.indicators.units.basis_factor` / ``convert_basis`` to apply them (one implementation).
    """
    return _registry()["content_factors"].copy()


def hs6_map() -> pd.Series:
    """HS92 six-digit code -> ``material_id`` (each code belongs to exactly one material)."""
    mats = _registry()["materials"]
    codes = mats.assign(hs6=mats["hs6"].str.split(";")).explode("hs6")
    codes = codes[codes["hs6"].fillna("") != ""]
    return pd.Series(codes["material_id"].to_numpy(), index=pd.Index(codes["hs6"].to_numpy(), name="hs6"),
                     name="material_id")


def resolve_hs6(codes: pd.Series, *, file: str | Path) -> pd.Series:
    """HS92 six-digit codes -> ``material_id``; NaN for codes listed as ignored (source ``hs6``).

    Raises UnknownNameError (file, row = index + 2, value) for a code that is neither mapped nor ignored.
    """
    text = codes.astype(str).str.zfill(6)
    table = hs6_map()
    ig = set(_registry()["ignored"].query("source == 'hs6'")["name"])
    unknown = ~(text.isin(table.index) | text.isin(ig))
    if unknown.any():
        pos = int(np.flatnonzero(unknown.to_numpy())[0])
        raise UnknownNameError("HS6 code not in the material registry", file=file, row=pos + 2, field="hs6",
                               value=text.iloc[pos],
                               hint=f"add it to the hs6 column of {MATERIALS_CSV.name} or to {IGNORED_CSV.name} "
                               "(source=hs6) with a reason")
    return text.map(table).rename("material_id")


def descendants(material_id: str) -> list[str]:
    """All materials below ``material_id`` in the parent tree (children, grandchildren…), not itself."""
    mats = _registry()["materials"]
    children = mats.groupby("parent_id")["material_id"].apply(list).to_dict()
    out: list[str] = []
    stack = list(children.get(material_id, []))
    while stack:
        m = stack.pop(0)
        out.append(m)
        stack.extend(children.get(m, []))
    return out


def resolve_materials(
    names: pd.Series,
    source: str,
    *,
    file: str | Path,
    rows: pd.Series | np.ndarray | list[int] | None = None,
    field: str = "material",
) -> pd.DataFrame:
    """Map source spellings to registry ids.

    Parameters
    ----------
    names : the names exactly as the source spells them (one per data row).
    source : alias namespace, e.g. ``usgs_mcs2024``, ``wmd``, ``eu2023``.
    file : the file the names come from (for error messages).
    rows : the 1-based spreadsheet row of each name (header = 1); default ``position + 2``.
    field : the column name to report in errors.

    Returns
    -------
    DataFrame indexed like ``names`` with ``material_id``, ``stage``, ``basis``, ``unit`` (strings; empty
    stage/basis/unit when the alias implies none) and ``ignored`` (bool). Ignored names get NaN in the
    four id columns so the caller can drop them explicitly and log how many it dropped.

    Raises
    ------
    UnknownNameError naming file, row, field and the first unknown name (neither aliased nor ignored), or
    DataError when a name maps to more than one material in this source (ambiguous alias).
    """
    al = _registry()["aliases"]
    al = al[al["source"] == source]
    if al["alias"].duplicated().any():
        dup = al.loc[al["alias"].duplicated(), "alias"].iloc[0]
        raise DataError(f"alias maps to several materials in source '{source}'", file=ALIASES_CSV, field="alias",
                        value=dup, hint="resolve_materials needs one material per alias; expand groups in the loader")
    ig = _registry()["ignored"]
    ig_names = set(ig.loc[ig["source"] == source, "name"])
    table = al.set_index("alias")[["material_id", "stage", "basis", "unit"]]
    values = names.astype(object)
    known = values.isin(table.index)
    is_ignored = values.isin(ig_names) & ~known
    unknown = ~(known | is_ignored)
    if unknown.any():
        pos = int(np.flatnonzero(unknown.to_numpy())[0])
        row = int(np.asarray(rows)[pos]) if rows is not None else pos + 2
        raise UnknownNameError(
            f"unknown material name for source '{source}'",
            file=file,
            row=row,
            field=field,
            value=values.iloc[pos],
            hint=(f"add it to {ALIASES_CSV.name} (source={source}) with its material_id, "
                  f"or to {IGNORED_CSV.name} with a reason"),
        )
    out = table.reindex(values.where(known).to_numpy())
    out.index = names.index
    out["ignored"] = is_ignored.to_numpy()
    return out
