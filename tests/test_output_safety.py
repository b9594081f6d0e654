"""Safe exports (issue 16 item 3, OWASP CSV injection): text that starts a formula is never written as one —
XLSX cells are values only (no ``<f>`` element), CSV text cells get a leading ``'``; numbers stay numbers."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from crmsec.cli import app
from crmsec.output import FORMULA_START, escape_text, safe_text, unescape_text, write_frame, write_xlsx

runner = CliRunner()
EVIL = ['=HYPERLINK("http://evil.example/x","click")', "=cmd|'/C calc'!A0", "+SUM(1,2)", "-2+3", "@SUM(A1)",
        "\t=1+1", "\r=1+1"]


def _frame() -> pd.DataFrame:
    n = len(EVIL)
    return pd.DataFrame({"name": EVIL, "plain": ["ok"] * n, "qty": [-5.5] * n, "count": list(range(-3, n - 3)),
                         "text_number": ["-12.5"] * n})


def _sheet_xml(path_or_bytes: Path | bytes) -> str:
    src = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes
    with zipfile.ZipFile(src) as z:
        return "".join(z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/sheet"))


def test_xlsx_has_no_formula_and_keeps_text(tmp_path):
    out = tmp_path / "x.xlsx"
    write_frame(_frame(), out)
    xml = _sheet_xml(out)
    assert "<f>" not in xml and "<f " not in xml
    back = pd.read_excel(out, sheet_name="result")
    # the text itself, not a formula or a '-prefixed copy (a CR is stored as the OOXML escape _x000D_)
    assert list(back["name"])[:-1] == EVIL[:-1] and back["name"].iloc[-1] in ("\r=1+1", "_x000D_=1+1")
    assert (back["qty"] == -5.5).all() and back["count"].min() == -3  # numbers stay numbers


def test_csv_escapes_text_cells_only(tmp_path):
    out = tmp_path / "x.csv"
    write_frame(_frame(), out)
    back = pd.read_csv(out)
    assert len(back) == len(EVIL)  # a CR inside a cell does not start a new row
    assert all(v.startswith("'") and v[1:] == e.replace("\r", "\n") for v, e in zip(back["name"], EVIL, strict=True))
    assert back["qty"].dtype.kind == "f" and (back["qty"] == -5.5).all()
    assert back["count"].dtype.kind == "i" and back["count"].min() == -3
    assert (back["text_number"] == -12.5).all()  # a number written as text is not a formula: unchanged
    assert re.match(r"^\"?'=HYPERLINK\(", out.read_text().splitlines()[1])


def test_csv_stdout_is_escaped_too(monkeypatch, capsys):
    from crmsec.output import Format, emit

    emit(_frame(), Format.csv, provenance=False)
    lines = capsys.readouterr().out.splitlines()
    assert re.match(r"^\"?'=HYPERLINK\(", lines[1]) and ",-5.5," in lines[1]


def test_write_xlsx_sheets_and_provenance_values_only():
    buf = io.BytesIO()
    write_xlsx(buf, {"t": _frame()}, meta={"crmsec_version": "x", "generated_at": "t", "command": "=cmd|'/C calc'!A0",
                                          "parameters": {}, "methods": [], "store": None, "sources": []})
    xml = _sheet_xml(buf.getvalue())
    assert "<f>" not in xml and "<f " not in xml


def test_project_export_xlsx_and_csv(tmp_path: Path):
    """A registry name `=HYPERLINK(...)` / `=cmd|...` exported by `crmsec project export`, even for the public role."""
    db = str(tmp_path / "p.sqlite")
    for code, name in (("EVIL-1", EVIL[0]), ("EVIL-2", EVIL[1])):
        r = runner.invoke(app, ["project", "add", code, "--name", name, "--country", "NLD", "--material", "lithium",
                                "--stage", "recycling", "--db", db])
        assert r.exit_code == 0, r.output
    xlsx, csv = tmp_path / "e.xlsx", tmp_path / "e.csv"
    for path in (xlsx, csv):
        r = runner.invoke(app, ["project", "export", str(path), "--db", db])
        assert r.exit_code == 0, r.output
    xml = _sheet_xml(xlsx)
    assert "<f>" not in xml and "<f " not in xml
    assert {EVIL[0], EVIL[1]} <= set(pd.read_excel(xlsx, sheet_name="result")["name"])
    text = csv.read_text()
    assert not re.search(r"(^|,)\"?[=+@]", text, flags=re.M)  # no cell starts a formula
    assert {"'" + EVIL[0], "'" + EVIL[1]} <= set(pd.read_csv(csv)["name"])
    meta = json.loads((tmp_path / "e.csv.provenance.json").read_text())
    assert meta["command"] == "crmsec project export" and meta["parameters"]["role"] == "public"
    # the escaped CSV round-trips: importing it into a fresh registry gives the original names back
    db2 = str(tmp_path / "p2.sqlite")
    r = runner.invoke(app, ["project", "import", str(csv), "--db", db2])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["project", "show", "EVIL-1", "--db", db2, "--format", "json"])
    fields = {d["field"]: d["value"] for d in json.loads(r.stdout)}
    assert fields["name"] == EVIL[0]


@given(st.text(max_size=20))
def test_escape_text_property(value: str):
    """Never leaves a formula start (except plain numbers); unescape_text gives the input back."""
    out = escape_text(value)
    if not value.startswith("'"):
        assert unescape_text(out) == value
    if out != value:
        assert out == "'" + value and value.startswith(FORMULA_START)
    else:
        assert not value.startswith(FORMULA_START) or value in ("-", "+") or \
            re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", value)


def test_safe_text_leaves_numeric_columns():
    frame = pd.DataFrame({"a": [-1.0, 2.0], "b": ["=1", "x"], "c": [True, False]})
    out = safe_text(frame)
    assert out["a"].equals(frame["a"]) and out["c"].equals(frame["c"]) and list(out["b"]) == ["'=1", "x"]
    assert list(frame["b"]) == ["=1", "x"]  # the input frame is not modified
