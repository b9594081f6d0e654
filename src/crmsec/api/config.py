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

from pydantic import Field, SecretStr, field_validator
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
    max_upload_bytes: int = Field(512 * 1024, gt=0, le=16 * 1024 * 1024)
    auth_threads: int = Field(2, ge=1, le=8, description="threads for password hashing (bcrypt), apart from reads")
    job_workers: int = Field(2, ge=1, le=16)
    job_queue_max: int = Field(20, ge=1, le=1000, description="unfinished jobs in all (429 beyond)")
    job_queue_per_user: int = Field(4, ge=1, le=100, description="unfinished jobs per user (429 beyond)")
    projects_db_url: str | None = None

    @field_validator("secret_key")
    @classmethod
    def _strong_key(cls, value: SecretStr) -> SecretStr:
        problem = weakness(value.get_secret_value(), MIN_KEY_CHARS, MIN_KEY_BITS)
        if problem:
            raise ValueError(f"CRMSEC_SECRET_KEY is too weak ({problem}); anyone could forge sessions. Use e.g. "
                             "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`, or leave it unset "
                             "for a random per-process key")
        return value

    @field_validator("admin_password")
    @classmethod
    def _strong_password(cls, value: SecretStr | None) -> SecretStr | None:
        problem = value is not None and weakness(value.get_secret_value(), MIN_PASSWORD_CHARS, MIN_PASSWORD_BITS)
        if problem:
            raise ValueError(f"CRMSEC_ADMIN_PASSWORD is too weak ({problem}); choose a passphrase of at least "
                             f"{MIN_PASSWORD_CHARS} characters (at most 72 bytes)")
        return value


#: start-up strength rules (NIST SP 800-63B §5.1.1.2: memorised secrets of at least 8 characters, checked
#: against common values; we ask more for the only bootstrap admin; a signing key needs >= 64 bits of entropy)
MIN_KEY_CHARS, MIN_KEY_BITS = 16, 64.0
MIN_PASSWORD_CHARS, MIN_PASSWORD_BITS = 10, 30.0
COMMON = frozenset({"password", "passw0rd", "admin", "administrator", "changeme", "secret", "letmein", "qwerty",
                    "welcome", "welkom", "wachtwoord", "geheim", "crmsec", "123456", "1234567890"})


def weakness(value: str, min_chars: int, min_bits: float) -> str | None:
    """Why ``value`` is too weak as a secret (``None`` = acceptable).

    The entropy is a rough upper estimate, ``length × log2(distinct characters)``, which is enough to refuse
    short, repetitive or common values such as ``a``, ``aaaaaaaaaaaaaaaa`` or ``password123``.
    """
    import math

    if len(value) < min_chars:
        return f"{len(value)} characters; at least {min_chars} needed"
    distinct = len(set(value))
    bits = len(value) * math.log2(distinct) if distinct > 1 else 0.0
    if bits < min_bits or distinct < 6:
        return f"too repetitive: {distinct} distinct characters, about {bits:.0f} bits; at least {min_bits:.0f} needed"
    stripped = value.lower().rstrip("0123456789!.-_ ")
    if stripped in COMMON:
        return "a common password"
    return None


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
