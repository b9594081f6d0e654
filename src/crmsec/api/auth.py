"""Users, roles, password hashing, signed sessions/tokens and CSRF tokens.

Roles are ordered ``public < analyst < admin``. Passwords are stored only as bcrypt hashes. A browser session
is an itsdangerous-signed cookie (HttpOnly, SameSite=Lax, Secure unless disabled for plain-http development);
API clients may instead send ``Authorization: Bearer <token>`` obtained from ``POST /api/v1/auth/token``.
Unsafe requests authenticated by cookie must carry the CSRF token (double-submit: cookie ``crmsec_csrf`` and
form field ``csrf_token`` or header ``X-CSRF-Token``).
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import bcrypt
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from crmsec.errors import InputError

Role = Literal["public", "analyst", "admin"]
ROLE_RANK: dict[str, int] = {"public": 0, "analyst": 1, "admin": 2}
SESSION_COOKIE = "crmsec_session"
CSRF_COOKIE = "crmsec_csrf"
LANG_COOKIE = "crmsec_lang"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"


@dataclass(frozen=True)
class User:
    """An authenticated (or anonymous, ``username=None``) user."""

    username: str | None
    role: Role

    @property
    def is_anonymous(self) -> bool:
        return self.username is None

    def at_least(self, role: Role) -> bool:
        return ROLE_RANK[self.role] >= ROLE_RANK[role]


ANONYMOUS = User(username=None, role="public")


def hash_password(password: str, rounds: int = 12) -> str:
    """bcrypt hash (``$2b$…``) of ``password``; bcrypt only uses the first 72 bytes, longer ones are refused."""
    raw = password.encode("utf-8")
    if not raw:
        raise InputError("password: must not be empty")
    if len(raw) > 72:
        raise InputError("password: longer than 72 bytes (bcrypt limit); choose a shorter passphrase")
    return bcrypt.hashpw(raw, bcrypt.gensalt(rounds=rounds)).decode("ascii")


def verify_password(password: str, password_hash: str) -> bool:
    raw = password.encode("utf-8")
    if not raw or len(raw) > 72:
        return False
    try:
        return bcrypt.checkpw(raw, password_hash.encode("ascii"))
    except ValueError:
        return False


class UserStore:
    """In-memory user table loaded from a YAML file and/or the admin bootstrap password (thread-safe)."""

    def __init__(self, rounds: int = 12) -> None:
        self._users: dict[str, tuple[Role, str]] = {}
        self._lock = threading.Lock()
        self.rounds = rounds
        # a fixed dummy hash so unknown users cost as much time as wrong passwords (no user enumeration)
        self._dummy = bcrypt.hashpw(b"dummy-password", bcrypt.gensalt(rounds=rounds)).decode("ascii")

    def add(self, username: str, password: str, role: Role) -> User:
        """Create or replace a user with a freshly hashed password."""
        return self.add_hashed(username, hash_password(password, self.rounds), role)

    def add_hashed(self, username: str, password_hash: str, role: Role) -> User:
        if not username or not username.replace("_", "").replace("-", "").replace(".", "").isalnum():
            raise InputError(f"username {username!r}: use letters, digits, '.', '-' or '_'")
        if role not in ROLE_RANK:
            raise InputError(f"role {role!r} of user {username!r}: must be one of {', '.join(ROLE_RANK)}")
        with self._lock:
            self._users[username] = (role, password_hash)
        return User(username, role)

    def authenticate(self, username: str, password: str) -> User | None:
        with self._lock:
            entry = self._users.get(username)
        if entry is None:
            verify_password(password, self._dummy)
            return None
        role, pw_hash = entry
        return User(username, role) if verify_password(password, pw_hash) else None

    def get(self, username: str) -> User | None:
        with self._lock:
            entry = self._users.get(username)
        return None if entry is None else User(username, entry[0])

    def __len__(self) -> int:
        return len(self._users)

    @classmethod
    def from_settings(cls, settings) -> UserStore:  # noqa: ANN001 - Settings (avoid import cycle)
        """Users from ``settings.users_file`` (YAML list) plus the admin bootstrap password, if set."""
        store = cls(rounds=settings.bcrypt_rounds)
        if settings.users_file is not None:
            store.load_file(settings.users_file)
        if settings.admin_password is not None:
            store.add(settings.admin_username, settings.admin_password.get_secret_value(), "admin")
        return store

    def load_file(self, path: Path) -> None:
        path = Path(path)
        from crmsec.safe_input import load_yaml_file

        rows = load_yaml_file(path) or []
        if not isinstance(rows, list):
            raise InputError(f"users file {path}: expected a YAML list of {{username, role, password_hash}}")
        for i, row in enumerate(rows, start=1):
            if not isinstance(row, dict) or not {"username", "role", "password_hash"} <= set(row):
                raise InputError(
                    f"users file {path}, entry {i}: needs 'username', 'role' and 'password_hash' "
                    "(bcrypt; make one with `crmsec serve --hash-password`)"
                )
            if not str(row["password_hash"]).startswith("$2"):
                raise InputError(f"users file {path}, entry {i} ({row['username']}): password_hash is not bcrypt")
            self.add_hashed(str(row["username"]), str(row["password_hash"]), row["role"])


class Signer:
    """Signs and verifies session cookies, API tokens and CSRF tokens with one secret (distinct salts).

    Every session and token carries a random nonce; :meth:`revoke` puts it on a server-side revocation list
    (kept until the credential would have expired anyway, at most ``MAX_REVOKED`` entries), so a signed-out
    session cookie or a revoked token is refused although its signature is still valid.
    """

    MAX_REVOKED = 100_000

    def __init__(self, secret: str) -> None:
        self._session = URLSafeTimedSerializer(secret, salt="crmsec-session")
        self._token = URLSafeTimedSerializer(secret, salt="crmsec-api-token")
        self._revoked: dict[str, float] = {}  # nonce → time after which the credential is expired anyway
        self._lock = threading.Lock()

    def make_session(self, user: User) -> str:
        return self._session.dumps({"u": user.username, "r": user.role, "n": secrets.token_hex(8)})

    def make_token(self, user: User) -> str:
        return self._token.dumps({"u": user.username, "r": user.role, "n": secrets.token_hex(8)})

    def read_session(self, value: str, max_age: int) -> tuple[str, str] | None:
        return self._check(_read(self._session, value, max_age))

    def read_token(self, value: str, max_age: int) -> tuple[str, str] | None:
        return self._check(_read(self._token, value, max_age))

    def session_nonce(self, value: str, max_age: int) -> str | None:
        data = _read(self._session, value, max_age)
        return data[2] if data else None

    def revoke(self, value: str | None, max_age: int, *, token: bool = False) -> bool:
        """Refuse this (valid) session cookie or token from now on; ``False`` when it was not valid."""
        data = _read(self._token if token else self._session, value or "", max_age)
        if data is None or not data[2]:
            return False
        now = time.time()
        with self._lock:
            if len(self._revoked) >= self.MAX_REVOKED:
                self._revoked = {n: t for n, t in self._revoked.items() if t > now}
                while len(self._revoked) >= self.MAX_REVOKED:  # still full: drop the oldest
                    self._revoked.pop(next(iter(self._revoked)))
            self._revoked[data[2]] = now + max_age
        return True

    def _check(self, data: tuple[str, str, str] | None) -> tuple[str, str] | None:
        if data is None:
            return None
        with self._lock:
            if data[2] and data[2] in self._revoked:
                return None
        return data[0], data[1]


def _read(ser: URLSafeTimedSerializer, value: str, max_age: int) -> tuple[str, str, str] | None:
    try:
        data = ser.loads(value, max_age=max_age)
    except (BadSignature, SignatureExpired):
        return None
    if not isinstance(data, dict) or "u" not in data or "r" not in data:
        return None
    return str(data["u"]), str(data["r"]), str(data.get("n", ""))


def new_csrf_token() -> str:
    return secrets.token_urlsafe(24)


#: shortest CSRF token accepted (``new_csrf_token`` makes 32 characters); a 1-character pair is no secret
MIN_CSRF_CHARS = 16


def csrf_matches(cookie_value: str | None, sent: str | None) -> bool:
    if not cookie_value or not sent or len(cookie_value) < MIN_CSRF_CHARS:
        return False
    return hmac.compare_digest(cookie_value.encode(), sent.encode())
