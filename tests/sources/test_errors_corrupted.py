"""Bad input gives one clear error naming file, row, field and value (corrupted copies of real files)."""

import gzip
import os
import subprocess
import sys
from pathlib import Path

import pytest

from crmsec.errors import DataError, UnknownNameError
from crmsec.sources import raw_path
from crmsec.sources.baci import read_baci
from crmsec.sources.wgi import read_wgi


def _head_lines(path: Path, n: int) -> list[str]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        return [next(fh) for _ in range(n)]


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(lines), encoding="utf-8")
    return path


def test_wgi_missing_file(tmp_path):
    with pytest.raises(DataError, match=r"WGI file not found \(file .*nope\.csv\)"):
        read_wgi(tmp_path / "nope.csv")


def test_wgi_wrong_type_names_row_field_value(tmp_path):
    lines = _head_lines(raw_path("wgi", "wgidataset_2024update_1996-2023_long.csv.gz"), 50)
    parts = lines[10].split(",")
    parts[5] = "high"  # estimate column
    lines[10] = ",".join(parts)
    bad = _write(tmp_path / "wgi.csv", lines)
    with pytest.raises(DataError, match=r"not a number \(file .*wgi\.csv, row 11, field 'estimate', value 'high'\)"):
        read_wgi(bad)


def test_wgi_unknown_country_code(tmp_path):
    lines = _head_lines(raw_path("wgi", "wgidataset_2024update_1996-2023_long.csv.gz"), 20)
    parts = lines[5].split(",")
    parts[1] = "XXX"  # code column
    lines[5] = ",".join(parts)
    bad = _write(tmp_path / "wgi.csv", lines)
    with pytest.raises(UnknownNameError, match=r"row 6, field 'code', value 'XXX'"):
        read_wgi(bad)


def test_baci_wrong_type(tmp_path):
    lines = _head_lines(raw_path("baci_geopolrisk", "baci_hs92_rawmaterials_1995_2024.csv.gz"), 200)
    parts = lines[100].rstrip("\n").split(",")
    parts[5] = "lots"  # q
    lines[100] = ",".join(parts) + "\n"
    bad = _write(tmp_path / "baci.csv", lines)
    with pytest.raises(DataError, match=r"not a number \(file .*baci\.csv, row 101, field 'q', value 'lots'\)"):
        read_baci(bad)


def test_baci_unknown_country_code(tmp_path):
    lines = _head_lines(raw_path("baci_geopolrisk", "baci_hs92_rawmaterials_1995_2024.csv.gz"), 50)
    parts = lines[7].split(",")
    parts[1] = "999"
    lines[7] = ",".join(parts)
    bad = _write(tmp_path / "baci.csv", lines)
    with pytest.raises(UnknownNameError, match=r"unknown BACI country code .*value 999"):
        read_baci(bad)


def test_cli_shows_error_without_traceback(tmp_path):
    """A broken raw file makes `crmsec data build` exit 1 with one line naming the file — and no traceback."""
    raw = tmp_path / "raw"
    (raw / "wgi").mkdir(parents=True)
    lines = _head_lines(raw_path("wgi", "wgidataset_2024update_1996-2023_long.csv.gz"), 30)
    parts = lines[3].split(",")
    parts[5] = "oops"
    lines[3] = ",".join(parts)
    gz = raw / "wgi" / "wgidataset_2024update_1996-2023_long.csv.gz"
    with gzip.open(gz, "wt", encoding="utf-8") as fh:
        fh.writelines(lines)
    env = {**os.environ, "CRMSEC_RAW_DIR": str(raw)}
    proc = subprocess.run([sys.executable, "-m", "crmsec.cli", "data", "build", "--path", str(tmp_path / "s.duckdb")],
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "row 4" in proc.stderr and "'estimate'" in proc.stderr and "oops" in proc.stderr
    assert not (tmp_path / "s.duckdb").exists()
