"""Provenance of every result: which data (store vintage, raw sources) and which method produced it.

One record per written result (CLI, ``crmsec run``, API), attached by :mod:`crmsec.output` in the form of each
format (Parquet file metadata, an XLSX ``provenance`` sheet, a JSON ``meta`` object next to ``data``, a CSV
sidecar ``<file>.provenance.json`` or ``#`` comment lines on stdout with ``--provenance``). Fields:

- ``crmsec_version``, ``generated_at`` (UTC);
- ``command`` and ``parameters`` (the CLI command path and its options, the API route and query, or the job);
- ``methods``: name and version of each method (``METHOD_VERSION`` of its module, else the crmsec version);
- ``store``: path, vintage name, **vintage id** (``v`` + the first 12 hex digits of ``manifest_sha256``), build
  time and crmsec version of the build; ``manifest_sha256`` is the sha256 of the store manifest (one
  ``file<TAB>sha256`` line per vendored raw file, sorted), so two stores with the same id were built from
  byte-identical raw files;
- ``sources``: the raw sources actually read — through the store tables the command queried (recorded by the
  :class:`TrackedConnection` that :func:`crmsec.store.open_store` returns) or directly
  (:func:`crmsec.sources.raw_path`) — each with its vintage labels, number of files and the sha256 of its
  part of the manifest.

Reads are recorded per scope (:func:`recording`): the whole process for a CLI command, one scope per step of
``crmsec run``, per API request (a middleware) and per background job. This module imports nothing heavy.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import enum
import hashlib
import importlib
import json
import os
import re
import sys
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from crmsec import __version__

#: method name → module whose ``METHOD_VERSION`` (if any) versions it
METHODS: dict[str, str] = {
    "eu_method": "crmsec.criticality.eu_method",
    "geopolrisk": "crmsec.criticality.geopolrisk",
    "national_list": "crmsec.criticality.national_list",
    "uncertainty": "crmsec.criticality.uncertainty",
    "crma_benchmarks": "crmsec.crma.benchmarks",
    "value_chains": "crmsec.chains.model",
    "scenarios": "crmsec.scenarios.engine",
    "allocation": "crmsec.optimize.allocation",
    "stockpile": "crmsec.optimize.stockpile",
    "project_registry": "crmsec.projects.registry",
    "appraisal": "crmsec.projects.appraisal",
    "security_contribution": "crmsec.projects.security",
    "price_models": "crmsec.projects.prices",
    "portfolio": "crmsec.projects.portfolio",
    "circularity": "crmsec.circularity.model",
    "company_assessment": "crmsec.company.assess",
    "briefing": "crmsec.reports.briefing",
    "store": "crmsec.store.build",
}

#: command (CLI path without ``crmsec``, API path without ``/api/v1``, or job kind) prefix → methods; the first
#: matching prefix wins (longest first); ``assess`` and ``/criticality`` also follow their ``method`` parameter
ROUTES: dict[str, tuple[str, ...]] = {
    "assess": ("eu_method",), "list nl": ("national_list", "eu_method"), "/national-list": ("national_list",),
    "/criticality": ("eu_method",), "crma": ("crma_benchmarks",), "/crma": ("crma_benchmarks",),
    "chains": ("value_chains",), "/chains": ("value_chains",), "scenario": ("scenarios",),
    "/scenario": ("scenarios",), "allocate": ("allocation",), "allocation": ("allocation",),
    "/allocation": ("allocation",), "stockpile": ("stockpile",), "/stockpile": ("stockpile",),
    "project appraise": ("appraisal", "price_models"), "appraisal": ("appraisal", "price_models"),
    "project security": ("security_contribution",), "project calibrate": ("price_models",),
    "project": ("project_registry",), "/projects": ("project_registry",), "portfolio": ("portfolio",),
    "circularity": ("circularity",), "company": ("company_assessment",), "/company": ("company_assessment",),
    "brief": ("briefing",), "/briefings": ("briefing",), "data": ("store",), "/materials": ("store",),
    "run": (),
}
_BY_METHOD_PARAM = {"eu": ("eu_method",), "geopolrisk": ("geopolrisk",), "all": ("eu_method", "geopolrisk")}
REGISTRY = "crmsec registry (src/crmsec/registry, versioned with crmsec)"
_SECRET = re.compile(r"password|secret|token", re.IGNORECASE)

# reads are tokens: "table:<name>", "raw:<source dir>", "store:<path>", "method:<name>" (ordered sets = dicts)
#: active scopes, innermost last: (reads, is_scope); a capture (is_scope False) only listens (engine caches)
_ACTIVE: contextvars.ContextVar[tuple[tuple[dict[str, None], bool], ...]] = contextvars.ContextVar("crmsec_reads",
                                                                                                  default=())
_PROCESS: dict[str, None] = {}
#: (command, parameters) of the API request or job being served (set by the API middleware / job runner)
_INVOCATION: contextvars.ContextVar[tuple[str, dict] | None] = contextvars.ContextVar("crmsec_invocation",
                                                                                      default=None)
_LOCK = threading.Lock()


# --- recording -------------------------------------------------------------------------------------------------
def _outer() -> dict[str, None]:
    """The outermost scope: the running CLI command's (kept in its click context) or the process's."""
    ctx = click_context()
    if ctx is None:
        return _PROCESS
    return ctx.meta.setdefault("crmsec.provenance.reads", {})


def note(*tokens: str) -> None:
    """Record reads in every active scope and in the outermost one (CLI command or process)."""
    outer = _outer()
    with _LOCK:
        for seen in (*(s for s, _ in _ACTIVE.get()), outer):
            for t in tokens:
                seen[t] = None


def note_source(source: str) -> None:
    """A vendored raw source (``data/raw/<source>``) was read directly."""
    note(f"raw:{source}")


def note_method(name: str) -> None:
    """A method (a key of :data:`METHODS`) produced (part of) the result."""
    note(f"method:{name}")


@contextlib.contextmanager
def recording(command: str | None = None, parameters: dict | None = None, *,
              capture: bool = False) -> Iterator[dict[str, None]]:
    """A scope whose reads are recorded apart (one ``crmsec run`` step, one API request, one job).

    ``capture=True`` only listens (the enclosing scope stays the one results are attributed to): used to
    remember what a cached computation read, so a cache hit can replay it.
    """
    seen: dict[str, None] = {}
    token = _ACTIVE.set((*_ACTIVE.get(), (seen, not capture)))
    inv = _INVOCATION.set((command, parameters or {})) if command else None
    try:
        yield seen
    finally:
        _ACTIVE.reset(token)
        if inv is not None:
            _INVOCATION.reset(inv)


def current_reads() -> list[str]:
    """Reads of the innermost active scope (the process's when none is active)."""
    scopes = [s for s, is_scope in _ACTIVE.get() if is_scope]
    seen = scopes[-1] if scopes else _outer()
    with _LOCK:
        return list(seen)


class TrackedConnection:
    """A DuckDB connection that records which store tables each query names (everything else is delegated)."""

    def __init__(self, con: Any, path: str, tables: frozenset[str]) -> None:
        self._con, self._path, self._tables = con, path, tables
        note(f"store:{path}")

    def _note(self, query: object) -> None:
        if isinstance(query, str):
            found = self._tables.intersection(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", query))
            if found:
                note(*(f"table:{t}" for t in sorted(found)))

    def execute(self, query: object, *args: Any, **kwargs: Any) -> TrackedConnection:
        self._note(query)
        self._con.execute(query, *args, **kwargs)
        return self  # results are fetched through the connection, so fetchone() below applies

    def fetchone(self) -> tuple | None:
        """The first row, with the rest of the result drained: DuckDB ≥ 2 refuses further work on a connection
        that holds an unfinished result, and every caller here reads one-row aggregates."""
        rows = self._con.fetchall()
        return rows[0] if rows else None

    def sql(self, query: object, *args: Any, **kwargs: Any) -> Any:
        self._note(query)
        return self._con.sql(query, *args, **kwargs)

    query = sql

    def table(self, name: str) -> Any:
        self._note(name)
        return self._con.table(name)

    def cursor(self) -> TrackedConnection:
        return TrackedConnection(self._con.cursor(), self._path, self._tables)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)

    def __enter__(self) -> TrackedConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self._con.close()


def track(con: Any, path: Path | str) -> TrackedConnection:
    """Wrap a freshly opened read-only store connection (called by :func:`crmsec.store.open_store`)."""
    names = con.execute("select table_name from information_schema.tables").fetchall()
    return TrackedConnection(con, str(Path(path).resolve()), frozenset(n for (n,) in names if not n.startswith("meta_")))


# --- the store ----------------------------------------------------------------------------------------------
def manifest_digest(rows: Iterable[tuple[str, str]]) -> str:
    """sha256 of a manifest given as (file, sha256) pairs: sorted ``file<TAB>sha256`` lines."""
    h = hashlib.sha256()
    for file, sha in sorted((str(f), str(s)) for f, s in rows):
        h.update(f"{file}\t{sha}\n".encode())
    return h.hexdigest()


def file_sha256(path: Path | str) -> str:
    """sha256 of a file's bytes, read in 1 MiB chunks (the manifest's per-file digest)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def vintage_id(digest: str) -> str:
    """Short, stable id of a data vintage: ``v`` + the first 12 hex digits of the manifest digest."""
    return "v" + digest[:12]


_STORE_CACHE: dict[tuple[str, int], dict] = {}


def store_info(path: Path | str) -> dict[str, Any]:
    """Identity of a store file (cached per path and modification time): vintage id, build, raw sources."""
    path = str(Path(path).resolve())
    if not os.path.exists(path):  # read earlier, since replaced or removed: name it, claim nothing about it
        return {"path": path, "vintage": None, "vintage_id": None, "built_at": None, "built_by": None,
                "manifest_sha256": None, "manifest_files": 0, "_raw": {}, "_table_raw": {}, "_vintages": {}}
    key = (path, os.stat(path).st_mtime_ns)
    if key in _STORE_CACHE:
        return _STORE_CACHE[key]
    import duckdb

    con = duckdb.connect(path, read_only=True)
    try:
        cols = con.execute("select table_name, column_name from duckdb_columns()").fetchall()
        names = {t for t, _ in cols}
        has_source = ("meta_manifest", "source") in cols  # a store without per-source manifest rows: one group
        manifest = con.execute(f"select {'source' if has_source else 'NULL'}, file, sha256 from meta_manifest")\
            .fetchall() if "meta_manifest" in names else []
        build: dict[str, Any] = {}
        if "meta_build" in names:
            cur = con.execute("select * from meta_build")
            row = cur.fetchone()
            build = dict(zip([d[0] for d in cur.description], row or (), strict=False))
        table_raw: dict[str, set[str]] = {}
        if "meta_sources" in names:
            if ("meta_sources", "raw_sources") in cols:
                for table, raw in con.execute("select \"table\", raw_sources from meta_sources").fetchall():
                    table_raw.setdefault(table, set()).update(s for s in str(raw or "").split(",") if s)
        vintages: dict[str, list[tuple[str, str]]] = {}
        for t in sorted({t for t, c in cols if c == "vintage"} & {t for t, c in cols if c == "source"}):
            vintages[t] = [(str(s), str(v)) for s, v in
                           con.execute(f'select distinct source, vintage from "{t}" order by 1, 2').fetchall()]
    finally:
        con.close()
    digest = manifest_digest((f, s) for _, f, s in manifest)
    per_source: dict[str, list[tuple[str, str]]] = {}
    for src, f, s in manifest:
        per_source.setdefault(src, []).append((f, s))
    info = {
        "path": path, "vintage": build.get("vintage"), "vintage_id": vintage_id(digest) if manifest else None,
        "built_at": str(build["built_at"]) if build.get("built_at") is not None else None,
        "built_by": f"crmsec {build['crmsec_version']}" if build.get("crmsec_version") else None,
        "manifest_sha256": digest if manifest else None, "manifest_files": len(manifest),
        "_raw": {src: {"files": len(rows), "sha256": manifest_digest(rows)} for src, rows in per_source.items()},
        "_table_raw": {t: sorted(s) for t, s in table_raw.items()}, "_vintages": vintages,
    }
    _STORE_CACHE[key] = info
    return info


def _public_store(info: dict) -> dict:
    return {k: v for k, v in info.items() if not k.startswith("_")}


def _sources(reads: list[str], stores: list[dict]) -> list[dict[str, Any]]:
    """Raw sources read: directly, or through the tables read (their vintage labels and manifest digests)."""
    tables = [t[6:] for t in reads if t.startswith("table:")]
    out: dict[str, dict[str, Any]] = {}

    def entry(src: str, raw: dict) -> dict[str, Any]:
        e = out.setdefault(src, {"source": src, "vintages": [], "tables": [], "files": None, "sha256": None})
        if src in raw:
            e.update(files=raw[src]["files"], sha256=raw[src]["sha256"])
        return e

    for info in stores:
        raw = info["_raw"]
        for t in tables:
            labels = [v for _, v in info["_vintages"].get(t, [])]
            default = [REGISTRY if t in ("materials", "countries") else "store table (source not recorded by this build)"]
            for src in info["_table_raw"].get(t, []) or default:
                e = entry(src, raw)
                e["tables"] = sorted({*e["tables"], t})
                e["vintages"] = sorted({*e["vintages"], *labels})
    raw_all = stores[0]["_raw"] if stores else {}
    for t in reads:
        if t.startswith("raw:"):
            entry(t[4:], raw_all)
    if not stores:
        _raw_manifest_fallback(out)
    return sorted(out.values(), key=lambda e: e["source"])


def _raw_manifest_fallback(out: dict[str, dict]) -> None:
    """Without a store, digest the raw files read directly from disk (small sources only)."""
    from crmsec.sources import raw_dir

    for src, e in out.items():
        folder = raw_dir() / src
        if e["sha256"] is None and folder.is_dir():
            files = [p for p in sorted(folder.rglob("*")) if p.is_file()]
            rows = [(str(p.relative_to(raw_dir())), file_sha256(p)) for p in files]
            e.update(files=len(rows), sha256=manifest_digest(rows))


# --- the record -----------------------------------------------------------------------------------------------
def _jsonable(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _invocation() -> tuple[str, dict]:
    """The CLI command (from the active click context) or the API request / job being served."""
    inv = _INVOCATION.get()
    if inv is not None:
        return inv
    ctx = click_context()
    if ctx is not None:
        path = " ".join(["crmsec", *ctx.command_path.split()[1:]])
        params: dict[str, Any] = {}
        for c in reversed([ctx, *_parents(ctx)]):
            params.update(c.params)
        params.pop("provenance", None)
        return path, params
    return "python " + Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "python", {}


def click_context() -> Any:
    """The running CLI command's click context (typer ≥ 0.29 bundles its own click), or None."""
    for name in ("typer._click.globals", "click.globals"):
        mod = sys.modules.get(name)
        ctx = mod.get_current_context(silent=True) if mod else None
        if ctx is not None:
            return ctx
    return None


def _parents(ctx: Any) -> list[Any]:
    out = []
    while ctx.parent is not None:
        ctx = ctx.parent
        out.append(ctx)
    return out


def methods_for(command: str, parameters: dict, noted: Iterable[str] = ()) -> list[str]:
    """Method names of a command: those noted while it ran, else by the longest matching route prefix."""
    names = list(dict.fromkeys(noted))
    if names:
        return names
    key = command.removeprefix("crmsec ").removeprefix("python ")
    for verb in ("GET ", "POST ", "PUT ", "PATCH ", "DELETE "):
        key = key.removeprefix(verb)
    key = key.removeprefix("/api/v1").removeprefix("job ")
    if key.startswith(("assess", "/criticality")):
        parameters = {"method": "eu", **parameters}
    if key.startswith(("assess", "/criticality")) and str(_jsonable(parameters.get("method"))) in _BY_METHOD_PARAM:
        found = list(_BY_METHOD_PARAM[str(_jsonable(parameters.get("method")))])
        if str(_jsonable(parameters.get("scope"))) == "nl" and "eu_method" in found:
            found.insert(0, "national_list")  # the Dutch view is the national-list method
        return found + (["uncertainty"] if int(parameters.get("draws") or 0) > 0 else [])
    for prefix in sorted(ROUTES, key=len, reverse=True):
        if key == prefix or key.startswith(prefix + " ") or key.startswith(prefix + "/") or \
                (prefix.startswith("/") and key.startswith(prefix)):
            return list(ROUTES[prefix])
    return []


def method_version(name: str) -> str:
    module = METHODS.get(name)
    mod = sys.modules.get(module) if module else None
    if mod is None and module:
        with contextlib.suppress(ImportError):
            mod = importlib.import_module(module)
    return str(getattr(mod, "METHOD_VERSION", f"crmsec-{__version__}"))


def record(*, command: str | None = None, parameters: dict | None = None, methods: Iterable[str] | None = None,
           reads: list[str] | None = None) -> dict[str, Any]:
    """The provenance record of the result being written now (see the module docstring for the fields)."""
    inv_command, inv_params = _invocation()
    command = command or inv_command
    params = {k: ("***" if _SECRET.search(k) else v) for k, v in
              _jsonable(inv_params if parameters is None else parameters).items()}
    reads = current_reads() if reads is None else reads
    stores = []
    for t in reads:
        if t.startswith("store:"):
            with contextlib.suppress(OSError, ImportError, RuntimeError, KeyError, IndexError):
                stores.append(store_info(t[6:]))
    if methods is None:
        methods = methods_for(command, params, (t[7:] for t in reads if t.startswith("method:")))
    rec: dict[str, Any] = {
        "crmsec_version": __version__,
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": command,
        "parameters": params,
        "methods": [{"name": m, "version": method_version(m)} for m in methods],
        "store": _public_store(stores[0]) if stores else None,
        "sources": _sources(reads, stores),
    }
    if len(stores) > 1:
        rec["other_stores"] = [_public_store(s) for s in stores[1:]]
    return rec


def comment_lines(rec: dict[str, Any]) -> list[str]:
    """The record as ``# key: value`` lines (nested values as compact JSON), for CSV on stdout."""
    return [f"# {k}: {v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, separators=(',', ':'))}"
            for k, v in rec.items()]


def rows(rec: dict[str, Any]) -> list[tuple[str, str]]:
    """The record as (field, value) rows for a spreadsheet sheet: one row per method, source and parameter."""
    out: list[tuple[str, str]] = [("crmsec_version", rec["crmsec_version"]), ("generated_at", rec["generated_at"]),
                                  ("command", rec["command"])]
    out += [(f"parameter.{k}", json.dumps(v, ensure_ascii=False)) for k, v in rec["parameters"].items()]
    out += [("method", f"{m['name']} {m['version']}") for m in rec["methods"]]
    for s in [rec["store"], *rec.get("other_stores", [])] if rec["store"] else []:
        out += [(f"store.{k}", "" if v is None else str(v)) for k, v in s.items()]
    for s in rec["sources"]:
        out.append(("source", f"{s['source']} vintages={','.join(s['vintages']) or '-'} "
                              f"tables={','.join(s['tables']) or '-'} files={s['files']} sha256={s['sha256']}"))
    return out
