"""Result-table output shared by every CLI command (DESIGN.md §2a).

``--format table|csv|json`` and ``--output PATH``: a rich table on stdout by default; csv/json to stdout
when no path is given; ``.parquet``/``.xlsx`` paths are written in those formats. Messages go to stderr.
Every file carries its provenance (:mod:`crmsec.provenance`) and no text cell is ever written as a formula
(OWASP CSV injection: a leading ``= + - @`` tab or CR is escaped with ``'`` in CSV, XLSX cells are values only).
"""

from __future__ import annotations

import enum
import json
import math
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:  # pandas is imported where a frame is handled, so light commands start fast
    import pandas as pd

stderr = Console(stderr=True)


class Format(enum.StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


def _cell(value: object) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if value != 0 and abs(value) < 1e-3:
            return f"{value:.3g}"
        return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def rich_table(frame: pd.DataFrame, title: str | None = None, *, max_rows: int = 200, max_cols: int = 12) -> Table:
    """A rich Table of ``frame`` (first ``max_rows`` rows and ``max_cols`` columns), NaN shown as 'NaN'.

    Wide results stay readable in a terminal; the caption says how to get every column (csv/json/--output).
    """
    import pandas as pd

    hidden = max(0, frame.shape[1] - max_cols)
    frame = frame.iloc[:, :max_cols] if hidden else frame
    table = Table(title=title, show_lines=False, header_style="bold")
    for col in frame.columns:
        justify = "right" if pd.api.types.is_numeric_dtype(frame[col]) else "left"
        table.add_column(str(col), justify=justify, overflow="fold")
    for row in frame.head(max_rows).itertuples(index=False):
        table.add_row(*(_cell(v) for v in row))
    table.caption = _caption(len(frame), max_rows, hidden)
    return table


def _caption(n_rows: int, max_rows: int, hidden: int) -> str | None:
    """The table caption saying what is not shown and how to get the full table (None when all is shown)."""
    notes = [f"{max_rows} of {n_rows} rows shown"] if n_rows > max_rows else []
    if hidden:
        notes.append(f"{hidden} more columns not shown")
    return "; ".join(notes) + " — use --format csv|json or --output FILE for the full table" if notes else None


#: leading characters that make a spreadsheet read a text cell as a formula (OWASP "CSV injection")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
#: xlsxwriter workbook options: data never becomes a formula or a hyperlink
XLSX_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False}

PROVENANCE_OPT = typer.Option(False, "--provenance",
                              help="With --format csv|json on stdout: add the provenance (# lines / a meta object).")


def escape_text(value: object) -> object:
    """A text cell that a spreadsheet would read as a formula, prefixed with ``'`` (OWASP CSV injection).

    Plain numbers written as text (``-3.5``) are left alone; only ``str`` values are touched.
    """
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _NUMBER.match(value) \
            and value not in ("-", "+"):
        return "'" + value
    return value


def unescape_text(value: object) -> object:
    """Inverse of :func:`escape_text` for CSV files read back (a leading ``'`` before a formula start is dropped,
    as spreadsheets do), so ``crmsec project export x.csv`` round-trips through ``crmsec project import``."""
    if isinstance(value, str) and value.startswith("'") and value[1:2] and value[1:].startswith(FORMULA_START):
        return value[1:]
    return value


def _csv_cell(value: object) -> object:
    # a bare CR inside a cell is not quoted by the csv writer (its line terminator is LF), so a spreadsheet would
    # start a new row there — whose first cell could be a formula: CR and CRLF become LF (quoted by the writer)
    if isinstance(value, str) and "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
        return "'" + value if value.startswith("\n") else escape_text(value)
    return escape_text(value)


