"""Upload checks: size limit, file type, strict UTF-8, safe YAML / CSV parsing, with clear errors."""

from __future__ import annotations

import pandas as pd
from fastapi import HTTPException, UploadFile, status

from crmsec.errors import InputError
from crmsec.safe_input import load_yaml, read_csv_strict

KINDS = {"yaml": (".yaml", ".yml", ".json"), "csv": (".csv",)}


async def read_upload(file: UploadFile, limit: int, kind: str) -> str:
    """The upload's text, or 413 (too large) / 415 (wrong type) / 422 (not UTF-8) naming the file and the limit."""
    name = file.filename or "upload"
    if not name.lower().endswith(KINDS[kind]):
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
                            f"{name}: expected a {kind.upper()} file ({', '.join(KINDS[kind])})")
    raw = await file.read(limit + 1)
    if len(raw) > limit:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE,
                            f"{name}: larger than the upload limit of {limit:,} bytes; split or trim the file")
    if not raw.strip():
        raise HTTPException(422, f"{name}: the file is empty")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise HTTPException(422, f"{name}: not UTF-8 text (byte {err.start}); save it as UTF-8") from None


def parse_yaml(text: str, name: str) -> dict:
    try:
        data = load_yaml(text, name)  # no aliases, depth-limited, no duplicate keys
    except InputError as err:
        raise HTTPException(422, str(err)) from None
    if not isinstance(data, dict):
        raise HTTPException(422, f"{name}: expected a YAML mapping (key: value) at the top level")
    return data


def parse_csv(text: str, name: str) -> pd.DataFrame:
    try:
        return read_csv_strict(text, name, text=True, dtype=str, keep_default_na=False)  # ragged rows refused
    except InputError as err:
        raise HTTPException(422, str(err)) from None
