"""The CLI error contract (issue 11): every user error — unknown option, missing argument, bad choice, bad
number — prints one short message and a hint, exits 2 and never shows a traceback, whatever the typer/click
version; `crmsec --help` lists every command without importing an engine."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from crmsec import cli

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_commands() -> list[list[str]]:
    """Each ``crmsec …`` command of the README's usage block, as argv after ``crmsec``."""
    out = []
    for line in README.read_text(encoding="utf-8").splitlines():
        if not re.match(r"^([A-Z_]+=\S+ )?\.venv/bin/crmsec ", line):
            continue
        for part in re.split(r"&&|;", line.split("#")[0]):
            words = shlex.split(part)
            words = [w for w in words if not re.fullmatch(r"[A-Z_]+=.*", w)]
            if words and words[0].endswith("bin/crmsec"):
                out.append(words[1:])
    return out


def run_main(argv: list[str], capsys) -> tuple[int, str]:
    with pytest.raises(SystemExit) as ex:
        cli.main(argv)
    cap = capsys.readouterr()
    return ex.value.code, cap.err + cap.out


def test_readme_lists_the_commands():
    cmds = readme_commands()
    assert len(cmds) >= 12
    assert {c[0] for c in cmds} <= set(cli.COMMANDS) | {"run"}


@pytest.mark.parametrize("argv", readme_commands(), ids=lambda a: " ".join(a[:3]))
def test_every_readme_command_with_a_bad_option_is_one_short_message(argv, capsys):
    code, text = run_main([*argv, "--no-such-option"], capsys)
    assert code == 2
    assert "Traceback" not in text
    lines = [ln for ln in text.splitlines() if ln.strip()]
    assert 1 <= len(lines) <= 4, text
    assert "no such option" in text.lower() and "--help" in text


@pytest.mark.parametrize(("argv", "expect"), [
    (["assess", "--mode", "bogus"], "--mode"),
    (["assess", "--year", "abc"], "--year"),
    (["list", "nl", "--year", "abc"], "--year"),
    (["scenario", "run"], "name"),
    (["scenario", "run", "hormuz_closure", "--draws", "1e9x"], "--draws"),
    (["nosuch"], "nosuch"),
    (["stockpile", "size", "--scenarios"], "--scenarios"),
])
def test_usage_errors_name_what_was_wrong(argv, expect, capsys):
    code, text = run_main(argv, capsys)
    assert code == 2, text
    assert "Traceback" not in text and expect in text
    assert len([ln for ln in text.splitlines() if ln.strip()]) <= 4, text


def test_domain_errors_exit_1(capsys, store_path):
    code, text = run_main(["scenario", "run", "no_such_scenario", "--store", str(store_path)], capsys)
    assert code == 1 and "Traceback" not in text and "no_such_scenario" in text


def test_help_lists_every_command_without_importing_engines():
    probe = ("import sys; from crmsec import cli\n"
             "try:\n    cli.main(['--help'])\nexcept SystemExit as e:\n    code = e.code\n"
             "heavy = [m for m in ('pandas', 'duckdb', 'scipy', 'numpy', 'crmsec.store', 'crmsec.output') "
             "if m in sys.modules]\nprint('HEAVY', heavy, 'CODE', code)")
    res = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert "HEAVY [] CODE 0" in res.stdout, res.stdout + res.stderr
    for name in cli.COMMANDS:
        assert name in res.stdout


def test_bare_group_shows_its_help(capsys):
    code, text = run_main(["project"], capsys)
    assert code == 0 and "appraise" in text