def safe_text(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` for CSV: :func:`escape_text` on its text (object/string) columns, a bare CR in a text cell as LF;
    numeric, boolean and date columns as they are."""
    import pandas as pd

    cols = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])
            and not pd.api.types.is_datetime64_any_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])]
    if not cols:
        return frame
    out = frame.copy()
    for c in cols:
        out[c] = out[c].map(_csv_cell)
    return out


def _as_json(frame: pd.DataFrame) -> list:
    return json.loads(frame.to_json(orient="records", force_ascii=False))


def excel_writer(target: object) -> pd.ExcelWriter:
    """An xlsxwriter ``ExcelWriter`` that writes data as values only (no formulas, no hyperlinks from text)."""
    import pandas as pd

    return pd.ExcelWriter(target, engine="xlsxwriter", engine_kwargs={"options": XLSX_OPTIONS})


def write_xlsx(target: object, sheets: dict[str, pd.DataFrame], meta: dict | None = None) -> None:
    """Write ``sheets`` (name → frame) and a ``provenance`` sheet to an XLSX path or buffer, values only.

    Text keeps its exact value (it round-trips through ``crmsec project import``): with
    :data:`XLSX_OPTIONS` a cell starting with ``=`` is a string cell, never a ``<f>`` formula or a hyperlink.
    """
    import pandas as pd

    from crmsec import provenance

    meta = provenance.record() if meta is None else meta
    with excel_writer(target) as xl:
        for name, frame in sheets.items():
            frame.to_excel(xl, index=False, sheet_name=name[:31] or "table")
        prov = pd.DataFrame(provenance.rows(meta), columns=["field", "value"])
        prov.to_excel(xl, index=False, sheet_name="provenance")


def sidecar(path: Path) -> Path:
    """The provenance sidecar of a CSV file: ``<file>.provenance.json``."""
    return path.with_name(path.name + ".provenance.json")


def write_frame(frame: pd.DataFrame, path: Path, meta: dict | None = None) -> None:
    """Write ``frame`` to ``path`` by suffix (.csv, .json, .parquet, .xlsx), atomically (temp + rename), with
    its provenance (``meta``, default :func:`crmsec.provenance.record`): Parquet file metadata
    ``crmsec.provenance``, an XLSX ``provenance`` sheet, JSON ``{"meta": …, "data": […]}``, a CSV sidecar
    ``<file>.provenance.json``. Text cells that would start a formula are escaped (CSV) or written as text (XLSX).
    """
    from crmsec import provenance

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".json", ".parquet", ".xlsx"):
        from crmsec.errors import InputError

        raise InputError(f"--output {path}: unknown suffix '{suffix}'; use .csv, .json, .parquet or .xlsx")
    meta = provenance.record() if meta is None else meta
    text = json.dumps(meta, indent=1, ensure_ascii=False)
    if suffix == ".csv":
        safe_text(frame).to_csv(tmp, index=False)
        side = sidecar(path)
        side_tmp = side.with_name(side.name + ".tmp")
        side_tmp.write_text(text + "\n", encoding="utf-8")
        side_tmp.replace(side)
    elif suffix == ".json":
        body = json.dumps({"meta": meta, "data": _as_json(frame)}, indent=1, ensure_ascii=False)
        tmp.write_text(body + "\n", encoding="utf-8")
    elif suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(frame, preserve_index=False)
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), b"crmsec.provenance": text.encode()})
        pq.write_table(table, tmp)
    else:
        write_xlsx(tmp, {"result": frame}, meta)
    tmp.replace(path)


def _plain_column(values: object, missing: object = None) -> list:
    """A column (numpy array or sequence) as plain Python values, NaN as ``missing`` (JSON null / empty CSV cell)."""
    if getattr(getattr(values, "dtype", None), "kind", "") == "f":  # float array: find the NaNs vectorised
        out = values.tolist()  # type: ignore[union-attr]
        for i in (values != values).nonzero()[0].tolist():  # type: ignore[operator]
            out[i] = missing
        return out
    out = values.tolist() if hasattr(values, "tolist") else list(values)  # type: ignore[call-overload]
    return [missing if isinstance(x, float) and x != x else x for x in out]


def _csv_column(col: list) -> list:
    """:func:`_csv_cell` over a column, computed once per distinct text: a column whose texts need no change
    (numbers, the empty cell of a NaN, plain words) is returned as it is (~0.2 s saved on a 100k-row table)."""
    try:
        distinct = set(col)
    except TypeError:  # an unhashable cell: one by one
        return [_csv_cell(x) for x in col]
    changed = {x: e for x in distinct if isinstance(x, str) and (e := _csv_cell(x)) != x}
    if not changed:
        return col
    return [changed.get(x, x) if isinstance(x, str) else x for x in col]


def emit_columns(columns: Mapping[str, object], fmt: Format = Format.table, *, title: str | None = None,
                 max_rows: int = 200, max_cols: int = 12) -> None:
    """:func:`emit` to stdout for a table given as column arrays (equal length), without importing pandas.

    CSV and JSON carry every column (floats in full precision, NaN empty/null); the table shows the first
    ``max_cols`` columns and ``max_rows`` rows like :func:`rich_table`.
    """
    names = list(columns)
    cols = [_plain_column(columns[c], "" if fmt is Format.csv else None) for c in names]
    with_meta = fmt is not Format.table and _wants_provenance()
    if fmt is Format.csv:
        import csv

        if with_meta:
            _write_provenance_comments()
        w = csv.writer(sys.stdout, lineterminator="\n")
        w.writerow(names)
        w.writerows(zip(*(_csv_column(col) for col in cols), strict=True))
    elif fmt is Format.json:
        body: object = [dict(zip(names, r, strict=True)) for r in zip(*cols, strict=True)]
        if with_meta:
            body = _with_meta(body)
        sys.stdout.write(json.dumps(body, indent=1, ensure_ascii=False) + "\n")
    else:
        n = len(cols[0]) if cols else 0
        shown = names[:max_cols]
        table = Table(title=title, show_lines=False, header_style="bold")
        for c, vals in zip(shown, cols, strict=False):
            numeric = any(isinstance(x, int | float) for x in vals[:50])
            table.add_column(c, justify="right" if numeric else "left", overflow="fold")
        for r in zip(*(c[:max_rows] for c in cols[:max_cols]), strict=True):
            table.add_row(*(_cell(math.nan if x is None else x) for x in r))  # NaN shown as 'NaN'
        table.caption = _caption(n, max_rows, max(0, len(names) - max_cols))
        Console().print(table)


def _write_provenance_comments() -> None:
    """The provenance as ``#`` comment lines on stdout, before a CSV table."""
    from crmsec import provenance as prov

    sys.stdout.write("\n".join(prov.comment_lines(prov.record())) + "\n")


def _with_meta(body: object) -> dict:
    """A JSON body wrapped with its provenance: ``{"meta": …, "data": body}``."""
    from crmsec import provenance as prov

    return {"meta": prov.record(), "data": body}


def _wants_provenance() -> bool:
    """``--provenance`` given to the running CLI command (read from its click context)."""
    from crmsec.provenance import click_context

    ctx = click_context()
    return bool(ctx is not None and ctx.params.get("provenance"))


def emit(frame: pd.DataFrame, fmt: Format = Format.table, output: Path | None = None, *, title: str | None = None,
         provenance: bool | None = None) -> None:
    """Print or write a result table according to the CLI contract.

    ``--format csv|json`` on stdout add their provenance only when asked (``--provenance``, read from the
    command's options unless ``provenance`` is given): ``#`` comment lines before the CSV, or
    ``{"meta": …, "data": […]}`` instead of the bare JSON list. Files always carry it (:func:`write_frame`).
    """
    if output is not None:
        write_frame(frame, output)
        stderr.print(f"[green]wrote[/green] {output} ({len(frame)} rows)")
        if fmt is Format.table:
            Console().print(rich_table(frame, title))
        return
    with_meta = _wants_provenance() if provenance is None else provenance
    if fmt is Format.csv:
        if with_meta:
            _write_provenance_comments()
        safe_text(frame).to_csv(sys.stdout, index=False)
    elif fmt is Format.json:
        body: object = _as_json(frame)
        if with_meta:
            body = _with_meta(body)
        sys.stdout.write(json.dumps(body, indent=1, ensure_ascii=False) + "\n")
    else:
        Console().print(rich_table(frame, title))
