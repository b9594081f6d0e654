"""Criticality results, the national list and its diff, CRMA benchmarks, value chains."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from crmsec.api import engines
from crmsec.api.deps import StoreDep, StoreHandle, StoreHandleDep
from crmsec.api.meta import api_meta
from crmsec.api.models import ChainPublic, CriticalityPublic, CriticalityRowPublic, Problem, TablePublic
from crmsec.api.routers.common import engine_call, table
from crmsec.api.services import records

router = APIRouter(prefix="/api/v1", tags=["criticality"])
Year = Annotated[int | None, Query(ge=1990, le=2100, description="reference year (default: latest)")]


async def _cached_json(store: StoreHandle, name: str, args: tuple, build: Callable[[Any], bytes]) -> Response:
    """Serve a serialised answer from the per-vintage cache; on a miss compute it in the thread pool."""
    key = store.key()
    body = engines.cache_peek(key, name, *args)
    if body is None:
        def compute() -> bytes:
            con = store.cursor()
            try:
                return engine_call(lambda: engines.cached_by_key(key, name, *args, compute=lambda: build(con)))
            finally:
                con.close()

        body = await run_in_threadpool(compute)
    return Response(body, media_type="application/json")


@router.get("/criticality", response_model=CriticalityPublic, responses={404: {"model": Problem}})
async def get_criticality(store: StoreHandleDep, scope: Annotated[Literal["eu", "nl"], Query()] = "eu",
                          year: Year = None,
                          method: Annotated[Literal["eu", "geopolrisk"], Query()] = "eu") -> Response:
    """SR, EI, critical flag and drivers per material for a scope (EU or NL), year and method.

    The serialised answer is cached per store vintage and query (results are deterministic for a vintage).
    """

    def build(con: Any) -> bytes:
        res = engines.criticality(con, scope, year, method)
        rows = [CriticalityRowPublic(**r) for r in records(res["table"])]
        return CriticalityPublic(
            scope=scope, year=res["year"], method=method, sr_threshold=res.get("sr_threshold"),
            ei_threshold=res.get("ei_threshold"), method_version=res.get("method_version"), data=rows,
            count=len(rows), notes=res.get("notes", []), meta=api_meta()).model_dump_json().encode()

    return await _cached_json(store, "api_criticality", (scope, year, method), build)


@router.get("/national-list", response_model=TablePublic, responses={404: {"model": Problem}})
async def get_national_list(store: StoreHandleDep, year: Year = None) -> Response:
    """The Dutch national list: rank, score, on_list and the drivers of each material's position."""

    def build(con: Any) -> bytes:
        res = engines.national_list(con, year)
        return table(res["table"], f"national list {res['year']}", res.get("notes", [])).model_dump_json().encode()

    return await _cached_json(store, "api_national_list", (year,), build)


@router.get("/national-list/diff", response_model=TablePublic, responses={404: {"model": Problem}})
def get_national_list_diff(con: StoreDep, year: Year = None,
                           vs: Annotated[int | None, Query(ge=1990, le=2100)] = None) -> TablePublic:
    """Which materials entered or left the list between ``vs`` and ``year``, and the input that moved each."""
    res = engine_call(lambda: engines.national_list(con, year, vs=vs))
    diff = res.get("diff")
    if diff is None:
        return table(res["table"].head(0), "diff", ["no earlier list to compare with"])
    return table(diff, f"diff {res.get('vs')} → {res['year']}", res.get("notes", []))


@router.get("/crma/benchmarks", response_model=TablePublic, responses={404: {"model": Problem}})
def get_crma(con: StoreDep) -> TablePublic:
    """CRMA 2030 benchmark tracker: value, target, gap and data quality per strategic material and stage."""
    res = engine_call(lambda: engines.crma_benchmarks(con))
    return table(res["table"], "CRMA benchmarks", res.get("notes", []))


@router.get("/chains", response_model=TablePublic, responses={404: {"model": Problem}})
def list_chains(con: StoreDep) -> TablePublic:
    """The value chains shipped (magnets, batteries, defence, aluminium, helium …)."""
    import pandas as pd

    return table(pd.DataFrame(engine_call(lambda: engines.chains_list(con))), "chains")


@router.get("/chains/{chain_id}", response_model=ChainPublic, responses={404: {"model": Problem}})
def get_chain(chain_id: Annotated[str, Path(pattern=r"^[a-z0-9_]{1,64}$")], con: StoreDep) -> ChainPublic:
    """One value chain: nodes, edges, stage concentration, the weakest stage and the dependent NL sectors."""
    res = engine_call(lambda: engines.chain(con, chain_id))
    return ChainPublic(**{k: (records(v) if hasattr(v, "to_dict") else v) for k, v in res.items()}, meta=api_meta())
