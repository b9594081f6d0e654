"""Result-table output shared by every CLI command (DESIGN.md §2a).

``--format table|csv|json`` and ``--output PATH``: a rich table on stdout by default; csv/json to stdout
when no path is given; ``.parquet``/``.xlsx`` paths are written in those formats. Messages go to stderr.
"""

from __future__ import annotations

import enum
import json
import math
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

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
    notes = []
    if len(frame) > max_rows:
        notes.append(f"{max_rows} of {len(frame)} rows shown")
    if hidden:
        notes.append(f"{hidden} more columns not shown")
    if notes:
        table.caption = "; ".join(notes) + " — use --format csv|json or --output FILE for the full table"
    return table


def write_frame(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` to ``path`` by suffix (.csv, .json, .parquet, .xlsx), atomically (temp + rename)."""
    import pandas as pd

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        frame.to_csv(tmp, index=False)
    elif suffix == ".json":
        tmp.write_text(frame.to_json(orient="records", indent=1, force_ascii=False), encoding="utf-8")
    elif suffix == ".parquet":
        frame.to_parquet(tmp, index=False)
    elif suffix == ".xlsx":
        with pd.ExcelWriter(tmp, engine="xlsxwriter") as xl:
            frame.to_excel(xl, index=False, sheet_name="result")
    else:
        from crmsec.errors import InputError

        raise InputError(f"--output {path}: unknown suffix '{suffix}'; use .csv, .json, .parquet or .xlsx")
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


def emit_columns(columns: Mapping[str, object], fmt: Format = Format.table, *, title: str | None = None,
                 max_rows: int = 200, max_cols: int = 12) -> None:
    """:func:`emit` to stdout for a table given as column arrays (equal length), without importing pandas.

    CSV and JSON carry every column (floats in full precision, NaN empty/null); the table shows the first
    ``max_cols`` columns and ``max_rows`` rows like :func:`rich_table`.
    """
    names = list(columns)
    cols = [_plain_column(columns[c], "" if fmt is Format.csv else None) for c in names]
    if fmt is Format.csv:
        import csv

        w = csv.writer(sys.stdout, lineterminator="\n")
        w.writerow(names)
        w.writerows(zip(*cols, strict=True))
    elif fmt is Format.json:
        records = [dict(zip(names, r, strict=True)) for r in zip(*cols, strict=True)]
        sys.stdout.write(json.dumps(records, indent=1, ensure_ascii=False) + "\n")
    else:
        n = len(cols[0]) if cols else 0
        shown = names[:max_cols]
        table = Table(title=title, show_lines=False, header_style="bold")
        for c, vals in zip(shown, cols, strict=False):
            numeric = any(isinstance(x, int | float) for x in vals[:50])
            table.add_column(c, justify="right" if numeric else "left", overflow="fold")
        for r in zip(*(c[:max_rows] for c in cols[:max_cols]), strict=True):
            table.add_row(*(_cell(math.nan if x is None else x) for x in r))  # NaN shown as 'NaN'
        notes = [f"{max_rows} of {n} rows shown"] if n > max_rows else []
        if len(names) > max_cols:
            notes.append(f"{len(names) - max_cols} more columns not shown")
        if notes:
            table.caption = "; ".join(notes) + " — use --format csv|json or --output FILE for the full table"
        Console().print(table)


def emit(frame: pd.DataFrame, fmt: Format = Format.table, output: Path | None = None, *, title: str | None = None) -> None:
    """Print or write a result table according to the CLI contract."""
    if output is not None:
        write_frame(frame, output)
        stderr.print(f"[green]wrote[/green] {output} ({len(frame)} rows)")
        if fmt is Format.table:
            Console().print(rich_table(frame, title))
        return
    if fmt is Format.csv:
        frame.to_csv(sys.stdout, index=False)
    elif fmt is Format.json:
        records = json.loads(frame.to_json(orient="records", force_ascii=False))
        sys.stdout.write(json.dumps(records, indent=1, ensure_ascii=False) + "\n")
    else:
        Console().print(rich_table(frame, title))
