"""GeoPolRisk compatible mode vs geopolrisk-py 2.0.1, side by side, as whole processes (issue 11, item 6).

Times, each as a fresh process (interpreter start-up, imports, store/database load, compute, output):

1. crmsec: ``crmsec assess --method geopolrisk --mode compatible`` for Netherlands, Germany, Japan, USA and
   France × all 53 library materials × 2018–2024, CSV to a pipe (best and median of ``--repeat`` runs);
2. geopolrisk-py 2.0.1 in its own venv (``--peer-python``, default /tmp/gpr_peer_venv/bin/python):
   ``gprs_calc(2018..2024, five countries, default_rmlist())`` with HOME in a temporary directory (the library
   writes ``~/Documents/geopolrisk``); skipped with a message when the venv is absent;
3. crmsec every country × material × year (``--scope world``), compatible and corrected, CSV (issue 11 item 6:
   < 1.5 s whole process each), and the five countries in corrected mode.

Each crmsec line gives the best and median wall time and the CPU time (user + sys) of the best run: the machine is
shared, and CPU time is what a quiet machine's wall time approaches (DuckDB may use both cores, so a quiet wall time
can be lower). Prints the load average before and after and the ratio peer / crmsec.

    PYTHONPATH=src python benchmarks/bench_geopolrisk_peer.py [--repeat 5] [--no-peer]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COUNTRIES = ["NLD", "DEU", "JPN", "USA", "FRA"]
PEER_NAMES = ["Netherlands", "Germany", "Japan", "USA", "France"]
PEER_CODE = (
    "from geopolrisk.assessment.main import gprs_calc\n"
    "from geopolrisk.assessment.utils import default_rmlist\n"
    f"r = gprs_calc(list(range(2018, 2025)), {PEER_NAMES!r}, default_rmlist())\n"
    "print(len(r))\n"
)


def crmsec_cmd() -> list[str]:
    exe = shutil.which("crmsec") or str(Path(sys.executable).with_name("crmsec"))
    return [exe] if Path(exe).exists() else [sys.executable, "-m", "crmsec.cli"]


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(cmd: list[str], env: dict | None = None) -> tuple[float, int]:
    return timed_cpu(cmd, env)[:2]


def timed_cpu(cmd: list[str], env: dict | None = None) -> tuple[float, int, float]:
    """Wall time [s], output lines and CPU time (user + sys of the child) [s] of one whole process."""
    c0, t0 = _children_cpu(), time.perf_counter()
    res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, check=True)
    return time.perf_counter() - t0, res.stdout.count(b"\n"), _children_cpu() - c0


def report(label: str, cmd: list[str], repeat: int) -> None:
    runs = sorted(timed_cpu(cmd) for _ in range(max(1, repeat)))
    wall = [r[0] for r in runs]
    print(f"[3] crmsec {label} ({runs[0][1] - 1:,} rows), whole process: best {wall[0]:.2f} s, median "
          f"{statistics.median(wall):.2f} s over {len(runs)} runs; CPU {runs[0][2]:.2f} s (best run) "
          f"(load {os.getloadavg()[0]:.1f})")


def main() -> None:
    ap = argparse.ArgumentParser(description="GeoPolRisk: crmsec compatible vs geopolrisk-py, whole processes")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--peer-python", default="/tmp/gpr_peer_venv/bin/python")
    ap.add_argument("--no-peer", action="store_true", help="skip the ~2 min geopolrisk-py run")
    args = ap.parse_args()
    print(f"cores {os.cpu_count()}, load average before: {os.getloadavg()}")
    base = [*crmsec_cmd(), "assess", "--method", "geopolrisk", "--format", "csv"]
    five = [*base, "--mode", "compatible", *(a for c in COUNTRIES for a in ("--country", c))]
    timed(five)  # warm the OS file cache (store file, site-packages) once
    t_help = min(timed([*crmsec_cmd(), "--help"])[0] for _ in range(3))
    print(f"[0] crmsec --help, whole process: best of 3 {t_help:.2f} s")

    def crmsec_runs(label: str) -> list[float]:
        runs = [timed(five) for _ in range(args.repeat)]
        times = [t for t, _ in runs]
        print(f"[1] crmsec compatible, 5 countries × 53 materials × 7 years ({runs[0][1] - 1} rows), whole process, "
              f"{label}: best {min(times):.2f} s, median {statistics.median(times):.2f} s over {args.repeat} runs "
              f"(load {os.getloadavg()[0]:.1f})")
        return times

    times = crmsec_runs("before the peer")
    for mode in ("compatible", "corrected"):
        report(f"{mode}, every country × material × year", [*base, "--scope", "world", "--mode", mode], args.repeat)
    report("corrected, 5 countries × all materials × 7 years",
           [*base, "--mode", "corrected", *(a for c in COUNTRIES for a in ("--country", c))], args.repeat)
    if args.no_peer:
        print("[2] geopolrisk-py: skipped (--no-peer)")
    elif not Path(args.peer_python).exists():
        print(f"[2] geopolrisk-py: skipped — no venv at {args.peer_python} "
              "(python -m venv /tmp/gpr_peer_venv && /tmp/gpr_peer_venv/bin/pip install geopolrisk-py==2.0.1)")
    else:
        with tempfile.TemporaryDirectory() as home:
            env = {**os.environ, "HOME": home}
            env.pop("PYTHONPATH", None)
            t_peer, _ = timed([args.peer_python, "-c", PEER_CODE], env=env)
        print(f"[2] geopolrisk-py 2.0.1 gprs_calc, same 1,855 cells, whole process: {t_peer:.1f} s "
              f"(load {os.getloadavg()[0]:.1f})")
        times += crmsec_runs("after the peer")
        best, med = min(times), statistics.median(times)
        print(f"    ratio geopolrisk-py / crmsec: {t_peer / best:.0f}× (best crmsec run), "
              f"{t_peer / med:.0f}× (median of the runs before and after)")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
