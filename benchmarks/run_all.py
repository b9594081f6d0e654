"""Run every benchmark script in this folder (``make bench``); each prints its own figures.

The API load test and the screenshot script need a running server / browser and are run on their own.
"""

import subprocess
import sys
from pathlib import Path

SKIP = {"run_all.py", "bench_api_load.py", "screenshots.py"}


def main() -> int:
    failed = []
    for script in sorted(Path(__file__).parent.glob("*.py")):
        if script.name in SKIP:
            continue
        print(f"\n=== {script.name}", flush=True)
        if subprocess.run([sys.executable, str(script)], check=False).returncode != 0:
            failed.append(script.name)
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
