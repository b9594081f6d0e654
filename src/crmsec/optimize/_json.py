"""JSON-safe conversion of optimisation results (for the REST API and dashboard)."""

from __future__ import annotations

import math
from dataclasses import fields, is_dataclass

import numpy as np
import pandas as pd


def jsonable(obj):
    """Recursively turn frames, numpy scalars/arrays and NaN into JSON-safe Python (NaN → None)."""
    if isinstance(obj, pd.DataFrame):
        return [jsonable(r) for r in obj.to_dict(orient="records")]
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [jsonable(v) for v in obj.tolist()]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def result_to_dict(result) -> dict:
    """A result dataclass as ``{field: JSON-safe value}``; nested results (pool national/pooled) included."""
    if not is_dataclass(result):
        raise TypeError(f"not a result dataclass: {type(result).__name__}")
    out = {}
    for f in fields(result):
        value = getattr(result, f.name)
        out[f.name] = result_to_dict(value) if is_dataclass(value) else jsonable(value)
    return out
