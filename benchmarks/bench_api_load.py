"""Load benchmark of the API and pages: N concurrent clients for T seconds against `crmsec serve` on localhost.

Starts the server as a subprocess (the real CLI, default store), warms the result caches once, then runs
``--clients`` asyncio clients (httpx) that request the criticality endpoints in a loop for ``--duration``
seconds. Prints requests, throughput, p50/p95/p99/max latency and the error count (non-200 or exception).

    .venv/bin/python benchmarks/bench_api_load.py [--clients 50] [--duration 30] [--store PATH] [--set all]

``--set criticality`` (default) loads the cached criticality endpoints; ``--set all`` every read page and
read endpoint an anonymous reader can reach (pages, factsheets, chains, CRMA, scenarios, projects, docs).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time

import httpx
import numpy as np

ENDPOINTS = [
    "/api/v1/criticality?scope=eu&method=eu",
    "/api/v1/criticality?scope=eu&method=eu&year=2020",
    "/api/v1/criticality?scope=nl&method=eu",
    "/api/v1/criticality?scope=nl&method=geopolrisk",
    "/api/v1/national-list",
]
FACTSHEETS = ["gallium", "germanium", "cobalt", "lithium", "nickel", "graphite", "aluminium", "helium", "tungsten",
              "neodymium"]
ALL = ENDPOINTS + [
    "/", "/?lang=nl", "/materials", "/list", "/list?lang=nl", "/criticality", "/criticality?scope=nl",
    "/chains", "/chains?chain=magnets", "/chains?chain=batteries", "/crma", "/crma?lang=nl", "/scenarios",
    "/crisis", "/projects", "/projects/SP-EU1-04", "/briefings", "/docs",
    "/api/v1/materials", "/api/v1/chains", "/api/v1/chains/magnets", "/api/v1/crma/benchmarks",
    "/api/v1/scenarios", "/api/v1/projects", "/api/v1/health",
] + [f"/materials/{m}" for m in FACTSHEETS] + [f"/materials/{m}?lang=nl" for m in FACTSHEETS[:5]] + [
    f"/api/v1/materials/{m}/factsheet" for m in FACTSHEETS[:5]]
SETS = {"criticality": ENDPOINTS, "all": ALL}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(port: int, store: str | None, log) -> subprocess.Popen:  # noqa: ANN001
    cmd = [sys.executable, "-c", "from crmsec.cli import main; main()", "serve", "--port", str(port)]
    if store:
        cmd += ["--store", store]
    env = {**os.environ, "CRMSEC_SECRET_KEY": "bench-secret-key-0123456789"}
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=log)


def wait_ready(base: str, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            raise SystemExit("server exited (see its log)")
        try:
            if httpx.get(base + "/api/v1/health", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("server did not start in time")


async def client(base: str, stop: float, lat: list[float], errors: list[str], offset: int,
                 endpoints: list[str]) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=10.0) as http:
        i = offset
        while time.perf_counter() < stop:
            url = endpoints[i % len(endpoints)]
            i += 1
            t0 = time.perf_counter()
            try:
                r = await http.get(url)
                await r.aread()
                if r.status_code != 200:
                    errors.append(f"{url}: {r.status_code}")
            except httpx.HTTPError as err:
                errors.append(f"{url}: {type(err).__name__}")
            lat.append(time.perf_counter() - t0)


async def run(base: str, clients: int, duration: float, endpoints: list[str]) -> tuple[list[float], list[str], float]:
    lat: list[float] = []
    errors: list[str] = []
    t0 = time.perf_counter()
    stop = t0 + duration
    await asyncio.wait_for(asyncio.gather(*(client(base, stop, lat, errors, k, endpoints) for k in range(clients))),
                           timeout=duration + 30)
    return lat, errors, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--duration", type=float, default=30.0)
    ap.add_argument("--store", default=None)
    ap.add_argument("--set", choices=sorted(SETS), default="criticality")
    args = ap.parse_args()
    endpoints = SETS[args.set]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tempfile.NamedTemporaryFile(prefix="crmsec-bench-server-", suffix=".log", delete=False)
    proc = start_server(port, args.store, log)
    try:
        wait_ready(base, proc)
        t0 = time.perf_counter()
        for url in endpoints:  # warm the per-vintage result caches (first computation is not what we load-test)
            r = httpx.get(base + url, timeout=120.0)
            if r.status_code != 200:
                raise SystemExit(f"warm-up {url}: HTTP {r.status_code} {r.text[:300]} (server log: {log.name})")
        warm = time.perf_counter() - t0
        lat, errors, wall = asyncio.run(run(base, args.clients, args.duration, endpoints))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    a = np.asarray(lat) * 1000.0
    print(f"crmsec API load: {args.clients} concurrent clients × {args.duration:.0f} s on localhost, "
          f"{len(endpoints)} URLs of set '{args.set}' (cache warm-up {warm:.1f} s)")
    print(f"requests {a.size}, throughput {a.size / wall:.0f} req/s, errors {len(errors)}")
    if a.size:
        print(f"latency ms: p50 {np.percentile(a, 50):.1f}  p95 {np.percentile(a, 95):.1f}  "
              f"p99 {np.percentile(a, 99):.1f}  max {a.max():.1f}")
    if errors:
        print("first errors:", errors[:5], f"(server log: {log.name})")


if __name__ == "__main__":
    main()
