"""Error hierarchy of crmsec.

Every error carries enough context to act on: the file, the row, the field, the offending value and
what to do about it. The CLI prints ``str(err)`` without a traceback and exits with code 1.
"""

from __future__ import annotations

from pathlib import Path


class CrmsecError(Exception):
    """Base class of all errors crmsec raises on purpose."""


class DataError(CrmsecError):
    """A data file is missing, unreadable or holds a value that cannot be used.

    Parameters
    ----------
    message : what is wrong, in plain words.
    file, row, field, value : where it is wrong (any may be omitted). ``row`` is the 1-based data row
        as a spreadsheet user counts it (header = row 1, first data row = row 2).
    hint : what the user should do.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        row: int | None = None,
        field: str | None = None,
        value: object = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.row = row
        self.field = field
        self.value = value
        self.hint = hint
        super().__init__(self._format())

    def _format(self) -> str:
        where = []
        if self.file is not None:
            where.append(f"file {self.file}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field is not None:
            where.append(f"field '{self.field}'")
        if self.value is not None:
            from crmsec.safe_input import short

            where.append(f"value {short(self.value)}")  # bounded: never the whole of a huge input
        text = self.message
        if where:
            text += " (" + ", ".join(where) + ")"
        if self.hint:
            text += f". {self.hint}"
        return text


class UnknownNameError(DataError):
    """A material or country name from a source that the registry does not know."""


class InputError(CrmsecError):
    """User-given input (CLI option, YAML, API body) is invalid; the message names the field and the fix."""


class AccessError(CrmsecError):
    """The caller's role may not make this change (e.g. declassify a restricted record without the admin role)."""


class SolverError(CrmsecError):
    """An optimisation model could not be solved; carries the HiGHS status and the likely cause."""

    def __init__(self, message: str, *, status: str | None = None) -> None:
        self.status = status
        super().__init__(message if status is None else f"{message} (HiGHS status: {status})")


class StoreError(CrmsecError):
    """The vintage store is missing, outdated or was asked for a table/vintage it does not hold."""
