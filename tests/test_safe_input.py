"""Bounded readers of untrusted input (issue 16): YAML bombs, deep nesting, ragged CSV, XLSX zip bombs."""

from __future__ import annotations

import io
import time
import zipfile

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmsec.errors import DataError, InputError
from crmsec.safe_input import (
    MAX_YAML_DEPTH,
    load_yaml,
    read_csv_strict,
    read_xlsx_strict,
    short,
)

#: the classic "billion laughs" (9 levels × 9 aliases ≈ 4e8 leaves) in 384 bytes
BOMB = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8))


def test_billion_laughs_is_refused_quickly():
    t = time.perf_counter()
    with pytest.raises(InputError, match="aliases"):
        load_yaml(BOMB, "bomb.yaml")
    assert time.perf_counter() - t < 1.0  # a bounded check, not a timing benchmark: the expansion never happens


def test_deep_nesting_and_duplicate_keys_are_refused():
    with pytest.raises(InputError, match=f"deeper than {MAX_YAML_DEPTH}"):
        load_yaml("[" * 50_000 + "]" * 50_000, "deep.yaml")
    with pytest.raises(InputError, match=f"deeper than {MAX_YAML_DEPTH}"):
        load_yaml("".join("  " * i + "k:\n" for i in range(200)) + "  " * 200 + "1\n", "deep2.yaml")
    with pytest.raises(InputError, match="line 2.*duplicate key 'periods'"):
        load_yaml("periods: 4\nperiods: 5\n", "dup.yaml")
    assert load_yaml("a: [1, {b: 2}]\nc: x\n", "ok.yaml") == {"a": [1, {"b": 2}], "c": "x"}


def test_short_is_bounded_on_huge_values():
    huge = [["lol"] * 10_000] * 10_000  # 1e8 elements by reference; repr() would build gigabytes
    text = short(huge)
    assert len(text) < 200 and "..." in text
    assert len(short("x" * 10**6)) < 100


@given(st.recursive(st.none() | st.integers() | st.text(max_size=50), lambda c: st.lists(c, max_size=20)
                    | st.dictionaries(st.text(max_size=5), c, max_size=20), max_leaves=200))
def test_short_never_exceeds_a_few_hundred_characters(value):
    assert len(short(value)) <= 400


def test_error_values_are_truncated():
    err = DataError("bad", value="v" * 100_000)
    assert len(str(err)) < 200


def test_ragged_csv_rows_are_refused_with_the_row(tmp_path):
    with pytest.raises(InputError, match=r"row 2: 3 fields, more than the 2 columns"):
        read_csv_strict("code,name\nNEWX,a,extra\n", "p.csv", text=True, dtype=str)
    with pytest.raises(InputError, match=r"row 3: 1 fields, fewer"):
        read_csv_strict("code,name\nA,a\nB\n", "p.csv", text=True, dtype=str)
    ok = read_csv_strict('code,name\nA,"x, y"\n\nB,b\n', "p.csv", text=True, dtype=str)
    assert ok["name"].tolist() == ["x, y", "b"]


def _xlsx(rows: int, cols: int = 3) -> bytes:
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append([f"c{j}" for j in range(cols)])
    for i in range(rows):
        ws.append([i, f"r{i}", 1.5][:cols])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_xlsx_reads_and_bounds_rows():
    frame = read_xlsx_strict(_xlsx(3), "ok.xlsx", max_rows=10)
    assert frame.columns.tolist() == ["c0", "c1", "c2"] and frame["c0"].tolist() == ["0", "1", "2"]
    with pytest.raises(InputError, match="at most 10"):
        read_xlsx_strict(_xlsx(50), "many.xlsx", max_rows=10)


def test_xlsx_declared_dimension_is_checked_before_parsing():
    """A sheet that declares 1.3 M rows (like a 496 KB zip bomb) is refused from its first 4 KB."""
    raw = _xlsx(2)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename.startswith("xl/worksheets/sheet"):
                data = data.replace(b"<sheetData>", b'<dimension ref="A1:C1300001"/><sheetData>', 1)
            zout.writestr(info, data)
    with pytest.raises(InputError, match="1,300,000 data rows"):
        read_xlsx_strict(out.getvalue(), "bomb.xlsx", max_rows=5_000)


def test_xlsx_zip_bomb_and_non_zip_are_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", b"<x/>" + b" " * (70 * 2**20))  # 70 MB of spaces → ~70 KB
    assert len(out.getvalue()) < 200_000
    t = time.perf_counter()
    with pytest.raises(InputError, match="unpacks to"):
        read_xlsx_strict(out.getvalue(), "zip.xlsx", max_rows=5_000)
    assert time.perf_counter() - t < 1.0
    with pytest.raises(InputError, match="not an XLSX"):
        read_xlsx_strict(b"material,quantity_t\n", "fake.xlsx", max_rows=10)


@pytest.mark.parametrize("args, needle", [
    (["scenario", "run", "china_gallium_germanium_2023", "--draws", "1000000000"], "--draws 1e+09"),
    (["scenario", "run", "china_gallium_germanium_2023", "--stock-days", "-3"], "--stock-days -3"),
    (["scenario", "run", "china_gallium_germanium_2023", "--stock-days", "inf"], "--stock-days inf"),
    (["assess", "--draws", "1000000000"], "--draws"),
    (["project", "appraise", "X", "--paths", "1000000000"], "--paths"),
])
def test_size_like_cli_options_are_bounded_before_work(args, needle):
    from typer.testing import CliRunner

    from crmsec.cli import app

    t = time.perf_counter()
    r = CliRunner().invoke(app, args)
    msg = f"{r.exception} {r.output}"  # raised (crmsec's entry point prints it and exits 1) or already printed
    assert r.exit_code == 1, r.output
    assert needle in msg and "must be a finite number in" in msg
    assert time.perf_counter() - t < 5.0  # refused before any store is opened or draw is made


def test_draws_written_as_1e9_is_a_usage_error():
    from typer.testing import CliRunner

    from crmsec.cli import app

    r = CliRunner().invoke(app, ["scenario", "run", "china_gallium_germanium_2023", "--draws", "1e9"])
    assert r.exit_code == 2 and "Usage:" in r.output  # click: '1e9' is not a valid integer


@pytest.mark.parametrize("spec", ["floor:strike=1e308", "floor:strike=inf", "grant:amount=nan"])
def test_instrument_numbers_must_be_finite_and_bounded(spec):
    from crmsec.projects.instruments import parse_instrument

    with pytest.raises(InputError, match="instrument"):
        parse_instrument(spec)
    assert parse_instrument("floor:strike=18000").strike == 18000
