"""Health and build information."""

from __future__ import annotations

from fastapi import APIRouter

from crmsec.api import engines
from crmsec.api.models import EngineStatusPublic

router = APIRouter(prefix="/api/v1", tags=["system"])


@router.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/engines", response_model=list[EngineStatusPublic])
def engine_status() -> list[EngineStatusPublic]:
    """Which engines are part of this build (pages of missing ones say so instead of showing numbers)."""
    return [EngineStatusPublic(**e) for e in engines.status()]
