"""Fixtures of the projects tests: registry backends (SQLite in tmp_path; a throwaway PostgreSQL server when
the PostgreSQL binaries are installed) and small cases."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from crmsec.projects.registry import Base, ProjectRegistry


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


@pytest.fixture(scope="session")
def postgres_url():
    """URL of a throwaway PostgreSQL server started for this session (skipped when not installable).

    PostgreSQL refuses to run as root, so under root the server runs as the ``postgres`` system user via
    ``runuser``; its data directory is a fresh temp dir owned by that user, removed at teardown.
    """
    bindir = _pg_bin()
    if bindir is None:
        pytest.skip("PostgreSQL binaries not installed (/usr/lib/postgresql/*/bin/initdb missing)")
    try:
        import psycopg2  # noqa: F401
    except ImportError:
        pytest.skip("psycopg2 not installed")
    prefix: list[str] = []
    datadir = Path(tempfile.mkdtemp(prefix="crmsec-pg-"))
    if os.geteuid() == 0:
        runuser = shutil.which("runuser")
        if runuser is None:
            shutil.rmtree(datadir, ignore_errors=True)
            pytest.skip("running as root and `runuser` is not available to start PostgreSQL as a non-root user")
        try:
            shutil.chown(datadir, user="postgres", group="postgres")
        except (LookupError, PermissionError) as err:
            shutil.rmtree(datadir, ignore_errors=True)
            pytest.skip(f"running as root and no usable 'postgres' user: {err}")
        prefix = [runuser, "-u", "postgres", "--"]
    pgdata = datadir / "data"
    port = _free_port()
    try:
        subprocess.run(prefix + [str(bindir / "initdb"), "-D", str(pgdata), "-A", "trust", "-U", "postgres",
                                 "--no-sync"], check=True, capture_output=True, timeout=120)
        subprocess.run(prefix + [str(bindir / "pg_ctl"), "-D", str(pgdata), "-w", "-t", "60", "-l",
                                 str(datadir / "log"), "-o",
                                 f"-p {port} -k {datadir} -c listen_addresses=127.0.0.1 -c fsync=off", "start"],
                       check=True, capture_output=True, timeout=120)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as err:
        out = getattr(err, "stderr", b"") or b""
        shutil.rmtree(datadir, ignore_errors=True)
        pytest.skip(f"could not start a throwaway PostgreSQL server: {out.decode(errors='replace')[:300]}")
    url = f"postgresql+psycopg2://postgres@127.0.0.1:{port}/postgres"
    yield url
    subprocess.run(prefix + [str(bindir / "pg_ctl"), "-D", str(pgdata), "-m", "immediate", "stop"],
                   capture_output=True, timeout=60)
    time.sleep(0.2)
    shutil.rmtree(datadir, ignore_errors=True)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def registry_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty registry database URL on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'projects.sqlite'}"
    url = request.getfixturevalue("postgres_url")
    reg = ProjectRegistry(url)
    Base.metadata.drop_all(reg.engine)
    Base.metadata.create_all(reg.engine)
    reg.close()
    return url


@pytest.fixture
def registry(registry_url: str):
    reg = ProjectRegistry(registry_url)
    yield reg
    reg.close()
