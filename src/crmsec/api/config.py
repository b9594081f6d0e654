"""Typed settings of the web face (pydantic-settings; environment variables prefixed ``CRMSEC_``).

``get_settings()`` is cached (``lru_cache``) so every request shares one instance; tests build their own
``Settings(...)`` and hand it to :func:`crmsec.api.create_app`.
"""

from __future__ import annotations

import logging
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

log = logging.getLogger(__name__)

Lang = Literal["en", "nl"]
LANGS: tuple[str, ...] = ("en", "nl")


class Settings(BaseSettings):
    """Settings of ``crmsec serve`` and the briefings.

    Environment: ``CRMSEC_SECRET_KEY`` (signs sessions/tokens; a random per-process key when unset, so sessions
    do not survive a restart), ``CRMSEC_ADMIN_PASSWORD`` (bootstraps the ``admin`` user), ``CRMSEC_USERS_FILE``
    (YAML list of ``{username, role, password_hash}`` with bcrypt hashes), ``CRMSEC_STORE_PATH`` (DuckDB vintage;
    default ``data/store/default.duckdb``), ``CRMSEC_COOKIE_SECURE`` (``false`` only for plain-http development).
    """

    model_config = SettingsConfigDict(env_prefix="CRMSEC_", extra="ignore")

    secret_key: SecretStr = Field(default_factory=lambda: SecretStr(secrets.token_urlsafe(32)))
    store_path: Path | None = None
    users_file: Path | None = None
    admin_username: str = "admin"
    admin_password: SecretStr | None = None
    bcrypt_rounds: int = Field(12, ge=4, le=16)
    cookie_secure: bool = True
    session_max_age_s: int = Field(8 * 3600, gt=0)
    token_max_age_s: int = Field(24 * 3600, gt=0)
    default_lang: Lang = "en"
    max_upload_bytes: int = Field(512 * 1024, gt=0)
    job_workers: int = Field(2, ge=1, le=16)
    projects_db_url: str | None = None


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
