"""Bounded readers of untrusted input files: YAML, CSV and XLSX (issue 16).

Every reader checks the size of what it is about to build *before* the work is done and raises
:class:`~crmsec.errors.InputError` naming the file, the row or line and the limit:

* :func:`load_yaml` — PyYAML's safe loader without anchors/aliases (no "billion laughs" expansion: a
  384-byte document could otherwise expand to gigabytes), with a nesting-depth limit (a 50,000-deep document
  would otherwise exhaust the recursive composer) and no duplicate keys (the later one would silently win).
* :func:`read_csv_strict` — refuses ragged rows (more or fewer fields than the header): pandas would otherwise
  shift a row with one extra field one column to the right (its first field becomes the index).
* :func:`read_xlsx_strict` — checks the zip container (a real zip, declared uncompressed size, member count)
  and the sheet's declared dimension, then streams rows with openpyxl in read-only mode and stops at the row
  limit, so a small file that unzips to a million rows costs milliseconds, not minutes.
* :func:`short` — a bounded ``repr`` for error messages (never the whole of an unbounded input).
"""

from __future__ import annotations

import csv
import io
import re
import reprlib
import zipfile
from pathlib import Path
from typing import Any

import yaml

from crmsec.errors import InputError

MAX_YAML_DEPTH = 64
MAX_XLSX_UNZIPPED = 64 * 1024 * 1024  # bytes, all members together
MAX_XLSX_MEMBERS = 1_000
MAX_COLUMNS = 200

_repr = reprlib.Repr()
_repr.maxlevel, _repr.maxlist, _repr.maxtuple, _repr.maxdict, _repr.maxset = 2, 6, 6, 4, 6
_repr.maxstring, _repr.maxother, _repr.maxlong = 60, 60, 40


def short(value: object) -> str:
    """``repr`` of ``value`` truncated to a few dozen characters, at a cost bounded whatever its size."""
    text = _repr.repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


# --- YAML -------------------------------------------------------------------------------------------------

class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses aliases, deep nesting and duplicate mapping keys."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent, index):  # noqa: ANN001, ANN201
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(None, None, "anchors and aliases (&name, *name) are not allowed; "
                                              "write the values out", event.start_mark)
        self._depth += 1
        if self._depth > MAX_YAML_DEPTH:
            raise yaml.composer.ComposerError(None, None, f"nested deeper than {MAX_YAML_DEPTH} levels",
                                              self.peek_event().start_mark)
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node, deep=False):  # noqa: ANN001, ANN201, FBT002
        seen: set = set()
        if isinstance(node, yaml.MappingNode):
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                try:
                    dup = key in seen
                    seen.add(key)
                except TypeError:  # unhashable key: the base class reports it
                    continue
                if dup:
                    raise yaml.constructor.ConstructorError(None, None, f"duplicate key {short(key)}",
                                                            key_node.start_mark)
        return super().construct_mapping(node, deep=deep)


def load_yaml(text: str, where: str) -> Any:
    """Parse YAML ``text`` with :class:`_StrictLoader`; errors → :class:`InputError` naming ``where`` and line."""
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(err, "problem", None) or str(err)
        raise InputError(f"{where}: not valid YAML{at} ({str(problem)[:200]})") from None
    except RecursionError:
        raise InputError(f"{where}: nested too deeply (at most {MAX_YAML_DEPTH} levels)") from None


def read_text(path: str | Path, where: str | None = None, *, encoding: str = "utf-8", hint: str = "") -> str:
    """The text of ``path``; a missing or unreadable file is an :class:`InputError` naming ``where``."""
    path = Path(path)
    where = where or str(path)
    try:
        return path.read_text(encoding=encoding)
    except FileNotFoundError:
        raise InputError(f"{where}: file not found") from None
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"{where}: cannot read as UTF-8 text ({err}){hint}") from None


def load_yaml_file(path: str | Path) -> Any:
    """:func:`load_yaml` of a UTF-8 file; a missing or unreadable file is an :class:`InputError`."""
    return load_yaml(read_text(path), str(path))


# --- CSV --------------------------------------------------------------------------------------------------

def check_ragged(text: str, where: str, sep: str = ",") -> None:
    """Refuse a row with more or fewer fields than the header (blank lines are skipped, as pandas does)."""
    reader = csv.reader(io.StringIO(text), delimiter=sep)
    try:
        header = next(reader, None)
        if header is None:
            return
        width = len(header)
        for number, row in enumerate(reader, start=2):
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if len(row) != width:
                more = "more" if len(row) > width else "fewer"
                raise InputError(f"{where}, row {number}: {len(row)} fields, {more} than the {width} columns of "
                                 "the header; quote values that contain the separator, or fix the row")
    except csv.Error as err:
        raise InputError(f"{where}: not a readable CSV ({err})") from None


def read_csv_strict(source: str | Path, where: str | None = None, *, text: bool = False, sep: str = ",",
                    **kwargs: Any):  # noqa: ANN201 - pandas.DataFrame
    """``pandas.read_csv`` after :func:`check_ragged`. ``source`` is a path, or the CSV text when ``text``."""
    import pandas as pd

    if text:
        content, where = str(source), where or "CSV"
    else:
        where = where or str(Path(source))
        content = read_text(source, where, encoding=kwargs.pop("encoding", "utf-8-sig"), hint="; save it as UTF-8")
    check_ragged(content, where, sep)
    try:
        return pd.read_csv(io.StringIO(content), sep=sep, **kwargs)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as err:
        raise InputError(f"{where}: not a readable CSV ({str(err)[:200]})") from None


