"""Users from a YAML file and the admin bootstrap password; hashing; signed tokens."""

from __future__ import annotations

import pytest

from crmsec.api import Settings
from crmsec.api.auth import Signer, User, UserStore, hash_password, verify_password
from crmsec.errors import InputError


def test_users_file_and_admin_bootstrap(tmp_path):
    f = tmp_path / "users.yaml"
    f.write_text(f"- {{username: ana, role: analyst, password_hash: '{hash_password('pw-ana-123', 4)}'}}\n",
                 encoding="utf-8")
    users = UserStore.from_settings(Settings(users_file=f, admin_password="boot-pass-9", bcrypt_rounds=4))
    assert users.authenticate("ana", "pw-ana-123") == User("ana", "analyst")
    assert users.authenticate("admin", "boot-pass-9") == User("admin", "admin")
    assert users.authenticate("ana", "wrong") is None and users.authenticate("ghost", "x") is None


@pytest.mark.parametrize("text, msg", [
    ("- {username: ana, role: analyst}\n", "needs 'username', 'role' and 'password_hash'"),
    ("- {username: ana, role: analyst, password_hash: plain}\n", "not bcrypt"),
    ("- {username: ana, role: boss, password_hash: '$2b$04$abcdefghijklmnopqrstuu'}\n", "role 'boss'"),
    ("username: ana\n", "expected a YAML list"),
])
def test_bad_users_file_names_the_problem(tmp_path, text, msg):
    f = tmp_path / "users.yaml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=msg):
        UserStore(rounds=4).load_file(f)


def test_hashing_and_signatures():
    h = hash_password("correct horse", 4)
    assert h.startswith("$2") and "correct horse" not in h
    assert verify_password("correct horse", h) and not verify_password("wrong", h)
    assert not verify_password("x" * 80, h)
    with pytest.raises(InputError):
        hash_password("", 4)
    a, b = Signer("key-a" * 4), Signer("key-b" * 4)
    tok = a.make_token(User("ana", "analyst"))
    assert a.read_token(tok, 60) == ("ana", "analyst")
    assert b.read_token(tok, 60) is None  # another secret
    assert a.read_session(tok, 60) is None  # a token is not a session cookie (distinct salts)
