"""The lock file is in force and agrees with ``pyproject.toml`` (no network: parsed, not re-resolved)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import lock  # noqa: E402

PIN = re.compile(r"^([A-Za-z0-9_.\-\[\]]+)==([^\s;\\]+)")


def pins() -> dict[str, str]:
    out = {}
    for line in lock.LOCK.read_text().splitlines():
        if m := PIN.match(line):
            out[canonicalize_name(m.group(1).split("[")[0])] = m.group(2)
    return out


def test_lock_was_resolved_from_the_current_pyproject():
    first = lock.LOCK.read_text().splitlines()[0]
    assert first == lock.DIGEST_PREFIX + lock.digest(), "pyproject.toml changed after the lock: run `make lock`"


def test_every_declared_dependency_is_pinned_within_its_range():
    locked = pins()
    for spec in lock.declared():
        req = Requirement(spec)
        name = canonicalize_name(req.name)
        assert name in locked, f"{req.name} is declared but not in requirements.txt: run `make lock`"
        assert req.specifier.contains(locked[name], prereleases=True), f"{name}=={locked[name]} violates {spec}"


def test_every_pin_carries_a_hash():
    blocks = re.split(r"\n(?=[A-Za-z0-9])", lock.LOCK.read_text())
    for block in blocks:
        if PIN.match(block):
            assert "--hash=sha256:" in block, f"no hash for {block.splitlines()[0]}"
