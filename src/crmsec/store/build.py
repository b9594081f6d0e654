"""Build and open the data vintage store (DuckDB).

``build_store`` runs every source loader, checks each table against its schema, writes all tables plus the
registries and a manifest (source, vintage, file, sha256, rows) into a uniquely named ``<path>.<pid>-<rand>.tmp``
under an exclusive ``<path>.lock`` and renames it onto
``<path>`` only when everything succeeded: an interrupted or failed build leaves the previous store intact
(atomic rename, POSIX ``os.replace``). Building twice from the same raw files gives the same tables
(idempotent; the manifest pins the raw files by sha256).
"""

from __future__ import annotations

import datetime as dt
import importlib
import os
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd

from crmsec import __version__
from crmsec.errors import DataError, StoreError
from crmsec.provenance import file_sha256, recording
from crmsec.sources import raw_dir
from crmsec.store.paths import DEFAULT_STORE, open_store, store_path  # noqa: E402,F401 — re-exported

# Source modules in build order (each has load_tables() -> {table: frame}).
# National list (issue 12): OECD IOT value added, Comext processed-form imports, CBS headline figures.
SOURCE_MODULES = ["wgi", "baci", "wmd", "geopolrisk_lib", "usgs", "eu_crm", "iea", "crma", "export_controls",
                  "oecd_iot", "comext", "cbs_facts"]

# Required columns per table (more columns are allowed). A loader output missing one is a bug → DataError.
SCHEMAS: dict[str, list[str]] = {
    "production": ["material_id", "stage", "country", "year", "quantity", "unit", "basis", "source", "vintage"],
    "trade": ["reporter", "partner", "hs6", "year", "tonnes", "value_kusd", "material_id"],
    "governance": ["country", "year", "dimension", "estimate", "std_err"],
    "wgi_pv": ["country", "year", "estimate", "normalized_packaged"],
    "eu_assessment": ["material_id", "year", "sr", "ei"],
    "eu_supply_shares": ["material_id", "stage", "scope", "country", "share", "t"],
    "end_use": ["material_id", "application", "share", "nace"],
    "sector_va": ["country", "nace", "year", "va_meur", "basis"],
    "export_controls": ["measure_id", "issuer_iso3", "announced", "effective", "materials", "measure_class",
                        "source_url"],
    "oecd_iot_industry": ["country", "year", "industry", "measure", "value_musd"],
    "comext_imports": ["reporter", "partner", "cn8", "year", "value_eur"],
}


def is_stale(path: Path) -> bool:
    """True when the store is missing or older than any vendored raw file, registry table or source loader."""
    if not Path(path).exists():
        return True
    built = Path(path).stat().st_mtime
    here = Path(__file__).resolve().parents[1]
    inputs = [*raw_dir().rglob("*"), *(here / "registry").glob("*"), *(here / "sources").glob("*.py")]
    return any(p.is_file() and p.stat().st_mtime > built for p in inputs)


def _check_schema(table: str, frame: pd.DataFrame, module: str) -> None:
    required = SCHEMAS.get(table, [])
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise DataError(f"source module '{module}' produced table '{table}' without required columns",
                        field=", ".join(missing))


def collect_tables(progress: Callable[[str], None] | None = None) -> tuple[dict[str, pd.DataFrame], list[dict]]:
    """Run every source loader; concatenate tables produced by several sources (e.g. ``production``)."""
    parts: dict[str, list[pd.DataFrame]] = {}
    log: list[dict] = []
    for name in SOURCE_MODULES:
        if progress:
            progress(name)
        module = importlib.import_module(f"crmsec.sources.{name}")
        t0 = time.perf_counter()
        with recording(capture=True) as seen:  # the raw sources this loader read (data/raw/<source>) → meta_sources
            tables = module.load_tables()
        raw = ",".join(sorted(t[4:] for t in seen if t.startswith("raw:")))
        for table, frame in tables.items():
            _check_schema(table, frame, name)
            parts.setdefault(table, []).append(frame)
            log.append({"module": name, "table": table, "rows": len(frame), "seconds": time.perf_counter() - t0,
                        "raw_sources": raw})
    merged = {t: (fs[0] if len(fs) == 1 else pd.concat(fs, ignore_index=True, sort=False)) for t, fs in parts.items()}
    return merged, log