# --- XLSX -------------------------------------------------------------------------------------------------

_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="[A-Z]+\d+:[A-Z]+(\d+)"')


def read_xlsx_strict(data: bytes | Path, where: str, *, max_rows: int, sheet: str | int = 0):  # noqa: ANN201
    """The sheet as a frame of strings (header = first row), refusing zip bombs and sheets over ``max_rows``.

    Checks, in this order and before any parsing: the bytes are a zip; at most ``MAX_XLSX_MEMBERS`` members
    declaring at most ``MAX_XLSX_UNZIPPED`` bytes together; the sheet's ``<dimension>`` (when present) has at
    most ``max_rows`` data rows. Then the rows are streamed (openpyxl read-only) and reading stops at the limit,
    so a wrong or missing dimension costs no more.
    """
    import pandas as pd

    raw = Path(data).read_bytes() if isinstance(data, Path) else data
    buf = io.BytesIO(raw)
    if not zipfile.is_zipfile(buf):
        raise InputError(f"{where}: not an XLSX workbook (not a zip container); save it as .xlsx or export CSV")
    try:
        with zipfile.ZipFile(buf) as zf:
            infos = zf.infolist()
            total = sum(i.file_size for i in infos)
            if len(infos) > MAX_XLSX_MEMBERS or total > MAX_XLSX_UNZIPPED:
                raise InputError(f"{where}: the workbook unpacks to {total:,} bytes in {len(infos)} parts (limit "
                                 f"{MAX_XLSX_UNZIPPED:,} bytes, {MAX_XLSX_MEMBERS} parts); trim it or export CSV")
            for info in infos:
                if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                    with zf.open(info) as fh:
                        m = _DIMENSION.search(fh.read(4096))
                    if m and int(m.group(1)) - 1 > max_rows:
                        raise InputError(f"{where}: sheet {info.filename.rsplit('/', 1)[-1]} declares "
                                         f"{int(m.group(1)) - 1:,} data rows; at most {max_rows:,} allowed")
    except zipfile.BadZipFile as err:
        raise InputError(f"{where}: damaged XLSX workbook ({err})") from None
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as err:  # noqa: BLE001 - openpyxl raises many types for malformed workbooks
        raise InputError(f"{where}: not a readable XLSX workbook ({type(err).__name__}: {str(err)[:120]})") from None
    try:
        try:
            ws = wb[sheet] if isinstance(sheet, str) else wb.worksheets[sheet]
        except (KeyError, IndexError):
            raise InputError(f"{where}: no sheet {sheet!r}; sheets are {', '.join(wb.sheetnames)}") from None
        rows: list[list[str]] = []
        for values in ws.iter_rows(values_only=True, max_col=MAX_COLUMNS):
            if len(rows) > max_rows:
                raise InputError(f"{where}: more than {max_rows:,} data rows; at most {max_rows:,} allowed, "
                                 "split the file")
            rows.append(["" if v is None else _cell_text(v) for v in values])
    finally:
        wb.close()
    while rows and not any(rows[-1]):
        rows.pop()
    if not rows:
        raise InputError(f"{where}: the sheet is empty")
    header = [str(c).strip() for c in rows[0]]
    while header and not header[-1]:
        header.pop()
    body = [r[: len(header)] + [""] * (len(header) - len(r)) for r in rows[1:] if any(r)]
    return pd.DataFrame(body, columns=header, dtype=str)


def _cell_text(v: object) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


# --- numbers ----------------------------------------------------------------------------------------------

MAX_MAGNITUDE = 1e15  # no tonnage, price, weight or EUR amount of this tool comes near this


def check_magnitude(value: object) -> object:
    """A pydantic ``field_validator`` body: numbers (or lists of numbers) above ``MAX_MAGNITUDE`` in absolute
    value are refused (``inf``/``NaN`` are refused by ``allow_inf_nan=False`` in the model config)."""
    for v in value if isinstance(value, list | tuple) else [value]:
        if isinstance(v, int | float) and not isinstance(v, bool) and abs(v) > MAX_MAGNITUDE:
            raise ValueError(f"larger than {MAX_MAGNITUDE:g} in absolute value; check the unit")
    return value


# --- CLI options ------------------------------------------------------------------------------------------

#: upper bounds of size-like command-line options (work grows linearly or worse with them)
MAX_DRAWS = 1_000_000  # Monte Carlo / ensemble draws (chunked; 1e6 is a day of work, not a typo-sized job)
MAX_PATHS = 1_000_000  # price paths of a project appraisal


def check_options(**bounds: tuple[float | int | None, float, float]) -> None:
    """Refuse CLI options outside ``[lo, hi]`` or not finite: ``check_options(draws=(draws, 0, MAX_DRAWS))``.

    Option names use ``_`` for ``-``; ``None`` values are skipped. Raises :class:`InputError` naming the option,
    the value and the range, before any work starts.
    """
    import math

    for name, (value, lo, hi) in bounds.items():
        if value is None:
            continue
        if not math.isfinite(value) or not lo <= value <= hi:
            raise InputError(f"--{name.replace('_', '-')} {value:g}: must be a finite number in [{lo:g}, {hi:g}]")
