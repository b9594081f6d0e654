"""Project pipeline registry: a real SQL database through SQLAlchemy 2 (SQLite file by default, PostgreSQL by URL).

Every change runs in one transaction together with its audit row (who, when, what, before/after as JSON);
a bulk import validates every row first and writes all rows in a single transaction, so a failure — an
invalid value, an exception, or the process being killed — leaves the registry exactly as it was.

Confidentiality: each project is ``public`` or ``restricted``. Reads take a ``role`` (``public``,
``analyst``, ``admin``, as in :mod:`crmsec.api.auth`); the public role never sees restricted records.

Database location: ``url`` argument, else the environment variable ``CRMSEC_PROJECTS_DB_URL`` (any SQLAlchemy
URL, e.g. ``postgresql+psycopg2://user@host/db``), else the SQLite file ``CRMSEC_PROJECTS_DB`` or, by default,
``<repo>/data/projects/projects.sqlite`` (next to the vintage store ``<repo>/data/store``; git-ignored).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
import uuid
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    create_engine,
    event,
    func,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

from crmsec.errors import AccessError, DataError, InputError, StoreError

#: default SQLite file of the registry (same root as the store's ``data/store/default.duckdb``)
DEFAULT_DB = Path(__file__).resolve().parents[3] / "data" / "projects" / "projects.sqlite"
Role = Literal["public", "analyst", "admin"]
ROLES = ("public", "analyst", "admin")
CONFIDENTIALITY = ("public", "restricted")
STAGES = ("extraction", "processing", "recycling", "substitution")
STATUSES = (
    "recognised",  # recognised CRMA Strategic Project; development status not recorded in the source
    "exploration",
    "feasibility",
    "permitting",
    "financing",
    "construction",
    "operating",
    "suspended",
    "cancelled",
)


class Base(DeclarativeBase):
    pass


class ProjectRow(Base):
    """One project of the pipeline (ORM table ``projects``)."""

    __tablename__ = "projects"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(64), unique=True, nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(300), nullable=False)
    sponsor: Mapped[str | None] = mapped_column(String(300))
    countries: Mapped[str | None] = mapped_column(String(200))  # ISO3, ';'-separated
    host_country_text: Mapped[str | None] = mapped_column(String(300))
    inside_eu: Mapped[str | None] = mapped_column(String(100))
    materials: Mapped[str | None] = mapped_column(String(300))  # registry material_id, ';'-separated
    materials_text: Mapped[str | None] = mapped_column(String(500))
    stages: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(30), nullable=False)
    capacity: Mapped[float | None] = mapped_column(Float)
    capacity_unit: Mapped[str | None] = mapped_column(String(300))
    capacity_text: Mapped[str | None] = mapped_column(String(100))
    capex_meur: Mapped[float | None] = mapped_column(Float)
    opex_meur_per_year: Mapped[float | None] = mapped_column(Float)
    start_year: Mapped[int | None] = mapped_column(Integer)
    batch: Mapped[str | None] = mapped_column(String(100))
    decision_date: Mapped[str | None] = mapped_column(String(10))
    annex_entry: Mapped[int | None] = mapped_column(Integer)
    evidence_level: Mapped[str | None] = mapped_column(String(300))
    source_url: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    confidentiality: Mapped[str] = mapped_column(String(12), nullable=False, default="public")
    case: Mapped[dict | None] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    capacity_by_year: Mapped[list[CapacityRow]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="CapacityRow.year"
    )


class CapacityRow(Base):
    """Capacity (or planned output) of a project by year (table ``project_capacity``)."""

    __tablename__ = "project_capacity"
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    quantity: Mapped[float] = mapped_column(Float, nullable=False)
    unit: Mapped[str] = mapped_column(String(100), nullable=False)
    project: Mapped[ProjectRow] = relationship(back_populates="capacity_by_year")


class AuditRow(Base):
    """One audit record per change (table ``audit``); written in the same transaction as the change."""

    __tablename__ = "audit"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ts: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    actor: Mapped[str] = mapped_column(String(100), nullable=False)
    action: Mapped[str] = mapped_column(String(20), nullable=False)  # create / update / delete
    project_code: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    batch_id: Mapped[str | None] = mapped_column(String(36))
    source: Mapped[str | None] = mapped_column(String(300))
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)


# --- fields, validation -------------------------------------------------------------------------------

#: editable fields with their type (str/float/int/list) — the columns of import/export files
FIELDS: dict[str, str] = {
    "code": "str", "name": "str", "sponsor": "str", "countries": "list", "host_country_text": "str",
    "inside_eu": "str", "materials": "list", "materials_text": "str", "stages": "list", "status": "str",
    "capacity": "float", "capacity_unit": "str", "capacity_text": "str", "capex_meur": "float",
    "opex_meur_per_year": "float", "start_year": "int", "batch": "str", "decision_date": "str",
    "annex_entry": "int", "evidence_level": "str", "source_url": "str", "notes": "str",
    "confidentiality": "str", "capacity_by_year": "capacity",
}
REQUIRED = ("code", "name", "status", "confidentiality")
MAX_IMPORT_ROWS = 100_000  # rows per import file (the EU list has ~60 strategic projects; this is generous)
_CODE_RX = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def _blank(v: object) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, str) and not v.strip())


@cache  # the registries are fixed for the process; built once, not per validated record
def _known_countries() -> set[str] | None:
    try:
        from crmsec.registry import countries

        return set(countries()["iso3"])
    except Exception:  # registry not available in a stripped build: skip the cross-check, keep format check
        return None


@cache
def _known_materials() -> set[str] | None:
    try:
        from crmsec.registry.materials import materials

        return set(materials()["material_id"])
    except Exception:
        return None


def validate_record(raw: Mapping[str, Any], *, row: int | None = None, file: str | None = None,
                    partial: bool = False) -> dict[str, Any]:
    """Clean and validate one project record; raise :class:`DataError` naming row, field and value.

    ``partial`` validates only the fields present (for updates).
    """
    def err(field: str, value: object, msg: str, hint: str | None = None) -> DataError:
        return DataError(msg, file=file, row=row, field=field, value=value, hint=hint)

    unknown = [k for k in raw if k not in FIELDS]
    if unknown:
        raise err(unknown[0], None, "unknown column", f"allowed columns: {', '.join(FIELDS)}")
    out: dict[str, Any] = {}
    for key, kind in FIELDS.items():
        if key not in raw:
            continue
        v = raw[key]
        if _blank(v) or (isinstance(v, list | tuple) and not v):
            out[key] = None if kind not in ("capacity", "list") else []
            continue
        if kind == "str":
            out[key] = str(v).strip()
        elif kind == "float":
            try:
                f = float(str(v).replace(",", "")) if isinstance(v, str) else float(v)
            except ValueError:
                raise err(key, v, "not a number", "write a plain number (no ranges or units) or leave empty") from None
            if not math.isfinite(f) or f < 0:
                raise err(key, v, "must be a finite number >= 0")
            out[key] = f
        elif kind == "int":
            try:
                f = float(v)
            except (TypeError, ValueError):
                raise err(key, v, "not an integer") from None
            if not f.is_integer():
                raise err(key, v, "not an integer")
            out[key] = int(f)
        elif kind == "list":
            parts = v if isinstance(v, list | tuple) else str(v).replace(",", ";").split(";")
            items = [str(x).strip() for x in parts if str(x).strip()]
            out[key] = items
        elif kind == "capacity":
            out[key] = _parse_capacity(v, err)
    defaults = {"status": "recognised", "confidentiality": "public"}
    for key in REQUIRED:
        if key in raw and out.get(key) in (None, []):
            raise err(key, raw.get(key), "required field is empty")
        if key not in raw and not partial:
            if key in defaults:
                out[key] = defaults[key]
            else:
                raise err(key, None, "required field is missing")
    if "code" in out and out["code"] is not None and not _CODE_RX.match(out["code"]):
        raise err("code", out["code"], "invalid project code", "use letters, digits, '.', '_' or '-' (max 64)")
    if out.get("status") is not None and out["status"] not in STATUSES:
        raise err("status", out["status"], "unknown status", f"one of {', '.join(STATUSES)}")
    if out.get("confidentiality") is not None and out["confidentiality"] not in CONFIDENTIALITY:
        raise err("confidentiality", out["confidentiality"], "unknown level", "use 'public' or 'restricted'")
    for s in out.get("stages") or []:
        if s not in STAGES:
            raise err("stages", s, "unknown stage", f"one of {', '.join(STAGES)}")
    if out.get("countries"):
        out["countries"] = [c.upper() for c in out["countries"]]
        known = _known_countries()
        for c in out["countries"]:
            if not re.fullmatch(r"[A-Z]{3}", c) or (known is not None and c not in known):
                raise err("countries", c, "not an ISO3 country code of the registry")
    if out.get("materials"):
        known_m = _known_materials()
        for m in out["materials"]:
            if known_m is not None and m not in known_m:
                raise err("materials", m, "unknown material_id", "use ids of crmsec.registry.materials()")
    if out.get("start_year") is not None and not 1900 <= out["start_year"] <= 2100:
        raise err("start_year", out["start_year"], "year out of range 1900..2100")
    if out.get("decision_date") is not None:
        try:
            dt.date.fromisoformat(out["decision_date"])
        except ValueError:
            raise err("decision_date", out["decision_date"], "not an ISO date (YYYY-MM-DD)") from None
    return out


def _parse_capacity(v: object, err: Any) -> list[tuple[int, float, str]]:
    """``"2028:1000 t;2029:2000 t"`` or a list of dicts/tuples → [(year, quantity, unit)]."""
    items: list[tuple[int, float, str]] = []
    if isinstance(v, list | tuple):
        for it in v:
            if isinstance(it, Mapping):
                items.append((int(it["year"]), float(it["quantity"]), str(it.get("unit") or "t/yr")))
            else:
                y, q, *u = it
                items.append((int(y), float(q), str(u[0]) if u else "t/yr"))
    else:
        for part in (p.strip() for p in str(v).split(";") if p.strip()):
            m = re.fullmatch(r"(\d{4})\s*:\s*([0-9.eE+]+)\s*(.*)", part)
            if not m:
                raise err("capacity_by_year", part, "expected 'YEAR:QUANTITY UNIT' entries separated by ';'")
            items.append((int(m.group(1)), float(m.group(2)), m.group(3).strip() or "t/yr"))
    years = [y for y, _, _ in items]
    if len(set(years)) != len(years):
        raise err("capacity_by_year", v, "a year appears twice")
    if any(q < 0 or not math.isfinite(q) for _, q, _ in items):
        raise err("capacity_by_year", v, "quantities must be finite and >= 0")
    return sorted(items)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _row_to_dict(p: ProjectRow) -> dict[str, Any]:
    d: dict[str, Any] = {}
    for key, kind in FIELDS.items():
        if kind == "capacity":
            d[key] = [(c.year, c.quantity, c.unit) for c in p.capacity_by_year]
        elif kind == "list":
            v = getattr(p, key)
            d[key] = v.split(";") if v else []
        else:
            d[key] = getattr(p, key)
    d["has_case"] = p.case is not None
    d["version"] = p.version
    return d


def _apply(p: ProjectRow, rec: Mapping[str, Any]) -> None:
    for key, kind in FIELDS.items():
        if key not in rec:
            continue
        v = rec[key]
        if kind == "capacity":
            p.capacity_by_year = [CapacityRow(year=y, quantity=q, unit=u) for y, q, u in v]
        elif kind == "list":
            setattr(p, key, ";".join(v) if v else None)
        else:
            setattr(p, key, v)


def default_url() -> str:
    """Database URL from ``CRMSEC_PROJECTS_DB_URL``, else ``sqlite:///`` of ``CRMSEC_PROJECTS_DB`` or
    :data:`DEFAULT_DB`."""
    url = os.environ.get("CRMSEC_PROJECTS_DB_URL")
    if url:
        return url
    path = Path(os.environ.get("CRMSEC_PROJECTS_DB", str(DEFAULT_DB)))
    return f"sqlite:///{path}"


def _sqlite_pragmas(dbapi_con: Any, _record: Any) -> None:
    cur = dbapi_con.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.close()


class ProjectRegistry:
    """The project pipeline in a SQL database.

    Parameters
    ----------
    url : SQLAlchemy URL or a filesystem path of a SQLite file; None = :func:`default_url`.
    create : create the tables if they do not exist.
    """

    def __init__(self, url: str | Path | None = None, *, create: bool = True) -> None:
        if url is None:
            url = default_url()
        url = str(url)
        if "://" not in url:
            url = f"sqlite:///{url}"
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.url = url
        try:
            self.engine: Engine = create_engine(url, future=True)
        except (SQLAlchemyError, ImportError) as err:
            raise StoreError(f"cannot open the project registry at {url}: {err}") from err
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        if create:
            try:
                Base.metadata.create_all(self.engine)
            except SQLAlchemyError as err:
                raise StoreError(f"cannot create the project tables at {self.safe_url}: {err}") from err

    @property
    def safe_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        self.engine.dispose()

    # --- reads -----------------------------------------------------------------------------------------
    @staticmethod
    def _check_role(role: str) -> None:
        if role not in ROLES:
            raise InputError(f"role {role!r}: must be one of {', '.join(ROLES)}")

    def list_projects(
        self, *, role: Role = "public", material: str | None = None, country: str | None = None,
        stage: str | None = None, status: str | None = None,
    ) -> pd.DataFrame:
        """Projects visible to ``role`` as a frame (one row per project; list fields ';'-joined).

        The ``public`` role never sees ``restricted`` projects; ``analyst`` and ``admin`` see all.
        Filters match one entry of the list fields (material_id, ISO3 country, stage) or the status.
        """
        self._check_role(role)
        with Session(self.engine) as s:
            q = select(ProjectRow).order_by(ProjectRow.code)
            if role == "public":
                q = q.where(ProjectRow.confidentiality == "public")
            if status:
                q = q.where(ProjectRow.status == status)
            rows = [_row_to_dict(p) for p in s.scalars(q)]
        if material:
            rows = [r for r in rows if material in r["materials"]]
        if country:
            rows = [r for r in rows if country.upper() in r["countries"]]
        if stage:
            rows = [r for r in rows if stage in r["stages"]]
        cols = list(FIELDS) + ["has_case", "version"]
        frame = pd.DataFrame(rows, columns=cols)
        for key, kind in FIELDS.items():
            if kind == "list":
                frame[key] = frame[key].map(lambda v: ";".join(v) if isinstance(v, list) else v)
            elif kind == "capacity":
                frame[key] = frame[key].map(_capacity_text)
        for key in ("capacity", "capex_meur", "opex_meur_per_year"):
            frame[key] = pd.to_numeric(frame[key], errors="coerce")
        for key in ("start_year", "annex_entry"):
            frame[key] = pd.array(frame[key].tolist(), dtype="Int64")
        return frame

    def get(self, code: str, *, role: Role = "public") -> dict[str, Any]:
        """One project as a dict (with ``case`` when an economic case is stored); unknown/hidden → InputError."""
        self._check_role(role)
        with Session(self.engine) as s:
            p = s.scalar(select(ProjectRow).where(ProjectRow.code == code))
            if p is None or (role == "public" and p.confidentiality != "public"):
                raise InputError(f"project '{code}' not found (see `crmsec project list`)")
            d = _row_to_dict(p)
            d["case"] = p.case
            return d

    def history(self, code: str | None = None) -> pd.DataFrame:
        """Audit trail (oldest first), optionally for one project."""
        with Session(self.engine) as s:
            q = select(AuditRow).order_by(AuditRow.id)
            if code:
                q = q.where(AuditRow.project_code == code)
            rows = [
                {"id": a.id, "ts": a.ts, "actor": a.actor, "action": a.action, "project_code": a.project_code,
                 "batch_id": a.batch_id, "source": a.source, "before": a.before, "after": a.after}
                for a in s.scalars(q)
            ]
        return pd.DataFrame(rows, columns=["id", "ts", "actor", "action", "project_code", "batch_id", "source",
                                           "before", "after"])

    def version(self) -> int:
        """Id of the latest audit entry: changes with every write (all writes are audited); caches key on it."""
        with Session(self.engine) as s:
            return s.scalar(select(func.max(AuditRow.id))) or 0

    def count(self) -> int:
        with Session(self.engine) as s:
            return s.scalar(select(func.count()).select_from(ProjectRow)) or 0

    # --- writes ----------------------------------------------------------------------------------------
    def _write_one(self, s: Session, rec: dict[str, Any], *, actor: str, batch: str | None, source: str | None,
                   mode: Literal["create", "update", "upsert"], row: int | None = None,
                   file: str | None = None, role: Role = "admin") -> str:
        """Insert or update one validated record inside session ``s`` and add its audit row.

        Lowering confidentiality (restricted → public) needs ``role='admin'`` (:class:`AccessError` otherwise)
        and is audited as ``declassify``. The CLI works on the database directly and acts as admin; the web
        face passes the signed-in user's role.
        """
        code = rec["code"]
        p = s.scalar(select(ProjectRow).where(ProjectRow.code == code))
        now = _now()
        if p is None:
            if mode == "update":
                raise InputError(f"project '{code}' does not exist; add it first")
            if not rec.get("name"):
                raise DataError("a new project needs a name", file=file, row=row, field="name", value=code)
            p = ProjectRow(code=code, created_at=now, updated_at=now, version=1, status="recognised",
                           confidentiality="public")
            _apply(p, rec)
            s.add(p)
            s.flush()
            s.add(AuditRow(ts=now, actor=actor, action="create", project_code=code, batch_id=batch,
                           source=source, before=None, after=_jsonable(_row_to_dict(p))))
            return "create"
        if mode == "create":
            raise InputError(f"project '{code}' already exists; use update (or import) to change it")
        declassify = p.confidentiality != "public" and rec.get("confidentiality") == "public"
        if declassify and role != "admin":
            where = f" (file {file}, row {row})" if row is not None else ""
            raise AccessError(f"project '{code}'{where}: changing confidentiality from '{p.confidentiality}' to "
                              "'public' releases it to everyone and needs the admin role; nothing was imported")
        before = _jsonable(_row_to_dict(p))
        _apply(p, rec)
        s.flush()
        after = _jsonable(_row_to_dict(p))
        if after == before:
            return "unchanged"
        p.version += 1
        p.updated_at = now
        s.add(AuditRow(ts=now, actor=actor, action="declassify" if declassify else "update", project_code=code,
                       batch_id=batch, source=source, before=before, after=after))
        return "declassify" if declassify else "update"

    def add(self, record: Mapping[str, Any], *, actor: str = "api") -> dict[str, Any]:
        """Create one project (transaction with its audit row); returns the stored record."""
        rec = validate_record(record)
        with Session(self.engine) as s, s.begin():
            self._write_one(s, rec, actor=actor, batch=None, source="add", mode="create")
        return self.get(rec["code"], role="admin")

    def update(self, code: str, changes: Mapping[str, Any], *, actor: str = "api",
               role: Role = "admin") -> dict[str, Any]:
        """Change fields of one project (transaction with its audit row); declassifying needs ``role='admin'``."""
        rec = validate_record({**changes, "code": code}, partial=True)
        with Session(self.engine) as s, s.begin():
            self._write_one(s, rec, actor=actor, batch=None, source="update", mode="update", role=role)
        return self.get(code, role="admin")

    def set_case(self, code: str, case: Mapping[str, Any] | None, *, actor: str = "api") -> None:
        """Store (or clear) the economic case of a project; the case is validated first."""
        if case is not None:
            from crmsec.projects.case import load_case

            case = load_case(dict(case)).model_dump(mode="json")
        with Session(self.engine) as s, s.begin():
            p = s.scalar(select(ProjectRow).where(ProjectRow.code == code))
            if p is None:
                raise InputError(f"project '{code}' not found")
            before = {"case": p.case}
            p.case = case
            p.version += 1
            p.updated_at = _now()
            s.add(AuditRow(ts=p.updated_at, actor=actor, action="update", project_code=code, source="case",
                           before=before, after={"case": case}))

    def delete(self, code: str, *, actor: str = "api") -> None:
        """Delete one project (its capacity rows too); the audit keeps the last state."""
        with Session(self.engine) as s, s.begin():
            p = s.scalar(select(ProjectRow).where(ProjectRow.code == code))
            if p is None:
                raise InputError(f"project '{code}' not found")
            before = _jsonable(_row_to_dict(p))
            s.delete(p)
            s.add(AuditRow(ts=_now(), actor=actor, action="delete", project_code=code, before=before, after=None))

    def import_records(
        self, records: Iterable[Mapping[str, Any]], *, actor: str = "import", source: str | None = None,
        file: str | None = None, first_row: int = 2, role: Role = "admin",
    ) -> pd.DataFrame:
        """Bulk upsert, all-or-nothing.

        Every record is validated before anything is written; the first invalid one raises
        :class:`DataError` with its spreadsheet row number (``first_row`` = row of the first record) and field.
        Valid batches are written in ONE transaction (one audit row per created/changed project, sharing a
        batch id); any exception or a killed process rolls the whole batch back.

        Returns a frame (row, code, action) of what was done.
        """
        recs = list(records)
        clean = [validate_record(r, row=first_row + i, file=file, partial=True) for i, r in enumerate(recs)]
        for i, c in enumerate(clean):
            if not c.get("code"):
                raise DataError("required field is missing", file=file, row=first_row + i, field="code")
        seen: set[str] = set()
        for i, c in enumerate(clean):  # O(n): the first repeated code, by row
            if c["code"] in seen:
                raise DataError("duplicate project code in the file", file=file, row=first_row + i, field="code",
                                value=c["code"])
            seen.add(c["code"])
        batch = str(uuid.uuid4())
        actions = []
        try:
            with Session(self.engine) as s, s.begin():
                for i, rec in enumerate(clean):
                    actions.append((first_row + i, rec["code"],
                                    self._write_one(s, rec, actor=actor, batch=batch, source=source, mode="upsert",
                                                    row=first_row + i, file=file, role=role)))
        except SQLAlchemyError as err:
            raise StoreError(f"import into {self.safe_url} failed and was rolled back: {err}") from err
        return pd.DataFrame(actions, columns=["row", "code", "action"])

    def import_file(self, path: str | Path, *, actor: str = "import", sheet: str | int = 0,
                    role: Role = "admin") -> pd.DataFrame:
        """Import a CSV or XLSX file (columns = :data:`FIELDS`); all-or-nothing, see :meth:`import_records`."""
        frame = read_table(path, sheet=sheet)
        return self.import_frame(frame, actor=actor, file=str(path), role=role)

    def import_frame(self, frame: pd.DataFrame, *, actor: str = "import", file: str = "import",
                     role: Role = "admin") -> pd.DataFrame:
        """Import a string frame read from an import file (header = row 1); see :meth:`import_records`."""
        frame = _checked_columns(frame, file)
        return self.import_records(frame.to_dict(orient="records"), actor=actor, source=file, file=file, role=role)

    def export_frame(self, *, role: Role = "public") -> pd.DataFrame:
        """All projects visible to ``role`` in the import-file layout (round-trips through import)."""
        return self.list_projects(role=role)[list(FIELDS)]

    def export_file(self, path: str | Path, *, role: Role = "public") -> Path:
        """Write the projects visible to ``role`` to CSV or XLSX (by suffix)."""
        from crmsec.output import write_frame

        path = Path(path)
        write_frame(self.export_frame(role=role), path)
        return path


def _capacity_text(v: object) -> str | None:
    if not v:
        return None
    return ";".join(f"{y}:{q:g} {u}" for y, q, u in v)


def _jsonable(d: Mapping[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(d, default=str))


def read_table(path: str | Path, *, sheet: str | int = 0) -> pd.DataFrame:
    """Read a CSV/XLSX import file as strings (no type guessing: validation converts and reports)."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"import file {path} not found")
    from crmsec.safe_input import read_csv_strict, read_xlsx_strict

    suffix = path.suffix.lower()
    if suffix == ".csv":  # ragged rows refused (an extra field would shift the row)
        frame = read_csv_strict(path, dtype=str, keep_default_na=False)
    elif suffix in (".xlsx", ".xlsm"):  # zip-bomb and row-count checks before parsing
        frame = read_xlsx_strict(path, str(path), max_rows=MAX_IMPORT_ROWS, sheet=sheet)
    else:
        raise InputError(f"import file {path}: unknown suffix '{suffix}'; use .csv or .xlsx")
    return frame


def _checked_columns(frame: pd.DataFrame, path: str) -> pd.DataFrame:
    if len(frame) > MAX_IMPORT_ROWS:
        raise DataError(f"{len(frame):,} rows; at most {MAX_IMPORT_ROWS:,} per import", file=path,
                        hint="split the file")
    from crmsec.output import unescape_text

    # a CSV written by crmsec escapes formula-like text with a leading ' (crmsec.output): undo it
    frame = frame.map(unescape_text)
    frame.columns = [str(c).strip() for c in frame.columns]
    if "code" not in frame.columns:
        raise DataError("import file has no 'code' column", file=path, row=1, field="code",
                        hint=f"columns are: {', '.join(FIELDS)}")
    return frame
