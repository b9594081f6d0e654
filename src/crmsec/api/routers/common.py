"""Helpers shared by the routers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
from fastapi import HTTPException

from crmsec.api.engines import EngineUnavailable
from crmsec.api.meta import api_meta
from crmsec.api.models import Problem, TablePublic
from crmsec.api.services import records

#: OpenAPI answer of every job-submitting route (bounded job queue, see crmsec.api.jobs)
QUEUE_FULL_RESPONSES: dict[int | str, dict[str, Any]] = {429: {"model": Problem, "description": "job queue full (per user or server); see Retry-After"}}


def engine_call(fn: Callable[[], Any]) -> Any:
    """Run an engine adapter; a missing engine becomes 404 with a clear message (never made-up numbers)."""
    try:
        return fn()
    except EngineUnavailable as err:
        raise HTTPException(404, str(err)) from None


def table(frame: pd.DataFrame, title: str | None = None, notes: list[str] | None = None) -> TablePublic:
    """A result table with its provenance (``meta``, :func:`crmsec.api.meta.api_meta`)."""
    return TablePublic(title=title, columns=[str(c) for c in frame.columns], data=records(frame), count=len(frame),
                       notes=notes or [], meta=api_meta())