def _manifest() -> pd.DataFrame:
    root = raw_dir()
    rows = []
    for path in sorted(root.rglob("*")):
        if path.is_file():
            rows.append({"source": path.relative_to(root).parts[0], "file": str(path.relative_to(root)),
                         "bytes": path.stat().st_size, "sha256": file_sha256(path)})
    return pd.DataFrame(rows)


def _registry_tables() -> dict[str, pd.DataFrame]:
    from crmsec.registry import countries
    from crmsec.registry.materials import materials

    c = countries().reset_index(drop=True).drop(columns=["regex"], errors="ignore")
    return {"countries": c, "materials": materials().reset_index(drop=True)}


def _derived_tables(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Tables derived from source tables at build time (one implementation each, reused by every method).

    ``sector_va(country, nace, year, va_meur, basis, source)``: EU27 sector value added from the 2023 end-use
    table and NL value added by NACE division — CBS 85867NED when an extract is dropped in, otherwise the
    labelled proxy of :func:`crmsec.criticality.nl_value_added.nl_value_added` (its ``basis`` says which); the
    NL rows name their real source (``oecd_iot_2023`` for the OECD IOT basis).
    """
    from crmsec.criticality.nl_value_added import eu_sector_va, nl_value_added

    end_use = tables["end_use"]
    eu = eu_sector_va(end_use)
    nl = nl_value_added(end_use)
    frames = [
        pd.DataFrame({"country": "EU27", "nace": eu.index, "year": 2023, "va_meur": eu.to_numpy(),
                      "basis": "EU CRM study 2023 end-use table (EU sector VA)", "source": "eu_crm_2023"}),
        pd.DataFrame({"country": "NLD", "nace": nl.va_meur.index, "year": nl.year, "va_meur": nl.va_meur.to_numpy(),
                      "basis": nl.basis,
                      "source": "oecd_iot_2023" if str(nl.basis).startswith("OECD") else "cbs_nl_value_added"}),
    ]
    return {"sector_va": pd.concat(frames, ignore_index=True)}


@contextmanager
def build_lock(path: Path, wait_s: float = 900.0, poll_s: float = 0.2,
               on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Exclusive lock ``<store>.lock`` (``flock``) around a build: one build of a store at a time.

    A second build waits for the first (reporting through ``on_wait``) and gives up with :class:`StoreError`
    after ``wait_s``. The lock dies with its process, so a killed build never leaves a stale lock.
    """
    try:
        import fcntl
    except ImportError:  # not POSIX: no inter-process lock (unique temp names still keep builds apart)
        yield
        return
    lock_file = path.with_name(path.name + ".lock")
    with open(lock_file, "a+") as fh:
        deadline = time.monotonic() + wait_s
        told = False
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise StoreError(f"another `crmsec data build` of {path} is still running (lock {lock_file}); "
                                     "wait for it to finish and try again") from None
                if on_wait and not told:
                    on_wait(f"waiting for another build of {path.name} to finish")
                    told = True
                time.sleep(poll_s)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def build_store(path: Path | None = None, *, vintage: str = "default",
                progress: Callable[[str], None] | None = None) -> dict:
    """Build the store atomically; returns a summary dict (tables, rows, seconds).

    Concurrent builds of one store are serialised by :func:`build_lock`; each writes its own uniquely named
    temporary file, so the live store is only ever replaced by a complete, closed file (readers never meet a
    locked or half-written store).
    """
    path = Path(path) if path else store_path(vintage if vintage != "default" else None)
    path.parent.mkdir(parents=True, exist_ok=True)
    with build_lock(path, on_wait=progress):
        for stale in path.parent.glob(f"{path.name}.*.tmp*"):  # left by a killed build (we hold the lock)
            stale.unlink(missing_ok=True)
        return _build_locked(path, vintage, progress)


def _build_locked(path: Path, vintage: str, progress: Callable[[str], None] | None) -> dict:
    t0 = time.perf_counter()
    tables, log = collect_tables(progress)
    with recording(capture=True) as seen:
        tables.update(_derived_tables(tables))
    derived_raw = {t[4:] for t in seen if t.startswith("raw:")} | {  # sector_va: end_use + the NL VA source
        s for e in log if e.get("table") == "end_use" for s in e.get("raw_sources", "").split(",") if s}
    if "sector_va" in tables:
        log.append({"module": "derived", "table": "sector_va", "rows": len(tables["sector_va"]), "seconds": 0.0,
                    "raw_sources": ",".join(sorted(derived_raw))})
    tables.update(_registry_tables())
    if progress:
        progress("manifest")
    manifest = _manifest()
    tmp = path.with_name(f"{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")  # unique per build
    try:
        con = duckdb.connect(str(tmp))
        for name, frame in tables.items():
            if progress:
                progress(f"write {name}")
            con.register("_frame", frame)
            con.execute(f'create table "{name}" as select * from _frame')
            con.unregister("_frame")
        con.register("_m", manifest)
        con.execute("create table meta_manifest as select * from _m")
        build = pd.DataFrame([{"vintage": vintage, "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                               "crmsec_version": __version__, "raw_dir": str(raw_dir())}])
        con.register("_b", build)
        con.execute("create table meta_build as select * from _b")
        con.register("_l", pd.DataFrame(log))
        con.execute("create table meta_sources as select * from _l")
        con.close()
        os.replace(tmp, path)  # atomic: readers see the old or the new store, never half of one
    finally:
        tmp.unlink(missing_ok=True)
        Path(str(tmp) + ".wal").unlink(missing_ok=True)
    return {"path": str(path), "tables": {k: len(v) for k, v in tables.items()}, "seconds": time.perf_counter() - t0}


def store_status(path: Path | str | None = None) -> dict[str, pd.DataFrame]:
    """What the store holds: tables with row counts, sources/vintages, coverage gaps."""
    con = open_store(path)
    try:
        names = [r[0] for r in con.execute("select table_name from information_schema.tables order by 1").fetchall()]
        counts = pd.DataFrame(
            [{"table": n, "rows": con.execute(f'select count(*) from "{n}"').fetchone()[0]} for n in names if not n.startswith("meta_")]
        )
        src_parts = []
        for n in names:
            cols = [r[0] for r in con.execute(f"select column_name from information_schema.columns where table_name = '{n}'").fetchall()]
            if "source" in cols and "vintage" in cols:
                year = "min(year), max(year)" if "year" in cols else "null, null"
                src_parts.append(con.execute(
                    f'select \'{n}\' as "table", source, vintage, count(*) as rows, {year} from "{n}" group by 2, 3 order by 2, 3'
                ).df())
        sources = pd.concat(src_parts, ignore_index=True) if src_parts else pd.DataFrame()
        if not sources.empty:
            sources.columns = ["table", "source", "vintage", "rows", "year_min", "year_max"]
        gaps = _coverage_gaps(con, names)
        build = con.execute("select * from meta_build").df() if "meta_build" in names else pd.DataFrame()
    finally:
        con.close()
    if not build.empty:  # the vintage id: a digest of the manifest (sha256 per raw file), see crmsec.provenance
        from crmsec.provenance import store_info

        info = store_info(path or store_path())
        build = build.assign(vintage_id=info["vintage_id"], manifest_sha256=info["manifest_sha256"],
                             manifest_files=info["manifest_files"])
    return {"tables": counts, "sources": sources, "gaps": gaps, "build": build}


def _coverage_gaps(con: duckdb.DuckDBPyConnection, names: list[str]) -> pd.DataFrame:
    """Registry materials flagged EU CRM 2023 / CRMA with no production rows, and missing WGI / trade quantities."""
    rows = []
    if {"materials", "production"} <= set(names):
        has_shares = "eu_supply_shares" in names
        shares_sql = "material_id in (select distinct material_id from eu_supply_shares)" if has_shares else "false"
        no_prod = con.execute(
            f"select material_id, {shares_sql} from materials where (eu_crm_2023 or crma_strategic) "
            "and material_id not in (select distinct material_id from production) order by 1"
        ).fetchall()
        for m, has in no_prod:
            detail = "no world production rows; " + ("EU 2023 stage supply shares available" if has
                                                      else "no EU 2023 stage supply shares either")
            rows.append({"gap": "no_production", "item": m, "detail": detail})
    if "trade" in names:
        n, miss = con.execute("select count(*), count(*) filter (where tonnes is null) from trade").fetchone()
        rows.append({"gap": "no_quantity", "item": "trade", "detail": f"{miss:,} of {n:,} BACI flows without tonnes"})
    if "governance" in names:
        n, miss = con.execute("select count(*), count(*) filter (where estimate is null) from governance").fetchone()
        rows.append({"gap": "no_wgi", "item": "governance", "detail": f"{miss:,} of {n:,} WGI country-year-dimension values missing"})
    return pd.DataFrame(rows)

